/* drain.c — a stopping unit hands its last events over before it exits (status.md §5: "no
 * event is lost"; issue 3: SIGTERM on an MU raises `M2000 deactivated`).
 *
 * Replication is pull-based (internal.c): the MUs ask this unit for its entries every
 * hb_interval. A unit that exited right after SIGTERM took its last events (`M2000
 * deactivated`, `X2000 deactivated`) with it until it ran again. So after its CRD part has
 * stopped (slot LEFT, lease released) the unit keeps answering pulls until every MU that
 * still pulls from it (one did within the last DRAIN_RECENT intervals) has shown, in the
 * marks of a later pull, that it holds this incarnation's events up to the last one
 * committed — or until DRAIN_MAX intervals after the SIGTERM (an MU that is down or slow
 * does not hold the stop up; it catches up when this unit runs again). */
#include "lib/log.h"
#include "secd/secd.h"

#include <inttypes.h>

#define DRAIN_RECENT 2 /* hb_intervals: an MU that pulled this recently is waited for */
#define DRAIN_MAX    4 /* hb_intervals after the SIGTERM at most */

void secd_drain_note_pull(struct secd *d, uint32_t from, const struct lb_id *marks, size_t n)
{
	struct secd_drain *dr = &d->drain;

	if (from == 0 || from > CRD_UNITS_MAX)
		return;
	dr->pulled_ms[from] = secd_now_ms();
	for (size_t i = 0; i < n; i++)
		if (marks[i].unit == d->cfg.unit_id && marks[i].incarnation == d->incarnation &&
		    marks[i].seq > dr->mark[from])
			dr->mark[from] = marks[i].seq;
}

void secd_drain_start(struct secd *d)
{
	d->drain.since_ms = secd_now_ms();
}

bool secd_drain_done(struct secd *d)
{
	struct secd_drain *dr = &d->drain;
	const struct cluster_global *g = d->global;
	uint64_t now = secd_now_ms(), hb = d->cfg.hb_interval_ms;
	uint32_t waiting = 0;

	for (unsigned i = 0; g && i < g->n_units; i++) {
		uint32_t id = g->units[i].unit_id;
		if (g->units[i].role != CRD_UNIT_MU || id == d->cfg.unit_id || id > CRD_UNITS_MAX ||
		    !dr->pulled_ms[id] || dr->pulled_ms[id] + DRAIN_RECENT * hb < now)
			continue;
		if (dr->mark[id] < dr->ev_seq)
			waiting++;
	}
	if (!waiting && !dr->ev_pending)
		return true;
	if (now < dr->since_ms + DRAIN_MAX * hb)
		return false;
	log_info("%s: %u MU%s did not confirm this unit's last events within %" PRIu64 " ms; "
		 "they get them when it runs again",
		 d->who, waiting, waiting == 1 ? "" : "s", now - dr->since_ms);
	return true;
}
