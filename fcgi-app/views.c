/* views.c — views counted through Redis and written to PostgreSQL in batches.
 *   webix:views:q     list of "<event id> <org> <user|-> <webtoon> <episode|-> <unix ms>"
 *   webix:views:p:<f> views of <f> queued, not yet in PostgreSQL; <f> is "w:<webtoon>" or
 *                     "e:<episode>" (deleted when the flush brings it to 0)
 *   webix:views:db:<f> view_count of <f> in PostgreSQL as of the last write that raised it
 *                     (expires: it only has to outlive the read cache's entries)
 *   webix:views:batch "<entries> <first entry>": the batch being written, until trimmed
 *   webix:views:batch:steps "<steps done> <that note>": how far its counts have moved
 *   webix:views:lock  held by the one flushing; kept VIEWS_FLUSH_MS after a flush, so the
 *                     workers of all servers flush once per interval between them
 * One string key per object, not one hash for all: a hash small enough to be a listpack is
 * searched linearly on every view.
 * A batch's views of the same object by the same reader (or by anonymous readers) in the
 * same second become one analytics row, metric_value = the number of views, with the
 * first view's event id and time (sql/009): sums over any window, view counts and
 * distinct readers stay exact, and a popular episode costs PostgreSQL one row per second,
 * not one per view. The batch is read in pieces and written (views_record: rows keyed by
 * the event id, view counts raised by the rows actually inserted); then its counts move in
 * steps of a few dozen objects, each one short script that lowers their pending counts and
 * notes their new counts together (a reader sees "in PostgreSQL + pending" move from before
 * to after the batch at once for each object) and records its progress; then — only if the
 * queue still starts with it — the batch is trimmed and its organizations' cached lists
 * invalidated. No Redis call of a flush takes more than about a millisecond: a single
 * script over every object of a batch kept every worker's reads waiting several
 * milliseconds once a second. A flush that dies midway leaves the batch queued with its
 * size and progress noted; the next one writes the same entries again, grouped the same
 * way (the event ids make that a no-op; views_record still returns the count of each of
 * its objects, sql/012), and moves only the counts not moved yet.
 * Between a batch's commit and an object's step (a few Redis round trips) a read of it that
 * misses the cache sees its views twice, in the row and still pending; the next read is
 * exact again. */
#include "views.h"
#include "log.h"
#include "rcache.h"
#include "util.h"
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define QUEUE "webix:views:q"
#define PENDING "webix:views:p:"
#define LOCK "webix:views:lock"
#define DBCOUNT "webix:views:db:"
#define INFLIGHT "webix:views:batch"
#define INFLIGHT_STEPS "webix:views:batch:steps"
#define STEP_FIELDS 64          /* objects per step of a batch's counts */
#define READ_STEP 500           /* entries per LRANGE */
#define BATCH 5000
#define MAX_ROUNDS 50
#define ENTRY_MAX 200

/* $1 the organizations, $2 for each its events "<event id> <user|-> <webtoon> <episode|-> <ms>"
 * separated by newlines (PostgreSQL array literals) */
static const struct db_stmt record_stmt = { "views_record",
	"SELECT field, total FROM views_record($1::uuid[], $2::text[])", 2 };

void
views_register(void)
{
	db_register(&record_stmt, 1);
}

static unsigned long long
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (unsigned long long)ts.tv_sec * 1000ull + (unsigned long long)ts.tv_nsec / 1000000ull;
}

int
views_event(struct req *r, const char *org, const char *webtoon, const char *episode,
    struct view_event *ev)
{
	char eid[37];
	if (util_uuid4(eid) < 0)
		return -1;
	ev->org = arena_strdup_lower(&r->arena, org);
	ev->user = r->user_id ? arena_strdup_lower(&r->arena, r->user_id) : "-";
	ev->webtoon = arena_strdup_lower(&r->arena, webtoon);
	ev->episode = episode ? arena_strdup_lower(&r->arena, episode) : "-";
	ev->ms = now_ms();
	ev->id = arena_strdup(&r->arena, eid);
	ev->entry = arena_printf(&r->arena, "%s %s %s %s %s %llu", ev->id, ev->org, ev->user,
	    ev->webtoon, ev->episode, ev->ms);
	ev->field = arena_printf(&r->arena, "%c:%s", episode ? 'e' : 'w',
	    episode ? ev->episode : ev->webtoon);
	ev->keys[0] = QUEUE;
	ev->keys[1] = arena_printf(&r->arena, PENDING "%s", ev->field);
	ev->keys[2] = arena_printf(&r->arena, DBCOUNT "%s", ev->field);
	return 0;
}

