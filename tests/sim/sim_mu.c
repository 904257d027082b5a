/* sim_mu.c — the MUs of the simulator: each runs the real master lease engine
 * (src/crd/lease.c) and a region-0 devcount client, and is paused, killed, restarted or
 * shut down cleanly by the schedule. Checks invariants 1 and 2 of crd.md §6:
 *
 *  1. belief intervals [became held, valid_until or step-down] of two units never overlap:
 *     when a unit starts to believe at t, no other live unit may believe at t
 *     (crd_lease_held(other, t); a paused unit's belief runs until its computed expiry);
 *     a killed unit's belief ends when it dies;
 *  2. every believed master increments a counter in region 0: read the highest
 *     (term, generation) copy on every disk, write generation + 1 and count + 1 to both
 *     copies of every disk in turn — the copy not holding the disk's newest data first —
 *     with not_after = valid_until (R1). An increment is
 *     acknowledged when every write completed. A read issued after an acknowledgement must
 *     find at least that count, and no count is acknowledged twice (a lost update). */
#include "sim.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void unit_submit(struct sim_world *w, int unit, const struct crd_lease_io *v, int n)
{
	for (int i = 0; i < n; i++) {
		if (v[i].disk < 0 || v[i].disk >= w->o.ndisks) {
			sim_fail(w, "engine of mu%d asked for disk %d of %d", unit + 1, v[i].disk,
				 w->o.ndisks);
			return;
		}
		sim_io_submit(w, unit, v[i].disk, SIM_OP_LEASE, &v[i], 0, NULL,
			      v[i].not_after_ns);
	}
}

static void belief_close(struct sim_world *w, int unit, uint64_t end)
{
	struct sim_unit *u = &w->u[unit];

	if (!u->believing)
		return;
	u->believing = false;
	sim_trace(w, "mu%d belief ends at %.3f ms (began %.3f)", unit + 1, (double)end / 1e6,
		  (double)u->belief_start / 1e6);
}

static void belief_open(struct sim_world *w, int unit)
{
	struct sim_unit *u = &w->u[unit];

	u->believing = true;
	u->belief_start = w->now;
	w->st.acquisitions++;
	if (crd_lease_force_get(&u->l).state == CRD_FORCE_DONE &&
	    crd_lease_force_get(&u->l).term == crd_lease_term(&u->l))
		w->st.forced++;
	sim_trace(w, "mu%d BELIEVES master: term %llu valid until %.3f ms", unit + 1,
		  (unsigned long long)crd_lease_term(&u->l),
		  (double)crd_lease_valid_until(&u->l) / 1e6);
	for (int v = 0; v < w->o.nunits; v++) {
		struct sim_unit *o = &w->u[v];
		if (v == unit || !o->alive || !crd_lease_held(&o->l, w->now))
			continue;
		sim_fail(w,
			 "invariant 1: mu%d believes it is master from %.3f ms (term %llu) while "
			 "mu%d believes since %.3f ms (term %llu, valid until %.3f ms%s)",
			 unit + 1, (double)w->now / 1e6, (unsigned long long)crd_lease_term(&u->l),
			 v + 1, (double)o->belief_start / 1e6,
			 (unsigned long long)crd_lease_term(&o->l),
			 (double)crd_lease_valid_until(&o->l) / 1e6,
			 w->now < o->pause_until ? ", paused" : "");
	}
	sim_push(w, w->now + sim_range(w, 0, SIM_MS(50)), SIM_EV_INCR, unit, 0, ++u->incr_gen);
}

/* After every call into the engine: belief transitions and the next tick. */
static void unit_after(struct sim_world *w, int unit)
{
	struct sim_unit *u = &w->u[unit];
	bool held = crd_lease_held(&u->l, w->now);
	uint64_t next = crd_lease_next_ns(&u->l);

	if (u->believing && (!held || (!u->cfg.mut.no_r1 && u->belief_until <= w->now)))
		belief_close(w, unit, u->belief_until < w->now ? u->belief_until : w->now);
	if (!u->believing && held)
		belief_open(w, unit);
	u->belief_until = u->cfg.mut.no_r1 ? SIM_NEVER : crd_lease_valid_until(&u->l);
	if (next != u->tick_at) {
		u->tick_at = next;
		if (next != SIM_NEVER)
			sim_push(w, next, SIM_EV_TICK, unit, 0, ++u->tick_gen);
	}
	if (u->l.state == CRD_LEASE_STOPPED) { /* a clean shutdown has finished: exit */
		u->alive = false;
		u->inc++;
		sim_io_forget(w, unit);
		sim_push(w, w->now + sim_range(w, SIM_MS(100), SIM_MS(2000)), SIM_EV_RESTART,
			 unit, 0, 0);
	}
}

