/* e2e_auth.c — end-to-end tests of accounts and sessions (/api/auth) through nginx:
 * register/login shapes and validation, duplicate and concurrent registration, the JWT
 * matrix (self-signed tokens with the stack's JWT_SECRET read from webix.conf), refresh
 * rotation with grace and reuse detection, logout, logout-all, change-password,
 * deactivation, bcrypt import and rehash, audit rows, email verification, password reset,
 * profile, webixctl super admin, per-address and per-account limits.
 *
 * Every response body of the run is searched for secrets (password hashes, hash column
 * names, the JWT secrets). Emails are unique per run, so the program can run again and
 * again against the same database. Requests are paced (PACE_MS) to stay inside nginx's
 * per-address auth zone; the suite never relies on the harness's 429 retry.
 *
 * Links with: libcurl json-c libpq libcrypto libcrypt pthread. */
#include "harness.h"

#include <crypt.h>
#include <ctype.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PACE_MS 55   /* nginx's auth zone: 20 r/s per address (burst 40) */
#define UA "webix-e2e-auth/1.0"
#define ACCESS_TTL 900

static const char *const REGISTER = "/api/auth/register";
static const char *const LOGIN = "/api/auth/login";
static const char *const REFRESH = "/api/auth/refresh";
static const char *const VERIFY = "/api/auth/verify";

/* ---- the stack's settings (webix.conf, then api.env, which overrides it) ---- */

static struct { char *k, *v; } confv[256];
static size_t nconf;

static void conf_set(const char *k, size_t kn, const char *v, size_t vn)
{
	for (size_t i = 0; i < nconf; i++)
		if (strlen(confv[i].k) == kn && strncmp(confv[i].k, k, kn) == 0) {
			confv[i].v = h_keep(strndup(v, vn));
			return;
		}
	if (nconf < sizeof(confv) / sizeof(confv[0])) {
		confv[nconf].k = h_keep(strndup(k, kn));
		confv[nconf].v = h_keep(strndup(v, vn));
		nconf++;
	}
}

/* "KEY = value" or "KEY=value" lines; # comments. 0 when the file was read. */
static int conf_load(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[4096];

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = line, *eq, *ke, *v, *ve;

		while (isspace((unsigned char)*p))
			p++;
		if (*p == '#' || *p == '\0' || (eq = strchr(p, '=')) == NULL)
			continue;
		ke = eq;
		while (ke > p && isspace((unsigned char)ke[-1]))
			ke--;
		v = eq + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		ve = v + strlen(v);
		while (ve > v && isspace((unsigned char)ve[-1]))
			ve--;
		conf_set(p, (size_t)(ke - p), v, (size_t)(ve - v));
	}
	fclose(f);
	return 0;
}

static const char *conf_get(const char *k, const char *dflt)
{
	for (size_t i = 0; i < nconf; i++)
		if (strcmp(confv[i].k, k) == 0)
			return confv[i].v;
	return dflt;
}

static long conf_long(const char *k, long dflt)
{
	const char *v = conf_get(k, NULL);
	char *end;
	long n;

	if (v == NULL || *v == '\0')
		return dflt;
	n = strtol(v, &end, 10);
	return *end == '\0' ? n : dflt;
}

static const char *jwt_secret, *jwt_refresh_secret, *jwt_iss, *jwt_aud, *client_url;
static long grace_s, register_limit, login_max_failures, login_ip_max_failures;
static int conf_read;      /* webix.conf was found */
static char run_tag[40];   /* unique per run: time and pid */
static int email_ctr;

/* A fresh, unique, lower-case email address. */
static const char *mkemail(const char *what)
{
	return h_printf("e2e-%s-%s-%d@example.com", what, run_tag, ++email_ctr);
}

/* A loopback source address other than 127.0.0.1, random per run (so per-address
 * counters of an earlier run in the same window do not interfere). */
static const char *other_addr(void)
{
	unsigned r = (unsigned)time(NULL) * 2654435761u ^ (unsigned)getpid() * 40503u ^
	    (unsigned)email_ctr * 97u;
	FILE *f = fopen("/dev/urandom", "rb");

	if (f != NULL) {
		if (fread(&r, sizeof(r), 1, f) != 1)
			r ^= 0x5bd1e995u;
		fclose(f);
	}
	email_ctr++;
	return h_printf("127.%u.%u.%u", 64 + r % 128, (r >> 8) % 256, 1 + (r >> 16) % 254);
}

/* ---- pacing: at most one request start per PACE_MS (all threads) ---- */

static pthread_mutex_t pace_mu = PTHREAD_MUTEX_INITIALIZER;
static long long pace_last;

static void pace(void)
{
	long long now;

	pthread_mutex_lock(&pace_mu);
	now = h_now_ms();
	if (pace_last != 0 && now - pace_last < PACE_MS)
		h_sleep_ms((long)(PACE_MS - (now - pace_last)));
	pace_last = h_now_ms();
	pthread_mutex_unlock(&pace_mu);
}

/* ---- secrets must never appear in a response ---- */

static int n_bodies, n_secret_hits;
static char first_secret_hit[300];

/* The label of the first secret found in the body, NULL when clean. */
static const char *secret_in(const struct h_resp *r)
{
	static const char *const needles[] = { "$argon2", "$2b$", "$2a$", "$2y$",
	    "password_hash", "passwordHash", "twoFactorSecret", "two_factor_secret",
	    "refresh_hash", "token_hash" };

	if (r->body == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(needles) / sizeof(needles[0]); i++)
		if (memmem(r->body, r->body_len, needles[i], strlen(needles[i])) != NULL)
			return needles[i];
	if (jwt_secret && *jwt_secret &&
	    memmem(r->body, r->body_len, jwt_secret, strlen(jwt_secret)) != NULL)
		return "JWT_SECRET";
	if (jwt_refresh_secret && *jwt_refresh_secret &&
	    memmem(r->body, r->body_len, jwt_refresh_secret, strlen(jwt_refresh_secret)) != NULL)
		return "JWT_REFRESH_SECRET";
	return NULL;
}

/* Count one body; record a hit in case C (may be NULL). */
static void scan_body(struct h_case *c, const struct h_resp *r, const char *method,
    const char *path)
{
	const char *s = secret_in(r);

	n_bodies++;
	if (s == NULL)
		return;
	if (n_secret_hits++ == 0)
		snprintf(first_secret_hit, sizeof(first_secret_hit), "%s %s: \"%s\"", method,
		    path, s);
	if (c != NULL)
		h_check(c, 0, "response of %s %s contains a secret (%s)", method, path, s);
}

/* ---- requests ---- */

struct rq {
	const char *method;   /* default: POST with a body, else GET */
	const char *path;
	const char *bearer;   /* Authorization: Bearer <bearer> */
	const char *authz;    /* or this whole Authorization value */
	const char *body;     /* JSON */
	const char *src;      /* source address */
	int nopace;
};

static struct h_resp *req(struct h_case *c, const struct rq *q)
{
	const char *hdrs[3];
	const char *method = q->method ? q->method : q->body ? "POST" : "GET";
	char *authz = NULL;
	struct h_resp *r;
	int n = 0;

	hdrs[n++] = "User-Agent: " UA;
	if (q->bearer != NULL) {
		if (asprintf(&authz, "Authorization: Bearer %s", q->bearer) < 0)
			authz = NULL;
	} else if (q->authz != NULL) {
		if (asprintf(&authz, "Authorization: %s", q->authz) < 0)
			authz = NULL;
	}
	if (authz != NULL)
		hdrs[n++] = authz;
	hdrs[n] = NULL;
	if (!q->nopace)
		pace();
	r = h_do(c, &(struct h_req){ .method = method, .path = q->path, .headers = hdrs,
	    .ctype = q->body ? "application/json" : NULL, .body = q->body, .no_retry_429 = 1,
	    .source_addr = q->src });
	free(authz);
	scan_body(c, r, method, q->path);
	return r;
}

static struct h_resp *post(struct h_case *c, const char *path, const char *bearer,
    const char *body)
{
	return req(c, &(struct rq){ .method = "POST", .path = path, .bearer = bearer,
	    .body = body });
}

static struct h_resp *get(struct h_case *c, const char *path, const char *bearer)
{
	return req(c, &(struct rq){ .path = path, .bearer = bearer });
}

/* ---- expectations ---- */

/* An error answer: status, code, exact message (NULL: any). */
static int expect_err(struct h_case *c, struct h_resp *r, long status, const char *code,
    const char *msg, const char *what)
{
	const char *m;

	if (!h_expect_error(c, r, status, code)) {
		h_check(c, 0, "(%s)", what);
		return 0;
	}
	m = h_jstr(r->json, "message");
	if (msg != NULL)
		return h_check(c, m != NULL && strcmp(m, msg) == 0,
		    "%s: message is '%s', expected '%s'", what, m ? m : "absent", msg);
	return 1;
}

/* A success answer: status, success true, exact message (NULL: no message). */
static int expect_ok(struct h_case *c, struct h_resp *r, long status, const char *msg,
    const char *what)
{
	const char *m;
	int ok;

	if (!h_expect_json(c, r, status)) {
		h_check(c, 0, "(%s)", what);
		return 0;
	}
	ok = h_check(c, h_jtrue(r->json, "success"), "%s: \"success\" is not true: %s", what,
	    h_brief(r));
	m = h_jstr(r->json, "message");
	if (msg != NULL)
		ok &= h_check(c, m != NULL && strcmp(m, msg) == 0,
		    "%s: message is '%s', expected '%s'", what, m ? m : "absent", msg);
	else
		ok &= h_check(c, h_jget(r->json, "message") == NULL,
		    "%s: unexpected message '%s'", what, m ? m : "(not a string)");
	ok &= h_check(c, h_jget(r->json, "code") == NULL && h_jget(r->json, "errors") == NULL,
	    "%s: a success with \"code\" or \"errors\": %s", what, h_brief(r));
	return ok;
}

/* O (an object) has every key of REQ, and no key outside REQ and OPT (NULL-terminated). */
static int keys_exactly(struct h_case *c, struct json_object *o, const char *what,
    const char *const *reqk, const char *const *optk)
{
	int ok = 1;

	if (!h_check(c, json_object_is_type(o, json_type_object), "%s is not an object", what))
		return 0;
	for (const char *const *k = reqk; k && *k; k++)
		ok &= h_check(c, json_object_object_get_ex(o, *k, NULL), "%s has no \"%s\"", what,
		    *k);
	json_object_object_foreach(o, key, val) {
		int known = 0;

		(void)val;
		for (const char *const *k = reqk; k && *k && !known; k++)
			known = strcmp(*k, key) == 0;
		for (const char *const *k = optk; k && *k && !known; k++)
			known = strcmp(*k, key) == 0;
		ok &= h_check(c, known, "%s has an unexpected key \"%s\"", what, key);
	}
	return ok;
}
/* Leave the case when OK is false (the helper that computed it recorded why). */
#define REQUIRE(ok) do { if (!(ok)) return; } while (0)

#define KEYS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static int is_uuid(const char *s)
{
	if (s == NULL || strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}

/* ISO 8601 UTC with milliseconds (2025-01-31T12:34:56.789Z); its time in *t. */
static int iso_ms(const char *s, time_t *t)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
	struct tm tm = { 0 };

	if (s == NULL || strlen(s) != sizeof(shape) - 1)
		return 0;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
			return 0;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	    &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*t = timegm(&tm);
	return 1;
}

/* A recent ISO time (within 2 minutes of now). */
static void expect_recent_iso(struct h_case *c, struct json_object *o, const char *path,
    const char *what)
{
	const char *s = h_jstr(o, path);
	time_t t = 0;

	if (!h_check(c, iso_ms(s, &t), "%s.%s is %s, expected ISO 8601 with ms and Z", what,
	    path, s ? s : "absent"))
		return;
	EXPECT(c, labs((long)(t - time(NULL))) <= 120, "%s.%s is %s, not close to now", what,
	    path, s);
}

/* ---- base64url, JWT ---- */

static char *b64url(const void *in, size_t n)
{
	static const char t[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char *p = in;
	char *out = malloc(n / 3 * 4 + 5);
	size_t o = 0, i;

	if (out == NULL)
		return h_keep(NULL);
	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];

		out[o++] = t[v >> 18 & 63];
		out[o++] = t[v >> 12 & 63];
		out[o++] = t[v >> 6 & 63];
		out[o++] = t[v & 63];
	}
	if (n - i == 1) {
		unsigned v = (unsigned)p[i] << 16;

		out[o++] = t[v >> 18 & 63];
		out[o++] = t[v >> 12 & 63];
	} else if (n - i == 2) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;

		out[o++] = t[v >> 18 & 63];
		out[o++] = t[v >> 12 & 63];
		out[o++] = t[v >> 6 & 63];
	}
	out[o] = '\0';
	return h_keep(out);
}

