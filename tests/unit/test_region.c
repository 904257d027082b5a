/* test_region.c — region copies (src/crd/region.c; crd.md §2, §3 and the commit and read
 * columns of §5): real files, real disk threads, faults through the named fault points. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "crd_fixture.h"
#include "crd/ondisk.h"
#include "crd/region.h"

static struct fx F;
static struct crd_region_disks RD;

static int fx_td(void **state)
{
	fx_teardown(&F);
	memset(&F, 0, sizeof(F));
	return 0;
}

#define COPY (128u << 10)              /* bytes per region copy, header included */
#define CAP (COPY - CRD_BLOCK)         /* largest payload */
#define DISK_SIZE (80ull << 20)        /* sparse */
#define PAYLOAD (64u << 10)

/* N external disks (io 0..N-1) and, with internal, the internal disk (io N). */
static void rd_setup(int n, bool internal, uint32_t io_timeout_ms)
{
	fx_setup(&F, n + (internal ? 1 : 0), io_timeout_ms, DISK_SIZE);
	memset(&RD, 0, sizeof(RD));
	RD.io = F.io;
	assert_int_equal(crd_geometry_make(DISK_SIZE, COPY, COPY, &RD.geo), 0);
	RD.next = n;
	for (int i = 0; i < n; i++)
		RD.ext[i] = i;
	RD.internal = internal ? n : -1;
}

/* A payload that differs in every block from any other seed's. */
static uint8_t *payload_make(int seed, size_t len)
{
	uint8_t *p = malloc(len);

	assert_non_null(p);
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 37 + (i % 251) + i / CRD_BLOCK);
	return p;
}

static void write_ok(struct crd_region_writer *w, uint64_t term, const uint8_t *p, size_t len)
{
	struct sec_err err = {0};
	struct crd_region_wres res;
	int r = crd_region_write(&RD, w, term, p, len, 0, &res, &err);

	if (r < 0)
		fail_msg("write failed: %s", err.msg);
	assert_true(res.committed);
}

/* Reads region and asserts the winner's generation and payload. */
static void read_expect(uint32_t region, uint64_t gen, const uint8_t *p, size_t len)
{
	struct crd_region_read rr;
	struct sec_err err = {0};

	assert_int_equal(crd_region_read(&RD, region, &rr, &err), 0);
	assert_true(rr.found);
	assert_int_equal(rr.hdr.generation, gen);
	assert_int_equal(rr.hdr.payload_len, len);
	assert_memory_equal(rr.payload, p, len);
	assert_false(rr.internal_only);
	crd_region_read_release(&rr);
}

/* Header of copy c of region on io disk d, straight from the file. */
static int file_hdr(int d, uint32_t region, int c, struct crd_region_hdr *h)
{
	uint8_t block[CRD_BLOCK];

	fx_file_read(&F, d, crd_region_off(&RD.geo, region, c), block, sizeof(block));
	return crd_region_hdr_in(block, h);
}

static void hdr_same(const struct crd_region_hdr *a, const struct crd_region_hdr *b)
{
	assert_int_equal(a->region, b->region);
	assert_int_equal(a->owner, b->owner);
	assert_int_equal(a->owner_incarnation, b->owner_incarnation);
	assert_int_equal(a->term, b->term);
	assert_int_equal(a->generation, b->generation);
	assert_int_equal(a->payload_len, b->payload_len);
	assert_int_equal(a->payload_crc, b->payload_crc);
}

static void test_region_copies(void **state)
{
	struct crd_region_writer w;
	struct crd_region_hdr h;
	uint8_t *p[4];

	rd_setup(1, true, 2000);
	crd_region_writer_init(&w, 3, 3, 77, 0);
	for (int g = 1; g <= 3; g++) {
		p[g] = payload_make(g, PAYLOAD - (size_t)g); /* not block-sized */
		write_ok(&w, 0, p[g], PAYLOAD - (size_t)g);
		read_expect(3, (uint64_t)g, p[g], PAYLOAD - (size_t)g);
		/* generation g is in copy g mod 2, the other copy holds g - 1 */
		assert_int_equal(file_hdr(0, 3, g % 2, &h), 0);
		assert_int_equal(h.generation, g);
		assert_int_equal(h.owner_incarnation, 77);
		if (g > 1) {
			assert_int_equal(file_hdr(0, 3, (g + 1) % 2, &h), 0);
			assert_int_equal(h.generation, g - 1);
		}
		/* the internal disk got it too */
		assert_int_equal(file_hdr(1, 3, g % 2, &h), 0);
		assert_int_equal(h.generation, g);
	}
	for (int g = 1; g <= 3; g++)
		free(p[g]);
}

