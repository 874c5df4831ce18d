/* request.c — request helpers: FastCGI params into a struct req, query lookup, URL
 * decoding, the single release point. */
#include "request.h"
#include "util.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *
param(req_param_fn get, void *ctx, const char *name)
{
	const char *v = get(ctx, name);
	return v && *v ? v : NULL;
}

void
req_from_params(struct req *r, req_param_fn get, void *ctx)
{
	const char *m = param(get, ctx, "REQUEST_METHOD");
	r->method = m ? m : "GET";
	if (strcmp(r->method, "HEAD") == 0) {
		r->is_head = true;
		r->method = "GET";
	}
	const char *uri = param(get, ctx, "DOCUMENT_URI");
	if (uri == NULL) {
		const char *ru = param(get, ctx, "REQUEST_URI");
		uri = ru ? arena_strndup(&r->arena, ru, strcspn(ru, "?")) : "/";
	}
	r->path = uri;
	const char *q = param(get, ctx, "QUERY_STRING");
	r->query = q ? q : "";
	r->content_type = param(get, ctx, "CONTENT_TYPE");
	const char *cl = param(get, ctx, "CONTENT_LENGTH");
	r->content_length = -1;
	if (cl) {
		char *end;
		errno = 0;
		long long v = strtoll(cl, &end, 10);
		r->content_length = (errno || *end || v < 0) ? -1 : v;
	}
	r->authorization = param(get, ctx, "HTTP_AUTHORIZATION");
	r->user_agent = param(get, ctx, "HTTP_USER_AGENT");
	r->if_none_match = param(get, ctx, "HTTP_IF_NONE_MATCH");
	r->remote_addr = param(get, ctx, "REMOTE_ADDR");
	r->request_id = param(get, ctx, "WEBIX_REQUEST_ID");
	if (r->request_id == NULL) {
		unsigned char b[16];
		char *hex = arena_alloc(&r->arena, 33);
		util_random(b, sizeof(b));
		util_hex(b, sizeof(b), hex);
		r->request_id = hex;
	}
	r->tenant = param(get, ctx, "WEBIX_TENANT");
}

const char *
req_param(const struct req *r, int i)
{
	return i >= 0 && i < r->nparams ? r->params[i] : NULL;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

char *
req_urldecode(struct arena *a, const char *s, size_t n, bool plus_is_space)
{
	char *out = arena_alloc(a, n + 1), *o = out;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '%') {
			int h, l;
			if (i + 2 >= n || (h = hexval(s[i + 1])) < 0 || (l = hexval(s[i + 2])) < 0)
				return NULL;
			c = (char)(h << 4 | l);
			if (c == '\0')
				return NULL;
			i += 2;
		} else if (c == '+' && plus_is_space)
			c = ' ';
		*o++ = c;
	}
	*o = '\0';
	return out;
}

const char *
req_query(struct req *r, const char *name)
{
	size_t nl = strlen(name);
	const char *q = r->query;
	while (q && *q) {
		const char *amp = strchr(q, '&');
		size_t len = amp ? (size_t)(amp - q) : strlen(q);
		const char *eq = memchr(q, '=', len);
		size_t kl = eq ? (size_t)(eq - q) : len;
		char *key = req_urldecode(&r->arena, q, kl, true);
		if (key && strlen(key) == nl && memcmp(key, name, nl) == 0) {
			if (!eq)
				return "";
			return req_urldecode(&r->arena, eq + 1, len - kl - 1, true);
		}
		q = amp ? amp + 1 : NULL;
	}
	return NULL;
}

void
req_reset(struct req *r)
{
	struct arena a = r->arena;
	struct app *app = r->app;
	if (r->json)
		json_object_put(r->json);
	arena_reset(&a);
	memset(r, 0, sizeof(*r));
	r->arena = a;
	r->app = app;
}
