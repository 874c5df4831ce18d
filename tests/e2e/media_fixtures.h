/* media_fixtures.h — what the media end-to-end tests send: small valid images made here
 * (PNG generated with its CRCs and a stored deflate block, any size; a 1x1 JPEG, GIF and
 * WebP, varied by a comment), multipart/form-data bodies, SHA-256 in hex. Header-only. */
#ifndef WEBIX_E2E_MEDIA_FIXTURES_H
#define WEBIX_E2E_MEDIA_FIXTURES_H
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline char *xprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	return s;
}

struct blob {
	unsigned char *p;
	size_t n;
};

static inline void blob_add(struct blob *b, const void *p, size_t n)
{
	b->p = realloc(b->p, b->n + n + 1);
	if (b->p == NULL)
		abort();
	memcpy(b->p + b->n, p, n);
	b->n += n;
	b->p[b->n] = 0;
}

static inline void blob_str(struct blob *b, const char *s)
{
	blob_add(b, s, strlen(s));
}

static inline void sha_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(p, n, md);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

/* ---- images ---- */

static inline uint32_t crc32_of(const unsigned char *p, size_t n)
{
	static uint32_t crc_table[256];

	if (crc_table[1] == 0)
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
			crc_table[i] = c;
		}
	uint32_t c = 0xFFFFFFFFu;
	for (size_t i = 0; i < n; i++)
		c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
	return c ^ 0xFFFFFFFFu;
}

static inline void be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static inline void png_chunk(struct blob *b, const char *type, const unsigned char *data, size_t n)
{
	unsigned char hdr[8], crc[4];
	struct blob t = { 0 };

	be32(hdr, (uint32_t)n);
	memcpy(hdr + 4, type, 4);
	blob_add(b, hdr, 8);
	blob_add(&t, type, 4);
	if (n > 0)
		blob_add(&t, data, n);
	be32(crc, crc32_of(t.p, t.n));
	if (n > 0)
		blob_add(b, data, n);
	blob_add(b, crc, 4);
	free(t.p);
}

/*
 * A valid 8-bit grey PNG of 4x4 pixels whose values come from `seed` (so each seed is
 * another file), its pixels in one stored (uncompressed) deflate block; padded with a
 * tEXt chunk to exactly `size` bytes when size is larger than the image.
 */
static inline struct blob make_png(unsigned seed, size_t size)
{
	struct blob b = { 0 }, raw = { 0 }, z = { 0 };
	unsigned char ihdr[13] = { 0, 0, 0, 4, 0, 0, 0, 4, 8, 0, 0, 0, 0 };

	blob_add(&b, "\x89PNG\r\n\x1A\n", 8);
	png_chunk(&b, "IHDR", ihdr, sizeof(ihdr));
	for (int y = 0; y < 4; y++) {
		unsigned char row[5] = { 0 };   /* filter byte 0, then 4 pixels */
		for (int x = 0; x < 4; x++)
			row[1 + x] = (unsigned char)((seed * 2654435761u) >> (8 * ((x + y) % 4)));
		blob_add(&raw, row, sizeof(row));
	}
	uint32_t a = 1, s2 = 0;
	for (size_t i = 0; i < raw.n; i++) {
		a = (a + raw.p[i]) % 65521;
		s2 = (s2 + a) % 65521;
	}
	unsigned char zh[2] = { 0x78, 0x01 }, stored[5] = { 1, (unsigned char)raw.n, 0,
	    (unsigned char)~raw.n, 0xFF }, ad[4];
	blob_add(&z, zh, 2);
	blob_add(&z, stored, 5);
	blob_add(&z, raw.p, raw.n);
	be32(ad, (s2 << 16) | a);
	blob_add(&z, ad, 4);
	png_chunk(&b, "IDAT", z.p, z.n);
	size_t iend = 12;
	if (size > b.n + iend + 12 + 8) {
		size_t text = size - b.n - iend - 12;
		unsigned char *t = malloc(text);
		memcpy(t, "Comment", 8);   /* keyword and its NUL */
		memset(t + 8, 'x', text - 8);
		png_chunk(&b, "tEXt", t, text);
		free(t);
	}
	png_chunk(&b, "IEND", NULL, 0);
	free(raw.p);
	free(z.p);
	return b;
}

