/* sim_sched.c — draws one schedule from its seed and runs it; see sim.h.
 *
 * A schedule: 2 or 3 MUs (test profile, sometimes lab), N = 1 or 2 disks, for N = 2
 * sometimes the two-site split (from a random moment on, each MU reaches one disk only),
 * and in half of those the operator's force-master: the MUs of one site are stopped, one
 * MU of the other site is asked to claim (again every 300 ms until it is master), and the
 * split may end later (the disks rejoin).
 * Per (unit, disk) fault rates and outage windows; per unit pauses (SIGSTOP) swept across
 * [lease, lease + claim + 2 x renew] and shorter ones, kills with restarts, clean
 * shutdowns. For N = 2, one (unit, disk) pair may serve stale region-0 reads. */
#include "sim.h"

#include "crd/timing.h"

#include <string.h>

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static void draw_opts(struct sim_world *w, const struct sim_opts *force)
{
	struct sim_opts *o = &w->o;

	o->mut = force ? force->mut : (struct crd_lease_mutations){0};
	o->r0_ab = force && force->r0_ab;
	o->r0_tear_late = force && force->r0_tear_late;
	o->late_release = force && force->late_release;
	o->su_no_guard = force && force->su_no_guard;
	o->su_no_reconcile = force && force->su_no_reconcile;
	o->su_late_write = force && force->su_late_write;
	o->su_mode = force && force->su_mode >= 0 ? force->su_mode : sim_chance(w, 200);
	o->nunits = o->su_mode                     ? 2
		    : force && force->nunits ? force->nunits
		    : sim_chance(w, 800)     ? 3
					     : 2;
	o->ndisks = force && force->ndisks ? force->ndisks : sim_chance(w, 500) ? 2 : 1;
	o->profile = force && force->profile >= 0 ? force->profile
			: sim_chance(w, 150)       ? CRD_PROFILE_LAB
						   : CRD_PROFILE_TEST;
	w->timing = crd_timing_profile((enum crd_profile)o->profile);
	o->duration = sim_range(w, SIM_MS(4000), SIM_MS(10000));
	if (o->su_mode)
		o->duration = sim_range(w, SIM_MS(8000), SIM_MS(20000));
	if (o->profile == CRD_PROFILE_LAB)
		o->duration = o->duration * 17 / 10;
	if (force && force->split >= 0)
		o->split = force->split;
	else
		o->split = o->ndisks == 2 && sim_chance(w, 300);
	if (o->ndisks != 2)
		o->split = 0;
	o->split_at = sim_range(w, 0, o->duration / 2);
}

/* force-master draws from its own stream of the seed, so that every schedule without it is
 * exactly what it was before force-master was modelled (the default run's seeds keep their
 * schedules). */
static void draw_force(struct sim_world *w, const struct sim_opts *force)
{
	struct sim_opts *o = &w->o;
	uint64_t r = mix(w->seed ^ 0x666f7263652d6d73ull);

	o->force = o->split && ((force && force->force) || (r & 1));
	r = mix(r);
	o->force_at = o->split_at + SIM_MS(100) + r % (o->duration / 3);
	r = mix(r);
	o->heal_at = o->force_at + SIM_MS(500) + r % SIM_MS(4500);
	o->force_disk = (uint32_t)(mix(r) & 1);
}

static void draw_faults(struct sim_world *w)
{
	const struct sim_opts *o = &w->o;

	w->stale_on = o->ndisks == 2 && sim_chance(w, 300);
	w->r0_tear = sim_chance(w, 500);
	w->stale_unit = (int)sim_range(w, 0, (uint64_t)o->nunits - 1);
	w->stale_disk = (int)sim_range(w, 0, 1);
	for (int u = 0; u < o->nunits; u++) {
		for (int d = 0; d < o->ndisks; d++) {
			struct sim_faults *f = &w->u[u].f[d];
			unsigned r = (unsigned)sim_range(w, 0, 3);

			f->p[SIM_F_FAIL] = (uint16_t)sim_range(w, 0, 10 * r);
			f->p[SIM_F_HANG] = (uint16_t)sim_range(w, 0, 3 * r);
			f->p[SIM_F_TEAR] = (uint16_t)sim_range(w, 0, 3 * r);
			f->p[SIM_F_LATE] = (uint16_t)sim_range(w, 0, 8 * r);
			f->p[SIM_F_SLOW] = (uint16_t)sim_range(w, 0, 40 * r);
			f->p[SIM_F_STALE] = (uint16_t)sim_range(w, 0, 300);
			if (o->r0_tear_late) { /* the double-fault demonstration: more of both */
				f->p[SIM_F_TEAR] += 20;
				f->p[SIM_F_LATE] += 40;
			}
			if (o->late_release || o->su_late_write)
				f->p[SIM_F_LATE] += 100;
			if (sim_chance(w, 250)) {
				f->out_from = sim_range(w, 0, o->duration);
				f->out_to = f->out_from + sim_range(w, SIM_MS(100), SIM_MS(3000));
			}
		}
	}
}

