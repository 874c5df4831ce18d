/* validate.c — walks a field table over a parsed JSON body, Joi-style messages, all errors. */
#include "validate.h"
#include "util.h"
#include <ctype.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

void
validate_error(json_object *errors, const char *field, const char *msg)
{
	json_object *e = json_object_new_object();
	json_object_object_add(e, "field", json_object_new_string(field));
	json_object_object_add(e, "message", json_object_new_string(msg));
	json_object_array_add(errors, e);
}

size_t
utf16_length(const char *s, size_t n)
{
	size_t units = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c & 0xC0) == 0x80)
			continue;            /* continuation byte */
		units += (c >= 0xF0) ? 2 : 1; /* astral code points are surrogate pairs */
	}
	return units;
}

bool
valid_email(const char *s, size_t n)
{
	if (n < 3 || n > 254)
		return false;
	const char *at = memchr(s, '@', n);
	if (at == NULL || at == s || memchr(at + 1, '@', n - (size_t)(at - s) - 1) != NULL)
		return false;
	size_t local = (size_t)(at - s), dl = n - local - 1;
	const char *d = at + 1;
	if (local > 64 || dl < 4)
		return false;
	for (size_t i = 0; i < local; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c == '(' || c == ')' || c == '<' || c == '>' || c == ',' ||
		    c == ';' || c == ':' || c == '\\' || c == '"' || c == '[' || c == ']' || c == 0x7f)
			return false;
	}
	if (s[0] == '.' || s[local - 1] == '.' || memmem(s, local, "..", 2) != NULL)
		return false;
	/* domain: at least two labels, letters/digits/hyphens (or UTF-8), TLD ≥ 2 letters */
	size_t labels = 0, lablen = 0, last_start = 0;
	for (size_t i = 0; i <= dl; i++) {
		if (i == dl || d[i] == '.') {
			if (lablen == 0 || lablen > 63 || d[i - 1] == '-' || d[i - lablen] == '-')
				return false;
			labels++;
			last_start = i - lablen;
			lablen = 0;
			continue;
		}
		unsigned char c = (unsigned char)d[i];
		if (!(isalnum(c) || c == '-' || c >= 0x80))
			return false;
		lablen++;
	}
	if (labels < 2)
		return false;
	size_t tl = dl - last_start;
	if (tl < 2)
		return false;
	for (size_t i = last_start; i < dl; i++)
		if (!(isalpha((unsigned char)d[i]) || (unsigned char)d[i] >= 0x80))
			return false;
	return true;
}

bool
valid_http_uri(const char *s, size_t n)
{
	size_t p;
	if (n >= 8 && strncasecmp(s, "https://", 8) == 0)
		p = 8;
	else if (n >= 7 && strncasecmp(s, "http://", 7) == 0)
		p = 7;
	else
		return false;
	if (p >= n || s[p] == '/' || n > 2048)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' ||
		    c == '`' || c == '{' || c == '|' || c == '}' || c == 0x7f)
			return false;
	}
	return true;
}

/* The quoted label of a field path: array indexes in brackets ("items[0].quantity"). */
static const char *
label_of(struct arena *a, const char *path)
{
	size_t n = strlen(path);
	char *out = arena_alloc(a, n * 2 + 3), *o = out;
	*o++ = '"';
	for (size_t i = 0; i < n; i++) {
		if (path[i] == '.' && i + 1 < n && path[i + 1] >= '0' && path[i + 1] <= '9') {
			*o++ = '[';
			i++;
			while (i < n && path[i] >= '0' && path[i] <= '9')
				*o++ = path[i++];
			*o++ = ']';
			i--;
			continue;
		}
		*o++ = path[i];
	}
	*o++ = '"';
	*o = '\0';
	return out;
}

static void err(struct arena *, json_object *, const char *, const char *, ...)
	__attribute__((format(printf, 4, 5)));

/* Append `"<path>" <rule text>` for path. */
static void
err(struct arena *a, json_object *errors, const char *path, const char *fmt, ...)
{
	char rule[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rule, sizeof(rule), fmt, ap);
	va_end(ap);
	const char *label = label_of(a, *path ? path : "value");
	validate_error(errors, path, arena_printf(a, "%s %s", label, rule));
}

static int validate_object(struct arena *, json_object *, const struct vfield *,
    struct vval *, json_object *, const char *prefix);

