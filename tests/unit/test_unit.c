/* test_unit.c — one unit's CRD runtime (src/crd/unit.c, unit_obs.c, unit_disks.c) on real
 * CRD files with the `test` timing profile: the observer of every slot (crd.md §4: a unit
 * stopping with LEFT is dead at once, a killed one after dead_bound with a fresh verdict),
 * the observer's rounds on a slow disk (skipped, never piled up; the lease renewals keep
 * their pace), the CRD disks status and its events while one external disk fails and
 * comes back, and the resync of what the unit owns on it (crd.md §1, §3, §7). Several
 * units run in this process, each with its own disk threads, driven by one poll() loop.
 * Also under TSan. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crd/format.h"
#include "crd/lease.h"
#include "crd/timing.h"
#include "crd/unit.h"
#include "lib/clock.h"
#include "lib/fault.h"
#include "lib/sys_ops.h"

#define UNITS_MAX 3
#define DISK_SIZE (64ull << 20)
#define R0_COPY (256ull << 10)
#define UNIT_COPY (64ull << 10)

static struct {
	char dir[64];
	char path[2][128];
	crd_uuid cluster;
} T;

/* ---- fixture: a formatted external set of two files ---- */

static void format_set(void)
{
	struct crd_format_opts o = {.role = CRD_ROLE_EXTERNAL, .n_paths = 2, .size = DISK_SIZE,
				    .region0_copy = R0_COPY, .unit_copy = UNIT_COPY,
				    .unsafe_fs = true, .force = true};
	struct sec_err err = {0};

	assert_int_equal(crd_uuid_random(&T.cluster), 0);
	o.cluster_id = T.cluster;
	o.paths[0] = T.path[0];
	o.paths[1] = T.path[1];
	if (crd_format(&o, &err) < 0)
		fail_msg("format: %s", err.msg);
}

static int setup(void **state)
{
	snprintf(T.dir, sizeof(T.dir), "/tmp/test_unit.XXXXXX");
	if (!mkdtemp(T.dir))
		return -1;
	snprintf(T.path[0], sizeof(T.path[0]), "%s/ext1.crd", T.dir);
	snprintf(T.path[1], sizeof(T.path[1]), "%s/ext2.crd", T.dir);
	format_set();
	return 0;
}

static int teardown(void **state)
{
	fault_clear_all();
	sys_ops = &sys_ops_real;
	unlink(T.path[0]);
	unlink(T.path[1]);
	rmdir(T.dir);
	return 0;
}

static uint64_t now_ms(void)
{
	return clock_boottime_ns() / NSEC_PER_MSEC;
}

/* ---- units and the loop that drives them ---- */

struct events {
	int n;
	struct crd_status_event ev[32];
};

static void on_event(void *arg, const struct crd_status_event *ev)
{
	struct events *e = arg;

	if (e->n < 32)
		e->ev[e->n] = *ev;
	e->n++;
}

/* Lease renewals as the belief callback reports them (R1 expiry per renewal). */
struct beliefs {
	int extensions;
	bool lost;          /* the belief ended while measured */
	bool measuring;
	uint64_t last_until, max_gap_ns;
};

static void on_belief(void *arg, bool held, uint64_t now, uint64_t until, uint64_t term)
{
	struct beliefs *b = arg;

	if (!held) {
		b->lost |= b->measuring;
		b->last_until = 0;
		return;
	}
	if (b->measuring && b->last_until && until - b->last_until > b->max_gap_ns)
		b->max_gap_ns = until - b->last_until;
	b->last_until = until;
	b->extensions++;
}

static struct crd_unit *unit_start(uint32_t id, enum crd_unit_role role, bool observe,
				   struct events *ev, struct beliefs *bel)
{
	struct crd_unit_cfg cfg = {
		.unit_id = id, .role = role, .n_external = 2, .unsafe_fs = true,
		.timing = crd_timing_profile(CRD_PROFILE_TEST), .observe = observe,
		.name = id == 1 ? "mu1" : NULL,
		.crd_event_cb = ev ? on_event : NULL, .crd_event_arg = ev,
		.belief_cb = bel ? on_belief : NULL, .belief_arg = bel,
	};
	struct crd_unit *u = NULL;
	struct sec_err err = {0};

