/* request.h — one request: the FastCGI params that matter, the capped body, the parsed
 * JSON, path params and the caller; all memory in the request arena, freed in one place. */
#ifndef WEBIX_REQUEST_H
#define WEBIX_REQUEST_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>
#include "arena.h"

struct route;
struct app;

#define REQ_MAX_PARAMS 6

struct req {
	struct arena  arena;
	struct app   *app;            /* process-wide: config, db, redis */
	const char   *method;         /* HEAD already mapped to GET; see is_head */
	bool          is_head;
	const char   *path;           /* decoded path, no query */
	const char   *query;          /* raw query string, "" if none */
	const char   *content_type;
	long long     content_length; /* -1 when absent */
	const char   *authorization;
	const char   *if_none_match;  /* If-None-Match, for ETag revalidation */
	const char   *user_agent;
	const char   *remote_addr;
	const char   *request_id;     /* from nginx ($request_id) */
	const char   *tenant;         /* subdomain from nginx's host map; NULL on the base domain */
	char         *body;           /* NUL-terminated copy, NULL when none */
	size_t        body_len;
	json_object  *json;           /* parsed body (owned; released by req_reset) */
	/* R_STREAM routes: the body is not read by dispatch; read it with this (returns bytes
	 * read, 0 at the end, < 0 on error), at most content_length bytes in all */
	long        (*read_body)(void *ctx, char *buf, size_t n);
	void         *read_ctx;
	const struct route *route;
	const char   *params[REQ_MAX_PARAMS]; /* typed path params, in pattern order */
	int           nparams;
	/* set by authentication */
	const char   *user_id, *user_email, *user_role, *session_id;
	const char   *org_id;         /* the organization this request acts in */
	/* the response cache (rcache.c): what the lookup saw, and a hit's data */
	const char   *rc_atag, *rc_tag, *rc_akey, *rc_rkey; /* tags NULL: a version is missing */
	const char   *cached;         /* the data JSON of a cache hit (access already granted) */
	int           rc_revoked;     /* the lookup read the revocation keys: 1/0; -1 it did not */
	bool          rc_counted;     /* R_CACHE_COUNT hit: its view is queued; pending, written */
	long long     rc_pending, rc_written;
	uint64_t      start_us;
};

/* One FastCGI param by name (NULL when absent). */
typedef const char *(*req_param_fn)(void *ctx, const char *name);
/* Fill r from the FastCGI params that matter (empty ones count as absent). Tenant and
 * request id come only from nginx's own params; a missing request id gets a random one.
 * Strings point into the params or the request arena. */
void req_from_params(struct req *, req_param_fn get, void *ctx);
/* Path param by position (NULL if absent). */
const char *req_param(const struct req *, int i);
/* Query parameter value (decoded, in the arena) or NULL. */
const char *req_query(struct req *, const char *name);
/* Release everything the request holds and empty it for the next one. */
void req_reset(struct req *);
/* Percent-decode s (len n) into the arena; NULL if it decodes to a NUL byte or bad %XX. */
char *req_urldecode(struct arena *, const char *s, size_t n, bool plus_is_space);
#endif
