/* test_hbmsg.c — heartbeat CHALLENGE/REPLY datagrams (src/cluster/hbmsg.h): round trips,
 * the pinned byte layout, every decoder error with its own code, every byte flipped, every
 * length, nonce matching and the "dropped and counted" counters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <endian.h>
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/hbmsg.h"
#include "lib/crc32c.h"

static struct auth_key key, other_key;

static int setup(void **state)
{
	assert_int_equal(auth_init(), 0);
	assert_int_equal(auth_key_generate(&key), 0);
	assert_int_equal(auth_key_generate(&other_key), 0);
	return 0;
}

/* Recomputes HMAC and CRC of a record of size bytes (to reach the checks behind them). */
static void reseal(uint8_t *b, size_t size, const struct auth_key *k)
{
	crypto_auth(b + size - 4 - HB_HMAC_BYTES, b, size - 4 - HB_HMAC_BYTES, k->b);
	uint32_t crc = htole32(crc32c(0, b, size - 4));
	memcpy(b + size - 4, &crc, 4);
}

static void recrc(uint8_t *b, size_t size)
{
	uint32_t crc = htole32(crc32c(0, b, size - 4));
	memcpy(b + size - 4, &crc, 4);
}

static struct hb_challenge challenge(void)
{
	struct hb_challenge c;

	assert_int_equal(hb_challenge_new(&c, 2, 0x1718a1892038162cull, 41), 0);
	return c;
}

static struct hb_reply reply_to(const struct hb_challenge *c)
{
	struct hb_reply r = {.unit = 7, .incarnation = 0xdbaf46b5e94912a1ull, .seq = c->seq,
			     .power = HB_POWER_ON, .system = HB_SYSTEM_RUNNING,
			     .crd_disks = CRD_UNIT_WARNING, .proto_min = 1, .proto_max = 3,
			     .wall_ms = 1764460800123ull, .sw_version = "secluster 0.1.0"};

	memcpy(r.nonce, c->nonce, HB_NONCE_BYTES);
	return r;
}

static void test_challenge_round_trip(void **state)
{
	struct hb_challenge c = challenge(), got;
	struct hb_msg m;
	uint8_t b[HB_CHALLENGE_SIZE];

	hb_challenge_out(&c, &key, b);
	assert_int_equal(hb_challenge_in(b, sizeof(b), &key, &got), 0);
	assert_int_equal(got.master_unit, 2);
	assert_int_equal(got.master_incarnation, 0x1718a1892038162cull);
	assert_int_equal(got.seq, 41);
	assert_memory_equal(got.nonce, c.nonce, HB_NONCE_BYTES);
	assert_int_equal(hb_msg_in(b, sizeof(b), &key, &m), HB_CHALLENGE);
	assert_memory_equal(m.challenge.nonce, c.nonce, HB_NONCE_BYTES);
	/* fresh nonces */
	struct hb_challenge c2 = challenge();
	assert_memory_not_equal(c.nonce, c2.nonce, HB_NONCE_BYTES);
	assert_int_equal(hb_challenge_new(&c2, 0, 1, 1), -EINVAL);
	assert_int_equal(hb_challenge_new(&c2, 257, 1, 1), -EINVAL);
}

