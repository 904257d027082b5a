/* test_qemu_argv.c — the QEMU command line (src/qemu/qemu_argv.h): the exact argv of a
 * spec (golden), the same argv for the same spec in any device order, kernel vs disk boot
 * from the IPL file's content, empty removable drives, every validation error; the
 * Multiboot probe, the O_DIRECT probe, MNs; accel=auto|kvm|tcg with injected probes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qemu/qemu_accel.h"
#include "qemu/qemu_argv.h"

static char dir[64];
static char p_a000[128], p_a001[128], p_t0[128], p_l0[128], p_con[128], p_qmp[128];

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* an ELF file with a Multiboot header at offset 4096 (flags 0x10003), like the demo guest */
static void write_multiboot(const char *path, bool good_checksum)
{
	static unsigned char img[8192];
	uint32_t h[3] = { 0x1BADB002u, 0x00010003u, 0 };

	memset(img, 0, sizeof(img));
	memcpy(img, "\177ELF\001\001\001", 7);
	h[2] = (uint32_t)(0u - h[0] - h[1]) + (good_checksum ? 0 : 1);
	memcpy(img + 4096, h, sizeof(h));
	write_file(path, img, sizeof(img));
}

static int setup(void **state)
{
	static const char zero[4096];

	snprintf(dir, sizeof(dir), "/tmp/qargv-%d", (int)getpid());
	mkdir(dir, 0700);
	snprintf(p_a000, sizeof(p_a000), "%s/A000.img", dir);
	snprintf(p_a001, sizeof(p_a001), "%s/A001.img", dir);
	snprintf(p_t0, sizeof(p_t0), "%s/T0.img", dir);
	snprintf(p_l0, sizeof(p_l0), "%s/L0.img", dir);
	snprintf(p_con, sizeof(p_con), "%s/console.log", dir);
	snprintf(p_qmp, sizeof(p_qmp), "%s/2.qmp", dir);
	write_multiboot(p_a000, true);
	write_file(p_a001, zero, sizeof(zero));
	write_file(p_t0, zero, sizeof(zero));
	write_file(p_l0, zero, sizeof(zero));
	return 0;
}

static int teardown(void **state)
{
	unlink(p_a000);
	unlink(p_a001);
	unlink(p_t0);
	unlink(p_l0);
	rmdir(dir);
	return 0;
}

static struct qemu_vm_spec spec(struct qemu_dev *devs, size_t n)
{
	struct qemu_vm_spec s = {
		.binary = "qemu-system-x86_64", .name = "VM2", .accel = QEMU_ACCEL_TCG,
		.memory_mib = 64, .cpus = 1, .init_only = true, .devs = devs, .n_devs = n,
		.ipl_mn = "A000", .append = "marker=A001 dirty_kib=256 report_ms=500",
		.console_path = p_con, .qmp_path = p_qmp,
	};
	return s;
}

static char *build_str(const struct qemu_vm_spec *s)
{
	struct sec_err err = { 0 };
	char **argv = NULL;
	char *str;
	int r = qemu_argv_build(s, &argv, &err);

	if (r < 0)
		fail_msg("qemu_argv_build: %d %s", r, err.msg);
	str = qemu_argv_to_string(argv);
	qemu_argv_free(argv);
	return str;
}

