/* test_format.c — format, open check, inspect, verify and the offline replace of crd.md §1
 * on sparse files in a mkdtemp directory. A disk that is refused is byte-identical
 * afterwards (its CRC32C before and after). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crd/format.h"
#include "crd/inspect.h"
#include "crd/replace.h"
#include "crd/timing.h"
#include "lib/crc32c.h"
#include "lib/sys_ops.h"

#define SMALL (8ull << 20) /* 8 MiB disks with 8 KiB region copies */

static char dir[64];
static char p1[128], p2[128], p3[128], pi[128];
static crd_uuid cluster, other;

static int setup(void **state)
{
	strcpy(dir, "/tmp/test_format.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(p1, sizeof(p1), "%s/d1.crd", dir);
	snprintf(p2, sizeof(p2), "%s/d2.crd", dir);
	snprintf(p3, sizeof(p3), "%s/d3.crd", dir);
	snprintf(pi, sizeof(pi), "%s/internal.crd", dir);
	crd_uuid_parse("6b1c2f5e-8d1a-4c39-9f0e-2a7d3b4c5e6f", &cluster);
	crd_uuid_parse("0a0a0a0a-8d1a-4c39-9f0e-2a7d3b4c5e6f", &other);
	return 0;
}

static int teardown(void **state)
{
	const char *const paths[] = {p1, p2, p3, pi};
	for (int i = 0; i < 4; i++)
		unlink(paths[i]);
	return rmdir(dir);
}

static struct crd_format_opts opts(enum crd_role role, const char *a, const char *b)
{
	struct crd_format_opts o = {.cluster_id = cluster, .role = role, .paths = {a, b},
				    .n_paths = b ? 2 : 1, .size = SMALL, .region0_copy = 8192,
				    .unit_copy = 8192, .unsafe_fs = true};
	return o;
}

static void format_set(void)
{
	struct crd_format_opts o = opts(CRD_ROLE_EXTERNAL, p1, p2);
	struct sec_err err;

	assert_int_equal(crd_format(&o, &err), 0);
}

static uint32_t file_crc(const char *path)
{
	static uint8_t buf[1 << 16];
	uint32_t crc = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		crc = crc32c(crc, buf, (size_t)n);
	close(fd);
	return crc;
}

static void poke(const char *path, uint64_t off, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, data, len, (off_t)off), (ssize_t)len);
	close(fd);
}

static void flip(const char *path, uint64_t off)
{
	uint8_t b;
	int fd = open(path, O_RDWR | O_CLOEXEC);

	assert_int_equal(pread(fd, &b, 1, (off_t)off), 1);
	b ^= 0x01;
	assert_int_equal(pwrite(fd, &b, 1, (off_t)off), 1);
	close(fd);
}

/* verify's output, as one string (caller frees). */
static char *verify_out(const char *const *paths, unsigned n, int *ret_bad)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	*ret_bad = crd_verify(paths, n, f);
	fclose(f);
	return text;
}

