/* validate.h — request body validation by field tables; every bad field reported at once. */
#ifndef WEBIX_VALIDATE_H
#define WEBIX_VALIDATE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>
#include "arena.h"

enum vtype {
	V_STRING,   /* string; min/max length in UTF-16 units (as the original) */
	V_EMAIL,    /* string, an email address (lower-cased copy in .s) */
	V_URI,      /* string, an absolute http(s) URI */
	V_UUID,     /* string, a UUID */
	V_INT,      /* integer in [min, max] */
	V_NUMBER,   /* number in [min, max] */
	V_BOOL,
	V_OBJECT,   /* nested object validated by .sub */
	V_ARRAY_STR,/* array of strings, each within min/max length; item count ≤ max_items */
	V_ANY       /* any value, accepted and ignored (a key old clients send) */
};

#define VF_REQUIRED  1u
#define VF_TRIM      2u   /* trim before length checks; .s is the trimmed copy */
#define VF_ALLOW_EMPTY 4u /* "" is allowed */
#define VF_NULLABLE  8u   /* null is allowed (present, is_null set) */

struct vfield {
	const char          *name;
	enum vtype           type;
	unsigned             flags;
	int64_t              min, max;    /* lengths or numeric bounds; max 0 = no limit */
	const char *const   *enumv;       /* NULL-terminated allowed values, or NULL */
	const struct vfield *sub;         /* V_OBJECT: its fields (terminated by name NULL) */
	size_t               max_items;   /* V_ARRAY_STR */
	bool               (*check)(const char *s, size_t len); /* extra rule, or NULL */
	const char          *check_msg;   /* message after the label when check fails */
};

/* One validated value; index matches the field's position in its table. */
struct vval {
	bool         present, is_null;
	const char  *s;        /* strings: NUL-free copy in the request arena */
	size_t       len;
	int64_t      i;
	double       d;
	bool         b;
	json_object *o;        /* the raw value (borrowed from the body) */
	struct vval *sub;      /* V_OBJECT: values of .sub */
};

/*
 * Validate `body` (any JSON value; NULL is JSON null) against `fields`. Fills out[] (as
 * many entries as fields). Errors are appended to `errors` (a json array of
 * {"field","message"}). Returns the number of errors. Memory comes from `a`.
 */
int validate_body(struct arena *a, json_object *body, const struct vfield *fields,
    struct vval *out, json_object *errors);

/* Add one {"field","message"} error. */
void validate_error(json_object *errors, const char *field, const char *msg);

/* Rules usable as .check or on their own. */
bool valid_email(const char *s, size_t n);
bool valid_http_uri(const char *s, size_t n);
size_t utf16_length(const char *s, size_t n);
#endif