/* The written counts correct cached reads: they must outlive the cache's entries. */
static long
written_ttl(const struct app *app)
{
	return app->cfg->cache_ttl * 2 > 600 ? app->cfg->cache_ttl * 2 : 600;
}

/* After a view written straight to PostgreSQL: take back its pending count (ARGV[1], or
 * "" when it was never counted) and raise the written counts (ARGV[3..]: key, count pairs;
 * they only rise, so a slower writer cannot lower them) in one step, so a cached read
 * never sees the view neither pending nor written. ARGV[2]: the counts' lifetime (s). */
static const char raise_lua[] =
	"if ARGV[1] ~= '' and redis.call('DECR', ARGV[1]) <= 0 then "
	"  redis.call('DEL', ARGV[1]) end "
	"for i = 3, #ARGV - 1, 2 do "
	"  local c = tonumber(redis.call('GET', ARGV[i])) "
	"  if c == nil or c <= tonumber(ARGV[i + 1]) then "
	"    redis.call('SET', ARGV[i], ARGV[i + 1], 'EX', ARGV[2]) end end "
	"return 1";

/* The view counted in a pending key was not queued: take it back (best effort). */
static void
undo_pending(struct app *app, const char *pkey)
{
	const char *argv[] = { "DECR", pkey };
	freeReplyObject(redis_cmd(&app->redis, 2, argv, NULL));
}

/* raise_lua for the counts views_record returned; false when Redis did not take it. */
static bool
raise_written(struct app *app, const char *pkey, const PGresult *res)
{
	int n = PQntuples(res), argc = 0;
	const char **argv = malloc((size_t)(5 + 2 * n) * sizeof(char *));
	char *keys = malloc((size_t)n * 64 + 1), ttl[24];
	bool ok = false;
	if (argv == NULL || keys == NULL)
		goto out;
	snprintf(ttl, sizeof(ttl), "%ld", written_ttl(app));
	argv[argc++] = "EVAL";
	argv[argc++] = raise_lua;
	argv[argc++] = "0";
	argv[argc++] = pkey ? pkey : "";
	argv[argc++] = ttl;
	for (int i = 0; i < n; i++) {
		char *k = keys + (size_t)i * 64;
		snprintf(k, 64, DBCOUNT "%s", PQgetvalue(res, i, 0));
		argv[argc++] = k;
		argv[argc++] = PQgetvalue(res, i, 1);
	}
	redisReply *x = redis_cmd(&app->redis, argc, argv, NULL);
	ok = x != NULL && x->type == REDIS_REPLY_INTEGER;
	freeReplyObject(x);
out:
	free(argv);
	free(keys);
	return ok;
}

/* A view straight into PostgreSQL, in a transaction of its own (Redis away or refusing):
 * line is "<event id> <user|-> <webtoon> <episode|-> <ms>"; pkey, when not NULL, the
 * pending key that counted it, taken back. 0, or -1 (logged). */
static int
record_now(struct app *app, const char *org, const char *user, const char *line,
    const char *pkey)
{
	struct db *db = &app->db;
	char orgs[40];
	char *events = malloc(strlen(line) + 5);
	if (events == NULL)
		return -1;
	snprintf(orgs, sizeof(orgs), "{%s}", org);
	sprintf(events, "{\"%s\"}", line);
	const char *p[2] = { orgs, events };
	PGresult *res = NULL;
	if (db_begin(db, org, user) == DB_OK)
		res = db_exec_commit(db, &record_stmt, p);
	free(events);
	if (res == NULL) {
		log_msg(LOG_ERROR, "a view (%s) could not be recorded (Redis and PostgreSQL "
		    "failed: %s)", line, db->msg);
		if (pkey != NULL)
			undo_pending(app, pkey);
		return -1;
	}
	/* counts changed behind the cache's back: correct them, or drop the cache once Redis
	 * answers */
	if (!raise_written(app, pkey, res))
		app->cache_flush_due = true;
	PQclear(res);
	return 0;
}

/* ---- views queued without waiting (a cache hit) ---- */

/* A view sent to Redis whose replies are not read yet; kept to write it to PostgreSQL if
 * Redis did not take it. */
struct deferred {
	char org[37], user[37];
	char line[ENTRY_MAX];
	char pkey[80];          /* its pending-count key */
	bool incr_done;         /* the INCR of pkey went through (undone if the view did not) */
};

#define MAX_RESCUE 64
static struct deferred *rescue[MAX_RESCUE];
static int nrescue;

