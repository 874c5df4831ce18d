/*
 * e2e_media_s3.c — POST /api/media/:organizationId with MEDIA_STORE=s3, on the real
 * production path: a second webix-api master (the stack's binary and settings, its own
 * socket, MEDIA_STORE=s3) sends the uploads with libcurl's AWS SigV4 to a small
 * S3-compatible server (tests/e2e/s3fake.py) that verifies every signature and the
 * payload hash. This program speaks FastCGI to that master itself (the stack's nginx
 * talks to the stack's own api; nginx's part was tested by e2e_media). Also: the same file
 * twice is sent once (HEAD first), a wrong type is refused before anything is sent, a
 * store that is down answers 503, the fake does refuse bad signatures, and webix-api
 * refuses to start with MEDIA_STORE=s3 and a missing or malformed S3_* setting.
 */
#include "harness.h"
#include "media_fixtures.h"

#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *const PASSWORD = "Media-S3-Test-Password-1";
#define S3_BUCKET "webix-e2e-media"
#define S3_REGION "eu-central-9"
#define S3_ACCESS "AKIDWEBIXE2E"
#define S3_SECRET "e2e/secret+key/of/the/fake/s3/server"
#define PUBLIC_URL "https://cdn.e2e.test/media"

static char tmpdir[64];
static char *sock_path, *media_dir, *api_log, *s3_url;
static pid_t api_pid = -1, s3_pid = -1;
static char *token, *org, *user_id;
static int ready;

/* ---- child processes ---- */

/* The stack api's environment (<state>/api.env) with OVERRIDES ("NAME=value", NULL-ended;
 * "NAME=" sets it empty). Free with free_env(). */
static char **api_env(const char *const *overrides)
{
	char *path = xprintf("%s/api.env", h_env.state);
	FILE *f = fopen(path, "r");
	char line[4096];
	size_t n = 0;
	char **env = calloc(256, sizeof(char *));

	free(path);
	if (f == NULL)
		return NULL;
	while (fgets(line, sizeof(line), f) != NULL && n < 200) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '\0' || strchr(line, '=') == NULL)
			continue;
		size_t klen = strcspn(line, "=");
		int replaced = 0;
		for (const char *const *o = overrides; o && *o; o++)
			replaced |= strncmp(*o, line, klen) == 0 && (*o)[klen] == '=';
		if (!replaced)
			env[n++] = strdup(line);
	}
	fclose(f);
	for (const char *const *o = overrides; o && *o && n < 255; o++)
		env[n++] = strdup(*o);
	env[n] = NULL;
	return env;
}

static void free_env(char **env)
{
	for (char **e = env; e && *e; e++)
		free(*e);
	free(env);
}

/* Start ARGV with ENV (NULL: ours), stdout and stderr to LOG; dies with this program. */
static pid_t spawn(char *const *argv, char **env, const char *log)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	int nul = open("/dev/null", O_RDONLY);
	if (nul >= 0) {
		dup2(nul, 0);
		close(nul);
	}
	if (env)
		execve(argv[0], argv, env);
	else
		execvp(argv[0], argv);
	fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Stop PID with SIGTERM (SIGKILL after 20 s); its exit status, -1 if it was killed. */
static int stop(pid_t *pid)
{
	int st = 0;

	if (*pid <= 0)
		return 0;
	kill(*pid, SIGTERM);
	for (int i = 0; i < 200; i++) {
		if (waitpid(*pid, &st, WNOHANG) == *pid) {
			*pid = -1;
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		}
		h_sleep_ms(100);
	}
	kill(*pid, SIGKILL);
	waitpid(*pid, &st, 0);
	*pid = -1;
	return -1;
}

static int alive(pid_t pid)
{
	int st;

	return pid > 0 && waitpid(pid, &st, WNOHANG) == 0;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	struct blob b = { 0 };
	char buf[4096];
	size_t n;

	if (f == NULL)
		return strdup("");
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		blob_add(&b, buf, n);
	fclose(f);
	return b.p ? (char *)b.p : strdup("");
}

/* ---- a FastCGI client (one request per connection, as nginx does here) ---- */

