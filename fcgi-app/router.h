/* router.h — the route table type and matching: literal segments (case-insensitive),
 * typed params {name:uuid|int|str}, trailing slash tolerated, HEAD served by GET. */
#ifndef WEBIX_ROUTER_H
#define WEBIX_ROUTER_H
#include <stddef.h>
#include "request.h"
#include "response.h"

typedef int (*handler_fn)(struct req *, struct resp *);

/* route flags */
#define R_JSON   1u   /* the body, if any, must be JSON (parsed before the handler) */
#define R_AUTH   2u   /* a valid access token is required */
#define R_ORG    4u   /* acts in the organization of param 0, which must be the tenant
                       * host's when there is one: orgaccess.c opens the transaction */
#define R_ANY_STATUS 8u /* R_ORG route still served while the organization is suspended */
#define R_STREAM 32u  /* the handler reads the body itself (r->read_body): uploads */
#define R_TENANT_SUB 16u /* param 0 is a subdomain: on a tenant host it must be the tenant */
#define R_CACHE  64u  /* R_ORG GET answered from the read cache when it can (rcache.c); the
                       * handler answers r->cached, or reads and calls rcache_store; its
                       * key function is in route_cache_keys */
#define R_CACHE_VIEWS 128u /* R_CACHE answer that also shows written view counts (lists) */
#define R_CACHE_COUNT 256u /* R_CACHE read that counts a view of the webtoon in param 1: a
                            * hit's view is queued by the lookup itself (r->rc_counted) */

struct route {
	const char *method;
	const char *pattern;
	handler_fn  handler;
	const char *permission;   /* membership permission required, or NULL */
	unsigned    flags;
};

/* R_CACHE routes, by handler: what names the answer besides the path — the query as the
 * handler reads it (unknown parameters left out, values normalized) — or NULL when this
 * request is not to be cached. */
struct route_cache_key {
	handler_fn   handler;
	const char *(*key)(struct req *);
};

enum match_result { MATCH_OK, MATCH_NOT_FOUND, MATCH_BAD_METHOD, MATCH_BAD_PARAM };

struct match {
	const struct route *route;
	const char *params[REQ_MAX_PARAMS];
	int         nparams;
	char        allow[96];       /* MATCH_BAD_METHOD: "GET, HEAD, POST" */
	char        bad_param[48];   /* MATCH_BAD_PARAM: the name of the malformed param */
};

/*
 * Match method and path against the table. Params are copied into the arena.
 * MATCH_BAD_PARAM when the path has the shape of a route but a typed param is malformed.
 */
enum match_result router_match(const struct route *, size_t n, const char *method,
    const char *path, struct arena *, struct match *);

extern const struct route routes[];
extern const size_t nroutes;
extern const struct route_cache_key route_cache_keys[];
extern const size_t nroute_cache_keys;
#endif
