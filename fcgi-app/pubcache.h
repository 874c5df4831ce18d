/* pubcache.h — a Redis cache of the public reads (readers, no sign-in): a tenant host's
 * webtoon list, webtoons, episode lists and episodes, tagged with the versions of the
 * organization the host named, exactly as the member cache (rcache.h) tags its answers. */
#ifndef WEBIX_PUBCACHE_H
#define WEBIX_PUBCACHE_H
#include "request.h"
#include <stdbool.h>

struct pubcache {
	const char *tkey, *rkey; /* the tenant's organization, the answer */
	const char *org;         /* the organization the tenant named when last read, or NULL */
	const char *tag;         /* "<gen> <version>[ <view version>]" read before the database */
	const char *data;        /* a hit: the data JSON */
};

/*
 * Before a public read goes to the database. qkey names the answer besides the path (NULL:
 * not cached, e.g. a search); with_views: the answer depends on view counts (its order), so
 * each flush of the organization's views makes it stale. 1: a hit, pc->data is the
 * answer's data and pc->org its organization; 0: a miss (also with the cache off, no tenant
 * or Redis away), kept in pc for pubcache_store. Two round trips: the generation, the
 * tenant's organization and the answer; then that organization's versions.
 */
int  pubcache_lookup(struct req *, const char *qkey, bool with_views, struct pubcache *pc);
/* After a miss answered 200 by organization org (as the database resolved the host): keep
 * data, unless the tenant named another organization at the lookup (then only the tenant's
 * organization is noted, and its versions made, for the next read). */
void pubcache_store(struct req *, const struct pubcache *pc, const char *org, const char *data);
#endif
