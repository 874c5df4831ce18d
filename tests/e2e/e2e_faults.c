/* e2e_faults.c — end-to-end fault tests of the running stack: SIGKILL of a worker under
 * load and of the worker holding a GET or a POST, a SIGHUP roll of every worker under
 * load, and PostgreSQL stopped and restarted underneath webix-api. Each keeps the stack as
 * it found it (PostgreSQL always restarted). */
#include "harness.h"

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_WORKERS 64
#define LOAD_THREADS 4
#define MAX_FAILS 16

/* ---- the master and its workers ---- */

struct procs {
	pid_t master;
	pid_t w[MAX_WORKERS];
	size_t n;
};

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

/* The master's pid from $WEBIX_STATE/run/webix-api.pid and its children, sorted.
 * Returns 0, or -1 when the master cannot be found. */
static int procs_read(struct procs *p)
{
	char path[4096];
	FILE *f;
	long pid;

	memset(p, 0, sizeof(*p));
	if (h_env.state == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/run/webix-api.pid", h_env.state);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	if (fscanf(f, "%ld", &pid) != 1 || pid <= 1) {
		fclose(f);
		return -1;
	}
	fclose(f);
	p->master = (pid_t)pid;
	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children", pid, pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (p->n < MAX_WORKERS && fscanf(f, "%ld", &pid) == 1)
		p->w[p->n++] = (pid_t)pid;
	fclose(f);
	qsort(p->w, p->n, sizeof(p->w[0]), cmp_pid);
	return 0;
}

static int procs_has(const struct procs *p, pid_t pid)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->w[i] == pid)
			return 1;
	return 0;
}

static size_t procs_common(const struct procs *a, const struct procs *b)
{
	size_t n = 0;

	for (size_t i = 0; i < a->n; i++)
		n += procs_has(b, a->w[i]);
	return n;
}

static int procs_same(const struct procs *a, const struct procs *b)
{
	return a->master == b->master && a->n == b->n && procs_common(a, b) == a->n;
}

/* "123 456 789" into BUF for messages; returns BUF. */
static const char *procs_str(const struct procs *p, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < p->n && n + 16 < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%ld", i ? " " : "", (long)p->w[i]);
	return buf;
}

/* Waits (at most 2 s) until PID is a zombie or gone: then it holds no connection.
 * Returns h_now_us() at that moment, -1 on timeout. */
static long long wait_dead(pid_t pid)
{
	char path[64], buf[512], *p;
	long long until = h_now_us() + 2000000;
	struct timespec tick = { .tv_nsec = 100000 };

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	while (h_now_us() < until) {
		FILE *f = fopen(path, "r");
		size_t n;

		if (f == NULL)
			return h_now_us();
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		/* "pid (comm) S ...": the state follows the last ')' */
		p = strrchr(buf, ')');
		if (p == NULL || p[1] == '\0' || p[2] == 'Z' || p[2] == 'X')
			return h_now_us();
		nanosleep(&tick, NULL);
	}
	return -1;
}

/* ---- load: threads hammering GET /health/live, each with its own connection ---- */

struct fail {
	long long start_us;
	long status;
	char err[96];
};

struct loader {
	pthread_t th;
	int ok, ok_after_mark, nfail;
	struct fail fails[MAX_FAILS];
};

static atomic_int load_stop;
static atomic_llong load_mark;   /* the event (kill, SIGHUP) in h_now_us(); LLONG_MAX before */

static void *load_main(void *arg)
{
	struct loader *l = arg;
	const struct h_req q = { .path = "/health/live", .timeout_ms = 5000,
	    .no_retry_429 = 1 };
	CURL *curl = h_curl_new();
	struct h_resp r;

	while (curl != NULL && !atomic_load(&load_stop)) {
		long long start = h_now_us();

		h_perform(curl, &q, &r);
		if (r.status == 200 && h_jtrue(r.json, "success")) {
			l->ok++;
			l->ok_after_mark += start > atomic_load(&load_mark);
		} else {
			if (l->nfail < MAX_FAILS) {
				struct fail *f = &l->fails[l->nfail];

				f->start_us = start;
				f->status = r.status;
				snprintf(f->err, sizeof(f->err), "%.90s", r.status ? "" : r.err);
			}
			l->nfail++;
		}
		h_resp_free(&r);
	}
	if (curl != NULL)
		curl_easy_cleanup(curl);
	return NULL;
}

