/* hbmsg.c — heartbeat CHALLENGE and REPLY records and their _in()/_out() conversions
 * (hbmsg.h). Packed structs pin the layout; every multi-byte field is little-endian. */
#include "cluster/hbmsg.h"

#include "lib/crc32c.h"

#include <endian.h>
#include <errno.h>
#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct hb_hdr_wire {
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	uint32_t length;
	uint32_t reserved;
} __attribute__((packed));

struct hb_challenge_wire {
	struct hb_hdr_wire h;
	uint32_t master_unit;
	uint32_t reserved;
	uint64_t master_incarnation;
	uint64_t seq;
	uint8_t nonce[HB_NONCE_BYTES];
	uint8_t hmac[HB_HMAC_BYTES];
	uint32_t crc;
} __attribute__((packed));

struct hb_reply_wire {
	struct hb_hdr_wire h;
	uint32_t unit;
	uint8_t power;
	uint8_t system;
	uint8_t crd_disks;
	uint8_t reserved;
	uint64_t incarnation;
	uint64_t seq;
	uint8_t nonce[HB_NONCE_BYTES];
	uint16_t proto_min;
	uint16_t proto_max;
	uint32_t reserved2;
	uint64_t wall_ms;
	char sw_version[HB_SW_VERSION_BYTES];
	uint8_t hmac[HB_HMAC_BYTES];
	uint32_t crc;
} __attribute__((packed));

_Static_assert(HB_HMAC_BYTES == crypto_auth_BYTES, "hmac size");
_Static_assert(crypto_auth_KEYBYTES == AUTH_KEY_BYTES, "key size");
_Static_assert(sizeof(struct hb_hdr_wire) == HB_HEADER_SIZE, "header size");
_Static_assert(offsetof(struct hb_hdr_wire, version) == 4, "header layout");
_Static_assert(offsetof(struct hb_hdr_wire, type) == 6, "header layout");
_Static_assert(offsetof(struct hb_hdr_wire, length) == 8, "header layout");
_Static_assert(offsetof(struct hb_hdr_wire, reserved) == 12, "header layout");
_Static_assert(offsetof(struct hb_challenge_wire, master_unit) == 16, "challenge layout");
_Static_assert(offsetof(struct hb_challenge_wire, master_incarnation) == 24, "challenge layout");
_Static_assert(offsetof(struct hb_challenge_wire, seq) == 32, "challenge layout");
_Static_assert(offsetof(struct hb_challenge_wire, nonce) == 40, "challenge layout");
_Static_assert(offsetof(struct hb_challenge_wire, hmac) == 56, "challenge layout");
_Static_assert(offsetof(struct hb_challenge_wire, crc) == 88, "challenge layout");
_Static_assert(sizeof(struct hb_challenge_wire) == HB_CHALLENGE_SIZE, "challenge size");
_Static_assert(offsetof(struct hb_reply_wire, unit) == 16, "reply layout");
_Static_assert(offsetof(struct hb_reply_wire, power) == 20, "reply layout");
_Static_assert(offsetof(struct hb_reply_wire, system) == 21, "reply layout");
_Static_assert(offsetof(struct hb_reply_wire, crd_disks) == 22, "reply layout");
_Static_assert(offsetof(struct hb_reply_wire, incarnation) == 24, "reply layout");
_Static_assert(offsetof(struct hb_reply_wire, seq) == 32, "reply layout");
_Static_assert(offsetof(struct hb_reply_wire, nonce) == 40, "reply layout");
_Static_assert(offsetof(struct hb_reply_wire, proto_min) == 56, "reply layout");
_Static_assert(offsetof(struct hb_reply_wire, proto_max) == 58, "reply layout");
_Static_assert(offsetof(struct hb_reply_wire, reserved2) == 60, "reply layout");
_Static_assert(offsetof(struct hb_reply_wire, wall_ms) == 64, "reply layout");
_Static_assert(offsetof(struct hb_reply_wire, sw_version) == 72, "reply layout");
_Static_assert(offsetof(struct hb_reply_wire, hmac) == 104, "reply layout");
_Static_assert(offsetof(struct hb_reply_wire, crc) == 136, "reply layout");
_Static_assert(sizeof(struct hb_reply_wire) == HB_REPLY_SIZE, "reply size");

static size_t type_size(uint16_t type)
{
	return type == HB_CHALLENGE ? HB_CHALLENGE_SIZE : type == HB_REPLY ? HB_REPLY_SIZE : 0;
}

static bool unit_ok(uint32_t u)
{
	return u >= 1 && u <= 256;
}

static void hdr_out(struct hb_hdr_wire *h, enum hb_type type)
{
	h->magic = htole32(HB_MAGIC);
	h->version = htole16(HB_VERSION);
	h->type = htole16((uint16_t)type);
	h->length = htole32((uint32_t)type_size((uint16_t)type));
	h->reserved = 0;
}