static void draw_unit_events(struct sim_world *w)
{
	const struct crd_timing *t = &w->timing;
	const uint64_t lo = SIM_MS(t->lease_ms),
		       hi = SIM_MS(t->lease_ms + t->claim_ms + 2ull * t->renew_ms);

	for (int u = 0; u < w->o.nunits; u++) {
		int npause = (int)sim_range(w, 0, 2);
		for (int i = 0; i < npause; i++) {
			uint64_t len = sim_chance(w, 700) ? sim_range(w, lo, hi)
							  : sim_range(w, SIM_MS(1), lo);
			sim_push(w, sim_range(w, 0, w->o.duration), SIM_EV_PAUSE, u,
				 (uint32_t)(len / 1000), 0);
		}
		if (sim_chance(w, 200))
			sim_push(w, sim_range(w, 0, w->o.duration), SIM_EV_KILL, u, 0, 0);
		if (sim_chance(w, w->o.late_release ? 700 : 150))
			sim_push(w, sim_range(w, 0, w->o.duration), SIM_EV_RELEASE, u, 0, 0);
	}
	if (w->o.split)
		sim_push(w, w->o.split_at, SIM_EV_SPLIT, 0, (uint32_t)sim_range(w, 0, 1), 0);
	if (w->o.force) { /* arg: the disk the forcing site reaches */
		sim_push(w, w->o.force_at, SIM_EV_FORCE, 0, w->o.force_disk, 0);
		sim_push(w, w->o.heal_at, SIM_EV_HEAL, 0, 0, 0);
	}
}

/* SU schedules: secd pauses swept across [fence, dead_bound + 2 s] and shorter, kills. */
static void draw_su_events(struct sim_world *w)
{
	const struct crd_timing *t = &w->timing;
	const uint64_t lo = SIM_MS(t->fence_ms), hi = SIM_MS(crd_dead_bound_ms(t) + 2000);

	for (int u = 0; u < 2; u++) {
		int npause = (int)sim_range(w, 0, 2);
		for (int i = 0; i < npause; i++) {
			uint64_t len = sim_chance(w, 600) ? sim_range(w, lo, hi)
							  : sim_range(w, SIM_MS(1), lo);
			sim_push(w, sim_range(w, 0, w->o.duration), SIM_EV_PAUSE, u,
				 (uint32_t)(len / 1000), 0);
		}
		if (sim_chance(w, 300))
			sim_push(w, sim_range(w, 0, w->o.duration), SIM_EV_KILL, u, 0, 0);
	}
	if (w->o.split)
		sim_push(w, w->o.split_at, SIM_EV_SPLIT, 0, (uint32_t)sim_range(w, 0, 1), 0);
}

static void split_now(struct sim_world *w, uint32_t off)
{
	sim_trace(w, "two-site split: each MU reaches one disk only");
	for (int u = 0; u < w->o.nunits; u++)
		w->u[u].f[((uint32_t)u + off + 1) % 2].unreachable = true;
}

static void heal_now(struct sim_world *w)
{
	sim_trace(w, "the split ends: every MU reaches both disks");
	for (int u = 0; u < w->o.nunits; u++)
		w->u[u].f[0].unreachable = w->u[u].f[1].unreachable = false;
	/* the operator forces only during the split: a request still pending is withdrawn */
	if (w->force_unit >= 0) {
		crd_lease_force_cancel(&w->u[w->force_unit].l);
		w->force_tries = 1000;
	}
}

int sim_run(struct sim_world *w, uint64_t seed, const struct sim_opts *force, bool trace)
{
	struct sim_ev e;

	w->seed = seed;
	w->rng = mix(seed);
	w->now = 0;
	w->seq = 0;
	w->nheap = 0;
	w->nio_free = 0;
	w->io_hwm = 0;
	w->nacks = 0;
	w->force_unit = -1;
	w->force_tries = 0;
	w->failed = false;
	w->why[0] = 0;
	w->trace = trace;
	w->ntr = 0;
	memset(&w->st, 0, sizeof(w->st));
	memset(w->disk, 0, sizeof(w->disk));
	memset(w->u, 0, sizeof(w->u));
	draw_opts(w, force);
	draw_faults(w);
	draw_force(w, force);
	if (w->o.su_mode)
		draw_su_events(w);
	else
		draw_unit_events(w);
	sim_trace(w, "schedule %llu: %d %s, N = %d, profile %s%s, %.1f s", (unsigned long long)seed,
		  w->o.nunits, w->o.su_mode ? "SUs" : "MUs", w->o.ndisks, crd_profile_to_string((enum crd_profile)w->o.profile),
		  w->o.split ? (w->o.force ? ", two-site split, force-master" : ", two-site split")
			     : "",
		  (double)w->o.duration / 1e9);
	if (w->o.su_mode)
		sim_sus_start(w);
	else
		sim_units_start(w);
	while (!w->failed && sim_pop(w, &e)) {
		if (e.t > w->o.duration)
			break;
		w->now = e.t;
		w->st.events++;
		switch (e.type) {
		case SIM_EV_SERVE:
		case SIM_EV_RETURN:
		case SIM_EV_TIMEOUT:
		case SIM_EV_DELIVER:
		case SIM_EV_DISPATCH:
			sim_io_event(w, &e);
			break;
		case SIM_EV_SPLIT:
			split_now(w, e.arg);
			break;
		case SIM_EV_HEAL:
			heal_now(w);
			break;
		case SIM_EV_FORCE:
			sim_force_event(w, &e);
			break;
		default:
			if (w->o.su_mode)
				sim_su_event(w, &e);
			else
				sim_unit_event(w, &e);
			break;
		}
	}
	if (w->o.su_mode && !w->failed)
		sim_sus_finish(w);
	return w->failed ? -1 : 0;
}
