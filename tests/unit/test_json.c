/*
 * test_json.c — lib/jsonscan.c: json_scan accepts exactly RFC 8259 documents (UTF-8 checked,
 * depth <= 16, int64 range, finite numbers, no \u0000) and json_parse_strict builds the
 * right json-c values. Inputs carry explicit lengths so they may contain NUL bytes.
 * lib/util.c json_compact drops the white space between tokens and nothing in strings.
 */
#include <check.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonscan.h"
#include "util.h"

struct doc {
	const char *s;
	size_t      len;
};
#define D(lit) { lit, sizeof(lit) - 1 }

/* Printable rendering of a test input for failure messages. */
static const char *
show(const char *s, size_t n)
{
	static char buf[256];
	size_t o = 0;
	for (size_t i = 0; i < n && o + 8 < sizeof(buf); i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f)
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\x%02X", c);
	}
	if (o + 8 >= sizeof(buf))
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "...");
	buf[o] = '\0';
	return buf;
}

/* n nested containers: open/close are e.g. "[" "]" or "{\"k\":" "}" around a 1 */
static char *
nested(int n, const char *open, const char *close)
{
	size_t cap = (size_t)n * (strlen(open) + strlen(close)) + 2;
	char *s = malloc(cap);
	ck_assert_ptr_nonnull(s);
	size_t o = 0, lo = strlen(open), lc = strlen(close);
	for (int i = 0; i < n; i++, o += lo)
		memcpy(s + o, open, lo);
	s[o++] = '1';
	for (int i = 0; i < n; i++, o += lc)
		memcpy(s + o, close, lc);
	s[o] = '\0';
	return s;
}

/* ---- valid documents ------------------------------------------------------------ */

static const struct doc valid_docs[] = {
	D("{}"), D("[]"), D("{ }"), D("[ ]"),
	D("0"), D("-0"), D("1"), D("-1"), D("123"), D("1.5"), D("-1.5e10"), D("1E+2"),
	D("1e-2"), D("0.0"), D("0e0"), D("-0.0"), D("1e299"), D("1e-299"),
	D("9223372036854775807"), D("-9223372036854775808"),
	D("true"), D("false"), D("null"),
	D("\"\""), D("\"abc\""),
	D("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\""),
	D("\"\\u0041\\u00e9\\u00E9\\uD83D\\uDE00\\uFFFF\""),
	D("\"\xC2\x80 \xC3\xA9 \xE0\xA0\x80 \xEF\xBF\xBF \xF0\x90\x80\x80 \xF4\x8F\xBF\xBF\""),
	D("\"\xF0\x9F\x98\x80\""),
	D("\"\x7F\""),
	D(" \t\r\n{\"a\" : [1, 2, {\"b\": null}], \"c\":\"d\"} \n"),
	D("{\"\":\"\"}"),
	D("{\"a\":1,\"a\":2}"),
	D("[1,[2,[3,[4]]]]"),
	D("[{\"a\":[{}]},[],\"x\",true,false,null,-0.5]"),
	D("{\"k\xC3\xA9y\":\"v\"}"),
};

START_TEST(scan_valid)
{
	const struct doc *d = &valid_docs[_i];
	const char *why = NULL;
	size_t at = 0;
	int r = json_scan(d->s, d->len, &why, &at);
	ck_assert_msg(r == 0, "json_scan rejected valid `%s`: %s at %zu", show(d->s, d->len),
	    why ? why : "(null)", at);
}
END_TEST

/* json_parse_strict must build a tree for every document json_scan accepts. Scalars are
 * wrapped in [ ] here so that json-c itself is checked; bare top-level scalars are
 * parse_top_level_scalars' business. */