static void test_reply_round_trip(void **state)
{
	struct hb_challenge c = challenge();
	struct hb_reply r = reply_to(&c), got;
	struct hb_msg m;
	uint8_t b[HB_REPLY_SIZE], b2[HB_REPLY_SIZE];

	hb_reply_out(&r, &key, b);
	assert_int_equal(hb_reply_in(b, sizeof(b), &key, &got), 0);
	assert_int_equal(got.unit, 7);
	assert_int_equal(got.incarnation, 0xdbaf46b5e94912a1ull);
	assert_int_equal(got.seq, 41);
	assert_int_equal(got.power, HB_POWER_ON);
	assert_int_equal(got.system, HB_SYSTEM_RUNNING);
	assert_int_equal(got.crd_disks, CRD_UNIT_WARNING);
	assert_int_equal(got.proto_min, 1);
	assert_int_equal(got.proto_max, 3);
	assert_int_equal(got.wall_ms, 1764460800123ull);
	assert_string_equal(got.sw_version, "secluster 0.1.0");
	assert_int_equal(hb_reply_match(&got, &c), 0);
	assert_int_equal(hb_msg_in(b, sizeof(b), &key, &m), HB_REPLY);
	assert_int_equal(m.reply.unit, 7);
	/* decode, encode: the same bytes */
	hb_reply_out(&got, &key, b2);
	assert_memory_equal(b, b2, HB_REPLY_SIZE);
	/* a 32-byte version uses the whole field; a longer one is cut */
	memset(r.sw_version, 'v', HB_SW_VERSION_BYTES);
	r.sw_version[HB_SW_VERSION_BYTES] = '\0';
	hb_reply_out(&r, &key, b);
	assert_int_equal(hb_reply_in(b, sizeof(b), &key, &got), 0);
	assert_string_equal(got.sw_version, r.sw_version);
	/* every status value round-trips; the strings for people */
	for (int p = 0; p < HB_POWER_MAX; p++)
		for (int s = 0; s < HB_SYSTEM_MAX; s++)
			for (int d = 0; d < CRD_UNIT_STATUS_MAX; d++) {
				r.power = (enum hb_power)p;
				r.system = (enum hb_system)s;
				r.crd_disks = (enum crd_unit_status)d;
				hb_reply_out(&r, &key, b);
				assert_int_equal(hb_reply_in(b, sizeof(b), &key, &got), 0);
				assert_true(got.power == r.power && got.system == r.system &&
					    got.crd_disks == r.crd_disks);
			}
	assert_string_equal(hb_power_to_string(HB_POWER_OFF), "OFF");
	assert_string_equal(hb_power_to_string(HB_POWER_MAX), "?");
	assert_string_equal(hb_system_to_string(HB_SYSTEM_RUNNING), "RUNNING");
	assert_string_equal(hb_system_to_string(HB_SYSTEM_MAX), "?");
}