static void load_start(struct loader *ls)
{
	atomic_store(&load_stop, 0);
	atomic_store(&load_mark, LLONG_MAX);
	memset(ls, 0, LOAD_THREADS * sizeof(*ls));
	for (int i = 0; i < LOAD_THREADS; i++)
		if (pthread_create(&ls[i].th, NULL, load_main, &ls[i]) != 0) {
			fprintf(stderr, "pthread_create failed\n");
			exit(2);
		}
}

struct load_total {
	int ok, ok_after_mark, nfail;
	struct fail fails[LOAD_THREADS * MAX_FAILS];
	int nlisted;
};

static void load_stop_join(struct loader *ls, struct load_total *t)
{
	atomic_store(&load_stop, 1);
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < LOAD_THREADS; i++) {
		pthread_join(ls[i].th, NULL);
		t->ok += ls[i].ok;
		t->ok_after_mark += ls[i].ok_after_mark;
		t->nfail += ls[i].nfail;
		for (int j = 0; j < ls[i].nfail && j < MAX_FAILS; j++)
			t->fails[t->nlisted++] = ls[i].fails[j];
	}
}

/* ---- (a) SIGKILL of one worker under load ---- */

static void t_worker_sigkill_under_load(struct h_case *c)
{
	struct loader ls[LOAD_THREADS];
	struct load_total t;
	struct procs before, now;
	char b1[1024], b2[1024];
	long long t0, kill_at, dead_at, respawned = -1;   /* h_now_us() */
	pid_t victim;

	CHECK(c, procs_read(&before) == 0 && before.n > 0,
	    "no webix-api master with workers under %s/run/webix-api.pid",
	    h_env.state ? h_env.state : "(WEBIX_STATE unset)");
	victim = before.w[0];
	load_start(ls);
	t0 = h_now_us();
	h_sleep_ms(1000);
	kill_at = h_now_us();
	atomic_store(&load_mark, kill_at);
	if (kill(victim, SIGKILL) != 0) {
		load_stop_join(ls, &t);
		CHECK(c, 0, "kill(%ld, SIGKILL) failed", (long)victim);
	}
	dead_at = wait_dead(victim);
	while (h_now_us() < t0 + 4000000) {
		if (respawned < 0 && procs_read(&now) == 0 && now.n == before.n &&
		    !procs_has(&now, victim) && procs_common(&before, &now) == before.n - 1)
			respawned = h_now_us();
		h_sleep_ms(50);
	}
	load_stop_join(ls, &t);
	while (respawned < 0 && h_now_us() < kill_at + 5000000) {
		if (procs_read(&now) == 0 && now.n == before.n && !procs_has(&now, victim) &&
		    procs_common(&before, &now) == before.n - 1)
			respawned = h_now_us();
		else
			h_sleep_ms(50);
	}

	/* No GET may fail: one the victim held is sent again, to another worker (nginx's one
	 * retry; get_held_by_killed_worker_answered makes sure such a request exists). */
	EXPECT(c, dead_at > 0, "worker %ld still alive 2 s after SIGKILL", (long)victim);
	EXPECT(c, t.nfail == 0, "%d requests failed around one SIGKILL", t.nfail);
	EXPECT(c, t.ok_after_mark >= 20, "only %d requests answered after the kill",
	    t.ok_after_mark);
	procs_read(&now);
	EXPECT(c, now.master == before.master, "the master changed: %ld, was %ld",
	    (long)now.master, (long)before.master);
	EXPECT(c, respawned >= 0, "no replacement worker within 5 s: workers %s, were %s",
	    procs_str(&now, b1, sizeof(b1)), procs_str(&before, b2, sizeof(b2)));
	fprintf(stderr, "worker_sigkill_under_load: %d ok (%d after the kill), %d failed, "
	    "respawn after %lld ms\n", t.ok, t.ok_after_mark, t.nfail,
	    respawned >= 0 ? (respawned - kill_at) / 1000 : -1);
	for (int i = 0; i < t.nlisted; i++)
		fprintf(stderr, "  failed request started %lld us after the kill, worker dead "
		    "after %lld us: status %ld %s\n", t.fails[i].start_us - kill_at,
		    dead_at - kill_at, t.fails[i].status, t.fails[i].err);
}

/* 1 when the Redis list LIST has N items (a failure names the count otherwise). */
static int expect_llen(struct h_case *c, const char *list, long n)
{
	const char *v = h_redis(c, NULL, "LLEN", list, NULL);

	return h_check(c, v != NULL && atol(v) == n, "%s holds %s items, not %ld", list,
	    v ? v : "(no answer)", n);
}

/* ---- (a2) the request a killed worker held: a GET is answered by another worker, a POST
 * is not sent again ---- */

struct held {
	struct h_req q;
	struct h_resp r;
};

