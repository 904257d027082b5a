/* test_lease.c — the master lease engine (crd.md §5) driven by a small in-process driver
 * on a 1 ms fake time grid. The simulator (tests/sim) explores random schedules; these are
 * the named scenarios an operator would recognise. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crd/lease.h"
#include "crd/timing.h"
#include "lib/crc32c.h"

#define MS 1000000ull
#define NMU 3
#define PENDING_MAX 64

struct disk {
	bool written;
	bool damaged; /* a torn block: fails its CRC */
	struct crd_lease_rec rec;
};

struct pending {
	bool used;
	struct crd_lease_done done;
	uint64_t deliver_at;
};

struct mu {
	struct crd_lease l;
	bool paused, dead;
	bool sees[2];        /* which disks this MU can reach */
	bool hung[2];        /* its I/O on this disk never returns */
	bool hung_out[2];    /* a hung I/O is outstanding */
	struct pending p[PENDING_MAX];
	uint64_t belief_start, belief_end; /* last closed belief interval */
	bool believing;
	uint64_t cur_start;
};

struct world {
	uint64_t now;
	int ndisks;
	struct disk d[2];
	struct mu m[NMU];
	int nmu;
	/* every closed belief interval, for the overlap check */
	struct { int mu; uint64_t a, b; } iv[256];
	int niv;
};

static uint32_t rec_ident(const struct disk *d)
{
	return d->written ? crc32c(0, &d->rec, sizeof(d->rec)) : 0;
}

static void world_submit(struct world *w, int k, const struct crd_lease_io *io, int n)
{
	struct mu *m = &w->m[k];
	const uint64_t io_ns = (uint64_t)m->l.cfg.timing.io_ms * MS;

	for (int i = 0; i < n; i++) {
		struct pending *p = NULL;
		for (int j = 0; j < PENDING_MAX && !p; j++)
			if (!m->p[j].used)
				p = &m->p[j];
		if (!p)
			fail_msg("too many pending I/Os");
		memset(p, 0, sizeof(*p));
		p->used = true;
		struct crd_lease_done *d = &p->done;
		d->seq = io[i].seq;
		d->disk = io[i].disk;
		d->kind = io[i].kind;
		d->issue_ns = w->now;
		p->deliver_at = w->now + MS;
		if (!m->sees[io[i].disk]) {
			d->result = -EIO;
		} else if (m->hung_out[io[i].disk]) {
			d->result = -EAGAIN;
			p->deliver_at = w->now;
		} else if (io[i].not_after_ns && w->now >= io[i].not_after_ns) {
			d->result = -ETIME;
			p->deliver_at = w->now;
		} else if (m->hung[io[i].disk]) {
			d->result = -ETIMEDOUT;
			m->hung_out[io[i].disk] = true;
			p->deliver_at = w->now + io_ns;
		} else {
			struct disk *dk = &w->d[io[i].disk];
			if (io[i].kind == CRD_IO_LEASE_WRITE) {
				dk->written = true;
				dk->damaged = false;
				dk->rec = io[i].rec;
			} else if (io[i].kind == CRD_IO_LEASE_READ && dk->damaged) {
				d->decode = -EILSEQ;
				d->raw_crc = 0xdeadu;
			} else if (io[i].kind == CRD_IO_LEASE_READ) {
				d->decode = dk->written ? 0 : -ENODATA;
				d->rec = dk->rec;
				d->raw_crc = rec_ident(dk);
			}
		}
		d->complete_ns = p->deliver_at;
	}
}

static void world_note_belief(struct world *w, int k)
{
	struct mu *m = &w->m[k];
	bool held = crd_lease_held(&m->l, w->now);

	if (held && !m->believing) {
		m->believing = true;
		m->cur_start = w->now;
	} else if (!held && m->believing) {
		m->believing = false;
		uint64_t end = crd_lease_valid_until(&m->l);
		if (end > w->now)
			end = w->now;
		assert_true(w->niv < 256);
		w->iv[w->niv].mu = k;
		w->iv[w->niv].a = m->cur_start;
		w->iv[w->niv].b = end;
		w->niv++;
	}
}

