/* s3store.h — the S3-compatible media store (MEDIA_STORE=s3): an object is sent with a
 * libcurl PUT signed with AWS Signature Version 4, its payload hash the SHA-256 computed
 * while the upload was received. */
#ifndef WEBIX_S3STORE_H
#define WEBIX_S3STORE_H
#include "settings.h"

/*
 * Store size bytes read from fd (from offset 0) as object `key` of S3_BUCKET, with
 * Content-Type `mime` and a one-year immutable Cache-Control. A signed HEAD comes first:
 * an object already there is not sent again (keys are content hashes).
 * 1 stored, 0 already there, -1 failed (logged).
 */
int s3_store(const struct config *, int fd, long long size, const char *sha256_hex,
    const char *key, const char *mime);

/* The public URL of object `key`: S3_PUBLIC_URL (or S3_ENDPOINT/S3_BUCKET) + "/" + key,
 * written into out; 0, or -1 when it does not fit. */
int s3_public_url(const struct config *, const char *key, char *out, size_t outsz);
#endif
