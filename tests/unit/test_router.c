/*
 * test_router.c — fcgi-app/router.c: router_match against the real routes[] table (every
 * route reachable, well-formed) and against a local table for the edge cases: literal and
 * case-insensitive segments, trailing slash, typed params (uuid/int/str), 404, 405 with
 * the Allow list, and first-registered-route-wins. HEAD never reaches the router: worker.c
 * turns it into GET (is_head), so HEAD only appears in Allow lists here.
 */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "router.h"

#define UUID1 "0b5e3a52-6a8c-4b8e-9f55-3f1f2a6c1d01"
#define UUID2 "7D2C9E10-AB34-4CDE-8F00-0123456789AB"

static const struct route local[] = {
	{ "GET",    "/api/messages/stats",                 NULL, NULL, 0 },  /* 0 */
	{ "GET",    "/api/messages/{id:str}",              NULL, NULL, 0 },  /* 1 */
	{ "GET",    "/api/users/{id:uuid}",                NULL, NULL, 0 },  /* 2 */
	{ "DELETE", "/api/users/{id:uuid}",                NULL, NULL, 0 },  /* 3 */
	{ "GET",    "/api/pages/{n:int}",                  NULL, NULL, 0 },  /* 4 */
	{ "GET",    "/api/orgs/{org:uuid}/members/{uid:uuid}", NULL, NULL, 0 }, /* 5 */
	{ "POST",   "/api/things",                         NULL, NULL, 0 },  /* 6 */
	{ "PUT",    "/api/things",                         NULL, NULL, 0 },  /* 7 */
	{ "GET",    "/api/things",                         NULL, NULL, 0 },  /* 8 */
	{ "PUT",    "/api/notes/{s}",                      NULL, NULL, 0 },  /* 9 untyped = str */
	{ "GET",    "/api/items/{id:uuid}",                NULL, NULL, 0 },  /* 10 */
	{ "GET",    "/api/items/{slug:str}",               NULL, NULL, 0 },  /* 11 */
	{ "POST",   "/api/messages/{id:str}",              NULL, NULL, 0 },  /* 12 */
	{ "GET",    "/",                                   NULL, NULL, 0 },  /* 13 */
};
#define NLOCAL (sizeof(local) / sizeof(local[0]))

static struct arena arena;

static void
setup(void)
{
	arena_init(&arena, 1024);
}

static void
teardown(void)
{
	arena_free(&arena);
}

static enum match_result
lm(const char *method, const char *path, struct match *m)
{
	return router_match(local, NLOCAL, method, path, &arena, m);
}

/* Assert that method+path matches local[idx] (MATCH_OK). */
#define ASSERT_LOCAL(meth_, path_, idx_) do { \
	struct match m_; \
	enum match_result r_ = lm(meth_, path_, &m_); \
	ck_assert_msg(r_ == MATCH_OK, "%s %s: result %d, want MATCH_OK", meth_, path_, (int)r_); \
	ck_assert_msg(m_.route == &local[idx_], "%s %s: matched %s %s, want %s %s", meth_, path_, \
	    m_.route ? m_.route->method : "-", m_.route ? m_.route->pattern : "-", \
	    local[idx_].method, local[idx_].pattern); \
} while (0)

#define ASSERT_RESULT(meth_, path_, want_) do { \
	struct match m_; \
	enum match_result r_ = lm(meth_, path_, &m_); \
	ck_assert_msg(r_ == (want_), "%s %s: result %d, want %s", meth_, path_, (int)r_, #want_); \
} while (0)

/* ---- the real table ------------------------------------------------------------- */

START_TEST(real_literal_routes)
{
	struct match m;
	ck_assert_int_eq(router_match(routes, nroutes, "GET", "/api/health", &arena, &m), MATCH_OK);
	ck_assert_str_eq(m.route->pattern, "/api/health");
	ck_assert_ptr_nonnull(m.route->handler);
	ck_assert_int_eq(m.nparams, 0);
	ck_assert_int_eq(router_match(routes, nroutes, "GET", "/health/live", &arena, &m), MATCH_OK);
	ck_assert_str_eq(m.route->pattern, "/health/live");
	ck_assert_int_eq(router_match(routes, nroutes, "GET", "/health/ready", &arena, &m), MATCH_OK);
	ck_assert_str_eq(m.route->pattern, "/health/ready");
	ck_assert_int_eq(router_match(routes, nroutes, "POST", "/api/auth/login", &arena, &m),
	    MATCH_OK);
	ck_assert_str_eq(m.route->pattern, "/api/auth/login");
	ck_assert_str_eq(m.route->method, "POST");
}
END_TEST

