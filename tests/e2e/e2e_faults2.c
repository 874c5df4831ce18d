/* e2e_faults2.c — more end-to-end fault tests of the running stack: Redis stopped under a
 * running webix-api (accounts keep working, rate limits fail open or closed as configured,
 * revocations survive, the same workers recover), slow and oversized clients cut off by
 * nginx, and a query cancelled by statement_timeout. Leaves the stack as it found it. */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <libpq-fe.h>

#define MAX_WORKERS 64

/* ---- small helpers ---- */

/* printf into a static ring of buffers (lives for a few calls: message arguments). */
static const char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static const char *fmt(const char *f, ...)
{
	static char ring[8][512];
	static int at;
	char *b = ring[at++ % 8];
	va_list ap;

	va_start(ap, f);
	vsnprintf(b, sizeof(ring[0]), f, ap);
	va_end(ap);
	return b;
}

/* "$WEBIX_DEV" svc NAME ACTION, its output on stderr. Returns its exit status. */
static int svc(const char *name, const char *action)
{
	pid_t pid;
	int status;

	if (h_env.dev == NULL)
		return -1;
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		dup2(STDERR_FILENO, STDOUT_FILENO);
		execl(h_env.dev, h_env.dev, "svc", name, action, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A setting of the stack's webix.conf ("KEY = value"), or DFLT when it is not there (the
 * api's own default then applies). Static copy. */
static const char *conf_get(const char *key, const char *dflt)
{
	static char val[8][256];
	static int at;
	char path[4096], line[1024];
	const char *found = dflt;
	size_t kl = strlen(key);
	FILE *f;

	if (h_env.state == NULL)
		return dflt;
	snprintf(path, sizeof(path), "%s/webix.conf", h_env.state);
	if ((f = fopen(path, "r")) == NULL)
		return dflt;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = line + strspn(line, " \t"), *v;
		size_t n;

		if (strncmp(p, key, kl) != 0 || strchr(" \t=", p[kl]) == NULL)
			continue;
		v = p + kl + strspn(p + kl, " \t");
		if (*v != '=')
			continue;
		v++;
		v += strspn(v, " \t");
		n = strcspn(v, "\r\n");
		while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
			n--;
		char *slot = val[at++ % 8];
		snprintf(slot, sizeof(val[0]), "%.*s", (int)n, v);
		found = slot;
	}
	fclose(f);
	return found;
}

static long conf_long(const char *key, long dflt)
{
	const char *v = conf_get(key, NULL);
	char *end;
	long n;

	if (v == NULL)
		return dflt;
	n = strtol(v, &end, 10);
	return end != v && *end == '\0' ? n : dflt;
}

/* ---- the master and its workers ---- */

struct procs {
	pid_t master;
	pid_t w[MAX_WORKERS];
	size_t n;
};

static int procs_read(struct procs *p)
{
	char path[4096];
	FILE *f;
	long pid;

	memset(p, 0, sizeof(*p));
	if (h_env.state == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/run/webix-api.pid", h_env.state);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	if (fscanf(f, "%ld", &pid) != 1 || pid <= 1) {
		fclose(f);
		return -1;
	}
	fclose(f);
	p->master = (pid_t)pid;
	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children", pid, pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (p->n < MAX_WORKERS && fscanf(f, "%ld", &pid) == 1)
		p->w[p->n++] = (pid_t)pid;
	fclose(f);
	return 0;
}

static int procs_has(const struct procs *p, pid_t pid)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->w[i] == pid)
			return 1;
	return 0;
}

static size_t procs_common(const struct procs *a, const struct procs *b)
{
	size_t n = 0;

	for (size_t i = 0; i < a->n; i++)
		n += procs_has(b, a->w[i]);
	return n;
}

static int procs_same(const struct procs *a, const struct procs *b)
{
	return a->master == b->master && a->n == b->n && procs_common(a, b) == a->n;
}

/* SIGHUP to the master, then wait (at most 30 s) until none of the old workers is left and
 * as many new ones run. Returns 0 when the roll completed. */
static int roll_workers(void)
{
	struct procs before, now;
	long long until = h_now_ms() + 30000;

	if (procs_read(&before) != 0 || before.n == 0 || kill(before.master, SIGHUP) != 0)
		return -1;
	while (h_now_ms() < until) {
		if (procs_read(&now) == 0 && now.n == before.n && procs_common(&before, &now) == 0)
			return 0;
		h_sleep_ms(100);
	}
	return -1;
}

/* ---- accounts ---- */

struct sess {
	char email[128];
	char access[4096];
	char refresh[256];
	char sid[40];
};

static char run_tag[48];
static int email_ctr;

static const char *mkemail(const char *what, char *out, size_t n)
{
	snprintf(out, n, "f2-%s-%s-%d@example.com", what, run_tag, ++email_ctr);
	return out;
}