struct fcgi_resp {
	long status;
	char *head;            /* the header lines */
	char *body;
	size_t body_len;
	struct json_object *json;
};

static void put_record(struct blob *b, int type, const void *p, size_t n)
{
	unsigned char h[8] = { 1, (unsigned char)type, 0, 1, (unsigned char)(n >> 8),
	    (unsigned char)n, 0, 0 };

	blob_add(b, h, 8);
	if (n)
		blob_add(b, p, n);
}

static void put_len(struct blob *b, size_t n)
{
	unsigned char l[4] = { (unsigned char)((n >> 24) | 0x80), (unsigned char)(n >> 16),
	    (unsigned char)(n >> 8), (unsigned char)n };

	if (n < 128) {
		unsigned char c = (unsigned char)n;
		blob_add(b, &c, 1);
	} else
		blob_add(b, l, 4);
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* One request: PARAMS (name, value, ... NULL), the body on stdin. 0 when answered. */
static int fcgi_call(const char *const *params, const void *body, size_t len,
    struct fcgi_resp *out)
{
	struct blob req = { 0 }, pv = { 0 }, res = { 0 };
	unsigned char begin[8] = { 0, 1, 0, 0, 0, 0, 0, 0 };   /* RESPONDER, no keep-alive */
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), rc = -1;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(out, 0, sizeof(*out));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto done;
	put_record(&req, 1, begin, sizeof(begin));
	for (const char *const *p = params; *p; p += 2) {
		put_len(&pv, strlen(p[0]));
		put_len(&pv, strlen(p[1]));
		blob_str(&pv, p[0]);
		blob_str(&pv, p[1]);
	}
	for (size_t off = 0; off < pv.n; off += 65535)
		put_record(&req, 4, pv.p + off, pv.n - off < 65535 ? pv.n - off : 65535);
	put_record(&req, 4, NULL, 0);
	for (size_t off = 0; off < len; off += 65535)
		put_record(&req, 5, (const char *)body + off, len - off < 65535 ? len - off : 65535);
	put_record(&req, 5, NULL, 0);
	if (write_all(fd, req.p, req.n) < 0)
		goto done;
	for (;;) {
		unsigned char h[8], pad[256];
		if (read_all(fd, h, 8) < 0)
			goto done;
		size_t n = (size_t)h[4] << 8 | h[5];
		unsigned char *c = malloc(n + 1);
		if (read_all(fd, c, n) < 0 || read_all(fd, pad, h[6]) < 0) {
			free(c);
			goto done;
		}
		if (h[1] == 6)
			blob_add(&res, c, n);
		free(c);
		if (h[1] == 3)
			break;
	}
	blob_add(&res, "", 0);
	char *sep = strstr((char *)res.p, "\r\n\r\n");
	if (sep == NULL || sscanf((char *)res.p, "Status: %ld", &out->status) != 1)
		goto done;
	out->head = strndup((char *)res.p, (size_t)(sep - (char *)res.p) + 2);
	out->body_len = res.n - (size_t)(sep + 4 - (char *)res.p);
	out->body = strndup(sep + 4, out->body_len);
	out->json = json_tokener_parse(out->body);
	rc = 0;
done:
	if (fd >= 0)
		close(fd);
	free(req.p);
	free(pv.p);
	free(res.p);
	return rc;
}

static void fcgi_free(struct fcgi_resp *r)
{
	free(r->head);
	free(r->body);
	json_object_put(r->json);
	memset(r, 0, sizeof(*r));
}

/* Header NAME of the answer (a static copy), NULL when absent. */
static const char *fcgi_hdr(const struct fcgi_resp *r, const char *name)
{
	static char v[1024];
	size_t nl = strlen(name);

	for (const char *l = r->head; l && *l; l = strstr(l, "\r\n") ? strstr(l, "\r\n") + 2 : "") {
		if (strncasecmp(l, name, nl) == 0 && l[nl] == ':') {
			const char *s = l + nl + 1;
			while (*s == ' ')
				s++;
			snprintf(v, sizeof(v), "%.*s", (int)strcspn(s, "\r\n"), s);
			return v;
		}
	}
	return NULL;
}

