/* test_io_stress.c — a stress driver for the thread hand-offs of the CRD disk layer
 * (src/crd/io.c, leasedrv.c; testing.md tier "tsan"). It runs in the plain and ASan unit
 * tiers too, but its purpose is ThreadSanitizer (build-tsan): many submitter threads, callbacks
 * that resubmit from the disk threads, timeouts through the `delay` fault, shutdown with
 * requests in flight, and the lease driver's disk-thread -> owner queue + eventfd under
 * toggled faults. Each test asserts what a user of io.h/leasedrv.h relies on: every accepted
 * request completes exactly once, never after crd_io_free() returned, and the lease is won.
 * About 2-4 s in all. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <stdatomic.h>

#include "crd_fixture.h"
#include "crd/format.h"
#include "crd/leasedrv.h"
#include "crd/ondisk.h"
#include "crd/timing.h"
#include "lib/err.h"

static struct fx F;

#define DISK_SIZE (8ull << 20)
#define SUBMITTERS 4
#define REQ_MAX 4096 /* every request of a run, by id */
#define RESUBMITS 3  /* each callback resubmits a request this many times along its chain */

/* ---- crd_io under several submitters ---- */

struct stress {
	atomic_int accepted;   /* crd_io_submit() returned 0 */
	atomic_int completed;  /* callbacks */
	atomic_int twice;      /* a request's callback ran a second time */
	atomic_int after_free; /* a callback ran after crd_io_free() returned */
	atomic_int timedout, canceled, again, ok;
	atomic_bool io_freed;
	atomic_bool stop;
	atomic_int next_id;
	atomic_uchar seen[REQ_MAX];
	uint64_t seed[SUBMITTERS];
};

static struct stress S;

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void stress_cb(struct crd_io_req *req, void *arg);

/* Builds one request: a block read/write (HIGH) or a 3-chunk region write (REGION), some
 * with a not_after already past or close. tag = its id; cb_arg = chain depth left. */
static struct crd_io_req *stress_req(uint64_t *rng, intptr_t depth)
{
	uint64_t r = xorshift(rng);
	int id = atomic_fetch_add(&S.next_id, 1);
	struct crd_io_req *req;

	if (id >= REQ_MAX)
		return NULL;
	if (r % 8 == 0) {
		req = crd_io_req_new(CRD_IO_WRITE, 1ull << 20, 3 * CRD_IO_CHUNK - CRD_BLOCK);
		if (req)
			req->prio = CRD_IO_PRIO_REGION;
	} else {
		req = crd_io_req_new(r % 2 ? CRD_IO_WRITE : CRD_IO_READ, (r >> 8) % 64 * CRD_BLOCK,
				     CRD_BLOCK);
	}
	assert_non_null(req);
	if (req->op == CRD_IO_WRITE)
		memset(req->buf, (int)(r >> 16), req->len);
	if (r % 16 == 3)
		req->not_after_ns = clock_boottime_ns() + (r >> 20) % 3 * NSEC_PER_MSEC;
	req->tag = (uint64_t)id;
	req->cb = stress_cb;
	req->cb_arg = (void *)depth;
	return req;
}

static int stress_submit(uint64_t *rng, intptr_t depth)
{
	struct crd_io_req *req = stress_req(rng, depth);
	int r;

	if (!req)
		return -ENOSPC;
	r = crd_io_submit(F.io, (int)(xorshift(rng) % 2), req);
	if (r == 0)
		atomic_fetch_add(&S.accepted, 1);
	return r;
}