START_TEST(real_case_and_trailing_slash)
{
	struct match m;
	static const char *paths[] = { "/API/HEALTH", "/Api/Health", "/api/health/", "/API/health/" };
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		ck_assert_msg(router_match(routes, nroutes, "GET", paths[i], &arena, &m) == MATCH_OK,
		    "GET %s did not match", paths[i]);
		ck_assert_str_eq(m.route->pattern, "/api/health");
	}
	ck_assert_int_eq(router_match(routes, nroutes, "POST", "/API/Auth/LOGIN/", &arena, &m),
	    MATCH_OK);
	ck_assert_str_eq(m.route->pattern, "/api/auth/login");
}
END_TEST

START_TEST(real_not_found)
{
	struct match m;
	static const char *paths[] = { "/api/nothing", "/api", "/", "", "/api/health/extra",
		"/api/healthz", "/api/healt", "/health", "/api/auth/login/x", "/x/api/health" };
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		ck_assert_msg(router_match(routes, nroutes, "GET", paths[i], &arena, &m) ==
		    MATCH_NOT_FOUND, "GET \"%s\" is not MATCH_NOT_FOUND", paths[i]);
}
END_TEST

START_TEST(real_method_not_allowed)
{
	struct match m;
	ck_assert_int_eq(router_match(routes, nroutes, "POST", "/api/health", &arena, &m),
	    MATCH_BAD_METHOD);
	ck_assert_str_eq(m.allow, "GET, HEAD");
	ck_assert_int_eq(router_match(routes, nroutes, "DELETE", "/health/ready/", &arena, &m),
	    MATCH_BAD_METHOD);
	ck_assert_str_eq(m.allow, "GET, HEAD");
	ck_assert_int_eq(router_match(routes, nroutes, "GET", "/api/auth/login", &arena, &m),
	    MATCH_BAD_METHOD);
	ck_assert_str_eq(m.allow, "POST");
	/* methods are case-sensitive (RFC 9110) */
	ck_assert_int_eq(router_match(routes, nroutes, "get", "/api/health", &arena, &m),
	    MATCH_BAD_METHOD);
}
END_TEST

/* Build a concrete path for a pattern: uuid → UUID1, int → 7, str → zz-sample. */
static void
sample_path(const char *pattern, char *out, size_t outsz)
{
	size_t o = 0;
	for (const char *p = pattern; *p && o + 40 < outsz; ) {
		if (*p == '{') {
			const char *e = strchr(p, '}');
			ck_assert_msg(e != NULL, "unterminated param in %s", pattern);
			const char *colon = memchr(p, ':', (size_t)(e - p));
			const char *type = colon ? colon + 1 : "str";
			size_t tl = colon ? (size_t)(e - type) : 3;
			const char *v = tl == 4 && strncmp(type, "uuid", 4) == 0 ? UUID1 :
			    tl == 3 && strncmp(type, "int", 3) == 0 ? "7" : "zz-sample";
			o += (size_t)snprintf(out + o, outsz - o, "%s", v);
			p = e + 1;
		} else
			out[o++] = *p++;
	}
	out[o] = '\0';
}

/* Every route of the real table is well formed and reachable: its own path matches it,
 * not an earlier route that shadows it. */
START_TEST(real_table_well_formed_and_reachable)
{
	static const char *methods[] = { "GET", "POST", "PUT", "PATCH", "DELETE" };
	ck_assert_uint_gt(nroutes, 0);
	for (size_t i = 0; i < nroutes; i++) {
		const struct route *r = &routes[i];
		bool known = false;
		for (size_t k = 0; k < sizeof(methods) / sizeof(methods[0]); k++)
			known |= strcmp(r->method, methods[k]) == 0;
		ck_assert_msg(known, "route %zu: method \"%s\" (HEAD is served by GET)", i, r->method);
		ck_assert_msg(r->pattern[0] == '/', "route %zu: pattern \"%s\"", i, r->pattern);
		ck_assert_msg(r->handler != NULL, "route %zu %s %s: no handler", i, r->method,
		    r->pattern);
		int np = 0;
		for (const char *p = strchr(r->pattern, '{'); p; p = strchr(p + 1, '{')) {
			const char *e = strchr(p, '}');
			ck_assert_msg(e != NULL, "route %zu: unterminated param", i);
			const char *colon = memchr(p, ':', (size_t)(e - p));
			if (colon) {
				size_t tl = (size_t)(e - colon - 1);
				ck_assert_msg((tl == 4 && !strncmp(colon + 1, "uuid", 4)) ||
				    (tl == 3 && !strncmp(colon + 1, "int", 3)) ||
				    (tl == 3 && !strncmp(colon + 1, "str", 3)),
				    "route %zu %s: unknown param type", i, r->pattern);
			}
			np++;
		}
		ck_assert_msg(np <= REQ_MAX_PARAMS, "route %zu %s: %d params > %d", i, r->pattern, np,
		    REQ_MAX_PARAMS);
		for (size_t j = 0; j < i; j++)
			ck_assert_msg(strcmp(routes[j].method, r->method) != 0 ||
			    strcasecmp(routes[j].pattern, r->pattern) != 0,
			    "route %zu duplicates route %zu: %s %s", i, j, r->method, r->pattern);

		char path[512];
		struct match m;
		sample_path(r->pattern, path, sizeof(path));
		enum match_result res = router_match(routes, nroutes, r->method, path, &arena, &m);
		ck_assert_msg(res == MATCH_OK, "%s %s (route %zu %s): result %d", r->method, path, i,
		    r->pattern, (int)res);
		ck_assert_msg(m.route == r, "%s %s is taken by route %s %s registered before %s",
		    r->method, path, m.route->method, m.route->pattern, r->pattern);
		ck_assert_int_eq(m.nparams, np);
	}
}
END_TEST

