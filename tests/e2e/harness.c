/* harness.c — shared helpers of the webix end-to-end tests (see harness.h): environment,
 * libcurl requests with verified TLS, response headers and JSON, case reporting. */
#include "harness.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct h_env h_env;

struct h_case {
	const char *name;
	int failed;
	char why[2048];
	struct h_resp **resps;
	size_t nresps;
};

static int n_passed, n_failed;

/* ---- environment ---- */

static const char *env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);
	return v != NULL && *v != '\0' ? v : dflt;
}

/* The port of an URL such as https://localhost:8443/ (static copy), NULL if none. */
static const char *url_port(const char *url)
{
	static char port[16];
	const char *p = strstr(url, "://");
	size_t n;

	if (p == NULL || (p = strchr(p + 3, ':')) == NULL)
		return NULL;
	n = strspn(p + 1, "0123456789");
	if (n == 0 || n >= sizeof(port))
		return NULL;
	memcpy(port, p + 1, n);
	port[n] = '\0';
	return port;
}

int h_init(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	h_env.url = env_or("WEBIX_URL", NULL);
	h_env.ca = env_or("WEBIX_CA", NULL);
	h_env.base_domain = env_or("WEBIX_BASE_DOMAIN", "webix.localhost");
	h_env.https_port = env_or("WEBIX_HTTPS_PORT", NULL);
	h_env.http_port = env_or("WEBIX_HTTP_PORT", NULL);
	h_env.database_url = env_or("DATABASE_URL", NULL);
	h_env.redis_url = env_or("REDIS_URL", NULL);
	h_env.state = env_or("WEBIX_STATE", NULL);
	h_env.dev = env_or("WEBIX_DEV", NULL);
	h_env.node_env = env_or("NODE_ENV", "test");
	if (h_env.https_port == NULL && h_env.url != NULL)
		h_env.https_port = url_port(h_env.url);
	if (h_env.url == NULL || h_env.ca == NULL || h_env.https_port == NULL) {
		printf("FAIL setup: WEBIX_URL (with a port) and WEBIX_CA must be set "
		    "(eval \"$(scripts/dev env)\")\n");
		return -1;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		printf("FAIL setup: curl_global_init failed\n");
		return -1;
	}
	return 0;
}

/* ---- requests ---- */

CURL *h_curl_new(void)
{
	return curl_easy_init();
}

struct sink {
	struct h_resp *resp;
	char *buf;
	size_t len, cap;
};

static size_t body_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t n = size * nmemb;

	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		char *p;

		while (cap < s->len + n + 1)
			cap *= 2;
		if ((p = realloc(s->buf, cap)) == NULL)
			return 0;
		s->buf = p;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, data, n);
	s->len += n;
	s->buf[s->len] = '\0';
	return n;
}

static void headers_clear(struct h_resp *r)
{
	for (size_t i = 0; i < r->nhdrs; i++) {
		free(r->hdrs[i].name);
		free(r->hdrs[i].value);
	}
	free(r->hdrs);
	r->hdrs = NULL;
	r->nhdrs = 0;
}

/* One header line; a status line starts a new response (after 100 Continue). */
static size_t header_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct h_resp *r = arg;
	size_t n = size * nmemb, len = n, nlen;
	const char *colon;
	struct h_header *h;

	while (len > 0 && (data[len - 1] == '\r' || data[len - 1] == '\n'))
		len--;
	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		headers_clear(r);
		return n;
	}
	if ((colon = memchr(data, ':', len)) == NULL)
		return n;
	nlen = (size_t)(colon - data);
	colon++;
	while (colon < data + len && (*colon == ' ' || *colon == '\t'))
		colon++;
	if ((h = realloc(r->hdrs, (r->nhdrs + 1) * sizeof(*h))) == NULL)
		return 0;
	r->hdrs = h;
	h[r->nhdrs].name = strndup(data, nlen);
	h[r->nhdrs].value = strndup(colon, (size_t)(data + len - colon));
	if (h[r->nhdrs].name == NULL || h[r->nhdrs].value == NULL)
		return 0;
	r->nhdrs++;
	return n;
}