START_TEST(parse_valid)
{
	const struct doc *d = &valid_docs[_i];
	const char *why = NULL;
	size_t at = 0, k = strspn(d->s, " \t\r\n");
	char *buf = malloc(d->len + 3);
	ck_assert_ptr_nonnull(buf);
	size_t n = d->len;
	if (d->s[k] == '{' || d->s[k] == '[')
		memcpy(buf, d->s, n);
	else {
		buf[0] = '[';
		memcpy(buf + 1, d->s, n);
		buf[n + 1] = ']';
		n += 2;
	}
	json_object *o = json_parse_strict(buf, n, &why, &at);
	ck_assert_msg(o != NULL, "json_parse_strict rejected valid `%s`: %s at %zu",
	    show(buf, n), why ? why : "(null)", at);
	json_object_put(o);
	free(buf);
}
END_TEST

START_TEST(scan_depth_16_ok)
{
	static const char *opens[] = { "[", "{\"k\":", "[{\"k\":" }, *closes[] = { "]", "}", "}]" };
	static const int depth[] = { 16, 16, 8 };   /* the third nests two per step */
	for (int k = 0; k < 3; k++) {
		char *s = nested(depth[k], opens[k], closes[k]);
		const char *why = NULL;
		size_t at = 0;
		ck_assert_msg(json_scan(s, strlen(s), &why, &at) == 0, "depth 16 rejected: %s (%s)",
		    show(s, strlen(s)), why ? why : "(null)");
		json_object *o = json_parse_strict(s, strlen(s), &why, &at);
		ck_assert_msg(o != NULL, "json_parse_strict rejected depth 16: %s", why ? why : "");
		json_object_put(o);
		free(s);
	}
}
END_TEST

START_TEST(scan_depth_17_rejected)
{
	static const char *opens[] = { "[", "{\"k\":" }, *closes[] = { "]", "}" };
	for (int k = 0; k < 2; k++) {
		char *s = nested(17, opens[k], closes[k]);
		const char *why = NULL;
		size_t at = 0;
		ck_assert_int_eq(json_scan(s, strlen(s), &why, &at), -1);
		ck_assert_str_eq(why, "nesting too deep");
		ck_assert_ptr_null(json_parse_strict(s, strlen(s), &why, &at));
		free(s);
	}
	/* mixed: 16 arrays then one object */
	char *s = nested(16, "[", "]");
	char *t = malloc(strlen(s) + 16);
	ck_assert_ptr_nonnull(t);
	/* replace the inner 1 by {} */
	char *one = strchr(s, '1');
	sprintf(t, "%.*s{}%s", (int)(one - s), s, one + 1);
	ck_assert_int_eq(json_scan(t, strlen(t), NULL, NULL), -1);
	free(s);
	free(t);
	/* very deep input must not overflow anything */
	char *deep = nested(100000, "[", "]");
	ck_assert_int_eq(json_scan(deep, strlen(deep), NULL, NULL), -1);
	free(deep);
}
END_TEST

/* ---- rejected documents --------------------------------------------------------- */

