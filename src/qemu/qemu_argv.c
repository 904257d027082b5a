/* qemu_argv.c — the QEMU command line of a guest (qemu_argv.h): validate the spec, then
 * emit the arguments in a fixed order (devices sorted by MN) so that the same spec always
 * gives the same argv. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "qemu/qemu_argv.h"
#include "qemu/qmp.h"

#define QEMU_PATH_MAX 4000

struct argv_buf {
	char **v;
	size_t n, cap;
	int err; /* first -ENOMEM */
};

const char *qemu_dev_class_to_string(enum qemu_dev_class c)
{
	switch (c) {
	case QEMU_DEV_DISK:
		return "disk";
	case QEMU_DEV_TAPE:
		return "tape";
	case QEMU_DEV_LOCAL_DISK:
		return "local-disk";
	default:
		return "?";
	}
}

static void add(struct argv_buf *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct argv_buf *a, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (a->err)
		return;
	if (a->n + 2 > a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		char **v = realloc(a->v, cap * sizeof(*v));

		if (!v) {
			a->err = -ENOMEM;
			return;
		}
		a->v = v;
		a->cap = cap;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0) {
		a->err = -ENOMEM;
		s = NULL;
	}
	va_end(ap);
	if (!s)
		return;
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

char **qemu_argv_free(char **argv)
{
	if (!argv)
		return NULL;
	for (char **p = argv; *p; p++)
		free(*p);
	free(argv);
	return NULL;
}

/* ---- validation ---- */

static int check_path(const char *what, const char *p, size_t max, struct sec_err *reterr)
{
	if (!p || !*p)
		return sec_errf(reterr, -EINVAL, "%s: no path given", what);
	if (strlen(p) > max)
		return sec_errf(reterr, -ENAMETOOLONG, "%s '%s' is longer than %zu bytes", what, p,
				max);
	if (p[0] != '/')
		return sec_errf(reterr, -EINVAL, "%s '%s' is not an absolute path", what, p);
	for (const char *c = p; *c; c++)
		if (*c == ',' || (unsigned char)*c < 0x20 || *c == 0x7f)
			return sec_errf(reterr, -EINVAL,
					"%s '%s' contains a comma or a control character", what,
					p);
	return 0;
}

/* the directory of path exists */
static int check_dir_of(const char *what, const char *p, struct sec_err *reterr)
{
	char dir[QEMU_PATH_MAX + 1];
	char *slash;
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", p);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return sec_errf(reterr, -ENOENT, "%s '%s': directory '%s' does not exist", what, p,
				dir);
	return 0;
}

static int check_dev(const struct qemu_dev *d, struct sec_err *reterr)
{
	char what[64];
	struct stat st;
	int r;

	if (!qemu_mn_valid(d->mn))
		return sec_errf(reterr, -EINVAL,
				"MN '%s' is not 2 of A-Z0-9 or 4 hexadecimal digits (A-F, 0-9)",
				d->mn ? d->mn : "");
	if (d->cls < QEMU_DEV_DISK || d->cls >= QEMU_DEV_CLASS_MAX)
		return sec_errf(reterr, -EINVAL, "MN %s: device class %d is not disk, tape or "
				"local-disk", d->mn, (int)d->cls);
	if (!d->backing) {
		if (d->cls == QEMU_DEV_DISK)
			return sec_errf(reterr, -EINVAL, "disk MN %s has no backing file", d->mn);
		return 0;
	}
	snprintf(what, sizeof(what), "backing file of MN %s", d->mn);
	r = check_path(what, d->backing, QEMU_PATH_MAX, reterr);
	if (r < 0)
		return r;
	if (stat(d->backing, &st) < 0)
		return sec_errf(reterr, -errno, "%s '%s': %s", what, d->backing, strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return sec_errf(reterr, -EINVAL, "%s '%s' is not a regular file or block device",
				what, d->backing);
	return 0;
}

static bool name_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 1 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.$#@-",
			    s[i]))
			return false;
	return true;
}

