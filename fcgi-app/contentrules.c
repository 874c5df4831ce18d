/* contentrules.c — format rules of content fields (cover images, episode images). */
#include "contentrules.h"
#include "validate.h"
#include <string.h>

static bool
media_path_ok(const char *s, size_t n)
{
	if (n <= 7 || n > 512 || memcmp(s, "/media/", 7) != 0)
		return false;
	for (size_t i = 7; i < n; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '/';
		if (!ok || (c == '.' && s[i + 1] == '.') || (c == '/' && s[i + 1] == '/'))
			return false;
	}
	return s[n - 1] != '/';
}

bool
valid_image_url(const char *s, size_t n)
{
	if (media_path_ok(s, n))
		return true;
	return n > 8 && strncmp(s, "https://", 8) == 0 && valid_http_uri(s, n);
}