/* Exactly one JSON value (surrounding whitespace allowed), else NULL. */
static struct json_object *parse_json(const char *buf, size_t len)
{
	struct json_tokener *tok;
	struct json_object *obj;
	size_t end;

	if (buf == NULL || len == 0 || len > (size_t)0x7fffffff)
		return NULL;
	if ((tok = json_tokener_new()) == NULL)
		return NULL;
	obj = json_tokener_parse_ex(tok, buf, (int)len);
	end = json_tokener_get_parse_end(tok);
	if (json_tokener_get_error(tok) != json_tokener_success)
		obj = NULL;
	json_tokener_free(tok);
	while (obj != NULL && end < len && isspace((unsigned char)buf[end]))
		end++;
	if (obj != NULL && end != len) {
		json_object_put(obj);
		obj = NULL;
	}
	return obj;
}

int h_perform(CURL *curl, const struct h_req *q, struct h_resp *r)
{
	const char *method = q->method ? q->method : "GET";
	const char *host = q->host ? q->host : "localhost";
	const char *port = q->plain_http ? h_env.http_port : h_env.https_port;
	struct curl_slist *hdrs = NULL, *resolve = NULL;
	struct sink sink = { .resp = r };
	char url[2048], line[512];

	memset(r, 0, sizeof(*r));
	if (port == NULL) {
		r->cc = CURLE_FAILED_INIT;
		snprintf(r->err, sizeof(r->err), "no port for %s", q->plain_http ? "http" : "https");
		return -1;
	}
	curl_easy_reset(curl);
	snprintf(url, sizeof(url), "%s://%s:%s%s", q->plain_http ? "http" : "https", host,
	    port, q->path ? q->path : "/");
	snprintf(line, sizeof(line), "%s:%s:127.0.0.1", host, port);
	resolve = curl_slist_append(resolve, line);

	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_RESOLVE, resolve);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CAINFO, h_env.ca);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, q->no_verify_host ? 0L : 2L);
	curl_easy_setopt(curl, CURLOPT_HTTP_VERSION,
	    q->http1 ? (long)CURL_HTTP_VERSION_1_1 : (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, q->timeout_ms > 0 ? q->timeout_ms : 10000L);
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, r->err);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, body_cb);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, r);
	if (q->source_addr != NULL) {
		snprintf(line, sizeof(line), "host!%s", q->source_addr);
		curl_easy_setopt(curl, CURLOPT_INTERFACE, line);  /* libcurl copies it */
	}

	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
	else if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
		curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	if (q->body != NULL || strcmp(method, "POST") == 0) {
		/* A POST without a body still goes out as a POST, with Content-Length: 0. */
		const char *body = q->body ? q->body : "";

		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)(q->body_len ? q->body_len : strlen(body)));
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		if (strcmp(method, "POST") != 0)
			curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
		if (q->ctype != NULL) {
			snprintf(line, sizeof(line), "Content-Type: %s", q->ctype);
			hdrs = curl_slist_append(hdrs, line);
		} else {
			hdrs = curl_slist_append(hdrs, "Content-Type:");  /* none at all */
		}
	} else if (q->ctype != NULL) {
		snprintf(line, sizeof(line), "Content-Type: %s", q->ctype);
		hdrs = curl_slist_append(hdrs, line);
	}
	for (const char *const *h = q->headers; h != NULL && *h != NULL; h++)
		hdrs = curl_slist_append(hdrs, *h);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);

	r->cc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_getinfo(curl, CURLINFO_HTTP_VERSION, &r->http_version);
	if (r->cc != CURLE_OK && r->err[0] == '\0')
		snprintf(r->err, sizeof(r->err), "%s", curl_easy_strerror(r->cc));
	r->body = sink.buf ? sink.buf : strdup("");
	r->body_len = sink.len;
	r->json = parse_json(r->body, r->body_len);

	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(curl, CURLOPT_RESOLVE, NULL);
	curl_slist_free_all(hdrs);
	curl_slist_free_all(resolve);
	return r->status != 0 ? 0 : -1;
}

