/* db.c — libpq wrapper: reconnect with back-off, prepare registered statements, pipelined
 * transactions with a local tenant context, SQLSTATE mapped to a small status enum. */
#include "db.h"
#include "log.h"
#include "util.h"
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STMT_TABLES 32
static struct { const struct db_stmt *s; size_t n; } tables[MAX_STMT_TABLES];
static size_t ntables;

static const char SQL_CONTEXT[] =
	"SELECT set_config('app.org_id', $1, true), set_config('app.user_id', $2, true), "
	"set_config('app.accounts', $3, true)";

void
db_register(const struct db_stmt *stmts, size_t n)
{
	for (size_t i = 0; i < ntables; i++)
		if (tables[i].s == stmts)
			return;
	if (ntables < MAX_STMT_TABLES) {
		tables[ntables].s = stmts;
		tables[ntables].n = n;
		ntables++;
	}
}

void
db_init(struct db *db, const char *url, long stmt_timeout_ms, long connect_timeout_s)
{
	memset(db, 0, sizeof(*db));
	db->url = url;
	db->stmt_timeout_ms = stmt_timeout_ms;
	db->connect_timeout_s = connect_timeout_s;
}

void
db_close(struct db *db)
{
	if (db->conn)
		PQfinish(db->conn);
	db->conn = NULL;
	db->pending = 0;
	db->in_tx = false;
}

static enum db_status
set_status(struct db *db, enum db_status st, const char *msg)
{
	db->status = st;
	snprintf(db->msg, sizeof(db->msg), "%s", msg ? msg : "");
	size_t n = strlen(db->msg);
	while (n > 0 && (db->msg[n - 1] == '\n' || db->msg[n - 1] == ' '))
		db->msg[--n] = '\0';
	return st;
}

/* Classify a failed result, or a lost connection. */
static enum db_status
classify(struct db *db, const PGresult *r)
{
	const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *con = r ? PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME) : NULL;
	snprintf(db->sqlstate, sizeof(db->sqlstate), "%s", st ? st : "");
	snprintf(db->constraint, sizeof(db->constraint), "%s", con ? con : "");
	const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(db->conn);
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK || st == NULL) {
		set_status(db, DB_UNAVAILABLE, msg);
		return DB_UNAVAILABLE;
	}
	if (st[0] == 'W' && st[1] == 'X') {
		const char *pm = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
		snprintf(db->primary, sizeof(db->primary), "%s", pm ? pm : "Refused");
		return set_status(db, DB_REFUSED, msg);
	}
	if (strcmp(st, "23505") == 0 || strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0)
		return set_status(db, DB_CONFLICT, msg);
	if (strcmp(st, "23503") == 0)
		return set_status(db, DB_FK, msg);
	if (strncmp(st, "22", 2) == 0 || strcmp(st, "23514") == 0 || strcmp(st, "23502") == 0)
		return set_status(db, DB_INVALID, msg);
	/* 57014 statement timeout, 57P0x shutdown, 08xxx connection, 53xxx resources */
	if (strcmp(st, "57014") == 0 || strncmp(st, "57P", 3) == 0 || strncmp(st, "08", 2) == 0 ||
	    strncmp(st, "53", 2) == 0)
		return set_status(db, DB_UNAVAILABLE, msg);
	return set_status(db, DB_ERROR, msg);
}

