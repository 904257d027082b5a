/* hbmsg.h — the UDP heartbeat datagrams of the Cluster Manager (issue 3 "Master MU and the
 * Cluster Manager"; architecture.md §4; status.md §1, §5; docs/security.md).
 *
 * Every hb_interval the Master MU sends each unit a CHALLENGE carrying a fresh random
 * nonce; the unit answers with a REPLY that echoes the nonce and reports its power status,
 * system status, CRD disks status, software version and protocol version range. Both
 * records carry an HMAC (HMAC-SHA-512/256, libsodium crypto_auth) with the cluster key
 * over every byte before it, so the reply proves knowledge of the key *and* of this
 * challenge: no wall clock is involved in authenticating it. The reply's wall time
 * (CLOCK_REALTIME, ms) only feeds the clock-skew WARNING of status.md §5.
 *
 * Records are fixed-width, little-endian (docs/security.md has the byte tables):
 *
 *     header  magic u32 "SEHB" | version u16 | type u16 | length u32 | reserved u32
 *     body    (per type, below)
 *     hmac    32 bytes over header + body
 *     crc     u32 CRC32C over header + body + hmac
 *
 *     CHALLENGE (92 bytes): master unit u32 | reserved u32 | master incarnation u64 |
 *                           seq u64 | nonce[16]
 *     REPLY (140 bytes):    unit u32 | power u8 | system u8 | crd_disks u8 | reserved u8 |
 *                           incarnation u64 | seq u64 (echoed) | nonce[16] (echoed) |
 *                           proto_min u16 | proto_max u16 | reserved u32 | wall_ms u64 |
 *                           sw_version[32] (NUL-padded printable ASCII)
 *
 * The decoders check, in this order and with distinct errors: length (-EMSGSIZE), magic
 * (-EBADMSG), version (-EPROTO), type (-ENOMSG), length for the type (-EMSGSIZE), CRC
 * (-EILSEQ), HMAC (-EKEYREJECTED, constant time), fields (-EINVAL: reserved bytes not
 * zero, a status out of range, unit id outside 1..256, proto_min > proto_max, bad
 * version string). They read only len bytes of buf. A record that decodes re-encodes to
 * the same bytes.
 *
 *     struct hb_challenge c;
 *     hb_challenge_new(&c, my_unit, my_incarnation, ++seq);
 *     uint8_t d[HB_CHALLENGE_SIZE];
 *     hb_challenge_out(&c, &cluster_key, d);          -> sendto()
 *     ...
 *     struct hb_reply rep;
 *     int r = hb_reply_in(buf, n, &cluster_key, &rep);
 *     if (r == 0) r = hb_reply_match(&rep, &c);        -> -ESTALE for an old nonce
 *     hb_counters_count(&counters, r);                 // "dropped and counted"
 *
 * Pure code: no I/O, no clock, no allocation; thread-safe. */
#ifndef SEC_CLUSTER_HBMSG_H
#define SEC_CLUSTER_HBMSG_H

#include <stddef.h>
#include <stdint.h>

#include "auth/key.h"
#include "crd/status.h"

#define HB_MAGIC 0x42484553u /* "SEHB" in little-endian byte order */
#define HB_VERSION 1
#define HB_NONCE_BYTES 16
#define HB_SW_VERSION_BYTES 32
#define HB_HMAC_BYTES 32
#define HB_HEADER_SIZE 16
#define HB_CHALLENGE_SIZE 92
#define HB_REPLY_SIZE 140
#define HB_SIZE_MAX HB_REPLY_SIZE

enum hb_type {
	HB_CHALLENGE = 1,
	HB_REPLY = 2,
	HB_TYPE_MAX
};

/* Power status of status.md §1 as the unit reports it. */
enum hb_power {
	HB_POWER_ON = 0,
	HB_POWER_OFF,
	HB_POWER_UNKNOWN,
	HB_POWER_MAX
};

/* System status of status.md §1. */
enum hb_system {
	HB_SYSTEM_RUNNING = 0,
	HB_SYSTEM_DOWN,
	HB_SYSTEM_UNKNOWN,
	HB_SYSTEM_MAX
};

