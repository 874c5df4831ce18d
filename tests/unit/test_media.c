/*
 * test_media.c — the pieces of media uploads that need no server: the streaming multipart
 * parser (every split of a body into two chunks, one byte at a time, delimiter look-alikes
 * in the data, preamble/epilogue, padding, malformed bodies), the boundary parameter, the
 * magic-byte sniffer, the temporary file and the local store (hash, one copy per content,
 * modes, nothing left in .tmp), and the MEDIA_STORE/S3_* start-up checks.
 */
#include <check.h>
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mediastore.h"
#include "mediatype.h"
#include "multipart.h"
#include "settings.h"

/* ---- an event log of the parser's callbacks ---- */

struct events {
	char   text[1 << 16];   /* "B[name|filename|1|type]" "D..." "E" */
	size_t len;
	int    stop_at_begin;   /* return this from begin (0: go on) */
	bool   in_data;
};

static void
put(struct events *ev, const char *p, size_t n)
{
	ck_assert_msg(ev->len + n < sizeof(ev->text), "event log overflow");
	memcpy(ev->text + ev->len, p, n);
	ev->len += n;
	ev->text[ev->len] = '\0';
}

static int
ev_begin(void *ctx, const struct mp_part *pt)
{
	struct events *ev = ctx;
	char b[600];
	int n = snprintf(b, sizeof(b), "B[%s|%s|%d|%s]", pt->name, pt->filename,
	    pt->has_filename, pt->content_type);
	put(ev, b, (size_t)n);
	ev->in_data = false;
	return ev->stop_at_begin;
}

static int
ev_data(void *ctx, const char *p, size_t n)
{
	struct events *ev = ctx;
	ck_assert_uint_gt(n, 0);
	if (!ev->in_data)   /* consecutive pieces are one run: "D" + bytes */
		put(ev, "D", 1);
	ev->in_data = true;
	put(ev, p, n);
	return 0;
}

static int
ev_end(void *ctx)
{
	struct events *ev = ctx;
	put(ev, "E", 1);
	ev->in_data = false;
	return 0;
}

/* Parse body in the given chunk sizes (a 0-terminated list; the last size repeats);
 * returns mp_finish's result, or mp_feed's when it failed. */
static int
parse_chunks(const char *boundary, const char *body, size_t len, const size_t *sizes,
    struct events *ev, const char **why)
{
	struct mp_parser p;
	struct mp_handler h = { ev_begin, ev_data, ev_end, ev };
	mp_init(&p, boundary);
	size_t off = 0, k = 0;
	int rc = 0;
	while (off < len) {
		size_t n = sizes[k];
		if (sizes[k + 1] != 0)
			k++;
		if (n > len - off)
			n = len - off;
		/* feed from a heap copy of exactly this chunk, so ASan sees any over-read */
		char *c = malloc(n ? n : 1);
		memcpy(c, body + off, n);
		rc = mp_feed(&p, c, n, &h);
		free(c);
		off += n;
		if (rc != 0) {
			*why = p.error;
			return rc;
		}
	}
	rc = mp_finish(&p);
	*why = p.error;
	return rc;
}

static int
parse_whole(const char *boundary, const char *body, size_t len, struct events *ev,
    const char **why)
{
	size_t sizes[] = { len ? len : 1, 0 };
	return parse_chunks(boundary, body, len, sizes, ev, why);
}

START_TEST(multipart_two_parts)
{
	static const char body[] =
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"title\"\r\n"
	    "\r\n"
	    "hello\r\n"
	    "--XyZ\r\n"
	    "content-disposition: form-data; name=\"file\"; filename=\"a b.png\"\r\n"
	    "Content-Type:   image/png  \r\n"
	    "\r\n"
	    "\x89PNG\r\n\x1a\n\r\n--XyY\r\n-\r\r\n--X\r\n--Xy\r\n"
	    "--XyZ--\r\n";
	struct events ev = { .len = 0 };
	const char *why = NULL;
	ck_assert_int_eq(parse_whole("XyZ", body, sizeof(body) - 1, &ev, &why), 0);
	static const char want[] =
	    "B[title||0|]Dhello" "E"
	    "B[file|a b.png|1|image/png]D\x89PNG\r\n\x1a\n\r\n--XyY\r\n-\r\r\n--X\r\n--Xy" "E";
	ck_assert_uint_eq(ev.len, sizeof(want) - 1);
	ck_assert(memcmp(ev.text, want, ev.len) == 0);
}
END_TEST