/* On a disk thread or the timeout thread: account, and resubmit down the chain. */
static void stress_cb(struct crd_io_req *req, void *arg)
{
	intptr_t depth = (intptr_t)arg;
	uint64_t rng = req->tag * 0x9e3779b97f4a7c15ull + 1;

	if (atomic_load(&S.io_freed))
		atomic_fetch_add(&S.after_free, 1);
	if (req->tag < REQ_MAX && atomic_exchange(&S.seen[req->tag], 1))
		atomic_fetch_add(&S.twice, 1);
	switch (req->result) {
	case 0: atomic_fetch_add(&S.ok, 1); break;
	case -ETIMEDOUT: atomic_fetch_add(&S.timedout, 1); break;
	case -ECANCELED: atomic_fetch_add(&S.canceled, 1); break;
	case -EAGAIN: atomic_fetch_add(&S.again, 1); break;
	default: break;
	}
	atomic_fetch_add(&S.completed, 1);
	if (depth > 0 && req->result != -ECANCELED && !atomic_load(&S.stop))
		stress_submit(&rng, depth - 1);
}

static void *submitter_main(void *arg)
{
	uint64_t *rng = arg;

	while (!atomic_load(&S.stop)) {
		/* pacing: at most ~64 requests in flight, so the run lasts and faults hit */
		if (atomic_load(&S.accepted) - atomic_load(&S.completed) > 64) {
			fx_nap();
			continue;
		}
		int r = stress_submit(rng, RESUBMITS);
		if (r == -ENOSPC)
			break;
		if (r == -EAGAIN) /* a disk is NOT_ACCESSIBLE: let the timed-out I/O return */
			fx_nap();
	}
	return NULL;
}

static bool stress_enough(void *arg)
{
	return atomic_load(&S.next_id) >= *(int *)arg;
}

/* Repairs STALE disks the way the layer above does after a resync (crd_io_disk_set_state). */
static void stress_unstale(void)
{
	for (int i = 0; i < 2; i++)
		crd_io_disk_set_state(F.io, i, CRD_DISK_STALE, CRD_DISK_NORMAL);
}

static bool stress_timed_out_once(void *arg)
{
	stress_unstale();
	return atomic_load(&S.timedout) > 0 || atomic_load(&S.next_id) >= REQ_MAX;
}

static void test_io_stress_submitters(void **state)
{
	struct fault_spec delay = {.action = FAULT_DELAY, .arg = 150, .count = 2};
	pthread_t th[SUBMITTERS];
	int want = 2000;

	memset(&S, 0, sizeof(S));
	fx_setup(&F, 2, 60, DISK_SIZE);
	for (int i = 0; i < SUBMITTERS; i++) {
		S.seed[i] = 0x1234567ull * (uint64_t)(i + 1);
		assert_int_equal(pthread_create(&th[i], NULL, submitter_main, &S.seed[i]), 0);
	}
	/* a write on d1 sleeps 150 ms > io_timeout 60 ms, twice: -ETIMEDOUT, NOT_ACCESSIBLE,
	 * -EAGAIN, then STALE, while the submitters go on */
	assert_int_equal(fault_set("crd.write:*/d1", &delay), 0);
	assert_true(fx_wait(stress_timed_out_once, NULL, 10000));
	assert_true(fx_wait(stress_enough, &want, 20000));
	atomic_store(&S.stop, true);
	for (int i = 0; i < SUBMITTERS; i++)
		pthread_join(th[i], NULL);
	/* shutdown with requests in flight: region writes queued, callbacks resubmitting */
	fault_clear_all();
	for (int i = 0; i < 8; i++) {
		uint64_t rng = 77 + (uint64_t)i;
		stress_submit(&rng, RESUBMITS);
	}
	F.io = crd_io_free(F.io);
	atomic_store(&S.io_freed, true);
	print_message("# stress: %d accepted, %d ok, %d timed out, %d again, %d canceled\n",
		      atomic_load(&S.accepted), atomic_load(&S.ok), atomic_load(&S.timedout),
		      atomic_load(&S.again), atomic_load(&S.canceled));
	assert_int_equal(atomic_load(&S.completed), atomic_load(&S.accepted));
	assert_int_equal(atomic_load(&S.twice), 0);
	assert_true(atomic_load(&S.timedout) > 0);
	assert_true(atomic_load(&S.ok) > want / 2);
	fx_teardown(&F); /* waits until the delayed syscalls have returned */
	assert_int_equal(atomic_load(&S.after_free), 0);
	assert_int_equal(atomic_load(&S.completed), atomic_load(&S.accepted));
}