/* POST /api/media/<org> to the s3 master as the test's admin. */
static int upload(const char *ctype, const void *body, size_t len, struct fcgi_resp *r)
{
	char *uri = xprintf("/api/media/%s", org), *auth = xprintf("Bearer %s", token);
	char *clen = xprintf("%zu", len);
	const char *params[] = {
		"REQUEST_METHOD", "POST", "REQUEST_URI", uri, "DOCUMENT_URI", uri,
		"QUERY_STRING", "", "CONTENT_TYPE", ctype ? ctype : "", "CONTENT_LENGTH", clen,
		"HTTP_AUTHORIZATION", auth, "HTTP_HOST", "localhost", "SERVER_NAME", "localhost",
		"REMOTE_ADDR", "127.0.0.1", "REMOTE_PORT", "40000", "HTTPS", "on",
		"REQUEST_SCHEME", "https", "WEBIX_TENANT", "", "HTTP_USER_AGENT", "e2e_media_s3",
		NULL,
	};
	int rc = fcgi_call(params, body, len, r);
	free(uri);
	free(auth);
	free(clen);
	return rc;
}

/* ---- the fake S3 server's state ---- */

static struct json_object *s3_state(void)
{
	CURL *c = curl_easy_init();
	char *url = xprintf("%s/_fake/state", s3_url), *buf = NULL;
	size_t blen = 0;
	FILE *mem = open_memstream(&buf, &blen);

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, mem);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	CURLcode cc = curl_easy_perform(c);
	fclose(mem);
	curl_easy_cleanup(c);
	free(url);
	struct json_object *j = cc == CURLE_OK ? json_tokener_parse(buf) : NULL;
	free(buf);
	return j;
}

/* How many of the fake's recorded requests are exactly LINE ("PUT key"). */
static int s3_requests(struct json_object *st, const char *line)
{
	struct json_object *a = h_jget(st, "requests");
	int n = 0;

	for (size_t i = 0; a && i < json_object_array_length(a); i++)
		n += strcmp(json_object_get_string(json_object_array_get_idx(a, i)), line) == 0;
	return n;
}

/* Signature or payload refusals the fake recorded. */
static int s3_signature_refusals(struct json_object *st)
{
	struct json_object *a = h_jget(st, "rejected");
	int n = 0;

	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(a, i));
		n += strncmp(s, "NoSuchKey", 9) != 0;
	}
	return n;
}

/* ---- set-up ---- */

static struct h_resp *post_json(struct h_case *c, const char *auth, const char *path,
    struct json_object *o)
{
	const char *hdrs[2] = { auth, NULL };
	struct h_resp *r = h_do(c, &(struct h_req){ .method = "POST", .path = path,
	    .ctype = "application/json", .body = json_object_to_json_string(o),
	    .headers = hdrs });

	json_object_put(o);
	return r;
}

static struct json_object *jobj(const char *k1, const char *v1, const char *k2,
    const char *v2, const char *k3, const char *v3)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, k1, json_object_new_string(v1));
	json_object_object_add(o, k2, json_object_new_string(v2));
	if (k3)
		json_object_object_add(o, k3, json_object_new_string(v3));
	return o;
}

