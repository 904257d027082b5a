/* clevents.h — status events of the Cluster Manager (status.md §5; seed 2.3.3, glossary
 * "Events").
 *
 * The events are the differences between two computed snapshots (clstatus.h): cluster
 * states (Management Cluster and SU Clusters), network heartbeats, the Master MU, CRD disks
 * and clock skew, with the exact message texts and weights of status.md §5. Pure: no I/O,
 * no clock, no allocation; the caller stores the events (logbook.h) with its timestamp.
 *
 * The master-change rule lives in struct clev_tracker: every MU keeps the last snapshot
 * *published* by a Master MU. The master publishes each computation through
 * clev_tracker_publish(), which raises events only for real differences from the last
 * published snapshot — also right after a master change, when that snapshot came from the
 * previous master. A computation without a master is never published and raises nothing,
 * so the interval without a master produces only `Master MU changed`. Other MUs store
 * what they receive with clev_tracker_adopt() (no events: the master raised them).
 *
 *     static struct clev_tracker t;            // large: static or heap
 *     clev_tracker_init(&t);
 *     ... on every computation on the master:
 *     clev_tracker_publish(&t, &snap, "mu2", emit, ctx);   // emit(ctx, &ev) per event
 *
 * Which changes are events (status.md §5 table): ISL-E, power and system status have no
 * event of their own; they show through the cluster state events. Units or SU Clusters
 * present in only one of the two snapshots (topology changes) raise no status event. */
#ifndef SEC_CLEVENTS_H
#define SEC_CLEVENTS_H

#include <stdbool.h>
#include <stddef.h>

#include "clstatus/clstatus.h"
#include "crd/status.h"

#define CLEV_MSG_MAX 320

/* One event, ready for the logbook. component: "Cluster" or "CRD" (static strings). */
struct clev_event {
	enum crd_event_weight weight;
	const char *component;
	char unit[CLS_NAME_MAX + 1]; /* the unit it is about (status.md §5 "unit") */
	char msg[CLEV_MSG_MAX];
};

/* Called once per event; a negative return stops the diff and is returned by it. */
typedef int (*clev_emit_fn)(void *ctx, const struct clev_event *ev);

/* The events from old to cur, in this order: Master MU, per unit (network heartbeat, CRD
 * disks, clock skew), the Management Cluster state, the SU Cluster states. detector: name
 * of the Master MU raising them (the "unit" of cluster-level events). Returns the number of
 * events emitted, or the callback's negative return.
 *
 * Messages (status.md §5):
 *   Cluster  `Master MU changed from 'OLD' to 'NEW'`                       NOTICE
 *   Cluster  `Network heartbeat of unit 'UNIT' changed from 'OLD' to 'NEW'`
 *            NOT_ACCESSIBLE → WARNING, NORMAL → NOTICE
 *   CRD      `CRD disk 'DISK' of unit 'UNIT' changed from 'OLD' to 'NEW'`
 *            NORMAL → NOTICE, else WARNING
 *   Cluster  `Clock skew of unit 'UNIT' is N ms, above the threshold` WARNING and
 *            `Clock skew of unit 'UNIT' is within the threshold again` NOTICE
 *   Cluster  `Cluster state of 'NAME' changed from 'OLD' to 'NEW'`
 *            NORMAL → NOTICE, WARNING → WARNING, ERROR → ERROR, INACTIVE → NOTICE
 * A status that is UNKNOWN in either snapshot (no master) raises no event; a Master MU name
 * that is empty is shown as ''. */
int clev_diff(const struct cls_snapshot *old, const struct cls_snapshot *cur,
	      const char *detector, clev_emit_fn emit, void *ctx);

/* Weight of `Cluster state of ... changed to NEW` (status.md §5). */
enum crd_event_weight clev_cluster_state_weight(enum cls_status new_status);

struct clev_tracker {
	bool have;                   /* a snapshot was published */
	struct cls_snapshot last;    /* the last published one */
};

void clev_tracker_init(struct clev_tracker *t);

/* On the Master MU, for each computation s (the caller sets s->version to
 * t->last.version + 1, so versions keep growing across master changes): when s has no
 * master, nothing is published and
 * 0 is returned. Otherwise raises clev_diff(last published, s) (nothing when none was
 * published before: the first master of a new cluster), then s becomes the last published
 * snapshot. Returns the number of events or the callback's negative return (s is then not
 * recorded, so a retry raises the same events). */
int clev_tracker_publish(struct clev_tracker *t, const struct cls_snapshot *s,
			 const char *detector, clev_emit_fn emit, void *ctx);

/* On every other MU: s (received from the master) becomes the last published snapshot
 * when it has a master and a higher version than the stored one. Returns 1 when stored. */
int clev_tracker_adopt(struct clev_tracker *t, const struct cls_snapshot *s);

#endif