static void
deferred_done(void *ctx, redisReply **x, int n)
{
	struct deferred *d = ctx;
	(void)n;
	if (x != NULL && x[0] != NULL && x[0]->type == REDIS_REPLY_INTEGER) {
		free(d);
		return;
	}
	if (x == NULL) {
		/* the connection went before the replies: Redis took the view or lost it with
		 * its last second (the durability of the queue); writing it too could count it
		 * twice */
		log_msg(LOG_WARN, "a view sent to Redis is unconfirmed (connection lost): %s",
		    d->line);
		free(d);
		return;
	}
	log_msg(LOG_WARN, "Redis refused a view (%s); it goes to PostgreSQL",
	    x[0] && x[0]->type == REDIS_REPLY_ERROR ? x[0]->str : "unexpected reply");
	d->incr_done = x[1] != NULL && x[1]->type == REDIS_REPLY_INTEGER;
	if (nrescue == MAX_RESCUE) {
		log_msg(LOG_ERROR, "a view (%s) is lost: Redis did not take it and %d others wait "
		    "for PostgreSQL", d->line, MAX_RESCUE);
		free(d);
		return;
	}
	rescue[nrescue++] = d;
}

int
views_queue_sent(struct req *r, const struct view_event *ev)
{
	struct deferred *d = malloc(sizeof(*d));
	if (d == NULL)
		return -1;
	snprintf(d->org, sizeof(d->org), "%s", ev->org);
	snprintf(d->user, sizeof(d->user), "%s", ev->user[0] == '-' ? "" : ev->user);
	snprintf(d->line, sizeof(d->line), "%s %s %s %s %llu", ev->id, ev->user, ev->webtoon,
	    ev->episode, ev->ms);
	snprintf(d->pkey, sizeof(d->pkey), "%s", ev->keys[1]);
	d->incr_done = false;
	const char *push[] = { "RPUSH", QUEUE, ev->entry }, *incr[] = { "INCR", ev->keys[1] };
	struct redis_cmdv cmds[2] = { { 3, push, NULL }, { 2, incr, NULL } };
	if (redis_send(&r->app->redis, 2, cmds, deferred_done, d) < 0) {
		free(d);
		return -1;
	}
	return 0;
}

bool
views_unsent(const struct app *app)
{
	return app->redis.nowed > 0;
}

void
views_settle(struct app *app)
{
	if (app->redis.nowed > 0)
		redis_settle(&app->redis);
	views_rescue_due(app);
}

void
views_rescue_due(struct app *app)
{
	if (nrescue == 0 || app->db.in_tx)
		return;
	struct deferred *todo[MAX_RESCUE];
	int n = nrescue;
	memcpy(todo, rescue, sizeof(todo[0]) * (size_t)n);
	nrescue = 0;            /* Redis calls below may add more, for the next time */
	for (int i = 0; i < n; i++) {
		struct deferred *d = todo[i];
		(void)record_now(app, d->org, d->user[0] ? d->user : NULL, d->line,
		    d->incr_done ? d->pkey : NULL);
		free(d);
	}
}

long long
views_count(struct req *r, const char *org, const char *webtoon, const char *episode,
    long long *written)
{
	*written = -1;
	struct view_event ev;
	if (views_event(r, org, webtoon, episode, &ev) < 0)
		return 0;
	const char *push[] = { "RPUSH", QUEUE, ev.entry }, *incr[] = { "INCR", ev.keys[1] };
	const char *get[] = { "GET", ev.keys[2] };
	struct redis_cmdv cmds[3] = { { 3, push, NULL }, { 2, incr, NULL }, { 2, get, NULL } };
	redisReply *x[3];
	const char *pkey = NULL;
	if (redis_pipe(&r->app->redis, 3, cmds, x) == 0) {
		bool queued = x[0]->type == REDIS_REPLY_INTEGER;
		long long pending = x[1]->type == REDIS_REPLY_INTEGER && x[1]->integer > 0 ?
		    x[1]->integer : 1;
		if (x[2]->type == REDIS_REPLY_STRING)
			*written = strtoll(x[2]->str, NULL, 10);
		bool counted = x[1]->type == REDIS_REPLY_INTEGER;
		for (int i = 0; i < 3; i++)
			freeReplyObject(x[i]);
		if (queued)
			return pending;
		pkey = counted ? ev.keys[1] : NULL;
	}
	/* Redis away or refusing: the view goes to PostgreSQL now, in a transaction of its own */
	const char *line = arena_printf(&r->arena, "%s %s %s %s %llu", ev.id, ev.user, ev.webtoon,
	    ev.episode, ev.ms);
	return record_now(r->app, ev.org, r->user_id, line, pkey) == 0 ? 1 : 0;
}