void h_resp_free(struct h_resp *r)
{
	if (r == NULL)
		return;
	headers_clear(r);
	free(r->body);
	json_object_put(r->json);
	memset(r, 0, sizeof(*r));
}

const char *h_hdr(const struct h_resp *r, const char *name)
{
	for (size_t i = 0; i < r->nhdrs; i++)
		if (strcasecmp(r->hdrs[i].name, name) == 0)
			return r->hdrs[i].value;
	return NULL;
}

int h_hdr_has_token(const struct h_resp *r, const char *name, const char *token)
{
	size_t tlen = strlen(token);

	for (size_t i = 0; i < r->nhdrs; i++) {
		const char *p = r->hdrs[i].value;

		if (strcasecmp(r->hdrs[i].name, name) != 0)
			continue;
		while (*p != '\0') {
			size_t n;

			p += strspn(p, " \t,");
			n = strcspn(p, ",");
			while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
				n--;
			if (n == tlen && strncasecmp(p, token, tlen) == 0)
				return 1;
			p += strcspn(p, ",");
		}
	}
	return 0;
}

long h_retry_after(const struct h_resp *r)
{
	const char *v = h_hdr(r, "Retry-After");
	char *end;
	long n;

	if (v == NULL || !isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || n <= 0)
		return -1;
	return n;
}

const char *h_brief(struct h_resp *r)
{
	char body[200];
	size_t i, n = 0;

	for (i = 0; i < r->body_len && n + 5 < sizeof(body); i++) {
		unsigned char ch = (unsigned char)r->body[i];

		if (ch >= 0x20 && ch < 0x7f)
			body[n++] = (char)ch;
		else
			n += (size_t)snprintf(body + n, sizeof(body) - n, "\\x%02x", ch);
	}
	body[n] = '\0';
	if (r->status == 0)
		snprintf(r->brief, sizeof(r->brief), "no response (%s)", r->err);
	else
		snprintf(r->brief, sizeof(r->brief), "status %ld, body %s%s%s", r->status,
		    r->body_len ? "" : "(empty)", body, i < r->body_len ? "..." : "");
	return r->brief;
}

const char *h_private_addr(void)
{
	static char addr[32];

	if (addr[0] == '\0') {
		unsigned long v = ((unsigned long)getpid() * 2654435761UL) ^ (unsigned long)time(NULL);

		snprintf(addr, sizeof(addr), "127.%lu.%lu.%lu", v % 254 + 1, (v >> 8) % 256,
		    (v >> 16) % 254 + 1);
	}
	return addr;
}

/* ---- JSON ---- */

struct json_object *h_jget(struct json_object *obj, const char *path)
{
	char key[128];

	while (obj != NULL && path != NULL && *path != '\0') {
		size_t n = strcspn(path, ".");

		if (n >= sizeof(key) || !json_object_is_type(obj, json_type_object))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		if (!json_object_object_get_ex(obj, key, &obj))
			return NULL;
		path += n + (path[n] == '.');
	}
	return obj;
}

