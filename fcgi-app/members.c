/* members.c — /api/organizations/:organizationId/users: list, add by email, change role,
 * remove, and leave. The rules (who may touch admin, the last admin) live in sql/005. */
#include "handlers.h"
#include "app.h"
#include "body.h"
#include "paging.h"
#include <string.h>

enum { S_LIST, S_ADD, S_SET_ROLE, S_REMOVE, S_LEAVE, S__MAX };

static const struct db_stmt stmts[S__MAX] = {
	[S_LIST] = { "member_list",
	  "SELECT jsonb_build_object('data', coalesce((SELECT jsonb_agg(member_view(p.m, p.u) "
	  "ORDER BY (p.m).joined_at DESC, (p.m).id) FROM (SELECT m, u FROM memberships m "
	  "JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 AND ($4 = '' OR m.role = $4) "
	  "ORDER BY m.joined_at DESC, m.id LIMIT $2 OFFSET $3) p), '[]'::jsonb), "
	  "'pagination', page_info((SELECT count(*) FROM memberships m WHERE m.org_id = $1 "
	  "AND ($4 = '' OR m.role = $4)), $5, $2))", 5 },
	[S_ADD] = { "member_add",
	  "SELECT membership_view(m, NULL), audit_write('user_added_to_organization', 'user', "
	  "m.user_id::text, jsonb_build_object('role', $2::text, 'userEmail', $1::text), $3, $4) "
	  "FROM member_add($1, $2) m", 4 },
	[S_SET_ROLE] = { "member_set_role",
	  "SELECT membership_view(m, NULL), audit_write('user_role_updated', 'user', $1, "
	  "jsonb_build_object('newRole', $2::text), $3, $4) FROM member_set_role($1::text::uuid, $2) m", 4 },
	[S_REMOVE] = { "member_remove",
	  "SELECT member_remove($1::text::uuid), audit_write('user_removed_from_organization', 'user', "
	  "$1, NULL, $2, $3)", 3 },
	[S_LEAVE] = { "member_leave",
	  "SELECT member_remove(app_user_id()), audit_write('user_left_organization', 'user', "
	  "app_user_id()::text, NULL, $1, $2)", 2 },
};

void
members_register(void)
{
	db_register(stmts, S__MAX);
}

static const char *const roles[] = { "admin", "moderator", "user", "viewer", NULL };

/* `permissions` is accepted and ignored, as in the original: the role decides. */
static const struct vfield add_fields[] = {
	{ .name = "userEmail", .type = V_EMAIL, .flags = VF_REQUIRED | VF_TRIM },
	{ .name = "role", .type = V_STRING, .flags = VF_REQUIRED, .enumv = roles },
	{ .name = "permissions", .type = V_ANY },
	{ .name = NULL },
};

static const struct vfield role_fields[] = {
	{ .name = "role", .type = V_STRING, .flags = VF_REQUIRED, .enumv = roles },
	{ .name = "permissions", .type = V_ANY },
	{ .name = NULL },
};

static int
reply_first(struct req *r, struct resp *rs, PGresult *res, int status, const char *msg)
{
	return reply_db_row(r, rs, res, status, msg, "User is not in this organization");
}

/* GET /api/organizations/:organizationId/users — 200, 400 (user:read) */
int
h_members_list(struct req *r, struct resp *rs)
{
	struct page pg;
	json_object *errors = json_object_new_array();
	page_check(r, errors, &pg);
	const char *role = query_enum(r, errors, "role", roles);
	if (query_done(r, rs, errors) < 0)
		return -1;
	struct db *db = &r->app->db;
	const char *p[5] = { r->org_id, pg.limit_s, pg.offset_s, role ? role : "", pg.page_s };
	PGresult *res = db_exec_commit(db, &stmts[S_LIST], p);
	if (res == NULL)
		return resp_db_error(r, rs, db);
	return reply_first(r, rs, res, 200, NULL);
}

/* POST /api/organizations/:organizationId/users — 201, 400, 403, 404, 409 (user:write) */
int
h_members_add(struct req *r, struct resp *rs)
{
	struct vval v[3];
	if (org_validate_or_reply(r, rs, add_fields, v) < 0)
		return -1;
	struct db *db = &r->app->db;
	const char *p[4] = { v[0].s, v[1].s, r->remote_addr, r->user_agent };
	PGresult *res = db_exec_commit(db, &stmts[S_ADD], p);
	if (res == NULL)
		return resp_db_error(r, rs, db);
	return reply_first(r, rs, res, 201, "User added to organization successfully");
}

/* PUT /api/organizations/:organizationId/users/:userId/role — 200, 400, 403, 404, 409 */
int
h_members_set_role(struct req *r, struct resp *rs)
{
	struct vval v[2];
	if (org_validate_or_reply(r, rs, role_fields, v) < 0)
		return -1;
	struct db *db = &r->app->db;
	const char *p[4] = { req_param(r, 1), v[0].s, r->remote_addr, r->user_agent };
	PGresult *res = db_exec_commit(db, &stmts[S_SET_ROLE], p);
	if (res == NULL)
		return resp_db_error(r, rs, db);
	return reply_first(r, rs, res, 200, "User role updated successfully");
}

/* DELETE /api/organizations/:organizationId/users/:userId — 200, 403, 404, 409
 * (user:delete, or oneself: leaving needs no permission) */
int
h_members_remove(struct req *r, struct resp *rs)
{
	struct db *db = &r->app->db;
	const char *p[3] = { req_param(r, 1), r->remote_addr, r->user_agent };
	PGresult *res = db_exec_commit(db, &stmts[S_REMOVE], p);
	if (res == NULL)
		return resp_db_error(r, rs, db);
	PQclear(res);
	resp_ok(rs, 200, "User removed from organization successfully", NULL);
	return 0;
}

/* POST /api/organizations/:organizationId/leave — 200, 409 (the last admin stays) */
int
h_members_leave(struct req *r, struct resp *rs)
{
	struct db *db = &r->app->db;
	const char *p[2] = { r->remote_addr, r->user_agent };
	PGresult *res = db_exec_commit(db, &stmts[S_LEAVE], p);
	if (res == NULL)
		return resp_db_error(r, rs, db);
	PQclear(res);
	resp_ok(rs, 200, "You left the organization", NULL);
	return 0;
}
