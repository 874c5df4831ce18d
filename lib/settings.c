/* settings.c — reads /etc/webix/webix.conf (key = value), applies the environment, checks types. */
#include "settings.h"
#include "legacyenv.h"
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef WEBIX_DEFAULT_CONFIG
#define WEBIX_DEFAULT_CONFIG "/etc/webix/webix.conf"
#endif
#define OFF(f) offsetof(struct config, f)
#define ALL (CFG_NEED_API | CFG_NEED_MIGRATE)

const struct cfg_def cfg_defs[] = {
	{ "NODE_ENV", CFG_STR, OFF(node_env), "production", 0, 0, 0,
	  "Environment name reported by /api/health; `development` adds error detail to 500 answers." },
	{ "WEBIX_SOCKET", CFG_STR, OFF(socket_path), "/run/webix/webix-api.sock", 0, 0, 0,
	  "Unix socket the FastCGI master listens on (ignored under systemd socket activation)." },
	{ "WEBIX_SOCKET_GROUP", CFG_STR, OFF(socket_group), "", 0, 0, 0,
	  "Group given to the socket so that only nginx can connect (e.g. www-data); empty keeps the process group." },
	{ "WEBIX_SOCKET_MODE", CFG_OCTAL, OFF(socket_mode), "0660", 0, 0777, 0,
	  "Permission bits of the socket, octal." },
	{ "WEBIX_WORKERS", CFG_INT, OFF(workers), "4", 1, 256, 0,
	  "Number of prefork worker processes." },
	{ "WEBIX_MAX_BODY", CFG_INT, OFF(max_body), "1048576", 1024, 1073741824, 0,
	  "Largest request body accepted, in bytes; larger bodies answer 413." },
	{ "WEBIX_DRAIN_TIMEOUT", CFG_INT, OFF(drain_timeout), "30", 1, 3600, 0,
	  "Seconds a stopping worker may take to finish its request before it is killed." },
	{ "WEBIX_PID_FILE", CFG_STR, OFF(pid_file), "", 0, 0, 0,
	  "File the master writes its pid to; empty writes none." },
	{ "WEBIX_BASE_DOMAIN", CFG_STR, OFF(base_domain), "webix.localhost", 0, 0, 0,
	  "Base domain: organizations answer on <subdomain>.<base domain>." },
	{ "MEDIA_DIR", CFG_STR, OFF(media_dir), "/var/lib/webix/media", 0, 0, 0,
	  "Directory uploaded media is stored in; nginx serves it as /media/." },
	{ "MEDIA_MAX_BYTES", CFG_INT, OFF(media_max_bytes), "10485760", 1, 1073741824, 0,
	  "Largest media upload (POST /api/media), in bytes; larger files answer 413. nginx caps "
	  "/api/media bodies at 12 MiB: raise its client_max_body_size too before going above." },
	{ "MEDIA_STORE", CFG_STR, OFF(media_store), "local", 0, 0, 0,
	  "Where uploads go: `local` (MEDIA_DIR, served by nginx as /media/) or `s3` (an "
	  "S3-compatible bucket: S3_ENDPOINT, S3_BUCKET, S3_REGION, S3_ACCESS_KEY, S3_SECRET_KEY)." },
	{ "S3_ENDPOINT", CFG_STR, OFF(s3_endpoint), "", 0, 0, 0,
	  "MEDIA_STORE=s3: the S3 endpoint, http(s)://host[:port]; objects are addressed path-style "
	  "as <endpoint>/<bucket>/<organizationId>/<sha256>.<ext>." },
	{ "S3_BUCKET", CFG_STR, OFF(s3_bucket), "", 0, 0, 0,
	  "MEDIA_STORE=s3: the bucket (3-63 of a-z 0-9 . -)." },
	{ "S3_REGION", CFG_STR, OFF(s3_region), "", 0, 0, 0,
	  "MEDIA_STORE=s3: the region the requests are signed for (AWS SigV4), e.g. us-east-1." },
	{ "S3_ACCESS_KEY", CFG_STR, OFF(s3_access_key), "", 0, 0, 0,
	  "MEDIA_STORE=s3: the access key id." },
	{ "S3_SECRET_KEY", CFG_SECRET, OFF(s3_secret_key), "", 0, 0, 0,
	  "MEDIA_STORE=s3: the secret access key." },
	{ "S3_PUBLIC_URL", CFG_STR, OFF(s3_public_url), "", 0, 0, 0,
	  "MEDIA_STORE=s3: base URL of the returned media URLs (a CDN or the bucket's public URL), "
	  "http(s)://...; empty: <S3_ENDPOINT>/<S3_BUCKET>." },
	{ "CLIENT_URL", CFG_STR, OFF(client_url), "http://localhost:3000", 0, 0, 0,
	  "Origin of the web client, allowed by CORS (nginx) and used in links sent by email." },
	{ "DATABASE_URL", CFG_URL_PG, OFF(database_url), NULL, 0, 0, CFG_NEED_API,
	  "PostgreSQL connection URL of the application role (owns nothing, cannot bypass row-level security)." },
	{ "DATABASE_OWNER_URL", CFG_URL_PG, OFF(database_owner_url), "", 0, 0, CFG_NEED_MIGRATE,
	  "PostgreSQL connection URL of the schema owner; used only by `webixctl migrate`, "
	  "`org purge` and `expire`." },
	{ "DB_STATEMENT_TIMEOUT_MS", CFG_INT, OFF(db_statement_timeout), "5000", 100, 600000, 0,
	  "statement_timeout of the API's database sessions; a slower query is cancelled and answered 503." },
	{ "DB_CONNECT_TIMEOUT", CFG_INT, OFF(db_connect_timeout), "2", 1, 60, 0,
	  "Seconds to wait when (re)connecting to PostgreSQL." },
	{ "REDIS_URL", CFG_URL_REDIS, OFF(redis_url), NULL, 0, 0, CFG_NEED_API,
	  "Redis server: redis://[:password@]host:port[/db] or unix:/path/to/redis.sock[?db=N]." },
	{ "REDIS_TIMEOUT_MS", CFG_INT, OFF(redis_timeout_ms), "500", 10, 60000, 0,
	  "Connect and command timeout for Redis, in milliseconds." },
	{ "JWT_SECRET", CFG_SECRET, OFF(jwt_secret), NULL, 32, 0, CFG_NEED_API,
	  "HMAC key for access tokens, at least 32 bytes (e.g. `openssl rand -base64 48`)." },
	{ "JWT_REFRESH_SECRET", CFG_SECRET, OFF(jwt_refresh_secret), NULL, 32, 0, CFG_NEED_API,
	  "Key for refresh-token hashing, at least 32 bytes, different from JWT_SECRET." },
	{ "JWT_ISSUER", CFG_STR, OFF(jwt_issuer), "webix", 0, 0, 0,
	  "`iss` claim written into and required of access tokens." },
	{ "JWT_AUDIENCE", CFG_STR, OFF(jwt_audience), "webix-api", 0, 0, 0,
	  "`aud` claim written into and required of access tokens." },
	{ "WEBIX_SQL_DIR", CFG_STR, OFF(sql_dir), WEBIX_DEFAULT_SQL_DIR, 0, 0, 0,
	  "Directory of numbered migrations read by `webixctl migrate`." },
	{ "RATE_LIMIT_EXEMPT", CFG_STR, OFF(rate_limit_exempt), "", 0, 0, 0,
	  "Comma-separated client addresses exempt from the per-address limits (monitoring, tests)." },
	{ "RATE_LIMIT_FAIL_OPEN", CFG_INT, OFF(rate_limit_fail_open), "1", 0, 1, 0,
	  "1: while Redis is down, requests pass without rate limiting; 0: they answer 503." },
	{ "LOGIN_MAX_FAILURES", CFG_INT, OFF(login_max_failures), "5", 1, 1000, 0,
	  "Failed logins of one account before it is locked for a growing delay (1 s, 2 s, 4 s …)." },
	{ "LOGIN_IP_MAX_FAILURES", CFG_INT, OFF(login_ip_max_failures), "20", 1, 100000, 0,
	  "Failed logins from one client address before that address is locked likewise." },
	{ "LOGIN_LOCK_MAX_SECONDS", CFG_INT, OFF(login_lock_max), "900", 1, 86400, 0,
	  "Longest lock-out after repeated failed logins, in seconds." },
	{ "REGISTER_LIMIT_PER_HOUR", CFG_INT, OFF(register_per_hour), "20", 1, 1000000, 0,
	  "Registrations accepted per client address per hour." },
	{ "REFRESH_LIMIT_PER_MINUTE", CFG_INT, OFF(refresh_per_minute), "60", 1, 1000000, 0,
	  "Token refreshes accepted per client address per minute." },
	{ "FORGOT_PASSWORD_LIMIT_PER_HOUR", CFG_INT, OFF(forgot_per_hour), "10", 1, 1000000, 0,
	  "Password-reset requests accepted per client address per hour." },
	{ "ORG_LIMIT_PER_USER", CFG_INT, OFF(org_limit_per_user), "20", 1, 100000, 0,
	  "Organizations one user may create (deleted ones do not count; super admins have no limit)." },
	{ "WEBIX_TEST_ROUTES", CFG_INT, OFF(test_routes), "0", 0, 1, 0,
	  "1 enables /api/_test/ routes used by the end-to-end tests (isolation probes); refused when "
	  "NODE_ENV=production." },
	{ "CACHE_TTL_SECONDS", CFG_INT, OFF(cache_ttl), "60", 0, 86400, 0,
	  "Lifetime of the Redis cache of member reads (webtoon list and webtoon by id, with the "
	  "caller's access) and of the public reads (a tenant host's webtoons and episodes); every "
	  "write in the organization invalidates it at once, so this only bounds memory and a "
	  "Redis outage during a write. 0 turns the cache off." },
	{ "VIEWS_FLUSH_MS", CFG_INT, OFF(views_flush_ms), "1000", 50, 60000, 0,
	  "Views are counted in Redis and written to PostgreSQL (view counts, analytics rows) in "
	  "batches at this interval, in milliseconds; while Redis is down each view is written at once." },
	{ "REFRESH_GRACE_SECONDS", CFG_INT, OFF(refresh_grace), "10", 0, 300, 0,
	  "After a refresh, the previous refresh token still returns the current pair for this long "
	  "(concurrent refreshes); later reuse revokes the session." },
};
const size_t cfg_ndefs = sizeof(cfg_defs) / sizeof(cfg_defs[0]);