int
views_reply_counted(struct req *r, struct resp *rs, const char *data, long long extra,
    long long written)
{
	char *end;
	long long base = strtoll(data, &end, 10);
	if (end == data || end[0] != ' ' || end[1] != '{' || end[2] == '}' || end[2] == '\0') {
		log_msg(LOG_ERROR, "views_reply_counted: unexpected data");
		return resp_error(r, rs, 500, "internal", "Internal server error", NULL);
	}
	if (written > base)
		base = written;
	char head[48];
	int hn = snprintf(head, sizeof(head), "{\"viewCount\":%lld,", base + extra);
	size_t rest = strlen(end + 2);
	char *out = arena_alloc(&r->arena, (size_t)hn + rest + 1);
	memcpy(out, head, (size_t)hn);
	memcpy(out + hn, end + 2, rest + 1);
	resp_ok_raw(r, rs, 200, NULL, out);
	return 0;
}

/* ---- the flush ---- */

/* One valid queue entry, parsed; after grouping, one analytics row of n views. */
struct rec {
	char org[37], user[37], webtoon[37], episode[37], eid[37];   /* user, episode: "-" */
	char field[40];                                              /* "w:<id>" / "e:<id>" */
	unsigned long long ms;
	int n;
};

/* A queue entry as views_count writes it, into rec; false for anything else (skipped, and
 * trimmed with its batch). */
