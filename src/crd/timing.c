/* timing.c — see timing.h. */
#include "crd/timing.h"

#include "lib/parse.h"

#include <errno.h>
#include <string.h>

static const char *const profile_names[CRD_PROFILE_MAX] = {"test", "lab", "production"};

/* renew, io, margin, lease, claim, fence, W, stall (ms) — crd.md §8 */
static const struct crd_timing profiles[CRD_PROFILE_MAX] = {
	[CRD_PROFILE_TEST] = {200, 300, 300, 1200, 600, 2000, 500, 2000},
	[CRD_PROFILE_LAB] = {500, 400, 400, 2000, 800, 4000, 1000, 10000},
	[CRD_PROFILE_PRODUCTION] = {2000, 10000, 10000, 35000, 20000, 60000, 10000, 30000},
};

const char *crd_profile_to_string(enum crd_profile p)
{
	return p >= 0 && p < CRD_PROFILE_MAX ? profile_names[p] : "?";
}

int crd_profile_from_string(const char *name, enum crd_profile *ret)
{
	for (int i = 0; i < CRD_PROFILE_MAX; i++)
		if (!strcmp(name, profile_names[i])) {
			*ret = (enum crd_profile)i;
			return 0;
		}
	return -EINVAL;
}

struct crd_timing crd_timing_profile(enum crd_profile p)
{
	return profiles[p >= 0 && p < CRD_PROFILE_MAX ? p : CRD_PROFILE_LAB];
}

int crd_timing_validate(const struct crd_timing *t, struct sec_err *reterr)
{
	const uint64_t renew = t->renew_ms, io = t->io_ms, margin = t->margin_ms;

	if (!t->renew_ms || !t->io_ms || !t->margin_ms || !t->lease_ms || !t->claim_ms ||
	    !t->fence_ms || !t->watchdog_ms || !t->stall_ms)
		return sec_errf(reterr, -EINVAL, "every timing must be greater than 0 ms");
	if (margin < io)
		return sec_errf(reterr, -EINVAL,
				"margin (%u ms) must be >= io_timeout (%u ms)", t->margin_ms,
				t->io_ms);
	if (t->claim_ms < 2 * io)
		return sec_errf(reterr, -EINVAL,
				"claim_delay (%u ms) must be >= 2 x io_timeout (%llu ms)",
				t->claim_ms, (unsigned long long)(2 * io));
	if (renew + 2 * io + margin >= t->lease_ms)
		return sec_errf(reterr, -EINVAL,
				"renew_interval + 2 x io_timeout + margin (%llu ms) must be < "
				"lease_timeout (%u ms)",
				(unsigned long long)(renew + 2 * io + margin), t->lease_ms);
	if (2 * (renew + 2 * io) > t->fence_ms)
		return sec_errf(reterr, -EINVAL,
				"2 x (renew_interval + 2 x io_timeout) (%llu ms) must be <= "
				"fence_timeout (%u ms)",
				(unsigned long long)(2 * (renew + 2 * io)), t->fence_ms);
	return 0;
}

uint64_t crd_dead_bound_ms(const struct crd_timing *t)
{
	return (uint64_t)t->fence_ms + t->watchdog_ms + 2ull * t->io_ms + t->margin_ms;
}

int crd_timing_set(struct crd_timing *t, const char *name, const char *value)
{
	static const struct {
		const char *name;
		size_t off;
	} keys[] = {
		{"renew_interval", offsetof(struct crd_timing, renew_ms)},
		{"io_timeout", offsetof(struct crd_timing, io_ms)},
		{"margin", offsetof(struct crd_timing, margin_ms)},
		{"lease_timeout", offsetof(struct crd_timing, lease_ms)},
		{"claim_delay", offsetof(struct crd_timing, claim_ms)},
		{"fence_timeout", offsetof(struct crd_timing, fence_ms)},
		{"watchdog", offsetof(struct crd_timing, watchdog_ms)},
		{"stall_timeout", offsetof(struct crd_timing, stall_ms)},
	};
	uint64_t ms;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(name, keys[i].name))
			continue;
		if (parse_duration_ms(value, &ms) < 0 || ms == 0 || ms > UINT32_MAX)
			return -EINVAL;
		*(uint32_t *)((char *)t + keys[i].off) = (uint32_t)ms;
		return 0;
	}
	return -ENOENT;
}
