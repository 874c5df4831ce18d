/* mediatype.h — which image an upload is, decided by its first bytes (magic numbers),
 * never by its name or declared type. */
#ifndef WEBIX_MEDIATYPE_H
#define WEBIX_MEDIATYPE_H
#include <stddef.h>

#define MEDIA_MAGIC_LEN 12   /* bytes needed to tell every accepted type apart */

struct media_type {
	const char *ext;   /* file name extension: "jpg", "png", "webp", "gif" */
	const char *mime;  /* "image/jpeg" ... */
};

/*
 * The type of a file that starts with p[0..n): JPEG (FF D8 FF), PNG (89 50 4E 47 0D 0A
 * 1A 0A), WebP (RIFF, 4 size bytes, WEBP), GIF (GIF87a / GIF89a). Pass MEDIA_MAGIC_LEN
 * bytes, or the whole file when it is shorter. NULL when it is none of these.
 */
const struct media_type *media_sniff(const unsigned char *p, size_t n);
#endif
