/* webtoons.c — /api/webtoons/:organizationId[/:webtoonId]: create, list (filters, literal
 * search, sort, pages), get (counts a view in the same round trip), update (partial),
 * delete (episodes go, analytics stay), publish, unpublish, archive. */
#include "handlers.h"
#include "app.h"
#include "audit.h"
#include "body.h"
#include "contentrules.h"
#include "paging.h"
#include "rcache.h"
#include "views.h"
#include "util.h"
#include "webtoonlist.h"
#include <string.h>

enum { S_INSERT, S_LIST, S_VIEW, S_UPDATE, S_DELETE, S_STATUS, S__MAX };

#define W_EXPAND "webtoon_view(w, true, false)"

static const struct db_stmt stmts[S__MAX] = {
	[S_INSERT] = { "webtoon_insert",
	  "INSERT INTO webtoons AS w (id, org_id, title, description, cover_image, tags, categories, "
	  "created_by) VALUES ($1, app_org_id(), $2, $3, $4, coalesce(text_array($5::jsonb), '{}'), "
	  "coalesce(text_array($6::jsonb), '{}'), app_user_id()) RETURNING " W_EXPAND, 6 },
	[S_LIST] = { "webtoon_list", "SELECT (" WEBTOON_LIST_SQL("false") "), app_org_role()", 7 },
	/* the read: "<view_count> <webtoon without viewCount>", what is cached; the view is
	 * counted by views.c. The role decides whether the caller's access may be cached */
	[S_VIEW] = { "webtoon_read",
	  "SELECT w.view_count || ' ' || (webtoon_view(w, true, false) - 'viewCount'), "
	  "app_org_role() FROM webtoons w WHERE w.id = $1 AND w.org_id = app_org_id()", 1 },
	[S_UPDATE] = { "webtoon_update",
	  "UPDATE webtoons w SET title = coalesce($2, title), "
	  "description = CASE WHEN $3::boolean THEN $4 ELSE description END, "
	  "cover_image = CASE WHEN $5::boolean THEN $6 ELSE cover_image END, "
	  "tags = coalesce(text_array($7::jsonb), tags), "
	  "categories = coalesce(text_array($8::jsonb), categories) "
	  "WHERE w.id = $1 AND w.org_id = app_org_id() RETURNING " W_EXPAND, 8 },
	[S_DELETE] = { "webtoon_delete",
	  "DELETE FROM webtoons w WHERE w.id = $1 AND w.org_id = app_org_id() RETURNING w.id", 1 },
	[S_STATUS] = { "webtoon_set_status",
	  "UPDATE webtoons w SET status = $2 WHERE w.id = $1 AND w.org_id = app_org_id() "
	  "RETURNING " W_EXPAND, 2 },
};

void
webtoons_register(void)
{
	db_register(stmts, S__MAX);
	audit_register();
}

#define IMAGE_URL_MSG "must be a valid uri (our /media/ URL or an https URL)"

static const struct vfield create_fields[] = {
	{ .name = "title", .type = V_STRING, .flags = VF_REQUIRED | VF_TRIM, .min = 1, .max = 200 },
	{ .name = "description", .type = V_STRING, .flags = VF_TRIM, .max = 1000 },
	{ .name = "coverImage", .type = V_STRING, .flags = VF_TRIM, .max = 2048,
	  .check = valid_image_url, .check_msg = IMAGE_URL_MSG },
	{ .name = "tags", .type = V_ARRAY_STR, .flags = VF_TRIM, .min = 1, .max = 50, .max_items = 30 },
	{ .name = "categories", .type = V_ARRAY_STR, .flags = VF_TRIM, .min = 1, .max = 50,
	  .max_items = 30 },
	{ .name = NULL },
};

static const struct vfield update_fields[] = {
	{ .name = "title", .type = V_STRING, .flags = VF_TRIM, .min = 1, .max = 200 },
	{ .name = "description", .type = V_STRING, .flags = VF_TRIM | VF_NULLABLE | VF_ALLOW_EMPTY,
	  .max = 1000 },
	{ .name = "coverImage", .type = V_STRING, .flags = VF_TRIM | VF_NULLABLE, .max = 2048,
	  .check = valid_image_url, .check_msg = IMAGE_URL_MSG },
	{ .name = "tags", .type = V_ARRAY_STR, .flags = VF_TRIM, .min = 1, .max = 50, .max_items = 30 },
	{ .name = "categories", .type = V_ARRAY_STR, .flags = VF_TRIM, .min = 1, .max = 50,
	  .max_items = 30 },
	{ .name = NULL },
};
enum { F_TITLE, F_DESC, F_COVER, F_TAGS, F_CATEGORIES };

