/* test_alive.c — alive messages, self-fencing and liveness verdicts (crd.md §4). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "crd/alive.h"
#include "crd/timing.h"
#include "lib/clock.h"
#include "lib/crc32c.h"

#define MS NSEC_PER_MSEC

/* The test profile: fence 2 s + W 0.5 s + 2 * io 0.3 s + margin 0.3 s = 3.4 s. */
#define BOUND_TEST (3400 * MS)

static struct crd_alive_self self_make(uint32_t unit, enum crd_fencing f, enum crd_profile p)
{
	struct crd_alive_self me;
	memset(&me, 0, sizeof(me));
	me.unit_id = unit;
	me.role = CRD_UNIT_SU;
	memset(me.identity.b, 0x11 * (int)unit, 16);
	memset(me.machine_id.b, 0x5a, 16);
	me.incarnation = 1000 + unit;
	me.fencing = f;
	me.timing = crd_timing_profile(p);
	return me;
}

static uint32_t slot_crc(const struct crd_slot *s)
{
	return crc32c(0, s, sizeof(*s)); /* stands in for the crc of the encoded block */
}

static struct crd_slot_read rd(uint32_t disk, uint64_t issue, uint64_t complete,
			       const struct crd_slot *s)
{
	struct crd_slot_read r;
	memset(&r, 0, sizeof(r));
	r.disk = disk;
	r.issue_ns = issue;
	r.complete_ns = complete;
	r.decode = 0;
	r.slot = *s;
	r.raw_crc = slot_crc(s);
	return r;
}

static struct crd_slot_read rd_fail(uint32_t disk, uint64_t issue, uint64_t complete, int err)
{
	struct crd_slot_read r;
	memset(&r, 0, sizeof(r));
	r.disk = disk;
	r.result = err;
	r.issue_ns = issue;
	r.complete_ns = complete;
	return r;
}

static enum crd_alive_verdict_kind feed(struct crd_alive_obs *o, struct crd_slot_read r)
{
	crd_alive_obs_feed(o, &r);
	return crd_alive_obs_verdict(o).verdict;
}

static struct crd_slot slot_of(const struct crd_alive_self *me, uint64_t counter,
			       enum crd_slot_state st)
{
	struct crd_slot s;
	uint64_t c = counter - 1;
	crd_alive_next_slot(me, &c, st, 0, &s);
	return s;
}

/* Dead exactly when a read issued >= first completion + dead_bound confirms the bytes. */
static void test_dead_after_bound_not_earlier(void **state)
{
	struct crd_alive_self me = self_make(3, CRD_FENCING_SELF, CRD_PROFILE_TEST);
	struct crd_slot s = slot_of(&me, 42, CRD_SLOT_RUNNING);
	assert_true(crd_dead_bound_ms(&me.timing) * MS == BOUND_TEST);

	/* several splits of the first read: the watch starts at its completion */
	static const uint64_t first_issue[] = {0, 1000 * MS, 5000 * MS};
	static const uint64_t first_lat[] = {1, 250 * MS, 2999 * MS};
	for (size_t k = 0; k < 3; k++) {
		struct crd_alive_obs o;
		crd_alive_obs_init(&o, 3, 1, 1);
		uint64_t fc = first_issue[k] + first_lat[k];
		assert_int_equal(feed(&o, rd(0, first_issue[k], fc, &s)), CRD_ALIVE_ALIVE);
		/* issued one ns too early, completed long after the bound: never confirms */
		assert_int_equal(feed(&o, rd(0, fc + BOUND_TEST - 1, fc + 10 * BOUND_TEST, &s)),
				 CRD_ALIVE_ALIVE);
		/* issued just before first completion (overlap): never confirms */
		assert_int_equal(feed(&o, rd(0, fc - 1, fc + 2 * BOUND_TEST, &s)), CRD_ALIVE_ALIVE);
		/* issued exactly dead_bound after the first completion: dead */
		struct crd_slot_read ok = rd(0, fc + BOUND_TEST, fc + BOUND_TEST + 1, &s);
		assert_int_equal(feed(&o, ok), CRD_ALIVE_DEAD);
		struct crd_alive_verdict v = crd_alive_obs_verdict(&o);
		assert_int_equal(v.reason, CRD_ALIVE_R_STALE);
		assert_true(v.evidence_ns == fc + BOUND_TEST);
		assert_true(v.last_change_ns == fc);
	}
}

