/* qemu_accel.h — the accelerator setting `accel = auto|kvm|tcg` (vm2000.md §2; issue 4).
 *
 * auto takes KVM only when /dev/kvm opens read-write and /proc/cpuinfo offers hardware
 * virtualization (a "vmx" or "svm" flag); otherwise TCG. On the build machines /dev/kvm is
 * a nested kvm_pvm that runs ordinary guests 50–100× slower than TCG and shows no vmx/svm,
 * so auto gives TCG there (research/qemu-lm.md §1). kvm forces KVM and fails when /dev/kvm
 * does not open; tcg is always TCG.
 *
 *     enum qemu_accel a;
 *     if (qemu_accel_resolve(cfg->accel, &a, &err) < 0) ...
 *     ... "-accel", qemu_accel_to_string(a) ...
 *
 * qemu_accel_resolve_with() takes the probe results from the caller (unit tests). */
#ifndef SEC_QEMU_ACCEL_H
#define SEC_QEMU_ACCEL_H

#include <stdbool.h>

#include "lib/err.h"

enum qemu_accel {
	QEMU_ACCEL_TCG = 1,
	QEMU_ACCEL_KVM,
	QEMU_ACCEL_MAX
};
/* "tcg", "kvm"; "?" for anything else. */
const char *qemu_accel_to_string(enum qemu_accel a);

/* Resolves setting ("auto", "kvm", "tcg"; case-sensitive) on this host: opens /dev/kvm
 * (O_RDWR|O_CLOEXEC) and reads /proc/cpuinfo. Returns 0 and *ret, or -EINVAL (unknown
 * setting), -ENODEV (kvm and /dev/kvm does not open); reterr says why. */
int qemu_accel_resolve(const char *setting, enum qemu_accel *ret, struct sec_err *reterr);

/* The same with injected probes: kvm_err is 0 when /dev/kvm opened, else the -errno of the
 * open; cpuinfo is the text of /proc/cpuinfo (NULL: unreadable = no flags). */
int qemu_accel_resolve_with(const char *setting, int kvm_err, const char *cpuinfo,
			    enum qemu_accel *ret, struct sec_err *reterr);

/* true when cpuinfo has a "flags" line with the word vmx or svm. */
bool qemu_cpuinfo_has_virt(const char *cpuinfo);

#endif
