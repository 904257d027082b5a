/* test_ondisk.c — the CRD on-disk records (crd.md §2, docs/crd-format.md): every decoder
 * round-trips, and a block that is empty, foreign, of another version, damaged or out of
 * range is reported as such and never returned as data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crd/ondisk.h"
#include "crd/setpaths.h"
#include "crd/timing.h"
#include "lib/crc32c.h"

static _Alignas(8) uint8_t blk[CRD_BLOCK];

/* Recomputes the CRC after a test changed a field, so that the field check is reached. */
static void reseal(void)
{
	uint32_t crc = htole32(crc32c(0, blk, CRD_BLOCK - 4));
	memcpy(blk + CRD_BLOCK - 4, &crc, 4);
}

static void put32(size_t off, uint32_t v)
{
	v = htole32(v);
	memcpy(blk + off, &v, 4);
	reseal();
}

static void put64(size_t off, uint64_t v)
{
	v = htole64(v);
	memcpy(blk + off, &v, 8);
	reseal();
}

static crd_uuid uuid_of(uint8_t seed)
{
	crd_uuid u;
	for (int i = 0; i < 16; i++)
		u.b[i] = (uint8_t)(seed + i);
	return u;
}

static struct crd_sb sample_sb(void)
{
	struct crd_sb sb = {.version = CRD_FORMAT_VERSION, .cluster_id = uuid_of(1),
			    .disk_id = uuid_of(2), .role = CRD_ROLE_EXTERNAL,
			    .created_wall_ns = 1234567890123ull};
	sb.set = (struct crd_disk_set){.set_id = uuid_of(3), .generation = 7, .count = 2,
				       .disks = {uuid_of(2), uuid_of(4)}};
	assert_int_equal(crd_geometry_make(1ull << 30, 0, 0, &sb.geo), 0);
	return sb;
}

static struct crd_slot sample_slot(void)
{
	return (struct crd_slot){.unit_id = 17, .role = CRD_UNIT_SU, .identity = uuid_of(5),
				 .machine_id = uuid_of(6), .incarnation = 0x1122334455667788ull,
				 .counter = 99, .wall_ns = 42, .state = CRD_SLOT_RESTARTING,
				 .fencing = CRD_FENCING_NONE,
				 .timing = crd_timing_profile(CRD_PROFILE_LAB)};
}

static struct crd_lease_rec sample_lease(void)
{
	struct crd_lease_rec l;

	memset(&l, 0, sizeof(l)); /* zero the padding too: the test compares bytes */
	l.holder = 3;
	l.incarnation = 0xabcdefull;
	l.counter = 5;
	l.term = 12;
	l.lease_ms = 2000;
	l.flags = CRD_LEASE_RELEASED;
	return l;
}

static struct crd_region_hdr sample_hdr(void)
{
	struct crd_region_hdr h;

	memset(&h, 0, sizeof(h));
	h.region = 9;
	h.owner = 9;
	h.owner_incarnation = 77;
	h.term = 4;
	h.generation = 1001;
	h.payload_len = 300;
	h.payload_crc = 0xdeadbeef;
	return h;
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return a < b ? -1 : a > b;
}

/* Regression: crc32c() of a whole valid block is the CRC residue, the same for every record,
 * so R0 and the alive observer saw a renewing holder as "unchanged" and took over. */
static void test_block_ident_tells_records_apart(void **state)
{
	unsigned char a[CRD_BLOCK], b[CRD_BLOCK];
	struct crd_lease_rec r = {.holder = 2, .incarnation = 9, .counter = 3, .term = 1,
				  .lease_ms = 1200};

	crd_lease_out(&r, a);
	r.counter = 4;
	crd_lease_out(&r, b);
	assert_int_not_equal(crd_block_ident(a), crd_block_ident(b));
	assert_int_equal(crd_block_ident(a), crd_block_ident(a));
	/* a damaged block differs from the valid one it came from */
	a[100] ^= 1;
	crd_lease_out(&r, b);
	crd_lease_out(&(struct crd_lease_rec){.holder = 2, .incarnation = 9, .counter = 3,
					      .term = 1, .lease_ms = 1200}, b);
	assert_int_not_equal(crd_block_ident(a), crd_block_ident(b));
	/* 32 bits of identity for valid records, not 16: 100,000 renewals of one holder give
	 * (almost) 100,000 identities — a random function gives ~1 collision here */
	enum { N = 100000 };
	static uint32_t ids[N];
	for (uint32_t i = 0; i < N; i++) {
		crd_lease_out(&(struct crd_lease_rec){.holder = 2, .incarnation = 9,
						      .counter = i, .term = 1, .lease_ms = 1200},
			      a);
		ids[i] = crd_block_ident(a);
	}
	qsort(ids, N, sizeof(ids[0]), cmp_u32);
	int same = 0;
	for (int i = 1; i < N; i++)
		same += ids[i] == ids[i - 1];
	assert_true(same < 10);
}

