/* organizations.c — /api/organizations: create, list, get, update (settings merged deeply),
 * status (super admin), soft delete, public lookup by subdomain, subdomain availability. */
#include "handlers.h"
#include "app.h"
#include "audit.h"
#include "body.h"
#include "paging.h"
#include "orgrules.h"
#include "util.h"
#include <stdio.h>
#include <string.h>

enum {
	S_CREATE_LIMIT, S_INSERT, S_ADMIN_MEMBER, S_VIEW, S_UPDATE, S_DELETE, S_LIST_ALL,
	S_LIST_MINE, S_BY_SUBDOMAIN, S_SUBDOMAIN_TAKEN, S_IS_SUPER, S__MAX
};

/* the organizations a list shows: $1 search (literal, case-insensitive), $2 status */
#define LIST_WHERE \
	"o.deleted_at IS NULL AND ($1 = '' OR strpos(lower(o.name), lower($1)) > 0 " \
	"OR strpos(o.subdomain, lower($1)) > 0) AND ($2 = '' OR o.status = $2)"
#define LIST_PAGE(from) \
	"SELECT jsonb_build_object('data', coalesce((SELECT jsonb_agg(org_view(p) " \
	"ORDER BY p.created_at DESC, p.id) FROM (SELECT o.* FROM " from " WHERE " LIST_WHERE \
	" ORDER BY o.created_at DESC, o.id LIMIT $3 OFFSET $4) p), '[]'::jsonb), " \
	"'pagination', page_info((SELECT count(*) FROM " from " WHERE " LIST_WHERE "), $5, $3))"
#define MINE "organizations o JOIN memberships m ON m.org_id = o.id " \
	"AND m.user_id = app_user_id() AND m.is_active"

static const struct db_stmt stmts[S__MAX] = {
	[S_CREATE_LIMIT] = { "org_create_limit", "SELECT org_check_create_limit($1::int)", 1 },
	[S_INSERT] = { "org_insert",
	  "INSERT INTO organizations (id, name, subdomain, domain, settings, created_by) "
	  "VALUES ($1, $2, $3, $4, org_settings_merge('{\"theme\":\"light\",\"language\":\"mn\","
	  "\"timezone\":\"Asia/Ulaanbaatar\",\"features\":{\"webtoons\":true,"
	  "\"analytics\":true,\"payments\":true,\"notifications\":true}}'::jsonb, $5::jsonb), "
	  "app_user_id())", 5 },
	[S_ADMIN_MEMBER] = { "org_admin_member",
	  "INSERT INTO memberships (org_id, user_id, role) VALUES ($1, app_user_id(), 'admin')", 1 },
	[S_VIEW] = { "org_view",
	  "SELECT org_view(o) FROM organizations o WHERE o.id = $1 AND o.deleted_at IS NULL", 1 },
	[S_UPDATE] = { "org_update",
	  "UPDATE organizations o SET name = coalesce($2, name), subdomain = coalesce($3, subdomain), "
	  "domain = CASE WHEN $4::boolean THEN $5 ELSE domain END, "
	  "settings = org_settings_merge(settings, $6::jsonb), "
	  "status = org_next_status(status, $7) "
	  "WHERE o.id = $1 AND o.deleted_at IS NULL RETURNING org_view(o)", 7 },
	[S_DELETE] = { "org_soft_delete",
	  "UPDATE organizations SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL", 1 },
	[S_LIST_ALL] = { "org_list_all", LIST_PAGE("organizations o"), 5 },
	[S_LIST_MINE] = { "org_list_mine", LIST_PAGE(MINE), 5 },
	[S_BY_SUBDOMAIN] = { "org_by_subdomain",
	  "SELECT org_view(o) FROM organizations o WHERE lower(o.subdomain) = lower($1) "
	  "AND o.deleted_at IS NULL AND o.status = 'active'", 1 },
	[S_SUBDOMAIN_TAKEN] = { "org_subdomain_taken",
	  "SELECT EXISTS (SELECT 1 FROM organizations WHERE lower(subdomain) = lower($1) "
	  "AND deleted_at IS NULL)", 1 },
	[S_IS_SUPER] = { "org_is_super", "SELECT app_is_super_admin()", 0 },
};

void
organizations_register(void)
{
	db_register(stmts, S__MAX);
	audit_register();
}

/* ---- validation (original-api.md §1.0 OrganizationBody, with the intended rules) ---- */

static const char *const themes[] = { "light", "dark", NULL };
static const char *const statuses[] = { "pending", "active", "suspended", "inactive", NULL };