/* A 1x1 grey baseline JPEG (159 bytes, from libjpeg), a COM segment with `tag` after SOI. */
static inline struct blob make_jpeg(const char *tag)
{
	static const unsigned char jpg[] = {
		0xff,0xd8,0xff,0xe0,0x00,0x10,0x4a,0x46,0x49,0x46,0x00,0x01,0x01,0x00,0x00,0x01,
		0x00,0x01,0x00,0x00,0xff,0xdb,0x00,0x43,0x00,0x03,0x02,0x02,0x03,0x02,0x02,0x03,
		0x03,0x03,0x03,0x04,0x03,0x03,0x04,0x05,0x08,0x05,0x05,0x04,0x04,0x05,0x0a,0x07,
		0x07,0x06,0x08,0x0c,0x0a,0x0c,0x0c,0x0b,0x0a,0x0b,0x0b,0x0d,0x0e,0x12,0x10,0x0d,
		0x0e,0x11,0x0e,0x0b,0x0b,0x10,0x16,0x10,0x11,0x13,0x14,0x15,0x15,0x15,0x0c,0x0f,
		0x17,0x18,0x16,0x14,0x18,0x12,0x14,0x15,0x14,0xff,0xc0,0x00,0x0b,0x08,0x00,0x01,
		0x00,0x01,0x01,0x01,0x11,0x00,0xff,0xc4,0x00,0x14,0x00,0x01,0x00,0x00,0x00,0x00,
		0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0xff,0xc4,0x00,0x14,
		0x10,0x01,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,
		0x00,0x00,0xff,0xda,0x00,0x08,0x01,0x01,0x00,0x00,0x3f,0x00,0x3f,0xff,0xd9,
	};
	struct blob b = { 0 };
	size_t n = strlen(tag);
	unsigned char com[4] = { 0xff, 0xfe, (unsigned char)((n + 2) >> 8), (unsigned char)(n + 2) };

	blob_add(&b, jpg, 2);
	blob_add(&b, com, 4);
	blob_add(&b, tag, n);
	blob_add(&b, jpg + 2, sizeof(jpg) - 2);
	return b;
}

/* The classic 1x1 GIF89a, a comment extension with `tag` after its colour table. */
static inline struct blob make_gif(const char *tag)
{
	static const unsigned char gif[] = {
		'G','I','F','8','9','a',0x01,0x00,0x01,0x00,0x80,0x00,0x00,0xff,0xff,0xff,
		0x00,0x00,0x00,0x21,0xf9,0x04,0x01,0x00,0x00,0x00,0x00,0x2c,0x00,0x00,0x00,
		0x00,0x01,0x00,0x01,0x00,0x00,0x02,0x02,0x44,0x01,0x00,0x3b,
	};
	struct blob b = { 0 };
	unsigned char ext[3] = { 0x21, 0xfe, (unsigned char)strlen(tag) }, end = 0;

	blob_add(&b, gif, 19);
	blob_add(&b, ext, 3);
	blob_add(&b, tag, strlen(tag));
	blob_add(&b, &end, 1);
	blob_add(&b, gif + 19, sizeof(gif) - 19);
	return b;
}

/* 1x1 WebP: lossless (VP8L) or lossy (VP8). */
static inline struct blob make_webp(int lossy)
{
	static const unsigned char lossless[] = {
		'R','I','F','F',0x1a,0,0,0,'W','E','B','P','V','P','8','L',0x0d,0,0,0,
		0x2f,0,0,0,0x10,0x07,0x10,0x11,0x11,0x88,0x88,0xfe,0x07,0x00,
	};
	static const unsigned char vp8[] = {
		'R','I','F','F',0x22,0,0,0,'W','E','B','P','V','P','8',' ',0x16,0,0,0,
		0x30,0x01,0x00,0x9d,0x01,0x2a,0x01,0x00,0x01,0x00,0x0e,0xc0,0xfe,0x25,0xa4,0x00,
		0x03,0x70,0x00,0x00,0x00,0x00,
	};
	struct blob b = { 0 };

	if (lossy)
		blob_add(&b, vp8, sizeof(vp8));
	else
		blob_add(&b, lossless, sizeof(lossless));
	return b;
}

/* ---- multipart bodies ---- */

struct part {
	const char *name;       /* NULL: no name parameter */
	const char *filename;   /* NULL: none */
	const char *ctype;      /* NULL: none */
	const void *data;
	size_t len;
};

#define BOUNDARY "----e2eMediaBoundary7MA4YWxkTrZu0gW"

static inline struct blob multipart(const struct part *parts, int n)
{
	struct blob b = { 0 };

	blob_str(&b, "preamble to be ignored\r\n");
	for (int i = 0; i < n; i++) {
		char *h = xprintf("--" BOUNDARY "\r\nContent-Disposition: form-data%s%s%s%s%s%s\r\n"
		    "%s%s%s\r\n", parts[i].name ? "; name=\"" : "", parts[i].name ? parts[i].name : "",
		    parts[i].name ? "\"" : "", parts[i].filename ? "; filename=\"" : "",
		    parts[i].filename ? parts[i].filename : "", parts[i].filename ? "\"" : "",
		    parts[i].ctype ? "Content-Type: " : "", parts[i].ctype ? parts[i].ctype : "",
		    parts[i].ctype ? "\r\n" : "");
		blob_str(&b, h);
		free(h);
		blob_add(&b, parts[i].data, parts[i].len);
		blob_str(&b, "\r\n");
	}
	blob_str(&b, "--" BOUNDARY "--\r\n");
	return b;
}

#endif