/* A body with every byte value in its file part, and delimiter look-alikes. */
static char big_body[8192];
static size_t big_len;
static char big_want[8192];
static size_t big_want_len;

static void
make_big(void)
{
	char data[1400];
	size_t n = 0;
	for (int i = 0; i < 256; i++)
		data[n++] = (char)i;
	/* prefixes of the delimiter, never all of it (RFC 2046: it may not occur in a part) */
	static const char tricky[] = "\r\n--b0undarX\r\r\n\r\n-\r\n--\r\n--b0undar\r\r\n--b\r\n--b0unda";
	memcpy(data + n, tricky, sizeof(tricky) - 1);
	n += sizeof(tricky) - 1;
	for (int i = 0; i < 256; i++)
		data[n++] = (char)(255 - i);
	big_len = (size_t)snprintf(big_body, sizeof(big_body),
	    "preamble, ignored\r\n--b0undary  \t\r\n"
	    "Content-Disposition: form-data; name=\"file\"; filename=\"x.bin\"\r\n\r\n");
	memcpy(big_body + big_len, data, n);
	big_len += n;
	big_len += (size_t)snprintf(big_body + big_len, sizeof(big_body) - big_len,
	    "\r\n--b0undary\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n"
	    "\r\n--b0undary--\r\nepilogue --b0undary junk");
	big_want_len = (size_t)snprintf(big_want, sizeof(big_want), "B[file|x.bin|1|]D");
	memcpy(big_want + big_want_len, data, n);
	big_want_len += n;
	memcpy(big_want + big_want_len, "EB[note||0|]E", 13);
	big_want_len += 13;
}

static void
expect_big(struct events *ev)
{
	ck_assert_uint_eq(ev->len, big_want_len);
	ck_assert(memcmp(ev->text, big_want, big_want_len) == 0);
}

/* The body cut in two at every offset gives the same parts. */
START_TEST(multipart_split_everywhere)
{
	make_big();
	for (size_t cut = 0; cut <= big_len; cut++) {
		struct events ev = { .len = 0 };
		size_t sizes[] = { cut ? cut : big_len, big_len, 0 };
		const char *why = NULL;
		int rc = parse_chunks("b0undary", big_body, big_len, sizes, &ev, &why);
		ck_assert_msg(rc == 0, "cut at %zu: %d (%s)", cut, rc, why ? why : "");
		expect_big(&ev);
	}
}
END_TEST

START_TEST(multipart_small_chunks)
{
	make_big();
	for (size_t sz = 1; sz <= 17; sz++) {
		struct events ev = { .len = 0 };
		size_t sizes[] = { sz, 0 };
		const char *why = NULL;
		ck_assert_int_eq(parse_chunks("b0undary", big_body, big_len, sizes, &ev, &why), 0);
		expect_big(&ev);
	}
	/* uneven chunk sizes */
	struct events ev = { .len = 0 };
	size_t sizes[] = { 3, 1, 7, 2, 64, 5, 11, 1, 0 };
	const char *why = NULL;
	ck_assert_int_eq(parse_chunks("b0undary", big_body, big_len, sizes, &ev, &why), 0);
	expect_big(&ev);
}
END_TEST

/* The data callback is called with runs, not one byte at a time, when chunks are big. */
static int ndata;
static int
count_data(void *ctx, const char *p, size_t n)
{
	(void)ctx; (void)p; (void)n;
	ndata++;
	return 0;
}

START_TEST(multipart_data_in_runs)
{
	static char body[70000];
	size_t n = (size_t)snprintf(body, sizeof(body), "--q\r\nContent-Disposition: form-data; "
	    "name=\"file\"; filename=\"f\"\r\n\r\n");
	memset(body + n, 'a', 65536);
	n += 65536;
	n += (size_t)snprintf(body + n, sizeof(body) - n, "\r\n--q--");
	struct mp_parser p;
	struct mp_handler h = { NULL, count_data, NULL, NULL };
	mp_init(&p, "q");
	ndata = 0;
	ck_assert_int_eq(mp_feed(&p, body, n, &h), 0);
	ck_assert_int_eq(mp_finish(&p), 0);
	ck_assert_int_eq(ndata, 1);
}
END_TEST

