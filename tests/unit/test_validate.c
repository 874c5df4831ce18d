/*
 * test_validate.c — lib/validate.c: validate_body over field tables with Joi-style messages
 * (see /work/shared/spec/original-api.md §1.0): required, types, empty strings, lengths in
 * UTF-16 units, trim, email, uri, uuid, enum, integer and number ranges, nested objects,
 * unknown keys at every level, arrays of strings, NUL bytes, and every error at once.
 * Bodies go through json_parse_strict as they do in the server.
 */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "jsonscan.h"
#include "validate.h"

static const char *const themes[] = { "light", "dark", NULL };

static const struct vfield settings_fields[] = {
	{ .name = "theme", .type = V_STRING, .enumv = themes },
	{ .name = "notifications", .type = V_BOOL },
	{ .name = NULL },
};

static const struct vfield profile_fields[] = {
	{ .name = "email", .type = V_EMAIL, .flags = VF_REQUIRED | VF_TRIM },           /* 0 */
	{ .name = "displayName", .type = V_STRING, .flags = VF_TRIM, .min = 2, .max = 50 },
	{ .name = "website", .type = V_URI, .max = 2048 },                              /* 2 */
	{ .name = "age", .type = V_INT, .min = 13, .max = 120 },                        /* 3 */
	{ .name = "score", .type = V_NUMBER, .min = 0, .max = 100 },                    /* 4 */
	{ .name = "active", .type = V_BOOL },                                           /* 5 */
	{ .name = "settings", .type = V_OBJECT, .sub = settings_fields },               /* 6 */
	{ .name = "images", .type = V_ARRAY_STR, .min = 1, .max = 20, .max_items = 3 }, /* 7 */
	{ .name = "orgId", .type = V_UUID },                                            /* 8 */
	{ .name = "bio", .type = V_STRING, .flags = VF_ALLOW_EMPTY | VF_NULLABLE, .max = 10 },
	{ .name = NULL },
};
enum { F_EMAIL, F_NAME, F_WEBSITE, F_AGE, F_SCORE, F_ACTIVE, F_SETTINGS, F_IMAGES, F_ORG,
	F_BIO, F__MAX };

static const struct vfield theme_fields[] = {
	{ .name = "theme", .type = V_STRING, .flags = VF_REQUIRED, .enumv = themes },
	{ .name = NULL },
};

static bool
no_x(const char *s, size_t n)
{
	return memchr(s, 'x', n) == NULL;
}

static const struct vfield check_fields[] = {
	{ .name = "code", .type = V_STRING, .check = no_x, .check_msg = "must not contain x" },
	{ .name = "other", .type = V_STRING, .check = no_x },
	{ .name = NULL },
};

static struct arena arena;
static json_object *errors, *body;
static struct vval out[16];
static int nerr;

static void
setup(void)
{
	arena_init(&arena, 1024);
	errors = json_object_new_array();
	body = NULL;
	nerr = 0;
	memset(out, 0, sizeof(out));
}

static void
teardown(void)
{
	json_object_put(body);
	json_object_put(errors);
	arena_free(&arena);
}

/* Parse json (strictly), validate it against fields; returns the error count. */
static int
run(const struct vfield *fields, const char *json)
{
	json_object_put(body);
	json_object_put(errors);
	errors = json_object_new_array();
	const char *why = NULL;
	size_t at = 0;
	body = json_parse_strict(json, strlen(json), &why, &at);
	ck_assert_msg(body != NULL || why == NULL, "test body `%s` does not parse: %s", json, why);
	nerr = validate_body(&arena, body, fields, out, errors);
	ck_assert_int_eq(nerr, (int)json_object_array_length(errors));
	return nerr;
}

/* Validate a body built by hand (takes ownership of b). */
static int
run_obj(const struct vfield *fields, json_object *b)
{
	json_object_put(body);
	json_object_put(errors);
	errors = json_object_new_array();
	body = b;
	nerr = validate_body(&arena, body, fields, out, errors);
	ck_assert_int_eq(nerr, (int)json_object_array_length(errors));
	return nerr;
}

static const char *
errors_text(void)
{
	return json_object_to_json_string_ext(errors, JSON_C_TO_STRING_PLAIN);
}

