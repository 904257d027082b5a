/* test_unit_replace.c — the online `sectl crd replace` (crd.md §1; unit.h
 * crd_unit_replace, unit_set.c) with real units on real CRD files in this process: the
 * Master MU replaces ext2 by ext3 without a step-down, every unit moves to the new set
 * (events, statuses, its slot renewed on ext3), ext2 is RETIRED, and a unit that reads the
 * old disk only learns the new set from the paths record there. Also the refusals of
 * crd_unit_replace, and force-master's -EALREADY / -ENOTSUP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crd/format.h"
#include "crd/lease.h"
#include "crd/timing.h"
#include "crd/unit.h"
#include "lib/clock.h"
#include "lib/fault.h"

#define NU 3
#define DISK_SIZE (64ull << 20)

static struct {
	char dir[64];
	char ext[3][128]; /* ext1, ext2, ext3 (the new disk) */
	char link1[128];  /* another path to ext1: faults for one unit only */
} T;

static int setup(void **state)
{
	struct crd_format_opts o = {.role = CRD_ROLE_EXTERNAL, .n_paths = 2, .size = DISK_SIZE,
				    .region0_copy = 256u << 10, .unit_copy = 64u << 10,
				    .unsafe_fs = true, .force = true};
	struct sec_err err = {0};

	snprintf(T.dir, sizeof(T.dir), "/tmp/test_unit_replace.XXXXXX");
	if (!mkdtemp(T.dir))
		return -1;
	for (int i = 0; i < 3; i++)
		snprintf(T.ext[i], sizeof(T.ext[i]), "%s/ext%d", T.dir, i + 1);
	snprintf(T.link1, sizeof(T.link1), "%s/ext1-link", T.dir);
	if (symlink(T.ext[0], T.link1) < 0)
		return -1;
	crd_uuid_random(&o.cluster_id);
	o.paths[0] = T.ext[0];
	o.paths[1] = T.ext[1];
	if (crd_format(&o, &err) < 0)
		fail_msg("format: %s", err.msg);
	return 0;
}

static int teardown(void **state)
{
	fault_clear_all();
	for (int i = 0; i < 3; i++)
		unlink(T.ext[i]);
	unlink(T.link1);
	rmdir(T.dir);
	return 0;
}

static uint64_t now_ms(void)
{
	return clock_boottime_ns() / NSEC_PER_MSEC;
}

struct events {
	int n;
	char msg[64][sizeof(((struct crd_status_event *)0)->msg)];
};

static void on_event(void *arg, const struct crd_status_event *ev)
{
	struct events *e = arg;

	if (e->n < 64)
		snprintf(e->msg[e->n], sizeof(e->msg[e->n]), "%s", ev->msg);
	e->n++;
}

static bool has_event(const struct events *e, const char *msg)
{
	for (int i = 0; i < e->n && i < 64; i++)
		if (!strcmp(e->msg[i], msg))
			return true;
	return false;
}

struct beliefs {
	int started, ended;
};

static void on_belief(void *arg, bool held, uint64_t now, uint64_t until, uint64_t term)
{
	struct beliefs *b = arg;

	if (held && !b->started)
		b->started = 1;
	if (!held)
		b->ended++;
}

static struct crd_unit *unit_start(uint32_t id, enum crd_unit_role role, const char *ext1,
				   struct events *ev, struct beliefs *bel)
{
	char name[16];
	struct crd_unit_cfg cfg = {
		.unit_id = id, .role = role, .n_external = 2, .unsafe_fs = true,
		.timing = crd_timing_profile(CRD_PROFILE_TEST), .observe = role == CRD_UNIT_MU,
		.crd_event_cb = on_event, .crd_event_arg = ev,
		.belief_cb = bel ? on_belief : NULL, .belief_arg = bel, .name = name,
	};
	struct crd_unit *u = NULL;
	struct sec_err err = {0};

	snprintf(name, sizeof(name), "%s%u", role == CRD_UNIT_MU ? "mu" : "su", id);
	cfg.identity.b[0] = 0x77;
	cfg.identity.b[15] = (uint8_t)id;
	cfg.external[0] = ext1;
	cfg.external[1] = T.ext[1];
	if (crd_unit_start(&cfg, &u, &err) < 0)
		fail_msg("unit %u: %s", id, err.msg);
	return u;
}

struct run {
	struct crd_unit *u[NU];
};

