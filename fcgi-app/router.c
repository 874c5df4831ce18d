/* router.c — matches a method and path against the route table. */
#include "router.h"
#include "util.h"
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Next segment of a path or pattern: sets *seg and *len, returns the rest (NULL at end). */
static const char *
next_seg(const char *p, const char **seg, size_t *len)
{
	while (*p == '/')
		p++;
	if (*p == '\0')
		return NULL;
	const char *e = strchr(p, '/');
	*seg = p;
	*len = e ? (size_t)(e - p) : strlen(p);
	return p + *len;
}

static bool
param_ok(const char *type, size_t tlen, const char *s, size_t n)
{
	if (tlen == 4 && strncmp(type, "uuid", 4) == 0)
		return util_is_uuid(s, n);
	if (tlen == 3 && strncmp(type, "int", 3) == 0) {
		if (n == 0 || n > 9)
			return false;
		for (size_t i = 0; i < n; i++)
			if (s[i] < '0' || s[i] > '9')
				return false;
		return true;
	}
	/* str: 1..100 printable characters, no NUL (the path is already decoded) */
	if (n == 0 || n > 100)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

/*
 * 1 match, 0 no match, -1 shape matches but a param is malformed (name in bad).
 */
static int
match_one(const char *pattern, const char *path, struct arena *a, struct match *m,
    char *bad, size_t badsz)
{
	const char *pp = pattern, *xp = path, *ps = NULL, *xs = NULL;
	size_t pl = 0, xl = 0;
	int np = 0, result = 1;
	for (;;) {
		pp = next_seg(pp, &ps, &pl);
		xp = next_seg(xp, &xs, &xl);
		if (pp == NULL || xp == NULL)
			return (pp == NULL && xp == NULL) ? result : 0;
		if (ps[0] == '{') {
			const char *colon = memchr(ps, ':', pl);
			const char *type = colon ? colon + 1 : "str";
			size_t tlen = colon ? pl - (size_t)(colon - ps) - 2 : 3;
			if (!param_ok(type, tlen, xs, xl)) {
				if (result == 1) {
					size_t nl = colon ? (size_t)(colon - ps - 1) : pl - 2;
					snprintf(bad, badsz, "%.*s", (int)nl, ps + 1);
				}
				result = -1;
			}
			if (np < REQ_MAX_PARAMS && m)
				m->params[np] = arena_strndup(a, xs, xl);
			np++;
		} else if (pl != xl || strncasecmp(ps, xs, pl) != 0)
			return 0;
		if (m)
			m->nparams = np;
	}
}

enum match_result
router_match(const struct route *t, size_t n, const char *method, const char *path,
    struct arena *a, struct match *m)
{
	bool shape = false, bad = false;
	char badname[48] = "";
	memset(m, 0, sizeof(*m));
	for (size_t i = 0; i < n; i++) {
		struct match tmp;
		char b[48] = "";
		memset(&tmp, 0, sizeof(tmp));
		int r = match_one(t[i].pattern, path, a, &tmp, b, sizeof(b));
		if (r == 0)
			continue;
		if (r < 0) {
			if (!bad && strcmp(t[i].method, method) == 0) {
				bad = true;
				snprintf(badname, sizeof(badname), "%s", b);
			}
			continue;
		}
		if (strcmp(t[i].method, method) == 0) {
			*m = tmp;
			m->route = &t[i];
			return MATCH_OK;
		}
		shape = true;
		if (strstr(m->allow, t[i].method) == NULL) {
			size_t l = strlen(m->allow);
			snprintf(m->allow + l, sizeof(m->allow) - l, "%s%s", l ? ", " : "", t[i].method);
			if (strcmp(t[i].method, "GET") == 0) {
				l = strlen(m->allow);
				snprintf(m->allow + l, sizeof(m->allow) - l, ", HEAD");
			}
		}
	}
	if (bad) {
		snprintf(m->bad_param, sizeof(m->bad_param), "%s", badname);
		return MATCH_BAD_PARAM;
	}
	return shape ? MATCH_BAD_METHOD : MATCH_NOT_FOUND;
}
