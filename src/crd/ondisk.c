/* ondisk.c — the CRD's on-disk records and their X_in()/X_out() conversions (see ondisk.h,
 * crd.md §2, docs/crd-format.md).
 *
 * Each record is a packed struct exactly one 4 KiB block long: the fields (little-endian,
 * naturally aligned, explicit padding), a reserved area that is written as zero, and the
 * CRC32C in the block's last 4 bytes. The CRC covers bytes 0..4091, i.e. the whole record
 * before the crc field, reserved area included, so a flipped byte anywhere is detected. */
#include "crd/ondisk.h"

#include "lib/crc32c.h"

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#define CRC_OFF (CRD_BLOCK - 4u)

struct crd_sb_disk {
	uint64_t magic;
	uint32_t version;
	uint32_t flags;
	uint8_t cluster_id[16];
	uint8_t disk_id[16];
	uint32_t role;
	uint32_t set_count;
	uint8_t set_id[16];
	uint64_t set_generation;
	uint8_t set_disks[CRD_SET_DISKS_MAX][16];
	uint64_t disk_size;
	uint32_t slot_count;
	uint32_t region_count;
	uint64_t lease_off;
	uint64_t slots_off;
	uint64_t regions_off;
	uint64_t region0_copy;
	uint64_t unit_copy;
	uint64_t created_wall_ns;
	uint8_t reserved[CRC_OFF - 176];
	uint32_t crc;
} __attribute__((packed));

_Static_assert(offsetof(struct crd_sb_disk, version) == 8, "sb layout");
_Static_assert(offsetof(struct crd_sb_disk, cluster_id) == 16, "sb layout");
_Static_assert(offsetof(struct crd_sb_disk, disk_id) == 32, "sb layout");
_Static_assert(offsetof(struct crd_sb_disk, role) == 48, "sb layout");
_Static_assert(offsetof(struct crd_sb_disk, set_count) == 52, "sb layout");
_Static_assert(offsetof(struct crd_sb_disk, set_id) == 56, "sb layout");
_Static_assert(offsetof(struct crd_sb_disk, set_generation) == 72, "sb layout");
_Static_assert(offsetof(struct crd_sb_disk, set_disks) == 80, "sb layout");
_Static_assert(offsetof(struct crd_sb_disk, disk_size) == 112, "sb layout");
_Static_assert(offsetof(struct crd_sb_disk, slot_count) == 120, "sb layout");
_Static_assert(offsetof(struct crd_sb_disk, lease_off) == 128, "sb layout");
_Static_assert(offsetof(struct crd_sb_disk, region0_copy) == 152, "sb layout");
_Static_assert(offsetof(struct crd_sb_disk, created_wall_ns) == 168, "sb layout");
_Static_assert(offsetof(struct crd_sb_disk, reserved) == 176, "sb layout");
_Static_assert(offsetof(struct crd_sb_disk, crc) == CRC_OFF, "sb layout");
_Static_assert(sizeof(struct crd_sb_disk) == CRD_BLOCK, "sb size");

struct crd_slot_disk {
	uint64_t magic;
	uint32_t version;
	uint32_t unit_id;
	uint32_t role;
	uint32_t state;
	uint8_t identity[16];
	uint8_t machine_id[16];
	uint64_t incarnation;
	uint64_t counter;
	uint64_t wall_ns;
	uint32_t fencing;
	uint32_t renew_ms;
	uint32_t io_ms;
	uint32_t margin_ms;
	uint32_t lease_ms;
	uint32_t claim_ms;
	uint32_t fence_ms;
	uint32_t watchdog_ms;
	uint32_t stall_ms;
	uint32_t pad0;
	uint8_t reserved[CRC_OFF - 120];
	uint32_t crc;
} __attribute__((packed));

