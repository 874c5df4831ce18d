/* pubcache.c — the public reads from Redis. Keys:
 *   webix:c:t:<tenant>                 the organization the tenant host named when last read
 *   webix:c:p:<tenant>:<path>?<key>    "<gen> <version>[ <view version>]\n<data JSON>"
 * The tag is read before the database is, from the versions of the organization the tenant
 * key names; an answer is kept only when the database resolved the host to that same
 * organization. So every write in it (publish, unpublish, status, delete, a subdomain
 * change) and every flush of its views makes its public answers stale before the writer
 * hears back, as for member reads; a host whose subdomain now names another organization
 * finds its old answers under the old organization's versions, which no longer match.
 * The answer's bytes are the database's, so a hit has the same ETag as a miss. Public
 * answers show no view counts; the one whose order does (the webtoon list sorted by views)
 * is also tagged with the view-count version, which each flush of the organization's views
 * replaces. */
#include "pubcache.h"
#include "app.h"
#include "rcache.h"
#include "util.h"
#include <stdio.h>
#include <string.h>

#define MAX_KEY_INPUT 1024        /* longer paths and queries are not cached */
#define MAX_DATA (512 * 1024)     /* nor larger answers */

static const char *
str_of(const redisReply *x)
{
	return x && x->type == REDIS_REPLY_STRING ? x->str : NULL;
}

/* One round trip: the generation, the organization the tenant key names, that
 * organization's versions (read here because their keys depend on it) and the answer.
 * Flagged no-writes: Redis runs it when full and on a read-only replica (e2e
 * public_hits_while_redis_full). The tenant key holds the organization id in lower case,
 * as rcache_version_key and rcache_views_key put it after the same prefixes. */
static const char lookup_lua[] =
	"#!lua flags=no-writes\n"
	"local org = redis.call('GET', KEYS[2])\n"
	"if not org then return {} end\n"
	"local w = false\n"
	"if ARGV[1] == '1' then w = redis.call('GET', '" RCACHE_VIEWS_PREFIX "' .. org) end\n"
	"return {redis.call('GET', KEYS[1]), org, redis.call('GET', KEYS[3]),\n"
	"        redis.call('GET', '" RCACHE_VERSION_PREFIX "' .. org), w}\n";

int
pubcache_lookup(struct req *r, const char *qkey, bool with_views, struct pubcache *pc)
{
	memset(pc, 0, sizeof(*pc));
	if (r->app->cfg->cache_ttl <= 0 || r->tenant == NULL || *r->tenant == '\0' ||
	    qkey == NULL || strlen(r->path) + strlen(qkey) + strlen(r->tenant) > MAX_KEY_INPUT)
		return 0;
	const char *tenant = arena_strdup_lower(&r->arena, r->tenant);
	pc->tkey = arena_printf(&r->arena, "webix:c:t:%s", tenant);
	pc->rkey = arena_printf(&r->arena, "webix:c:p:%s:%s?%s", tenant,
	    arena_strdup_lower(&r->arena, r->path), qkey);
	const char *ev[] = { "EVAL", lookup_lua, "3", RCACHE_GEN_KEY, pc->tkey, pc->rkey,
		with_views ? "1" : "0" };
	struct redis_cmdv cmd = { 7, ev, NULL };
	redisReply *x = NULL;
	if (redis_pipe(&r->app->redis, 1, &cmd, &x) < 0)
		return 0;
	int hit = 0;
	if (x->type != REDIS_REPLY_ARRAY || x->elements != 5)
		goto out;   /* {}: the tenant's organization is not known */
	const char *gen = str_of(x->element[0]), *org = str_of(x->element[1]);
	const char *ver = str_of(x->element[3]), *views = str_of(x->element[4]);
	if (gen == NULL || org == NULL || !util_is_uuid(org, strlen(org)))
		goto out;
	pc->org = arena_strdup(&r->arena, org);
	if (ver != NULL && (!with_views || views != NULL))
		pc->tag = with_views ? arena_printf(&r->arena, "%s %s %s", gen, ver, views) :
		    arena_printf(&r->arena, "%s %s", gen, ver);
	const redisReply *rv = x->element[2];
	if (pc->tag != NULL && rv->type == REDIS_REPLY_STRING) {
		size_t tl = strlen(pc->tag);
		if (rv->len > tl + 1 && memcmp(rv->str, pc->tag, tl) == 0 && rv->str[tl] == '\n') {
			pc->data = arena_strndup(&r->arena, rv->str + tl + 1, rv->len - tl - 1);
			hit = 1;
		}
	}
out:
	freeReplyObject(x);
	return hit;
}

void
pubcache_store(struct req *r, const struct pubcache *pc, const char *org, const char *data)
{
	if (r->app->cfg->cache_ttl <= 0 || pc->tkey == NULL || org == NULL ||
	    !util_is_uuid(org, strlen(org)))
		return;
	char ttl[24];
	snprintf(ttl, sizeof(ttl), "%ld", r->app->cfg->cache_ttl);
	if (pc->org == NULL || strcasecmp(pc->org, org) != 0 || pc->tag == NULL) {
		/* the tenant's organization was unknown or is another now, or its versions are
		 * missing: note it and make them; the next read can be cached */
		const char *lower = arena_strdup_lower(&r->arena, org);
		const char *set[] = { "SET", pc->tkey, lower, "EX", ttl };
		freeReplyObject(redis_cmd(&r->app->redis, 5, set, NULL));
		rcache_make_versions(r->app, lower);
		return;
	}
	size_t dl = strlen(data), tl = strlen(pc->tag);
	if (dl > MAX_DATA)
		return;
	char *val = arena_alloc(&r->arena, tl + 1 + dl);
	memcpy(val, pc->tag, tl);
	val[tl] = '\n';
	memcpy(val + tl + 1, data, dl);
	const char *set[] = { "SET", pc->rkey, val, "EX", ttl };
	size_t lens[] = { 3, strlen(pc->rkey), tl + 1 + dl, 2, strlen(ttl) };
	/* the tenant key lives as long as the answers it leads to */
	const char *tset[] = { "SET", pc->tkey, pc->org, "EX", ttl };
	struct redis_cmdv cmds[2] = { { 5, set, lens }, { 5, tset, NULL } };
	redisReply *x[2];
	if (redis_pipe(&r->app->redis, 2, cmds, x) == 0) {
		freeReplyObject(x[0]);
		freeReplyObject(x[1]);
	}
}