static void world_step(struct world *w)
{
	struct crd_lease_io io[CRD_LEASE_IO_MAX];

	w->now += MS;
	for (int k = 0; k < w->nmu; k++) {
		struct mu *m = &w->m[k];
		if (m->dead || m->paused)
			continue;
		for (int j = 0; j < PENDING_MAX; j++) {
			if (!m->p[j].used || m->p[j].deliver_at > w->now)
				continue;
			m->p[j].used = false;
			if (m->p[j].done.result == -ETIMEDOUT)
				m->hung_out[m->p[j].done.disk] = m->hung[m->p[j].done.disk];
			int n = crd_lease_complete(&m->l, &m->p[j].done, w->now, io, CRD_LEASE_IO_MAX);
			world_submit(w, k, io, n);
		}
		if (crd_lease_next_ns(&m->l) <= w->now) {
			int n = crd_lease_tick(&m->l, w->now, io, CRD_LEASE_IO_MAX);
			world_submit(w, k, io, n);
		}
	}
	for (int k = 0; k < w->nmu; k++)
		world_note_belief(w, k);
}

static void world_run(struct world *w, uint64_t ms)
{
	for (uint64_t i = 0; i < ms; i++)
		world_step(w);
}

static void world_init(struct world *w, int nmu, int ndisks, enum crd_profile prof)
{
	memset(w, 0, sizeof(*w));
	w->now = 1000 * MS;
	w->nmu = nmu;
	w->ndisks = ndisks;
	for (int k = 0; k < nmu; k++) {
		struct crd_lease_cfg cfg = {
			.unit_id = (uint32_t)k + 1,
			.incarnation = 100 + (uint64_t)k,
			.timing = crd_timing_profile(prof),
			.ndisks = ndisks,
			.seed = 7,
		};
		crd_lease_init(&w->m[k].l, &cfg, w->now);
		w->m[k].sees[0] = w->m[k].sees[1] = true;
	}
}

static int world_holders(struct world *w)
{
	int n = 0;
	for (int k = 0; k < w->nmu; k++)
		n += crd_lease_held(&w->m[k].l, w->now);
	return n;
}

static int world_holder(struct world *w)
{
	for (int k = 0; k < w->nmu; k++)
		if (crd_lease_held(&w->m[k].l, w->now))
			return k;
	return -1;
}

static void assert_no_overlap(struct world *w)
{
	for (int k = 0; k < w->nmu; k++)
		world_note_belief(w, k); /* close nothing; open intervals are checked below */
	for (int i = 0; i < w->niv; i++)
		for (int j = i + 1; j < w->niv; j++)
			if (w->iv[i].mu != w->iv[j].mu)
				assert_true(w->iv[i].b <= w->iv[j].a || w->iv[j].b <= w->iv[i].a);
}

static void test_single_mu_acquires_and_keeps(void **state)
{
	static struct world w;
	world_init(&w, 1, 1, CRD_PROFILE_TEST);
	world_run(&w, 100);
	assert_int_equal(world_holders(&w), 0); /* still claiming */
	world_run(&w, 900); /* empty block: claim at once, held after claim_delay (0.6 s) */
	assert_int_equal(world_holder(&w), 0);
	assert_int_equal(crd_lease_term(&w.m[0].l), 1);
	uint64_t until = crd_lease_valid_until(&w.m[0].l);
	world_run(&w, 10000);
	assert_int_equal(world_holder(&w), 0);
	assert_true(crd_lease_valid_until(&w.m[0].l) > until + 9000 * MS);
	assert_true(w.d[0].rec.counter > 40); /* renewed every 200 ms */
	assert_int_equal(w.m[0].l.step_downs + w.m[0].l.expirations, 0);
}

static void test_three_mus_one_master(void **state)
{
	static struct world w;
	world_init(&w, 3, 1, CRD_PROFILE_TEST);
	for (int i = 0; i < 5000; i++) {
		world_step(&w);
		assert_true(world_holders(&w) <= 1);
	}
	assert_int_equal(world_holders(&w), 1);
}

static void test_paused_master_loses_before_takeover(void **state)
{
	static struct world w;
	world_init(&w, 3, 1, CRD_PROFILE_TEST);
	world_run(&w, 3000);
	int h = world_holder(&w);
	assert_true(h >= 0);
	uint64_t until = crd_lease_valid_until(&w.m[h].l);
	w.m[h].paused = true; /* SIGSTOP */
	uint64_t t0 = w.now;
	int nh = -1;
	for (int i = 0; i < 6000 && nh < 0; i++) {
		world_step(&w);
		for (int k = 0; k < 3; k++)
			if (k != h && crd_lease_held(&w.m[k].l, w.now))
				nh = k;
	}
	assert_true(nh >= 0);
	assert_true(w.now > until); /* the new master starts after the old one's validity */
	/* takeover <= lease + claim + 2 x renew (+ I/O) = 2.2 s for the test profile */
	assert_true(w.now - t0 <= 2300 * MS);
	assert_int_equal(crd_lease_term(&w.m[nh].l), crd_lease_term(&w.m[h].l) + 1);
	w.m[h].paused = false; /* SIGCONT: its queued renewal must not land (R1) */
	for (int i = 0; i < 3000; i++) {
		world_step(&w);
		assert_true(world_holders(&w) <= 1);
	}
	assert_int_equal(world_holder(&w), nh);
	assert_true(w.m[h].l.expirations + w.m[h].l.step_downs >= 1);
	assert_no_overlap(&w);
}

