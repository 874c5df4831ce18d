/* redis.h — one Redis connection per process, re-opened after any error (hiredis contexts
 * cannot be reused after one). */
#ifndef WEBIX_REDIS_H
#define WEBIX_REDIS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <hiredis/hiredis.h>

#define REDIS_MAX_SEND 4     /* commands of one redis_send */
#define REDIS_MAX_OWED 16    /* redis_send groups whose replies are not read yet */

/* Replies of a redis_send, in order (replies NULL: the connection was lost first, and
 * whether Redis ran the commands is unknown). It must not use the connection. */
typedef void redis_owed_fn(void *ctx, redisReply **replies, int n);
struct redis_owed {
	redis_owed_fn *fn;
	void          *ctx;
	int            n;
};

struct redis {
	redisContext *c;
	struct redis_owed owed[REDIS_MAX_OWED];
	int           nowed;
	const char   *url;
	long          timeout_ms;
	uint64_t      next_try_us;
	char          err[160];
	void        (*on_connect)(void *ctx); /* called after every successful (re)connect */
	void         *on_connect_ctx;
};

void redis_init(struct redis *, const char *url, long timeout_ms);
/* 0 when connected (connecting if needed, throttled while Redis is down), -1 otherwise. */
int  redis_ensure(struct redis *);
void redis_close(struct redis *);
/* Run one command given as argv (binary-safe). Returns the reply (freeReplyObject it) or
 * NULL when Redis is unreachable; an error reply is returned as is. */
redisReply *redis_cmd(struct redis *, int argc, const char **argv, const size_t *lens);
/* One command of a pipeline: argv (binary-safe when lens is given). */
struct redis_cmdv {
	int           argc;
	const char  **argv;
	const size_t *lens;
};
/* Send n commands in one round trip. out[i] receives each reply (freeReplyObject them);
 * 0, or -1 when Redis is unreachable or the connection failed (then every out[i] is NULL). */
int  redis_pipe(struct redis *, int n, const struct redis_cmdv *cmds, redisReply **out);
/* Queue n (<= REDIS_MAX_SEND) commands without waiting: they leave with the next command
 * on this connection (one write, one read for all) or in redis_settle, and their replies
 * go to fn(ctx, ...) then. 0 queued; -1 not (Redis unreachable; fn is not called). */
int  redis_send(struct redis *, int n, const struct redis_cmdv *cmds, redis_owed_fn *fn,
    void *ctx);
/* Send what is queued and read every reply still owed (each waits up to the timeout). */
void redis_settle(struct redis *);
/* PING; 0 when it answers. */
int  redis_ping(struct redis *);
#endif
