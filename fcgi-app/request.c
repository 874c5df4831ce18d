/* request.c — request helpers: query lookup, URL decoding, the single release point. */
#include "request.h"
#include <string.h>

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
