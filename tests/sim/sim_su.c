/* sim_su.c — the VM-ownership schedules of the simulator (crd.md §4, §6; invariants 3
 * and 4). Two SUs (unit ids 1, 2), one VM defined on SU 1 whose guest runs there. Each
 * SU renews its slot every renew_interval (src/crd/alive.h: next slot, not_after of
 * layer 3, self-fence), tells its guard the issue time of each successful renewal (the
 * guard kills the guest at last + fence_timeout, and an unreapable guest dies with the
 * host up to W later), observes its partner's slot (crd_alive_obs), RECOVERs the
 * partner's definition once the partner is DEAD (src/crd/owner.h; the region write is
 * issued only while the verdict is younger than io_timeout), and, when it comes back
 * (restart or self-fence), renews first, reads the partner's region with reads issued
 * 3 x io_timeout after that renewal, reconciles, and only then serves. An operator starts
 * the guest wherever a serving SU holds a usable definition.
 *
 * Checked: (3) a definition is never usable on two SUs at once (usable = the SU serves,
 * its last renewal is younger than fence_timeout and its committed region holds the VM
 * not CONFLICT) and never lost (at the end some region on disk holds it); (4) the guest
 * never runs on two SUs at once (run interval = [start, guard kill (+ up to W)]).
 *
 * Simplifications: a restarting SU takes its own region from the disks without I/O; the
 * stale-read fault is not applied to SU regions; regions are committed on every disk. */
#include "sim.h"

#include "crd/timing.h"

#include <errno.h>
#include <string.h>

enum {
	PH_IDLE = 0,
	PH_BACK_RENEW, /* came back: waiting for the first renewal */
	PH_BACK_WAIT,  /* waiting 3 x io_timeout */
	PH_BACK_READ,  /* reading the partner's region */
	PH_BACK_WRITE, /* writing the reconciled own region */
	PH_REC_READ,   /* RECOVER: reading the partner's region */
	PH_REC_WRITE,  /* RECOVER: writing the own region with the recovered definition */
};

static const crd_uuid vm_uuid = {{0x5e, 0xc1, 0x05, 0x7e, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}};

static int partner(int s)
{
	return s ^ 1;
}

static uint64_t ms(uint32_t v)
{
	return SIM_MS(v);
}

static bool su_holds(const struct sim_world *w, int ver)
{
	const struct crd_vmdef *d = crd_owner_find(&w->vers[ver], &vm_uuid);
	return d && !(d->flags & CRD_VMDEF_CONFLICT);
}

/* Invariant 3's "usable on s at now". */
static bool su_usable(const struct sim_world *w, int s)
{
	const struct sim_su *su = &w->su[s];
	uint64_t last;

	if (!w->u[s].alive || !su->serving || !crd_renewals_last(&su->ren, &last))
		return false;
	return w->now < last + ms(w->timing.fence_ms) && su_holds(w, su->own_ver);
}

static bool guest_running(const struct sim_world *w, int s)
{
	return w->su[s].guest || w->su[s].guest_stop > w->now;
}

static void guest_start(struct sim_world *w, int s)
{
	struct sim_su *su = &w->su[s];

	if (su->guest || !su_usable(w, s))
		return;
	if (guest_running(w, partner(s)))
		sim_fail(w, "invariant 4: the guest starts on su%d while it runs on su%d (since %.3f ms%s)",
			 s + 1, partner(s) + 1, (double)w->su[partner(s)].guest_start / 1e6,
			 w->su[partner(s)].guest ? "" : ", until its host reset");
	su->guest = true;
	su->guest_start = w->now;
	su->guest_stop = 0;
	sim_trace(w, "su%d guest STARTS", s + 1);
}

static void guard_note(struct sim_world *w, int s);

static int ver_new(struct sim_world *w)
{
	if (w->nvers >= SIM_VERS_MAX)
		return -1;
	return w->nvers++;
}