/* Any change restarts the watch from the changed read's completion. */
static void test_change_resets(void **state)
{
	struct crd_alive_self me = self_make(3, CRD_FENCING_SELF, CRD_PROFILE_TEST);
	struct crd_slot a = slot_of(&me, 1, CRD_SLOT_RUNNING);
	struct crd_slot b = slot_of(&me, 2, CRD_SLOT_RUNNING);
	struct crd_alive_obs o;
	crd_alive_obs_init(&o, 3, 1, 1);
	assert_int_equal(feed(&o, rd(0, 0, 10 * MS, &a)), CRD_ALIVE_ALIVE);
	assert_int_equal(feed(&o, rd(0, 3000 * MS, 3010 * MS, &b)), CRD_ALIVE_ALIVE);
	/* would have confirmed a, but b is watched now: counts from 3010 ms */
	assert_int_equal(feed(&o, rd(0, 3410 * MS, 3420 * MS, &b)), CRD_ALIVE_ALIVE);
	assert_int_equal(feed(&o, rd(0, 3010 * MS + BOUND_TEST - 1, 6500 * MS, &b)),
			 CRD_ALIVE_ALIVE);
	assert_int_equal(feed(&o, rd(0, 3010 * MS + BOUND_TEST, 6500 * MS, &b)), CRD_ALIVE_DEAD);
	/* it comes back: alive at once */
	struct crd_slot c = slot_of(&me, 3, CRD_SLOT_RUNNING);
	assert_int_equal(feed(&o, rd(0, 7000 * MS, 7001 * MS, &c)), CRD_ALIVE_ALIVE);
	/* a new incarnation with the same counter is a change too */
	struct crd_alive_self me2 = me;
	me2.incarnation++;
	struct crd_slot c2 = slot_of(&me2, 3, CRD_SLOT_RUNNING);
	assert_int_equal(feed(&o, rd(0, 7000 * MS + BOUND_TEST, 10500 * MS, &c2)), CRD_ALIVE_ALIVE);
}

/* N = 2: dead only when both disks are read and both stale; one disk changing keeps U alive. */
static void test_n2_one_disk_changing(void **state)
{
	struct crd_alive_self me = self_make(4, CRD_FENCING_SELF, CRD_PROFILE_TEST);
	struct crd_slot old = slot_of(&me, 10, CRD_SLOT_RUNNING);
	struct crd_alive_obs o;
	crd_alive_obs_init(&o, 4, 2, 1);
	/* D2 not read yet: a record on D1 within its dead_bound is life already */
	assert_int_equal(feed(&o, rd(0, 0, 1 * MS, &old)), CRD_ALIVE_ALIVE);
	assert_int_equal(crd_alive_obs_verdict(&o).reason, CRD_ALIVE_R_CHANGING);
	assert_int_equal(feed(&o, rd(1, 0, 1 * MS, &old)), CRD_ALIVE_ALIVE);
	uint64_t t = 0;
	for (uint64_t c = 11; c < 60; c++) { /* U renews on D2 only, for 10 s */
		t += 200 * MS;
		struct crd_slot s = slot_of(&me, c, CRD_SLOT_RUNNING);
		assert_int_equal(feed(&o, rd(0, t, t + MS, &old)), CRD_ALIVE_ALIVE);
		assert_int_equal(feed(&o, rd(1, t, t + MS, &s)), CRD_ALIVE_ALIVE);
	}
	/* U stops: D2's last bytes must now age dead_bound too */
	struct crd_slot last = slot_of(&me, 59, CRD_SLOT_RUNNING);
	uint64_t fc = t + MS;
	assert_int_equal(feed(&o, rd(1, fc + BOUND_TEST - 1, fc + BOUND_TEST, &last)),
			 CRD_ALIVE_ALIVE);
	/* D1 has been stale for long; D2's bytes are stale now too */
	assert_int_equal(feed(&o, rd(1, fc + BOUND_TEST, fc + BOUND_TEST + MS, &last)),
			 CRD_ALIVE_DEAD);
	assert_true(crd_alive_obs_verdict(&o).evidence_ns == t); /* D1's last read */
}

/* N = 2 with one disk unreadable: alive while the other disk's record is within its
 * dead_bound, then undeterminable, never dead; readable again: decides. */
