/* log.c — JSON log lines (time, level, program, pid, request id, message, fields), built
 * straight into one buffer and written with one write(2), so lines of concurrent workers
 * never interleave. Strings are escaped to valid JSON in valid UTF-8 (control characters
 * as \u00XX, bytes that are not UTF-8 as U+FFFD): a client's path cannot break a line. */
#include "log.h"
#include "util.h"
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *program = "webix";
static char cur_request[80];
/* getpid() is a system call on every log line otherwise; a fork clears the copy */
static pid_t own_pid;
static bool atfork_set;

static void
forget_pid(void)
{
	own_pid = 0;
}

static pid_t
log_pid(void)
{
	if (!atfork_set) {
		atfork_set = pthread_atfork(NULL, NULL, forget_pid) == 0;
		if (!atfork_set)
			return getpid();
	}
	if (own_pid == 0)
		own_pid = getpid();
	return own_pid;
}
static const char *const level_names[] = { "debug", "info", "warn", "error", "fatal" };

void
log_set_program(const char *name)
{
	program = name;
}

void
log_set_request(const char *id)
{
	snprintf(cur_request, sizeof(cur_request), "%s", id ? id : "");
}

static const char truncated_mark[] = ",\"truncated\":true";

static void
put(struct logline *l, const char *s, size_t n)
{
	/* room for the mark and "}\n" always stays */
	if (l->len + n > sizeof(l->buf) - sizeof(truncated_mark) - 2) {
		l->truncated = true;
		return;
	}
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

/* Length of the valid UTF-8 sequence at s (1–4), or 0. */
static size_t
utf8_seq(const unsigned char *s, size_t left)
{
	unsigned c = s[0];
	size_t n;
	unsigned min;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, min = 0x10000;
	else
		return 0;
	if (n > left)
		return 0;
	unsigned cp = c & (0xff >> (n + 1));
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static void
put_string(struct logline *l, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s);
	put(l, "\"", 1);
	while (left > 0) {
		size_t run = 0;     /* bytes that go out as they are */
		while (run < left && p[run] >= 0x20 && p[run] < 0x80 && p[run] != '"' &&
		    p[run] != '\\')
			run++;
		put(l, (const char *)p, run);
		p += run;
		left -= run;
		if (left == 0)
			break;
		char esc[8];
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			put(l, esc, 2);
			p++, left--;
		} else if (*p < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			put(l, esc, 6);
			p++, left--;
		} else {
			size_t n = utf8_seq(p, left);
			if (n == 0) {
				put(l, "\\ufffd", 6);
				n = 1;
			} else
				put(l, (const char *)p, n);
			p += n;
			left -= n;
		}
	}
	put(l, "\"", 1);
}

static void
put_key(struct logline *l, const char *key)
{
	put(l, ",", 1);
	put_string(l, key);
	put(l, ":", 1);
}

void
logline_begin(struct logline *l, enum log_level lvl, const char *msg)
{
	char ts[40], num[24];
	l->len = 0;
	l->truncated = false;
	util_iso_now(ts, sizeof(ts));
	put(l, "{\"time\":", 8);
	put_string(l, ts);
	logline_str(l, "level", level_names[lvl]);
	logline_str(l, "program", program);
	int n = snprintf(num, sizeof(num), "%d", (int)log_pid());
	put_key(l, "pid");
	put(l, num, (size_t)n);
	if (cur_request[0])
		logline_str(l, "requestId", cur_request);
	if (msg)
		logline_str(l, "msg", msg);
}

/* A field that did not fit whole is taken out again: the line stays valid JSON. */
static void
field_done(struct logline *l, size_t at, bool was_truncated)
{
	if (l->truncated && !was_truncated)
		l->len = at;
}

void
logline_str(struct logline *l, const char *key, const char *val)
{
	size_t at = l->len;
	bool was = l->truncated;
	put_key(l, key);
	if (val)
		put_string(l, val);
	else
		put(l, "null", 4);
	field_done(l, at, was);
}

void
logline_int(struct logline *l, const char *key, long long val)
{
	char num[24];
	size_t at = l->len;
	bool was = l->truncated;
	int n = snprintf(num, sizeof(num), "%lld", val);
	put_key(l, key);
	put(l, num, (size_t)n);
	field_done(l, at, was);
}

void
logline_raw(struct logline *l, const char *key, const char *json)
{
	size_t at = l->len;
	bool was = l->truncated;
	put_key(l, key);
	put(l, json, strlen(json));
	field_done(l, at, was);
}

void
logline_end(struct logline *l)
{
	if (l->truncated) {     /* fields that did not fit were left out: say so */
		memcpy(l->buf + l->len, truncated_mark, sizeof(truncated_mark) - 1);
		l->len += sizeof(truncated_mark) - 1;
	}
	l->buf[l->len++] = '}';
	l->buf[l->len++] = '\n';
	ssize_t w = write(STDERR_FILENO, l->buf, l->len);
	(void)w;
}

void
log_json(enum log_level lvl, const char *msg, json_object *fields)
{
	struct logline l;
	logline_begin(&l, lvl, msg);
	if (fields) {
		json_object_object_foreach(fields, k, v)
			logline_raw(&l, k, json_object_to_json_string_ext(v,
			    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(fields);
	}
	logline_end(&l);
}

static void
vlog(enum log_level lvl, int err, const char *fmt, va_list ap)
{
	char buf[1024];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (err && n >= 0 && (size_t)n < sizeof(buf))
		snprintf(buf + n, sizeof(buf) - (size_t)n, ": %s", strerror(err));
	log_json(lvl, buf, NULL);
}

void
log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(lvl, 0, fmt, ap);
	va_end(ap);
}

void
log_errno(enum log_level lvl, const char *fmt, ...)
{
	int err = errno;
	va_list ap;
	va_start(ap, fmt);
	vlog(lvl, err, fmt, ap);
	va_end(ap);
}
