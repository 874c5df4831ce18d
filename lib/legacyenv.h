/* legacyenv.h — the settings of the original Node.js system (its .env) that webix does not
 * read, each with what to do instead. */
#ifndef WEBIX_LEGACYENV_H
#define WEBIX_LEGACYENV_H
#include <stddef.h>

struct legacy_setting {
	const char *name;       /* the original system's name */
	const char *instead;    /* what to set or do in webix, one sentence */
};

extern const struct legacy_setting legacy_settings[];
extern const size_t legacy_nsettings;

/* The entry of an original name (case-sensitive, len bytes), or NULL. */
const struct legacy_setting *legacy_setting_find(const char *name, size_t len);
#endif