	cfg.identity.b[0] = 0x5e;
	cfg.identity.b[15] = (uint8_t)id;
	cfg.external[0] = T.path[0];
	cfg.external[1] = T.path[1];
	if (crd_unit_start(&cfg, &u, &err) < 0)
		fail_msg("unit %u: %s", id, err.msg);
	return u;
}

struct run {
	struct crd_unit *u[UNITS_MAX];
};

/* One poll() over every unit's fds until the earliest next_ns (at most 50 ms), then runs
 * every unit. */
static void run_once(struct run *r)
{
	struct pollfd pfd[UNITS_MAX * CRD_UNIT_FDS_MAX];
	uint64_t now = clock_boottime_ns(), next = now + 50 * NSEC_PER_MSEC;
	int n = 0;

	for (int i = 0; i < UNITS_MAX; i++) {
		int fds[CRD_UNIT_FDS_MAX], k;
		uint64_t t;
		if (!r->u[i])
			continue;
		k = crd_unit_fds(r->u[i], fds);
		assert_true(k >= 2 && k <= CRD_UNIT_FDS_MAX);
		for (int j = 0; j < k; j++)
			pfd[n++] = (struct pollfd){.fd = fds[j], .events = POLLIN};
		t = crd_unit_next_ns(r->u[i]);
		if (t < next)
			next = t;
	}
	poll(pfd, (nfds_t)n, next > now ? (int)((next - now) / NSEC_PER_MSEC) + 1 : 0);
	for (int i = 0; i < UNITS_MAX; i++)
		if (r->u[i])
			crd_unit_run(r->u[i]);
}

/* Runs until pred(arg) (checked after every round) or timeout_ms; returns pred's last. */
static bool run_until(struct run *r, bool (*pred)(void *), void *arg, uint64_t timeout_ms)
{
	uint64_t end = now_ms() + timeout_ms;

	while (!pred(arg)) {
		if (now_ms() >= end)
			return pred(arg);
		run_once(r);
	}
	return true;
}

static bool never(void *arg)
{
	return false;
}

static void unit_stop_clean(struct run *r, int i)
{
	uint64_t end = now_ms() + 5000;

	crd_unit_stop(r->u[i], false);
	while (!crd_unit_stopped(r->u[i]) && now_ms() < end)
		run_once(r);
	assert_true(crd_unit_stopped(r->u[i]));
	r->u[i] = crd_unit_free(r->u[i]);
}

/* ---- the renewal callback (what secd forwards to sec-guard) ---- */

struct renews {
	int n;
	uint64_t last_issue, prev_issue;
	uint32_t fence_ms, watchdog_ms;
};

static void on_renew(void *arg, uint64_t issue_ns, uint32_t fence_ms, uint32_t watchdog_ms)
{
	struct renews *rn = arg;

	rn->prev_issue = rn->last_issue;
	rn->last_issue = issue_ns;
	rn->fence_ms = fence_ms;
	rn->watchdog_ms = watchdog_ms;
	rn->n++;
}

static bool renewed_thrice(void *arg)
{
	return ((struct renews *)arg)->n >= 3;
}

/* Every successful renewal reports its issue time (never older than the previous one, never
 * in the future) and the fence_timeout and W it advertised (crd.md §4 layer 2). */
static void test_renew_callback_reports_advertised_values(void **state)
{
	struct renews rn = {0};
	struct crd_unit_cfg cfg = {
		.unit_id = 2, .role = CRD_UNIT_SU, .n_external = 2, .unsafe_fs = true,
		.timing = crd_timing_profile(CRD_PROFILE_TEST), .renew_cb = on_renew,
		.renew_arg = &rn,
	};
	struct run r = {{NULL}};
	struct sec_err err = {0};

	cfg.identity.b[0] = 0x5e;
	cfg.identity.b[15] = 2;
	cfg.external[0] = T.path[0];
	cfg.external[1] = T.path[1];
	if (crd_unit_start(&cfg, &r.u[0], &err) < 0)
		fail_msg("%s", err.msg);
	assert_true(run_until(&r, renewed_thrice, &rn, 5000));
	assert_int_equal(rn.fence_ms, cfg.timing.fence_ms);
	assert_int_equal(rn.watchdog_ms, cfg.timing.watchdog_ms);
	assert_true(rn.last_issue >= rn.prev_issue && rn.prev_issue > 0);
	assert_true(rn.last_issue <= clock_boottime_ns());
	assert_true(crd_unit_renewals(r.u[0]) >= 3);
	unit_stop_clean(&r, 0);
}