static void test_release_hands_over_fast(void **state)
{
	static struct world w;
	struct crd_lease_io io[CRD_LEASE_IO_MAX];
	world_init(&w, 2, 1, CRD_PROFILE_TEST);
	world_run(&w, 2000);
	int h = world_holder(&w);
	assert_true(h >= 0);
	int n = crd_lease_release(&w.m[h].l, w.now, io, CRD_LEASE_IO_MAX);
	assert_int_equal(n, 1);
	world_submit(&w, h, io, n);
	assert_false(crd_lease_held(&w.m[h].l, w.now));
	uint64_t t0 = w.now;
	while (world_holder(&w) < 0 && w.now - t0 < 3000 * MS)
		world_step(&w);
	assert_int_equal(world_holder(&w), 1 - h);
	assert_true(w.now - t0 < 1200 * MS); /* released: no need to wait a lease_timeout */
	assert_true(w.m[h].l.state == CRD_LEASE_STOPPED);
	assert_true(w.d[0].rec.term == crd_lease_term(&w.m[1 - h].l));
}

static void test_two_site_split_no_master(void **state)
{
	static struct world w;
	world_init(&w, 2, 2, CRD_PROFILE_TEST);
	w.m[0].sees[1] = false; /* site A sees only disk 0 */
	w.m[1].sees[0] = false; /* site B sees only disk 1 */
	for (int i = 0; i < 8000; i++) {
		world_step(&w);
		assert_int_equal(world_holders(&w), 0);
	}
}

static void test_split_after_election_keeps_one(void **state)
{
	static struct world w;
	world_init(&w, 2, 2, CRD_PROFILE_TEST);
	world_run(&w, 2000);
	int h = world_holder(&w);
	assert_true(h >= 0);
	w.m[0].sees[1] = false;
	w.m[1].sees[0] = false;
	for (int i = 0; i < 8000; i++) {
		world_step(&w);
		assert_true(world_holders(&w) <= 1);
	}
	assert_int_equal(world_holder(&w), h); /* keep while renewing on at least one */
}

static void test_hung_disk_master_keeps_lease(void **state)
{
	static struct world w;
	world_init(&w, 3, 2, CRD_PROFILE_TEST);
	world_run(&w, 2000);
	int h = world_holder(&w);
	assert_true(h >= 0);
	w.m[h].hung[0] = true; /* one disk hangs forever for the master only */
	for (int i = 0; i < 10000; i++) {
		world_step(&w);
		assert_true(world_holders(&w) <= 1);
	}
	assert_int_equal(world_holder(&w), h);
	assert_int_equal(w.m[h].l.step_downs + w.m[h].l.expirations, 0);
}

static void test_n1_lost_disk_master_expires(void **state)
{
	static struct world w;
	world_init(&w, 2, 1, CRD_PROFILE_TEST);
	world_run(&w, 2000);
	int h = world_holder(&w);
	assert_true(h >= 0);
	w.m[h].sees[0] = false;
	world_run(&w, 1100); /* valid_until = last renewal issue + 0.9 s */
	assert_false(crd_lease_held(&w.m[h].l, w.now));
	world_run(&w, 3000);
	assert_int_equal(world_holder(&w), 1 - h);
	assert_no_overlap(&w);
}

/* A release that lands late (seconds after the releasing MU gave up on it) overwrites the
 * record of the MU that took over meanwhile, which is paused: a watcher must not take the
 * released block as free at once (found by tests/sim `late_release`; decisions.md). */