static void test_n2_one_disk_unreadable(void **state)
{
	struct crd_alive_self me = self_make(4, CRD_FENCING_SELF, CRD_PROFILE_TEST);
	struct crd_slot s = slot_of(&me, 10, CRD_SLOT_RUNNING);
	struct crd_alive_obs o;
	crd_alive_obs_init(&o, 4, 2, 1);
	feed(&o, rd(0, 0, MS, &s));
	feed(&o, rd(1, 0, MS, &s));
	assert_int_equal(feed(&o, rd_fail(1, 100 * MS, 400 * MS, -ETIMEDOUT)), CRD_ALIVE_ALIVE);
	for (uint64_t t = 200 * MS; t < 60000 * MS; t += 200 * MS) {
		/* D1's bytes unchanged: alive until a read issued dead_bound after their first
		 * completion (1 ms) confirms them, then undeterminable (D2 cannot tell) */
		enum crd_alive_verdict_kind want = t < MS + BOUND_TEST ? CRD_ALIVE_ALIVE
								       : CRD_ALIVE_UNDETERMINABLE;
		assert_int_equal(feed(&o, rd(0, t, t + MS, &s)), want);
		assert_int_equal(feed(&o, rd_fail(1, t, t + MS, -EIO)), want);
	}
	struct crd_alive_verdict v = crd_alive_obs_verdict(&o);
	assert_int_equal(v.reason, CRD_ALIVE_R_UNREADABLE);
	assert_string_equal(crd_alive_reason_to_string(v.reason),
			    "remote SU state cannot be determined");
	/* D2 readable again and unchanged since its first read: both stale → dead */
	assert_int_equal(feed(&o, rd(1, 60000 * MS, 60001 * MS, &s)), CRD_ALIVE_DEAD);
	/* N = 1 with D1 unreadable: undeterminable as well */
	struct crd_alive_obs o1;
	crd_alive_obs_init(&o1, 4, 1, 1);
	assert_int_equal(feed(&o1, rd_fail(0, 0, MS, -EIO)), CRD_ALIVE_UNDETERMINABLE);
	/* a read of a disk index beyond N is ignored */
	assert_int_equal(feed(&o1, rd(1, 0, MS, &s)), CRD_ALIVE_UNDETERMINABLE);
}

/* N = 2, one disk down for the observer while U renews on the other: alive throughout
 * (the verdict that matters here: RECOVER is refused as "still running", not offered with
 * a confirmation); U stops: undeterminable after dead_bound, never dead. An empty or LEFT
 * slot on the readable disk is no sign of life. crd.md §4, §5 table. */
static void test_n2_disk_down_unit_renewing(void **state)
{
	struct crd_alive_self me = self_make(4, CRD_FENCING_SELF, CRD_PROFILE_TEST);
	struct crd_alive_obs o;
	crd_alive_obs_init(&o, 4, 2, 1);
	uint64_t t = 0, c = 1;
	struct crd_slot last;
	for (; t < 30000 * MS; t += 200 * MS, c++) { /* RESTARTING counts like RUNNING */
		last = slot_of(&me, c, c % 2 ? CRD_SLOT_RUNNING : CRD_SLOT_RESTARTING);
		assert_int_equal(feed(&o, rd(0, t, t + MS, &last)), CRD_ALIVE_ALIVE);
		assert_int_equal(feed(&o, rd_fail(1, t, t + MS, -EIO)), CRD_ALIVE_ALIVE);
	}
	uint64_t fc = t - 200 * MS + MS;
	for (; t < fc + 10 * BOUND_TEST; t += 200 * MS) {
		enum crd_alive_verdict_kind want = t < fc + BOUND_TEST ? CRD_ALIVE_ALIVE
								       : CRD_ALIVE_UNDETERMINABLE;
		assert_int_equal(feed(&o, rd(0, t, t + MS, &last)), want);
		assert_int_equal(feed(&o, rd_fail(1, t, t + MS, -EIO)), want);
	}
	assert_int_equal(crd_alive_obs_verdict(&o).reason, CRD_ALIVE_R_UNREADABLE);

	/* LEFT on the readable disk, the other unreadable: undeterminable at once */
	struct crd_slot left = slot_of(&me, c + 1, CRD_SLOT_LEFT);
	assert_int_equal(feed(&o, rd(0, t, t + MS, &left)), CRD_ALIVE_UNDETERMINABLE);
	/* an empty slot and a disk not read yet: not read, no sign of life */
	struct crd_slot zero;
	memset(&zero, 0, sizeof(zero));
	struct crd_slot_read e = rd(0, 0, MS, &zero);
	e.decode = -ENODATA;
	crd_alive_obs_init(&o, 4, 2, 3400);
	assert_int_equal(feed(&o, e), CRD_ALIVE_UNDETERMINABLE);
	assert_int_equal(crd_alive_obs_verdict(&o).reason, CRD_ALIVE_R_NOT_READ);
}