static bool
lang_ok(const char *s, size_t n)
{
	return n == 2 && s[0] >= 'a' && s[0] <= 'z' && s[1] >= 'a' && s[1] <= 'z';
}

static const struct vfield feature_fields[] = {
	{ .name = "webtoons", .type = V_BOOL },
	{ .name = "analytics", .type = V_BOOL },
	{ .name = "payments", .type = V_BOOL },
	{ .name = "notifications", .type = V_BOOL },
	{ .name = NULL },
};

static const struct vfield settings_fields[] = {
	{ .name = "theme", .type = V_STRING, .enumv = themes },
	{ .name = "language", .type = V_STRING, .check = lang_ok,
	  .check_msg = "must be a two-letter lower-case language code" },
	{ .name = "timezone", .type = V_STRING, .max = 64, .check = valid_timezone,
	  .check_msg = "must be an IANA time zone name (e.g. Asia/Ulaanbaatar)" },
	{ .name = "features", .type = V_OBJECT, .sub = feature_fields },
	{ .name = NULL },
};

#define SUBDOMAIN_FIELD(fl) { .name = "subdomain", .type = V_STRING, .flags = (fl) | VF_TRIM, \
	.min = 3, .max = 30, .check = valid_subdomain, \
	.check_msg = "must only contain letters, digits and inner hyphens" }

static const struct vfield create_fields[] = {
	{ .name = "name", .type = V_STRING, .flags = VF_REQUIRED | VF_TRIM, .min = 2, .max = 100 },
	SUBDOMAIN_FIELD(VF_REQUIRED),
	{ .name = "domain", .type = V_STRING, .flags = VF_TRIM, .max = 253, .check = valid_domain,
	  .check_msg = "must contain a valid domain name" },
	{ .name = "settings", .type = V_OBJECT, .sub = settings_fields },
	{ .name = NULL },
};

static const struct vfield update_fields[] = {
	{ .name = "name", .type = V_STRING, .flags = VF_TRIM, .min = 2, .max = 100 },
	SUBDOMAIN_FIELD(0),
	{ .name = "domain", .type = V_STRING, .flags = VF_TRIM | VF_NULLABLE, .max = 253,
	  .check = valid_domain, .check_msg = "must contain a valid domain name" },
	{ .name = "settings", .type = V_OBJECT, .sub = settings_fields },
	{ .name = "status", .type = V_STRING, .enumv = statuses },
	{ .name = NULL },
};
enum { F_NAME, F_SUBDOMAIN, F_DOMAIN, F_SETTINGS, F_STATUS };

static const struct vfield status_fields[] = {
	{ .name = "status", .type = V_STRING, .flags = VF_REQUIRED, .enumv = statuses },
	{ .name = NULL },
};