_Static_assert(offsetof(struct crd_slot_disk, unit_id) == 12, "slot layout");
_Static_assert(offsetof(struct crd_slot_disk, identity) == 24, "slot layout");
_Static_assert(offsetof(struct crd_slot_disk, machine_id) == 40, "slot layout");
_Static_assert(offsetof(struct crd_slot_disk, incarnation) == 56, "slot layout");
_Static_assert(offsetof(struct crd_slot_disk, counter) == 64, "slot layout");
_Static_assert(offsetof(struct crd_slot_disk, wall_ns) == 72, "slot layout");
_Static_assert(offsetof(struct crd_slot_disk, fencing) == 80, "slot layout");
_Static_assert(offsetof(struct crd_slot_disk, renew_ms) == 84, "slot layout");
_Static_assert(offsetof(struct crd_slot_disk, stall_ms) == 112, "slot layout");
_Static_assert(offsetof(struct crd_slot_disk, reserved) == 120, "slot layout");
_Static_assert(offsetof(struct crd_slot_disk, crc) == CRC_OFF, "slot layout");
_Static_assert(sizeof(struct crd_slot_disk) == CRD_BLOCK, "slot size");

struct crd_lease_disk {
	uint64_t magic;
	uint32_t version;
	uint32_t holder;
	uint64_t incarnation;
	uint64_t counter;
	uint64_t term;
	uint32_t lease_ms;
	uint32_t flags;
	uint8_t reserved[CRC_OFF - 48];
	uint32_t crc;
} __attribute__((packed));

_Static_assert(offsetof(struct crd_lease_disk, holder) == 12, "lease layout");
_Static_assert(offsetof(struct crd_lease_disk, incarnation) == 16, "lease layout");
_Static_assert(offsetof(struct crd_lease_disk, term) == 32, "lease layout");
_Static_assert(offsetof(struct crd_lease_disk, lease_ms) == 40, "lease layout");
_Static_assert(offsetof(struct crd_lease_disk, flags) == 44, "lease layout");
_Static_assert(offsetof(struct crd_lease_disk, crc) == CRC_OFF, "lease layout");
_Static_assert(sizeof(struct crd_lease_disk) == CRD_BLOCK, "lease size");

struct crd_region_hdr_disk {
	uint64_t magic;
	uint32_t version;
	uint32_t region;
	uint32_t owner;
	uint32_t payload_crc;
	uint64_t owner_incarnation;
	uint64_t term;
	uint64_t generation;
	uint64_t payload_len;
	uint8_t reserved[CRC_OFF - 56];
	uint32_t crc;
} __attribute__((packed));

_Static_assert(offsetof(struct crd_region_hdr_disk, region) == 12, "region layout");
_Static_assert(offsetof(struct crd_region_hdr_disk, owner) == 16, "region layout");
_Static_assert(offsetof(struct crd_region_hdr_disk, payload_crc) == 20, "region layout");
_Static_assert(offsetof(struct crd_region_hdr_disk, owner_incarnation) == 24, "region layout");
_Static_assert(offsetof(struct crd_region_hdr_disk, term) == 32, "region layout");
_Static_assert(offsetof(struct crd_region_hdr_disk, generation) == 40, "region layout");
_Static_assert(offsetof(struct crd_region_hdr_disk, payload_len) == 48, "region layout");
_Static_assert(offsetof(struct crd_region_hdr_disk, crc) == CRC_OFF, "region layout");
_Static_assert(sizeof(struct crd_region_hdr_disk) == CRD_BLOCK, "region size");

/* ---- geometry ---- */

int crd_geometry_make(uint64_t disk_size, uint64_t region0_copy, uint64_t unit_copy,
		      struct crd_geometry *ret)
{
	uint64_t r0 = region0_copy ? region0_copy : CRD_DEFAULT_REGION0_COPY;
	uint64_t uc = unit_copy ? unit_copy : CRD_DEFAULT_UNIT_COPY;
	uint64_t units, r0both, end;

	if (disk_size % CRD_BLOCK || r0 % CRD_BLOCK || uc % CRD_BLOCK)
		return -EINVAL;
	if (r0 < 2 * CRD_BLOCK || uc < 2 * CRD_BLOCK)
		return -EINVAL;
	if (__builtin_mul_overflow(uc, 2ull * CRD_UNITS_MAX, &units) ||
	    __builtin_mul_overflow(r0, 2ull, &r0both) ||
	    __builtin_add_overflow(units, r0both, &end) ||
	    __builtin_add_overflow(end, CRD_REGIONS_OFF, &end) || end > disk_size)
		return -ENOSPC;
	*ret = (struct crd_geometry){
		.disk_size = disk_size,
		.slot_count = CRD_UNITS_MAX,
		.region_count = CRD_REGIONS_MAX,
		.lease_off = CRD_LEASE_OFF,
		.slots_off = CRD_SLOTS_OFF,
		.regions_off = CRD_REGIONS_OFF,
		.region0_copy = r0,
		.unit_copy = uc,
	};
	return 0;
}

