/* fuzz_json.c — libFuzzer harness for the strict JSON parser (json_scan,
 * json_parse_strict) and the field-table validator (validate_body) over tables that use
 * every vtype and flag, nested objects and string arrays included. */
#include "fuzz.h"
#include "jsonscan.h"
#include "validate.h"
#include <string.h>

static const char *const colors[] = { "red", "green", "blue", NULL };

static bool
no_x(const char *s, size_t n)
{
	return memchr(s, 'x', n) == NULL;
}

static const struct vfield deep_fields[] = {
	{ .name = "on", .type = V_BOOL, .flags = VF_REQUIRED },
	{ .name = "n", .type = V_NUMBER, .flags = VF_NULLABLE },
	{ .name = NULL },
};

static const struct vfield settings_fields[] = {
	{ .name = "theme", .type = V_STRING, .enumv = colors },
	{ .name = "size", .type = V_INT, .min = -5, .max = 5 },
	{ .name = "deep", .type = V_OBJECT, .sub = deep_fields, .flags = VF_NULLABLE },
	{ .name = "tags", .type = V_ARRAY_STR, .min = 1, .max = 8, .max_items = 4 },
	{ .name = NULL },
};

/* every vtype, every flag */
static const struct vfield all_fields[] = {
	{ .name = "email", .type = V_EMAIL, .flags = VF_REQUIRED | VF_TRIM },
	{ .name = "name", .type = V_STRING, .flags = VF_TRIM, .min = 2, .max = 50 },
	{ .name = "bio", .type = V_STRING, .flags = VF_ALLOW_EMPTY | VF_NULLABLE, .max = 20 },
	{ .name = "site", .type = V_URI, .max = 2048 },
	{ .name = "id", .type = V_UUID },
	{ .name = "age", .type = V_INT, .min = 0, .max = 150 },
	{ .name = "big", .type = V_INT, .min = INT64_MIN, .max = INT64_MAX },
	{ .name = "score", .type = V_NUMBER, .min = -1000, .max = 1000 },
	{ .name = "any", .type = V_NUMBER, .min = INT64_MIN, .max = 0 },  /* max 0: no limit */
	{ .name = "ok", .type = V_BOOL },
	{ .name = "code", .type = V_STRING, .check = no_x, .check_msg = "must not contain x" },
	{ .name = "settings", .type = V_OBJECT, .sub = settings_fields },
	{ .name = "images", .type = V_ARRAY_STR, .max = 100, .max_items = 3,
	  .check = valid_http_uri },
	{ .name = "legacy", .type = V_ANY },
	{ .name = NULL },
};

static const struct vfield empty_fields[] = { { .name = NULL } };

static const struct vfield required_only[] = {
	{ .name = "a", .type = V_STRING, .flags = VF_REQUIRED },
	{ .name = "b", .type = V_OBJECT, .sub = deep_fields, .flags = VF_REQUIRED },
	{ .name = NULL },
};

static void
validate(struct arena *a, json_object *body, const struct vfield *fields)
{
	struct vval out[16];
	json_object *errors = json_object_new_array();
	int n = validate_body(a, body, fields, out, errors);
	FUZZ_ASSERT(n >= 0 && (size_t)n == json_object_array_length(errors),
	    "%d errors counted, %zu listed", n, json_object_array_length(errors));
	for (size_t i = 0; i < json_object_array_length(errors); i++) {
		json_object *e = json_object_array_get_idx(errors, i), *f, *m;
		FUZZ_ASSERT(json_object_object_get_ex(e, "field", &f) &&
		    json_object_is_type(f, json_type_string) &&
		    json_object_object_get_ex(e, "message", &m) &&
		    json_object_is_type(m, json_type_string) && json_object_get_string_len(m) > 0,
		    "malformed error entry %zu", i);
	}
	if (n == 0) {
		/* valid: every required field is present, every string is NUL-free */
		for (size_t i = 0; fields[i].name; i++) {
			if (fields[i].flags & VF_REQUIRED)
				FUZZ_ASSERT(out[i].present, "required %s missing yet valid",
				    fields[i].name);
			if (out[i].present && !out[i].is_null && out[i].s != NULL)
				FUZZ_ASSERT(strlen(out[i].s) == out[i].len, "%s has a NUL",
				    fields[i].name);
		}
	}
	json_object_put(errors);
	arena_reset(a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data, *why = NULL, *why2 = NULL;
	size_t at = 0, at2 = 0;
	static struct arena a;
	static int init;

	if (!init) {
		arena_init(&a, 4096);
		init = 1;
	}
	int scanned = json_scan(buf, size, &why, &at);
	if (scanned < 0)
		FUZZ_ASSERT(why != NULL && at <= size, "rejected without a reason or position");
	json_object *o = json_parse_strict(buf, size, &why2, &at2);
	if (scanned < 0) {
		FUZZ_ASSERT(o == NULL, "json_parse_strict accepted what json_scan refused");
		return 0;
	}
	/* what the scanner accepts, json-c must build (only `null` gives NULL) */
	FUZZ_ASSERT(o != NULL || why2 == NULL, "json-c refused a scanned document: %s", why2);

	/* json-c's own serialization of it is strict JSON too */
	const char *txt = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : "null";
	why = NULL;
	FUZZ_ASSERT(json_scan(txt, strlen(txt), &why, &at) == 0, "re-serialized %s refused: %s",
	    txt, why ? why : "?");

	validate(&a, o, all_fields);
	validate(&a, o, settings_fields);
	validate(&a, o, empty_fields);
	validate(&a, o, required_only);
	json_object_put(o);
	return 0;
}
