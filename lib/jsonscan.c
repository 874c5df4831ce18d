/* jsonscan.c — a strict, non-recursive JSON grammar checker run before json-c parses. */
#include "jsonscan.h"
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct scan {
	const unsigned char *p, *end, *start;
	const char *why;
};

static void
skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int
fail(struct scan *s, const char *why)
{
	if (s->why == NULL)
		s->why = why;
	return -1;
}

static int
hex4(const unsigned char *p, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		unsigned c = p[i], d;
		if (c >= '0' && c <= '9') d = c - '0';
		else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
		else return -1;
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

/* One UTF-8 sequence at s->p (first byte >= 0x80); rejects overlong, surrogates, > U+10FFFF. */
static int
utf8_seq(struct scan *s)
{
	const unsigned char *p = s->p;
	size_t left = (size_t)(s->end - p);
	unsigned c = p[0], cp;
	size_t n;
	if (c >= 0xC2 && c <= 0xDF) { n = 2; cp = c & 0x1F; }
	else if (c >= 0xE0 && c <= 0xEF) { n = 3; cp = c & 0x0F; }
	else if (c >= 0xF0 && c <= 0xF4) { n = 4; cp = c & 0x07; }
	else return fail(s, "invalid UTF-8");
	if (left < n)
		return fail(s, "invalid UTF-8");
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return fail(s, "invalid UTF-8");
		cp = cp << 6 | (p[i] & 0x3F);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return fail(s, "invalid UTF-8");
	s->p += n;
	return 0;
}

static int
scan_string(struct scan *s)
{
	s->p++; /* opening quote */
	while (s->p < s->end) {
		unsigned c = *s->p;
		if (c == '"') {
			s->p++;
			return 0;
		}
		if (c < 0x20)
			return fail(s, "control character in string");
		if (c == '\\') {
			if (s->end - s->p < 2)
				break;
			unsigned e = s->p[1];
			if (strchr("\"\\/bfnrt", (int)e) != NULL && e != 0) {
				s->p += 2;
				continue;
			}
			if (e != 'u')
				return fail(s, "invalid escape in string");
			unsigned u, lo;
			if (s->end - s->p < 6 || hex4(s->p + 2, &u) < 0)
				return fail(s, "invalid \\u escape");
			if (u == 0)
				return fail(s, "\\u0000 is not allowed in strings");
			s->p += 6;
			if (u >= 0xDC00 && u <= 0xDFFF)
				return fail(s, "unpaired surrogate in string");
			if (u >= 0xD800 && u <= 0xDBFF) {
				if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u' ||
				    hex4(s->p + 2, &lo) < 0 || lo < 0xDC00 || lo > 0xDFFF)
					return fail(s, "unpaired surrogate in string");
				s->p += 6;
			}
			continue;
		}
		if (c >= 0x80) {
			if (utf8_seq(s) < 0)
				return -1;
			continue;
		}
		s->p++;
	}
	return fail(s, "unterminated string");
}

static int
scan_number(struct scan *s)
{
	const unsigned char *b = s->p;
	bool neg = false, frac = false;
	if (*s->p == '-') {
		neg = true;
		s->p++;
	}
	if (s->p >= s->end || !(*s->p >= '0' && *s->p <= '9'))
		return fail(s, "invalid number");
	const unsigned char *ds = s->p;
	if (*s->p == '0')
		s->p++;
	else
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	size_t ndig = (size_t)(s->p - ds);
	if (s->p < s->end && *s->p == '.') {
		frac = true;
		s->p++;
		if (s->p >= s->end || !(*s->p >= '0' && *s->p <= '9'))
			return fail(s, "invalid number");
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	}
	long exp10 = 0;
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		bool eneg = false;
		frac = true;
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			eneg = *s->p++ == '-';
		const unsigned char *es = s->p;
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
			if (exp10 < 100000)
				exp10 = exp10 * 10 + (*s->p - '0');
			s->p++;
		}
		if (s->p == es)
			return fail(s, "invalid number");
		if (eneg)
			exp10 = -exp10;
	}
	/* keep doubles finite: the magnitude (integer digits - 1 + exponent) below 10^300 */
	if (frac && !(ndig == 1 && *ds == '0') && (long)ndig - 1 + exp10 >= 300)
		return fail(s, "number out of range");
	if (!frac) {
		static const char max[] = "9223372036854775807", min[] = "9223372036854775808";
		const char *lim = neg ? min : max;
		if (ndig > 19 || (ndig == 19 && memcmp(ds, lim, 19) > 0))
			return fail(s, "number out of range");
	}
	(void)b;
	return 0;
}

