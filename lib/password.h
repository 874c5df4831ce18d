/* password.h — password hashing: Argon2id for every new hash; bcrypt hashes imported from
 * the original system still verify (and are re-hashed at the next login). */
#ifndef WEBIX_PASSWORD_H
#define WEBIX_PASSWORD_H
#include <stdbool.h>
#include <stddef.h>

#define PASSWORD_MIN_BYTES 6
#define PASSWORD_MAX_BYTES 1024
#define PASSWORD_HASH_MAX  192

/* Argon2id (m = 19 MiB, t = 2, p = 1) encoded hash into out (PASSWORD_HASH_MAX). 0 or -1. */
int  password_hash(const char *pw, size_t len, char *out, size_t outsz);
/*
 * Verify pw against an encoded hash ($argon2id$… or $2a$/$2b$/$2y$ bcrypt). hash NULL means
 * "no such user": the same work is done against a dummy hash and false is returned.
 */
bool password_verify(const char *hash, const char *pw, size_t len);
/* true when the hash is not Argon2id with at least our parameters. */
bool password_needs_rehash(const char *hash);
#endif