static void test_format_inspect_round_trip(void **state)
{
	struct crd_inspect *a, *b;
	struct sec_err err;
	struct stat st;

	format_set();
	assert_int_equal(crd_inspect_read(p1, &a, &err), 0);
	assert_int_equal(crd_inspect_read(p2, &b, &err), 0);
	assert_true(a->sb_valid && !a->sb_copies_differ);
	assert_int_equal(a->sb_err[0], 0);
	assert_int_equal(a->sb_err[1], 0);
	assert_true(crd_uuid_eq(&a->sb.cluster_id, &cluster));
	assert_int_equal(a->sb.role, CRD_ROLE_EXTERNAL);
	assert_int_equal(a->sb.set.count, 2);
	assert_true(a->sb.set.generation == 1);
	assert_true(crd_uuid_eq(&a->sb.set.set_id, &b->sb.set.set_id));
	assert_true(crd_uuid_eq(&a->sb.set.disks[0], &a->sb.disk_id));
	assert_true(crd_uuid_eq(&a->sb.set.disks[1], &b->sb.disk_id));
	assert_true(a->sb.geo.disk_size == SMALL && a->sb.geo.unit_copy == 8192);
	assert_int_equal(a->lease_err, -ENODATA);
	assert_int_equal(a->n_slots, 0);
	assert_int_equal(a->n_regions, 0);
	assert_true(a->file_size == SMALL);

	json_t *j = crd_inspect_to_json(a);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "lease"),
							      "state")),
			    "empty");
	json_t *set = json_object_get(json_object_get(j, "superblock"), "disk_set");
	assert_int_equal(json_integer_value(json_object_get(set, "generation")), 1);
	assert_int_equal(json_array_size(json_object_get(set, "disks")), 2);
	json_decref(j);
	crd_inspect_free(a);
	crd_inspect_free(b);

	assert_int_equal(stat(p1, &st), 0);
	assert_true((uint64_t)st.st_blocks * 512 < SMALL / 4); /* sparse */

	struct crd_sb sb;
	assert_int_equal(crd_disk_open_check(p1, &cluster, &sb, &err), 0);
	assert_int_equal(crd_disk_open_check(p2, NULL, &sb, &err), 0);

	const char *const both[] = {p1, p2};
	int bad;
	char *text = verify_out(both, 2, &bad);
	assert_int_equal(bad, 0);
	assert_string_equal(text, "");
	free(text);
}

static void test_internal_disk(void **state)
{
	struct crd_format_opts o = opts(CRD_ROLE_INTERNAL, pi, NULL);
	struct crd_inspect *ins;
	struct sec_err err;

	assert_int_equal(crd_format(&o, &err), 0);
	assert_int_equal(crd_inspect_read(pi, &ins, &err), 0);
	assert_int_equal(ins->sb.role, CRD_ROLE_INTERNAL);
	assert_int_equal(ins->sb.set.count, 0);
	crd_inspect_free(ins);
	o = opts(CRD_ROLE_INTERNAL, pi, p1);
	assert_int_equal(crd_format(&o, &err), -EINVAL);
	assert_non_null(strstr(err.msg, p1));
}

/* A refused disk: the error names the path, nothing is written. */
static void expect_refused(const char *path, const crd_uuid *want, int code, const char *text)
{
	struct crd_sb sb;
	struct sec_err err = {0};
	uint32_t before = file_crc(path);

	assert_int_equal(crd_disk_open_check(path, want, &sb, &err), code);
	assert_int_equal(err.code, code);
	assert_non_null(strstr(err.msg, path));
	if (!strstr(err.msg, text))
		fail_msg("message '%s' does not say '%s'", err.msg, text);
	assert_int_equal(file_crc(path), before);
}

static void test_open_check_refuses(void **state)
{
	struct crd_format_opts o;
	struct sec_err err;
	uint32_t before;

	format_set();
	expect_refused(p1, &other, -EXDEV, "another cluster");

	/* formatting over another cluster's disk needs --force */
	o = opts(CRD_ROLE_EXTERNAL, p1, NULL);
	o.cluster_id = other;
	before = file_crc(p1);
	assert_int_equal(crd_format(&o, &err), -EEXIST);
	assert_non_null(strstr(err.msg, p1));
	assert_int_equal(file_crc(p1), before);

	/* both copies damaged */
	flip(p1, 100);
	flip(p1, CRD_BLOCK + 100);
	expect_refused(p1, &cluster, -EBADMSG, "damaged superblock");
	before = file_crc(p1);
	o.cluster_id = cluster;
	assert_int_equal(crd_format(&o, &err), -EEXIST); /* not a CRD superblock: --force */
	assert_int_equal(file_crc(p1), before);

	/* another format version in both copies */
	uint32_t v = 2;
	poke(p2, 8, &v, 4);
	poke(p2, CRD_BLOCK + 8, &v, 4);
	expect_refused(p2, &cluster, -EPROTO, "another CRD format version");

	/* a never formatted file */
	poke(p3, 0, "", 0);
	expect_refused(p3, &cluster, -ENODATA, "not a CRD disk");

	/* --force formats over all of them */
	o = opts(CRD_ROLE_EXTERNAL, p1, p2);
	o.force = true;
	assert_int_equal(crd_format(&o, &err), 0);
	struct crd_sb sb;
	assert_int_equal(crd_disk_open_check(p1, &cluster, &sb, &err), 0);
}

