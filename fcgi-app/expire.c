/* expire.c — `webixctl expire`: delete what has outlived its use, as the owner role, in one
 * transaction. Sessions past their expiry or revoked, and one-time tokens past their expiry
 * or used, go a day later (the revocation list only looks 16 minutes back); audit rows go
 * after --audit-days (default 365: the original system's one-year retention, which its TTL
 * index never applied, spec D43). Run daily by webix-maintenance.timer. */
#include "expire.h"
#include "ctldays.h"
#include "db.h"
#include <stdio.h>

static const char SQL_EXPIRE[] =
	"WITH s AS (DELETE FROM sessions WHERE expires_at < now() - interval '1 day' "
	"OR revoked_at < now() - interval '1 day' RETURNING 1), "
	"t AS (DELETE FROM account_tokens WHERE expires_at < now() - interval '1 day' "
	"OR used_at < now() - interval '1 day' RETURNING 1), "
	"a AS (DELETE FROM audit_log WHERE created_at < now() - make_interval(days => $1::int) "
	"RETURNING 1) "
	"SELECT (SELECT count(*) FROM s), (SELECT count(*) FROM t), (SELECT count(*) FROM a)";

int
expire_run(const struct config *cfg, int argc, char **argv)
{
	long days = 365;
	if (ctl_days(argc, argv, "webixctl expire", "--audit-days", 1, &days) < 0)
		return 2;
	struct db db;
	char d[24];
	snprintf(d, sizeof(d), "%ld", days);
	const char *p[1] = { d };
	db_init(&db, cfg->database_owner_url, cfg->db_statement_timeout, cfg->db_connect_timeout);
	PGresult *r = db_exec_plain(&db, SQL_EXPIRE, 1, p);
	int rc = 1;
	if (r == NULL)
		fprintf(stderr, "webixctl expire: %s\n", db.msg);
	else {
		printf("expired %s session(s), %s one-time token(s), %s audit row(s) older than %ld "
		    "day(s)\n", PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2), days);
		rc = 0;
	}
	PQclear(r);
	db_close(&db);
	return rc;
}