/* ---- the observer ---- */

struct peer_q {
	struct crd_unit *u;
	uint32_t id;
	enum crd_alive_verdict_kind want;
	struct crd_unit_peer p;
	uint64_t first_ms; /* when the verdict was first seen */
	bool fresh_at_first;
};

static bool peer_is(void *arg)
{
	struct peer_q *q = arg;

	if (crd_unit_peer(q->u, q->id, &q->p) < 0 || q->p.verdict != q->want)
		return false;
	if (!q->first_ms) {
		q->first_ms = now_ms();
		q->fresh_at_first = q->p.fresh;
	}
	return true;
}

struct held_q {
	struct crd_unit *u;
	uint64_t reads; /* obs_reads to reach */
};

static bool is_master(void *arg)
{
	return crd_unit_master(((struct held_q *)arg)->u).held;
}

static bool obs_reads_reach(void *arg)
{
	struct held_q *h = arg;
	struct crd_unit_stats st;

	crd_unit_stats(h->u, &st);
	return st.obs_reads >= h->reads;
}

/* An observing MU alone on the CRD becomes Master MU; its observer leaves that window out
 * (unit_obs.c): wait until it is master and has read a whole round on both disks since. */
static void settle_master(struct run *r, int i)
{
	struct held_q h = {r->u[i], 0};
	struct crd_unit_stats st;

	assert_true(run_until(r, is_master, &h, 8000));
	crd_unit_stats(r->u[i], &st);
	h.reads = st.obs_reads + 4;
	assert_true(run_until(r, obs_reads_reach, &h, 5000));
}

static void test_observer_alive_then_left(void **state)
{
	struct run r = {{unit_start(1, CRD_UNIT_MU, true, NULL, NULL),
			 unit_start(2, CRD_UNIT_SU, false, NULL, NULL)}};
	struct peer_q q = {.u = r.u[0], .id = 2, .want = CRD_ALIVE_ALIVE};
	struct peer_q own = {.u = r.u[1], .id = 2, .want = CRD_ALIVE_ALIVE};
	struct crd_unit_peer p;
	struct crd_unit_stats st;
	uint64_t t_stop;

	settle_master(&r, 0);
	assert_true(run_until(&r, peer_is, &q, 5000));
	assert_true(run_until(&r, peer_is, &own, 5000)); /* B's own slot, from its writes */
	assert_int_equal(q.p.reason, CRD_ALIVE_R_CHANGING);
	assert_int_equal(q.p.state, CRD_SLOT_RUNNING);
	assert_int_equal(q.p.incarnation, crd_unit_incarnation(r.u[1]));
	assert_true(q.p.change_ns > 0 && q.p.change_ns <= clock_boottime_ns());
	assert_false(q.p.fresh);
	/* its own slot, from its own writes */
	assert_int_equal(crd_unit_peer(r.u[0], 1, &p), 0);
	assert_int_equal(p.verdict, CRD_ALIVE_ALIVE);
	assert_int_equal(p.incarnation, crd_unit_incarnation(r.u[0]));
	/* a slot never written: read, empty */
	assert_int_equal(crd_unit_peer(r.u[0], 3, &p), 0);
	assert_int_equal(p.verdict, CRD_ALIVE_NEVER_SEEN);
	assert_int_equal(p.change_ns, 0);
	/* B does not observe: only its own slot is known */
	assert_int_equal(crd_unit_peer(r.u[1], 1, &p), -ENOENT);
	assert_int_equal(crd_unit_peer(r.u[0], 0, &p), -EINVAL);
	assert_int_equal(crd_unit_peer(r.u[0], 257, &p), -EINVAL);

	/* B stops: LEFT is dead at once (within a round or two of A's observer) */
	unit_stop_clean(&r, 1);
	t_stop = now_ms();
	q = (struct peer_q){.u = r.u[0], .id = 2, .want = CRD_ALIVE_DEAD};
	assert_true(run_until(&r, peer_is, &q, 2000));
	assert_int_equal(q.p.reason, CRD_ALIVE_R_LEFT);
	assert_int_equal(q.p.state, CRD_SLOT_LEFT);
	assert_true(q.first_ms - t_stop < 1000);
	crd_unit_stats(r.u[0], &st);
	assert_true(st.obs_rounds >= 2 && st.obs_reads >= 2); /* a round per disk at least */
	unit_stop_clean(&r, 0);
}