/* The webtoon in res (cleared) as the answer, or 404 when there is none. */
static int
reply_webtoon(struct req *r, struct resp *rs, PGresult *res, int status, const char *msg)
{
	return reply_db_row(r, rs, res, status, msg, "Webtoon not found");
}

/* POST /api/webtoons/:organizationId — 201, 400 (content:write) */
int
h_webtoon_create(struct req *r, struct resp *rs)
{
	struct vval v[5];
	if (org_validate_or_reply(r, rs, create_fields, v) < 0)
		return -1;
	char id[37];
	if (util_uuid4(id) < 0)
		return resp_error(r, rs, 500, "internal", "Internal server error", NULL);
	const char *wid = arena_strdup(&r->arena, id);
	struct db *db = &r->app->db;
	const char *p[6] = { wid, v[F_TITLE].s, vval_text(&v[F_DESC]), vval_text(&v[F_COVER]),
	    json_param(r, v[F_TAGS].o), json_param(r, v[F_CATEGORIES].o) };
	audit_queue(r, r->org_id, r->user_id, "webtoon_created", "webtoon", wid, NULL);
	PGresult *res = db_exec_commit(db, &stmts[S_INSERT], p);
	if (res == NULL)
		return resp_db_error(r, rs, db);
	return reply_webtoon(r, rs, res, 201, "Webtoon created successfully");
}

/* The list's cache key: its parameters as parsed, in one order, values normalized, so
 * no two spellings of a query and no unknown parameter make another entry. Searches are
 * not cached (each is its own answer: a cache of them would mostly hold misses); a query
 * that does not parse is not either (the handler answers 400). */
const char *
webtoon_list_cache_key(struct req *r)
{
	struct resp scratch;
	struct webtoon_query q;
	memset(&scratch, 0, sizeof(scratch));
	int bad = webtoon_query_parse(r, &scratch, &q, true);
	resp_reset(&scratch);
	return bad < 0 ? NULL : webtoon_query_key(r, &q);
}

/* A webtoon's cache key: the path names it; no query parameter changes the answer. */
const char *
webtoon_cache_key(struct req *r)
{
	(void)r;
	return "";
}

/* GET /api/webtoons/:organizationId — 200, 400 (content:read; cached) */
int
h_webtoon_list(struct req *r, struct resp *rs)
{
	if (r->cached) {
		resp_ok_raw(r, rs, 200, NULL, r->cached);
		return 0;
	}
	struct webtoon_query q;
	if (webtoon_query_parse(r, rs, &q, true) < 0)
		return -1;
	struct db *db = &r->app->db;
	const char *p[7] = { q.status, q.tag, q.search, q.sort, q.pg.limit_s, q.pg.offset_s,
	    q.pg.page_s };
	PGresult *res = db_exec_commit(db, &stmts[S_LIST], p);
	if (res == NULL)
		return resp_db_error(r, rs, db);
	char *data = PQgetvalue(res, 0, 0);
	json_compact(data);
	rcache_store(r, data, PQgetvalue(res, 0, 1));
	resp_ok_raw(r, rs, 200, NULL, data);
	PQclear(res);
	return 0;
}

/* GET /api/webtoons/:organizationId/:webtoonId — 200, 404 (content:read; cached; a GET
 * counts a view, HEAD does not) */
int
h_webtoon_get(struct req *r, struct resp *rs)
{
	const char *data = r->cached;
	PGresult *res = NULL;
	if (data == NULL) {
		struct db *db = &r->app->db;
		const char *p[1] = { req_param(r, 1) };
		res = db_exec_commit(db, &stmts[S_VIEW], p);
		if (res == NULL)
			return resp_db_error(r, rs, db);
		if (PQntuples(res) != 1) {
			PQclear(res);
			return resp_error(r, rs, 404, "not_found", "Webtoon not found", NULL);
		}
		char *row = PQgetvalue(res, 0, 0), *json = strchr(row, ' ');
		if (json)
			json_compact(json + 1); /* "<view_count> <json>" */
		data = row;
		rcache_store(r, data, PQgetvalue(res, 0, 1));
	}
	long long written = r->rc_written;
	long long extra = r->rc_counted ? r->rc_pending : r->is_head ? 0 :
	    views_count(r, r->org_id, req_param(r, 1), NULL, &written);
	views_reply_counted(r, rs, data, extra, written);
	PQclear(res);
	return 0;
}

