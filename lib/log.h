/* log.h — structured logging: one JSON object per line on stderr. */
#ifndef WEBIX_LOG_H
#define WEBIX_LOG_H
#include <json-c/json.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_FATAL };

/* Program name and the request id that later log lines of this process carry. */
void log_set_program(const char *name);
void log_set_request(const char *request_id);
/* `fields` (may be NULL) is merged into the line and released by the call. */
void log_json(enum log_level, const char *msg, json_object *fields);
void log_msg(enum log_level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* As log_msg, appending strerror(errno). */
void log_errno(enum log_level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#endif
