/* fuzz.h — shared helpers of the libFuzzer targets (testing.md tier "fuzz").
 *
 * Each target in this directory defines LLVMFuzzerTestOneInput() and checks, beyond "no
 * crash, no sanitizer report", the decoder's contract of src/crd/ondisk.h (documented return
 * values; what decodes re-encodes to the same bytes). A violated check aborts, which
 * libFuzzer reports as a crash with the input saved. Block targets read their input as a
 * 4 KiB block: an input of exactly CRD_BLOCK bytes is used as it is (CRC included); any other
 * length is zero-padded or cut to the record area and gets a correct CRC32C, so that the
 * fuzzer reaches the field checks behind the CRC. */
#ifndef SEC_TEST_FUZZ_H
#define SEC_TEST_FUZZ_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crd/ondisk.h"
#include "lib/crc32c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                  \
	do {                                                                              \
		if (!(cond)) {                                                            \
			fprintf(stderr, "fuzz check failed: %s (%s:%d)\n", #cond, __FILE__,   \
				__LINE__);                                                \
			abort();                                                          \
		}                                                                         \
	} while (0)

/* The input as a block (see above). */
static inline void fuzz_block(const uint8_t *data, size_t size, uint8_t block[CRD_BLOCK])
{
	memset(block, 0, CRD_BLOCK);
	if (size == CRD_BLOCK) {
		memcpy(block, data, CRD_BLOCK);
		return;
	}
	memcpy(block, data, size < CRD_BLOCK - 4 ? size : CRD_BLOCK - 4);
	uint32_t crc = crc32c(0, block, CRD_BLOCK - 4);
	for (int i = 0; i < 4; i++)
		block[CRD_BLOCK - 4 + i] = (uint8_t)(crc >> (8 * i));
}

/* The _in() contract: one of the documented results, each with a reason string. */
static inline void fuzz_check_result(int r)
{
	FUZZ_CHECK(r == 0 || r == -ENODATA || r == -EBADMSG || r == -EPROTO || r == -EILSEQ ||
		   r == -EINVAL);
	FUZZ_CHECK(crd_decode_strerror(r) != NULL);
}

#endif