/* The highest valid copy of unit r's region on the disks (no I/O: a restart's read). */
static bool disk_best(const struct sim_world *w, int r, struct sim_regcopy *ret)
{
	bool have = false;

	for (int d = 0; d < w->o.ndisks; d++)
		for (int c = 0; c < 2; c++) {
			const struct sim_regcopy *x = &w->disk[d].reg[r][c];
			if (x->valid && (!have || x->gen > ret->gen)) {
				*ret = *x;
				have = true;
			}
		}
	return have;
}

static void su_boot(struct sim_world *w, int s, bool first)
{
	struct sim_su *su = &w->su[s];
	struct sim_regcopy best;

	memset(&su->self, 0, sizeof(su->self));
	su->self.unit_id = (uint32_t)s + 1;
	su->self.role = CRD_UNIT_SU;
	su->self.identity.b[0] = (uint8_t)(s + 1);
	su->self.incarnation = sim_rand(w) | 1;
	su->self.fencing = CRD_FENCING_SELF;
	su->self.timing = w->timing;
	su->counter = 0;
	crd_renewals_init(&su->ren, (uint32_t)w->o.ndisks);
	su->renewed = false;
	crd_alive_obs_init(&su->obs, (uint32_t)partner(s) + 1, (uint32_t)w->o.ndisks,
			   crd_dead_bound_ms(&w->timing));
	su->phase = first ? PH_IDLE : PH_BACK_RENEW;
	su->serving = first;
	if (!first) {
		if (disk_best(w, s, &best)) {
			su->own_ver = best.ver;
			su->own_gen = best.gen;
		}
		/* what the last life wrote after own_gen is unknown: treat own_gen + 1 as
		 * failed, so the first write goes to the other copy */
		su->write_failed = true;
		su->failed_gen = su->own_gen + 1;
	}
	w->u[s].alive = true;
	sim_trace(w, "su%d starts%s", s + 1, first ? "" : " (coming back)");
	sim_push(w, w->now, SIM_EV_SU_RENEW, s, 0, w->u[s].inc);
}

void sim_sus_start(struct sim_world *w)
{
	struct crd_vmdef def;

	memset(&def, 0, sizeof(def));
	def.vm_uuid = vm_uuid;
	strcpy(def.name, "vm1");
	def.epoch = 1;
	def.owner = 1;
	w->nvers = 2;
	crd_owner_init(&w->vers[0], 1);
	crd_owner_add(&w->vers[0], &def);
	crd_owner_init(&w->vers[1], 2);
	for (int s = 0; s < 2; s++) {
		memset(&w->su[s], 0, sizeof(w->su[s]));
		w->su[s].own_ver = s;
		w->su[s].own_gen = 1;
		for (int d = 0; d < w->o.ndisks; d++)
			w->disk[d].reg[s][1] = (struct sim_regcopy){true, 1, s};
		su_boot(w, s, true);
		/* both SUs serve since before the schedule: a renewal issued at 1 ns on every
		 * disk (alive.h: a unit that has not renewed yet runs no guests) */
		for (int d = 0; d < w->o.ndisks; d++)
			crd_renewals_note(&w->su[s].ren, (uint32_t)d, 1);
		w->su[s].renewed = true;
		guard_note(w, s);
	}
	w->su[0].guest = true; /* started before the schedule */
	w->su[0].guest_start = 0;
}

void sim_su_kill(struct sim_world *w, int s)
{
	if (!w->u[s].alive)
		return;
	sim_trace(w, "su%d secd killed (guard and guest stay)", s + 1);
	w->u[s].alive = false;
	w->u[s].inc++;
	w->u[s].pause_until = 0;
	w->su[s].serving = false;
	sim_io_forget(w, s);
	sim_push(w, w->now + sim_range(w, SIM_MS(100), SIM_MS(4000)), SIM_EV_RESTART, s, 0, 0);
}

void sim_su_restart(struct sim_world *w, int s)
{
	if (!w->u[s].alive)
		su_boot(w, s, false);
}