START_TEST(multipart_no_parts_and_empty_part)
{
	struct events ev = { .len = 0 };
	const char *why = NULL;
	ck_assert_int_eq(parse_whole("b", "--b--", 5, &ev, &why), 0);
	ck_assert_uint_eq(ev.len, 0);
	static const char body[] = "--b\r\nContent-Disposition: form-data; name=file; "
	    "filename=\"\"\r\n\r\n\r\n--b--\r\n";
	ck_assert_int_eq(parse_whole("b", body, sizeof(body) - 1, &ev, &why), 0);
	ck_assert_str_eq(ev.text, "B[file||1|]E");
}
END_TEST

struct bad_case {
	const char *body;
	const char *why;   /* substring of p->error */
};

static const struct bad_case bad_bodies[] = {
	{ "", "no multipart boundary" },
	{ "just some bytes", "no multipart boundary" },
	{ "--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc", "before its closing" },
	{ "--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc\r\n--b", "before its closing" },
	{ "--bX\r\n\r\nabc\r\n--b--", "malformed boundary line" },
	{ "--b\rX", "malformed boundary line" },
	{ "--b -\r\n", "malformed boundary line" },
	{ "--b-x", "malformed closing boundary" },
	{ "--b\r\nNo colon here\r\n\r\n\r\n--b--", "malformed part header" },
	{ "--b\r\n: empty name\r\n\r\n\r\n--b--", "malformed part header" },
	{ "--b\r\nX-A: 1\r\n folded\r\n\r\n\r\n--b--", "folded part header" },
	{ "--b\r\nContent-Disposition: form-data; name=\"unterminated\r\n\r\n\r\n--b--",
	  "malformed Content-Disposition" },
	{ "--b\r\nContent-Disposition: form-data; name\r\n\r\n\r\n--b--",
	  "malformed Content-Disposition" },
};

START_TEST(multipart_malformed)
{
	const struct bad_case *bc = &bad_bodies[_i];
	struct events ev = { .len = 0 };
	const char *why = NULL;
	ck_assert_int_eq(parse_whole("b", bc->body, strlen(bc->body), &ev, &why), -1);
	ck_assert_msg(why != NULL && strstr(why, bc->why) != NULL, "body %d: error \"%s\", "
	    "expected \"%s\"", _i, why ? why : "(none)", bc->why);
}
END_TEST

START_TEST(multipart_header_limits)
{
	static char body[8192];
	size_t n = (size_t)snprintf(body, sizeof(body), "--b\r\nX-Long: ");
	memset(body + n, 'a', MP_LINE_MAX);
	n += MP_LINE_MAX;
	n += (size_t)snprintf(body + n, sizeof(body) - n, "\r\n\r\n\r\n--b--");
	struct events ev = { .len = 0 };
	const char *why = NULL;
	ck_assert_int_eq(parse_whole("b", body, n, &ev, &why), -1);
	ck_assert_str_eq(why, "part header line too long");

	n = (size_t)snprintf(body, sizeof(body), "--b\r\n");
	for (int i = 0; i <= MP_HEADERS_MAX; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n, "X-H%d: v\r\n", i);
	n += (size_t)snprintf(body + n, sizeof(body) - n, "\r\n\r\n--b--");
	ck_assert_int_eq(parse_whole("b", body, n, &ev, &why), -1);
	ck_assert_str_eq(why, "too many part headers");
}
END_TEST

static int
stop_data(void *ctx, const char *p, size_t n)
{
	(void)ctx; (void)p; (void)n;
	return 7;
}

START_TEST(multipart_callback_stops)
{
	static const char body[] = "--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\n"
	    "data\r\n--b--";
	struct mp_parser p;
	struct mp_handler h = { NULL, stop_data, NULL, NULL };
	mp_init(&p, "b");
	ck_assert_int_eq(mp_feed(&p, body, sizeof(body) - 1, &h), 7);
	struct events ev = { .len = 0, .stop_at_begin = 3 };
	const char *why = NULL;
	ck_assert_int_eq(parse_whole("b", body, sizeof(body) - 1, &ev, &why), 3);
}
END_TEST

