/* media.c — POST /api/media/:organizationId: an image, sent as multipart/form-data or as
 * the raw body, streamed through one bounded buffer into a temporary file (its type read
 * from its magic bytes, its size capped, its SHA-256 computed on the way), then stored by
 * content hash in MEDIA_DIR or an S3-compatible bucket, and audited. */
#include "handlers.h"
#include "app.h"
#include "audit.h"
#include "log.h"
#include "mediastore.h"
#include "mediatype.h"
#include "multipart.h"
#include "s3store.h"
#include <ctype.h>
#include <string.h>

#define MEDIA_CHUNK     65536        /* the one buffer a request's body passes through */
#define MULTIPART_SLACK 65536        /* room for part headers and boundaries around a file */
#define DRAIN_MAX       (64LL << 20) /* most bytes read and dropped after a refusal */

static char chunk[MEDIA_CHUNK];      /* a worker serves one request at a time */

/* Why reading the upload stopped (callbacks' stop values are positive). */
enum up_stop { UP_GO = 0, UP_TOO_LARGE, UP_BAD_TYPE, UP_IO };

struct upload {
	struct media_tmp tmp;
	long long        max;                     /* MEDIA_MAX_BYTES */
	unsigned char    magic[MEDIA_MAGIC_LEN];  /* the file's first bytes */
	size_t           nmagic;
	const struct media_type *type;
	/* multipart: the part being kept ("file", else the first with a filename) */
	bool             chosen, chosen_is_file, in_chosen;
};

/* The request body as read so far. */
struct body_in {
	struct req *r;
	long long   got;
};

/* Next piece of the body into chunk: bytes read, 0 at its end. */
static long
body_next(struct body_in *b)
{
	long long left = b->r->content_length < 0 ? (long long)sizeof(chunk) :
	    b->r->content_length - b->got;
	if (left <= 0)
		return 0;
	long n = b->r->read_body(b->r->read_ctx, chunk,
	    left < (long long)sizeof(chunk) ? (size_t)left : sizeof(chunk));
	if (n <= 0)
		return 0;
	b->got += n;
	return n;
}

/* Read and drop what is left of the body before a refusal, so that nginx has sent the
 * whole request when the answer comes. */
static void
body_drain(struct body_in *b)
{
	while (b->got < DRAIN_MAX && body_next(b) > 0)
		;
}

/* The file's next bytes. */
static int
take(struct upload *u, const char *p, size_t n)
{
	if ((long long)n > u->max - u->tmp.size)
		return UP_TOO_LARGE;
	if (u->nmagic < MEDIA_MAGIC_LEN) {
		size_t k = MEDIA_MAGIC_LEN - u->nmagic;
		if (k > n)
			k = n;
		memcpy(u->magic + u->nmagic, p, k);
		u->nmagic += k;
		if (u->nmagic == MEDIA_MAGIC_LEN &&
		    (u->type = media_sniff(u->magic, u->nmagic)) == NULL)
			return UP_BAD_TYPE;
	}
	return media_tmp_write(&u->tmp, p, n) == 0 ? UP_GO : UP_IO;
}

static int
part_begin(void *ctx, const struct mp_part *pt)
{
	struct upload *u = ctx;
	bool is_file = strcmp(pt->name, "file") == 0;
	u->in_chosen = false;
	if (u->chosen_is_file || (u->chosen && !is_file) || (!is_file && !pt->has_filename))
		return UP_GO;
	if (u->chosen) {   /* a part named "file" after another file part: it wins */
		if (media_tmp_restart(&u->tmp) < 0)
			return UP_IO;
		u->nmagic = 0;
		u->type = NULL;
	}
	u->chosen = u->in_chosen = true;
	u->chosen_is_file = is_file;
	return UP_GO;
}

static int
part_data(void *ctx, const char *p, size_t n)
{
	struct upload *u = ctx;
	return u->in_chosen ? take(u, p, n) : UP_GO;
}

static int
part_end(void *ctx)
{
	((struct upload *)ctx)->in_chosen = false;
	return UP_GO;
}

/* Answer a refusal after dropping the rest of the body. */
static int
refuse(struct body_in *b, struct resp *rs, int status, const char *code, const char *msg)
{
	body_drain(b);
	return resp_error(b->r, rs, status, code, msg, NULL);
}

static int
refuse_stop(struct body_in *b, struct resp *rs, int stop, long long max)
{
	switch (stop) {
	case UP_TOO_LARGE:
		return refuse(b, rs, 413, "payload_too_large", arena_printf(&b->r->arena,
		    "File is too large: the limit is %lld bytes", max));
	case UP_BAD_TYPE:
		return refuse(b, rs, 415, "unsupported_media_type", "Unsupported file type: "
		    "only JPEG, PNG, WebP and GIF images are accepted (the type is read from the "
		    "file's content, not its name or Content-Type)");
	default:
		body_drain(b);
		return resp_unavailable(b->r, rs, "Media storage is temporarily unavailable, "
		    "please retry");
	}
}

