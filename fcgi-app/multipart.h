/* multipart.h — a streaming multipart/form-data parser (RFC 7578, RFC 2046 §5.1): fed the
 * body in chunks of any size, it reports each part's headers and hands its data on as it
 * arrives, holding no more than one header line; a boundary may straddle chunks. */
#ifndef WEBIX_MULTIPART_H
#define WEBIX_MULTIPART_H
#include <stdbool.h>
#include <stddef.h>

#define MP_BOUNDARY_MAX 70     /* RFC 2046 */
#define MP_LINE_MAX     1024   /* longest part header line */
#define MP_HEADERS_MAX  16     /* most header lines in one part */

/* What the headers of one part said. Over-long values are cut (never matched then). */
struct mp_part {
	char name[128];         /* Content-Disposition name, "" when absent */
	char filename[256];     /* Content-Disposition filename, "" when absent */
	bool has_filename;      /* a filename parameter was present (even empty) */
	char content_type[128]; /* Content-Type of the part, "" when absent */
};

/*
 * Callbacks, each returning 0 to go on or a positive value to stop the parse (mp_feed
 * then returns that value). `data` gets the part's bytes in pieces, which may point into
 * the caller's buffer or the parser; `end` follows the last piece of each part.
 */
struct mp_handler {
	int  (*begin)(void *ctx, const struct mp_part *);
	int  (*data)(void *ctx, const char *p, size_t n);
	int  (*end)(void *ctx);
	void *ctx;
};

enum mp_state {
	MP_PREAMBLE, MP_AFTER_DELIM, MP_PADDING, MP_DELIM_LF, MP_CLOSE_DASH, MP_HEADERS,
	MP_DATA, MP_EPILOGUE, MP_ERROR
};

struct mp_parser {
	char          delim[4 + MP_BOUNDARY_MAX + 1]; /* "\r\n--" boundary */
	size_t        dlen;
	size_t        match;     /* bytes of delim matched so far (held back from data) */
	enum mp_state state;
	char          line[MP_LINE_MAX];
	size_t        llen;
	int           nlines;
	struct mp_part part;
	const char   *error;     /* why the body is malformed (static text) */
};

/* "multipart/..." of any subtype? */
bool mp_is_multipart(const char *content_type);

/*
 * The boundary parameter of a multipart/form-data Content-Type, copied into out (size
 * outsz > MP_BOUNDARY_MAX). 0 ok; -1 when the type is not multipart/form-data or the
 * boundary is absent or not 1-70 RFC 2046 characters.
 */
int mp_boundary(const char *content_type, char *out, size_t outsz);

/* Start parsing a body with this boundary (validated by mp_boundary). */
void mp_init(struct mp_parser *, const char *boundary);

/* Feed the next n bytes. 0 ok; -1 malformed (p->error says why); > 0 a callback's stop. */
int mp_feed(struct mp_parser *, const char *buf, size_t n, const struct mp_handler *);

/* The body ended: 0 when the closing delimiter was seen, else -1 with p->error. */
int mp_finish(struct mp_parser *);
#endif