static void test_one_damaged_copy(void **state)
{
	struct crd_sb sb;
	struct sec_err err;
	int bad;

	format_set();
	flip(p1, CRD_BLOCK + 60); /* copy B only */
	assert_int_equal(crd_disk_open_check(p1, &cluster, &sb, &err), 0);
	const char *const one[] = {p1};
	char *text = verify_out(one, 1, &bad);
	assert_int_equal(bad, 1);
	if (!strstr(text, "block 1 (offset 4096): superblock copy B: CRC mismatch"))
		fail_msg("verify said: %s", text);
	assert_non_null(strstr(text, p1));
	free(text);
}

static void test_format_refusals(void **state)
{
	struct crd_format_opts o = opts(CRD_ROLE_EXTERNAL, p1, p2);
	struct sec_err err;
	struct stat st;

	o.paths[2] = p3;
	o.n_paths = 3;
	assert_int_equal(crd_format(&o, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "third"));
	assert_non_null(strstr(err.msg, p3));
	assert_int_equal(stat(p1, &st), -1); /* nothing created */

	o = opts(CRD_ROLE_EXTERNAL, p1, NULL);
	o.size = 4ull << 20; /* 2 MiB + 16 KiB + 512 x 16 KiB does not fit */
	assert_int_equal(crd_format(&o, &err), -ENOSPC);
	assert_non_null(strstr(err.msg, p1));
	assert_int_equal(stat(p1, &st), -1);
	o = opts(CRD_ROLE_EXTERNAL, p1, NULL);
	o.size = 0; /* 1 GiB default */
	o.unit_copy = 4ull << 20;
	assert_int_equal(crd_format(&o, &err), -ENOSPC);
	o.unit_copy = 5000;
	assert_int_equal(crd_format(&o, &err), -EINVAL);
	assert_int_equal(stat(p1, &st), -1);
}

static void write_slot(const char *path, uint32_t unit, uint64_t counter, uint32_t fence_ms)
{
	_Alignas(8) uint8_t blk[CRD_BLOCK];
	struct crd_geometry g;
	struct crd_slot s = {.unit_id = unit, .role = CRD_UNIT_MU, .incarnation = 0x1234,
			     .counter = counter, .state = CRD_SLOT_RUNNING,
			     .fencing = CRD_FENCING_SELF};

	s.timing = (struct crd_timing){.renew_ms = 2, .io_ms = 3, .margin_ms = 3,
				       .lease_ms = 20, .claim_ms = 6, .fence_ms = fence_ms,
				       .watchdog_ms = 5, .stall_ms = 10};
	crd_uuid_random(&s.identity);
	crd_geometry_make(SMALL, 8192, 8192, &g);
	crd_slot_out(&s, blk);
	poke(path, crd_slot_off(&g, unit), blk, sizeof(blk));
}

static void write_region(const char *path, uint32_t k, int copy, const char *payload,
			 bool bad_crc)
{
	_Alignas(8) uint8_t blk[CRD_BLOCK];
	struct crd_geometry g;
	struct crd_region_hdr h = {.region = k, .owner = k ? k : 1, .owner_incarnation = 9,
				   .term = 1, .generation = (uint64_t)copy + 1,
				   .payload_len = strlen(payload)};

	h.payload_crc = crc32c(0, payload, strlen(payload)) ^ (bad_crc ? 1u : 0u);
	crd_geometry_make(SMALL, 8192, 8192, &g);
	crd_region_hdr_out(&h, blk);
	poke(path, crd_region_off(&g, k, copy), blk, sizeof(blk));
	poke(path, crd_region_off(&g, k, copy) + CRD_BLOCK, payload, strlen(payload));
}