static char **
str_slot(struct config *c, const struct cfg_def *d)
{
	return (char **)((char *)c + d->off);
}

static long *
long_slot(struct config *c, const struct cfg_def *d)
{
	return (long *)((char *)c + d->off);
}

static const struct cfg_def *
find_def(const char *name, size_t len)
{
	for (size_t i = 0; i < cfg_ndefs; i++)
		if (strlen(cfg_defs[i].name) == len && strncmp(cfg_defs[i].name, name, len) == 0)
			return &cfg_defs[i];
	return NULL;
}

struct errbuf { char *p; size_t sz, len; int n; };

static void
adderr(struct errbuf *e, const char *fmt, ...)
{
	va_list ap;
	e->n++;
	if (e->len + 1 >= e->sz)
		return;
	va_start(ap, fmt);
	int w = vsnprintf(e->p + e->len, e->sz - e->len, fmt, ap);
	va_end(ap);
	if (w > 0)
		e->len += (size_t)w < e->sz - e->len ? (size_t)w : e->sz - e->len - 1;
	if (e->len + 1 < e->sz) {
		e->p[e->len++] = '\n';
		e->p[e->len] = '\0';
	}
}

/* Store a raw value (string form) into the typed slot; 0 ok, -1 bad. */
static int
set_value(struct config *c, const struct cfg_def *d, const char *v, const char *where,
    struct errbuf *e)
{
	char *end;
	long n;
	switch (d->type) {
	case CFG_INT:
	case CFG_OCTAL:
		errno = 0;
		n = strtol(v, &end, d->type == CFG_OCTAL ? 8 : 10);
		if (errno != 0 || end == v || *end != '\0' || n < d->min || n > d->max) {
			adderr(e, "%s: %s = \"%s\" is not valid: expected %s from %ld to %ld%s",
			    where, d->name, v, d->type == CFG_OCTAL ? "an octal number" : "a whole number",
			    d->min, d->max, d->type == CFG_OCTAL ? " (octal)" : "");
			return -1;
		}
		*long_slot(c, d) = n;
		return 0;
	default:
		free(*str_slot(c, d));
		*str_slot(c, d) = strdup(v);
		return 0;
	}
}