static void test_round_trip(void **state)
{
	struct crd_sb sb = sample_sb(), sb2;
	struct crd_slot s = sample_slot(), s2;
	struct crd_lease_rec l = sample_lease(), l2;
	struct crd_region_hdr h = sample_hdr(), h2;

	memset(&l2, 0, sizeof(l2));
	memset(&h2, 0, sizeof(h2));
	memset(&s2, 0, sizeof(s2));
	memset(&sb2, 0, sizeof(sb2));

	crd_sb_out(&sb, blk);
	assert_int_equal(crd_sb_in(blk, &sb2), 0);
	assert_memory_equal(&sb, &sb2, sizeof(sb));
	crd_slot_out(&s, blk);
	assert_int_equal(crd_slot_in(blk, &s2), 0);
	assert_memory_equal(&s, &s2, sizeof(s));
	crd_lease_out(&l, blk);
	assert_int_equal(crd_lease_in(blk, &l2), 0);
	assert_memory_equal(&l, &l2, sizeof(l));
	crd_region_hdr_out(&h, blk);
	assert_int_equal(crd_region_hdr_in(blk, &h2), 0);
	assert_memory_equal(&h, &h2, sizeof(h));
	/* the pinned layout: magic at 0, version at 8, CRC in the last 4 bytes */
	assert_int_equal(blk[0], 'S');
	assert_int_equal(blk[8], CRD_FORMAT_VERSION);
}

typedef int (*decode_fn)(const void *block, void *ret);

struct record {
	const char *name;
	decode_fn in;
	size_t mem_size;
};

static void make_record(int i)
{
	struct crd_sb sb = sample_sb();
	struct crd_slot s = sample_slot();
	struct crd_lease_rec l = sample_lease();
	struct crd_region_hdr h = sample_hdr();

	switch (i) {
	case 0: crd_sb_out(&sb, blk); break;
	case 1: crd_slot_out(&s, blk); break;
	case 2: crd_lease_out(&l, blk); break;
	default: crd_region_hdr_out(&h, blk); break;
	}
}

static int sb_in(const void *b, void *ret) { return crd_sb_in(b, ret); }
static int slot_in(const void *b, void *ret) { return crd_slot_in(b, ret); }
static int lease_in(const void *b, void *ret) { return crd_lease_in(b, ret); }
static int hdr_in(const void *b, void *ret) { return crd_region_hdr_in(b, ret); }

static const struct record records[] = {
	{"superblock", sb_in, sizeof(struct crd_sb)},
	{"slot", slot_in, sizeof(struct crd_slot)},
	{"lease", lease_in, sizeof(struct crd_lease_rec)},
	{"region header", hdr_in, sizeof(struct crd_region_hdr)},
};

/* A flipped bit in any byte of any record is an error, and the output is not touched. */
static void test_every_byte_flip_is_detected(void **state)
{
	uint8_t mem[512], guard[512];

	memset(guard, 0x5a, sizeof(guard));
	for (int i = 0; i < 4; i++)
		for (size_t off = 0; off < CRD_BLOCK; off++) {
			make_record(i);
			blk[off] ^= 0x10;
			memcpy(mem, guard, sizeof(mem));
			int r = records[i].in(blk, mem);
			if (r >= 0)
				fail_msg("%s: flip at byte %zu decoded as data", records[i].name,
					 off);
			assert_memory_equal(mem, guard, records[i].mem_size);
			if (off < 8)
				assert_int_equal(r, -EBADMSG);
			else if (off < 12)
				assert_int_equal(r, -EPROTO);
			else
				assert_int_equal(r, -EILSEQ);
		}
}

