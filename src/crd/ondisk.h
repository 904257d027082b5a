/* ondisk.h — the CRD's on-disk records (crd.md §2, seed 1.3 and glossary "CRD").
 *
 * A CRD disk (file or block device) is an array of 4 KiB blocks:
 *
 *   offset          what
 *   0               superblock, copy A          (struct crd_sb_disk)
 *   4 KiB           superblock, copy B
 *   8 KiB           master lease block          (struct crd_lease_disk)
 *   64 KiB          slots: one 4 KiB block per unit id 1..256 (struct crd_slot_disk)
 *   2 MiB           region 0 (global data): copy A, then copy B (region0_copy bytes each)
 *   2 MiB + 2*r0    region k (data of unit k, k = 1..256): copy A, copy B (unit_copy each)
 *
 * Each region copy starts with a 4 KiB header block (struct crd_region_hdr_disk), followed by
 * the payload (JSON). The geometry is recorded in the superblock; the defaults above are
 * CRD_DEFAULT_*. All fields are little-endian and fixed-width; every block ends its record
 * with a CRC32C over the record's bytes before the crc field. An all-zero block is "empty"
 * (never written), which is distinct from "damaged" (non-zero, bad magic/version/CRC).
 *
 * Every record has an in-memory form (struct crd_sb, ...) and two conversions:
 *   crd_X_out(&mem, block)   fills a whole 4 KiB block (zero padding, magic, version, CRC);
 *   crd_X_in(block, &mem)    returns 0, -ENODATA (all-zero block), -EBADMSG (bad magic),
 *                            -EPROTO (unknown version), -EILSEQ (CRC mismatch) or
 *                            -EINVAL (a field out of range); mem is written only on 0.
 * The format is documented in docs/crd-format.md. */
#ifndef SEC_CRD_ONDISK_H
#define SEC_CRD_ONDISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CRD_BLOCK 4096u
#define CRD_FORMAT_VERSION 1u
#define CRD_UNITS_MAX 256u /* unit ids 1..256; slot i-1 and region i belong to unit i */
#define CRD_REGIONS_MAX (CRD_UNITS_MAX + 1u)
#define CRD_SET_DISKS_MAX 2u /* N: external disks in a disk set (seed 1.3) */

#define CRD_DEFAULT_SIZE (1ull << 30)
#define CRD_DEFAULT_REGION0_COPY (8ull << 20)
#define CRD_DEFAULT_UNIT_COPY (1ull << 20)
#define CRD_LEASE_OFF (8ull << 10)
#define CRD_SLOTS_OFF (64ull << 10)
#define CRD_REGIONS_OFF (2ull << 20)

#define CRD_SB_MAGIC 0x4253445243434553ull /* "SECCRDSB" */
#define CRD_SLOT_MAGIC 0x544c535f44524353ull /* "SCRD_SLT" */
#define CRD_LEASE_MAGIC 0x534c4c5f44524353ull /* "SCRD_LLS" */
#define CRD_REGION_MAGIC 0x4752525f44524353ull /* "SCRD_RRG" */

typedef struct {
	uint8_t b[16];
} crd_uuid;

enum crd_role {
	CRD_ROLE_INTERNAL = 1,
	CRD_ROLE_EXTERNAL = 2,
	CRD_ROLE_MAX
};

enum crd_sb_flags {
	CRD_SB_RETIRED = 1u << 0, /* replaced by `sectl crd replace`: never use again */
};

/* Geometry, recorded in the superblock; offsets and sizes in bytes. */
struct crd_geometry {
	uint64_t disk_size;
	uint32_t slot_count;   /* CRD_UNITS_MAX */
	uint32_t region_count; /* CRD_REGIONS_MAX */
	uint64_t lease_off;
	uint64_t slots_off;
	uint64_t regions_off;
	uint64_t region0_copy; /* bytes per copy of region 0, header block included */
	uint64_t unit_copy;    /* bytes per copy of a unit region, header block included */
};

/* The disk set of crd.md §1: recorded in every superblock (external and internal). */
struct crd_disk_set {
	crd_uuid set_id;
	uint64_t generation;
	uint32_t count; /* 1 or 2 */
	crd_uuid disks[CRD_SET_DISKS_MAX];
};

struct crd_sb {
	uint32_t version;
	uint32_t flags; /* enum crd_sb_flags */
	crd_uuid cluster_id;
	crd_uuid disk_id;
	enum crd_role role;
	struct crd_disk_set set;
	struct crd_geometry geo;
	uint64_t created_wall_ns; /* display only */
};

enum crd_slot_state {
	CRD_SLOT_EMPTY = 0,
	CRD_SLOT_RUNNING = 1,
	CRD_SLOT_RESTARTING = 2,
	CRD_SLOT_LEFT = 3,
	CRD_SLOT_STATE_MAX
};

enum crd_unit_role {
	CRD_UNIT_MU = 1,
	CRD_UNIT_SU = 2,
	CRD_UNIT_ROLE_MAX
};

enum crd_fencing {
	CRD_FENCING_SELF = 1,
	CRD_FENCING_NONE = 2,
	CRD_FENCING_MAX
};