static void test_inspect_and_verify_content(void **state)
{
	struct crd_inspect *ins;
	struct sec_err err;
	int bad;

	format_set();
	write_slot(p1, 4, 10, 40);
	write_region(p1, 4, 0, "{\"a\":1}", false);
	write_region(p1, 4, 1, "{\"a\":2}", false);
	write_region(p1, 7, 0, "{\"b\":1}", true);
	assert_int_equal(crd_inspect_read(p1, &ins, &err), 0);
	assert_int_equal(ins->n_slots, 1);
	assert_int_equal(ins->slots[0].unit_id, 4);
	assert_true(ins->slots[0].dead_bound_ms == 40 + 5 + 2 * 3 + 3);
	assert_int_equal(ins->n_regions, 2);
	assert_int_equal(ins->regions[0].region, 4);
	assert_int_equal(ins->regions[0].current, 1); /* generation 2 is newer */
	assert_int_equal(ins->regions[1].copy[0].state, CRD_COPY_PAYLOAD_BAD);
	assert_int_equal(ins->regions[1].copy[1].state, CRD_COPY_EMPTY);
	assert_int_equal(ins->regions[1].current, -1);
	crd_inspect_free(ins);

	flip(p1, 8192 + 20); /* the lease block: never written, now damaged */
	const char *const one[] = {p1};
	char *text = verify_out(one, 1, &bad);
	assert_int_equal(bad, 2);
	if (!strstr(text, "region 7 copy A: payload CRC mismatch") ||
	    !strstr(text, "block 2 (offset 8192): master lease block: bad magic"))
		fail_msg("verify said: %s", text);
	free(text);
}

static void test_replace(void **state)
{
	struct crd_replace_opts o = {.old_path = p2, .new_path = p3, .surviving_path = p1, .unsafe_fs = true};
	struct crd_replace_result res;
	struct crd_inspect *ins;
	struct sec_err err;
	struct crd_sb sb;
	int bad;

	format_set();
	write_slot(p1, 3, 1, 30);
	write_region(p1, 3, 0, "{\"unit\":3}", false);
	assert_int_equal(crd_replace(&o, &res, &err), 0);
	assert_true(res.waited_ms == 30 + 5 + 6 + 3);
	assert_true(res.new_generation == 2);
	assert_true(res.old_retired);

	assert_int_equal(crd_inspect_read(p3, &ins, &err), 0);
	assert_true(ins->sb.set.generation == 2);
	assert_int_equal(ins->n_slots, 1);
	assert_int_equal(ins->slots[0].unit_id, 3);
	assert_int_equal(ins->n_regions, 1);
	assert_int_equal(ins->regions[0].current, 0);
	crd_inspect_free(ins);
	assert_int_equal(crd_disk_open_check(p1, &cluster, &sb, &err), 0);
	assert_true(sb.set.generation == 2);
	assert_int_equal(crd_disk_open_check(p2, &cluster, &sb, &err), -ESTALE);
	assert_non_null(strstr(err.msg, p2));

	const char *const now[] = {p1, p3}, *all[] = {p1, p2, p3};
	char *text = verify_out(now, 2, &bad);
	assert_int_equal(bad, 0);
	free(text);
	text = verify_out(all, 3, &bad);
	assert_true(bad >= 2);
	if (!strstr(text, "RETIRED") || !strstr(text, "generation 1 is older"))
		fail_msg("verify said: %s", text);
	free(text);
}

/* The fault seam: the second read of the slots changes unit 5's slot first, as a running
 * unit would have done during the watch. */
static int slot_reads;
static struct crd_geometry watch_geo;
static ssize_t pread_renewing(int fd, void *buf, size_t len, off_t off)
{
	if ((uint64_t)off == watch_geo.slots_off && ++slot_reads == 2)
		write_slot(p1, 5, 2, 20);
	return sys_ops_real.pread(fd, buf, len, off);
}