static void test_zero_magic_version(void **state)
{
	uint8_t mem[512];

	for (int i = 0; i < 4; i++) {
		memset(blk, 0, sizeof(blk));
		assert_int_equal(records[i].in(blk, mem), -ENODATA);
		make_record(i);
		put32(8, CRD_FORMAT_VERSION + 1);
		assert_int_equal(records[i].in(blk, mem), -EPROTO);
		make_record(i);
		put64(0, CRD_SB_MAGIC ^ CRD_SLOT_MAGIC ^ CRD_LEASE_MAGIC ^ CRD_REGION_MAGIC);
		assert_int_equal(records[i].in(blk, mem), -EBADMSG);
		/* the magic of another record is a bad magic too */
		make_record(i);
		put64(0, i == 0 ? CRD_SLOT_MAGIC : CRD_SB_MAGIC);
		assert_int_equal(records[i].in(blk, mem), -EBADMSG);
	}
	assert_true(crd_block_is_zero((memset(blk, 0, CRD_BLOCK), blk)));
	assert_string_equal(crd_decode_strerror(-EILSEQ), "CRC mismatch");
	assert_string_equal(crd_decode_strerror(-ENODATA), "empty (all zero)");
}

static void expect_sb_einval(void (*change)(struct crd_sb *))
{
	struct crd_sb sb = sample_sb(), out;

	memset(&out, 0x77, sizeof(out));
	change(&sb);
	crd_sb_out(&sb, blk);
	assert_int_equal(crd_sb_in(blk, &out), -EINVAL);
	assert_int_equal(out.version, 0x77777777);
}

static void sb_count3(struct crd_sb *sb) { sb->set.count = 3; }
static void sb_count0_ext(struct crd_sb *sb) { sb->set.count = 0; }
static void sb_role0(struct crd_sb *sb) { sb->role = 0; }
static void sb_role3(struct crd_sb *sb) { sb->role = 3; }
static void sb_flags(struct crd_sb *sb) { sb->flags = 2; }
static void sb_gen0(struct crd_sb *sb) { sb->set.generation = 0; }
static void sb_not_in_set(struct crd_sb *sb) { sb->set.disks[0] = uuid_of(9); }
static void sb_dup_disk(struct crd_sb *sb) { sb->set.disks[1] = sb->set.disks[0]; }
static void sb_too_small(struct crd_sb *sb) { sb->geo.disk_size = 64ull << 20; }
static void sb_unaligned(struct crd_sb *sb) { sb->geo.disk_size += 1; }
static void sb_slots(struct crd_sb *sb) { sb->geo.slot_count = 300; }
static void sb_lease_off(struct crd_sb *sb) { sb->geo.lease_off = 0; }
static void sb_null_cluster(struct crd_sb *sb) { memset(&sb->cluster_id, 0, 16); }

static void test_sb_out_of_range(void **state)
{
	struct crd_sb sb = sample_sb(), out;

	expect_sb_einval(sb_count3);
	expect_sb_einval(sb_count0_ext);
	expect_sb_einval(sb_role0);
	expect_sb_einval(sb_role3);
	expect_sb_einval(sb_flags);
	expect_sb_einval(sb_gen0);
	expect_sb_einval(sb_not_in_set);
	expect_sb_einval(sb_dup_disk);
	expect_sb_einval(sb_too_small);
	expect_sb_einval(sb_unaligned);
	expect_sb_einval(sb_slots);
	expect_sb_einval(sb_lease_off);
	expect_sb_einval(sb_null_cluster);
	/* an internal disk may record no set; RETIRED is a known flag */
	sb.role = CRD_ROLE_INTERNAL;
	memset(&sb.set, 0, sizeof(sb.set));
	sb.flags = CRD_SB_RETIRED;
	crd_sb_out(&sb, blk);
	assert_int_equal(crd_sb_in(blk, &out), 0);
	assert_int_equal(out.set.count, 0);
	assert_int_equal(out.flags, CRD_SB_RETIRED);
}