static void t_setup(struct h_case *c)
{
	char tag[32];

	snprintf(tag, sizeof(tag), "%lx%x", (unsigned long)time(NULL), (unsigned)getpid());
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/webix-media-s3.XXXXXX");
	CHECK(c, mkdtemp(tmpdir) != NULL, "mkdtemp: %s", strerror(errno));
	chmod(tmpdir, 0755);
	sock_path = xprintf("%s/api.sock", tmpdir);
	media_dir = xprintf("%s/media", tmpdir);
	api_log = xprintf("%s/logs/e2e_media_s3-api.log", h_env.state);
	char *s3_log = xprintf("%s/logs/e2e_media_s3-s3fake.log", h_env.state);
	char *port_file = xprintf("%s/s3.port", tmpdir);

	/* the fake S3 server */
	const char *py = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
	char *argv_s3[] = { (char *)py, "tests/e2e/s3fake.py", "--port-file", port_file,
	    "--bucket", S3_BUCKET, "--region", S3_REGION, "--access-key", S3_ACCESS,
	    "--secret-key", S3_SECRET, NULL };
	s3_pid = spawn(argv_s3, NULL, s3_log);
	long long t0 = h_now_ms();
	while (access(port_file, R_OK) != 0 && alive(s3_pid) && h_now_ms() - t0 < 15000)
		h_sleep_ms(50);
	char *port = read_file(port_file);
	CHECK(c, atoi(port) > 0, "s3fake.py did not start (see %s): %s", s3_log,
	    read_file(s3_log));
	s3_url = xprintf("http://127.0.0.1:%d", atoi(port));

	/* a user and an organization, through the stack's nginx and api */
	char *email = xprintf("e2e-media-s3-%s@example.com", tag);
	struct h_resp *r = post_json(c, NULL, "/api/auth/register", jobj("email", email,
	    "password", PASSWORD, "displayName", "E2E S3"));
	CHECK(c, r->status == 201 && h_jstr(r->json, "data.accessToken"), "register: %s",
	    h_brief(r));
	token = strdup(h_jstr(r->json, "data.accessToken"));
	user_id = strdup(h_jstr(r->json, "data.user._id") ? h_jstr(r->json, "data.user._id") : "");
	char *auth = xprintf("Authorization: Bearer %s", token), *sub = xprintf("media-s3-%s", tag);
	r = post_json(c, auth, "/api/organizations", jobj("name", "Media S3", "subdomain", sub,
	    NULL, NULL));
	CHECK(c, r->status == 201 && h_jstr(r->json, "data._id"), "create org: %s", h_brief(r));
	org = strdup(h_jstr(r->json, "data._id"));

	/* the second master, MEDIA_STORE=s3 */
	char *o_sock = xprintf("WEBIX_SOCKET=%s", sock_path);
	char *o_pid = xprintf("WEBIX_PID_FILE=%s/api.pid", tmpdir);
	char *o_media = xprintf("MEDIA_DIR=%s", media_dir);
	char *o_ep = xprintf("S3_ENDPOINT=%s", s3_url);
	const char *over[] = { o_sock, o_pid, o_media, o_ep, "WEBIX_WORKERS=1", "MEDIA_STORE=s3",
	    "S3_BUCKET=" S3_BUCKET, "S3_REGION=" S3_REGION, "S3_ACCESS_KEY=" S3_ACCESS,
	    "S3_SECRET_KEY=" S3_SECRET, "S3_PUBLIC_URL=" PUBLIC_URL "/", NULL };
	char **env = api_env(over);
	CHECK(c, env != NULL, "cannot read %s/api.env", h_env.state);
	char *bin = xprintf("%s/bin/webix-api", h_env.state);
	char *argv_api[] = { bin, NULL };
	api_pid = spawn(argv_api, env, api_log);
	free_env(env);
	int up = 0;
	t0 = h_now_ms();
	while (!up && alive(api_pid) && h_now_ms() - t0 < 30000) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
		up = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		if (fd >= 0)
			close(fd);
		if (!up)
			h_sleep_ms(100);
	}
	CHECK(c, up, "the MEDIA_STORE=s3 webix-api did not start: %s", read_file(api_log));
	ready = 1;
}

#define NEED_READY(c) CHECK(c, ready, "set-up failed")