/* ---- local table: literals, case, slashes --------------------------------------- */

START_TEST(local_literal)
{
	ASSERT_LOCAL("GET", "/api/things", 8);
	ASSERT_LOCAL("POST", "/api/things", 6);
	ASSERT_LOCAL("PUT", "/api/things", 7);
	ASSERT_LOCAL("GET", "/API/THINGS", 8);
	ASSERT_LOCAL("GET", "/api/Things/", 8);
	ASSERT_LOCAL("GET", "/", 13);
	ASSERT_RESULT("GET", "/api/thing", MATCH_NOT_FOUND);
	ASSERT_RESULT("GET", "/api/thingss", MATCH_NOT_FOUND);
	ASSERT_RESULT("GET", "/api/things/x", MATCH_NOT_FOUND);
	ASSERT_RESULT("GET", "/api", MATCH_NOT_FOUND);
	ASSERT_RESULT("GET", "/nope", MATCH_NOT_FOUND);
}
END_TEST

/* ---- typed params --------------------------------------------------------------- */

START_TEST(param_uuid)
{
	struct match m;
	ck_assert_int_eq(lm("GET", "/api/users/" UUID1, &m), MATCH_OK);
	ck_assert_ptr_eq(m.route, &local[2]);
	ck_assert_int_eq(m.nparams, 1);
	ck_assert_str_eq(m.params[0], UUID1);
	ck_assert_int_eq(lm("GET", "/API/Users/" UUID2 "/", &m), MATCH_OK);
	ck_assert_str_eq(m.params[0], UUID2);   /* the value keeps its case */
	ck_assert_int_eq(lm("DELETE", "/api/users/" UUID1, &m), MATCH_OK);
	ck_assert_ptr_eq(m.route, &local[3]);

	static const char *bad[] = {
		"not-a-uuid", "0b5e3a52-6a8c-4b8e-9f55-3f1f2a6c1d0",      /* 35 chars */
		"0b5e3a52-6a8c-4b8e-9f55-3f1f2a6c1d011",                  /* 37 chars */
		"0b5e3a526a8c4b8e9f553f1f2a6c1d01",                       /* no dashes */
		"0b5e3a52-6a8c-4b8e-9f55-3f1f2a6c1d0g",                   /* g */
		"0b5e3a52_6a8c-4b8e-9f55-3f1f2a6c1d01",                   /* _ for - */
		"{0b5e3a52-6a8c-4b8e-9f55-3f1f2a6c1d01}", "1", "null",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char path[128];
		snprintf(path, sizeof(path), "/api/users/%s", bad[i]);
		enum match_result r = lm("GET", path, &m);
		ck_assert_msg(r == MATCH_BAD_PARAM, "GET %s: result %d, want MATCH_BAD_PARAM", path,
		    (int)r);
		ck_assert_str_eq(m.bad_param, "id");
		ck_assert_int_eq(lm("DELETE", path, &m), MATCH_BAD_PARAM);
		ck_assert_str_eq(m.bad_param, "id");
	}
}
END_TEST