static int run_late_release(bool trust_release)
{
	static struct world w;
	world_init(&w, 3, 1, CRD_PROFILE_TEST);
	for (int k = 0; k < 3; k++)
		w.m[k].l.cfg.mut.late_release_trust = trust_release;
	w.m[2].dead = true; /* starts later */
	world_run(&w, 2000);
	int h = world_holder(&w);
	assert_true(h == 0 || h == 1);
	world_run(&w, 150); /* mid-way between two renewals */
	w.m[h].paused = true;
	/* the late landing: an older master's released record */
	w.d[0].rec = (struct crd_lease_rec){.holder = 9, .incarnation = 5, .counter = 8,
					    .term = crd_lease_term(&w.m[h].l) - 1 + 0,
					    .lease_ms = 1200, .flags = CRD_LEASE_RELEASED};
	struct crd_lease_cfg cfg = w.m[2].l.cfg;
	crd_lease_init(&w.m[2].l, &cfg, w.now);
	w.m[2].dead = false;
	int most = 0;
	for (int i = 0; i < 3000; i++) {
		world_step(&w);
		if (world_holders(&w) > most)
			most = world_holders(&w);
	}
	return most;
}

static void test_late_release_is_not_free_at_once(void **state)
{
	assert_int_equal(run_late_release(false), 1);
}

static void test_late_release_mutation_is_caught(void **state)
{
	/* R0 as crd.md words it ("released" = free) lets a third MU in at once */
	assert_int_equal(run_late_release(true), 2);
}

/* The holder's last renewal tore the lease block, then it died: the next master's term must
 * still be higher (tests/sim finding 7; a former master's late region-0 write of the old
 * term would otherwise outrank the new master's). */
static void test_torn_block_term_still_grows(void **state)
{
	static struct world w;
	world_init(&w, 2, 1, CRD_PROFILE_TEST);
	world_run(&w, 2000);
	int h = world_holder(&w);
	assert_true(h >= 0);
	uint64_t t = crd_lease_term(&w.m[h].l);
	w.m[h].dead = true;
	w.d[0].damaged = true;
	uint64_t t0 = w.now;
	while (!crd_lease_held(&w.m[1 - h].l, w.now) && w.now - t0 < 10000 * MS)
		world_step(&w);
	assert_int_equal(world_holder(&w), 1 - h);
	assert_true(crd_lease_term(&w.m[1 - h].l) > t);
}


/* ---- forced claim (crd.md §5 `sectl cluster force-master`) ---- */

/* Runs until mu k's forced claim is answered (or 5 s). */
static struct crd_lease_force run_force(struct world *w, int k)
{
	uint64_t t0 = w->now;
	struct crd_lease_force f;

	assert_int_equal(crd_lease_force(&w->m[k].l, w->now), 0);
	do {
		world_step(w);
		assert_true(world_holders(w) <= 1);
		f = crd_lease_force_get(&w->m[k].l);
	} while ((f.state == CRD_FORCE_PENDING || f.state == CRD_FORCE_CLAIMING) &&
		 w->now - t0 < 5000 * MS);
	return f;
}

/* The two-site split after the master's site went down: no master can be elected; the
 * forced claim on the surviving site takes the lease with term + 1 on the disk it reads,
 * keeps it, and when the other disk comes back the old record of the lower term there is
 * overwritten (the disk joins) without a step-down. */
static void test_force_after_split_takes_and_keeps(void **state)
{
	static struct world w;
	world_init(&w, 3, 2, CRD_PROFILE_TEST);
	world_run(&w, 2000);
	int h = world_holder(&w);
	assert_true(h >= 0);
	int a = (h + 1) % 3, b = (h + 2) % 3;
	uint64_t t = crd_lease_term(&w.m[h].l);
	w.m[h].dead = true;      /* site A is down with the master */
	w.m[a].sees[1] = false;  /* site A's other MU sees disk 0 only */
	w.m[b].sees[0] = false;  /* site B sees disk 1 only */
	world_run(&w, 4000);
	assert_int_equal(world_holders(&w), 0); /* no master can be elected */
	struct crd_lease_force f = run_force(&w, b);
	assert_int_equal(f.state, CRD_FORCE_DONE);
	assert_int_equal(f.mask, 2u); /* claimed on disk 1 only */
	assert_int_equal(f.term, t + 1);
	assert_int_equal(world_holder(&w), b);
	assert_int_equal(w.d[1].rec.holder, (uint32_t)b + 1);
	assert_int_equal(w.d[0].rec.holder, (uint32_t)h + 1); /* untouched */
	world_run(&w, 5000);
	assert_int_equal(world_holder(&w), b); /* holds it normally on the one disk */
	/* the disks rejoin: b overwrites the lower term on disk 0 and does not step down */
	w.m[a].sees[1] = true;
	w.m[b].sees[0] = true;
	for (int i = 0; i < 5000; i++) {
		world_step(&w);
		assert_true(world_holders(&w) <= 1);
	}
	assert_int_equal(world_holder(&w), b);
	assert_int_equal(w.m[b].l.step_downs + w.m[b].l.expirations, 0);
	assert_int_equal(w.d[0].rec.holder, (uint32_t)b + 1);
	assert_int_equal(w.d[0].rec.term, t + 1);
	assert_int_equal(w.m[b].l.joined_mask, 3u);
	assert_no_overlap(&w);
}