static void test_left_dead_at_once(void **state)
{
	struct crd_alive_self me = self_make(5, CRD_FENCING_SELF, CRD_PROFILE_TEST);
	struct crd_slot run = slot_of(&me, 7, CRD_SLOT_RUNNING);
	struct crd_slot left = slot_of(&me, 8, CRD_SLOT_LEFT);
	struct crd_alive_obs o;
	crd_alive_obs_init(&o, 5, 1, 1);
	feed(&o, rd(0, 0, MS, &run));
	assert_int_equal(feed(&o, rd(0, 200 * MS, 201 * MS, &left)), CRD_ALIVE_DEAD);
	struct crd_alive_verdict v = crd_alive_obs_verdict(&o);
	assert_int_equal(v.reason, CRD_ALIVE_R_LEFT);
	assert_true(v.evidence_ns == 200 * MS);
	assert_true(crd_alive_verdict_fresh(&v, 499 * MS, 300));
	assert_false(crd_alive_verdict_fresh(&v, 500 * MS, 300));
	/* it starts again: RUNNING is a change, alive */
	struct crd_slot back = slot_of(&me, 9, CRD_SLOT_RUNNING);
	assert_int_equal(feed(&o, rd(0, 400 * MS, 401 * MS, &back)), CRD_ALIVE_ALIVE);
	assert_false(crd_alive_verdict_fresh(&(struct crd_alive_verdict){
		.verdict = CRD_ALIVE_ALIVE}, 0, 300));

	/* N = 2: LEFT on one disk while the other keeps changing is not dead */
	struct crd_alive_obs o2;
	crd_alive_obs_init(&o2, 5, 2, 1);
	feed(&o2, rd(0, 0, MS, &left));
	assert_int_equal(feed(&o2, rd(1, 0, MS, &run)), CRD_ALIVE_ALIVE);
	assert_int_equal(feed(&o2, rd(1, 200 * MS, 201 * MS, &back)), CRD_ALIVE_ALIVE);
	assert_int_equal(feed(&o2, rd(1, 400 * MS, 401 * MS, &left)), CRD_ALIVE_DEAD);
}

static void test_restarting_like_running(void **state)
{
	struct crd_alive_self me = self_make(6, CRD_FENCING_SELF, CRD_PROFILE_TEST);
	struct crd_slot s = slot_of(&me, 3, CRD_SLOT_RESTARTING);
	struct crd_alive_obs o;
	crd_alive_obs_init(&o, 6, 1, 1);
	assert_int_equal(feed(&o, rd(0, 0, 20 * MS, &s)), CRD_ALIVE_ALIVE);
	assert_int_equal(feed(&o, rd(0, 20 * MS + BOUND_TEST - 1, 4 * BOUND_TEST, &s)),
			 CRD_ALIVE_ALIVE);
	assert_int_equal(feed(&o, rd(0, 20 * MS + BOUND_TEST, 4 * BOUND_TEST, &s)),
			 CRD_ALIVE_DEAD);
	assert_int_equal(crd_alive_obs_verdict(&o).reason, CRD_ALIVE_R_STALE);
}

static void test_policy_none_never_dead(void **state)
{
	struct crd_alive_self me = self_make(7, CRD_FENCING_NONE, CRD_PROFILE_TEST);
	struct crd_slot s = slot_of(&me, 3, CRD_SLOT_RUNNING);
	struct crd_slot left = slot_of(&me, 4, CRD_SLOT_LEFT);
	struct crd_alive_obs o;
	crd_alive_obs_init(&o, 7, 1, 1);
	for (uint64_t t = 0; t < 100 * BOUND_TEST; t += BOUND_TEST / 2)
		assert_int_equal(feed(&o, rd(0, t, t + MS, &s)), CRD_ALIVE_UNDETERMINABLE);
	assert_int_equal(crd_alive_obs_verdict(&o).reason, CRD_ALIVE_R_FENCING_NONE);
	assert_int_equal(feed(&o, rd(0, 200 * BOUND_TEST, 200 * BOUND_TEST, &left)),
			 CRD_ALIVE_UNDETERMINABLE);
	/* the policy last advertised counts, also when the bytes later fail their CRC */
	struct crd_slot_read bad = rd(0, 300 * BOUND_TEST, 300 * BOUND_TEST, &s);
	bad.decode = -EILSEQ;
	bad.raw_crc ^= 1;
	assert_int_equal(feed(&o, bad), CRD_ALIVE_UNDETERMINABLE);
	bad.issue_ns += 10 * BOUND_TEST;
	assert_int_equal(feed(&o, bad), CRD_ALIVE_UNDETERMINABLE);
}