const char *h_jstr(struct json_object *obj, const char *path)
{
	struct json_object *v = h_jget(obj, path);

	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

int h_jtrue(struct json_object *obj, const char *path)
{
	struct json_object *v = h_jget(obj, path);

	return json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
}

int h_jfalse(struct json_object *obj, const char *path)
{
	struct json_object *v = h_jget(obj, path);

	return json_object_is_type(v, json_type_boolean) && !json_object_get_boolean(v);
}

/* ---- Redis: a small RESP client over REDIS_URL ---- */

#define REDIS_MAX_ARGS 16

static pthread_mutex_t redis_mu = PTHREAD_MUTEX_INITIALIZER;   /* guards all below */
static int redis_fd = -1;
static char redis_buf[8192];
static size_t redis_pos, redis_len;
static int redis_gone;   /* the last read or write found the connection closed by Redis */

static void redis_close(void)
{
	if (redis_fd >= 0)
		close(redis_fd);
	redis_fd = -1;
	redis_pos = redis_len = 0;
}

static int redis_byte(void)
{
	if (redis_pos == redis_len) {
		ssize_t n;

		do
			n = recv(redis_fd, redis_buf, sizeof(redis_buf), 0);
		while (n < 0 && errno == EINTR);
		if (n <= 0) {
			redis_gone = n == 0 || errno == ECONNRESET;
			return -1;
		}
		redis_pos = 0;
		redis_len = (size_t)n;
	}
	return (unsigned char)redis_buf[redis_pos++];
}

static int redis_line(char *buf, size_t sz)
{
	size_t n = 0;
	int ch;

	while ((ch = redis_byte()) >= 0 && ch != '\n')
		if (ch != '\r' && n + 1 < sz)
			buf[n++] = (char)ch;
	buf[n] = '\0';
	return ch < 0 ? -1 : 0;
}

/* One reply: *TYPE is '+', '-', ':', '$' or '*' (0 for a nil), *S its text (malloc; NULL
 * for a nil or an array, whose elements are read and dropped). -1 on a read or protocol
 * error (then *S is NULL). */
static int redis_reply(char *type, char **s)
{
	char line[512];
	long long n;
	int ok = 1;

	*type = 0;
	*s = NULL;
	if (redis_line(line, sizeof(line)) < 0 || line[0] == '\0')
		return -1;
	n = strtoll(line + 1, NULL, 10);
	switch (line[0]) {
	case '+': case '-': case ':':
		*type = line[0];
		return (*s = strdup(line + 1)) != NULL ? 0 : -1;
	case '$':
		if (n < 0)
			return 0;
		*type = '$';
		if ((*s = malloc((size_t)n + 1)) == NULL)
			return -1;
		for (long long i = 0; i < n && ok; i++) {
			int ch = redis_byte();

			ok = ch >= 0;
			(*s)[i] = (char)ch;
		}
		(*s)[n] = '\0';
		if (!ok || redis_line(line, sizeof(line)) < 0 || line[0] != '\0') {
			free(*s);
			*s = NULL;
			return -1;
		}
		return 0;
	case '*':
		if (n < 0)
			return 0;
		*type = '*';
		for (long long i = 0; i < n; i++) {
			char t;
			char *e;
			int rc = redis_reply(&t, &e);

			free(e);
			if (rc < 0)
				return -1;
		}
		return 0;
	}
	return -1;
}

static int redis_send(int argc, const char *const *argv)
{
	size_t total = 32, n = 0;
	char *buf;
	int ok = 1;

	for (int i = 0; i < argc; i++)
		total += strlen(argv[i]) + 32;
	if ((buf = malloc(total)) == NULL)
		return -1;
	n += (size_t)snprintf(buf + n, total - n, "*%d\r\n", argc);
	for (int i = 0; i < argc; i++)
		n += (size_t)snprintf(buf + n, total - n, "$%zu\r\n%s\r\n", strlen(argv[i]),
		    argv[i]);
	for (size_t off = 0; off < n && ok;) {
		ssize_t w = send(redis_fd, buf + off, n - off, MSG_NOSIGNAL);

		if (w > 0)
			off += (size_t)w;
		else if (w < 0 && errno == EINTR)
			continue;
		else
			ok = 0, redis_gone = w < 0 && (errno == EPIPE || errno == ECONNRESET);
	}
	free(buf);
	return ok ? 0 : -1;
}

/* One command on the open connection whose reply must be simple (AUTH, SELECT). */
static int redis_simple(const char *const *argv)
{
	char type, *s;
	int ok = redis_send(2, argv) == 0 && redis_reply(&type, &s) == 0 && type == '+';

	free(s);
	return ok ? 0 : -1;
}

/* Opens redis_fd on REDIS_URL (the syntax of lib/redis.c), AUTH and SELECT as it says. */
static int redis_connect(char *err, size_t errsz)
{
	const char *url = h_env.redis_url;
	char host[256] = "127.0.0.1", port[16] = "6379", dbn[16] = "0", pw[256] = "";
	struct timeval tv = { .tv_sec = 3 };

	if (url == NULL) {
		snprintf(err, errsz, "REDIS_URL is not set");
		return -1;
	}
	if (strncmp(url, "unix:", 5) == 0) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		const char *path = url + 5, *q;

		while (path[0] == '/' && path[1] == '/')
			path++;
		q = path + strcspn(path, "?");
		if (strncmp(q, "?db=", 4) == 0)
			snprintf(dbn, sizeof(dbn), "%s", q + 4);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%.*s", (int)(q - path), path);
		redis_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (redis_fd < 0 || connect(redis_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
			snprintf(err, errsz, "connect %s: %s", sa.sun_path, strerror(errno));
			redis_close();
			return -1;
		}
	} else if (strncmp(url, "redis://", 8) == 0) {
		const char *p = url + 8, *at = strchr(p, '@'), *colon;
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL, *a;
		size_t hl;
		int e = 0;

		if (at != NULL) {
			const char *pass = memchr(p, ':', (size_t)(at - p));

			pass = pass ? pass + 1 : p;
			snprintf(pw, sizeof(pw), "%.*s", (int)(at - pass), pass);
			p = at + 1;
		}
		hl = strcspn(p, "/");
		if (p[hl] == '/' && p[hl + 1] != '\0')
			snprintf(dbn, sizeof(dbn), "%s", p + hl + 1);
		if ((colon = memchr(p, ':', hl)) != NULL) {
			snprintf(host, sizeof(host), "%.*s", (int)(colon - p), p);
			snprintf(port, sizeof(port), "%.*s", (int)(p + hl - colon - 1), colon + 1);
		} else if (hl > 0) {
			snprintf(host, sizeof(host), "%.*s", (int)hl, p);
		}
		if (getaddrinfo(host, port, &hints, &ai) != 0 || ai == NULL) {
			snprintf(err, errsz, "cannot resolve %s:%s", host, port);
			return -1;
		}
		for (a = ai; a != NULL && redis_fd < 0; a = a->ai_next) {
			redis_fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
			if (redis_fd >= 0 && connect(redis_fd, a->ai_addr, a->ai_addrlen) != 0) {
				e = errno;
				redis_close();
			} else if (redis_fd < 0) {
				e = errno;
			}
		}
		freeaddrinfo(ai);
		if (redis_fd < 0) {
			snprintf(err, errsz, "connect %s:%s: %s", host, port, strerror(e));
			return -1;
		}
	} else {
		snprintf(err, errsz, "unsupported REDIS_URL %s", url);
		return -1;
	}
	setsockopt(redis_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(redis_fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (pw[0] != '\0' && redis_simple((const char *const[]){ "AUTH", pw }) < 0) {
		snprintf(err, errsz, "AUTH failed");
		redis_close();
		return -1;
	}
	if (strcmp(dbn, "0") != 0 && redis_simple((const char *const[]){ "SELECT", dbn }) < 0) {
		snprintf(err, errsz, "SELECT %s failed", dbn);
		redis_close();
		return -1;
	}
	return 0;
}

const char *h_redis(struct h_case *c, const char **err, const char *cmd, ...)
{
	const char *argv[REDIS_MAX_ARGS], *out = NULL;
	char why[512] = "", type = 0, *s = NULL;
	int argc = 0;
	va_list ap;

	va_start(ap, cmd);
	for (const char *a = cmd; a != NULL; a = va_arg(ap, const char *)) {
		if (argc == REDIS_MAX_ARGS) {
			fprintf(stderr, "h_redis: more than %d words\n", REDIS_MAX_ARGS);
			exit(2);
		}
		argv[argc++] = a;
	}
	va_end(ap);
	if (argc == 0) {
		fprintf(stderr, "h_redis: no command\n");
		exit(2);
	}

	pthread_mutex_lock(&redis_mu);
	for (int attempt = 0;; attempt++) {
		int kept = redis_fd >= 0;

		if (!kept && redis_connect(why, sizeof(why)) < 0)
			break;
		redis_gone = 0;
		if (redis_send(argc, argv) == 0 && redis_reply(&type, &s) == 0) {
			if (type == '-')
				snprintf(why, sizeof(why), "%s answered -%s", cmd, s);
			else if (type == '*')
				snprintf(why, sizeof(why), "%s answered an array", cmd);
			else if (type != 0)
				out = h_keep(s), s = NULL;
			break;
		}
		redis_close();
		/* a connection kept from before that Redis closed (a restart): once more */
		if (!kept || !redis_gone || attempt > 0) {
			snprintf(why, sizeof(why), "%s failed", cmd);
			break;
		}
	}
	pthread_mutex_unlock(&redis_mu);
	free(s);

	if (err != NULL)
		*err = why[0] != '\0' ? h_strdup(why) : NULL;
	if (why[0] != '\0' && c != NULL)
		h_check(c, 0, "Redis: %s", why);
	return out;
}

/* ---- cases ---- */

int h_check(struct h_case *c, int ok, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (ok)
		return 1;
	n = strlen(c->why);
	if (c->failed && n + 3 < sizeof(c->why)) {
		memcpy(c->why + n, "; ", 3);
		n += 2;
	}
	c->failed = 1;
	va_start(ap, fmt);
	vsnprintf(c->why + n, sizeof(c->why) - n, fmt, ap);
	va_end(ap);
	return 0;
}

/* Runs one case (FN, or AFN with ARG), prints its line, frees its responses. */
static void run_case(const char *name, h_case_fn *fn, h_case_arg_fn *afn, const void *arg)
{
	struct h_case c = { .name = name };

	if (fn != NULL)
		fn(&c);
	else
		afn(&c, arg);
	if (c.failed) {
		n_failed++;
		printf("FAIL %s: %s\n", name, c.why);
	} else {
		n_passed++;
		printf("PASS %s\n", name);
	}
	for (size_t i = 0; i < c.nresps; i++) {
		h_resp_free(c.resps[i]);
		free(c.resps[i]);
	}
	free(c.resps);
}

void h_run(const char *name, h_case_fn *fn)
{
	run_case(name, fn, NULL, NULL);
}

void h_run_with(const char *name, h_case_arg_fn *fn, const void *arg)
{
	run_case(name, NULL, fn, arg);
}

int h_finish(void)
{
	fprintf(stderr, "(%d of %d cases passed)\n", n_passed, n_passed + n_failed);
	curl_global_cleanup();
	pthread_mutex_lock(&redis_mu);
	redis_close();
	pthread_mutex_unlock(&redis_mu);
	return n_failed ? 1 : 0;
}

struct h_resp *h_do(struct h_case *c, const struct h_req *q)
{
	struct h_resp *r, **rs;
	CURL *curl;

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (rs = realloc(c->resps, (c->nresps + 1) * sizeof(*rs))) == NULL) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	c->resps = rs;
	c->resps[c->nresps++] = r;
	if ((curl = h_curl_new()) == NULL) {
		r->cc = CURLE_FAILED_INIT;
		snprintf(r->err, sizeof(r->err), "curl_easy_init failed");
		return r;
	}
	for (int attempt = 0;; attempt++) {
		long wait;

		h_perform(curl, q, r);
		if (r->status != 429 || q->no_retry_429 || attempt == 3)
			break;
		wait = h_retry_after(r);
		h_sleep_ms(wait > 0 && wait <= 5 ? wait * 1000 : 1000);
		h_resp_free(r);
	}
	curl_easy_cleanup(curl);
	return r;
}

struct h_resp *h_get(struct h_case *c, const char *host, const char *path)
{
	return h_do(c, &(struct h_req){ .host = host, .path = path });
}

int h_expect_json(struct h_case *c, struct h_resp *r, long status)
{
	const char *ct = h_hdr(r, "Content-Type");
	int ok = 1;

	if (!h_check(c, r->status == status, "expected status %ld, got %s", status, h_brief(r)))
		return 0;
	ok &= h_check(c, ct != NULL && strcasecmp(ct, "application/json; charset=utf-8") == 0,
	    "Content-Type is %s%s%s, expected application/json; charset=utf-8",
	    ct ? "\"" : "", ct ? ct : "absent", ct ? "\"" : "");
	ok &= h_check(c, h_hdr(r, "X-Request-Id") != NULL, "no X-Request-Id header");
	ok &= h_check(c, json_object_is_type(r->json, json_type_object),
	    "body is not a JSON object: %s", h_brief(r));
	return ok;
}

int h_expect_error(struct h_case *c, struct h_resp *r, long status, const char *code)
{
	const char *rid = h_hdr(r, "X-Request-Id"), *msg, *got, *brid;
	int ok;

	if (!h_expect_json(c, r, status) || r->json == NULL)
		return 0;
	ok = h_check(c, h_jfalse(r->json, "success"), "\"success\" is not false: %s",
	    h_brief(r));
	msg = h_jstr(r->json, "message");
	ok &= h_check(c, msg != NULL && *msg != '\0', "no \"message\" string: %s", h_brief(r));
	got = h_jstr(r->json, "code");
	if (code != NULL)
		ok &= h_check(c, got != NULL && strcmp(got, code) == 0,
		    "code is %s, expected \"%s\": %s", got ? got : "absent", code, h_brief(r));
	else
		ok &= h_check(c, got != NULL && *got != '\0', "no \"code\" string: %s", h_brief(r));
	brid = h_jstr(r->json, "requestId");
	ok &= h_check(c, brid != NULL && rid != NULL && strcmp(brid, rid) == 0,
	    "requestId %s differs from X-Request-Id %s", brid ? brid : "absent",
	    rid ? rid : "absent");
	return ok;
}

/* ---- time ---- */

long long h_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long h_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void h_sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ---- strings that live until the end of the run ---- */

static char **pool;
static size_t npool;
static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;

char *h_keep(char *s)
{
	char **p;

	pthread_mutex_lock(&pool_mu);
	if (s == NULL || (p = realloc(pool, (npool + 1) * sizeof(*p))) == NULL) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	pool = p;
	pool[npool++] = s;
	pthread_mutex_unlock(&pool_mu);
	return s;
}

char *h_strdup(const char *s)
{
	return s ? h_keep(strdup(s)) : NULL;
}

char *h_printf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return h_keep(s);
}

char *h_repeat(const char *unit, size_t n)
{
	size_t l = strlen(unit);
	char *s = malloc(l * n + 1);

	if (s == NULL)
		return h_keep(NULL);
	for (size_t i = 0; i < n; i++)
		memcpy(s + i * l, unit, l);
	s[l * n] = '\0';
	return h_keep(s);
}

void h_strings_free(void)
{
	pthread_mutex_lock(&pool_mu);
	for (size_t i = 0; i < npool; i++)
		free(pool[i]);
	free(pool);
	pool = NULL;
	npool = 0;
	pthread_mutex_unlock(&pool_mu);
}

/* ---- SQL ---- */

PGresult *h_sql(struct h_case *c, PGconn *conn, const char *sql, int n, const char *const *p)
{
	PGresult *res;
	ExecStatusType st;

	if (!h_check(c, conn != NULL, "no database connection (DATABASE_URL)"))
		return NULL;
	res = PQexecParams(conn, sql, n, NULL, p, NULL, NULL, 0);
	st = PQresultStatus(res);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		h_check(c, 0, "SQL failed (%s): %s", sql, PQerrorMessage(conn));
		PQclear(res);
		return NULL;
	}
	return res;
}