struct hb_challenge {
	uint32_t master_unit;        /* 1..256 */
	uint64_t master_incarnation;
	uint64_t seq;                /* the master's challenge counter */
	uint8_t nonce[HB_NONCE_BYTES];
};

struct hb_reply {
	uint32_t unit;                  /* 1..256 */
	uint64_t incarnation;
	uint64_t seq;                   /* echoed from the challenge */
	uint8_t nonce[HB_NONCE_BYTES];  /* echoed from the challenge */
	enum hb_power power;
	enum hb_system system;
	enum crd_unit_status crd_disks; /* the unit's "CRD disks" column (crd/status.h) */
	uint16_t proto_min, proto_max;  /* protocol versions the unit speaks */
	uint64_t wall_ms;               /* CLOCK_REALTIME of the replying unit, ms: skew only */
	char sw_version[HB_SW_VERSION_BYTES + 1]; /* printable ASCII, NUL-terminated */
};

struct hb_msg {
	enum hb_type type;
	union {
		struct hb_challenge challenge;
		struct hb_reply reply;
	};
};

/* "Dropped and counted" (issue 3): what the heartbeat socket did with each datagram. */
struct hb_counters {
	uint64_t accepted;
	uint64_t malformed;       /* length, magic, version, type, CRC or fields */
	uint64_t unauthenticated; /* HMAC mismatch */
	uint64_t stale_nonce;     /* authenticated, but not an answer to the open challenge */
	uint64_t sent;            /* datagrams sent (hbnet.h; hb_counters_count leaves it) */
	uint64_t send_failed;     /* sends that failed (hbnet.h; hb_counters_count leaves it) */
};

/* Fills c with master_unit, master_incarnation, seq and a random nonce (libsodium).
 * Returns 0, -EINVAL for a unit id outside 1..256, -EIO when libsodium cannot start. */
int hb_challenge_new(struct hb_challenge *c, uint32_t master_unit, uint64_t master_incarnation,
		     uint64_t seq);

/* Encodes c into buf[HB_CHALLENGE_SIZE] with its HMAC and CRC. */
void hb_challenge_out(const struct hb_challenge *c, const struct auth_key *key,
		      uint8_t buf[HB_CHALLENGE_SIZE]);
/* Encodes r into buf[HB_REPLY_SIZE]. An sw_version longer than 32 bytes is cut; enum
 * values are written as given (the decoder refuses out-of-range ones). */
void hb_reply_out(const struct hb_reply *r, const struct auth_key *key,
		  uint8_t buf[HB_REPLY_SIZE]);

/* Decode buf[0..len-1]; *ret written only on success. Errors as in the header comment;
 * hb_challenge_in() of a REPLY (and hb_reply_in() of a CHALLENGE) is -ENOMSG. */
int hb_challenge_in(const void *buf, size_t len, const struct auth_key *key,
		    struct hb_challenge *ret);
int hb_reply_in(const void *buf, size_t len, const struct auth_key *key, struct hb_reply *ret);
/* Either type; returns the type (HB_CHALLENGE, HB_REPLY) or the errors above. */
int hb_msg_in(const void *buf, size_t len, const struct auth_key *key, struct hb_msg *ret);

/* Whether r answers the open challenge c: same nonce (constant-time) and seq. Returns 0 or
 * -ESTALE. The master keeps one open challenge per unit; anything else is stale. */
int hb_reply_match(const struct hb_reply *r, const struct hb_challenge *c);

/* Counts one datagram's result (0 or an error of the functions above) in c. */
void hb_counters_count(struct hb_counters *c, int result);

/* A reason for people and debug logs: "datagram size", "bad magic", ...; static. */
const char *hb_strerror(int err);
const char *hb_power_to_string(enum hb_power p);   /* "ON", "OFF", "UNKNOWN"; "?" */
const char *hb_system_to_string(enum hb_system s); /* "RUNNING", "DOWN", "UNKNOWN"; "?" */

#endif