static void su_read_partner(struct sim_world *w, int s, int phase)
{
	struct sim_su *su = &w->su[s];

	su->phase = phase;
	su->pending = w->o.ndisks;
	su->failed = false;
	su->have_best = false;
	for (int d = 0; d < w->o.ndisks; d++) {
		int i = sim_io_submit(w, s, d, SIM_OP_REG_READ, NULL, 0, NULL, 0);
		if (i >= 0)
			w->io[i].target = partner(s);
	}
}

static void su_write_own(struct sim_world *w, int s, int phase, int ver, uint64_t not_after)
{
	struct sim_su *su = &w->su[s];
	/* generation g goes to copy g mod 2; after a failed write of generation f, the
	 * next one is f + 2: the copy of the last committed generation is never touched */
	uint64_t gen = su->write_failed ? su->failed_gen + 2 : su->own_gen + 1;

	su->phase = phase;
	su->pending = w->o.ndisks;
	su->failed = false;
	su->new_ver = ver;
	su->new_gen = gen;
	for (int d = 0; d < w->o.ndisks; d++) {
		int i = sim_io_submit(w, s, d, SIM_OP_REG_WRITE, NULL, (int)(gen % 2), NULL,
				      not_after);
		if (i >= 0)
			w->io[i].reg[0] = (struct sim_regcopy){true, gen, ver};
	}
}

static void su_tick(struct sim_world *w, int s)
{
	struct sim_su *su = &w->su[s];
	const struct crd_timing *t = &w->timing;
	struct crd_alive_verdict v;
	struct crd_slot slot;
	uint64_t na;

	if (su->renewed && crd_alive_fenced(&su->ren, t->fence_ms, w->now)) {
		sim_trace(w, "su%d self-fenced: exits", s + 1);
		sim_su_kill(w, s);
		return;
	}
	crd_alive_next_slot(&su->self, &su->counter, CRD_SLOT_RUNNING, 0, &slot);
	na = crd_alive_not_after_ns(&su->ren, t->fence_ms);
	for (int d = 0; d < w->o.ndisks; d++) {
		int i = sim_io_submit(w, s, d, SIM_OP_SLOT_WRITE, NULL, 0, NULL,
				      na == UINT64_MAX ? 0 : na);
		if (i >= 0)
			w->io[i].slot = slot;
		i = sim_io_submit(w, s, d, SIM_OP_SLOT_READ, NULL, 0, NULL, 0);
		if (i >= 0)
			w->io[i].target = partner(s);
	}
	if (su->phase == PH_BACK_WAIT && w->now >= su->back_at)
		su_read_partner(w, s, PH_BACK_READ);
	v = crd_alive_obs_verdict(&su->obs);
	if (su->phase == PH_IDLE && su->serving && v.verdict == CRD_ALIVE_DEAD &&
	    crd_alive_verdict_fresh(&v, w->now, t->io_ms) &&
	    !crd_owner_find(&w->vers[su->own_ver], &vm_uuid)) {
		su->verdict = v;
		su_read_partner(w, s, PH_REC_READ);
	}
	sim_push(w, w->now + ms(t->renew_ms), SIM_EV_SU_RENEW, s, 0, w->u[s].inc);
}

static void guard_note(struct sim_world *w, int s)
{
	struct sim_su *su = &w->su[s];
	uint64_t last;

	if (!crd_renewals_last(&su->ren, &last) || last <= su->guard_last)
		return;
	su->guard_last = last;
	sim_push(w, last + ms(w->timing.fence_ms), SIM_EV_GUARD, s, 0, 0);
}