static bool
valid_entry(const char *s, size_t n, struct rec *rec)
{
	const char *tok[6];
	size_t len[6];
	int k = 0;
	const char *p = s, *end = s + n;
	while (k < 6 && p <= end) {
		const char *q = memchr(p, ' ', (size_t)(end - p));
		if (q == NULL)
			q = end;
		tok[k] = p;
		len[k++] = (size_t)(q - p);
		p = q + 1;
	}
	if (k != 6 || p <= end)
		return false;
	for (int i = 0; i < 5; i++) {
		bool dash_ok = i == 2 || i == 4;
		if (!(util_is_uuid(tok[i], len[i]) || (dash_ok && len[i] == 1 && tok[i][0] == '-')))
			return false;
	}
	if (len[5] == 0 || len[5] > 15 || strspn(tok[5], "0123456789") < len[5])
		return false;
	snprintf(rec->eid, 37, "%.*s", (int)len[0], tok[0]);
	snprintf(rec->org, 37, "%.*s", (int)len[1], tok[1]);
	snprintf(rec->user, 37, "%.*s", (int)len[2], tok[2]);
	snprintf(rec->webtoon, 37, "%.*s", (int)len[3], tok[3]);
	snprintf(rec->episode, 37, "%.*s", (int)len[4], tok[4]);
	bool ep = tok[4][0] != '-';
	snprintf(rec->field, sizeof(rec->field), "%c:%s", ep ? 'e' : 'w',
	    ep ? rec->episode : rec->webtoon);
	rec->ms = strtoull(tok[5], NULL, 10);
	rec->n = 1;
	return true;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Same organization, reader, object and second: one analytics row. */
static bool
same_row(const struct rec *a, const struct rec *b)
{
	return a->ms / 1000 == b->ms / 1000 && strcmp(a->org, b->org) == 0 &&
	    strcmp(a->webtoon, b->webtoon) == 0 && strcmp(a->episode, b->episode) == 0 &&
	    strcmp(a->user, b->user) == 0;
}

/* Organization first (views_record takes them per organization), then the row's other
 * parts, then time and event id: a total order, so the same batch always groups the same
 * way and its rows keep their event ids when it is written again. */
static int
cmp_rec(const void *pa, const void *pb)
{
	const struct rec *a = *(const struct rec *const *)pa, *b = *(const struct rec *const *)pb;
	int c;
	if ((c = strcmp(a->org, b->org)) || (c = strcmp(a->webtoon, b->webtoon)) ||
	    (c = strcmp(a->episode, b->episode)) || (c = strcmp(a->user, b->user)))
		return c;
	if (a->ms / 1000 != b->ms / 1000)
		return a->ms / 1000 < b->ms / 1000 ? -1 : 1;
	if (a->ms != b->ms)
		return a->ms < b->ms ? -1 : 1;
	return strcmp(a->eid, b->eid);
}

/* One step of a batch's counts: for its objects, lower the pending counts and note the
 * counts now in PostgreSQL, together (a reader sees each object's views pending or written,
 * never both or neither). Steps run in order and each is noted in the progress key with the
 * batch it belongs to, so a batch written again after a crash skips the steps done. KEYS:
 * the in-flight note, the progress key. ARGV: the note, the step (1, 2, ...), the pending
 * and written key prefixes, the written keys' lifetime (s), nf, nf x (field, views), then
 * (field, count) pairs. 1 applied or done before; 0 not this flusher's batch (any more). */
static const char step_lua[] =
	"if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end "
	"local k, done = tonumber(ARGV[2]), 0 "
	"local p = redis.call('GET', KEYS[2]) "
	"if p then "
	"  local sp = string.find(p, ' ', 1, true) "
	"  if sp and string.sub(p, sp + 1) == ARGV[1] then done = tonumber(string.sub(p, 1, sp - 1)) end "
	"end "
	"if done >= k then return 1 end "
	"if done ~= k - 1 then return 0 end "
	"local pp, dp, ttl = ARGV[3], ARGV[4], ARGV[5] "
	"local i = 7 "
	"for j = 1, tonumber(ARGV[6]) do "
	"  if redis.call('DECRBY', pp .. ARGV[i], tonumber(ARGV[i + 1])) <= 0 then "
	"    redis.call('DEL', pp .. ARGV[i]) end "
	"  i = i + 2 end "
	"while i < #ARGV do redis.call('SET', dp .. ARGV[i], ARGV[i + 1], 'EX', ttl) i = i + 2 end "
	"redis.call('SET', KEYS[2], k .. ' ' .. ARGV[1], 'EX', 3600) "
	"return 1";

/* The batch's last step: trim it if the queue still starts with it, forget the note and
 * the progress, new list versions. KEYS: the queue, the note, the progress key. ARGV: first
 * entry, entries, then (version key, version) pairs. */
static const char trim_lua[] =
	"if redis.call('LINDEX', KEYS[1], 0) ~= ARGV[1] then return 0 end "
	"redis.call('LTRIM', KEYS[1], tonumber(ARGV[2]), -1) "
	"redis.call('DEL', KEYS[2], KEYS[3]) "
	"for i = 3, #ARGV - 1, 2 do redis.call('SET', ARGV[i], ARGV[i + 1]) end "
	"return 1";

static const char release_lua[] =
	"if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end "
	"if ARGV[2] == '0' then return redis.call('DEL', KEYS[1]) end "
	"return redis.call('PEXPIRE', KEYS[1], ARGV[2])";

/* The in-flight note of a batch: "<entries> <first entry>" (binary-safe). */
struct note {
	char  *s;
	size_t len;
};

struct batch {
	char  *orgs, *events;    /* views_record's two array literals */
	char **fields;           /* the field of every valid entry (one per view), sorted */
	struct rec **rows;       /* the analytics rows: rows[0..nrows), sorted */
	struct rec *store;       /* the parsed entries */
	int    n, nrows;         /* valid entries (views), rows */
};

static void
batch_free(struct batch *b)
{
	free(b->orgs);
	free(b->events);
	free(b->fields);
	free(b->rows);
	free(b->store);
	memset(b, 0, sizeof(*b));
}

/* The first `count` entries of `list`: parsed, grouped into rows, and written out as
 * views_record's arguments. */
static int
batch_build(struct batch *b, const redisReply *list, size_t count)
{
	size_t n = count;
	b->orgs = malloc(n * 38 + 3);
	b->events = malloc(n * 200 + 3);
	b->fields = malloc(n * sizeof(char *) + 1);
	b->rows = malloc(n * sizeof(struct rec *) + 1);
	b->store = malloc(n * sizeof(struct rec) + 1);
	if (!b->orgs || !b->events || !b->fields || !b->rows || !b->store)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const redisReply *e = list->element[i];
		struct rec *rec = &b->store[b->n];
		if (e->type != REDIS_REPLY_STRING || e->len > ENTRY_MAX ||
		    !valid_entry(e->str, e->len, rec)) {
			log_msg(LOG_WARN, "skipping a malformed entry in the view queue");
			continue;
		}
		b->rows[b->n] = rec;
		b->fields[b->n++] = rec->field;
	}
	qsort(b->fields, (size_t)b->n, sizeof(char *), cmp_str);
	qsort(b->rows, (size_t)b->n, sizeof(struct rec *), cmp_rec);
	/* views of one row: the first keeps its event id and time, and counts the rest */
	for (int i = 0; i < b->n; i++) {
		if (b->nrows > 0 && same_row(b->rows[b->nrows - 1], b->rows[i]))
			b->rows[b->nrows - 1]->n++;
		else
			b->rows[b->nrows++] = b->rows[i];
	}
	/* {org,…} and {"rows of the first org","…"}, in the same order */
	char *o = b->orgs, *ev = b->events;
	*o++ = '{';
	*ev++ = '{';
	for (int i = 0; i < b->nrows; i++) {
		const struct rec *x = b->rows[i];
		bool first = i == 0 || strcmp(x->org, b->rows[i - 1]->org) != 0;
		if (first) {
			if (i > 0) {
				*o++ = ',';
				*ev++ = '"';
				*ev++ = ',';
			}
			o += sprintf(o, "%s", x->org);
			*ev++ = '"';
		} else
			*ev++ = '\n';
		ev += sprintf(ev, "%s %s %s %s %llu %d", x->eid, x->user, x->webtoon, x->episode,
		    x->ms, x->n);
	}
	if (b->nrows > 0)
		*ev++ = '"';
	strcpy(o, "}");
	strcpy(ev, "}");
	return 0;
}