static char *
trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

static int
read_file(struct config *c, const char *path, bool must_exist, struct errbuf *e)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		if (errno == ENOENT && !must_exist)
			return 0;
		adderr(e, "cannot read configuration file %s: %s", path, strerror(errno));
		return -1;
	}
	char line[4096];
	int lineno = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		char *s = trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		char *eq = strchr(s, '=');
		char where[512];
		snprintf(where, sizeof(where), "%s:%d", path, lineno);
		if (eq == NULL) {
			adderr(e, "%s: expected `key = value`, found \"%s\"", where, s);
			continue;
		}
		*eq = '\0';
		char *key = trim(s), *val = trim(eq + 1);
		size_t vl = strlen(val);
		if (vl >= 2 && ((val[0] == '"' && val[vl - 1] == '"') ||
		    (val[0] == '\'' && val[vl - 1] == '\''))) {
			val[vl - 1] = '\0';
			val++;
		}
		const struct cfg_def *d = find_def(key, strlen(key));
		if (d == NULL) {
			const struct legacy_setting *old = legacy_setting_find(key, strlen(key));
			if (old != NULL)
				adderr(e, "%s: \"%s\" is a setting of the original Node.js system, which "
				    "webix does not read: %s (docs/configuration.md)", where, key,
				    old->instead);
			else
				adderr(e, "%s: unknown setting \"%s\" (see docs/configuration.md)", where,
				    key);
			continue;
		}
		set_value(c, d, val, where, e);
	}
	bool failed = ferror(f) != 0;
	fclose(f);
	if (failed) {
		adderr(e, "cannot read configuration file %s: %s", path,
		    errno == EISDIR ? "it is a directory" : strerror(errno));
		return -1;
	}
	return 0;
}

