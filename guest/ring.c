/* secguest: the marker ring on the marker disk (README.md "Marker ring on the disk").
 *
 * Sector 0 is the header, sectors RING_FIRST..RING_FIRST+RING_LEN-1 the ring; the record
 * of counter n is in sector RING_FIRST + n % RING_LEN. At boot the whole ring is read and
 * the counter continues after the highest valid record, whose crc becomes `prev` (the
 * chain the checker follows). Before each append the guest reads back the sector of its
 * previous record and the sector it is about to overwrite: if the first is no longer the
 * record it wrote (or found), or the second holds a counter not below its own, another
 * writer has been at the disk or this guest runs from stale memory (a rollback, a second
 * instance), and the report says ring=foreign.
 */
#include "guest.h"

#define HDR_MAGIC "SECGHDR1"
#define REC_MAGIC "SECGREC1"
#define HDR_CRC_OFF 32
#define REC_CRC_OFF 40
#define CHUNK 64		/* sectors per read at boot */

struct ring_hdr {
	char magic[8];
	uint32_t version, ring_first, ring_len, boots;
	uint64_t last_boot_id;
	uint32_t crc;
} __attribute__((packed));

struct ring_rec {
	char magic[8];
	uint64_t boot_id, counter, nonce;
	uint32_t prev, flags;
	uint32_t crc;
} __attribute__((packed));

_Static_assert(offsetof(struct ring_hdr, crc) == HDR_CRC_OFF, "header layout");
_Static_assert(offsetof(struct ring_rec, crc) == REC_CRC_OFF, "record layout");

static uint8_t buf[CHUNK * SECTOR] __attribute__((aligned(4096)));
static uint8_t sec[SECTOR] __attribute__((aligned(512)));
static bool have_prev;			/* a record was written or found: */
static uint32_t prev_crc, prev_n;	/* its crc and counter */

static bool rec_valid(const struct ring_rec *r, uint32_t slot)
{
	return memcmp(r->magic, REC_MAGIC, 8) == 0 && crc32c(r, REC_CRC_OFF) == r->crc &&
	       RING_FIRST + (uint32_t)r->counter % RING_LEN == slot;
}

uint32_t ring_open(uint64_t boot_id)
{
	uint32_t boots = 0;
	for (uint32_t s = 0; s < RING_FIRST + RING_LEN; s += CHUNK) {
		uint32_t n = RING_FIRST + RING_LEN - s < CHUNK ? RING_FIRST + RING_LEN - s : CHUNK;
		if (vblk_read(s, buf, n) < 0)
			return 0;
		for (uint32_t i = 0; i < n; i++) {
			const uint8_t *p = buf + i * SECTOR;
			if (s + i == 0) {
				const struct ring_hdr *h = (const void *)p;
				if (memcmp(h->magic, HDR_MAGIC, 8) == 0 && crc32c(h, HDR_CRC_OFF) == h->crc)
					boots = h->boots;
				continue;
			}
			const struct ring_rec *r = (const void *)p;
			if (rec_valid(r, s + i) && (!have_prev || (uint32_t)r->counter > prev_n)) {
				have_prev = true;
				prev_n = (uint32_t)r->counter;
				prev_crc = r->crc;
			}
		}
	}
	memset(sec, 0, sizeof(sec));
	struct ring_hdr *h = (struct ring_hdr *)sec;
	memcpy(h->magic, HDR_MAGIC, 8);
	h->version = 1;
	h->ring_first = RING_FIRST;
	h->ring_len = RING_LEN;
	h->boots = boots + 1;
	h->last_boot_id = boot_id;
	h->crc = crc32c(h, HDR_CRC_OFF);
	if (vblk_write(0, sec, 1) < 0)
		return 0;
	return have_prev ? prev_n + 1 : 1;
}

enum ring_state ring_append(uint64_t boot_id, uint32_t n, bool ok)
{
	enum ring_state st = RING_OK;
	uint32_t slot = RING_FIRST + n % RING_LEN;
	const struct ring_rec *old = (const struct ring_rec *)sec;
	/* the record we wrote last must still be there ... */
	if (have_prev) {
		uint32_t pslot = RING_FIRST + prev_n % RING_LEN;
		if (vblk_read(pslot, sec, 1) < 0)
			return RING_IOERR;
		if (!rec_valid(old, pslot) || old->crc != prev_crc || old->counter != prev_n)
			st = RING_FOREIGN;
	}
	/* ... and the slot we overwrite must hold an older counter (else we are stale) */
	if (vblk_read(slot, sec, 1) < 0)
		return RING_IOERR;
	if (rec_valid(old, slot) && old->counter >= n)
		st = RING_FOREIGN;
	memset(sec, 0, sizeof(sec));
	struct ring_rec *r = (struct ring_rec *)sec;
	memcpy(r->magic, REC_MAGIC, 8);
	r->boot_id = boot_id;
	r->counter = n;
	r->nonce = rdtsc();
	r->prev = have_prev ? prev_crc : 0;
	r->flags = ok && st == RING_OK ? 1 : 0;
	r->crc = crc32c(r, REC_CRC_OFF);
	uint32_t crc = r->crc;
	if (vblk_write(slot, sec, 1) < 0)
		return RING_IOERR;
	have_prev = true;
	prev_crc = crc;
	prev_n = n;
	return st;
}