/* The object of these bytes is in the fake, as sent, once. */
static int expect_object(struct h_case *c, const struct blob *b, const char *ext,
    const char *mime, int puts, const char *what)
{
	char sha[65];

	sha_hex(b->p, b->n, sha);
	char *key = xprintf("%s/%s.%s", org, sha, ext);
	struct json_object *st = s3_state();
	int ok = h_check(c, st != NULL, "%s: no state from the fake S3", what);
	/* json-c paths split on dots: look the key up by hand */
	struct json_object *objs = h_jget(st, "objects"), *o = NULL;
	ok = ok && h_check(c, objs && json_object_object_get_ex(objs, key, &o), "%s: no object "
	    "%s in the store", what, key);
	if (ok) {
		EXPECT(c, strcmp(h_jstr(o, "sha256") ? h_jstr(o, "sha256") : "", sha) == 0,
		    "%s: stored sha256 %s", what, h_jstr(o, "sha256"));
		struct json_object *sz = h_jget(o, "size");
		EXPECT(c, sz && json_object_get_int64(sz) == (int64_t)b->n, "%s: stored size %s",
		    what, sz ? json_object_to_json_string(sz) : "?");
		EXPECT(c, h_jstr(o, "contentType") && strcmp(h_jstr(o, "contentType"), mime) == 0,
		    "%s: stored Content-Type %s", what, h_jstr(o, "contentType"));
		const char *cc = h_jstr(o, "cacheControl");
		EXPECT(c, cc && strstr(cc, "max-age=31536000") && strstr(cc, "immutable"),
		    "%s: stored Cache-Control %s", what, cc ? cc : "(none)");
		struct json_object *p = h_jget(o, "puts");
		EXPECT(c, p && json_object_get_int(p) == puts, "%s: %s PUTs, expected %d", what,
		    p ? json_object_to_json_string(p) : "?", puts);
	}
	EXPECT(c, s3_signature_refusals(st) == 0, "%s: the fake S3 refused requests: %s", what,
	    json_object_to_json_string(h_jget(st, "rejected")));
	json_object_put(st);
	free(key);
	return ok;
}

/* A 201 with data.url = S3_PUBLIC_URL/<org>/<sha>.<ext> and nothing kept locally. */
static int expect_201(struct h_case *c, struct fcgi_resp *r, const struct blob *b,
    const char *ext, const char *mime, const char *what)
{
	char sha[65];

	sha_hex(b->p, b->n, sha);
	if (!h_check(c, r->status == 201, "%s: status %ld: %s", what, r->status,
	    r->body ? r->body : "(no answer)"))
		return 0;
	char *want = xprintf(PUBLIC_URL "/%s/%s.%s", org, sha, ext);
	const char *url = h_jstr(r->json, "data.url");
	int ok = h_check(c, url && strcmp(url, want) == 0, "%s: url %s, expected %s", what,
	    url ? url : "(none)", want);
	EXPECT(c, h_jstr(r->json, "data.contentType") && strcmp(h_jstr(r->json,
	    "data.contentType"), mime) == 0, "%s: contentType %s", what,
	    h_jstr(r->json, "data.contentType"));
	EXPECT(c, h_jstr(r->json, "data.sha256") && strcmp(h_jstr(r->json, "data.sha256"), sha)
	    == 0, "%s: sha256 %s", what, h_jstr(r->json, "data.sha256"));
	struct json_object *sz = h_jget(r->json, "data.size");
	EXPECT(c, sz && json_object_get_int64(sz) == (int64_t)b->n, "%s: size", what);
	const char *loc = fcgi_hdr(r, "Location");
	EXPECT(c, loc && strcmp(loc, want) == 0, "%s: Location %s", what, loc ? loc : "(none)");
	char *local = xprintf("%s/%s", media_dir, org);
	struct stat st;
	EXPECT(c, stat(local, &st) != 0, "%s: %s exists with MEDIA_STORE=s3", what, local);
	free(local);
	free(want);
	return ok;
}

static void expect_tmp_empty(struct h_case *c, const char *what)
{
	char *cmd = xprintf("find '%s/.tmp' -mindepth 1 2>/dev/null | wc -l", media_dir);
	FILE *p = popen(cmd, "r");
	int n = -1;

	if (p) {
		if (fscanf(p, "%d", &n) != 1)
			n = -1;
		pclose(p);
	}
	EXPECT(c, n == 0, "%s: %d files left in %s/.tmp", what, n, media_dir);
	free(cmd);
}

/* ---- cases ---- */

static struct blob png_a;

static void t_upload_raw(struct h_case *c)
{
	NEED_READY(c);
	struct fcgi_resp r;
	png_a = make_png(7001, 300000);
	CHECK(c, upload("image/png", png_a.p, png_a.n, &r) == 0, "no FastCGI answer");
	if (expect_201(c, &r, &png_a, "png", "image/png", "raw png"))
		expect_object(c, &png_a, "png", "image/png", 1, "raw png");
	expect_tmp_empty(c, "raw png");
	fcgi_free(&r);
}

