/* fuzz_router.c — libFuzzer harness for router_match() against the real route table.
 * Input: "METHOD PATH" (no space: GET and the whole input as the path), as the worker
 * would see them after nginx and URL decoding. */
#include "fuzz.h"
#include "router.h"
#include "util.h"
#include <stdbool.h>
#include <string.h>

/* Is s a valid value of the param type named in a pattern segment "{name:type}"? */
static bool
type_ok(const char *seg, size_t seglen, const char *s)
{
	const char *colon = memchr(seg, ':', seglen);
	size_t n = strlen(s);
	if (colon == NULL || strncmp(colon, ":str}", 5) == 0) {
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
				return false;
		return n >= 1 && n <= 100;
	}
	if (strncmp(colon, ":uuid}", 6) == 0)
		return util_is_uuid(s, n);
	if (strncmp(colon, ":int}", 5) == 0)
		return n >= 1 && n <= 9 && strspn(s, "0123456789") == n;
	return true;   /* a type this harness does not know: no claim */
}

/* The params of a match agree with the route's pattern: as many, each of its type. */
static void
check_params(const struct match *m)
{
	const char *p = m->route->pattern;
	int i = 0;
	while (*p) {
		p += strspn(p, "/");
		size_t len = strcspn(p, "/");
		if (len > 0 && p[0] == '{') {
			if (i < REQ_MAX_PARAMS) {
				FUZZ_ASSERT(m->params[i] != NULL, "param %d of %s missing", i,
				    m->route->pattern);
				FUZZ_ASSERT(type_ok(p, len, m->params[i]), "param %d \"%s\" of %s "
				    "has the wrong type", i, m->params[i], m->route->pattern);
			}
			i++;
		}
		p += len;
	}
	FUZZ_ASSERT(m->nparams == i, "%d params for %s, pattern has %d", m->nparams,
	    m->route->pattern, i);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 1), method[16] = "GET";
	const char *path;
	struct arena a;
	struct match m, again;

	if (in == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';   /* a C string, as the FastCGI param is: an embedded NUL ends it */
	char *sp = strchr(in, ' ');
	if (sp != NULL && sp - in < (long)sizeof(method)) {
		memcpy(method, in, (size_t)(sp - in));
		method[sp - in] = '\0';
		path = sp + 1;
	} else {
		path = in;
	}
	arena_init(&a, 1024);
	enum match_result res = router_match(routes, nroutes, method, path, &a, &m);
	switch (res) {
	case MATCH_OK:
		FUZZ_ASSERT(m.route != NULL, "MATCH_OK without a route");
		FUZZ_ASSERT(strcmp(m.route->method, method) == 0, "%s matched a %s route",
		    method, m.route->method);
		check_params(&m);
		break;
	case MATCH_BAD_METHOD:
		FUZZ_ASSERT(m.allow[0] != '\0', "405 with an empty Allow");
		/* the method asked for is never among the allowed ones (HEAD rides on GET) */
		if (strcmp(method, "HEAD") != 0)
			for (const char *t = m.allow; *t;) {
				size_t tl = strcspn(t, ",");
				FUZZ_ASSERT(tl != strlen(method) || strncmp(t, method, tl) != 0,
				    "405 for %s, yet Allow: %s", method, m.allow);
				t += tl;
				t += strspn(t, ", ");
			}
		break;
	case MATCH_BAD_PARAM:
		FUZZ_ASSERT(m.bad_param[0] != '\0', "400 without the param's name");
		break;
	case MATCH_NOT_FOUND:
		break;
	default:
		FUZZ_ASSERT(0, "unknown result %d", (int)res);
	}
	/* matching is a pure function of method and path */
	FUZZ_ASSERT(router_match(routes, nroutes, method, path, &a, &again) == res &&
	    again.route == m.route && again.nparams == m.nparams, "second match differs");
	arena_free(&a);
	free(in);
	return 0;
}
