/* ratelimit.c — Redis counters: webix:rl:<name>:<addr>:<window>, webix:lf:<name>:<key>
 * (failures) and webix:lk:<name>:<key> (lock, its TTL is the Retry-After). */
#include "ratelimit.h"
#include "app.h"
#include "log.h"
#include <stdio.h>
#include <string.h>
#include <time.h>

bool
rl_exempt(const struct req *r)
{
	const char *list = r->app->cfg->rate_limit_exempt, *ip = r->remote_addr;
	if (list == NULL || *list == '\0' || ip == NULL)
		return false;
	size_t n = strlen(ip);
	for (const char *p = list; *p;) {
		p += strspn(p, ", ");
		size_t l = strcspn(p, ", ");
		if (l == n && strncmp(p, ip, n) == 0)
			return true;
		p += l;
	}
	return false;
}

static redisReply *
cmd(struct req *r, int argc, const char **argv)
{
	return redis_cmd(&r->app->redis, argc, argv, NULL);
}

static int
too_many(struct req *r, struct resp *rs, long retry)
{
	char s[24];
	snprintf(s, sizeof(s), "%ld", retry < 1 ? 1 : retry);
	resp_header(r, rs, "Retry-After", s);
	return resp_error(r, rs, 429, "rate_limited",
	    "Too many requests, please try again later.", NULL);
}

int
rl_hit_or_reply(struct req *r, struct resp *rs, const char *name, long limit, long window)
{
	if (rl_exempt(r) || r->remote_addr == NULL)
		return 0;
	time_t now = time(NULL);
	long slot = (long)now / window;
	char key[160], ttl[24];
	snprintf(key, sizeof(key), "webix:rl:%s:%s:%ld", name, r->remote_addr, slot);
	snprintf(ttl, sizeof(ttl), "%ld", window + 1);
	const char *incr[] = { "INCR", key };
	redisReply *x = cmd(r, 2, incr);
	if (x == NULL || x->type != REDIS_REPLY_INTEGER) {
		freeReplyObject(x);
		return r->app->cfg->rate_limit_fail_open ? 0 :
		    resp_unavailable(r, rs, "Rate limiter unavailable, please retry");
	}
	long long n = x->integer;
	freeReplyObject(x);
	if (n == 1) {
		const char *exp[] = { "EXPIRE", key, ttl };
		freeReplyObject(cmd(r, 3, exp));
	}
	if (n > limit)
		return too_many(r, rs, (slot + 1) * window - (long)now);
	return 0;
}

int
rl_locked_or_reply(struct req *r, struct resp *rs, const char *name, const char *key)
{
	char k[400];
	snprintf(k, sizeof(k), "webix:lk:%s:%s", name, key);
	const char *argv[] = { "PTTL", k };
	redisReply *x = cmd(r, 2, argv);
	if (x == NULL || x->type != REDIS_REPLY_INTEGER) {
		freeReplyObject(x);
		return r->app->cfg->rate_limit_fail_open ? 0 :
		    resp_unavailable(r, rs, "Rate limiter unavailable, please retry");
	}
	long long ms = x->integer;
	freeReplyObject(x);
	if (ms > 0)
		return too_many(r, rs, (long)((ms + 999) / 1000));
	return 0;
}

void
rl_fail(struct req *r, const char *name, const char *key, long threshold, long max_lock)
{
	char k[400], lk[400], s[24];
	snprintf(k, sizeof(k), "webix:lf:%s:%s", name, key);
	snprintf(lk, sizeof(lk), "webix:lk:%s:%s", name, key);
	const char *incr[] = { "INCR", k };
	redisReply *x = cmd(r, 2, incr);
	if (x == NULL || x->type != REDIS_REPLY_INTEGER) {
		freeReplyObject(x);
		return;
	}
	long long n = x->integer;
	freeReplyObject(x);
	/* failures are forgotten a while after the last one */
	snprintf(s, sizeof(s), "%ld", max_lock > 900 ? max_lock : 900L);
	const char *exp[] = { "EXPIRE", k, s };
	freeReplyObject(cmd(r, 3, exp));
	if (n < threshold)
		return;
	long long shift = n - threshold, lock = 1;
	while (shift-- > 0 && lock < max_lock)
		lock *= 2;
	if (lock > max_lock)
		lock = max_lock;
	snprintf(s, sizeof(s), "%lld", lock);
	const char *set[] = { "SET", lk, "1", "EX", s };
	freeReplyObject(cmd(r, 5, set));
	log_msg(LOG_WARN, "%s locked for %llds after %lld failures", name, lock, n);
}

void
rl_reset(struct req *r, const char *name, const char *key)
{
	char k[400], lk[400];
	snprintf(k, sizeof(k), "webix:lf:%s:%s", name, key);
	snprintf(lk, sizeof(lk), "webix:lk:%s:%s", name, key);
	const char *del[] = { "DEL", k, lk };
	freeReplyObject(cmd(r, 3, del));
}
