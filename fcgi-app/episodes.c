/* episodes.c — /api/webtoons/:organizationId/:webtoonId/episodes[/:episodeId]: create
 * (numbered max + 1 under the webtoon's row lock, or the client's number; a duplicate is
 * 409), list in number order, get (counts a view), update, delete, publish. An episode is
 * reachable only through its own webtoon and organization. Each call is one round trip.
 *
 * Lock order: whatever changes episode numbers or the webtoon's episodeCount (create, a
 * renumbering update, delete) locks the webtoon row first, then episode rows — the order
 * of DELETE of a webtoon (its row, then its episodes by cascade). So a renumbering cannot
 * slip under a create's max + 1 (a spurious 409), and deleting an episode while its
 * webtoon is deleted cannot deadlock. */
#include "handlers.h"
#include "app.h"
#include "body.h"
#include "contentrules.h"
#include "paging.h"
#include "views.h"
#include "util.h"
#include <string.h>

enum { S_LOCK, S_INSERT, S_LIST, S_GET, S_UPDATE, S_DELETE, S_PUBLISH, S__MAX };

#define E_OF(e) "e.id = $2 AND e.webtoon_id = $1 AND e.org_id = app_org_id()"
#define E_VIEW "episode_view(e::episodes, true, false)"

static const struct db_stmt stmts[S__MAX] = {
	/* serialises numbering per webtoon (see "Lock order" above); the next statement's
	 * snapshot is taken after it */
	[S_LOCK] = { "episode_lock_webtoon",
	  "SELECT 1 FROM webtoons w WHERE w.id = $1 AND w.org_id = app_org_id() FOR UPDATE", 1 },
	[S_INSERT] = { "episode_insert",
	  "WITH e AS (INSERT INTO episodes (id, org_id, webtoon_id, episode_number, title, "
	  "description, content, images, created_by) SELECT $2, w.org_id, w.id, "
	  "coalesce($3::int, (SELECT coalesce(max(x.episode_number), 0) + 1 FROM episodes x "
	  "WHERE x.webtoon_id = w.id)), $4, $5, $6, coalesce(text_array($7::jsonb), '{}'), "
	  "app_user_id() FROM webtoons w WHERE w.id = $1 AND w.org_id = app_org_id() RETURNING *) "
	  "SELECT " E_VIEW ", audit_write('episode_created', 'episode', e.id::text, "
	  "jsonb_build_object('webtoonId', e.webtoon_id, 'episodeNumber', e.episode_number), "
	  "$8, $9) FROM e", 9 },
	[S_LIST] = { "episode_list",
	  "SELECT CASE WHEN EXISTS (SELECT 1 FROM webtoons w WHERE w.id = $1 "
	  "AND w.org_id = app_org_id()) THEN jsonb_build_object('data', coalesce((SELECT "
	  "jsonb_agg(episode_view(p, true, false) ORDER BY p.episode_number) FROM (SELECT e.* "
	  "FROM episodes e WHERE e.webtoon_id = $1 AND e.org_id = app_org_id() AND "
	  "($2 = '' OR e.status = $2) ORDER BY e.episode_number LIMIT $3 OFFSET $4) p), "
	  "'[]'::jsonb), 'pagination', page_info((SELECT count(*) FROM episodes e "
	  "WHERE e.webtoon_id = $1 AND e.org_id = app_org_id() AND ($2 = '' OR e.status = $2)), "
	  "$5, $3)) END", 5 },
	/* the read; views.c counts the view */
	[S_GET] = { "episode_read", "SELECT e.view_count || ' ' || (" E_VIEW " - 'viewCount') "
	  "FROM episodes e WHERE " E_OF(e), 2 },
	[S_UPDATE] = { "episode_update",
	  "WITH e AS (UPDATE episodes e SET title = coalesce($3, title), "
	  "description = CASE WHEN $4::boolean THEN $5 ELSE description END, "
	  "content = CASE WHEN $6::boolean THEN $7 ELSE content END, "
	  "images = coalesce(text_array($8::jsonb), images), "
	  "episode_number = coalesce($9::int, episode_number) WHERE " E_OF(e) " RETURNING e.*) "
	  "SELECT " E_VIEW ", audit_write('episode_updated', 'episode', e.id::text, "
	  "jsonb_build_object('webtoonId', e.webtoon_id), $10, $11) FROM e", 11 },
	[S_DELETE] = { "episode_delete",
	  "WITH e AS (DELETE FROM episodes e WHERE " E_OF(e) " RETURNING e.id, e.webtoon_id) "
	  "SELECT audit_write('episode_deleted', 'episode', e.id::text, "
	  "jsonb_build_object('webtoonId', e.webtoon_id), $3, $4) FROM e", 4 },
	[S_PUBLISH] = { "episode_publish",
	  "WITH e AS (UPDATE episodes e SET status = 'published' WHERE " E_OF(e) " RETURNING e.*) "
	  "SELECT " E_VIEW ", audit_write('episode_published', 'episode', e.id::text, "
	  "jsonb_build_object('webtoonId', e.webtoon_id), $3, $4) FROM e", 4 },
};