static void *held_main(void *arg)
{
	struct held *h = arg;
	CURL *curl = h_curl_new();

	if (curl != NULL) {
		h_perform(curl, &h->q, &h->r);
		curl_easy_cleanup(curl);
	}
	return NULL;
}

/* Sends METHOD /api/_test/hold (held 1.5 s by the worker that takes it, which first notes
 * its pid at the end of the Redis list *LIST), SIGKILLs that worker as soon as its pid is
 * there, and waits for the answer, left in H->r (status 0 when none came). Returns the
 * killed pid, or -1 (a failure recorded) when no worker took the request in 5 s. */
static pid_t hold_and_kill(struct h_case *c, const char *method, struct held *h,
    const char **list)
{
	const char *key = h_printf("%s-%ld-%lld", strcmp(method, "GET") == 0 ? "get" : "post",
	    (long)getpid(), h_now_us());
	const char *v = NULL, *err;
	pthread_t th;
	pid_t victim = -1;

	*list = h_printf("webix:test:hold:%s", key);
	memset(h, 0, sizeof(*h));
	h->q.method = method;
	h->q.path = h_printf("/api/_test/hold?key=%s&ms=1500", key);
	h->q.timeout_ms = 15000;
	h->q.no_retry_429 = 1;
	if (pthread_create(&th, NULL, held_main, h) != 0) {
		h_check(c, 0, "pthread_create failed");
		return -1;
	}
	for (long long until = h_now_us() + 5000000; v == NULL && h_now_us() < until;) {
		v = h_redis(c, &err, "LINDEX", *list, "0", NULL);
		if (v == NULL)
			h_sleep_ms(10);
	}
	if (v != NULL && (victim = (pid_t)atol(v)) > 1) {
		h_check(c, kill(victim, SIGKILL) == 0, "kill(%ld, SIGKILL) failed", (long)victim);
		h_check(c, wait_dead(victim) > 0, "worker %ld still alive 2 s after SIGKILL",
		    (long)victim);
	} else {
		h_check(c, 0, "%s %s: no worker noted its pid in %s within 5 s", method,
		    h->q.path, *list);
		victim = -1;
	}
	pthread_join(th, NULL);
	return victim;
}

static void t_get_held_by_killed_worker_answered(struct h_case *c)
{
	struct held h;
	const char *list;
	pid_t victim = hold_and_kill(c, "GET", &h, &list);

	if (victim > 0) {
		long pid = h_jint(h.r.json, "data.pid", -1);
		const char *second = h_redis(c, NULL, "LINDEX", list, "1", NULL);

		EXPECT(c, h.r.status == 200 && h_jtrue(h.r.json, "success"),
		    "the GET whose worker %ld was killed got %ld %.200s (%s), not 200 from another "
		    "worker", (long)victim, h.r.status, h.r.body ? h.r.body : "", h.r.err);
		EXPECT(c, pid > 1 && pid != victim, "answered by pid %ld; the killed worker was %ld",
		    pid, (long)victim);
		EXPECT(c, second != NULL && atol(second) == pid,
		    "the second worker in %s is %s, the answer says %ld", list,
		    second ? second : "(none)", pid);
		EXPECT(c, expect_llen(c, list, 2), "the GET was not sent exactly twice");
	}
	h_resp_free(&h.r);
}

static void t_post_held_by_killed_worker_not_resent(struct h_case *c)
{
	struct held h;
	const char *list;
	pid_t victim = hold_and_kill(c, "POST", &h, &list);

	if (victim > 0) {
		EXPECT(c, h.r.status == 502 && h_jstr(h.r.json, "code") != NULL &&
		    strcmp(h_jstr(h.r.json, "code"), "unavailable") == 0 &&
		    !h_jtrue(h.r.json, "success"),
		    "the POST whose worker %ld was killed got %ld %.200s (%s), not the 502 envelope",
		    (long)victim, h.r.status, h.r.body ? h.r.body : "", h.r.err);
		/* a resent POST would have noted a second pid by now, or within its 1.5 s */
		h_sleep_ms(1800);
		EXPECT(c, expect_llen(c, list, 1), "the POST reached a second worker");
	}
	h_resp_free(&h.r);
}