static int
cmp_count_row(const void *a, const void *b)
{
	return strcmp(((const char *const *)a)[0], ((const char *const *)b)[0]);
}

/* Run step_lua for objects [from, to) of the batch's sorted fields; the written counts of
 * those among them PostgreSQL returned (cnt: field, count pairs sorted by field; *ci walks
 * them). 0, or -1. */
static int
count_step(struct app *app, const struct note *note, int step, struct batch *b, int from,
    int to, const char **cnt, int ncnt, int *ci)
{
	int max = 11 + 2 * (to - from) + 2 * ncnt;   /* fixed, 2 per field, 2 per count */
	const char **argv = malloc((size_t)max * sizeof(char *));
	size_t *lens = malloc((size_t)max * sizeof(size_t));
	char *num = malloc((size_t)(to - from + 4) * 24);
	int argc = 0, rc = -1;
	if (argv == NULL || lens == NULL || num == NULL)
		goto out;
	char *np = num, ttl[24], sn[16], nfs[16];
	snprintf(ttl, sizeof(ttl), "%ld", written_ttl(app));
	snprintf(sn, sizeof(sn), "%d", step);
	argv[argc++] = "EVAL";
	argv[argc++] = step_lua;
	argv[argc++] = "2";
	argv[argc++] = INFLIGHT;
	argv[argc++] = INFLIGHT_STEPS;
	int note_at = argc;
	argv[argc++] = note->s;
	argv[argc++] = sn;
	argv[argc++] = PENDING;
	argv[argc++] = DBCOUNT;
	argv[argc++] = ttl;
	int nf_at = argc++, nf = 0;
	const char *last = NULL;
	for (int i = from; i < to; i++) {
		if (last != NULL && strcmp(b->fields[i], last) == 0)
			continue;
		int j = i;
		while (j < b->n && strcmp(b->fields[j], b->fields[i]) == 0)
			j++;
		argv[argc++] = b->fields[i];
		argv[argc++] = np;
		np += sprintf(np, "%d", j - i) + 1;
		last = b->fields[i];
		nf++;
	}
	snprintf(nfs, sizeof(nfs), "%d", nf);
	argv[nf_at] = nfs;
	/* the written counts of this step's objects (fields up to its last one; the last step
	 * takes what is left) */
	while (*ci < ncnt && (to == b->n || strcmp(cnt[2 * *ci], last) <= 0)) {
		argv[argc++] = cnt[2 * *ci];
		argv[argc++] = cnt[2 * *ci + 1];
		(*ci)++;
	}
	for (int i = 0; i < argc; i++)
		lens[i] = i == note_at ? note->len : strlen(argv[i]);
	redisReply *x = redis_cmd(&app->redis, argc, argv, lens);
	rc = x && x->type == REDIS_REPLY_INTEGER && x->integer == 1 ? 0 : -1;
	if (x && x->type == REDIS_REPLY_ERROR)
		log_msg(LOG_ERROR, "view counts step failed: %s", x->str);
	freeReplyObject(x);
out:
	free(argv);
	free(lens);
	free(num);
	return rc;
}

/* After the batch is in PostgreSQL: its counts in steps of STEP_FIELDS entries (each a
 * short script: one script over every object kept Redis, so every worker's read, busy
 * for milliseconds once a second), then the trim. note: the batch's in-flight note. */
