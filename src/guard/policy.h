/* policy.h — the guard's fence and watchdog decision (crd.md §4 "Fencing layers" 2 and 4)
 * as a pure function of the clock and the guard's state, so that unit tests cover it.
 *
 *   fresh = a renewal was received and now − last issue < fence_timeout
 *   fence = not fresh, a renewal was received, and a guest runs that was not killed yet
 *   pet   = fresh, or every guest the guard started has been reaped
 *
 * Before the first renewal no guest can exist (SPAWN needs a fresh renewal), so the guard
 * pets. After fencing, the killed guests count as unreaped until waitpid() returned them:
 * a guest stuck in D state stops the petting, and the watchdog resets the host W later.
 *
 *     struct guard_policy_in in = { .renewed = true, .last_issue_ns = t,
 *                                   .fence_timeout_ns = 2 * NSEC_PER_SEC,
 *                                   .alive = n_not_killed, .unreaped = n_not_reaped };
 *     struct guard_decision d = guard_decide(clock_boottime_ns(), &in);
 *     if (d.fence) kill them all; if (d.pet) pet the watchdog;
 *
 * Pure code; thread-safe. */
#ifndef SEC_GUARD_POLICY_H
#define SEC_GUARD_POLICY_H

#include <stdbool.h>
#include <stdint.h>

struct guard_policy_in {
	bool renewed;              /* a renewal was received */
	uint64_t last_issue_ns;    /* CLOCK_BOOTTIME issue time of the last renewal */
	uint64_t fence_timeout_ns; /* of the last renewal */
	unsigned alive;            /* guests running and not yet killed by fencing */
	unsigned unreaped;         /* guests started and not yet reaped (alive + killed) */
};

struct guard_decision {
	bool fresh;
	bool fence;                /* kill every alive guest now */
	bool pet;                  /* the watchdog may be petted now */
	uint64_t deadline_ns;      /* CLOCK_BOOTTIME when freshness ends; 0 = no renewal */
};

/* The decision at now_ns (CLOCK_BOOTTIME). A last issue time after now counts as age 0. */
struct guard_decision guard_decide(uint64_t now_ns, const struct guard_policy_in *in);

#endif
