/* fuzz_hbmsg.c — libFuzzer target of the heartbeat decoders (src/cluster/hbmsg.h, issue 3
 * "a malformed or unauthenticated heartbeat datagram is dropped and counted, never
 * crashes"). Any datagram decodes to a documented result and never reads past its length
 * (ASan); a decoded record re-encodes to the same bytes. Twice per input: as it is (the
 * CRC and the HMAC stop almost everything), and "sealed" — cut or zero-padded to the size
 * its type field names, with a correct HMAC and CRC under the fuzz key — so that the
 * fuzzer reaches the field checks behind them. The key is the one fuzz-seeds.c uses. */
#include "fuzz.h"

#include <endian.h>
#include <sodium.h>

#include "cluster/hbmsg.h"

static void fuzz_hb_key(struct auth_key *k)
{
	for (int i = 0; i < AUTH_KEY_BYTES; i++)
		k->b[i] = (uint8_t)(0xa0 + i);
}

static void check_one(const uint8_t *buf, size_t len, const struct auth_key *k)
{
	uint8_t out[HB_SIZE_MAX];
	struct hb_msg m;
	struct hb_counters n = {0};
	int r = hb_msg_in(buf, len, k, &m);

	FUZZ_CHECK(r == HB_CHALLENGE || r == HB_REPLY || r == -EMSGSIZE || r == -EBADMSG ||
		   r == -EPROTO || r == -ENOMSG || r == -EILSEQ || r == -EKEYREJECTED ||
		   r == -EINVAL);
	FUZZ_CHECK(hb_strerror(r) != NULL);
	hb_counters_count(&n, r);
	FUZZ_CHECK(n.accepted + n.malformed + n.unauthenticated + n.stale_nonce == 1);
	if (r == HB_CHALLENGE) {
		struct hb_challenge c;
		FUZZ_CHECK(len == HB_CHALLENGE_SIZE);
		FUZZ_CHECK(hb_challenge_in(buf, len, k, &c) == 0);
		hb_challenge_out(&m.challenge, k, out);
		FUZZ_CHECK(memcmp(out, buf, len) == 0);
	} else if (r == HB_REPLY) {
		struct hb_reply rep;
		FUZZ_CHECK(len == HB_REPLY_SIZE);
		FUZZ_CHECK(hb_reply_in(buf, len, k, &rep) == 0);
		FUZZ_CHECK(strlen(rep.sw_version) <= HB_SW_VERSION_BYTES);
		hb_reply_out(&m.reply, k, out);
		FUZZ_CHECK(memcmp(out, buf, len) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct auth_key k;
	uint8_t *copy, sealed[HB_SIZE_MAX];
	size_t want;

	if (sodium_init() < 0)
		abort();
	fuzz_hb_key(&k);
	/* an exact-size heap copy: ASan sees any read past the datagram */
	copy = malloc(size ? size : 1);
	FUZZ_CHECK(copy != NULL);
	memcpy(copy, data, size);
	check_one(copy, size, &k);
	free(copy);

	if (size < 8)
		return 0;
	want = data[6] == HB_CHALLENGE && data[7] == 0 ? HB_CHALLENGE_SIZE :
	       data[6] == HB_REPLY && data[7] == 0     ? HB_REPLY_SIZE :
							 0;
	if (!want)
		return 0;
	memset(sealed, 0, sizeof(sealed));
	memcpy(sealed, data, size < want ? size : want);
	crypto_auth(sealed + want - 4 - HB_HMAC_BYTES, sealed, want - 4 - HB_HMAC_BYTES, k.b);
	uint32_t crc = htole32(crc32c(0, sealed, want - 4));
	memcpy(sealed + want - 4, &crc, 4);
	check_one(sealed, want, &k);
	return 0;
}