static int
scan_literal(struct scan *s, const char *lit)
{
	size_t n = strlen(lit);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
		return fail(s, "unexpected token");
	s->p += n;
	return 0;
}

/*
 * Iterative scan with an explicit stack of container kinds ('{' or '[').
 * States: expect a value; after a value decide on ',' or close.
 */
int
json_scan(const char *buf, size_t len, const char **why, size_t *at)
{
	struct scan s = { (const unsigned char *)buf, (const unsigned char *)buf + len,
	    (const unsigned char *)buf, NULL };
	char stack[JSON_MAX_DEPTH + 1];
	int depth = 0;

	skip_ws(&s);
	if (s.p >= s.end) {
		fail(&s, "empty body");
		goto bad;
	}
	for (;;) {
		/* expect a value */
		skip_ws(&s);
		if (s.p >= s.end) {
			fail(&s, "unexpected end of input");
			goto bad;
		}
		unsigned c = *s.p;
		if (c == '{' || c == '[') {
			if (depth >= JSON_MAX_DEPTH) {
				fail(&s, "nesting too deep");
				goto bad;
			}
			stack[depth++] = (char)c;
			s.p++;
			skip_ws(&s);
			if (s.p < s.end && *s.p == (c == '{' ? '}' : ']')) {
				s.p++;
				depth--;
				goto after_value;
			}
			if (c == '{')
				goto expect_key;
			continue;
		}
		if (c == '"') { if (scan_string(&s) < 0) goto bad; }
		else if (c == '-' || (c >= '0' && c <= '9')) { if (scan_number(&s) < 0) goto bad; }
		else if (c == 't') { if (scan_literal(&s, "true") < 0) goto bad; }
		else if (c == 'f') { if (scan_literal(&s, "false") < 0) goto bad; }
		else if (c == 'n') { if (scan_literal(&s, "null") < 0) goto bad; }
		else { fail(&s, "unexpected token"); goto bad; }
	after_value:
		skip_ws(&s);
		if (depth == 0) {
			if (s.p != s.end) {
				fail(&s, "unexpected data after the JSON value");
				goto bad;
			}
			return 0;
		}
		if (s.p >= s.end) {
			fail(&s, "unexpected end of input");
			goto bad;
		}
		if (*s.p == ',') {
			s.p++;
			if (stack[depth - 1] == '{')
				goto expect_key;
			continue;
		}
		if (*s.p == (stack[depth - 1] == '{' ? '}' : ']')) {
			s.p++;
			depth--;
			goto after_value;
		}
		fail(&s, stack[depth - 1] == '{' ? "expected ',' or '}'" : "expected ',' or ']'");
		goto bad;
	expect_key:
		skip_ws(&s);
		if (s.p >= s.end || *s.p != '"') {
			fail(&s, "expected a string key");
			goto bad;
		}
		if (scan_string(&s) < 0)
			goto bad;
		skip_ws(&s);
		if (s.p >= s.end || *s.p != ':') {
			fail(&s, "expected ':'");
			goto bad;
		}
		s.p++;
	}
bad:
	if (why)
		*why = s.why;
	if (at)
		*at = (size_t)(s.p - s.start);
	return -1;
}

json_object *
json_parse_strict(const char *buf, size_t len, const char **why, size_t *at)
{
	if (json_scan(buf, len, why, at) < 0)
		return NULL;
	/* the scanner has proven the grammar; json-c only builds the tree */
	struct json_tokener *tok = json_tokener_new_ex(JSON_MAX_DEPTH + 1);
	if (tok == NULL) {
		*why = "out of memory";
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	json_object *o = json_tokener_parse_ex(tok, buf, (int)len);
	enum json_tokener_error e = json_tokener_get_error(tok);
	if (e == json_tokener_continue) {
		/* a top-level number or literal: json-c waits for more input; end it */
		o = json_tokener_parse_ex(tok, "", 1);
		e = json_tokener_get_error(tok);
	}
	size_t end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (e != json_tokener_success || o == NULL) {
		/* a JSON null parses to NULL with success */
		if (e == json_tokener_success && o == NULL) {
			if (why) *why = NULL;
			return NULL;
		}
		json_object_put(o);
		if (why) *why = json_tokener_error_desc(e);
		if (at) *at = end;
		return NULL;
	}
	(void)end;
	return o;
}
