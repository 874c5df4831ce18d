/*
 * e2e_media.c — POST /api/media/:organizationId through nginx, with the local store:
 * each image type (JPEG, PNG, WebP, GIF; small valid files made here) as multipart and as
 * a raw body, the type read from the magic bytes whatever the name or Content-Type says,
 * 415 for anything else, 413 over MEDIA_MAX_BYTES (from Content-Length and while
 * streaming a multipart body), 400 for empty or malformed bodies, one stored file for the
 * same content sent twice, the URL fetched back through nginx byte for byte with a long
 * Cache-Control, the roles (admin/moderator/user 201, viewer 403, non-member 404, no
 * token 401, another tenant's organization 404) with nothing stored for a refusal, the
 * audit row, and no temporary file left behind.
 */
#include "harness.h"
#include "media_fixtures.h"

#include <dirent.h>
#include <errno.h>
#include <libpq-fe.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const PASSWORD = "Media-Test-Password-1";

/* ---- the people and organizations of this run ---- */

enum { U_ADMIN, U_MOD, U_USER, U_VIEWER, U_OUTSIDER, U_ADMIN_B, U__N };
static const char *const LABEL[U__N] = { "admin", "mod", "user", "viewer", "outsider",
	"adminb" };

struct user {
	char *email, *token, *id;
};
static struct user U[U__N];
static char *org_a, *org_b, *sub_a, *sub_b;
static char tag[32];
static int people_ready;
static long long max_bytes = 10485760;
static const char *media_dir;

static const char *bearer(int u)
{
	static char *h[U__N];

	if (h[u] == NULL)
		h[u] = xprintf("Authorization: Bearer %s", U[u].token);
	return h[u];
}

static char *json_body(const char *k1, const char *v1, const char *k2, const char *v2,
    const char *k3, const char *v3)
{
	struct json_object *o = json_object_new_object();
	char *s;

	json_object_object_add(o, k1, json_object_new_string(v1));
	json_object_object_add(o, k2, json_object_new_string(v2));
	if (k3)
		json_object_object_add(o, k3, json_object_new_string(v3));
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

static struct h_resp *post_json(struct h_case *c, int as, const char *path, char *body)
{
	const char *hdrs[2] = { as >= 0 ? bearer(as) : NULL, NULL };
	struct h_resp *r = h_do(c, &(struct h_req){ .method = "POST", .path = path,
	    .ctype = "application/json", .body = body, .headers = hdrs });

	free(body);
	return r;
}

/* Read MEDIA_MAX_BYTES from the stack's webix.conf (the default when absent). */
static void read_max_bytes(void)
{
	const char *path = getenv("WEBIX_CONFIG");
	char line[512];
	FILE *f = path ? fopen(path, "r") : NULL;

	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		long long v;
		if (sscanf(line, " MEDIA_MAX_BYTES = %lld", &v) == 1)
			max_bytes = v;
	}
	fclose(f);
}

static void t_setup(struct h_case *c)
{
	struct h_resp *r;

	media_dir = getenv("WEBIX_MEDIA_DIR");
	CHECK(c, media_dir != NULL && *media_dir, "WEBIX_MEDIA_DIR is not set");
	read_max_bytes();
	snprintf(tag, sizeof(tag), "%lx%x", (unsigned long)time(NULL), (unsigned)getpid());
	for (int i = 0; i < U__N; i++) {
		U[i].email = xprintf("e2e-media-%s-%s@example.com", LABEL[i], tag);
		r = post_json(c, -1, "/api/auth/register", json_body("email", U[i].email,
		    "password", PASSWORD, "displayName", "E2E Media"));
		CHECK(c, r->status == 201 && h_jstr(r->json, "data.accessToken"), "register %s: %s",
		    LABEL[i], h_brief(r));
		U[i].token = strdup(h_jstr(r->json, "data.accessToken"));
		U[i].id = strdup(h_jstr(r->json, "data.user._id") ? h_jstr(r->json, "data.user._id")
		    : "");
	}
	sub_a = xprintf("media-a-%s", tag);
	sub_b = xprintf("media-b-%s", tag);
	r = post_json(c, U_ADMIN, "/api/organizations", json_body("name", "Media A", "subdomain",
	    sub_a, NULL, NULL));
	CHECK(c, r->status == 201 && h_jstr(r->json, "data._id"), "create org A: %s", h_brief(r));
	org_a = strdup(h_jstr(r->json, "data._id"));
	r = post_json(c, U_ADMIN_B, "/api/organizations", json_body("name", "Media B",
	    "subdomain", sub_b, NULL, NULL));
	CHECK(c, r->status == 201 && h_jstr(r->json, "data._id"), "create org B: %s", h_brief(r));
	org_b = strdup(h_jstr(r->json, "data._id"));
	static const struct { int u; const char *role; } add[] = {
		{ U_MOD, "moderator" }, { U_USER, "user" }, { U_VIEWER, "viewer" },
	};
	for (size_t i = 0; i < sizeof(add) / sizeof(add[0]); i++) {
		char *path = xprintf("/api/organizations/%s/users", org_a);
		r = post_json(c, U_ADMIN, path, json_body("userEmail", U[add[i].u].email, "role",
		    add[i].role, NULL, NULL));
		free(path);
		CHECK(c, r->status == 201, "add %s as %s: %s", LABEL[add[i].u], add[i].role,
		    h_brief(r));
	}
	people_ready = 1;
}