/* Unicode white space (as JavaScript's trim): code point of the UTF-8 sequence. */
static bool
is_uspace(unsigned cp)
{
	return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D) || cp == 0xA0 || cp == 0x1680 ||
	    (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
	    cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

/* Decode the UTF-8 sequence at s (len bytes there); its length, 0 when malformed. */
static size_t
utf8_at(const unsigned char *s, size_t n, unsigned *cp)
{
	if (n == 0)
		return 0;
	if (s[0] < 0x80) { *cp = s[0]; return 1; }
	size_t len = (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3 :
	    (s[0] & 0xF8) == 0xF0 ? 4 : 0;
	if (len == 0 || len > n)
		return 0;
	unsigned c = s[0] & (0xFF >> (len + 1));
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	*cp = c;
	return len;
}

/* Bytes of white space at the start of s, 0 when none. */
static size_t
space_at(const char *s, size_t n)
{
	unsigned cp = 0;
	size_t k = utf8_at((const unsigned char *)s, n, &cp);
	return k && is_uspace(cp) ? k : 0;
}

/* Bytes of white space at the end of s (n bytes), 0 when none. */
static size_t
space_before(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t start = n - 1;
	while (start > 0 && n - start < 4 && (u[start] & 0xC0) == 0x80)
		start--;
	unsigned cp = 0;
	size_t k = utf8_at(u + start, n - start, &cp);
	return k == n - start && is_uspace(cp) ? k : 0;
}

static int
check_string(struct arena *a, const struct vfield *f, const char *path, json_object *v,
    struct vval *out, json_object *errors, const char *idx_path)
{
	const char *p = idx_path ? idx_path : path;
	if (!json_object_is_type(v, json_type_string)) {
		err(a, errors, p, "must be a string");
		return 1;
	}
	const char *s = json_object_get_string(v);
	size_t n = (size_t)json_object_get_string_len(v);
	if (memchr(s, '\0', n) != NULL) {
		err(a, errors, p, "must not contain NUL characters");
		return 1;
	}
	if (f->flags & VF_TRIM) {
		size_t k;
		while (n > 0 && (k = space_at(s, n)) > 0) { s += k; n -= k; }
		while (n > 0 && (k = space_before(s, n)) > 0) n -= k;
	}
	if (n == 0 && !(f->flags & VF_ALLOW_EMPTY)) {
		err(a, errors, p, "is not allowed to be empty");
		return 1;
	}
	size_t units = utf16_length(s, n);
	char num[32];
	if (f->min > 0 && units < (size_t)f->min && n > 0) {
		snprintf(num, sizeof(num), "%lld", (long long)f->min);
		err(a, errors, p, "length must be at least %s characters long", num);
		return 1;
	}
	if (f->max > 0 && units > (size_t)f->max) {
		snprintf(num, sizeof(num), "%lld", (long long)f->max);
		err(a, errors, p, "length must be less than or equal to %s characters long", num);
		return 1;
	}
	if (f->type == V_EMAIL && !valid_email(s, n)) {
		err(a, errors, p, "must be a valid email");
		return 1;
	}
	if (f->type == V_URI && !valid_http_uri(s, n)) {
		err(a, errors, p, "must be a valid uri");
		return 1;
	}
	if (f->type == V_UUID && !util_is_uuid(s, n)) {
		err(a, errors, p, "must be a valid GUID");
		return 1;
	}
	if (f->enumv) {
		bool ok = false;
		size_t cap = 2;
		for (size_t i = 0; f->enumv[i]; i++) {
			cap += strlen(f->enumv[i]) + 2;
			if (strlen(f->enumv[i]) == n && memcmp(f->enumv[i], s, n) == 0)
				ok = true;
		}
		if (!ok) {
			char *list = arena_alloc(a, cap + 1), *q = list;
			for (size_t i = 0; f->enumv[i]; i++)
				q += sprintf(q, "%s%s", i ? ", " : "", f->enumv[i]);
			err(a, errors, p, "must be one of [%s]", list);
			return 1;
		}
	}
	if (f->check && !f->check(s, n)) {
		err(a, errors, p, "%s", f->check_msg ? f->check_msg : "is invalid");
		return 1;
	}
	if (out) {
		char *copy = arena_strndup(a, s, n);
		if (f->type == V_EMAIL)
			for (size_t i = 0; i < n; i++)
				copy[i] = (char)tolower((unsigned char)copy[i]);
		out->s = copy;
		out->len = n;
	}
	return 0;
}

static int
check_field(struct arena *a, const struct vfield *f, const char *path, json_object *v,
    struct vval *out, json_object *errors)
{
	char num[32];
	out->present = true;
	out->o = v;
	if (v == NULL) {
		if (f->flags & VF_NULLABLE) {
			out->is_null = true;
			return 0;
		}
	}
	switch (f->type) {
	case V_STRING: case V_EMAIL: case V_URI: case V_UUID:
		return check_string(a, f, path, v, out, errors, NULL);
	case V_INT:
	case V_NUMBER: {
		if (!json_object_is_type(v, json_type_int) &&
		    !(f->type == V_NUMBER && json_object_is_type(v, json_type_double))) {
			if (f->type == V_INT && json_object_is_type(v, json_type_double))
				err(a, errors, path, "must be an integer");
			else
				err(a, errors, path, "must be a number");
			return 1;
		}
		double d = json_object_get_double(v);
		int64_t i = json_object_get_int64(v);
		if (!isfinite(d)) {
			err(a, errors, path, "must be a number");
			return 1;
		}
		bool isint = json_object_is_type(v, json_type_int);
		if ((isint ? i < f->min : d < (double)f->min)) {
			snprintf(num, sizeof(num), "%lld", (long long)f->min);
			err(a, errors, path, "must be greater than or equal to %s", num);
			return 1;
		}
		if (f->max != 0 && (isint ? i > f->max : d > (double)f->max)) {
			snprintf(num, sizeof(num), "%lld", (long long)f->max);
			err(a, errors, path, "must be less than or equal to %s", num);
			return 1;
		}
		/* a double beyond int64 (no max set) must not be cast as is: undefined */
		out->i = isint ? i : d >= 9223372036854775807.0 ? INT64_MAX :
		    d <= -9223372036854775807.0 ? INT64_MIN : (int64_t)d;
		out->d = isint ? (double)i : d;
		return 0;
	}
	case V_ANY:
		return 0;
	case V_BOOL:
		if (!json_object_is_type(v, json_type_boolean)) {
			err(a, errors, path, "must be a boolean");
			return 1;
		}
		out->b = json_object_get_boolean(v);
		return 0;
	case V_OBJECT: {
		size_t n = 0;
		while (f->sub[n].name)
			n++;
		out->sub = arena_alloc(a, sizeof(struct vval) * (n ? n : 1));
		memset(out->sub, 0, sizeof(struct vval) * (n ? n : 1));
		return validate_object(a, v, f->sub, out->sub, errors, path);
	}
	case V_ARRAY_STR: {
		if (!json_object_is_type(v, json_type_array)) {
			err(a, errors, path, "must be an array");
			return 1;
		}
		size_t n = json_object_array_length(v);
		if (f->max_items && n > f->max_items) {
			snprintf(num, sizeof(num), "%zu", f->max_items);
			err(a, errors, path, "must contain less than or equal to %s items", num);
			return 1;
		}
		int bad = 0;
		struct vfield item = *f;
		item.type = V_STRING;
		if (f->check == valid_http_uri)
			item.type = V_URI, item.check = NULL;
		for (size_t i = 0; i < n; i++) {
			char *ip = arena_printf(a, "%s.%zu", path, i);
			bad += check_string(a, &item, path, json_object_array_get_idx(v, i), NULL,
			    errors, ip);
		}
		return bad;
	}
	}
	return 0;
}

static int
validate_object(struct arena *a, json_object *body, const struct vfield *fields,
    struct vval *out, json_object *errors, const char *prefix)
{
	if (body == NULL || !json_object_is_type(body, json_type_object)) {
		err(a, errors, prefix, "must be of type object");
		return 1;
	}
	int bad = 0;
	for (size_t i = 0; fields[i].name; i++) {
		const struct vfield *f = &fields[i];
		const char *path = *prefix ? arena_printf(a, "%s.%s", prefix, f->name) : f->name;
		json_object *v;
		memset(&out[i], 0, sizeof(out[i]));
		if (!json_object_object_get_ex(body, f->name, &v)) {
			if (f->flags & VF_REQUIRED) {
				err(a, errors, path, "is required");
				bad++;
			}
			continue;
		}
		bad += check_field(a, f, path, v, &out[i], errors);
	}
	json_object_object_foreach(body, key, val) {
		(void)val;
		bool known = false;
		for (size_t i = 0; fields[i].name && !known; i++)
			known = strcmp(fields[i].name, key) == 0;
		if (!known) {
			const char *path = *prefix ? arena_printf(a, "%s.%s", prefix, key) : key;
			err(a, errors, path, "is not allowed");
			bad++;
		}
	}
	return bad;
}

int
validate_body(struct arena *a, json_object *body, const struct vfield *fields,
    struct vval *out, json_object *errors)
{
	return validate_object(a, body, fields, out, errors, "");
}