/* RECOVER and reconcile on the partner's region as read. */
static void su_region_read_done(struct sim_world *w, int s)
{
	struct sim_su *su = &w->su[s];
	static struct crd_owner_region empty;
	const struct crd_owner_region *p;
	int ver;

	crd_owner_init(&empty, (uint32_t)partner(s) + 1);
	p = su->have_best ? &w->vers[su->best.ver] : &empty;
	ver = ver_new(w);
	if (ver < 0) { /* out of versions: the schedule ends quietly */
		su->phase = PH_IDLE;
		return;
	}
	if (su->phase == PH_BACK_READ) {
		if (crd_owner_reconcile(&w->vers[su->own_ver], p, &w->vers[ver], NULL) < 0) {
			su->phase = PH_BACK_WAIT;
			return;
		}
		su_write_own(w, s, PH_BACK_WRITE, ver, 0);
		return;
	}
	/* PH_REC_READ */
	{
		struct crd_recover_req req = {
			.name = "vm1",
			.source = p,
			.target = &w->vers[su->own_ver],
			.source_verdict = su->verdict,
			.operator_confirmed = false,
			.target_limit = 8,
		};
		struct crd_vmdef def;
		const char *msgid = NULL;

		if (crd_owner_recover_check(&req, &def, &msgid, NULL) < 0) {
			su->phase = PH_IDLE;
			return;
		}
		w->vers[ver] = w->vers[su->own_ver];
		if (crd_owner_add(&w->vers[ver], &def) < 0) {
			su->phase = PH_IDLE;
			return;
		}
		sim_trace(w, "su%d RECOVER vm1 epoch %llu from su%d (verdict evidence %.3f ms)",
			  s + 1, (unsigned long long)def.epoch, partner(s) + 1,
			  (double)su->verdict.evidence_ns / 1e6);
		su_write_own(w, s, PH_REC_WRITE, ver,
			     su->verdict.evidence_ns + ms(w->timing.io_ms));
	}
}

static void su_region_write_done(struct sim_world *w, int s)
{
	struct sim_su *su = &w->su[s];

	if (su->failed) {
		su->write_failed = true;
		su->failed_gen = su->new_gen;
		su->phase = su->phase == PH_BACK_WRITE ? PH_BACK_WAIT : PH_IDLE;
		return;
	}
	su->write_failed = false;
	su->own_ver = su->new_ver;
	su->own_gen = su->new_gen;
	if (su->phase == PH_BACK_WRITE) {
		su->serving = true;
		w->st.reconciles++;
		sim_trace(w, "su%d reconciled: serving, %s vm1", s + 1,
			  su_holds(w, su->own_ver) ? "holds" : "does not hold");
	} else {
		w->st.recovers++;
		sim_trace(w, "su%d RECOVER committed", s + 1);
	}
	su->phase = PH_IDLE;
	if (su_usable(w, s) && su_usable(w, partner(s)))
		sim_fail(w, "invariant 3: vm1 is usable on su%d and on su%d", s + 1,
			 partner(s) + 1);
	guest_start(w, s);
}