/* A JSON object of string members: "k1", "v1", ..., NULL. Static copy. */
static const char *jbody(const char *k, ...)
{
	static char buf[4][8192];
	static int at;
	char *b = buf[at++ % 4];
	json_object *o = json_object_new_object();
	va_list ap;

	va_start(ap, k);
	for (; k != NULL; k = va_arg(ap, const char *))
		json_object_object_add(o, k, json_object_new_string(va_arg(ap, const char *)));
	va_end(ap);
	snprintf(b, sizeof(buf[0]), "%s", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return b;
}

/* POST PATH with a JSON body (NULL: none), optional bearer token, from SRC (NULL: 127.0.0.1). */
static struct h_resp *post(struct h_case *c, const char *path, const char *body,
    const char *bearer, const char *src)
{
	char auth[4200];
	const char *hdrs[2] = { NULL, NULL };

	if (bearer != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", bearer);
		hdrs[0] = auth;
	}
	return h_do(c, &(struct h_req){ .method = "POST", .path = path, .headers = hdrs,
	    .ctype = body ? "application/json" : NULL, .body = body, .timeout_ms = 20000,
	    .source_addr = src, .no_retry_429 = 1 });
}

static struct h_resp *profile(struct h_case *c, const struct sess *s)
{
	char auth[4200];
	const char *hdrs[2] = { auth, NULL };

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", s->access);
	return h_do(c, &(struct h_req){ .path = "/api/auth/profile", .headers = hdrs,
	    .timeout_ms = 20000 });
}

/* The "sid" claim of an access token (its payload decoded, not verified) into out. */
static int jwt_sid(const char *tok, char *out, size_t n)
{
	const char *p = strchr(tok, '.'), *e;
	char b64[4096];
	unsigned char raw[4096];
	size_t len;
	int got;
	json_object *o;
	const char *sid;

	if (p == NULL || (e = strchr(p + 1, '.')) == NULL || (size_t)(e - p - 1) + 4 > sizeof(b64))
		return -1;
	len = (size_t)(e - p - 1);
	memcpy(b64, p + 1, len);
	for (size_t i = 0; i < len; i++)
		b64[i] = b64[i] == '-' ? '+' : b64[i] == '_' ? '/' : b64[i];
	while (len % 4)
		b64[len++] = '=';
	b64[len] = '\0';
	if ((got = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)len)) < 0)
		return -1;
	raw[got] = '\0';
	/* EVP_DecodeBlock counts padding as zero bytes; the JSON ends at the last '}' */
	o = json_tokener_parse((const char *)raw);
	sid = h_jstr(o, "sid");
	if (sid == NULL || strlen(sid) >= n) {
		json_object_put(o);
		return -1;
	}
	snprintf(out, n, "%s", sid);
	json_object_put(o);
	return 0;
}

/* Keep the tokens of a 200/201 answer carrying data.accessToken and data.refreshToken. */
static int keep_tokens(struct h_case *c, struct h_resp *r, struct sess *s, const char *what)
{
	const char *a = h_jstr(r->json, "data.accessToken");
	const char *rt = h_jstr(r->json, "data.refreshToken");

	if (!h_check(c, a != NULL && rt != NULL && strlen(a) < sizeof(s->access) &&
	    strlen(rt) < sizeof(s->refresh), "%s: no tokens in %s", what, h_brief(r)))
		return -1;
	snprintf(s->access, sizeof(s->access), "%s", a);
	snprintf(s->refresh, sizeof(s->refresh), "%s", rt);
	return h_check(c, jwt_sid(a, s->sid, sizeof(s->sid)) == 0,
	    "%s: no sid claim in the access token", what) ? 0 : -1;
}

static const char PW[] = "correct horse 42";

static int do_register(struct h_case *c, const char *what, struct sess *s, const char *src)
{
	struct h_resp *r;

	mkemail(what, s->email, sizeof(s->email));
	r = post(c, "/api/auth/register", jbody("email", s->email, "password", PW,
	    "displayName", "Fault Tester", NULL), NULL, src);
	if (!h_check(c, r->status == 201, "register %s: %s", s->email, h_brief(r)))
		return -1;
	return keep_tokens(c, r, s, "register");
}

static int do_login(struct h_case *c, const char *email, struct sess *s, const char *src)
{
	struct h_resp *r = post(c, "/api/auth/login", jbody("email", email, "password", PW, NULL),
	    NULL, src);

	snprintf(s->email, sizeof(s->email), "%s", email);
	if (!h_check(c, r->status == 200, "login %s: %s", email, h_brief(r)))
		return -1;
	return keep_tokens(c, r, s, "login");
}

static int do_refresh(struct h_case *c, struct sess *s, const char *src)
{
	struct h_resp *r = post(c, "/api/auth/refresh", jbody("refreshToken", s->refresh, NULL),
	    NULL, src);

	if (!h_check(c, r->status == 200, "refresh: %s", h_brief(r)))
		return -1;
	return keep_tokens(c, r, s, "refresh");
}

static void expect_unavailable(struct h_case *c, struct h_resp *r, const char *what)
{
	if (!h_expect_error(c, r, 503, "unavailable"))
		h_check(c, 0, "(%s)", what);
	EXPECT(c, h_retry_after(r) > 0, "%s: 503 without a valid Retry-After (%s)", what,
	    h_hdr(r, "Retry-After") ? h_hdr(r, "Retry-After") : "absent");
}

/* ---- (1) Redis stopped under a running webix-api ---- */

static struct {
	struct procs before;
	struct sess a1, a2;  /* one user, two sessions from before the outage */
	struct sess b;       /* a user registered during the outage */
	struct sess a3;      /* a session logged in during the outage */
	int stopped;         /* Redis was stopped */
	int fail_open;       /* RATE_LIMIT_FAIL_OPEN of the stack */
	char pub_host[160];  /* a tenant host with one published webtoon, read before the outage */
	char pub_list[96], pub_webtoon[160], pub_title[96], pub_wid[64];
} ro;

static long pg_count(const char *sql, const char *param, char *err, size_t errsz);

/* An anonymous GET on HOST. */
static struct h_resp *pub_get(struct h_case *c, const char *host, const char *path)
{
	return h_do(c, &(struct h_req){ .method = "GET", .host = host, .path = path,
	    .timeout_ms = 20000 });
}

/* An active organization of S with one published webtoon, its public reads made once so
 * that Redis holds them when it stops (pubcache.c). 0, or -1 (recorded). */
