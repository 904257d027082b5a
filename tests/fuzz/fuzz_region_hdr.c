/* fuzz_region_hdr.c — libFuzzer target of crd_region_hdr_in() and crd_region_hdr_check()
 * (src/crd/ondisk.c, crd.md §2): any 4 KiB block decodes to a documented result; a decoded
 * header re-encodes stably; the geometry check answers 0 or -EINVAL for the header's own
 * region, a neighbour and a region id out of range, on the default and a small geometry. */
#include "fuzz.h"

static void check_geo(const struct crd_geometry *g, const struct crd_region_hdr *h)
{
	const uint32_t regions[] = {h->region, h->region + 1, h->region - 1, g->region_count,
				    UINT32_MAX};

	for (size_t i = 0; i < sizeof(regions) / sizeof(regions[0]); i++) {
		int r = crd_region_hdr_check(g, regions[i], h);
		FUZZ_CHECK(r == 0 || r == -EINVAL);
		if (r == 0) {
			FUZZ_CHECK(regions[i] == h->region && regions[i] < g->region_count);
			FUZZ_CHECK(h->payload_len <= crd_region_copy_size(g, regions[i]) - CRD_BLOCK);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct crd_geometry g_default, g_small;
	static int ready;
	uint8_t block[CRD_BLOCK], b1[CRD_BLOCK], b2[CRD_BLOCK];
	struct crd_region_hdr h, h2;
	int r;

	if (!ready) {
		FUZZ_CHECK(crd_geometry_make(0x40000000ull, 0, 0, &g_default) == 0);
		FUZZ_CHECK(crd_geometry_make(512ull << 20, 1ull << 20, 256ull << 10, &g_small) == 0);
		ready = 1;
	}
	fuzz_block(data, size, block);
	r = crd_region_hdr_in(block, &h);
	fuzz_check_result(r);
	if (r != 0)
		return 0;
	crd_region_hdr_out(&h, b1);
	FUZZ_CHECK(crd_region_hdr_in(b1, &h2) == 0);
	crd_region_hdr_out(&h2, b2);
	FUZZ_CHECK(memcmp(b1, b2, CRD_BLOCK) == 0);
	check_geo(&g_default, &h);
	check_geo(&g_small, &h);
	return 0;
}
