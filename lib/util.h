/* util.h — small helpers: time formatting, UUIDs, constant-time compare, random bytes. */
#ifndef WEBIX_UTIL_H
#define WEBIX_UTIL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ISO 8601 UTC with milliseconds, e.g. 2025-01-31T12:34:56.789Z (buf >= 32). */
void     util_iso_now(char *buf, size_t sz);
/* Monotonic clock in microseconds. */
uint64_t util_now_us(void);
/* true when s (len n) is a canonical UUID (any case). */
bool     util_is_uuid(const char *s, size_t n);
/* Constant-time equality of two byte strings (different lengths compare unequal). */
bool     util_ct_equal(const void *a, size_t alen, const void *b, size_t blen);
/* Cryptographically random bytes; 0 or -1. */
int      util_random(void *buf, size_t n);
/* A random (version 4) UUID into out (37 bytes); 0 or -1. */
int      util_uuid4(char out[37]);
/* Lower-case hex of n bytes into out (2n+1). */
void     util_hex(const unsigned char *in, size_t n, char *out);
/* Well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF, no NUL). */
bool     utf8_valid(const char *s, size_t n);
/* Remove the white space between the tokens of the JSON text s, in place (strings are
 * kept as they are). Returns the new length. For JSON PostgreSQL wrote (jsonb's ", " and
 * ": "): smaller answers to cache and send. */
size_t   json_compact(char *s);
#endif