/* Refused while the lease block it reads is live: the master renews on it. Nothing is
 * written; the answer names the disk and the holder. */
static void test_force_refused_while_lease_live(void **state)
{
	static struct world w;
	world_init(&w, 2, 2, CRD_PROFILE_TEST);
	world_run(&w, 2000);
	int h = world_holder(&w);
	assert_true(h >= 0);
	w.m[1 - h].sees[1] = false; /* it reads disk 0 only, where the master renews */
	world_run(&w, 2000);
	struct crd_lease_force f = run_force(&w, 1 - h);
	assert_int_equal(f.state, CRD_FORCE_REFUSED);
	assert_int_equal(f.reason, CRD_FORCE_R_LIVE);
	assert_int_equal(f.disk, 0);
	assert_int_equal(f.decode, 0);
	assert_int_equal(f.rec.holder, (uint32_t)h + 1);
	assert_true(f.unchanged_ms < f.needed_ms);
	assert_int_equal(f.needed_ms, 1200);
	world_run(&w, 1000);
	assert_int_equal(world_holder(&w), h);
	assert_int_equal(w.d[0].rec.holder, (uint32_t)h + 1);
	assert_int_equal(w.m[h].l.step_downs, 0);
}

/* The check is what keeps the forced claim safe: a master that is paused (SIGSTOP) right
 * after a renewal still believes until its R1 expiry and reads nothing meanwhile, so R2
 * cannot make it step down. With the check the forced claim waits (refused: live);
 * without it (the mutation) the forced claim makes a second master. */
static int run_force_paused_master(bool no_check)
{
	static struct world w;
	world_init(&w, 2, 2, CRD_PROFILE_TEST);
	world_run(&w, 2000);
	int h = world_holder(&w);
	assert_true(h >= 0);
	w.m[1 - h].l.cfg.mut.force_no_check = no_check;
	w.m[1 - h].sees[1] = false; /* it reads disk 0 only */
	world_run(&w, 400);
	/* paused just after a renewal: it believes for lease_timeout - margin more */
	uint64_t until = crd_lease_valid_until(&w.m[h].l);
	while (crd_lease_valid_until(&w.m[h].l) == until)
		world_step(&w);
	w.m[h].paused = true;
	assert_int_equal(crd_lease_force(&w.m[1 - h].l, w.now), 0);
	int most = 0;
	for (int i = 0; i < 3000; i++) {
		world_step(&w);
		if (world_holders(&w) > most)
			most = world_holders(&w);
	}
	if (!no_check) {
		struct crd_lease_force f = crd_lease_force_get(&w.m[1 - h].l);
		assert_int_equal(f.state, CRD_FORCE_REFUSED);
		assert_int_equal(f.reason, CRD_FORCE_R_LIVE);
	}
	return most;
}

static void test_force_refused_while_master_paused(void **state)
{
	assert_int_equal(run_force_paused_master(false), 1);
}

static void test_force_mutation_without_check_two_masters(void **state)
{
	assert_int_equal(run_force_paused_master(true), 2);
}

static void test_force_refused_without_disk_and_when_held(void **state)
{
	static struct world w;
	world_init(&w, 2, 2, CRD_PROFILE_TEST);
	w.m[1].dead = true;
	world_run(&w, 2000);
	assert_int_equal(world_holder(&w), 0);
	assert_int_equal(crd_lease_force(&w.m[0].l, w.now), -EALREADY);
	w.m[1].dead = false;
	w.m[1].sees[0] = w.m[1].sees[1] = false;
	struct crd_lease_force f = run_force(&w, 1);
	assert_int_equal(f.state, CRD_FORCE_REFUSED);
	assert_int_equal(f.reason, CRD_FORCE_R_NO_DISK);
	assert_int_equal(world_holder(&w), 0);
	/* a request can be withdrawn while pending */
	assert_int_equal(crd_lease_force(&w.m[1].l, w.now), 0);
	crd_lease_force_cancel(&w.m[1].l);
	assert_int_equal(crd_lease_force_get(&w.m[1].l).state, CRD_FORCE_NONE);
}

