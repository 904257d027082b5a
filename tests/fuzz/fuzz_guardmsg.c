/* fuzz_guardmsg.c — libFuzzer target of the sec-guard record decoder (src/guard/guardmsg.h;
 * crd.md §4 "Fencing layers": the guard must never crash on what arrives on its socket).
 * Any input decodes to a documented result and never reads past its length (ASan); a
 * decoded record re-encodes to the same bytes. Twice per input: as it is, and "sealed" —
 * magic, version and length set for the type its bytes 6..7 name, cut or zero-padded to
 * that size, with a correct CRC — so that the fuzzer reaches the field checks. */
#include "fuzz.h"

#include <endian.h>

#include "guard/guardmsg.h"

static uint8_t out[GUARD_MSG_SIZE_MAX], sealed[GUARD_MSG_SIZE_MAX];
static struct guard_msg m;

static void check_one(const uint8_t *buf, size_t len)
{
	int r = guard_msg_in(buf, len, &m);

	FUZZ_CHECK((r > 0 && r < GUARD_MSG_TYPE_MAX) || r == -EMSGSIZE || r == -EBADMSG ||
		   r == -EPROTO || r == -ENOMSG || r == -EILSEQ || r == -EINVAL);
	FUZZ_CHECK(guard_msg_strerror(r) != NULL);
	if (r > 0) {
		FUZZ_CHECK((int)m.type == r);
		FUZZ_CHECK(len == guard_msg_size(m.type));
		FUZZ_CHECK(guard_msg_out(&m, out) == len);
		FUZZ_CHECK(memcmp(out, buf, len) == 0);
		if (r == GUARD_MSG_SPAWN)
			FUZZ_CHECK(guard_key_valid(m.spawn.key) && m.spawn.argc >= 1 &&
				   m.spawn.argv_len <= GUARD_ARGV_BYTES);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;
	size_t want;

	/* an exact-size heap copy: ASan sees any read past the record */
	copy = malloc(size ? size : 1);
	FUZZ_CHECK(copy != NULL);
	memcpy(copy, data, size);
	check_one(copy, size);
	free(copy);

	if (size < 8)
		return 0;
	want = guard_msg_size((enum guard_msg_type)(data[6] | data[7] << 8));
	if (!want)
		return 0;
	memset(sealed, 0, want);
	memcpy(sealed, data, size < want ? size : want);
	uint32_t v = htole32(GUARD_MAGIC);
	memcpy(sealed, &v, 4);
	sealed[4] = GUARD_VERSION, sealed[5] = 0;
	v = htole32((uint32_t)want);
	memcpy(sealed + 8, &v, 4);
	v = htole32(crc32c(0, sealed, want - 4));
	memcpy(sealed + want - 4, &v, 4);
	copy = malloc(want);
	FUZZ_CHECK(copy != NULL);
	memcpy(copy, sealed, want);
	check_one(copy, want);
	free(copy);
	return 0;
}
