/* harness.h — shared helpers of the webix end-to-end tests: the stack's environment,
 * HTTPS requests through the real nginx with libcurl (TLS always verified against
 * WEBIX_CA), JSON access with json-c, and one PASS/FAIL line per case. */
#ifndef WEBIX_E2E_HARNESS_H
#define WEBIX_E2E_HARNESS_H

#include <stddef.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <libpq-fe.h>

/* The stack under test, read from the environment by h_init(). */
struct h_env {
	const char *url;          /* WEBIX_URL: https://localhost:PORT */
	const char *ca;           /* WEBIX_CA: the stack's CA certificate (PEM) */
	const char *base_domain;  /* WEBIX_BASE_DOMAIN: webix.localhost */
	const char *https_port;   /* WEBIX_HTTPS_PORT (or the port of WEBIX_URL) */
	const char *http_port;    /* WEBIX_HTTP_PORT (NULL when unset) */
	const char *database_url; /* DATABASE_URL: owner role (NULL when unset) */
	const char *redis_url;    /* REDIS_URL (NULL when unset) */
	const char *state;        /* WEBIX_STATE: the stack's state directory */
	const char *dev;          /* WEBIX_DEV: absolute path of scripts/dev */
	const char *node_env;     /* expected "environment" of /api/health: NODE_ENV or "test" */
};
extern struct h_env h_env;

/* One request. Zero-initialise and set what matters (designated initialisers). */
struct h_req {
	const char *method;         /* default "GET"; "HEAD" sends no body back */
	const char *host;           /* default "localhost"; always resolved to 127.0.0.1 */
	const char *path;           /* default "/" */
	const char *const *headers; /* extra "Name: value" lines, NULL-terminated */
	const char *ctype;          /* Content-Type of the body; NULL sends none */
	const char *body;           /* NULL: no body; "" is an empty body */
	size_t body_len;            /* 0: strlen(body) */
	long timeout_ms;            /* default 10000 */
	int http1;                  /* force HTTP/1.1 (default: HTTP/2 over TLS) */
	int plain_http;             /* http:// on WEBIX_HTTP_PORT instead of https */
	int no_verify_host;         /* keep the CA but do not match the name (unknown Host) */
	int no_retry_429;           /* h_do() only: do not wait and retry on 429 */
	const char *source_addr;    /* bind this local address (e.g. "127.0.0.9", any 127.x
	                             * on Linux) to appear as another client; NULL: default */
};

struct h_header {
	char *name;
	char *value;
};

/* One answer. status is 0 when no HTTP status was received (see cc and err). */
struct h_resp {
	long status;
	long http_version;       /* CURL_HTTP_VERSION_1_1, CURL_HTTP_VERSION_2_0 ... */
	CURLcode cc;
	char err[CURL_ERROR_SIZE];
	struct h_header *hdrs;   /* headers of the final response */
	size_t nhdrs;
	char *body;              /* NUL-terminated copy (may contain NULs: see body_len) */
	size_t body_len;
	struct json_object *json;/* the parsed body, NULL when it is not exactly one JSON value */
	char brief[320];         /* filled by h_brief() */
};

/* Reads the environment, initialises libcurl, makes stdout line-buffered.
 * Prints "FAIL setup: ..." and returns -1 when the stack is not described. */
int h_init(void);

/* Thread-safe layer: a caller-owned handle (keeps its connection alive between
 * calls) and a caller-owned response. Returns 0 when an HTTP status was received. */
CURL *h_curl_new(void);
int h_perform(CURL *curl, const struct h_req *req, struct h_resp *resp);
void h_resp_free(struct h_resp *resp);

/* First value of header NAME (case-insensitive), NULL when absent. */
const char *h_hdr(const struct h_resp *resp, const char *name);
/* Does header NAME contain TOKEN in its comma-separated list (case-insensitive)? */
int h_hdr_has_token(const struct h_resp *resp, const char *name, const char *token);
/* Retry-After as a positive number of seconds, -1 when absent or not a positive integer. */
long h_retry_after(const struct h_resp *resp);
/* "status 404, body {...}" or the transfer error; for failure messages. */
const char *h_brief(struct h_resp *resp);

/* JSON access by dotted path ("data.postgres"); NULL-safe, NULL when absent. */
struct json_object *h_jget(struct json_object *obj, const char *path);
const char *h_jstr(struct json_object *obj, const char *path);  /* NULL unless a string */
int h_jtrue(struct json_object *obj, const char *path);          /* boolean true? */
int h_jfalse(struct json_object *obj, const char *path);         /* boolean false? */

/* Cases. A case function receives a context that owns every response got by h_do(). */
struct h_case;
typedef void h_case_fn(struct h_case *c);

void h_run(const char *name, h_case_fn *fn);   /* prints PASS or FAIL */
/* The same for a case function that takes an argument (table-driven cases). */
typedef void h_case_arg_fn(struct h_case *c, const void *arg);
void h_run_with(const char *name, h_case_arg_fn *fn, const void *arg);
int h_finish(void);                            /* exit status: 0 when all passed */

