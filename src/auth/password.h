/* password.h — passwords of people's accounts (issue 3 "API and CLI"; architecture.md §4:
 * "Passwords are hashed with libsodium (argon2id)"; docs/security.md).
 *
 * A password is hashed once, when it is set, into a self-describing argon2id string
 * ("$argon2id$v=19$m=...,t=...,p=1$salt$hash", at most AUTH_PASSWORD_HASH_MAX bytes with
 * its NUL), stored with the account; a login verifies against that string. The cost is
 * libsodium's INTERACTIVE limits (64 MiB, 2 passes) by default; tests set MIN with
 * auth_password_set_limits() to stay fast. Verification reads the cost from the string, so
 * hashes made with other limits keep verifying.
 *
 *     if (auth_password_check_policy("admin", pw, &err) < 0) -> show err.msg
 *     char hash[AUTH_PASSWORD_HASH_MAX];
 *     auth_password_hash(pw, hash);
 *     auth_password_verify(hash, pw) == 0
 *
 * `sectl cluster init --password-file FILE` reads the password with
 * auth_password_read_file(). No function here logs, and no message of struct sec_err
 * contains a password; callers wipe their password buffers with auth_password_wipe(). */
#ifndef SEC_AUTH_PASSWORD_H
#define SEC_AUTH_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/err.h"

#define AUTH_PASSWORD_HASH_MAX 128 /* == crypto_pwhash_STRBYTES (checked in password.c) */
#define AUTH_PASSWORD_MIN 8        /* bytes */
#define AUTH_PASSWORD_MAX 1024     /* bytes, without the NUL */

enum auth_pwhash_limits {
	AUTH_PWHASH_INTERACTIVE = 0, /* default: crypto_pwhash_*_INTERACTIVE */
	AUTH_PWHASH_MODERATE,        /* crypto_pwhash_*_MODERATE (256 MiB) */
	AUTH_PWHASH_MIN,             /* crypto_pwhash_*_MIN: tests only */
	AUTH_PWHASH_LIMITS_MAX
};

/* Sets the cost of later auth_password_hash() calls, process-wide (atomic). */
void auth_password_set_limits(enum auth_pwhash_limits l);

/* Hashes password (NUL-terminated, 1..AUTH_PASSWORD_MAX bytes) with argon2id and a random
 * salt into ret_hash[AUTH_PASSWORD_HASH_MAX] (NUL-terminated). Returns 0, -EINVAL for an
 * empty or too long password, -ENOMEM when argon2 cannot get its memory, -EIO when
 * libsodium cannot initialise. Does not check the policy. */
int auth_password_hash(const char *password, char ret_hash[AUTH_PASSWORD_HASH_MAX]);

/* Verifies password against a string of auth_password_hash(). Constant time in the
 * password's content. Returns 0 on a match, -EACCES on a mismatch (also for an empty or
 * too long password), -EINVAL when hash is not an argon2id string of libsodium. */
int auth_password_verify(const char *hash, const char *password);

/* True when hash was made with other limits than the current ones (rehash at the next
 * successful login), or is not a valid argon2id string. */
bool auth_password_needs_rehash(const char *hash);

/* The password policy of a new password for account `account`: at least
 * AUTH_PASSWORD_MIN bytes, at most AUTH_PASSWORD_MAX, no control characters, and not the
 * account name (compared ignoring ASCII case), not one character repeated, not one of the
 * most common passwords of public breach lists ("password", "12345678", ...). Returns 0, or -EINVAL with a message naming
 * the rule ("password is shorter than 8 characters", "password equals the account name",
 * "password contains a control character", ...); neither the password nor the account
 * name (which the password may equal) is in the message. */
int auth_password_check_policy(const char *account, const char *password, struct sec_err *reterr);

/* Reads a password from fd: the first line, without "\n" (and without a "\r" before it),
 * into buf[size] (NUL-terminated). Reads until a newline or end of file; bytes after the
 * first newline are ignored (not consumed from a pipe beyond the read buffer's reach).
 * Returns the password length in bytes, -ENODATA for an empty first line or empty input,
 * -E2BIG when the line does not fit into buf (size - 1 bytes), -EINVAL for a NUL byte in
 * the line or size < 2, or -errno of read(). `what` names the source in messages
 * ("password file '/x'", "standard input"). buf is wiped on failure. */
int auth_password_read_fd(int fd, const char *what, char *buf, size_t size,
			  struct sec_err *reterr);

/* auth_password_read_fd() of the file at path (opened O_RDONLY|O_CLOEXEC); also -errno of
 * open(). Messages name the path. */
int auth_password_read_file(const char *path, char *buf, size_t size, struct sec_err *reterr);

/* Zeroes buf[size] (sodium_memzero). NULL is accepted. */
void auth_password_wipe(char *buf, size_t size);

#endif