static void test_observer_killed_unit_dead_after_dead_bound(void **state)
{
	struct run r = {{unit_start(1, CRD_UNIT_MU, true, NULL, NULL),
			 unit_start(2, CRD_UNIT_SU, false, NULL, NULL)}};
	struct crd_timing t = crd_timing_profile(CRD_PROFILE_TEST);
	uint64_t bound = crd_dead_bound_ms(&t), t_kill, took;
	struct peer_q q = {.u = r.u[0], .id = 2, .want = CRD_ALIVE_ALIVE};

	settle_master(&r, 0);
	assert_true(run_until(&r, peer_is, &q, 5000));
	/* killed: no LEFT, its slot simply stops changing */
	r.u[1] = crd_unit_free(r.u[1]);
	t_kill = now_ms();
	q = (struct peer_q){.u = r.u[0], .id = 2, .want = CRD_ALIVE_DEAD};
	assert_true(run_until(&r, peer_is, &q, bound + 3000));
	took = q.first_ms - t_kill;
	print_message("dead after %llu ms (dead_bound %llu ms)\n", (unsigned long long)took,
		      (unsigned long long)bound);
	/* the last change was seen at most one renewal + one read before the kill */
	assert_true(took + t.renew_ms + t.io_ms >= bound);
	assert_true(took <= bound + 3 * t.renew_ms + 1000);
	assert_int_equal(q.p.reason, CRD_ALIVE_R_STALE);
	assert_int_equal(q.p.state, CRD_SLOT_RUNNING);
	assert_true(q.fresh_at_first); /* the read that decided it was issued < io_timeout ago */
	unit_stop_clean(&r, 0);
}

/* ---- a slow disk: rounds are skipped, renewals keep their pace ---- */

static _Atomic uint32_t slow_ms;

static ssize_t slow_pread(int fd, void *buf, size_t len, off_t off)
{
	uint32_t ms = atomic_load(&slow_ms);

	if (len > CRD_BLOCK && ms) { /* the slot-area pieces (and region reads) */
		struct timespec ts = {0, (long)ms * 1000000L};
		nanosleep(&ts, NULL);
	}
	return sys_ops_real.pread(fd, buf, len, off);
}

static struct sys_ops slow_ops;

/* The largest gap between two lease renewals of a lone MU over 2 s, with or without the
 * observer reading a disk whose 256 KiB reads take 100 ms (a round: 400 ms per disk, two
 * rounds' worth of renew_interval). */
static uint64_t renewal_gap_ms(uint32_t id, bool observe, struct crd_unit_stats *ret_st)
{
	struct beliefs b = {0};
	struct run r = {{unit_start(id, CRD_UNIT_MU, observe, NULL, &b)}};
	struct held_q h = {r.u[0], 0};

	assert_true(run_until(&r, is_master, &h, 8000));
	b.measuring = true;
	b.last_until = 0;
	run_until(&r, never, NULL, 2000); /* a measuring period, not a synchronisation */
	b.measuring = false;
	if (b.lost)
		fail_msg("observer %s: the lease was lost while measuring (%d renewals)",
			 observe ? "on" : "off", b.extensions);
	assert_true(b.extensions >= 5);
	crd_unit_stats(r.u[0], ret_st);
	unit_stop_clean(&r, 0);
	return b.max_gap_ns / NSEC_PER_MSEC;
}