const char *h_sql_one(struct h_case *c, PGconn *conn, const char *sql, int n,
    const char *const *p)
{
	PGresult *res = h_sql(c, conn, sql, n, p);
	const char *v = NULL;

	if (res != NULL && PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
		v = h_strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return v;
}

long h_sql_count(struct h_case *c, PGconn *conn, const char *sql, int n, const char *const *p)
{
	const char *v = h_sql_one(c, conn, sql, n, p);

	return v ? atol(v) : -1;
}

long h_sql_count_until(struct h_case *c, PGconn *conn, long want, const char *sql, int n,
    const char *const *p)
{
	long got = -1;

	for (int i = 0; i < 100; i++) {
		got = h_sql_count(c, conn, sql, n, p);
		if (got == want)
			break;
		h_sleep_ms(50);
	}
	return got;
}

void h_flush_views(struct h_case *c)
{
	struct h_resp *r = h_do(c, &(struct h_req){ .method = "POST",
	    .path = "/api/_test/views/flush" });

	h_check(c, r->status == 200, "flushing the view queue answered %ld", r->status);
}

int h_webixctl(struct h_case *c, const char *args, const char *stdin_line, char *out,
    size_t outsz)
{
	const char *bin = getenv("WEBIX_CTL") ? getenv("WEBIX_CTL") :
	    h_printf("%s/bin/webixctl", h_env.state ? h_env.state : "");
	const char *conf = getenv("WEBIX_CONFIG") ? getenv("WEBIX_CONFIG") :
	    h_printf("%s/webix.conf", h_env.state ? h_env.state : "");
	char tmp[] = "/tmp/e2e_webixctl_XXXXXX";
	int fd, st;
	FILE *p;

	out[0] = '\0';
	if (!h_check(c, access(bin, X_OK) == 0, "%s is missing or not executable", bin) ||
	    !h_check(c, (fd = mkstemp(tmp)) >= 0, "mkstemp failed"))
		return -1;
	close(fd);
	p = popen(h_printf("'%s' -c '%s' %s >'%s' 2>&1", bin, conf, args, tmp), "w");
	if (!h_check(c, p != NULL, "popen webixctl failed")) {
		unlink(tmp);
		return -1;
	}
	if (stdin_line != NULL)
		fprintf(p, "%s\n", stdin_line);
	st = pclose(p);
	if ((fd = open(tmp, O_RDONLY)) >= 0) {
		ssize_t n = read(fd, out, outsz - 1);

		out[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	unlink(tmp);
	h_check(c, strstr(out, "Sanitizer") == NULL && strstr(out, "runtime error") == NULL,
	    "webixctl %s: a sanitizer report: %s", args, out);
	return st == -1 ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

const char *h_jtext(struct json_object *o)
{
	const char *s = h_strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));

	json_object_put(o);
	return s;
}

const char *h_jbody(const char *k, ...)
{
	struct json_object *o = json_object_new_object();
	va_list ap;

	va_start(ap, k);
	for (; k != NULL; k = va_arg(ap, const char *))
		json_object_object_add(o, k, json_object_new_string(va_arg(ap, const char *)));
	va_end(ap);
	return h_jtext(o);
}

long h_jint(struct json_object *o, const char *path, long dflt)
{
	struct json_object *v = h_jget(o, path);

	return json_object_is_type(v, json_type_int) ? (long)json_object_get_int64(v) : dflt;
}

int h_streq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

int h_webixctl_ok(struct h_case *c, const char *args, const char *stdin_line)
{
	char out[512];
	int st = h_webixctl(c, args, stdin_line, out, sizeof(out));

	out[strcspn(out, "\n")] = '\0';
	h_check(c, st == 0, "webixctl %s exited with %d: %s", args, st, out);
	return st;
}

int h_expect_err_msg(struct h_case *c, struct h_resp *r, long status, const char *code,
    const char *msg, const char *what)
{
	const char *m;

	if (!h_expect_error(c, r, status, code))
		return h_check(c, 0, "(%s)", what);
	m = h_jstr(r->json, "message");
	return h_check(c, msg == NULL || h_streq(m, msg), "%s: message is '%s', expected '%s'",
	    what, m ? m : "absent", msg ? msg : "");
}