/* Records a failure (messages accumulate) when OK is false; returns OK. */
int h_check(struct h_case *c, int ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* EXPECT records and goes on; CHECK records and leaves the case. */
#define EXPECT(c, ok, ...) ((void)h_check((c), (ok), __VA_ARGS__))
#define CHECK(c, ok, ...) \
	do { if (!h_check((c), (ok), __VA_ARGS__)) return; } while (0)

/* A request whose response the case owns (freed after the case). On 429 it waits
 * Retry-After (at most 5 s) and retries up to 3 times unless req->no_retry_429. */
struct h_resp *h_do(struct h_case *c, const struct h_req *req);
struct h_resp *h_get(struct h_case *c, const char *host, const char *path);

/* JSON answer: STATUS, Content-Type application/json; charset=utf-8, X-Request-Id,
 * a JSON object body. Records failures; returns 1 when all held. */
int h_expect_json(struct h_case *c, struct h_resp *r, long status);
/* Error envelope on top of h_expect_json(): success false, a message, CODE (any
 * non-empty code when NULL), requestId equal to X-Request-Id. */
int h_expect_error(struct h_case *c, struct h_resp *r, long status, const char *code);

/* A loopback address of this process's own, "127.A.B.C" (static; for .source_addr), so
 * a case that trips rate limits or login locks neither inherits nor leaves them for
 * 127.0.0.1. Differs between runs, so runs against a long-lived stack do not add up. */
const char *h_private_addr(void);

/* Time. */
long long h_now_ms(void);   /* monotonic */
long long h_now_us(void);   /* monotonic, microseconds */
void h_sleep_ms(long ms);

/* SQL through a libpq connection (the tests' own, e.g. to DATABASE_URL): the result
 * (PQclear it), or NULL with a failure recorded in the case. */
PGresult *h_sql(struct h_case *c, PGconn *conn, const char *sql, int n, const char *const *p);
/* First column of the first row (kept until the end of the run); NULL when none or NULL. */
const char *h_sql_one(struct h_case *c, PGconn *conn, const char *sql, int n,
    const char *const *p);
/* h_sql_one as a number; -1 when none. */
long h_sql_count(struct h_case *c, PGconn *conn, const char *sql, int n, const char *const *p);
/* h_sql_count until it is want, for at most 5 s: views reach PostgreSQL in batches
 * (VIEWS_FLUSH_MS). The last count. */
long h_sql_count_until(struct h_case *c, PGconn *conn, long want, const char *sql, int n,
    const char *const *p);
/* Small JSON and string helpers shared by the programs (results in the string pool). */
/* A JSON object of string members: h_jbody("k1", "v1", "k2", "v2", NULL). */
const char *h_jbody(const char *k, ...) __attribute__((sentinel));
/* The JSON text of O, which is released. */
const char *h_jtext(struct json_object *o);
/* The integer at PATH in O (h_jget), DFLT when absent or not an integer. */
long h_jint(struct json_object *o, const char *path, long dflt);
/* Both strings present and equal. */
int h_streq(const char *a, const char *b);

/* Run `webixctl ARGS` with the stack's configuration (WEBIX_CTL, WEBIX_CONFIG, else
 * $WEBIX_STATE/bin/webixctl and webix.conf), STDIN_LINE on its standard input when not
 * NULL; its output (stdout and stderr) into out. Its exit status, -1 when it could not run
 * (recorded in c). A sanitizer report in the output is recorded as a failure. */
int h_webixctl(struct h_case *c, const char *args, const char *stdin_line, char *out,
    size_t outsz);
/* h_webixctl that records a non-zero exit status as a failure (with its first output
 * line); the status. */
int h_webixctl_ok(struct h_case *c, const char *args, const char *stdin_line);
/* An error answer: STATUS, CODE (NULL: any) and the exact MESSAGE (NULL: any); failures
 * recorded with WHAT. 1 when all match. */
int h_expect_err_msg(struct h_case *c, struct h_resp *r, long status, const char *code,
    const char *msg, const char *what);
/* Move every view queued in Redis into PostgreSQL now (POST /api/_test/views/flush), so
 * that a count can show a request counted none. Records a failure when it cannot. */
void h_flush_views(struct h_case *c);

/* Redis on REDIS_URL (redis://[:pw@]host[:port][/db] or unix:/path[?db=N]): one connection
 * per process, shared by threads under a lock, reopened after an error (and the command
 * tried once more when Redis closed a connection kept from before), closed by h_finish().
 * Runs one command, its words then NULL: h_redis(c, &err, "GET", key, NULL). Returns the
 * reply as text (kept until the end of the run): a bulk or simple string, an integer in
 * decimal. NULL with *err NULL for a nil reply; NULL with *err saying why ("GET answered
 * -ERR ...", "connect ...") on failure, an error reply or an array reply, and then a
 * failure "Redis: <why>" recorded in C unless C is NULL. ERR may be NULL. */
const char *h_redis(struct h_case *c, const char **err, const char *cmd, ...)
	__attribute__((sentinel));

/* Strings that live until the end of the run (thread-safe; out of memory exits 2). */
char *h_keep(char *s);                                   /* takes s over */
char *h_strdup(const char *s);                           /* NULL stays NULL */
char *h_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *h_repeat(const char *unit, size_t n);              /* unit n times */
void h_strings_free(void);                               /* all of them, at the end */

#endif