static int
trim(struct app *app, const redisReply *list, size_t count, struct batch *b,
    const PGresult *counts, const struct note *note)
{
	int ncnt = counts ? PQntuples(counts) : 0, rc = -1, ci = 0;
	const char **cnt = malloc((size_t)(2 * ncnt + 1) * sizeof(char *));
	int max = 8 + 2 * b->nrows;                 /* fixed, 2 per organization */
	const char **argv = malloc((size_t)max * sizeof(char *));
	size_t *lens = malloc((size_t)max * sizeof(size_t));
	char *keys = malloc((size_t)(b->nrows + 1) * 104);
	if (!cnt || !argv || !lens || !keys)
		goto out;
	for (int i = 0; i < ncnt; i++) {
		cnt[2 * i] = PQgetvalue(counts, i, 0);
		cnt[2 * i + 1] = PQgetvalue(counts, i, 1);
	}
	qsort(cnt, (size_t)ncnt, 2 * sizeof(char *), cmp_count_row);
	int step = 0;
	for (int from = 0; from < b->n;) {
		int to = from + STEP_FIELDS < b->n ? from + STEP_FIELDS : b->n;
		/* a step ends after the last view of its last object */
		while (to < b->n && strcmp(b->fields[to], b->fields[to - 1]) == 0)
			to++;
		if (count_step(app, note, ++step, b, from, to, cnt, ncnt, &ci) < 0)
			goto out;
		from = to;
	}
	int argc = 0;
	char num[24];
	const redisReply *first = list->element[0];
#define ARG(s, l) (argv[argc] = (s), lens[argc++] = (l))
	ARG("EVAL", 4);
	ARG(trim_lua, sizeof(trim_lua) - 1);
	ARG("3", 1);
	ARG(QUEUE, strlen(QUEUE));
	ARG(INFLIGHT, strlen(INFLIGHT));
	ARG(INFLIGHT_STEPS, strlen(INFLIGHT_STEPS));
	ARG(first->str, first->len);
	ARG(num, (size_t)snprintf(num, sizeof(num), "%zu", count));
	char *kp = keys;
	for (int i = 0; i < b->nrows; i++) {
		if (i > 0 && strcmp(b->rows[i]->org, b->rows[i - 1]->org) == 0)
			continue;
		rcache_views_key(b->rows[i]->org, kp, 80);
		ARG(kp, strlen(kp));
		rcache_new_version(kp + 80);
		ARG(kp + 80, 16);
		kp += 104;
	}
#undef ARG
	redisReply *x = redis_cmd(&app->redis, argc, argv, lens);
	rc = x && x->type == REDIS_REPLY_INTEGER && x->integer == 1 ? 0 : -1;
	if (x && x->type == REDIS_REPLY_ERROR)
		log_msg(LOG_ERROR, "view queue trim failed: %s", x->str);
	freeReplyObject(x);
out:
	free(cnt);
	free(argv);
	free(lens);
	free(keys);
	return rc;
}

/* How many entries at the head of the queue make the batch: the number noted when a batch
 * starting with the same entry was written before and not trimmed (a flush that died after
 * its commit), else all of them, noted now. The same entries group into the same rows with
 * the same event ids, so writing the batch again adds nothing. 0: Redis failed. */
static size_t
batch_count(struct app *app, const redisReply *list, struct note *note)
{
	const redisReply *first = list->element[0];
	const char *get[] = { "GET", INFLIGHT };
	redisReply *x = redis_cmd(&app->redis, 2, get, NULL);
	if (x == NULL || (x->type != REDIS_REPLY_STRING && x->type != REDIS_REPLY_NIL)) {
		freeReplyObject(x);
		return 0;
	}
	size_t count = list->elements;
	if (x->type == REDIS_REPLY_STRING) {
		char *end;
		unsigned long long noted = strtoull(x->str, &end, 10);
		if (end != x->str && *end == ' ' && first->type == REDIS_REPLY_STRING &&
		    (size_t)(x->len - (size_t)(end + 1 - x->str)) == first->len &&
		    memcmp(end + 1, first->str, first->len) == 0 && noted > 0 && noted < count)
			count = (size_t)noted;
	}
	freeReplyObject(x);
	char head[24];
	int hn = snprintf(head, sizeof(head), "%zu ", count);
	size_t vlen = (size_t)hn + (first->type == REDIS_REPLY_STRING ? first->len : 0);
	char *v = malloc(vlen + 1);
	if (v == NULL)
		return 0;
	memcpy(v, head, (size_t)hn);
	if (first->type == REDIS_REPLY_STRING)
		memcpy(v + hn, first->str, first->len);
	const char *set[] = { "SET", INFLIGHT, v };
	size_t lens[] = { 3, strlen(INFLIGHT), vlen };
	x = redis_cmd(&app->redis, 3, set, lens);
	bool ok = x && x->type == REDIS_REPLY_STATUS;
	freeReplyObject(x);
	if (!ok) {
		free(v);
		return 0;
	}
	note->s = v;
	note->len = vlen;
	return count;
}

/* Up to BATCH entries from the head of the queue, READ_STEP at a time (one LRANGE of
 * thousands kept Redis busy for milliseconds), as one array: *list points into the pieces,
 * which the caller frees with entries_free. 0, or -1. */
