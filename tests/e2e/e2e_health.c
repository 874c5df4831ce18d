/* e2e_health.c — end-to-end tests of the health routes through nginx: /api/health,
 * /health/live, /health/ready, HTTP/2, path tolerance, security headers and CORS. */
#include "harness.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* "2025-01-31T12:34:56.789Z" within 5 minutes of this machine's clock? */
static int iso_utc_ms_recent(const char *s)
{
	const char *shape = "dddd-dd-ddTdd:dd:dd.dddZ";
	struct tm tm = { 0 };
	time_t t;

	if (s == NULL || strlen(s) != strlen(shape))
		return 0;
	for (size_t i = 0; shape[i] != '\0'; i++)
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			return 0;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	    &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	return t != (time_t)-1 && t > time(NULL) - 300 && t < time(NULL) + 300;
}

static void t_health_ok(struct h_case *c)
{
	struct h_resp *r = h_get(c, NULL, "/api/health");
	const char *msg, *ts, *env;

	if (!h_expect_json(c, r, 200))
		return;
	msg = h_jstr(r->json, "message");
	ts = h_jstr(r->json, "timestamp");
	env = h_jstr(r->json, "environment");
	EXPECT(c, h_jtrue(r->json, "success"), "success is not true: %s", h_brief(r));
	EXPECT(c, msg != NULL && strcmp(msg, "Webix API is running") == 0,
	    "message is %s", msg ? msg : "absent");
	EXPECT(c, iso_utc_ms_recent(ts),
	    "timestamp %s is not a current ISO 8601 UTC time with milliseconds",
	    ts ? ts : "absent");
	EXPECT(c, env != NULL && strcmp(env, h_env.node_env) == 0,
	    "environment is %s, expected %s", env ? env : "absent", h_env.node_env);
}

static void t_health_http2(struct h_case *c)
{
	struct h_resp *r = h_get(c, NULL, "/api/health");

	CHECK(c, r->status == 200, "GET /api/health: %s", h_brief(r));
	EXPECT(c, r->http_version == CURL_HTTP_VERSION_2_0,
	    "HTTP/2 was not negotiated over TLS (curl http version %ld)", r->http_version);
}

static void t_health_head(struct h_case *c)
{
	struct h_resp *r = h_do(c, &(struct h_req){ .method = "HEAD", .path = "/api/health" });

	EXPECT(c, r->status == 200, "HEAD /api/health: %s", h_brief(r));
	EXPECT(c, r->body_len == 0, "HEAD answered with a body of %zu bytes", r->body_len);
}

static void t_health_path_tolerance(struct h_case *c)
{
	static const char *const paths[] = {
		"/api/health/", "/api/HEALTH/", "/API/Health", "/Api/health/",
	};

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct h_resp *r = h_get(c, NULL, paths[i]);

		EXPECT(c, r->status == 200 && h_jtrue(r->json, "success") &&
		    h_jstr(r->json, "timestamp") != NULL,
		    "GET %s: %s", paths[i], h_brief(r));
	}
}

static void t_health_live(struct h_case *c)
{
	struct h_resp *r = h_get(c, NULL, "/health/live");

	if (!h_expect_json(c, r, 200))
		return;
	EXPECT(c, h_jtrue(r->json, "success"), "success is not true: %s", h_brief(r));
}

static void t_health_ready(struct h_case *c)
{
	struct h_resp *r = h_get(c, NULL, "/health/ready");
	const char *pg, *redis;

	if (!h_expect_json(c, r, 200))
		return;
	pg = h_jstr(r->json, "data.postgres");
	redis = h_jstr(r->json, "data.redis");
	EXPECT(c, h_jtrue(r->json, "success"), "success is not true: %s", h_brief(r));
	EXPECT(c, pg != NULL && strcmp(pg, "up") == 0, "data.postgres is %s, expected up",
	    pg ? pg : "absent");
	EXPECT(c, redis != NULL && strcmp(redis, "up") == 0, "data.redis is %s, expected up",
	    redis ? redis : "absent");
}

/* HSTS is checked on the site's own names; nginx leaves it off bare localhost on purpose
 * (HSTS ignores ports, it would force https on every dev server of the machine). */
static void expect_security_headers(struct h_case *c, struct h_resp *r, const char *what,
    int hsts)
{
	const char *v;

	v = h_hdr(r, "X-Content-Type-Options");
	EXPECT(c, v != NULL && strcasecmp(v, "nosniff") == 0,
	    "%s: X-Content-Type-Options is %s", what, v ? v : "absent");
	v = h_hdr(r, "X-Frame-Options");
	EXPECT(c, v != NULL && strcasecmp(v, "SAMEORIGIN") == 0,
	    "%s: X-Frame-Options is %s", what, v ? v : "absent");
	v = h_hdr(r, "Referrer-Policy");
	EXPECT(c, v != NULL && strcasecmp(v, "no-referrer") == 0,
	    "%s: Referrer-Policy is %s", what, v ? v : "absent");
	if (!hsts)
		return;
	v = h_hdr(r, "Strict-Transport-Security");
	EXPECT(c, v != NULL && strstr(v, "max-age=") != NULL && strstr(v, "max-age=0") == NULL,
	    "%s: Strict-Transport-Security is %s", what, v ? v : "absent");
}

