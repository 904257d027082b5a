/* secguest: the working set and the fixed region (README.md "check").
 *
 * Working set: npages pages at WS_BASE. Word w of page p written in pass k holds
 * page_seed(k, p) + w * GOLDEN. The write cursor walks the pages in order; pages below the
 * cursor hold the current pass, the others the previous pass (all pages hold pass 0 after
 * boot, and the first pass is 1). A page that was lost, torn or rolled back breaks the rule.
 * Fixed region: FIXED_BYTES at FIXED_BASE, written once at boot, never changes.
 */
#include "guest.h"

#define PAGE 4096u
#define WORDS (PAGE / 4u)
#define GOLDEN 0x9e3779b1u
#define FIXED_BASE 0x400000u		/* 4 MiB: above the kernel and the Multiboot data */
#define FIXED_BYTES (256u * 1024u)
#define WS_BASE 0x500000u		/* 5 MiB */

static uint32_t seed_lo, seed_hi;
static uint32_t npages, cursor, pass;
static uint32_t credit;			/* bytes × TICK_HZ not yet written */

static uint32_t page_seed(uint32_t k, uint32_t p)
{
	return mix32(seed_lo ^ mix32(k * GOLDEN + p));
}

static void page_write(uint32_t k, uint32_t p)
{
	volatile uint32_t *w = (volatile uint32_t *)(WS_BASE + p * PAGE);
	uint32_t v = page_seed(k, p);
	for (uint32_t i = 0; i < WORDS; i++, v += GOLDEN)
		w[i] = v;
}

static bool page_ok(uint32_t k, uint32_t p)
{
	const volatile uint32_t *w = (const volatile uint32_t *)(WS_BASE + p * PAGE);
	uint32_t v = page_seed(k, p);
	for (uint32_t i = 0; i < WORDS; i++, v += GOLDEN)
		if (w[i] != v)
			return false;
	return true;
}

void mem_init(uint64_t seed, uint32_t ws_kib)
{
	seed_lo = (uint32_t)seed;
	seed_hi = (uint32_t)(seed >> 32);
	volatile uint32_t *f = (volatile uint32_t *)FIXED_BASE;
	for (uint32_t i = 0; i < FIXED_BYTES / 4; i++)
		f[i] = seed_hi + i * GOLDEN;
	npages = ws_kib / 4;
	for (uint32_t p = 0; p < npages; p++)
		page_write(0, p);
	pass = 1;
	cursor = 0;
}

void mem_dirty_tick(uint32_t dirty_kib)
{
	credit += dirty_kib * 1024u;
	while (npages && credit >= PAGE * TICK_HZ) {
		credit -= PAGE * TICK_HZ;
		page_write(pass, cursor);
		if (++cursor == npages) {
			cursor = 0;
			pass++;
		}
	}
}

void mem_check(struct mem_check *ret)
{
	ret->ws_bad = 0;
	ret->fixed_bad = 0;
	for (uint32_t p = 0; p < npages; p++)
		if (!page_ok(p < cursor ? pass : pass - 1, p))
			ret->ws_bad++;
	const volatile uint32_t *f = (const volatile uint32_t *)FIXED_BASE;
	for (uint32_t i = 0; i < FIXED_BYTES / 4; i++)
		if (f[i] != seed_hi + i * GOLDEN)
			ret->fixed_bad++;
}

void mem_corrupt(void)
{
	if (npages)
		((volatile uint32_t *)(WS_BASE + (npages / 2) * PAGE))[7] ^= 1;
	((volatile uint32_t *)FIXED_BASE)[FIXED_BYTES / 8] ^= 0x100;
}