static enum db_status
prepare_all(struct db *db)
{
	char buf[64];
	snprintf(buf, sizeof(buf), "%ld", db->stmt_timeout_ms);
	const char *p[1] = { buf };
	PGresult *r = PQexecParams(db->conn,
	    "SELECT set_config('statement_timeout', $1, false), "
	    /* our statements are prepared once and run thousands of times with parameters
	     * that never change their best plan: skip re-planning them on every run */
	    "set_config('plan_cache_mode', 'force_generic_plan', false)", 1, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		classify(db, r);
		PQclear(r);
		return db->status;
	}
	PQclear(r);
	if (PQenterPipelineMode(db->conn) != 1)
		return set_status(db, DB_UNAVAILABLE, PQerrorMessage(db->conn));
	int sent = 0;
	for (size_t t = 0; t < ntables; t++)
		for (size_t i = 0; i < tables[t].n; i++) {
			const struct db_stmt *s = &tables[t].s[i];
			if (PQsendPrepare(db->conn, s->name, s->sql, s->nparams, NULL) != 1)
				return set_status(db, DB_UNAVAILABLE, PQerrorMessage(db->conn));
			sent++;
		}
	if (PQpipelineSync(db->conn) != 1)
		return set_status(db, DB_UNAVAILABLE, PQerrorMessage(db->conn));
	enum db_status result = DB_OK;
	for (int i = 0; i < sent; i++) {
		PGresult *x;
		bool first = true;
		while ((x = PQgetResult(db->conn)) != NULL) {
			if (first && PQresultStatus(x) != PGRES_COMMAND_OK && result == DB_OK) {
				result = classify(db, x);
				log_msg(LOG_ERROR, "preparing statement failed: %s", db->msg);
			}
			first = false;
			PQclear(x);
		}
	}
	PGresult *sync = PQgetResult(db->conn);
	if (sync == NULL || PQresultStatus(sync) != PGRES_PIPELINE_SYNC)
		result = set_status(db, DB_UNAVAILABLE, "pipeline out of step while preparing");
	PQclear(sync);
	if (PQexitPipelineMode(db->conn) != 1)
		result = set_status(db, DB_UNAVAILABLE, PQerrorMessage(db->conn));
	return result;
}

/* Server notices go to our JSON log, never bare to stderr. */
static void
log_notice(void *arg, const char *message)
{
	(void)arg;
	size_t n = strlen(message);
	while (n > 0 && message[n - 1] == '\n')
		n--;
	log_msg(LOG_WARN, "postgres: %.*s", (int)n, message);
}

/*
 * An idle connection whose server went away (restart, failover) has its socket readable
 * at EOF: notice it before use, without a round trip, so no request pays for it.
 */
static bool
conn_alive(struct db *db)
{
	if (PQstatus(db->conn) != CONNECTION_OK)
		return false;
	struct pollfd pfd = { .fd = PQsocket(db->conn), .events = POLLIN };
	if (pfd.fd < 0)
		return false;
	/*
	 * Readable while idle: a notice, or the server's goodbye (an ErrorResponse, which
	 * libpq passes to the notice processor, then EOF). One read may return the message
	 * without the EOF behind it, so read until the socket has nothing more to say.
	 */
	for (int rounds = 0; rounds < 8; rounds++) {
		pfd.revents = 0;
		if (poll(&pfd, 1, 0) <= 0)
			return PQstatus(db->conn) == CONNECTION_OK;
		if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL))
			return false;
		if (PQconsumeInput(db->conn) != 1 || PQstatus(db->conn) != CONNECTION_OK)
			return false;
		PGresult *r;
		while ((r = PQgetResult(db->conn)) != NULL) {
			bool fatal = PQresultStatus(r) == PGRES_FATAL_ERROR;
			PQclear(r);
			if (fatal)
				return false;
		}
	}
	return false; /* still chattering after eight reads while idle: start afresh */
}

enum db_status
db_ensure(struct db *db)
{
	if (db->conn != NULL && !db->in_tx && conn_alive(db))
		return DB_OK;
	if (db->conn != NULL && db->in_tx && PQstatus(db->conn) == CONNECTION_OK)
		return DB_OK;
	uint64_t now = util_now_us();
	if (db->conn == NULL && now < db->next_try_us)
		return set_status(db, DB_UNAVAILABLE, "database unavailable (waiting to reconnect)");
	db_close(db);
	char timeout[16];
	snprintf(timeout, sizeof(timeout), "%ld", db->connect_timeout_s);
	const char *keys[] = { "dbname", "connect_timeout", "application_name",
	    "keepalives_idle", "tcp_user_timeout", NULL };
	const char *vals[] = { db->url, timeout, "webix", "30", "10000", NULL };
	db->conn = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(db->conn) != CONNECTION_OK) {
		set_status(db, DB_UNAVAILABLE, PQerrorMessage(db->conn));
		log_msg(LOG_WARN, "database connection failed: %s", db->msg);
		db_close(db);
		db->next_try_us = now + 500000; /* at most two attempts a second */
		return DB_UNAVAILABLE;
	}
	PQsetNoticeProcessor(db->conn, log_notice, NULL);
	if (prepare_all(db) != DB_OK) {
		log_msg(LOG_ERROR, "database session set-up failed: %s", db->msg);
		enum db_status st = db->status;
		db_close(db);
		db->next_try_us = now + 500000;
		return st;
	}
	log_msg(LOG_INFO, "database connected");
	return DB_OK;
}