struct entries {
	redisReply  *piece[BATCH / READ_STEP + 1];
	int          npieces;
	redisReply   list;          /* element[] points into the pieces */
};

static void
entries_free(struct entries *q)
{
	for (int i = 0; i < q->npieces; i++)
		freeReplyObject(q->piece[i]);
	free(q->list.element);
	memset(q, 0, sizeof(*q));
}

static int
entries_read(struct app *app, struct entries *q)
{
	memset(q, 0, sizeof(*q));
	q->list.type = REDIS_REPLY_ARRAY;
	q->list.element = malloc(BATCH * sizeof(redisReply *));
	if (q->list.element == NULL)
		return -1;
	while (q->list.elements < BATCH) {
		char lo[24], hi[24];
		size_t want = BATCH - q->list.elements < READ_STEP ? BATCH - q->list.elements :
		    READ_STEP;
		snprintf(lo, sizeof(lo), "%zu", q->list.elements);
		snprintf(hi, sizeof(hi), "%zu", q->list.elements + want - 1);
		const char *argv[] = { "LRANGE", QUEUE, lo, hi };
		redisReply *x = redis_cmd(&app->redis, 4, argv, NULL);
		if (x == NULL || x->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(x);
			return -1;
		}
		q->piece[q->npieces++] = x;
		for (size_t i = 0; i < x->elements; i++)
			q->list.element[q->list.elements++] = x->element[i];
		if (x->elements < want)
			break;
	}
	return 0;
}

/* One batch: 1 moved and more may follow, 0 queue empty, -1 stop. *moved += entries. */
static int
flush_batch(struct app *app, long *moved)
{
	struct entries q;
	if (entries_read(app, &q) < 0) {
		entries_free(&q);
		return -1;
	}
	const redisReply *list = &q.list;
	if (list->elements == 0) {
		entries_free(&q);
		return 0;
	}
	struct batch b;
	struct note note = { NULL, 0 };
	memset(&b, 0, sizeof(b));
	int rc = -1;
	PGresult *res = NULL;
	size_t count = batch_count(app, list, &note);
	if (count == 0 || batch_build(&b, list, count) < 0)
		goto out;
	if (b.nrows > 0) {
		struct db *db = &app->db;
		const char *p[2] = { b.orgs, b.events };
		if (db_begin(db, NULL, NULL) == DB_OK)
			res = db_exec_commit(db, &record_stmt, p);
		if (res == NULL) {
			log_msg(LOG_WARN, "views stay queued in Redis: PostgreSQL did not take them (%s)",
			    db->msg);
			goto out;
		}
	}
	if (trim(app, list, count, &b, res, &note) < 0)
		goto out;
	*moved += (long)count;
	rc = count == BATCH || count < list->elements ? 1 : 0;   /* more behind it */
out:
	PQclear(res);
	batch_free(&b);
	free(note.s);
	entries_free(&q);
	return rc;
}

/* hold_ms: how long the lock stays after the flush (0: released at once). */
static long
flush(struct app *app, long hold_ms)
{
	char token[17], hold[24];
	rcache_new_version(token);
	const char *lock[] = { "SET", LOCK, token, "NX", "PX", "60000" };
	redisReply *x = redis_cmd(&app->redis, 6, lock, NULL);
	bool mine = x && x->type == REDIS_REPLY_STATUS;
	freeReplyObject(x);
	if (!mine)
		return -1;
	long moved = 0;
	int rc = 1;
	for (int round = 0; round < MAX_ROUNDS && rc == 1; round++)
		rc = flush_batch(app, &moved);
	snprintf(hold, sizeof(hold), "%ld", hold_ms);
	const char *rel[] = { "EVAL", release_lua, "1", LOCK, token, hold };
	freeReplyObject(redis_cmd(&app->redis, 6, rel, NULL));
	return rc < 0 ? -1 : moved;
}

void
views_flush_due(struct app *app)
{
	uint64_t now = util_now_us();
	if (now < app->views_next_us)
		return;
	app->views_next_us = now + (uint64_t)app->cfg->views_flush_ms * 1000u;
	if (app->db.in_tx || redis_ensure(&app->redis) < 0)
		return;
	/* a batch is thousands of small blocks (hiredis' reply): give the pages back, so a
	 * worker's memory stays flat instead of keeping its largest batch for good */
	if (flush(app, app->cfg->views_flush_ms) > BATCH / 10)
		malloc_trim(0);
}

long
views_flush_now(struct app *app)
{
	return flush(app, 0);
}