/* The hold probe refuses what it cannot use, before it notes or holds anything. */
static void t_hold_rejects_bad_parameters(struct h_case *c)
{
	static const char *const paths[] = {
		"/api/_test/hold", "/api/_test/hold?key=abc", "/api/_test/hold?ms=10",
		"/api/_test/hold?key=ABC&ms=10", "/api/_test/hold?key=a%20b&ms=10",
		"/api/_test/hold?key=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa&ms=10",
		"/api/_test/hold?key=abc&ms=0", "/api/_test/hold?key=abc&ms=10001",
		"/api/_test/hold?key=abc&ms=12x", "/api/_test/hold?key=abc&ms=",
	};

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct h_resp *r = h_do(c, &(struct h_req){ .path = paths[i] });

		h_expect_err_msg(c, r, 400, "bad_request",
		    "key (1-40 of a-z, 0-9, -) and ms (1-10000) are required", paths[i]);
	}
	const char *v = h_redis(c, NULL, "EXISTS", "webix:test:hold:abc", NULL);
	EXPECT(c, v != NULL && strcmp(v, "0") == 0, "a refused hold noted a pid (EXISTS %s)",
	    v ? v : "(no answer)");
}

/* ---- (b) SIGHUP rolls every worker with zero failed requests ---- */

static void t_sighup_roll_under_load(struct h_case *c)
{
	struct loader ls[LOAD_THREADS];
	struct load_total t;
	struct procs before, now;
	char b1[1024], b2[1024];
	long long t0, hup_at, rolled = -1;   /* h_now_us() */

	CHECK(c, procs_read(&before) == 0 && before.n > 0,
	    "no webix-api master with workers under %s/run/webix-api.pid",
	    h_env.state ? h_env.state : "(WEBIX_STATE unset)");
	load_start(ls);
	t0 = h_now_us();
	h_sleep_ms(1000);
	hup_at = h_now_us();
	atomic_store(&load_mark, hup_at);
	if (kill(before.master, SIGHUP) != 0) {
		load_stop_join(ls, &t);
		CHECK(c, 0, "kill(%ld, SIGHUP) failed", (long)before.master);
	}
	/* The load covers the whole roll, and at least 6 s in all. */
	while (h_now_us() < t0 + 6000000 || (rolled < 0 && h_now_us() < hup_at + 15000000)) {
		if (rolled < 0 && procs_read(&now) == 0 && now.n == before.n &&
		    procs_common(&before, &now) == 0)
			rolled = h_now_us();
		h_sleep_ms(50);
	}
	load_stop_join(ls, &t);
	procs_read(&now);

	EXPECT(c, t.nfail == 0, "%d requests failed during the SIGHUP roll (0 allowed)",
	    t.nfail);
	for (int i = 0; i < t.nlisted && i < 3; i++)
		EXPECT(c, 0, "failed request %lld ms after SIGHUP: status %ld %s",
		    (t.fails[i].start_us - hup_at) / 1000, t.fails[i].status, t.fails[i].err);
	EXPECT(c, t.ok_after_mark >= 20, "only %d requests answered after SIGHUP",
	    t.ok_after_mark);
	EXPECT(c, now.master == before.master, "the master changed: %ld, was %ld",
	    (long)now.master, (long)before.master);
	EXPECT(c, rolled >= 0, "the roll did not complete within 15 s: workers %s, were %s",
	    procs_str(&now, b1, sizeof(b1)), procs_str(&before, b2, sizeof(b2)));
	fprintf(stderr, "sighup_roll_under_load: %d ok, %d failed, roll took %lld ms\n",
	    t.ok, t.nfail, rolled >= 0 ? (rolled - hup_at) / 1000 : -1);
}

/* ---- (c) PostgreSQL stopped and started under a running webix-api ---- */