/* Read the whole body into u. 0, or -1 with the answer given. */
static int
receive(struct body_in *b, struct resp *rs, struct upload *u, const char *boundary)
{
	struct mp_parser mp;
	const struct mp_handler mh = { part_begin, part_data, part_end, u };
	long long cap = u->max + (boundary ? MULTIPART_SLACK : 0);
	long n;
	if (boundary)
		mp_init(&mp, boundary);
	while ((n = body_next(b)) > 0) {
		int stop = b->got > cap ? UP_TOO_LARGE :
		    boundary ? mp_feed(&mp, chunk, (size_t)n, &mh) : take(u, chunk, (size_t)n);
		if (stop < 0)
			return refuse(b, rs, 400, "bad_request", arena_printf(&b->r->arena,
			    "Malformed multipart body: %s", mp.error));
		if (stop > 0)
			return refuse_stop(b, rs, stop, u->max);
	}
	if (b->r->content_length >= 0 && b->got < b->r->content_length)
		return resp_error(b->r, rs, 400, "bad_request",
		    "Request body is shorter than Content-Length", NULL);
	if (boundary && mp_finish(&mp) < 0)
		return resp_error(b->r, rs, 400, "bad_request", arena_printf(&b->r->arena,
		    "Malformed multipart body: %s", mp.error), NULL);
	if (boundary && !u->chosen)
		return resp_error(b->r, rs, 400, "bad_request", "No file uploaded: send the image "
		    "as the multipart field \"file\"", NULL);
	if (u->tmp.size == 0)
		return resp_error(b->r, rs, 400, "bad_request", "No file uploaded: the file is empty",
		    NULL);
	if (u->type == NULL && (u->type = media_sniff(u->magic, u->nmagic)) == NULL)
		return refuse_stop(b, rs, UP_BAD_TYPE, u->max);
	return 0;
}

/* Store the received file as "<org>/<sha>.<ext>"; its URL into url. 0, or -1 answered. */
static int
store(struct req *r, struct resp *rs, struct upload *u, const char *org, const char *sha,
    char *url, size_t urlsz)
{
	const struct config *cfg = r->app->cfg;
	char name[80], key[160];
	snprintf(name, sizeof(name), "%s.%s", sha, u->type->ext);
	snprintf(key, sizeof(key), "%s/%s", org, name);
	int rc;
	if (strcmp(cfg->media_store, "s3") == 0) {
		rc = s3_store(cfg, u->tmp.fd, u->tmp.size, sha, key, u->type->mime);
		if (rc >= 0 && s3_public_url(cfg, key, url, urlsz) < 0)
			rc = -1;
	} else {
		rc = media_tmp_store_local(&u->tmp, cfg->media_dir, org, name);
		snprintf(url, urlsz, "/media/%s", key);
	}
	if (rc < 0)
		return resp_unavailable(r, rs, "Media storage is temporarily unavailable, please retry");
	return 0;
}

/*
 * POST /api/media/:organizationId — 201, 400, 413, 415, 503 (content:write).
 * The access check's verdict is read before the body, so nothing of a caller who may not
 * upload here is stored; the body is then read through one 64 KiB buffer.
 */
int
h_media_upload(struct req *r, struct resp *rs)
{
	const struct config *cfg = r->app->cfg;
	struct db *db = &r->app->db;
	struct body_in b = { r, 0 };
	if (db_flush(db) != DB_OK) {
		body_drain(&b);
		return resp_db_error(r, rs, db);
	}

	char boundary[MP_BOUNDARY_MAX + 1];
	bool multipart = mp_is_multipart(r->content_type);
	if (multipart && mp_boundary(r->content_type, boundary, sizeof(boundary)) < 0)
		return refuse(&b, rs, 400, "bad_request", "multipart uploads must be "
		    "multipart/form-data with a boundary parameter");
	if (r->content_length == 0)
		return resp_error(r, rs, 400, "bad_request", "No file uploaded: the request body is "
		    "empty", NULL);
	if (r->content_length > cfg->media_max_bytes + (multipart ? MULTIPART_SLACK : 0))
		return refuse_stop(&b, rs, UP_TOO_LARGE, cfg->media_max_bytes);

	struct upload u;
	memset(&u, 0, sizeof(u));
	u.max = cfg->media_max_bytes;
	if (media_tmp_open(&u.tmp, cfg->media_dir) < 0) {
		media_tmp_close(&u.tmp);
		return refuse_stop(&b, rs, UP_IO, u.max);
	}
	char sha[65], url[4096];
	if (receive(&b, rs, &u, multipart ? boundary : NULL) < 0 ||
	    media_tmp_digest(&u.tmp, sha) < 0) {
		media_tmp_close(&u.tmp);
		return rs->status ? -1 : resp_unavailable(r, rs, "Media storage is temporarily "
		    "unavailable, please retry");
	}
	/* a path of our own: the organization id in lower case */
	char org[37];
	size_t i;
	for (i = 0; r->org_id[i] && i < sizeof(org) - 1; i++)
		org[i] = (char)tolower((unsigned char)r->org_id[i]);
	org[i] = '\0';
	int rc = store(r, rs, &u, org, sha, url, sizeof(url));
	const char *mime = u.type->mime;
	long long size = u.tmp.size;
	media_tmp_close(&u.tmp);
	if (rc < 0)
		return -1;

	json_object *meta = json_object_new_object();
	json_object_object_add(meta, "url", json_object_new_string(url));
	json_object_object_add(meta, "size", json_object_new_int64(size));
	json_object_object_add(meta, "contentType", json_object_new_string(mime));
	audit_queue(r, r->org_id, r->user_id, "media_uploaded", "media", sha, meta);
	if (db_commit(db) != DB_OK)
		return resp_db_error(r, rs, db);

	json_object *d = json_object_new_object();
	json_object_object_add(d, "url", json_object_new_string(url));
	json_object_object_add(d, "contentType", json_object_new_string(mime));
	json_object_object_add(d, "size", json_object_new_int64(size));
	json_object_object_add(d, "sha256", json_object_new_string(sha));
	resp_header(r, rs, "Location", url);
	resp_ok(rs, 201, "File uploaded successfully", d);
	return 0;
}

void
media_register(void)
{
	audit_register();
}