/* An ASCII lower-case copy in the request arena (subdomains and domains are stored so). */
static const char *
lower_copy(struct req *r, const char *in)
{
	char *s = arena_strdup(&r->arena, in);
	for (char *p = s; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return s;
}

/* The subdomain value as stored (lower case), or NULL with a reserved-name error added. */
static const char *
subdomain_value(struct req *r, const struct vval *v, json_object *errors)
{
	const char *s = lower_copy(r, v->s);
	if (subdomain_reserved(s)) {
		validate_error(errors, "subdomain", "\"subdomain\" is reserved");
		return NULL;
	}
	return s;
}

/*
 * The field table, then the reserved names: every error at once. 0 with *sub the stored
 * subdomain (NULL when absent), or -1 with 400 answered. On an organization route the
 * queued access check is read first: a caller who may not act there gets that answer
 * (404/403), never a hint from validating their body.
 */
static int
org_body_or_reply(struct req *r, struct resp *rs, const struct vfield *f, struct vval *v,
    const char **sub)
{
	json_object *errors = json_object_new_array();
	validate_body(&r->arena, r->json, f, v, errors);
	*sub = v[F_SUBDOMAIN].s ? subdomain_value(r, &v[F_SUBDOMAIN], errors) : NULL;
	if (json_object_array_length(errors) == 0) {
		json_object_put(errors);
		return 0;
	}
	struct db *db = &r->app->db;
	if (db->in_tx) {
		if (db_flush(db) != DB_OK) {
			json_object_put(errors);
			return resp_db_error(r, rs, db);
		}
		db_rollback(db);
	}
	return resp_invalid(r, rs, errors);
}

static int
subdomain_conflict_or(struct req *r, struct resp *rs, const struct db *db)
{
	if (db->status == DB_CONFLICT && strstr(db->constraint, "subdomain"))
		return resp_error(r, rs, 409, "conflict", "Subdomain already exists", NULL);
	return resp_db_error(r, rs, db);
}

/* Answer with the organization in res (cleared), 404 when there is none. */
static int
reply_row(struct req *r, struct resp *rs, PGresult *res, int status, const char *msg)
{
	return reply_db_row(r, rs, res, status, msg, "Organization not found");
}

/* ---- handlers ---- */

/* POST /api/organizations — 201, 400, 409 (subdomain taken, limit reached) */
int
h_org_create(struct req *r, struct resp *rs)
{
	struct vval v[4];
	const char *sub;
	if (org_body_or_reply(r, rs, create_fields, v, &sub) < 0)
		return -1;
	char id[37], limit[24];
	if (util_uuid4(id) < 0)
		return resp_error(r, rs, 500, "internal", "Internal server error", NULL);
	snprintf(limit, sizeof(limit), "%ld", r->app->cfg->org_limit_per_user);
	struct db *db = &r->app->db;
	r->org_id = arena_strdup(&r->arena, id);
	if (db_begin(db, r->org_id, r->user_id) != DB_OK)
		return resp_db_error(r, rs, db);
	const char *pl[1] = { limit };
	db_queue(db, &stmts[S_CREATE_LIMIT], pl);
	const char *pi[5] = { r->org_id, v[F_NAME].s, sub,
	    v[F_DOMAIN].present ? lower_copy(r, v[F_DOMAIN].s) : NULL,
	    json_param(r, v[F_SETTINGS].o) };
	db_queue(db, &stmts[S_INSERT], pi);
	const char *pm[1] = { r->org_id };
	db_queue(db, &stmts[S_ADMIN_MEMBER], pm);
	audit_queue(r, r->org_id, r->user_id, "organization_created", "organization", r->org_id,
	    NULL);
	PGresult *res = db_exec_commit(db, &stmts[S_VIEW], pm);
	if (res == NULL)
		return subdomain_conflict_or(r, rs, db);
	return reply_row(r, rs, res, 201, "Organization created successfully");
}

/* GET /api/organizations — 200, 400: a super admin sees every organization, others theirs */
int
h_org_list(struct req *r, struct resp *rs)
{
	struct page pg;
	json_object *errors = json_object_new_array();
	page_check(r, errors, &pg);
	const char *status = query_enum(r, errors, "status", statuses);
	const char *search = query_text(r, errors, "search", 100);
	if (query_done(r, rs, errors) < 0)
		return -1;
	struct db *db = &r->app->db;
	if (db_begin(db, NULL, r->user_id) != DB_OK)
		return resp_db_error(r, rs, db);
	PGresult *sup = db_exec(db, &stmts[S_IS_SUPER], NULL);
	if (sup == NULL)
		return resp_db_error(r, rs, db);
	bool super = PQgetvalue(sup, 0, 0)[0] == 't';
	PQclear(sup);
	const char *p[5] = { search ? search : "", status ? status : "", pg.limit_s, pg.offset_s,
	    pg.page_s };
	PGresult *res = db_exec_commit(db, &stmts[super ? S_LIST_ALL : S_LIST_MINE], p);
	if (res == NULL)
		return resp_db_error(r, rs, db);
	resp_ok_raw(r, rs, 200, NULL, PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

/* GET /api/organizations/:organizationId — 200 (R_ORG, any status) */
int
h_org_get(struct req *r, struct resp *rs)
{
	struct db *db = &r->app->db;
	const char *p[1] = { r->org_id };
	PGresult *res = db_exec_commit(db, &stmts[S_VIEW], p);
	if (res == NULL)
		return resp_db_error(r, rs, db);
	return reply_row(r, rs, res, 200, NULL);
}

/* PUT with `status` or PUT .../status: only a super admin moves an organization's status. */
static int
require_super(struct req *r, struct resp *rs)
{
	struct db *db = &r->app->db;
	PGresult *sup = db_exec(db, &stmts[S_IS_SUPER], NULL);
	if (sup == NULL)
		return resp_db_error(r, rs, db);
	bool super = PQgetvalue(sup, 0, 0)[0] == 't';
	PQclear(sup);
	if (!super) {
		db_rollback(db);
		return resp_error(r, rs, 403, "forbidden",
		    "Only a super admin can change an organization's status", NULL);
	}
	return 0;
}

/* PUT /api/organizations/:organizationId — 200, 400, 403, 409 (org:write) */
int
h_org_update(struct req *r, struct resp *rs)
{
	struct vval v[5];
	const char *sub;
	if (org_body_or_reply(r, rs, update_fields, v, &sub) < 0)
		return -1;
	if (v[F_STATUS].present && require_super(r, rs) < 0)
		return -1;
	struct db *db = &r->app->db;
	const char *p[7] = { r->org_id, v[F_NAME].present ? v[F_NAME].s : NULL, sub,
	    v[F_DOMAIN].present ? "true" : "false",
	    v[F_DOMAIN].present && !v[F_DOMAIN].is_null ? lower_copy(r, v[F_DOMAIN].s) : NULL,
	    json_param(r, v[F_SETTINGS].o), v[F_STATUS].present ? v[F_STATUS].s : NULL };
	json_object *m = json_object_new_object();
	json_object_object_add(m, "changes", r->json ? json_object_get(r->json) : NULL);
	audit_queue(r, r->org_id, r->user_id, "organization_updated", "organization", r->org_id, m);
	PGresult *res = db_exec_commit(db, &stmts[S_UPDATE], p);
	if (res == NULL)
		return subdomain_conflict_or(r, rs, db);
	return reply_row(r, rs, res, 200, "Organization updated successfully");
}

/* PUT /api/organizations/:organizationId/status — 200, 400, 403, 409 (super admin) */
int
h_org_set_status(struct req *r, struct resp *rs)
{
	struct vval v[1];
	if (org_validate_or_reply(r, rs, status_fields, v) < 0)
		return -1;
	if (require_super(r, rs) < 0)
		return -1;
	struct db *db = &r->app->db;
	const char *p[7] = { r->org_id, NULL, NULL, "false", NULL, NULL, v[0].s };
	json_object *m = json_object_new_object();
	json_object_object_add(m, "status", json_object_new_string(v[0].s));
	audit_queue(r, r->org_id, r->user_id, "organization_status_changed", "organization",
	    r->org_id, m);
	PGresult *res = db_exec_commit(db, &stmts[S_UPDATE], p);
	if (res == NULL)
		return resp_db_error(r, rs, db);
	return reply_row(r, rs, res, 200, "Organization status updated successfully");
}

/* DELETE /api/organizations/:organizationId — 200 (org:delete). A soft delete: the
 * organization and everything in it leave every API at once; `webixctl org purge`
 * removes the rows later. */
int
h_org_delete(struct req *r, struct resp *rs)
{
	struct db *db = &r->app->db;
	const char *p[1] = { r->org_id };
	audit_queue(r, r->org_id, r->user_id, "organization_deleted", "organization", r->org_id,
	    NULL);
	PGresult *res = db_exec_commit(db, &stmts[S_DELETE], p);
	if (res == NULL)
		return resp_db_error(r, rs, db);
	PQclear(res);
	resp_ok(rs, 200, "Organization deleted successfully", NULL);
	return 0;
}

/* GET /api/organizations/subdomain/:subdomain — 200, 404 (public; active organizations) */
int
h_org_by_subdomain(struct req *r, struct resp *rs)
{
	const char *sub = req_param(r, 0);
	if (!valid_subdomain(sub, strlen(sub)))
		return resp_error(r, rs, 404, "not_found", "Organization not found", NULL);
	struct db *db = &r->app->db;
	if (db_begin(db, NULL, NULL) != DB_OK)
		return resp_db_error(r, rs, db);
	const char *p[1] = { sub };
	PGresult *res = db_exec_commit(db, &stmts[S_BY_SUBDOMAIN], p);
	if (res == NULL)
		return resp_db_error(r, rs, db);
	return reply_row(r, rs, res, 200, NULL);
}

/* GET /api/organizations/check-subdomain/:subdomain — 200 {available, reason?} (public) */
int
h_org_check_subdomain(struct req *r, struct resp *rs)
{
	const char *sub = req_param(r, 0);
	size_t n = strlen(sub);
	const char *reason = NULL;
	if (n < 3 || n > 30 || !valid_subdomain(sub, n))
		reason = "invalid";
	else if (subdomain_reserved(lower_copy(r, sub)))
		reason = "reserved";
	if (reason == NULL) {
		struct db *db = &r->app->db;
		if (db_begin(db, NULL, NULL) != DB_OK)
			return resp_db_error(r, rs, db);
		const char *p[1] = { sub };
		PGresult *res = db_exec_commit(db, &stmts[S_SUBDOMAIN_TAKEN], p);
		if (res == NULL)
			return resp_db_error(r, rs, db);
		if (PQgetvalue(res, 0, 0)[0] == 't')
			reason = "taken";
		PQclear(res);
	}
	json_object *d = json_object_new_object();
	json_object_object_add(d, "available", json_object_new_boolean(reason == NULL));
	if (reason)
		json_object_object_add(d, "reason", json_object_new_string(reason));
	resp_ok(rs, 200, NULL, d);
	return 0;
}
