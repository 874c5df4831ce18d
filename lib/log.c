/* log.c — JSON log lines (time, level, program, pid, request id, message, fields). */
#include "log.h"
#include "util.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *program = "webix";
static char cur_request[80];
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

void
log_json(enum log_level lvl, const char *msg, json_object *fields)
{
	char ts[40];
	json_object *o = json_object_new_object();
	util_iso_now(ts, sizeof(ts));
	json_object_object_add(o, "time", json_object_new_string(ts));
	json_object_object_add(o, "level", json_object_new_string(level_names[lvl]));
	json_object_object_add(o, "program", json_object_new_string(program));
	json_object_object_add(o, "pid", json_object_new_int((int)getpid()));
	if (cur_request[0])
		json_object_object_add(o, "requestId", json_object_new_string(cur_request));
	if (msg)
		json_object_object_add(o, "msg", json_object_new_string(msg));
	if (fields) {
		json_object_object_foreach(fields, k, v)
			json_object_object_add(o, k, json_object_get(v));
		json_object_put(fields);
	}
	size_t len;
	const char *s = json_object_to_json_string_length(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	/* one write(2) per line so lines of concurrent workers never interleave */
	char buf[8192];
	if (len + 1 <= sizeof(buf)) {
		memcpy(buf, s, len);
		buf[len] = '\n';
		ssize_t w = write(STDERR_FILENO, buf, len + 1);
		(void)w;
	} else {
		ssize_t w = write(STDERR_FILENO, s, len);
		w = write(STDERR_FILENO, "\n", 1);
		(void)w;
	}
	json_object_put(o);
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
