/* worker.c — the FastCGI accept loop of one worker, and the translation of FastCGI params
 * into a struct req. SIGTERM is only let in while the worker waits for a connection in
 * ppoll(), so a request in progress always finishes. */
#include "worker.h"
#include "app.h"
#include "authn.h"
#include "dispatch.h"
#include "fcgiout.h"
#include "handlers.h"
#include "log.h"
#include "rcache.h"
#include "views.h"
#include "util.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <time.h>
#include <fcgiapp.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;

static void
on_term(int sig)
{
	(void)sig;
	stop_requested = 1;
	FCGX_ShutdownPending();
}

/* Redis came (back): revocations made while it was away must reach it. */
static void
redis_connected(void *ctx)
{
	((struct app *)ctx)->revocation_sync_due = true;
}

static long
fcgi_read(void *ctx, char *buf, size_t n)
{
	FCGX_Request *fr = ctx;
	int want = n > 65536 ? 65536 : (int)n;
	return FCGX_GetStr(buf, want, fr->in);
}

static const char *
fcgi_param(void *ctx, const char *name)
{
	return FCGX_GetParam(name, ((FCGX_Request *)ctx)->envp);
}

static void
handle(struct req *r, FCGX_Request *fr)
{
	struct resp rs;
	memset(&rs, 0, sizeof(rs));
	r->start_us = util_now_us();
	req_from_params(r, fcgi_param, fr);
	log_set_request(r->request_id);
	if (r->app->revocation_sync_due)
		authn_sync_revocations(r->app);
	dispatch(r, &rs, fcgi_read, fr);
	resp_header(r, &rs, "X-Request-Id", r->request_id);
	struct fcgi_out out;
	fcgiout_start(&out, fr);
	resp_write(r, &rs, fcgiout_emit, &out);
	fcgiout_finish(&out);
	dispatch_log(r, &rs);
	/* libfcgi's close lingers (shutdown, then wait for nginx to close first): measured,
	 * that wait is what keeps nginx scheduled under load (p99 7 ms for /health/live, not
	 * 11); closing at once (FCGX_Detach) saved three system calls and lost that */
	FCGX_Finish_r(fr);
	log_set_request(NULL);
	resp_reset(&rs);
	req_reset(r);
}

void
worker_main(const struct config *cfg, int listen_fd, int ready_fd, pid_t master)
{
	static struct app app;
	struct req r;
	FCGX_Request fr;
	sigset_t term;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != master)
		_exit(0);
	log_set_program("webix-api");

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;        /* no SA_RESTART: ppoll() must return EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGINT);
	sigprocmask(SIG_BLOCK, &term, NULL);

	app.cfg = cfg;
	db_init(&app.db, cfg->database_url, cfg->db_statement_timeout, cfg->db_connect_timeout);
	redis_init(&app.redis, cfg->redis_url, cfg->redis_timeout_ms);
	app.keys.secret = cfg->jwt_secret;
	app.keys.refresh_secret = cfg->jwt_refresh_secret;
	app.keys.issuer = cfg->jwt_issuer;
	app.keys.audience = cfg->jwt_audience;
	app.redis.on_connect = redis_connected;
	app.redis.on_connect_ctx = &app;
	handlers_register();
	db_ensure(&app.db);
	redis_ensure(&app.redis);

	memset(&r, 0, sizeof(r));
	/* Large blocks (Argon2's 19 MiB, big bodies) from mmap, returned at free: without a
	 * fixed threshold glibc raises it after the first such free and keeps the block in
	 * the heap for good (+19 MB of resident memory per worker after one login). */
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	arena_init(&r.arena, 32768);
	r.app = &app;

	FCGX_Init();
	if (FCGX_InitRequest(&fr, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		log_msg(LOG_FATAL, "FCGX_InitRequest failed");
		_exit(1);
	}
	if (write(ready_fd, "r", 1) < 0)
		log_errno(LOG_WARN, "cannot tell the master this worker is ready");
	close(ready_fd);

	/*
	 * Wait for a connection in ppoll(), the only place SIGTERM is let in (atomically, so
	 * it cannot be missed). libfcgi's accept runs with SIGTERM blocked: a signal inside it
	 * would make it drop the connection it just accepted. The listening socket is
	 * non-blocking, so a worker that loses the race for a connection gets EAGAIN back.
	 */
	sigset_t waitmask;
	sigprocmask(SIG_SETMASK, NULL, &waitmask);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);
	int fl = fcntl(listen_fd, F_GETFL);
	if (fl >= 0)
		fcntl(listen_fd, F_SETFL, fl | O_NONBLOCK);
	for (;;) {
		if (stop_requested)
			break;
		struct pollfd pfd = { .fd = listen_fd, .events = POLLIN };
		struct timespec tick = { 1, 0 }, now = { 0, 0 };
		/* Views counted on cache hits leave with the next request's Redis call; when no
		 * request waits, they are sent (and confirmed) before this worker sleeps. Requests
		 * that use no Redis cannot hold them back long: views_flush_due below talks to
		 * Redis at least every VIEWS_FLUSH_MS. */
		bool unsent = views_unsent(&app);
		int pr = ppoll(&pfd, 1, unsent ? &now : &tick, &waitmask);
		/* an orphan (the master died before PR_SET_PDEATHSIG was set) leaves when idle */
		if (stop_requested || (pr <= 0 && !unsent && getppid() != master))
			break;
		if (pr == 0 && unsent) {
			views_settle(&app);
			continue;
		}
		if (pr > 0 && (pfd.revents & POLLIN)) {
			if (FCGX_Accept_r(&fr) == 0) {
				handle(&r, &fr);
			} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				log_errno(LOG_ERROR, "FastCGI accept failed");
				usleep(100000);
			}
		}
		/* between requests (and at least every second): views Redis refused, queued
		 * views, missed invalidations */
		views_rescue_due(&app);
		rcache_due(&app);
		views_flush_due(&app);
	}
	views_settle(&app);
	FCGX_Free(&fr, 0);
	db_close(&app.db);
	redis_close(&app.redis);
	arena_free(&r.arena);
	log_msg(LOG_INFO, "worker exiting");
	exit(0);
}