/* "$WEBIX_DEV" svc postgres ACTION, its output on stderr. Returns its exit status. */
static int svc_postgres(const char *action)
{
	pid_t pid;
	int status;

	if (h_env.dev == NULL)
		return -1;
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		dup2(STDERR_FILENO, STDOUT_FILENO);
		execl(h_env.dev, h_env.dev, "svc", "postgres", action, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* POST /api/auth/login for an unknown user, from this run's own loopback address and with
 * a new email each time, so that neither the app's per-address nor its per-email login
 * lock (left by other tests or runs) answers in place of the database. */
static struct h_resp *login(struct h_case *c)
{
	static int n;
	char body[160];

	snprintf(body, sizeof(body),
	    "{\"email\":\"nobody-%ld-%d@example.com\",\"password\":\"whatever1\"}",
	    (long)getpid(), ++n);
	return h_do(c, &(struct h_req){ .method = "POST", .path = "/api/auth/login",
	    .ctype = "application/json", .body = body, .timeout_ms = 15000,
	    .source_addr = h_private_addr() });
}

static void expect_unavailable(struct h_case *c, struct h_resp *r, const char *what)
{
	if (!h_expect_error(c, r, 503, "unavailable"))
		h_check(c, 0, "(%s)", what);
	EXPECT(c, h_retry_after(r) > 0, "%s: 503 without a valid Retry-After (%s)", what,
	    h_hdr(r, "Retry-After") ? h_hdr(r, "Retry-After") : "absent");
}

/* While PostgreSQL is down: readiness, a database route, liveness. */
static void during_outage(struct h_case *c)
{
	struct h_resp *r = NULL;
	long long until = h_now_ms() + 10000;
	const char *pg = NULL, *redis;

	do {
		if (r != NULL)
			h_sleep_ms(200);
		r = h_do(c, &(struct h_req){ .path = "/health/ready", .timeout_ms = 15000 });
		pg = h_jstr(r->json, "data.postgres");
	} while (!(r->status == 503 && pg != NULL && strcmp(pg, "down") == 0) &&
	    h_now_ms() < until);
	if (!h_check(c, r->status == 503, "/health/ready with PostgreSQL stopped, after 10 s: %s",
	    h_brief(r)))
		return;
	expect_unavailable(c, r, "/health/ready");
	redis = h_jstr(r->json, "data.redis");
	EXPECT(c, pg != NULL && strcmp(pg, "down") == 0, "data.postgres is %s, expected down",
	    pg ? pg : "absent");
	EXPECT(c, redis != NULL && strcmp(redis, "up") == 0, "data.redis is %s, expected up",
	    redis ? redis : "absent");

	for (int i = 0; i < 6; i++) {
		r = login(c);
		EXPECT(c, r->status == 503, "login #%d with PostgreSQL stopped: %s (expected 503)",
		    i + 1, h_brief(r));
		if (r->status == 503)
			expect_unavailable(c, r, "login");
	}
	r = h_get(c, NULL, "/health/live");
	EXPECT(c, r->status == 200 && h_jtrue(r->json, "success"),
	    "/health/live with PostgreSQL stopped: %s", h_brief(r));
}

/* After PostgreSQL is back: a login reaches the database (401), and a moment later (a
 * worker waits 0.5 s between connection attempts) every worker is ready again. */
static void after_outage(struct h_case *c)
{
	struct h_resp *ready, *r = NULL;
	long long until = h_now_ms() + 20000;
	int up = 0;

	do {
		ready = h_do(c, &(struct h_req){ .path = "/health/ready" });
		if (ready->status == 200) {
			r = login(c);
			up = r->status != 503;
		}
		if (!up)
			h_sleep_ms(250);
	} while (!up && h_now_ms() < until);
	if (!h_check(c, up, "20 s after PostgreSQL restarted: /health/ready %s; login %s",
	    h_brief(ready), r ? h_brief(r) : "not tried"))
		return;
	h_expect_error(c, r, 401, "unauthorized");
	h_sleep_ms(1000);
	for (int i = 0; i < 12; i++) {
		ready = h_do(c, &(struct h_req){ .path = "/health/ready" });
		EXPECT(c, ready->status == 200, "/health/ready #%d after recovery: %s", i + 1,
		    h_brief(ready));
	}
}

static void t_postgres_outage(struct h_case *c)
{
	struct procs before, after;
	char b1[1024], b2[1024];
	int rc;

	CHECK(c, h_env.dev != NULL && h_env.state != NULL, "WEBIX_DEV and WEBIX_STATE must be set");
	CHECK(c, procs_read(&before) == 0 && before.n > 0,
	    "no webix-api master with workers under %s/run/webix-api.pid", h_env.state);
	rc = svc_postgres("stop");
	if (h_check(c, rc == 0, "\"%s\" svc postgres stop exited %d", h_env.dev, rc))
		during_outage(c);
	rc = svc_postgres("start");
	CHECK(c, rc == 0, "\"%s\" svc postgres start exited %d", h_env.dev, rc);
	after_outage(c);
	procs_read(&after);
	EXPECT(c, procs_same(&before, &after),
	    "webix-api processes changed during the outage: master %ld workers %s, "
	    "were master %ld workers %s", (long)after.master, procs_str(&after, b1, sizeof(b1)),
	    (long)before.master, procs_str(&before, b2, sizeof(b2)));
}

int main(void)
{
	if (h_init() != 0)
		return 1;
	h_run("worker_sigkill_under_load", t_worker_sigkill_under_load);
	h_run("hold_rejects_bad_parameters", t_hold_rejects_bad_parameters);
	h_run("get_held_by_killed_worker_answered", t_get_held_by_killed_worker_answered);
	h_run("post_held_by_killed_worker_not_resent", t_post_held_by_killed_worker_not_resent);
	h_run("sighup_roll_under_load", t_sighup_roll_under_load);
	h_run("postgres_outage", t_postgres_outage);
	return h_finish();
}
