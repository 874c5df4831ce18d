/* views.h — counting views out of the read path: each view is queued in Redis (and counted
 * there until it reaches PostgreSQL), and one worker at a time moves the queue into
 * PostgreSQL in batches (analytics rows and view counts). While Redis is away a view is
 * written to PostgreSQL at once. */
#ifndef WEBIX_VIEWS_H
#define WEBIX_VIEWS_H
#include "app.h"
#include "request.h"
#include "response.h"

/* One view, as queued: the entry, its pending-count field, and the keys it goes to
 * (queue, pending counts, counts written), for a caller that queues it in a round trip of
 * its own (rcache.c counts a cache hit's view in the lookup's). */
struct view_event {
	const char *id, *org, *user, *webtoon, *episode; /* lower-cased; "-" for none */
	unsigned long long ms;
	const char *entry, *field;
	const char *keys[3];
};
int views_event(struct req *, const char *org, const char *webtoon, const char *episode,
    struct view_event *);

/*
 * Count one view of a webtoon (episode NULL) or of an episode, in org, by the caller
 * (r->user_id; NULL for public readers). Call it after the read's transaction is over.
 * Returns how many views of the object PostgreSQL does not have yet, this one included;
 * 0 when the view could not be recorded at all. *written is the object's view_count in
 * PostgreSQL as of the last flush, -1 when unknown (no flush wrote it since Redis started).
 */
long long views_count(struct req *, const char *org, const char *webtoon, const char *episode,
    long long *written);

/*
 * Queue the view ev without waiting for Redis (the read cache's hit, whose lookup already
 * read the counts): RPUSH and INCR leave with the next Redis command of this worker (the
 * next request's lookup: one write, one read) or with views_settle when it goes idle. A
 * view Redis refused is written to PostgreSQL between requests. 0 queued; -1 not (Redis
 * unreachable: count it with views_count instead).
 */
int views_queue_sent(struct req *, const struct view_event *ev);
/* Views queued by views_queue_sent that have not left for Redis or not been confirmed. */
bool views_unsent(const struct app *);
/* When this worker would otherwise sleep: send them, read the replies, and write to
 * PostgreSQL those Redis refused (no transaction open). */
void views_settle(struct app *);
/* Between requests: write to PostgreSQL the views Redis refused (their replies already
 * read by a later Redis call). */
void views_rescue_due(struct app *);

/* Answer 200 with data "<view_count> <JSON object without viewCount>" (a webtoon or an
 * episode, as read and cached) with viewCount = max(view_count, written) + extra: what
 * PostgreSQL has and what is queued. No JSON is parsed; viewCount is put first. */
int views_reply_counted(struct req *, struct resp *, const char *data, long long extra,
    long long written);

/* Between requests: at most every VIEWS_FLUSH_MS across all workers and servers, move
 * queued views into PostgreSQL. Needs no transaction open. */
void views_flush_due(struct app *);
/* Move every queued view now. The number moved, or -1 (Redis or PostgreSQL away, or
 * another flush holds the lock). */
long views_flush_now(struct app *);
void views_register(void);
#endif