static int b64val(int ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	return ch == '-' ? 62 : ch == '_' ? 63 : -1;
}

/* Decoded bytes (NUL-terminated, kept), NULL when not base64url. */
static char *b64url_dec(const char *s, size_t n, size_t *outn)
{
	char *out = malloc(n * 3 / 4 + 4);
	unsigned acc = 0;
	int bits = 0;
	size_t o = 0;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int v = b64val((unsigned char)s[i]);

		if (v < 0) {
			free(out);
			return NULL;
		}
		acc = acc << 6 | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)(acc >> bits & 0xff);
		}
	}
	out[o] = '\0';
	if (outn)
		*outn = o;
	return h_keep(out);
}

static int dots(const char *tok)
{
	int n = 0;

	for (; tok && *tok; tok++)
		n += *tok == '.';
	return n;
}

/* Part IDX (0 header, 1 payload, 2 signature) of a token, as a kept string. */
static const char *jwt_part(const char *tok, int idx)
{
	const char *p = tok;

	for (int i = 0; i < idx && p; i++)
		p = (p = strchr(p, '.')) ? p + 1 : NULL;
	if (p == NULL)
		return NULL;
	return h_keep(strndup(p, strcspn(p, ".")));
}

/* Decoded JSON of part IDX; the caller puts it. */
static struct json_object *jwt_json(const char *tok, int idx)
{
	const char *part = jwt_part(tok, idx);
	char *raw = part ? b64url_dec(part, strlen(part), NULL) : NULL;

	return raw ? json_tokener_parse(raw) : NULL;
}