/* A torn write at every block of the copy leaves the previous committed generation
 * readable, payload exact; each failed attempt moves the generation by 2. */
static void test_region_torn_every_block(void **state)
{
	struct crd_region_writer w;
	struct crd_region_wres res;
	struct crd_region_hdr h;
	struct sec_err err;
	uint8_t *p1 = payload_make(1, PAYLOAD), *p2 = payload_make(2, PAYLOAD);
	uint8_t *p3 = payload_make(3, PAYLOAD);
	int blocks = 1 + PAYLOAD / CRD_BLOCK;

	rd_setup(1, true, 5000);
	crd_region_writer_init(&w, 7, 7, 1, 0);
	write_ok(&w, 0, p1, PAYLOAD); /* gen 1: copy B */
	write_ok(&w, 0, p2, PAYLOAD); /* gen 2: copy A, the committed state */
	for (int k = 0; k < blocks; k++) {
		struct fault_spec tear = {.action = FAULT_TEAR, .arg = (uint64_t)k * CRD_BLOCK,
					  .count = 1};
		assert_int_equal(fault_set("crd.write:*/d0", &tear), 0);
		assert_int_equal(crd_region_write(&RD, &w, 0, p3, PAYLOAD, 0, &res, &err), -EIO);
		assert_false(res.committed);
		assert_int_equal(res.generation, 3 + 2 * (uint64_t)k);
		assert_non_null(strstr(err.msg, F.path[0]));
		read_expect(7, 2, p2, PAYLOAD);
		assert_int_equal(file_hdr(0, 7, 0, &h), 0); /* never overwritten */
		assert_int_equal(h.generation, 2);
		/* a write that did not commit never reaches the internal disk */
		assert_int_equal(file_hdr(1, 7, 1, &h), 0);
		assert_int_equal(h.generation, 1);
	}
	assert_int_equal(crd_region_writer_next(&w), 3 + 2 * (uint64_t)blocks);
	write_ok(&w, 0, p3, PAYLOAD);
	read_expect(7, 3 + 2 * (uint64_t)blocks, p3, PAYLOAD);
	free(p1);
	free(p2);
	free(p3);
}

struct landing {
	uint32_t region;
	uint64_t gen;
};

static bool copy_b_is(void *arg)
{
	struct landing *l = arg;
	struct crd_region_hdr h;

	return file_hdr(0, l->region, 1, &h) == 0 && h.generation == l->gen;
}

/* After a failed or timed-out write the next one uses generation + 2, so the committed
 * copy is never overwritten — also when the timed-out write lands late. */
static void test_region_gen_plus_two(void **state)
{
	struct fault_spec fail = {.action = FAULT_FAIL, .arg = EIO, .count = 1};
	struct fault_spec late = {.action = FAULT_LATE, .arg = 200, .count = 1};
	struct crd_region_writer w;
	struct crd_region_wres res;
	struct crd_region_hdr h;
	struct landing l = {.region = 9, .gen = 5};
	uint8_t *p2 = payload_make(2, 1000), *px = payload_make(9, 1000);

	rd_setup(1, false, 5000);
	crd_region_writer_init(&w, 9, 9, 1, 1); /* gen 1 was committed before */
	write_ok(&w, 0, p2, 1000);                /* gen 2 -> copy A */
	assert_int_equal(fault_set("crd.write:*/d0", &fail), 0);
	assert_int_equal(crd_region_write(&RD, &w, 0, px, 1000, 0, &res, NULL), -EIO);
	assert_int_equal(res.generation, 3);
	assert_int_equal(crd_region_writer_next(&w), 5);
	/* gen 5 lands late: reported as a timeout, lands in copy B 200 ms later */
	assert_int_equal(fault_set("crd.write:*/d0", &late), 0);
	assert_int_equal(crd_region_write(&RD, &w, 0, px, 1000, 0, &res, NULL), -ETIMEDOUT);
	assert_int_equal(res.generation, 5);
	assert_int_equal(crd_region_writer_next(&w), 7);
	assert_true(fx_wait(copy_b_is, &l, 10000));
	assert_int_equal(file_hdr(0, 9, 0, &h), 0);
	assert_int_equal(h.generation, 2); /* the committed copy survived */
	assert_int_equal(crd_io_disk_state(F.io, 0), CRD_DISK_STALE);
	assert_int_equal(crd_io_disk_set_state(F.io, 0, CRD_DISK_STALE, CRD_DISK_NORMAL), 0);
	write_ok(&w, 0, p2, 1000); /* gen 7 -> copy B again */
	read_expect(9, 7, p2, 1000);
	assert_int_equal(file_hdr(0, 9, 0, &h), 0);
	assert_int_equal(h.generation, 2);
	free(p2);
	free(px);
}