static void test_replace_refused_while_running(void **state)
{
	struct crd_replace_opts o = {.old_path = p2, .new_path = p3, .surviving_path = p1, .unsafe_fs = true};
	struct sys_ops ops = sys_ops_real;
	struct crd_replace_result res;
	struct sec_err err;
	struct crd_sb sb;
	uint32_t crc1, crc2;

	format_set();
	write_slot(p1, 5, 1, 20);
	crc2 = file_crc(p2);
	crd_geometry_make(SMALL, 8192, 8192, &watch_geo);
	ops.pread = pread_renewing;
	slot_reads = 0;
	sys_ops = &ops;
	int r = crd_replace(&o, &res, &err);
	sys_ops = &sys_ops_real;
	assert_int_equal(r, -EBUSY);
	if (!strstr(err.msg, "slot of unit 5") || !strstr(err.msg, p1))
		fail_msg("message: %s", err.msg);
	crc1 = file_crc(p1);
	assert_int_equal(crd_disk_open_check(p1, &cluster, &sb, &err), 0);
	assert_true(sb.set.generation == 1);
	assert_int_equal(file_crc(p2), crc2);
	assert_int_equal(crd_disk_open_check(p3, &cluster, &sb, &err), -ENOENT); /* untouched */
	assert_int_equal(file_crc(p1), crc1);
}

static void test_replace_refusals(void **state)
{
	struct crd_replace_opts o = {.old_path = p2, .new_path = p2, .surviving_path = p1, .unsafe_fs = true};
	struct crd_replace_result res;
	struct sec_err err;

	format_set();
	assert_int_equal(crd_replace(&o, &res, &err), -EEXIST); /* NEW is a disk in use */
	assert_non_null(strstr(err.msg, p2));
	o.old_path = p1; /* the surviving disk itself, in a set of two */
	o.new_path = p3;
	assert_int_equal(crd_replace(&o, &res, &err), -EINVAL);
}

/* Found by a newcomer: replace took over another cluster's set when OLD was a readable
 * disk of that other cluster; format silently re-formatted a disk of this cluster. */
static void test_replace_and_format_refuse_disks_in_use(void **state)
{
	struct crd_replace_opts o = {.old_path = pi, .new_path = p3, .surviving_path = p1, .unsafe_fs = true};
	struct crd_format_opts f = opts(CRD_ROLE_INTERNAL, pi, NULL);
	struct crd_replace_result res;
	struct sec_err err = {0};
	uint32_t c1, c2;

	format_set();
	f.cluster_id = other;
	assert_int_equal(crd_format(&f, &err), 0); /* a disk of another cluster */
	c1 = file_crc(p1);
	c2 = file_crc(pi);
	assert_int_equal(crd_replace(&o, &res, &err), -EXDEV);
	assert_non_null(strstr(err.msg, pi));
	assert_non_null(strstr(err.msg, "another cluster"));
	assert_int_equal(file_crc(p1), c1);
	assert_int_equal(file_crc(pi), c2);
	assert_int_equal(access(p3, F_OK), -1);
	/* format over a disk of this cluster: refused without --force, done with it */
	struct crd_format_opts g = opts(CRD_ROLE_INTERNAL, p2, NULL);
	c2 = file_crc(p2);
	assert_int_equal(crd_format(&g, &err), -EEXIST);
	assert_non_null(strstr(err.msg, "already a CRD disk of this cluster"));
	assert_int_equal(file_crc(p2), c2);
	g.force = true;
	assert_int_equal(crd_format(&g, &err), 0);
}

/* crd.md §1: an external disk on a local file system is refused without --unsafe-crd-fs,
 * and nothing is created. */
static void test_external_local_fs_refused(void **state)
{
	struct crd_format_opts o = opts(CRD_ROLE_EXTERNAL, p1, NULL);
	struct sec_err err = {0};

	o.unsafe_fs = false;
	assert_int_equal(crd_format(&o, &err), -EPERM);
	assert_non_null(strstr(err.msg, p1));
	assert_non_null(strstr(err.msg, "--unsafe-crd-fs"));
	assert_int_equal(access(p1, F_OK), -1);
	o.role = CRD_ROLE_INTERNAL; /* an internal disk is local by nature */
	assert_int_equal(crd_format(&o, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_external_local_fs_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_and_format_refuse_disks_in_use, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_format_inspect_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_internal_disk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_check_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_damaged_copy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_format_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inspect_and_verify_content, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_refused_while_running, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_replace_refusals, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
