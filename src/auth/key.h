/* key.h — the 32-byte secret keys of docs/security.md: the cluster key (unit-to-unit
 * calls, src/auth/unitmsg.h, and heartbeats, src/cluster/hbmsg.h; a file of mode 0600 on
 * every unit) and the token key (session tokens, src/auth/token.h; kept in the CRD global
 * region). Both are random bytes from libsodium; on disk and in JSON they are 64 lowercase
 * hex digits.
 *
 *     struct auth_key k;
 *     auth_key_generate(&k);
 *     auth_key_write_file("/etc/secluster/cluster.key", &k, &err);   // O_EXCL, mode 0600
 *     auth_key_read_file("/etc/secluster/cluster.key", &k, &err);    // refuses mode & 077
 *     auth_key_wipe(&k);
 *
 * Key bytes never appear in a message of struct sec_err or a log line. auth_init() must
 * have succeeded once before any function of src/auth (each calls it lazily, too). */
#ifndef SEC_AUTH_KEY_H
#define SEC_AUTH_KEY_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

#define AUTH_KEY_BYTES 32
#define AUTH_KEY_HEX (2 * AUTH_KEY_BYTES) /* hex digits, without the NUL */

struct auth_key {
	uint8_t b[AUTH_KEY_BYTES];
};

/* Initialises libsodium (idempotent, thread-safe). Returns 0, or -EIO when libsodium
 * cannot initialise (no entropy source). */
int auth_init(void);

/* Fills k with 32 random bytes (libsodium randombytes). Returns 0 or -EIO (auth_init). */
int auth_key_generate(struct auth_key *k);

/* Writes k as 64 lowercase hex digits and a NUL into hex[AUTH_KEY_HEX + 1]. */
void auth_key_to_hex(const struct auth_key *k, char hex[AUTH_KEY_HEX + 1]);

/* Parses exactly 64 hex digits (either case; nothing else) into *ret (written only on
 * success). Returns 0 or -EINVAL. */
int auth_key_from_hex(const char *hex, struct auth_key *ret);

/* Reads a key file: 64 hex digits, optionally followed by one "\n". Refuses a file that is
 * not a regular file (-EINVAL) or whose mode grants any access to group or others
 * (-EPERM, message names the path and the mode). Other errors: -errno of open/read,
 * -EINVAL for the content (message names the path, never the bytes). */
int auth_key_read_file(const char *path, struct auth_key *ret, struct sec_err *reterr);

/* Creates path (O_CREAT|O_EXCL, mode 0600, fsync) holding k as hex and "\n". Returns 0,
 * -EEXIST when the file exists, or -errno (message names the path). */
int auth_key_write_file(const char *path, const struct auth_key *k, struct sec_err *reterr);

/* Zeroes k (sodium_memzero, not optimised away). NULL is accepted. */
void auth_key_wipe(struct auth_key *k);

#endif