/* A scenario: U renews every 200 ms until stop_ns, the observer polls every 200 ms from
 * 100 ms with 5 ms reads. Returns the issue time of the poll that first says DEAD. The
 * unit stamps wall_ns from the (fake) wall clock; jumps move only that clock. */
static uint64_t run_scenario(bool jump)
{
	struct crd_alive_self me = self_make(8, CRD_FENCING_SELF, CRD_PROFILE_TEST);
	clock_fake_enable(10000 * NSEC_PER_SEC);
	struct crd_alive_obs o;
	crd_alive_obs_init(&o, 8, 1, 1);
	uint64_t t0 = clock_boottime_ns(), counter = 0, stop = t0 + 2000 * MS;
	struct crd_slot cur;
	crd_alive_next_slot(&me, &counter, CRD_SLOT_RUNNING, clock_wall_ns(), &cur);
	uint64_t dead_at = 0;
	for (uint64_t t = t0; t < t0 + 20000 * MS; t += 100 * MS) {
		uint64_t now = clock_boottime_ns();
		assert_true(now == t);
		if (jump && t == t0 + 1000 * MS)
			clock_fake_jump_wall(-3600 * (int64_t)NSEC_PER_SEC);
		if (jump && t == t0 + 3000 * MS)
			clock_fake_jump_wall(86400 * (int64_t)NSEC_PER_SEC);
		if ((t - t0) % (200 * MS) == 0 && t < stop)
			crd_alive_next_slot(&me, &counter, CRD_SLOT_RUNNING, clock_wall_ns(), &cur);
		if ((t - t0) % (200 * MS) == 100 * MS) {
			struct crd_slot_read r = rd(0, now, now + 5 * MS, &cur);
			if (feed(&o, r) == CRD_ALIVE_DEAD && !dead_at)
				dead_at = now - t0;
		}
		clock_fake_advance(100 * MS);
	}
	clock_fake_disable();
	return dead_at;
}

static void test_wall_clock_jump_changes_nothing(void **state)
{
	uint64_t plain = run_scenario(false);
	uint64_t jumped = run_scenario(true);
	assert_true(plain != 0);
	assert_true(plain == jumped);
	/* last change read at 1900 ms, completed 1905 ms; the first poll issued >= 5305 ms */
	assert_true(plain == 5500 * MS);
}

/* dead_bound is the OBSERVED unit's advertised value, not the observer's. */
static void test_bound_is_advertised(void **state)
{
	struct crd_alive_self prod = self_make(9, CRD_FENCING_SELF, CRD_PROFILE_PRODUCTION);
	struct crd_slot s = slot_of(&prod, 1, CRD_SLOT_RUNNING);
	struct crd_alive_obs o; /* the observer runs the test profile: 3.4 s */
	crd_alive_obs_init(&o, 9, 1, 3400);
	feed(&o, rd(0, 0, 0, &s));
	assert_true(crd_alive_obs_bound_ns(&o, 0) == 100000 * MS);
	assert_int_equal(feed(&o, rd(0, BOUND_TEST, BOUND_TEST, &s)), CRD_ALIVE_ALIVE);
	assert_int_equal(feed(&o, rd(0, 99999 * MS, 99999 * MS, &s)), CRD_ALIVE_ALIVE);
	assert_int_equal(feed(&o, rd(0, 100000 * MS, 100000 * MS, &s)), CRD_ALIVE_DEAD);

	/* and a unit with a shorter bound than the observer's is dead sooner */
	struct crd_alive_self fast = self_make(10, CRD_FENCING_SELF, CRD_PROFILE_TEST);
	fast.timing.fence_ms = 1000; /* 1000 + 500 + 600 + 300 = 2400 ms */
	struct crd_slot f = slot_of(&fast, 1, CRD_SLOT_RUNNING);
	crd_alive_obs_init(&o, 10, 1, 100000);
	feed(&o, rd(0, 0, 0, &f));
	assert_int_equal(feed(&o, rd(0, 2399 * MS, 2399 * MS, &f)), CRD_ALIVE_ALIVE);
	assert_int_equal(feed(&o, rd(0, 2400 * MS, 2400 * MS, &f)), CRD_ALIVE_DEAD);
}

