/* password.c — Argon2id via libargon2, bcrypt verification via libxcrypt's crypt_r. */
#include "password.h"
#include "util.h"
#include <argon2.h>
#include <crypt.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARGON_T 2
#define ARGON_M 19456   /* KiB = 19 MiB */
#define ARGON_P 1
#define SALT_LEN 16
#define HASH_LEN 32

int
password_hash(const char *pw, size_t len, char *out, size_t outsz)
{
	unsigned char salt[SALT_LEN];
	if (util_random(salt, sizeof(salt)) < 0)
		return -1;
	int rc = argon2id_hash_encoded(ARGON_T, ARGON_M, ARGON_P, pw, len, salt, sizeof(salt),
	    HASH_LEN, out, outsz);
	return rc == ARGON2_OK ? 0 : -1;
}

static const char *
dummy_hash(void)
{
	/* computed once per process, so unknown emails cost the same as known ones */
	static char h[PASSWORD_HASH_MAX];
	if (h[0] == '\0' && password_hash("webix-dummy-password", 20, h, sizeof(h)) < 0)
		h[0] = '\0';
	return h;
}

static bool
is_bcrypt(const char *h)
{
	return strncmp(h, "$2a$", 4) == 0 || strncmp(h, "$2b$", 4) == 0 ||
	    strncmp(h, "$2y$", 4) == 0;
}

static bool
bcrypt_verify(const char *hash, const char *pw, size_t len)
{
	/* crypt_r needs a NUL-terminated password; bcrypt ignores bytes past 72 anyway */
	char buf[PASSWORD_MAX_BYTES + 1];
	if (len > PASSWORD_MAX_BYTES || memchr(pw, '\0', len) != NULL)
		return false;
	memcpy(buf, pw, len);
	buf[len] = '\0';
	struct crypt_data *cd = calloc(1, sizeof(*cd)); /* 32 KB: keep it off the stack */
	if (cd == NULL)
		return false;
	const char *out = crypt_r(buf, hash, cd);
	bool ok = out != NULL && out[0] != '*' && strlen(out) == strlen(hash) &&
	    CRYPTO_memcmp(out, hash, strlen(hash)) == 0;
	OPENSSL_cleanse(buf, sizeof(buf));
	free(cd);
	return ok;
}

bool
password_verify(const char *hash, const char *pw, size_t len)
{
	if (hash == NULL || hash[0] == '\0') {
		const char *d = dummy_hash();
		if (d[0])
			(void)argon2id_verify(d, pw, len);
		return false;
	}
	if (strncmp(hash, "$argon2id$", 10) == 0)
		return argon2id_verify(hash, pw, len) == ARGON2_OK;
	if (is_bcrypt(hash))
		return bcrypt_verify(hash, pw, len);
	return false;
}

bool
password_needs_rehash(const char *hash)
{
	unsigned m = 0, t = 0, p = 0;
	if (strncmp(hash, "$argon2id$v=19$", 15) != 0)
		return true;
	if (sscanf(hash + 15, "m=%u,t=%u,p=%u", &m, &t, &p) != 3)
		return true;
	return m < ARGON_M || t < ARGON_T || p < ARGON_P;
}
