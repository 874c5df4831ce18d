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
 * Read ?page= and ?limit= (integers; page ≥ 1, 1 ≤ limit ≤ 100; defaults 1 and 20).
 * 0, or -1 with 400 validation_failed answered (every bad parameter listed).
 */
int page_parse(struct req *, struct resp *, struct page *);

/*
 * Optional query parameter that must be one of `allowed` (NULL-terminated): its value,
 * NULL when absent or empty, and *bad set (400 answered) when it is not allowed.
 */
const char *query_enum(struct req *, struct resp *, const char *name,
    const char *const *allowed, bool *bad);
/* Optional free-text query parameter of at most `max` characters of valid UTF-8: its value,
 * NULL when absent or empty, *bad set (400 answered) otherwise. */
const char *query_text(struct req *, struct resp *, const char *name, size_t max, bool *bad);
#endif