#define NEED_PEOPLE(c) CHECK(c, people_ready, "set-up failed")

/* ---- uploads and what they leave ---- */

struct upload {
	int as;                 /* user, or -1 for no token */
	const char *org;        /* organization in the path */
	const char *host;       /* NULL: localhost */
	const char *ctype;      /* Content-Type; NULL none */
	const void *body;
	size_t len;
	const char *const *extra;
};

static struct h_resp *upload(struct h_case *c, const struct upload *u)
{
	const char *hdrs[4] = { NULL };
	int n = 0;

	if (u->as >= 0)
		hdrs[n++] = bearer(u->as);
	for (const char *const *e = u->extra; e && *e && n < 3; e++)
		hdrs[n++] = *e;
	char *path = xprintf("/api/media/%s", u->org);
	struct h_resp *r = h_do(c, &(struct h_req){ .method = "POST", .host = u->host,
	    .path = path, .ctype = u->ctype, .body = u->body ? (const char *)u->body : "",
	    .body_len = u->len, .headers = hdrs, .timeout_ms = 60000 });
	free(path);
	return r;
}

static char *stored_path(const char *org, const char *sha, const char *ext)
{
	return xprintf("%s/%s/%s.%s", media_dir, org, sha, ext);
}

/* Entries of DIR whose names start with PREFIX (all when NULL); -1 when DIR is absent. */
static int count_files(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (prefix == NULL || strncmp(e->d_name, prefix, strlen(prefix)) == 0)
			n++;
	}
	closedir(d);
	return n;
}

/*
 * A 201 for these bytes: the envelope, data.url = /media/<org>/<sha>.<ext>, contentType,
 * size, sha256; the stored file (mode 0644) equal to them; the URL fetched through nginx
 * byte for byte with its Content-Type and a long immutable Cache-Control.
 */
