/* rcache.c — the member-read cache in Redis. Keys (values carry "<gen> <version>"):
 *   webix:c:gen                      global generation (webixctl cache flush, missed touches)
 *   webix:c:v:<org>                  the organization's version, replaced by every write
 *   webix:c:a:<org>:<user>:<perm>:<data>:<tenant>   the caller passed the access check
 *   webix:c:r:<lower-cased path>?<query>             "<gen> <version>\n<data JSON>"
 * Versions are random, never counters: a key lost (eviction, restart) can't come back
 * with a value an old entry still carries. */
#include "rcache.h"
#include "log.h"
#include "router.h"
#include "util.h"
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define GEN_KEY "webix:c:gen"
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

void
rcache_version_key(const char *org, char *buf, size_t n)
{
	int k = snprintf(buf, n, "webix:c:v:");
	for (const char *p = org; *p && (size_t)k + 1 < n; p++)
		buf[k++] = (char)tolower((unsigned char)*p);
	buf[(size_t)k < n ? (size_t)k : n - 1] = '\0';
}

static char *
lower_dup(struct arena *a, const char *s)
{
	char *d = arena_strdup(a, s ? s : "");
	for (char *p = d; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return d;
}

static const char *
reply_str(const redisReply *x)
{
	return x && x->type == REDIS_REPLY_STRING ? x->str : NULL;
}

int
rcache_lookup(struct req *r)
{
	const struct config *cfg = r->app->cfg;
	r->rc_gen = r->rc_ver = r->rc_akey = r->rc_rkey = NULL;
	r->cached = NULL;
	if (cfg->cache_ttl <= 0 || r->user_id == NULL || r->org_id == NULL)
		return 0;
	if (strlen(r->path) + strlen(r->query ? r->query : "") > MAX_KEY_INPUT)
		return 0;
	const struct route *rt = r->route;
	const char *org = lower_dup(&r->arena, r->org_id);
	char vkey[80];
	rcache_version_key(org, vkey, sizeof(vkey));
	const char *akey = arena_printf(&r->arena, "webix:c:a:%s:%s:%s:%d:%s", org,
	    lower_dup(&r->arena, r->user_id), rt->permission ? rt->permission : "",
	    (rt->flags & R_ANY_STATUS) ? 0 : 1, lower_dup(&r->arena, r->tenant));
	const char *rkey = arena_printf(&r->arena, "webix:c:r:%s?%s",
	    lower_dup(&r->arena, r->path), r->query ? r->query : "");
	const char *argv[] = { "MGET", GEN_KEY, vkey, akey, rkey };
	struct redis_cmdv cmd = { 5, argv, NULL };
	redisReply *x = NULL;
	if (redis_pipe(&r->app->redis, 1, &cmd, &x) < 0)
		return 0;
	if (x->type != REDIS_REPLY_ARRAY || x->elements != 4) {
		freeReplyObject(x);
		return 0;
	}
	const char *gen = reply_str(x->element[0]), *ver = reply_str(x->element[1]);
	const char *a = reply_str(x->element[2]);
	const redisReply *rv = x->element[3];
	r->rc_akey = akey;
	r->rc_rkey = rkey;
	r->rc_gen = gen ? arena_strdup(&r->arena, gen) : NULL;
	r->rc_ver = ver ? arena_strdup(&r->arena, ver) : NULL;
	int hit = 0;
	if (gen && ver && a && rv->type == REDIS_REPLY_STRING) {
		size_t gl = strlen(gen), vl = strlen(ver), tl = gl + 1 + vl;
		/* "<gen> <ver>" for the access, "<gen> <ver>\n<data>" for the answer */
		hit = strlen(a) == tl && strncmp(a, gen, gl) == 0 && a[gl] == ' ' &&
		    strcmp(a + gl + 1, ver) == 0 && rv->len > tl + 1 &&
		    memcmp(rv->str, a, tl) == 0 && rv->str[tl] == '\n';
		if (hit) {
			size_t n = rv->len - tl - 1;
			char *d = arena_alloc(&r->arena, n + 1);
			memcpy(d, rv->str + tl + 1, n);
			d[n] = '\0';
			r->cached = d;
		}
	}
	freeReplyObject(x);
	return hit;
}

void
rcache_store(struct req *r, const char *data, const char *role)
{
	const struct config *cfg = r->app->cfg;
	if (cfg->cache_ttl <= 0 || r->rc_akey == NULL || r->rc_rkey == NULL)
		return;
	if (r->rc_gen == NULL || r->rc_ver == NULL) {
		/* no version yet: make one; the next read can be cached */
		char v[17], vkey[80];
		rcache_new_version(v);
		rcache_version_key(r->org_id, vkey, sizeof(vkey));
		const char *g[] = { "SET", GEN_KEY, v, "NX" }, *o[] = { "SET", vkey, v, "NX" };
		struct redis_cmdv cmds[2] = { { 4, g, NULL }, { 4, o, NULL } };
		redisReply *x[2];
		if (redis_pipe(&r->app->redis, 2, cmds, x) == 0) {
			freeReplyObject(x[0]);
			freeReplyObject(x[1]);
		}
		return;
	}
	if (role == NULL || *role == '\0' || strcmp(role, "super_admin") == 0)
		return;
	size_t dl = strlen(data);
	if (dl > MAX_DATA)
		return;
	const char *tag = arena_printf(&r->arena, "%s %s", r->rc_gen, r->rc_ver);
	size_t tl = strlen(tag);
	char *val = arena_alloc(&r->arena, tl + 1 + dl);
	memcpy(val, tag, tl);
	val[tl] = '\n';
	memcpy(val + tl + 1, data, dl);
	char ttl[24];
	snprintf(ttl, sizeof(ttl), "%ld", cfg->cache_ttl);
	const char *a[] = { "SET", r->rc_akey, tag, "EX", ttl };
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