START_TEST(param_two_uuids)
{
	struct match m;
	ck_assert_int_eq(lm("GET", "/api/orgs/" UUID1 "/members/" UUID2, &m), MATCH_OK);
	ck_assert_ptr_eq(m.route, &local[5]);
	ck_assert_int_eq(m.nparams, 2);
	ck_assert_str_eq(m.params[0], UUID1);
	ck_assert_str_eq(m.params[1], UUID2);
	ck_assert_int_eq(lm("GET", "/api/orgs/" UUID1 "/members/nope", &m), MATCH_BAD_PARAM);
	ck_assert_str_eq(m.bad_param, "uid");
	ck_assert_int_eq(lm("GET", "/api/orgs/nope/members/" UUID2, &m), MATCH_BAD_PARAM);
	ck_assert_str_eq(m.bad_param, "org");
	/* both bad: the first one is named */
	ck_assert_int_eq(lm("GET", "/api/orgs/nope/members/nope", &m), MATCH_BAD_PARAM);
	ck_assert_str_eq(m.bad_param, "org");
	/* a literal segment that differs is not the route's shape at all */
	ck_assert_int_eq(lm("GET", "/api/orgs/nope/memberz/nope", &m), MATCH_NOT_FOUND);
	ck_assert_int_eq(lm("GET", "/api/orgs/" UUID1 "/members", &m), MATCH_NOT_FOUND);
}
END_TEST

START_TEST(param_int)
{
	struct match m;
	ck_assert_int_eq(lm("GET", "/api/pages/42", &m), MATCH_OK);
	ck_assert_ptr_eq(m.route, &local[4]);
	ck_assert_str_eq(m.params[0], "42");
	ck_assert_int_eq(lm("GET", "/api/pages/0", &m), MATCH_OK);
	ck_assert_int_eq(lm("GET", "/api/pages/999999999", &m), MATCH_OK);
	static const char *bad[] = { "abc", "-1", "+1", "1.5", "1e3", "12a", "0x1", "1234567890",
		" 1", "99999999999999999999" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char path[64];
		snprintf(path, sizeof(path), "/api/pages/%s", bad[i]);
		enum match_result r = lm("GET", path, &m);
		ck_assert_msg(r == MATCH_BAD_PARAM, "GET %s: result %d", path, (int)r);
		ck_assert_str_eq(m.bad_param, "n");
	}
}
END_TEST

START_TEST(param_str)
{
	struct match m;
	ck_assert_int_eq(lm("GET", "/api/messages/hello-world", &m), MATCH_OK);
	ck_assert_ptr_eq(m.route, &local[1]);
	ck_assert_str_eq(m.params[0], "hello-world");
	ck_assert_int_eq(lm("GET", "/api/messages/caf\xC3\xA9", &m), MATCH_OK);
	ck_assert_str_eq(m.params[0], "caf\xC3\xA9");

	char path[256], val[128];
	memset(val, 'x', 100);
	val[100] = '\0';
	snprintf(path, sizeof(path), "/api/messages/%s", val);
	ck_assert_int_eq(lm("GET", path, &m), MATCH_OK);        /* 100 characters */
	ck_assert_str_eq(m.params[0], val);
	val[100] = 'x';
	val[101] = '\0';
	snprintf(path, sizeof(path), "/api/messages/%s", val);
	ck_assert_int_eq(lm("GET", path, &m), MATCH_BAD_PARAM); /* 101 characters */
	ck_assert_str_eq(m.bad_param, "id");
	ck_assert_int_eq(lm("GET", "/api/messages/a\x01" "b", &m), MATCH_BAD_PARAM);
	ck_assert_str_eq(m.bad_param, "id");
	ck_assert_int_eq(lm("GET", "/api/messages/a\x7f", &m), MATCH_BAD_PARAM);

	/* an untyped {s} is a str */
	ck_assert_int_eq(lm("PUT", "/api/notes/anything", &m), MATCH_OK);
	ck_assert_ptr_eq(m.route, &local[9]);
	ck_assert_str_eq(m.params[0], "anything");
	ck_assert_int_eq(lm("PUT", "/api/notes/a\x02", &m), MATCH_BAD_PARAM);
	ck_assert_str_eq(m.bad_param, "s");
	/* a param never spans segments, and cannot be empty */
	ck_assert_int_eq(lm("PUT", "/api/notes/a/b", &m), MATCH_NOT_FOUND);
	ck_assert_int_eq(lm("PUT", "/api/notes/", &m), MATCH_NOT_FOUND);
}
END_TEST

