/* testroutes.c — /api/_test/: isolation probes for the end-to-end tests, enabled only by
 * WEBIX_TEST_ROUTES=1 (refused in production). Each probe runs a query WITHOUT any
 * WHERE on the organization, as a careless handler would, through the normal request
 * path, and reports what row-level security let it see. */
#include "handlers.h"
#include "app.h"
#include "views.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The unscoped query a buggy handler might write for a tenant table: how many rows it
 * sees, of which organizations, and (where the table has one) of which users. */
#define PROBE(table, users) { "probe_" table, "SELECT count(*), " \
	"coalesce(jsonb_agg(DISTINCT org_id) FILTER (WHERE org_id IS NOT NULL), '[]'), " \
	users " FROM " table, 0 }
#define USERS "coalesce(jsonb_agg(DISTINCT user_id) FILTER (WHERE user_id IS NOT NULL), '[]')"
#define NO_USERS "'[]'::jsonb"

/* Every tenant table. */
static const struct db_stmt probes[] = {
	PROBE("memberships", USERS),
	PROBE("audit_log", USERS),
	PROBE("webtoons", NO_USERS),
	PROBE("episodes", NO_USERS),
	PROBE("analytics", NO_USERS),
	/* account emails (org_id NULL) belong to no tenant: only organizations are counted */
	{ "probe_outbox", "SELECT count(*) FILTER (WHERE org_id IS NOT NULL), "
	  "coalesce(jsonb_agg(DISTINCT org_id) FILTER (WHERE org_id IS NOT NULL), '[]'), "
	  NO_USERS " FROM outbox", 0 },
};
static const char *const probe_tables[] = { "memberships", "audit_log", "webtoons",
	"episodes", "analytics", "outbox" };
#define NPROBES (sizeof(probes) / sizeof(probes[0]))

/* The same careless query on the account tables (no org_id, sql/014): the accounts each
 * shows (for sessions and tokens, whose they are). */
static const struct db_stmt account_probes[] = {
	{ "probe_users", "SELECT count(*), coalesce(jsonb_agg(id ORDER BY id), '[]') FROM users",
	  0 },
	{ "probe_sessions", "SELECT count(*), coalesce(jsonb_agg(DISTINCT user_id), '[]') "
	  "FROM sessions", 0 },
	{ "probe_account_tokens", "SELECT count(*), coalesce(jsonb_agg(DISTINCT user_id), '[]') "
	  "FROM account_tokens", 0 },
	/* outbox rows without an organization: verification and reset links */
	{ "probe_account_emails", "SELECT count(*), '[]'::jsonb FROM outbox WHERE org_id IS NULL",
	  0 },
};
static const char *const account_tables[] = { "users", "sessions", "account_tokens",
	"account_emails" };
#define NACCOUNT_PROBES (sizeof(account_probes) / sizeof(account_probes[0]))

/* Which database connection answered, when, and the tenant context it ran with: the
 * tests order the probes of each connection to show what one request leaves to the next. */
static const struct db_stmt connection_stmt = { "probe_connection",
	"SELECT pg_backend_pid(), (extract(epoch FROM clock_timestamp()) * 1000000)::bigint, "
	"current_setting('app.org_id', true), current_setting('app.user_id', true)", 0 };

void
testroutes_register(void)
{
	db_register(probes, NPROBES);
	db_register(&connection_stmt, 1);
	db_register(account_probes, NACCOUNT_PROBES);
}

static json_object *
setting(const PGresult *res, int col)
{
	return PQgetisnull(res, 0, col) ? NULL : json_object_new_string(PQgetvalue(res, 0, col));
}

/* Run one statement in the open transaction (in_tx) or alone, with no context (bare). */
static PGresult *
run(struct db *db, const struct db_stmt *s, bool bare)
{
	return bare ? db_exec_plain(db, s->sql, 0, NULL) : db_exec(db, s, NULL);
}

/* Run the N probes STMTS, each into INTO[NAMES[i]] as {"rows", "organizations" (WITH_ORGS:
 * the second column), "users" (the last column)}. 0, or -1 (the transaction is gone). */
static int
probe_into(struct db *db, const struct db_stmt *stmts, const char *const *names, size_t n,
    bool bare, bool with_orgs, json_object *into)
{
	for (size_t i = 0; i < n; i++) {
		PGresult *res = run(db, &stmts[i], bare);
		if (res == NULL)
			return -1;
		json_object *t = json_object_new_object();
		json_object_object_add(t, "rows", json_object_new_int64(
		    strtoll(PQgetvalue(res, 0, 0), NULL, 10)));
		if (with_orgs)
			json_object_object_add(t, "organizations",
			    json_tokener_parse(PQgetvalue(res, 0, 1)));
		json_object_object_add(t, "users", json_tokener_parse(PQgetvalue(res, 0,
		    PQnfields(res) - 1)));
		json_object_object_add(into, names[i], t);
		PQclear(res);
	}
	return 0;
}

/*
 * {"connection": {"backend", "at", "orgId", "userId"},
 *  "tables": {"<table>": {"rows": n, "organizations": [ids…], "users": [ids…]}, …},
 *  "accounts": {"users"|"sessions"|"account_tokens"|"account_emails":
 *               {"rows": n, "users": [ids…]}}}
 */
