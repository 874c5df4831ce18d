/* webtoonlist.c — the query parameters of the webtoon lists. */
#include "webtoonlist.h"
#include <string.h>

static const char *const statuses[] = { "draft", "published", "archived", NULL };
static const char *const sorts[] = { "newest", "title", "publishedAt", "views", NULL };

int
webtoon_query_parse(struct req *r, struct resp *rs, struct webtoon_query *q, bool members)
{
	json_object *errors = json_object_new_array();
	page_check(r, errors, &q->pg);
	q->status = members ? query_enum(r, errors, "status", statuses) : "published";
	q->sort = query_enum(r, errors, "sort", sorts);
	q->tag = query_text(r, errors, "tag", 50);
	q->search = query_text(r, errors, "search", 200);
	if (query_done(r, rs, errors) < 0)
		return -1;
	q->status = q->status ? q->status : "";
	q->sort = q->sort ? q->sort : "newest";
	q->tag = q->tag ? q->tag : "";
	q->search = q->search ? q->search : "";
	return 0;
}

const char *
webtoon_query_key(struct req *r, const struct webtoon_query *q)
{
	if (*q->search)
		return NULL;
	json_object *tag = json_object_new_string(q->tag);
	const char *key = arena_printf(&r->arena, "status=%s&sort=%s&page=%s&limit=%s&tag=%s",
	    q->status, q->sort, q->pg.page_s, q->pg.limit_s, json_object_to_json_string_ext(tag,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(tag);
	return key;
}
