/*
 * test_settings.c — lib/settings.c: config_load defaults, the `key = value` file (comments,
 * quotes, CRLF), the environment overriding the file, and every kind of error (unknown
 * key with its line, missing required settings, short or equal secrets, bad integers,
 * missing -c file). Also checks that docs/configuration.md documents every setting.
 * Each test starts from an environment with every setting (and WEBIX_CONFIG) unset and
 * writes its configuration to mkstemp files that the teardown removes.
 */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "legacyenv.h"
#include "settings.h"

#ifndef SRCDIR
#error "SRCDIR must name the source tree (the Makefile passes it)"
#endif

#define SECRET_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"   /* 40 bytes */
#define SECRET_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"   /* 40 bytes */
#define SECRET_31 "ccccccccccccccccccccccccccccccc"
#define SECRET_32 "dddddddddddddddddddddddddddddddd"

static char tmpfiles[8][64];
static int ntmp;
static struct config cfg;
static char err[8192];

static void
clear_env(void)
{
	for (size_t i = 0; i < cfg_ndefs; i++)
		ck_assert_int_eq(unsetenv(cfg_defs[i].name), 0);
	ck_assert_int_eq(unsetenv("WEBIX_CONFIG"), 0);
}

static void
setup(void)
{
	ntmp = 0;
	memset(&cfg, 0, sizeof(cfg));
	err[0] = '\0';
	clear_env();
}

static void
teardown(void)
{
	config_free(&cfg);
	for (int i = 0; i < ntmp; i++)
		unlink(tmpfiles[i]);
	clear_env();
}

/* Write content to a new temporary file; returns its path (valid until teardown). */
static const char *
write_conf(const char *content)
{
	ck_assert_int_lt(ntmp, 8);
	char *path = tmpfiles[ntmp++];
	snprintf(path, 64, "/tmp/webix-test-conf-XXXXXX");
	int fd = mkstemp(path);
	ck_assert_msg(fd >= 0, "mkstemp: %s", strerror(errno));
	size_t n = strlen(content);
	ck_assert_int_eq(write(fd, content, n), (ssize_t)n);
	close(fd);
	return path;
}

/* A path that does not exist: a mkstemp name, removed again. */
static const char *
missing_path(void)
{
	const char *p = write_conf("");
	ck_assert_int_eq(unlink(p), 0);
	return p;
}

static void
set(const char *name, const char *value)
{
	ck_assert_int_eq(setenv(name, value, 1), 0);
}

static void
set_api_env(void)
{
	set("DATABASE_URL", "postgresql://app:pw@localhost:5432/webix");
	set("REDIS_URL", "redis://localhost:6379/0");
	set("JWT_SECRET", SECRET_A);
	set("JWT_REFRESH_SECRET", SECRET_B);
}

static int
load(const char *path, unsigned need)
{
	config_free(&cfg);
	return config_load(&cfg, path, need, err, sizeof(err));
}

/* Number of lines (messages) in err. */
static int
err_lines(void)
{
	int n = 0;
	for (const char *p = err; *p; p++)
		n += *p == '\n';
	if (*err && err[strlen(err) - 1] != '\n')
		n++;
	return n;
}

