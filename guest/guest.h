/* secguest internals: port I/O, the COM1 console, time, CRC32C and the pieces of the guest.
 *
 * Freestanding 32-bit code (paging off, physical = virtual). No 64-bit division anywhere:
 * there is no libgcc. Every function here is used by one file and defined in another; the
 * guest is one program, so there is no error-number convention beyond "0 ok, < 0 failed".
 * See README.md for what the guest does and prints.
 */
#ifndef SECGUEST_GUEST_H
#define SECGUEST_GUEST_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t inw(uint16_t port) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint64_t rdtsc(void) { uint32_t lo, hi; __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)); return ((uint64_t)hi << 32) | lo; }
static inline void barrier(void) { __asm__ volatile("" : : : "memory"); }
static inline void cpu_relax(void) { __asm__ volatile("pause" : : : "memory"); }

/* lib.c: COM1 console (115200 8N1, polled), memory helpers, CRC32C, mixing */
void con_init(void);
void con_puts(const char *s);
void con_putu(uint32_t v);		/* decimal */
void con_puthex64(uint64_t v);		/* 16 lowercase hex digits */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
void crc32c_init(void);
uint32_t crc32c(const void *buf, size_t len);	/* CRC32C (Castagnoli), init ~0, final ~ */
uint64_t mix64(uint64_t x);			/* splitmix64 finalizer */
uint32_t mix32(uint32_t x);			/* murmur3 finalizer */

/* main.c: the PIT tick counter (100 Hz), incremented by the IRQ 0 handler */
#define TICK_HZ 100
extern volatile uint32_t ticks;

/* mem.c: the working set (rewritten pages) and the fixed region (written once) */
struct mem_check {
	uint32_t ws_bad;	/* working-set pages whose content breaks the rule */
	uint32_t fixed_bad;	/* words of the fixed region that changed */
};
/* ws_kib: working set KiB (rounded down to pages); seed: the boot id. */
void mem_init(uint64_t seed, uint32_t ws_kib);
/* Rewrites pages for one tick at dirty_kib KiB per second. */
void mem_dirty_tick(uint32_t dirty_kib);
void mem_check(struct mem_check *ret);
/* Test hook (test_corrupt=k): flips one word in the working set and one in the fixed region. */
void mem_corrupt(void);

/* virtio.c: the marker disk (legacy virtio-blk-pci, polled, one request at a time) */
#define SECTOR 512u
/* Finds the virtio-blk device whose serial equals marker; returns 0 and the disk capacity
 * in sectors, or -1 when there is none (every probed device is reset again). */
int vblk_find(const char *marker, uint64_t *ret_sectors);
/* Reads/writes n sectors at sector into/from buf (physical memory); waits for completion.
 * 0 ok, -1 device error or timeout. */
int vblk_read(uint64_t sector, void *buf, uint32_t n);
int vblk_write(uint64_t sector, const void *buf, uint32_t n);

/* ring.c: the marker ring (README.md "Marker ring") */
#define RING_FIRST 1u
#define RING_LEN 256u
enum ring_state { RING_OK = 0, RING_FOREIGN, RING_IOERR };
/* Reads the ring, writes the header; returns the counter of the first report (1 + the
 * highest counter on the disk), or 0 on an I/O error. */
uint32_t ring_open(uint64_t boot_id);
/* Checks that the last record is still there, writes the record of counter n and waits. */
enum ring_state ring_append(uint64_t boot_id, uint32_t n, bool ok);

#endif
