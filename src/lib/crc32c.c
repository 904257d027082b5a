/* crc32c.c — CRC32C with two implementations, chosen once at run time:
 *  - x86-64 with SSE4.2: the `crc32` instruction, 8 bytes per instruction;
 *  - everything else: slicing-by-8 with eight 256-entry tables (portable C, any endianness).
 * Both produce the bitwise reference result for every length and alignment (test_lib.c). */
#include "crc32c.h"

#include <pthread.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CRC32C_HAVE_X86 1
#include <nmmintrin.h>
#endif

#define CRC32C_POLY 0x82F63B78u /* reflected Castagnoli */

static uint32_t crc32c_table[8][256];
static uint32_t (*crc32c_impl)(uint32_t crc, const unsigned char *p, size_t len);
static const char *crc32c_chosen;
static pthread_once_t crc32c_once = PTHREAD_ONCE_INIT;

/* crc is the inverted running value (no pre/post inversion here). */
static uint32_t crc32c_sb8(uint32_t crc, const unsigned char *p, size_t len)
{
	const uint32_t (*t)[256] = (const uint32_t (*)[256])crc32c_table;

	while (len && ((uintptr_t)p & 7)) {
		crc = t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
		len--;
	}
	while (len >= 8) {
		uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
				     (uint32_t)p[3] << 24);
		uint32_t hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 |
			      (uint32_t)p[7] << 24;
		crc = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^
		      t[4][lo >> 24] ^ t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^
		      t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

#ifdef CRC32C_HAVE_X86
__attribute__((target("sse4.2")))
static uint32_t crc32c_hw(uint32_t crc, const unsigned char *p, size_t len)
{
	uint64_t c = crc;

	while (len && ((uintptr_t)p & 7)) {
		c = _mm_crc32_u8((uint32_t)c, *p++);
		len--;
	}
	while (len >= 8) {
		uint64_t v;

		__builtin_memcpy(&v, p, 8); /* aligned here; memcpy keeps it strict-aliasing safe */
		c = _mm_crc32_u64(c, v);
		p += 8;
		len -= 8;
	}
	while (len--)
		c = _mm_crc32_u8((uint32_t)c, *p++);
	return (uint32_t)c;
}
#endif

static void crc32c_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ CRC32C_POLY : c >> 1;
		crc32c_table[0][i] = c;
	}
	for (int k = 1; k < 8; k++)
		for (int i = 0; i < 256; i++) {
			uint32_t c = crc32c_table[k - 1][i];
			crc32c_table[k][i] = (c >> 8) ^ crc32c_table[0][c & 0xff];
		}
	crc32c_impl = crc32c_sb8;
	crc32c_chosen = "slicing-by-8";
#ifdef CRC32C_HAVE_X86
	__builtin_cpu_init();
	if (__builtin_cpu_supports("sse4.2")) {
		crc32c_impl = crc32c_hw;
		crc32c_chosen = "sse4.2";
	}
#endif
}

uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
{
	pthread_once(&crc32c_once, crc32c_init);
	return ~crc32c_impl(~crc, buf, len);
}

uint32_t crc32c_portable(uint32_t crc, const void *buf, size_t len)
{
	pthread_once(&crc32c_once, crc32c_init);
	return ~crc32c_sb8(~crc, buf, len);
}

bool crc32c_hw_supported(void)
{
#ifdef CRC32C_HAVE_X86
	pthread_once(&crc32c_once, crc32c_init);
	return crc32c_impl == crc32c_hw;
#else
	return false;
#endif
}

uint32_t crc32c_hardware(uint32_t crc, const void *buf, size_t len)
{
#ifdef CRC32C_HAVE_X86
	if (crc32c_hw_supported())
		return ~crc32c_hw(~crc, buf, len);
#endif
	return crc32c_portable(crc, buf, len);
}

const char *crc32c_impl_name(void)
{
	pthread_once(&crc32c_once, crc32c_init);
	return crc32c_chosen;
}
