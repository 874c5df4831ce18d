/* app.h — what one worker process holds for its whole life: configuration and one
 * connection to each data store. */
#ifndef WEBIX_APP_H
#define WEBIX_APP_H
#include "settings.h"
#include "db.h"
#include "redis.h"
#include "token.h"
#include <stdbool.h>

struct app {
	const struct config *cfg;
	struct db            db;
	struct redis         redis;
	struct token_keys    keys;
	bool                 revocation_sync_due; /* Redis (re)connected: push recent revocations */
	bool                 cache_flush_due;     /* a cache invalidation missed Redis */
	uint64_t             views_next_us;       /* no view flush before this (monotonic) */
};
#endif