/* A fresh MU has not watched a block for L yet: refused as live, with how long it watched. */
static void test_force_refused_before_watching_l(void **state)
{
	static struct world w;
	world_init(&w, 2, 2, CRD_PROFILE_TEST);
	w.m[1].dead = true;
	world_run(&w, 2000);
	int h = world_holder(&w);
	assert_int_equal(h, 0);
	w.m[0].dead = true; /* the master dies */
	w.m[1].dead = false;
	struct crd_lease_cfg cfg = w.m[1].l.cfg;
	crd_lease_init(&w.m[1].l, &cfg, w.now);
	w.m[1].sees[0] = false;
	struct crd_lease_force f = run_force(&w, 1);
	assert_int_equal(f.state, CRD_FORCE_REFUSED);
	assert_int_equal(f.reason, CRD_FORCE_R_LIVE);
	assert_true(f.unchanged_ms < 1200);
	world_run(&w, 1500); /* watched long enough now */
	f = run_force(&w, 1);
	assert_int_equal(f.state, CRD_FORCE_DONE);
	assert_int_equal(world_holder(&w), 1);
}

/* Online replace of disk 1 under a holding master: the new disk (a copy) joins, no
 * step-down. */
static void test_disk_reset_keeps_the_lease(void **state)
{
	static struct world w;
	world_init(&w, 2, 2, CRD_PROFILE_TEST);
	world_run(&w, 2000);
	int h = world_holder(&w);
	assert_true(h >= 0);
	w.d[1] = w.d[0]; /* the new disk: a copy of the surviving one */
	crd_lease_disk_reset(&w.m[h].l, 1);
	crd_lease_disk_reset(&w.m[1 - h].l, 1);
	for (int i = 0; i < 5000; i++) {
		world_step(&w);
		assert_int_equal(world_holders(&w), 1);
	}
	assert_int_equal(world_holder(&w), h);
	assert_int_equal(w.m[h].l.step_downs + w.m[h].l.expirations, 0);
	assert_int_equal(w.m[h].l.joined_mask, 3u);
	assert_true(w.d[1].rec.counter > 20);
}

/* A disk the MU cannot read at the moment of the forced claim, but that was live when it
 * last read it less than L ago, still refuses: a transient read failure does not hide the
 * master renewing there. */
static void test_force_refused_disk_unreadable_but_live(void **state)
{
	static struct world w;
	world_init(&w, 2, 2, CRD_PROFILE_TEST);
	world_run(&w, 2000);
	int h = world_holder(&w), x = 1 - h;
	assert_true(h >= 0);
	w.m[h].sees[0] = false; /* the master renews on disk 1 only: disk 0 is frozen */
	world_run(&w, 1500);
	w.m[x].sees[1] = false; /* x's path to disk 1 fails just now */
	struct crd_lease_force f = run_force(&w, x);
	assert_int_equal(f.state, CRD_FORCE_REFUSED);
	assert_int_equal(f.reason, CRD_FORCE_R_LIVE);
	assert_int_equal(f.disk, 1);
	assert_true(f.unread);
	assert_int_equal(world_holder(&w), h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_mu_acquires_and_keeps),
		cmocka_unit_test(test_three_mus_one_master),
		cmocka_unit_test(test_paused_master_loses_before_takeover),
		cmocka_unit_test(test_release_hands_over_fast),
		cmocka_unit_test(test_two_site_split_no_master),
		cmocka_unit_test(test_split_after_election_keeps_one),
		cmocka_unit_test(test_hung_disk_master_keeps_lease),
		cmocka_unit_test(test_n1_lost_disk_master_expires),
		cmocka_unit_test(test_late_release_is_not_free_at_once),
		cmocka_unit_test(test_late_release_mutation_is_caught),
		cmocka_unit_test(test_torn_block_term_still_grows),
		cmocka_unit_test(test_force_after_split_takes_and_keeps),
		cmocka_unit_test(test_force_refused_while_lease_live),
		cmocka_unit_test(test_force_refused_while_master_paused),
		cmocka_unit_test(test_force_mutation_without_check_two_masters),
		cmocka_unit_test(test_force_refused_without_disk_and_when_held),
		cmocka_unit_test(test_force_refused_before_watching_l),
		cmocka_unit_test(test_force_refused_disk_unreadable_but_live),
		cmocka_unit_test(test_disk_reset_keeps_the_lease),
	};
	return cmocka_run_group_tests_name("lease", tests, NULL, NULL);
}