static int expect_stored(struct h_case *c, struct h_resp *r, const char *org,
    const struct blob *b, const char *ext, const char *mime, const char *what)
{
	char sha[65];

	sha_hex(b->p, b->n, sha);
	if (!h_check(c, r->status == 201, "%s: %s", what, h_brief(r)))
		return 0;
	h_expect_json(c, r, 201);
	const char *msg = h_jstr(r->json, "message");
	EXPECT(c, h_jtrue(r->json, "success") && msg && strcmp(msg, "File uploaded successfully")
	    == 0, "%s: envelope %s", what, h_brief(r));
	char *want_url = xprintf("/media/%s/%s.%s", org, sha, ext);
	const char *url = h_jstr(r->json, "data.url");
	int ok = h_check(c, url && strcmp(url, want_url) == 0, "%s: url %s, expected %s", what,
	    url ? url : "(none)", want_url);
	const char *ct = h_jstr(r->json, "data.contentType");
	ok &= h_check(c, ct && strcmp(ct, mime) == 0, "%s: contentType %s, expected %s", what,
	    ct ? ct : "(none)", mime);
	struct json_object *sz = h_jget(r->json, "data.size");
	ok &= h_check(c, sz && json_object_is_type(sz, json_type_int) &&
	    json_object_get_int64(sz) == (int64_t)b->n, "%s: size %s, expected %zu", what,
	    sz ? json_object_to_json_string(sz) : "(none)", b->n);
	const char *hsha = h_jstr(r->json, "data.sha256");
	ok &= h_check(c, hsha && strcmp(hsha, sha) == 0, "%s: sha256 %s, expected %s", what,
	    hsha ? hsha : "(none)", sha);
	const char *loc = h_hdr(r, "Location");
	EXPECT(c, loc && strcmp(loc, want_url) == 0, "%s: Location %s", what, loc ? loc : "(none)");

	char *path = stored_path(org, sha, ext);
	struct stat st;
	if (h_check(c, stat(path, &st) == 0, "%s: %s not stored", what, path)) {
		EXPECT(c, (st.st_mode & 07777) == 0644, "%s: mode %o", what, st.st_mode & 07777);
		EXPECT(c, st.st_size == (off_t)b->n, "%s: stored %lld bytes", what,
		    (long long)st.st_size);
	}
	free(path);

	struct h_resp *g = h_do(c, &(struct h_req){ .path = want_url, .timeout_ms = 30000 });
	ok &= h_check(c, g->status == 200 && g->body_len == b->n &&
	    memcmp(g->body, b->p, b->n) == 0, "%s: GET %s: status %ld, %zu bytes (sent %zu), "
	    "same bytes: %s", what, want_url, g->status, g->body_len, b->n,
	    g->body_len == b->n && memcmp(g->body, b->p, b->n) == 0 ? "yes" : "no");
	const char *gct = h_hdr(g, "Content-Type");
	EXPECT(c, gct && strcmp(gct, mime) == 0, "%s: GET Content-Type %s, expected %s", what,
	    gct ? gct : "(none)", mime);
	const char *cc = h_hdr(g, "Cache-Control");
	EXPECT(c, cc && strstr(cc, "max-age=31536000") && strstr(cc, "immutable") &&
	    strstr(cc, "public"), "%s: GET Cache-Control %s", what, cc ? cc : "(none)");
	free(want_url);
	return ok;
}

/* Nothing with this content was stored for ORG. */
static void expect_not_stored(struct h_case *c, const char *org, const struct blob *b,
    const char *what)
{
	char sha[65];
	char *dir = xprintf("%s/%s", media_dir, org);

	sha_hex(b->p, b->n, sha);
	EXPECT(c, count_files(dir, sha) == 0, "%s: a file named %s... was stored in %s", what,
	    sha, dir);
	free(dir);
}

/* ---- cases ---- */

struct typed {
	const char *label, *ext, *mime;
	struct blob b;
};

static void t_each_type_raw(struct h_case *c)
{
	NEED_PEOPLE(c);
	struct typed t[] = {
		{ "jpeg", "jpg", "image/jpeg", make_jpeg("raw") },
		{ "png", "png", "image/png", make_png(1, 0) },
		{ "webp", "webp", "image/webp", make_webp(0) },
		{ "gif", "gif", "image/gif", make_gif("raw") },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *ctype = xprintf("%s", t[i].mime);
		struct h_resp *r = upload(c, &(struct upload){ .as = U_ADMIN, .org = org_a,
		    .ctype = ctype, .body = t[i].b.p, .len = t[i].b.n });
		char *what = xprintf("raw %s", t[i].label);
		expect_stored(c, r, org_a, &t[i].b, t[i].ext, t[i].mime, what);
		free(what);
		free(ctype);
		free(t[i].b.p);
	}
}

/* The declared type does not matter: only the bytes do. */
static void t_type_from_bytes_not_headers(struct h_case *c)
{
	NEED_PEOPLE(c);
	struct blob png = make_png(2, 0), lossy = make_webp(1), jpg = make_jpeg("declared");
	struct h_resp *r = upload(c, &(struct upload){ .as = U_ADMIN, .org = org_a,
	    .ctype = "application/octet-stream", .body = png.p, .len = png.n });
	expect_stored(c, r, org_a, &png, "png", "image/png", "png as application/octet-stream");
	r = upload(c, &(struct upload){ .as = U_ADMIN, .org = org_a, .ctype = "image/gif",
	    .body = lossy.p, .len = lossy.n });
	expect_stored(c, r, org_a, &lossy, "webp", "image/webp", "lossy webp declared image/gif");
	r = upload(c, &(struct upload){ .as = U_ADMIN, .org = org_a, .ctype = NULL,
	    .body = jpg.p, .len = jpg.n });
	expect_stored(c, r, org_a, &jpg, "jpg", "image/jpeg", "jpeg without a Content-Type");
	struct part p = { "file", "picture.gif", "image/gif", png.p, png.n };
	struct blob mp = multipart(&p, 1);
	r = upload(c, &(struct upload){ .as = U_ADMIN, .org = org_a,
	    .ctype = "multipart/form-data; boundary=" BOUNDARY, .body = mp.p, .len = mp.n });
	expect_stored(c, r, org_a, &png, "png", "image/png", "png named picture.gif");
	free(png.p);
	free(lossy.p);
	free(jpg.p);
	free(mp.p);
}

