/* crc32c.h — CRC32C (Castagnoli, reflected polynomial 0x82F63B78), as used by iSCSI and
 * ext4. Every CRD block carries one (crd.md §2). crc32c(0, "123456789", 9) == 0xE3069283. */
#ifndef SEC_CRC32C_H
#define SEC_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Extends crc (0 to start) over len bytes of buf; returns the new CRC. */
uint32_t crc32c(uint32_t crc, const void *buf, size_t len);

#endif