/* True when some line of err starts with prefix. */
static bool
err_line_starts(const char *prefix)
{
	size_t n = strlen(prefix);
	for (const char *p = err; *p; ) {
		if (strncmp(p, prefix, n) == 0)
			return true;
		const char *nl = strchr(p, '\n');
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return false;
}

#define ASSERT_ERR_HAS(needle) \
	ck_assert_msg(strstr(err, needle) != NULL, "error text lacks \"%s\":\n%s", needle, err)
#define ASSERT_ERR_LINE(prefix) \
	ck_assert_msg(err_line_starts(prefix), "no error line starting \"%s\":\n%s", prefix, err)
#define ASSERT_OK(expr) do { \
	int r_ = (expr); \
	ck_assert_msg(r_ == 0, #expr " returned %d:\n%s", r_, err); \
} while (0)

/* ---- defaults ------------------------------------------------------------------- */

static void
assert_defaults(void)
{
	ck_assert_str_eq(cfg.node_env, "production");
	ck_assert_str_eq(cfg.socket_path, "/run/webix/webix-api.sock");
	ck_assert_str_eq(cfg.socket_group, "");
	ck_assert_int_eq(cfg.socket_mode, 0660);
	ck_assert_int_eq(cfg.workers, 4);
	ck_assert_int_eq(cfg.max_body, 1048576);
	ck_assert_int_eq(cfg.drain_timeout, 30);
	ck_assert_str_eq(cfg.pid_file, "");
	ck_assert_str_eq(cfg.base_domain, "webix.localhost");
	ck_assert_str_eq(cfg.media_dir, "/var/lib/webix/media");
	ck_assert_str_eq(cfg.client_url, "http://localhost:3000");
	ck_assert_str_eq(cfg.database_url, "");
	ck_assert_str_eq(cfg.database_owner_url, "");
	ck_assert_int_eq(cfg.db_statement_timeout, 5000);
	ck_assert_int_eq(cfg.db_connect_timeout, 2);
	ck_assert_str_eq(cfg.redis_url, "");
	ck_assert_int_eq(cfg.redis_timeout_ms, 500);
	ck_assert_str_eq(cfg.jwt_secret, "");
	ck_assert_str_eq(cfg.jwt_refresh_secret, "");
	ck_assert_str_eq(cfg.jwt_issuer, "webix");
	ck_assert_str_eq(cfg.jwt_audience, "webix-api");
	ck_assert_str_eq(cfg.sql_dir, WEBIX_DEFAULT_SQL_DIR);
}

START_TEST(defaults_empty_file)
{
	ASSERT_OK(load(write_conf(""), 0));
	ck_assert_str_eq(err, "");
	assert_defaults();
}
END_TEST

START_TEST(defaults_via_webix_config)
{
	set("WEBIX_CONFIG", write_conf("# nothing but a comment\n\n"));
	ASSERT_OK(load(NULL, 0));
	assert_defaults();
}
END_TEST

/* No -c, no WEBIX_CONFIG: the default file may be missing; the environment suffices. */
START_TEST(defaults_no_file)
{
	if (access("/etc/webix/webix.conf", F_OK) == 0)
		return;   /* this machine has one: nothing to test */
	ASSERT_OK(load(NULL, 0));
	assert_defaults();
	set("WEBIX_CONFIG", "");   /* empty: the default file, still optional */
	set_api_env();
	ASSERT_OK(load(NULL, CFG_NEED_API));
	ck_assert_str_eq(cfg.jwt_secret, SECRET_A);
}
END_TEST

/* ---- the file ------------------------------------------------------------------- */

START_TEST(file_values)
{
	const char *path = write_conf(
	    "# webix test configuration\n"
	    "   # an indented comment\n"
	    "\n"
	    "   \n"
	    "NODE_ENV = development\n"
	    "WEBIX_WORKERS=8\n"
	    "\tWEBIX_SOCKET\t=\t/tmp/webix.sock\t\n"
	    "WEBIX_BASE_DOMAIN = \"example.test\"\n"
	    "MEDIA_DIR = '/srv/media dir'\n"
	    "CLIENT_URL = \"  spaced  \"\n"
	    "DATABASE_URL = host=/run/postgresql dbname=webix user=app\n"
	    "REDIS_URL = unix:/run/redis/redis.sock?db=2\n"
	    "WEBIX_SOCKET_MODE = 0600\n"
	    "WEBIX_MAX_BODY = 2048\n"
	    "JWT_SECRET = \"" SECRET_A "\"\n"
	    "JWT_REFRESH_SECRET = " SECRET_B "\n"
	    "WEBIX_SOCKET_GROUP = www-data\n"
	    "WEBIX_PID_FILE = /run/webix/master.pid");   /* no final newline */
	ASSERT_OK(load(path, CFG_NEED_API));
	ck_assert_str_eq(cfg.node_env, "development");
	ck_assert_int_eq(cfg.workers, 8);
	ck_assert_str_eq(cfg.socket_path, "/tmp/webix.sock");
	ck_assert_str_eq(cfg.base_domain, "example.test");
	ck_assert_str_eq(cfg.media_dir, "/srv/media dir");
	ck_assert_str_eq(cfg.client_url, "  spaced  ");
	ck_assert_str_eq(cfg.database_url, "host=/run/postgresql dbname=webix user=app");
	ck_assert_str_eq(cfg.redis_url, "unix:/run/redis/redis.sock?db=2");
	ck_assert_int_eq(cfg.socket_mode, 0600);
	ck_assert_int_eq(cfg.max_body, 2048);
	ck_assert_str_eq(cfg.jwt_secret, SECRET_A);
	ck_assert_str_eq(cfg.jwt_refresh_secret, SECRET_B);
	ck_assert_str_eq(cfg.socket_group, "www-data");
	ck_assert_str_eq(cfg.pid_file, "/run/webix/master.pid");
	/* untouched settings keep their defaults */
	ck_assert_str_eq(cfg.jwt_issuer, "webix");
	ck_assert_int_eq(cfg.drain_timeout, 30);
}
END_TEST

START_TEST(file_crlf_and_repeats)
{
	ASSERT_OK(load(write_conf("NODE_ENV = staging\r\nWEBIX_WORKERS = 3\r\n"
	    "# comment\r\nWEBIX_WORKERS = 5\r\n"), 0));
	ck_assert_str_eq(cfg.node_env, "staging");
	ck_assert_int_eq(cfg.workers, 5);   /* the last line wins */
}
END_TEST

START_TEST(file_via_webix_config_and_explicit_path_wins)
{
	set("WEBIX_CONFIG", write_conf("NODE_ENV = from-webix-config\n"));
	ASSERT_OK(load(NULL, 0));
	ck_assert_str_eq(cfg.node_env, "from-webix-config");
	ASSERT_OK(load(write_conf("NODE_ENV = from-c\n"), 0));
	ck_assert_str_eq(cfg.node_env, "from-c");
}
END_TEST

/* ---- environment ---------------------------------------------------------------- */

START_TEST(env_overrides_file)
{
	const char *path = write_conf(
	    "NODE_ENV = development\n"
	    "WEBIX_WORKERS = 8\n"
	    "DATABASE_URL = postgresql://file@localhost/webix\n"
	    "REDIS_URL = redis://file:6379/0\n"
	    "JWT_SECRET = " SECRET_A "\n"
	    "JWT_REFRESH_SECRET = " SECRET_B "\n");
	set("WEBIX_WORKERS", "12");
	set("DATABASE_URL", "postgresql://env@localhost/webix");
	set("JWT_REFRESH_SECRET", SECRET_32);
	ASSERT_OK(load(path, CFG_NEED_API));
	ck_assert_int_eq(cfg.workers, 12);
	ck_assert_str_eq(cfg.database_url, "postgresql://env@localhost/webix");
	ck_assert_str_eq(cfg.jwt_refresh_secret, SECRET_32);
	ck_assert_str_eq(cfg.node_env, "development");            /* from the file */
	ck_assert_str_eq(cfg.redis_url, "redis://file:6379/0");    /* from the file */
	ck_assert_str_eq(cfg.jwt_secret, SECRET_A);
}
END_TEST

START_TEST(env_only)
{
	set_api_env();
	set("WEBIX_SOCKET_MODE", "0640");
	set("WEBIX_WORKERS", "256");
	ASSERT_OK(load(write_conf(""), CFG_NEED_API));
	ck_assert_str_eq(cfg.database_url, "postgresql://app:pw@localhost:5432/webix");
	ck_assert_str_eq(cfg.redis_url, "redis://localhost:6379/0");
	ck_assert_int_eq(cfg.socket_mode, 0640);
	ck_assert_int_eq(cfg.workers, 256);
}
END_TEST

/* ---- errors --------------------------------------------------------------------- */

START_TEST(unknown_key)
{
	const char *path = write_conf("NODE_ENV = x\n# comment\nFOO_BAR = 1\n");
	ck_assert_int_eq(load(path, 0), -1);
	char where[128];
	snprintf(where, sizeof(where), "%s:3", path);
	ASSERT_ERR_HAS(where);
	ASSERT_ERR_HAS("FOO_BAR");
	ck_assert_int_eq(err_lines(), 1);
	/* keys are case-sensitive */
	ck_assert_int_eq(load(write_conf("\n\nnode_env = x\n"), 0), -1);
	ASSERT_ERR_HAS("node_env");
	ASSERT_ERR_HAS(":3");
}
END_TEST

/* A name of the original system's .env gets what to use instead, still as an error. */
START_TEST(original_system_key)
{
	const char *path = write_conf("NODE_ENV = x\nMAX_FILE_SIZE = 10485760\n"
	    "MONGODB_URI = mongodb://localhost/webix\n");
	ck_assert_int_eq(load(path, 0), -1);
	char where[128];
	snprintf(where, sizeof(where), "%s:2: \"MAX_FILE_SIZE\" is a setting of the original", path);
	ASSERT_ERR_HAS(where);
	ASSERT_ERR_HAS("set MEDIA_MAX_BYTES");
	snprintf(where, sizeof(where), "%s:3: \"MONGODB_URI\"", path);
	ASSERT_ERR_HAS(where);
	ASSERT_ERR_HAS("set DATABASE_URL");
	ck_assert_int_eq(err_lines(), 2);
	/* the names webix kept are its own settings, not the original's */
	for (size_t i = 0; i < legacy_nsettings; i++) {
		ck_assert_msg(legacy_setting_find(legacy_settings[i].name,
		    strlen(legacy_settings[i].name)) == &legacy_settings[i], "%s",
		    legacy_settings[i].name);
		for (size_t j = 0; j < cfg_ndefs; j++)
			ck_assert_msg(strcmp(legacy_settings[i].name, cfg_defs[j].name) != 0,
			    "%s is both a setting and an original name", cfg_defs[j].name);
		/* each says what to set (an existing setting) or to remove it */
		const char *w = legacy_settings[i].instead;
		bool names_one = false;
		for (size_t j = 0; j < cfg_ndefs && !names_one; j++) {
			char want[96];
			snprintf(want, sizeof(want), "set %s ", cfg_defs[j].name);
			names_one = strstr(w, want) != NULL;
		}
		ck_assert_msg(names_one || strstr(w, "remove it") != NULL, "%s: %s",
		    legacy_settings[i].name, w);
	}
	ck_assert_ptr_null(legacy_setting_find("MAX_FILE", 8));
	ck_assert_ptr_null(legacy_setting_find("max_file_size", 13));
}
END_TEST

START_TEST(line_without_equals)
{
	const char *path = write_conf("NODE_ENV = x\njust some words\n");
	ck_assert_int_eq(load(path, 0), -1);
	char where[128];
	snprintf(where, sizeof(where), "%s:2", path);
	ASSERT_ERR_HAS(where);
	ASSERT_ERR_HAS("just some words");
}
END_TEST

START_TEST(missing_required_api)
{
	ck_assert_int_eq(load(write_conf(""), CFG_NEED_API), -1);
	ASSERT_ERR_LINE("DATABASE_URL ");
	ASSERT_ERR_LINE("REDIS_URL ");
	ASSERT_ERR_LINE("JWT_SECRET ");
	ASSERT_ERR_LINE("JWT_REFRESH_SECRET ");
	ck_assert_int_eq(err_lines(), 4);
	ck_assert_msg(!err_line_starts("DATABASE_OWNER_URL"), "webix-api does not need "
	    "DATABASE_OWNER_URL:\n%s", err);

	/* one missing, set to empty in the environment */
	set_api_env();
	set("REDIS_URL", "");
	ck_assert_int_eq(load(write_conf(""), CFG_NEED_API), -1);
	ASSERT_ERR_LINE("REDIS_URL ");
	ck_assert_int_eq(err_lines(), 1);

	/* nothing is required when nothing is needed */
	clear_env();
	ASSERT_OK(load(write_conf(""), 0));
}
END_TEST

START_TEST(missing_required_migrate)
{
	ck_assert_int_eq(load(write_conf(""), CFG_NEED_MIGRATE), -1);
	ASSERT_ERR_LINE("DATABASE_OWNER_URL ");
	ck_assert_int_eq(err_lines(), 1);
	set("DATABASE_OWNER_URL", "postgresql://owner@localhost/webix");
	ASSERT_OK(load(write_conf(""), CFG_NEED_MIGRATE));
	ck_assert_str_eq(cfg.database_owner_url, "postgresql://owner@localhost/webix");
}
END_TEST

START_TEST(short_secret)
{
	set_api_env();
	set("JWT_SECRET", SECRET_31);
	ck_assert_int_eq(load(write_conf(""), CFG_NEED_API), -1);
	ASSERT_ERR_LINE("JWT_SECRET ");
	ASSERT_ERR_HAS("32");
	ck_assert_int_eq(err_lines(), 1);

	set("JWT_SECRET", SECRET_A);
	set("JWT_REFRESH_SECRET", SECRET_31);
	ck_assert_int_eq(load(write_conf(""), CFG_NEED_API), -1);
	ASSERT_ERR_LINE("JWT_REFRESH_SECRET ");
	ck_assert_int_eq(err_lines(), 1);

	/* 32 bytes is enough; in the file as well */
	clear_env();
	set_api_env();
	unsetenv("JWT_SECRET");
	ASSERT_OK(load(write_conf("JWT_SECRET = " SECRET_32 "\n"), CFG_NEED_API));
	ck_assert_str_eq(cfg.jwt_secret, SECRET_32);
	/* the quotes do not count */
	ck_assert_int_eq(load(write_conf("JWT_SECRET = \"" SECRET_31 "\"\n"), CFG_NEED_API), -1);
	ASSERT_ERR_LINE("JWT_SECRET ");
}
END_TEST

START_TEST(equal_secrets)
{
	set_api_env();
	set("JWT_REFRESH_SECRET", SECRET_A);
	ck_assert_int_eq(load(write_conf(""), CFG_NEED_API), -1);
	ASSERT_ERR_HAS("JWT_SECRET and JWT_REFRESH_SECRET must be different");
	ck_assert_int_eq(err_lines(), 1);
}
END_TEST

static const char *const bad_ints[] = { "abc", "0", "100000", "", "4x", "x4", "-1", "1.5",
	"257", "0x10", "99999999999999999999999", "4 4" };

START_TEST(bad_integer_in_file)
{
	char content[128];
	snprintf(content, sizeof(content), "# workers\nWEBIX_WORKERS = %s\n", bad_ints[_i]);
	const char *path = write_conf(content);
	ck_assert_msg(load(path, 0) == -1, "WEBIX_WORKERS = \"%s\" accepted as %ld", bad_ints[_i],
	    cfg.workers);
	ASSERT_ERR_HAS("WEBIX_WORKERS");
	char where[128];
	snprintf(where, sizeof(where), "%s:2", path);
	ASSERT_ERR_HAS(where);
}
END_TEST

START_TEST(bad_integer_in_env)
{
	set("WEBIX_WORKERS", bad_ints[_i]);
	ck_assert_msg(load(write_conf("WEBIX_WORKERS = 4\n"), 0) == -1,
	    "WEBIX_WORKERS=\"%s\" accepted as %ld", bad_ints[_i], cfg.workers);
	ASSERT_ERR_HAS("WEBIX_WORKERS");
	ASSERT_ERR_HAS("environment");
}
END_TEST

START_TEST(integer_bounds)
{
	ASSERT_OK(load(write_conf("WEBIX_WORKERS = 1\n"), 0));
	ck_assert_int_eq(cfg.workers, 1);
	ASSERT_OK(load(write_conf("WEBIX_WORKERS = 256\n"), 0));
	ck_assert_int_eq(cfg.workers, 256);
	ck_assert_int_eq(load(write_conf("WEBIX_MAX_BODY = 1023\n"), 0), -1);
	ASSERT_ERR_HAS("WEBIX_MAX_BODY");
	ck_assert_int_eq(load(write_conf("DB_STATEMENT_TIMEOUT_MS = 600001\n"), 0), -1);
	ASSERT_ERR_HAS("DB_STATEMENT_TIMEOUT_MS");
}
END_TEST

START_TEST(bad_octal)
{
	static const char *bad[] = { "0999", "1000", "8", "rw", "-1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char content[64];
		snprintf(content, sizeof(content), "WEBIX_SOCKET_MODE = %s\n", bad[i]);
		ck_assert_msg(load(write_conf(content), 0) == -1, "WEBIX_SOCKET_MODE = %s accepted",
		    bad[i]);
		ASSERT_ERR_HAS("WEBIX_SOCKET_MODE");
		unlink(tmpfiles[--ntmp]);
	}
	ASSERT_OK(load(write_conf("WEBIX_SOCKET_MODE = 777\n"), 0));
	ck_assert_int_eq(cfg.socket_mode, 0777);
}
END_TEST

START_TEST(bad_urls)
{
	set_api_env();
	set("DATABASE_URL", "mysql://app@localhost/webix");
	set("REDIS_URL", "http://localhost:6379");
	ck_assert_int_eq(load(write_conf(""), CFG_NEED_API), -1);
	ASSERT_ERR_LINE("DATABASE_URL ");
	ASSERT_ERR_LINE("REDIS_URL ");
	ck_assert_int_eq(err_lines(), 2);
	set("DATABASE_URL", "postgres://app@localhost/webix");
	set("REDIS_URL", "unix:/run/redis.sock");
	ASSERT_OK(load(write_conf(""), CFG_NEED_API));
}
END_TEST

START_TEST(explicit_path_missing)
{
	const char *p = missing_path();
	ck_assert_int_eq(load(p, 0), -1);
	ASSERT_ERR_HAS(p);
	/* WEBIX_CONFIG naming a missing file is an error too */
	set("WEBIX_CONFIG", p);
	ck_assert_int_eq(load(NULL, 0), -1);
	ASSERT_ERR_HAS(p);
	/* an explicit path that exists wins over a bad WEBIX_CONFIG */
	ASSERT_OK(load(write_conf(""), 0));
}
END_TEST

/* A -c naming a directory is not a readable configuration file. */
START_TEST(explicit_path_is_directory)
{
	char dir[] = "/tmp/webix-test-dir-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	int r = load(dir, 0);
	rmdir(dir);
	ck_assert_msg(r == -1, "config_load(\"-c %s\") (a directory) returned %d with \"%s\"", dir,
	    r, err);
	ASSERT_ERR_HAS(dir);
}
END_TEST

START_TEST(all_errors_reported)
{
	const char *path = write_conf("FOO = 1\nWEBIX_WORKERS = abc\nBAR = 2\n");
	set("JWT_SECRET", SECRET_31);
	ck_assert_int_eq(load(path, CFG_NEED_API), -1);
	ASSERT_ERR_HAS("FOO");
	ASSERT_ERR_HAS("BAR");
	ASSERT_ERR_HAS("WEBIX_WORKERS");
	ASSERT_ERR_LINE("DATABASE_URL ");
	ASSERT_ERR_LINE("REDIS_URL ");
	ASSERT_ERR_LINE("JWT_SECRET ");
	ASSERT_ERR_LINE("JWT_REFRESH_SECRET ");
	ck_assert_int_eq(err_lines(), 7);
}
END_TEST

START_TEST(small_error_buffer)
{
	char small[16];
	memset(small, 'x', sizeof(small));
	config_free(&cfg);
	ck_assert_int_eq(config_load(&cfg, write_conf("FOO = 1\n"), CFG_NEED_API, small,
	    sizeof(small)), -1);
	ck_assert_ptr_nonnull(memchr(small, '\0', sizeof(small)));
	config_free(&cfg);
	ck_assert_int_eq(config_load(&cfg, write_conf(""), CFG_NEED_API, NULL, 0), -1);
	config_free(&cfg);
	config_free(&cfg);   /* twice is harmless */
}
END_TEST

/* ---- documentation -------------------------------------------------------------- */

static bool
word_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '_';
}