static void test_golden(void **state)
{
	struct qemu_dev devs[] = {
		{ .mn = "T0", .cls = QEMU_DEV_TAPE, .backing = p_t0 },
		{ .mn = "A001", .cls = QEMU_DEV_DISK, .backing = p_a001 },
		{ .mn = "L0", .cls = QEMU_DEV_LOCAL_DISK, .backing = p_l0 },
		{ .mn = "A000", .cls = QEMU_DEV_DISK, .backing = p_a000, .shared = true },
	};
	struct qemu_vm_spec s = spec(devs, 4);
	const char *cache = qemu_cache_mode(p_a000); /* the file system here decides */
	char want[4096], *got;

	snprintf(want, sizeof(want),
		 "qemu-system-x86_64 -name VM2 -machine pc-i440fx-7.2 -accel tcg -cpu qemu64 "
		 "-m 64M -smp 1 -nodefaults -no-user-config -display none -no-shutdown -S "
		 "-chardev file,id=ser0,path=%s,append=on -serial chardev:ser0 "
		 "-qmp unix:%s,server=on,wait=off "
		 "-drive file=%s,format=raw,if=none,id=drv-A000,cache=%s "
		 "-device virtio-blk-pci,drive=drv-A000,id=dev-A000,serial=A000,share-rw=on "
		 "-drive file=%s,format=raw,if=none,id=drv-A001,cache=%s "
		 "-device virtio-blk-pci,drive=drv-A001,id=dev-A001,serial=A001 "
		 "-device virtio-scsi-pci,id=scsi0 "
		 "-drive file=%s,format=raw,if=none,id=drv-L0,cache=%s "
		 "-device scsi-hd,bus=scsi0.0,drive=drv-L0,id=dev-L0,serial=L0,removable=on "
		 "-drive file=%s,format=raw,if=none,id=drv-T0,media=cdrom,readonly=on,cache=%s "
		 "-device scsi-cd,bus=scsi0.0,drive=drv-T0,id=dev-T0,serial=T0 "
		 "-kernel %s -append 'marker=A001 dirty_kib=256 report_ms=500'",
		 p_con, p_qmp, p_a000, cache, p_a001, cache, p_l0, cache, p_t0, cache, p_a000);
	got = build_str(&s);
	assert_string_equal(got, want);
	free(got);
}

static void test_same_spec_same_argv(void **state)
{
	struct qemu_dev d1[] = {
		{ .mn = "A000", .cls = QEMU_DEV_DISK, .backing = p_a000 },
		{ .mn = "T0", .cls = QEMU_DEV_TAPE, .backing = p_t0 },
		{ .mn = "A001", .cls = QEMU_DEV_DISK, .backing = p_a001 },
	};
	struct qemu_dev d2[] = { d1[2], d1[1], d1[0] };
	struct qemu_vm_spec s1 = spec(d1, 3), s2 = spec(d2, 3);
	char *a = build_str(&s1), *b = build_str(&s1), *c = build_str(&s2);

	assert_string_equal(a, b);
	assert_string_equal(a, c);
	free(a);
	free(b);
	free(c);
}

static void test_boot_and_empty(void **state)
{
	struct qemu_dev devs[] = {
		{ .mn = "A000", .cls = QEMU_DEV_DISK, .backing = p_a001 }, /* not a kernel */
		{ .mn = "T0", .cls = QEMU_DEV_TAPE, .backing = NULL },	   /* detached */
		{ .mn = "L0", .cls = QEMU_DEV_LOCAL_DISK, .backing = NULL },
	};
	struct qemu_vm_spec s = spec(devs, 3);
	char *a;

	s.init_only = false;
	s.incoming_defer = true;
	s.accel = QEMU_ACCEL_KVM;
	a = build_str(&s);
	assert_non_null(strstr(a, ",serial=A000,bootindex=0 "));
	assert_null(strstr(a, "-kernel"));
	assert_null(strstr(a, "-append")); /* disk boot: no command line */
	assert_null(strstr(a, " -S "));
	assert_non_null(strstr(a, " -no-shutdown -incoming defer -chardev "));
	assert_non_null(strstr(a, " -accel kvm "));
	assert_non_null(strstr(a, " -drive if=none,id=drv-T0,media=cdrom -device scsi-cd,"));
	assert_non_null(strstr(a, " -drive if=none,id=drv-L0 -device scsi-hd,"));
	free(a);
	/* forced kernel boot; no IPL: no boot device at all */
	s.boot = QEMU_BOOT_KERNEL;
	a = build_str(&s);
	assert_non_null(strstr(a, " -kernel "));
	assert_null(strstr(a, "bootindex"));
	free(a);
	s.boot = QEMU_BOOT_AUTO;
	s.ipl_mn = NULL;
	a = build_str(&s);
	assert_null(strstr(a, "bootindex"));
	assert_null(strstr(a, "-kernel"));
	free(a);
}