static bool
has_error(const char *field, const char *message)
{
	size_t n = json_object_array_length(errors);
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(errors, i), *f, *m;
		if (json_object_object_get_ex(e, "field", &f) &&
		    json_object_object_get_ex(e, "message", &m) &&
		    strcmp(json_object_get_string(f), field) == 0 &&
		    strcmp(json_object_get_string(m), message) == 0)
			return true;
	}
	return false;
}

/* Exactly one error, with this field and message. */
#define ASSERT_ONE(fields, json, field, message) do { \
	int n_ = run(fields, json); \
	ck_assert_msg(n_ == 1 && has_error(field, message), "%s\n  got %d: %s\n  want {\"field\":" \
	    "\"%s\",\"message\":\"%s\"}", json, n_, errors_text(), field, message); \
} while (0)

#define ASSERT_HAS(field, message) \
	ck_assert_msg(has_error(field, message), "want {\"field\":\"%s\",\"message\":\"%s\"}\n" \
	    "  got %s", field, message, errors_text())

#define ASSERT_VALID(fields, json) do { \
	int n_ = run(fields, json); \
	ck_assert_msg(n_ == 0, "%s\n  rejected: %s", json, errors_text()); \
} while (0)

#define P(s) "{\"email\":\"a@example.com\"," s "}"   /* a profile body with a valid email */

/* ---- success -------------------------------------------------------------------- */

START_TEST(valid_full_body)
{
	ASSERT_VALID(profile_fields, "{\"email\":\"  User@Example.COM \", \"displayName\":\"  Ann  \","
	    " \"website\":\"https://example.com/a?b=c#d\", \"age\":42, \"score\":99.5,"
	    " \"active\":false, \"settings\":{\"theme\":\"dark\",\"notifications\":true},"
	    " \"images\":[\"a.png\",\"b.png\"], \"orgId\":\"0B5E3A52-6a8c-4b8e-9f55-3f1f2a6c1d01\","
	    " \"bio\":null}");
	ck_assert(out[F_EMAIL].present);
	ck_assert_str_eq(out[F_EMAIL].s, "user@example.com");
	ck_assert_uint_eq(out[F_EMAIL].len, 16);
	ck_assert_str_eq(out[F_NAME].s, "Ann");
	ck_assert_uint_eq(out[F_NAME].len, 3);
	ck_assert_str_eq(out[F_WEBSITE].s, "https://example.com/a?b=c#d");
	ck_assert_int_eq(out[F_AGE].i, 42);
	ck_assert(out[F_SCORE].d == 99.5);
	ck_assert(out[F_ACTIVE].present && !out[F_ACTIVE].b);
	ck_assert_ptr_nonnull(out[F_SETTINGS].sub);
	ck_assert_str_eq(out[F_SETTINGS].sub[0].s, "dark");
	ck_assert(out[F_SETTINGS].sub[1].present && out[F_SETTINGS].sub[1].b);
	ck_assert(json_object_is_type(out[F_IMAGES].o, json_type_array));
	ck_assert_str_eq(out[F_ORG].s, "0B5E3A52-6a8c-4b8e-9f55-3f1f2a6c1d01");
	ck_assert(out[F_BIO].present && out[F_BIO].is_null);
}
END_TEST

START_TEST(absent_optional_fields)
{
	ASSERT_VALID(profile_fields, "{\"email\":\"a@example.com\"}");
	for (int i = 1; i < F__MAX; i++)
		ck_assert_msg(!out[i].present, "field %s marked present", profile_fields[i].name);
	ASSERT_VALID(profile_fields, P("\"bio\":\"\""));   /* VF_ALLOW_EMPTY */
	ck_assert(out[F_BIO].present && !out[F_BIO].is_null);
	ck_assert_str_eq(out[F_BIO].s, "");
	ck_assert_uint_eq(out[F_BIO].len, 0);
}
END_TEST

/* ---- required and types --------------------------------------------------------- */

START_TEST(required_missing)
{
	ASSERT_ONE(profile_fields, "{}", "email", "\"email\" is required");
	ASSERT_ONE(profile_fields, "{\"displayName\":\"Ann\"}", "email", "\"email\" is required");
	ASSERT_ONE(theme_fields, "{}", "theme", "\"theme\" is required");
}
END_TEST

