/* rcache.c — the member-read cache in Redis. Keys (values carry "<gen> <version>"):
 *   webix:c:gen                      global generation (webixctl cache flush, missed touches)
 *   webix:c:v:<org>                  the organization's version, replaced by every write
 *   webix:c:w:<org>                  its view-count version, replaced by each flush of views
 *   webix:c:a:<org>:<user>:<perm>:<data>:<tenant>   the caller passed the access check
 *   webix:c:r:<lower-cased path>?<route's cache key>  "<tag>\n<data JSON>", the tag
 *                                    "<gen> <version>" (+ " <view version>": R_CACHE_VIEWS)
 * Versions are random, never counters: a key lost (eviction, restart) can't come back
 * with a value an old entry still carries. */
#include "rcache.h"
#include "authn.h"
#include "log.h"
#include "views.h"
#include "router.h"
#include "util.h"
#include <ctype.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define GEN_KEY RCACHE_GEN_KEY
#define MAX_KEY_INPUT 1024        /* longer paths and queries are not cached */
#define MAX_DATA (512 * 1024)     /* nor larger answers */

void
rcache_new_version(char out[17])
{
	unsigned char b[8];
	if (util_random(b, sizeof(b)) < 0) {
		uint64_t t = util_now_us();
		memcpy(b, &t, sizeof(b));
	}
	util_hex(b, sizeof(b), out);
}

static void
org_key(const char *prefix, const char *org, char *buf, size_t n)
{
	int k = snprintf(buf, n, "%s", prefix);
	for (const char *p = org; *p && (size_t)k + 1 < n; p++)
		buf[k++] = (char)tolower((unsigned char)*p);
	buf[(size_t)k < n ? (size_t)k : n - 1] = '\0';
}

void
rcache_version_key(const char *org, char *buf, size_t n)
{
	org_key(RCACHE_VERSION_PREFIX, org, buf, n);
}

void
rcache_views_key(const char *org, char *buf, size_t n)
{
	org_key(RCACHE_VIEWS_PREFIX, org, buf, n);
}

static const char *
reply_str(const redisReply *x)
{
	return x && x->type == REDIS_REPLY_STRING ? x->str : NULL;
}

static long long
reply_ll(const redisReply *x, long long none)
{
	return x && x->type == REDIS_REPLY_STRING ? strtoll(x->str, NULL, 10) : none;
}

int
rcache_lookup(struct req *r)
{
	const struct config *cfg = r->app->cfg;
	r->rc_atag = r->rc_tag = r->rc_akey = r->rc_rkey = NULL;
	r->cached = NULL;
	r->rc_revoked = -1;
	r->rc_counted = false;
	if (cfg->cache_ttl <= 0 || r->user_id == NULL || r->session_id == NULL || r->org_id == NULL)
		return 0;
	const struct route *rt = r->route;
	const char *qkey = NULL;
	for (size_t i = 0; i < nroute_cache_keys; i++)
		if (route_cache_keys[i].handler == rt->handler)
			qkey = route_cache_keys[i].key(r);
	if (qkey == NULL || strlen(r->path) + strlen(qkey) > MAX_KEY_INPUT)
		return 0;
	bool with_views = (rt->flags & R_CACHE_VIEWS) != 0;
	const char *org = arena_strdup_lower(&r->arena, r->org_id);
	char vkey[80], wkey[80];
	rcache_version_key(org, vkey, sizeof(vkey));
	rcache_views_key(org, wkey, sizeof(wkey));
	const char *akey = arena_printf(&r->arena, "webix:c:a:%s:%s:%s:%d:%s", org,
	    arena_strdup_lower(&r->arena, r->user_id), rt->permission ? rt->permission : "",
	    (rt->flags & R_ANY_STATUS) ? 0 : 1, arena_strdup_lower(&r->arena, r->tenant));
	const char *rkey = arena_printf(&r->arena, "webix:c:r:%s?%s",
	    arena_strdup_lower(&r->arena, r->path), qkey);
	char ks[64], ku[64];
	authn_revocation_keys(r, ks, ku);
	struct view_event ev = { 0 };
	bool count = (rt->flags & R_CACHE_COUNT) && !r->is_head &&
	    views_event(r, org, req_param(r, 1), NULL, &ev) == 0;
	/* One MGET: the versions, the access and the answer, the revocation keys, and for a
	 * read that counts a view the object's queued and written views. On a hit the view is
	 * then sent without waiting (views_queue_sent): no script, one round trip. */
	const char *mget[] = { "MGET", GEN_KEY, vkey, wkey, akey, rkey, ks, ku,
	    ev.keys[1], ev.keys[2] };
	int nkeys = count ? 9 : 7;
	struct redis_cmdv cmd = { nkeys + 1, mget, NULL };
	redisReply *x = NULL;
	if (redis_pipe(&r->app->redis, 1, &cmd, &x) < 0)
		return 0;
	if (x->type != REDIS_REPLY_ARRAY || x->elements != (size_t)nkeys) {
		if (x->type == REDIS_REPLY_ERROR)
			log_msg(LOG_ERROR, "read cache lookup failed: %s", x->str);
		freeReplyObject(x);
		return 0;
	}
	const char *gen = reply_str(x->element[0]), *ver = reply_str(x->element[1]);
	const char *views = reply_str(x->element[2]), *access = reply_str(x->element[3]);
	const redisReply *rv = x->element[4];
	r->rc_revoked = x->element[5]->type != REDIS_REPLY_NIL ||
	    x->element[6]->type != REDIS_REPLY_NIL;
	r->rc_akey = akey;
	r->rc_rkey = rkey;
	if (gen && ver && (views || !with_views)) {
		r->rc_atag = arena_printf(&r->arena, "%s %s", gen, ver);
		r->rc_tag = with_views ? arena_printf(&r->arena, "%s %s", r->rc_atag, views) :
		    r->rc_atag;
	}
	bool access_ok = access && r->rc_atag && strcmp(access, r->rc_atag) == 0;
	int hit = 0;
	if (r->rc_tag && access_ok && !r->rc_revoked && rv->type == REDIS_REPLY_STRING) {
		size_t tl = strlen(r->rc_tag);
		hit = rv->len > tl + 1 && memcmp(rv->str, r->rc_tag, tl) == 0 && rv->str[tl] == '\n';
		if (hit) {
			size_t n = rv->len - tl - 1;
			char *d = arena_alloc(&r->arena, n + 1);
			memcpy(d, rv->str + tl + 1, n);
			d[n] = '\0';
			r->cached = d;
		}
	}
	if (hit && count && views_queue_sent(r, &ev) == 0) {
		/* what is queued (this view included) and what was written, as of the MGET */
		long long pending = reply_ll(x->element[7], 0);
		r->rc_counted = true;
		r->rc_pending = (pending > 0 ? pending : 0) + 1;
		r->rc_written = reply_ll(x->element[8], -1);
	}
	freeReplyObject(x);
	return hit;
}