static const struct doc invalid_docs[] = {
	/* empty */
	D(""), D(" "), D(" \t\r\n "),
	/* trailing garbage */
	D("{} x"), D("1 2"), D("{}}"), D("[]]"), D("\"a\"\"b\""), D("{}{}"), D("null x"),
	D("1\0"), D("{}\0"),
	/* trailing commas and stray commas */
	D("{\"a\":1,}"), D("[1,]"), D("[1, ]"), D("[,]"), D("[,1]"), D("[1,,2]"), D("{,}"),
	D("{\"a\":1,,\"b\":2}"),
	/* single quotes */
	D("'a'"), D("{'a':1}"), D("{\"a\":'b'}"), D("['a']"),
	/* NaN, Infinity and other non-JSON tokens */
	D("NaN"), D("nan"), D("Infinity"), D("-Infinity"), D("[NaN]"), D("{\"a\":Infinity}"),
	D("undefined"), D("True"), D("NULL"), D("tru"), D("nul"), D("fals"), D("truex"),
	/* numbers */
	D("01"), D("-01"), D("00"), D("[01]"), D("+1"), D("[+1]"), D(".5"), D("-.5"), D("1."),
	D("1.e5"), D("-"), D("1e"), D("1e+"), D("1E-"), D("0x10"), D("1_000"), D("- 1"),
	/* numbers out of range */
	D("9223372036854775808"), D("18446744073709551616"), D("-9223372036854775809"),
	D("99999999999999999999"), D("[9223372036854775808]"), D("1e400"), D("-1e400"),
	D("[1e400]"), D("1.7976931348623157e309"),
	/* structure */
	D("["), D("{"), D("]"), D("}"), D("[1"), D("{\"a\":1"), D("{\"a\"}"), D("{\"a\" 1}"),
	D("{1:2}"), D("{\"a\":}"), D("{a:1}"), D("[1 2]"), D("{\"a\":1 \"b\":2}"), D(":"),
	D("/* c */ {}"), D("// c\n1"), D("{} // c"),
	/* whitespace that JSON does not allow */
	D("\f1"), D("\v1"), D("\xC2\xA0" "1"), D("\xEF\xBB\xBF{}"),
	/* unterminated strings */
	D("\""), D("\"abc"), D("\"abc\\\""), D("[\"a"), D("{\"a"), D("\"\\"),
	/* raw control characters in strings */
	D("\"a\x01" "b\""), D("\"a\nb\""), D("\"a\tb\""), D("\"a\rb\""), D("\"\x1F\""),
	D("\"a\0b\""), D("{\"a\nb\":1}"),
	/* invalid escapes */
	D("\"\\x41\""), D("\"\\a\""), D("\"\\'\""), D("\"\\U0041\""), D("\"\\u12\""),
	D("\"\\u12G4\""), D("\"\\u\""), D("\"\\0\""), D("\"\\ \""), D("\"\\\0\""),
	/* invalid UTF-8 */
	D("\"\x80\""), D("\"\xBF\""), D("\"\xC3\x28\""), D("\"\xC3\""), D("\"\xE2\x82\""),
	D("\"\xE2\x28\xA1\""), D("\"\xF0\x9F\x98\""), D("\"\xF0\x28\x8C\xBC\""),
	D("\"\xC0\x80\""), D("\"\xC1\xBF\""), D("\"\xE0\x80\x80\""), D("\"\xE0\x9F\xBF\""),
	D("\"\xF0\x80\x80\x80\""), D("\"\xF0\x8F\xBF\xBF\""),
	D("\"\xED\xA0\x80\""), D("\"\xED\xBF\xBF\""), D("\"\xED\xA0\xBD\xED\xB8\x80\""),
	D("\"\xF4\x90\x80\x80\""), D("\"\xF5\x80\x80\x80\""), D("\"\xF8\x88\x80\x80\x80\""),
	D("\"\xFE\""), D("\"\xFF\""), D("{\"\xC0\x80\":1}"), D("\xC3\xA9"),
	/* lone or unpaired surrogate escapes */
	D("\"\\uD800\""), D("\"\\uDBFF\""), D("\"\\uDC00\""), D("\"\\uDFFF\""),
	D("\"\\uD800\\u0041\""), D("\"\\uD800x\""), D("\"\\uDC00\\uD800\""),
	D("\"\\uD83D\\uD83D\""), D("\"\\uD83D\\n\""), D("\"\\uD83D\\uDE0\""), D("\"\\uD83D\\\""),
	D("{\"\\uD800\":1}"),
	/* \u0000 */
	D("\"\\u0000\""), D("\"a\\u0000b\""), D("{\"\\u0000\":1}"),
};

START_TEST(scan_invalid)
{
	const struct doc *d = &invalid_docs[_i];
	const char *why = NULL;
	size_t at = (size_t)-1;
	int r = json_scan(d->s, d->len, &why, &at);
	ck_assert_msg(r == -1, "json_scan accepted invalid `%s`", show(d->s, d->len));
	ck_assert_msg(why != NULL && *why != '\0', "no reason for `%s`", show(d->s, d->len));
	ck_assert_msg(at <= d->len, "offset %zu beyond length %zu for `%s`", at, d->len,
	    show(d->s, d->len));
	/* the NULL out-parameters are optional */
	ck_assert_int_eq(json_scan(d->s, d->len, NULL, NULL), -1);
	why = NULL;
	json_object *o = json_parse_strict(d->s, d->len, &why, &at);
	ck_assert_msg(o == NULL && why != NULL, "json_parse_strict accepted `%s`",
	    show(d->s, d->len));
}
END_TEST

