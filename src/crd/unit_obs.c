/* unit_obs.c — the observer of a unit (unit.h "observe"; crd.md §4; alive.h part 3).
 *
 * Every renew_interval each external disk's slot area (256 slots) is read in pieces of
 * CRD_IO_CHUNK bytes (64 slots: io.h carries out a CRD_IO_PRIO_REGION request of that size
 * in one syscall), one piece outstanding per disk, the next submitted when the previous one
 * completed. Pieces are CRD_IO_PRIO_REGION so that every slot and lease I/O queued on the
 * disk goes first: a renewal waits for one piece in flight at most, as behind a region
 * chunk, and never for a whole round. A disk still reading its previous round skips the
 * new one (stats.obs_skipped). Each piece's issue and completion times are those of its
 * own syscall, so every slot read is timed exactly as alive.h asks. The pieces are decoded
 * here, on the owner thread, never in a disk thread (a renewal may be queued behind).
 *
 * One window is kept free of pieces altogether: an MU's claim (R3) until its first renewal
 * as Master MU. The claim's validity is lease_timeout - margin from the claim write, and
 * claim_delay leaves about io_timeout of it for the confirming read and the first renewal
 * (read and write): a piece in front of each of them would use it up on a slow disk (found
 * by test_unit's slow-disk test: the first renewal missed its R1 bound). No piece is
 * submitted in that window; a round that meets it ends there (counted as skipped). */
#include "crd/unit_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crd/lease.h"
#include "crd/leasedrv.h"
#include "crd/timing.h"
#include "lib/clock.h"
#include "lib/log.h"

#define OBS_PARTS(u) (((u)->rd.geo.slot_count + OBS_SLOTS_PER_READ - 1) / OBS_SLOTS_PER_READ)

int unit_obs_init(struct crd_unit *u)
{
	u->obs = calloc(CRD_UNITS_MAX, sizeof(*u->obs));
	u->obs_fed = calloc(CRD_UNITS_MAX, sizeof(*u->obs_fed));
	if (!u->obs || !u->obs_fed)
		return -ENOMEM;
	u->max_bound_ms = crd_dead_bound_ms(&u->timing);
	u->max_lease_ms = u->role == CRD_UNIT_MU ? u->timing.lease_ms : 0;
	for (uint32_t k = 0; k < CRD_UNITS_MAX; k++)
		crd_alive_obs_init(&u->obs[k], k + 1, (uint32_t)u->rd.next, u->max_bound_ms);
	return 0;
}

void unit_obs_free(struct crd_unit *u)
{
	free(u->obs);
	free(u->obs_fed);
	u->obs = NULL;
	u->obs_fed = NULL;
}

static void obs_io_done(struct crd_io_req *req, void *arg)
{
	unit_queue_done(arg, &(struct unit_done){.kind = UNIT_DONE_OBS_READ,
						 .io_disk = req->disk,
						 .result = req->result,
						 .issue_ns = req->issue_ns,
						 .complete_ns = req->complete_ns,
						 .req = crd_io_req_ref(req)});
}

/* Feeds a failed read of disk's slots [first, first + count) to their observers. */
static void obs_feed_failure(struct crd_unit *u, int disk, uint32_t first, uint32_t count,
			     int result, uint64_t now)
{
	struct crd_slot_read rd = {.disk = (uint32_t)disk, .result = result, .issue_ns = now,
				   .complete_ns = now};

	for (uint32_t k = first; k < first + count && k < CRD_UNITS_MAX; k++) {
		if (k + 1 == u->unit_id)
			continue; /* its own slot is fed from its own writes */
		crd_alive_obs_feed(&u->obs[k], &rd);
		u->obs_fed[k] = true;
	}
}

/* An MU between its claim and its first renewal as Master MU (see the top). */
bool unit_lease_window(const struct crd_unit *u)
{
	const struct crd_lease *l;

	if (!u->dr)
		return false;
	l = crd_leasedrv_lease(u->dr);
	switch (l->state) {
	case CRD_LEASE_CLAIMING:
	case CRD_LEASE_CLAIM_WAIT:
	case CRD_LEASE_CONFIRMING:
		return true;
	case CRD_LEASE_HELD:
		return l->counter <= 1; /* counter 1: the first renewal */
	default:
		return false;
	}
}

/* Submits piece `part` of disk's round; on refusal, ends the round as failed. */
static void obs_submit(struct crd_unit *u, int disk)
{
	struct unit_obs_disk *od = &u->obs_disk[disk];
	uint32_t first = od->next_part * OBS_SLOTS_PER_READ;
	uint32_t count = u->rd.geo.slot_count - first;
	struct crd_io_req *req;
	int r;

	if (count > OBS_SLOTS_PER_READ)
		count = OBS_SLOTS_PER_READ;
	req = crd_io_req_new(CRD_IO_READ, u->rd.geo.slots_off + (uint64_t)first * CRD_BLOCK,
			     (size_t)count * CRD_BLOCK);
	if (!req) {
		r = -ENOMEM;
	} else {
		req->prio = CRD_IO_PRIO_REGION;
		req->cb = obs_io_done;
		req->cb_arg = u;
		r = crd_io_submit(u->io, u->rd.ext[disk], req);
	}
	if (r == 0)
		return;
	log_debug("unit %u: slot-area read on disk %d not submitted: %s", u->unit_id, disk,
		  strerror(-r));
	obs_feed_failure(u, disk, first, u->rd.geo.slot_count - first, r, clock_boottime_ns());
	od->busy = false;
	if (r != -ENOMEM)
		unit_disks_io_result(u, disk, r, false);
}