/* name appears in text as a whole word (WEBIX_SOCKET is not found in WEBIX_SOCKET_MODE) */
static bool
has_word(const char *text, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = strstr(text, name); p; p = strstr(p + 1, name))
		if ((p == text || !word_char(p[-1])) && !word_char(p[n]))
			return true;
	return false;
}

START_TEST(docs_list_every_setting)
{
	const char *path = SRCDIR "/docs/configuration.md";
	FILE *f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	static char text[1 << 20];
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	char missing[2048] = "";
	for (size_t i = 0; i < cfg_ndefs; i++)
		if (!has_word(text, cfg_defs[i].name)) {
			strncat(missing, " ", sizeof(missing) - strlen(missing) - 1);
			strncat(missing, cfg_defs[i].name, sizeof(missing) - strlen(missing) - 1);
		}
	ck_assert_msg(missing[0] == '\0', "%s does not document:%s", path, missing);
	ck_assert(has_word(text, "WEBIX_CONFIG"));
	for (size_t i = 0; i < legacy_nsettings; i++)
		if (!has_word(text, legacy_settings[i].name)) {
			strncat(missing, " ", sizeof(missing) - strlen(missing) - 1);
			strncat(missing, legacy_settings[i].name, sizeof(missing) - strlen(missing) - 1);
		}
	ck_assert_msg(missing[0] == '\0', "%s does not say what replaces:%s", path, missing);
}
END_TEST

