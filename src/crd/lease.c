/* lease.c — the master lease of crd.md §5 as a pure state machine; see lease.h.
 *
 * One round per renew_interval. WATCHING: per disk, read the region-0 copy headers (for the
 * term of R3) then the lease block, and time R0 on the bytes. When every required disk
 * shows the block free through a read issued less than io_timeout ago, claim (R3), wait
 * claim_delay, re-read: still ours on every required disk → HELD. HELD: per disk, read
 * (R2) then write counter + 1 with not_after = valid_until (R1). */
#include "crd/lease.h"

#include <errno.h>
#include <string.h>

#define MS(x) ((uint64_t)(x) * 1000000ull)

static const char *const state_names[CRD_LEASE_STATE_MAX] = {
	[CRD_LEASE_WATCHING] = "watching", [CRD_LEASE_CLAIMING] = "claiming",
	[CRD_LEASE_CLAIM_WAIT] = "claim-wait", [CRD_LEASE_CONFIRMING] = "confirming",
	[CRD_LEASE_HELD] = "held", [CRD_LEASE_RELEASING] = "releasing",
	[CRD_LEASE_STOPPED] = "stopped",
};

const char *crd_lease_state_to_string(enum crd_lease_state s)
{
	return s > 0 && s < CRD_LEASE_STATE_MAX ? state_names[s] : "?";
}

struct out {
	struct crd_lease_io *v;
	int n, max;
};

