/* crc32c.h — CRC32C (Castagnoli, reflected polynomial 0x82F63B78), as used by iSCSI and
 * ext4. Every CRD block carries one (crd.md §2). crc32c(0, "123456789", 9) == 0xE3069283.
 *
 * Usage: crc = crc32c(0, buf, len); extend with crc = crc32c(crc, more, n). Thread-safe.
 * The implementation is chosen once, on the first call: the SSE4.2 `crc32` instruction on
 * x86-64 CPUs that have it, else portable slicing-by-8. The other entry points exist for
 * tests and bench/crc32c-speed.c, which compare and time both paths. */
#ifndef SEC_CRC32C_H
#define SEC_CRC32C_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Extends crc (0 to start) over len bytes of buf (any alignment); returns the new CRC. */
uint32_t crc32c(uint32_t crc, const void *buf, size_t len);

/* The same result, always with the portable slicing-by-8 code. */
uint32_t crc32c_portable(uint32_t crc, const void *buf, size_t len);
/* The same result with the SSE4.2 instruction; falls back to crc32c_portable() when
 * crc32c_hw_supported() is false. */
uint32_t crc32c_hardware(uint32_t crc, const void *buf, size_t len);
/* True when this CPU has the instruction (then crc32c() uses it). */
bool crc32c_hw_supported(void);
/* "sse4.2" or "slicing-by-8": the implementation crc32c() uses. */
const char *crc32c_impl_name(void);

#endif