/* PUT /api/webtoons/:organizationId/:webtoonId — 200, 400, 404 (content:write) */
int
h_webtoon_update(struct req *r, struct resp *rs)
{
	struct vval v[5];
	if (org_validate_or_reply(r, rs, update_fields, v) < 0)
		return -1;
	struct db *db = &r->app->db;
	const char *wid = req_param(r, 1);
	const char *p[8] = { wid, v[F_TITLE].present ? v[F_TITLE].s : NULL,
	    v[F_DESC].present ? "true" : "false", vval_text(&v[F_DESC]),
	    v[F_COVER].present ? "true" : "false", vval_text(&v[F_COVER]),
	    json_param(r, v[F_TAGS].o), json_param(r, v[F_CATEGORIES].o) };
	PGresult *res = db_exec(db, &stmts[S_UPDATE], p);
	if (res == NULL)
		return resp_db_error(r, rs, db);
	if (PQntuples(res) == 1) {
		json_object *m = json_object_new_object();
		json_object_object_add(m, "changes", r->json ? json_object_get(r->json) : NULL);
		audit_queue(r, r->org_id, r->user_id, "webtoon_updated", "webtoon", wid, m);
	}
	if (db_commit(db) != DB_OK) {
		PQclear(res);
		return resp_db_error(r, rs, db);
	}
	return reply_webtoon(r, rs, res, 200, "Webtoon updated successfully");
}

/* DELETE /api/webtoons/:organizationId/:webtoonId — 200, 404 (content:delete) */
int
h_webtoon_delete(struct req *r, struct resp *rs)
{
	struct db *db = &r->app->db;
	const char *wid = req_param(r, 1);
	const char *p[1] = { wid };
	PGresult *res = db_exec(db, &stmts[S_DELETE], p);
	if (res == NULL)
		return resp_db_error(r, rs, db);
	bool found = PQntuples(res) == 1;
	PQclear(res);
	if (!found) {
		db_rollback(db);
		return resp_error(r, rs, 404, "not_found", "Webtoon not found", NULL);
	}
	audit_queue(r, r->org_id, r->user_id, "webtoon_deleted", "webtoon", wid, NULL);
	if (db_commit(db) != DB_OK)
		return resp_db_error(r, rs, db);
	resp_ok(rs, 200, "Webtoon deleted successfully", NULL);
	return 0;
}

static int
set_status(struct req *r, struct resp *rs, const char *status, const char *action,
    const char *msg)
{
	struct db *db = &r->app->db;
	const char *wid = req_param(r, 1);
	const char *p[2] = { wid, status };
	PGresult *res = db_exec(db, &stmts[S_STATUS], p);
	if (res == NULL)
		return resp_db_error(r, rs, db);
	if (PQntuples(res) == 1)
		audit_queue(r, r->org_id, r->user_id, action, "webtoon", wid, NULL);
	if (db_commit(db) != DB_OK) {
		PQclear(res);
		return resp_db_error(r, rs, db);
	}
	return reply_webtoon(r, rs, res, 200, msg);
}

/* POST …/:webtoonId/publish — 200, 404 (content:write; publishedAt set the first time) */
int
h_webtoon_publish(struct req *r, struct resp *rs)
{
	return set_status(r, rs, "published", "webtoon_published", "Webtoon published successfully");
}

/* POST …/:webtoonId/unpublish — 200, 404 (content:write; back to draft) */
int
h_webtoon_unpublish(struct req *r, struct resp *rs)
{
	return set_status(r, rs, "draft", "webtoon_unpublished", "Webtoon unpublished successfully");
}

/* POST …/:webtoonId/archive — 200, 404 (content:write) */
int
h_webtoon_archive(struct req *r, struct resp *rs)
{
	return set_status(r, rs, "archived", "webtoon_archived", "Webtoon archived successfully");
}