static void t_upload_multipart(struct h_case *c)
{
	NEED_READY(c);
	struct blob jpg = make_jpeg("s3 multipart");
	struct part p[] = {
		{ "caption", NULL, NULL, "x", 1 },
		{ "file", "cover.jpg", "image/jpeg", jpg.p, jpg.n },
	};
	struct blob mp = multipart(p, 2);
	struct fcgi_resp r;
	CHECK(c, upload("multipart/form-data; boundary=" BOUNDARY, mp.p, mp.n, &r) == 0,
	    "no FastCGI answer");
	if (expect_201(c, &r, &jpg, "jpg", "image/jpeg", "multipart jpeg"))
		expect_object(c, &jpg, "jpg", "image/jpeg", 1, "multipart jpeg");
	fcgi_free(&r);
	free(mp.p);
	free(jpg.p);
}

static void t_same_file_sent_once(struct h_case *c)
{
	NEED_READY(c);
	CHECK(c, png_a.n > 0, "no first upload");
	struct fcgi_resp r;
	CHECK(c, upload("application/octet-stream", png_a.p, png_a.n, &r) == 0,
	    "no FastCGI answer");
	if (expect_201(c, &r, &png_a, "png", "image/png", "second copy"))
		expect_object(c, &png_a, "png", "image/png", 1, "second copy");
	char sha[65];
	sha_hex(png_a.p, png_a.n, sha);
	char *head = xprintf("HEAD %s/%s.png", org, sha), *put = xprintf("PUT %s/%s.png", org, sha);
	struct json_object *st = s3_state();
	EXPECT(c, s3_requests(st, head) == 2 && s3_requests(st, put) == 1,
	    "requests for the object: %d HEAD (expected 2), %d PUT (expected 1)",
	    s3_requests(st, head), s3_requests(st, put));
	json_object_put(st);
	free(head);
	free(put);
	fcgi_free(&r);
}

static void t_wrong_type_sends_nothing(struct h_case *c)
{
	NEED_READY(c);
	struct blob bad = make_png(7002, 0);
	bad.p[2] = 'X';
	struct fcgi_resp r;
	CHECK(c, upload("image/png", bad.p, bad.n, &r) == 0, "no FastCGI answer");
	EXPECT(c, r.status == 415 && strcmp(h_jstr(r.json, "code") ? h_jstr(r.json, "code") : "",
	    "unsupported_media_type") == 0, "status %ld: %s", r.status, r.body);
	char sha[65];
	sha_hex(bad.p, bad.n, sha);
	struct json_object *st = s3_state();
	char *key = xprintf("PUT %s/%s.png", org, sha), *hk = xprintf("HEAD %s/%s.png", org, sha);
	EXPECT(c, s3_requests(st, key) == 0 && s3_requests(st, hk) == 0,
	    "the store was asked about a refused file");
	json_object_put(st);
	free(key);
	free(hk);
	expect_tmp_empty(c, "refused type");
	fcgi_free(&r);
	free(bad.p);
}