/* Region 0: A + fdatasync, then B + fdatasync, on each disk; not_after is honoured. */
static void test_region0_both_copies(void **state)
{
	struct crd_region_writer w;
	struct crd_region_wres res;
	struct crd_region_hdr h;
	uint8_t *p = payload_make(4, 5000);
	uint64_t a = 0, b = 0;
	int seq[2][4], n[2] = {0, 0};

	rd_setup(2, false, 2000);
	crd_region_writer_init(&w, 0, 1, 5, 0);
	fx_ops_reset();
	assert_int_equal(crd_region_write(&RD, &w, 4, p, 5000,
					  clock_boottime_ns() + 10 * NSEC_PER_SEC, &res, NULL), 0);
	for (int d = 0; d < 2; d++) {
		for (int c = 0; c < 2; c++) {
			assert_int_equal(file_hdr(d, 0, c, &h), 0);
			assert_int_equal(h.generation, 1);
			assert_int_equal(h.term, 4);
		}
	}
	a = crd_region_off(&RD.geo, 0, 0);
	b = crd_region_off(&RD.geo, 0, 1);
	for (int i = 0; i < fx_nops; i++)
		for (int d = 0; d < 2; d++)
			if (fx_ops[i].fd == fx_fd(&F, d) && n[d] < 4)
				seq[d][n[d]++] = fx_ops[i].op == 's' ? 's'
					       : fx_ops[i].off == a ? 'A'
					       : fx_ops[i].off == b ? 'B' : '?';
	for (int d = 0; d < 2; d++) {
		assert_int_equal(n[d], 4);
		assert_int_equal(seq[d][0], 'A');
		assert_int_equal(seq[d][1], 's');
		assert_int_equal(seq[d][2], 'B');
		assert_int_equal(seq[d][3], 's');
	}
	read_expect(0, 1, p, 5000);
	/* R1: a lease validity already past writes nothing */
	fx_ops_reset();
	assert_int_equal(crd_region_write(&RD, &w, 4, p, 5000, clock_boottime_ns(), &res, NULL),
			 -ETIME);
	assert_false(res.committed);
	assert_int_equal(fx_nops, 0);
	read_expect(0, 1, p, 5000);
	free(p);
}

static void test_region_enospc(void **state)
{
	struct crd_region_writer w;
	struct sec_err err = {0};
	uint8_t *p = payload_make(5, CAP + 1);

	rd_setup(1, false, 2000);
	crd_region_writer_init(&w, 2, 2, 1, 0);
	fx_ops_reset();
	assert_int_equal(crd_region_write(&RD, &w, 0, p, CAP + 1, 0, NULL, &err), -ENOSPC);
	assert_int_equal(err.code, -ENOSPC);
	assert_non_null(strstr(err.msg, "does not fit"));
	assert_int_equal(fx_nops, 0);
	assert_int_equal(crd_region_writer_next(&w), 1);
	write_ok(&w, 0, p, CAP); /* exactly the copy: fits */
	read_expect(2, 1, p, CAP);
	free(p);
}

/* External disks first, the internal disk last. */
static void test_region_external_first(void **state)
{
	struct crd_region_writer w;
	uint8_t *p = payload_make(6, 3 * CRD_BLOCK);
	int first_internal = -1, last_external = -1;

	rd_setup(2, true, 2000);
	crd_region_writer_init(&w, 4, 4, 1, 0);
	for (int round = 0; round < 2; round++) {
		fx_ops_reset();
		write_ok(&w, 0, p, 3 * CRD_BLOCK);
		first_internal = last_external = -1;
		for (int i = 0; i < fx_nops; i++) {
			if (fx_ops[i].fd == fx_fd(&F, 2)) {
				if (first_internal < 0)
					first_internal = i;
			} else {
				last_external = i;
			}
		}
		assert_true(first_internal >= 0 && last_external >= 0);
		assert_true(last_external < first_internal);
	}
	free(p);
}

