/* paging.h — the page/limit query of every list (spec/README.md §3). */
#ifndef WEBIX_PAGING_H
#define WEBIX_PAGING_H
#include "request.h"
#include "response.h"

#define PAGE_DEFAULT_LIMIT 20
#define PAGE_MAX_LIMIT 100
#define PAGE_MAX_PAGE 1000000

struct page {
	long long page, limit;
	char page_s[24], limit_s[24], offset_s[24]; /* as SQL parameters */
};

/*
 * The checks of a list's query parameters add what is wrong with theirs to `errors` (a
 * json-c array, validate_error entries), so that query_done answers one 400 naming every
 * bad parameter, not the first one found. A caller makes the array, runs its checks, then
 * query_done: 0 when all were good, else -1 with 400 validation_failed answered (either way
 * the array is consumed).
 */
/* ?page= and ?limit= (integers; page ≥ 1, 1 ≤ limit ≤ 100; defaults 1 and 20). */
void page_check(struct req *, json_object *errors, struct page *);
/* Optional parameter that must be one of `allowed` (NULL-terminated): its value, or NULL
 * when absent, empty or not allowed (an error added). */
const char *query_enum(struct req *, json_object *errors, const char *name,
    const char *const *allowed);
/* Optional free text of at most `max` characters of valid UTF-8: its value, or NULL when
 * absent, empty or not valid (an error added). */
const char *query_text(struct req *, json_object *errors, const char *name, size_t max);
int query_done(struct req *, struct resp *, json_object *errors);

/* page_check alone: 0, or -1 with 400 answered. */
int page_parse(struct req *, struct resp *, struct page *);
#endif