/* The fake does verify: a wrong secret and a wrong payload hash are refused. */
static void t_fake_checks_signatures(struct h_case *c)
{
	NEED_READY(c);
	static const struct { const char *secret, *sha; const char *what; } cases[] = {
		{ "not-the-secret", NULL, "wrong secret key" },
		{ S3_SECRET, "0000000000000000000000000000000000000000000000000000000000000000",
		  "payload hash of other bytes" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char body[] = "GIF89a-probe";
		char hex[65], hdr[128];
		sha_hex(body, sizeof(body) - 1, hex);
		snprintf(hdr, sizeof(hdr), "x-amz-content-sha256: %s", cases[i].sha ? cases[i].sha : hex);
		CURL *cu = curl_easy_init();
		struct curl_slist *h = curl_slist_append(NULL, hdr);
		char *url = xprintf("%s/" S3_BUCKET "/probe-%zu", s3_url, i);
		FILE *devnull = fopen("/dev/null", "w");
		curl_easy_setopt(cu, CURLOPT_URL, url);
		curl_easy_setopt(cu, CURLOPT_AWS_SIGV4, "aws:amz:" S3_REGION ":s3");
		curl_easy_setopt(cu, CURLOPT_USERNAME, S3_ACCESS);
		curl_easy_setopt(cu, CURLOPT_PASSWORD, cases[i].secret);
		curl_easy_setopt(cu, CURLOPT_CUSTOMREQUEST, "PUT");
		curl_easy_setopt(cu, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(cu, CURLOPT_POSTFIELDSIZE, (long)(sizeof(body) - 1));
		curl_easy_setopt(cu, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(cu, CURLOPT_WRITEDATA, devnull);
		curl_easy_setopt(cu, CURLOPT_TIMEOUT, 10L);
		long status = 0;
		CURLcode cc = curl_easy_perform(cu);
		curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, &status);
		EXPECT(c, cc == CURLE_OK && status == 403, "%s: status %ld (%s), expected 403",
		    cases[i].what, status, curl_easy_strerror(cc));
		fclose(devnull);
		curl_slist_free_all(h);
		curl_easy_cleanup(cu);
		free(url);
	}
}

static void t_audit(struct h_case *c)
{
	NEED_READY(c);
	CHECK(c, png_a.n > 0 && h_env.database_url, "no upload or no DATABASE_URL");
	char sha[65];
	sha_hex(png_a.p, png_a.n, sha);
	PGconn *db = PQconnectdb(h_env.database_url);
	CHECK(c, PQstatus(db) == CONNECTION_OK, "connect: %s", PQerrorMessage(db));
	const char *p[2] = { sha, org };
	PGresult *res = PQexecParams(db, "SELECT user_id::text, metadata->>'url' FROM audit_log "
	    "WHERE action = 'media_uploaded' AND resource = 'media' AND resource_id = $1 AND "
	    "org_id = $2::uuid", 2, NULL, p, NULL, NULL, 0);
	char *url = xprintf(PUBLIC_URL "/%s/%s.png", org, sha);
	EXPECT(c, PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 2,
	    "audit rows: %d (two uploads of the same file), %s", PQntuples(res),
	    PQresultErrorMessage(res));
	for (int i = 0; i < PQntuples(res); i++) {
		EXPECT(c, strcmp(PQgetvalue(res, i, 0), user_id) == 0, "user_id %s",
		    PQgetvalue(res, i, 0));
		EXPECT(c, strcmp(PQgetvalue(res, i, 1), url) == 0, "metadata.url %s",
		    PQgetvalue(res, i, 1));
	}
	free(url);
	PQclear(res);
	PQfinish(db);
}

static void t_store_down_503(struct h_case *c)
{
	NEED_READY(c);
	stop(&s3_pid);
	struct blob gif = make_gif("store down");
	struct fcgi_resp r;
	CHECK(c, upload("image/gif", gif.p, gif.n, &r) == 0, "no FastCGI answer");
	EXPECT(c, r.status == 503 && strcmp(h_jstr(r.json, "code") ? h_jstr(r.json, "code") : "",
	    "unavailable") == 0, "status %ld: %s", r.status, r.body);
	const char *ra = fcgi_hdr(&r, "Retry-After");
	EXPECT(c, ra && atoi(ra) > 0, "Retry-After %s", ra ? ra : "(none)");
	expect_tmp_empty(c, "store down");
	char sha[65];
	sha_hex(gif.p, gif.n, sha);
	PGconn *db = PQconnectdb(h_env.database_url);
	const char *p[1] = { sha };
	PGresult *res = PQexecParams(db, "SELECT count(*) FROM audit_log WHERE resource_id = $1",
	    1, NULL, p, NULL, NULL, 0);
	EXPECT(c, PQresultStatus(res) == PGRES_TUPLES_OK && strcmp(PQgetvalue(res, 0, 0), "0") == 0,
	    "audit rows for a failed upload: %s", PQgetvalue(res, 0, 0));
	PQclear(res);
	PQfinish(db);
	fcgi_free(&r);
	free(gif.p);
}

/* webix-api -t with MEDIA_STORE=s3 and a bad S3_* setting: exit 78 and a clear message. */
static void t_bad_settings_refuse_start(struct h_case *c)
{
	NEED_READY(c);
	static const struct { const char *set, *want; int rc; } cases[] = {
		{ "S3_BUCKET=", "MEDIA_STORE = s3 needs S3_BUCKET", 78 },
		{ "S3_SECRET_KEY=", "MEDIA_STORE = s3 needs S3_SECRET_KEY", 78 },
		/* (the message is inside a JSON log line: no quotes in what is looked for) */
		{ "S3_ENDPOINT=ftp://s3.example.com", "is not an http(s)://host[:port] URL", 78 },
		{ "MEDIA_STORE=cloud", "is not valid: expected local or s3", 78 },
		{ "S3_REGION=eu-central-9", "configuration ok", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *log = xprintf("%s/check-%zu.log", tmpdir, i);
		char *o_ep = xprintf("S3_ENDPOINT=%s", s3_url);
		const char *base[] = { o_ep, "MEDIA_STORE=s3", "S3_BUCKET=" S3_BUCKET,
		    "S3_REGION=" S3_REGION, "S3_ACCESS_KEY=" S3_ACCESS, "S3_SECRET_KEY=" S3_SECRET };
		const char *over2[8];
		int n = 0;
		size_t k = strcspn(cases[i].set, "=") + 1;   /* "NAME=" of the case's setting */
		for (size_t j = 0; j < sizeof(base) / sizeof(base[0]); j++)
			if (strncmp(base[j], cases[i].set, k) != 0)
				over2[n++] = base[j];
		over2[n++] = cases[i].set;
		over2[n] = NULL;
		char **env = api_env(over2);
		char *bin = xprintf("%s/bin/webix-api", h_env.state);
		char *argv[] = { bin, "-t", NULL };
		pid_t pid = spawn(argv, env, log);
		int st = 0;
		waitpid(pid, &st, 0);
		char *out = read_file(log);
		EXPECT(c, WIFEXITED(st) && WEXITSTATUS(st) == cases[i].rc, "%s: exit %d, expected %d: %s",
		    cases[i].set, WIFEXITED(st) ? WEXITSTATUS(st) : -1, cases[i].rc, out);
		EXPECT(c, strstr(out, cases[i].want) != NULL, "%s: output lacks \"%s\": %s",
		    cases[i].set, cases[i].want, out);
		free(out);
		free(bin);
		free_env(env);
		free(o_ep);
		free(log);
	}
}

/* The s3 master stops cleanly and its log has no sanitizer report. */
static void t_stop_clean(struct h_case *c)
{
	NEED_READY(c);
	int rc = stop(&api_pid);
	EXPECT(c, rc == 0, "the s3 webix-api exited with %d", rc);
	char *log = read_file(api_log);
	EXPECT(c, strstr(log, "ERROR: AddressSanitizer") == NULL &&
	    strstr(log, "ERROR: LeakSanitizer") == NULL && strstr(log, "runtime error:") == NULL,
	    "sanitizer report in %s", api_log);
	free(log);
}

int main(void)
{
	if (h_init() < 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	h_run("media_s3_setup", t_setup);
	h_run("media_s3_upload_raw", t_upload_raw);
	h_run("media_s3_upload_multipart", t_upload_multipart);
	h_run("media_s3_same_file_sent_once", t_same_file_sent_once);
	h_run("media_s3_wrong_type_sends_nothing", t_wrong_type_sends_nothing);
	h_run("media_s3_fake_checks_signatures", t_fake_checks_signatures);
	h_run("media_s3_audit", t_audit);
	h_run("media_s3_bad_settings_refuse_start", t_bad_settings_refuse_start);
	h_run("media_s3_store_down_503", t_store_down_503);
	h_run("media_s3_stop_clean", t_stop_clean);
	stop(&api_pid);
	stop(&s3_pid);
	if (tmpdir[0]) {
		char *cmd = xprintf("rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", tmpdir);
		free(cmd);
	}
	return h_finish();
}