static void unit_boot(struct sim_world *w, int unit)
{
	struct sim_unit *u = &w->u[unit];

	u->alive = true;
	u->cfg.incarnation = sim_rand(w) | 1;
	u->cfg.seed = sim_rand(w);
	crd_lease_init(&u->l, &u->cfg, w->now);
	u->believing = false;
	u->tick_at = SIM_NEVER;
	memset(&u->incr, 0, sizeof(u->incr));
	sim_trace(w, "mu%d starts, incarnation %llx", unit + 1,
		  (unsigned long long)u->cfg.incarnation);
	unit_after(w, unit);
}

void sim_units_start(struct sim_world *w)
{
	for (int i = 0; i < w->o.nunits; i++) {
		struct sim_unit *u = &w->u[i];
		u->cfg.unit_id = (uint32_t)i + 1;
		u->cfg.timing = w->timing;
		u->cfg.ndisks = w->o.ndisks;
		u->cfg.max_lease_ms = w->timing.lease_ms;
		u->cfg.mut = w->o.mut;
		unit_boot(w, i);
	}
}

/* ---- invariant 2: the region-0 devcount client ---- */

static bool r0_newer(const struct sim_r0copy *a, const struct sim_r0copy *b)
{
	return a->term > b->term || (a->term == b->term && a->gen > b->gen);
}

static void incr_next(struct sim_world *w, int unit)
{
	struct sim_unit *u = &w->u[unit];

	u->incr.phase = 0;
	sim_push(w, w->now + sim_range(w, SIM_MS(20), SIM_MS(300)), SIM_EV_INCR, unit, 0,
		 ++u->incr_gen);
}

static void incr_start(struct sim_world *w, int unit)
{
	struct sim_unit *u = &w->u[unit];

	if (u->incr.phase || !crd_lease_held(&u->l, w->now))
		return;
	memset(&u->incr, 0, sizeof(u->incr));
	u->incr.phase = 1;
	u->incr.pending = w->o.ndisks;
	u->incr.read_issue = SIM_NEVER;
	for (int d = 0; d < w->o.ndisks; d++)
		sim_io_submit(w, unit, d, SIM_OP_R0_READ, NULL, 0, NULL, 0);
}

/* second = false: the first copy of each disk, the one that does not hold that disk's
 * highest valid (term, generation), so that a torn write never destroys the newest
 * copy; then the other one. */
static void incr_write(struct sim_world *w, int unit, bool second)
{
	struct sim_unit *u = &w->u[unit];

	u->incr.phase = second ? 3 : 2;
	u->incr.pending = w->o.ndisks;
	for (int d = 0; d < w->o.ndisks; d++)
		sim_io_submit(w, unit, d, SIM_OP_R0_WRITE, NULL, u->incr.first[d] ^ second,
			      &u->incr.val, u->cfg.mut.no_r1 ? 0 : crd_lease_valid_until(&u->l));
}

/* The oracle on a read: the highest copy holds every count acknowledged before it. */
static void incr_check_read(struct sim_world *w, int unit)
{
	struct sim_incr *in = &w->u[unit].incr;
	uint64_t found = in->have_best ? in->best.count : 0, need = 0;
	int lo = 0, hi = w->nacks;

	while (lo < hi) { /* acks are in time order: the last one before read_issue */
		int mid = (lo + hi) / 2;
		if (w->acks[mid].t < in->read_issue)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0)
		need = w->acks[lo - 1].prefix_max;
	if (found < need)
		sim_fail(w,
			 "invariant 2: mu%d read region 0 (issued %.3f ms) and found count %llu "
			 "(term %llu gen %llu), but count %llu was acknowledged before",
			 unit + 1, (double)in->read_issue / 1e6, (unsigned long long)found,
			 (unsigned long long)in->best.term, (unsigned long long)in->best.gen,
			 (unsigned long long)need);
}

