/* webixctl — the sysadmin's tool: `migrate` applies pending SQL migrations as the owner
 * role; `check` validates the configuration and reaches PostgreSQL and Redis. */
#include "settings.h"
#include "db.h"
#include "log.h"
#include "migrate.h"
#include "redis.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
usage(FILE *f)
{
	fputs("usage: webixctl [-c CONFIG] COMMAND\n"
	    "commands:\n"
	    "  migrate [--sql-dir DIR]   apply pending migrations (uses DATABASE_OWNER_URL)\n"
	    "  check                     validate the configuration and reach PostgreSQL and Redis\n"
	    "Settings come from the configuration file and the environment "
	    "(docs/configuration.md).\n", f);
}

static int
cmd_migrate(struct config *cfg, int argc, char **argv)
{
	const char *dir = cfg->sql_dir;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--sql-dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else {
			usage(stderr);
			return 2;
		}
	}
	char err[2048];
	if (migrate_run(cfg->database_owner_url, dir, stdout, err, sizeof(err)) < 0) {
		fprintf(stderr, "webixctl migrate: %s\n", err);
		return 1;
	}
	return 0;
}

static int
cmd_check(struct config *cfg)
{
	int bad = 0;
	struct db db;
	db_init(&db, cfg->database_url, cfg->db_statement_timeout, cfg->db_connect_timeout);
	if (db_ping(&db) != DB_OK) {
		printf("PostgreSQL: cannot connect with DATABASE_URL: %s\n", db.msg);
		bad++;
	} else {
		PGresult *r = db_exec_plain(&db, "SELECT rolsuper OR rolbypassrls FROM pg_roles "
		    "WHERE rolname = current_user", 0, NULL);
		if (r && PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't') {
			printf("PostgreSQL: the DATABASE_URL role is a superuser or has BYPASSRLS; use a "
			    "role that owns nothing so row-level security applies\n");
			bad++;
		} else
			printf("PostgreSQL: ok\n");
		PQclear(r);
	}
	db_close(&db);
	struct redis rd;
	redis_init(&rd, cfg->redis_url, cfg->redis_timeout_ms);
	if (redis_ping(&rd) != 0) {
		printf("Redis: cannot reach REDIS_URL: %s\n", rd.err);
		bad++;
	} else
		printf("Redis: ok\n");
	redis_close(&rd);
	printf(bad ? "%d problem%s found\n" : "configuration ok\n", bad, bad == 1 ? "" : "s");
	return bad ? 1 : 0;
}

int
main(int argc, char **argv)
{
	const char *path = NULL;
	int i = 1;
	log_set_program("webixctl");
	if (argc > 2 && strcmp(argv[1], "-c") == 0) {
		path = argv[2];
		i = 3;
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[i++];
	unsigned need = strcmp(cmd, "migrate") == 0 ? CFG_NEED_MIGRATE : CFG_NEED_API;
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	struct config cfg;
	char err[4096];
	if (config_load(&cfg, path, need, err, sizeof(err)) < 0) {
		fprintf(stderr, "webixctl: the configuration has problems:\n%s", err);
		config_free(&cfg);
		return 78;
	}
	int rc;
	if (strcmp(cmd, "migrate") == 0)
		rc = cmd_migrate(&cfg, argc - i, argv + i);
	else if (strcmp(cmd, "check") == 0)
		rc = cmd_check(&cfg);
	else {
		usage(stderr);
		rc = 2;
	}
	config_free(&cfg);
	return rc;
}