static int public_setup(struct h_case *c, const struct sess *s)
{
	const char *sub = fmt("f2p%ld%d", (long)time(NULL) % 100000, (int)getpid() % 1000);
	struct h_resp *r = post(c, "/api/organizations", jbody("name", "Faults public",
	    "subdomain", sub, NULL), s->access, NULL);
	char org[64], wt[64], err[512];

	if (!h_check(c, r->status == 201 && h_jstr(r->json, "data._id"), "create organization: %s",
	    h_brief(r)))
		return -1;
	snprintf(org, sizeof(org), "%s", h_jstr(r->json, "data._id"));
	snprintf(ro.pub_title, sizeof(ro.pub_title), "read in the outage %s", run_tag);
	r = post(c, fmt("/api/webtoons/%s", org), jbody("title", ro.pub_title, NULL), s->access,
	    NULL);
	if (!h_check(c, r->status == 201 && h_jstr(r->json, "data._id"), "create webtoon: %s",
	    h_brief(r)))
		return -1;
	snprintf(wt, sizeof(wt), "%s", h_jstr(r->json, "data._id"));
	snprintf(ro.pub_wid, sizeof(ro.pub_wid), "%s", wt);
	r = post(c, fmt("/api/webtoons/%s/%s/publish", org, wt), "{}", s->access, NULL);
	if (!h_check(c, r->status == 200, "publish: %s", h_brief(r)))
		return -1;
	/* no super admin here: the organization is made active in PostgreSQL (nothing of it is
	 * cached yet) */
	if (!h_check(c, pg_count("WITH u AS (UPDATE organizations SET status = 'active' WHERE "
	    "id = $1::uuid RETURNING 1) SELECT count(*) FROM u", org, err, sizeof(err)) == 1,
	    "activate the organization: %s", err))
		return -1;
	snprintf(ro.pub_host, sizeof(ro.pub_host), "%s.%s", sub, h_env.base_domain);
	snprintf(ro.pub_list, sizeof(ro.pub_list), "/api/public/webtoons");
	snprintf(ro.pub_webtoon, sizeof(ro.pub_webtoon), "/api/public/webtoons/%s", wt);
	for (int i = 0; i < 3; i++) {
		r = pub_get(c, ro.pub_host, ro.pub_list);
		if (!h_check(c, r->status == 200, "public list before the outage: %s", h_brief(r)))
			return -1;
		r = pub_get(c, ro.pub_host, ro.pub_webtoon);
		if (!h_check(c, r->status == 200, "public webtoon before the outage: %s",
		    h_brief(r)))
			return -1;
	}
	return 0;
}

static void redis_stop_or_fail(struct h_case *c)
{
	int rc = svc("redis", "stop");

	ro.stopped = rc == 0;
	h_check(c, rc == 0, "\"%s\" svc redis stop exited %d", h_env.dev, rc);
}

static void t_redis_outage_setup(struct h_case *c)
{
	CHECK(c, h_env.dev != NULL && h_env.state != NULL && h_env.redis_url != NULL,
	    "WEBIX_DEV, WEBIX_STATE and REDIS_URL must be set");
	ro.fail_open = conf_long("RATE_LIMIT_FAIL_OPEN", 1) != 0;
	CHECK(c, procs_read(&ro.before) == 0 && ro.before.n > 0,
	    "no webix-api master with workers under %s/run/webix-api.pid", h_env.state);
	if (do_register(c, "a", &ro.a1, NULL) < 0 || do_login(c, ro.a1.email, &ro.a2, NULL) < 0)
		return;
	public_setup(c, &ro.a1);
	redis_stop_or_fail(c);
}

/* Readers keep reading: the public reads (cached while Redis was up) come from PostgreSQL,
 * and a read of a webtoon still counts its view (written to PostgreSQL at once). */
static void t_redis_down_public_reads(struct h_case *c)
{
	struct h_resp *r;

	CHECK(c, ro.stopped, "Redis was not stopped");
	CHECK(c, ro.pub_host[0] != '\0', "the public setup did not run");
	for (int i = 0; i < 6; i++) {
		r = pub_get(c, ro.pub_host, ro.pub_list);
		EXPECT(c, r->status == 200 && r->body && strstr(r->body, ro.pub_title),
		    "public list #%d with Redis stopped: %s", i + 1, h_brief(r));
		r = pub_get(c, ro.pub_host, ro.pub_webtoon);
		EXPECT(c, r->status == 200 && h_jstr(r->json, "data.title") &&
		    strcmp(h_jstr(r->json, "data.title"), ro.pub_title) == 0,
		    "public webtoon #%d with Redis stopped: %s", i + 1, h_brief(r));
	}
	r = pub_get(c, ro.pub_host, "/api/public/webtoons/00000000-0000-4000-8000-000000000000");
	EXPECT(c, r->status == 404, "a missing public webtoon with Redis stopped: %s",
	    h_brief(r));
	{
		char err[512];
		long n = pg_count("SELECT coalesce(sum(metric_value), 0)::bigint FROM analytics "
		    "WHERE webtoon_id = $1::uuid", ro.pub_wid, err, sizeof(err));

		EXPECT(c, n >= 6, "the views of the outage's public reads in PostgreSQL: %ld "
		    "(expected at least 6) %s", n, n < 0 ? err : "");
	}
}

/* /health/ready names Redis; /health/live and /api/health do not need it. */
static void t_redis_down_health(struct h_case *c)
{
	struct h_resp *r;
	const char *pg, *rd;

	CHECK(c, ro.stopped, "Redis was not stopped");
	r = h_get(c, NULL, "/health/ready");
	expect_unavailable(c, r, "/health/ready");
	pg = h_jstr(r->json, "data.postgres");
	rd = h_jstr(r->json, "data.redis");
	EXPECT(c, rd != NULL && strcmp(rd, "down") == 0, "data.redis is %s, expected down",
	    rd ? rd : "absent");
	EXPECT(c, pg != NULL && strcmp(pg, "up") == 0, "data.postgres is %s, expected up",
	    pg ? pg : "absent");
	EXPECT(c, h_jstr(r->json, "message") != NULL &&
	    strstr(h_jstr(r->json, "message"), "Redis") != NULL,
	    "the 503 message does not name Redis: %s", h_brief(r));
	for (int i = 0; i < 8; i++) {
		r = h_get(c, NULL, "/health/live");
		EXPECT(c, r->status == 200 && h_jtrue(r->json, "success"),
		    "/health/live #%d with Redis stopped: %s", i + 1, h_brief(r));
		r = h_get(c, NULL, "/api/health");
		EXPECT(c, r->status == 200 && h_jtrue(r->json, "success"),
		    "/api/health #%d with Redis stopped: %s", i + 1, h_brief(r));
	}
}