START_TEST(wrong_types)
{
	ASSERT_ONE(profile_fields, "{\"email\":5}", "email", "\"email\" must be a string");
	ASSERT_ONE(profile_fields, "{\"email\":null}", "email", "\"email\" must be a string");
	ASSERT_ONE(profile_fields, "{\"email\":[\"a@example.com\"]}", "email",
	    "\"email\" must be a string");
	ASSERT_ONE(profile_fields, P("\"displayName\":true"), "displayName",
	    "\"displayName\" must be a string");
	ASSERT_ONE(profile_fields, P("\"age\":\"42\""), "age", "\"age\" must be a number");
	ASSERT_ONE(profile_fields, P("\"age\":null"), "age", "\"age\" must be a number");
	ASSERT_ONE(profile_fields, P("\"age\":true"), "age", "\"age\" must be a number");
	ASSERT_ONE(profile_fields, P("\"score\":{}"), "score", "\"score\" must be a number");
	ASSERT_ONE(profile_fields, P("\"active\":\"true\""), "active",
	    "\"active\" must be a boolean");
	ASSERT_ONE(profile_fields, P("\"active\":1"), "active", "\"active\" must be a boolean");
	ASSERT_ONE(profile_fields, P("\"active\":null"), "active", "\"active\" must be a boolean");
	ASSERT_ONE(profile_fields, P("\"settings\":\"dark\""), "settings",
	    "\"settings\" must be of type object");
	ASSERT_ONE(profile_fields, P("\"settings\":[]"), "settings",
	    "\"settings\" must be of type object");
	ASSERT_ONE(profile_fields, P("\"settings\":null"), "settings",
	    "\"settings\" must be of type object");
	ASSERT_ONE(profile_fields, P("\"images\":\"a.png\""), "images",
	    "\"images\" must be an array");
	ASSERT_ONE(profile_fields, P("\"images\":{}"), "images", "\"images\" must be an array");
	ASSERT_ONE(profile_fields, P("\"orgId\":7"), "orgId", "\"orgId\" must be a string");
}
END_TEST

START_TEST(body_not_an_object)
{
	static const char *bodies[] = { "[]", "[{\"email\":\"a@example.com\"}]", "\"x\"", "5",
		"true", "null" };
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		/* build the body by hand so that the JSON parser is not under test here */
		json_object *b = i == 0 ? json_object_new_array() :
		    i == 1 ? json_tokener_parse(bodies[1]) :
		    i == 2 ? json_object_new_string("x") :
		    i == 3 ? json_object_new_int(5) :
		    i == 4 ? json_object_new_boolean(1) : NULL;
		int n = run_obj(profile_fields, b);
		ck_assert_msg(n == 1 && has_error("", "\"value\" must be of type object"),
		    "body %s: %s", bodies[i], errors_text());
	}
}
END_TEST

/* ---- strings -------------------------------------------------------------------- */

START_TEST(empty_strings)
{
	ASSERT_ONE(profile_fields, "{\"email\":\"\"}", "email", "\"email\" is not allowed to be empty");
	ASSERT_ONE(profile_fields, "{\"email\":\"   \"}", "email",
	    "\"email\" is not allowed to be empty");   /* VF_TRIM */
	ASSERT_ONE(profile_fields, P("\"displayName\":\"\""), "displayName",
	    "\"displayName\" is not allowed to be empty");
	ASSERT_ONE(profile_fields, P("\"displayName\":\" \\t\\n \""), "displayName",
	    "\"displayName\" is not allowed to be empty");
	ASSERT_ONE(profile_fields, P("\"website\":\"\""), "website",
	    "\"website\" is not allowed to be empty");
	ASSERT_ONE(profile_fields, P("\"orgId\":\"\""), "orgId",
	    "\"orgId\" is not allowed to be empty");
}
END_TEST

/* Build a JSON body {"email":…, "displayName": "<n copies of unit>"}. */
static char *
name_body(const char *unit, int n)
{
	size_t ul = strlen(unit);
	char *s = malloc(64 + ul * (size_t)n);
	ck_assert_ptr_nonnull(s);
	size_t o = (size_t)sprintf(s, P("\"displayName\":\""));
	o -= 1;   /* drop the closing brace of P() */
	for (int i = 0; i < n; i++, o += ul)
		memcpy(s + o, unit, ul);
	strcpy(s + o, "\"}");
	return s;
}

