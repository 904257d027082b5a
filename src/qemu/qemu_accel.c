/* qemu_accel.c — accel = auto|kvm|tcg (qemu_accel.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qemu/qemu_accel.h"

#define CPUINFO_MAX (4u << 20) /* bytes of /proc/cpuinfo read at most */

const char *qemu_accel_to_string(enum qemu_accel a)
{
	switch (a) {
	case QEMU_ACCEL_TCG:
		return "tcg";
	case QEMU_ACCEL_KVM:
		return "kvm";
	default:
		return "?";
	}
}

/* true when s (len bytes) holds the blank-separated word w */
static bool has_word(const char *s, size_t len, const char *w)
{
	size_t wl = strlen(w), i = 0;

	while (i < len) {
		while (i < len && (s[i] == ' ' || s[i] == '\t'))
			i++;
		size_t j = i;
		while (j < len && s[j] != ' ' && s[j] != '\t')
			j++;
		if (j - i == wl && !memcmp(s + i, w, wl))
			return true;
		i = j;
	}
	return false;
}

bool qemu_cpuinfo_has_virt(const char *cpuinfo)
{
	const char *p = cpuinfo;

	while (p && *p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		const char *colon = memchr(p, ':', len);

		if (len >= 5 && !strncmp(p, "flags", 5) && colon) {
			const char *v = colon + 1;
			size_t vlen = len - (size_t)(v - p);

			if (has_word(v, vlen, "vmx") || has_word(v, vlen, "svm"))
				return true;
		}
		p = eol ? eol + 1 : NULL;
	}
	return false;
}

int qemu_accel_resolve_with(const char *setting, int kvm_err, const char *cpuinfo,
			    enum qemu_accel *ret, struct sec_err *reterr)
{
	if (!setting)
		setting = "";
	if (!strcmp(setting, "tcg")) {
		*ret = QEMU_ACCEL_TCG;
		return 0;
	}
	if (!strcmp(setting, "kvm")) {
		if (kvm_err < 0)
			return sec_errf(reterr, -ENODEV,
					"accel = kvm, but /dev/kvm cannot be opened: %s",
					strerror(-kvm_err));
		*ret = QEMU_ACCEL_KVM;
		return 0;
	}
	if (!strcmp(setting, "auto")) {
		*ret = kvm_err == 0 && cpuinfo && qemu_cpuinfo_has_virt(cpuinfo) ? QEMU_ACCEL_KVM
										  : QEMU_ACCEL_TCG;
		return 0;
	}
	return sec_errf(reterr, -EINVAL, "accel '%s' is not one of auto, kvm, tcg", setting);
}

static char *read_cpuinfo(void)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = malloc(CPUINFO_MAX + 1);
	if (!buf) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, CPUINFO_MAX, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

int qemu_accel_resolve(const char *setting, enum qemu_accel *ret, struct sec_err *reterr)
{
	char *cpuinfo = NULL;
	int kvm_err = 0, fd, r;

	if (setting && !strcmp(setting, "tcg"))
		return qemu_accel_resolve_with(setting, 0, NULL, ret, reterr);
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		kvm_err = -errno;
	else
		close(fd);
	if (kvm_err == 0)
		cpuinfo = read_cpuinfo();
	r = qemu_accel_resolve_with(setting, kvm_err, cpuinfo, ret, reterr);
	free(cpuinfo);
	return r;
}
