/* rcache.h — a Redis cache of member reads (R_CACHE routes): the answer's data and the
 * caller's access, both tagged with the organization's version. Any write in the
 * organization replaces the version, so nothing cached before it is served again.
 * Answers that show view counts (lists) carry a second version, replaced whenever views
 * are written to PostgreSQL. */
#ifndef WEBIX_RCACHE_H
#define WEBIX_RCACHE_H
#include "app.h"
#include "request.h"

/*
 * Before the access check of a cacheable GET: one round trip reads the global generation,
 * the organization's version, the caller's cached access and the cached answer. 1: a hit,
 * r->cached holds the data JSON and access is granted as it was when cached; 0: a miss
 * (also when the cache is off or Redis is away), remembered for rcache_store. The same
 * round trip reads the caller's revocation keys: r->rc_revoked 1/0, or -1 when not read
 * (pass it to authn_finish before answering anything). On an R_CACHE_COUNT route it also
 * reads the object's queued and written views, and a hit sends its view to the queue
 * without waiting (r->rc_counted, rc_pending with this view, rc_written; a miss counts
 * nothing: the handler counts the view once the read succeeded).
 */
int  rcache_lookup(struct req *);
/* After a miss answered 200: keep data and the caller's access under the versions the
 * lookup saw. role is app_org_role(); super admins are never cached (their reads of
 * organizations they are not in are audited one by one). */
void rcache_store(struct req *, const char *data, const char *role);
/* A write in org: everything cached of it is stale from now on. A touch that misses Redis
 * makes this worker replace the global generation as soon as Redis answers again. */
void rcache_touch(struct app *, const char *org);
/* Everything cached, in every organization, stale. 0, or -1 when Redis is away. */
int  rcache_touch_all(struct app *);
/* Housekeeping between requests: a missed touch is made good once Redis answers. */
void rcache_due(struct app *);
/* The version key of org (lower-cased) into buf (>= 64 bytes). */
void rcache_version_key(const char *org, char *buf, size_t n);
/* The key of org's view-count version (R_CACHE_VIEWS answers), replaced by each flush of
 * views (views.c), into buf (>= 64 bytes). */
void rcache_views_key(const char *org, char *buf, size_t n);
/* The global generation's key: part of every cached answer's tag. */
#define RCACHE_GEN_KEY "webix:c:gen"
/* an organization's version keys: the prefix, then its id in lower case */
#define RCACHE_VERSION_PREFIX "webix:c:v:"
#define RCACHE_VIEWS_PREFIX "webix:c:w:"
/* Make org's versions (and the generation) where they are missing, so that the next read
 * can be cached. */
void rcache_make_versions(struct app *, const char *org);
/* A fresh random version (17 bytes: 16 hex digits). */
void rcache_new_version(char out[17]);
#endif
