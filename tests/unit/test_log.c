/*
 * test_log.c — lib/log.c: every line is one JSON object (parsed back with the strict
 * parser) ending in a newline, with time, level, program, pid, requestId and msg first;
 * strings with quotes, backslashes, control characters and bytes that are not UTF-8 come
 * out as valid JSON in valid UTF-8; a line too long keeps its whole fields and says
 * "truncated"; log_json's json-c fields come out as the same values.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jsonscan.h"
#include "log.h"

static int saved_stderr = -1, pipe_rd = -1;

static void
capture_start(void)
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	saved_stderr = dup(STDERR_FILENO);
	ck_assert_int_ge(saved_stderr, 0);
	ck_assert_int_ge(dup2(p[1], STDERR_FILENO), 0);
	close(p[1]);
	pipe_rd = p[0];
}

/* What was written since capture_start (malloc'd, NUL-terminated). */
static char *
capture_end(size_t *len)
{
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap + 1);
	ck_assert_ptr_nonnull(buf);
	ssize_t r;
	while ((r = read(pipe_rd, buf + n, cap - n)) > 0)
		n += (size_t)r;
	close(pipe_rd);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* The one line written: parsed, with its newline checked. */
static json_object *
one_line(const char *s, size_t n)
{
	ck_assert_uint_gt(n, 1);
	ck_assert_msg(s[n - 1] == '\n', "line does not end in a newline");
	ck_assert_ptr_null(memchr(s, '\n', n - 1));
	const char *why = NULL;
	size_t at = 0;
	json_object *o = json_parse_strict(s, n - 1, &why, &at);
	ck_assert_msg(o != NULL, "not JSON (%s at %zu): %s", why ? why : "?", at, s);
	return o;
}

static const char *
str(json_object *o, const char *k)
{
	json_object *v;
	ck_assert_msg(json_object_object_get_ex(o, k, &v), "no %s", k);
	return json_object_get_string(v);
}

START_TEST(request_line_fields_and_order)
{
	log_set_program("unit");
	log_set_request("abc123");
	capture_start();
	struct logline l;
	logline_begin(&l, LOG_INFO, "request");
	logline_str(&l, "path", "/api/x");
	logline_int(&l, "status", 404);
	logline_raw(&l, "durationMs", "0.125");
	logline_str(&l, "org", NULL);
	logline_end(&l);
	size_t n;
	char *s = capture_end(&n);
	ck_assert_msg(strncmp(s, "{\"time\":\"", 9) == 0, "starts: %s", s);
	ck_assert_ptr_nonnull(strstr(s, "\"level\":\"info\",\"program\":\"unit\",\"pid\":"));
	json_object *o = one_line(s, n);
	ck_assert_str_eq(str(o, "requestId"), "abc123");
	ck_assert_str_eq(str(o, "msg"), "request");
	ck_assert_str_eq(str(o, "path"), "/api/x");
	json_object *v;
	ck_assert(json_object_object_get_ex(o, "status", &v));
	ck_assert_int_eq(json_object_get_int(v), 404);
	ck_assert(json_object_object_get_ex(o, "pid", &v));
	ck_assert_int_eq(json_object_get_int(v), (int)getpid());
	ck_assert(json_object_object_get_ex(o, "durationMs", &v));
	ck_assert(json_object_is_type(v, json_type_double));
	ck_assert(json_object_object_get_ex(o, "org", &v));
	ck_assert_ptr_null(v);
	json_object_put(o);
	free(s);
	log_set_request(NULL);
}
END_TEST