/* N = 2 with one disk failing: committed on the other, the failing one becomes STALE; with
 * both failing nothing is committed. */
static void test_region_n2_one_failing(void **state)
{
	struct fault_spec fail = {.action = FAULT_FAIL, .arg = EIO};
	struct crd_region_writer w;
	struct crd_region_wres res;
	struct crd_region_read rr;
	struct sec_err err = {0};
	uint8_t *p1 = payload_make(1, 100), *p2 = payload_make(2, 100);

	rd_setup(2, false, 2000);
	crd_region_writer_init(&w, 5, 5, 1, 0);
	write_ok(&w, 0, p1, 100);
	assert_int_equal(fault_set("crd.write:*/d1", &fail), 0);
	assert_int_equal(crd_region_write(&RD, &w, 0, p2, 100, 0, &res, NULL), 0);
	assert_true(res.committed);
	assert_int_equal(res.ext_ok, 1);
	assert_int_equal(res.disk_result[0], 0);
	assert_int_equal(res.disk_result[1], -EIO);
	assert_int_equal(crd_io_disk_state(F.io, 1), CRD_DISK_STALE);
	assert_int_equal(crd_io_disk_state(F.io, 0), CRD_DISK_NORMAL);
	read_expect(5, 2, p2, 100);
	assert_int_equal(crd_region_read(&RD, 5, &rr, NULL), 0);
	assert_int_equal(rr.source, 0);
	assert_int_equal(rr.copy[1][0].decode, -ENODATA); /* d1 missed gen 2 (copy A) */
	assert_int_equal(rr.copy[1][1].hdr.generation, 1);
	crd_region_read_release(&rr);
	/* both failing: not committed, the error names a disk */
	assert_int_equal(fault_set("crd.write:*/d0", &fail), 0);
	assert_int_equal(crd_region_write(&RD, &w, 0, p2, 100, 0, &res, &err), -EIO);
	assert_false(res.committed);
	assert_non_null(strstr(err.msg, "not committed"));
	assert_non_null(strstr(err.msg, F.path[0]));
	free(p1);
	free(p2);
}

/* Readers take the highest (term, generation): a higher term beats a higher generation. */
/* Region-0 copy order (found by tests/sim `r0_copy_ab`): a writer that finds copy B torn by
 * the previous master writes B first; with the literal "A, then B" order a tear of A would
 * leave no valid copy of committed data. */
static bool region0_survives_second_tear(bool order_from_read)
{
	struct crd_region_writer w, w2;
	struct crd_region_read r;
	uint8_t *p1 = payload_make(1, 3000), *p2 = payload_make(2, 3000);
	uint8_t *junk = crd_buf_alloc(CRD_BLOCK);
	bool ok;

	rd_setup(1, false, 2000);
	crd_region_writer_init(&w, 0, 1, 5, 0);
	write_ok(&w, 3, p1, 3000);
	write_ok(&w, 3, p2, 3000); /* gen 2 in A and B */
	memset(junk, 0x5a, CRD_BLOCK); /* the previous master's write of B tore */
	assert_int_equal(pwrite(fx_fd(&F, 0), junk, CRD_BLOCK, (off_t)crd_region_off(&RD.geo, 0, 1)),
			 (ssize_t)CRD_BLOCK);
	free(junk);
	assert_int_equal(crd_region_read(&RD, 0, &r, NULL), 0);
	assert_true(r.found);
	crd_region_writer_init(&w2, 0, 2, 6, r.hdr.generation); /* a new master */
	if (order_from_read)
		crd_region_writer_order_from(&w2, &r);
	crd_region_read_release(&r);
	struct fault_spec tear = {.action = FAULT_TEAR, .arg = CRD_BLOCK, .count = 1};
	assert_int_equal(fault_set("crd.write:*/d0", &tear), 0);
	assert_int_equal(crd_region_write(&RD, &w2, 4, p1, 3000, 0, NULL, NULL), -EIO);
	fault_clear_all();
	ok = crd_region_read(&RD, 0, &r, NULL) == 0 && r.found && r.hdr.generation == 2 &&
	     memcmp(r.payload, p2, 3000) == 0;
	crd_region_read_release(&r);
	free(p1);
	free(p2);
	return ok;
}