static int
probe_all(struct req *r, struct resp *rs, bool bare)
{
	struct db *db = &r->app->db;
	json_object *d = json_object_new_object(), *tables = json_object_new_object();
	json_object_object_add(d, "tables", tables);
	PGresult *res = run(db, &connection_stmt, bare);
	if (res == NULL)
		goto fail;
	json_object *conn = json_object_new_object();
	json_object_object_add(conn, "backend", json_object_new_int64(
	    strtoll(PQgetvalue(res, 0, 0), NULL, 10)));
	json_object_object_add(conn, "at", json_object_new_int64(
	    strtoll(PQgetvalue(res, 0, 1), NULL, 10)));
	json_object_object_add(conn, "orgId", setting(res, 2));
	json_object_object_add(conn, "userId", setting(res, 3));
	json_object_object_add(d, "connection", conn);
	PQclear(res);
	json_object *accounts = json_object_new_object();
	json_object_object_add(d, "accounts", accounts);
	if (probe_into(db, probes, probe_tables, NPROBES, bare, true, tables) < 0 ||
	    probe_into(db, account_probes, account_tables, NACCOUNT_PROBES, bare, false,
	    accounts) < 0)
		goto fail;
	if (!bare && db_commit(db) != DB_OK)
		goto fail;
	resp_ok(rs, 200, NULL, d);
	return 0;
fail:
	json_object_put(d);
	return resp_db_error(r, rs, db);
}

static bool
enabled(struct req *r, struct resp *rs)
{
	if (r->app->cfg->test_routes)
		return true;
	if (r->app->db.in_tx)
		db_rollback(&r->app->db);
	resp_error(r, rs, 404, "not_found", "Route not found", NULL);
	return false;
}

/* GET /api/_test/unscoped — in a transaction with no organization (R_AUTH);
 * ?context=none: no transaction and no tenant context at all, as code that never set
 * one would run (anything a previous request left on the connection would show). */
int
h_test_unscoped(struct req *r, struct resp *rs)
{
	if (!enabled(r, rs))
		return -1;
	const char *ctx = req_query(r, "context");
	if (ctx && strcmp(ctx, "none") == 0)
		return probe_all(r, rs, true);
	struct db *db = &r->app->db;
	if (db_begin(db, NULL, r->user_id) != DB_OK)
		return resp_db_error(r, rs, db);
	return probe_all(r, rs, false);
}

/* GET /api/_test/unscoped/:organizationId — in that organization (R_ORG, org:read) */
int
h_test_unscoped_org(struct req *r, struct resp *rs)
{
	if (!enabled(r, rs))
		return -1;
	return probe_all(r, rs, false);
}

/* POST /api/_test/views/flush — move every queued view into PostgreSQL now, so a test can
 * assert that a request counted no view. Waits (up to 3 s) for a flush another worker
 * holds. 200 {moved}, or 503 when Redis or PostgreSQL are away. */
int
h_test_views_flush(struct req *r, struct resp *rs)
{
	if (!enabled(r, rs))
		return -1;
	long moved = -1;
	for (int i = 0; i < 60 && moved < 0; i++) {
		moved = views_flush_now(r->app);
		if (moved < 0)
			usleep(50000);
	}
	if (moved < 0)
		return resp_error(r, rs, 503, "unavailable", "The view queue could not be flushed",
		    NULL);
	json_object *d = json_object_new_object();
	json_object_object_add(d, "moved", json_object_new_int64(moved));
	resp_ok(rs, 200, NULL, d);
	return 0;
}

/* GET and POST /api/_test/hold?key=K&ms=N — for the fault tests: append this worker's pid
 * to the Redis list webix:test:hold:K (kept 60 s), then hold the request N ms (1–10,000)
 * and answer 200 {pid}. A test kills the worker that holds it and sees whether nginx sends
 * the request to another worker (GET) or not (POST). K: 1–40 of [a-z0-9-]. */
int
h_test_hold(struct req *r, struct resp *rs)
{
	if (!enabled(r, rs))
		return -1;
	const char *key = req_query(r, "key"), *ms_text = req_query(r, "ms");
	char *end = NULL;
	long ms = ms_text ? strtol(ms_text, &end, 10) : 0;
	size_t klen = key ? strlen(key) : 0;
	if (klen == 0 || klen > 40 || key[strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789-")] ||
	    end == ms_text || end == NULL || *end != '\0' || ms < 1 || ms > 10000)
		return resp_error(r, rs, 400, "bad_request",
		    "key (1-40 of a-z, 0-9, -) and ms (1-10000) are required", NULL);
	char list[64], pid[24];
	snprintf(list, sizeof(list), "webix:test:hold:%s", key);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	const char *push[] = { "RPUSH", list, pid }, *expire[] = { "EXPIRE", list, "60" };
	struct redis_cmdv cmds[] = { { 3, push, NULL }, { 3, expire, NULL } };
	redisReply *out[2];
	if (redis_pipe(&r->app->redis, 2, cmds, out) != 0)
		return resp_error(r, rs, 503, "unavailable", "Redis is unreachable", NULL);
	freeReplyObject(out[0]);
	freeReplyObject(out[1]);
	struct timespec left = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&left, &left) != 0 && errno == EINTR)
		;
	json_object *d = json_object_new_object();
	json_object_object_add(d, "pid", json_object_new_int64(getpid()));
	resp_ok(rs, 200, NULL, d);
	return 0;
}