/* Bytes that fail their CRC are timed with the caller's fallback bound. */
static void test_bad_crc_uses_fallback(void **state)
{
	struct crd_alive_self me = self_make(11, CRD_FENCING_SELF, CRD_PROFILE_TEST);
	struct crd_slot s = slot_of(&me, 1, CRD_SLOT_RUNNING);
	struct crd_slot_read r = rd(0, 0, 0, &s);
	r.decode = -EILSEQ;
	struct crd_alive_obs o;
	crd_alive_obs_init(&o, 11, 1, 6200);
	assert_int_equal(feed(&o, r), CRD_ALIVE_ALIVE);
	r.issue_ns = r.complete_ns = 6199 * MS;
	assert_int_equal(feed(&o, r), CRD_ALIVE_ALIVE);
	crd_alive_obs_set_fallback(&o, 7000);
	r.issue_ns = r.complete_ns = 6200 * MS;
	assert_int_equal(feed(&o, r), CRD_ALIVE_ALIVE);
	r.issue_ns = r.complete_ns = 7000 * MS;
	assert_int_equal(feed(&o, r), CRD_ALIVE_DEAD);
}

static void test_never_seen(void **state)
{
	struct crd_slot zero;
	memset(&zero, 0, sizeof(zero));
	struct crd_slot_read r = rd(0, 0, 0, &zero);
	r.decode = -ENODATA;
	struct crd_alive_obs o;
	crd_alive_obs_init(&o, 12, 2, 3400);
	feed(&o, r);
	r.disk = 1;
	assert_int_equal(feed(&o, r), CRD_ALIVE_NEVER_SEEN);
	r.issue_ns = 100 * BOUND_TEST;
	assert_int_equal(feed(&o, r), CRD_ALIVE_NEVER_SEEN);
	assert_int_equal(crd_alive_obs_verdict(&o).reason, CRD_ALIVE_R_EMPTY);
	/* it appears on D2 only (D1 unreachable for it): alive */
	struct crd_alive_self me = self_make(12, CRD_FENCING_SELF, CRD_PROFILE_TEST);
	struct crd_slot s = slot_of(&me, 1, CRD_SLOT_RUNNING);
	assert_int_equal(feed(&o, rd(1, 101 * BOUND_TEST, 101 * BOUND_TEST, &s)), CRD_ALIVE_ALIVE);
	assert_string_equal(crd_alive_verdict_to_string(CRD_ALIVE_NEVER_SEEN), "NEVER_SEEN");
}

static void test_own_slot_check(void **state)
{
	struct crd_alive_self me = self_make(3, CRD_FENCING_SELF, CRD_PROFILE_TEST);
	struct sec_err err;
	uint64_t counter = 99;
	assert_int_equal(crd_alive_own_slot_check(&me, -ENODATA, NULL, &counter, &err), 0);
	assert_true(counter == 0);
	assert_int_equal(crd_alive_own_slot_check(&me, -EILSEQ, NULL, &counter, &err), 0);

	struct crd_alive_self prev = me;
	prev.incarnation = 7;
	struct crd_slot s = slot_of(&prev, 500, CRD_SLOT_RESTARTING);
	assert_int_equal(crd_alive_own_slot_check(&me, 0, &s, &counter, &err), 1);
	assert_true(counter == 500);

	struct crd_alive_self other = me;
	memset(other.identity.b, 0xee, 16);
	s = slot_of(&other, 5, CRD_SLOT_RUNNING);
	memset(&err, 0, sizeof(err));
	assert_int_equal(crd_alive_own_slot_check(&me, 0, &s, &counter, &err), -EEXIST);
	assert_int_equal(err.code, -EEXIST);
	assert_string_equal(err.msg, "duplicate unit id 3: its slot holds identity "
				     "'eeeeeeee-eeee-eeee-eeee-eeeeeeeeeeee', this unit is "
				     "'33333333-3333-3333-3333-333333333333' (if that unit's data "
				     "directory was lost: stop it everywhere, then 'sectl crd "
				     "release-slot --unit-id 3' on the external CRD disks)");
	other = me;
	memset(other.machine_id.b, 0x01, 16);
	s = slot_of(&other, 5, CRD_SLOT_RUNNING);
	assert_int_equal(crd_alive_own_slot_check(&me, 0, &s, &counter, &err), -EEXIST);
	assert_non_null(strstr(err.msg, "duplicate unit id 3"));
	s = slot_of(&me, 5, CRD_SLOT_RUNNING);
	s.unit_id = 4;
	assert_int_equal(crd_alive_own_slot_check(&me, 0, &s, &counter, NULL), -EEXIST);
}

