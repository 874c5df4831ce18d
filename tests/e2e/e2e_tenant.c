/* e2e_tenant.c — end-to-end tests that the tenant comes only from the Host (nginx's map,
 * passed as a FastCGI param), never from a client header, and that the request id is
 * nginx's own. GET /api/health reports the tenant the server saw as "tenant". */
#include "harness.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const FORGED[] = {
	"X-Tenant-Id: other", "X-Webix-Tenant: other", "Webix-Tenant: other",
	"X-Forwarded-Host: other.webix.localhost", NULL,
};

static const char *host_of(const char *sub, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", sub ? sub : "", sub ? "." : "", h_env.base_domain);
	return buf;
}

/* The "tenant" of /api/health on HOST with extra HEADERS: NULL when absent or null. */
static const char *tenant_seen(struct h_case *c, const char *host, const char *const *headers,
    int *ok)
{
	struct h_resp *r = h_do(c, &(struct h_req){ .host = host, .path = "/api/health",
	    .headers = headers });
	struct json_object *t;

	*ok = h_check(c, r->status == 200 && h_jtrue(r->json, "success"),
	    "GET /api/health on %s: %s", host ? host : "localhost", h_brief(r));
	t = h_jget(r->json, "tenant");
	if (t == NULL || json_object_is_type(t, json_type_null))
		return NULL;
	if (!json_object_is_type(t, json_type_string))
		return "(not a string)";
	return json_object_get_string(t);
}

static void expect_tenant(struct h_case *c, const char *host, const char *const *headers,
    const char *want)
{
	int ok;
	const char *got = tenant_seen(c, host, headers, &ok);

	if (!ok)
		return;
	if (want == NULL)
		EXPECT(c, got == NULL, "on %s%s: tenant is \"%s\", expected none",
		    host ? host : "localhost", headers ? " with forged headers" : "", got);
	else
		EXPECT(c, got != NULL && strcmp(got, want) == 0,
		    "on %s%s: tenant is %s, expected \"%s\"", host ? host : "localhost",
		    headers ? " with forged headers" : "", got ? got : "absent", want);
}

static void t_tenant_subdomain(struct h_case *c)
{
	char host[256];

	expect_tenant(c, host_of("acme", host, sizeof(host)), NULL, "acme");
}

static void t_tenant_base_domain_none(struct h_case *c)
{
	char host[256];

	expect_tenant(c, host_of(NULL, host, sizeof(host)), NULL, NULL);
}

static void t_tenant_localhost_none(struct h_case *c)
{
	expect_tenant(c, NULL, NULL, NULL);
}

static void t_tenant_forged_on_base_domain(struct h_case *c)
{
	char host[256];

	expect_tenant(c, host_of(NULL, host, sizeof(host)), FORGED, NULL);
	expect_tenant(c, NULL, FORGED, NULL);
}

static void t_tenant_forged_on_subdomain(struct h_case *c)
{
	static const char *const evil[] = {
		"X-Tenant-Id: evil", "X-Webix-Tenant: evil", "Webix-Tenant: evil", NULL,
	};
	char host[256];

	expect_tenant(c, host_of("acme", host, sizeof(host)), evil, "acme");
	expect_tenant(c, host, FORGED, "acme");
}

/* Host names are case-insensitive: ACME.<base> is the tenant acme. */
static void t_tenant_host_case(struct h_case *c)
{
	char host[256], upper[256];
	size_t i;

	host_of("acme", host, sizeof(host));
	for (i = 0; host[i] != '\0' && i + 1 < sizeof(upper); i++)
		upper[i] = (char)(host[i] >= 'a' && host[i] <= 'z' ? host[i] - 32 : host[i]);
	upper[i] = '\0';
	expect_tenant(c, upper, NULL, "acme");
}

static int is_hex32(const char *s)
{
	return s != NULL && strlen(s) == 32 && strspn(s, "0123456789abcdef") == 32;
}

static size_t count_headers(const struct h_resp *r, const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nhdrs; i++)
		n += strcasecmp(r->hdrs[i].name, name) == 0;
	return n;
}

static void t_request_id_not_echoed(struct h_case *c)
{
	const char *mine[] = { "X-Request-Id: client-chosen-0123456789abcdef0123", NULL };
	struct h_resp *r = h_do(c, &(struct h_req){ .path = "/api/nope", .headers = mine });
	const char *rid = h_hdr(r, "X-Request-Id"), *brid = h_jstr(r->json, "requestId");

	CHECK(c, r->status == 404, "GET /api/nope: %s", h_brief(r));
	EXPECT(c, is_hex32(rid), "X-Request-Id is %s, expected 32 lowercase hex digits",
	    rid ? rid : "absent");
	EXPECT(c, brid != NULL && rid != NULL && strcmp(brid, rid) == 0,
	    "requestId %s differs from X-Request-Id %s", brid ? brid : "absent",
	    rid ? rid : "absent");
	EXPECT(c, count_headers(r, "X-Request-Id") == 1, "%zu X-Request-Id headers, expected 1",
	    count_headers(r, "X-Request-Id"));
	EXPECT(c, strstr(r->body, "client-chosen") == NULL, "the client's X-Request-Id was echoed");
}

static void t_request_id_unique(struct h_case *c)
{
	struct h_resp *a = h_get(c, NULL, "/api/health");
	struct h_resp *b = h_get(c, NULL, "/api/health");
	const char *ra = h_hdr(a, "X-Request-Id"), *rb = h_hdr(b, "X-Request-Id");

	EXPECT(c, is_hex32(ra) && is_hex32(rb), "X-Request-Id values %s, %s",
	    ra ? ra : "absent", rb ? rb : "absent");
	EXPECT(c, ra == NULL || rb == NULL || strcmp(ra, rb) != 0,
	    "two requests got the same X-Request-Id %s", ra);
}

int main(void)
{
	if (h_init() != 0)
		return 1;
	h_run("tenant_subdomain", t_tenant_subdomain);
	h_run("tenant_base_domain_none", t_tenant_base_domain_none);
	h_run("tenant_localhost_none", t_tenant_localhost_none);
	h_run("tenant_forged_on_base_domain", t_tenant_forged_on_base_domain);
	h_run("tenant_forged_on_subdomain", t_tenant_forged_on_subdomain);
	h_run("tenant_host_case", t_tenant_host_case);
	h_run("request_id_not_echoed", t_request_id_not_echoed);
	h_run("request_id_unique", t_request_id_unique);
	return h_finish();
}