static void t_each_type_multipart(struct h_case *c)
{
	NEED_PEOPLE(c);
	struct typed t[] = {
		{ "jpeg", "jpg", "image/jpeg", make_jpeg("multipart") },
		{ "png", "png", "image/png", make_png(3, 0) },
		{ "webp", "webp", "image/webp", make_webp(0) },
		{ "gif", "gif", "image/gif", make_gif("multipart") },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *fname = xprintf("cover.%s", t[i].ext);
		struct part parts[] = {
			{ "title", NULL, NULL, "A \r\n--cover", 12 },
			{ "file", fname, t[i].mime, t[i].b.p, t[i].b.n },
			{ "note", NULL, "text/plain", "after", 5 },
		};
		struct blob mp = multipart(parts, 3);
		struct h_resp *r = upload(c, &(struct upload){ .as = U_ADMIN, .org = org_a,
		    .ctype = "multipart/form-data; boundary=\"" BOUNDARY "\"", .body = mp.p,
		    .len = mp.n });
		char *what = xprintf("multipart %s", t[i].label);
		expect_stored(c, r, org_a, &t[i].b, t[i].ext, t[i].mime, what);
		free(what);
		free(fname);
		free(mp.p);
		free(t[i].b.p);
	}
}

/* Which part is the file: "file" wins over an earlier part with a filename; without a
 * "file" field, the first part with a filename. */
static void t_multipart_part_choice(struct h_case *c)
{
	NEED_PEOPLE(c);
	struct blob first = make_png(10, 0), named = make_png(11, 0), other = make_png(12, 0);
	struct part a[] = {
		{ "avatar", "a.png", "image/png", first.p, first.n },
		{ "file", "b.png", "image/png", named.p, named.n },
	};
	struct blob mp = multipart(a, 2);
	struct h_resp *r = upload(c, &(struct upload){ .as = U_ADMIN, .org = org_a,
	    .ctype = "multipart/form-data; boundary=" BOUNDARY, .body = mp.p, .len = mp.n });
	expect_stored(c, r, org_a, &named, "png", "image/png", "\"file\" after another file part");
	expect_not_stored(c, org_a, &first, "the part before \"file\"");
	free(mp.p);
	struct part b[] = {
		{ "caption", NULL, NULL, "hello", 5 },
		{ "upload", "c.png", "image/png", other.p, other.n },
		{ "avatar", "d.png", "image/png", first.p, first.n },
	};
	mp = multipart(b, 3);
	r = upload(c, &(struct upload){ .as = U_ADMIN, .org = org_a,
	    .ctype = "multipart/form-data; boundary=" BOUNDARY, .body = mp.p, .len = mp.n });
	expect_stored(c, r, org_a, &other, "png", "image/png", "first part with a filename");
	expect_not_stored(c, org_a, &first, "a later part with a filename");
	free(mp.p);
	free(first.p);
	free(named.p);
	free(other.p);
}

