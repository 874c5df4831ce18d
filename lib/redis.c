/* redis.c — hiredis wrapper: parse REDIS_URL, timeouts, reconnect with back-off, and
 * commands whose replies are read later (redis_send): every function here that reads a
 * reply first reads the ones still owed, so replies never go to the wrong command. */
#include "redis.h"
#include "log.h"
#include "util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
redis_init(struct redis *r, const char *url, long timeout_ms)
{
	memset(r, 0, sizeof(*r));
	r->url = url;
	r->timeout_ms = timeout_ms;
}

/* The connection is gone: the replies still owed will never come. */
static void
owed_lost(struct redis *r)
{
	int n = r->nowed;
	struct redis_owed o[REDIS_MAX_OWED];
	memcpy(o, r->owed, sizeof(o[0]) * (size_t)n);
	r->nowed = 0;
	for (int i = 0; i < n; i++)
		o[i].fn(o[i].ctx, NULL, o[i].n);
}

void
redis_close(struct redis *r)
{
	if (r->c)
		redisFree(r->c);
	r->c = NULL;
	owed_lost(r);
}

void
redis_settle(struct redis *r)
{
	while (r->nowed > 0) {
		struct redis_owed o = r->owed[0];
		redisReply *x[REDIS_MAX_SEND] = { NULL };
		bool ok = r->c != NULL;
		for (int i = 0; ok && i < o.n; i++) {
			void *p = NULL;
			ok = redisGetReply(r->c, &p) == REDIS_OK && p != NULL;
			x[i] = p;
		}
		if (!ok) {
			for (int i = 0; i < o.n; i++)
				freeReplyObject(x[i]);
			snprintf(r->err, sizeof(r->err), "%s", r->c && r->c->errstr[0] ?
			    r->c->errstr : "connection lost");
			log_msg(LOG_WARN, "redis: replies of commands sent earlier lost: %s", r->err);
			redis_close(r);     /* this group too: it is still owed[0] */
			return;
		}
		memmove(r->owed, r->owed + 1, sizeof(r->owed[0]) * (size_t)(r->nowed - 1));
		r->nowed--;
		o.fn(o.ctx, x, o.n);
		for (int i = 0; i < o.n; i++)
			freeReplyObject(x[i]);
	}
}

int
redis_send(struct redis *r, int n, const struct redis_cmdv *cmds, redis_owed_fn *fn, void *ctx)
{
	if (n < 1 || n > REDIS_MAX_SEND)
		return -1;
	if (r->nowed == REDIS_MAX_OWED)
		redis_settle(r);
	if (redis_ensure(r) < 0)
		return -1;
	for (int i = 0; i < n; i++)
		if (redisAppendCommandArgv(r->c, cmds[i].argc, cmds[i].argv, cmds[i].lens) != REDIS_OK) {
			snprintf(r->err, sizeof(r->err), "out of memory");
			redis_close(r);     /* part of the group may be in the buffer: start over */
			return -1;
		}
	r->owed[r->nowed++] = (struct redis_owed){ fn, ctx, n };
	return 0;
}

struct rurl { char host[256]; int port; char path[256]; char pass[256]; int db; };

/* redis://[:password@]host[:port][/db] or unix:/path[?db=N] */
static int
parse_url(const char *u, struct rurl *o)
{
	memset(o, 0, sizeof(*o));
	o->port = 6379;
	if (strncmp(u, "unix:", 5) == 0) {
		const char *p = u + 5, *q = strchr(p, '?');
		size_t n = q ? (size_t)(q - p) : strlen(p);
		if (n == 0 || n >= sizeof(o->path))
			return -1;
		memcpy(o->path, p, n);
		if (q && strncmp(q, "?db=", 4) == 0)
			o->db = atoi(q + 4);
		return 0;
	}
	if (strncmp(u, "redis://", 8) != 0)
		return -1;
	const char *p = u + 8, *at = strchr(p, '@');
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		const char *pw = colon ? colon + 1 : p;
		size_t n = (size_t)(at - pw);
		if (n >= sizeof(o->pass))
			return -1;
		memcpy(o->pass, pw, n);
		p = at + 1;
	}
	const char *end = p + strcspn(p, ":/");
	size_t hn = (size_t)(end - p);
	if (hn == 0 || hn >= sizeof(o->host))
		return -1;
	memcpy(o->host, p, hn);
	p = end;
	if (*p == ':') {
		o->port = atoi(p + 1);
		p += 1 + strspn(p + 1, "0123456789");
	}
	if (*p == '/' && p[1])
		o->db = atoi(p + 1);
	return o->port > 0 && o->port < 65536 ? 0 : -1;
}

