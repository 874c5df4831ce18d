/* mediastore.h — an upload on its way to storage: a temporary file under MEDIA_DIR/.tmp
 * (unnamed, O_TMPFILE, so nothing is left behind even if the worker is killed; a named
 * file where the filesystem lacks O_TMPFILE) whose SHA-256 is computed as it is written,
 * and its place in the local store, MEDIA_DIR/<organizationId>/<name>. */
#ifndef WEBIX_MEDIASTORE_H
#define WEBIX_MEDIASTORE_H
#include <openssl/evp.h>

struct media_tmp {
	int         fd;           /* -1 when closed */
	char        path[4096];   /* the named fallback's path; "" for an O_TMPFILE */
	EVP_MD_CTX *sha;
	long long   size;         /* bytes written */
};

/* Make the struct safe to close before anything else. */
void media_tmp_init(struct media_tmp *);
/* Create the temporary file (and MEDIA_DIR, MEDIA_DIR/.tmp when missing). 0, or -1
 * logged with errno. Always media_tmp_close() afterwards. */
int  media_tmp_open(struct media_tmp *, const char *media_dir);
/* Append n bytes and hash them. 0, or -1 logged. */
int  media_tmp_write(struct media_tmp *, const void *p, size_t n);
/* Empty the file and start the hash again. 0, or -1 logged. */
int  media_tmp_restart(struct media_tmp *);
/* Finish the hash: 64 lower-case hex digits and a NUL into hex. 0, or -1 logged. */
int  media_tmp_digest(struct media_tmp *, char hex[65]);
/*
 * Give the file its place, <media_dir>/<org_id>/<name> (mode 0644, the directory 0755),
 * synced to disk, never replacing a file already there. 1 stored, 0 that name was there
 * already (the same content: names are hashes), -1 failed (logged).
 */
int  media_tmp_store_local(struct media_tmp *, const char *media_dir, const char *org_id,
    const char *name);
/* Close and free; the temporary file is gone afterwards. Safe to call twice. */
void media_tmp_close(struct media_tmp *);
#endif