static const struct {
	const char *in, *out;   /* out: the value parsed back */
} escapes[] = {
	{ "say \"hi\"", "say \"hi\"" },
	{ "back\\slash", "back\\slash" },
	{ "line\nbreak\ttab\r", "line\nbreak\ttab\r" },
	{ "\x01\x1f", "\x01\x1f" },
	{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" },
	{ "bad \xff byte", "bad \xef\xbf\xbd byte" },
	{ "cut \xe2\x82", "cut \xef\xbf\xbd\xef\xbf\xbd" },
	{ "overlong \xc0\xaf", "overlong \xef\xbf\xbd\xef\xbf\xbd" },
	{ "surrogate \xed\xa0\x80", "surrogate \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	{ "/slash/", "/slash/" },
};

START_TEST(strings_escaped)
{
	log_set_request(NULL);
	capture_start();
	struct logline l;
	logline_begin(&l, LOG_WARN, escapes[_i].in);
	logline_str(&l, escapes[_i].in, escapes[_i].in);
	logline_end(&l);
	size_t n;
	char *s = capture_end(&n);
	json_object *o = one_line(s, n);
	ck_assert_str_eq(str(o, "msg"), escapes[_i].out);
	ck_assert_str_eq(str(o, escapes[_i].out), escapes[_i].out);
	ck_assert_ptr_null(strstr(s, "\\/"));
	json_object_put(o);
	free(s);
}
END_TEST

START_TEST(too_long_is_truncated_whole_fields)
{
	capture_start();
	char *big = malloc(20000);
	ck_assert_ptr_nonnull(big);
	memset(big, 'x', 19999);
	big[19999] = '\0';
	struct logline l;
	logline_begin(&l, LOG_ERROR, "big");
	logline_str(&l, "first", "kept");
	logline_str(&l, "huge", big);
	logline_str(&l, "after", "kept too");
	logline_end(&l);
	size_t n;
	char *s = capture_end(&n);
	json_object *o = one_line(s, n);
	ck_assert_str_eq(str(o, "first"), "kept");
	ck_assert_str_eq(str(o, "after"), "kept too");
	json_object *v;
	ck_assert(!json_object_object_get_ex(o, "huge", &v));
	ck_assert(json_object_object_get_ex(o, "truncated", &v));
	ck_assert(json_object_get_boolean(v));
	json_object_put(o);
	free(s);
	free(big);
}
END_TEST

START_TEST(log_json_fields)
{
	capture_start();
	json_object *f = json_object_new_object();
	json_object_object_add(f, "n", json_object_new_int(7));
	json_object_object_add(f, "s", json_object_new_string("a\"b/c"));
	json_object *arr = json_object_new_array();
	json_object_array_add(arr, json_object_new_boolean(1));
	json_object_object_add(f, "a", arr);
	log_json(LOG_DEBUG, NULL, f);
	log_msg(LOG_FATAL, "count %d", 3);
	size_t n;
	char *s = capture_end(&n);
	char *nl = strchr(s, '\n');
	ck_assert_ptr_nonnull(nl);
	json_object *o = one_line(s, (size_t)(nl - s) + 1);
	ck_assert_str_eq(str(o, "level"), "debug");
	ck_assert_str_eq(str(o, "s"), "a\"b/c");
	json_object *v;
	ck_assert(json_object_object_get_ex(o, "a", &v));
	ck_assert(json_object_is_type(v, json_type_array));
	ck_assert_uint_eq(json_object_array_length(v), 1);
	ck_assert(json_object_get_boolean(json_object_array_get_idx(v, 0)));
	ck_assert(!json_object_object_get_ex(o, "msg", &v));
	ck_assert(json_object_object_get_ex(o, "n", &v));
	ck_assert_int_eq(json_object_get_int(v), 7);
	json_object_put(o);
	json_object *o2 = one_line(nl + 1, n - (size_t)(nl + 1 - s));
	ck_assert_str_eq(str(o2, "level"), "fatal");
	ck_assert_str_eq(str(o2, "msg"), "count 3");
	json_object_put(o2);
	free(s);
}
END_TEST

/* The pid is kept between lines; a child of fork() (every worker) must log its own. */
START_TEST(pid_is_the_childs_after_fork)
{
	static struct logline l;
	char want[40];
	logline_begin(&l, LOG_INFO, "parent");
	snprintf(want, sizeof(want), "\"pid\":%d,", (int)getpid());
	ck_assert_ptr_nonnull(strstr(l.buf, want));
	pid_t child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		logline_begin(&l, LOG_INFO, "child");
		snprintf(want, sizeof(want), "\"pid\":%d,", (int)getpid());
		_exit(strstr(l.buf, want) != NULL ? 0 : 1);
	}
	int st;
	ck_assert_int_eq(waitpid(child, &st, 0), child);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child logged its parent's pid");
}
END_TEST

static Suite *
log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("lines");
	tcase_add_test(tc, request_line_fields_and_order);
	tcase_add_loop_test(tc, strings_escaped, 0, (int)(sizeof(escapes) / sizeof(escapes[0])));
	tcase_add_test(tc, too_long_is_truncated_whole_fields);
	tcase_add_test(tc, log_json_fields);
	tcase_add_test(tc, pid_is_the_childs_after_fork);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(log_suite());
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
