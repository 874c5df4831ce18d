/* response.c — the one place answers are formatted: envelope, status line, headers. */
#include "response.h"
#include "request.h"
#include "app.h"
#include "log.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *
http_reason(int s)
{
	switch (s) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 421: return "Misdirected Request";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default:  return "Status";
	}
}

static void
set_body(struct resp *rs, int status, json_object *body)
{
	if (rs->body)
		json_object_put(rs->body);
	rs->status = status;
	rs->body = body;
}

void
resp_ok(struct resp *rs, int status, const char *message, json_object *data)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "success", json_object_new_boolean(1));
	if (message)
		json_object_object_add(o, "message", json_object_new_string(message));
	if (data)
		json_object_object_add(o, "data", data);
	set_body(rs, status, o);
}

void
resp_ok_raw(struct req *r, struct resp *rs, int status, const char *message,
    const char *data_json)
{
	const char *msg = "";
	if (message) {
		json_object *m = json_object_new_string(message);
		msg = arena_printf(&r->arena, "\"message\":%s,", json_object_to_json_string_ext(m,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(m);
	}
	/* by hand: printf's %s is slow on the tens of kilobytes of a list */
	static const char head[] = "{\"success\":true,", mid[] = "\"data\":";
	const char *data = data_json && *data_json ? data_json : "null";
	size_t ml = strlen(msg), dl = strlen(data);
	size_t n = sizeof(head) - 1 + ml + sizeof(mid) - 1 + dl + 1;
	char *body = arena_alloc(&r->arena, n + 1), *p = body;
	memcpy(p, head, sizeof(head) - 1);
	p += sizeof(head) - 1;
	memcpy(p, msg, ml);
	p += ml;
	memcpy(p, mid, sizeof(mid) - 1);
	p += sizeof(mid) - 1;
	memcpy(p, data, dl);
	p += dl;
	*p++ = '}';
	*p = '\0';
	json_object_put(rs->body);
	rs->body = NULL;
	rs->status = status;
	rs->raw = body;
	rs->raw_len = n;
	rs->content_type = "application/json; charset=utf-8";
}

void
resp_json(struct resp *rs, int status, json_object *body)
{
	set_body(rs, status, body);
}

int
resp_error(struct req *r, struct resp *rs, int status, const char *code, const char *message,
    json_object *errors)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "success", json_object_new_boolean(0));
	json_object_object_add(o, "message", json_object_new_string(message));
	json_object_object_add(o, "code", json_object_new_string(code));
	if (errors)
		json_object_object_add(o, "errors", errors);
	json_object_object_add(o, "requestId",
	    json_object_new_string(r->request_id ? r->request_id : ""));
	set_body(rs, status, o);
	rs->error_code = code;
	return -1;
}

int
resp_invalid(struct req *r, struct resp *rs, json_object *errors)
{
	return resp_error(r, rs, 400, "validation_failed", "Validation error", errors);
}

int
resp_unavailable(struct req *r, struct resp *rs, const char *what)
{
	resp_header(r, rs, "Retry-After", "2");
	return resp_error(r, rs, 503, "unavailable", what, NULL);
}

int
resp_db_error(struct req *r, struct resp *rs, const struct db *db)
{
	switch (db->status) {
	case DB_UNAVAILABLE:
		return resp_unavailable(r, rs, "Service temporarily unavailable, please retry");
	case DB_CONFLICT:
		return resp_error(r, rs, 409, "conflict", "Conflict with the current state", NULL);
	case DB_INVALID:
		return resp_error(r, rs, 400, "bad_request", "Invalid value", NULL);
	case DB_REFUSED: {
		int st = atoi(db->sqlstate + 2);
		const char *code = st == 404 ? "not_found" : st == 403 ? "forbidden" :
		    st == 409 ? "conflict" : st == 400 ? "bad_request" : NULL;
		if (code != NULL)
			return resp_error(r, rs, st, code, arena_strdup(&r->arena, db->primary), NULL);
		break;
	}
	default:
		break;
	}
	log_msg(LOG_ERROR, "database error %s: %s", db->sqlstate, db->msg);
	resp_error(r, rs, 500, "internal", "Internal server error", NULL);
	/* NODE_ENV=development: the detail helps; never in production */
	if (r->app && strcmp(r->app->cfg->node_env, "development") == 0)
		json_object_object_add(rs->body, "error", json_object_new_string(db->msg));
	return -1;
}

void
resp_header(struct req *r, struct resp *rs, const char *name, const char *value)
{
	if (rs->nheaders < RESP_MAX_HEADERS)
		rs->headers[rs->nheaders++] = arena_printf(&r->arena, "%s: %s", name, value);
}

void
resp_write(struct req *r, struct resp *rs, void (*emit)(void *, const char *, size_t), void *ctx)
{
	char head[256];
	const char *body = rs->raw;
	size_t blen = rs->raw_len;
	if (rs->body)
		body = json_object_to_json_string_length(rs->body,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &blen);
	if (rs->status == 0)
		rs->status = 500;
	int n = snprintf(head, sizeof(head), "Status: %d %s\r\n", rs->status, http_reason(rs->status));
	emit(ctx, head, (size_t)n);
	if (body != NULL || rs->content_type) {
		n = snprintf(head, sizeof(head), "Content-Type: %s\r\n",
		    rs->content_type ? rs->content_type : "application/json; charset=utf-8");
		emit(ctx, head, (size_t)n);
	}
	bool own_cache = false;
	for (int i = 0; i < rs->nheaders; i++)
		own_cache |= strncasecmp(rs->headers[i], "Cache-Control:", 14) == 0;
	if (!own_cache)
		emit(ctx, "Cache-Control: no-store\r\n", 25);
	for (int i = 0; i < rs->nheaders; i++) {
		emit(ctx, rs->headers[i], strlen(rs->headers[i]));
		emit(ctx, "\r\n", 2);
	}
	n = snprintf(head, sizeof(head), "Content-Length: %zu\r\n\r\n", body ? blen : 0);
	emit(ctx, head, (size_t)n);
	if (body && !r->is_head)
		emit(ctx, body, blen);
}

void
resp_reset(struct resp *rs)
{
	if (rs->body)
		json_object_put(rs->body);
	memset(rs, 0, sizeof(*rs));
}