/* The bytes on the wire (hbmsg.h, docs/security.md): a change of layout fails here. */
static void test_layout(void **state)
{
	struct hb_challenge c = challenge();
	struct hb_reply r = reply_to(&c);
	uint8_t b[HB_REPLY_SIZE];

	hb_challenge_out(&c, &key, b);
	assert_memory_equal(b, "SEHB\x01\x00\x01\x00\x5c\x00\x00\x00\x00\x00\x00\x00", 16);
	assert_memory_equal(b + 16, "\x02\x00\x00\x00\x00\x00\x00\x00", 8);
	assert_memory_equal(b + 24, "\x2c\x16\x38\x20\x89\xa1\x18\x17", 8);
	assert_memory_equal(b + 32, "\x29\x00\x00\x00\x00\x00\x00\x00", 8);
	assert_memory_equal(b + 40, c.nonce, HB_NONCE_BYTES);
	assert_int_equal(crypto_auth_verify(b + 56, b, 56, key.b), 0);
	assert_int_equal(le32toh(*(uint32_t *)(b + 88)), crc32c(0, b, 88));

	hb_reply_out(&r, &key, b);
	assert_memory_equal(b, "SEHB\x01\x00\x02\x00\x8c\x00\x00\x00\x00\x00\x00\x00", 16);
	assert_memory_equal(b + 16, "\x07\x00\x00\x00\x00\x00\x01\x00", 8);
	assert_memory_equal(b + 24, "\xa1\x12\x49\xe9\xb5\x46\xaf\xdb", 8);
	assert_memory_equal(b + 32, "\x29\x00\x00\x00\x00\x00\x00\x00", 8);
	assert_memory_equal(b + 40, c.nonce, HB_NONCE_BYTES);
	assert_memory_equal(b + 56, "\x01\x00\x03\x00\x00\x00\x00\x00", 8);
	uint64_t wall = htole64(1764460800123ull);
	assert_memory_equal(b + 64, &wall, 8);
	assert_memory_equal(b + 72, "secluster 0.1.0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 32);
	assert_int_equal(crypto_auth_verify(b + 104, b, 104, key.b), 0);
	assert_int_equal(le32toh(*(uint32_t *)(b + 136)), crc32c(0, b, 136));
}

static void test_decoder_errors(void **state)
{
	struct hb_challenge c = challenge(), gc;
	struct hb_reply r = reply_to(&c), gr;
	struct hb_msg m;
	uint8_t b[HB_REPLY_SIZE + 8], v[HB_REPLY_SIZE + 8];

	hb_reply_out(&r, &key, v);
	/* lengths */
	assert_int_equal(hb_reply_in(v, 0, &key, &gr), -EMSGSIZE);
	assert_int_equal(hb_reply_in(v, 15, &key, &gr), -EMSGSIZE);
	assert_int_equal(hb_reply_in(v, HB_REPLY_SIZE - 1, &key, &gr), -EMSGSIZE);
	assert_int_equal(hb_reply_in(v, HB_REPLY_SIZE + 1, &key, &gr), -EMSGSIZE);
	assert_string_equal(hb_strerror(-EMSGSIZE), "datagram size");
	/* the length field disagrees with the type */
	memcpy(b, v, HB_REPLY_SIZE);
	b[8] = HB_CHALLENGE_SIZE;
	reseal(b, HB_REPLY_SIZE, &key);
	assert_int_equal(hb_reply_in(b, HB_REPLY_SIZE, &key, &gr), -EMSGSIZE);
	/* magic */
	memcpy(b, v, HB_REPLY_SIZE);
	b[0] = 'X';
	reseal(b, HB_REPLY_SIZE, &key);
	assert_int_equal(hb_reply_in(b, HB_REPLY_SIZE, &key, &gr), -EBADMSG);
	assert_string_equal(hb_strerror(-EBADMSG), "bad magic");
	/* version */
	memcpy(b, v, HB_REPLY_SIZE);
	b[4] = 2;
	reseal(b, HB_REPLY_SIZE, &key);
	assert_int_equal(hb_reply_in(b, HB_REPLY_SIZE, &key, &gr), -EPROTO);
	/* unknown types, and the other type where one is expected */
	memcpy(b, v, HB_REPLY_SIZE);
	b[6] = 3;
	reseal(b, HB_REPLY_SIZE, &key);
	assert_int_equal(hb_msg_in(b, HB_REPLY_SIZE, &key, &m), -ENOMSG);
	b[6] = 0;
	reseal(b, HB_REPLY_SIZE, &key);
	assert_int_equal(hb_msg_in(b, HB_REPLY_SIZE, &key, &m), -ENOMSG);
	assert_int_equal(hb_challenge_in(v, HB_REPLY_SIZE, &key, &gc), -ENOMSG);
	hb_challenge_out(&c, &key, b);
	assert_int_equal(hb_reply_in(b, HB_CHALLENGE_SIZE, &key, &gr), -ENOMSG);
	/* CRC */
	memcpy(b, v, HB_REPLY_SIZE);
	b[30] ^= 1;
	assert_int_equal(hb_reply_in(b, HB_REPLY_SIZE, &key, &gr), -EILSEQ);
	assert_string_equal(hb_strerror(-EILSEQ), "CRC mismatch");
	/* HMAC: a changed field with a correct CRC, and another cluster key */
	recrc(b, HB_REPLY_SIZE);
	assert_int_equal(hb_reply_in(b, HB_REPLY_SIZE, &key, &gr), -EKEYREJECTED);
	assert_int_equal(hb_reply_in(v, HB_REPLY_SIZE, &other_key, &gr), -EKEYREJECTED);
	/* fields, each behind a valid HMAC */
	static const struct {
		size_t off;
		uint8_t val;
	} fields[] = {
		{12, 1},        /* header reserved */
		{16, 0},        /* unit 0 (bytes 16..19 = 0) */
		{20, HB_POWER_MAX},
		{21, HB_SYSTEM_MAX},
		{22, CRD_UNIT_STATUS_MAX},
		{23, 1},        /* reserved */
		{56, 4},        /* proto_min 4 > proto_max 3 */
		{60, 1},        /* reserved2 */
		{72, 0x07},     /* control character in the version */
		{72 + 20, 'x'}, /* a byte after the version's NUL */
		{72, 0x80},     /* not ASCII */
	};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		memcpy(b, v, HB_REPLY_SIZE);
		b[fields[i].off] = fields[i].val;
		reseal(b, HB_REPLY_SIZE, &key);
		if (hb_reply_in(b, HB_REPLY_SIZE, &key, &gr) != -EINVAL)
			fail_msg("field at offset %zu = %u not refused", fields[i].off, fields[i].val);
	}
	memcpy(b, v, HB_REPLY_SIZE);
	b[16] = 1;
	b[17] = 1; /* unit 257 */
	reseal(b, HB_REPLY_SIZE, &key);
	assert_int_equal(hb_reply_in(b, HB_REPLY_SIZE, &key, &gr), -EINVAL);
	hb_challenge_out(&c, &key, b);
	b[20] = 1; /* challenge reserved */
	reseal(b, HB_CHALLENGE_SIZE, &key);
	assert_int_equal(hb_challenge_in(b, HB_CHALLENGE_SIZE, &key, &gc), -EINVAL);
	/* nothing written on failure */
	memset(&gr, 0x5a, sizeof(gr));
	assert_int_equal(hb_reply_in(v, 3, &key, &gr), -EMSGSIZE);
	assert_int_equal(gr.unit, 0x5a5a5a5a);
}