static int
simple(struct redis *r, const char *cmd, const char *arg)
{
	redisReply *x = arg ? redisCommand(r->c, "%s %s", cmd, arg) : redisCommand(r->c, "%s", cmd);
	int ok = x != NULL && x->type != REDIS_REPLY_ERROR;
	if (x && !ok)
		snprintf(r->err, sizeof(r->err), "%s: %s", cmd, x->str ? x->str : "error");
	freeReplyObject(x);
	return ok ? 0 : -1;
}

int
redis_ensure(struct redis *r)
{
	if (r->c != NULL && r->c->err == 0)
		return 0;
	uint64_t now = util_now_us();
	if (r->c == NULL && now < r->next_try_us)
		return -1;
	redis_close(r);
	struct rurl u;
	if (parse_url(r->url, &u) < 0) {
		snprintf(r->err, sizeof(r->err), "REDIS_URL is not valid");
		return -1;
	}
	struct timeval tv = { r->timeout_ms / 1000, (r->timeout_ms % 1000) * 1000 };
	r->c = u.path[0] ? redisConnectUnixWithTimeout(u.path, tv)
	    : redisConnectWithTimeout(u.host, u.port, tv);
	if (r->c == NULL || r->c->err) {
		snprintf(r->err, sizeof(r->err), "%s", r->c ? r->c->errstr : "out of memory");
		goto fail;
	}
	redisSetTimeout(r->c, tv);
	if (u.pass[0]) {
		redisReply *x = redisCommand(r->c, "AUTH %s", u.pass);
		int ok = x && x->type != REDIS_REPLY_ERROR;
		freeReplyObject(x);
		if (!ok) {
			snprintf(r->err, sizeof(r->err), "AUTH failed");
			goto fail;
		}
	}
	if (u.db) {
		char db[16];
		snprintf(db, sizeof(db), "%d", u.db);
		if (simple(r, "SELECT", db) < 0)
			goto fail;
	}
	log_msg(LOG_INFO, "redis connected");
	if (r->on_connect)
		r->on_connect(r->on_connect_ctx);
	return 0;
fail:
	log_msg(LOG_WARN, "redis connection failed: %s", r->err);
	redis_close(r);
	r->next_try_us = now + 500000;
	return -1;
}

redisReply *
redis_cmd(struct redis *r, int argc, const char **argv, const size_t *lens)
{
	struct redis_cmdv cmd = { argc, argv, lens };
	redisReply *x;
	return redis_pipe(r, 1, &cmd, &x) == 0 ? x : NULL;
}

int
redis_pipe(struct redis *r, int n, const struct redis_cmdv *cmds, redisReply **out)
{
	for (int i = 0; i < n; i++)
		out[i] = NULL;
	if (redis_ensure(r) < 0)
		return -1;
	for (int i = 0; i < n; i++)
		if (redisAppendCommandArgv(r->c, cmds[i].argc, cmds[i].argv, cmds[i].lens) != REDIS_OK)
			goto fail;
	/* replies owed to commands sent before come first (one write carries them all) */
	redis_settle(r);
	if (r->c == NULL)
		return -1;
	for (int i = 0; i < n; i++) {
		void *x = NULL;
		if (redisGetReply(r->c, &x) != REDIS_OK || x == NULL)
			goto fail;
		out[i] = x;
	}
	return 0;
fail:
	snprintf(r->err, sizeof(r->err), "%s", r->c->errstr[0] ? r->c->errstr : "pipeline failed");
	log_msg(LOG_WARN, "redis command failed: %s", r->err);
	for (int i = 0; i < n; i++) {
		freeReplyObject(out[i]);
		out[i] = NULL;
	}
	redis_close(r);
	return -1;
}

int
redis_ping(struct redis *r)
{
	const char *argv[] = { "PING" };
	redisReply *x = redis_cmd(r, 1, argv, NULL);
	int ok = x && x->type == REDIS_REPLY_STATUS;
	freeReplyObject(x);
	return ok ? 0 : -1;
}