static void t_wrong_magic_415(struct h_case *c)
{
	NEED_PEOPLE(c);
	struct blob png = make_png(20, 0), gif = make_gif("bad");
	png.p[0] = 0x88;             /* one wrong byte of the PNG signature */
	gif.p[4] = '8';              /* GIF88a */
	static const char svg[] = "<svg xmlns=\"http://www.w3.org/2000/svg\"/>";
	static const char short_jpeg[] = "\xFF\xD8";
	struct blob svgb = { 0 }, shortb = { 0 };
	blob_add(&svgb, svg, sizeof(svg) - 1);
	blob_add(&shortb, short_jpeg, 2);
	struct { const char *what, *ctype; struct blob *b; } cases[] = {
		{ "PNG with a wrong first byte", "image/png", &png },
		{ "GIF88a", "image/gif", &gif },
		{ "SVG", "image/svg+xml", &svgb },
		{ "2 bytes of a JPEG", "image/jpeg", &shortb },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct h_resp *r = upload(c, &(struct upload){ .as = U_ADMIN, .org = org_a,
		    .ctype = cases[i].ctype, .body = cases[i].b->p, .len = cases[i].b->n });
		EXPECT(c, r->status == 415, "raw %s: %s", cases[i].what, h_brief(r));
		h_expect_error(c, r, 415, "unsupported_media_type");
		const char *m = h_jstr(r->json, "message");
		EXPECT(c, m && strstr(m, "JPEG, PNG, WebP and GIF"), "raw %s: message %s",
		    cases[i].what, m ? m : "(none)");
		expect_not_stored(c, org_a, cases[i].b, cases[i].what);

		struct part p = { "file", "x.png", "image/png", cases[i].b->p, cases[i].b->n };
		struct blob mp = multipart(&p, 1);
		r = upload(c, &(struct upload){ .as = U_ADMIN, .org = org_a,
		    .ctype = "multipart/form-data; boundary=" BOUNDARY, .body = mp.p, .len = mp.n });
		h_expect_error(c, r, 415, "unsupported_media_type");
		free(mp.p);
	}
	/* a big body with a bad first byte is refused as soon as it is seen */
	struct blob big = make_png(21, 3 << 20);
	big.p[1] = 'X';
	struct h_resp *r = upload(c, &(struct upload){ .as = U_ADMIN, .org = org_a,
	    .ctype = "image/png", .body = big.p, .len = big.n });
	h_expect_error(c, r, 415, "unsupported_media_type");
	expect_not_stored(c, org_a, &big, "3 MiB with a bad signature");
	free(big.p);
	free(png.p);
	free(gif.p);
	free(svgb.p);
	free(shortb.p);
}

static void t_too_large_413(struct h_case *c)
{
	NEED_PEOPLE(c);
	/* exactly the limit is accepted (in a multipart body, which is larger than the file) */
	struct blob at = make_png(30, (size_t)max_bytes);
	struct part p = { "file", "big.png", "image/png", at.p, at.n };
	struct blob mp = multipart(&p, 1);
	struct h_resp *r = upload(c, &(struct upload){ .as = U_ADMIN, .org = org_a,
	    .ctype = "multipart/form-data; boundary=" BOUNDARY, .body = mp.p, .len = mp.n });
	expect_stored(c, r, org_a, &at, "png", "image/png", "multipart file of MEDIA_MAX_BYTES");
	free(mp.p);
	free(at.p);

	/* one byte over: refused from Content-Length (raw) ... */
	struct blob over = make_png(31, (size_t)max_bytes + 1);
	r = upload(c, &(struct upload){ .as = U_ADMIN, .org = org_a, .ctype = "image/png",
	    .body = over.p, .len = over.n });
	h_expect_error(c, r, 413, "payload_too_large");
	const char *m = h_jstr(r->json, "message");
	char *limit = xprintf("%lld", max_bytes);
	EXPECT(c, m && strstr(m, limit), "413 message does not name the limit: %s", m ? m : "");
	free(limit);
	expect_not_stored(c, org_a, &over, "raw MEDIA_MAX_BYTES + 1");
	/* ... and while streaming a multipart body that is within Content-Length's slack */
	p = (struct part){ "file", "big.png", "image/png", over.p, over.n };
	mp = multipart(&p, 1);
	r = upload(c, &(struct upload){ .as = U_ADMIN, .org = org_a,
	    .ctype = "multipart/form-data; boundary=" BOUNDARY, .body = mp.p, .len = mp.n });
	h_expect_error(c, r, 413, "payload_too_large");
	expect_not_stored(c, org_a, &over, "multipart MEDIA_MAX_BYTES + 1");
	free(mp.p);
	free(over.p);
}

