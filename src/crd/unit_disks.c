/* unit_disks.c — a unit's "CRD disks" status (crd.md §7, status.h) and the resync of a disk
 * that comes back (crd.md §1 "probed and resynced only after that I/O has actually
 * returned, and a resync is read back", §3 "the owner rewrites its own region").
 *
 * Per external disk, on the owner thread:
 *   NORMAL --(an I/O of this unit failed or timed out; io.h NOT_ACCESSIBLE)--> NOT_ACCESSIBLE
 *   NOT_ACCESSIBLE --(an I/O of this unit succeeded again: the probe, and the last I/O of
 *                     the other kind did not fail: a disk that fails reads only does not
 *                     flap on each slot write)--> STALE
 *   NORMAL --(io.h says STALE: a late return, a region write it missed)--> STALE
 *   STALE --(the region thread rewrote the unit's own region, and region 0 while Master
 *            MU, from a read of every external disk (crd_region_disk_resync), and read
 *            them back on that disk)--> NORMAL
 * The probe is the I/O the unit does anyway every renew_interval (its slot write, and the
 * slot-area read when it observes). Every change is an event (crd_event_cb). A failure
 * while a resync runs makes its result void (epoch). A failed resync is tried again one
 * renew_interval later. */
#include "crd/unit_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crd/lease.h"
#include "crd/leasedrv.h"
#include "lib/clock.h"
#include "lib/log.h"

struct resync_job {
	struct crd_rjob job; /* first member */
	struct crd_unit *u;
	int disk;            /* index in the set (= io disk index) */
	uint64_t epoch;
	bool r0;             /* Master MU: region 0 too, with term and not_after (R1) */
	uint64_t term, not_after;
	int result;
	struct sec_err err;
};

static const char *path_base(const char *p)
{
	const char *s = strrchr(p, '/');

	return s && s[1] ? s + 1 : p;
}

int unit_disks_init(struct crd_unit *u, const struct crd_unit_cfg *cfg, struct sec_err *reterr)
{
	const char *names[CRD_SET_DISKS_MAX] = {NULL};
	char unit[32];
	int r;

	snprintf(unit, sizeof(unit), "unit %u", u->unit_id);
	for (int i = 0; i < cfg->n_external; i++)
		names[i] = path_base(cfg->external[i]);
	crd_status_init(&u->st, cfg->name ? cfg->name : unit, (uint32_t)cfg->n_external, names);
	u->event_cb = cfg->crd_event_cb;
	u->event_arg = cfg->crd_event_arg;
	crd_region_writer_init(&u->own_w, u->unit_id, u->unit_id, u->me.incarnation, 0);
	crd_region_writer_init(&u->r0_w, 0, u->unit_id, u->me.incarnation, 0);
	if ((r = crd_rthread_start(&u->rd, &u->rt, reterr)) < 0)
		return r;
	return 0;
}

void unit_disks_set(struct crd_unit *u, int disk, enum crd_disk_status to)
{
	struct crd_status_event ev;
	enum crd_disk_status from = u->st.disk[disk];

	if (crd_status_set_disk(&u->st, (uint32_t)disk, from, to, &ev) <= 0)
		return;
	log_debug("unit %u: %s", u->unit_id, ev.msg);
	if (to == CRD_DISK_NOT_ACCESSIBLE)
		u->disk[disk].epoch++;
	if (to == CRD_DISK_STALE)
		u->disk[disk].next_try_ns = 0; /* resync at once */
	if (u->event_cb)
		u->event_cb(u->event_arg, &ev);
}

void unit_disks_io_result(struct crd_unit *u, int disk, int result, bool write)
{
	struct unit_disk *d;

	/* -ETIME: the unit's own bound (fencing layer 3) stopped it, not the disk;
	 * -ECANCELED: shutdown */
	if (disk < 0 || disk >= u->rd.next || u->freeing || result == -ETIME ||
	    result == -ECANCELED || result == -ENOMEM || !u->set.in_use[disk])
		return;
	d = &u->disk[disk];
	d->failed[write] = result < 0;
	if (result < 0)
		unit_disks_set(u, disk, CRD_DISK_NOT_ACCESSIBLE);
	else if (u->st.disk[disk] == CRD_DISK_NOT_ACCESSIBLE && !d->failed[!write])
		unit_disks_set(u, disk, CRD_DISK_STALE); /* the probe answered: resync */
}