static void expect_err(const struct qemu_vm_spec *s, int code, const char *needle)
{
	struct sec_err err = { 0 };
	char **argv = NULL;
	int r = qemu_argv_build(s, &argv, &err);

	if (r != code || !strstr(err.msg, needle))
		fail_msg("want %d '%s', got %d '%s'", code, needle, r, err.msg);
	assert_null(argv);
}

static void test_validation(void **state)
{
	struct qemu_dev devs[] = {
		{ .mn = "A000", .cls = QEMU_DEV_DISK, .backing = p_a000 },
		{ .mn = "T0", .cls = QEMU_DEV_TAPE, .backing = p_t0 },
	};
	struct qemu_vm_spec s;
	char longp[200], missing[160], comma[160];

	memset(longp, 'q', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	snprintf(missing, sizeof(missing), "%s/nope.img", dir);
	snprintf(comma, sizeof(comma), "%s/a,b.img", dir);
#define CASE(stmt, code, needle)            \
	do {                                \
		s = spec(devs, 2);          \
		stmt;                       \
		expect_err(&s, code, needle); \
		devs[0].mn = "A000";        \
		devs[0].backing = p_a000;   \
		devs[0].cls = QEMU_DEV_DISK; \
		devs[1].mn = "T0";          \
	} while (0)
	CASE(s.name = "VM 2", -EINVAL, "VM name 'VM 2'");
	CASE(s.name = "", -EINVAL, "VM name");
	CASE(s.memory_mib = 8, -EINVAL, "memory 8 MiB");
	CASE(s.cpus = 0, -EINVAL, "CPUs 0");
	CASE(s.accel = 0, -EINVAL, "accelerator");
	CASE(s.binary = NULL, -EINVAL, "QEMU binary");
	CASE(s.qmp_path = longp, -ENAMETOOLONG, "QMP socket");
	CASE(s.qmp_path = "rel.qmp", -EINVAL, "not an absolute path");
	CASE(s.console_path = "/nonexistent-dir/console.log", -ENOENT, "directory '/nonexistent-dir'");
	CASE(devs[0].mn = "a000", -EINVAL, "MN 'a000'");
	CASE(devs[0].mn = "AG00", -EINVAL, "MN 'AG00'");
	CASE(devs[0].mn = "A", -EINVAL, "MN 'A'");
	CASE(devs[1].mn = "A000", -EINVAL, "MN A000 is given twice");
	CASE(devs[0].backing = missing, -ENOENT, "backing file of MN A000");
	CASE(devs[0].backing = comma, -EINVAL, "comma");
	CASE(devs[0].backing = NULL, -EINVAL, "disk MN A000 has no backing file");
	CASE(devs[0].backing = dir, -EINVAL, "not a regular file");
	CASE(devs[0].cls = 9, -EINVAL, "device class 9");
	CASE(s.ipl_mn = "A009", -EINVAL, "IPL MN 'A009'");
	CASE(s.ipl_mn = "T0", -EINVAL, "IPL MN T0 is a tape");
	CASE((s.ipl_mn = NULL, s.boot = QEMU_BOOT_KERNEL), -EINVAL, "kernel boot needs");
	CASE(s.append = "a\nb", -EINVAL, "control character");
#undef CASE
}

static void test_probes(void **state)
{
	char path[160];

	assert_true(qemu_is_multiboot_kernel(p_a000));
	assert_false(qemu_is_multiboot_kernel(p_a001)); /* zeros */
	snprintf(path, sizeof(path), "%s/bad.elf", dir);
	write_multiboot(path, false); /* wrong checksum */
	assert_false(qemu_is_multiboot_kernel(path));
	unlink(path);
	assert_false(qemu_is_multiboot_kernel("/nonexistent"));
	/* O_DIRECT: ext4 has it (and tmpfs since Linux 6.6); procfs has not; a missing file
	 * gives writeback too */
	assert_string_equal(qemu_cache_mode("/nonexistent"), "writeback");
	assert_string_equal(qemu_cache_mode("/proc/self/status"), "writeback");
	assert_true(qemu_mn_valid("A000"));
	assert_true(qemu_mn_valid("T0"));
	assert_true(qemu_mn_valid("9Z"));
	assert_false(qemu_mn_valid("t0"));
	assert_false(qemu_mn_valid("A00G"));
	assert_false(qemu_mn_valid("A00"));
	assert_false(qemu_mn_valid(""));
	assert_false(qemu_mn_valid(NULL));
}

static void test_accel(void **state)
{
	static const char vmx[] = "processor\t: 0\nflags\t\t: fpu vme vmx sse2\n";
	static const char svm[] = "processor\t: 0\nflags\t\t: fpu svm\nbugs\t\t: x\n";
	static const char none[] = "processor\t: 0\nflags\t\t: fpu vmxx hypervisor\n"
				   "model name\t: svm vmx\n";
	struct sec_err err = { 0 };
	enum qemu_accel a = 0;

	assert_true(qemu_cpuinfo_has_virt(vmx));
	assert_true(qemu_cpuinfo_has_virt(svm));
	assert_false(qemu_cpuinfo_has_virt(none)); /* only the flags line counts, whole words */
	assert_int_equal(qemu_accel_resolve_with("auto", 0, vmx, &a, &err), 0);
	assert_int_equal(a, QEMU_ACCEL_KVM);
	assert_int_equal(qemu_accel_resolve_with("auto", -ENOENT, vmx, &a, &err), 0);
	assert_int_equal(a, QEMU_ACCEL_TCG);
	assert_int_equal(qemu_accel_resolve_with("auto", 0, none, &a, &err), 0); /* kvm_pvm */
	assert_int_equal(a, QEMU_ACCEL_TCG);
	assert_int_equal(qemu_accel_resolve_with("auto", 0, NULL, &a, &err), 0);
	assert_int_equal(a, QEMU_ACCEL_TCG);
	assert_int_equal(qemu_accel_resolve_with("tcg", 0, vmx, &a, &err), 0);
	assert_int_equal(a, QEMU_ACCEL_TCG);
	assert_int_equal(qemu_accel_resolve_with("kvm", 0, none, &a, &err), 0);
	assert_int_equal(a, QEMU_ACCEL_KVM);
	assert_int_equal(qemu_accel_resolve_with("kvm", -EACCES, vmx, &a, &err), -ENODEV);
	assert_non_null(strstr(err.msg, "/dev/kvm cannot be opened"));
	assert_int_equal(qemu_accel_resolve_with("KVM", 0, vmx, &a, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "accel 'KVM' is not one of auto, kvm, tcg"));
	assert_string_equal(qemu_accel_to_string(QEMU_ACCEL_KVM), "kvm");
	assert_string_equal(qemu_accel_to_string(QEMU_ACCEL_TCG), "tcg");
	/* this host: no usable KVM with vmx/svm on the build machines; whatever it is, auto
	 * answers and agrees with the probes */
	assert_int_equal(qemu_accel_resolve("auto", &a, &err), 0);
	assert_true(a == QEMU_ACCEL_TCG || a == QEMU_ACCEL_KVM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_same_spec_same_argv),
		cmocka_unit_test(test_boot_and_empty),
		cmocka_unit_test(test_validation),
		cmocka_unit_test(test_probes),
		cmocka_unit_test(test_accel),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