/* libsodium's HMAC-SHA-512/256 needs neither randomness nor CPU dispatch: it works even
 * when sodium_init() fails (then only hb_challenge_new() reports -EIO). */
static void sodium_start(void)
{
	if (sodium_init() < 0)
		return;
}

/* hmac over [0, size - 36), crc over [0, size - 4) */
static void seal(uint8_t *buf, size_t size, const struct auth_key *key)
{
	uint32_t crc;

	sodium_start();
	crypto_auth(buf + size - 4 - HB_HMAC_BYTES, buf, size - 4 - HB_HMAC_BYTES, key->b);
	crc = htole32(crc32c(0, buf, size - 4));
	memcpy(buf + size - 4, &crc, 4);
}

/* The shared checks of hbmsg.h's order up to the HMAC. Returns the type or an error. */
static int check(const uint8_t *buf, size_t len, const struct auth_key *key)
{
	struct hb_hdr_wire h;
	uint32_t crc;
	size_t size;

	if (len < HB_HEADER_SIZE)
		return -EMSGSIZE;
	memcpy(&h, buf, sizeof(h));
	if (le32toh(h.magic) != HB_MAGIC)
		return -EBADMSG;
	if (le16toh(h.version) != HB_VERSION)
		return -EPROTO;
	size = type_size(le16toh(h.type));
	if (size == 0)
		return -ENOMSG;
	if (len != size || le32toh(h.length) != size)
		return -EMSGSIZE;
	memcpy(&crc, buf + size - 4, 4);
	if (le32toh(crc) != crc32c(0, buf, size - 4))
		return -EILSEQ;
	sodium_start();
	if (crypto_auth_verify(buf + size - 4 - HB_HMAC_BYTES, buf, size - 4 - HB_HMAC_BYTES,
			       key->b) != 0)
		return -EKEYREJECTED;
	if (h.reserved != 0)
		return -EINVAL;
	return le16toh(h.type);
}

int hb_challenge_new(struct hb_challenge *c, uint32_t master_unit, uint64_t master_incarnation,
		     uint64_t seq)
{
	if (!unit_ok(master_unit))
		return -EINVAL;
	if (sodium_init() < 0)
		return -EIO;
	*c = (struct hb_challenge){.master_unit = master_unit,
				   .master_incarnation = master_incarnation, .seq = seq};
	randombytes_buf(c->nonce, sizeof(c->nonce));
	return 0;
}

void hb_challenge_out(const struct hb_challenge *c, const struct auth_key *key,
		      uint8_t buf[HB_CHALLENGE_SIZE])
{
	struct hb_challenge_wire w;

	memset(&w, 0, sizeof(w));
	hdr_out(&w.h, HB_CHALLENGE);
	w.master_unit = htole32(c->master_unit);
	w.master_incarnation = htole64(c->master_incarnation);
	w.seq = htole64(c->seq);
	memcpy(w.nonce, c->nonce, HB_NONCE_BYTES);
	memcpy(buf, &w, sizeof(w));
	seal(buf, HB_CHALLENGE_SIZE, key);
}

void hb_reply_out(const struct hb_reply *r, const struct auth_key *key, uint8_t buf[HB_REPLY_SIZE])
{
	struct hb_reply_wire w;

	memset(&w, 0, sizeof(w));
	hdr_out(&w.h, HB_REPLY);
	w.unit = htole32(r->unit);
	w.power = (uint8_t)r->power;
	w.system = (uint8_t)r->system;
	w.crd_disks = (uint8_t)r->crd_disks;
	w.incarnation = htole64(r->incarnation);
	w.seq = htole64(r->seq);
	memcpy(w.nonce, r->nonce, HB_NONCE_BYTES);
	w.proto_min = htole16(r->proto_min);
	w.proto_max = htole16(r->proto_max);
	w.wall_ms = htole64(r->wall_ms);
	memcpy(w.sw_version, r->sw_version, strnlen(r->sw_version, HB_SW_VERSION_BYTES));
	memcpy(buf, &w, sizeof(w));
	seal(buf, HB_REPLY_SIZE, key);
}

static int challenge_decode(const uint8_t *buf, struct hb_challenge *ret)
{
	struct hb_challenge_wire w;

	memcpy(&w, buf, sizeof(w));
	if (w.reserved != 0 || !unit_ok(le32toh(w.master_unit)))
		return -EINVAL;
	ret->master_unit = le32toh(w.master_unit);
	ret->master_incarnation = le64toh(w.master_incarnation);
	ret->seq = le64toh(w.seq);
	memcpy(ret->nonce, w.nonce, HB_NONCE_BYTES);
	return 0;
}