START_TEST(lengths_in_utf16_units)
{
	static const char min_msg[] = "\"displayName\" length must be at least 2 characters long";
	static const char max_msg[] =
	    "\"displayName\" length must be less than or equal to 50 characters long";
	static const struct { const char *unit; int n; const char *msg; } cases[] = {
		{ "a", 1, min_msg },
		{ "a", 2, NULL },
		{ "\xC3\xA9", 1, min_msg },           /* é: 2 bytes, 1 unit */
		{ "\xC3\xA9", 2, NULL },
		{ "\xF0\x9F\x98\x80", 1, NULL },       /* 😀: 4 bytes, 2 units */
		{ "\\uD83D\\uDE00", 1, NULL },         /* the same, escaped */
		{ "\xE2\x82\xAC", 1, min_msg },        /* €: 3 bytes, 1 unit */
		{ "a", 50, NULL },
		{ "a", 51, max_msg },
		{ "\xC3\xA9", 50, NULL },              /* 100 bytes, 50 units */
		{ "\xC3\xA9", 51, max_msg },
		{ "\xE2\x82\xAC", 50, NULL },          /* 150 bytes */
		{ "\xF0\x9F\x98\x80", 25, NULL },      /* 50 units */
		{ "\xF0\x9F\x98\x80", 26, max_msg },   /* 52 units, 26 code points */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *json = name_body(cases[i].unit, cases[i].n);
		int n = run(profile_fields, json);
		if (cases[i].msg)
			ck_assert_msg(n == 1 && has_error("displayName", cases[i].msg),
			    "case %zu %s: %s", i, json, errors_text());
		else
			ck_assert_msg(n == 0, "case %zu %s: %s", i, json, errors_text());
		free(json);
	}
	/* a mixed string: "a😀" is 3 units */
	static const struct vfield three[] = {
		{ .name = "s", .type = V_STRING, .max = 2 }, { .name = NULL } };
	ASSERT_ONE(three, "{\"s\":\"a\xF0\x9F\x98\x80\"}", "s",
	    "\"s\" length must be less than or equal to 2 characters long");
	ASSERT_VALID(three, "{\"s\":\"\xF0\x9F\x98\x80\"}");
}
END_TEST

