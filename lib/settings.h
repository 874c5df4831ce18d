/* settings.h — every setting of webix in one typed table: file, then environment, then checks. */
#ifndef WEBIX_SETTINGS_H
#define WEBIX_SETTINGS_H
#include <stddef.h>
#include <stdbool.h>

struct config {
	/* runtime */
	char *node_env;           /* NODE_ENV */
	char *socket_path;        /* WEBIX_SOCKET */
	char *socket_group;       /* WEBIX_SOCKET_GROUP */
	long  socket_mode;        /* WEBIX_SOCKET_MODE (octal) */
	long  workers;            /* WEBIX_WORKERS */
	long  max_body;           /* WEBIX_MAX_BODY */
	long  drain_timeout;      /* WEBIX_DRAIN_TIMEOUT (s) */
	char *pid_file;           /* WEBIX_PID_FILE */
	char *base_domain;        /* WEBIX_BASE_DOMAIN */
	char *media_dir;          /* MEDIA_DIR */
	long  media_max_bytes;    /* MEDIA_MAX_BYTES */
	char *media_store;        /* MEDIA_STORE: local | s3 */
	char *s3_endpoint;        /* S3_ENDPOINT */
	char *s3_bucket;          /* S3_BUCKET */
	char *s3_region;          /* S3_REGION */
	char *s3_access_key;      /* S3_ACCESS_KEY */
	char *s3_secret_key;      /* S3_SECRET_KEY */
	char *s3_public_url;      /* S3_PUBLIC_URL */
	char *client_url;         /* CLIENT_URL */
	/* data stores */
	char *database_url;       /* DATABASE_URL (application role) */
	char *database_owner_url; /* DATABASE_OWNER_URL (migrations) */
	long  db_statement_timeout; /* DB_STATEMENT_TIMEOUT_MS */
	long  db_connect_timeout; /* DB_CONNECT_TIMEOUT (s) */
	char *redis_url;          /* REDIS_URL */
	long  redis_timeout_ms;   /* REDIS_TIMEOUT_MS */
	/* secrets */
	char *jwt_secret;         /* JWT_SECRET */
	char *jwt_refresh_secret; /* JWT_REFRESH_SECRET */
	char *jwt_issuer;         /* JWT_ISSUER */
	char *jwt_audience;       /* JWT_AUDIENCE */
	char *sql_dir;            /* WEBIX_SQL_DIR */
	/* limits */
	char *rate_limit_exempt;  /* RATE_LIMIT_EXEMPT */
	long  rate_limit_fail_open; /* RATE_LIMIT_FAIL_OPEN */
	long  login_max_failures; /* LOGIN_MAX_FAILURES */
	long  login_ip_max_failures; /* LOGIN_IP_MAX_FAILURES */
	long  login_lock_max;     /* LOGIN_LOCK_MAX_SECONDS */
	long  register_per_hour;  /* REGISTER_LIMIT_PER_HOUR */
	long  refresh_per_minute; /* REFRESH_LIMIT_PER_MINUTE */
	long  forgot_per_hour;    /* FORGOT_PASSWORD_LIMIT_PER_HOUR */
	long  refresh_grace;      /* REFRESH_GRACE_SECONDS */
	long  org_limit_per_user; /* ORG_LIMIT_PER_USER */
	long  test_routes;        /* WEBIX_TEST_ROUTES */
	/* reads */
	long  cache_ttl;          /* CACHE_TTL_SECONDS (0: no response cache) */
	long  views_flush_ms;     /* VIEWS_FLUSH_MS */
};

enum cfg_type { CFG_STR, CFG_SECRET, CFG_INT, CFG_OCTAL, CFG_URL_PG, CFG_URL_REDIS };

struct cfg_def {
	const char   *name;      /* key in webix.conf and environment variable */
	enum cfg_type type;
	size_t        off;       /* offsetof(struct config, …) */
	const char   *def;       /* default, NULL when required */
	long          min, max;  /* CFG_INT/CFG_OCTAL range; CFG_SECRET min length */
	unsigned      need;      /* CFG_NEED_* bitmask: which programs require it */
	const char   *doc;       /* one line for docs/configuration.md */
};
#define CFG_NEED_API     1u   /* webix-api refuses to start without it */
#define CFG_NEED_MIGRATE 2u   /* webixctl migrate needs it */

extern const struct cfg_def cfg_defs[];
extern const size_t cfg_ndefs;

/*
 * Load defaults, then `path` (NULL: $WEBIX_CONFIG or /etc/webix/webix.conf; a missing
 * default file is fine), then the environment. Checks every setting that `need` requires.
 * Returns 0, or -1 with a human message in err (every problem, one per line).
 * Free with config_free().
 */
int  config_load(struct config *, const char *path, unsigned need, char *err, size_t errsz);
void config_free(struct config *);
#endif