static uint64_t lease_rand(struct crd_lease *l)
{
	uint64_t z = (l->rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void lease_emit(struct crd_lease *l, struct out *o, int disk, enum crd_io_kind kind,
		       const struct crd_lease_rec *rec, uint64_t not_after)
{
	struct crd_lease_io *io;

	if (o->n >= o->max)
		return; /* out_max >= CRD_LEASE_IO_MAX is documented; never reached */
	io = &o->v[o->n++];
	memset(io, 0, sizeof(*io));
	io->seq = ++l->seq;
	io->disk = disk;
	io->kind = kind;
	if (rec)
		io->rec = *rec;
	io->not_after_ns = not_after;
	l->d[disk].busy = true;
}

static bool lease_rec_is_mine(const struct crd_lease *l, const struct crd_lease_rec *r)
{
	return r->holder == l->cfg.unit_id && r->incarnation == l->cfg.incarnation;
}

static struct crd_lease_rec lease_my_rec(const struct crd_lease *l, uint64_t counter,
					 uint32_t flags)
{
	struct crd_lease_rec r = {
		.holder = l->cfg.unit_id,
		.incarnation = l->cfg.incarnation,
		.counter = counter,
		.term = l->term,
		.lease_ms = l->cfg.timing.lease_ms,
		.flags = flags,
	};
	return r;
}

/* The L of R0 for the bytes a disk view holds. */
static uint64_t lease_r0_length(const struct crd_lease *l, const struct crd_lease_disk_view *v)
{
	uint32_t ms = l->cfg.max_lease_ms > l->cfg.timing.lease_ms ? l->cfg.max_lease_ms
								   : l->cfg.timing.lease_ms;
	/* the holder's advertised lease_timeout, but never less than any MU advertises: after a
	 * late landing the block may show another MU's record than the one holding */
	if (v->decode == 0 && v->rec.lease_ms > ms)
		ms = v->rec.lease_ms;
	return MS(ms);
}

/* R4's released block is free at once only when this watcher saw the same holder,
 * incarnation and term holding in its previous read, and the two reads lie closer together
 * than a takeover could fit between them (a claim needs claim_delay before it believes).
 * Otherwise the released bytes are timed like any others: a release that lands late, after
 * another MU took over, must not make a third MU claim at once (found by tests/sim,
 * `late_release`; decisions.md). */
static bool lease_release_fast(const struct crd_lease *l, const struct crd_lease_disk_view *v,
			       const struct crd_lease_done *d)
{
	uint64_t gap = MS(l->cfg.timing.claim_ms);

	if (MS(l->cfg.timing.renew_ms + l->cfg.timing.io_ms) < gap)
		gap = MS(l->cfg.timing.renew_ms + l->cfg.timing.io_ms);
	return v->prev_ok && v->prev_decode == 0 && !(v->prev_rec.flags & CRD_LEASE_RELEASED) &&
	       v->prev_rec.holder == d->rec.holder &&
	       v->prev_rec.incarnation == d->rec.incarnation && v->prev_rec.term == d->rec.term &&
	       d->complete_ns - v->prev_issue_ns < gap;
}

/* R0: feed one completed lease-block read into the disk view; sets free_issue_ns. */
static void lease_view_update(struct crd_lease *l, const struct crd_lease_done *d)
{
	struct crd_lease_disk_view *v = &l->d[d->disk];
	bool is_free;

	v->free_issue_ns = 0;
	if (d->result != 0)
		return;
	if (!v->seen || v->raw_crc != d->raw_crc || v->decode != d->decode) {
		v->seen = true;
		v->raw_crc = d->raw_crc;
		/* R0: from the completion of the first read that returned these bytes */
		v->first_seen_ns = l->cfg.mut.r0_issue_time ? d->issue_ns : d->complete_ns;
	}
	v->decode = d->decode;
	if (d->decode == 0)
		v->rec = d->rec;
	if (d->decode == 0 && d->rec.term > l->max_term_seen)
		l->max_term_seen = d->rec.term;
	if (d->decode == -ENODATA)
		is_free = true;
	else if (d->decode == 0 && (d->rec.flags & CRD_LEASE_RELEASED) &&
		 (l->cfg.mut.late_release_trust || lease_release_fast(l, v, d)))
		is_free = true;
	else if (l->cfg.mut.r0_issue_time) /* the naive rule: "unchanged for L" by completion */
		is_free = d->complete_ns >= v->first_seen_ns + lease_r0_length(l, v);
	else /* confirmed by a read issued at least L after that completion */
		is_free = d->issue_ns >= v->first_seen_ns + lease_r0_length(l, v);
	if (is_free)
		v->free_issue_ns = d->issue_ns ? d->issue_ns : 1;
	v->last_ok_issue_ns = d->issue_ns ? d->issue_ns : 1;
	v->last_free = is_free;
	v->prev_ok = true;
	v->prev_decode = d->decode;
	v->prev_rec = d->rec;
	v->prev_issue_ns = d->issue_ns;
}

static uint64_t lease_required_mask(const struct crd_lease *l)
{
	return (1u << l->cfg.ndisks) - 1;
}

/* R3: the claim itself, on the disks of mask; oldest = the earliest issue of the reads that
 * showed them free. */
static void lease_claim(struct crd_lease *l, unsigned mask, uint64_t oldest, struct out *o)
{
	const uint64_t io = MS(l->cfg.timing.io_ms);
	uint64_t term;

	/* R3: 1 + the highest term seen; remembered across rounds, so that a lease block torn
	 * since cannot make the term go back (tests/sim finding 7, docs/decisions.md) */
	term = l->max_term_seen;
	for (int i = 0; i < l->cfg.ndisks; i++) {
		if (!(mask & (1u << i)))
			continue;
		if (l->d[i].decode == 0 && l->d[i].rec.term > term)
			term = l->d[i].rec.term;
		if (l->d[i].r0_term > term)
			term = l->d[i].r0_term;
	}
	l->term = term + 1;
	l->counter = 0;
	l->claim_read_issue_ns = oldest;
	l->claim_mask = mask;
	l->state = CRD_LEASE_CLAIMING;
	struct crd_lease_rec rec = lease_my_rec(l, 0, 0);
	for (int i = 0; i < l->cfg.ndisks; i++) {
		l->d[i].write_ok = false;
		l->d[i].read_done = !(mask & (1u << i)); /* "done" = not part of the claim */
		if (mask & (1u << i))
			lease_emit(l, o, i, CRD_IO_LEASE_WRITE, &rec, oldest + io);
	}
}

/* R3: claim when the required disks show "free" through reads issued < io_timeout ago. */
static void lease_try_claim(struct crd_lease *l, uint64_t now, struct out *o)
{
	const uint64_t io = MS(l->cfg.timing.io_ms);
	uint64_t oldest = UINT64_MAX;
	unsigned mask = 0;
	int nfree = 0;

	for (int i = 0; i < l->cfg.ndisks; i++) {
		struct crd_lease_disk_view *v = &l->d[i];
		if (v->busy || !v->free_issue_ns || now - v->free_issue_ns >= io)
			continue;
		mask |= 1u << i;
		nfree++;
		if (v->free_issue_ns < oldest)
			oldest = v->free_issue_ns;
	}
	if (l->cfg.mut.n2_any_disk ? nfree == 0 : mask != lease_required_mask(l))
		return;
	lease_claim(l, mask, oldest, o);
}

/* The forced claim, once every disk has answered a read issued after the request: refuse
 * (no block read; a live block), wait for fresher reads, or claim on the disks read. */
static void lease_try_force(struct crd_lease *l, uint64_t now, struct out *o)
{
	const uint64_t io = MS(l->cfg.timing.io_ms);
	struct crd_lease_force *f = &l->force;
	uint64_t oldest = UINT64_MAX;
	unsigned mask = 0;
	bool stale = false;

	if (f->state != CRD_FORCE_PENDING || l->state != CRD_LEASE_WATCHING)
		return;
	for (int i = 0; i < l->cfg.ndisks; i++)
		if (!l->force_read[i] || l->d[i].busy)
			return;
	for (int i = 0; i < l->cfg.ndisks; i++) {
		struct crd_lease_disk_view *v = &l->d[i];
		bool live = !v->free_issue_ns;
		if (!l->force_ok[i]) /* unreadable now: live if it was at a read less than L ago */
			live = v->last_ok_issue_ns && !v->last_free &&
			       now - v->last_ok_issue_ns < lease_r0_length(l, v);
		if (live && !l->cfg.mut.force_no_check) {
			f->state = CRD_FORCE_REFUSED;
			f->reason = CRD_FORCE_R_LIVE;
			f->disk = i;
			f->unread = !l->force_ok[i];
			f->decode = v->decode;
			f->rec = v->rec;
			f->unchanged_ms = now > v->first_seen_ns ? (now - v->first_seen_ns) / MS(1) : 0;
			f->needed_ms = lease_r0_length(l, v) / MS(1);
			return;
		}
		if (!l->force_ok[i])
			continue;
		if (!v->free_issue_ns)
			v->free_issue_ns = v->prev_issue_ns ? v->prev_issue_ns : now;
		if (now - v->free_issue_ns >= io)
			stale = true;
		mask |= 1u << i;
		if (v->free_issue_ns < oldest)
			oldest = v->free_issue_ns;
	}
	if (!mask) {
		f->state = CRD_FORCE_REFUSED;
		f->reason = CRD_FORCE_R_NO_DISK;
		return;
	}
	if (stale) { /* R3 wants reads issued < io_timeout ago: the next round's */
		memset(l->force_read, 0, sizeof(l->force_read));
		return;
	}
	lease_claim(l, mask, oldest, o);
	f->state = CRD_FORCE_CLAIMING;
	f->mask = mask;
	f->term = l->term;
}

static void lease_back_off(struct crd_lease *l, uint64_t now)
{
	const uint64_t renew = MS(l->cfg.timing.renew_ms);

	l->state = CRD_LEASE_WATCHING;
	l->backoffs++;
	l->next_ns = now + renew + lease_rand(l) % (renew + 1);
	if (l->force.state == CRD_FORCE_CLAIMING) {
		l->force.state = CRD_FORCE_FAILED;
		l->force.reason = CRD_FORCE_R_NOT_CONFIRMED;
	}
}

static void lease_lose(struct crd_lease *l, uint64_t now, bool step_down)
{
	if (step_down) {
		l->step_downs++;
		if (l->valid_until > now)
			l->valid_until = now; /* R2: at once */
	} else {
		l->expirations++;
	}
	l->joined_mask = 0;
	l->state = CRD_LEASE_WATCHING;
	l->next_ns = now + MS(l->cfg.timing.renew_ms);
}

static bool lease_all_done(const struct crd_lease *l)
{
	for (int i = 0; i < l->cfg.ndisks; i++)
		if (!l->d[i].read_done || l->d[i].busy)
			return false;
	return true;
}

void crd_lease_init(struct crd_lease *l, const struct crd_lease_cfg *cfg, uint64_t now)
{
	memset(l, 0, sizeof(*l));
	l->cfg = *cfg;
	if (l->cfg.ndisks < 1)
		l->cfg.ndisks = 1;
	if (l->cfg.ndisks > (int)CRD_SET_DISKS_MAX)
		l->cfg.ndisks = CRD_SET_DISKS_MAX;
	l->rng = cfg->seed ^ cfg->incarnation ^ ((uint64_t)cfg->unit_id << 32);
	l->state = CRD_LEASE_WATCHING;
	l->next_ns = now;
}

static int lease_tick_watching(struct crd_lease *l, uint64_t now, struct out *o)
{
	l->next_ns = now + MS(l->cfg.timing.renew_ms);
	for (int i = 0; i < l->cfg.ndisks; i++)
		if (!l->d[i].busy)
			lease_emit(l, o, i, CRD_IO_R0_TERM_READ, NULL, 0);
	return o->n;
}

static int lease_tick_held(struct crd_lease *l, uint64_t now, struct out *o)
{
	if (!l->cfg.mut.no_r1 && now >= l->valid_until) {
		lease_lose(l, now, false);
		return lease_tick_watching(l, now, o);
	}
	l->counter++;
	l->next_ns = now + MS(l->cfg.timing.renew_ms);
	if (!l->cfg.mut.no_r1 && l->valid_until < l->next_ns)
		l->next_ns = l->valid_until; /* notice the expiry on time */
	for (int i = 0; i < l->cfg.ndisks; i++)
		if (!l->d[i].busy)
			lease_emit(l, o, i, CRD_IO_LEASE_READ, NULL, 0);
	return o->n;
}

int crd_lease_tick(struct crd_lease *l, uint64_t now, struct crd_lease_io *out, int out_max)
{
	struct out o = {out, 0, out_max};

	if (now < l->next_ns)
		return 0;
	switch (l->state) {
	case CRD_LEASE_WATCHING:
		return lease_tick_watching(l, now, &o);
	case CRD_LEASE_CLAIM_WAIT:
		l->state = CRD_LEASE_CONFIRMING;
		l->next_ns = UINT64_MAX;
		for (int i = 0; i < l->cfg.ndisks; i++) {
			l->d[i].read_done = true;
			if (l->d[i].write_ok) {
				l->d[i].read_done = false;
				lease_emit(l, &o, i, CRD_IO_LEASE_READ, NULL, 0);
			}
		}
		return o.n;
	case CRD_LEASE_HELD:
		return lease_tick_held(l, now, &o);
	default:
		l->next_ns = UINT64_MAX; /* CLAIMING, CONFIRMING, RELEASING wait for I/O */
		return 0;
	}
}

static void lease_done_watching(struct crd_lease *l, const struct crd_lease_done *d,
				uint64_t now, struct out *o)
{
	if (d->kind == CRD_IO_R0_TERM_READ) {
		if (d->result == 0)
			l->d[d->disk].r0_term = d->r0_term;
		if (d->result == 0 && d->r0_term > l->max_term_seen)
			l->max_term_seen = d->r0_term;
		lease_emit(l, o, d->disk, CRD_IO_LEASE_READ, NULL, 0);
		return;
	}
	if (d->kind != CRD_IO_LEASE_READ)
		return; /* a late completion of an earlier state's write */
	lease_view_update(l, d);
	if (l->force.state == CRD_FORCE_PENDING && d->issue_ns >= l->force.requested_ns) {
		l->force_read[d->disk] = true;
		l->force_ok[d->disk] = d->result == 0;
	}
	lease_try_claim(l, now, o);
	lease_try_force(l, now, o);
}

static void lease_done_claiming(struct crd_lease *l, const struct crd_lease_done *d,
				uint64_t now)
{
	const uint64_t io = MS(l->cfg.timing.io_ms);
	struct crd_lease_disk_view *v = &l->d[d->disk];
	int nok = 0, nclaimed = 0;

	if (d->kind != CRD_IO_LEASE_WRITE)
		return;
	/* R3: the claim counts only if it completed within io_timeout of the free read */
	v->write_ok = d->result == 0 && d->complete_ns <= l->claim_read_issue_ns + io;
	v->write_issue_ns = d->issue_ns;
	v->read_done = true;
	if (!lease_all_done(l))
		return;
	for (int i = 0; i < l->cfg.ndisks; i++) {
		if (!(l->claim_mask & (1u << i)))
			continue;
		nclaimed++;
		nok += l->d[i].write_ok;
	}
	if (nok == 0 || (!l->cfg.mut.n2_any_disk && nok != nclaimed)) {
		lease_back_off(l, now);
		return;
	}
	l->state = CRD_LEASE_CLAIM_WAIT;
	l->next_ns = now + MS(l->cfg.timing.claim_ms);
}

static void lease_done_confirming(struct crd_lease *l, const struct crd_lease_done *d,
				  uint64_t now)
{
	struct crd_lease_disk_view *v = &l->d[d->disk];
	uint64_t first_issue = UINT64_MAX;

	if (d->kind != CRD_IO_LEASE_READ)
		return;
	lease_view_update(l, d);
	v->read_done = true;
	v->write_ok = d->result == 0 && d->decode == 0 && lease_rec_is_mine(l, &d->rec) &&
		      d->rec.term == l->term && d->rec.counter == 0;
	if (!lease_all_done(l))
		return;
	for (int i = 0; i < l->cfg.ndisks; i++) {
		if (!(l->claim_mask & (1u << i)))
			continue;
		if (!l->d[i].write_ok && !l->cfg.mut.n2_any_disk) {
			lease_back_off(l, now);
			return;
		}
		if (l->d[i].write_ok && l->d[i].write_issue_ns < first_issue)
			first_issue = l->d[i].write_issue_ns;
	}
	if (first_issue == UINT64_MAX) {
		lease_back_off(l, now);
		return;
	}
	/* R1 from the claim write: the earliest issue among the disks that hold it */
	l->valid_until = first_issue + MS(l->cfg.timing.lease_ms) - MS(l->cfg.timing.margin_ms);
	if (!l->cfg.mut.no_r1 && now >= l->valid_until) {
		lease_back_off(l, now);
		return;
	}
	l->state = CRD_LEASE_HELD;
	l->held_since_ns = now;
	l->acquisitions++;
	l->joined_mask = l->claim_mask;
	if (l->force.state == CRD_FORCE_PENDING || l->force.state == CRD_FORCE_CLAIMING) {
		l->force.state = CRD_FORCE_DONE;
		l->force.mask = l->claim_mask;
		l->force.term = l->term;
	}
	l->next_ns = now; /* renew at once */
}

static void lease_done_held(struct crd_lease *l, const struct crd_lease_done *d, uint64_t now,
			    struct out *o)
{
	const struct crd_lease_rec *r = &d->rec;

	if (d->kind == CRD_IO_LEASE_WRITE) {
		if (d->result == 0) {
			uint64_t until = d->issue_ns + MS(l->cfg.timing.lease_ms) -
					 MS(l->cfg.timing.margin_ms);
			if (until > l->valid_until)
				l->valid_until = until;
		}
		return;
	}
	if (d->kind != CRD_IO_LEASE_READ || d->result != 0)
		return;
	bool joined = l->joined_mask & (1u << d->disk);
	if (d->decode == 0 && !lease_rec_is_mine(l, r) && (r->counter > 0 || r->term > l->term) &&
	    (joined || r->term >= l->term)) {
		lease_lose(l, now, true); /* R2: a foreign holder — never overwrite */
		return;
	}
	if (d->decode == 0 && lease_rec_is_mine(l, r) && r->term > l->term) {
		lease_lose(l, now, true);
		return;
	}
	if (d->decode == 0 && lease_rec_is_mine(l, r) && r->term == l->term)
		l->joined_mask |= 1u << d->disk; /* the disk joins (see lease.h) */
	struct crd_lease_rec rec = lease_my_rec(l, l->counter, 0);
	lease_emit(l, o, d->disk, CRD_IO_LEASE_WRITE, &rec,
		   l->cfg.mut.no_r1 ? 0 : l->valid_until);
}

int crd_lease_complete(struct crd_lease *l, const struct crd_lease_done *d, uint64_t now,
		       struct crd_lease_io *out, int out_max)
{
	struct out o = {out, 0, out_max};

	if (d->disk < 0 || d->disk >= l->cfg.ndisks)
		return 0;
	l->d[d->disk].busy = false;
	switch (l->state) {
	case CRD_LEASE_WATCHING:
		lease_done_watching(l, d, now, &o);
		break;
	case CRD_LEASE_CLAIMING:
		lease_done_claiming(l, d, now);
		break;
	case CRD_LEASE_CONFIRMING:
		lease_done_confirming(l, d, now);
		break;
	case CRD_LEASE_HELD:
		lease_done_held(l, d, now, &o);
		break;
	case CRD_LEASE_RELEASING:
		if (lease_all_done(l))
			l->state = CRD_LEASE_STOPPED;
		break;
	default:
		break;
	}
	return o.n;
}

int crd_lease_release(struct crd_lease *l, uint64_t now, struct crd_lease_io *out, int out_max)
{
	struct out o = {out, 0, out_max};
	bool valid = l->state == CRD_LEASE_HELD && (l->cfg.mut.no_r1 || now < l->valid_until);
	uint64_t not_after = l->valid_until;

	l->next_ns = UINT64_MAX;
	if (!valid) {
		l->state = CRD_LEASE_STOPPED;
		return 0;
	}
	/* the belief ends now; the release write may land only while the lease is valid */
	l->valid_until = now;
	l->state = CRD_LEASE_RELEASING;
	struct crd_lease_rec rec = lease_my_rec(l, l->counter + 1, CRD_LEASE_RELEASED);
	for (int i = 0; i < l->cfg.ndisks; i++) {
		l->d[i].read_done = true;
		if (!l->d[i].busy)
			lease_emit(l, &o, i, CRD_IO_LEASE_WRITE, &rec,
				   l->cfg.mut.no_r1 ? 0 : not_after);
	}
	if (o.n == 0)
		l->state = CRD_LEASE_STOPPED;
	return o.n;
}

int crd_lease_force(struct crd_lease *l, uint64_t now)
{
	switch (l->state) {
	case CRD_LEASE_WATCHING:
		break;
	case CRD_LEASE_HELD:
		return -EALREADY;
	case CRD_LEASE_RELEASING:
	case CRD_LEASE_STOPPED:
		return -ESHUTDOWN;
	default:
		return -EBUSY;
	}
	memset(&l->force, 0, sizeof(l->force));
	memset(l->force_read, 0, sizeof(l->force_read));
	memset(l->force_ok, 0, sizeof(l->force_ok));
	l->force.state = CRD_FORCE_PENDING;
	l->force.requested_ns = now;
	l->force.disk = -1;
	return 0;
}

struct crd_lease_force crd_lease_force_get(const struct crd_lease *l)
{
	return l->force;
}

void crd_lease_force_cancel(struct crd_lease *l)
{
	if (l->force.state == CRD_FORCE_PENDING)
		l->force.state = CRD_FORCE_NONE;
}

const char *crd_lease_force_state_to_string(enum crd_lease_force_state s)
{
	static const char *const names[CRD_FORCE_STATE_MAX] = {
		[CRD_FORCE_NONE] = "none", [CRD_FORCE_PENDING] = "pending",
		[CRD_FORCE_CLAIMING] = "claiming", [CRD_FORCE_DONE] = "done",
		[CRD_FORCE_REFUSED] = "refused", [CRD_FORCE_FAILED] = "failed",
	};
	return s >= 0 && s < CRD_FORCE_STATE_MAX ? names[s] : "?";
}

void crd_lease_disk_reset(struct crd_lease *l, int disk)
{
	struct crd_lease_disk_view *v;
	bool busy;

	if (disk < 0 || disk >= l->cfg.ndisks)
		return;
	v = &l->d[disk];
	busy = v->busy;
	memset(v, 0, sizeof(*v));
	v->busy = busy;
	v->read_done = true; /* not part of a round in progress */
	l->joined_mask &= ~(1u << disk);
	l->force_read[disk] = false;
}

uint64_t crd_lease_next_ns(const struct crd_lease *l)
{
	return l->next_ns;
}

bool crd_lease_held(const struct crd_lease *l, uint64_t now)
{
	return l->state == CRD_LEASE_HELD && (l->cfg.mut.no_r1 || now < l->valid_until);
}

uint64_t crd_lease_valid_until(const struct crd_lease *l)
{
	return l->valid_until;
}

uint64_t crd_lease_term(const struct crd_lease *l)
{
	return l->term;
}