/* Every single byte of valid records, flipped: always refused. */
static void test_every_byte_flipped(void **state)
{
	struct hb_challenge c = challenge();
	struct hb_reply r = reply_to(&c);
	uint8_t v[HB_SIZE_MAX], b[HB_SIZE_MAX];
	struct hb_msg m;
	size_t sizes[2] = {HB_CHALLENGE_SIZE, HB_REPLY_SIZE};

	for (int k = 0; k < 2; k++) {
		if (k == 0)
			hb_challenge_out(&c, &key, v);
		else
			hb_reply_out(&r, &key, v);
		for (size_t i = 0; i < sizes[k]; i++)
			for (int bit = 0; bit < 8; bit++) {
				memcpy(b, v, sizes[k]);
				b[i] ^= (uint8_t)(1u << bit);
				if (hb_msg_in(b, sizes[k], &key, &m) >= 0)
					fail_msg("record %d: byte %zu bit %d flipped is accepted", k, i, bit);
				/* and with a repaired CRC, the HMAC (or an earlier check) refuses
				 * (a flipped CRC byte is only repaired) */
				if (i >= sizes[k] - 4)
					continue;
				recrc(b, sizes[k]);
				if (hb_msg_in(b, sizes[k], &key, &m) >= 0)
					fail_msg("record %d: byte %zu bit %d flipped, CRC fixed, accepted",
						 k, i, bit);
			}
	}
}

/* Every length from 0 to HB_SIZE_MAX + 1, each in a heap buffer of exactly that size
 * (ASan catches a read past it). */
static void test_every_length(void **state)
{
	struct hb_challenge c = challenge();
	struct hb_reply r = reply_to(&c);
	uint8_t v[HB_SIZE_MAX + 1];
	struct hb_msg m;

	hb_reply_out(&r, &key, v);
	v[HB_SIZE_MAX] = 0;
	for (size_t len = 0; len <= HB_SIZE_MAX + 1; len++) {
		uint8_t *b = malloc(len ? len : 1);
		memcpy(b, v, len);
		int ret = hb_msg_in(b, len, &key, &m);
		free(b);
		if (len == HB_REPLY_SIZE)
			assert_int_equal(ret, HB_REPLY);
		else
			assert_int_equal(ret, -EMSGSIZE);
	}
}

static void test_match_and_counters(void **state)
{
	struct hb_challenge c = challenge(), next = challenge();
	struct hb_reply r = reply_to(&c);
	struct hb_counters n = {0};
	uint8_t b[HB_REPLY_SIZE];

	assert_int_equal(hb_reply_match(&r, &c), 0);
	/* an authenticated reply to the previous challenge: stale */
	assert_int_equal(hb_reply_match(&r, &next), -ESTALE);
	r.seq++;
	assert_int_equal(hb_reply_match(&r, &c), -ESTALE);
	assert_string_equal(hb_strerror(-ESTALE), "stale nonce");

	r = reply_to(&c);
	hb_reply_out(&r, &key, b);
	struct hb_reply got;
	int ret = hb_reply_in(b, sizeof(b), &key, &got);
	if (ret == 0)
		ret = hb_reply_match(&got, &c);
	hb_counters_count(&n, ret);
	ret = hb_reply_in(b, sizeof(b), &key, &got);
	if (ret == 0)
		ret = hb_reply_match(&got, &next);
	hb_counters_count(&n, ret);
	hb_counters_count(&n, hb_reply_in(b, sizeof(b), &other_key, &got));
	hb_counters_count(&n, hb_reply_in(b, 7, &key, &got));
	b[0] = 0;
	hb_counters_count(&n, hb_reply_in(b, sizeof(b), &key, &got));
	assert_int_equal(n.accepted, 1);
	assert_int_equal(n.stale_nonce, 1);
	assert_int_equal(n.unauthenticated, 1);
	assert_int_equal(n.malformed, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_challenge_round_trip),
		cmocka_unit_test(test_reply_round_trip),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_decoder_errors),
		cmocka_unit_test(test_every_byte_flipped),
		cmocka_unit_test(test_every_length),
		cmocka_unit_test(test_match_and_counters),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
