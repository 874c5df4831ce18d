/* log.h — structured logging: one JSON object per line on stderr. */
#ifndef WEBIX_LOG_H
#define WEBIX_LOG_H
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_FATAL };

/* Program name and the request id that later log lines of this process carry. */
void log_set_program(const char *name);
void log_set_request(const char *request_id);
/*
 * A line built field by field, for lines written often (one per request): no json-c.
 *   struct logline l; logline_begin(&l, LOG_INFO, "request");
 *   logline_str(&l, "path", p); logline_int(&l, "status", 200); logline_end(&l);
 * Strings are escaped (NULL gives null); logline_raw adds JSON text as it is. A field that
 * would overflow the line is left out and the line gets "truncated":true.
 */
struct logline {
	char           buf[16384];
	size_t         len;
	bool           truncated;
};
void logline_begin(struct logline *, enum log_level, const char *msg);
void logline_str(struct logline *, const char *key, const char *val);
void logline_int(struct logline *, const char *key, long long val);
void logline_raw(struct logline *, const char *key, const char *json);
void logline_end(struct logline *);    /* writes the line */

/* `fields` (may be NULL) is merged into the line and released by the call. */
void log_json(enum log_level, const char *msg, json_object *fields);
void log_msg(enum log_level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* As log_msg, appending strerror(errno). */
void log_errno(enum log_level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#endif
