/* test_token.c — session tokens (src/auth/token.h) and keys (src/auth/key.h): every error,
 * tampering of every byte, expiry on a fake wall clock, key rotation, key files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <endian.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/key.h"
#include "auth/token.h"
#include "lib/clock.h"

#define T0 1700000000ull /* fake wall clock start, seconds */
#define TTL 3600ull

static struct auth_key key, old_key;

static int setup(void **state)
{
	assert_int_equal(auth_init(), 0);
	assert_int_equal(auth_key_generate(&key), 0);
	assert_int_equal(auth_key_generate(&old_key), 0);
	return 0;
}

static int fake_clock(void **state)
{
	clock_fake_enable(T0 * NSEC_PER_SEC);
	return 0;
}

static int real_clock(void **state)
{
	clock_fake_disable();
	return 0;
}

static void test_issue_verify(void **state)
{
	char tok[AUTH_TOKEN_MAX];
	struct auth_token_claims issued, got;
	int n = auth_token_issue(&key, "admin", AUTH_ROLE_ADMIN | AUTH_ROLE_READER, 3, TTL,
				 &issued, tok, sizeof(tok));

	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(tok));
	assert_int_equal(issued.issued_s, T0);
	assert_int_equal(issued.expires_s, T0 + TTL);
	assert_int_equal(auth_token_verify(tok, &key, 1, 0, &got), 0);
	assert_string_equal(got.account, "admin");
	assert_int_equal(got.roles, AUTH_ROLE_ADMIN | AUTH_ROLE_READER);
	assert_int_equal(got.unit_id, 3);
	assert_int_equal(got.issued_s, T0);
	assert_int_equal(got.expires_s, T0 + TTL);
	assert_memory_equal(got.id, issued.id, AUTH_TOKEN_ID_BYTES);
	/* base64url alphabet only, one dot, no padding */
	assert_int_equal(strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."),
			 (size_t)n);
	assert_non_null(strchr(tok, '.'));
	assert_ptr_equal(strchr(tok, '.'), strrchr(tok, '.'));
	/* a random id: two tokens of the same login differ */
	char tok2[AUTH_TOKEN_MAX];
	assert_true(auth_token_issue(&key, "admin", AUTH_ROLE_ADMIN, 3, TTL, NULL, tok2, sizeof(tok2)) > 0);
	assert_string_not_equal(tok, tok2);
	/* the longest account fits AUTH_TOKEN_MAX */
	char name[AUTH_ACCOUNT_MAX + 1];
	memset(name, 'n', AUTH_ACCOUNT_MAX);
	name[AUTH_ACCOUNT_MAX] = '\0';
	assert_true(auth_token_issue(&key, name, ~0u, 256, UINT64_MAX - T0, NULL, tok, sizeof(tok)) > 0);
	assert_int_equal(auth_token_verify(tok, &key, 1, 0, &got), 0);
	assert_string_equal(got.account, name);
}