static void t_empty_and_malformed_400(struct h_case *c)
{
	NEED_PEOPLE(c);
	struct blob png = make_png(40, 0);
	struct h_resp *r = upload(c, &(struct upload){ .as = U_ADMIN, .org = org_a,
	    .ctype = "image/png", .body = "", .len = 0 });
	h_expect_error(c, r, 400, "bad_request");
	const char *m = h_jstr(r->json, "message");
	EXPECT(c, m && strstr(m, "No file uploaded"), "empty body: message %s", m ? m : "");

	struct part text = { "title", NULL, NULL, "just text", 9 };
	struct blob mp = multipart(&text, 1);
	r = upload(c, &(struct upload){ .as = U_ADMIN, .org = org_a,
	    .ctype = "multipart/form-data; boundary=" BOUNDARY, .body = mp.p, .len = mp.n });
	h_expect_error(c, r, 400, "bad_request");
	m = h_jstr(r->json, "message");
	EXPECT(c, m && strstr(m, "No file uploaded"), "no file part: message %s", m ? m : "");
	free(mp.p);

	struct part empty = { "file", "e.png", "image/png", "", 0 };
	mp = multipart(&empty, 1);
	r = upload(c, &(struct upload){ .as = U_ADMIN, .org = org_a,
	    .ctype = "multipart/form-data; boundary=" BOUNDARY, .body = mp.p, .len = mp.n });
	h_expect_error(c, r, 400, "bad_request");
	m = h_jstr(r->json, "message");
	EXPECT(c, m && strstr(m, "empty"), "empty file part: message %s", m ? m : "");
	free(mp.p);

	/* no closing boundary */
	struct part f = { "file", "f.png", "image/png", png.p, png.n };
	mp = multipart(&f, 1);
	size_t cut = mp.n - strlen("--" BOUNDARY "--\r\n") - 2;
	r = upload(c, &(struct upload){ .as = U_ADMIN, .org = org_a,
	    .ctype = "multipart/form-data; boundary=" BOUNDARY, .body = mp.p, .len = cut });
	h_expect_error(c, r, 400, "bad_request");
	m = h_jstr(r->json, "message");
	EXPECT(c, m && strstr(m, "Malformed multipart body"), "truncated multipart: message %s",
	    m ? m : "");
	expect_not_stored(c, org_a, &png, "truncated multipart");

	/* multipart without a boundary, or another multipart type */
	static const char *const bad_ct[] = { "multipart/form-data", "multipart/mixed; boundary="
	    BOUNDARY, "multipart/form-data; boundary=\"\"" };
	for (size_t i = 0; i < sizeof(bad_ct) / sizeof(bad_ct[0]); i++) {
		r = upload(c, &(struct upload){ .as = U_ADMIN, .org = org_a, .ctype = bad_ct[i],
		    .body = mp.p, .len = mp.n });
		EXPECT(c, r->status == 400, "Content-Type %s: %s", bad_ct[i], h_brief(r));
		h_expect_error(c, r, 400, "bad_request");
	}
	expect_not_stored(c, org_a, &png, "multipart without a usable boundary");
	free(mp.p);
	free(png.p);
}

static void t_same_file_twice(struct h_case *c)
{
	NEED_PEOPLE(c);
	struct blob png = make_png(50, 0);
	char sha[65];
	sha_hex(png.p, png.n, sha);
	struct h_resp *r1 = upload(c, &(struct upload){ .as = U_ADMIN, .org = org_a,
	    .ctype = "image/png", .body = png.p, .len = png.n });
	CHECK(c, expect_stored(c, r1, org_a, &png, "png", "image/png", "first copy"), "first");
	struct part p = { "file", "again.png", "image/png", png.p, png.n };
	struct blob mp = multipart(&p, 1);
	struct h_resp *r2 = upload(c, &(struct upload){ .as = U_USER, .org = org_a,
	    .ctype = "multipart/form-data; boundary=" BOUNDARY, .body = mp.p, .len = mp.n });
	expect_stored(c, r2, org_a, &png, "png", "image/png", "second copy (multipart, another user)");
	char *dir = xprintf("%s/%s", media_dir, org_a);
	EXPECT(c, count_files(dir, sha) == 1, "%d files named %s... in %s, expected 1",
	    count_files(dir, sha), sha, dir);
	char *path = stored_path(org_a, sha, "png");
	struct stat st;
	EXPECT(c, stat(path, &st) == 0 && st.st_nlink == 1, "%s: link count %ld", path,
	    (long)st.st_nlink);
	/* the same bytes in another organization are that organization's own file */
	r2 = upload(c, &(struct upload){ .as = U_ADMIN_B, .org = org_b, .ctype = "image/png",
	    .body = png.p, .len = png.n });
	expect_stored(c, r2, org_b, &png, "png", "image/png", "same bytes in organization B");
	free(path);
	free(dir);
	free(mp.p);
	free(png.p);
}

