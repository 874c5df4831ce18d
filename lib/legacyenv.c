/* legacyenv.c — the original system's .env names webix does not read (spec/original-api.md
 * §6), and what replaces each: an operator who copies the old .env into webix.conf is told
 * what to write instead of only "unknown setting". The names webix kept (NODE_ENV,
 * CLIENT_URL, JWT_SECRET, JWT_REFRESH_SECRET, REDIS_URL) are ordinary settings. */
#include "legacyenv.h"
#include <string.h>

const struct legacy_setting legacy_settings[] = {
	{ "MONGODB_URI", "webix keeps its data in PostgreSQL: set DATABASE_URL (and "
	  "DATABASE_OWNER_URL, the role that runs the migrations) instead" },
	{ "MONGODB_TEST_URI", "not used: the tests start their own PostgreSQL; remove it" },
	{ "PORT", "webix-api answers on a FastCGI socket (WEBIX_SOCKET) behind nginx; the HTTP "
	  "and HTTPS ports are nginx's `listen`; remove it" },
	{ "AWS_ACCESS_KEY_ID", "set S3_ACCESS_KEY (with MEDIA_STORE = s3) instead" },
	{ "AWS_SECRET_ACCESS_KEY", "set S3_SECRET_KEY (with MEDIA_STORE = s3) instead" },
	{ "AWS_REGION", "set S3_REGION (with MEDIA_STORE = s3) instead" },
	{ "S3_BUCKET_NAME", "set S3_BUCKET (with MEDIA_STORE = s3) instead" },
	{ "MAX_FILE_SIZE", "set MEDIA_MAX_BYTES (the largest upload, in bytes) instead" },
	{ "ALLOWED_FILE_TYPES", "uploads are JPEG, PNG, GIF or WebP, recognised by their content; "
	  "remove it" },
	{ "RATE_LIMIT_WINDOW_MS", "request rates are limited by nginx (the site's limit_req "
	  "zones) and sign-ins by LOGIN_MAX_FAILURES and LOGIN_IP_MAX_FAILURES; remove it" },
	{ "RATE_LIMIT_MAX_REQUESTS", "request rates are limited by nginx (the site's limit_req "
	  "zones) and sign-ins by LOGIN_MAX_FAILURES and LOGIN_IP_MAX_FAILURES; remove it" },
	{ "BCRYPT_ROUNDS", "new passwords are hashed with Argon2id and the original system's "
	  "bcrypt hashes still verify; remove it" },
	{ "SESSION_SECRET", "not used: sessions are tokens signed with JWT_SECRET and "
	  "JWT_REFRESH_SECRET; remove it" },
	{ "LOG_LEVEL", "webix logs one JSON object per line at info and above; remove it" },
	{ "ENABLE_AUDIT_LOGS", "the audit log is always on; remove it" },
	{ "TZ", "webix stores times with their time zone and answers in UTC; remove it" },
};
const size_t legacy_nsettings = sizeof(legacy_settings) / sizeof(legacy_settings[0]);

const struct legacy_setting *
legacy_setting_find(const char *name, size_t len)
{
	for (size_t i = 0; i < legacy_nsettings; i++)
		if (strlen(legacy_settings[i].name) == len &&
		    memcmp(legacy_settings[i].name, name, len) == 0)
			return &legacy_settings[i];
	return NULL;
}
