/* testroutes.c — /api/_test/: isolation probes for the end-to-end tests, enabled only by
 * WEBIX_TEST_ROUTES=1 (refused in production). Each probe runs a query WITHOUT any
 * WHERE on the organization, as a careless handler would, through the normal request
 * path, and reports what row-level security let it see. */
#include "handlers.h"
#include "app.h"
#include <stdlib.h>
#include <string.h>

/* Every tenant table, and the unscoped query a buggy handler might write for it. */
static const struct db_stmt probes[] = {
	{ "probe_memberships", "SELECT count(*), coalesce(jsonb_agg(DISTINCT org_id), '[]') "
	  "FROM memberships", 0 },
	{ "probe_audit_log", "SELECT count(*), coalesce(jsonb_agg(DISTINCT org_id), '[]') "
	  "FROM audit_log", 0 },
	{ "probe_webtoons", "SELECT count(*), coalesce(jsonb_agg(DISTINCT org_id), '[]') "
	  "FROM webtoons", 0 },
	{ "probe_episodes", "SELECT count(*), coalesce(jsonb_agg(DISTINCT org_id), '[]') "
	  "FROM episodes", 0 },
	{ "probe_analytics", "SELECT count(*), coalesce(jsonb_agg(DISTINCT org_id), '[]') "
	  "FROM analytics", 0 },
	{ "probe_outbox", "SELECT count(*), coalesce(jsonb_agg(DISTINCT org_id), '[]') "
	  "FROM outbox WHERE org_id IS NOT NULL", 0 },
};
static const char *const probe_tables[] = { "memberships", "audit_log", "webtoons",
	"episodes", "analytics", "outbox" };
#define NPROBES (sizeof(probes) / sizeof(probes[0]))

void
testroutes_register(void)
{
	db_register(probes, NPROBES);
}

/* {"table": {"rows": n, "organizations": [ids…]}, …} for every tenant table. */
static int
probe_all(struct req *r, struct resp *rs)
{
	struct db *db = &r->app->db;
	json_object *d = json_object_new_object();
	for (size_t i = 0; i < NPROBES; i++) {
		PGresult *res = db_exec(db, &probes[i], NULL);
		if (res == NULL) {
			json_object_put(d);
			return resp_db_error(r, rs, db);
		}
		json_object *t = json_object_new_object();
		json_object_object_add(t, "rows", json_object_new_int64(
		    strtoll(PQgetvalue(res, 0, 0), NULL, 10)));
		json_object_object_add(t, "organizations", json_tokener_parse(PQgetvalue(res, 0, 1)));
		json_object_object_add(d, probe_tables[i], t);
		PQclear(res);
	}
	if (db_commit(db) != DB_OK) {
		json_object_put(d);
		return resp_db_error(r, rs, db);
	}
	resp_ok(rs, 200, NULL, d);
	return 0;
}

static bool
enabled(struct req *r, struct resp *rs)
{
	if (r->app->cfg->test_routes)
		return true;
	if (r->app->db.in_tx)
		db_rollback(&r->app->db);
	resp_error(r, rs, 404, "not_found", "Route not found", NULL);
	return false;
}

/* GET /api/_test/unscoped — in a transaction with no organization (R_AUTH) */
int
h_test_unscoped(struct req *r, struct resp *rs)
{
	if (!enabled(r, rs))
		return -1;
	struct db *db = &r->app->db;
	if (db_begin(db, NULL, r->user_id) != DB_OK)
		return resp_db_error(r, rs, db);
	return probe_all(r, rs);
}

/* GET /api/_test/unscoped/:organizationId — in that organization (R_ORG, org:read) */
int
h_test_unscoped_org(struct req *r, struct resp *rs)
{
	if (!enabled(r, rs))
		return -1;
	return probe_all(r, rs);
}