uint64_t crd_region_off(const struct crd_geometry *g, uint32_t region, int copy)
{
	if (region == 0)
		return g->regions_off + (uint64_t)copy * g->region0_copy;
	return g->regions_off + 2 * g->region0_copy + (uint64_t)(region - 1) * 2 * g->unit_copy +
	       (uint64_t)copy * g->unit_copy;
}

uint64_t crd_region_copy_size(const struct crd_geometry *g, uint32_t region)
{
	return region == 0 ? g->region0_copy : g->unit_copy;
}

uint64_t crd_slot_off(const struct crd_geometry *g, uint32_t unit_id)
{
	return g->slots_off + (uint64_t)(unit_id - 1) * CRD_BLOCK;
}

/* ---- common block handling ---- */

uint32_t crd_block_ident(const void *block)
{
	const unsigned char *b = block;
	uint32_t stored = (uint32_t)b[CRD_BLOCK - 4] | (uint32_t)b[CRD_BLOCK - 3] << 8 |
			  (uint32_t)b[CRD_BLOCK - 2] << 16 | (uint32_t)b[CRD_BLOCK - 1] << 24;

	/* For a valid block the CRC of its first 4092 bytes IS the stored CRC, so any affine
	 * combination of the two keeps 16 bits of identity at most; the odd multiplier makes
	 * it non-linear (32 bits for valid blocks, tests/sim finding 4). */
	return crc32c(0, block, CRD_BLOCK - 4) * 0x9e3779b1u ^ (stored << 16 | stored >> 16);
}

bool crd_block_is_zero(const void *block)
{
	const uint64_t *w = block;

	for (size_t i = 0; i < CRD_BLOCK / sizeof(*w); i++)
		if (w[i])
			return false;
	return true;
}

void crd_block_seal(void *block)
{
	uint32_t crc = htole32(crc32c(0, block, CRC_OFF));

	memcpy((uint8_t *)block + CRC_OFF, &crc, sizeof(crc));
}

/* The checks shared by every record, in the order of ondisk.h: zero, magic, version, CRC. */
int crd_block_check(const void *block, uint64_t magic)
{
	uint64_t m;
	uint32_t v, crc;

	if (crd_block_is_zero(block))
		return -ENODATA;
	memcpy(&m, block, sizeof(m));
	if (le64toh(m) != magic)
		return -EBADMSG;
	memcpy(&v, (const uint8_t *)block + 8, sizeof(v));
	if (le32toh(v) != CRD_FORMAT_VERSION)
		return -EPROTO;
	memcpy(&crc, (const uint8_t *)block + CRC_OFF, sizeof(crc));
	if (le32toh(crc) != crc32c(0, block, CRC_OFF))
		return -EILSEQ;
	return 0;
}

/* ---- superblock ---- */

void crd_sb_out(const struct crd_sb *sb, void *block)
{
	struct crd_sb_disk *d = block;

	memset(block, 0, CRD_BLOCK);
	d->magic = htole64(CRD_SB_MAGIC);
	d->version = htole32(CRD_FORMAT_VERSION);
	d->flags = htole32(sb->flags);
	memcpy(d->cluster_id, sb->cluster_id.b, 16);
	memcpy(d->disk_id, sb->disk_id.b, 16);
	d->role = htole32((uint32_t)sb->role);
	d->set_count = htole32(sb->set.count);
	memcpy(d->set_id, sb->set.set_id.b, 16);
	d->set_generation = htole64(sb->set.generation);
	for (unsigned i = 0; i < CRD_SET_DISKS_MAX; i++)
		memcpy(d->set_disks[i], sb->set.disks[i].b, 16);
	d->disk_size = htole64(sb->geo.disk_size);
	d->slot_count = htole32(sb->geo.slot_count);
	d->region_count = htole32(sb->geo.region_count);
	d->lease_off = htole64(sb->geo.lease_off);
	d->slots_off = htole64(sb->geo.slots_off);
	d->regions_off = htole64(sb->geo.regions_off);
	d->region0_copy = htole64(sb->geo.region0_copy);
	d->unit_copy = htole64(sb->geo.unit_copy);
	d->created_wall_ns = htole64(sb->created_wall_ns);
	crd_block_seal(block);
}