/* A malformed param in one route does not hide a later route that accepts the path. */
START_TEST(param_bad_then_later_route_ok)
{
	struct match m;
	ck_assert_int_eq(lm("GET", "/api/items/" UUID1, &m), MATCH_OK);
	ck_assert_ptr_eq(m.route, &local[10]);
	ck_assert_int_eq(lm("GET", "/api/items/my-slug", &m), MATCH_OK);
	ck_assert_ptr_eq(m.route, &local[11]);
	ck_assert_str_eq(m.params[0], "my-slug");
	ck_assert_str_eq(m.bad_param, "");
}
END_TEST

/* ---- first registered route wins ------------------------------------------------ */

START_TEST(first_registered_wins)
{
	struct match m;
	ck_assert_int_eq(lm("GET", "/api/messages/stats", &m), MATCH_OK);
	ck_assert_ptr_eq(m.route, &local[0]);
	ck_assert_int_eq(m.nparams, 0);
	ASSERT_LOCAL("GET", "/api/messages/STATS", 0);
	ASSERT_LOCAL("GET", "/api/messages/stats/", 0);
	ASSERT_LOCAL("GET", "/api/messages/statsx", 1);
	/* the same path with another method goes to the route that has that method */
	ck_assert_int_eq(lm("POST", "/api/messages/stats", &m), MATCH_OK);
	ck_assert_ptr_eq(m.route, &local[12]);
	ck_assert_str_eq(m.params[0], "stats");

	/* and the other order: the param route shadows the literal one */
	static const struct route rev[] = {
		{ "GET", "/api/messages/{id:str}", NULL, NULL, 0 },
		{ "GET", "/api/messages/stats",    NULL, NULL, 0 },
	};
	ck_assert_int_eq(router_match(rev, 2, "GET", "/api/messages/stats", &arena, &m), MATCH_OK);
	ck_assert_ptr_eq(m.route, &rev[0]);
	ck_assert_str_eq(m.params[0], "stats");
}
END_TEST

/* ---- 405 and the Allow list ----------------------------------------------------- */

START_TEST(method_not_allowed_allow_list)
{
	struct match m;
	ck_assert_int_eq(lm("DELETE", "/api/things", &m), MATCH_BAD_METHOD);
	ck_assert_str_eq(m.allow, "POST, PUT, GET, HEAD");
	ck_assert_ptr_null(m.route);
	ck_assert_int_eq(lm("POST", "/api/users/" UUID1, &m), MATCH_BAD_METHOD);
	ck_assert_str_eq(m.allow, "GET, HEAD, DELETE");
	ck_assert_int_eq(lm("GET", "/api/notes/x", &m), MATCH_BAD_METHOD);
	ck_assert_str_eq(m.allow, "PUT");                /* no GET: no HEAD */
	/* two GET routes have the shape: GET and HEAD listed once */
	ck_assert_int_eq(lm("DELETE", "/api/messages/stats", &m), MATCH_BAD_METHOD);
	ck_assert_str_eq(m.allow, "GET, HEAD, POST");
	ck_assert_int_eq(lm("PATCH", "/", &m), MATCH_BAD_METHOD);
	ck_assert_str_eq(m.allow, "GET, HEAD");
}
END_TEST

START_TEST(not_found)
{
	ASSERT_RESULT("GET", "/api/unknown", MATCH_NOT_FOUND);
	ASSERT_RESULT("GET", "/api/users", MATCH_NOT_FOUND);
	ASSERT_RESULT("GET", "/api/users/" UUID1 "/extra", MATCH_NOT_FOUND);
	ASSERT_RESULT("GET", "/api/pages", MATCH_NOT_FOUND);
	ASSERT_RESULT("DELETE", "/api/unknown", MATCH_NOT_FOUND);
	struct match m;
	ck_assert_int_eq(router_match(local, 0, "GET", "/", &arena, &m), MATCH_NOT_FOUND);
	ck_assert_str_eq(m.allow, "");
}
END_TEST

static Suite *
router_suite(void)
{
	Suite *s = suite_create("router");
	TCase *tc = tcase_create("real");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, real_literal_routes);
	tcase_add_test(tc, real_case_and_trailing_slash);
	tcase_add_test(tc, real_not_found);
	tcase_add_test(tc, real_method_not_allowed);
	tcase_add_test(tc, real_table_well_formed_and_reachable);
	suite_add_tcase(s, tc);
	tc = tcase_create("local");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, local_literal);
	tcase_add_test(tc, param_uuid);
	tcase_add_test(tc, param_two_uuids);
	tcase_add_test(tc, param_int);
	tcase_add_test(tc, param_str);
	tcase_add_test(tc, param_bad_then_later_route_ok);
	tcase_add_test(tc, first_registered_wins);
	tcase_add_test(tc, method_not_allowed_allow_list);
	tcase_add_test(tc, not_found);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(router_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
