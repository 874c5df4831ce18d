/* health.c — GET /api/health (as the original), /health/live and /health/ready. */
#include "handlers.h"
#include "app.h"
#include "util.h"

/* 200 {"success","message","timestamp","environment"[,"tenant"]} */
int
h_api_health(struct req *r, struct resp *rs)
{
	char ts[40];
	util_iso_now(ts, sizeof(ts));
	json_object *o = json_object_new_object();
	json_object_object_add(o, "success", json_object_new_boolean(1));
	json_object_object_add(o, "message", json_object_new_string("Webix API is running"));
	json_object_object_add(o, "timestamp", json_object_new_string(ts));
	json_object_object_add(o, "environment", json_object_new_string(r->app->cfg->node_env));
	if (r->tenant)
		json_object_object_add(o, "tenant", json_object_new_string(r->tenant));
	resp_json(rs, 200, o);
	return 0;
}

/* 200 while this process can answer at all. */
int
h_health_live(struct req *r, struct resp *rs)
{
	(void)r;
	resp_ok(rs, 200, "alive", NULL);
	return 0;
}

/* 200 when PostgreSQL and Redis both answer; 503 naming the one that does not. */
int
h_health_ready(struct req *r, struct resp *rs)
{
	bool pg = db_ping(&r->app->db) == DB_OK;
	bool rd = redis_ping(&r->app->redis) == 0;
	json_object *d = json_object_new_object();
	json_object_object_add(d, "postgres", json_object_new_string(pg ? "up" : "down"));
	json_object_object_add(d, "redis", json_object_new_string(rd ? "up" : "down"));
	if (pg && rd) {
		resp_ok(rs, 200, "ready", d);
		return 0;
	}
	const char *msg = !pg && !rd ? "PostgreSQL and Redis are unreachable"
	    : !pg ? "PostgreSQL is unreachable" : "Redis is unreachable";
	resp_unavailable(r, rs, msg);
	json_object_object_add(rs->body, "data", d);
	return -1;
}

void
health_register(void)
{
}
