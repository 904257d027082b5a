/* fuzz_slot.c — libFuzzer target of crd_slot_in() (src/crd/ondisk.c, crd.md §2): any
 * 4 KiB block decodes to a documented result; a decoded record re-encodes with
 * crd_slot_out() to a block that decodes again, and encoding is stable. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t block[CRD_BLOCK], b1[CRD_BLOCK], b2[CRD_BLOCK];
	struct crd_slot m, m2;
	int r;

	fuzz_block(data, size, block);
	r = crd_slot_in(block, &m);
	fuzz_check_result(r);
	if (r != 0)
		return 0;
	crd_slot_out(&m, b1);
	FUZZ_CHECK(crd_slot_in(b1, &m2) == 0);
	crd_slot_out(&m2, b2);
	FUZZ_CHECK(memcmp(b1, b2, CRD_BLOCK) == 0);
	return 0;
}
