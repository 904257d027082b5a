/* token.h — session tokens for people (issue 3 "API and CLI"; architecture.md §4;
 * docs/security.md).
 *
 * A login on any MU returns a token that every MU checks on its own: no master, no CRD
 * write. The token is signed with the token key (struct auth_key, 32 random bytes kept in
 * the CRD global region; every MU reads it from there) and carries the account name, the
 * roles bitmask, the issuing MU's unit id, the issue time and expiry, and a random id:
 *
 *     token   = base64url(payload) "." base64url(tag)           (no padding, RFC 4648 §5)
 *     payload = version u8 (1) | roles u32 | unit u32 | issued_s u64 | expires_s u64 |
 *               id[16] | name_len u8 | name[name_len]             (little-endian)
 *     tag     = HMAC-SHA-512/256(token key, payload)           (libsodium crypto_auth)
 *
 * Times are CLOCK_REALTIME seconds (src/lib/clock.h clock_wall_ns()). Wall time is the
 * only option here — the issuing and the checking MU share no other clock — so the expiry
 * check uses the *checking* MU's wall clock: a token is expired when
 * now >= expires_s + skew_s, with skew_s the configured allowance for clock skew between
 * MUs (AUTH_TOKEN_SKEW_DEFAULT_S). The issue time is carried for audit and display and is
 * not checked. Units never use wall clocks to authenticate each other (unitmsg.h, hbmsg.h).
 *
 * Key rotation: auth_token_verify() takes a list of keys (current first, then previous
 * ones) and returns which one matched; tokens signed with a retired key stay valid until
 * that key leaves the list.
 *
 *     char tok[AUTH_TOKEN_MAX];
 *     auth_token_issue(&key, "admin", AUTH_ROLE_ADMIN, 1, 8 * 3600, NULL, tok, sizeof(tok));
 *     struct auth_token_claims c;
 *     int r = auth_token_verify(tok, keys, 2, AUTH_TOKEN_SKEW_DEFAULT_S, &c);
 *     if (r < 0) -> 401 with auth_token_strerror(r)
 *
 * Signature checks are constant time (crypto_auth_verify). Tokens are bearer secrets: they
 * never appear in a log line or on a command line (docs/security.md). */
#ifndef SEC_AUTH_TOKEN_H
#define SEC_AUTH_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "auth/key.h"

#define AUTH_TOKEN_VERSION 1
#define AUTH_TOKEN_MAX 256            /* bytes of the longest token with its NUL */
#define AUTH_ACCOUNT_MAX 64           /* bytes of an account name, without the NUL */
#define AUTH_TOKEN_ID_BYTES 16
#define AUTH_TOKEN_SKEW_DEFAULT_S 60  /* default clock-skew allowance, seconds */

/* Roles bitmask (the accounts issue defines the roles; these are the first). */
#define AUTH_ROLE_ADMIN    (1u << 0)
#define AUTH_ROLE_OPERATOR (1u << 1)
#define AUTH_ROLE_READER   (1u << 2)

struct auth_token_claims {
	char account[AUTH_ACCOUNT_MAX + 1]; /* 1..64 bytes, no control characters */
	uint32_t roles;                     /* AUTH_ROLE_* bits */
	uint32_t unit_id;                   /* issuing MU, 1..256 */
	uint64_t issued_s;                  /* CLOCK_REALTIME seconds of the issuing MU */
	uint64_t expires_s;                 /* CLOCK_REALTIME seconds; > issued_s */
	uint8_t id[AUTH_TOKEN_ID_BYTES];    /* random; names the session (logout, audit) */
};

/* Encodes c (every field as given) and signs it with key into buf[size] (NUL-terminated).
 * Returns the token length in bytes, -EINVAL for claims out of range (empty, too long or
 * control characters in the account, unit id 0 or > 256, expires_s <= issued_s),
 * -ENOSPC when size is too small (AUTH_TOKEN_MAX always suffices). */
int auth_token_sign(const struct auth_key *key, const struct auth_token_claims *c, char *buf,
		    size_t size);

/* Issues a token for account with roles, issued by MU unit_id, valid for ttl_s seconds
 * from now (clock_wall_ns()), with a random id; the claims are also written to ret_claims
 * when not NULL. Returns the token length, or the errors of auth_token_sign(), -EINVAL for
 * ttl_s 0, -EIO when libsodium cannot initialise. */
int auth_token_issue(const struct auth_key *key, const char *account, uint32_t roles,
		     uint32_t unit_id, uint64_t ttl_s, struct auth_token_claims *ret_claims,
		     char *buf, size_t size);

/* Checks token (NUL-terminated) against keys[0..nkeys-1] (current key first) and the
 * checking MU's wall clock with skew_s seconds of allowance. On success writes the claims
 * to ret (may be NULL) and returns the index of the key that matched (0 = current).
 * Errors, checked in this order:
 *   -EBADMSG      malformed: not two base64url parts, longer than AUTH_TOKEN_MAX - 1,
 *                 wrong lengths, or claims out of range
 *   -EPROTO       unknown version byte
 *   -EKEYREJECTED the tag matches none of the keys (also nkeys == 0)
 *   -EKEYEXPIRED  now >= expires_s + skew_s
 * Only the version byte and the lengths are read before the tag matches. */
int auth_token_verify(const char *token, const struct auth_key *keys, size_t nkeys,
		      uint64_t skew_s, struct auth_token_claims *ret);

/* A reason for people: "malformed token", "unknown token version", "invalid token
 * signature", "token expired"; "invalid token" for any other value. Static strings. */
const char *auth_token_strerror(int err);

#endif