static void incr_ack(struct sim_world *w, int unit)
{
	struct sim_incr *in = &w->u[unit].incr;
	uint64_t prev = w->nacks ? w->acks[w->nacks - 1].prefix_max : 0;

	for (int i = 0; i < w->nacks; i++)
		if (w->acks[i].count == in->val.count) {
			sim_fail(w,
				 "invariant 2: count %llu acknowledged twice (a lost update): by "
				 "mu%d now, and before at %.3f ms",
				 (unsigned long long)in->val.count, unit + 1,
				 (double)w->acks[i].t / 1e6);
			return;
		}
	if (w->nacks >= SIM_ACKS_MAX)
		return;
	w->acks[w->nacks].t = w->now;
	w->acks[w->nacks].count = in->val.count;
	w->acks[w->nacks].prefix_max = in->val.count > prev ? in->val.count : prev;
	w->nacks++;
	w->st.acks++;
	sim_trace(w, "mu%d ACK count %llu (term %llu gen %llu)", unit + 1,
		  (unsigned long long)in->val.count, (unsigned long long)in->val.term,
		  (unsigned long long)in->val.gen);
}

static void incr_done(struct sim_world *w, int unit, const struct sim_io *io)
{
	struct sim_unit *u = &w->u[unit];
	struct sim_incr *in = &u->incr;

	if (!in->phase)
		return;
	if (io->result != 0)
		in->failed = true;
	if (io->op == SIM_OP_R0_READ && io->result == 0) {
		const struct sim_r0copy *a = &io->r0[0], *b = &io->r0[1];
		/* the copy to overwrite first: an invalid one, else the older one */
		in->first[io->disk] = w->o.r0_ab ? 0 : !a->valid ? 0 : !b->valid ? 1
						   : r0_newer(a, b)	   ? 1
									   : 0;
		if (io->issue < in->read_issue)
			in->read_issue = io->issue;
		for (int c = 0; c < 2; c++)
			if (io->r0[c].valid && (!in->have_best || r0_newer(&io->r0[c], &in->best))) {
				in->best = io->r0[c];
				in->have_best = true;
			}
	}
	if (--in->pending > 0)
		return;
	if (in->failed) { /* N = 2: a read or a commit needs both disks here (no resync) */
		incr_next(w, unit);
		return;
	}
	switch (in->phase) {
	case 1:
		incr_check_read(w, unit);
		if (!crd_lease_held(&u->l, w->now)) {
			incr_next(w, unit);
			return;
		}
		in->val.valid = true;
		in->val.owner = u->cfg.unit_id;
		in->val.term = crd_lease_term(&u->l);
		in->val.gen = (in->have_best ? in->best.gen : 0) + 1;
		in->val.count = (in->have_best ? in->best.count : 0) + 1;
		incr_write(w, unit, false);
		return;
	case 2:
		incr_write(w, unit, true);
		return;
	default:
		incr_ack(w, unit);
		incr_next(w, unit);
		return;
	}
}

void sim_unit_done(struct sim_world *w, int idx)
{
	const struct sim_io *io = &w->io[idx];
	struct sim_unit *u = &w->u[io->unit];
	struct crd_lease_io out[CRD_LEASE_IO_MAX];
	struct crd_lease_done d;
	int n;

	if (io->op >= SIM_OP_SLOT_WRITE) {
		sim_su_done(w, idx);
		return;
	}
	if (io->op != SIM_OP_LEASE) {
		incr_done(w, io->unit, io);
		return;
	}
	memset(&d, 0, sizeof(d));
	d.seq = io->req.seq;
	d.disk = io->disk;
	d.kind = io->req.kind;
	d.result = io->result;
	d.issue_ns = io->issue;
	d.complete_ns = io->complete;
	if (io->result == 0 && io->req.kind == CRD_IO_LEASE_READ) {
		d.decode = io->lease_state == 0 ? -ENODATA : io->lease_state == 2 ? -EILSEQ : 0;
		if (io->lease_state == 1)
			d.rec = io->lease;
		d.raw_crc = io->raw;
	}
	if (io->result == 0 && io->req.kind == CRD_IO_R0_TERM_READ)
		d.r0_term = io->r0_term;
	n = crd_lease_complete(&u->l, &d, w->now, out, CRD_LEASE_IO_MAX);
	unit_submit(w, io->unit, out, n);
	unit_after(w, io->unit);
}

/* ---- schedule events of a unit ---- */