/* Register, log in, refresh, profile and logout keep working; revocation is checked in
 * PostgreSQL meanwhile. Runs from another loopback address, so per-address limits apply
 * (and must fail open). */
static void t_redis_down_accounts(struct h_case *c)
{
	const char *src = h_private_addr();
	struct h_resp *r;

	CHECK(c, ro.stopped, "Redis was not stopped");
	CHECK(c, ro.fail_open, "the stack has RATE_LIMIT_FAIL_OPEN = 0 (this case expects 1)");
	if (do_register(c, "b", &ro.b, src) < 0)
		return;
	for (int i = 0; i < 4; i++) {
		r = profile(c, &ro.b);
		EXPECT(c, r->status == 200 && h_jstr(r->json, "data.user.email") != NULL &&
		    strcmp(h_jstr(r->json, "data.user.email"), ro.b.email) == 0,
		    "profile #%d of a user registered during the outage: %s", i + 1, h_brief(r));
	}
	if (do_refresh(c, &ro.b, src) < 0)
		return;
	r = profile(c, &ro.b);
	EXPECT(c, r->status == 200, "profile with the refreshed token: %s", h_brief(r));

	/* tokens issued before the outage still work */
	for (int i = 0; i < 4; i++) {
		r = profile(c, &ro.a1);
		EXPECT(c, r->status == 200, "profile #%d with a pre-outage token: %s", i + 1,
		    h_brief(r));
	}
	if (do_login(c, ro.a1.email, &ro.a3, src) < 0)
		return;
	/* logout during the outage: the session ends at once, on every worker */
	r = post(c, "/api/auth/logout", NULL, ro.a1.access, NULL);
	CHECK(c, r->status == 200, "logout with Redis stopped: %s", h_brief(r));
	for (int i = 0; i < 8; i++) {
		r = profile(c, &ro.a1);
		EXPECT(c, r->status == 401, "profile #%d with the token of a session logged out "
		    "during the outage: %s (expected 401)", i + 1, h_brief(r));
	}
	r = profile(c, &ro.a2);
	EXPECT(c, r->status == 200, "profile with the user's other session: %s", h_brief(r));
}

/* Fail open: the login lock-out needs Redis, so with it stopped failed logins are not
 * counted and never lock the account (RATE_LIMIT_FAIL_OPEN = 1, the default). */
static void t_redis_down_limits_fail_open(struct h_case *c)
{
	const char *src = h_private_addr();
	long max = conf_long("LOGIN_MAX_FAILURES", 5);
	struct h_resp *r;
	struct sess s;

	CHECK(c, ro.stopped, "Redis was not stopped");
	CHECK(c, ro.fail_open, "the stack has RATE_LIMIT_FAIL_OPEN = 0 (this case expects 1)");
	for (long i = 0; i < max + 3; i++) {
		r = post(c, "/api/auth/login", jbody("email", ro.a1.email, "password",
		    "wrong password", NULL), NULL, src);
		EXPECT(c, r->status == 401, "wrong password #%ld (lock-out threshold %ld) with "
		    "Redis stopped: %s (expected 401: limits fail open)", i + 1, max, h_brief(r));
	}
	do_login(c, ro.a1.email, &s, src);
}

/* Redis back: the same workers reconnect; a session logged out during the outage stays
 * revoked — from the very first request on — and the revocation is in Redis again. */
static void t_redis_back_recovers(struct h_case *c)
{
	struct procs after;
	struct h_resp *r;
	int rc, ready = 0;
	long long until;
	char key[96];
	const char *v, *err;

	rc = svc("redis", "start");
	CHECK(c, rc == 0, "\"%s\" svc redis start exited %d", h_env.dev, rc);
	CHECK(c, ro.stopped && ro.a1.sid[0] != '\0', "the outage cases did not run");
	/* first requests after the restart: the revoked token (a worker that reconnects in
	 * this very request must not trust a Redis that lacks the outage's revocations) */
	for (int i = 0; i < 12; i++) {
		r = profile(c, &ro.a1);
		EXPECT(c, r->status == 401, "profile #%d right after Redis came back, with the "
		    "token of a session logged out during the outage: %s (expected 401)", i + 1,
		    h_brief(r));
	}
	until = h_now_ms() + 20000;
	do {
		r = h_get(c, NULL, "/health/ready");
		ready = r->status == 200;
		if (!ready)
			h_sleep_ms(250);
	} while (!ready && h_now_ms() < until);
	CHECK(c, ready, "/health/ready 20 s after Redis came back: %s", h_brief(r));
	h_sleep_ms(1000);   /* a worker waits 0.5 s between connection attempts */
	for (int i = 0; i < 12; i++) {
		r = h_get(c, NULL, "/health/ready");
		EXPECT(c, r->status == 200, "/health/ready #%d after recovery: %s", i + 1, h_brief(r));
	}
	snprintf(key, sizeof(key), "webix:rv:s:%s", ro.a1.sid);
	v = h_redis(NULL, &err, "EXISTS", key, NULL);
	EXPECT(c, v != NULL && strcmp(v, "1") == 0, "%s is not in Redis after it came back (%s)",
	    key, err ? err : h_printf("EXISTS %s", v ? v : "nil"));
	procs_read(&after);
	EXPECT(c, procs_same(&ro.before, &after),
	    "webix-api processes changed during the outage (master %ld, %zu workers, %zu kept)",
	    (long)after.master, after.n, procs_common(&ro.before, &after));
}

