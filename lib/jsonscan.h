/* jsonscan.h — strict JSON parsing: RFC 8259 grammar, UTF-8, depth and number range checked
 * before json-c builds the tree (json-c alone accepts single quotes, NaN, bad UTF-8 …). */
#ifndef WEBIX_JSONSCAN_H
#define WEBIX_JSONSCAN_H
#include <stddef.h>
#include <json-c/json.h>

#define JSON_MAX_DEPTH 16

/*
 * Check that buf[0..len) is exactly one JSON value (whitespace around it allowed) with
 * nesting at most JSON_MAX_DEPTH, valid UTF-8, no \u0000, paired surrogates, integers that
 * fit in int64 and finite numbers. Returns 0, or -1 with a short reason in *why (static)
 * and the byte offset in *at.
 */
int json_scan(const char *buf, size_t len, const char **why, size_t *at);

/* json_scan, then json-c. Returns a new object (json_object_put it) or NULL with *why. */
json_object *json_parse_strict(const char *buf, size_t len, const char **why, size_t *at);
#endif