/* The table itself is sane: names unique, defaults present unless required, docs written. */
START_TEST(defs_table_sane)
{
	for (size_t i = 0; i < cfg_ndefs; i++) {
		const struct cfg_def *d = &cfg_defs[i];
		ck_assert_msg(d->doc && *d->doc, "%s has no doc line", d->name);
		ck_assert_msg(d->def != NULL || d->need != 0, "%s: no default but never required",
		    d->name);
		for (size_t j = 0; j < i; j++)
			ck_assert_msg(strcmp(cfg_defs[j].name, d->name) != 0, "%s twice", d->name);
	}
}
END_TEST

static Suite *
settings_suite(void)
{
	Suite *s = suite_create("settings");
	TCase *tc = tcase_create("load");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, defaults_empty_file);
	tcase_add_test(tc, defaults_via_webix_config);
	tcase_add_test(tc, defaults_no_file);
	tcase_add_test(tc, file_values);
	tcase_add_test(tc, file_crlf_and_repeats);
	tcase_add_test(tc, file_via_webix_config_and_explicit_path_wins);
	tcase_add_test(tc, env_overrides_file);
	tcase_add_test(tc, env_only);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, unknown_key);
	tcase_add_test(tc, original_system_key);
	tcase_add_test(tc, line_without_equals);
	tcase_add_test(tc, missing_required_api);
	tcase_add_test(tc, missing_required_migrate);
	tcase_add_test(tc, short_secret);
	tcase_add_test(tc, equal_secrets);
	tcase_add_loop_test(tc, bad_integer_in_file, 0, (int)(sizeof(bad_ints) / sizeof(bad_ints[0])));
	tcase_add_loop_test(tc, bad_integer_in_env, 0, (int)(sizeof(bad_ints) / sizeof(bad_ints[0])));
	tcase_add_test(tc, integer_bounds);
	tcase_add_test(tc, bad_octal);
	tcase_add_test(tc, bad_urls);
	tcase_add_test(tc, explicit_path_missing);
	tcase_add_test(tc, explicit_path_is_directory);
	tcase_add_test(tc, all_errors_reported);
	tcase_add_test(tc, small_error_buffer);
	suite_add_tcase(s, tc);
	tc = tcase_create("docs");
	tcase_add_test(tc, docs_list_every_setting);
	tcase_add_test(tc, defs_table_sane);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(settings_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