void sim_su_done(struct sim_world *w, int idx)
{
	const struct sim_io *io = &w->io[idx];
	int s = io->unit;
	struct sim_su *su = &w->su[s];

	switch (io->op) {
	case SIM_OP_SLOT_WRITE:
		if (io->result != 0)
			return;
		crd_renewals_note(&su->ren, (uint32_t)io->disk, io->issue);
		su->renewed = true;
		guard_note(w, s);
		if (su_usable(w, s) && su_usable(w, partner(s)))
			sim_fail(w, "invariant 3: vm1 is usable on su%d (renewed) and on su%d",
				 s + 1, partner(s) + 1);
		if (su->phase == PH_BACK_RENEW && w->o.su_no_reconcile) {
			su->phase = PH_IDLE; /* the check: serve at once */
			su->serving = true;
			if (su_usable(w, s) && su_usable(w, partner(s)))
				sim_fail(w, "invariant 3: vm1 is usable on su%d (serving without "
					 "reconcile) and on su%d", s + 1, partner(s) + 1);
			guest_start(w, s);
		} else if (su->phase == PH_BACK_RENEW) {
			su->phase = PH_BACK_WAIT;
			su->back_at = w->now + 3 * ms(w->timing.io_ms);
		}
		return;
	case SIM_OP_SLOT_READ: {
		struct crd_slot_read r = {
			.disk = (uint32_t)io->disk,
			.result = io->result,
			.issue_ns = io->issue,
			.complete_ns = io->complete,
		};
		if (io->result == 0) {
			r.decode = io->slot_state == 0 ? -ENODATA : io->slot_state == 2 ? -EILSEQ : 0;
			if (io->slot_state == 1)
				r.slot = io->slot;
			r.raw_crc = io->slot_state == 0 ? 0
				    : io->slot_state == 2
					? io->slot_salt | 0x80000000u
					: (uint32_t)(io->slot.incarnation * 0x9e3779b97f4a7c15ull ^
						     io->slot.counter * 0xbf58476d1ce4e5b9ull) |
						  1u;
		}
		crd_alive_obs_feed(&su->obs, &r);
		return;
	}
	case SIM_OP_REG_READ:
		if (su->phase != PH_BACK_READ && su->phase != PH_REC_READ)
			return;
		if (io->result != 0)
			su->failed = true;
		else
			for (int c = 0; c < 2; c++)
				if (io->reg[c].valid && (!su->have_best || io->reg[c].gen > su->best.gen)) {
					su->best = io->reg[c];
					su->have_best = true;
				}
		if (--su->pending > 0)
			return;
		if (su->failed) { /* both disks for N = 2 (crd.md §5 table) */
			su->phase = su->phase == PH_BACK_READ ? PH_BACK_WAIT : PH_IDLE;
			return;
		}
		su_region_read_done(w, s);
		return;
	case SIM_OP_REG_WRITE:
		if (su->phase != PH_BACK_WRITE && su->phase != PH_REC_WRITE)
			return;
		if (io->result != 0)
			su->failed = true;
		if (--su->pending > 0)
			return;
		su_region_write_done(w, s);
		return;
	default:
		return;
	}
}

void sim_su_event(struct sim_world *w, const struct sim_ev *e)
{
	int s = e->unit;
	struct sim_unit *u = &w->u[s];
	struct sim_su *su = &w->su[s];

	switch (e->type) {
	case SIM_EV_SU_RENEW:
		if (!u->alive || e->gen != u->inc)
			return;
		if (w->now < u->pause_until) {
			sim_push(w, u->pause_until, e->type, s, e->arg, e->gen);
			return;
		}
		su_tick(w, s);
		return;
	case SIM_EV_GUARD: /* the guard runs even while secd is stopped or dead */
		if (su->guest && w->now >= su->guard_last + ms(w->timing.fence_ms) &&
		    !w->o.su_no_guard) {
			w->st.fences++;
			su->guest = false;
			su->guest_stop = w->now + sim_range(w, 0, ms(w->timing.watchdog_ms));
			sim_trace(w, "su%d guard FENCES the guest (last renewal %.3f ms)", s + 1,
				  (double)su->guard_last / 1e6);
		}
		return;
	case SIM_EV_PAUSE:
		if (!u->alive)
			return;
		if (w->now + e->arg * 1000ull > u->pause_until) /* pauses may overlap */
			u->pause_until = w->now + e->arg * 1000ull;
		sim_trace(w, "su%d SIGSTOP for %.3f ms", s + 1, e->arg / 1e3);
		sim_io_pause(w, s, u->pause_until);
		return;
	case SIM_EV_KILL:
		sim_su_kill(w, s);
		return;
	case SIM_EV_RESTART:
		sim_su_restart(w, s);
		return;
	default:
		return;
	}
}

void sim_sus_finish(struct sim_world *w)
{
	struct sim_regcopy best;

	for (int s = 0; s < 2; s++)
		if (disk_best(w, s, &best) && crd_owner_find(&w->vers[best.ver], &vm_uuid))
			return;
	sim_fail(w, "invariant 3: vm1 is lost: no SU region on the disks holds it");
}
