/* webtoonlist.c — the query parameters of the webtoon lists. */
#include "webtoonlist.h"
#include <string.h>

static const char *const statuses[] = { "draft", "published", "archived", NULL };
static const char *const sorts[] = { "newest", "title", "publishedAt", "views", NULL };

int
webtoon_query_parse(struct req *r, struct resp *rs, struct webtoon_query *q, bool members)
{
	bool bad;
	if (page_parse(r, rs, &q->pg) < 0)
		return -1;
	q->status = members ? query_enum(r, rs, "status", statuses, &bad) : "published";
	if (members && bad)
		return -1;
	q->sort = query_enum(r, rs, "sort", sorts, &bad);
	if (bad)
		return -1;
	q->tag = query_text(r, rs, "tag", 50, &bad);
	if (bad)
		return -1;
	q->search = query_text(r, rs, "search", 200, &bad);
	if (bad)
		return -1;
	q->status = q->status ? q->status : "";
	q->sort = q->sort ? q->sort : "newest";
	q->tag = q->tag ? q->tag : "";
	q->search = q->search ? q->search : "";
	return 0;
}