void
episodes_register(void)
{
	db_register(stmts, S__MAX);
}

#define IMAGE_URL_MSG "must be a valid uri (our /media/ URL or an https URL)"
#define EPISODE_FIELDS(title_flags, opt_flags) { \
	{ .name = "title", .type = V_STRING, .flags = (title_flags) | VF_TRIM, .min = 1, .max = 200 }, \
	{ .name = "description", .type = V_STRING, .flags = VF_TRIM | (opt_flags), .max = 1000 }, \
	{ .name = "content", .type = V_STRING, .flags = VF_TRIM | (opt_flags), .max = 100000 }, \
	{ .name = "images", .type = V_ARRAY_STR, .flags = VF_TRIM, .max = 2048, .max_items = 500, \
	  .check = valid_image_url, .check_msg = IMAGE_URL_MSG }, \
	{ .name = "episodeNumber", .type = V_INT, .min = 1, .max = 1000000 }, \
	{ .name = NULL } }

static const struct vfield create_fields[] = EPISODE_FIELDS(VF_REQUIRED, 0);
static const struct vfield update_fields[] = EPISODE_FIELDS(0, VF_NULLABLE | VF_ALLOW_EMPTY);
enum { F_TITLE, F_DESC, F_CONTENT, F_IMAGES, F_NUMBER };
static const char *const statuses[] = { "draft", "published", "archived", NULL };

static const char *
number_or_null(struct req *r, const struct vval *v)
{
	return v->present ? arena_printf(&r->arena, "%lld", (long long)v->i) : NULL;
}

static int
failed(struct req *r, struct resp *rs, const struct db *db)
{
	if (db->status == DB_CONFLICT && strstr(db->constraint, "episodes_number_key"))
		return resp_error(r, rs, 409, "conflict",
		    "An episode with this number already exists in this webtoon", NULL);
	return resp_db_error(r, rs, db);
}

/* POST …/:webtoonId/episodes — 201, 400, 404, 409 (content:write) */
int
h_episode_create(struct req *r, struct resp *rs)
{
	struct vval v[5];
	if (org_validate_or_reply(r, rs, create_fields, v) < 0)
		return -1;
	char id[37];
	if (util_uuid4(id) < 0)
		return resp_error(r, rs, 500, "internal", "Internal server error", NULL);
	struct db *db = &r->app->db;
	const char *wid = req_param(r, 1);
	const char *pl[1] = { wid };
	db_queue(db, &stmts[S_LOCK], pl);
	const char *p[9] = { wid, arena_strdup(&r->arena, id), number_or_null(r, &v[F_NUMBER]),
	    v[F_TITLE].s, vval_text(&v[F_DESC]), vval_text(&v[F_CONTENT]),
	    json_param(r, v[F_IMAGES].o), r->remote_addr, r->user_agent };
	PGresult *res = db_exec_commit(db, &stmts[S_INSERT], p);
	if (res == NULL)
		return failed(r, rs, db);
	return reply_db_row(r, rs, res, 201, "Episode created successfully", "Webtoon not found");
}

