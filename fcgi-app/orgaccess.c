/* orgaccess.c — opens an organization route's transaction and queues its access check. */
#include "orgaccess.h"
#include "app.h"
#include "router.h"

static const struct db_stmt check_stmt = { "org_access_check",
	"SELECT app_require_org($1::uuid, $2, NULLIF($3, ''), $4::boolean, $5, $6, $7)", 7 };

void
orgaccess_register(void)
{
	db_register(&check_stmt, 1);
}

int
org_access_begin(struct req *r, struct resp *rs)
{
	const struct route *rt = r->route;
	struct db *db = &r->app->db;
	r->org_id = req_param(r, 0);
	if (db_begin(db, r->org_id, r->user_id) != DB_OK)
		return resp_db_error(r, rs, db);
	const char *p[7] = { r->org_id, r->tenant ? r->tenant : "",
	    rt->permission ? rt->permission : "", (rt->flags & R_ANY_STATUS) ? "false" : "true",
	    arena_printf(&r->arena, "%s %s", r->is_head ? "HEAD" : r->method, r->path),
	    r->remote_addr, r->user_agent };
	db_queue(db, &check_stmt, p);
	return 0;
}