static void test_observer_skips_rounds_on_slow_disk(void **state)
{
	struct crd_timing t = crd_timing_profile(CRD_PROFILE_TEST);
	struct crd_unit_stats off, on;
	uint64_t gap_off, gap_on;

	slow_ops = sys_ops_real;
	slow_ops.pread = slow_pread;
	atomic_store(&slow_ms, 100);
	sys_ops = &slow_ops; /* before any thread of this test starts */
	gap_off = renewal_gap_ms(1, false, &off);
	format_set(); /* a fresh lease block: the next MU does not wait for L */
	gap_on = renewal_gap_ms(1, true, &on);
	sys_ops = &sys_ops_real;
	print_message("largest renewal gap: observer off %llu ms, on %llu ms (renew %u ms, "
		      "slow reads 100 ms); rounds %llu, skipped %llu\n",
		      (unsigned long long)gap_off, (unsigned long long)gap_on, t.renew_ms,
		      (unsigned long long)on.obs_rounds, (unsigned long long)on.obs_skipped);
	assert_int_equal(off.obs_rounds, 0);
	assert_true(on.obs_rounds >= 4);
	assert_true(on.obs_skipped >= 2); /* a round of 400 ms: the next one is skipped */
	/* a renewal waits for one 100 ms piece at most per I/O (read, then write) */
	assert_true(gap_on <= t.renew_ms + 2 * 100 + 200);
	assert_true(gap_on < t.lease_ms - t.margin_ms - t.io_ms);
}

/* ---- CRD disks status, events, resync ---- */

struct rwrite {
	struct crd_rjob job; /* first member */
	struct crd_unit *u;
	uint32_t region;
	uint64_t term, until;
	char payload[64];
	int r;
	bool done;
};

static void rwrite_run(struct crd_rjob *j, const struct crd_region_disks *rd)
{
	struct rwrite *w = (struct rwrite *)j;
	struct crd_region_writer *wr = crd_unit_region_writer(w->u, w->region);

	w->r = crd_region_write(rd, wr, w->term, w->payload, strlen(w->payload), w->until, NULL,
				NULL);
}

static void rwrite_done(struct crd_rjob *j)
{
	((struct rwrite *)j)->done = true;
}

static bool rwrite_finished(void *arg)
{
	return ((struct rwrite *)arg)->done;
}

/* Writes payload to region (own id or 0) through the unit's region thread and writer. */
static int region_write(struct run *r, uint32_t region, const char *payload)
{
	struct crd_unit_master m = crd_unit_master(r->u[0]);
	struct rwrite w = {.job = {.run = rwrite_run, .done = rwrite_done}, .u = r->u[0],
			   .region = region, .term = region ? 0 : m.term,
			   .until = region ? 0 : m.valid_until};

	snprintf(w.payload, sizeof(w.payload), "%s", payload);
	assert_int_equal(crd_unit_region_submit(r->u[0], &w.job), 0);
	assert_true(run_until(r, rwrite_finished, &w, 5000));
	return w.r;
}

struct rread {
	struct crd_rjob job; /* first member */
	uint32_t region;
	int disk;
	int r;
	bool found, done;
	uint64_t term, generation;
	char payload[64];
};

static void rread_run(struct crd_rjob *j, const struct crd_region_disks *rd)
{
	struct rread *q = (struct rread *)j;
	struct crd_region_disks one = *rd;
	struct crd_region_read rr;

	one.next = 1;
	one.ext[0] = rd->ext[q->disk];
	one.internal = -1;
	q->r = crd_region_read(&one, q->region, &rr, NULL);
	q->found = rr.found;
	if (rr.found) {
		q->term = rr.hdr.term;
		q->generation = rr.hdr.generation;
		snprintf(q->payload, sizeof(q->payload), "%s", (const char *)rr.payload);
	}
	crd_region_read_release(&rr);
}

static bool rread_finished(void *arg)
{
	return ((struct rread *)arg)->done;
}

static void rread_done(struct crd_rjob *j)
{
	((struct rread *)j)->done = true;
}

/* Reads region on external disk `disk` alone (region thread). */
static struct rread region_on(struct run *r, uint32_t region, int disk)
{
	struct rread q = {.job = {.run = rread_run, .done = rread_done}, .region = region,
			  .disk = disk};

	assert_int_equal(crd_unit_region_submit(r->u[0], &q.job), 0);
	assert_true(run_until(r, rread_finished, &q, 5000));
	assert_int_equal(q.r, 0);
	return q;
}

struct disk_q {
	struct crd_unit *u;
	int disk;
	enum crd_disk_status want;
};

static bool disk_is(void *arg)
{
	struct disk_q *q = arg;
	enum crd_disk_status d[CRD_SET_DISKS_MAX];
	uint32_t n;

	crd_unit_crd_status(q->u, d, &n);
	return d[q->disk] == q->want;
}

