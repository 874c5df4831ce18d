/* contentrules.h — format rules of content fields (cover images, episode images). */
#ifndef WEBIX_CONTENTRULES_H
#define WEBIX_CONTENTRULES_H
#include <stdbool.h>
#include <stddef.h>

/* One of our media URLs (/media/<org>/<file>, as POST /api/media answers) or an absolute
 * https URL. */
bool valid_image_url(const char *s, size_t n);
#endif
