/* unitmsg.h — authenticated unit-to-unit calls (architecture.md §4 "Inter-unit calls";
 * issue 3 "API and CLI"; docs/security.md).
 *
 * Every HTTP/JSON call from one unit to another carries two header values:
 *
 *     X-Sec-Unit: <sender unit id>;<sender incarnation, 16 hex digits>;<sequence number>
 *     X-Sec-Auth: <tag, 64 hex digits>
 *
 * tag = HMAC-SHA-512/256 (libsodium crypto_auth_hmacsha512256) with the cluster key over
 * a domain string, the method, the path, BLAKE2b-256 of the body, the sender's unit id,
 * incarnation and sequence number, and the receiver's unit id (strings length-prefixed,
 * integers little-endian; unitmsg.c mac_compute()). The receiver's id is in the tag so that
 * a call to one unit cannot be replayed to another (which has not yet seen that sequence
 * number).
 *
 * No wall clock is involved. Freshness comes from a per-sender high-water mark kept by the
 * receiver: for each sender, the incarnation it runs now and the highest sequence number
 * accepted from it. A call is accepted only when its sequence number is above the mark
 * (a replay or an older, reordered call is refused). Sequence numbers start at 1 in each
 * incarnation and are shared by all receivers of a sender (a receiver sees gaps).
 *
 * A restarted sender is accepted because its incarnation changes (random per start of the
 * unit, as in its CRD alive message, crd.md §4): a call with a new incarnation — after its
 * tag checked — replaces the sender's mark with (new incarnation, its sequence number), and
 * the old incarnation is retired: calls of a retired incarnation (up to
 * AUTH_UNITMSG_RETIRED per sender are remembered) are refused, so an old call captured
 * before the restart cannot be replayed. Where the receiver knows the sender's current
 * incarnation from its CRD slot, it passes it and a call of any other incarnation is
 * refused (the CRD is the authority; a replay of a forgotten old incarnation fails there).
 *
 * Senders issue calls one after the other or retry a refused call with a new sequence
 * number: calls that overtake each other in flight are refused like replays (-ESTALE).
 *
 *     // sender
 *     struct auth_unitmsg_sender s;
 *     auth_unitmsg_sender_init(&s, my_unit, my_incarnation);
 *     char hu[AUTH_UNITMSG_UNIT_HDR_MAX], ha[AUTH_UNITMSG_AUTH_HDR_MAX];
 *     auth_unitmsg_sign(&s, &cluster_key, peer, "POST", "/api/v1/x", body, len, hu, ha);
 *     // receiver (the loop thread owns the table)
 *     struct auth_unitmsg_peers *t = auth_unitmsg_peers_new(my_unit);
 *     int r = auth_unitmsg_accept(t, &cluster_key, method, path, body, len, hu, ha, 0, &from);
 *
 * Not thread-safe: one table per receiving unit, owned by its loop thread. */
#ifndef SEC_AUTH_UNITMSG_H
#define SEC_AUTH_UNITMSG_H

#include <stddef.h>
#include <stdint.h>

#include "auth/key.h"

#define AUTH_UNITMSG_UNIT_HDR "X-Sec-Unit"
#define AUTH_UNITMSG_AUTH_HDR "X-Sec-Auth"
/* "256;" + 16 hex + ";" + 20 digits + NUL */
#define AUTH_UNITMSG_UNIT_HDR_MAX 48
#define AUTH_UNITMSG_AUTH_HDR_MAX 65 /* 64 hex digits and the NUL */
#define AUTH_UNITMSG_RETIRED 8       /* retired incarnations remembered per sender */
#define AUTH_UNITS_MAX 256           /* unit ids are 1..256 (docs/decisions.md) */

struct auth_unitmsg_sender {
	uint32_t unit;        /* 1..256 */
	uint64_t incarnation; /* random per start, != 0 */
	uint64_t seq;         /* last sequence number used; the next call uses seq + 1 */
};

/* The sender and its call, as read from X-Sec-Unit. */
struct auth_unitmsg_from {
	uint32_t unit;
	uint64_t incarnation;
	uint64_t seq;
};

struct auth_unitmsg_peers; /* opaque: the receiver's high-water marks */

/* Initialises a sender for unit (1..256) and incarnation (!= 0). Returns 0 or -EINVAL. */
int auth_unitmsg_sender_init(struct auth_unitmsg_sender *s, uint32_t unit, uint64_t incarnation);

/* Signs one call to unit `to` (1..256): takes the next sequence number of s, writes
 * ret_unit[AUTH_UNITMSG_UNIT_HDR_MAX] and ret_auth[AUTH_UNITMSG_AUTH_HDR_MAX] (the header
 * values, NUL-terminated). method and path are NUL-terminated (method 1..16 bytes, path
 * 1..4096); body may be NULL when len is 0. Returns 0, -EINVAL for an argument out of
 * range, -EOVERFLOW when the sequence number would wrap (restart with a new incarnation),
 * -EIO when libsodium cannot initialise. */
int auth_unitmsg_sign(struct auth_unitmsg_sender *s, const struct auth_key *key, uint32_t to,
		      const char *method, const char *path, const void *body, size_t len,
		      char ret_unit[AUTH_UNITMSG_UNIT_HDR_MAX],
		      char ret_auth[AUTH_UNITMSG_AUTH_HDR_MAX]);

/* Parses an X-Sec-Unit value strictly: decimal unit 1..256 without leading zeros, exactly
 * 16 lowercase hex digits of a non-zero incarnation, decimal sequence number 1..2^64-1
 * without leading zeros. Returns 0 or -EBADMSG. */
int auth_unitmsg_parse_unit(const char *value, struct auth_unitmsg_from *ret);

/* A new table for receiving unit `self` (1..256); every sender starts unknown. Returns NULL
 * when out of memory or self is out of range. */
struct auth_unitmsg_peers *auth_unitmsg_peers_new(uint32_t self);
/* Frees t (NULL accepted); returns NULL. */
struct auth_unitmsg_peers *auth_unitmsg_peers_free(struct auth_unitmsg_peers *t);

/* Checks one received call and, when it is accepted, raises the sender's mark.
 * hdr_unit and hdr_auth are the header values (NULL when absent). slot_incarnation is the
 * sender's current incarnation as its CRD slot shows it, or 0 when not known. On success
 * returns 0 and writes the sender to ret_from (may be NULL). Errors (nothing changes):
 *   -EBADMSG      a header is absent or malformed, or method/path out of range
 *   -EKEYREJECTED the tag does not match (wrong key, tampered method, path, body or
 *                 header, or a call meant for another unit); constant-time comparison
 *   -ESTALE       a replay or an older sequence number of the current incarnation, a
 *                 retired incarnation, or an incarnation other than slot_incarnation
 * The tag is checked before the mark: an unauthenticated call never moves it. */
int auth_unitmsg_accept(struct auth_unitmsg_peers *t, const struct auth_key *key,
			const char *method, const char *path, const void *body, size_t len,
			const char *hdr_unit, const char *hdr_auth, uint64_t slot_incarnation,
			struct auth_unitmsg_from *ret_from);

/* "malformed unit call headers", "invalid unit call signature", "stale or replayed unit
 * call"; "invalid unit call" otherwise. Static strings. */
const char *auth_unitmsg_strerror(int err);

#endif