static void test_slot_lease_region_out_of_range(void **state)
{
	struct crd_slot s;
	struct crd_lease_rec l;
	struct crd_region_hdr h;
	const uint32_t bad_unit[] = {0, 257}, bad_role[] = {0, 3}, bad_state[] = {4, 99},
		       bad_fencing[] = {0, 3};

	for (int i = 0; i < 2; i++) {
		make_record(1), put32(12, bad_unit[i]);
		assert_int_equal(crd_slot_in(blk, &s), -EINVAL);
		make_record(1), put32(16, bad_role[i]);
		assert_int_equal(crd_slot_in(blk, &s), -EINVAL);
		make_record(1), put32(20, bad_state[i]);
		assert_int_equal(crd_slot_in(blk, &s), -EINVAL);
		make_record(1), put32(80, bad_fencing[i]);
		assert_int_equal(crd_slot_in(blk, &s), -EINVAL);
	}
	make_record(2), put32(12, 257);
	assert_int_equal(crd_lease_in(blk, &l), -EINVAL);
	make_record(2), put32(44, 2);
	assert_int_equal(crd_lease_in(blk, &l), -EINVAL);
	make_record(2), put32(12, 0); /* holder 0: a lease never held, still a valid block */
	assert_int_equal(crd_lease_in(blk, &l), 0);
	make_record(3), put32(12, 257);
	assert_int_equal(crd_region_hdr_in(blk, &h), -EINVAL);
	make_record(3), put32(16, 0);
	assert_int_equal(crd_region_hdr_in(blk, &h), -EINVAL);
	make_record(3), put64(48, UINT64_MAX);
	assert_int_equal(crd_region_hdr_in(blk, &h), -EINVAL);

	/* payload_len larger than its copy: the geometry check */
	struct crd_geometry g;
	assert_int_equal(crd_geometry_make(1ull << 30, 0, 0, &g), 0);
	h = sample_hdr();
	h.payload_len = g.unit_copy - CRD_BLOCK;
	assert_int_equal(crd_region_hdr_check(&g, 9, &h), 0);
	h.payload_len++;
	assert_int_equal(crd_region_hdr_check(&g, 9, &h), -EINVAL);
	h.payload_len = 10;
	assert_int_equal(crd_region_hdr_check(&g, 8, &h), -EINVAL); /* another region's */
	h.region = 0;
	h.payload_len = g.region0_copy - CRD_BLOCK;
	assert_int_equal(crd_region_hdr_check(&g, 0, &h), 0);
}

static void test_geometry(void **state)
{
	struct crd_geometry g;

	assert_int_equal(crd_geometry_make(CRD_DEFAULT_SIZE, 0, 0, &g), 0);
	assert_true(g.lease_off == 8192 && g.slots_off == 65536 && g.regions_off == 2u << 20);
	assert_int_equal(g.slot_count, 256);
	assert_int_equal(g.region_count, 257);
	assert_true(crd_slot_off(&g, 1) == 65536);
	assert_true(crd_slot_off(&g, 256) == 65536 + 255 * 4096);
	assert_true(crd_region_off(&g, 0, 0) == 2u << 20);
	assert_true(crd_region_off(&g, 0, 1) == (2u << 20) + (8u << 20));
	assert_true(crd_region_off(&g, 1, 0) == (18u << 20));
	assert_true(crd_region_off(&g, 1, 1) == (19u << 20));
	assert_true(crd_region_off(&g, 256, 1) == (18u << 20) + 511 * (1u << 20));
	assert_true(crd_region_copy_size(&g, 0) == 8u << 20);
	assert_true(crd_region_copy_size(&g, 5) == 1u << 20);
	/* the last copy ends inside the disk */
	assert_true(crd_region_off(&g, 256, 1) + g.unit_copy <= g.disk_size);

	assert_int_equal(crd_geometry_make(512ull << 20, 0, 0, &g), -ENOSPC);
	assert_int_equal(crd_geometry_make(1ull << 30, 0, 4ull << 20, &g), -ENOSPC);
	assert_int_equal(crd_geometry_make(1ull << 30, 0, UINT64_MAX / 4096 * 4096, &g),
			 -ENOSPC);
	assert_int_equal(crd_geometry_make(1ull << 30, 5000, 0, &g), -EINVAL);
	assert_int_equal(crd_geometry_make(1ull << 30, 4096, 0, &g), -EINVAL);
	assert_int_equal(crd_geometry_make((1ull << 30) + 1, 0, 0, &g), -EINVAL);
	assert_int_equal(crd_geometry_make(8ull << 20, 8192, 8192, &g), 0);
}

