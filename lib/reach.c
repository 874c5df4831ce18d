/* reach.c — one fresh connection to PostgreSQL and to Redis, each failure explained: what
 * was tried, the likely fix, and the client library's own words. */
#include "reach.h"
#include "redis.h"
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void
reach_mask_url(const char *url, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s", url ? url : "");
	char *scheme = strstr(out, "://");
	if (scheme != NULL) {
		char *auth = scheme + 3;
		char *end = auth + strcspn(auth, "/?");
		char *at = NULL;
		for (char *p = auth; p < end; p++)
			if (*p == '@')
				at = p;
		char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
		if (colon != NULL && at - colon > 1 && strlen(out) + 3 < outsz) {
			memmove(colon + 4, at, strlen(at) + 1);
			memcpy(colon + 1, "***", 3);
		}
		return;
	}
	/* key=value connection string: password=secret or password='se cret' */
	char *pw = strstr(out, "password");
	if (pw == NULL)
		return;
	char *eq = pw + 8 + strspn(pw + 8, " ");
	if (*eq != '=')
		return;
	char *v = eq + 1 + strspn(eq + 1, " ");
	char *vend = *v == '\'' ? strchr(v + 1, '\'') : v + strcspn(v, " ");
	vend = vend == NULL ? v + strlen(v) : vend + (*v == '\'');
	if (vend > v && strlen(out) + 3 < outsz) {
		memmove(v + 3, vend, strlen(vend) + 1);
		memcpy(v, "***", 3);
	}
}

