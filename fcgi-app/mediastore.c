/* mediastore.c — the temporary file of an upload, its hash, and the local media store. */
#include "mediastore.h"
#include "log.h"
#include "util.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* mkdir with exactly this mode (whatever the umask); an existing directory is fine. */
static int
ensure_dir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) == 0)
		return chmod(path, mode);
	struct stat st;
	if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	if (errno == EEXIST)
		errno = ENOTDIR;
	return -1;
}

void
media_tmp_init(struct media_tmp *t)
{
	memset(t, 0, sizeof(*t));
	t->fd = -1;
}

int
media_tmp_open(struct media_tmp *t, const char *media_dir)
{
	char dir[sizeof(t->path) - 32];
	media_tmp_init(t);
	if (snprintf(dir, sizeof(dir), "%s/.tmp", media_dir) >= (int)sizeof(dir)) {
		log_msg(LOG_ERROR, "MEDIA_DIR is too long: %s", media_dir);
		return -1;
	}
	if (ensure_dir(media_dir, 0755) < 0 || ensure_dir(dir, 0700) < 0) {
		log_errno(LOG_ERROR, "media: cannot create %s", dir);
		return -1;
	}
	t->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (t->fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		snprintf(t->path, sizeof(t->path), "%s/upload-XXXXXX", dir);
		t->fd = mkostemp(t->path, O_CLOEXEC);
		if (t->fd < 0)
			t->path[0] = '\0';
	}
	if (t->fd < 0) {
		log_errno(LOG_ERROR, "media: cannot create a temporary file in %s", dir);
		return -1;
	}
	t->sha = EVP_MD_CTX_new();
	if (t->sha == NULL || EVP_DigestInit_ex(t->sha, EVP_sha256(), NULL) != 1) {
		log_msg(LOG_ERROR, "media: cannot start a SHA-256 digest");
		return -1;
	}
	return 0;
}

int
media_tmp_write(struct media_tmp *t, const void *p, size_t n)
{
	if (EVP_DigestUpdate(t->sha, p, n) != 1) {
		log_msg(LOG_ERROR, "media: SHA-256 update failed");
		return -1;
	}
	const char *s = p;
	size_t done = 0;
	while (done < n) {
		ssize_t w = write(t->fd, s + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			log_errno(LOG_ERROR, "media: cannot write the temporary file");
			return -1;
		}
		done += (size_t)w;
	}
	t->size += (long long)n;
	return 0;
}

int
media_tmp_restart(struct media_tmp *t)
{
	if (ftruncate(t->fd, 0) < 0 || lseek(t->fd, 0, SEEK_SET) < 0) {
		log_errno(LOG_ERROR, "media: cannot empty the temporary file");
		return -1;
	}
	if (EVP_DigestInit_ex(t->sha, EVP_sha256(), NULL) != 1) {
		log_msg(LOG_ERROR, "media: cannot restart the SHA-256 digest");
		return -1;
	}
	t->size = 0;
	return 0;
}

int
media_tmp_digest(struct media_tmp *t, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	if (EVP_DigestFinal_ex(t->sha, md, &len) != 1 || len != 32) {
		log_msg(LOG_ERROR, "media: SHA-256 final failed");
		return -1;
	}
	util_hex(md, len, hex);
	return 0;
}

/* fsync a directory, so that a new entry in it survives a crash. */
static void
sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		log_errno(LOG_WARN, "media: cannot sync %s", dir);
	if (fd >= 0)
		close(fd);
}

int
media_tmp_store_local(struct media_tmp *t, const char *media_dir, const char *org_id,
    const char *name)
{
	char dir[4096], dest[4096], self[64];
	if (snprintf(dir, sizeof(dir), "%s/%s", media_dir, org_id) >= (int)sizeof(dir) ||
	    snprintf(dest, sizeof(dest), "%s/%s", dir, name) >= (int)sizeof(dest)) {
		log_msg(LOG_ERROR, "media: path too long under %s", media_dir);
		return -1;
	}
	if (ensure_dir(dir, 0755) < 0) {
		log_errno(LOG_ERROR, "media: cannot create %s", dir);
		return -1;
	}
	if (fchmod(t->fd, 0644) < 0 || fdatasync(t->fd) < 0) {
		log_errno(LOG_ERROR, "media: cannot finish the temporary file");
		return -1;
	}
	/* link, unlike rename, never replaces: the first copy of a content stays */
	int rc;
	if (t->path[0] == '\0') {
		snprintf(self, sizeof(self), "/proc/self/fd/%d", t->fd);
		rc = linkat(AT_FDCWD, self, AT_FDCWD, dest, AT_SYMLINK_FOLLOW);
	} else
		rc = link(t->path, dest);
	if (rc < 0 && errno == EEXIST)
		return 0;
	if (rc < 0) {
		log_errno(LOG_ERROR, "media: cannot store %s", dest);
		return -1;
	}
	sync_dir(dir);
	return 1;
}

void
media_tmp_close(struct media_tmp *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	if (t->path[0] != '\0' && unlink(t->path) < 0 && errno != ENOENT)
		log_errno(LOG_WARN, "media: cannot remove %s", t->path);
	t->path[0] = '\0';
	EVP_MD_CTX_free(t->sha);
	t->sha = NULL;
}
