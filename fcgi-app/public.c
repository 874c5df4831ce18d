/* public.c — /api/public/webtoons[...]: what readers see on <subdomain>.<base domain>
 * without signing in — published content of that (active) organization, cacheable with
 * ETag / 304, and kept in Redis (pubcache.c; searches excepted). Reading (GET, not HEAD) a
 * webtoon or an episode counts a view (views.c), a revalidation answered 304 and a read
 * from the cache too. */
#include "handlers.h"
#include "app.h"
#include "body.h"
#include "etag.h"
#include "paging.h"
#include "pubcache.h"
#include "views.h"
#include "webtoonlist.h"
#include <string.h>

enum { S_ENTER, S_LIST, S_WEBTOON, S_EPISODES, S_EPISODE, S__MAX };

#define PUBLIC_MAX_AGE 60
#define PUB_EPISODE "episode_public_summary(e::episodes)"

static const struct db_stmt stmts[S__MAX] = {
	/* the host's organization becomes the transaction's: row-level security scopes the rest */
	[S_ENTER] = { "public_enter_tenant", "SELECT app_enter_tenant($1)", 1 },
	/* the lists, and the organization they were read in (pubcache.c); the reads return it
	 * too */
	[S_LIST] = { "public_webtoon_list", WEBTOON_LIST_SQL("true") ", app_org_id()", 7 },
	/* reads; views.c counts the view */
	[S_WEBTOON] = { "public_webtoon_read",
	  "SELECT webtoon_view(w, false, true), w.org_id FROM webtoons w WHERE w.id = $1 "
	  "AND w.org_id = app_org_id() AND w.status = 'published'", 1 },
	[S_EPISODES] = { "public_episode_list",
	  "SELECT CASE WHEN EXISTS (SELECT 1 FROM webtoons w WHERE w.id = $1 "
	  "AND w.org_id = app_org_id() AND w.status = 'published') THEN jsonb_build_object('data', "
	  "coalesce((SELECT jsonb_agg(" PUB_EPISODE " ORDER BY e.episode_number) FROM (SELECT x.* "
	  "FROM episodes x WHERE x.webtoon_id = $1 AND x.org_id = app_org_id() "
	  "AND x.status = 'published' ORDER BY x.episode_number LIMIT $2 OFFSET $3) e), "
	  "'[]'::jsonb), 'pagination', page_info((SELECT count(*) FROM episodes x "
	  "WHERE x.webtoon_id = $1 AND x.org_id = app_org_id() AND x.status = 'published'), "
	  "$4, $2)) END, app_org_id()", 4 },
	[S_EPISODE] = { "public_episode_read",
	  "SELECT episode_view(e, false, true), e.org_id FROM episodes e JOIN webtoons w "
	  "ON w.id = e.webtoon_id WHERE e.id = $2 AND e.webtoon_id = $1 AND e.org_id = app_org_id() "
	  "AND e.status = 'published' AND w.status = 'published'", 2 },
};

void
public_register(void)
{
	db_register(stmts, S__MAX);
}

/* Open the transaction in the host's organization; 0, or -1 with 404/503 answered. */
static int
enter_tenant(struct req *r, struct resp *rs)
{
	if (r->tenant == NULL || *r->tenant == '\0')
		return resp_error(r, rs, 404, "not_found",
		    "Public content is served on an organization's own subdomain", NULL);
	struct db *db = &r->app->db;
	if (db_begin(db, NULL, NULL) != DB_OK)
		return resp_db_error(r, rs, db);
	const char *p[1] = { r->tenant };
	db_queue(db, &stmts[S_ENTER], p);
	return 0;
}

/* The row of res (cleared) as a cacheable answer, or 404 `missing`. */
static int
reply(struct req *r, struct resp *rs, PGresult *res, const char *missing)
{
	if (reply_db_row(r, rs, res, 200, NULL, missing) < 0)
		return -1;
	resp_cacheable(r, rs, PUBLIC_MAX_AGE);
	return 0;
}

/* A public answer from the cache (pubcache.c), or after the database: then kept when it
 * is an answer (200) of the organization the tenant host named. */
static int
reply_public(struct req *r, struct resp *rs, const struct pubcache *pc, PGresult *res,
    const char *missing)
{
	if (pc->data != NULL) {
		resp_ok_raw(r, rs, 200, NULL, pc->data);
		resp_cacheable(r, rs, PUBLIC_MAX_AGE);
		return 0;
	}
	if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
		pubcache_store(r, pc, PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 0));
	return reply(r, rs, res, missing);
}

