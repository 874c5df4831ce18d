/* db.h — one PostgreSQL connection per process: reconnect, prepared statements, and
 * transactions that carry the tenant context, pipelined into one round trip. */
#ifndef WEBIX_DB_H
#define WEBIX_DB_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libpq-fe.h>

/* A named statement, prepared once per connection. Tables of these live in each module. */
struct db_stmt {
	const char *name;
	const char *sql;
	int         nparams;
};

enum db_status {
	DB_OK = 0,
	DB_UNAVAILABLE, /* no connection, connection lost, server shutting down, timeout */
	DB_CONFLICT,    /* unique violation (23505) or serialization failure */
	DB_FK,          /* foreign key violation (23503) */
	DB_INVALID,     /* data exception / check violation (22xxx, 23514) */
	DB_REFUSED,     /* our own refusal raised in SQL: SQLSTATE WXnnn, nnn the HTTP status,
	                 * the primary message meant for the client (see sql/005) */
	DB_ERROR        /* anything else: a bug */
};

struct db {
	PGconn        *conn;
	const char    *url;
	long           stmt_timeout_ms, connect_timeout_s;
	uint64_t       next_try_us;  /* no reconnect attempt before this (monotonic) */
	int            pending;      /* commands queued in the pipeline, not yet read */
	bool           in_tx;
	enum db_status status;       /* of the last failed call */
	char           sqlstate[6];
	char           constraint[64];
	char           msg[256];
	char           primary[160]; /* DB_REFUSED: the client-facing message */
};

/* Register statements to prepare on every (re)connect. Call before db_connect(). */
void db_register(const struct db_stmt *stmts, size_t n);
void db_init(struct db *, const char *url, long stmt_timeout_ms, long connect_timeout_s);
/* Connect if not connected (throttled while the server is down). DB_OK or DB_UNAVAILABLE. */
enum db_status db_ensure(struct db *);
void db_close(struct db *);
/* SELECT 1 round trip. */
enum db_status db_ping(struct db *);

/*
 * Transactions. db_begin queues BEGIN and set_config('app.org_id'/'app.user_id', …, true)
 * (NULL ids set ''), sending nothing yet. db_exec queues a statement, syncs and returns
 * its result (PQclear it) — the first db_exec of a transaction therefore costs one round
 * trip for BEGIN, context and statement. db_exec_commit adds COMMIT to the same trip.
 * On failure they return NULL, set db->status, and the transaction is rolled back.
 */
enum db_status db_begin(struct db *, const char *org_id, const char *user_id);
/* A transaction of an account flow (log in, refresh, one-time tokens, the revocation list):
 * no organization, no user, and app.accounts = 'on', under which the policy of `users`
 * (sql/014) shows every account. Tenant requests never use it. */
enum db_status db_begin_accounts(struct db *);
PGresult *db_exec(struct db *, const struct db_stmt *, const char *const *params);
PGresult *db_exec_commit(struct db *, const struct db_stmt *, const char *const *params);
/* Queue a statement whose result is only checked at the next sync (no round trip). */
void db_queue(struct db *, const struct db_stmt *, const char *const *params);
enum db_status db_commit(struct db *);
/* Sync what is queued and read it, keeping the transaction open (DB_OK, or the first
 * failure — then the transaction is rolled back). */
enum db_status db_flush(struct db *);
void db_rollback(struct db *);

/* Plain statement outside a transaction (webixctl, maintenance). PQclear the result. */
PGresult *db_exec_plain(struct db *, const char *sql, int n, const char *const *params);
#endif