/* libpq's message on one line: newlines and tabs folded, trailing blanks cut. */
static void
one_line(const char *in, char *out, size_t outsz)
{
	size_t n = 0;
	for (const char *p = in; *p && n + 1 < outsz; p++) {
		char ch = (*p == '\n' || *p == '\t' || *p == '\r') ? ' ' : *p;
		if (ch == ' ' && (n == 0 || out[n - 1] == ' '))
			continue;
		out[n++] = ch;
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

static const char *
pg_hint(const char *m, const char *setting, long timeout_s, char *buf, size_t bufsz)
{
	if (strstr(m, "password authentication failed"))
		snprintf(buf, bufsz, "PostgreSQL refused the password: check the password in %s, "
		    "or set the role's password again (ALTER ROLE ... PASSWORD ...)", setting);
	else if (strstr(m, "no password supplied") || strstr(m, "fe_sendauth"))
		snprintf(buf, bufsz, "the server asks for a password and %s gives none: "
		    "postgresql://USER:PASSWORD@HOST:PORT/DB", setting);
	else if (strstr(m, "Connection refused"))
		snprintf(buf, bufsz, "nothing accepts connections there: is PostgreSQL running, and "
		    "are the host and port in %s right (listen_addresses, port in postgresql.conf)?",
		    setting);
	else if (strstr(m, "No such file or directory"))
		snprintf(buf, bufsz, "no PostgreSQL socket there: is PostgreSQL running, and is the "
		    "host (socket directory) in %s right?", setting);
	else if (strstr(m, "could not translate host name"))
		snprintf(buf, bufsz, "the host name does not resolve: check the host in %s", setting);
	else if (strstr(m, "timeout expired") || strstr(m, "timed out"))
		snprintf(buf, bufsz, "no answer within DB_CONNECT_TIMEOUT (%ld s): a wrong address "
		    "in %s, or a firewall dropping the packets", timeout_s, setting);
	else if (strstr(m, "role \"") && strstr(m, "does not exist"))
		snprintf(buf, bufsz, "the role does not exist: create it (docs/operations.md) or "
		    "fix the user name in %s", setting);
	else if (strstr(m, "database \"") && strstr(m, "does not exist"))
		snprintf(buf, bufsz, "the database does not exist: create it (CREATE DATABASE webix "
		    "OWNER webix_owner) or fix the database name in %s", setting);
	else if (strstr(m, "no pg_hba.conf entry"))
		snprintf(buf, bufsz, "pg_hba.conf has no line that lets this user in from this "
		    "address: add one (host webix USER ADDRESS scram-sha-256) and reload PostgreSQL");
	else if (strstr(m, "permission denied for database"))
		snprintf(buf, bufsz, "the role may not connect to this database: "
		    "GRANT CONNECT ON DATABASE ... TO ...");
	else if (strstr(m, "starting up") || strstr(m, "shutting down") ||
	    strstr(m, "recovery mode"))
		snprintf(buf, bufsz, "PostgreSQL is starting or stopping; try again in a moment");
	else if (strstr(m, "too many") || strstr(m, "connection slots"))
		snprintf(buf, bufsz, "PostgreSQL has no free connection slot: raise max_connections "
		    "or lower WEBIX_WORKERS");
	else if (strstr(m, "invalid") || strstr(m, "missing \"=\""))
		snprintf(buf, bufsz, "%s is not a valid connection URL: "
		    "postgresql://USER:PASSWORD@HOST:PORT/DB", setting);
	else
		snprintf(buf, bufsz, "PostgreSQL refused the connection");
	return buf;
}

PGconn *
reach_postgres(const char *setting, const char *url, long connect_timeout_s, char *why,
    size_t whysz)
{
	char timeout[16], hint[320], raw[512], masked[512];
	snprintf(timeout, sizeof(timeout), "%ld", connect_timeout_s);
	const char *keys[] = { "dbname", "connect_timeout", "application_name", NULL };
	const char *vals[] = { url, timeout, "webix-check", NULL };
	PGconn *c = PQconnectdbParams(keys, vals, 1);
	if (c != NULL && PQstatus(c) == CONNECTION_OK) {
		PGresult *r = PQexec(c, "SELECT 1");
		bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
		if (!ok)
			one_line(PQresultErrorMessage(r), raw, sizeof(raw));
		PQclear(r);
		if (ok)
			return c;
		snprintf(why, whysz, "PostgreSQL (%s) connected but cannot run SELECT 1: %s",
		    setting, raw);
		PQfinish(c);
		return NULL;
	}
	one_line(c ? PQerrorMessage(c) : "out of memory", raw, sizeof(raw));
	reach_mask_url(url, masked, sizeof(masked));
	const char *host = c ? PQhost(c) : NULL, *port = c ? PQport(c) : NULL;
	const char *user = c ? PQuser(c) : NULL, *db = c ? PQdb(c) : NULL;
	if (host && *host && user && *user)
		snprintf(why, whysz, "cannot connect to PostgreSQL at %s%s%s as %s, database %s "
		    "(%s): %s [libpq: %s]", host, port && *port ? ":" : "", port ? port : "", user,
		    db && *db ? db : user, setting,
		    pg_hint(raw, setting, connect_timeout_s, hint, sizeof(hint)), raw);
	else
		snprintf(why, whysz, "cannot connect to PostgreSQL with %s = %s: %s [libpq: %s]",
		    setting, masked, pg_hint(raw, setting, connect_timeout_s, hint, sizeof(hint)),
		    raw);
	PQfinish(c);
	return NULL;
}

static const char *
redis_hint(const char *m, long timeout_ms, char *buf, size_t bufsz)
{
	if (strstr(m, "Connection refused"))
		snprintf(buf, bufsz, "nothing accepts connections there: is redis-server running, "
		    "and are the host and port in REDIS_URL right?");
	else if (strstr(m, "timed out") || strstr(m, "temporarily unavailable"))
		snprintf(buf, bufsz, "no answer within REDIS_TIMEOUT_MS (%ld ms): a wrong address in "
		    "REDIS_URL, or a firewall dropping the packets", timeout_ms);
	else if (strstr(m, "not known") || strstr(m, "name resolution") ||
	    strstr(m, "No address"))
		snprintf(buf, bufsz, "the host name does not resolve: check the host in REDIS_URL");
	else if (strstr(m, "No such file or directory"))
		snprintf(buf, bufsz, "no socket at that path: is redis-server running with "
		    "`unixsocket` set, and is the path in REDIS_URL right?");
	else if (strstr(m, "Permission denied"))
		snprintf(buf, bufsz, "this user may not open the socket: add it to the socket's "
		    "group (unixsocketperm in redis.conf)");
	else if (strstr(m, "NOAUTH"))
		snprintf(buf, bufsz, "Redis wants a password and REDIS_URL gives none: "
		    "redis://:PASSWORD@HOST:PORT/DB");
	else if (strstr(m, "AUTH") || strstr(m, "WRONGPASS") || strstr(m, "password"))
		snprintf(buf, bufsz, "Redis refused the password in REDIS_URL: compare it with "
		    "requirepass in redis.conf");
	else if (strstr(m, "DB index is out of range"))
		snprintf(buf, bufsz, "the database number in REDIS_URL is larger than `databases` "
		    "in redis.conf allows");
	else if (strstr(m, "LOADING"))
		snprintf(buf, bufsz, "Redis is still loading its data; try again in a moment");
	else if (strstr(m, "not valid"))
		snprintf(buf, bufsz, "REDIS_URL must look like redis://[:PASSWORD@]HOST:PORT[/DB] "
		    "or unix:/path/to/redis.sock[?db=N]");
	else
		snprintf(buf, bufsz, "Redis did not answer PING");
	return buf;
}

int
reach_redis(const char *url, long timeout_ms, char *why, size_t whysz)
{
	struct redis rd;
	char masked[512], hint[320], raw[200];
	const char *argv[] = { "PING" };
	redis_init(&rd, url, timeout_ms);
	redisReply *x = redis_cmd(&rd, 1, argv, NULL);
	int ok = x != NULL && x->type == REDIS_REPLY_STATUS;
	if (x != NULL && !ok)
		snprintf(raw, sizeof(raw), "%s", x->type == REDIS_REPLY_ERROR && x->str ? x->str
		    : "unexpected reply to PING");
	else if (x == NULL)
		snprintf(raw, sizeof(raw), "%s", rd.err[0] ? rd.err : "no connection");
	freeReplyObject(x);
	redis_close(&rd);
	if (ok)
		return 0;
	reach_mask_url(url, masked, sizeof(masked));
	snprintf(why, whysz, "cannot reach Redis at %s (REDIS_URL): %s [hiredis: %s]", masked,
	    redis_hint(raw, timeout_ms, hint, sizeof(hint)), raw);
	return -1;
}
