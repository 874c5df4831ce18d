/* orgrules.h — format rules of organization fields: subdomain, reserved names, domain,
 * time zone. Pure functions (unit-tested, fuzzable). */
#ifndef WEBIX_ORGRULES_H
#define WEBIX_ORGRULES_H
#include <stdbool.h>
#include <stddef.h>

/* Letters, digits and inner hyphens (no "--"); the length is checked elsewhere (3–30). */
bool valid_subdomain(const char *s, size_t n);
/* Names no organization may take (www, api, admin, app, mail, static, media, …); s lower. */
bool subdomain_reserved(const char *s);
/* A host name: ≥ 2 labels of letters, digits, inner hyphens; an alphabetic TLD. */
bool valid_domain(const char *s, size_t n);
/* An IANA zone name known to this system's tz database (e.g. Asia/Ulaanbaatar, UTC). */
bool valid_timezone(const char *s, size_t n);
#endif