static void run_once(struct run *r)
{
	struct pollfd pfd[NU * CRD_UNIT_FDS_MAX];
	uint64_t now = clock_boottime_ns(), next = now + 50 * NSEC_PER_MSEC;
	int n = 0;

	for (int i = 0; i < NU; i++) {
		int fds[CRD_UNIT_FDS_MAX], k;
		if (!r->u[i])
			continue;
		k = crd_unit_fds(r->u[i], fds);
		for (int j = 0; j < k; j++)
			pfd[n++] = (struct pollfd){.fd = fds[j], .events = POLLIN};
		if (crd_unit_next_ns(r->u[i]) < next)
			next = crd_unit_next_ns(r->u[i]);
	}
	poll(pfd, (nfds_t)n, next > now ? (int)((next - now) / NSEC_PER_MSEC) + 1 : 0);
	for (int i = 0; i < NU; i++)
		if (r->u[i])
			crd_unit_run(r->u[i]);
}

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

static void stop_all(struct run *r)
{
	uint64_t end = now_ms() + 5000;
	bool all;

	for (int i = 0; i < NU; i++)
		if (r->u[i])
			crd_unit_stop(r->u[i], false);
	do {
		run_once(r);
		all = true;
		for (int i = 0; i < NU; i++)
			all &= !r->u[i] || crd_unit_stopped(r->u[i]);
	} while (!all && now_ms() < end);
	for (int i = 0; i < NU; i++)
		r->u[i] = crd_unit_free(r->u[i]);
}

struct replaced {
	bool done;
	struct crd_unit_replace_result res;
};

static void on_replaced(void *arg, const struct crd_unit_replace_result *res)
{
	struct replaced *p = arg;

	p->done = true;
	p->res = *res;
}

static bool replace_done(void *arg)
{
	return ((struct replaced *)arg)->done;
}

/* Every unit uses ext3 at position 2, and its CRD disks are NORMAL again (resynced). */
static bool all_on_ext3(void *arg)
{
	struct run *r = arg;

	for (int i = 0; i < NU; i++) {
		enum crd_disk_status d[CRD_SET_DISKS_MAX];
		uint32_t n;
		if (!r->u[i])
			continue;
		if (strcmp(crd_unit_disk_name(r->u[i], 1), "ext3") ||
		    crd_unit_crd_status(r->u[i], d, &n) != CRD_UNIT_NORMAL)
			return false;
	}
	return true;
}

/* The counter of unit id's slot on a disk file (plain read). */
static uint64_t slot_counter(const char *path, uint32_t id)
{
	_Alignas(8) uint8_t block[CRD_BLOCK];
	struct crd_slot s;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, block, CRD_BLOCK, (off_t)(64u << 10) +
						     (off_t)(id - 1) * CRD_BLOCK),
			 CRD_BLOCK);
	close(fd);
	return crd_slot_in(block, &s) == 0 ? s.counter : 0;
}

struct slots_q {
	uint64_t base[NU + 1];
	uint32_t ids[NU];
};

static bool slots_renewed_on_ext3(void *arg)
{
	struct slots_q *q = arg;

	for (int i = 0; i < NU; i++)
		if (slot_counter(T.ext[2], q->ids[i]) < q->base[i] + 5)
			return false;
	return true;
}