/* A finite-looking number whose value is not finite as a double must be refused, since
 * json_scan promises finite numbers (json-c would store inf). */
START_TEST(scan_huge_mantissa_rejected)
{
	char s[400] = "[1";
	for (int i = 0; i < 150; i++)
		strcat(s, "0");
	strcat(s, "e299]");   /* 1e449 */
	const char *why = NULL;
	size_t at = 0;
	json_object *o = json_parse_strict(s, strlen(s), &why, &at);
	if (o != NULL) {
		double d = json_object_get_double(json_object_array_get_idx(o, 0));
		json_object_put(o);
		ck_abort_msg("1e449 written as 1 followed by 150 zeros e299 accepted, value %g", d);
	}
	ck_assert_int_eq(json_scan(s + 1, strlen(s) - 2, NULL, NULL), -1);
}
END_TEST

START_TEST(scan_reasons)
{
	static const struct { struct doc d; const char *why; } cases[] = {
		{ D(""), "empty body" },
		{ D("   "), "empty body" },
		{ D("{} x"), "unexpected data after the JSON value" },
		{ D("9223372036854775808"), "number out of range" },
		{ D("1e400"), "number out of range" },
		{ D("\"\\u0000\""), "\\u0000 is not allowed in strings" },
		{ D("\"\\uD800\""), "unpaired surrogate in string" },
		{ D("\"\xC0\x80\""), "invalid UTF-8" },
		{ D("\"abc"), "unterminated string" },
		{ D("\"\\q\""), "invalid escape in string" },
		{ D("\"\x01\""), "control character in string" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *why = NULL;
		ck_assert_int_eq(json_scan(cases[i].d.s, cases[i].d.len, &why, NULL), -1);
		ck_assert_msg(why && strcmp(why, cases[i].why) == 0, "`%s`: reason \"%s\", want \"%s\"",
		    show(cases[i].d.s, cases[i].d.len), why ? why : "(null)", cases[i].why);
	}
	/* offsets point at the problem */
	size_t at = 0;
	ck_assert_int_eq(json_scan("{} x", 4, NULL, &at), -1);
	ck_assert_uint_eq(at, 3);
	ck_assert_int_eq(json_scan("[1,]", 4, NULL, &at), -1);
	ck_assert_uint_eq(at, 3);
}
END_TEST

/* The scanner honours the length and never reads past it. */
START_TEST(scan_uses_length)
{
	char *buf = malloc(4);
	ck_assert_ptr_nonnull(buf);
	memcpy(buf, "[1]x", 4);   /* not NUL-terminated */
	ck_assert_int_eq(json_scan(buf, 3, NULL, NULL), 0);
	ck_assert_int_eq(json_scan(buf, 4, NULL, NULL), -1);
	ck_assert_int_eq(json_scan(buf, 2, NULL, NULL), -1);
	memcpy(buf, "\"\\u0", 4);
	ck_assert_int_eq(json_scan(buf, 4, NULL, NULL), -1);
	memcpy(buf, "\"\xF0\x9F\x98", 4);
	ck_assert_int_eq(json_scan(buf, 4, NULL, NULL), -1);
	free(buf);
}
END_TEST

/* ---- values built by json_parse_strict ------------------------------------------ */

static json_object *
parse(const char *s)
{
	const char *why = NULL;
	size_t at = 0;
	json_object *o = json_parse_strict(s, strlen(s), &why, &at);
	ck_assert_msg(o != NULL, "json_parse_strict(`%s`) failed: %s at %zu", show(s, strlen(s)),
	    why ? why : "(null)", at);
	return o;
}

/* Top-level scalars are valid JSON documents (RFC 8259); json-c needs to be told the
 * input ended, or it reports json_tokener_continue for a bare number or literal. */
START_TEST(parse_top_level_scalars)
{
	json_object *o = parse("42");
	ck_assert(json_object_is_type(o, json_type_int));
	ck_assert_int_eq(json_object_get_int64(o), 42);
	json_object_put(o);
	o = parse("-1.5");
	ck_assert(json_object_is_type(o, json_type_double));
	ck_assert(json_object_get_double(o) == -1.5);
	json_object_put(o);
	o = parse("true");
	ck_assert(json_object_is_type(o, json_type_boolean));
	ck_assert(json_object_get_boolean(o));
	json_object_put(o);
	o = parse("\"x\"");
	ck_assert_str_eq(json_object_get_string(o), "x");
	json_object_put(o);
	const char *why = "unset";
	ck_assert_ptr_null(json_parse_strict("null", 4, &why, NULL));
	ck_assert_msg(why == NULL, "`null` gives why=\"%s\", want NULL (a valid JSON null)", why);
}
END_TEST

START_TEST(parse_int64_bounds)
{
	json_object *o = parse("[9223372036854775807, -9223372036854775808, 0, -0, 1e2, 2.5]");
	ck_assert_uint_eq(json_object_array_length(o), 6);
	json_object *max = json_object_array_get_idx(o, 0), *min = json_object_array_get_idx(o, 1);
	ck_assert(json_object_is_type(max, json_type_int));
	ck_assert(json_object_is_type(min, json_type_int));
	ck_assert(json_object_get_int64(max) == INT64_MAX);
	ck_assert(json_object_get_int64(min) == INT64_MIN);
	ck_assert(json_object_is_type(json_object_array_get_idx(o, 2), json_type_int));
	ck_assert(json_object_get_int64(json_object_array_get_idx(o, 3)) == 0);
	json_object *e = json_object_array_get_idx(o, 4);
	ck_assert(json_object_is_type(e, json_type_double));
	ck_assert(json_object_get_double(e) == 100.0);
	ck_assert(json_object_get_double(json_object_array_get_idx(o, 5)) == 2.5);
	json_object_put(o);
}
END_TEST

START_TEST(parse_strings)
{
	json_object *o = parse("[\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\", \"\\u00e9\\uD83D\\uDE00\\u20AC\","
	    " \"\xC3\xA9\xF0\x9F\x98\x80\xE2\x82\xAC\", \"\"]");
	json_object *s0 = json_object_array_get_idx(o, 0), *s1 = json_object_array_get_idx(o, 1),
	    *s2 = json_object_array_get_idx(o, 2), *s3 = json_object_array_get_idx(o, 3);
	static const char want0[] = "a\"b\\c/d\b\f\n\r\t";
	static const char want1[] = "\xC3\xA9\xF0\x9F\x98\x80\xE2\x82\xAC";
	ck_assert_int_eq(json_object_get_string_len(s0), sizeof(want0) - 1);
	ck_assert_mem_eq(json_object_get_string(s0), want0, sizeof(want0) - 1);
	ck_assert_int_eq(json_object_get_string_len(s1), sizeof(want1) - 1);
	ck_assert_mem_eq(json_object_get_string(s1), want1, sizeof(want1) - 1);
	ck_assert_int_eq(json_object_get_string_len(s2), sizeof(want1) - 1);
	ck_assert_mem_eq(json_object_get_string(s2), want1, sizeof(want1) - 1);
	ck_assert_int_eq(json_object_get_string_len(s3), 0);
	json_object_put(o);
}
END_TEST

START_TEST(parse_nested)
{
	json_object *o = parse(" {\"a\": {\"b\": [1, 2.5, \"x\", true, false, null, {}]},"
	    " \"c\": \"d\", \"n\": -7} ");
	ck_assert(json_object_is_type(o, json_type_object));
	json_object *a, *b, *c, *n, *e;
	ck_assert(json_object_object_get_ex(o, "a", &a));
	ck_assert(json_object_object_get_ex(a, "b", &b));
	ck_assert(json_object_is_type(b, json_type_array));
	ck_assert_uint_eq(json_object_array_length(b), 7);
	ck_assert_int_eq(json_object_get_int64(json_object_array_get_idx(b, 0)), 1);
	ck_assert(json_object_get_double(json_object_array_get_idx(b, 1)) == 2.5);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(b, 2)), "x");
	e = json_object_array_get_idx(b, 3);
	ck_assert(json_object_is_type(e, json_type_boolean) && json_object_get_boolean(e));
	e = json_object_array_get_idx(b, 4);
	ck_assert(json_object_is_type(e, json_type_boolean) && !json_object_get_boolean(e));
	ck_assert_ptr_null(json_object_array_get_idx(b, 5));
	ck_assert(json_object_is_type(json_object_array_get_idx(b, 6), json_type_object));
	ck_assert(json_object_object_get_ex(o, "c", &c));
	ck_assert_str_eq(json_object_get_string(c), "d");
	ck_assert(json_object_object_get_ex(o, "n", &n));
	ck_assert(json_object_is_type(n, json_type_int));
	ck_assert_int_eq(json_object_get_int64(n), -7);
	json_object_put(o);
}
END_TEST