void sim_unit_event(struct sim_world *w, const struct sim_ev *e)
{
	struct sim_unit *u = &w->u[e->unit];
	struct crd_lease_io out[CRD_LEASE_IO_MAX];
	int n;

	switch (e->type) {
	case SIM_EV_TICK:
		if (!u->alive || e->gen != u->tick_gen)
			return;
		if (w->now < u->pause_until) {
			sim_push(w, u->pause_until, e->type, e->unit, e->arg, e->gen);
			return;
		}
		n = crd_lease_tick(&u->l, w->now, out, CRD_LEASE_IO_MAX);
		u->tick_at = SIM_NEVER; /* this tick is used up */
		unit_submit(w, e->unit, out, n);
		unit_after(w, e->unit);
		return;
	case SIM_EV_INCR:
		if (!u->alive || e->gen != u->incr_gen)
			return;
		if (w->now < u->pause_until) {
			sim_push(w, u->pause_until, e->type, e->unit, e->arg, e->gen);
			return;
		}
		unit_after(w, e->unit); /* notices an expiry first */
		incr_start(w, e->unit);
		return;
	case SIM_EV_PAUSE:
		if (!u->alive)
			return;
		if (w->now + e->arg * 1000ull > u->pause_until) /* arg in us; pauses may overlap */
			if (w->now + e->arg * 1000ull > u->pause_until) /* pauses may overlap */
			u->pause_until = w->now + e->arg * 1000ull;
		sim_trace(w, "mu%d SIGSTOP for %.3f ms", e->unit + 1, e->arg / 1e3);
		sim_io_pause(w, e->unit, u->pause_until);
		return;
	case SIM_EV_KILL:
		if (!u->alive)
			return;
		sim_trace(w, "mu%d killed", e->unit + 1);
		belief_close(w, e->unit, w->now);
		u->alive = false;
		u->inc++;
		u->pause_until = 0;
		sim_io_forget(w, e->unit);
		sim_push(w, w->now + sim_range(w, SIM_MS(100), SIM_MS(3000)), SIM_EV_RESTART,
			 e->unit, 0, 0);
		return;
	case SIM_EV_RESTART:
		if (!u->alive)
			unit_boot(w, e->unit);
		return;
	case SIM_EV_RELEASE:
		if (!u->alive)
			return;
		if (w->now < u->pause_until) {
			sim_push(w, u->pause_until, e->type, e->unit, e->arg, e->gen);
			return;
		}
		sim_trace(w, "mu%d clean shutdown", e->unit + 1);
		n = crd_lease_release(&u->l, w->now, out, CRD_LEASE_IO_MAX);
		unit_submit(w, e->unit, out, n);
		unit_after(w, e->unit);
		return;
	default:
		return;
	}
}

/* ---- force-master (crd.md §5) ---- */

/* The operator: at first (gen 0) the MUs that do not reach disk arg (the other site) are
 * stopped, and one live MU that does is picked; then (gen 1) it is asked for a forced
 * claim, and asked again every 300 ms while the answer is a refusal, until it is master
 * or 20 requests were made. A paused MU answers when it resumes. */
void sim_force_event(struct sim_world *w, const struct sim_ev *e)
{
	int cand[SIM_UNITS_MAX], n = 0, r;
	struct sim_unit *u;

	if (e->gen == 0) {
		for (int k = 0; k < w->o.nunits; k++) {
			if (!w->u[k].alive)
				continue;
			if (w->u[k].f[e->arg].unreachable)
				sim_push(w, w->now, SIM_EV_KILL, k, 0, 0);
			else
				cand[n++] = k;
		}
		if (!n)
			return;
		w->force_unit = cand[(w->seed >> 7) % (uint64_t)n];
		sim_trace(w, "operator: force-master on mu%d (the MUs without disk %u stopped)",
			  w->force_unit + 1, e->arg);
		sim_push(w, w->now, SIM_EV_FORCE, 0, e->arg, 1);
		return;
	}
	u = &w->u[w->force_unit];
	if (!u->alive || w->force_tries >= 20)
		return;
	if (w->now < u->pause_until) {
		sim_push(w, u->pause_until, SIM_EV_FORCE, 0, e->arg, 1);
		return;
	}
	struct crd_lease_force f = crd_lease_force_get(&u->l);
	if (f.state == CRD_FORCE_DONE || crd_lease_held(&u->l, w->now))
		return;
	if (f.state != CRD_FORCE_PENDING && f.state != CRD_FORCE_CLAIMING) {
		r = crd_lease_force(&u->l, w->now);
		w->force_tries++;
		sim_trace(w, "mu%d force-master request %d: %s", w->force_unit + 1, w->force_tries,
			  r == 0 ? "pending" : r == -EALREADY ? "master already" : "busy");
		if (r == -EALREADY)
			return;
	}
	sim_push(w, w->now + SIM_MS(300), SIM_EV_FORCE, 0, e->arg, 1);
}
