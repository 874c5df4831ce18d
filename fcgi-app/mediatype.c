/* mediatype.c — magic numbers of the accepted image types. */
#include "mediatype.h"
#include <string.h>

static const struct media_type JPEG = { "jpg", "image/jpeg" };
static const struct media_type PNG = { "png", "image/png" };
static const struct media_type WEBP = { "webp", "image/webp" };
static const struct media_type GIF = { "gif", "image/gif" };

static int
starts(const unsigned char *p, size_t n, const char *magic, size_t mlen)
{
	return n >= mlen && memcmp(p, magic, mlen) == 0;
}

const struct media_type *
media_sniff(const unsigned char *p, size_t n)
{
	if (starts(p, n, "\xFF\xD8\xFF", 3))
		return &JPEG;
	if (starts(p, n, "\x89PNG\r\n\x1A\n", 8))
		return &PNG;
	if (starts(p, n, "GIF87a", 6) || starts(p, n, "GIF89a", 6))
		return &GIF;
	if (n >= 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0)
		return &WEBP;
	return NULL;
}