enum db_status
db_ping(struct db *db)
{
	if (db_ensure(db) != DB_OK)
		return db->status;
	PGresult *r = PQexec(db->conn, "SELECT 1");
	enum db_status st = PQresultStatus(r) == PGRES_TUPLES_OK ? DB_OK : classify(db, r);
	PQclear(r);
	if (st == DB_UNAVAILABLE)
		db_close(db);
	return st;
}

/* Lost connection or protocol trouble: drop it, the next request reconnects. */
static void
fail_conn(struct db *db, const char *what)
{
	set_status(db, DB_UNAVAILABLE, db->conn ? PQerrorMessage(db->conn) : what);
	log_msg(LOG_WARN, "database %s: %s", what, db->msg);
	db_close(db);
}

static enum db_status
begin_in(struct db *db, const char *org_id, const char *user_id, bool accounts)
{
	if (db->in_tx)
		db_rollback(db);
	if (db_ensure(db) != DB_OK)
		return db->status;
	if (PQenterPipelineMode(db->conn) != 1) {
		fail_conn(db, "pipeline");
		return DB_UNAVAILABLE;
	}
	const char *p[3] = { org_id ? org_id : "", user_id ? user_id : "", accounts ? "on" : "" };
	if (PQsendQueryParams(db->conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0) != 1 ||
	    PQsendQueryParams(db->conn, SQL_CONTEXT, 3, NULL, p, NULL, NULL, 0) != 1) {
		fail_conn(db, "send");
		return DB_UNAVAILABLE;
	}
	db->pending = 2;
	db->in_tx = true;
	return DB_OK;
}

enum db_status
db_begin(struct db *db, const char *org_id, const char *user_id)
{
	return begin_in(db, org_id, user_id, false);
}

enum db_status
db_begin_accounts(struct db *db)
{
	return begin_in(db, NULL, NULL, true);
}

void
db_queue(struct db *db, const struct db_stmt *s, const char *const *params)
{
	if (db->conn == NULL || !db->in_tx)
		return;
	if (PQsendQueryPrepared(db->conn, s->name, s->nparams, params, NULL, NULL, 0) != 1) {
		fail_conn(db, "send");
		return;
	}
	db->pending++;
}

/*
 * Sync and read every pending command's result. The result of the command at position
 * `keep` (0-based among the pending ones; -1 for none) is returned, the rest cleared.
 * Returns DB_OK, or the status of the first failure (the others are PIPELINE_ABORTED).
 */
static enum db_status
sync_read(struct db *db, int keep, PGresult **kept)
{
	enum db_status st = DB_OK;
	*kept = NULL;
	if (db->conn == NULL)
		return set_status(db, DB_UNAVAILABLE, "no database connection");
	if (PQpipelineSync(db->conn) != 1) {
		fail_conn(db, "sync");
		return DB_UNAVAILABLE;
	}
	for (int i = 0; i < db->pending; i++) {
		PGresult *r, *first = NULL;
		while ((r = PQgetResult(db->conn)) != NULL) {
			if (first == NULL)
				first = r;
			else
				PQclear(r);
		}
		if (first == NULL) {
			fail_conn(db, "read");
			return DB_UNAVAILABLE;
		}
		ExecStatusType es = PQresultStatus(first);
		if (es == PGRES_FATAL_ERROR && st == DB_OK)
			st = classify(db, first);
		if (i == keep && (es == PGRES_TUPLES_OK || es == PGRES_COMMAND_OK) && st == DB_OK)
			*kept = first;
		else
			PQclear(first);
	}
	db->pending = 0;
	PGresult *sync = PQgetResult(db->conn);
	if (sync == NULL || PQresultStatus(sync) != PGRES_PIPELINE_SYNC) {
		PQclear(sync);
		PQclear(*kept);
		*kept = NULL;
		fail_conn(db, "pipeline out of step");
		return DB_UNAVAILABLE;
	}
	PQclear(sync);
	if (st == DB_UNAVAILABLE && PQstatus(db->conn) != CONNECTION_OK)
		db_close(db);
	return st;
}