/* True when disk alone holds w's last committed generation of term (read back). */
static int resync_verify(const struct crd_region_disks *rd, int disk,
			 const struct crd_region_writer *w, uint64_t term, struct sec_err *reterr)
{
	struct crd_region_disks one = *rd;
	struct crd_region_read rr;
	int r;

	one.next = 1;
	one.ext[0] = disk;
	one.internal = -1;
	r = crd_region_read(&one, w->region, &rr, reterr);
	if (r == 0 && (rr.found ? rr.hdr.generation != w->committed || rr.hdr.term != term
				: w->committed != 0))
		r = sec_errf(reterr, -EIO, "region %u on disk %d: generation %llu term %llu after "
			     "the resync, not %llu term %llu", w->region, disk,
			     (unsigned long long)(rr.found ? rr.hdr.generation : 0),
			     (unsigned long long)(rr.found ? rr.hdr.term : 0),
			     (unsigned long long)w->committed, (unsigned long long)term);
	crd_region_read_release(&rr);
	return r;
}

/* Region thread: rewrite, read back; NORMAL in io.h here, serialised with every other
 * region job (a later job's missed write turns it STALE again after this). */
static void resync_run(struct crd_rjob *j, const struct crd_region_disks *rd)
{
	struct resync_job *rj = (struct resync_job *)j;
	struct crd_unit *u = rj->u;
	int r;

	r = crd_region_disk_resync(rd, &u->own_w, 0, 0, &rj->err);
	if (r == 0)
		r = resync_verify(rd, rd->ext[rj->disk], &u->own_w, 0, &rj->err);
	if (r == 0 && rj->r0) {
		r = crd_region_disk_resync(rd, &u->r0_w, rj->term, rj->not_after, &rj->err);
		if (r == 0)
			r = resync_verify(rd, rd->ext[rj->disk], &u->r0_w, rj->term, &rj->err);
	}
	if (r == 0 && rd->ext[rj->disk] >= 0 &&
	    crd_io_disk_state(rd->io, rd->ext[rj->disk]) == CRD_DISK_STALE)
		crd_io_disk_set_state(rd->io, rd->ext[rj->disk], CRD_DISK_STALE, CRD_DISK_NORMAL);
	rj->result = r;
}

static void resync_done(struct crd_rjob *j)
{
	struct resync_job *rj = (struct resync_job *)j;
	struct crd_unit *u = rj->u;
	struct unit_disk *d = &u->disk[rj->disk];

	if (j->cancelled || u->freeing) {
		free(rj);
		return;
	}
	d->resyncing = false;
	if (rj->epoch != d->epoch || u->st.disk[rj->disk] != CRD_DISK_STALE) {
		free(rj); /* the disk failed again meanwhile: the probe starts over */
		return;
	}
	if (rj->result == 0) {
		u->stats.resyncs++;
		unit_disks_set(u, rj->disk, CRD_DISK_NORMAL);
	} else {
		u->stats.resync_failed++;
		d->next_try_ns = clock_boottime_ns() + (uint64_t)u->timing.renew_ms * NSEC_PER_MSEC;
		log_debug("unit %u: resync of disk %d failed: %s", u->unit_id, rj->disk,
			  rj->err.msg);
	}
	free(rj);
}

static void resync_start(struct crd_unit *u, int disk)
{
	struct resync_job *rj = calloc(1, sizeof(*rj));
	struct crd_unit_master m = crd_unit_master(u);

	if (!rj)
		return;
	rj->job.run = resync_run;
	rj->job.done = resync_done;
	rj->u = u;
	rj->disk = disk;
	rj->epoch = u->disk[disk].epoch;
	rj->r0 = m.held;
	rj->term = m.term;
	rj->not_after = m.valid_until;
	if (crd_rthread_submit(u->rt, &rj->job) < 0) {
		free(rj);
		return;
	}
	u->disk[disk].resyncing = true;
}

void unit_disks_poll(struct crd_unit *u)
{
	uint64_t now = clock_boottime_ns();

	if (u->freeing)
		return;
	for (int i = 0; i < u->rd.next; i++) {
		if (!u->set.in_use[i]) /* INVALID: stopped using it (unit_set.c) */
			continue;
		enum crd_disk_status io = crd_io_disk_state(u->io, u->rd.ext[i]);
		struct unit_disk *d = &u->disk[i];
		if (io == CRD_DISK_NOT_ACCESSIBLE)
			unit_disks_set(u, i, CRD_DISK_NOT_ACCESSIBLE);
		else if (io == CRD_DISK_STALE && u->st.disk[i] == CRD_DISK_NORMAL)
			unit_disks_set(u, i, CRD_DISK_STALE);
		if (u->st.disk[i] == CRD_DISK_STALE && !d->resyncing && !u->stopping &&
		    now >= d->next_try_ns)
			resync_start(u, i);
	}
}

enum crd_unit_status crd_unit_crd_status(const struct crd_unit *u,
					 enum crd_disk_status disks[CRD_SET_DISKS_MAX],
					 uint32_t *n)
{
	*n = u->st.n;
	for (uint32_t i = 0; i < u->st.n; i++)
		disks[i] = u->st.disk[i];
	return crd_status_get_unit(&u->st);
}

const struct crd_status *crd_unit_crd_status_detail(const struct crd_unit *u)
{
	return &u->st;
}
