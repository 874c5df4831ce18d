/* ratelimit.h — limits shared by every worker through Redis: fixed-window request limits
 * per client address, and failure counters with a growing lock-out (brute force). */
#ifndef WEBIX_RATELIMIT_H
#define WEBIX_RATELIMIT_H
#include "request.h"
#include "response.h"

/*
 * Count one request of kind `name` for the client address; over `limit` in `window`
 * seconds answers 429 with Retry-After and returns -1. Exempt addresses
 * (RATE_LIMIT_EXEMPT) and Redis outages (when RATE_LIMIT_FAIL_OPEN) pass.
 */
int rl_hit_or_reply(struct req *, struct resp *, const char *name, long limit, long window);
/* If `key` of kind `name` is locked out, answer 429 with Retry-After and return -1.
 * A Redis outage passes when RATE_LIMIT_FAIL_OPEN, else answers 503. */
int rl_locked_or_reply(struct req *, struct resp *, const char *name, const char *key);
/* Record a failure for key; from the threshold on it is locked for 2^(n-threshold) s,
 * at most max_lock seconds. */
void rl_fail(struct req *, const char *name, const char *key, long threshold, long max_lock);
/* Forget the failures of key (after a success). */
void rl_reset(struct req *, const char *name, const char *key);
/* true when the request's client address is exempt from per-address limits. */
bool rl_exempt(const struct req *);
#endif