static const char *hmac_b64(const EVP_MD *md, const char *key, const char *data)
{
	unsigned char out[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	HMAC(md, key, (int)strlen(key), (const unsigned char *)data, strlen(data), out, &len);
	return b64url(out, len);
}

/* header.payload.signature from JSON texts; KEY NULL: the signature is SIG (may be ""). */
static const char *jwt_make(const char *header, const char *payload, const EVP_MD *md,
    const char *key, const char *sig)
{
	const char *h = b64url(header, strlen(header)), *p = b64url(payload, strlen(payload));
	const char *input = h_printf("%s.%s", h, p);

	return h_printf("%s.%s", input, key ? hmac_b64(md, key, input) : sig);
}

static const char *jstr(struct json_object *o)
{
	return h_strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* ---- database (owner role; superuser over the unix socket for the audit log) ---- */

static PGconn *db;     /* DATABASE_URL: the owner role */
static PGconn *dba;    /* can read audit_log rows (see db_connect) */
static const char *dba_who = "owner role";

static void db_connect(void)
{
	const char *sock = getenv("WEBIX_PG_SOCKET_DIR"), *port = getenv("WEBIX_PG_PORT");

	if (h_env.database_url == NULL)
		return;
	db = PQconnectdb(h_env.database_url);
	if (PQstatus(db) != CONNECTION_OK) {
		fprintf(stderr, "e2e_auth: cannot connect to DATABASE_URL: %s", PQerrorMessage(db));
		PQfinish(db);
		db = NULL;
		return;
	}
	dba = db;
	/* audit_log FORCEs row-level security and its read policy shows only the rows of
	 * the transaction's organization, so account rows (org_id NULL) are invisible to
	 * the owner role: read them as the stack's superuser when the socket is known. */
	if (sock != NULL && port != NULL) {
		char ci[512];
		PGconn *su;

		snprintf(ci, sizeof(ci), "host='%s' port='%s' user=postgres dbname='%s' "
		    "connect_timeout=5", sock, port, PQdb(db));
		su = PQconnectdb(ci);
		if (PQstatus(su) == CONNECTION_OK) {
			dba = su;
			dba_who = "superuser postgres";
		} else {
			PQfinish(su);
		}
	}
}

#define P(...) ((const char *const[]){ __VA_ARGS__ })

/* ---- sessions ---- */

struct sess {
	const char *email, *password;
	const char *access, *refresh, *uid, *sid;
};

/* Take the token pair of a register/login/refresh answer into S. */
static int sess_take(struct h_case *c, struct h_resp *r, struct sess *s, const char *what)
{
	const char *a = h_jstr(r->json, "data.accessToken"), *rt = h_jstr(r->json,
	    "data.refreshToken"), *uid = h_jstr(r->json, "data.user._id");
	struct json_object *p;

	if (!h_check(c, a != NULL && rt != NULL, "%s: no token pair: %s", what, h_brief(r)))
		return 0;
	s->access = h_strdup(a);
	s->refresh = h_strdup(rt);
	p = jwt_json(a, 1);
	if (uid != NULL)
		s->uid = h_strdup(uid);
	else if (h_jstr(p, "userId") != NULL)
		s->uid = h_strdup(h_jstr(p, "userId"));
	s->sid = h_strdup(h_jstr(p, "sid"));
	json_object_put(p);
	return h_check(c, s->sid != NULL && s->uid != NULL, "%s: access token has no sid/userId",
	    what);
}

static struct h_resp *register_as(struct h_case *c, const char *email, const char *pw,
    const char *name, const char *src)
{
	return req(c, &(struct rq){ .path = REGISTER, .src = src,
	    .body = h_jbody("email", email, "password", pw, "displayName", name, NULL) });
}

/* Register a new user (201); S gets its first session. */
static int reg(struct h_case *c, const char *email, const char *pw, struct sess *s)
{
	struct h_resp *r = register_as(c, email, pw, "E2E User", NULL);

	memset(s, 0, sizeof(*s));
	s->email = email;
	s->password = pw;
	if (!expect_ok(c, r, 201, "User registered successfully", "register"))
		return 0;
	return sess_take(c, r, s, "register");
}

static struct h_resp *login_as(struct h_case *c, const char *email, const char *pw,
    const char *src)
{
	return req(c, &(struct rq){ .path = LOGIN, .src = src,
	    .body = h_jbody("email", email, "password", pw, NULL) });
}

/* Log in (200); S gets a new session. */
static int login(struct h_case *c, const char *email, const char *pw, struct sess *s,
    const char *what)
{
	struct h_resp *r = login_as(c, email, pw, NULL);

	memset(s, 0, sizeof(*s));
	s->email = email;
	s->password = pw;
	if (!expect_ok(c, r, 200, "Login successful", what))
		return 0;
	return sess_take(c, r, s, what);
}

static struct h_resp *refresh(struct h_case *c, const char *rt)
{
	return post(c, REFRESH, NULL, h_jbody("refreshToken", rt, NULL));
}

/* Refresh (200) into OUT (which keeps the email/password of IN). */
static int refresh_ok(struct h_case *c, const struct sess *in, struct sess *out,
    const char *what)
{
	struct h_resp *r = refresh(c, in->refresh);
	struct sess n = { .email = in->email, .password = in->password };

	if (!expect_ok(c, r, 200, "Token refreshed successfully", what))
		return 0;
	keys_exactly(c, h_jget(r->json, "data"), h_printf("%s: data", what),
	    KEYS("accessToken", "refreshToken"), NULL);
	if (!sess_take(c, r, &n, what))
		return 0;
	EXPECT(c, in->sid == NULL || strcmp(n.sid, in->sid) == 0,
	    "%s: the refreshed access token has another session id", what);
	*out = n;
	return 1;
}

static void refresh_bad(struct h_case *c, const char *rt, const char *what)
{
	expect_err(c, refresh(c, rt), 401, "unauthorized", "Invalid refresh token", what);
}

static void verify_ok(struct h_case *c, const char *access, const char *uid, const char *what)
{
	struct h_resp *r = get(c, VERIFY, access);
	const char *u;

	if (!expect_ok(c, r, 200, NULL, what))
		return;
	u = h_jstr(r->json, "data.userId");
	EXPECT(c, uid == NULL || (u != NULL && strcmp(u, uid) == 0),
	    "%s: data.userId is %s, expected %s", what, u ? u : "absent", uid);
}

static void verify_bad(struct h_case *c, const char *access, const char *what)
{
	expect_err(c, get(c, VERIFY, access), 401, "unauthorized", "Invalid token", what);
}

/* Audit rows of USER for ACTION with our address and User-Agent (superuser reads). */
static long audit_count(struct h_case *c, const char *uid, const char *action,
    const char *ip, const char *extra)
{
	const char *sql = h_printf("SELECT count(*) FROM audit_log WHERE user_id = $1::uuid "
	    "AND action = $2 AND ip_address = $3 AND user_agent = $4%s", extra ? extra : "");

	return h_sql_count(c, dba, sql, 4, P(uid, action, ip, UA));
}

static void expect_audit(struct h_case *c, const char *uid, const char *action,
    const char *extra, const char *extra_what)
{
	long n = audit_count(c, uid, action, "127.0.0.1", extra);

	EXPECT(c, n >= 1, "no audit row %s%s%s for user %s with ip_address 127.0.0.1 and "
	    "user_agent %s (read as %s; %ld rows)", action, extra_what ? " " : "",
	    extra_what ? extra_what : "", uid, UA, dba_who, n);
}

/* ========================================================================= cases */

static void t_config(struct h_case *c)
{
	const char *ex = conf_get("RATE_LIMIT_EXEMPT", "");
	int exempt = 0;

	CHECK(c, conf_read, "cannot read %s/webix.conf (WEBIX_STATE)",
	    h_env.state ? h_env.state : "$WEBIX_STATE");
	EXPECT(c, jwt_secret != NULL && strlen(jwt_secret) >= 32,
	    "JWT_SECRET not found in webix.conf");
	for (const char *p = ex; *p;) {
		size_t n;

		p += strspn(p, ", ");
		n = strcspn(p, ", ");
		if (n == 9 && strncmp(p, "127.0.0.1", 9) == 0)
			exempt = 1;
		p += n;
	}
	EXPECT(c, exempt, "RATE_LIMIT_EXEMPT is '%s': the test stack must exempt 127.0.0.1 "
	    "(this program registers and logs in many users from it)", ex);
	EXPECT(c, register_limit <= 50, "REGISTER_LIMIT_PER_HOUR is %ld: the test stack must "
	    "set at most 50 (20) so that the per-address limit can be tested", register_limit);
	EXPECT(c, grace_s >= 2, "REFRESH_GRACE_SECONDS is %ld: too short to test the grace "
	    "window", grace_s);
	EXPECT(c, db != NULL, "no database connection (DATABASE_URL)");
}

/* ---- register ---- */

static void t_register_201(struct h_case *c)
{
	const char *email = mkemail("reg");
	char *upper = h_printf("  %s  ", email);
	struct h_resp *r;
	struct json_object *u, *hdr, *pl;
	const char *id, *rt, *at;
	long iat, exp;

	for (char *p = upper; *p; p++)
		if (*p != '@' && (p - upper) % 2 == 0)
			*p = (char)toupper((unsigned char)*p);
	r = req(c, &(struct rq){ .path = REGISTER, .body = h_jbody("email", upper,
	    "password", "secret123", "displayName", "  Reg User  ", "photoURL",
	    "https://example.com/a.png", NULL) });
	REQUIRE(expect_ok(c, r, 201, "User registered successfully", "register"));
	keys_exactly(c, h_jget(r->json, "data"), "data", KEYS("user", "accessToken",
	    "refreshToken"), NULL);
	u = h_jget(r->json, "data.user");
	keys_exactly(c, u, "data.user", KEYS("_id", "email", "displayName", "role", "isActive",
	    "twoFactorEnabled", "createdAt", "updatedAt"), KEYS("photoURL", "emailVerified"));
	id = h_jstr(u, "_id");
	EXPECT(c, is_uuid(id), "_id is %s, expected a lower-case UUID", id ? id : "absent");
	EXPECT(c, h_jstr(u, "email") && strcmp(h_jstr(u, "email"), email) == 0,
	    "email is %s, expected %s (lower-cased, trimmed)", h_jstr(u, "email"), email);
	EXPECT(c, h_jstr(u, "displayName") && strcmp(h_jstr(u, "displayName"), "Reg User") == 0,
	    "displayName is '%s', expected 'Reg User' (trimmed)", h_jstr(u, "displayName"));
	EXPECT(c, h_jstr(u, "photoURL") &&
	    strcmp(h_jstr(u, "photoURL"), "https://example.com/a.png") == 0,
	    "photoURL is %s", h_jstr(u, "photoURL"));
	EXPECT(c, h_jstr(u, "role") && strcmp(h_jstr(u, "role"), "org_user") == 0,
	    "role is %s, expected org_user", h_jstr(u, "role"));
	EXPECT(c, h_jtrue(u, "isActive"), "isActive is not true");
	EXPECT(c, h_jfalse(u, "twoFactorEnabled"), "twoFactorEnabled is not false");
	EXPECT(c, h_jget(u, "emailVerified") == NULL || h_jfalse(u, "emailVerified"),
	    "emailVerified is not false");
	EXPECT(c, h_jget(u, "lastLoginAt") == NULL, "lastLoginAt present on register");
	expect_recent_iso(c, u, "createdAt", "data.user");
	expect_recent_iso(c, u, "updatedAt", "data.user");

	at = h_jstr(r->json, "data.accessToken");
	rt = h_jstr(r->json, "data.refreshToken");
	CHECK(c, at != NULL && dots(at) == 2, "accessToken is not a 3-part JWT: %s",
	    at ? at : "absent");
	hdr = jwt_json(at, 0);
	pl = jwt_json(at, 1);
	EXPECT(c, h_jstr(hdr, "alg") && strcmp(h_jstr(hdr, "alg"), "HS256") == 0,
	    "JWT header alg is %s", h_jstr(hdr, "alg"));
	keys_exactly(c, pl, "JWT payload", KEYS("userId", "email", "role", "type", "sid", "jti",
	    "iat", "exp", "iss", "aud"), NULL);
	EXPECT(c, id && h_jstr(pl, "userId") && strcmp(h_jstr(pl, "userId"), id) == 0,
	    "payload userId %s differs from _id", h_jstr(pl, "userId"));
	EXPECT(c, h_jstr(pl, "email") && strcmp(h_jstr(pl, "email"), email) == 0,
	    "payload email is %s", h_jstr(pl, "email"));
	EXPECT(c, h_jstr(pl, "role") && strcmp(h_jstr(pl, "role"), "org_user") == 0,
	    "payload role is %s", h_jstr(pl, "role"));
	EXPECT(c, h_jstr(pl, "type") && strcmp(h_jstr(pl, "type"), "access") == 0,
	    "payload type is %s", h_jstr(pl, "type"));
	EXPECT(c, is_uuid(h_jstr(pl, "sid")), "payload sid is %s", h_jstr(pl, "sid"));
	EXPECT(c, h_jstr(pl, "jti") && strlen(h_jstr(pl, "jti")) >= 16, "payload jti is %s",
	    h_jstr(pl, "jti"));
	EXPECT(c, h_jstr(pl, "iss") && strcmp(h_jstr(pl, "iss"), jwt_iss) == 0,
	    "payload iss is %s, expected %s", h_jstr(pl, "iss"), jwt_iss);
	EXPECT(c, h_jstr(pl, "aud") && strcmp(h_jstr(pl, "aud"), jwt_aud) == 0,
	    "payload aud is %s, expected %s", h_jstr(pl, "aud"), jwt_aud);
	EXPECT(c, json_object_is_type(h_jget(pl, "iat"), json_type_int) &&
	    json_object_is_type(h_jget(pl, "exp"), json_type_int), "iat/exp are not integers");
	iat = (long)json_object_get_int64(h_jget(pl, "iat"));
	exp = (long)json_object_get_int64(h_jget(pl, "exp"));
	EXPECT(c, exp == iat + ACCESS_TTL, "exp %ld is not iat %ld + 900", exp, iat);
	EXPECT(c, labs(iat - (long)time(NULL)) <= 60, "iat %ld is not now", iat);
	EXPECT(c, rt != NULL && dots(rt) != 2 && strlen(rt) >= 32,
	    "refreshToken %s is not opaque (3 dot-separated parts or short)", rt ? rt : "absent");
	json_object_put(hdr);
	json_object_put(pl);

	/* stored as Argon2id; the session row has the client's address, not the token */
	{
		const char *h = h_sql_one(c, db, "SELECT password_hash FROM users WHERE id = $1::uuid",
		    1, P(id));
		struct sess s = { 0 };

		EXPECT(c, h && strncmp(h, "$argon2id$", 10) == 0,
		    "stored password hash is not Argon2id (%.12s...)", h ? h : "absent");
		if (id && sess_take(c, r, &s, "register")) {
			long n = h_sql_count(c, db, "SELECT count(*) FROM sessions WHERE id = $1::uuid "
			    "AND user_id = $2::uuid AND ip_address = '127.0.0.1' AND user_agent = $3 "
			    "AND refresh_hash <> $4 AND revoked_at IS NULL", 4,
			    P(s.sid, id, UA, rt));
			EXPECT(c, n == 1, "no session row %s with ip 127.0.0.1, user_agent and a "
			    "hashed refresh token (%ld)", s.sid, n);
			verify_ok(c, s.access, id, "verify with the register token");
		}
	}
}

/* Validation table: a body and the errors expected (field, message; NULL message: any). */
struct verr { const char *field, *msg; };
struct vrow {
	const char *path;
	int auth;                 /* send the shared session's access token */
	const char *body;         /* %s: a unique valid email */
	int nerr;                 /* expected number of errors, 0: do not count */
	struct verr e[6];
};

static struct sess g_val;   /* a session for change-password validation */

static void t_validation(struct h_case *c, const void *arg)
{
	const struct vrow *v = arg;
	const char *body = strstr(v->body, "%s") ? h_printf(v->body, mkemail("val")) : v->body;
	struct h_resp *r;
	struct json_object *errs;
	size_t n;

	if (v->auth)
		CHECK(c, g_val.access != NULL, "no session for the authenticated route");
	r = req(c, &(struct rq){ .path = v->path, .body = body,
	    .bearer = v->auth ? g_val.access : NULL });
	REQUIRE(expect_err(c, r, 400, "validation_failed", "Validation error", v->path));
	errs = h_jget(r->json, "errors");
	CHECK(c, json_object_is_type(errs, json_type_array), "no errors array: %s", h_brief(r));
	n = json_object_array_length(errs);
	if (v->nerr > 0)
		EXPECT(c, n == (size_t)v->nerr, "%zu errors, expected %d: %s", n, v->nerr,
		    h_brief(r));
	for (const struct verr *e = v->e; e->field; e++) {
		const char *m = NULL;

		for (size_t i = 0; i < n; i++) {
			struct json_object *x = json_object_array_get_idx(errs, i);

			if (h_jstr(x, "field") && strcmp(h_jstr(x, "field"), e->field) == 0)
				m = h_jstr(x, "message") ? h_jstr(x, "message") : "";
		}
		if (!h_check(c, m != NULL, "no error for field \"%s\": %s", e->field, h_brief(r)))
			continue;
		if (e->msg != NULL)
			EXPECT(c, strcmp(m, e->msg) == 0, "field %s: message '%s', expected '%s'",
			    e->field, m, e->msg);
	}
}

#define PW_OK "\"password\":\"secret1\""
#define NAME_OK "\"displayName\":\"Ab\""
#define EMAIL_OK "\"email\":\"%s\""

static struct vrow vrows[] = {
	{ "/api/auth/register", 0, "{" PW_OK "," NAME_OK "}", 1,
	  { { "email", "\"email\" is required" } } },
	{ "/api/auth/register", 0, "{\"email\":\"a@localhost\"," PW_OK "," NAME_OK "}", 1,
	  { { "email", "\"email\" must be a valid email" } } },
	{ "/api/auth/register", 0, "{\"email\":\"a@b.c\"," PW_OK "," NAME_OK "}", 1,
	  { { "email", "\"email\" must be a valid email" } } },
	{ "/api/auth/register", 0, "{\"email\":\"nope\"," PW_OK "," NAME_OK "}", 1,
	  { { "email", "\"email\" must be a valid email" } } },
	{ "/api/auth/register", 0, "{\"email\":5," PW_OK "," NAME_OK "}", 1,
	  { { "email", "\"email\" must be a string" } } },
	{ "/api/auth/register", 0, "{\"email\":null," PW_OK "," NAME_OK "}", 1,
	  { { "email", "\"email\" must be a string" } } },
	{ "/api/auth/register", 0, "{\"email\":\"\"," PW_OK "," NAME_OK "}", 1,
	  { { "email", "\"email\" is not allowed to be empty" } } },
	{ "/api/auth/register", 0, "{" EMAIL_OK ",\"password\":\"12345\"," NAME_OK "}", 1,
	  { { "password", "\"password\" length must be at least 6 characters long" } } },
	{ "/api/auth/register", 0, NULL /* 1025-byte password */, 1, { { "password", NULL } } },
	{ "/api/auth/register", 0, "{" EMAIL_OK "," PW_OK ",\"displayName\":\"A\"}", 1,
	  { { "displayName", "\"displayName\" length must be at least 2 characters long" } } },
	{ "/api/auth/register", 0, NULL /* 51 chars */, 1,
	  { { "displayName",
	      "\"displayName\" length must be less than or equal to 50 characters long" } } },
	{ "/api/auth/register", 0, NULL /* 26 emoji = 52 UTF-16 units */, 1,
	  { { "displayName",
	      "\"displayName\" length must be less than or equal to 50 characters long" } } },
	{ "/api/auth/register", 0, "{" EMAIL_OK "," PW_OK ",\"displayName\":\"   \"}", 1,
	  { { "displayName", "\"displayName\" is not allowed to be empty" } } },
	{ "/api/auth/register", 0, "{" EMAIL_OK "," PW_OK "," NAME_OK
	  ",\"photoURL\":\"not a uri\"}", 1, { { "photoURL", "\"photoURL\" must be a valid uri" } } },
	{ "/api/auth/register", 0, "{" EMAIL_OK "," PW_OK "," NAME_OK ",\"x\":1}", 1,
	  { { "x", "\"x\" is not allowed" } } },
	{ "/api/auth/register", 0, "{\"email\":5,\"password\":\"abc\",\"displayName\":\" \","
	  "\"photoURL\":\"not a uri\",\"x\":1}", 5,
	  { { "email", "\"email\" must be a string" },
	    { "password", "\"password\" length must be at least 6 characters long" },
	    { "displayName", "\"displayName\" is not allowed to be empty" },
	    { "photoURL", "\"photoURL\" must be a valid uri" },
	    { "x", "\"x\" is not allowed" } } },
	{ "/api/auth/register", 0, "{}", 3,
	  { { "email", "\"email\" is required" }, { "password", "\"password\" is required" },
	    { "displayName", "\"displayName\" is required" } } },
	{ "/api/auth/login", 0, "{" EMAIL_OK "}", 1, { { "password", "\"password\" is required" } } },
	{ "/api/auth/login", 0, "{" EMAIL_OK ",\"password\":\"\"}", 1,
	  { { "password", "\"password\" is not allowed to be empty" } } },
	{ "/api/auth/login", 0, "{\"email\":\"nope\",\"password\":\"\",\"y\":true}", 3,
	  { { "email", "\"email\" must be a valid email" },
	    { "password", "\"password\" is not allowed to be empty" },
	    { "y", "\"y\" is not allowed" } } },
	{ "/api/auth/change-password", 1, "{\"newPassword\":\"secret99\"}", 1,
	  { { "currentPassword", "\"currentPassword\" is required" } } },
	{ "/api/auth/change-password", 1, "{\"currentPassword\":\"whatever1\","
	  "\"newPassword\":\"abc\"}", 1,
	  { { "newPassword", "\"newPassword\" length must be at least 6 characters long" } } },
	{ "/api/auth/change-password", 1, "{}", 2,
	  { { "currentPassword", "\"currentPassword\" is required" },
	    { "newPassword", "\"newPassword\" is required" } } },
};
static const char *const vnames[] = {
	"validation_register_missing_email", "validation_register_email_localhost",
	"validation_register_email_a_b_c", "validation_register_email_nope",
	"validation_register_email_number", "validation_register_email_null",
	"validation_register_email_empty", "validation_register_password_5",
	"validation_register_password_1025_bytes", "validation_register_name_1",
	"validation_register_name_51", "validation_register_name_26_emoji",
	"validation_register_name_spaces", "validation_register_photo_not_uri",
	"validation_register_unknown_field", "validation_register_all_at_once",
	"validation_register_empty_object", "validation_login_missing_password",
	"validation_login_empty_password", "validation_login_all_at_once",
	"validation_change_password_missing_current", "validation_change_password_short_new",
	"validation_change_password_empty_object",
};

/* Boundaries that must be accepted: 6-char password, 2-char name; 1024-byte password,
 * 50-char name of 2-byte characters (50 UTF-16 units). */
static void t_register_boundaries(struct h_case *c)
{
	struct sess s;
	const char *pw1024 = h_repeat("p", 1024), *name50 = h_repeat("\xc3\xa9", 50);
	struct h_resp *r;

	r = register_as(c, mkemail("b6"), "123456", "Ab", NULL);
	expect_ok(c, r, 201, "User registered successfully", "6-byte password, 2-char name");
	r = register_as(c, mkemail("b1024"), pw1024, name50, NULL);
	if (expect_ok(c, r, 201, "User registered successfully", "1024-byte password, 50 'é'")) {
		const char *n = h_jstr(r->json, "data.user.displayName");

		EXPECT(c, n && strcmp(n, name50) == 0, "displayName came back as %s", n);
		(void)(login(c, h_jstr(r->json, "data.user.email"), pw1024, &s,
		    "login with a 1024-byte password"));
	}
}

static void t_register_duplicate(struct h_case *c)
{
	const char *email = mkemail("dup");
	char *other = h_strdup(email);
	struct sess s;
	struct h_resp *r;

	other[0] = (char)toupper((unsigned char)other[0]);
	memcpy(strchr(other, '@'), "@Example.COM", 12);
	REQUIRE(reg(c, email, "secret123", &s));
	r = register_as(c, other, "another1", "Dup User", NULL);
	expect_err(c, r, 409, "conflict", "User with this email already exists",
	    h_printf("register %s after %s", other, email));
	EXPECT(c, h_sql_count(c, db, "SELECT count(*) FROM users WHERE email = $1", 1,
	    P(email)) == 1, "not exactly one user %s", email);
}

/* ---- concurrency: two threads that start together ---- */

struct tjob {
	pthread_barrier_t *bar;
	const char *path, *body;
	struct h_resp resp;
};

static void *tjob_run(void *arg)
{
	struct tjob *j = arg;
	CURL *curl = h_curl_new();
	static const char *const hdrs[] = { "User-Agent: " UA, NULL };

	memset(&j->resp, 0, sizeof(j->resp));
	pthread_barrier_wait(j->bar);
	if (curl == NULL)
		return NULL;
	h_perform(curl, &(struct h_req){ .method = "POST", .path = j->path, .headers = hdrs,
	    .ctype = "application/json", .body = j->body }, &j->resp);
	curl_easy_cleanup(curl);
	return NULL;
}

/* Run two POSTs at once; their answers in J[0], J[1] (h_resp_free them). */
static void run_pair(struct tjob j[2], const char *path, const char *b0, const char *b1)
{
	pthread_barrier_t bar;
	pthread_t t[2];

	pace();
	pthread_barrier_init(&bar, NULL, 2);
	j[0] = (struct tjob){ .bar = &bar, .path = path, .body = b0 };
	j[1] = (struct tjob){ .bar = &bar, .path = path, .body = b1 };
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, tjob_run, &j[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&bar);
	pace();
	scan_body(NULL, &j[0].resp, "POST", path);
	scan_body(NULL, &j[1].resp, "POST", path);
}

static void t_register_concurrent(struct h_case *c)
{
	for (int round = 0; round < 3; round++) {
		const char *email = mkemail("race");
		const char *body = h_jbody("email", email, "password", "secret123", "displayName",
		    "Racer", NULL);
		struct tjob j[2];
		int n201 = 0, n409 = 0;

		run_pair(j, REGISTER, body, body);
		for (int i = 0; i < 2; i++) {
			struct h_resp *r = &j[i].resp;

			EXPECT(c, secret_in(r) == NULL, "a secret in a register body");
			if (r->status == 201)
				n201++;
			else if (r->status == 409) {
				n409++;
				expect_err(c, r, 409, "conflict", "User with this email already exists",
				    "concurrent duplicate");
			}
		}
		EXPECT(c, n201 == 1 && n409 == 1, "round %d: two concurrent registrations of %s "
		    "gave %s and %s, expected one 201 and one 409", round, email,
		    h_brief(&j[0].resp), h_brief(&j[1].resp));
		EXPECT(c, h_sql_count(c, db, "SELECT count(*) FROM users WHERE email = $1", 1,
		    P(email)) == 1, "round %d: not exactly one user %s", round, email);
		h_resp_free(&j[0].resp);
		h_resp_free(&j[1].resp);
	}
}

/* ---- login ---- */

static void t_login_200(struct h_case *c)
{
	const char *email = mkemail("login");
	struct sess s0, s1;
	struct h_resp *r;
	struct json_object *u;

	REQUIRE(reg(c, email, "secret123", &s0));
	r = login_as(c, email, "secret123", NULL);
	REQUIRE(expect_ok(c, r, 200, "Login successful", "login"));
	keys_exactly(c, h_jget(r->json, "data"), "data", KEYS("user", "accessToken",
	    "refreshToken"), NULL);
	u = h_jget(r->json, "data.user");
	keys_exactly(c, u, "data.user", KEYS("_id", "email", "displayName", "role", "isActive",
	    "twoFactorEnabled", "createdAt", "updatedAt", "lastLoginAt"),
	    KEYS("photoURL", "emailVerified"));
	expect_recent_iso(c, u, "lastLoginAt", "data.user");
	EXPECT(c, h_jstr(u, "_id") && strcmp(h_jstr(u, "_id"), s0.uid) == 0, "_id differs");
	REQUIRE(sess_take(c, r, &s1, "login"));
	EXPECT(c, strcmp(s1.sid, s0.sid) != 0, "login reused the register session");
	verify_ok(c, s1.access, s0.uid, "verify after login");
}

/* Body without requestId, serialised. */
static const char *without_rid(struct h_resp *r)
{
	struct json_object *o;
	const char *s;

	if (r->json == NULL)
		return h_strdup(r->body);
	o = json_tokener_parse(r->body);
	json_object_object_del(o, "requestId");
	s = jstr(o);
	json_object_put(o);
	return s;
}

static void t_login_wrong_password(struct h_case *c)
{
	const char *email = mkemail("wrongpw");
	struct sess s;
	struct h_resp *w, *u;

	REQUIRE(reg(c, email, "secret123", &s));
	w = login_as(c, email, "secret124", NULL);
	u = login_as(c, mkemail("nobody"), "secret124", NULL);
	expect_err(c, w, 401, "unauthorized", "Invalid credentials", "wrong password");
	expect_err(c, u, 401, "unauthorized", "Invalid credentials", "unknown email");
	EXPECT(c, strcmp(without_rid(w), without_rid(u)) == 0,
	    "wrong-password body %s differs from unknown-email body %s", without_rid(w),
	    without_rid(u));
}

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* D8: an unknown email must cost about as much as a wrong password (the password hash is
 * computed either way), else response times tell which emails have accounts. Medians of
 * 4 alternating attempts; an unknown email must take at least half as long. */
static void t_login_timing(struct h_case *c)
{
	const char *email = mkemail("timing");
	long long known[4], unknown[4];
	struct sess s;

	REQUIRE(reg(c, email, "secret123", &s));
	for (int i = 0; i < 4; i++) {
		long long t0;
		struct h_resp *r;

		pace();
		t0 = now_us();
		r = req(c, &(struct rq){ .path = LOGIN, .nopace = 1,
		    .body = h_jbody("email", email, "password", "wrong-pass", NULL) });
		known[i] = now_us() - t0;
		expect_err(c, r, 401, "unauthorized", "Invalid credentials", "wrong password");
		pace();
		t0 = now_us();
		r = req(c, &(struct rq){ .path = LOGIN, .nopace = 1,
		    .body = h_jbody("email", mkemail("timingnobody"), "password", "wrong-pass", NULL) });
		unknown[i] = now_us() - t0;
		expect_err(c, r, 401, "unauthorized", "Invalid credentials", "unknown email");
	}
	qsort(known, 4, sizeof(known[0]), cmp_ll);
	qsort(unknown, 4, sizeof(unknown[0]), cmp_ll);
	EXPECT(c, (unknown[1] + unknown[2]) * 2 >= known[1] + known[2],
	    "an unknown email answers in %lld us, a wrong password in %lld us (medians): the "
	    "difference reveals which emails exist", (unknown[1] + unknown[2]) / 2,
	    (known[1] + known[2]) / 2);
	/* the wrong attempts above must not lock the account (fewer than the threshold) */
	(void)login(c, email, "secret123", &s, "login after the timing attempts");
}

static void t_login_case_insensitive(struct h_case *c)
{
	const char *email = mkemail("ci");
	char *mixed = h_printf("  %s ", email);
	struct sess s0, s1;

	for (char *p = mixed; *p && *p != '@'; p++)
		*p = (char)toupper((unsigned char)*p);
	REQUIRE(reg(c, email, "secret123", &s0));
	if (login(c, mixed, "secret123", &s1, h_printf("login as '%s'", mixed)))
		EXPECT(c, strcmp(s1.uid, s0.uid) == 0, "another user logged in");
}

static void t_login_same_second(struct h_case *c)
{
	const char *email = mkemail("twice");
	const char *body = h_jbody("email", email, "password", "secret123", NULL);
	struct sess s0;
	int same = 0;

	REQUIRE(reg(c, email, "secret123", &s0));
	for (int round = 0; round < 3 && !same; round++) {
		struct tjob j[2];
		struct sess s[2] = { { 0 }, { 0 } };
		long iat[2] = { -1, -2 };
		int ok = 1;

		run_pair(j, LOGIN, body, body);
		for (int i = 0; i < 2; i++) {
			struct json_object *p;

			ok &= expect_ok(c, &j[i].resp, 200, "Login successful", "concurrent login");
			if (ok && sess_take(c, &j[i].resp, &s[i], "concurrent login")) {
				p = jwt_json(s[i].access, 1);
				iat[i] = (long)json_object_get_int64(h_jget(p, "iat"));
				json_object_put(p);
			} else {
				ok = 0;
			}
		}
		h_resp_free(&j[0].resp);
		h_resp_free(&j[1].resp);
		if (!ok)
			return;
		same = iat[0] == iat[1];
		EXPECT(c, strcmp(s[0].access, s[1].access) != 0, "the same access token twice");
		EXPECT(c, strcmp(s[0].refresh, s[1].refresh) != 0, "the same refresh token twice");
		EXPECT(c, strcmp(s[0].sid, s[1].sid) != 0, "the same session twice");
		verify_ok(c, s[0].access, s0.uid, "first concurrent login's token");
		verify_ok(c, s[1].access, s0.uid, "second concurrent login's token");
	}
	EXPECT(c, same, "could not get two logins in the same second in 3 tries");
}

/* ---- the JWT matrix on GET /api/auth/verify ---- */

static struct sess g_jwt;   /* a live session whose claims the matrix reuses */

/* Claims like the server's for g_jwt, issued at NOW; the caller puts it. */
static struct json_object *claims(long now)
{
	struct json_object *o = json_object_new_object();
	struct json_object *real = jwt_json(g_jwt.access, 1);

	json_object_object_add(o, "userId", json_object_new_string(g_jwt.uid));
	json_object_object_add(o, "email", json_object_new_string(h_jstr(real, "email") ?
	    h_jstr(real, "email") : g_jwt.email));
	json_object_object_add(o, "role", json_object_new_string(h_jstr(real, "role") ?
	    h_jstr(real, "role") : "org_user"));
	json_object_object_add(o, "type", json_object_new_string("access"));
	json_object_object_add(o, "sid", json_object_new_string(g_jwt.sid));
	json_object_object_add(o, "jti", json_object_new_string(h_printf("e2e%s%d", run_tag,
	    ++email_ctr)));
	json_object_object_add(o, "iss", json_object_new_string(jwt_iss));
	json_object_object_add(o, "aud", json_object_new_string(jwt_aud));
	json_object_object_add(o, "iat", json_object_new_int64(now));
	json_object_object_add(o, "exp", json_object_new_int64(now + ACCESS_TTL));
	json_object_put(real);
	return o;
}

static const char *const HS256 = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

/* Sign claims O (taken over) with JWT_SECRET, HS256. */
static const char *sign(struct json_object *o)
{
	const char *t = jwt_make(HS256, jstr(o), EVP_sha256(), jwt_secret, NULL);

	json_object_put(o);
	return t;
}

enum jkind {
	J_NONE_EMPTY_SIG, J_NONE_REAL_SIG, J_NONE_UPPER, J_NONE_TWO_PARTS, J_TAMPER_CHAR,
	J_TAMPER_ROLE, J_TAMPER_SIG, J_WRONG_KEY, J_EXPIRED, J_NBF, J_NO_EXP, J_EXP_STRING,
	J_IAT_FUTURE, J_TOO_LONG, J_WRONG_ISS, J_WRONG_AUD, J_NO_TYPE, J_OVERSIZE,
	J_REFRESH_SECRET, J_TYPE_REFRESH, J_HS384, J_HS512, J_UNKNOWN_SID, J__N
};
static const char *const jnames[J__N] = {
	"jwt_alg_none_empty_signature", "jwt_alg_none_real_signature", "jwt_alg_NONE",
	"jwt_alg_none_two_parts", "jwt_tampered_payload_char", "jwt_tampered_payload_role",
	"jwt_tampered_signature", "jwt_wrong_signature_same_length", "jwt_expired",
	"jwt_not_yet_valid", "jwt_missing_exp", "jwt_exp_as_string", "jwt_iat_in_future",
	"jwt_lifetime_too_long", "jwt_wrong_iss", "jwt_wrong_aud", "jwt_missing_type",
	"jwt_16kb", "jwt_signed_with_refresh_secret", "jwt_type_refresh", "jwt_hs384",
	"jwt_hs512", "jwt_revoked_session",
};
static int jidx[J__N];
static struct sess g_jwt_dead;   /* a logged-out session of the same user */

static void t_jwt(struct h_case *c, const void *arg)
{
	enum jkind k = (enum jkind)*(const int *)arg;
	long now = (long)time(NULL);
	const char *real = g_jwt.access, *tok = NULL;
	const char *h64 = jwt_part(real, 0), *p64 = jwt_part(real, 1), *s64 = jwt_part(real, 2);
	const char *none = "{\"alg\":\"none\",\"typ\":\"JWT\"}";
	struct json_object *o;

	CHECK(c, real != NULL && jwt_secret != NULL, "no session or no JWT_SECRET for the matrix");
	switch (k) {
	case J_NONE_EMPTY_SIG:
		tok = h_printf("%s.%s.", b64url(none, strlen(none)), p64);
		break;
	case J_NONE_REAL_SIG:
		tok = h_printf("%s.%s.%s", b64url(none, strlen(none)), p64, s64);
		break;
	case J_NONE_UPPER: {
		const char *h = "{\"alg\":\"NONE\",\"typ\":\"JWT\"}";

		tok = h_printf("%s.%s.", b64url(h, strlen(h)), p64);
		break;
	}
	case J_NONE_TWO_PARTS:
		tok = h_printf("%s.%s", b64url(none, strlen(none)), p64);
		break;
	case J_TAMPER_CHAR: {
		char *p = h_strdup(p64);
		size_t i = strlen(p) / 2;

		p[i] = p[i] == 'A' ? 'B' : 'A';
		tok = h_printf("%s.%s.%s", h64, p, s64);
		break;
	}
	case J_TAMPER_ROLE:
		o = jwt_json(real, 1);
		json_object_object_add(o, "role", json_object_new_string("super_admin"));
		tok = h_printf("%s.%s.%s", h64, b64url(jstr(o), strlen(jstr(o))), s64);
		json_object_put(o);
		break;
	case J_TAMPER_SIG: {
		char *s = h_strdup(s64);

		s[0] = s[0] == 'A' ? 'B' : 'A';   /* not the last char: its low bits are padding */
		tok = h_printf("%s.%s.%s", h64, p64, s);
		break;
	}
	case J_WRONG_KEY: {
		const char *input = h_printf("%s.%s", h64, p64);
		const char *s = hmac_b64(EVP_sha256(), "not-the-key-not-the-key-not-the-key!", input);

		EXPECT(c, strlen(s) == strlen(s64), "wrong signature is not the same length");
		tok = h_printf("%s.%s", input, s);
		break;
	}
	case J_EXPIRED:
		o = claims(now - ACCESS_TTL - 120);   /* exp = now - 120 */
		tok = sign(o);
		break;
	case J_NBF:
		o = claims(now);
		json_object_object_add(o, "nbf", json_object_new_int64(now + 300));
		tok = sign(o);
		break;
	case J_NO_EXP:
		o = claims(now);
		json_object_object_del(o, "exp");
		tok = sign(o);
		break;
	case J_EXP_STRING:
		o = claims(now);
		json_object_object_add(o, "exp", json_object_new_string(h_printf("%ld",
		    now + ACCESS_TTL)));
		tok = sign(o);
		break;
	case J_IAT_FUTURE:
		o = claims(now + 600);
		tok = sign(o);
		break;
	case J_TOO_LONG:
		o = claims(now);
		json_object_object_add(o, "exp", json_object_new_int64(now + 30L * 86400));
		tok = sign(o);
		break;
	case J_WRONG_ISS:
		o = claims(now);
		json_object_object_add(o, "iss", json_object_new_string("evil"));
		tok = sign(o);
		break;
	case J_WRONG_AUD:
		o = claims(now);
		json_object_object_add(o, "aud", json_object_new_string("someone-else"));
		tok = sign(o);
		break;
	case J_NO_TYPE:
		o = claims(now);
		json_object_object_del(o, "type");
		tok = sign(o);
		break;
	case J_OVERSIZE:
		o = claims(now);
		json_object_object_add(o, "pad", json_object_new_string(h_repeat("x", 12 * 1024)));
		tok = sign(o);
		EXPECT(c, strlen(tok) >= 16 * 1024, "the token is only %zu bytes", strlen(tok));
		break;
	case J_REFRESH_SECRET:
		CHECK(c, jwt_refresh_secret != NULL, "JWT_REFRESH_SECRET not in webix.conf");
		tok = jwt_make(HS256, jstr(o = claims(now)), EVP_sha256(), jwt_refresh_secret, NULL);
		json_object_put(o);
		break;
	case J_TYPE_REFRESH:
		o = claims(now);
		json_object_object_add(o, "type", json_object_new_string("refresh"));
		tok = sign(o);
		break;
	case J_HS384:
		tok = jwt_make("{\"alg\":\"HS384\",\"typ\":\"JWT\"}", jstr(o = claims(now)),
		    EVP_sha384(), jwt_secret, NULL);
		json_object_put(o);
		break;
	case J_HS512:
		tok = jwt_make("{\"alg\":\"HS512\",\"typ\":\"JWT\"}", jstr(o = claims(now)),
		    EVP_sha512(), jwt_secret, NULL);
		json_object_put(o);
		break;
	case J_UNKNOWN_SID:
		/* correct claims and signature, but the session was logged out */
		CHECK(c, g_jwt_dead.sid != NULL, "no logged-out session");
		o = claims(now);
		json_object_object_add(o, "sid", json_object_new_string(g_jwt_dead.sid));
		tok = sign(o);
		break;
	case J__N:
		break;
	}
	CHECK(c, tok != NULL, "no token built");
	verify_bad(c, tok, jnames[k]);
}

static void t_jwt_positive_control(struct h_case *c)
{
	const char *input, *tok;
	struct h_resp *r;

	CHECK(c, g_jwt.access != NULL && jwt_secret != NULL, "no session or no JWT_SECRET");
	input = h_printf("%s.%s", jwt_part(g_jwt.access, 0), jwt_part(g_jwt.access, 1));
	EXPECT(c, strcmp(hmac_b64(EVP_sha256(), jwt_secret, input),
	    jwt_part(g_jwt.access, 2)) == 0,
	    "JWT_SECRET read from webix.conf does not sign like the server");
	tok = sign(claims((long)time(NULL)));
	r = get(c, VERIFY, tok);
	if (expect_ok(c, r, 200, NULL, "a self-signed token with correct claims and a live "
	    "session")) {
		keys_exactly(c, h_jget(r->json, "data"), "data", KEYS("userId", "email", "role"),
		    NULL);
		EXPECT(c, h_jstr(r->json, "data.userId") &&
		    strcmp(h_jstr(r->json, "data.userId"), g_jwt.uid) == 0, "data.userId differs");
	}
	verify_ok(c, g_jwt.access, g_jwt.uid, "the server's own token");
}

static void t_no_token(struct h_case *c)
{
	const char *const what[] = { "no Authorization header", "token without \"Bearer \"",
	    "lower-case \"bearer \"", "\"Basic\" credentials" };
	const char *authz[] = { NULL, g_jwt.access, h_printf("bearer %s", g_jwt.access),
	    "Basic dXNlcjpwYXNz" };

	CHECK(c, g_jwt.access != NULL, "no session");
	for (int i = 0; i < 4; i++)
		expect_err(c, req(c, &(struct rq){ .path = VERIFY, .authz = authz[i] }), 401,
		    "unauthorized", "No token provided", what[i]);
}

/* ---- refresh ---- */

/* original-api.md §1.2: refreshToken "missing or falsy" → 400 "Refresh token required". */
static const char *const refresh_missing[] = { "{}", "{\"refreshToken\":\"\"}" };
/* The same rule for null (falsy) and for a POST without a body (the original parsed it as
 * {}); docs/api.md answers a missing body with the generic "value must be of type object". */
static const char *const refresh_null_or_none[] = { "{\"refreshToken\":null}", NULL };

static void t_refresh_required(struct h_case *c, const void *arg)
{
	const char *const *bodies = arg;

	for (int i = 0; i < 2; i++) {
		struct h_resp *r = req(c, &(struct rq){ .method = "POST", .path = REFRESH,
		    .body = bodies[i] });

		expect_err(c, r, 400, "bad_request", "Refresh token required",
		    bodies[i] ? h_printf("body %s", bodies[i]) : "no body");
	}
}

/* Any string that is not a live refresh token is 401 "Invalid refresh token" (§1.2),
 * whatever its length: an access token (~400 characters) is one. */
static void t_refresh_long_token(struct h_case *c)
{
	REQUIRE(h_check(c, g_jwt.access != NULL, "no session"));
	refresh_bad(c, g_jwt.access, h_printf("an access token (%zu characters) as refresh token",
	    strlen(g_jwt.access)));
	refresh_bad(c, h_repeat("x", 1000), "1000 characters");
}

static void t_refresh_garbage(struct h_case *c)
{
	refresh_bad(c, "garbage", "refreshToken \"garbage\"");
	refresh_bad(c, h_printf("%s.%s", "00000000-0000-4000-8000-000000000000",
	    h_repeat("A", 43)), "a well-formed unknown refresh token");
	refresh_bad(c, h_printf("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.%s.%s", h_repeat("e", 107),
	    h_repeat("s", 43)), "a JWT-shaped token of 188 characters (like the original's)");
	if (g_jwt.refresh != NULL) {
		char *t = h_strdup(g_jwt.refresh);

		t[strlen(t) - 2] = t[strlen(t) - 2] == 'A' ? 'B' : 'A';
		refresh_bad(c, t, "a refresh token with one character changed");
	}
}

/* The reuse scenario: started early, finished after the grace window (late case). */
static struct {
	struct sess s0, s1, s2;   /* register, first rotation, second rotation */
	long long rotated_ms;     /* monotonic time of the last rotation's answer */
	int ready;
} g_reuse;

static void t_refresh_rotation(struct h_case *c)
{
	struct sess s0, s1, s1b, s2, again;
	struct h_resp *r;

	REQUIRE(reg(c, mkemail("rot"), "secret123", &s0));
	REQUIRE(refresh_ok(c, &s0, &s1, "first refresh"));
	EXPECT(c, strcmp(s1.refresh, s0.refresh) != 0, "the refresh token did not rotate");
	EXPECT(c, strcmp(s1.access, s0.access) != 0, "the access token did not change");
	verify_ok(c, s0.access, s0.uid, "the pre-rotation access token (not logged out)");
	verify_ok(c, s1.access, s0.uid, "the new access token");
	EXPECT(c, h_sql_count(c, db, "SELECT count(*) FROM sessions WHERE id = $1::uuid AND "
	    "expires_at > now() + interval '6 days'", 1, P(s0.sid)) == 1,
	    "after a refresh session %s expires within 6 days (D18: the original cut it to 15 "
	    "minutes; expected the 7-day refresh lifetime)", s0.sid);

	/* the pre-rotation token again, inside the grace window: the current pair */
	r = refresh(c, s0.refresh);
	if (expect_ok(c, r, 200, "Token refreshed successfully", "old refresh token in grace")) {
		struct sess g = { 0 };

		if (sess_take(c, r, &g, "grace")) {
			EXPECT(c, strcmp(g.refresh, s1.refresh) == 0, "inside the grace window the old "
			    "token gave another refresh token than the current one");
			verify_ok(c, g.access, s0.uid, "access token given in the grace window");
		}
	}
	s1b = s1;
	REQUIRE(refresh_ok(c, &s1b, &s2, "refresh with the new token"));
	EXPECT(c, strcmp(s2.refresh, s1.refresh) != 0, "the second rotation gave the same token");
	g_reuse.rotated_ms = h_now_ms();
	/* and again inside the grace window of the second rotation */
	r = refresh(c, s1.refresh);
	if (expect_ok(c, r, 200, "Token refreshed successfully", "s1 in grace") &&
	    sess_take(c, r, &again, "s1 in grace"))
		EXPECT(c, strcmp(again.refresh, s2.refresh) == 0,
		    "in grace the previous token gave another token than the current one");
	g_reuse.s0 = s0;
	g_reuse.s1 = s1;
	g_reuse.s2 = s2;
	g_reuse.ready = 1;
}

static void t_refresh_reuse_after_grace(struct h_case *c)
{
	long long wait;

	CHECK(c, g_reuse.ready, "the rotation case did not complete");
	wait = g_reuse.rotated_ms + (grace_s + 1) * 1000 - h_now_ms();
	if (wait > 0)
		h_sleep_ms((long)wait);
	refresh_bad(c, g_reuse.s1.refresh, "the previous refresh token after the grace window");
	refresh_bad(c, g_reuse.s2.refresh, "the current refresh token of the revoked session");
	verify_bad(c, g_reuse.s2.access, "the current access token of the revoked session");
	verify_bad(c, g_reuse.s0.access, "the first access token of the revoked session");
	refresh_bad(c, g_reuse.s0.refresh, "the first refresh token of the revoked session");
	EXPECT(c, h_sql_count(c, db, "SELECT count(*) FROM sessions WHERE id = $1::uuid AND "
	    "revoked_at IS NOT NULL", 1, P(g_reuse.s0.sid)) == 1, "session %s is not revoked",
	    g_reuse.s0.sid);
	EXPECT(c, h_sql_count(c, dba, "SELECT count(*) FROM audit_log WHERE user_id = $1::uuid AND "
	    "action = 'refresh_reuse_detected' AND resource_id = $2", 2,
	    P(g_reuse.s0.uid, g_reuse.s0.sid)) >= 1,
	    "no audit row refresh_reuse_detected for session %s (read as %s)", g_reuse.s0.sid,
	    dba_who);
	/* the user can still log in: only the session ended */
	{
		struct sess s;

		login(c, g_reuse.s0.email, "secret123", &s, "login after reuse detection");
	}
}

/* ---- logout, logout-all ---- */

static void t_logout(struct h_case *c)
{
	const char *email = mkemail("logout");
	struct sess s1, s2, s3, s3r, s2r;
	struct h_resp *r;

	REQUIRE(reg(c, email, "secret123", &s1));
	REQUIRE(login(c, email, "secret123", &s2, "second session"));
	r = post(c, "/api/auth/logout", s1.access, NULL);
	if (expect_ok(c, r, 200, "Logout successful", "logout"))
		keys_exactly(c, r->json, "logout body", KEYS("success", "message"), NULL);
	verify_bad(c, s1.access, "access token right after logout");
	refresh_bad(c, s1.refresh, "refresh token of the logged-out session");
	verify_ok(c, s2.access, s1.uid, "the other session's access token");
	refresh_ok(c, &s2, &s2r, "the other session's refresh token");
	expect_err(c, post(c, "/api/auth/logout", s1.access, NULL), 401, "unauthorized",
	    "Invalid token", "logout again with the dead token");

	/* an access token from before a rotation works until logout, then not */
	REQUIRE(login(c, email, "secret123", &s3, "third session"));
	REQUIRE(refresh_ok(c, &s3, &s3r, "refresh of the third session"));
	verify_ok(c, s3.access, s1.uid, "pre-rotation access token before logout");
	r = post(c, "/api/auth/logout", s3r.access, "{}");
	expect_ok(c, r, 200, "Logout successful", "logout (with a {} body)");
	verify_bad(c, s3.access, "pre-rotation access token after logout");
	verify_bad(c, s3r.access, "rotated access token after logout");
	refresh_bad(c, s3r.refresh, "rotated refresh token after logout");
	verify_ok(c, s2r.access, s1.uid, "the second session still works");
}

static void t_logout_all(struct h_case *c)
{
	const char *email = mkemail("logoutall");
	struct sess s[4], s4;
	struct h_resp *r;

	REQUIRE(reg(c, email, "secret123", &s[0]));
	for (int i = 1; i < 4; i++)
		REQUIRE(login(c, email, "secret123", &s[i], "another session"));
	r = post(c, "/api/auth/logout-all", s[1].access, NULL);
	if (expect_ok(c, r, 200, "All sessions logged out successfully", "logout-all"))
		keys_exactly(c, r->json, "logout-all body", KEYS("success", "message"), NULL);
	for (int i = 0; i < 4; i++) {
		verify_bad(c, s[i].access, h_printf("session %d's access token after logout-all", i));
		refresh_bad(c, s[i].refresh, h_printf("session %d's refresh token after logout-all",
		    i));
	}
	if (login(c, email, "secret123", &s4, "login after logout-all"))
		verify_ok(c, s4.access, s[0].uid, "a new session after logout-all");
}

/* ---- change-password ---- */

static void t_change_password(struct h_case *c)
{
	const char *email = mkemail("chpw");
	struct sess s1, s2, s1r, s3;
	struct h_resp *r;

	REQUIRE(reg(c, email, "OldPass-123", &s1));
	REQUIRE(login(c, email, "OldPass-123", &s2, "second session"));
	r = post(c, "/api/auth/change-password", s1.access, h_jbody("currentPassword",
	    "WrongPass-1", "newPassword", "NewPass-456", NULL));
	expect_err(c, r, 400, "bad_request", "Current password is incorrect",
	    "wrong current password");
	verify_ok(c, s2.access, s1.uid, "the other session after a refused change");

	r = post(c, "/api/auth/change-password", s1.access, h_jbody("currentPassword",
	    "OldPass-123", "newPassword", "NewPass-456", NULL));
	if (expect_ok(c, r, 200, "Password changed successfully", "change-password"))
		keys_exactly(c, r->json, "change-password body", KEYS("success", "message"), NULL);
	verify_ok(c, s1.access, s1.uid, "the caller's access token after change-password");
	refresh_ok(c, &s1, &s1r, "the caller's refresh token after change-password");
	verify_bad(c, s2.access, "another session's access token after change-password");
	refresh_bad(c, s2.refresh, "another session's refresh token after change-password");
	expect_err(c, login_as(c, email, "OldPass-123", NULL), 401, "unauthorized",
	    "Invalid credentials", "login with the old password");
	login(c, email, "NewPass-456", &s3, "login with the new password");
	expect_audit(c, s1.uid, "password_changed", NULL, NULL);
}

/* ---- deactivation ---- */

static void t_deactivated(struct h_case *c)
{
	const char *email = mkemail("deact");
	struct sess s;
	const char *err, *v;
	PGresult *res;

	REQUIRE(reg(c, email, "secret123", &s));
	res = h_sql(c, db, "UPDATE users SET is_active = false WHERE id = $1::uuid", 1, P(s.uid));
	CHECK(c, res != NULL, "cannot deactivate");
	PQclear(res);
	expect_err(c, login_as(c, email, "secret123", NULL), 401, "unauthorized",
	    "Account is deactivated", "login of a deactivated user, right password");
	expect_err(c, login_as(c, email, "secret999", NULL), 401, "unauthorized",
	    "Invalid credentials", "login of a deactivated user, wrong password");
	refresh_bad(c, s.refresh, "refresh of a deactivated user");
	/* what webixctl (and any deactivation) publishes: workers check it on every request */
	v = h_redis(NULL, &err, "SET", h_printf("webix:rv:u:%s", s.uid), "1", "EX", "1000", NULL);
	CHECK(c, v != NULL && strcmp(v, "OK") == 0, "cannot set the Redis key: %s",
	    err ? err : h_printf("SET answered %s", v ? v : "nil"));
	verify_bad(c, s.access, "access token of a deactivated user (webix:rv:u set)");
}

/* webixctl with the stack's configuration, PW on stdin. Returns its exit status (-1 when
 * it could not run); a non-zero status is recorded as a failure when MUST_SUCCEED. */
static int webixctl(struct h_case *c, const char *args, const char *pw, int must_succeed)
{
	char out[512];
	int st = h_webixctl(c, args, pw, out, sizeof(out));

	out[strcspn(out, "\n")] = '\0';
	if (must_succeed)
		h_check(c, st == 0, "webixctl %s exited with %d: %s", args, st, out);
	return st;
}

static void t_webixctl_deactivate(struct h_case *c)
{
	const char *email = mkemail("ctldeact");
	struct sess s, s2;

	REQUIRE(reg(c, email, "secret123", &s));
	REQUIRE(webixctl(c, h_printf("user deactivate %s", email), NULL, 1) == 0);
	verify_bad(c, s.access, "access token right after webixctl user deactivate");
	expect_err(c, login_as(c, email, "secret123", NULL), 401, "unauthorized", NULL,
	    "login after webixctl user deactivate");
	refresh_bad(c, s.refresh, "refresh after webixctl user deactivate");
	REQUIRE(webixctl(c, h_printf("user activate %s", email), NULL, 1) == 0);
	if (login(c, email, "secret123", &s2, "login after webixctl user activate"))
		verify_ok(c, s2.access, s.uid, "a new session after activate");
}

/* ---- webixctl expire ---- */

/* Rows a day past their end go, younger ones and live ones stay; audit rows go after
 * --audit-days (365 by default); a bad argument is refused before anything is deleted. */
static void t_webixctl_expire(struct h_case *c)
{
	const char *email = mkemail("expire"), *tag = h_printf("expire-%lld", h_now_us());
	struct sess s;
	char out[512];
	int st;

	REQUIRE(reg(c, email, "secret123", &s));
	CHECK(c, db != NULL, "no database connection");
	/* sessions: expired 2 days ago, revoked 2 days ago, expired 1 hour ago */
	static const char *const sess_when[] = {
		"now() - interval '2 days', NULL", "now() + interval '5 days', now() - interval '2 days'",
		"now() - interval '1 hour', NULL" };
	for (int i = 0; i < 3; i++)
		PQclear(h_sql(c, db, h_printf("INSERT INTO sessions (user_id, refresh_hash, "
		    "expires_at, revoked_at, user_agent) VALUES ($1::uuid, md5(random()::text), %s, "
		    "$2)", sess_when[i]), 2, P(s.uid, h_printf("%s-s%d", tag, i))));
	/* tokens: expired 2 days ago, used 2 days ago, expired 1 hour ago */
	static const char *const tok_when[] = { "now() - interval '2 days', NULL",
		"now() + interval '1 day', now() - interval '2 days'",
		"now() - interval '1 hour', NULL" };
	for (int i = 0; i < 3; i++)
		PQclear(h_sql(c, db, h_printf("INSERT INTO account_tokens (user_id, purpose, "
		    "token_hash, expires_at, used_at) VALUES ($1::uuid, 'reset_password', $2, %s)",
		    tok_when[i]), 2, P(s.uid, h_printf("%s-t%d", tag, i))));
	/* audit rows 400 and 10 days old */
	PQclear(h_sql(c, db, "INSERT INTO audit_log (user_id, action, resource, resource_id, "
	    "created_at) VALUES ($1::uuid, 'e2e_expire', 'user', $2, now() - interval '400 days'), "
	    "($1::uuid, 'e2e_expire', 'user', $3, now() - interval '10 days')", 3,
	    P(s.uid, h_printf("%s-a400", tag), h_printf("%s-a10", tag))));

	static const char *const bad[] = { "expire --audit-days 0", "expire --audit-days x",
	    "expire --audit-days", "expire --bogus", "expire --audit-days 36501" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		st = h_webixctl(c, bad[i], NULL, out, sizeof(out));
		EXPECT(c, st == 2 && strstr(out, "--audit-days takes a number of days") != NULL,
		    "webixctl %s exited %d: %s", bad[i], st, out);
	}
	EXPECT(c, h_sql_count(c, db, "SELECT count(*) FROM sessions WHERE user_agent LIKE $1",
	    1, P(h_printf("%s-s%%", tag))) == 3, "a refused expire deleted sessions");

	st = h_webixctl(c, "expire", NULL, out, sizeof(out));
	EXPECT(c, st == 0 && strstr(out, "expired ") != NULL && strstr(out,
	    "audit row(s) older than 365 day(s)") != NULL, "webixctl expire exited %d: %s", st, out);
	const char *left = h_sql_one(c, db, "SELECT string_agg(user_agent, ',' ORDER BY user_agent) "
	    "FROM sessions WHERE user_agent LIKE $1", 1, P(h_printf("%s-s%%", tag)));
	EXPECT(c, left != NULL && strcmp(left, h_printf("%s-s2", tag)) == 0,
	    "sessions left: %s (only the one expired an hour ago should be)", left ? left : "none");
	EXPECT(c, h_sql_count(c, db, "SELECT count(*) FROM sessions WHERE id = $1::uuid", 1,
	    P(s.sid)) == 1, "the live session of register was expired");
	left = h_sql_one(c, db, "SELECT string_agg(token_hash, ',' ORDER BY token_hash) FROM "
	    "account_tokens WHERE token_hash LIKE $1", 1, P(h_printf("%s-t%%", tag)));
	EXPECT(c, left != NULL && strcmp(left, h_printf("%s-t2", tag)) == 0,
	    "tokens left: %s (only the one expired an hour ago should be)", left ? left : "none");
	EXPECT(c, h_sql_count(c, db, "SELECT count(*) FROM account_tokens WHERE user_id = $1::uuid "
	    "AND purpose = 'verify_email' AND used_at IS NULL", 1, P(s.uid)) == 1,
	    "the live verification token of register was expired");
	left = h_sql_one(c, dba, "SELECT string_agg(resource_id, ',') FROM audit_log WHERE "
	    "resource_id LIKE $1", 1, P(h_printf("%s-a%%", tag)));
	EXPECT(c, left != NULL && strcmp(left, h_printf("%s-a10", tag)) == 0,
	    "audit rows left: %s (only the 10-day-old one should be)", left ? left : "none");

	st = h_webixctl(c, "expire --audit-days 5", NULL, out, sizeof(out));
	EXPECT(c, st == 0 && strstr(out, "older than 5 day(s)") != NULL,
	    "webixctl expire --audit-days 5 exited %d: %s", st, out);
	EXPECT(c, h_sql_count(c, dba, "SELECT count(*) FROM audit_log WHERE resource_id LIKE $1",
	    1, P(h_printf("%s-a%%", tag))) == 0, "the 10-day-old audit row outlived --audit-days 5");
	/* the account still works: its session was not touched */
	verify_ok(c, s.access, s.uid, "the access token after webixctl expire");
}

/* ---- bcrypt import ---- */

static void t_bcrypt_import(struct h_case *c)
{
	const char *email = mkemail("bcrypt"), *pw = "secret123", *uid, *h1, *h2;
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	const char *hash = NULL;
	struct sess s;

	CHECK(c, cd != NULL, "out of memory");
	if (crypt_gensalt_rn("$2b$", 10, NULL, 0, setting, sizeof(setting)) != NULL) {
		const char *h = crypt_r(pw, setting, cd);

		if (h != NULL && h[0] != '*')
			hash = h_strdup(h);
	}
	free(cd);
	CHECK(c, hash != NULL && strncmp(hash, "$2b$10$", 7) == 0, "crypt_r gave no bcrypt hash");
	uid = h_sql_one(c, db, "INSERT INTO users (email, password_hash, display_name) "
	    "VALUES ($1, $2, 'Imported User') RETURNING id", 2, P(email, hash));
	CHECK(c, uid != NULL, "cannot insert the imported user");
	expect_err(c, login_as(c, email, "secret124", NULL), 401, "unauthorized",
	    "Invalid credentials", "wrong password against a bcrypt hash");
	h1 = h_sql_one(c, db, "SELECT password_hash FROM users WHERE id = $1::uuid", 1, P(uid));
	EXPECT(c, h1 && strcmp(h1, hash) == 0, "a failed login changed the stored hash");
	REQUIRE(login(c, email, pw, &s, "login with the bcrypt password"));
	EXPECT(c, strcmp(s.uid, uid) == 0, "logged in as another user");
	h1 = h_sql_one(c, db, "SELECT password_hash FROM users WHERE id = $1::uuid", 1, P(uid));
	EXPECT(c, h1 && strncmp(h1, "$argon2id$", 10) == 0,
	    "after login the stored hash is not Argon2id (%.7s...)", h1 ? h1 : "absent");
	REQUIRE(login(c, email, pw, &s, "second login after the rehash"));
	h2 = h_sql_one(c, db, "SELECT password_hash FROM users WHERE id = $1::uuid", 1, P(uid));
	EXPECT(c, h1 && h2 && strcmp(h1, h2) == 0, "the second login rehashed again");
	expect_err(c, login_as(c, email, "secret124", NULL), 401, "unauthorized",
	    "Invalid credentials", "wrong password against the new hash");
}

/* ---- audit ---- */

static void t_audit(struct h_case *c)
{
	const char *email = mkemail("audit");
	struct sess s0, s1, s2;

	REQUIRE(reg(c, email, "secret123", &s0));
	expect_err(c, login_as(c, email, "wrong-password", NULL), 401, "unauthorized",
	    "Invalid credentials", "wrong password");
	REQUIRE(login(c, email, "secret123", &s1, "login"));
	expect_ok(c, post(c, "/api/auth/change-password", s1.access, h_jbody("currentPassword",
	    "secret123", "newPassword", "secret456", NULL)), 200, "Password changed successfully",
	    "change-password");
	expect_ok(c, post(c, "/api/auth/logout", s1.access, NULL), 200, "Logout successful",
	    "logout");
	REQUIRE(login(c, email, "secret456", &s2, "login"));
	expect_ok(c, post(c, "/api/auth/logout-all", s2.access, NULL), 200,
	    "All sessions logged out successfully", "logout-all");

	expect_audit(c, s0.uid, "user_registered", " AND resource_id = user_id::text", NULL);
	expect_audit(c, s0.uid, "login_failed", " AND metadata->>'reason' = 'invalid_password'",
	    "with metadata reason invalid_password");
	EXPECT(c, audit_count(c, s0.uid, "login_success", "127.0.0.1", NULL) == 2,
	    "not exactly 2 login_success rows");
	expect_audit(c, s0.uid, "password_changed", NULL, NULL);
	expect_audit(c, s0.uid, "logout", NULL, NULL);
	expect_audit(c, s0.uid, "logout_all", NULL, NULL);
}

/* ---- email verification, password reset ---- */

/* The token in the link of the newest outbox email TEMPLATE to EMAIL. */
static const char *outbox_token(struct h_case *c, const char *tmpl, const char *email,
    const char *path)
{
	const char *link = h_sql_one(c, db, "SELECT payload->>'link' FROM outbox WHERE kind = "
	    "'email' AND template = $1 AND recipient = $2 ORDER BY created_at DESC LIMIT 1", 2,
	    P(tmpl, email));
	const char *prefix = h_printf("%s%s?token=", client_url, path);

	if (!h_check(c, link != NULL, "no outbox row %s for %s", tmpl, email))
		return NULL;
	if (!h_check(c, strncmp(link, prefix, strlen(prefix)) == 0 &&
	    strlen(link) > strlen(prefix), "outbox link is %s, expected %s<token>", link, prefix))
		return NULL;
	return link + strlen(prefix);
}

static void t_verify_email(struct h_case *c)
{
	const char *email = mkemail("verify"), *tok;
	struct sess s;
	struct h_resp *r;

	REQUIRE(reg(c, email, "secret123", &s));
	tok = outbox_token(c, "verify_email", email, "/verify-email");
	REQUIRE(tok != NULL);
	EXPECT(c, h_sql_count(c, db, "SELECT count(*) FROM account_tokens WHERE user_id = $1::uuid "
	    "AND purpose = 'verify_email' AND used_at IS NULL AND token_hash <> $2", 2,
	    P(s.uid, tok)) == 1, "no unused, hashed verify_email account token");
	EXPECT(c, h_sql_count(c, db, "SELECT count(*) FROM account_tokens WHERE token_hash = $1", 1,
	    P(tok)) == 0, "the plain token is stored");
	/* a verification token is not a reset token */
	expect_err(c, post(c, "/api/auth/reset-password", NULL, h_jbody("token", tok, "password",
	    "hijack-123", NULL)), 400, "bad_request", "Invalid or expired token",
	    "the verify_email token used for reset-password");
	r = post(c, "/api/auth/verify-email", NULL, h_jbody("token", tok, NULL));
	if (expect_ok(c, r, 200, "Email verified successfully", "verify-email"))
		keys_exactly(c, r->json, "verify-email body", KEYS("success", "message"), NULL);
	r = login_as(c, email, "secret123", NULL);
	if (expect_ok(c, r, 200, "Login successful", "login after verification"))
		EXPECT(c, h_jtrue(r->json, "data.user.emailVerified"),
		    "emailVerified is not true after verification: %s", h_brief(r));
	expect_err(c, post(c, "/api/auth/verify-email", NULL, h_jbody("token", tok, NULL)), 400,
	    "bad_request", "Invalid or expired token", "the same token again");
	expect_err(c, post(c, "/api/auth/verify-email", NULL, h_jbody("token", "garbage", NULL)),
	    400, "bad_request", "Invalid or expired token", "a garbage token");
}

static void t_forgot_reset(struct h_case *c)
{
	const char *email = mkemail("reset"), *nobody = mkemail("noreset"), *tok;
	struct sess s1, s2, s3;
	struct h_resp *k, *u, *r;

	REQUIRE(reg(c, email, "OldPass-123", &s1));
	REQUIRE(login(c, email, "OldPass-123", &s2, "second session"));
	k = post(c, "/api/auth/forgot-password", NULL, h_jbody("email", email, NULL));
	u = post(c, "/api/auth/forgot-password", NULL, h_jbody("email", nobody, NULL));
	expect_ok(c, k, 200,
	    "If an account exists for that email, a password reset link has been sent",
	    "forgot-password, known email");
	EXPECT(c, k->status == u->status && strcmp(without_rid(k), without_rid(u)) == 0,
	    "known and unknown emails answer differently: %s vs %s", h_brief(k), h_brief(u));
	EXPECT(c, h_sql_count(c, db, "SELECT count(*) FROM outbox WHERE recipient = $1", 1,
	    P(nobody)) == 0, "an outbox row for an unknown email");
	tok = outbox_token(c, "reset_password", email, "/reset-password");
	REQUIRE(tok != NULL);
	expect_err(c, post(c, "/api/auth/reset-password", NULL, h_jbody("token", tok, "password",
	    "abc", NULL)), 400, "validation_failed", "Validation error", "a short new password");
	r = post(c, "/api/auth/reset-password", NULL, h_jbody("token", tok, "password",
	    "NewPass-789", NULL));
	if (expect_ok(c, r, 200, "Password has been reset", "reset-password"))
		keys_exactly(c, r->json, "reset-password body", KEYS("success", "message"), NULL);
	verify_bad(c, s1.access, "first session's access token after the reset");
	verify_bad(c, s2.access, "second session's access token after the reset");
	refresh_bad(c, s1.refresh, "first session's refresh token after the reset");
	refresh_bad(c, s2.refresh, "second session's refresh token after the reset");
	expect_err(c, login_as(c, email, "OldPass-123", NULL), 401, "unauthorized",
	    "Invalid credentials", "login with the old password");
	if (login(c, email, "NewPass-789", &s3, "login with the new password"))
		verify_ok(c, s3.access, s1.uid, "a session after the reset");
	expect_err(c, post(c, "/api/auth/reset-password", NULL, h_jbody("token", tok, "password",
	    "Again-12345", NULL)), 400, "bad_request", "Invalid or expired token",
	    "the reset token again");
}

/* ---- profile ---- */

static void t_profile(struct h_case *c)
{
	const char *email = mkemail("profile");
	struct sess s;
	struct h_resp *p, *m, *v;
	struct json_object *orgs;

	REQUIRE(reg(c, email, "secret123", &s));
	p = get(c, "/api/auth/profile", s.access);
	m = get(c, "/api/auth/me", s.access);
	v = get(c, VERIFY, s.access);
	REQUIRE(expect_ok(c, p, 200, NULL, "profile") && expect_ok(c, m, 200, NULL, "me") &&
	    expect_ok(c, v, 200, NULL, "verify"));
	keys_exactly(c, h_jget(p->json, "data"), "profile data", KEYS("user", "organizations"),
	    NULL);
	keys_exactly(c, h_jget(p->json, "data.user"), "profile data.user",
	    KEYS("userId", "email", "role"), NULL);
	EXPECT(c, h_jstr(p->json, "data.user.userId") &&
	    strcmp(h_jstr(p->json, "data.user.userId"), s.uid) == 0, "userId differs");
	EXPECT(c, h_jstr(p->json, "data.user.email") &&
	    strcmp(h_jstr(p->json, "data.user.email"), email) == 0, "email differs");
	EXPECT(c, h_jstr(p->json, "data.user.role") &&
	    strcmp(h_jstr(p->json, "data.user.role"), "org_user") == 0, "role is not org_user");
	orgs = h_jget(p->json, "data.organizations");
	EXPECT(c, json_object_is_type(orgs, json_type_array) &&
	    json_object_array_length(orgs) == 0, "organizations is not []: %s", h_brief(p));
	EXPECT(c, json_object_equal(h_jget(p->json, "data"), h_jget(m->json, "data")),
	    "/me data %s differs from /profile data %s", h_brief(m), h_brief(p));
	EXPECT(c, json_object_equal(h_jget(p->json, "data.user"), h_jget(v->json, "data")),
	    "/verify data differs from /profile data.user");
}

/* ---- webixctl user create --super-admin ---- */

static void t_super_admin(struct h_case *c)
{
	const char *email = mkemail("super");
	struct sess s;
	struct h_resp *r;
	struct json_object *pl;

	REQUIRE(webixctl(c, h_printf("user create --super-admin %s", email), "Super-Secret-1", 1)
	    == 0);
	r = login_as(c, email, "Super-Secret-1", NULL);
	REQUIRE(expect_ok(c, r, 200, "Login successful", "super admin login"));
	EXPECT(c, h_jstr(r->json, "data.user.role") &&
	    strcmp(h_jstr(r->json, "data.user.role"), "super_admin") == 0,
	    "data.user.role is %s", h_jstr(r->json, "data.user.role"));
	REQUIRE(sess_take(c, r, &s, "super admin login"));
	pl = jwt_json(s.access, 1);
	EXPECT(c, h_jstr(pl, "role") && strcmp(h_jstr(pl, "role"), "super_admin") == 0,
	    "token role is %s", h_jstr(pl, "role"));
	json_object_put(pl);
	r = get(c, VERIFY, s.access);
	if (expect_ok(c, r, 200, NULL, "verify as super admin"))
		EXPECT(c, h_jstr(r->json, "data.role") &&
		    strcmp(h_jstr(r->json, "data.role"), "super_admin") == 0, "verify role is %s",
		    h_jstr(r->json, "data.role"));
	EXPECT(c, webixctl(c, h_printf("user create --super-admin %s", email), "Other-Secret-2", 0)
	    > 0, "creating the same super admin twice did not fail");
	expect_err(c, login_as(c, email, "Other-Secret-2", NULL), 401, "unauthorized",
	    "Invalid credentials", "the refused second create changed the password");
}

/* ---- limits ---- */

static void t_register_limit_per_address(struct h_case *c)
{
	const char *src = other_addr(), *first = NULL, *last = NULL;
	time_t hour0 = time(NULL) / 3600;
	struct h_resp *r = NULL;
	long n201 = 0;

	CHECK(c, register_limit <= 50, "REGISTER_LIMIT_PER_HOUR is %ld (more than 50): set it "
	    "to 20 in the test stack", register_limit);
	for (long i = 0; i <= register_limit; i++) {
		last = mkemail("rl");
		r = register_as(c, last, "secret123", "Limit User", src);
		if (r->status != 201)
			break;
		if (first == NULL)
			first = h_jstr(r->json, "data.user._id");
		n201++;
	}
	CHECK(c, r != NULL, "no request");
	if (time(NULL) / 3600 != hour0)
		EXPECT(c, r->status == 429 || r->status == 201, "the hour changed during the test; "
		    "last answer %s", h_brief(r));
	else
		EXPECT(c, n201 == register_limit, "%ld registrations from %s were accepted before "
		    "the first refusal (%s), expected %ld", n201, src, h_brief(r), register_limit);
	if (expect_err(c, r, 429, "rate_limited", "Too many requests, please try again later.",
	    h_printf("registration %ld from %s", n201 + 1, src))) {
		long ra = h_retry_after(r);

		EXPECT(c, ra >= 1 && ra <= 3600, "Retry-After is %s",
		    h_hdr(r, "Retry-After") ? h_hdr(r, "Retry-After") : "absent");
		EXPECT(c, h_sql_count(c, db, "SELECT count(*) FROM users WHERE email = $1", 1,
		    P(last)) == 0, "the refused registration created the user");
	}
	if (first != NULL)
		EXPECT(c, h_sql_count(c, db, "SELECT count(*) FROM sessions WHERE user_id = $1::uuid "
		    "AND ip_address = $2", 2, P(first, src)) == 1,
		    "the session of a registration from %s does not record that address", src);
}

static void t_login_limit_per_address(struct h_case *c)
{
	const char *src = other_addr(), *email = mkemail("iplock");
	long n401 = 0, max = login_ip_max_failures;
	struct h_resp *r = NULL;
	struct sess s;

	CHECK(c, max <= 50, "LOGIN_IP_MAX_FAILURES is %ld (more than 50)", max);
	REQUIRE(reg(c, email, "secret123", &s));
	for (long i = 0; i < max; i++) {
		r = login_as(c, mkemail("ipnobody"), "secret123", src);
		if (r->status != 401)
			break;
		n401++;
	}
	EXPECT(c, n401 == max, "%ld failed logins from %s answered 401 before %s, expected %ld",
	    n401, src, r ? h_brief(r) : "-", max);
	r = login_as(c, email, "secret123", src);
	if (expect_err(c, r, 429, "rate_limited", "Too many requests, please try again later.",
	    h_printf("right password from %s after %ld failures", src, max)))
		EXPECT(c, h_retry_after(r) >= 1, "no Retry-After on 429");
	r = login_as(c, email, "secret123", NULL);
	expect_ok(c, r, 200, "Login successful", "the same account from 127.0.0.1");
}

static void t_brute_force(struct h_case *c)
{
	const char *email = mkemail("brute");
	struct sess s, s2;
	struct h_resp *r;
	long ra, before, after;

	REQUIRE(reg(c, email, "secret123", &s));
	for (long i = 0; i < login_max_failures; i++)
		expect_err(c, login_as(c, email, "wrong-pass", NULL), 401, "unauthorized",
		    "Invalid credentials", h_printf("wrong password %ld", i + 1));
	before = h_sql_count(c, db, "SELECT count(*) FROM sessions WHERE user_id = $1::uuid", 1,
	    P(s.uid));
	r = login_as(c, email, "secret123", NULL);
	REQUIRE(expect_err(c, r, 429, "rate_limited", "Too many requests, please try again later.",
	    h_printf("right password after %ld failures", login_max_failures)));
	after = h_sql_count(c, db, "SELECT count(*) FROM sessions WHERE user_id = $1::uuid", 1,
	    P(s.uid));
	EXPECT(c, before == after, "a refused (429) login created a session");
	ra = h_retry_after(r);
	CHECK(c, ra >= 1, "Retry-After is %s", h_hdr(r, "Retry-After") ? h_hdr(r, "Retry-After") :
	    "absent");
	CHECK(c, ra <= 30, "Retry-After %ld is longer than the first lock should be", ra);
	h_sleep_ms(ra * 1000 + 500);
	REQUIRE(login(c, email, "secret123", &s2, "right password after Retry-After"));
	expect_err(c, login_as(c, email, "wrong-pass", NULL), 401, "unauthorized",
	    "Invalid credentials", "one wrong password after a success (counter reset)");
	login(c, email, "secret123", &s2, "right password again");
}

static void t_no_secrets(struct h_case *c)
{
	EXPECT(c, n_bodies >= 100, "only %d response bodies were checked", n_bodies);
	EXPECT(c, n_secret_hits == 0, "%d response bodies contained a secret; first: %s",
	    n_secret_hits, first_secret_hit);
}

/* Shared sessions: one for the authenticated validation rows, one for the JWT matrix,
 * and a logged-out session of the JWT matrix's user. */
static void t_setup(struct h_case *c)
{
	struct sess dead;

	REQUIRE(reg(c, mkemail("valsess"), "secret123", &g_val));
	REQUIRE(reg(c, mkemail("jwt"), "secret123", &g_jwt));
	REQUIRE(login(c, g_jwt.email, "secret123", &dead, "second session"));
	expect_ok(c, post(c, "/api/auth/logout", dead.access, NULL), 200, "Logout successful",
	    "logout of the second session");
	g_jwt_dead = dead;
}

int main(void)
{
	char path[1024];

	if (h_init() != 0)
		return 1;
	snprintf(run_tag, sizeof(run_tag), "%lx%x", (unsigned long)time(NULL),
	    (unsigned)getpid());
	if (h_env.state != NULL) {
		snprintf(path, sizeof(path), "%s/webix.conf", h_env.state);
		conf_read = conf_load(path) == 0;
		snprintf(path, sizeof(path), "%s/api.env", h_env.state);
		(void)conf_load(path);
	}
	jwt_secret = conf_get("JWT_SECRET", getenv("JWT_SECRET"));
	jwt_refresh_secret = conf_get("JWT_REFRESH_SECRET", getenv("JWT_REFRESH_SECRET"));
	jwt_iss = conf_get("JWT_ISSUER", "webix");
	jwt_aud = conf_get("JWT_AUDIENCE", "webix-api");
	client_url = conf_get("CLIENT_URL", "http://localhost:3000");
	grace_s = conf_long("REFRESH_GRACE_SECONDS", 10);
	register_limit = conf_long("REGISTER_LIMIT_PER_HOUR", 20);
	login_max_failures = conf_long("LOGIN_MAX_FAILURES", 5);
	login_ip_max_failures = conf_long("LOGIN_IP_MAX_FAILURES", 20);
	db_connect();

	/* the validation rows whose bodies are too long to write literally */
	for (size_t i = 0; i < sizeof(vrows) / sizeof(vrows[0]); i++) {
		if (strcmp(vnames[i], "validation_register_password_1025_bytes") == 0)
			vrows[i].body = h_printf("{" EMAIL_OK ",\"password\":\"%s\"," NAME_OK "}", "%s",
			    h_repeat("p", 1025));
		else if (strcmp(vnames[i], "validation_register_name_51") == 0)
			vrows[i].body = h_printf("{" EMAIL_OK "," PW_OK ",\"displayName\":\"%s\"}", "%s",
			    h_repeat("a", 51));
		else if (strcmp(vnames[i], "validation_register_name_26_emoji") == 0)
			vrows[i].body = h_printf("{" EMAIL_OK "," PW_OK ",\"displayName\":\"%s\"}", "%s",
			    h_repeat("\xf0\x9f\x98\x80", 26));
	}
	for (int k = 0; k < J__N; k++)
		jidx[k] = k;

	h_run("config", t_config);
	h_run("setup_sessions", t_setup);
	/* started early, finished by refresh_reuse_after_grace near the end */
	h_run("refresh_rotation_and_grace", t_refresh_rotation);
	h_run("register_201_shape", t_register_201);
	for (size_t i = 0; i < sizeof(vrows) / sizeof(vrows[0]); i++)
		h_run_with(vnames[i], t_validation, &vrows[i]);
	h_run("register_boundaries_accepted", t_register_boundaries);
	h_run("register_duplicate_email_409", t_register_duplicate);
	h_run("register_concurrent_same_email", t_register_concurrent);
	h_run("login_200", t_login_200);
	h_run("login_wrong_password_like_unknown_email", t_login_wrong_password);
	h_run("login_email_case_insensitive", t_login_case_insensitive);
	h_run("login_unknown_email_same_cost", t_login_timing);
	h_run("login_twice_same_second", t_login_same_second);
	for (int k = 0; k < J__N; k++)
		h_run_with(jnames[k], t_jwt, &jidx[k]);
	h_run("jwt_no_token_provided", t_no_token);
	h_run("jwt_self_signed_valid_control", t_jwt_positive_control);
	h_run_with("refresh_token_required", t_refresh_required, refresh_missing);
	h_run_with("refresh_token_required_null_or_no_body", t_refresh_required,
	    refresh_null_or_none);
	h_run("refresh_invalid_tokens", t_refresh_garbage);
	h_run("refresh_long_invalid_token_401", t_refresh_long_token);
	h_run("logout", t_logout);
	h_run("logout_all", t_logout_all);
	h_run("change_password", t_change_password);
	h_run("deactivated_user", t_deactivated);
	h_run("webixctl_user_deactivate_activate", t_webixctl_deactivate);
	h_run("webixctl_expire", t_webixctl_expire);
	h_run("bcrypt_import_and_rehash", t_bcrypt_import);
	h_run("audit_rows", t_audit);
	h_run("verify_email", t_verify_email);
	h_run("forgot_and_reset_password", t_forgot_reset);
	h_run("profile_me_verify", t_profile);
	h_run("webixctl_super_admin", t_super_admin);
	h_run("register_limit_per_address", t_register_limit_per_address);
	h_run("login_limit_per_address", t_login_limit_per_address);
	h_run("login_brute_force_lock", t_brute_force);
	h_run("refresh_reuse_after_grace", t_refresh_reuse_after_grace);
	h_run("no_secret_in_any_body", t_no_secrets);

	if (dba != NULL && dba != db)
		PQfinish(dba);
	if (db != NULL)
		PQfinish(db);
	h_strings_free();
	return h_finish();
}
