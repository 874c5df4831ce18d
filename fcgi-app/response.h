/* response.h — the answer being built: status, headers, and the JSON envelope of
 * spec/README.md §2, written by one function (resp_send). */
#ifndef WEBIX_RESPONSE_H
#define WEBIX_RESPONSE_H
#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>
#include "db.h"

struct req;

#define RESP_MAX_HEADERS 8

struct resp {
	int          status;
	json_object *body;                 /* owned; released by resp_reset */
	const char  *raw;                  /* non-JSON body (e.g. 304 has none) */
	size_t       raw_len;
	const char  *content_type;         /* default application/json; charset=utf-8 */
	const char  *headers[RESP_MAX_HEADERS]; /* "Name: value" lines, arena memory */
	int          nheaders;
	const char  *error_code;           /* for the log line */
};

/* Success envelope {"success":true, "message"?, "data"?}; data is taken over. */
void resp_ok(struct resp *, int status, const char *message, json_object *data);
/* The success envelope around data that is already JSON text (e.g. built by PostgreSQL),
 * without parsing it again; the text is copied into the request arena. */
void resp_ok_raw(struct req *, struct resp *, int status, const char *message,
    const char *data_json);
/* Any JSON body as is (taken over). */
void resp_json(struct resp *, int status, json_object *body);
/*
 * Error envelope {"success":false,"message","code","requestId"}; `errors` (a json array,
 * taken over, may be NULL) is added for validation failures. Returns -1 so handlers can
 * `return resp_error(...)`.
 */
int  resp_error(struct req *, struct resp *, int status, const char *code, const char *message,
    json_object *errors);
/* 400 validation_failed with every field error. */
int  resp_invalid(struct req *, struct resp *, json_object *errors);
/* The answer for a failed database call: 503 + Retry-After, 409, 400 or 500. */
int  resp_db_error(struct req *, struct resp *, const struct db *);
/* 503 unavailable with Retry-After. */
int  resp_unavailable(struct req *, struct resp *, const char *what);
/* Add a header line "name: value" (copied into the request arena). */
void resp_header(struct req *, struct resp *, const char *name, const char *value);
/* Write status, headers and body to the FastCGI stream (or a FILE-like sink in tests). */
void resp_write(struct req *, struct resp *, void (*emit)(void *, const char *, size_t), void *);
void resp_reset(struct resp *);
const char *http_reason(int status);
#endif