static void test_region0_torn_copy_written_first(void **state)
{
	assert_true(region0_survives_second_tear(true));
}

static void test_region0_literal_order_loses_data(void **state)
{
	assert_false(region0_survives_second_tear(false));
}

static void test_region_read_order(void **state)
{
	struct crd_region_writer w;
	uint8_t *old = payload_make(1, 200), *newer = payload_make(2, 200);
	struct crd_region_read rr;

	rd_setup(2, false, 2000);
	crd_region_writer_init(&w, 0, 1, 1, 8);
	write_ok(&w, 2, old, 200); /* term 2, gen 9 */
	/* a new master with term 3 whose generation count is lower */
	crd_region_writer_init(&w, 0, 2, 1, 1);
	RD.ext[0] = 1; /* only on D2: D1 keeps term 2 gen 9, and is read first */
	RD.next = 1;
	write_ok(&w, 3, newer, 200); /* term 3, gen 2 */
	RD.ext[0] = 0;
	RD.next = 2;
	assert_int_equal(crd_region_read(&RD, 0, &rr, NULL), 0);
	assert_true(rr.found);
	assert_int_equal(rr.hdr.term, 3);
	assert_int_equal(rr.hdr.generation, 2);
	assert_int_equal(rr.hdr.owner, 2);
	assert_int_equal(rr.source, 1);
	assert_memory_equal(rr.payload, newer, 200);
	assert_int_equal(rr.copy[0][1].hdr.generation, 9); /* seen and beaten */
	assert_int_equal(rr.copy[0][1].hdr.term, 2);
	crd_region_read_release(&rr);
	/* same term: the higher generation wins, whichever disk holds it */
	crd_region_writer_init(&w, 0, 2, 1, 2);
	RD.ext[0] = 1; /* write gen 3 only on D2 */
	RD.next = 1;
	write_ok(&w, 3, old, 200);
	RD.ext[0] = 0;
	RD.next = 2;
	assert_int_equal(crd_region_read(&RD, 0, &rr, NULL), 0);
	assert_int_equal(rr.hdr.generation, 3);
	assert_int_equal(rr.source, 1);
	crd_region_read_release(&rr);
	free(old);
	free(newer);
}

/* A generation found only on the internal disk is discarded; the internal disk serves only
 * when no external disk is readable, and then says so (CRD status ERROR). */
static void test_region_internal_only(void **state)
{
	struct fault_spec fail = {.action = FAULT_FAIL, .arg = EIO};
	struct crd_region_disks only_internal;
	struct crd_region_writer w;
	struct crd_region_read rr;
	uint8_t *p1 = payload_make(1, 300), *p2 = payload_make(2, 300);

	rd_setup(1, true, 2000);
	crd_region_writer_init(&w, 6, 6, 1, 0);
	write_ok(&w, 0, p1, 300);
	/* plant gen 2 on the internal disk only */
	only_internal = RD;
	only_internal.ext[0] = 1;
	only_internal.internal = -1;
	assert_int_equal(crd_region_write(&only_internal, &w, 0, p2, 300, 0, NULL, NULL), 0);
	read_expect(6, 1, p1, 300);
	/* D1 unreadable: the internal disk serves, flagged */
	assert_int_equal(fault_set("crd.read:*/d0", &fail), 0);
	assert_int_equal(crd_region_read(&RD, 6, &rr, NULL), 0);
	assert_true(rr.internal_only);
	assert_int_equal(rr.source, 1);
	assert_int_equal(rr.hdr.generation, 2);
	assert_int_equal(rr.disk_result[0], -EIO);
	crd_region_read_release(&rr);
	/* no disk readable at all */
	assert_int_equal(fault_set("crd.read:*", &fail), 0);
	assert_int_equal(crd_region_read(&RD, 6, &rr, NULL), -EIO);
	crd_region_read_release(&rr);
	free(p1);
	free(p2);
}

struct alive {
	int calls;
	int dead_for; /* owner_dead() is true for this many calls */
};

static bool owner_dead(void *arg)
{
	struct alive *a = arg;

	return a->calls++ < a->dead_for;
}