/* GET /api/public/webtoons — 200, 304, 400, 404 (cached, searches excepted) */
int
h_public_webtoons(struct req *r, struct resp *rs)
{
	struct webtoon_query q;
	struct pubcache pc;
	if (webtoon_query_parse(r, rs, &q, false) < 0)
		return -1;
	/* sorted by views, the order moves with each flush of the organization's views */
	if (pubcache_lookup(r, webtoon_query_key(r, &q), strcmp(q.sort, "views") == 0, &pc) > 0)
		return reply_public(r, rs, &pc, NULL, NULL);
	if (enter_tenant(r, rs) < 0)
		return -1;
	struct db *db = &r->app->db;
	const char *p[7] = { q.status, q.tag, q.search, q.sort, q.pg.limit_s, q.pg.offset_s,
	    q.pg.page_s };
	PGresult *res = db_exec_commit(db, &stmts[S_LIST], p);
	if (res == NULL)
		return resp_db_error(r, rs, db);
	return reply_public(r, rs, &pc, res, "Organization not found");
}

/* A read of one webtoon or episode (from the cache or after the database): the answer, and
 * (GET, not HEAD) a view of it. */
static int
reply_counted(struct req *r, struct resp *rs, const struct pubcache *pc, PGresult *res,
    const char *wid, const char *eid, const char *missing)
{
	const char *org = pc->data != NULL ? pc->org : PQntuples(res) == 1 ?
	    arena_strdup(&r->arena, PQgetvalue(res, 0, 1)) : NULL;
	if (reply_public(r, rs, pc, res, missing) < 0)
		return -1;
	long long written;
	if (org && !r->is_head && (rs->status == 200 || rs->status == 304))
		views_count(r, org, wid, eid, &written);
	return 0;
}

/* GET /api/public/webtoons/:webtoonId — 200, 304, 404 (counts a view; cached: a public
 * webtoon shows no view count) */
int
h_public_webtoon(struct req *r, struct resp *rs)
{
	struct pubcache pc;
	if (pubcache_lookup(r, "", false, &pc) > 0)
		return reply_counted(r, rs, &pc, NULL, req_param(r, 0), NULL, NULL);
	if (enter_tenant(r, rs) < 0)
		return -1;
	struct db *db = &r->app->db;
	const char *p[1] = { req_param(r, 0) };
	PGresult *res = db_exec_commit(db, &stmts[S_WEBTOON], p);
	if (res == NULL)
		return resp_db_error(r, rs, db);
	return reply_counted(r, rs, &pc, res, req_param(r, 0), NULL, "Webtoon not found");
}

/* GET /api/public/webtoons/:webtoonId/episodes — 200, 304, 400, 404 (cached) */
int
h_public_episodes(struct req *r, struct resp *rs)
{
	struct page pg;
	struct pubcache pc;
	if (page_parse(r, rs, &pg) < 0)
		return -1;
	if (pubcache_lookup(r, arena_printf(&r->arena, "page=%s&limit=%s", pg.page_s,
	    pg.limit_s), false, &pc) > 0)
		return reply_public(r, rs, &pc, NULL, NULL);
	if (enter_tenant(r, rs) < 0)
		return -1;
	struct db *db = &r->app->db;
	const char *p[4] = { req_param(r, 0), pg.limit_s, pg.offset_s, pg.page_s };
	PGresult *res = db_exec_commit(db, &stmts[S_EPISODES], p);
	if (res == NULL)
		return resp_db_error(r, rs, db);
	return reply_public(r, rs, &pc, res, "Webtoon not found");
}

/* GET /api/public/webtoons/:webtoonId/episodes/:episodeId — 200, 304, 404 (counts a view;
 * cached, as a webtoon) */
int
h_public_episode(struct req *r, struct resp *rs)
{
	struct pubcache pc;
	if (pubcache_lookup(r, "", false, &pc) > 0)
		return reply_counted(r, rs, &pc, NULL, req_param(r, 0), req_param(r, 1), NULL);
	if (enter_tenant(r, rs) < 0)
		return -1;
	struct db *db = &r->app->db;
	const char *p[2] = { req_param(r, 0), req_param(r, 1) };
	PGresult *res = db_exec_commit(db, &stmts[S_EPISODE], p);
	if (res == NULL)
		return resp_db_error(r, rs, db);
	return reply_counted(r, rs, &pc, res, req_param(r, 0), req_param(r, 1),
	    "Episode not found");
}