void unit_obs_round(struct crd_unit *u)
{
	for (int i = 0; i < u->rd.next; i++) {
		struct unit_obs_disk *od = &u->obs_disk[i];
		if (!u->set.in_use[i]) /* stopped using it (online replace) */
			continue;
		if (od->busy || unit_lease_window(u)) { /* one read per disk: skip, never pile up */
			u->stats.obs_skipped++;
			continue;
		}
		od->busy = true;
		od->next_part = 0;
		u->stats.obs_rounds++;
		obs_submit(u, i);
	}
}

/* The largest dead_bound (any slot) and lease_timeout (MU slots) advertised. */
static void obs_note_advertised(struct crd_unit *u, const struct crd_slot *s)
{
	uint64_t b = crd_dead_bound_ms(&s->timing);

	if (b > u->max_bound_ms)
		u->max_bound_ms = b;
	if (s->role == CRD_UNIT_MU && s->timing.lease_ms > u->max_lease_ms) {
		u->max_lease_ms = s->timing.lease_ms;
		if (u->dr) /* R0 for a damaged lease block (leasedrv.h) */
			crd_leasedrv_set_max_lease_ms(u->dr, u->max_lease_ms);
	}
}

void unit_obs_read_done(struct crd_unit *u, const struct unit_done *d)
{
	struct unit_obs_disk *od = &u->obs_disk[d->disk];
	uint32_t first = od->next_part * OBS_SLOTS_PER_READ;
	uint32_t count = (uint32_t)(d->req->len / CRD_BLOCK);

	if (d->result < 0) {
		log_debug("unit %u: slot-area read on disk %d: %s", u->unit_id, d->disk,
			  strerror(-d->result));
		obs_feed_failure(u, d->disk, first, u->rd.geo.slot_count - first, d->result,
				 d->complete_ns);
		od->busy = false;
		unit_disks_io_result(u, d->disk, d->result, false);
		crd_io_req_unref(d->req);
		return;
	}
	for (uint32_t j = 0; j < count; j++) {
		const uint8_t *block = (const uint8_t *)d->req->buf + (size_t)j * CRD_BLOCK;
		struct crd_slot_read rd = {.disk = (uint32_t)d->disk, .result = 0,
					   .issue_ns = d->issue_ns, .complete_ns = d->complete_ns};
		uint32_t k = first + j;
		rd.decode = crd_slot_in(block, &rd.slot);
		rd.raw_crc = crd_block_ident(block);
		if (rd.decode == 0)
			obs_note_advertised(u, &rd.slot);
		if (k + 1 == u->unit_id || k >= CRD_UNITS_MAX)
			continue;
		crd_alive_obs_set_fallback(&u->obs[k], u->max_bound_ms);
		crd_alive_obs_feed(&u->obs[k], &rd);
		u->obs_fed[k] = true;
	}
	crd_io_req_unref(d->req);
	unit_disks_io_result(u, d->disk, 0, false);
	if (++od->next_part >= OBS_PARTS(u)) {
		u->stats.obs_reads++;
	} else if (!u->stopping && !unit_lease_window(u)) {
		obs_submit(u, d->disk);
		return;
	} else {
		u->stats.obs_skipped++; /* the rest of this round is not read */
	}
	od->busy = false;
}

void unit_obs_own_write(struct crd_unit *u, const struct unit_done *d)
{
	struct crd_slot_read rd = {.disk = (uint32_t)d->disk, .result = d->result,
				   .issue_ns = d->issue_ns, .complete_ns = d->complete_ns,
				   .decode = 0, .raw_crc = u->last_slot_ident,
				   .slot = u->last_slot};
	uint32_t k = u->unit_id - 1;

	if (d->result == -ECANCELED)
		return;
	crd_alive_obs_set_fallback(&u->obs[k], u->max_bound_ms);
	crd_alive_obs_feed(&u->obs[k], &rd);
	u->obs_fed[k] = true;
}

int crd_unit_peer(const struct crd_unit *u, uint32_t unit_id, struct crd_unit_peer *ret)
{
	const struct crd_alive_obs *o;
	struct crd_alive_verdict v;
	uint64_t newest = 0;

	if (unit_id < 1 || unit_id > CRD_UNITS_MAX)
		return -EINVAL;
	if (!u->obs_fed[unit_id - 1])
		return -ENOENT;
	o = &u->obs[unit_id - 1];
	v = crd_alive_obs_verdict(o);
	memset(ret, 0, sizeof(*ret));
	ret->verdict = v.verdict;
	ret->reason = v.reason;
	ret->change_ns = v.verdict == CRD_ALIVE_NEVER_SEEN ? 0 : v.last_change_ns;
	ret->fresh = crd_alive_verdict_fresh(&v, clock_boottime_ns(), u->timing.io_ms);
	ret->evidence_ns = v.evidence_ns;
	for (uint32_t i = 0; i < o->n; i++) { /* the newest bytes that decode */
		const struct crd_alive_disk_obs *dk = &o->disk[i];
		if (dk->have && dk->decode == 0 && dk->first_complete_ns >= newest) {
			newest = dk->first_complete_ns;
			ret->state = dk->slot.state;
			ret->incarnation = dk->slot.incarnation;
			ret->bound_ms = crd_alive_obs_bound_ns(o, i) / NSEC_PER_MSEC;
		}
	}
	return 0;
}
