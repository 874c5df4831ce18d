/* e2e_faults.c — end-to-end fault tests of the running stack: SIGKILL of a worker under
 * load, a SIGHUP roll of every worker under load, and PostgreSQL stopped and restarted
 * underneath webix-api. Each keeps the stack as it found it (PostgreSQL always restarted). */
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

	/* Only the request the victim held may fail: one, started before it was dead. */
	EXPECT(c, dead_at > 0, "worker %ld still alive 2 s after SIGKILL", (long)victim);
	EXPECT(c, t.nfail <= 1, "%d requests failed around one SIGKILL (at most 1 allowed)",
	    t.nfail);
	for (int i = 0; i < t.nlisted; i++) {
		struct fail *f = &t.fails[i];

		EXPECT(c, f->start_us <= dead_at && f->status == 502,
		    "failed request started %lld us after the kill, worker dead after %lld us: "
		    "status %ld %s", f->start_us - kill_at, dead_at - kill_at, f->status, f->err);
	}
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
	h_run("sighup_roll_under_load", t_sighup_roll_under_load);
	h_run("postgres_outage", t_postgres_outage);
	return h_finish();
}
