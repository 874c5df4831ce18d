/* paging.c — the page/limit query of every list (spec/README.md §3). */
#include "paging.h"
#include "util.h"
#include "validate.h"
#include <stdio.h>
#include <string.h>

/* -1 absent, -2 malformed, else the value (digits only; more than 9 of them reads as
 * 999999999, beyond every bound). */
static long long
query_int(struct req *r, const char *name)
{
	const char *v = req_query(r, name);
	if (v == NULL)
		return -1;
	size_t n = strlen(v);
	if (n == 0 || strspn(v, "0123456789") != n)
		return -2;
	if (n > 9)
		return 999999999;
	long long x = 0;
	for (size_t i = 0; i < n; i++)
		x = x * 10 + (v[i] - '0');
	return x;
}

void
page_check(struct req *r, json_object *errors, struct page *pg)
{
	long long p = query_int(r, "page"), l = query_int(r, "limit");
	if (p == -2)
		validate_error(errors, "page", "\"page\" must be an integer");
	else if (p != -1 && (p < 1 || p > PAGE_MAX_PAGE))
		validate_error(errors, "page", p < 1 ? "\"page\" must be greater than or equal to 1" :
		    "\"page\" must be less than or equal to 1000000");
	if (l == -2)
		validate_error(errors, "limit", "\"limit\" must be an integer");
	else if (l != -1 && l < 1)
		validate_error(errors, "limit", "\"limit\" must be greater than or equal to 1");
	else if (l > PAGE_MAX_LIMIT)
		validate_error(errors, "limit", "\"limit\" must be less than or equal to 100");
	pg->page = p < 1 || p > PAGE_MAX_PAGE ? 1 : p;
	pg->limit = l < 1 || l > PAGE_MAX_LIMIT ? PAGE_DEFAULT_LIMIT : l;
	snprintf(pg->page_s, sizeof(pg->page_s), "%lld", pg->page);
	snprintf(pg->limit_s, sizeof(pg->limit_s), "%lld", pg->limit);
	snprintf(pg->offset_s, sizeof(pg->offset_s), "%lld", (pg->page - 1) * pg->limit);
}

const char *
query_enum(struct req *r, json_object *errors, const char *name, const char *const *allowed)
{
	const char *v = req_query(r, name);
	if (v == NULL || *v == '\0')
		return NULL;
	size_t cap = 2;
	for (size_t i = 0; allowed[i]; i++) {
		if (strcmp(allowed[i], v) == 0)
			return v;
		cap += strlen(allowed[i]) + 2;
	}
	char *list = arena_alloc(&r->arena, cap + 1), *q = list;
	*q = '\0';
	for (size_t i = 0; allowed[i]; i++)
		q += sprintf(q, "%s%s", i ? ", " : "", allowed[i]);
	validate_error(errors, name, arena_printf(&r->arena, "\"%s\" must be one of [%s]", name,
	    list));
	return NULL;
}

const char *
query_text(struct req *r, json_object *errors, const char *name, size_t max)
{
	const char *v = req_query(r, name);
	if (v == NULL || *v == '\0')
		return NULL;
	size_t n = strlen(v);
	const char *why = NULL;
	if (!utf8_valid(v, n))
		why = "must be valid UTF-8 text";
	else if (utf16_length(v, n) > max)
		why = arena_printf(&r->arena, "length must be less than or equal to %zu characters "
		    "long", max);
	if (why == NULL)
		return v;
	validate_error(errors, name, arena_printf(&r->arena, "\"%s\" %s", name, why));
	return NULL;
}

int
query_done(struct req *r, struct resp *rs, json_object *errors)
{
	if (json_object_array_length(errors) > 0)
		return resp_invalid(r, rs, errors);
	json_object_put(errors);
	return 0;
}

int
page_parse(struct req *r, struct resp *rs, struct page *pg)
{
	json_object *errors = json_object_new_array();
	page_check(r, errors, pg);
	return query_done(r, rs, errors);
}