/* printable ASCII up to the first NUL, zeros after it */
static bool sw_version_ok(const char *v)
{
	size_t n = strnlen(v, HB_SW_VERSION_BYTES);

	for (size_t i = 0; i < n; i++)
		if (v[i] < 0x20 || v[i] > 0x7e)
			return false;
	for (size_t i = n; i < HB_SW_VERSION_BYTES; i++)
		if (v[i])
			return false;
	return true;
}

static int reply_decode(const uint8_t *buf, struct hb_reply *ret)
{
	struct hb_reply_wire w;

	memcpy(&w, buf, sizeof(w));
	if (w.reserved != 0 || w.reserved2 != 0 || !unit_ok(le32toh(w.unit)) ||
	    w.power >= HB_POWER_MAX || w.system >= HB_SYSTEM_MAX ||
	    w.crd_disks >= CRD_UNIT_STATUS_MAX || le16toh(w.proto_min) > le16toh(w.proto_max) ||
	    !sw_version_ok(w.sw_version))
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	ret->unit = le32toh(w.unit);
	ret->power = (enum hb_power)w.power;
	ret->system = (enum hb_system)w.system;
	ret->crd_disks = (enum crd_unit_status)w.crd_disks;
	ret->incarnation = le64toh(w.incarnation);
	ret->seq = le64toh(w.seq);
	memcpy(ret->nonce, w.nonce, HB_NONCE_BYTES);
	ret->proto_min = le16toh(w.proto_min);
	ret->proto_max = le16toh(w.proto_max);
	ret->wall_ms = le64toh(w.wall_ms);
	memcpy(ret->sw_version, w.sw_version, HB_SW_VERSION_BYTES);
	ret->sw_version[HB_SW_VERSION_BYTES] = '\0';
	return 0;
}

int hb_challenge_in(const void *buf, size_t len, const struct auth_key *key,
		    struct hb_challenge *ret)
{
	struct hb_challenge c;
	int r = check(buf, len, key);

	if (r < 0)
		return r;
	if (r != HB_CHALLENGE)
		return -ENOMSG;
	r = challenge_decode(buf, &c);
	if (r == 0)
		*ret = c;
	return r;
}

int hb_reply_in(const void *buf, size_t len, const struct auth_key *key, struct hb_reply *ret)
{
	struct hb_reply rep;
	int r = check(buf, len, key);

	if (r < 0)
		return r;
	if (r != HB_REPLY)
		return -ENOMSG;
	r = reply_decode(buf, &rep);
	if (r == 0)
		*ret = rep;
	return r;
}

int hb_msg_in(const void *buf, size_t len, const struct auth_key *key, struct hb_msg *ret)
{
	struct hb_msg m;
	int r = check(buf, len, key);

	if (r < 0)
		return r;
	memset(&m, 0, sizeof(m));
	m.type = (enum hb_type)r;
	r = m.type == HB_CHALLENGE ? challenge_decode(buf, &m.challenge) : reply_decode(buf, &m.reply);
	if (r < 0)
		return r;
	*ret = m;
	return (int)m.type;
}

int hb_reply_match(const struct hb_reply *r, const struct hb_challenge *c)
{
	int diff = sodium_memcmp(r->nonce, c->nonce, HB_NONCE_BYTES);

	return diff == 0 && r->seq == c->seq ? 0 : -ESTALE;
}

void hb_counters_count(struct hb_counters *c, int result)
{
	if (result >= 0)
		c->accepted++;
	else if (result == -EKEYREJECTED)
		c->unauthenticated++;
	else if (result == -ESTALE)
		c->stale_nonce++;
	else
		c->malformed++;
}

const char *hb_strerror(int err)
{
	switch (err) {
	case -EMSGSIZE:
		return "datagram size";
	case -EBADMSG:
		return "bad magic";
	case -EPROTO:
		return "unknown heartbeat version";
	case -ENOMSG:
		return "unexpected message type";
	case -EILSEQ:
		return "CRC mismatch";
	case -EKEYREJECTED:
		return "HMAC mismatch (unauthenticated)";
	case -EINVAL:
		return "field out of range";
	case -ESTALE:
		return "stale nonce";
	default:
		return "invalid heartbeat";
	}
}

const char *hb_power_to_string(enum hb_power p)
{
	static const char *const s[HB_POWER_MAX] = {"ON", "OFF", "UNKNOWN"};

	return p >= 0 && p < HB_POWER_MAX ? s[p] : "?";
}

const char *hb_system_to_string(enum hb_system sys)
{
	static const char *const s[HB_SYSTEM_MAX] = {"RUNNING", "DOWN", "UNKNOWN"};

	return sys >= 0 && sys < HB_SYSTEM_MAX ? s[sys] : "?";
}