static void test_sign_errors(void **state)
{
	char tok[AUTH_TOKEN_MAX];
	struct auth_token_claims c = {.account = "admin", .roles = 1, .unit_id = 1,
				      .issued_s = 10, .expires_s = 20};

	assert_true(auth_token_sign(&key, &c, tok, sizeof(tok)) > 0);
	assert_int_equal(auth_token_sign(&key, &c, tok, 20), -ENOSPC);
	c.unit_id = 0;
	assert_int_equal(auth_token_sign(&key, &c, tok, sizeof(tok)), -EINVAL);
	c.unit_id = 257;
	assert_int_equal(auth_token_sign(&key, &c, tok, sizeof(tok)), -EINVAL);
	c.unit_id = 1;
	c.expires_s = 10;
	assert_int_equal(auth_token_sign(&key, &c, tok, sizeof(tok)), -EINVAL);
	c.expires_s = 20;
	c.account[0] = '\0';
	assert_int_equal(auth_token_sign(&key, &c, tok, sizeof(tok)), -EINVAL);
	strcpy(c.account, "a\nb");
	assert_int_equal(auth_token_sign(&key, &c, tok, sizeof(tok)), -EINVAL);
	assert_int_equal(auth_token_issue(&key, "admin", 1, 1, 0, NULL, tok, sizeof(tok)), -EINVAL);
	char big[AUTH_ACCOUNT_MAX + 2];
	memset(big, 'b', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(auth_token_issue(&key, big, 1, 1, TTL, NULL, tok, sizeof(tok)), -EINVAL);
	assert_int_equal(auth_token_issue(&key, "admin", 1, 1, UINT64_MAX, NULL, tok, sizeof(tok)),
			 -EINVAL);
}

/* A token of an arbitrary payload, signed with k (for versions and claims that
 * auth_token_sign() refuses to make). */
static void raw_token(const uint8_t *p, size_t len, const struct auth_key *k, char *out)
{
	uint8_t tag[crypto_auth_BYTES];
	int v = sodium_base64_VARIANT_URLSAFE_NO_PADDING;

	crypto_auth(tag, p, len, k->b);
	sodium_bin2base64(out, AUTH_TOKEN_MAX, p, len, v);
	strcat(out, ".");
	sodium_bin2base64(out + strlen(out), AUTH_TOKEN_MAX - strlen(out), tag, sizeof(tag), v);
}

/* payload of token.h with the given version, name length byte and name */
static size_t payload(uint8_t *p, uint8_t version, uint32_t unit, uint64_t issued,
		      uint64_t expires, uint8_t name_len, const char *name, size_t name_bytes)
{
	uint32_t u = htole32(unit), roles = htole32(1);
	uint64_t i = htole64(issued), e = htole64(expires);

	p[0] = version;
	memcpy(p + 1, &roles, 4);
	memcpy(p + 5, &u, 4);
	memcpy(p + 9, &i, 8);
	memcpy(p + 17, &e, 8);
	memset(p + 25, 0xab, 16);
	p[41] = name_len;
	memcpy(p + 42, name, name_bytes);
	return 42 + name_bytes;
}

static void test_malformed(void **state)
{
	char tok[AUTH_TOKEN_MAX], bad[2 * AUTH_TOKEN_MAX];
	uint8_t p[128];
	static const char *const cases[] = {
		"", ".", "abc", "abc.", ".abc", "a.b.c", "AQ", "AQ.AQ",
		"!!!!.AAAA", "AAAA.!!!!", "AA==.AA==", "AQID BAUG.AAAA",
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (auth_token_verify(cases[i], &key, 1, 0, NULL) != -EBADMSG)
			fail_msg("'%s' is not -EBADMSG", cases[i]);
	assert_true(auth_token_issue(&key, "admin", 1, 1, TTL, NULL, tok, sizeof(tok)) > 0);
	/* too long as a whole */
	memset(bad, 'A', sizeof(bad) - 1);
	bad[sizeof(bad) - 1] = '\0';
	assert_int_equal(auth_token_verify(bad, &key, 1, 0, NULL), -EBADMSG);
	/* a tag one byte short */
	strcpy(bad, tok);
	bad[strlen(bad) - 2] = '\0';
	assert_int_equal(auth_token_verify(bad, &key, 1, 0, NULL), -EBADMSG);
	/* correctly signed, but the name length byte does not match the payload */
	raw_token(p, payload(p, 1, 1, T0, T0 + TTL, 6, "admin", 5), &key, bad);
	assert_int_equal(auth_token_verify(bad, &key, 1, 0, NULL), -EBADMSG);
	/* correctly signed, payload shorter than the fixed part */
	raw_token(p, 30, &key, bad);
	assert_int_equal(auth_token_verify(bad, &key, 1, 0, NULL), -EBADMSG);
	/* correctly signed, claims out of range: unit 0, NUL in the name, empty name,
	 * expiry before issue */
	raw_token(p, payload(p, 1, 0, T0, T0 + TTL, 5, "admin", 5), &key, bad);
	assert_int_equal(auth_token_verify(bad, &key, 1, 0, NULL), -EBADMSG);
	raw_token(p, payload(p, 1, 1, T0, T0 + TTL, 5, "ad\0in", 5), &key, bad);
	assert_int_equal(auth_token_verify(bad, &key, 1, 0, NULL), -EBADMSG);
	raw_token(p, payload(p, 1, 1, T0, T0 + TTL, 0, "", 0), &key, bad);
	assert_int_equal(auth_token_verify(bad, &key, 1, 0, NULL), -EBADMSG);
	raw_token(p, payload(p, 1, 1, T0, T0, 5, "admin", 5), &key, bad);
	assert_int_equal(auth_token_verify(bad, &key, 1, 0, NULL), -EBADMSG);
	/* and the well-formed twin of those is accepted */
	raw_token(p, payload(p, 1, 1, T0, T0 + TTL, 5, "admin", 5), &key, bad);
	assert_int_equal(auth_token_verify(bad, &key, 1, 0, NULL), 0);
	assert_string_equal(auth_token_strerror(-EBADMSG), "malformed token");
}

static void test_unknown_version(void **state)
{
	char tok[AUTH_TOKEN_MAX];
	uint8_t p[128];

	raw_token(p, payload(p, 2, 1, T0, T0 + TTL, 5, "admin", 5), &key, tok);
	assert_int_equal(auth_token_verify(tok, &key, 1, 0, NULL), -EPROTO);
	raw_token(p, payload(p, 0, 1, T0, T0 + TTL, 5, "admin", 5), &old_key, tok);
	assert_int_equal(auth_token_verify(tok, &key, 1, 0, NULL), -EPROTO);
	assert_string_equal(auth_token_strerror(-EPROTO), "unknown token version");
}

static void test_bad_signature_and_rotation(void **state)
{
	char tok[AUTH_TOKEN_MAX];
	struct auth_key keys[2] = {key, old_key};
	struct auth_token_claims c;

	assert_true(auth_token_issue(&old_key, "op", AUTH_ROLE_OPERATOR, 2, TTL, NULL, tok,
				     sizeof(tok)) > 0);
	assert_int_equal(auth_token_verify(tok, &key, 1, 0, NULL), -EKEYREJECTED);
	assert_int_equal(auth_token_verify(tok, keys, 0, 0, NULL), -EKEYREJECTED);
	/* current + previous: accepted, index 1 says "signed with the previous key" */
	assert_int_equal(auth_token_verify(tok, keys, 2, 0, &c), 1);
	assert_string_equal(c.account, "op");
	assert_true(auth_token_issue(&key, "op", AUTH_ROLE_OPERATOR, 2, TTL, NULL, tok,
				     sizeof(tok)) > 0);
	assert_int_equal(auth_token_verify(tok, keys, 2, 0, NULL), 0);
	assert_string_equal(auth_token_strerror(-EKEYREJECTED), "invalid token signature");
}

static void test_expiry(void **state)
{
	char tok[AUTH_TOKEN_MAX];

	assert_true(auth_token_issue(&key, "admin", 1, 1, TTL, NULL, tok, sizeof(tok)) > 0);
	clock_fake_advance((TTL - 1) * NSEC_PER_SEC);
	assert_int_equal(auth_token_verify(tok, &key, 1, 0, NULL), 0);
	clock_fake_advance(NSEC_PER_SEC); /* now == expires */
	assert_int_equal(auth_token_verify(tok, &key, 1, 0, NULL), -EKEYEXPIRED);
	/* the skew allowance: valid until expires + skew */
	assert_int_equal(auth_token_verify(tok, &key, 1, 60, NULL), 0);
	clock_fake_advance(59 * NSEC_PER_SEC);
	assert_int_equal(auth_token_verify(tok, &key, 1, 60, NULL), 0);
	clock_fake_advance(NSEC_PER_SEC);
	assert_int_equal(auth_token_verify(tok, &key, 1, 60, NULL), -EKEYEXPIRED);
	/* the check uses the checking MU's wall clock: set it back, valid again */
	clock_fake_jump_wall(-(int64_t)(3600 * NSEC_PER_SEC));
	assert_int_equal(auth_token_verify(tok, &key, 1, 0, NULL), 0);
	assert_int_equal(auth_token_verify(tok, &key, 1, UINT64_MAX, NULL), 0);
	assert_string_equal(auth_token_strerror(-EKEYEXPIRED), "token expired");
	assert_string_equal(auth_token_strerror(-EIO), "invalid token");
}

/* Every byte of a token replaced by every other character (and removed): never accepted,
 * always one of the documented errors. */
static void test_tamper_every_byte(void **state)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/! ";
	char tok[AUTH_TOKEN_MAX], t[AUTH_TOKEN_MAX];
	int n = auth_token_issue(&key, "operator7", AUTH_ROLE_OPERATOR, 9, TTL, NULL, tok, sizeof(tok));
	int counts[4] = {0};

	assert_true(n > 0);
	for (int i = 0; i < n; i++) {
		for (const char *a = alphabet; *a; a++) {
			if (*a == tok[i])
				continue;
			strcpy(t, tok);
			t[i] = *a;
			int r = auth_token_verify(t, &key, 1, 0, NULL);
			if (r != -EBADMSG && r != -EKEYREJECTED && r != -EPROTO)
				fail_msg("byte %d -> '%c': result %d", i, *a, r);
			counts[r == -EBADMSG ? 0 : r == -EKEYREJECTED ? 1 : 2]++;
		}
		strcpy(t, tok);
		memmove(t + i, t + i + 1, (size_t)(n - i));
		assert_true(auth_token_verify(t, &key, 1, 0, NULL) < 0);
		/* cut after byte i */
		strcpy(t, tok);
		t[i] = '\0';
		assert_true(auth_token_verify(t, &key, 1, 0, NULL) < 0);
	}
	/* each kind of refusal was reached */
	assert_true(counts[0] > 0 && counts[1] > 0 && counts[2] > 0);
	assert_int_equal(auth_token_verify(tok, &key, 1, 0, NULL), 0);
}

static char dir[] = "/tmp/test_token.XXXXXX", path[64];

/* removes the key file and its folder, also after a failed assertion */
static int key_files_cleanup(void **state)
{
	if (path[0])
		unlink(path);
	if (dir[sizeof(dir) - 2] != 'X')
		rmdir(dir);
	return 0;
}

static void test_key_hex_and_files(void **state)
{
	char hex[AUTH_KEY_HEX + 1];
	struct auth_key k, back;
	struct sec_err err = {0};

	assert_int_equal(auth_key_generate(&k), 0);
	auth_key_to_hex(&k, hex);
	assert_int_equal(strlen(hex), AUTH_KEY_HEX);
	assert_int_equal(auth_key_from_hex(hex, &back), 0);
	assert_memory_equal(k.b, back.b, AUTH_KEY_BYTES);
	assert_int_equal(auth_key_from_hex("00", &back), -EINVAL);
	hex[5] = 'g';
	assert_int_equal(auth_key_from_hex(hex, &back), -EINVAL);

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cluster.key", dir);
	assert_int_equal(auth_key_write_file(path, &k, &err), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, AUTH_KEY_HEX + 1);
	assert_int_equal(auth_key_write_file(path, &k, &err), -EEXIST);
	memset(&back, 0, sizeof(back));
	assert_int_equal(auth_key_read_file(path, &back, &err), 0);
	assert_memory_equal(k.b, back.b, AUTH_KEY_BYTES);
	/* readable by others: refused, message names the path and mode, never the key */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(auth_key_read_file(path, &back, &err), -EPERM);
	char want[256];
	snprintf(want, sizeof(want), "key file '%s' has mode 0644: group and others must have no "
		 "access (chmod 600)", path);
	assert_string_equal(err.msg, want);
	auth_key_to_hex(&k, hex);
	assert_null(strstr(err.msg, hex));
	/* damaged content */
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(truncate(path, 10), 0);
	assert_int_equal(auth_key_read_file(path, &back, &err), -EINVAL);
	snprintf(want, sizeof(want), "key file '%s' does not hold 64 hex digits", path);
	assert_string_equal(err.msg, want);
	unlink(path);
	assert_int_equal(auth_key_read_file(path, &back, &err), -ENOENT);
	assert_int_equal(auth_key_read_file(dir, &back, &err), -EINVAL); /* not a regular file */
	auth_key_wipe(&k);
	auth_key_wipe(NULL);
	for (int i = 0; i < AUTH_KEY_BYTES; i++)
		assert_int_equal(k.b[i], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_issue_verify, fake_clock, real_clock),
		cmocka_unit_test(test_sign_errors),
		cmocka_unit_test_setup_teardown(test_malformed, fake_clock, real_clock),
		cmocka_unit_test_setup_teardown(test_unknown_version, fake_clock, real_clock),
		cmocka_unit_test_setup_teardown(test_bad_signature_and_rotation, fake_clock, real_clock),
		cmocka_unit_test_setup_teardown(test_expiry, fake_clock, real_clock),
		cmocka_unit_test_setup_teardown(test_tamper_every_byte, fake_clock, real_clock),
		cmocka_unit_test_teardown(test_key_hex_and_files, key_files_cleanup),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