/* ---- the lease driver: disk-thread -> owner queue + eventfd ---- */

struct drv_run {
	atomic_int beliefs;     /* belief_cb(held = true) calls */
	atomic_bool stop;
	atomic_int syscalls_after_free;
	atomic_bool io_freed;
	char dir[64];
	char path[2][128];
	int n;
};

static struct drv_run D;
static struct sys_ops drv_sys_ops;

static ssize_t drv_pread(int fd, void *buf, size_t len, off_t off)
{
	if (atomic_load(&D.io_freed))
		atomic_fetch_add(&D.syscalls_after_free, 1);
	return sys_ops_real.pread(fd, buf, len, off);
}

static ssize_t drv_pwrite(int fd, const void *buf, size_t len, off_t off)
{
	if (atomic_load(&D.io_freed))
		atomic_fetch_add(&D.syscalls_after_free, 1);
	return sys_ops_real.pwrite(fd, buf, len, off);
}

static void drv_belief(void *arg, bool held, uint64_t now_ns, uint64_t until_ns, uint64_t term)
{
	if (held)
		atomic_fetch_add(&D.beliefs, 1);
}

/* Toggles faults on the lease disks while the owner runs: short delays on reads, single
 * failed writes, a delay past io_timeout now and then. */
static void *toggler_main(void *arg)
{
	uint64_t rng = 0xfeedull;

	while (!atomic_load(&D.stop)) {
		uint64_t r = xorshift(&rng);
		char pat[160];
		struct fault_spec s = {0};

		snprintf(pat, sizeof(pat), "crd.%s:*/d%d", r % 2 ? "read" : "write",
			 (int)((r >> 4) % (uint64_t)D.n));
		switch ((r >> 8) % 4) {
		case 0: s = (struct fault_spec){.action = FAULT_DELAY, .arg = 5, .count = 3}; break;
		case 1: s = (struct fault_spec){.action = FAULT_FAIL, .arg = EIO, .count = 1}; break;
		case 2: s = (struct fault_spec){.action = FAULT_DELAY, .arg = 250, .count = 1}; break;
		default: fault_clear_all(); break;
		}
		if (s.action)
			fault_set(pat, &s);
		struct timespec ts = {0, 40 * 1000000L}; /* pacing of the fault changes only */
		nanosleep(&ts, NULL);
	}
	fault_clear_all();
	return NULL;
}