static bool
url_ok(const struct cfg_def *d, const char *v)
{
	if (d->type == CFG_URL_PG)
		return strncmp(v, "postgresql://", 13) == 0 || strncmp(v, "postgres://", 11) == 0 ||
		    strchr(v, '=') != NULL;
	return strncmp(v, "redis://", 8) == 0 || strncmp(v, "unix:", 5) == 0;
}

static bool
http_url_ok(const char *v)
{
	const char *host = strncmp(v, "https://", 8) == 0 ? v + 8 :
	    strncmp(v, "http://", 7) == 0 ? v + 7 : NULL;
	return host != NULL && *host != '\0' && *host != '/' &&
	    strpbrk(v, " \t\r\n?#") == NULL;
}

static bool
chars_ok(const char *v, const char *allowed, size_t min, size_t max)
{
	size_t n = strlen(v);
	return n >= min && n <= max && strspn(v, allowed) == n;
}

/* MEDIA_STORE and, for s3, every S3_* setting it needs. */
static void
check_media_store(const struct config *c, struct errbuf *e)
{
	const char *st = c->media_store ? c->media_store : "";
	if (strcmp(st, "local") == 0)
		return;
	if (strcmp(st, "s3") != 0) {
		adderr(e, "MEDIA_STORE = \"%s\" is not valid: expected local or s3", st);
		return;
	}
	static const struct { const char *name; size_t off; } need[] = {
		{ "S3_ENDPOINT", OFF(s3_endpoint) }, { "S3_BUCKET", OFF(s3_bucket) },
		{ "S3_REGION", OFF(s3_region) }, { "S3_ACCESS_KEY", OFF(s3_access_key) },
		{ "S3_SECRET_KEY", OFF(s3_secret_key) },
	};
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		const char *v = *(char *const *)((const char *)c + need[i].off);
		if (v == NULL || *v == '\0')
			adderr(e, "MEDIA_STORE = s3 needs %s: set it in the configuration file or the "
			    "environment (see docs/configuration.md)", need[i].name);
	}
	if (c->s3_endpoint && *c->s3_endpoint && !http_url_ok(c->s3_endpoint))
		adderr(e, "S3_ENDPOINT = \"%s\" is not an http(s)://host[:port] URL", c->s3_endpoint);
	if (c->s3_public_url && *c->s3_public_url && !http_url_ok(c->s3_public_url))
		adderr(e, "S3_PUBLIC_URL = \"%s\" is not an http(s):// URL", c->s3_public_url);
	if (c->s3_bucket && *c->s3_bucket &&
	    !chars_ok(c->s3_bucket, "abcdefghijklmnopqrstuvwxyz0123456789.-", 3, 63))
		adderr(e, "S3_BUCKET = \"%s\" is not a bucket name: 3 to 63 of a-z, 0-9, '.', '-'",
		    c->s3_bucket);
	if (c->s3_region && *c->s3_region &&
	    !chars_ok(c->s3_region, "abcdefghijklmnopqrstuvwxyz0123456789-", 1, 64))
		adderr(e, "S3_REGION = \"%s\" is not a region name such as us-east-1", c->s3_region);
}