static void assert_event(const struct events *e, int i, enum crd_event_weight w,
			 const char *msg)
{
	assert_true(e->n > i);
	assert_string_equal(e->ev[i].component, "CRD");
	assert_string_equal(e->ev[i].msg, msg);
	assert_int_equal(e->ev[i].weight, w);
}

static void test_crd_status_disk_fails_and_resyncs(void **state)
{
	struct events ev = {0};
	struct run r = {{unit_start(1, CRD_UNIT_MU, true, &ev, NULL)}};
	struct held_q h = {r.u[0], 0};
	struct disk_q dq = {.u = r.u[0], .disk = 1, .want = CRD_DISK_NOT_ACCESSIBLE};
	struct fault_spec fail = {.action = FAULT_FAIL, .arg = EIO};
	enum crd_disk_status d[CRD_SET_DISKS_MAX];
	struct crd_unit_stats st;
	char pattern[160];
	uint32_t n;

	assert_true(run_until(&r, is_master, &h, 8000));
	assert_int_equal(crd_unit_crd_status(r.u[0], d, &n), CRD_UNIT_NORMAL);
	assert_int_equal(n, 2);
	assert_int_equal(d[0], CRD_DISK_NORMAL);
	assert_int_equal(d[1], CRD_DISK_NORMAL);
	assert_string_equal(crd_unit_crd_status_detail(r.u[0])->disk_name[1], "ext2.crd");
	assert_int_equal(region_write(&r, 1, "{\"v\":1}"), 0);
	assert_int_equal(region_write(&r, 0, "{\"r0\":1}"), 0);
	assert_int_equal(ev.n, 0);

	/* ext2.crd fails: NOT_ACCESSIBLE, the unit WARNING (keep and commit on ext1) */
	snprintf(pattern, sizeof(pattern), "crd.*:%s", T.path[1]);
	assert_int_equal(fault_set(pattern, &fail), 0);
	assert_true(run_until(&r, disk_is, &dq, 3000));
	assert_int_equal(crd_unit_crd_status(r.u[0], d, &n), CRD_UNIT_WARNING);
	assert_int_equal(d[0], CRD_DISK_NORMAL);
	assert_event(&ev, 0, CRD_WEIGHT_WARNING,
		     "CRD disk 'ext2.crd' of unit 'mu1' changed from 'NORMAL' to 'NOT_ACCESSIBLE'");
	/* changes committed on ext1 only while ext2 is down */
	assert_int_equal(region_write(&r, 1, "{\"v\":2}"), 0);
	assert_int_equal(region_write(&r, 0, "{\"r0\":2}"), 0);
	run_until(&r, never, NULL, 1000); /* stays down a while: probes keep failing */
	assert_true(disk_is(&dq));
	assert_int_equal(ev.n, 1);
	assert_true(crd_unit_master(r.u[0]).held); /* N = 2: keeps renewing on one */

	/* ext2.crd returns: STALE while the unit resyncs, then NORMAL */
	fault_clear_all();
	dq.want = CRD_DISK_NORMAL;
	assert_true(run_until(&r, disk_is, &dq, 5000));
	assert_int_equal(crd_unit_crd_status(r.u[0], d, &n), CRD_UNIT_NORMAL);
	assert_int_equal(ev.n, 3);
	assert_event(&ev, 1, CRD_WEIGHT_WARNING,
		     "CRD disk 'ext2.crd' of unit 'mu1' changed from 'NOT_ACCESSIBLE' to 'STALE'");
	assert_event(&ev, 2, CRD_WEIGHT_NOTICE,
		     "CRD disk 'ext2.crd' of unit 'mu1' changed from 'STALE' to 'NORMAL'");
	crd_unit_stats(r.u[0], &st);
	assert_int_equal(st.resyncs, 1);
	/* ext2 holds the newest generation of both regions again, as ext1 does */
	for (uint32_t region = 0; region <= 1; region++) {
		struct rread a = region_on(&r, region, 0), b = region_on(&r, region, 1);
		assert_true(a.found && b.found);
		assert_int_equal(b.generation, a.generation);
		assert_int_equal(b.term, a.term);
		assert_string_equal(b.payload, region ? "{\"v\":2}" : "{\"r0\":2}");
		assert_string_equal(a.payload, b.payload);
	}
	unit_stop_clean(&r, 0);
}