static bool set_valid(const struct crd_sb *sb)
{
	const struct crd_disk_set *s = &sb->set;
	bool self = false;

	if (s->count == 0) /* allowed on an internal disk only (docs/crd-format.md) */
		return sb->role == CRD_ROLE_INTERNAL;
	if (s->count > CRD_SET_DISKS_MAX || s->generation == 0 || crd_uuid_is_null(&s->set_id))
		return false;
	for (unsigned i = 0; i < s->count; i++) {
		if (crd_uuid_is_null(&s->disks[i]))
			return false;
		self |= crd_uuid_eq(&s->disks[i], &sb->disk_id);
	}
	for (unsigned i = s->count; i < CRD_SET_DISKS_MAX; i++)
		if (!crd_uuid_is_null(&s->disks[i]))
			return false;
	if (s->count == 2 && crd_uuid_eq(&s->disks[0], &s->disks[1]))
		return false;
	return sb->role == CRD_ROLE_INTERNAL || self;
}

int crd_sb_in(const void *block, struct crd_sb *ret)
{
	const struct crd_sb_disk *d = block;
	struct crd_sb sb = {0};
	struct crd_geometry want;
	int r = crd_block_check(block, CRD_SB_MAGIC);

	if (r < 0)
		return r;
	sb.version = le32toh(d->version);
	sb.flags = le32toh(d->flags);
	memcpy(sb.cluster_id.b, d->cluster_id, 16);
	memcpy(sb.disk_id.b, d->disk_id, 16);
	sb.role = (enum crd_role)le32toh(d->role);
	sb.set.count = le32toh(d->set_count);
	memcpy(sb.set.set_id.b, d->set_id, 16);
	sb.set.generation = le64toh(d->set_generation);
	for (unsigned i = 0; i < CRD_SET_DISKS_MAX; i++)
		memcpy(sb.set.disks[i].b, d->set_disks[i], 16);
	sb.geo.disk_size = le64toh(d->disk_size);
	sb.geo.slot_count = le32toh(d->slot_count);
	sb.geo.region_count = le32toh(d->region_count);
	sb.geo.lease_off = le64toh(d->lease_off);
	sb.geo.slots_off = le64toh(d->slots_off);
	sb.geo.regions_off = le64toh(d->regions_off);
	sb.geo.region0_copy = le64toh(d->region0_copy);
	sb.geo.unit_copy = le64toh(d->unit_copy);
	sb.created_wall_ns = le64toh(d->created_wall_ns);

	if (sb.flags & ~(uint32_t)CRD_SB_RETIRED)
		return -EINVAL;
	if (sb.role < CRD_ROLE_INTERNAL || sb.role >= CRD_ROLE_MAX)
		return -EINVAL;
	if (crd_uuid_is_null(&sb.cluster_id) || crd_uuid_is_null(&sb.disk_id))
		return -EINVAL;
	if (!set_valid(&sb))
		return -EINVAL;
	/* the geometry must be exactly what crd_geometry_make derives from its sizes */
	if (crd_geometry_make(sb.geo.disk_size, sb.geo.region0_copy, sb.geo.unit_copy, &want) ||
	    memcmp(&want, &sb.geo, sizeof(want)))
		return -EINVAL;
	*ret = sb;
	return 0;
}

/* ---- slot ---- */

void crd_slot_out(const struct crd_slot *s, void *block)
{
	struct crd_slot_disk *d = block;

	memset(block, 0, CRD_BLOCK);
	d->magic = htole64(CRD_SLOT_MAGIC);
	d->version = htole32(CRD_FORMAT_VERSION);
	d->unit_id = htole32(s->unit_id);
	d->role = htole32((uint32_t)s->role);
	d->state = htole32((uint32_t)s->state);
	memcpy(d->identity, s->identity.b, 16);
	memcpy(d->machine_id, s->machine_id.b, 16);
	d->incarnation = htole64(s->incarnation);
	d->counter = htole64(s->counter);
	d->wall_ns = htole64(s->wall_ns);
	d->fencing = htole32((uint32_t)s->fencing);
	d->renew_ms = htole32(s->timing.renew_ms);
	d->io_ms = htole32(s->timing.io_ms);
	d->margin_ms = htole32(s->timing.margin_ms);
	d->lease_ms = htole32(s->timing.lease_ms);
	d->claim_ms = htole32(s->timing.claim_ms);
	d->fence_ms = htole32(s->timing.fence_ms);
	d->watchdog_ms = htole32(s->timing.watchdog_ms);
	d->stall_ms = htole32(s->timing.stall_ms);
	crd_block_seal(block);
}