int
config_load(struct config *c, const char *path, unsigned need, char *err, size_t errsz)
{
	struct errbuf e = { err, errsz, 0, 0 };
	if (errsz)
		err[0] = '\0';
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < cfg_ndefs; i++)
		set_value(c, &cfg_defs[i], cfg_defs[i].def ? cfg_defs[i].def : "", "default", &e);

	bool must = path != NULL;
	if (path == NULL) {
		path = getenv("WEBIX_CONFIG");
		must = path != NULL && *path != '\0';
		if (!must)
			path = WEBIX_DEFAULT_CONFIG;
	}
	read_file(c, path, must, &e);

	for (size_t i = 0; i < cfg_ndefs; i++) {
		const char *v = getenv(cfg_defs[i].name);
		if (v != NULL) {
			char where[128];
			snprintf(where, sizeof(where), "environment");
			set_value(c, &cfg_defs[i], v, where, &e);
		}
	}

	for (size_t i = 0; i < cfg_ndefs; i++) {
		const struct cfg_def *d = &cfg_defs[i];
		if (d->type == CFG_INT || d->type == CFG_OCTAL)
			continue;
		const char *v = *str_slot(c, d);
		bool required = (d->need & need) != 0;
		if (v == NULL || *v == '\0') {
			if (required)
				adderr(&e, "%s is not set: %s Set it in %s or in the environment.",
				    d->name, d->doc, path);
			continue;
		}
		if (strstr(v, "CHANGE-ME") != NULL && required) {
			adderr(&e, "%s still holds the example value from webix.conf.example: %s", d->name,
			    d->type == CFG_SECRET ? "generate one with: openssl rand -base64 48"
			    : "put the real value in");
			continue;
		}
		if (d->type == CFG_SECRET && strlen(v) < (size_t)d->min && required)
			adderr(&e, "%s is too short (%zu bytes): it must be at least %ld bytes. "
			    "Generate one with: openssl rand -base64 48", d->name, strlen(v), d->min);
		if ((d->type == CFG_URL_PG || d->type == CFG_URL_REDIS) && !url_ok(d, v))
			adderr(&e, "%s = \"%s\" is not a %s", d->name, v,
			    d->type == CFG_URL_PG ? "PostgreSQL URL (postgresql://user:password@host:port/db)"
			    : "Redis URL (redis://host:port/db or unix:/path/to/redis.sock)");
	}
	if ((need & CFG_NEED_API) && c->jwt_secret && c->jwt_refresh_secret &&
	    *c->jwt_secret && strcmp(c->jwt_secret, c->jwt_refresh_secret) == 0)
		adderr(&e, "JWT_SECRET and JWT_REFRESH_SECRET must be different secrets");
	if (need & CFG_NEED_API)
		check_media_store(c, &e);
	if (c->test_routes && c->node_env && strcmp(c->node_env, "production") == 0)
		adderr(&e, "WEBIX_TEST_ROUTES = 1 is refused when NODE_ENV = production: "
		    "set WEBIX_TEST_ROUTES = 0");
	return e.n ? -1 : 0;
}

void
config_free(struct config *c)
{
	for (size_t i = 0; i < cfg_ndefs; i++)
		if (cfg_defs[i].type != CFG_INT && cfg_defs[i].type != CFG_OCTAL) {
			free(*str_slot(c, &cfg_defs[i]));
			*str_slot(c, &cfg_defs[i]) = NULL;
		}
}
