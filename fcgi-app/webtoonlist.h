/* webtoonlist.h — the webtoon list shared by members (GET /api/webtoons/:org) and readers
 * (GET /api/public/webtoons): query parameters and one SQL text. */
#ifndef WEBIX_WEBTOONLIST_H
#define WEBIX_WEBTOONLIST_H
#include "paging.h"

struct webtoon_query {
	const char *status, *tag, *search, *sort; /* "" when absent */
	struct page pg;
};

/*
 * ?page ?limit ?status (draft|published|archived; readers always get published) ?tag
 * ?search (a literal, case-insensitive substring of title or description — never a
 * pattern) ?sort (newest, default | title | publishedAt | views). 0 or -1 with 400 sent.
 */
int webtoon_query_parse(struct req *, struct resp *, struct webtoon_query *, bool members);
/* The cache key of a parsed query: every parameter, normalized, in one order, so no two
 * spellings of a query and no unknown parameter make two entries. NULL for a search (each
 * is its own answer: a cache of them would mostly hold misses). */
const char *webtoon_query_key(struct req *, const struct webtoon_query *);

/* $1 status, $2 tag, $3 search, $4 sort, $5 limit, $6 offset, $7 page; rows of the
 * organization of the transaction. PUB is "true" for the readers' view. */
#define WEBTOON_LIST_WHERE \
	"w.org_id = app_org_id() AND ($1 = '' OR w.status = $1) " \
	"AND ($2 = '' OR $2 = ANY (w.tags)) AND ($3 = '' OR strpos(lower(w.title), lower($3)) > 0 " \
	"OR strpos(lower(coalesce(w.description, '')), lower($3)) > 0)"
#define WEBTOON_LIST_ORDER(a) \
	"CASE WHEN $4 = 'title' THEN lower(" a ".title) END ASC, " \
	"CASE WHEN $4 = 'publishedAt' THEN " a ".published_at END DESC NULLS LAST, " \
	"CASE WHEN $4 = 'views' THEN " a ".view_count END DESC, " a ".created_at DESC, " a ".id"
#define WEBTOON_LIST_SQL(PUB) \
	"SELECT jsonb_build_object('data', coalesce((SELECT jsonb_agg(webtoon_view(p, NOT " PUB \
	", " PUB ") ORDER BY " WEBTOON_LIST_ORDER("p") ") FROM (SELECT w.* FROM webtoons w WHERE " \
	WEBTOON_LIST_WHERE " ORDER BY " WEBTOON_LIST_ORDER("w") " LIMIT $5 OFFSET $6) p), " \
	"'[]'::jsonb), 'pagination', page_info((SELECT count(*) FROM webtoons w WHERE " \
	WEBTOON_LIST_WHERE "), $7, $5))"
#endif