int crd_slot_in(const void *block, struct crd_slot *ret)
{
	const struct crd_slot_disk *d = block;
	struct crd_slot s = {0};
	uint32_t role, state, fencing;
	int r = crd_block_check(block, CRD_SLOT_MAGIC);

	if (r < 0)
		return r;
	s.unit_id = le32toh(d->unit_id);
	role = le32toh(d->role);
	state = le32toh(d->state);
	fencing = le32toh(d->fencing);
	if (s.unit_id < 1 || s.unit_id > CRD_UNITS_MAX)
		return -EINVAL;
	if (role < CRD_UNIT_MU || role >= CRD_UNIT_ROLE_MAX)
		return -EINVAL;
	if (state >= CRD_SLOT_STATE_MAX)
		return -EINVAL;
	if (fencing < CRD_FENCING_SELF || fencing >= CRD_FENCING_MAX)
		return -EINVAL;
	s.role = (enum crd_unit_role)role;
	s.state = (enum crd_slot_state)state;
	s.fencing = (enum crd_fencing)fencing;
	memcpy(s.identity.b, d->identity, 16);
	memcpy(s.machine_id.b, d->machine_id, 16);
	s.incarnation = le64toh(d->incarnation);
	s.counter = le64toh(d->counter);
	s.wall_ns = le64toh(d->wall_ns);
	s.timing.renew_ms = le32toh(d->renew_ms);
	s.timing.io_ms = le32toh(d->io_ms);
	s.timing.margin_ms = le32toh(d->margin_ms);
	s.timing.lease_ms = le32toh(d->lease_ms);
	s.timing.claim_ms = le32toh(d->claim_ms);
	s.timing.fence_ms = le32toh(d->fence_ms);
	s.timing.watchdog_ms = le32toh(d->watchdog_ms);
	s.timing.stall_ms = le32toh(d->stall_ms);
	*ret = s;
	return 0;
}

/* ---- lease ---- */

void crd_lease_out(const struct crd_lease_rec *l, void *block)
{
	struct crd_lease_disk *d = block;

	memset(block, 0, CRD_BLOCK);
	d->magic = htole64(CRD_LEASE_MAGIC);
	d->version = htole32(CRD_FORMAT_VERSION);
	d->holder = htole32(l->holder);
	d->incarnation = htole64(l->incarnation);
	d->counter = htole64(l->counter);
	d->term = htole64(l->term);
	d->lease_ms = htole32(l->lease_ms);
	d->flags = htole32(l->flags);
	crd_block_seal(block);
}

int crd_lease_in(const void *block, struct crd_lease_rec *ret)
{
	const struct crd_lease_disk *d = block;
	struct crd_lease_rec l = {0};
	int r = crd_block_check(block, CRD_LEASE_MAGIC);

	if (r < 0)
		return r;
	l.holder = le32toh(d->holder);
	l.incarnation = le64toh(d->incarnation);
	l.counter = le64toh(d->counter);
	l.term = le64toh(d->term);
	l.lease_ms = le32toh(d->lease_ms);
	l.flags = le32toh(d->flags);
	if (l.holder > CRD_UNITS_MAX || (l.flags & ~(uint32_t)CRD_LEASE_RELEASED))
		return -EINVAL;
	*ret = l;
	return 0;
}

/* ---- region copy header ---- */

void crd_region_hdr_out(const struct crd_region_hdr *h, void *block)
{
	struct crd_region_hdr_disk *d = block;

	memset(block, 0, CRD_BLOCK);
	d->magic = htole64(CRD_REGION_MAGIC);
	d->version = htole32(CRD_FORMAT_VERSION);
	d->region = htole32(h->region);
	d->owner = htole32(h->owner);
	d->payload_crc = htole32(h->payload_crc);
	d->owner_incarnation = htole64(h->owner_incarnation);
	d->term = htole64(h->term);
	d->generation = htole64(h->generation);
	d->payload_len = htole64(h->payload_len);
	crd_block_seal(block);
}