static void test_uuid(void **state)
{
	crd_uuid u, v;
	char s[37];

	assert_int_equal(crd_uuid_parse("6B1C2F5E-8d1a-4c39-9f0e-2a7d3b4c5e6f", &u), 0);
	crd_uuid_to_string(&u, s);
	assert_string_equal(s, "6b1c2f5e-8d1a-4c39-9f0e-2a7d3b4c5e6f");
	assert_int_equal(crd_uuid_parse("6b1c2f5e8d1a-4c39-9f0e-2a7d3b4c5e6f0", &v), -EINVAL);
	assert_int_equal(crd_uuid_parse("6b1c2f5e-8d1a-4c39-9f0e-2a7d3b4c5e6", &v), -EINVAL);
	assert_int_equal(crd_uuid_parse("6b1c2f5e-8d1a-4c39-9f0e-2a7d3b4c5e6g", &v), -EINVAL);
	assert_int_equal(crd_uuid_random(&u), 0);
	assert_int_equal(crd_uuid_random(&v), 0);
	assert_false(crd_uuid_eq(&u, &v));
	assert_false(crd_uuid_is_null(&u));
	assert_int_equal(u.b[6] >> 4, 4);
	assert_int_equal(u.b[8] >> 6, 2);
	crd_uuid_to_string(&u, s);
	assert_int_equal(crd_uuid_parse(s, &v), 0);
	assert_true(crd_uuid_eq(&u, &v));
	memset(&u, 0, sizeof(u));
	assert_true(crd_uuid_is_null(&u));
}

static void test_strings(void **state)
{
	assert_string_equal(crd_role_to_string(CRD_ROLE_EXTERNAL), "external");
	assert_string_equal(crd_slot_state_to_string(CRD_SLOT_LEFT), "LEFT");
	assert_string_equal(crd_slot_state_to_string(CRD_SLOT_STATE_MAX), "?");
	assert_string_equal(crd_unit_role_to_string(CRD_UNIT_MU), "MU");
	assert_string_equal(crd_fencing_to_string(CRD_FENCING_NONE), "none");
}


/* The disk set paths record of an online replace (setpaths.h). */
static void test_setpaths(void **state)
{
	struct crd_setpaths p = {.generation = 2, .count = 2}, q;

	memset(blk, 0, sizeof(blk));
	assert_int_equal(crd_setpaths_in(blk, &q), -ENODATA); /* never written */
	assert_int_equal(crd_uuid_random(&p.set_id), 0);
	assert_int_equal(crd_uuid_random(&p.disks[0]), 0);
	assert_int_equal(crd_uuid_random(&p.disks[1]), 0);
	strcpy(p.path[0], "/dev/disk/by-id/wwn-0x5000c500a1b2c3d4");
	memset(p.path[1], 'x', CRD_SETPATHS_PATH_MAX - 1); /* the longest path */
	p.path[1][0] = '/';
	crd_setpaths_out(&p, blk);
	assert_int_equal(crd_setpaths_in(blk, &q), 0);
	assert_true(crd_uuid_eq(&q.set_id, &p.set_id));
	assert_int_equal(q.generation, 2);
	assert_int_equal(q.count, 2);
	assert_string_equal(q.path[0], p.path[0]);
	assert_int_equal(strlen(q.path[1]), CRD_SETPATHS_PATH_MAX - 1);
	assert_string_equal(crd_setpaths_find(&q, &p.disks[0]), p.path[0]);
	assert_null(crd_setpaths_find(&q, &p.set_id));
	blk[100] ^= 1; /* a flipped byte of a path */
	assert_int_equal(crd_setpaths_in(blk, &q), -EILSEQ);
	crd_setpaths_out(&p, blk);
	put32(12, 3); /* count out of range */
	reseal();
	assert_int_equal(crd_setpaths_in(blk, &q), -EINVAL);
	crd_setpaths_out(&p, blk);
	put32(40 + 16, 0); /* an empty path */
	reseal();
	assert_int_equal(crd_setpaths_in(blk, &q), -EINVAL);
	memset(blk, 0, sizeof(blk));
	assert_int_equal(crd_setpaths_in(blk, &q), -ENODATA);
	crd_setpaths_out(&p, blk);
	blk[0] ^= 0xff;
	assert_int_equal(crd_setpaths_in(blk, &q), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_block_ident_tells_records_apart),
		cmocka_unit_test(test_every_byte_flip_is_detected),
		cmocka_unit_test(test_zero_magic_version),
		cmocka_unit_test(test_sb_out_of_range),
		cmocka_unit_test(test_slot_lease_region_out_of_range),
		cmocka_unit_test(test_geometry),
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_setpaths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
