/* watchdog.h — the guard's watchdog, layer 4 of crd.md §4 "Fencing layers".
 *
 * Production: /dev/watchdog, opened at start (which arms it with the driver's timeout),
 * set to W (whole seconds, rounded up) by WDIOC_SETTIMEOUT once the first renewal names W,
 * petted by a write; closed with the magic 'V' only on a clean exit with no guest left.
 * Lab: a datagram "pet" to sec-fakewd's socket (fakewd.c), which SIGKILLs the SU's process
 * group when it is not petted for W ms; a send that fails (fakewd not started yet) is
 * ignored. Without either, pets do nothing (layer 4 off; the guard says so at start).
 * The guard decides *whether* to pet (policy.h); this file only does it. */
#ifndef SEC_GUARD_WATCHDOG_H
#define SEC_GUARD_WATCHDOG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/un.h>

#include "lib/err.h"

enum wd_kind {
	WD_NONE = 0,
	WD_DEVICE,
	WD_FAKE,
	WD_KIND_MAX
};

struct guard_wd {
	enum wd_kind kind;
	int fd;                  /* the device, or an unbound datagram socket */
	struct sockaddr_un addr; /* WD_FAKE: sec-fakewd's socket */
	uint32_t timeout_s;      /* WD_DEVICE: the timeout in force, s */
	uint64_t pets;
};

/* Opens the device (kind WD_DEVICE) or prepares the fake (WD_FAKE); WD_NONE needs no path.
 * Returns 0 or -errno with reterr naming the path. */
int wd_open(struct guard_wd *wd, enum wd_kind kind, const char *path, struct sec_err *reterr);
/* WD_DEVICE: sets the timeout to ceil(w_ms / 1000) s when it differs; else nothing.
 * Returns 0 or -errno of the ioctl. */
int wd_set_timeout(struct guard_wd *wd, uint32_t w_ms);
/* Pets once. Returns 0 or -errno (a fake watchdog that does not listen yet is 0). */
int wd_pet(struct guard_wd *wd);
/* The interval between pets in ns, from W (0 = unknown yet): W / 4 for a known W (at least
 * 10 ms), else 100 ms for the fake and a quarter of the device's timeout. */
uint64_t wd_pet_interval_ns(const struct guard_wd *wd, uint32_t w_ms);
/* Closes; with magic, a device is disarmed ('V') first. */
void wd_close(struct guard_wd *wd, bool magic);
const char *wd_kind_to_string(enum wd_kind k); /* "none", "device", "fake"; "?" */

#endif