/* Master repair of a dead unit's region: unchanged, into copy (generation mod 2), read
 * back; stops when the owner is alive again. Then the owner's own resync. */
static void test_region_repair_and_resync(void **state)
{
	struct fault_spec fail = {.action = FAULT_FAIL, .arg = EIO};
	struct crd_region_writer w;
	struct crd_region_read src, rr;
	struct crd_region_hdr h;
	struct alive a = {.dead_for = 1};
	struct sec_err err = {0};
	uint8_t *p = payload_make(3, 9000);
	uint8_t file[9000];
	int targets[2] = {1, 2};

	rd_setup(2, true, 2000); /* D1, D2 (to be stale) and io disk 2 as a spare target */
	RD.internal = -1;
	crd_region_writer_init(&w, 8, 8, 42, 4);
	assert_int_equal(fault_set("crd.write:*/d1", &fail), 0);
	write_ok(&w, 6, p, 9000); /* gen 5 on D1 only; D2 is STALE */
	fault_clear_all();
	assert_int_equal(crd_io_disk_state(F.io, 1), CRD_DISK_STALE);
	assert_int_equal(crd_region_read(&RD, 8, &src, NULL), 0);
	assert_true(src.found);
	/* unit 8 dead for one disk, then alive: D2 repaired, the spare left alone */
	assert_int_equal(crd_region_repair(&RD, &src, targets, 2, owner_dead, &a, &err),
			 -ECANCELED);
	assert_non_null(strstr(err.msg, "alive"));
	assert_int_equal(file_hdr(1, 8, 1, &h), 0); /* copy 5 mod 2 = B */
	hdr_same(&h, &src.hdr);
	assert_int_equal(h.owner_incarnation, 42);
	assert_int_equal(h.term, 6);
	fx_file_read(&F, 1, crd_region_off(&RD.geo, 8, 1) + CRD_BLOCK, file, sizeof(file));
	assert_memory_equal(file, p, sizeof(file));
	assert_int_equal(file_hdr(1, 8, 0, &h), -ENODATA);
	assert_int_equal(file_hdr(2, 8, 1, &h), -ENODATA); /* stopped before the spare */
	/* dead throughout: every target, count returned */
	a = (struct alive){.dead_for = 100};
	assert_int_equal(crd_region_repair(&RD, &src, targets, 2, owner_dead, &a, &err), 2);
	assert_int_equal(file_hdr(2, 8, 1, &h), 0);
	hdr_same(&h, &src.hdr);
	crd_region_read_release(&src);
	/* the owner comes back with a new incarnation: both copies rewritten on both disks */
	crd_region_writer_init(&w, 8, 8, 43, 0);
	if (crd_region_owner_resync(&RD, &w, 6, 0, &err) < 0)
		fail_msg("resync: %s", err.msg);
	assert_int_equal(w.committed, 7);
	for (int d = 0; d < 2; d++) {
		assert_int_equal(file_hdr(d, 8, 0, &h), 0);
		assert_int_equal(h.generation, 6);
		assert_int_equal(h.owner_incarnation, 43);
		assert_int_equal(file_hdr(d, 8, 1, &h), 0);
		assert_int_equal(h.generation, 7);
		assert_int_equal(h.owner_incarnation, 43);
	}
	read_expect(8, 7, p, 9000);
	assert_int_equal(crd_region_read(&RD, 8, &rr, NULL), 0);
	assert_int_equal(rr.hdr.owner_incarnation, 43);
	crd_region_read_release(&rr);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_region_copies, fx_td),
		cmocka_unit_test_teardown(test_region_torn_every_block, fx_td),
		cmocka_unit_test_teardown(test_region_gen_plus_two, fx_td),
		cmocka_unit_test_teardown(test_region0_both_copies, fx_td),
		cmocka_unit_test_teardown(test_region_enospc, fx_td),
		cmocka_unit_test_teardown(test_region_external_first, fx_td),
		cmocka_unit_test_teardown(test_region_n2_one_failing, fx_td),
		cmocka_unit_test_teardown(test_region_read_order, fx_td),
		cmocka_unit_test_teardown(test_region0_torn_copy_written_first, fx_td),
		cmocka_unit_test_teardown(test_region0_literal_order_loses_data, fx_td),
		cmocka_unit_test_teardown(test_region_internal_only, fx_td),
		cmocka_unit_test_teardown(test_region_repair_and_resync, fx_td),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