/* GET …/:webtoonId/episodes — 200, 400, 404 (content:read) */
int
h_episode_list(struct req *r, struct resp *rs)
{
	struct page pg;
	json_object *errors = json_object_new_array();
	page_check(r, errors, &pg);
	const char *status = query_enum(r, errors, "status", statuses);
	if (query_done(r, rs, errors) < 0)
		return -1;
	struct db *db = &r->app->db;
	const char *p[5] = { req_param(r, 1), status ? status : "", pg.limit_s, pg.offset_s,
	    pg.page_s };
	PGresult *res = db_exec_commit(db, &stmts[S_LIST], p);
	if (res == NULL)
		return resp_db_error(r, rs, db);
	return reply_db_row(r, rs, res, 200, NULL, "Webtoon not found");
}

/* GET …/episodes/:episodeId — 200, 404 (content:read; counts a view) */
int
h_episode_get(struct req *r, struct resp *rs)
{
	struct db *db = &r->app->db;
	const char *p[2] = { req_param(r, 1), req_param(r, 2) };
	PGresult *res = db_exec_commit(db, &stmts[S_GET], p);
	if (res == NULL)
		return resp_db_error(r, rs, db);
	if (PQntuples(res) != 1) {
		PQclear(res);
		return resp_error(r, rs, 404, "not_found", "Episode not found", NULL);
	}
	long long written = -1;
	long long extra = r->is_head ? 0 : views_count(r, r->org_id, p[0], p[1], &written);
	views_reply_counted(r, rs, PQgetvalue(res, 0, 0), extra, written);
	PQclear(res);
	return 0;
}

/* PUT …/episodes/:episodeId — 200, 400, 404, 409 (content:write) */
int
h_episode_update(struct req *r, struct resp *rs)
{
	struct vval v[5];
	if (org_validate_or_reply(r, rs, update_fields, v) < 0)
		return -1;
	struct db *db = &r->app->db;
	if (v[F_NUMBER].present) {
		const char *pl[1] = { req_param(r, 1) };
		db_queue(db, &stmts[S_LOCK], pl);
	}
	const char *p[11] = { req_param(r, 1), req_param(r, 2),
	    v[F_TITLE].present ? v[F_TITLE].s : NULL,
	    v[F_DESC].present ? "true" : "false", vval_text(&v[F_DESC]),
	    v[F_CONTENT].present ? "true" : "false", vval_text(&v[F_CONTENT]),
	    json_param(r, v[F_IMAGES].o), number_or_null(r, &v[F_NUMBER]),
	    r->remote_addr, r->user_agent };
	PGresult *res = db_exec_commit(db, &stmts[S_UPDATE], p);
	if (res == NULL)
		return failed(r, rs, db);
	return reply_db_row(r, rs, res, 200, "Episode updated successfully", "Episode not found");
}

/* DELETE …/episodes/:episodeId — 200, 404 (content:delete; others keep their numbers) */
int
h_episode_delete(struct req *r, struct resp *rs)
{
	struct db *db = &r->app->db;
	const char *pl[1] = { req_param(r, 1) };
	db_queue(db, &stmts[S_LOCK], pl);
	const char *p[4] = { req_param(r, 1), req_param(r, 2), r->remote_addr, r->user_agent };
	PGresult *res = db_exec_commit(db, &stmts[S_DELETE], p);
	if (res == NULL)
		return resp_db_error(r, rs, db);
	bool found = PQntuples(res) == 1;
	PQclear(res);
	if (!found)
		return resp_error(r, rs, 404, "not_found", "Episode not found", NULL);
	resp_ok(rs, 200, "Episode deleted successfully", NULL);
	return 0;
}

/* POST …/episodes/:episodeId/publish — 200, 404 (content:write; publishedAt set once) */
int
h_episode_publish(struct req *r, struct resp *rs)
{
	struct db *db = &r->app->db;
	const char *p[4] = { req_param(r, 1), req_param(r, 2), r->remote_addr, r->user_agent };
	PGresult *res = db_exec_commit(db, &stmts[S_PUBLISH], p);
	if (res == NULL)
		return resp_db_error(r, rs, db);
	return reply_db_row(r, rs, res, 200, "Episode published successfully", "Episode not found");
}