START_TEST(trim_before_checks)
{
	ASSERT_VALID(profile_fields, P("\"displayName\":\"  ab  \""));
	ck_assert_str_eq(out[F_NAME].s, "ab");
	ck_assert_uint_eq(out[F_NAME].len, 2);
	ASSERT_ONE(profile_fields, P("\"displayName\":\"  a  \""), "displayName",
	    "\"displayName\" length must be at least 2 characters long");
	/* 50 characters plus spaces around them is fine once trimmed */
	char json[256];
	snprintf(json, sizeof(json), P("\"displayName\":\"   %s   \""),
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	ASSERT_VALID(profile_fields, json);
	ck_assert_uint_eq(out[F_NAME].len, 50);
	/* without VF_TRIM spaces count */
	static const struct vfield raw[] = {
		{ .name = "s", .type = V_STRING, .max = 3 }, { .name = NULL } };
	ASSERT_ONE(raw, "{\"s\":\" ab \"}", "s",
	    "\"s\" length must be less than or equal to 3 characters long");
	ASSERT_VALID(raw, "{\"s\":\" a \"}");
	ck_assert_str_eq(out[0].s, " a ");
	/* Unicode white space is trimmed too (no-break space, ideographic space, BOM) … */
	ASSERT_VALID(profile_fields, P("\"displayName\":\"\xC2\xA0\xE3\x80\x80" "ab\xEF\xBB\xBF\xC2\xA0\""));
	ck_assert_str_eq(out[F_NAME].s, "ab");
	ASSERT_ONE(profile_fields, P("\"displayName\":\"\xE3\x80\x80\xC2\xA0\""), "displayName",
	    "\"displayName\" is not allowed to be empty");
	/* … but not other characters that end in the same bytes */
	ASSERT_VALID(profile_fields, P("\"displayName\":\"ab\xE2\x82\xA0\""));
	ck_assert_uint_eq(out[F_NAME].len, 5);
}
END_TEST

START_TEST(embedded_nul_rejected)
{
	json_object *b = json_object_new_object();
	json_object_object_add(b, "email", json_object_new_string("a@example.com"));
	json_object_object_add(b, "displayName", json_object_new_string_len("ab\0cd", 5));
	int n = run_obj(profile_fields, b);
	ck_assert_msg(n == 1, "%s", errors_text());
	json_object *e = json_object_array_get_idx(errors, 0), *f;
	ck_assert(json_object_object_get_ex(e, "field", &f));
	ck_assert_str_eq(json_object_get_string(f), "displayName");

	b = json_object_new_object();
	json_object_object_add(b, "email", json_object_new_string_len("a@example.com\0x", 15));
	ck_assert_int_eq(run_obj(profile_fields, b), 1);
	ck_assert_msg(!out[F_EMAIL].s || strlen(out[F_EMAIL].s) == out[F_EMAIL].len,
	    "a truncated copy was stored");

	/* and the strict parser refuses \u0000 before validation is reached */
	const char *why = NULL;
	static const char zero[] = "{\"email\":\"a\\u0000@example.com\"}";
	ck_assert_ptr_null(json_parse_strict(zero, sizeof(zero) - 1, &why, NULL));
	ck_assert_ptr_nonnull(why);
}
END_TEST

/* ---- email, uri, uuid, enum, custom check --------------------------------------- */

START_TEST(email_rules)
{
	static const char *bad[] = { "a@localhost", "a@b.c", "plainaddress", "@example.com",
		"a@", "a@@example.com", "a@b@example.com", "a b@example.com", "a@exa mple.com",
		"a@.example.com", "a@example..com", "a@example.com.", ".a@example.com",
		"a.@example.com", "a..b@example.com", "a@-example.com", "a@example-.com",
		"a@example.c0m", "a@example.c", "a(b)@example.com", "a@exa_mple.com",
		"<a@example.com>", "a@[127.0.0.1]" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char json[128];
		snprintf(json, sizeof(json), "{\"email\":\"%s\"}", bad[i]);
		ASSERT_ONE(profile_fields, json, "email", "\"email\" must be a valid email");
	}
	static const char *good[] = { "a@example.com", "first.last+tag@mail.example.co.uk",
		"x_y-z@sub-domain.example.org", "1@2.io" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char json[128];
		snprintf(json, sizeof(json), "{\"email\":\"%s\"}", good[i]);
		ASSERT_VALID(profile_fields, json);
		ck_assert_str_eq(out[F_EMAIL].s, good[i]);
	}
	ASSERT_VALID(profile_fields, "{\"email\":\"User@Example.COM\"}");
	ck_assert_str_eq(out[F_EMAIL].s, "user@example.com");
	ck_assert_uint_eq(out[F_EMAIL].len, 16);
	/* the body itself is not modified */
	json_object *e;
	ck_assert(json_object_object_get_ex(body, "email", &e));
	ck_assert_str_eq(json_object_get_string(e), "User@Example.COM");
	ck_assert(valid_email("a@example.com", 13));
	ck_assert(!valid_email("a@example.com", 11));   /* length is honoured: "a@example.c" */
}
END_TEST

START_TEST(uri_rules)
{
	static const char *bad[] = { "ftp://example.com/x", "javascript:alert(1)", "example.com",
		"//example.com", "http://", "https://", "http:///path", "https://exa mple.com",
		"http://example.com/<x>", "mailto:a@example.com", "data:text/plain,hi", "file:///etc" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char json[160];
		snprintf(json, sizeof(json), P("\"website\":\"%s\""), bad[i]);
		ASSERT_ONE(profile_fields, json, "website", "\"website\" must be a valid uri");
	}
	static const char *good[] = { "http://example.com", "https://example.com/a/b?c=d&e=f#g",
		"HTTPS://EXAMPLE.COM", "http://localhost:3000/x", "https://10.0.0.1/" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char json[160];
		snprintf(json, sizeof(json), P("\"website\":\"%s\""), good[i]);
		ASSERT_VALID(profile_fields, json);
		ck_assert_str_eq(out[F_WEBSITE].s, good[i]);
	}
}
END_TEST

START_TEST(uuid_rule)
{
	ASSERT_ONE(profile_fields, P("\"orgId\":\"not-a-uuid\""), "orgId",
	    "\"orgId\" must be a valid GUID");
	ASSERT_ONE(profile_fields, P("\"orgId\":\"0b5e3a526a8c4b8e9f553f1f2a6c1d01\""), "orgId",
	    "\"orgId\" must be a valid GUID");
	ASSERT_VALID(profile_fields, P("\"orgId\":\"0b5e3a52-6a8c-4b8e-9f55-3f1f2a6c1d01\""));
}
END_TEST

START_TEST(enum_rule)
{
	ASSERT_ONE(theme_fields, "{\"theme\":\"blue\"}", "theme",
	    "\"theme\" must be one of [light, dark]");
	ASSERT_ONE(theme_fields, "{\"theme\":\"Dark\"}", "theme",
	    "\"theme\" must be one of [light, dark]");   /* case-sensitive */
	ASSERT_ONE(theme_fields, "{\"theme\":\"darker\"}", "theme",
	    "\"theme\" must be one of [light, dark]");
	ASSERT_ONE(theme_fields, "{\"theme\":\"dar\"}", "theme",
	    "\"theme\" must be one of [light, dark]");
	ASSERT_ONE(theme_fields, "{\"theme\":\"\"}", "theme", "\"theme\" is not allowed to be empty");
	ASSERT_VALID(theme_fields, "{\"theme\":\"light\"}");
	ck_assert_str_eq(out[0].s, "light");
	ASSERT_VALID(theme_fields, "{\"theme\":\"dark\"}");
}
END_TEST

START_TEST(custom_check)
{
	ASSERT_ONE(check_fields, "{\"code\":\"axb\"}", "code", "\"code\" must not contain x");
	ASSERT_ONE(check_fields, "{\"other\":\"x\"}", "other", "\"other\" is invalid");
	ASSERT_VALID(check_fields, "{\"code\":\"abc\",\"other\":\"y\"}");
}
END_TEST

/* ---- numbers -------------------------------------------------------------------- */

START_TEST(integer_ranges)
{
	ASSERT_ONE(profile_fields, P("\"age\":12"), "age", "\"age\" must be greater than or equal to 13");
	ASSERT_ONE(profile_fields, P("\"age\":-5"), "age", "\"age\" must be greater than or equal to 13");
	ASSERT_ONE(profile_fields, P("\"age\":121"), "age", "\"age\" must be less than or equal to 120");
	ASSERT_ONE(profile_fields, P("\"age\":9223372036854775807"), "age",
	    "\"age\" must be less than or equal to 120");
	ASSERT_ONE(profile_fields, P("\"age\":-9223372036854775808"), "age",
	    "\"age\" must be greater than or equal to 13");
	ASSERT_ONE(profile_fields, P("\"age\":13.5"), "age", "\"age\" must be an integer");
	ASSERT_VALID(profile_fields, P("\"age\":13"));
	ck_assert_int_eq(out[F_AGE].i, 13);
	ASSERT_VALID(profile_fields, P("\"age\":120"));
	ck_assert_int_eq(out[F_AGE].i, 120);

	static const struct vfield big[] = {
		{ .name = "n", .type = V_INT, .min = INT64_MIN, .max = INT64_MAX }, { .name = NULL } };
	ASSERT_VALID(big, "{\"n\":-9223372036854775808}");
	ck_assert(out[0].i == INT64_MIN);
	ASSERT_VALID(big, "{\"n\":9223372036854775807}");
	ck_assert(out[0].i == INT64_MAX);
	static const struct vfield neg[] = {
		{ .name = "n", .type = V_INT, .min = -10, .max = -1 }, { .name = NULL } };
	ASSERT_ONE(neg, "{\"n\":0}", "n", "\"n\" must be less than or equal to -1");
	ASSERT_ONE(neg, "{\"n\":-11}", "n", "\"n\" must be greater than or equal to -10");
	ASSERT_VALID(neg, "{\"n\":-10}");
}
END_TEST

START_TEST(number_ranges)
{
	ASSERT_VALID(profile_fields, P("\"score\":50"));
	ck_assert(out[F_SCORE].d == 50.0);
	ASSERT_VALID(profile_fields, P("\"score\":0.25"));
	ck_assert(out[F_SCORE].d == 0.25);
	ASSERT_VALID(profile_fields, P("\"score\":100"));
	ASSERT_VALID(profile_fields, P("\"score\":1e2"));
	ASSERT_ONE(profile_fields, P("\"score\":100.5"), "score",
	    "\"score\" must be less than or equal to 100");
	ASSERT_ONE(profile_fields, P("\"score\":-0.5"), "score",
	    "\"score\" must be greater than or equal to 0");
	ASSERT_ONE(profile_fields, P("\"score\":1e299"), "score",
	    "\"score\" must be less than or equal to 100");
}
END_TEST

/* ---- nesting and unknown keys --------------------------------------------------- */

START_TEST(nested_object)
{
	ASSERT_ONE(profile_fields, P("\"settings\":{\"theme\":\"blue\"}"), "settings.theme",
	    "\"settings.theme\" must be one of [light, dark]");
	ASSERT_ONE(profile_fields, P("\"settings\":{\"theme\":3}"), "settings.theme",
	    "\"settings.theme\" must be a string");
	ASSERT_ONE(profile_fields, P("\"settings\":{\"notifications\":\"yes\"}"),
	    "settings.notifications", "\"settings.notifications\" must be a boolean");
	ASSERT_VALID(profile_fields, P("\"settings\":{}"));
	ck_assert(out[F_SETTINGS].present);
	ck_assert(!out[F_SETTINGS].sub[0].present);
}
END_TEST

START_TEST(unknown_keys)
{
	ASSERT_ONE(profile_fields, P("\"x\":1"), "x", "\"x\" is not allowed");
	ASSERT_ONE(profile_fields, P("\"Email\":\"b@example.com\""), "Email",
	    "\"Email\" is not allowed");   /* keys are case-sensitive */
	ASSERT_ONE(profile_fields, P("\"settings\":{\"theme\":\"dark\",\"x\":null}"), "settings.x",
	    "\"settings.x\" is not allowed");
	ck_assert_int_eq(run(profile_fields, P("\"a\":1,\"b\":2,\"settings\":{\"c\":3}")), 3);
	ASSERT_HAS("a", "\"a\" is not allowed");
	ASSERT_HAS("b", "\"b\" is not allowed");
	ASSERT_HAS("settings.c", "\"settings.c\" is not allowed");
	/* a key of the nested table is not allowed at the top */
	ASSERT_ONE(profile_fields, P("\"theme\":\"dark\""), "theme", "\"theme\" is not allowed");
}
END_TEST

/* ---- arrays of strings ---------------------------------------------------------- */

START_TEST(array_items)
{
	ASSERT_VALID(profile_fields, P("\"images\":[]"));
	ASSERT_VALID(profile_fields, P("\"images\":[\"a\",\"b\",\"c\"]"));
	ck_assert_int_eq(run(profile_fields, P("\"images\":[\"a.png\",5,\"\"]")), 2);
	json_object *e1 = json_object_array_get_idx(errors, 0), *e2 = json_object_array_get_idx(errors, 1);
	json_object *f, *m;
	ck_assert(json_object_object_get_ex(e1, "field", &f));
	ck_assert_str_eq(json_object_get_string(f), "images.1");
	ck_assert(json_object_object_get_ex(e1, "message", &m));
	ck_assert_msg(strstr(json_object_get_string(m), "must be a string") != NULL, "%s",
	    json_object_get_string(m));
	ck_assert(json_object_object_get_ex(e2, "field", &f));
	ck_assert_str_eq(json_object_get_string(f), "images.2");
	ck_assert(json_object_object_get_ex(e2, "message", &m));
	ck_assert_msg(strstr(json_object_get_string(m), "is not allowed to be empty") != NULL, "%s",
	    json_object_get_string(m));
	ASSERT_ONE(profile_fields, P("\"images\":[\"a\",\"b\",\"c\",\"d\"]"), "images",
	    "\"images\" must contain less than or equal to 3 items");
	ck_assert_int_eq(run(profile_fields,
	    P("\"images\":[\"aaaaaaaaaaaaaaaaaaaaa\",null]")), 2);   /* 21 > 20 */
	ck_assert_msg(strstr(errors_text(), "images.0") && strstr(errors_text(), "images.1"), "%s",
	    errors_text());
}
END_TEST

/* The spec (§1.0): field "items.0.quantity", message label "items[0].quantity" — array
 * indexes in brackets in the label, with dots in the field. */
START_TEST(array_item_label_uses_brackets)
{
	ck_assert_int_eq(run(profile_fields, P("\"images\":[\"a.png\",5]")), 1);
	ASSERT_HAS("images.1", "\"images[1]\" must be a string");
}
END_TEST

/* ---- all errors at once --------------------------------------------------------- */

START_TEST(all_errors_at_once)
{
	int n = run(profile_fields, "{\"displayName\":\"a\", \"website\":\"ftp://x\", \"age\":200,"
	    " \"score\":\"high\", \"active\":\"yes\", \"settings\":{\"theme\":\"blue\",\"y\":1},"
	    " \"images\":[1], \"orgId\":\"nope\", \"bio\":\"far too long here\", \"x\":true}");
	ASSERT_HAS("email", "\"email\" is required");
	ASSERT_HAS("displayName", "\"displayName\" length must be at least 2 characters long");
	ASSERT_HAS("website", "\"website\" must be a valid uri");
	ASSERT_HAS("age", "\"age\" must be less than or equal to 120");
	ASSERT_HAS("score", "\"score\" must be a number");
	ASSERT_HAS("active", "\"active\" must be a boolean");
	ASSERT_HAS("settings.theme", "\"settings.theme\" must be one of [light, dark]");
	ASSERT_HAS("settings.y", "\"settings.y\" is not allowed");
	ASSERT_HAS("orgId", "\"orgId\" must be a valid GUID");
	ASSERT_HAS("bio", "\"bio\" length must be less than or equal to 10 characters long");
	ASSERT_HAS("x", "\"x\" is not allowed");
	ck_assert_msg(strstr(errors_text(), "\"images.0\"") != NULL, "%s", errors_text());
	ck_assert_msg(n == 12, "want 12 errors, got %d: %s", n, errors_text());
	/* one error per field: a field with several problems reports the first */
	ASSERT_ONE(profile_fields, P("\"displayName\":5"), "displayName",
	    "\"displayName\" must be a string");
}
END_TEST

START_TEST(validate_error_shape)
{
	validate_error(errors, "a.b", "\"a.b\" is wrong");
	ck_assert_uint_eq(json_object_array_length(errors), 1);
	ck_assert_str_eq(errors_text(), "[{\"field\":\"a.b\",\"message\":\"\\\"a.b\\\" is wrong\"}]");
	ck_assert_uint_eq(utf16_length("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", 10), 5);
	ck_assert_uint_eq(utf16_length("", 0), 0);
}
END_TEST

static Suite *
validate_suite(void)
{
	Suite *s = suite_create("validate");
	TCase *tc = tcase_create("validate");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, valid_full_body);
	tcase_add_test(tc, absent_optional_fields);
	tcase_add_test(tc, required_missing);
	tcase_add_test(tc, wrong_types);
	tcase_add_test(tc, body_not_an_object);
	tcase_add_test(tc, empty_strings);
	tcase_add_test(tc, lengths_in_utf16_units);
	tcase_add_test(tc, trim_before_checks);
	tcase_add_test(tc, embedded_nul_rejected);
	tcase_add_test(tc, email_rules);
	tcase_add_test(tc, uri_rules);
	tcase_add_test(tc, uuid_rule);
	tcase_add_test(tc, enum_rule);
	tcase_add_test(tc, custom_check);
	tcase_add_test(tc, integer_ranges);
	tcase_add_test(tc, number_ranges);
	tcase_add_test(tc, nested_object);
	tcase_add_test(tc, unknown_keys);
	tcase_add_test(tc, array_items);
	tcase_add_test(tc, array_item_label_uses_brackets);
	tcase_add_test(tc, all_errors_at_once);
	tcase_add_test(tc, validate_error_shape);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(validate_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