static bool text_clean(const char *s)
{
	for (; s && *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static int validate(const struct qemu_vm_spec *s, const struct qemu_dev **ret_ipl,
		    struct sec_err *reterr)
{
	const struct qemu_dev *ipl = NULL;
	int r;

	if (!s->binary || !*s->binary || !text_clean(s->binary))
		return sec_errf(reterr, -EINVAL, "no QEMU binary given");
	if (!name_valid(s->name))
		return sec_errf(reterr, -EINVAL,
				"VM name '%s' is not 1..64 of A-Z a-z 0-9 _ . $ # @ -",
				s->name ? s->name : "");
	if (s->accel != QEMU_ACCEL_TCG && s->accel != QEMU_ACCEL_KVM)
		return sec_errf(reterr, -EINVAL, "accelerator %d is not tcg or kvm", (int)s->accel);
	if (s->memory_mib < 16 || s->memory_mib > 1048576)
		return sec_errf(reterr, -EINVAL, "memory %u MiB is not in 16..1048576",
				s->memory_mib);
	if (s->cpus < 1 || s->cpus > 255)
		return sec_errf(reterr, -EINVAL, "CPUs %u is not in 1..255", s->cpus);
	if (s->boot < QEMU_BOOT_AUTO || s->boot >= QEMU_BOOT_MAX)
		return sec_errf(reterr, -EINVAL, "boot mode %d is not auto, kernel or disk",
				(int)s->boot);
	if ((r = check_path("console log", s->console_path, QEMU_PATH_MAX, reterr)) < 0 ||
	    (r = check_dir_of("console log", s->console_path, reterr)) < 0 ||
	    (r = check_path("QMP socket", s->qmp_path, QMP_SOCK_PATH_MAX, reterr)) < 0 ||
	    (r = check_dir_of("QMP socket", s->qmp_path, reterr)) < 0)
		return r;
	if (s->append && !text_clean(s->append))
		return sec_errf(reterr, -EINVAL, "guest command line contains a control character");
	if (s->n_devs > QEMU_DEVS_MAX || (s->n_devs && !s->devs))
		return sec_errf(reterr, -EINVAL, "%zu devices: more than %d", s->n_devs,
				QEMU_DEVS_MAX);
	for (size_t i = 0; i < s->n_devs; i++) {
		if ((r = check_dev(&s->devs[i], reterr)) < 0)
			return r;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(s->devs[i].mn, s->devs[j].mn))
				return sec_errf(reterr, -EINVAL, "MN %s is given twice",
						s->devs[i].mn);
		if (s->ipl_mn && !strcmp(s->devs[i].mn, s->ipl_mn))
			ipl = &s->devs[i];
	}
	if (s->ipl_mn && !ipl)
		return sec_errf(reterr, -EINVAL, "IPL MN '%s' is not a device of the VM", s->ipl_mn);
	if (ipl && ipl->cls != QEMU_DEV_DISK)
		return sec_errf(reterr, -EINVAL, "IPL MN %s is a %s, not a disk", ipl->mn,
				qemu_dev_class_to_string(ipl->cls));
	if (!ipl && s->boot == QEMU_BOOT_KERNEL)
		return sec_errf(reterr, -EINVAL, "kernel boot needs an IPL disk");
	*ret_ipl = ipl;
	return 0;
}

/* ---- emission ---- */

static int by_mn(const void *a, const void *b)
{
	const struct qemu_dev *const *x = a, *const *y = b;

	return strcmp((*x)->mn, (*y)->mn);
}

static void add_disk(struct argv_buf *a, const struct qemu_dev *d, bool boot)
{
	add(a, "-drive");
	add(a, "file=%s,format=raw,if=none,id=drv-%s,cache=%s", d->backing, d->mn,
	    qemu_cache_mode(d->backing));
	add(a, "-device");
	add(a, "virtio-blk-pci,drive=drv-%s,id=dev-%s,serial=%s%s%s", d->mn, d->mn, d->mn,
	    d->shared ? ",share-rw=on" : "", boot ? ",bootindex=0" : "");
}

static void add_scsi(struct argv_buf *a, const struct qemu_dev *d)
{
	bool tape = d->cls == QEMU_DEV_TAPE;

	add(a, "-drive");
	if (d->backing)
		add(a, "file=%s,format=raw,if=none,id=drv-%s%s,cache=%s", d->backing, d->mn,
		    tape ? ",media=cdrom,readonly=on" : "", qemu_cache_mode(d->backing));
	else
		add(a, "if=none,id=drv-%s%s", d->mn, tape ? ",media=cdrom" : "");
	add(a, "-device");
	add(a, "%s,bus=scsi0.0,drive=drv-%s,id=dev-%s,serial=%s%s%s", tape ? "scsi-cd" : "scsi-hd",
	    d->mn, d->mn, d->mn, tape ? "" : ",removable=on", d->shared ? ",share-rw=on" : "");
}

int qemu_argv_build(const struct qemu_vm_spec *s, char ***ret_argv, struct sec_err *reterr)
{
	struct argv_buf a = { 0 };
	const struct qemu_dev *ipl = NULL;
	const struct qemu_dev **sorted = NULL;
	bool kernel, scsi = false;
	int r;

	if (!s || !ret_argv)
		return sec_errf(reterr, -EINVAL, "no VM spec");
	r = validate(s, &ipl, reterr);
	if (r < 0)
		return r;
	kernel = ipl && (s->boot == QEMU_BOOT_KERNEL ||
			 (s->boot == QEMU_BOOT_AUTO && qemu_is_multiboot_kernel(ipl->backing)));
	if (s->n_devs) {
		sorted = calloc(s->n_devs, sizeof(*sorted));
		if (!sorted)
			return sec_errf(reterr, -ENOMEM, "out of memory");
		for (size_t i = 0; i < s->n_devs; i++)
			sorted[i] = &s->devs[i];
		qsort(sorted, s->n_devs, sizeof(*sorted), by_mn);
	}
	add(&a, "%s", s->binary);
	add(&a, "-name");
	add(&a, "%s", s->name);
	add(&a, "-machine");
	add(&a, QEMU_MACHINE);
	add(&a, "-accel");
	add(&a, "%s", qemu_accel_to_string(s->accel));
	add(&a, "-cpu");
	add(&a, QEMU_CPU);
	add(&a, "-m");
	add(&a, "%uM", s->memory_mib);
	add(&a, "-smp");
	add(&a, "%u", s->cpus);
	add(&a, "-nodefaults");
	add(&a, "-no-user-config");
	add(&a, "-display");
	add(&a, "none");
	add(&a, "-no-shutdown");
	if (s->init_only)
		add(&a, "-S");
	if (s->incoming_defer) {
		add(&a, "-incoming");
		add(&a, "defer");
	}
	add(&a, "-chardev");
	add(&a, "file,id=ser0,path=%s,append=on", s->console_path);
	add(&a, "-serial");
	add(&a, "chardev:ser0");
	add(&a, "-qmp");
	add(&a, "unix:%s,server=on,wait=off", s->qmp_path);
	for (size_t i = 0; i < s->n_devs; i++) {
		if (sorted[i]->cls == QEMU_DEV_DISK)
			add_disk(&a, sorted[i], !kernel && sorted[i] == ipl);
		else
			scsi = true;
	}
	if (scsi) {
		add(&a, "-device");
		add(&a, "virtio-scsi-pci,id=scsi0");
		for (size_t i = 0; i < s->n_devs; i++)
			if (sorted[i]->cls != QEMU_DEV_DISK)
				add_scsi(&a, sorted[i]);
	}
	if (kernel) {
		add(&a, "-kernel");
		add(&a, "%s", ipl->backing);
		if (s->append) {
			add(&a, "-append");
			add(&a, "%s", s->append);
		}
	}
	free(sorted);
	if (a.err) {
		qemu_argv_free(a.v);
		return sec_errf(reterr, a.err, "out of memory");
	}
	*ret_argv = a.v;
	return 0;
}

char *qemu_argv_to_string(char *const *argv)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	for (size_t i = 0; argv && argv[i]; i++) {
		const char *s = argv[i];

		if (i)
			fputc(' ', f);
		if (*s && !strpbrk(s, " \t\"'\\$`")) {
			fputs(s, f);
			continue;
		}
		fputc('\'', f);
		for (; *s; s++) {
			if (*s == '\'')
				fputs("'\\''", f);
			else
				fputc(*s, f);
		}
		fputc('\'', f);
	}
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}
