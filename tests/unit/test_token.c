/*
 * test_token.c — lib/tokencache.c: a token verified once is answered from memory with the
 * same claims; a token differing in any byte, or checked with another key, is verified in
 * full (and refused when forged); the time rules are applied again on every hit (an expired
 * token stays refused even though it was remembered); a collision of slots never answers
 * for the wrong token.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokencache.h"

static const struct token_keys keys = {
	.secret = "unit-access-secret-0123456789abcdef0123456789",
	.refresh_secret = "unit-refresh-secret-0123456789abcdef012345678",
	.issuer = "webix", .audience = "webix-api",
};
static const struct token_keys other = {
	.secret = "another-access-secret-0123456789abcdef01234567",
	.refresh_secret = "unit-refresh-secret-0123456789abcdef012345678",
	.issuer = "webix", .audience = "webix-api",
};

#define NOW ((time_t)1800000000)
#define UID "10c33f40-613e-42b6-a765-bd3fd96f5e8d"
#define SID "3ce53e0d-75e5-4106-97e4-a98eb2438045"

static char *
issue(const struct token_keys *k, const char *uid, time_t at)
{
	char *t = token_issue_access(k, uid, "reader@example.com", "org_user", SID, at);
	ck_assert_ptr_nonnull(t);
	return t;
}

START_TEST(hit_gives_the_same_claims)
{
	tokencache_clear();
	char *t = issue(&keys, UID, NOW);
	struct access_claims a, b;
	ck_assert_int_eq(tokencache_verify(&keys, t, NOW, &a), 0);
	ck_assert_int_eq(tokencache_verify(&keys, t, NOW + 5, &b), 0);
	ck_assert_str_eq(b.user_id, UID);
	ck_assert_str_eq(b.session_id, SID);
	ck_assert_str_eq(b.email, "reader@example.com");
	ck_assert_str_eq(b.role, "org_user");
	ck_assert_int_eq(memcmp(&a, &b, sizeof(a)), 0);
	free(t);
}
END_TEST

/* Every single-byte change of a remembered token: refused, never answered from memory. */
START_TEST(changed_byte_is_verified_again)
{
	tokencache_clear();
	char *t = issue(&keys, UID, NOW);
	struct access_claims c;
	ck_assert_int_eq(tokencache_verify(&keys, t, NOW, &c), 0);
	size_t n = strlen(t);
	for (size_t i = 0; i < n; i++) {
		if (t[i] == '.')
			continue;
		char keep = t[i];
		t[i] = keep == 'A' ? 'B' : 'A';
		/* a change may leave the base64 value the same only in the last character's
		 * unused bits; then the token is the same token, and valid */
		int rc = tokencache_verify(&keys, t, NOW, &c);
		if (rc == 0)
			ck_assert_msg(i == n - 1 || t[i + 1] == '.', "byte %zu changed, still valid", i);
		t[i] = keep;
	}
	ck_assert_int_eq(tokencache_verify(&keys, t, NOW, &c), 0);
	free(t);
}
END_TEST

START_TEST(other_key_is_verified_again)
{
	tokencache_clear();
	char *t = issue(&keys, UID, NOW);
	struct access_claims c;
	ck_assert_int_eq(tokencache_verify(&keys, t, NOW, &c), 0);
	ck_assert_int_eq(tokencache_verify(&other, t, NOW, &c), -1);
	ck_assert_int_eq(tokencache_verify(&keys, t, NOW, &c), 0);
	free(t);
}
END_TEST

START_TEST(expiry_checked_on_every_hit)
{
	tokencache_clear();
	char *t = issue(&keys, UID, NOW);
	struct access_claims c;
	ck_assert_int_eq(tokencache_verify(&keys, t, NOW, &c), 0);
	ck_assert_int_eq(tokencache_verify(&keys, t, NOW + ACCESS_TTL + CLOCK_SKEW - 1, &c), 0);
	ck_assert_int_eq(tokencache_verify(&keys, t, NOW + ACCESS_TTL + CLOCK_SKEW, &c), -1);
	/* a clock gone back before iat (beyond the leeway) refuses it too */
	ck_assert_int_eq(tokencache_verify(&keys, t, NOW - CLOCK_SKEW - 1, &c), -1);
	ck_assert_int_eq(tokencache_verify(&keys, t, NOW, &c), 0);
	free(t);
}
END_TEST

/* More tokens than slots: each answers with its own claims (collisions evict, not mix). */
START_TEST(many_tokens_keep_their_own_claims)
{
	tokencache_clear();
	enum { N = 600 };
	char *t[N];
	char uid[N][37];
	for (int i = 0; i < N; i++) {
		snprintf(uid[i], sizeof(uid[i]), "10c33f40-613e-42b6-a765-%012d", i);
		t[i] = issue(&keys, uid[i], NOW);
	}
	struct access_claims c;
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < N; i++) {
			ck_assert_int_eq(tokencache_verify(&keys, t[i], NOW, &c), 0);
			ck_assert_str_eq(c.user_id, uid[i]);
		}
	for (int i = 0; i < N; i++)
		free(t[i]);
}
END_TEST

START_TEST(garbage_refused)
{
	tokencache_clear();
	struct access_claims c;
	ck_assert_int_eq(tokencache_verify(&keys, "", NOW, &c), -1);
	ck_assert_int_eq(tokencache_verify(&keys, "a.b.c", NOW, &c), -1);
	ck_assert_int_eq(tokencache_verify(&keys, "a.b.c", NOW, &c), -1);
	char *big = malloc(TOKEN_MAX_LEN + 2);
	ck_assert_ptr_nonnull(big);
	memset(big, 'a', TOKEN_MAX_LEN + 1);
	big[TOKEN_MAX_LEN + 1] = '\0';
	ck_assert_int_eq(tokencache_verify(&keys, big, NOW, &c), -1);
	free(big);
}
END_TEST

static Suite *
token_suite(void)
{
	Suite *s = suite_create("tokencache");
	TCase *tc = tcase_create("verify");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, hit_gives_the_same_claims);
	tcase_add_test(tc, changed_byte_is_verified_again);
	tcase_add_test(tc, other_key_is_verified_again);
	tcase_add_test(tc, expiry_checked_on_every_hit);
	tcase_add_test(tc, many_tokens_keep_their_own_claims);
	tcase_add_test(tc, garbage_refused);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(token_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