START_TEST(boundary_parameter)
{
	char b[MP_BOUNDARY_MAX + 1];
	ck_assert_int_eq(mp_boundary("multipart/form-data; boundary=abc123", b, sizeof(b)), 0);
	ck_assert_str_eq(b, "abc123");
	ck_assert_int_eq(mp_boundary("Multipart/Form-Data;charset=utf-8;BOUNDARY=\"a b:c\"",
	    b, sizeof(b)), 0);
	ck_assert_str_eq(b, "a b:c");
	ck_assert_int_eq(mp_boundary("  multipart/form-data ;  boundary=----WebKitFormBoundary"
	    "7MA4YWxkTrZu0gW", b, sizeof(b)), 0);
	ck_assert_str_eq(b, "----WebKitFormBoundary7MA4YWxkTrZu0gW");
	char seventy[71];
	memset(seventy, 'x', 70);
	seventy[70] = '\0';
	char ct[128];
	snprintf(ct, sizeof(ct), "multipart/form-data; boundary=%s", seventy);
	ck_assert_int_eq(mp_boundary(ct, b, sizeof(b)), 0);
	snprintf(ct, sizeof(ct), "multipart/form-data; boundary=%sx", seventy);
	ck_assert_int_eq(mp_boundary(ct, b, sizeof(b)), -1);
	static const char *const bad[] = {
		NULL, "", "multipart/form-data", "multipart/form-data; boundary=",
		"multipart/form-data; boundary=\"\"", "multipart/mixed; boundary=abc",
		"multipart/form-dataX; boundary=abc", "application/octet-stream; boundary=abc",
		"multipart/form-data; boundary=\"trailing \"", "multipart/form-data; boundary=a\"b",
		"multipart/form-data; boundary=\"bad\rchar\"", "multipart/form-data; boundary=\"a;b\"x",
		"multipart/form-data; boundary=a; boundary=b", "multipart/form-data; boundary",
		"multipart/form-data; boundary=\"unterminated",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(mp_boundary(bad[i], b, sizeof(b)) == -1, "accepted: %s",
		    bad[i] ? bad[i] : "NULL");
	ck_assert(mp_is_multipart(" multipart/mixed"));
	ck_assert(mp_is_multipart("MULTIPART/form-data; boundary=x"));
	ck_assert(!mp_is_multipart("image/png"));
	ck_assert(!mp_is_multipart(NULL));
}
END_TEST

/* ---- magic bytes ---- */

START_TEST(sniff_types)
{
	static const struct { const char *bytes; size_t n; const char *ext, *mime; } cases[] = {
		{ "\xFF\xD8\xFF", 3, "jpg", "image/jpeg" },
		{ "\xFF\xD8\xFF\xE0\0\x10JFIF\0\1", 12, "jpg", "image/jpeg" },
		{ "\x89PNG\r\n\x1A\n\0\0\0\x0D", 12, "png", "image/png" },
		{ "\x89PNG\r\n\x1A\n", 8, "png", "image/png" },
		{ "GIF87a\1\0\1\0\0\0", 12, "gif", "image/gif" },
		{ "GIF89a", 6, "gif", "image/gif" },
		{ "RIFF\x24\0\0\0WEBP", 12, "webp", "image/webp" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct media_type *t = media_sniff((const unsigned char *)cases[i].bytes,
		    cases[i].n);
		ck_assert_msg(t != NULL, "case %zu not recognised", i);
		ck_assert_str_eq(t->ext, cases[i].ext);
		ck_assert_str_eq(t->mime, cases[i].mime);
	}
	static const struct { const char *bytes; size_t n; } bad[] = {
		{ "", 0 }, { "\xFF\xD8", 2 }, { "\xFF\xD9\xFF\xE0", 4 },
		{ "\x89PNG\r\n\x1A", 7 }, { "\x89PNG\r\n\x1A\x0B", 8 }, { "\x88PNG\r\n\x1A\n", 8 },
		{ "GIF88a", 6 }, { "GIF89", 5 }, { "gif89a", 6 },
		{ "RIFF\x24\0\0\0WEBX", 12 }, { "RIFF\x24\0\0\0WEB", 11 }, { "RIFX\x24\0\0\0WEBP", 12 },
		{ "<svg xmlns=", 11 }, { "%PDF-1.7\n", 9 }, { "BM6\0\0\0\0\0", 8 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(media_sniff((const unsigned char *)bad[i].bytes, bad[i].n) == NULL,
		    "bad case %zu accepted", i);
}
END_TEST

/* ---- the temporary file and the local store ---- */

static char media_root[64];

static void
rm_tree(const char *path)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	ck_assert_int_eq(system(cmd), 0);
}

static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	ck_assert_msg(d != NULL, "%s: %s", dir, strerror(errno));
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

START_TEST(local_store_once)
{
	snprintf(media_root, sizeof(media_root), "/tmp/webix-media-test.XXXXXX");
	ck_assert(mkdtemp(media_root) != NULL);
	char dir[128];
	snprintf(dir, sizeof(dir), "%s/media", media_root);   /* created on first use */
	const char *org = "0b5e7a4c-1d2e-4f60-8a9b-0c1d2e3f4a5b";
	mode_t old = umask(077);   /* the modes must not depend on the umask */
	for (int round = 0; round < 2; round++) {
		struct media_tmp t;
		ck_assert_int_eq(media_tmp_open(&t, dir), 0);
		ck_assert_int_eq(media_tmp_write(&t, "junk", 4), 0);
		ck_assert_int_eq(media_tmp_restart(&t), 0);
		ck_assert_int_eq(media_tmp_write(&t, "ab", 2), 0);
		ck_assert_int_eq(media_tmp_write(&t, "c", 1), 0);
		ck_assert_int_eq(t.size, 3);
		char hex[65];
		ck_assert_int_eq(media_tmp_digest(&t, hex), 0);
		ck_assert_str_eq(hex,
		    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
		char name[80];
		snprintf(name, sizeof(name), "%s.png", hex);
		ck_assert_int_eq(media_tmp_store_local(&t, dir, org, name), round == 0 ? 1 : 0);
		media_tmp_close(&t);
		media_tmp_close(&t);
	}
	umask(old);
	char path[512], odir[256], tmpdir[256];
	snprintf(odir, sizeof(odir), "%s/%s", dir, org);
	snprintf(path, sizeof(path), "%s/ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61"
	    "f20015ad.png", odir);
	snprintf(tmpdir, sizeof(tmpdir), "%s/.tmp", dir);
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, 3);
	ck_assert_int_eq(st.st_mode & 07777, 0644);
	ck_assert_int_eq(st.st_nlink, 1);
	ck_assert_int_eq(stat(odir, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0755);
	ck_assert_int_eq(count_entries(odir), 1);
	ck_assert_int_eq(count_entries(tmpdir), 0);
	FILE *f = fopen(path, "rb");
	char got[8] = "";
	ck_assert(f != NULL);
	ck_assert_uint_eq(fread(got, 1, sizeof(got), f), 3);
	fclose(f);
	ck_assert(memcmp(got, "abc", 3) == 0);
	rm_tree(media_root);
}
END_TEST

START_TEST(tmp_open_fails_cleanly)
{
	struct media_tmp t;
	/* a file where the media directory should be */
	ck_assert_int_eq(media_tmp_open(&t, "/dev/null"), -1);
	media_tmp_close(&t);
	ck_assert_int_eq(t.fd, -1);
}
END_TEST

/* ---- MEDIA_STORE and S3_* at start-up ---- */

static char cfg_err[4096];

static void
base_env(void)
{
	for (size_t i = 0; i < cfg_ndefs; i++)
		unsetenv(cfg_defs[i].name);
	unsetenv("WEBIX_CONFIG");
	setenv("DATABASE_URL", "postgresql://u:p@localhost/db", 1);
	setenv("REDIS_URL", "redis://localhost:6379/0", 1);
	setenv("JWT_SECRET", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1);
	setenv("JWT_REFRESH_SECRET", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", 1);
}

static int
load(void)
{
	struct config c;
	cfg_err[0] = '\0';
	int rc = config_load(&c, "/dev/null", CFG_NEED_API, cfg_err, sizeof(cfg_err));
	config_free(&c);
	return rc;
}

static void
s3_env(void)
{
	base_env();
	setenv("MEDIA_STORE", "s3", 1);
	setenv("S3_ENDPOINT", "https://s3.example.com:9000", 1);
	setenv("S3_BUCKET", "webix-media", 1);
	setenv("S3_REGION", "eu-west-1", 1);
	setenv("S3_ACCESS_KEY", "AKIDEXAMPLE", 1);
	setenv("S3_SECRET_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 1);
}

START_TEST(store_settings_ok)
{
	base_env();
	ck_assert_int_eq(load(), 0);       /* local by default */
	struct config c;
	ck_assert_int_eq(config_load(&c, "/dev/null", CFG_NEED_API, cfg_err, sizeof(cfg_err)), 0);
	ck_assert_str_eq(c.media_store, "local");
	ck_assert_int_eq(c.media_max_bytes, 10485760);
	config_free(&c);
	s3_env();
	ck_assert_msg(load() == 0, "%s", cfg_err);
	setenv("S3_PUBLIC_URL", "https://cdn.example.com/media", 1);
	ck_assert_msg(load() == 0, "%s", cfg_err);
}
END_TEST

START_TEST(store_settings_bad)
{
	static const struct { const char *name, *value, *want; } cases[] = {
		{ "MEDIA_STORE", "disk", "MEDIA_STORE = \"disk\" is not valid: expected local or s3" },
		{ "S3_ENDPOINT", "", "MEDIA_STORE = s3 needs S3_ENDPOINT" },
		{ "S3_BUCKET", "", "MEDIA_STORE = s3 needs S3_BUCKET" },
		{ "S3_REGION", "", "MEDIA_STORE = s3 needs S3_REGION" },
		{ "S3_ACCESS_KEY", "", "MEDIA_STORE = s3 needs S3_ACCESS_KEY" },
		{ "S3_SECRET_KEY", "", "MEDIA_STORE = s3 needs S3_SECRET_KEY" },
		{ "S3_ENDPOINT", "s3.example.com", "S3_ENDPOINT = \"s3.example.com\" is not an http(s)" },
		{ "S3_ENDPOINT", "ftp://s3.example.com", "is not an http(s)" },
		{ "S3_ENDPOINT", "https://", "is not an http(s)" },
		{ "S3_PUBLIC_URL", "cdn.example.com", "S3_PUBLIC_URL = \"cdn.example.com\" is not" },
		{ "S3_BUCKET", "Web_Media", "S3_BUCKET = \"Web_Media\" is not a bucket name" },
		{ "S3_BUCKET", "ab", "is not a bucket name" },
		{ "S3_REGION", "eu west", "S3_REGION = \"eu west\" is not a region name" },
		{ "S3_REGION", "a:b", "is not a region name" },
		{ "MEDIA_MAX_BYTES", "0", "MEDIA_MAX_BYTES" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s3_env();
		if (strcmp(cases[i].name, "MEDIA_STORE") == 0)
			base_env();
		setenv(cases[i].name, cases[i].value, 1);
		ck_assert_msg(load() == -1, "%s=%s accepted", cases[i].name, cases[i].value);
		ck_assert_msg(strstr(cfg_err, cases[i].want) != NULL, "%s=%s: \"%s\" lacks \"%s\"",
		    cases[i].name, cases[i].value, cfg_err, cases[i].want);
	}
	/* S3 settings are not needed, so not checked, with the local store */
	base_env();
	setenv("S3_BUCKET", "X", 1);
	ck_assert_int_eq(load(), 0);
}
END_TEST

static Suite *
media_suite(void)
{
	Suite *s = suite_create("media");
	TCase *tc = tcase_create("multipart");
	tcase_add_test(tc, multipart_two_parts);
	tcase_add_test(tc, multipart_split_everywhere);
	tcase_add_test(tc, multipart_small_chunks);
	tcase_add_test(tc, multipart_data_in_runs);
	tcase_add_test(tc, multipart_no_parts_and_empty_part);
	tcase_add_loop_test(tc, multipart_malformed, 0,
	    (int)(sizeof(bad_bodies) / sizeof(bad_bodies[0])));
	tcase_add_test(tc, multipart_header_limits);
	tcase_add_test(tc, multipart_callback_stops);
	tcase_add_test(tc, boundary_parameter);
	suite_add_tcase(s, tc);
	tc = tcase_create("sniff");
	tcase_add_test(tc, sniff_types);
	suite_add_tcase(s, tc);
	tc = tcase_create("store");
	tcase_add_test(tc, local_store_once);
	tcase_add_test(tc, tmp_open_fails_cleanly);
	suite_add_tcase(s, tc);
	tc = tcase_create("settings");
	tcase_add_test(tc, store_settings_ok);
	tcase_add_test(tc, store_settings_bad);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(media_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
