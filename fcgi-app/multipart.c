/* multipart.c — the streaming multipart/form-data parser: a byte-level state machine whose
 * only lookbehind is the count of delimiter bytes matched (they are the delimiter's own
 * prefix, so they need no buffer). */
#include "multipart.h"
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* RFC 2046 bchars; a space may not end a boundary. No CR, so a partial delimiter match
 * can only restart at the byte that broke it. */
static const char BCHARS[] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=? ";

static const char *
skip_ows(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Copy at most outsz-1 bytes; returns false when src did not fit. */
static bool
copy_cut(char *out, size_t outsz, const char *src, size_t n)
{
	bool fits = n < outsz;
	if (!fits)
		n = outsz - 1;
	memcpy(out, src, n);
	out[n] = '\0';
	return fits;
}

/*
 * The next `; name=value` of a header value at *pp (value a token or a quoted-string,
 * whose backslash escapes are undone). 1 found (name and value copied, cut to their
 * sizes; *cut set when the value was cut), 0 at the end, -1 malformed.
 */
static int
next_param(const char **pp, char *name, size_t nsz, char *val, size_t vsz, bool *cut)
{
	const char *p = skip_ows(*pp);
	if (*p == '\0')
		return 0;
	if (*p != ';')
		return -1;
	p = skip_ows(p + 1);
	size_t nl = strcspn(p, "=; \t\"");
	if (nl == 0 || p[nl] != '=')
		return -1;
	copy_cut(name, nsz, p, nl);
	p += nl + 1;
	size_t vl = 0;
	*cut = false;
	if (*p == '"') {
		for (p++; *p != '"'; p++) {
			if (*p == '\0')
				return -1;
			if (*p == '\\' && p[1] != '\0')
				p++;
			if (vl + 1 < vsz)
				val[vl++] = *p;
			else
				*cut = true;
		}
		p++;
	} else {
		size_t tl = strcspn(p, "; \t\"");
		if (tl == 0)
			return -1;
		*cut = !copy_cut(val, vsz, p, tl);
		vl = strlen(val);
		p += tl;
	}
	val[vl] = '\0';
	*pp = p;
	return 1;
}

bool
mp_is_multipart(const char *ct)
{
	return ct != NULL && strncasecmp(skip_ows(ct), "multipart/", 10) == 0;
}

int
mp_boundary(const char *ct, char *out, size_t outsz)
{
	if (ct == NULL || outsz <= MP_BOUNDARY_MAX)
		return -1;
	ct = skip_ows(ct);
	if (strncasecmp(ct, "multipart/form-data", 19) != 0)
		return -1;
	const char *p = ct + 19;
	if (*p != '\0' && *p != ';' && *p != ' ' && *p != '\t')
		return -1;
	char name[32], val[MP_BOUNDARY_MAX + 2];
	bool cut, found = false;
	int rc;
	while ((rc = next_param(&p, name, sizeof(name), val, sizeof(val), &cut)) == 1) {
		if (strcasecmp(name, "boundary") != 0)
			continue;
		size_t n = strlen(val);
		if (found || cut || n == 0 || n > MP_BOUNDARY_MAX || strspn(val, BCHARS) != n ||
		    val[n - 1] == ' ')
			return -1;
		memcpy(out, val, n + 1);
		found = true;
	}
	return rc == 0 && found ? 0 : -1;
}

void
mp_init(struct mp_parser *p, const char *boundary)
{
	memset(p, 0, sizeof(*p));
	p->dlen = (size_t)snprintf(p->delim, sizeof(p->delim), "\r\n--%s", boundary);
	/* the first delimiter may open the body: act as if a CRLF came before it */
	p->match = 2;
	p->state = MP_PREAMBLE;
}

static int
fail(struct mp_parser *p, const char *why)
{
	p->state = MP_ERROR;
	p->error = why;
	return -1;
}

/* One complete header line of a part (CRLF removed). 0 ok, -1 malformed. */
static int
header_line(struct mp_parser *p)
{
	p->line[p->llen] = '\0';
	if (p->line[0] == ' ' || p->line[0] == '\t')
		return fail(p, "folded part header");
	char *colon = memchr(p->line, ':', p->llen);
	if (colon == NULL || colon == p->line)
		return fail(p, "malformed part header");
	*colon = '\0';
	char *v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	size_t vl = strlen(v);
	while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
		vl--;
	v[vl] = '\0';
	if (strcasecmp(p->line, "Content-Type") == 0) {
		copy_cut(p->part.content_type, sizeof(p->part.content_type), v, vl);
		return 0;
	}
	if (strcasecmp(p->line, "Content-Disposition") != 0)
		return 0;
	const char *q = v + strcspn(v, "; \t");
	char name[16], val[256];
	bool cut;
	int rc;
	while ((rc = next_param(&q, name, sizeof(name), val, sizeof(val), &cut)) == 1) {
		if (strcasecmp(name, "name") == 0)
			copy_cut(p->part.name, sizeof(p->part.name), val, strlen(val));
		else if (strcasecmp(name, "filename") == 0 || strcasecmp(name, "filename*") == 0) {
			p->part.has_filename = true;
			copy_cut(p->part.filename, sizeof(p->part.filename), val, strlen(val));
		}
	}
	return rc == 0 ? 0 : fail(p, "malformed Content-Disposition");
}

int
mp_feed(struct mp_parser *p, const char *buf, size_t n, const struct mp_handler *h)
{
	size_t i = 0;
	int rc;
	while (i < n) {
		char c = buf[i];
		switch (p->state) {
		case MP_PREAMBLE:   /* skipped up to the first delimiter */
			if (c == p->delim[p->match]) {
				i++;
				if (++p->match == p->dlen) {
					p->match = 0;
					p->state = MP_AFTER_DELIM;
				}
			} else if (p->match > 0)
				p->match = 0;   /* look at c again: it may start a delimiter */
			else
				i++;
			break;
		case MP_AFTER_DELIM:
			if (c == '-')
				p->state = MP_CLOSE_DASH;
			else if (c == ' ' || c == '\t')
				p->state = MP_PADDING;
			else if (c == '\r')
				p->state = MP_DELIM_LF;
			else
				return fail(p, "malformed boundary line");
			i++;
			break;
		case MP_PADDING:    /* transport padding after a boundary */
			if (c == '\r')
				p->state = MP_DELIM_LF;
			else if (c != ' ' && c != '\t')
				return fail(p, "malformed boundary line");
			i++;
			break;
		case MP_DELIM_LF:
			if (c != '\n')
				return fail(p, "malformed boundary line");
			memset(&p->part, 0, sizeof(p->part));
			p->llen = 0;
			p->nlines = 0;
			p->state = MP_HEADERS;
			i++;
			break;
		case MP_CLOSE_DASH:
			if (c != '-')
				return fail(p, "malformed closing boundary");
			p->state = MP_EPILOGUE;
			i++;
			break;
		case MP_HEADERS:
			i++;
			if (c == '\n' && p->llen > 0 && p->line[p->llen - 1] == '\r') {
				p->llen--;
				if (p->llen == 0) {
					p->state = MP_DATA;
					p->match = 0;
					if (h->begin && (rc = h->begin(h->ctx, &p->part)) != 0)
						return rc;
					break;
				}
				if (++p->nlines > MP_HEADERS_MAX)
					return fail(p, "too many part headers");
				if (header_line(p) < 0)
					return -1;
				p->llen = 0;
				break;
			}
			if (p->llen + 1 >= sizeof(p->line))
				return fail(p, "part header line too long");
			p->line[p->llen++] = c;
			break;
		case MP_DATA:
			if (p->match == 0) {
				const char *cr = memchr(buf + i, '\r', n - i);
				size_t run = cr ? (size_t)(cr - (buf + i)) : n - i;
				if (run > 0 && h->data && (rc = h->data(h->ctx, buf + i, run)) != 0)
					return rc;
				i += run;
				if (cr != NULL) {
					p->match = 1;
					i++;
				}
			} else if (c == p->delim[p->match]) {
				i++;
				if (++p->match == p->dlen) {
					p->match = 0;
					p->state = MP_AFTER_DELIM;
					if (h->end && (rc = h->end(h->ctx)) != 0)
						return rc;
				}
			} else {
				/* the held bytes were data after all; look at c again */
				size_t held = p->match;
				p->match = 0;
				if (h->data && (rc = h->data(h->ctx, p->delim, held)) != 0)
					return rc;
			}
			break;
		case MP_EPILOGUE:   /* ignored */
			i = n;
			break;
		case MP_ERROR:
			return -1;
		}
	}
	return p->state == MP_ERROR ? -1 : 0;
}

int
mp_finish(struct mp_parser *p)
{
	if (p->state == MP_EPILOGUE)
		return 0;
	if (p->state != MP_ERROR)
		fail(p, p->state == MP_PREAMBLE ? "no multipart boundary found" :
		    "multipart body ends before its closing boundary");
	return -1;
}