/* SELECT count(*) ... with one text parameter, as the owner; -1 on error (err says why). */
static long pg_count(const char *sql, const char *param, char *err, size_t errsz)
{
	PGconn *db = PQconnectdb(h_env.database_url ? h_env.database_url : "");
	PGresult *res = NULL;
	long n = -1;

	if (PQstatus(db) != CONNECTION_OK) {
		snprintf(err, errsz, "connect as the owner: %s", PQerrorMessage(db));
	} else {
		res = PQexecParams(db, sql, 1, NULL, &param, NULL, NULL, 0);
		if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
			n = atol(PQgetvalue(res, 0, 0));
		else
			snprintf(err, errsz, "%s: %s", sql, PQerrorMessage(db));
	}
	PQclear(res);
	PQfinish(db);
	return n;
}

/* Nothing written during the outage is lost. */
static void t_redis_back_nothing_lost(struct h_case *c)
{
	struct h_resp *r;
	struct sess s;
	char err[512];
	long n;

	CHECK(c, ro.b.access[0] != '\0' && ro.a3.access[0] != '\0',
	    "the outage cases did not run to the end");
	for (int i = 0; i < 8; i++) {
		r = profile(c, &ro.a1);
		EXPECT(c, r->status == 401, "profile #%d with the logged-out session: %s "
		    "(expected 401)", i + 1, h_brief(r));
		r = profile(c, &ro.a3);
		EXPECT(c, r->status == 200, "profile #%d with a session opened during the outage: "
		    "%s", i + 1, h_brief(r));
	}
	if (do_login(c, ro.b.email, &s, NULL) < 0)
		return;
	do_refresh(c, &ro.b, NULL);
	r = post(c, "/api/auth/refresh", jbody("refreshToken", ro.a1.refresh, NULL), NULL, NULL);
	EXPECT(c, r->status == 401, "refresh of the session logged out during the outage: %s",
	    h_brief(r));
	/* in PostgreSQL: the revocation, its audit row, the outage user's verification email */
	n = pg_count("SELECT count(*) FROM sessions WHERE id = $1::uuid AND revoked_at IS NOT NULL",
	    ro.a1.sid, err, sizeof(err));
	EXPECT(c, n == 1, "session %s revoked in PostgreSQL: %ld rows %s", ro.a1.sid, n,
	    n < 0 ? err : "");
	n = pg_count("SELECT count(*) FROM audit_log WHERE action = 'logout' AND resource_id = $1",
	    ro.a1.sid, err, sizeof(err));
	EXPECT(c, n == 1, "audit rows of the outage's logout: %ld %s", n, n < 0 ? err : "");
	n = pg_count("SELECT count(*) FROM outbox WHERE kind = 'email' AND recipient = $1",
	    ro.b.email, err, sizeof(err));
	EXPECT(c, n >= 1, "outbox emails for the user registered during the outage: %ld %s", n,
	    n < 0 ? err : "");
}

/* ---- (1b) fail closed: RATE_LIMIT_FAIL_OPEN = 0 rolled in with SIGHUP ---- */

static char *conf_saved;   /* webix.conf as it was */
static size_t conf_saved_len;

static int conf_path(char *path, size_t n)
{
	return snprintf(path, n, "%s/webix.conf", h_env.state) < (int)n ? 0 : -1;
}

static int conf_append(const char *line)
{
	char path[4096];
	FILE *f;
	long len;

	if (conf_path(path, sizeof(path)) != 0 || (f = fopen(path, "r")) == NULL)
		return -1;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	free(conf_saved);
	conf_saved = malloc((size_t)len + 1);
	conf_saved_len = conf_saved ? fread(conf_saved, 1, (size_t)len, f) : 0;
	fclose(f);
	if (conf_saved == NULL || conf_saved_len != (size_t)len)
		return -1;
	if ((f = fopen(path, "a")) == NULL)
		return -1;
	fprintf(f, "%s\n", line);
	return fclose(f) == 0 ? 0 : -1;
}

static int conf_restore(void)
{
	char path[4096];
	FILE *f;
	int ok;

	if (conf_saved == NULL)
		return 0;
	if (conf_path(path, sizeof(path)) != 0 || (f = fopen(path, "w")) == NULL)
		return -1;
	ok = fwrite(conf_saved, 1, conf_saved_len, f) == conf_saved_len;
	ok = fclose(f) == 0 && ok;
	free(conf_saved);
	conf_saved = NULL;
	return ok ? 0 : -1;
}

static void t_redis_down_limits_fail_closed(struct h_case *c)
{
	const char *src = h_private_addr();
	struct sess a, s;
	struct h_resp *r;
	char email[128];
	int rc = -1;

	CHECK(c, h_env.dev != NULL && h_env.state != NULL, "WEBIX_DEV and WEBIX_STATE must be set");
	if (do_register(c, "fc", &a, NULL) < 0)
		return;
	CHECK(c, conf_append("RATE_LIMIT_FAIL_OPEN = 0") == 0, "cannot append to %s/webix.conf",
	    h_env.state);
	if (!h_check(c, roll_workers() == 0, "the SIGHUP roll to RATE_LIMIT_FAIL_OPEN = 0 did "
	    "not complete in 30 s"))
		goto restore;
	rc = svc("redis", "stop");
	if (!h_check(c, rc == 0, "\"%s\" svc redis stop exited %d", h_env.dev, rc))
		goto restart;

	/* every rate-limited route answers 503 rather than run unlimited */
	r = post(c, "/api/auth/register", jbody("email", mkemail("fc2", email, sizeof(email)),
	    "password", PW, "displayName", "Fault Tester", NULL), NULL, src);
	expect_unavailable(c, r, "register with fail-closed limits and Redis stopped");
	r = post(c, "/api/auth/refresh", jbody("refreshToken", a.refresh, NULL), NULL, src);
	expect_unavailable(c, r, "refresh with fail-closed limits and Redis stopped");
	r = post(c, "/api/auth/forgot-password", jbody("email", a.email, NULL), NULL, src);
	expect_unavailable(c, r, "forgot-password with fail-closed limits and Redis stopped");
	r = post(c, "/api/auth/login", jbody("email", a.email, "password", PW, NULL), NULL, src);
	expect_unavailable(c, r, "login with fail-closed limits and Redis stopped");
	/* what is not rate-limited keeps working */
	r = profile(c, &a);
	EXPECT(c, r->status == 200, "profile with fail-closed limits and Redis stopped: %s",
	    h_brief(r));
	r = h_get(c, NULL, "/health/live");
	EXPECT(c, r->status == 200, "/health/live with Redis stopped: %s", h_brief(r));
restart:
	rc = svc("redis", "start");
	EXPECT(c, rc == 0, "\"%s\" svc redis start exited %d", h_env.dev, rc);
restore:
	EXPECT(c, conf_restore() == 0, "cannot restore %s/webix.conf", h_env.state);
	EXPECT(c, roll_workers() == 0, "the SIGHUP roll back to the stack's configuration did "
	    "not complete in 30 s");
	if (rc == 0)
		do_login(c, a.email, &s, src);
}

