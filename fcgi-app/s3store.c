/* s3store.c — HEAD and PUT of media objects on an S3-compatible store with libcurl's
 * CURLOPT_AWS_SIGV4; one handle per worker, so connections to the store are reused. */
#include "s3store.h"
#include "log.h"
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define CACHE_CONTROL "Cache-Control: public, max-age=31536000, immutable"

static CURL *curl;   /* one request at a time per worker */

struct upload_src {
	int       fd;
	long long size, off;
};

/* The store's answer body, kept only for the log (first bytes). */
struct reply {
	char   text[512];
	size_t len;
};

static size_t
read_cb(char *buf, size_t size, size_t nitems, void *ctx)
{
	struct upload_src *s = ctx;
	size_t want = size * nitems;
	if ((long long)want > s->size - s->off)
		want = (size_t)(s->size - s->off);
	if (want == 0)
		return 0;
	ssize_t n;
	do
		n = pread(s->fd, buf, want, (off_t)s->off);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return CURL_READFUNC_ABORT;
	s->off += n;
	return (size_t)n;
}

static int
seek_cb(void *ctx, curl_off_t offset, int origin)
{
	struct upload_src *s = ctx;
	if (origin != SEEK_SET || offset < 0 || offset > s->size)
		return CURL_SEEKFUNC_FAIL;
	s->off = offset;
	return CURL_SEEKFUNC_OK;
}

static size_t
write_cb(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct reply *r = ctx;
	size_t n = size * nmemb, room = sizeof(r->text) - 1 - r->len;
	memcpy(r->text + r->len, p, n < room ? n : room);
	r->len += n < room ? n : room;
	r->text[r->len] = '\0';
	return n;
}

static const char *
base_of(const char *url, size_t *len)
{
	*len = strlen(url);
	while (*len > 0 && url[*len - 1] == '/')
		(*len)--;
	return url;
}

int
s3_public_url(const struct config *cfg, const char *key, char *out, size_t outsz)
{
	size_t n;
	int w;
	if (cfg->s3_public_url && *cfg->s3_public_url) {
		const char *b = base_of(cfg->s3_public_url, &n);
		w = snprintf(out, outsz, "%.*s/%s", (int)n, b, key);
	} else {
		const char *b = base_of(cfg->s3_endpoint, &n);
		w = snprintf(out, outsz, "%.*s/%s/%s", (int)n, b, cfg->s3_bucket, key);
	}
	return w > 0 && (size_t)w < outsz ? 0 : -1;
}

/* A signed request for the object's URL with these extra headers; the HTTP status, or -1
 * when no answer came (logged). */
static long
perform(const struct config *cfg, const char *url, struct curl_slist *hdrs, struct reply *rep,
    const char *what)
{
	char sigv4[128], errbuf[CURL_ERROR_SIZE] = "";
	long status = -1;
	snprintf(sigv4, sizeof(sigv4), "aws:amz:%s:s3", cfg->s3_region);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4);
	curl_easy_setopt(curl, CURLOPT_USERNAME, cfg->s3_access_key);
	curl_easy_setopt(curl, CURLOPT_PASSWORD, cfg->s3_secret_key);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 25L);   /* nginx waits 30 s for the answer */
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, rep);
	CURLcode cc = curl_easy_perform(curl);
	if (cc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	else
		log_msg(LOG_ERROR, "media: S3 %s %s failed: %s", what, url,
		    errbuf[0] ? errbuf : curl_easy_strerror(cc));
	/* forget the pointers into this call's stack; the connection stays for the next */
	curl_easy_reset(curl);
	return status;
}

/* Append a header line; on failure the whole list is freed and NULL returned. */
static struct curl_slist *
add_header(struct curl_slist *l, const char *line)
{
	struct curl_slist *n = curl_slist_append(l, line);
	if (n == NULL)
		curl_slist_free_all(l);
	return n;
}

int
s3_store(const struct config *cfg, int fd, long long size, const char *sha256_hex,
    const char *key, const char *mime)
{
	char url[4096], h_sha[128], h_type[160];
	size_t n;
	const char *ep = base_of(cfg->s3_endpoint, &n);
	if (snprintf(url, sizeof(url), "%.*s/%s/%s", (int)n, ep, cfg->s3_bucket, key) >=
	    (int)sizeof(url))
		return -1;
	if (curl == NULL) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
		    (curl = curl_easy_init()) == NULL) {
			log_msg(LOG_ERROR, "media: curl_easy_init failed");
			return -1;
		}
	}

	/* HEAD: is it there already? (403 without s3:ListBucket when it is not) */
	struct reply rep = { .len = 0 };
	struct curl_slist *hdrs = add_header(NULL, "x-amz-content-sha256: " EMPTY_SHA256);
	curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
	long st = hdrs ? perform(cfg, url, hdrs, &rep, "HEAD") : -1;
	curl_slist_free_all(hdrs);
	if (st == 200)
		return 0;
	if (st != 404 && st != 403) {
		if (st > 0)
			log_msg(LOG_ERROR, "media: S3 HEAD %s answered %ld", url, st);
		return -1;
	}

	snprintf(h_sha, sizeof(h_sha), "x-amz-content-sha256: %s", sha256_hex);
	snprintf(h_type, sizeof(h_type), "Content-Type: %s", mime);
	hdrs = add_header(NULL, h_sha);
	hdrs = hdrs ? add_header(hdrs, h_type) : NULL;
	hdrs = hdrs ? add_header(hdrs, CACHE_CONTROL) : NULL;
	if (hdrs == NULL)
		return -1;
	struct upload_src src = { fd, size, 0 };
	rep.len = 0;
	rep.text[0] = '\0';
	curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(curl, CURLOPT_READDATA, &src);
	curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, seek_cb);
	curl_easy_setopt(curl, CURLOPT_SEEKDATA, &src);
	curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)size);
	st = perform(cfg, url, hdrs, &rep, "PUT");
	curl_slist_free_all(hdrs);
	if (st == 200)
		return 1;
	if (st > 0)
		log_msg(LOG_ERROR, "media: S3 PUT %s answered %ld: %.300s", url, st, rep.text);
	return -1;
}