static void
end_pipeline(struct db *db)
{
	if (db->conn && PQexitPipelineMode(db->conn) != 1)
		fail_conn(db, "pipeline exit");
	db->in_tx = false;
}

PGresult *
db_exec(struct db *db, const struct db_stmt *s, const char *const *params)
{
	PGresult *r;
	if (!db->in_tx) {
		set_status(db, DB_ERROR, "db_exec outside a transaction");
		return NULL;
	}
	db_queue(db, s, params);
	if (db->conn == NULL)
		return NULL;
	if (sync_read(db, db->pending - 1, &r) != DB_OK) {
		enum db_status st = db->status;
		char msg[sizeof(db->msg)];
		memcpy(msg, db->msg, sizeof(msg));
		db_rollback(db);
		db->status = st;
		memcpy(db->msg, msg, sizeof(msg));
		return NULL;
	}
	return r;
}

PGresult *
db_exec_commit(struct db *db, const struct db_stmt *s, const char *const *params)
{
	PGresult *r;
	if (!db->in_tx) {
		set_status(db, DB_ERROR, "db_exec_commit outside a transaction");
		return NULL;
	}
	db_queue(db, s, params);
	if (db->conn == NULL)
		return NULL;
	int keep = db->pending - 1;
	if (PQsendQueryParams(db->conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) != 1) {
		fail_conn(db, "send");
		return NULL;
	}
	db->pending++;
	if (sync_read(db, keep, &r) != DB_OK) {
		enum db_status st = db->status;
		db_rollback(db);
		db->status = st;
		return NULL;
	}
	end_pipeline(db);
	return r;
}

enum db_status
db_commit(struct db *db)
{
	PGresult *r;
	if (!db->in_tx)
		return DB_OK;
	if (db->conn == NULL)
		return set_status(db, DB_UNAVAILABLE, "no database connection");
	if (PQsendQueryParams(db->conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) != 1) {
		fail_conn(db, "send");
		return DB_UNAVAILABLE;
	}
	db->pending++;
	enum db_status st = sync_read(db, -1, &r);
	if (st != DB_OK) {
		db_rollback(db);
		db->status = st;
		return st;
	}
	end_pipeline(db);
	return DB_OK;
}

enum db_status
db_flush(struct db *db)
{
	PGresult *r;
	if (!db->in_tx)
		return set_status(db, DB_ERROR, "db_flush outside a transaction");
	if (db->conn == NULL)
		return set_status(db, DB_UNAVAILABLE, "no database connection");
	if (db->pending == 0)
		return DB_OK;
	enum db_status st = sync_read(db, -1, &r);
	if (st != DB_OK) {
		char msg[sizeof(db->msg)];
		memcpy(msg, db->msg, sizeof(msg));
		db_rollback(db);
		db->status = st;
		memcpy(db->msg, msg, sizeof(msg));
	}
	return st;
}

void
db_rollback(struct db *db)
{
	PGresult *r;
	if (!db->in_tx || db->conn == NULL) {
		db->in_tx = false;
		db->pending = 0;
		return;
	}
	enum db_status keep = db->status;
	if (PQsendQueryParams(db->conn, "ROLLBACK", 0, NULL, NULL, NULL, NULL, 0) != 1) {
		fail_conn(db, "send");
		return;
	}
	db->pending++;
	sync_read(db, -1, &r);
	end_pipeline(db);
	db->status = keep;
}

PGresult *
db_exec_plain(struct db *db, const char *sql, int n, const char *const *params)
{
	if (db_ensure(db) != DB_OK)
		return NULL;
	PGresult *r = PQexecParams(db->conn, sql, n, NULL, params, NULL, NULL, 0);
	ExecStatusType es = PQresultStatus(r);
	if (es != PGRES_TUPLES_OK && es != PGRES_COMMAND_OK) {
		classify(db, r);
		PQclear(r);
		if (db->status == DB_UNAVAILABLE)
			db_close(db);
		return NULL;
	}
	return r;
}