/* A disk that fails reads only (the slot writes still succeed) stays NOT_ACCESSIBLE for an
 * observing MU: one event, no NOT_ACCESSIBLE <-> STALE flapping on each slot write (found
 * by tests/fault/test_cluster_faults.py: hundreds of CRD events a minute). */
static void test_crd_status_read_failure_does_not_flap(void **state)
{
	struct events ev = {0};
	struct run r = {{unit_start(1, CRD_UNIT_MU, true, &ev, NULL)}};
	struct held_q h = {r.u[0], 0};
	struct disk_q dq = {.u = r.u[0], .disk = 1, .want = CRD_DISK_NOT_ACCESSIBLE};
	struct fault_spec fail = {.action = FAULT_FAIL, .arg = EIO};
	enum crd_disk_status d[CRD_SET_DISKS_MAX];
	char pattern[160];
	uint32_t n;

	assert_true(run_until(&r, is_master, &h, 8000));
	assert_int_equal(ev.n, 0);
	snprintf(pattern, sizeof(pattern), "crd.read:%s", T.path[1]);
	assert_int_equal(fault_set(pattern, &fail), 0);
	assert_true(run_until(&r, disk_is, &dq, 3000));
	run_until(&r, never, NULL, 1500); /* several slot writes succeed meanwhile */
	assert_true(disk_is(&dq));
	assert_int_equal(crd_unit_crd_status(r.u[0], d, &n), CRD_UNIT_WARNING);
	assert_int_equal(ev.n, 1);
	assert_event(&ev, 0, CRD_WEIGHT_WARNING,
		     "CRD disk 'ext2.crd' of unit 'mu1' changed from 'NORMAL' to 'NOT_ACCESSIBLE'");
	/* reads answer again: STALE, resynced, NORMAL */
	fault_clear_all();
	dq.want = CRD_DISK_NORMAL;
	assert_true(run_until(&r, disk_is, &dq, 5000));
	assert_int_equal(ev.n, 3);
	assert_event(&ev, 1, CRD_WEIGHT_WARNING,
		     "CRD disk 'ext2.crd' of unit 'mu1' changed from 'NOT_ACCESSIBLE' to 'STALE'");
	unit_stop_clean(&r, 0);
}

/* ---- region jobs at free ---- */

struct count_job {
	struct crd_rjob job;
	int *ran, *done, *cancelled;
};

static void count_run(struct crd_rjob *j, const struct crd_region_disks *rd)
{
	(*((struct count_job *)j)->ran)++;
}

static void count_done(struct crd_rjob *j)
{
	struct count_job *c = (struct count_job *)j;

	(*c->done)++;
	*c->cancelled += j->cancelled;
}

static void test_region_jobs_done_or_cancelled_at_free(void **state)
{
	struct crd_unit *u = unit_start(1, CRD_UNIT_MU, false, NULL, NULL);
	struct count_job jobs[5];
	int ran = 0, done = 0, cancelled = 0;
	struct crd_rjob bad = {0};

	for (int i = 0; i < 5; i++) {
		jobs[i] = (struct count_job){{.run = count_run, .done = count_done}, &ran, &done,
					     &cancelled};
		assert_int_equal(crd_unit_region_submit(u, &jobs[i].job), 0);
	}
	assert_int_equal(crd_unit_region_submit(u, &bad), -EINVAL);
	assert_null(crd_unit_region_writer(u, 7));
	assert_non_null(crd_unit_region_writer(u, 1));
	assert_non_null(crd_unit_region_writer(u, 0));
	crd_unit_free(u); /* without stop: every job gets done(), run or cancelled */
	assert_int_equal(done, 5);
	assert_int_equal(ran + cancelled, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_renew_callback_reports_advertised_values, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_observer_alive_then_left, setup, teardown),
		cmocka_unit_test_setup_teardown(test_observer_killed_unit_dead_after_dead_bound,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_observer_skips_rounds_on_slow_disk, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_crd_status_disk_fails_and_resyncs, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_crd_status_read_failure_does_not_flap, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_region_jobs_done_or_cancelled_at_free, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