/* The timings a unit runs under, advertised in its slot (crd.md §4, §8); all in ms. */
struct crd_timing {
	uint32_t renew_ms;
	uint32_t io_ms;
	uint32_t margin_ms;
	uint32_t lease_ms;
	uint32_t claim_ms;
	uint32_t fence_ms;
	uint32_t watchdog_ms; /* W */
	uint32_t stall_ms;
};

/* The alive message (delta lease) of one unit (crd.md §4). */
struct crd_slot {
	uint32_t unit_id;
	enum crd_unit_role role;
	crd_uuid identity;   /* made once in the unit's data directory */
	crd_uuid machine_id; /* /etc/machine-id */
	uint64_t incarnation;
	uint64_t counter;
	uint64_t wall_ns; /* display only */
	enum crd_slot_state state;
	enum crd_fencing fencing;
	struct crd_timing timing;
};

enum crd_lease_flags {
	CRD_LEASE_RELEASED = 1u << 0, /* R4: a clean shutdown; term kept */
};

/* The master lease block (crd.md §5). */
struct crd_lease_rec {
	uint32_t holder;     /* unit id, 0 = never held */
	uint64_t incarnation;
	uint64_t counter;    /* 0 = a claim, > 0 = renewals */
	uint64_t term;
	uint32_t lease_ms;   /* the holder's lease_timeout */
	uint32_t flags;      /* enum crd_lease_flags */
};

/* Header of one region copy (crd.md §2). payload_crc covers payload_len bytes. */
struct crd_region_hdr {
	uint32_t region;      /* 0 = global, k = unit k */
	uint32_t owner;       /* unit id of the writer (the master for region 0) */
	uint64_t owner_incarnation;
	uint64_t term;
	uint64_t generation;
	uint64_t payload_len; /* bytes */
	uint32_t payload_crc;
};

/* ---- geometry ---- */

/* Fills geo for a disk of disk_size bytes with the given copy sizes (0 = default).
 * Returns 0, or -EINVAL (sizes not multiples of 4 KiB, copies smaller than 8 KiB) or
 * -ENOSPC (the layout does not fit in disk_size). */
int crd_geometry_make(uint64_t disk_size, uint64_t region0_copy, uint64_t unit_copy,
		      struct crd_geometry *ret);
/* Byte offset of region r (0..region_count-1), copy c (0 = A, 1 = B). */
uint64_t crd_region_off(const struct crd_geometry *g, uint32_t region, int copy);
/* Bytes per copy of region r, header block included. */
uint64_t crd_region_copy_size(const struct crd_geometry *g, uint32_t region);
/* Byte offset of the slot of unit id (1..slot_count). */
uint64_t crd_slot_off(const struct crd_geometry *g, uint32_t unit_id);

/* ---- conversions (see the top of this file for the return values) ---- */

bool crd_block_is_zero(const void *block);
/* The identity of a raw 4 KiB block's bytes, for "unchanged" decisions (crd.md §4, §5 R0).
 * Not crc32c() of the whole block: over a valid record followed by its own CRC32C that is
 * the same constant for every record (the CRC residue), so it would call every valid block
 * "unchanged". */
uint32_t crd_block_ident(const void *block);
/* For records kept in other files (setpaths.h): writes the CRC32C of bytes 0..4091 into the
 * last 4 bytes; checks empty / magic (first 8 bytes) / version (next 4) / CRC as every
 * record's _in() does (the return values at the top). */
void crd_block_seal(void *block);
int crd_block_check(const void *block, uint64_t magic);
void crd_sb_out(const struct crd_sb *sb, void *block);
int crd_sb_in(const void *block, struct crd_sb *ret);
void crd_slot_out(const struct crd_slot *s, void *block);
int crd_slot_in(const void *block, struct crd_slot *ret);
void crd_lease_out(const struct crd_lease_rec *l, void *block);
int crd_lease_in(const void *block, struct crd_lease_rec *ret);
void crd_region_hdr_out(const struct crd_region_hdr *h, void *block);
int crd_region_hdr_in(const void *block, struct crd_region_hdr *ret);
/* The checks a header decoder cannot make alone: h belongs to `region` (< region_count) and
 * its payload_len fits in the copy (copy size - the 4 KiB header). 0 or -EINVAL. */
int crd_region_hdr_check(const struct crd_geometry *g, uint32_t region,
			 const struct crd_region_hdr *h);

/* Short reason for an _in() error ("bad magic", "CRC mismatch", ...). */
const char *crd_decode_strerror(int err);

const char *crd_role_to_string(enum crd_role r);
const char *crd_slot_state_to_string(enum crd_slot_state s);
const char *crd_unit_role_to_string(enum crd_unit_role r);
const char *crd_fencing_to_string(enum crd_fencing f);

/* uuid helpers: text form 8-4-4-4-12 lowercase; parse returns 0 or -EINVAL. */
void crd_uuid_to_string(const crd_uuid *u, char out[37]);
int crd_uuid_parse(const char *s, crd_uuid *ret);
bool crd_uuid_is_null(const crd_uuid *u);
bool crd_uuid_eq(const crd_uuid *a, const crd_uuid *b);
/* random v4 uuid from getrandom(2); returns 0 or -errno */
int crd_uuid_random(crd_uuid *ret);

#endif
