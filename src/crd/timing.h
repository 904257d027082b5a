/* timing.h — the timing profiles of crd.md §8 and their validation.
 *
 * A unit runs under a named profile (test, lab, production) plus overrides. Validation:
 *   margin >= io;  claim >= 2 * io;  renew + 2 * io + margin < lease;
 *   2 * (renew + 2 * io) <= fence;  every value > 0.
 * dead_bound = fence + W + 2 * io + margin is derived from a unit's advertised values,
 * never configured. All values in ms. */
#ifndef SEC_CRD_TIMING_H
#define SEC_CRD_TIMING_H

#include "crd/ondisk.h"
#include "lib/err.h"

enum crd_profile {
	CRD_PROFILE_TEST = 0,
	CRD_PROFILE_LAB,
	CRD_PROFILE_PRODUCTION,
	CRD_PROFILE_MAX
};

const char *crd_profile_to_string(enum crd_profile p);
/* Returns 0 and the profile for its name, or -EINVAL. */
int crd_profile_from_string(const char *name, enum crd_profile *ret);
/* The profile's values (crd.md §8 table). */
struct crd_timing crd_timing_profile(enum crd_profile p);
/* 0 when t satisfies every rule above; else -EINVAL and reterr names the rule broken,
 * e.g. "margin (200 ms) must be >= io_timeout (300 ms)". */
int crd_timing_validate(const struct crd_timing *t, struct sec_err *reterr);
/* fence + W + 2 * io + margin, in ms. */
uint64_t crd_dead_bound_ms(const struct crd_timing *t);
/* Sets one named value ("renew_interval", "io_timeout", "margin", "lease_timeout",
 * "claim_delay", "fence_timeout", "watchdog", "stall_timeout") from a duration string
 * (parse_duration_ms). Returns 0, or -ENOENT for an unknown name, -EINVAL for a bad value. */
int crd_timing_set(struct crd_timing *t, const char *name, const char *value);

#endif
