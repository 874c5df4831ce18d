/* webixctl — the sysadmin's tool: `migrate` applies pending SQL migrations as the owner
 * role; `check` validates the configuration and reaches PostgreSQL and Redis; `user`
 * creates the first super admin and (de)activates accounts. */
#include "settings.h"
#include "db.h"
#include "log.h"
#include "migrate.h"
#include "password.h"
#include "validate.h"
#include <ctype.h>
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
	    "  user create --super-admin EMAIL [--name NAME]\n"
	    "                            create the first super admin; the password is read from\n"
	    "                            standard input (one line, 6 to 1024 bytes)\n"
	    "  user deactivate EMAIL     stop EMAIL from logging in; its tokens stop working at once\n"
	    "  user activate EMAIL       undo deactivate\n"
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

static int
read_password(char *buf, size_t sz)
{
	if (isatty(STDIN_FILENO))
		fputs("password: ", stderr);
	if (fgets(buf, (int)sz, stdin) == NULL)
		return -1;
	size_t n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	return (int)n;
}

/* Tell running workers at once (they check webix:rv:u:<id> on every request). */
static void
publish_user_revocation(struct config *cfg, const char *uid, bool revoked)
{
	struct redis rd;
	char key[64];
	redis_init(&rd, cfg->redis_url, cfg->redis_timeout_ms);
	snprintf(key, sizeof(key), "webix:rv:u:%s", uid);
	const char *set[] = { "SET", key, "1", "EX", "1020" };
	const char *del[] = { "DEL", key };
	redisReply *x = revoked ? redis_cmd(&rd, 5, set, NULL) : redis_cmd(&rd, 2, del, NULL);
	if (x == NULL)
		printf("warning: Redis unreachable (%s); workers will learn it when Redis is back\n",
		    rd.err);
	freeReplyObject(x);
	redis_close(&rd);
}

static int
cmd_user(struct config *cfg, int argc, char **argv)
{
	struct db db;
	char pw[PASSWORD_MAX_BYTES + 2], hash[PASSWORD_HASH_MAX];
	int rc = 1;
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	db_init(&db, cfg->database_url, cfg->db_statement_timeout, cfg->db_connect_timeout);
	if (strcmp(argv[0], "create") == 0 && argc >= 3 && strcmp(argv[1], "--super-admin") == 0) {
		char email[256];
		const char *name = argc >= 5 && strcmp(argv[3], "--name") == 0 ? argv[4] : NULL;
		snprintf(email, sizeof(email), "%s", argv[2]);
		for (char *c = email; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		if (!valid_email(email, strlen(email))) {
			fprintf(stderr, "webixctl: %s is not a valid email address\n", argv[2]);
			return 2;
		}
		int n = read_password(pw, sizeof(pw));
		if (n < PASSWORD_MIN_BYTES || n > PASSWORD_MAX_BYTES) {
			fprintf(stderr, "webixctl: the password (standard input) must be 6 to 1024 bytes\n");
			return 2;
		}
		if (password_hash(pw, (size_t)n, hash, sizeof(hash)) < 0) {
			fprintf(stderr, "webixctl: password hashing failed\n");
			return 1;
		}
		char local[64];
		snprintf(local, sizeof(local), "%.*s", (int)strcspn(email, "@"), email);
		const char *p[3] = { email, hash, name ? name : local };
		PGresult *r = db_exec_plain(&db, "INSERT INTO users (email, password_hash, display_name, "
		    "role, email_verified_at) VALUES ($1, $2, $3, 'super_admin', now()) RETURNING id",
		    3, p);
		if (r == NULL)
			fprintf(stderr, "webixctl: %s\n", db.status == DB_CONFLICT ?
			    "a user with this email already exists" : db.msg);
		else {
			printf("super admin %s created (id %s)\n", email, PQgetvalue(r, 0, 0));
			rc = 0;
		}
		PQclear(r);
	} else if (strcmp(argv[0], "deactivate") == 0 || strcmp(argv[0], "activate") == 0) {
		bool off = strcmp(argv[0], "deactivate") == 0;
		const char *p[2] = { argv[1], off ? "f" : "t" };
		PGresult *r = db_exec_plain(&db, "UPDATE users SET is_active = $2::boolean "
		    "WHERE email = lower($1) RETURNING id", 2, p);
		if (r == NULL)
			fprintf(stderr, "webixctl: %s\n", db.msg);
		else if (PQntuples(r) == 0)
			fprintf(stderr, "webixctl: no user with email %s\n", argv[1]);
		else {
			publish_user_revocation(cfg, PQgetvalue(r, 0, 0), off);
			printf("%s %s\n", argv[1], off ? "deactivated" : "activated");
			rc = 0;
		}
		PQclear(r);
	} else
		usage(stderr);
	db_close(&db);
	return rc;
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
	else if (strcmp(cmd, "user") == 0)
		rc = cmd_user(&cfg, argc - i, argv + i);
	else {
		usage(stderr);
		rc = 2;
	}
	config_free(&cfg);
	return rc;
}
