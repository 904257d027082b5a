/* unitmsg.c — HMAC of unit-to-unit calls and the receiver's high-water marks (unitmsg.h). */
#include "auth/unitmsg.h"

#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DOMAIN "secluster unit call v1"
#define METHOD_MAX 16
#define PATH_MAX_ 4096
#define TAG_BYTES crypto_auth_hmacsha512256_BYTES

_Static_assert(crypto_auth_hmacsha512256_KEYBYTES == AUTH_KEY_BYTES, "key size");
_Static_assert(AUTH_UNITMSG_AUTH_HDR_MAX == 2 * TAG_BYTES + 1, "tag size");

struct peer {
	bool known;
	uint64_t incarnation;
	uint64_t seq; /* highest accepted */
	uint64_t retired[AUTH_UNITMSG_RETIRED];
	unsigned nretired; /* ring: next write at nretired % AUTH_UNITMSG_RETIRED */
};

struct auth_unitmsg_peers {
	uint32_t self;
	struct peer peer[AUTH_UNITS_MAX + 1]; /* index = unit id */
};

static bool unit_ok(uint32_t u)
{
	return u >= 1 && u <= AUTH_UNITS_MAX;
}

static bool str_ok(const char *s, size_t max)
{
	size_t n;

	if (!s)
		return false;
	n = strnlen(s, max + 1);
	return n >= 1 && n <= max;
}

static void upd_str(crypto_auth_hmacsha512256_state *st, const char *s)
{
	uint32_t n = htole32((uint32_t)strlen(s));

	crypto_auth_hmacsha512256_update(st, (const uint8_t *)&n, sizeof(n));
	crypto_auth_hmacsha512256_update(st, (const uint8_t *)s, strlen(s));
}

static void upd_u64(crypto_auth_hmacsha512256_state *st, uint64_t v)
{
	v = htole64(v);
	crypto_auth_hmacsha512256_update(st, (const uint8_t *)&v, sizeof(v));
}

/* The tag of one call (unitmsg.h): domain, method, path, BLAKE2b-256(body), sender unit,
 * incarnation, seq, receiver unit. */
static void mac_compute(const struct auth_key *key, const char *method, const char *path,
			const void *body, size_t len, const struct auth_unitmsg_from *f, uint32_t to,
			uint8_t tag[TAG_BYTES])
{
	crypto_auth_hmacsha512256_state st;
	uint8_t digest[32];

	crypto_generichash(digest, sizeof(digest), body, len, NULL, 0);
	crypto_auth_hmacsha512256_init(&st, key->b, AUTH_KEY_BYTES);
	crypto_auth_hmacsha512256_update(&st, (const uint8_t *)DOMAIN, sizeof(DOMAIN));
	upd_str(&st, method);
	upd_str(&st, path);
	crypto_auth_hmacsha512256_update(&st, digest, sizeof(digest));
	upd_u64(&st, f->unit);
	upd_u64(&st, f->incarnation);
	upd_u64(&st, f->seq);
	upd_u64(&st, to);
	crypto_auth_hmacsha512256_final(&st, tag);
	sodium_memzero(&st, sizeof(st));
}

int auth_unitmsg_sender_init(struct auth_unitmsg_sender *s, uint32_t unit, uint64_t incarnation)
{
	if (!unit_ok(unit) || incarnation == 0)
		return -EINVAL;
	*s = (struct auth_unitmsg_sender){.unit = unit, .incarnation = incarnation, .seq = 0};
	return 0;
}

int auth_unitmsg_sign(struct auth_unitmsg_sender *s, const struct auth_key *key, uint32_t to,
		      const char *method, const char *path, const void *body, size_t len,
		      char ret_unit[AUTH_UNITMSG_UNIT_HDR_MAX],
		      char ret_auth[AUTH_UNITMSG_AUTH_HDR_MAX])
{
	struct auth_unitmsg_from f;
	uint8_t tag[TAG_BYTES];

	if (!unit_ok(s->unit) || s->incarnation == 0 || !unit_ok(to) ||
	    !str_ok(method, METHOD_MAX) || !str_ok(path, PATH_MAX_) || (len && !body))
		return -EINVAL;
	if (s->seq == UINT64_MAX)
		return -EOVERFLOW;
	if (sodium_init() < 0)
		return -EIO;
	f = (struct auth_unitmsg_from){.unit = s->unit, .incarnation = s->incarnation,
				       .seq = s->seq + 1};
	mac_compute(key, method, path, body, len, &f, to, tag);
	snprintf(ret_unit, AUTH_UNITMSG_UNIT_HDR_MAX, "%" PRIu32 ";%016" PRIx64 ";%" PRIu64,
		 f.unit, f.incarnation, f.seq);
	sodium_bin2hex(ret_auth, AUTH_UNITMSG_AUTH_HDR_MAX, tag, sizeof(tag));
	s->seq = f.seq;
	return 0;
}

