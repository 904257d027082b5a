/* token.c — signed session tokens (token.h, docs/security.md). */
#include "auth/token.h"

#include "lib/clock.h"

#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <sodium.h>
#include <string.h>
#include <sys/types.h>

/* payload byte offsets */
#define P_VERSION 0
#define P_ROLES 1
#define P_UNIT 5
#define P_ISSUED 9
#define P_EXPIRES 17
#define P_ID 25
#define P_NAME_LEN (P_ID + AUTH_TOKEN_ID_BYTES)
#define P_NAME (P_NAME_LEN + 1)
#define P_MAX (P_NAME + AUTH_ACCOUNT_MAX)
#define TAG_BYTES crypto_auth_BYTES
#define UNITS_MAX 256

_Static_assert(crypto_auth_BYTES == 32 && crypto_auth_KEYBYTES == AUTH_KEY_BYTES, "crypto_auth");
_Static_assert(P_NAME == 42, "token payload layout");

static size_t b64len(size_t n)
{
	return sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING) - 1;
}

_Static_assert(AUTH_TOKEN_MAX >= 4 * P_MAX / 3 + 3 + 1 + 4 * TAG_BYTES / 3 + 3 + 1, "token size");

static bool account_ok(const char *a, size_t len)
{
	if (len == 0 || len > AUTH_ACCOUNT_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)a[i] < 0x20 || a[i] == 0x7f)
			return false;
	return true;
}

static bool claims_ok(const struct auth_token_claims *c)
{
	size_t len = strnlen(c->account, sizeof(c->account));

	return len <= AUTH_ACCOUNT_MAX && account_ok(c->account, len) && c->unit_id >= 1 &&
	       c->unit_id <= UNITS_MAX && c->expires_s > c->issued_s;
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return le32toh(v);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return le64toh(v);
}

int auth_token_sign(const struct auth_key *key, const struct auth_token_claims *c, char *buf,
		    size_t size)
{
	uint8_t p[P_MAX], tag[TAG_BYTES];
	size_t nlen, plen, need;

	if (!claims_ok(c))
		return -EINVAL;
	if (sodium_init() < 0)
		return -EIO;
	nlen = strlen(c->account);
	plen = P_NAME + nlen;
	need = b64len(plen) + 1 + b64len(TAG_BYTES) + 1;
	if (size < need)
		return -ENOSPC;
	p[P_VERSION] = AUTH_TOKEN_VERSION;
	put32(p + P_ROLES, c->roles);
	put32(p + P_UNIT, c->unit_id);
	put64(p + P_ISSUED, c->issued_s);
	put64(p + P_EXPIRES, c->expires_s);
	memcpy(p + P_ID, c->id, AUTH_TOKEN_ID_BYTES);
	p[P_NAME_LEN] = (uint8_t)nlen;
	memcpy(p + P_NAME, c->account, nlen);
	crypto_auth(tag, p, plen, key->b);
	sodium_bin2base64(buf, b64len(plen) + 1, p, plen, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	buf[b64len(plen)] = '.';
	sodium_bin2base64(buf + b64len(plen) + 1, b64len(TAG_BYTES) + 1, tag, TAG_BYTES,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return (int)(need - 1);
}

int auth_token_issue(const struct auth_key *key, const char *account, uint32_t roles,
		     uint32_t unit_id, uint64_t ttl_s, struct auth_token_claims *ret_claims,
		     char *buf, size_t size)
{
	struct auth_token_claims c;
	int r;

	memset(&c, 0, sizeof(c));
	if (ttl_s == 0 || strlen(account) > AUTH_ACCOUNT_MAX)
		return -EINVAL;
	if (sodium_init() < 0)
		return -EIO;
	strcpy(c.account, account);
	c.roles = roles;
	c.unit_id = unit_id;
	c.issued_s = clock_wall_ns() / NSEC_PER_SEC;
	if (__builtin_add_overflow(c.issued_s, ttl_s, &c.expires_s))
		return -EINVAL;
	randombytes_buf(c.id, sizeof(c.id));
	r = auth_token_sign(key, &c, buf, size);
	if (r >= 0 && ret_claims)
		*ret_claims = c;
	return r;
}

/* Strict base64url without padding: the whole part, canonical (libsodium refuses
 * non-zero trailing bits). Returns the decoded length or -1. */
static ssize_t b64_decode(uint8_t *out, size_t cap, const char *s, size_t len)
{
	size_t n = 0;
	const char *end = NULL;

	if (sodium_base642bin(out, cap, s, len, NULL, &n, &end,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 || end != s + len)
		return -1;
	/* canonical: re-encoding gives the same length (no stray characters) */
	if (b64len(n) != len)
		return -1;
	return (ssize_t)n;
}

int auth_token_verify(const char *token, const struct auth_key *keys, size_t nkeys,
		      uint64_t skew_s, struct auth_token_claims *ret)
{
	uint8_t p[P_MAX], tag[TAG_BYTES];
	struct auth_token_claims c;
	size_t len = strnlen(token, AUTH_TOKEN_MAX);
	const char *dot;
	ssize_t plen, tlen;
	int match = -1;

	if (len >= AUTH_TOKEN_MAX)
		return -EBADMSG;
	dot = memchr(token, '.', len);
	if (!dot || memchr(dot + 1, '.', len - (size_t)(dot + 1 - token)))
		return -EBADMSG;
	plen = b64_decode(p, sizeof(p), token, (size_t)(dot - token));
	tlen = b64_decode(tag, sizeof(tag), dot + 1, len - (size_t)(dot + 1 - token));
	if (plen < 1 || tlen != TAG_BYTES)
		return -EBADMSG;
	if (p[P_VERSION] != AUTH_TOKEN_VERSION)
		return -EPROTO;
	if (plen < P_NAME || (size_t)plen != P_NAME + (size_t)p[P_NAME_LEN])
		return -EBADMSG;
	if (sodium_init() < 0)
		return -EIO;
	for (size_t i = 0; i < nkeys; i++) /* every key is tried: time does not tell which */
		if (crypto_auth_verify(tag, p, (size_t)plen, keys[i].b) == 0 && match < 0)
			match = (int)i;
	if (match < 0)
		return -EKEYREJECTED;
	memset(&c, 0, sizeof(c));
	c.roles = get32(p + P_ROLES);
	c.unit_id = get32(p + P_UNIT);
	c.issued_s = get64(p + P_ISSUED);
	c.expires_s = get64(p + P_EXPIRES);
	memcpy(c.id, p + P_ID, AUTH_TOKEN_ID_BYTES);
	memcpy(c.account, p + P_NAME, p[P_NAME_LEN]);
	if (p[P_NAME_LEN] > AUTH_ACCOUNT_MAX || !claims_ok(&c) ||
	    memchr(c.account, '\0', p[P_NAME_LEN]))
		return -EBADMSG;
	uint64_t now = clock_wall_ns() / NSEC_PER_SEC, limit;
	if (__builtin_add_overflow(c.expires_s, skew_s, &limit))
		limit = UINT64_MAX;
	if (now >= limit)
		return -EKEYEXPIRED;
	if (ret)
		*ret = c;
	return match;
}

const char *auth_token_strerror(int err)
{
	switch (err) {
	case -EBADMSG:
		return "malformed token";
	case -EPROTO:
		return "unknown token version";
	case -EKEYREJECTED:
		return "invalid token signature";
	case -EKEYEXPIRED:
		return "token expired";
	default:
		return "invalid token";
	}
}
