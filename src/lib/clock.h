/* clock.h — the time sources of crd.md §4–§5, in nanoseconds (u64).
 *
 * CLOCK_BOOTTIME is what liveness and lease decisions use (it keeps counting across a
 * suspend); CLOCK_MONOTONIC is what belief-interval logs use (comparable between
 * processes on one host). Wall time is for display only and never compared between hosts.
 * Tests install a fake clock: clock_fake_enable() makes every reader return the fake time,
 * which only clock_fake_advance()/clock_fake_set() move. The fake is process-wide. */
#ifndef SEC_CLOCK_H
#define SEC_CLOCK_H

#include <stdint.h>

#define NSEC_PER_MSEC 1000000ull
#define NSEC_PER_SEC 1000000000ull

enum sec_clock {
	SEC_CLOCK_BOOTTIME = 0,
	SEC_CLOCK_MONOTONIC,
	SEC_CLOCK_WALL,
	SEC_CLOCK_MAX
};

/* Current time of `which` in ns. */
uint64_t clock_now_ns(enum sec_clock which);
static inline uint64_t clock_boottime_ns(void) { return clock_now_ns(SEC_CLOCK_BOOTTIME); }
static inline uint64_t clock_monotonic_ns(void) { return clock_now_ns(SEC_CLOCK_MONOTONIC); }
static inline uint64_t clock_wall_ns(void) { return clock_now_ns(SEC_CLOCK_WALL); }

/* Fake clock for tests: every clock reads start_ns (+ per-clock offset 0) until advanced. */
void clock_fake_enable(uint64_t start_ns);
void clock_fake_disable(void);
void clock_fake_advance(uint64_t delta_ns);
/* Moves only the wall clock (to show that a wall-clock jump changes nothing). */
void clock_fake_jump_wall(int64_t delta_ns);

#endif