static void drv_once(int ndisks)
{
	struct crd_disk *disks[2] = {NULL};
	struct crd_io *io = NULL;
	struct crd_leasedrv *dr = NULL;
	struct crd_sb sb;
	struct sec_err err = {0};
	struct crd_timing t = crd_timing_profile(CRD_PROFILE_TEST);
	pthread_t toggler;

	memset(&D, 0, sizeof(D));
	D.n = ndisks;
	snprintf(D.dir, sizeof(D.dir), "/tmp/sec-stress-XXXXXX");
	assert_non_null(mkdtemp(D.dir));
	struct crd_format_opts o = {.role = CRD_ROLE_EXTERNAL, .n_paths = (unsigned)ndisks,
				    .size = 512ull << 20, .region0_copy = 1ull << 20,
				    .unit_copy = 256ull << 10, .unsafe_fs = true};
	memset(&o.cluster_id, 0x5c, sizeof(o.cluster_id));
	for (int i = 0; i < ndisks; i++) {
		snprintf(D.path[i], sizeof(D.path[i]), "%s/d%d", D.dir, i);
		o.paths[i] = D.path[i];
	}
	if (crd_format(&o, &err) < 0)
		fail_msg("format: %s", err.msg);
	drv_sys_ops = sys_ops_real;
	drv_sys_ops.pread = drv_pread;
	drv_sys_ops.pwrite = drv_pwrite;
	sys_ops = &drv_sys_ops;
	for (int i = 0; i < ndisks; i++) {
		if (crd_disk_open_check(D.path[i], NULL, &sb, &err) < 0 ||
		    crd_disk_open(D.path[i], &disks[i], &err) < 0)
			fail_msg("open: %s", err.msg);
	}
	struct crd_io_cfg iocfg = {.io_timeout_ms = t.io_ms};
	assert_int_equal(crd_io_new(&iocfg, disks, ndisks, &io), 0);
	struct crd_leasedrv_cfg cfg = {
		.lease = {.unit_id = 1, .incarnation = 42, .timing = t, .ndisks = ndisks,
			  .max_lease_ms = t.lease_ms, .seed = 42},
		.geo = sb.geo,
		.belief_cb = drv_belief,
	};
	for (int i = 0; i < ndisks; i++)
		cfg.disks[i] = i;
	assert_int_equal(crd_leasedrv_new(io, &cfg, &dr), 0);
	assert_int_equal(pthread_create(&toggler, NULL, toggler_main, NULL), 0);

	/* the owner: a poll loop, ~2 s, and on until a first belief (deadline 30 s: a loaded
	 * machine may need longer than 2 s to acquire under the toggled faults) */
	uint64_t end = clock_boottime_ns() + 2000 * NSEC_PER_MSEC;
	uint64_t hard_end = clock_boottime_ns() + 30000 * NSEC_PER_MSEC;
	while (clock_boottime_ns() < end ||
	       (atomic_load(&D.beliefs) == 0 && clock_boottime_ns() < hard_end)) {
		uint64_t now = clock_boottime_ns(), next = crd_leasedrv_next_ns(dr);
		int timeout = next <= now ? 0 : (int)((next - now) / NSEC_PER_MSEC) + 1;
		struct pollfd pfd = {.fd = crd_leasedrv_fd(dr), .events = POLLIN};

		poll(&pfd, 1, timeout > 50 ? 50 : timeout);
		crd_leasedrv_run(dr);
	}
	atomic_store(&D.stop, true);
	pthread_join(toggler, NULL);
	/* the driver first, with requests in flight: they complete into its detached queue */
	dr = crd_leasedrv_free(dr);
	io = crd_io_free(io);
	atomic_store(&D.io_freed, true);
	int orphans = crd_io_orphans();
	print_message("# lease driver on %d disk(s): %d belief(s)\n", ndisks,
		      atomic_load(&D.beliefs));
	assert_true(atomic_load(&D.beliefs) >= 1);
	/* a disk thread detached on a delayed syscall may still finish it (io.h "Shutdown");
	 * none of them may start another one */
	if (!orphans)
		assert_int_equal(atomic_load(&D.syscalls_after_free), 0);
	assert_true(fx_wait(fx_quiet, NULL, 10000));
	sys_ops = &sys_ops_real;
}

static void test_leasedrv_stress_one_disk(void **state)
{
	drv_once(1);
}

static void test_leasedrv_stress_two_disks(void **state)
{
	drv_once(2);
}

static int drv_td(void **state)
{
	atomic_store(&D.stop, true);
	fault_clear_all();
	fx_wait(fx_quiet, NULL, 10000);
	sys_ops = &sys_ops_real;
	for (int i = 0; i < D.n; i++)
		unlink(D.path[i]);
	if (D.dir[0])
		rmdir(D.dir);
	return 0;
}

static int fx_td(void **state)
{
	fx_teardown(&F);
	memset(&F, 0, sizeof(F));
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_io_stress_submitters, fx_td),
		cmocka_unit_test_teardown(test_leasedrv_stress_one_disk, drv_td),
		cmocka_unit_test_teardown(test_leasedrv_stress_two_disks, drv_td),
	};
	return cmocka_run_group_tests_name("io_stress", tests, NULL, NULL);
}