void
rcache_make_versions(struct app *app, const char *org)
{
	char v[17], vkey[80], wkey[80];
	rcache_new_version(v);
	rcache_version_key(org, vkey, sizeof(vkey));
	rcache_views_key(org, wkey, sizeof(wkey));
	const char *g[] = { "SET", GEN_KEY, v, "NX" }, *o[] = { "SET", vkey, v, "NX" };
	const char *w[] = { "SET", wkey, v, "NX" };
	struct redis_cmdv cmds[3] = { { 4, g, NULL }, { 4, o, NULL }, { 4, w, NULL } };
	redisReply *x[3];
	if (redis_pipe(&app->redis, 3, cmds, x) == 0)
		for (int i = 0; i < 3; i++)
			freeReplyObject(x[i]);
}

void
rcache_store(struct req *r, const char *data, const char *role)
{
	const struct config *cfg = r->app->cfg;
	if (cfg->cache_ttl <= 0 || r->rc_akey == NULL || r->rc_rkey == NULL)
		return;
	if (r->rc_tag == NULL) {
		/* a version is missing: make them; the next read can be cached */
		rcache_make_versions(r->app, r->org_id);
		return;
	}
	if (role == NULL || *role == '\0' || strcmp(role, "super_admin") == 0)
		return;
	size_t dl = strlen(data);
	if (dl > MAX_DATA)
		return;
	size_t tl = strlen(r->rc_tag);
	char *val = arena_alloc(&r->arena, tl + 1 + dl);
	memcpy(val, r->rc_tag, tl);
	val[tl] = '\n';
	memcpy(val + tl + 1, data, dl);
	char ttl[24];
	snprintf(ttl, sizeof(ttl), "%ld", cfg->cache_ttl);
	const char *a[] = { "SET", r->rc_akey, r->rc_atag, "EX", ttl };
	const char *d[] = { "SET", r->rc_rkey, val, "EX", ttl };
	size_t dlens[] = { 3, strlen(r->rc_rkey), tl + 1 + dl, 2, strlen(ttl) };
	struct redis_cmdv cmds[2] = { { 5, a, NULL }, { 5, d, dlens } };
	redisReply *x[2];
	if (redis_pipe(&r->app->redis, 2, cmds, x) == 0) {
		freeReplyObject(x[0]);
		freeReplyObject(x[1]);
	}
}

void
rcache_touch(struct app *app, const char *org)
{
	char v[17], vkey[80];
	rcache_new_version(v);
	rcache_version_key(org, vkey, sizeof(vkey));
	const char *argv[] = { "SET", vkey, v };
	redisReply *x = redis_cmd(&app->redis, 3, argv, NULL);
	if (x == NULL || x->type == REDIS_REPLY_ERROR) {
		if (!app->cache_flush_due)
			log_msg(LOG_WARN, "the read cache of organization %s could not be invalidated "
			    "(Redis away); the whole cache is dropped once Redis answers", org);
		app->cache_flush_due = true;
	}
	freeReplyObject(x);
}

int
rcache_touch_all(struct app *app)
{
	char v[17];
	rcache_new_version(v);
	const char *argv[] = { "SET", GEN_KEY, v };
	redisReply *x = redis_cmd(&app->redis, 3, argv, NULL);
	int ok = x != NULL && x->type != REDIS_REPLY_ERROR;
	freeReplyObject(x);
	return ok ? 0 : -1;
}

void
rcache_due(struct app *app)
{
	if (!app->cache_flush_due || redis_ensure(&app->redis) < 0)
		return;
	if (rcache_touch_all(app) == 0) {
		app->cache_flush_due = false;
		log_msg(LOG_INFO, "dropped the whole read cache (an invalidation had missed Redis)");
	}
}