START_TEST(parse_duplicate_keys_last_wins)
{
	json_object *o = parse("{\"a\":1,\"a\":2}"), *a;
	ck_assert(json_object_object_get_ex(o, "a", &a));
	ck_assert_int_eq(json_object_get_int64(a), 2);
	ck_assert_int_eq(json_object_object_length(o), 1);
	json_object_put(o);
}
END_TEST

/* json_compact: PostgreSQL's jsonb text, white space inside strings (and escaped quotes
 * before it) kept, the result still the same document. */
START_TEST(compact_keeps_strings)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "{\"a\": 1, \"b\": [1, 2, {\"c\": null}]}", "{\"a\":1,\"b\":[1,2,{\"c\":null}]}" },
		{ "{\"t\": \"two  words, \\\" quoted: yes \\\\\", \"u\": \" \"}",
		  "{\"t\":\"two  words, \\\" quoted: yes \\\\\",\"u\":\" \"}" },
		{ " [ true ,\n\tfalse ]\r\n", "[true,false]" },
		{ "\"\"", "\"\"" },
		{ "", "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[256];
		snprintf(buf, sizeof(buf), "%s", cases[i].in);
		size_t n = json_compact(buf);
		ck_assert_str_eq(buf, cases[i].out);
		ck_assert_uint_eq(n, strlen(cases[i].out));
		if (n > 0) {
			const char *why = NULL;
			size_t at = 0;
			json_object *o = json_parse_strict(buf, n, &why, &at);
			ck_assert_msg(o != NULL, "compacted %s does not parse: %s", buf, why);
			json_object_put(o);
		}
	}
}
END_TEST

static Suite *
json_suite(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("scan");
	tcase_add_loop_test(tc, scan_valid, 0, (int)(sizeof(valid_docs) / sizeof(valid_docs[0])));
	tcase_add_loop_test(tc, scan_invalid, 0,
	    (int)(sizeof(invalid_docs) / sizeof(invalid_docs[0])));
	tcase_add_test(tc, scan_depth_16_ok);
	tcase_add_test(tc, scan_depth_17_rejected);
	tcase_add_test(tc, scan_huge_mantissa_rejected);
	tcase_add_test(tc, scan_reasons);
	tcase_add_test(tc, scan_uses_length);
	suite_add_tcase(s, tc);
	tc = tcase_create("parse");
	tcase_add_loop_test(tc, parse_valid, 0, (int)(sizeof(valid_docs) / sizeof(valid_docs[0])));
	tcase_add_test(tc, parse_top_level_scalars);
	tcase_add_test(tc, parse_int64_bounds);
	tcase_add_test(tc, parse_strings);
	tcase_add_test(tc, parse_nested);
	tcase_add_test(tc, parse_duplicate_keys_last_wins);
	tcase_add_test(tc, compact_keeps_strings);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(json_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
