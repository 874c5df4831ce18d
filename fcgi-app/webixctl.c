/* webixctl — the sysadmin's tool: `migrate` applies pending SQL migrations as the owner
 * role; `check` validates the configuration and reaches PostgreSQL and Redis; `user`
 * creates the first super admin and (de)activates accounts; `org purge` removes deleted
 * organizations for good; `expire` (expire.c) removes expired rows; `cache flush`. */
#include "settings.h"
#include "ctldays.h"
#include "db.h"
#include "expire.h"
#include "log.h"
#include "migrate.h"
#include "password.h"
#include "validate.h"
#include <ctype.h>
#include "reach.h"
#include "redis.h"
#include "util.h"
#include <grp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void
usage(FILE *f)
{
	fputs("usage: webixctl [-c CONFIG] COMMAND\n"
	    "commands:\n"
	    "  migrate [--sql-dir DIR]   apply pending migrations (uses DATABASE_OWNER_URL)\n"
	    "  check                     validate the configuration, reach PostgreSQL (as the\n"
	    "                            application role) and Redis, compare the migrations;\n"
	    "                            exit status 1 when anything is wrong\n"
	    "  user create --super-admin EMAIL [--name NAME]\n"
	    "                            create the first super admin; the password is read from\n"
	    "                            standard input (one line, 6 to 1024 bytes)\n"
	    "  user deactivate EMAIL     stop EMAIL from logging in; its tokens stop working at once\n"
	    "  user activate EMAIL       undo deactivate\n"
	    "  org purge [--older-than DAYS]\n"
	    "                            delete the organizations deleted more than DAYS (default\n"
	    "                            30) days ago, with all their rows (uses DATABASE_OWNER_URL)\n"
	    "  cache flush               drop every cached read (after changing data by hand in\n"
	    "                            PostgreSQL); the next reads go to PostgreSQL\n"
	    "  expire [--audit-days N]   delete sessions and one-time tokens a day past their\n"
	    "                            expiry (or revoked, used), and audit rows older than N\n"
	    "                            (default 365) days (uses DATABASE_OWNER_URL)\n"
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

/* ---- check: every finding on one line, "ok:", "warning:" or "problem:" ---- */

struct tally { int problems, warnings; };

static void __attribute__((format(printf, 3, 4)))
say(struct tally *t, const char *kind, const char *fmt, ...)
{
	va_list ap;
	if (strcmp(kind, "problem") == 0)
		t->problems++;
	else if (strcmp(kind, "warning") == 0)
		t->warnings++;
	printf("%s: ", kind);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void
check_settings(struct tally *t, const struct config *cfg)
{
	struct stat st;
	if (cfg->socket_group && *cfg->socket_group && getgrnam(cfg->socket_group) == NULL)
		say(t, "problem", "WEBIX_SOCKET_GROUP: there is no group named %s (nginx runs as "
		    "www-data on Debian)", cfg->socket_group);
	if (cfg->media_dir && *cfg->media_dir) {
		if (stat(cfg->media_dir, &st) != 0)
			say(t, "warning", "MEDIA_DIR %s does not exist yet: webix-api.service creates "
			    "/var/lib/webix/media when it starts; elsewhere create it (install -d -o "
			    "webix -g webix -m 0755 %s)", cfg->media_dir, cfg->media_dir);
		else if (!S_ISDIR(st.st_mode))
			say(t, "problem", "MEDIA_DIR %s is not a directory", cfg->media_dir);
	}
	if (cfg->node_env && strcmp(cfg->node_env, "development") == 0)
		say(t, "warning", "NODE_ENV is development: 500 answers show internal error details "
		    "to clients; use production on a server");
}

/* The application role must not be able to bypass row-level security. */
static void
check_app_role(struct tally *t, PGconn *c)
{
	PGresult *r = PQexec(c, "SELECT current_user, r.rolsuper, r.rolbypassrls, "
	    "(SELECT count(*) FROM pg_class WHERE relowner = r.oid) + "
	    "(SELECT count(*) FROM pg_namespace WHERE nspowner = r.oid) + "
	    "(SELECT count(*) FROM pg_proc WHERE proowner = r.oid) "
	    "FROM pg_roles r WHERE r.rolname = current_user");
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		say(t, "problem", "PostgreSQL: cannot read the role of DATABASE_URL from pg_roles: %s",
		    PQresultErrorMessage(r));
		PQclear(r);
		return;
	}
	const char *user = PQgetvalue(r, 0, 0), *owned = PQgetvalue(r, 0, 3);
	bool super = PQgetvalue(r, 0, 1)[0] == 't', bypass = PQgetvalue(r, 0, 2)[0] == 't';
	if (super || bypass)
		say(t, "problem", "PostgreSQL: the DATABASE_URL role %s is %s, so row-level security "
		    "does not apply to it: connect as webix_app (LOGIN NOSUPERUSER NOBYPASSRLS, owns "
		    "nothing)", user, super ? "a superuser" : "BYPASSRLS");
	else if (strcmp(owned, "0") != 0)
		say(t, "problem", "PostgreSQL: the DATABASE_URL role %s owns %s tables, schemas or "
		    "functions, and owners bypass row-level security: connect as webix_app, or "
		    "REASSIGN OWNED BY %s TO webix_owner", user, owned, user);
	else
		say(t, "ok", "PostgreSQL: the role %s is not a superuser, has no BYPASSRLS and owns "
		    "nothing (row-level security applies)", user);
	PQclear(r);
}

static void
check_migrations(struct tally *t, const struct config *cfg, PGconn *app)
{
	char why[1024], report[4096];
	int applied = 0, files = 0, n;
	bool owner = cfg->database_owner_url && *cfg->database_owner_url;
	PGconn *c = app;
	if (owner) {
		c = reach_postgres("DATABASE_OWNER_URL", cfg->database_owner_url,
		    cfg->db_connect_timeout, why, sizeof(why));
		if (c == NULL) {
			say(t, "problem", "%s (webixctl migrate uses it)", why);
			return;
		}
	} else if (app == NULL)
		return;
	n = migrate_check(c, cfg->sql_dir, &applied, &files, report, sizeof(report));
	if (n < 0 && !owner && strstr(report, "permission denied"))
		say(t, "warning", "migrations not checked: the DATABASE_URL role may not read "
		    "schema_migrations; set DATABASE_OWNER_URL (webixctl migrate needs it anyway)");
	else if (n < 0)
		say(t, "problem", "migrations: cannot compare %s with the database: %s",
		    cfg->sql_dir, report);
	else if (n == 0)
		say(t, "ok", "migrations: all %d in %s are applied, none changed", files,
		    cfg->sql_dir);
	else {
		char *save = NULL;
		for (char *l = strtok_r(report, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			if (strncmp(l, "pending: ", 9) == 0)
				say(t, "problem", "migration %s is not applied: run `webixctl migrate` "
				    "(then `systemctl reload webix-api`)", l + 9);
			else if (strncmp(l, "changed after it was applied: ", 30) == 0)
				say(t, "problem", "migration %s was changed after it was applied: put the "
				    "file back as it was and make the change a new migration", l + 30);
			else
				say(t, "problem", "migration %s: is WEBIX_SQL_DIR right, and is this webix "
				    "at least as new as the database?", l);
		}
	}
	if (c != app)
		PQfinish(c);
}

/* Warn when Redis may lose or evict what webix keeps there. */
static void
check_redis_persistence(struct tally *t, const struct config *cfg)
{
	struct redis rd;
	const char *aof[] = { "CONFIG", "GET", "appendonly" };
	const char *pol[] = { "CONFIG", "GET", "maxmemory-policy" };
	redis_init(&rd, cfg->redis_url, cfg->redis_timeout_ms);
	redisReply *a = redis_cmd(&rd, 3, aof, NULL), *p = redis_cmd(&rd, 3, pol, NULL);
	if (a && a->type == REDIS_REPLY_ARRAY && a->elements == 2 &&
	    strcmp(a->element[1]->str, "yes") != 0)
		say(t, "warning", "Redis: appendonly is %s, so a crash loses the last writes (rate "
		    "limits, revocations, views not yet written to PostgreSQL); set appendonly yes in "
		    "redis.conf", a->element[1]->str);
	if (p && p->type == REDIS_REPLY_ARRAY && p->elements == 2 &&
	    strcmp(p->element[1]->str, "noeviction") != 0)
		say(t, "warning", "Redis: maxmemory-policy is %s, so Redis may drop keys webix needs "
		    "(revocations, views not yet written, queued job ids); set maxmemory-policy "
		    "noeviction",
		    p->element[1]->str);
	freeReplyObject(a);
	freeReplyObject(p);
	redis_close(&rd);
}

/*
 * `webixctl check`: the configuration (every problem at once), the settings that name
 * things on this machine, PostgreSQL as the application role and its powers, the
 * migrations, Redis. Exit 0 when nothing is wrong (warnings allowed), 1 otherwise.
 */
static int
cmd_check(struct config *cfg, const char *path, bool loaded, char *err)
{
	struct tally t = { 0, 0 };
	char why[1024];
	const char *file = path ? path : getenv("WEBIX_CONFIG");
	if (file == NULL || *file == '\0') {
		file = WEBIX_DEFAULT_CONFIG;
		if (access(file, F_OK) != 0)
			say(&t, "warning", "%s does not exist: every setting comes from the environment",
			    file);
	}
	if (loaded)
		say(&t, "ok", "configuration: %s and the environment hold valid settings", file);
	else {
		char *save = NULL;
		for (char *l = strtok_r(err, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			say(&t, "problem", "%s", l);
	}
	check_settings(&t, cfg);

	PGconn *app = NULL;
	if (cfg->database_url && *cfg->database_url) {
		app = reach_postgres("DATABASE_URL", cfg->database_url, cfg->db_connect_timeout, why,
		    sizeof(why));
		if (app == NULL)
			say(&t, "problem", "%s", why);
		else {
			int v = PQserverVersion(app);
			say(&t, "ok", "PostgreSQL: connected to %s:%s as %s, database %s (PostgreSQL "
			    "%d.%d)", PQhost(app), PQport(app), PQuser(app), PQdb(app), v / 10000,
			    v % 10000);
			check_app_role(&t, app);
		}
	}
	check_migrations(&t, cfg, app);
	if (app)
		PQfinish(app);

	if (cfg->redis_url && *cfg->redis_url) {
		char masked[512];
		reach_mask_url(cfg->redis_url, masked, sizeof(masked));
		if (reach_redis(cfg->redis_url, cfg->redis_timeout_ms, why, sizeof(why)) < 0)
			say(&t, "problem", "%s", why);
		else {
			say(&t, "ok", "Redis: %s answers PING", masked);
			check_redis_persistence(&t, cfg);
		}
	}
	if (t.problems)
		printf("%d problem%s found (and %d warning%s): webix-api would not work as "
		    "configured\n", t.problems, t.problems == 1 ? "" : "s", t.warnings,
		    t.warnings == 1 ? "" : "s");
	else
		printf("configuration ok%s\n", t.warnings ? " (see the warnings above)" : "");
	return t.problems ? 1 : 0;
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

/* A statement of an account command: every account is visible to it (app.accounts, sql/014),
 * for this one-shot connection. NULL with db->msg on failure. */
static PGresult *
accounts_exec(struct db *db, const char *sql, int n, const char *const *p)
{
	PGresult *on = db_exec_plain(db, "SELECT set_config('app.accounts', 'on', false)", 0, NULL);
	if (on == NULL)
		return NULL;
	PQclear(on);
	return db_exec_plain(db, sql, n, p);
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
		PGresult *r = accounts_exec(&db, "INSERT INTO users (email, password_hash, display_name, "
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
		PGresult *r = accounts_exec(&db, "UPDATE users SET is_active = $2::boolean "
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

/* cache flush: a new global generation (webix:c:gen, fcgi-app/rcache.c) makes every cached
 * read and access stale at once; nothing is deleted (entries expire by CACHE_TTL_SECONDS). */
static int
cmd_cache(struct config *cfg, int argc, char **argv)
{
	if (argc != 1 || strcmp(argv[0], "flush") != 0) {
		usage(stderr);
		return 2;
	}
	unsigned char b[8];
	char gen[17];
	if (util_random(b, sizeof(b)) < 0) {
		fprintf(stderr, "webixctl: no random bytes\n");
		return 1;
	}
	util_hex(b, sizeof(b), gen);
	struct redis rd;
	redis_init(&rd, cfg->redis_url, cfg->redis_timeout_ms);
	const char *set[] = { "SET", "webix:c:gen", gen };
	redisReply *x = redis_cmd(&rd, 3, set, NULL);
	int rc = x != NULL && x->type == REDIS_REPLY_STATUS ? 0 : 1;
	if (rc)
		fprintf(stderr, "webixctl: Redis did not take it (%s)\n",
		    x && x->type == REDIS_REPLY_ERROR ? x->str : rd.err);
	else
		printf("the read cache is dropped\n");
	freeReplyObject(x);
	redis_close(&rd);
	return rc;
}

/* org purge [--older-than DAYS]: soft-deleted organizations leave for good, as the owner
 * (the application role cannot delete them); their tenant rows go by ON DELETE CASCADE,
 * their audit rows stay (with their org_id, sql/013) and each gets organization_purged. */
static int
cmd_org(struct config *cfg, int argc, char **argv)
{
	long days = 30;
	if (argc < 1 || strcmp(argv[0], "purge") != 0) {
		usage(stderr);
		return 2;
	}
	if (ctl_days(argc - 1, argv + 1, "webixctl org purge", "--older-than", 0, &days) < 0) {
		usage(stderr);
		return 2;
	}
	struct db db;
	char d[24];
	snprintf(d, sizeof(d), "%ld", days);
	const char *p[1] = { d };
	db_init(&db, cfg->database_owner_url, cfg->db_statement_timeout, cfg->db_connect_timeout);
	/* one statement: the organizations go and each leaves an audit row, or neither */
	PGresult *r = db_exec_plain(&db, "WITH gone AS (DELETE FROM organizations WHERE "
	    "deleted_at IS NOT NULL AND deleted_at <= now() - make_interval(days => $1::int) "
	    "RETURNING id, subdomain, deleted_at) INSERT INTO audit_log (org_id, action, resource, "
	    "resource_id, metadata, user_agent) SELECT id, 'organization_purged', 'organization', "
	    "id::text, jsonb_build_object('subdomain', subdomain, 'deletedAt', deleted_at, "
	    "'olderThanDays', $1::int), 'webixctl' FROM gone", 1, p);
	int rc = 1;
	if (r == NULL)
		fprintf(stderr, "webixctl org purge: %s\n", db.msg);
	else {
		printf("purged %s organization(s) deleted more than %ld day(s) ago\n", PQcmdTuples(r),
		    days);
		rc = 0;
	}
	PQclear(r);
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
	unsigned need = strcmp(cmd, "migrate") == 0 || strcmp(cmd, "org") == 0 ||
	    strcmp(cmd, "expire") == 0 ? CFG_NEED_MIGRATE : CFG_NEED_API;
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	struct config cfg;
	char err[4096];
	int loaded = config_load(&cfg, path, need, err, sizeof(err)) == 0;
	if (strcmp(cmd, "check") == 0) {
		int rc = cmd_check(&cfg, path, loaded, err);
		config_free(&cfg);
		return rc;
	}
	if (!loaded) {
		fprintf(stderr, "webixctl: the configuration has problems:\n%s", err);
		config_free(&cfg);
		return 78;
	}
	int rc;
	if (strcmp(cmd, "migrate") == 0)
		rc = cmd_migrate(&cfg, argc - i, argv + i);
	else if (strcmp(cmd, "user") == 0)
		rc = cmd_user(&cfg, argc - i, argv + i);
	else if (strcmp(cmd, "org") == 0)
		rc = cmd_org(&cfg, argc - i, argv + i);
	else if (strcmp(cmd, "cache") == 0)
		rc = cmd_cache(&cfg, argc - i, argv + i);
	else if (strcmp(cmd, "expire") == 0) {
		rc = expire_run(&cfg, argc - i, argv + i);
		if (rc == 2)
			usage(stderr);
	} else {
		usage(stderr);
		rc = 2;
	}
	config_free(&cfg);
	return rc;
}