static void test_online_replace_no_step_down_all_follow(void **state)
{
	struct events ev[NU] = {{0}};
	struct beliefs bel[2] = {{0}};
	struct run r = {{unit_start(1, CRD_UNIT_MU, T.ext[0], &ev[0], &bel[0]),
			 unit_start(2, CRD_UNIT_MU, T.ext[0], &ev[1], &bel[1]),
			 unit_start(17, CRD_UNIT_SU, T.link1, &ev[2], NULL)}};
	struct replaced rep = {0};
	struct sec_err err = {0};
	struct crd_sb sb;
	int m = -1;
	uint64_t deadline = now_ms() + 8000;

	while (m < 0 && now_ms() < deadline) {
		run_once(&r);
		for (int i = 0; i < 2; i++)
			if (crd_unit_master(r.u[i]).held)
				m = i;
	}
	assert_true(m >= 0);
	assert_int_equal(bel[m].ended, 0);
	/* the refusals first */
	assert_int_equal(crd_unit_replace(r.u[1 - m], "ext2", T.ext[2], on_replaced, &rep, &err),
			 -EPERM);
	assert_int_equal(crd_unit_replace(r.u[m], "ext9", T.ext[2], on_replaced, &rep, &err),
			 -ENOENT);
	assert_non_null(strstr(err.msg, "its disks: 'ext1', 'ext2'"));
	assert_int_equal(crd_unit_replace(r.u[m], "ext2", "ext3", on_replaced, &rep, &err),
			 -EINVAL);
	assert_int_equal(crd_unit_replace(r.u[m], "ext2", T.ext[0], on_replaced, &rep, &err),
			 -EINVAL);
	assert_int_equal(crd_unit_force_master(r.u[m]), -EALREADY);
	assert_int_equal(crd_unit_force_master(r.u[2]), -ENOTSUP);

	/* the SU reads ext2 only (its path to ext1 fails): it learns the new set from ext2 */
	char pattern[160];
	struct fault_spec fail = {.action = FAULT_FAIL, .arg = EIO};
	snprintf(pattern, sizeof(pattern), "crd.*:%s", T.link1);
	assert_int_equal(fault_set(pattern, &fail), 0);

	assert_int_equal(crd_unit_replace(r.u[m], T.ext[1], T.ext[2], on_replaced, &rep, &err), 0);
	assert_int_equal(crd_unit_replace(r.u[m], "ext2", "/x", on_replaced, &rep, &err), -EBUSY);
	assert_true(run_until(&r, replace_done, &rep, 20000));
	assert_int_equal(rep.res.result, 0);
	assert_int_equal(rep.res.generation, 2);
	assert_true(rep.res.old_retired);
	assert_string_equal(rep.res.old_name, "ext2");
	assert_string_equal(rep.res.old_note, "'ext2' marked RETIRED");
	fault_clear_all();
	assert_true(run_until(&r, all_on_ext3, &r, 20000));
	assert_true(crd_unit_master(r.u[m]).held);
	assert_int_equal(bel[m].ended, 0); /* no step-down */
	assert_int_equal(bel[1 - m].started, 0);

	/* the disks: ext2 RETIRED, ext1 and ext3 in the set of generation 2 */
	assert_int_equal(crd_disk_open_check(T.ext[1], NULL, &sb, &err), -ESTALE);
	assert_int_equal(crd_disk_open_check(T.ext[0], NULL, &sb, &err), 0);
	assert_int_equal(sb.set.generation, 2);
	assert_int_equal(crd_disk_open_check(T.ext[2], NULL, &sb, &err), 0);
	assert_int_equal(sb.set.generation, 2);

	/* every unit renews its slot on ext3 */
	struct slots_q q = {.ids = {1, 2, 17}};
	for (int i = 0; i < NU; i++)
		q.base[i] = slot_counter(T.ext[2], q.ids[i]);
	assert_true(run_until(&r, slots_renewed_on_ext3, &q, 10000));
	uint64_t old2 = slot_counter(T.ext[1], 2);
	run_until(&r, slots_renewed_on_ext3, &(struct slots_q){.ids = {1, 2, 17},
			.base = {q.base[0] + 5, q.base[1] + 5, q.base[2] + 5}}, 10000);
	assert_int_equal(slot_counter(T.ext[1], 2), old2); /* nobody writes ext2 any more */

	/* the events of the switch, on each unit */
	for (int i = 0; i < NU; i++) {
		char a[256], b[256];
		snprintf(a, sizeof(a), "Unit '%s%u' uses CRD disk 'ext3' in place of 'ext2' (disk "
			 "set generation 2)", i < 2 ? "mu" : "su", i < 2 ? i + 1 : 17);
		assert_true(has_event(&ev[i], a));
		snprintf(b, sizeof(b), "CRD disk 'ext3' of unit '%s%u' changed from 'STALE' to "
			 "'NORMAL'", i < 2 ? "mu" : "su", i < 2 ? i + 1 : 17);
		assert_true(has_event(&ev[i], b));
	}
	assert_true(has_event(&ev[1 - m], m == 0 ? "Unit 'mu2' stopped using CRD disk 'ext2': "
						  "not in the CRD disk set generation 2 (replaced "
						  "by 'sectl crd replace')"
						: "Unit 'mu1' stopped using CRD disk 'ext2': "
						  "not in the CRD disk set generation 2 (replaced "
						  "by 'sectl crd replace')"));
	stop_all(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_online_replace_no_step_down_all_follow,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