/* ---- (2) slow and oversized clients, raw TLS to nginx ---- */

struct tls {
	int fd;
	SSL *ssl;
	int closed;      /* the server closed the connection (or reset it) */
	long long closed_ms; /* h_now_ms() when that was seen */
	size_t got;      /* bytes of response received */
	char head[256];  /* the start of what was received */
};

static SSL_CTX *tls_ctx;

static int tls_init(char *err, size_t errsz)
{
	if (tls_ctx != NULL)
		return 0;
	tls_ctx = SSL_CTX_new(TLS_client_method());
	if (tls_ctx == NULL || SSL_CTX_load_verify_locations(tls_ctx, h_env.ca, NULL) != 1) {
		snprintf(err, errsz, "cannot load the CA %s", h_env.ca);
		return -1;
	}
	SSL_CTX_set_verify(tls_ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_alpn_protos(tls_ctx, (const unsigned char *)"\x08http/1.1", 9);
	return 0;
}

/* A verified TLS connection to nginx (name "localhost"), HTTP/1.1. */
static int tls_open(struct tls *t, char *err, size_t errsz)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	unsigned long e;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	if (tls_init(err, errsz) != 0)
		return -1;
	sa.sin_port = htons((unsigned short)atoi(h_env.https_port));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((t->fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    connect(t->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		snprintf(err, errsz, "connect 127.0.0.1:%s: %s", h_env.https_port, strerror(errno));
		return -1;
	}
	t->ssl = SSL_new(tls_ctx);
	SSL_set_fd(t->ssl, t->fd);
	SSL_set_tlsext_host_name(t->ssl, "localhost");
	SSL_set1_host(t->ssl, "localhost");
	if (SSL_connect(t->ssl) != 1) {
		e = ERR_get_error();
		snprintf(err, errsz, "TLS handshake: %s (verify: %s)",
		    e ? ERR_error_string(e, NULL) : "failed",
		    X509_verify_cert_error_string(SSL_get_verify_result(t->ssl)));
		return -1;
	}
	/* non-blocking from now on: a TLS 1.3 session ticket makes the socket readable
	 * without any application data, and SSL_read must not then wait for some */
	fcntl(t->fd, F_SETFL, fcntl(t->fd, F_GETFL) | O_NONBLOCK);
	return 0;
}

static void tls_close(struct tls *t)
{
	if (t->ssl != NULL)
		SSL_free(t->ssl);
	if (t->fd >= 0)
		close(t->fd);
	t->ssl = NULL;
	t->fd = -1;
}

static int tls_send(struct tls *t, const void *buf, size_t n)
{
	size_t off = 0;
	long long until = h_now_ms() + 5000;

	while (off < n) {
		int w = SSL_write(t->ssl, (const char *)buf + off, (int)(n - off));

		if (w <= 0) {
			int e = SSL_get_error(t->ssl, w);
			struct pollfd p = { .fd = t->fd,
			    .events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT };

			if ((e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) &&
			    h_now_ms() < until) {
				poll(&p, 1, 100);
				continue;
			}
			t->closed = 1;
			t->closed_ms = h_now_ms();
			return -1;
		}
		off += (size_t)w;
	}
	return 0;
}

/* Read whatever arrives within WAIT_MS; sets t->closed on EOF or error. */
static void tls_poll(struct tls *t, int wait_ms)
{
	struct pollfd p = { .fd = t->fd, .events = POLLIN };
	char buf[4096];

	if (t->closed)
		return;
	if (SSL_pending(t->ssl) == 0 && poll(&p, 1, wait_ms) <= 0)
		return;
	for (;;) {
		int n = SSL_read(t->ssl, buf, sizeof(buf));

		if (n <= 0) {
			int e = SSL_get_error(t->ssl, n);

			if (e == SSL_ERROR_WANT_READ) {
				p.revents = 0;
				if (poll(&p, 1, 0) > 0)
					continue;
				return;
			}
			t->closed = 1;
			t->closed_ms = h_now_ms();
			return;
		}
		if (t->got < sizeof(t->head) - 1) {
			size_t k = sizeof(t->head) - 1 - t->got;

			memcpy(t->head + t->got, buf, (size_t)n < k ? (size_t)n : k);
			t->head[t->got + ((size_t)n < k ? (size_t)n : k)] = '\0';
		}
		t->got += (size_t)n;
		if (SSL_pending(t->ssl) == 0) {
			p.revents = 0;
			if (poll(&p, 1, 0) <= 0)
				return;
		}
	}
}

/* nginx's client_header_timeout / client_body_timeout of the stack, in seconds (from the
 * rendered site), DFLT when not found. */
static long nginx_timeout(const char *directive, long dflt)
{
	char path[4096], line[512];
	size_t dl = strlen(directive);
	long v = dflt;
	FILE *f;

	snprintf(path, sizeof(path), "%s/nginx/webix-site.conf", h_env.state ? h_env.state : ".");
	if ((f = fopen(path, "r")) == NULL)
		return dflt;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = line + strspn(line, " \t");

		if (strncmp(p, directive, dl) == 0 && (p[dl] == ' ' || p[dl] == '\t'))
			v = strtol(p + dl, NULL, 10);
	}
	fclose(f);
	return v > 0 ? v : dflt;
}

#define SLOW_CONNS 24

/* Slowloris: many connections each trickle a header one byte at a time and never finish
 * it. Meanwhile other clients are served; nginx closes every slow one without an answer. */
static void t_slowloris_header(struct h_case *c)
{
	static struct tls t[SLOW_CONNS];
	long tmo = nginx_timeout("client_header_timeout", 60);
	long long t0 = h_now_ms(), until = t0 + (3 * tmo + 10) * 1000, first = -1, last = -1;
	char err[256];
	const char *start = "GET /health/live HTTP/1.1\r\nHost: localhost\r\nX-Slow: ";
	int open = 0, served = 0, tick = 0, nclosed = 0, answered = 0;

	for (int i = 0; i < SLOW_CONNS; i++) {
		if (!h_check(c, tls_open(&t[i], err, sizeof(err)) == 0, "slow connection %d: %s",
		    i, err)) {
			for (int j = 0; j <= i; j++)
				tls_close(&t[j]);
			return;
		}
		tls_send(&t[i], start, strlen(start));
	}
	open = SLOW_CONNS;
	while (open > 0 && h_now_ms() < until) {
		for (int i = 0; i < SLOW_CONNS; i++) {
			if (t[i].closed)
				continue;
			tls_send(&t[i], "a", 1);
			tls_poll(&t[i], 0);
			if (t[i].closed)
				open--;
		}
		if (tick++ % 4 == 0) {
			struct h_resp *r = h_get(c, NULL, "/health/live");

			served += r->status == 200;
			EXPECT(c, r->status == 200, "/health/live while %d slow clients hold "
			    "connections: %s", open, h_brief(r));
		}
		h_sleep_ms(250);
	}
	for (int i = 0; i < SLOW_CONNS; i++) {
		nclosed += t[i].closed;
		if (t[i].closed && (first < 0 || t[i].closed_ms - t0 < first))
			first = t[i].closed_ms - t0;
		if (t[i].closed && t[i].closed_ms - t0 > last)
			last = t[i].closed_ms - t0;
		if (t[i].got > 0 && answered++ == 0)
			EXPECT(c, 0, "slow connection %d got an answer: %.120s", i, t[i].head);
		tls_close(&t[i]);
	}
	EXPECT(c, nclosed == SLOW_CONNS, "%d of %d slow-header connections still open after "
	    "%ld s (client_header_timeout %ld s)", SLOW_CONNS - nclosed, SLOW_CONNS,
	    3 * tmo + 10, tmo);
	EXPECT(c, served > 0, "no request served while the slow clients were connected");
	fprintf(stderr, "slowloris_header: %d/%d cut off after %lld..%lld ms "
	    "(client_header_timeout %ld s), %d requests served meanwhile\n", nclosed, SLOW_CONNS,
	    first, last, tmo, served);
}

/* A body that stops arriving: nginx gives up (client_body_timeout), the api never sees
 * the request. The header itself is sent at once. */
static void t_slow_body(struct h_case *c)
{
	struct tls t;
	long tmo = nginx_timeout("client_body_timeout", 60);
	long long until = h_now_ms() + (3 * tmo + 10) * 1000;
	char err[256];
	const char *req = "POST /api/auth/login HTTP/1.1\r\nHost: localhost\r\n"
	    "Content-Type: application/json\r\nContent-Length: 64\r\n\r\n{\"email\":";

	CHECK(c, tls_open(&t, err, sizeof(err)) == 0, "%s", err);
	tls_send(&t, req, strlen(req));
	while (!t.closed && h_now_ms() < until)
		tls_poll(&t, 250);
	EXPECT(c, t.closed, "a stalled body was not cut off in %ld s (client_body_timeout %ld s)",
	    3 * tmo + 10, tmo);
	EXPECT(c, t.got == 0 || strncmp(t.head, "HTTP/1.1 408", 12) == 0,
	    "a stalled body got an answer other than 408: %.120s", t.head);
	tls_close(&t);
}

static char *repeat(char ch, size_t n)
{
	char *s = malloc(n + 1);

	if (s != NULL) {
		memset(s, ch, n);
		s[n] = '\0';
	}
	return s;
}

/* One 100 KB cookie, and 60 KB of headers in 10 KB lines: 400 in the JSON envelope from
 * nginx; a 16 KB cookie still passes. */
static void t_huge_header(struct h_case *c)
{
	char *big = repeat('c', 100 * 1024), *mid = repeat('m', 16 * 1024), *line[6];
	char *h1 = NULL, *h2 = NULL;
	const char *hdrs[7] = { NULL };
	struct h_resp *r;

	CHECK(c, big && mid, "out of memory");
	if (asprintf(&h1, "Cookie: big=%s", big) < 0 || asprintf(&h2, "Cookie: mid=%s", mid) < 0)
		h1 = h2 = NULL;
	free(big);
	free(mid);
	CHECK(c, h1 && h2, "out of memory");

	hdrs[0] = h1;
	r = h_do(c, &(struct h_req){ .path = "/health/live", .headers = hdrs, .http1 = 1 });
	if (!h_expect_error(c, r, 400, "bad_request"))
		h_check(c, 0, "(100 KB cookie over HTTP/1.1)");
	/* HTTP/2: the same 400, or the stream is reset; never passed on */
	r = h_do(c, &(struct h_req){ .path = "/health/live", .headers = hdrs });
	if (r->status != 0 && !h_expect_error(c, r, 400, "bad_request"))
		h_check(c, 0, "(100 KB cookie over HTTP/2)");

	for (int i = 0; i < 6; i++) {
		char *v = repeat('h', 10 * 1024);

		line[i] = NULL;
		if (v == NULL || asprintf(&line[i], "X-Big-%d: %s", i, v) < 0)
			line[i] = NULL;
		free(v);
		hdrs[i] = line[i] ? line[i] : "X-Oom: 1";
	}
	r = h_do(c, &(struct h_req){ .path = "/health/live", .headers = hdrs, .http1 = 1 });
	if (!h_expect_error(c, r, 400, "bad_request"))
		h_check(c, 0, "(60 KB of headers in 10 KB lines over HTTP/1.1)");
	for (int i = 0; i < 6; i++)
		free(line[i]);

	hdrs[0] = h2;
	hdrs[1] = NULL;
	r = h_do(c, &(struct h_req){ .path = "/health/live", .headers = hdrs, .http1 = 1 });
	EXPECT(c, r->status == 200, "a 16 KB cookie (under the 24 KB line cap): %s", h_brief(r));
	free(h1);
	free(h2);
}

/* ---- (3) statement_timeout ---- */

/* POST /api/auth/login of an unknown email from this run's own address (so no lock-out
 * answers in place of the database). */
static struct h_resp *login_unknown(struct h_case *c, long timeout_ms)
{
	char email[128];

	return h_do(c, &(struct h_req){ .method = "POST", .path = "/api/auth/login",
	    .ctype = "application/json", .body = jbody("email", mkemail("nobody", email,
	    sizeof(email)), "password", "whatever1", NULL), .timeout_ms = timeout_ms,
	    .source_addr = h_private_addr() });
}

static int pg_ok(PGconn *db, const char *sql, char *err, size_t errsz)
{
	PGresult *res = PQexec(db, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	if (!ok)
		snprintf(err, errsz, "%s: %s", sql, PQerrorMessage(db));
	PQclear(res);
	return ok;
}

/* A login blocked behind a table lock is cancelled by statement_timeout: 503 with
 * Retry-After, not a hang; the next request after the lock is released succeeds. */
static void t_statement_timeout(struct h_case *c)
{
	long st = conf_long("DB_STATEMENT_TIMEOUT_MS", 5000);
	struct procs before, after;
	struct sess s;
	struct h_resp *r;
	PGconn *db;
	char err[512];
	long long t0;

	CHECK(c, h_env.database_url != NULL, "DATABASE_URL (the owner role) must be set");
	CHECK(c, procs_read(&before) == 0 && before.n > 0, "no webix-api workers");
	if (do_register(c, "st", &s, NULL) < 0)
		return;
	db = PQconnectdb(h_env.database_url);
	if (!h_check(c, PQstatus(db) == CONNECTION_OK, "connect as the owner: %s",
	    PQerrorMessage(db))) {
		PQfinish(db);
		return;
	}
	if (!h_check(c, pg_ok(db, "BEGIN", err, sizeof(err)) &&
	    pg_ok(db, "LOCK TABLE users IN ACCESS EXCLUSIVE MODE", err, sizeof(err)), "%s", err)) {
		PQfinish(db);
		return;
	}
	t0 = h_now_ms();
	r = login_unknown(c, st + 20000);
	fprintf(stderr, "statement_timeout: DB_STATEMENT_TIMEOUT_MS %ld, answered after %lld ms\n",
	    st, h_now_ms() - t0);
	expect_unavailable(c, r, fmt("login behind a lock held longer than statement_timeout "
	    "(%ld ms)", st));
	r = h_get(c, NULL, "/health/live");
	EXPECT(c, r->status == 200, "/health/live while users is locked: %s", h_brief(r));
	EXPECT(c, pg_ok(db, "ROLLBACK", err, sizeof(err)), "%s", err);
	PQfinish(db);

	r = login_unknown(c, 20000);
	EXPECT(c, r->status == 401, "login of an unknown email after the lock was released: %s "
	    "(expected 401)", h_brief(r));
	for (int i = 0; i < 4; i++) {
		struct sess t;

		if (do_login(c, s.email, &t, NULL) < 0)
			break;
		r = profile(c, &t);
		EXPECT(c, r->status == 200, "profile after the lock was released: %s", h_brief(r));
	}
	procs_read(&after);
	EXPECT(c, procs_same(&before, &after), "webix-api workers changed (%zu of %zu kept)",
	    procs_common(&before, &after), before.n);
}

/* With arguments, only the groups named (huge_header slowloris slow_body statement_timeout
 * redis fail_closed) run: for iterating by hand. */
static int argc_;
static char **argv_;

static int want(const char *group)
{
	if (argc_ < 2)
		return 1;
	for (int i = 1; i < argc_; i++)
		if (strcmp(argv_[i], group) == 0)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	argc_ = argc;
	argv_ = argv;
	if (h_init() != 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	snprintf(run_tag, sizeof(run_tag), "%ld-%ld", (long)time(NULL), (long)getpid());

	if (want("huge_header"))
		h_run("huge_header", t_huge_header);
	if (want("slowloris"))
		h_run("slowloris_header", t_slowloris_header);
	if (want("slow_body"))
		h_run("slow_body", t_slow_body);
	if (want("statement_timeout"))
		h_run("statement_timeout", t_statement_timeout);
	if (want("redis")) {
		h_run("redis_outage_setup", t_redis_outage_setup);
		h_run("redis_down_health", t_redis_down_health);
		h_run("redis_down_accounts", t_redis_down_accounts);
		h_run("redis_down_limits_fail_open", t_redis_down_limits_fail_open);
		h_run("redis_down_public_reads", t_redis_down_public_reads);
		h_run("redis_back_recovers", t_redis_back_recovers);
		h_run("redis_back_nothing_lost", t_redis_back_nothing_lost);
	}
	if (want("fail_closed"))
		h_run("redis_down_limits_fail_closed", t_redis_down_limits_fail_closed);
	if (tls_ctx != NULL)
		SSL_CTX_free(tls_ctx);
	return h_finish();
}