static void test_next_slot(void **state)
{
	struct crd_alive_self me = self_make(3, CRD_FENCING_SELF, CRD_PROFILE_LAB);
	uint64_t counter = 41;
	struct crd_slot s;
	crd_alive_next_slot(&me, &counter, CRD_SLOT_RESTARTING, 12345, &s);
	assert_true(counter == 42 && s.counter == 42);
	assert_int_equal(s.unit_id, 3);
	assert_int_equal(s.role, CRD_UNIT_SU);
	assert_int_equal(s.state, CRD_SLOT_RESTARTING);
	assert_int_equal(s.fencing, CRD_FENCING_SELF);
	assert_true(s.incarnation == me.incarnation);
	assert_true(s.wall_ns == 12345);
	assert_memory_equal(s.identity.b, me.identity.b, 16);
	assert_memory_equal(s.machine_id.b, me.machine_id.b, 16);
	assert_memory_equal(&s.timing, &me.timing, sizeof(s.timing));
	assert_true(crd_dead_bound_ms(&s.timing) == 6200);
}

static void test_self_fence(void **state)
{
	struct crd_renewals r;
	const uint32_t fence = 2000;
	crd_renewals_init(&r, 1);
	assert_true(crd_alive_fenced(&r, fence, 0));
	assert_true(crd_alive_not_after_ns(&r, fence) == UINT64_MAX);
	crd_renewals_note(&r, 0, 1000 * MS);
	assert_false(crd_alive_fenced(&r, fence, 2999 * MS));
	assert_true(crd_alive_fenced(&r, fence, 3000 * MS));
	assert_true(crd_alive_not_after_ns(&r, fence) == 3000 * MS);
	crd_renewals_note(&r, 0, 500 * MS); /* an older issue time changes nothing */
	assert_true(crd_alive_not_after_ns(&r, fence) == 3000 * MS);
	/* N = 1: a renewal on another disk does not count */
	crd_renewals_note(&r, 1, 2500 * MS);
	assert_true(crd_alive_fenced(&r, fence, 3000 * MS));

	/* N = 2: a renewal on either disk keeps the SU unfenced */
	crd_renewals_init(&r, 2);
	crd_renewals_note(&r, 0, 1000 * MS);
	crd_renewals_note(&r, 1, 2000 * MS);
	assert_false(crd_alive_fenced(&r, fence, 3999 * MS));
	assert_true(crd_alive_fenced(&r, fence, 4000 * MS));
	assert_true(crd_alive_not_after_ns(&r, fence) == 4000 * MS);
	uint64_t last;
	assert_true(crd_renewals_last(&r, &last) && last == 2000 * MS);
	crd_renewals_init(&r, 2);
	crd_renewals_note(&r, 1, 1000 * MS);
	assert_false(crd_alive_fenced(&r, fence, 2999 * MS));
	assert_true(crd_alive_fenced(&r, fence, 3000 * MS));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dead_after_bound_not_earlier),
		cmocka_unit_test(test_change_resets),
		cmocka_unit_test(test_n2_one_disk_changing),
		cmocka_unit_test(test_n2_one_disk_unreadable),
		cmocka_unit_test(test_n2_disk_down_unit_renewing),
		cmocka_unit_test(test_left_dead_at_once),
		cmocka_unit_test(test_restarting_like_running),
		cmocka_unit_test(test_policy_none_never_dead),
		cmocka_unit_test(test_wall_clock_jump_changes_nothing),
		cmocka_unit_test(test_bound_is_advertised),
		cmocka_unit_test(test_bad_crc_uses_fallback),
		cmocka_unit_test(test_never_seen),
		cmocka_unit_test(test_own_slot_check),
		cmocka_unit_test(test_next_slot),
		cmocka_unit_test(test_self_fence),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