int crd_region_hdr_in(const void *block, struct crd_region_hdr *ret)
{
	const struct crd_region_hdr_disk *d = block;
	struct crd_region_hdr h = {0};
	int r = crd_block_check(block, CRD_REGION_MAGIC);

	if (r < 0)
		return r;
	h.region = le32toh(d->region);
	h.owner = le32toh(d->owner);
	h.payload_crc = le32toh(d->payload_crc);
	h.owner_incarnation = le64toh(d->owner_incarnation);
	h.term = le64toh(d->term);
	h.generation = le64toh(d->generation);
	h.payload_len = le64toh(d->payload_len);
	if (h.region >= CRD_REGIONS_MAX || h.owner < 1 || h.owner > CRD_UNITS_MAX)
		return -EINVAL;
	/* no copy can be larger than the address space of an off_t */
	if (h.payload_len > (uint64_t)INT64_MAX - CRD_BLOCK)
		return -EINVAL;
	*ret = h;
	return 0;
}

int crd_region_hdr_check(const struct crd_geometry *g, uint32_t region,
			 const struct crd_region_hdr *h)
{
	if (h->region != region || region >= g->region_count)
		return -EINVAL;
	if (h->payload_len > crd_region_copy_size(g, region) - CRD_BLOCK)
		return -EINVAL;
	return 0;
}

/* ---- strings ---- */

const char *crd_decode_strerror(int err)
{
	switch (err) {
	case 0:
		return "ok";
	case -ENODATA:
		return "empty (all zero)";
	case -EBADMSG:
		return "bad magic";
	case -EPROTO:
		return "unknown format version";
	case -EILSEQ:
		return "CRC mismatch";
	case -EINVAL:
		return "field out of range";
	default:
		return "unreadable";
	}
}

const char *crd_role_to_string(enum crd_role r)
{
	switch (r) {
	case CRD_ROLE_INTERNAL:
		return "internal";
	case CRD_ROLE_EXTERNAL:
		return "external";
	default:
		return "?";
	}
}

const char *crd_slot_state_to_string(enum crd_slot_state s)
{
	static const char *const names[CRD_SLOT_STATE_MAX] = {"EMPTY", "RUNNING", "RESTARTING",
							      "LEFT"};
	return s >= 0 && s < CRD_SLOT_STATE_MAX ? names[s] : "?";
}

const char *crd_unit_role_to_string(enum crd_unit_role r)
{
	return r == CRD_UNIT_MU ? "MU" : r == CRD_UNIT_SU ? "SU" : "?";
}

const char *crd_fencing_to_string(enum crd_fencing f)
{
	return f == CRD_FENCING_SELF ? "self" : f == CRD_FENCING_NONE ? "none" : "?";
}

/* ---- uuids ---- */

void crd_uuid_to_string(const crd_uuid *u, char out[37])
{
	static const char hex[] = "0123456789abcdef";
	char *p = out;

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[u->b[i] >> 4];
		*p++ = hex[u->b[i] & 15];
	}
	*p = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int crd_uuid_parse(const char *s, crd_uuid *ret)
{
	crd_uuid u;
	int n = 0;

	if (strlen(s) != 36)
		return -EINVAL;
	for (int i = 0; i < 36;) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i++] != '-')
				return -EINVAL;
			continue;
		}
		int hi = hexval(s[i]), lo = hexval(s[i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		u.b[n++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	*ret = u;
	return 0;
}

bool crd_uuid_is_null(const crd_uuid *u)
{
	static const crd_uuid zero;

	return !memcmp(u, &zero, sizeof(zero));
}

bool crd_uuid_eq(const crd_uuid *a, const crd_uuid *b)
{
	return !memcmp(a, b, sizeof(*a));
}

int crd_uuid_random(crd_uuid *ret)
{
	crd_uuid u;
	size_t got = 0;

	while (got < sizeof(u.b)) {
		ssize_t n = getrandom(u.b + got, sizeof(u.b) - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	u.b[6] = (uint8_t)((u.b[6] & 0x0f) | 0x40); /* version 4 */
	u.b[8] = (uint8_t)((u.b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	*ret = u;
	return 0;
}