static void t_roles(struct h_case *c)
{
	NEED_PEOPLE(c);
	static const char *const bad_token[] = { "Authorization: Bearer not.a.token", NULL };
	char *host_b = xprintf("%s.%s", sub_b, h_env.base_domain);
	char *host_a = xprintf("%s.%s", sub_a, h_env.base_domain);
	struct {
		const char *what;
		int as;
		const char *org, *host;
		const char *const *extra;
		long status;
		const char *code;
	} cases[] = {
		{ "admin", U_ADMIN, org_a, NULL, NULL, 201, NULL },
		{ "moderator", U_MOD, org_a, NULL, NULL, 201, NULL },
		{ "user", U_USER, org_a, NULL, NULL, 201, NULL },
		{ "admin on the tenant host", U_ADMIN, org_a, host_a, NULL, 201, NULL },
		{ "viewer", U_VIEWER, org_a, NULL, NULL, 403, "forbidden" },
		{ "non-member", U_OUTSIDER, org_a, NULL, NULL, 404, "not_found" },
		{ "no token", -1, org_a, NULL, NULL, 401, "unauthorized" },
		{ "bad token", -1, org_a, NULL, bad_token, 401, "unauthorized" },
		{ "admin of B, organization A", U_ADMIN_B, org_a, NULL, NULL, 404, "not_found" },
		{ "admin of A, organization B", U_ADMIN, org_b, NULL, NULL, 404, "not_found" },
		{ "admin of A, organization A on B's host", U_ADMIN, org_a, host_b, NULL, 404,
		  "not_found" },
		{ "unknown organization", U_ADMIN, "9d4a4c7e-0b1f-4e6a-8c3d-2f5e6a7b8c9d", NULL, NULL,
		  404, "not_found" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* a 1 MiB file, so that a refusal is answered with the body sent */
		struct blob png = make_png(100 + (unsigned)i, 1 << 20);
		struct h_resp *r = upload(c, &(struct upload){ .as = cases[i].as,
		    .org = cases[i].org, .host = cases[i].host, .ctype = "image/png", .body = png.p,
		    .len = png.n, .extra = cases[i].extra });
		if (cases[i].status == 201)
			expect_stored(c, r, cases[i].org, &png, "png", "image/png", cases[i].what);
		else {
			EXPECT(c, r->status == cases[i].status, "%s: %s, expected %ld", cases[i].what,
			    h_brief(r), cases[i].status);
			h_expect_error(c, r, cases[i].status, cases[i].code);
			expect_not_stored(c, cases[i].org, &png, cases[i].what);
		}
		free(png.p);
	}
	free(host_a);
	free(host_b);
}

/* The audit row of an upload, in the same transaction. */
static void t_audit(struct h_case *c)
{
	NEED_PEOPLE(c);
	CHECK(c, h_env.database_url != NULL, "DATABASE_URL is not set");
	struct blob gif = make_gif("audit");
	char sha[65];
	sha_hex(gif.p, gif.n, sha);
	struct h_resp *r = upload(c, &(struct upload){ .as = U_MOD, .org = org_a,
	    .ctype = "image/gif", .body = gif.p, .len = gif.n });
	CHECK(c, expect_stored(c, r, org_a, &gif, "gif", "image/gif", "audited upload"), "upload");
	PGconn *db = PQconnectdb(h_env.database_url);
	CHECK(c, PQstatus(db) == CONNECTION_OK, "connect: %s", PQerrorMessage(db));
	const char *params[1] = { sha };
	PGresult *res = PQexecParams(db, "SELECT org_id::text, user_id::text, resource, "
	    "metadata->>'url', metadata->>'size', metadata->>'contentType' FROM audit_log "
	    "WHERE action = 'media_uploaded' AND resource_id = $1", 1, NULL, params, NULL, NULL, 0);
	if (h_check(c, PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1,
	    "audit rows for %s: %s %d", sha, PQresultErrorMessage(res), PQntuples(res))) {
		char *url = xprintf("/media/%s/%s.gif", org_a, sha), *size = xprintf("%zu", gif.n);
		EXPECT(c, strcmp(PQgetvalue(res, 0, 0), org_a) == 0, "org_id %s", PQgetvalue(res, 0, 0));
		EXPECT(c, strcmp(PQgetvalue(res, 0, 1), U[U_MOD].id) == 0, "user_id %s, expected %s",
		    PQgetvalue(res, 0, 1), U[U_MOD].id);
		EXPECT(c, strcmp(PQgetvalue(res, 0, 2), "media") == 0, "resource %s",
		    PQgetvalue(res, 0, 2));
		EXPECT(c, strcmp(PQgetvalue(res, 0, 3), url) == 0, "metadata.url %s",
		    PQgetvalue(res, 0, 3));
		EXPECT(c, strcmp(PQgetvalue(res, 0, 4), size) == 0, "metadata.size %s",
		    PQgetvalue(res, 0, 4));
		EXPECT(c, strcmp(PQgetvalue(res, 0, 5), "image/gif") == 0, "metadata.contentType %s",
		    PQgetvalue(res, 0, 5));
		free(url);
		free(size);
	}
	PQclear(res);
	/* refused uploads leave no audit row */
	const char *who[6] = { U[U_VIEWER].id, U[U_OUTSIDER].id, U[U_ADMIN_B].id, org_a,
	    U[U_ADMIN].id, org_b };
	res = PQexecParams(db, "SELECT count(*) FROM audit_log WHERE action = 'media_uploaded' "
	    "AND (user_id IN ($1::uuid, $2::uuid) OR (user_id = $3::uuid AND org_id = $4::uuid) "
	    "OR (user_id = $5::uuid AND org_id = $6::uuid))", 6, NULL, who, NULL, NULL, 0);
	EXPECT(c, PQresultStatus(res) == PGRES_TUPLES_OK && strcmp(PQgetvalue(res, 0, 0), "0") == 0,
	    "media_uploaded rows of refused uploads: %s %s", PQgetvalue(res, 0, 0),
	    PQresultErrorMessage(res));
	PQclear(res);
	PQfinish(db);
	free(gif.p);
}

/* Other methods and a malformed organization id. */
static void t_route_shape(struct h_case *c)
{
	NEED_PEOPLE(c);
	const char *hdrs[2] = { bearer(U_ADMIN), NULL };
	char *path = xprintf("/api/media/%s", org_a);
	struct h_resp *r = h_do(c, &(struct h_req){ .path = path, .headers = hdrs });
	h_expect_error(c, r, 405, "method_not_allowed");
	r = h_do(c, &(struct h_req){ .method = "POST", .path = "/api/media/not-a-uuid",
	    .headers = hdrs, .ctype = "image/gif", .body = "GIF89a", .body_len = 6 });
	h_expect_error(c, r, 400, "bad_request");
	free(path);
}

/* nginx does not list or serve the temporary directory; nothing is left in it. */
static void t_no_temporary_files(struct h_case *c)
{
	NEED_PEOPLE(c);
	struct h_resp *r = h_get(c, NULL, "/media/.tmp/");
	EXPECT(c, r->status == 404, "GET /media/.tmp/: %s", h_brief(r));
	r = h_get(c, NULL, xprintf("/media/%s/", org_a));
	EXPECT(c, r->status == 404, "GET /media/<org>/ (a listing): %s", h_brief(r));
	char *tmp = xprintf("%s/.tmp", media_dir);
	EXPECT(c, count_files(tmp, NULL) == 0, "%d files left in %s", count_files(tmp, NULL), tmp);
	free(tmp);
}

int main(void)
{
	if (h_init() < 0)
		return 1;
	h_run("media_setup", t_setup);
	h_run("media_each_type_raw", t_each_type_raw);
	h_run("media_each_type_multipart", t_each_type_multipart);
	h_run("media_type_from_bytes_not_headers", t_type_from_bytes_not_headers);
	h_run("media_multipart_part_choice", t_multipart_part_choice);
	h_run("media_wrong_magic_415", t_wrong_magic_415);
	h_run("media_too_large_413", t_too_large_413);
	h_run("media_empty_and_malformed_400", t_empty_and_malformed_400);
	h_run("media_same_file_twice_stored_once", t_same_file_twice);
	h_run("media_roles_and_tenants", t_roles);
	h_run("media_audit_row", t_audit);
	h_run("media_route_shape", t_route_shape);
	h_run("media_no_temporary_files", t_no_temporary_files);
	return h_finish();
}
