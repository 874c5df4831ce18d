/* dispatch.c — route → body cap → content type → strict JSON → auth → handler. */
#include "dispatch.h"
#include "app.h"
#include "authn.h"
#include "jsonscan.h"
#include "log.h"
#include "orgaccess.h"
#include "rcache.h"
#include "router.h"
#include "util.h"
#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool
is_json_type(const char *ct)
{
	if (ct == NULL)
		return false;
	while (*ct == ' ')
		ct++;
	size_t n = strcspn(ct, "; ");
	return n == 16 && strncasecmp(ct, "application/json", 16) == 0;
}

/* Read the whole body (Content-Length bytes, at most max) into the arena. 0 ok, -1 sent. */
static int
read_body(struct req *r, struct resp *rs, body_reader rd, void *ctx)
{
	long long max = r->app->cfg->max_body;
	if (r->content_length <= 0)
		return 0;
	if (r->content_length > max)
		return resp_error(r, rs, 413, "payload_too_large", "Request body is too large", NULL);
	size_t want = (size_t)r->content_length, got = 0;
	char *buf = arena_alloc(&r->arena, want + 1);
	while (got < want) {
		long n = rd(ctx, buf + got, want - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got < want)
		return resp_error(r, rs, 400, "bad_request", "Request body is shorter than "
		    "Content-Length", NULL);
	buf[got] = '\0';
	r->body = buf;
	r->body_len = got;
	return 0;
}

static int
parse_json(struct req *r, struct resp *rs)
{
	if (r->body_len == 0)
		return 0;   /* no body: the field table decides (POST /logout needs none) */
	if (!is_json_type(r->content_type))
		return resp_error(r, rs, 415, "unsupported_media_type",
		    "Content-Type must be application/json", NULL);
	const char *why = NULL;
	size_t at = 0;
	r->json = json_parse_strict(r->body, r->body_len, &why, &at);
	if (r->json == NULL && why != NULL) {
		char *msg = arena_printf(&r->arena, "Malformed JSON: %s at byte %zu", why, at);
		return resp_error(r, rs, 400, "bad_request", msg, NULL);
	}
	return 0;
}

void
dispatch(struct req *r, struct resp *rs, body_reader rd, void *ctx)
{
	struct match m;
	switch (router_match(routes, nroutes, r->method, r->path, &r->arena, &m)) {
	case MATCH_NOT_FOUND:
		resp_error(r, rs, 404, "not_found", "Route not found", NULL);
		return;
	case MATCH_BAD_METHOD:
		resp_header(r, rs, "Allow", m.allow);
		resp_error(r, rs, 405, "method_not_allowed", "Method not allowed", NULL);
		return;
	case MATCH_BAD_PARAM:
		resp_error(r, rs, 400, "bad_request",
		    arena_printf(&r->arena, "Invalid %s", m.bad_param), NULL);
		return;
	case MATCH_OK:
		break;
	}
	r->route = m.route;
	memcpy(r->params, m.params, sizeof(r->params));
	r->nparams = m.nparams;

	if (m.route->flags & R_STREAM) {
		r->read_body = rd;
		r->read_ctx = ctx;
	} else if (read_body(r, rs, rd, ctx) < 0)
		return;
	if ((m.route->flags & R_JSON) && parse_json(r, rs) < 0)
		return;
	/* a cacheable route checks the token's revocation in the cache's round trip */
	bool cacheable = (m.route->flags & (R_CACHE | R_ORG | R_AUTH)) == (R_CACHE | R_ORG | R_AUTH);
	if ((m.route->flags & R_AUTH) && (cacheable ? authn_require_token(r, rs) :
	    authn_require(r, rs)) < 0)
		return;
	if ((m.route->flags & R_TENANT_SUB) && r->tenant && *r->tenant &&
	    strcasecmp(r->tenant, req_param(r, 0)) != 0) {
		resp_error(r, rs, 404, "not_found", "Organization not found", NULL);
		return;
	}
	if (m.route->flags & R_ORG) {
		r->org_id = req_param(r, 0);
		/* a cache hit stands for the access check too (see rcache.h) */
		bool hit = cacheable && rcache_lookup(r) > 0;
		if (cacheable && authn_finish(r, rs, r->rc_revoked) < 0)
			return;
		if (!hit && org_access_begin(r, rs) < 0)
			return;
	}
	if (m.route->handler(r, rs) == 0 && rs->status == 0)
		resp_error(r, rs, 500, "internal", "Internal server error", NULL);
	if (rs->status == 0)
		resp_error(r, rs, 500, "internal", "Internal server error", NULL);
	/* a handler that answered without finishing its transaction: nothing of it stays */
	if (r->app && r->app->db.in_tx)
		db_rollback(&r->app->db);
	/* a write in an organization: its cached reads are stale before the client hears back */
	if ((m.route->flags & R_ORG) && strcmp(r->method, "GET") != 0 && rs->status < 400)
		rcache_touch(r->app, r->org_id);
}

void
dispatch_log(const struct req *r, const struct resp *rs)
{
	struct logline l;
	char dur[32];
	double ms = (double)(util_now_us() - r->start_us) / 1000.0;
	snprintf(dur, sizeof(dur), "%.3f", ms);
	logline_begin(&l, rs->status >= 500 ? LOG_ERROR : LOG_INFO, "request");
	logline_str(&l, "method", r->is_head ? "HEAD" : r->method ? r->method : "");
	logline_str(&l, "route", r->route ? r->route->pattern : "(none)");
	logline_str(&l, "path", r->path ? r->path : "");
	logline_int(&l, "status", rs->status);
	logline_raw(&l, "durationMs", dur);
	logline_str(&l, "org", r->org_id);
	logline_str(&l, "user", r->user_id);
	logline_str(&l, "tenant", r->tenant);
	logline_str(&l, "ip", r->remote_addr ? r->remote_addr : "");
	if (rs->error_code)
		logline_str(&l, "error", rs->error_code);
	logline_end(&l);
}
