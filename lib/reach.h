/* reach.h — reach PostgreSQL and Redis with fresh connections and say why not in words a
 * sysadmin can act on (used by `webixctl check` and by the master before READY=1). */
#ifndef WEBIX_REACH_H
#define WEBIX_REACH_H
#include <stddef.h>
#include <libpq-fe.h>

/*
 * Connect to `url` (the value of the setting called `setting`, e.g. "DATABASE_URL") and
 * run SELECT 1. Returns the open connection (PQfinish it), or NULL with one line in why:
 * where it tried, what to fix, and libpq's own words.
 */
PGconn *reach_postgres(const char *setting, const char *url, long connect_timeout_s,
    char *why, size_t whysz);

/* Connect to REDIS_URL `url` and PING. 0, or -1 with one line in why. */
int reach_redis(const char *url, long timeout_ms, char *why, size_t whysz);

/* `url` with its password (if any) replaced by "***", for messages and logs. */
void reach_mask_url(const char *url, char *out, size_t outsz);
#endif
