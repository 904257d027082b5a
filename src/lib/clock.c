#include "clock.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

static _Atomic bool fake_on;
static _Atomic uint64_t fake_ns;
static _Atomic int64_t fake_wall_off;

uint64_t clock_now_ns(enum sec_clock which)
{
	static const clockid_t ids[SEC_CLOCK_MAX] = {CLOCK_BOOTTIME, CLOCK_MONOTONIC, CLOCK_REALTIME};
	struct timespec ts;

	if (atomic_load(&fake_on)) {
		uint64_t t = atomic_load(&fake_ns);
		return which == SEC_CLOCK_WALL ? t + (uint64_t)atomic_load(&fake_wall_off) : t;
	}
	clock_gettime(ids[which], &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

void clock_fake_enable(uint64_t start_ns)
{
	atomic_store(&fake_ns, start_ns);
	atomic_store(&fake_wall_off, 0);
	atomic_store(&fake_on, true);
}

void clock_fake_disable(void)
{
	atomic_store(&fake_on, false);
}

void clock_fake_advance(uint64_t delta_ns)
{
	atomic_fetch_add(&fake_ns, delta_ns);
}

void clock_fake_jump_wall(int64_t delta_ns)
{
	atomic_fetch_add(&fake_wall_off, delta_ns);
}
