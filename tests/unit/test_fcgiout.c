/*
 * test_fcgiout.c — fcgi-app/fcgiout.c against libfcgi over a real unix socket: this test
 * is the web server (it sends BEGIN_REQUEST, PARAMS and STDIN, then reads the answer's
 * records). Whatever the size — nothing, one byte, exactly FCGIOUT_MAX, one byte more,
 * 100 kB in many pieces — the FCGI_STDOUT records carry exactly the bytes emitted, in
 * order, then one empty FCGI_STDOUT and one FCGI_END_REQUEST (complete, status 0), and
 * nothing else follows before the connection ends. Answers that fit are one write.
 */
#include <check.h>
#include <fcgiapp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fcgiout.h"

static char sock_path[108];
static int listen_fd = -1;

static void
setup(void)
{
	ck_assert_int_eq(FCGX_Init(), 0);
	snprintf(sock_path, sizeof(sock_path), "/tmp/test_fcgiout.%d.sock", (int)getpid());
	unlink(sock_path);
	listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(listen_fd, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	strcpy(a.sun_path, sock_path);
	ck_assert_int_eq(bind(listen_fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(listen_fd, 4), 0);
}

static void
teardown(void)
{
	close(listen_fd);
	unlink(sock_path);
}

static void
put_record(unsigned char *buf, size_t *n, int type, int id, const void *content, size_t len)
{
	unsigned char h[8] = { 1, (unsigned char)type, (unsigned char)(id >> 8),
	    (unsigned char)id, (unsigned char)(len >> 8), (unsigned char)len, 0, 0 };
	memcpy(buf + *n, h, 8);
	memcpy(buf + *n + 8, content, len);
	*n += 8 + len;
}

/* Connects as the web server and sends a whole GET request with request id `id`. */
static int
web_server_sends(int id)
{
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(c, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	strcpy(a.sun_path, sock_path);
	ck_assert_int_eq(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
	unsigned char buf[256];
	size_t n = 0;
	const unsigned char begin[8] = { 0, 1, 0, 0, 0, 0, 0, 0 };        /* responder */
	const unsigned char params[] = { 14, 3, 'R', 'E', 'Q', 'U', 'E', 'S', 'T', '_', 'M',
	    'E', 'T', 'H', 'O', 'D', 'G', 'E', 'T' };
	put_record(buf, &n, 1, id, begin, sizeof(begin));
	put_record(buf, &n, 4, id, params, sizeof(params));
	put_record(buf, &n, 4, id, "", 0);
	put_record(buf, &n, 5, id, "", 0);
	ck_assert_int_eq(write(c, buf, n), (ssize_t)n);
	shutdown(c, SHUT_WR);   /* the worker's lingering close then sees the end at once */
	return c;
}

struct answer {
	unsigned char *stdout_bytes;
	size_t stdout_len;
	int stdout_records, empty_stdout, end_requests, others, id_mismatch;
	unsigned char end_body[8];
	size_t after_end;       /* bytes that came after FCGI_END_REQUEST */
};

static void
read_answer(int c, int id, struct answer *a)
{
	size_t cap = 1 << 20, n = 0;
	unsigned char *raw = malloc(cap);
	ck_assert_ptr_nonnull(raw);
	for (;;) {
		ssize_t k = read(c, raw + n, cap - n);
		ck_assert_int_ge(k, 0);
		if (k == 0)
			break;
		n += (size_t)k;
		ck_assert_uint_lt(n, cap);
	}
	memset(a, 0, sizeof(*a));
	a->stdout_bytes = malloc(n + 1);
	size_t p = 0;
	bool ended = false;
	while (p + 8 <= n) {
		const unsigned char *h = raw + p;
		size_t len = (size_t)h[4] << 8 | h[5], pad = h[6];
		ck_assert_uint_le(p + 8 + len + pad, n);
		if (ended)
			a->after_end += 8 + len + pad;
		if ((h[2] << 8 | h[3]) != id)
			a->id_mismatch++;
		if (h[1] == 6 && len == 0) {
			a->empty_stdout++;
		} else if (h[1] == 6) {
			a->stdout_records++;
			memcpy(a->stdout_bytes + a->stdout_len, h + 8, len);
			a->stdout_len += len;
		} else if (h[1] == 3 && len == 8) {
			a->end_requests++;
			memcpy(a->end_body, h + 8, 8);
			ended = true;
		} else {
			a->others++;
		}
		p += 8 + len + pad;
	}
	ck_assert_uint_eq(p, n);        /* no partial record at the end */
	free(raw);
}

/* Serves one request whose answer is `len` bytes emitted in pieces of `piece` bytes, and
 * checks what the web server received. */
static void
round_trip(size_t len, size_t piece, int id)
{
	unsigned char *want = malloc(len + 1);
	for (size_t i = 0; i < len; i++)
		want[i] = (unsigned char)('a' + (i * 7 + i / 13) % 26);
	int c = web_server_sends(id);
	FCGX_Request fr;
	ck_assert_int_eq(FCGX_InitRequest(&fr, listen_fd, 0), 0);
	ck_assert_int_eq(FCGX_Accept_r(&fr), 0);
	ck_assert_str_eq(FCGX_GetParam("REQUEST_METHOD", fr.envp), "GET");
	struct fcgi_out o;
	fcgiout_start(&o, &fr);
	for (size_t at = 0; at < len; at += piece)
		fcgiout_emit(&o, (const char *)want + at, len - at < piece ? len - at : piece);
	ck_assert_int_eq(fcgiout_finish(&o), 0);
	FCGX_Finish_r(&fr);

	struct answer a;
	read_answer(c, id, &a);
	close(c);
	ck_assert_uint_eq(a.stdout_len, len);
	ck_assert_int_eq(memcmp(a.stdout_bytes, want, len), 0);
	ck_assert_int_eq(a.empty_stdout, 1);
	ck_assert_int_eq(a.end_requests, 1);
	ck_assert_int_eq(a.others, 0);
	ck_assert_int_eq(a.id_mismatch, 0);
	ck_assert_uint_eq(a.after_end, 0);
	const unsigned char complete[8] = { 0 };        /* status 0, FCGI_REQUEST_COMPLETE */
	ck_assert_int_eq(memcmp(a.end_body, complete, 8), 0);
	if (len > 0 && len <= FCGIOUT_MAX)
		ck_assert_int_eq(a.stdout_records, 1);  /* gathered: one record */
	free(a.stdout_bytes);
	free(want);
}

START_TEST(nothing_emitted)
{
	round_trip(0, 1, 1);
}
END_TEST

START_TEST(one_byte)
{
	round_trip(1, 1, 2);
}
END_TEST

START_TEST(a_list_in_pieces)
{
	round_trip(13672, 300, 3);       /* a 20-webtoon list: headers, then the body */
}
END_TEST

START_TEST(exactly_the_largest_gathered)
{
	round_trip(FCGIOUT_MAX, FCGIOUT_MAX, 4);
}
END_TEST

START_TEST(one_byte_over_goes_to_libfcgi)
{
	round_trip(FCGIOUT_MAX + 1, 1000, 5);
}
END_TEST

START_TEST(large_answer_in_one_piece_after_headers)
{
	round_trip(100000, 70000, 258);  /* a request id above 255 */
}
END_TEST

START_TEST(frame_pads_to_eight)
{
	unsigned char buf[FCGIOUT_MAX + 40];
	memset(buf, 0xee, sizeof(buf));
	size_t n = fcgiout_frame(buf, 0x1234, 13);
	/* 8 header + 13 content + 3 padding + 8 + 16 */
	ck_assert_uint_eq(n, 48);
	ck_assert_int_eq(buf[6], 3);
	ck_assert_int_eq(buf[2], 0x12);
	ck_assert_int_eq(buf[3], 0x34);
	ck_assert_int_eq(buf[21] | buf[22] | buf[23], 0);
	ck_assert_int_eq(buf[24 + 1], 6);
	ck_assert_int_eq(buf[24 + 5], 0);
	ck_assert_int_eq(buf[32 + 1], 3);
	ck_assert_int_eq(buf[32 + 5], 8);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("fcgiout");
	TCase *tc = tcase_create("fcgiout");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, nothing_emitted);
	tcase_add_test(tc, one_byte);
	tcase_add_test(tc, a_list_in_pieces);
	tcase_add_test(tc, exactly_the_largest_gathered);
	tcase_add_test(tc, one_byte_over_goes_to_libfcgi);
	tcase_add_test(tc, large_answer_in_one_piece_after_headers);
	tcase_add_test(tc, frame_pads_to_eight);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