/* PATH on localhost, the base domain and a tenant's subdomain, expecting STATUS. */
static void security_headers_on(struct h_case *c, const char *path, long status)
{
	char sub[256], what[512];
	const char *hosts[] = { NULL, h_env.base_domain, sub };

	snprintf(sub, sizeof(sub), "acme.%s", h_env.base_domain);
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		struct h_resp *r = h_get(c, hosts[i], path);

		snprintf(what, sizeof(what), "%ld %s on %s", status, path,
		    hosts[i] ? hosts[i] : "localhost");
		if (h_check(c, r->status == status, "%s: %s", what, h_brief(r)))
			expect_security_headers(c, r, what, hosts[i] != NULL);
	}
}

static void t_security_headers(struct h_case *c)
{
	security_headers_on(c, "/api/health", 200);
}

/* nginx drops add_header on 4xx/5xx unless "always": check an error answer too. */
static void t_security_headers_on_errors(struct h_case *c)
{
	security_headers_on(c, "/api/nope", 404);
}

static struct h_resp *preflight(struct h_case *c, const char *origin)
{
	char line[256];
	const char *hdrs[] = { line, "Access-Control-Request-Method: GET",
		"Access-Control-Request-Headers: content-type, authorization", NULL };

	snprintf(line, sizeof(line), "Origin: %s", origin);
	return h_do(c, &(struct h_req){ .method = "OPTIONS", .path = "/api/health",
	    .headers = hdrs });
}

static void t_cors_preflight_allowed(struct h_case *c)
{
	struct h_resp *r = preflight(c, "http://localhost:3000");
	const char *acao = h_hdr(r, "Access-Control-Allow-Origin");

	CHECK(c, r->status == 204 || r->status == 200, "preflight: %s", h_brief(r));
	EXPECT(c, acao != NULL && strcmp(acao, "http://localhost:3000") == 0,
	    "Access-Control-Allow-Origin is %s", acao ? acao : "absent");
	EXPECT(c, h_hdr_has_token(r, "Access-Control-Allow-Methods", "GET"),
	    "Access-Control-Allow-Methods does not list GET: %s",
	    h_hdr(r, "Access-Control-Allow-Methods") ? h_hdr(r, "Access-Control-Allow-Methods")
	    : "absent");
}

static void t_cors_preflight_disallowed(struct h_case *c)
{
	struct h_resp *r = preflight(c, "https://evil.example.com");
	const char *acao = h_hdr(r, "Access-Control-Allow-Origin");

	CHECK(c, r->status != 0, "preflight: %s", h_brief(r));
	EXPECT(c, acao == NULL, "a disallowed origin got Access-Control-Allow-Origin: %s", acao);
}

static void t_cors_simple_request(struct h_case *c)
{
	const char *good[] = { "Origin: http://localhost:3000", NULL };
	const char *bad[] = { "Origin: https://evil.example.com", NULL };
	struct h_resp *r = h_do(c, &(struct h_req){ .path = "/api/health", .headers = good });
	struct h_resp *e = h_do(c, &(struct h_req){ .path = "/api/health", .headers = bad });
	const char *acao = h_hdr(r, "Access-Control-Allow-Origin");

	EXPECT(c, r->status == 200, "GET with allowed Origin: %s", h_brief(r));
	EXPECT(c, acao != NULL && strcmp(acao, "http://localhost:3000") == 0,
	    "allowed Origin: Access-Control-Allow-Origin is %s", acao ? acao : "absent");
	EXPECT(c, e->status == 200, "GET with disallowed Origin: %s", h_brief(e));
	EXPECT(c, h_hdr(e, "Access-Control-Allow-Origin") == NULL,
	    "disallowed Origin got Access-Control-Allow-Origin: %s",
	    h_hdr(e, "Access-Control-Allow-Origin"));
}

int main(void)
{
	if (h_init() != 0)
		return 1;
	h_run("health_ok", t_health_ok);
	h_run("health_http2", t_health_http2);
	h_run("health_head", t_health_head);
	h_run("health_path_tolerance", t_health_path_tolerance);
	h_run("health_live", t_health_live);
	h_run("health_ready", t_health_ready);
	h_run("security_headers", t_security_headers);
	h_run("security_headers_on_errors", t_security_headers_on_errors);
	h_run("cors_preflight_allowed", t_cors_preflight_allowed);
	h_run("cors_preflight_disallowed", t_cors_preflight_disallowed);
	h_run("cors_simple_request", t_cors_simple_request);
	return h_finish();
}
