/* fuzz_request.c — libFuzzer harness for request parsing: FastCGI name-value pairs (the
 * record encoding nginx sends, 1- or 4-byte lengths) into a struct req by
 * req_from_params(), then req_query() and req_urldecode() over what came in. */
#include "fuzz.h"
#include "request.h"
#include <stdbool.h>
#include <string.h>

#define MAX_PARAMS 64

struct params {
	char  *env[MAX_PARAMS]; /* "NAME=VALUE", as libfcgi's envp */
	size_t n;
};

/* As FCGX_GetParam: the first "NAME=" entry. */
static const char *
get(void *ctx, const char *name)
{
	const struct params *p = ctx;
	size_t n = strlen(name);
	for (size_t i = 0; i < p->n; i++)
		if (strncmp(p->env[i], name, n) == 0 && p->env[i][n] == '=')
			return p->env[i] + n + 1;
	return NULL;
}

/* One FastCGI length: 1 byte below 128, else 4 bytes with the top bit set. */
static bool
read_len(const uint8_t **d, size_t *left, size_t *out)
{
	if (*left < 1)
		return false;
	if (**d < 0x80) {
		*out = **d;
		(*d)++;
		(*left)--;
		return true;
	}
	if (*left < 4)
		return false;
	*out = ((size_t)((*d)[0] & 0x7f) << 24) | ((size_t)(*d)[1] << 16) |
	    ((size_t)(*d)[2] << 8) | (*d)[3];
	*d += 4;
	*left -= 4;
	return true;
}

static void
parse_params(const uint8_t *d, size_t left, struct params *p)
{
	while (p->n < MAX_PARAMS) {
		size_t nl, vl;
		if (!read_len(&d, &left, &nl) || !read_len(&d, &left, &vl) || nl > left ||
		    vl > left - nl)
			return;
		char *e = malloc(nl + vl + 2);
		if (e == NULL)
			return;
		memcpy(e, d, nl);
		e[nl] = '=';
		memcpy(e + nl + 1, d + nl, vl);
		e[nl + vl + 1] = '\0';   /* an embedded NUL ends the C string, as in libfcgi */
		p->env[p->n++] = e;
		d += nl + vl;
		left -= nl + vl;
	}
}

/* Every byte percent-encoded, so decoding must give s back exactly. */
static void
roundtrip(struct arena *a, const char *s)
{
	size_t n = strlen(s);
	char *enc = arena_alloc(a, 3 * n + 1), *o = enc;
	for (size_t i = 0; i < n; i++)
		o += sprintf(o, "%%%02X", (unsigned char)s[i]);
	char *dec = req_urldecode(a, enc, (size_t)(o - enc), false);
	FUZZ_ASSERT(dec != NULL && strcmp(dec, s) == 0, "percent round trip of \"%s\"", s);
}

static void
check_decode(struct arena *a, const char *s, bool plus)
{
	size_t n = strlen(s);
	char *d = req_urldecode(a, s, n, plus);
	if (d == NULL)
		return;
	FUZZ_ASSERT(strlen(d) <= n, "decoded longer than its input");
	if (!plus)
		FUZZ_ASSERT(strchr(s, '%') != NULL || strcmp(d, s) == 0,
		    "decoding without %% changed the text");
	roundtrip(a, d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct params p = { .n = 0 };
	struct req r;

	parse_params(data, size, &p);
	memset(&r, 0, sizeof(r));
	arena_init(&r.arena, 1024);
	req_from_params(&r, get, &p);

	FUZZ_ASSERT(r.method != NULL && *r.method != '\0', "no method");
	FUZZ_ASSERT(strcmp(r.method, "HEAD") != 0, "HEAD not mapped to GET");
	FUZZ_ASSERT(!r.is_head || strcmp(r.method, "GET") == 0, "is_head without GET");
	FUZZ_ASSERT(r.path != NULL && r.query != NULL, "no path or query");
	FUZZ_ASSERT(strchr(r.path, '?') == NULL || get(&p, "DOCUMENT_URI") != NULL,
	    "a query left in the path from REQUEST_URI: %s", r.path);
	FUZZ_ASSERT(r.content_length >= -1, "content length %lld", r.content_length);
	FUZZ_ASSERT(r.request_id != NULL && *r.request_id != '\0', "no request id");
	FUZZ_ASSERT(r.tenant == NULL || *r.tenant != '\0', "empty tenant instead of none");

	check_decode(&r.arena, r.path, false);
	check_decode(&r.arena, r.query, true);

	/* every key of the query string can be looked up, and its value is no longer than
	 * the query itself */
	static const char *const names[] = { "page", "limit", "q", "status", "sort", "" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = req_query(&r, names[i]);
		FUZZ_ASSERT(v == NULL || strlen(v) <= strlen(r.query), "query value too long");
	}
	for (const char *q = r.query; *q;) {
		size_t len = strcspn(q, "&"), kl = strcspn(q, "=&");
		char *key = req_urldecode(&r.arena, q, kl, true);
		if (key != NULL) {
			const char *v = req_query(&r, key);
			/* NULL only when a "key=value" with this key has a bad %XX value */
			FUZZ_ASSERT(v != NULL || strchr(r.query, '=') != NULL,
			    "key \"%s\" of the query not found", key);
		}
		q += len;
		if (*q == '&')
			q++;
	}

	req_reset(&r);
	arena_free(&r.arena);
	for (size_t i = 0; i < p.n; i++)
		free(p.env[i]);
	return 0;
}
