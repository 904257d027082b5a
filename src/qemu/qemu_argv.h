/* qemu_argv.h — the QEMU command line of a guest (vm2000.md §2; shared layout of issue 4;
 * research/qemu-lm.md §9.1: source and target of an LM must be byte-identical machines).
 *
 * qemu_argv_build() turns a validated spec into an argv for execve(): the same spec always
 * gives the same argv (devices are ordered by MN, nothing depends on time or the
 * environment except the two file probes below, which depend only on the files).
 *
 *     struct qemu_dev devs[] = {
 *             { .mn = "A000", .cls = QEMU_DEV_DISK, .backing = "/lab/disks/A000.img" },
 *             { .mn = "T0", .cls = QEMU_DEV_TAPE, .backing = "/lab/tapes/T0.img" },
 *     };
 *     struct qemu_vm_spec s = { .binary = "qemu-system-x86_64", .name = "VM2",
 *             .accel = QEMU_ACCEL_TCG, .memory_mib = 64, .cpus = 1, .init_only = true,
 *             .devs = devs, .n_devs = 2, .ipl_mn = "A000", .append = "marker=A001",
 *             .console_path = "/d/vm/2/console.log", .qmp_path = "/d/q/2.qmp" };
 *     char **argv;
 *     if (qemu_argv_build(&s, &argv, &err) < 0) ...    // err.msg names the field
 *     ... execve(argv[0], argv, envp) ...
 *     qemu_argv_free(argv);
 *
 * Layout: -name N -machine pc-i440fx-7.2 -accel tcg|kvm -cpu qemu64 -m <MiB>M -smp <cpus>
 * -nodefaults -no-user-config -display none -no-shutdown [-S] [-incoming defer]
 * -chardev file,id=ser0,path=<console>,append=on -serial chardev:ser0
 * -qmp unix:<sock>,server=on,wait=off, then per disk MN (by MN)
 * -drive file=<f>,format=raw,if=none,id=drv-<MN>,cache=none|writeback
 * -device virtio-blk-pci,drive=drv-<MN>,id=dev-<MN>,serial=<MN>[,share-rw=on][,bootindex=0];
 * when a tape or local disk exists -device virtio-scsi-pci,id=scsi0, then per MN
 * -drive [file=<f>,format=raw,]if=none,id=drv-<MN>[,media=cdrom,readonly=on],cache=...
 * -device scsi-cd|scsi-hd,bus=scsi0.0,drive=drv-<MN>,id=dev-<MN>,serial=<MN>[,removable=on];
 * finally -kernel <IPL backing> -append <append> when the IPL disk's backing file is a
 * Multiboot ELF kernel (the demo guest), else bootindex=0 on the IPL disk.
 * Cache (docs/decisions.md): cache=none when the backing file can be opened with O_DIRECT,
 * else cache=writeback (tmpfs); qemu_cache_mode() says which.
 *
 * Paths must not contain ',' (QEMU's option separator) or control characters. */
#ifndef SEC_QEMU_ARGV_H
#define SEC_QEMU_ARGV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "qemu/qemu_accel.h"

#define QEMU_MACHINE "pc-i440fx-7.2"
#define QEMU_CPU     "qemu64"
#define QEMU_DEVS_MAX 256

enum qemu_dev_class {
	QEMU_DEV_DISK = 1,	/* virtio-blk-pci, serial = MN */
	QEMU_DEV_TAPE,		/* scsi-cd, read-only removable medium */
	QEMU_DEV_LOCAL_DISK,	/* scsi-hd removable=on, writable removable medium */
	QEMU_DEV_CLASS_MAX
};
const char *qemu_dev_class_to_string(enum qemu_dev_class c); /* "disk", "tape", "local-disk" */

struct qemu_dev {
	const char *mn;		/* 2 of [A-Z0-9] or 4 of [0-9A-F] (vm2000-facts.md §2.5) */
	enum qemu_dev_class cls;
	const char *backing;	/* absolute path of the backing file; NULL: an empty drive
				 * (a detached tape or local disk; not for QEMU_DEV_DISK) */
	bool shared;		/* *SHARED usage: share-rw=on, so that other QEMUs may open
				 * the file read-write too (QEMU's image lock no longer fences) */
};

enum qemu_boot {
	QEMU_BOOT_AUTO = 0,	/* kernel when the IPL backing file is Multiboot ELF, else disk */
	QEMU_BOOT_KERNEL,
	QEMU_BOOT_DISK,
	QEMU_BOOT_MAX
};

struct qemu_vm_spec {
	const char *binary;	   /* QEMU binary, argv[0] ("qemu-system-x86_64" or a path) */
	const char *name;	   /* VM name for -name: 1..64 of [A-Za-z0-9_.$#@-] */
	enum qemu_accel accel;	   /* resolved (qemu_accel_resolve()) */
	uint32_t memory_mib;	   /* 16..1048576 */
	uint32_t cpus;		   /* 1..255 */
	bool init_only;		   /* -S: paused, memory and devices reserved (INIT-ONLY) */
	bool incoming_defer;	   /* -incoming defer (LM target, later issue) */
	const struct qemu_dev *devs;
	size_t n_devs;		   /* 0..QEMU_DEVS_MAX, MNs unique */
	const char *ipl_mn;	   /* MN of a QEMU_DEV_DISK in devs, or NULL (no boot device) */
	enum qemu_boot boot;
	const char *append;	   /* guest kernel command line, used for kernel boot only;
				    * may be NULL */
	const char *console_path;  /* the KVP console log (COM1), absolute */
	const char *qmp_path;	   /* the QMP socket, absolute, <= 107 bytes */
};

/* Validates spec and builds the argv (NULL-terminated, malloc'ed strings in a malloc'ed
 * array; free with qemu_argv_free()). Checks: every field's range and format, MNs unique,
 * backing files exist and are regular files or block devices, the IPL MN is a disk of
 * devs, path lengths. Returns 0 and *ret_argv, or -EINVAL, -ENOENT, -ENAMETOOLONG,
 * -ENOMEM; reterr names the field or file. */
int qemu_argv_build(const struct qemu_vm_spec *spec, char ***ret_argv, struct sec_err *reterr);
/* Accepts NULL, returns NULL. */
char **qemu_argv_free(char **argv);
/* argv as one line for logs (arguments with blanks or quotes quoted), malloc'ed; NULL on
 * ENOMEM. */
char *qemu_argv_to_string(char *const *argv);

/* true when path is an ELF file with a Multiboot header (magic 0x1BADB002, checksum valid)
 * in its first 8 KiB, i.e. QEMU can boot it with -kernel. false for anything else, also
 * when path cannot be read. */
bool qemu_is_multiboot_kernel(const char *path);

/* "none" when path can be opened with O_DIRECT, else "writeback" (tmpfs and other file
 * systems without O_DIRECT, or path missing). */
const char *qemu_cache_mode(const char *path);

/* true when mn is a valid MN (2 of [A-Z0-9] or 4 of [0-9A-F]). */
bool qemu_mn_valid(const char *mn);

#endif