/* Strict decimal: 1..20 digits, no leading zero, no overflow. Returns the end or NULL. */
static const char *parse_dec(const char *s, uint64_t *ret)
{
	uint64_t v = 0;
	const char *p = s;

	if (*p < '1' || *p > '9')
		return NULL;
	for (; *p >= '0' && *p <= '9'; p++)
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, (uint64_t)(*p - '0'), &v))
			return NULL;
	*ret = v;
	return p;
}

int auth_unitmsg_parse_unit(const char *value, struct auth_unitmsg_from *ret)
{
	struct auth_unitmsg_from f;
	uint64_t u, inc = 0;
	const char *p;

	if (!value || strnlen(value, AUTH_UNITMSG_UNIT_HDR_MAX) >= AUTH_UNITMSG_UNIT_HDR_MAX)
		return -EBADMSG;
	p = parse_dec(value, &u);
	if (!p || *p != ';' || u > AUTH_UNITS_MAX)
		return -EBADMSG;
	p++;
	for (int i = 0; i < 16; i++, p++) {
		int d;
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else
			return -EBADMSG;
		inc = inc << 4 | (uint64_t)d;
	}
	if (*p != ';' || inc == 0)
		return -EBADMSG;
	p = parse_dec(p + 1, &f.seq);
	if (!p || *p != '\0')
		return -EBADMSG;
	f.unit = (uint32_t)u;
	f.incarnation = inc;
	*ret = f;
	return 0;
}

struct auth_unitmsg_peers *auth_unitmsg_peers_new(uint32_t self)
{
	struct auth_unitmsg_peers *t;

	if (!unit_ok(self))
		return NULL;
	t = calloc(1, sizeof(*t));
	if (t)
		t->self = self;
	return t;
}

struct auth_unitmsg_peers *auth_unitmsg_peers_free(struct auth_unitmsg_peers *t)
{
	free(t);
	return NULL;
}

static bool retired(const struct peer *p, uint64_t inc)
{
	unsigned n = p->nretired < AUTH_UNITMSG_RETIRED ? p->nretired : AUTH_UNITMSG_RETIRED;

	for (unsigned i = 0; i < n; i++)
		if (p->retired[i] == inc)
			return true;
	return false;
}

int auth_unitmsg_accept(struct auth_unitmsg_peers *t, const struct auth_key *key,
			const char *method, const char *path, const void *body, size_t len,
			const char *hdr_unit, const char *hdr_auth, uint64_t slot_incarnation,
			struct auth_unitmsg_from *ret_from)
{
	struct auth_unitmsg_from f;
	uint8_t tag[TAG_BYTES], want[TAG_BYTES];
	size_t n = 0;
	const char *end = NULL;
	struct peer *p;
	int r;

	if (!str_ok(method, METHOD_MAX) || !str_ok(path, PATH_MAX_) || (len && !body) || !hdr_auth)
		return -EBADMSG;
	r = auth_unitmsg_parse_unit(hdr_unit, &f);
	if (r < 0)
		return r;
	if (strnlen(hdr_auth, AUTH_UNITMSG_AUTH_HDR_MAX) != 2 * TAG_BYTES ||
	    sodium_hex2bin(tag, sizeof(tag), hdr_auth, 2 * TAG_BYTES, NULL, &n, &end) != 0 ||
	    n != TAG_BYTES || end != hdr_auth + 2 * TAG_BYTES)
		return -EBADMSG;
	if (sodium_init() < 0)
		return -EIO;
	mac_compute(key, method, path, body, len, &f, t->self, want);
	r = sodium_memcmp(tag, want, TAG_BYTES);
	sodium_memzero(want, sizeof(want));
	if (r != 0)
		return -EKEYREJECTED;
	p = &t->peer[f.unit];
	if (slot_incarnation && f.incarnation != slot_incarnation)
		return -ESTALE;
	if (p->known && p->incarnation == f.incarnation) {
		if (f.seq <= p->seq)
			return -ESTALE;
		p->seq = f.seq;
	} else {
		if (retired(p, f.incarnation))
			return -ESTALE;
		if (p->known)
			p->retired[p->nretired++ % AUTH_UNITMSG_RETIRED] = p->incarnation;
		p->known = true;
		p->incarnation = f.incarnation;
		p->seq = f.seq;
	}
	if (ret_from)
		*ret_from = f;
	return 0;
}

const char *auth_unitmsg_strerror(int err)
{
	switch (err) {
	case -EBADMSG:
		return "malformed unit call headers";
	case -EKEYREJECTED:
		return "invalid unit call signature";
	case -ESTALE:
		return "stale or replayed unit call";
	default:
		return "invalid unit call";
	}
}
