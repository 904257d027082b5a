/* test_io.c — the CRD disk threads (src/crd/disk.c, io.c; crd.md §1 I/O rules, §5 R1):
 * real files, real threads, faults through the named fault points. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "crd_fixture.h"
#include "crd/ondisk.h"

static struct fx F;

static int fx_td(void **state)
{
	fx_teardown(&F);
	memset(&F, 0, sizeof(F));
	return 0;
}

#define DISK_SIZE (4ull << 20)

static struct crd_io_req *req_write(uint64_t off, size_t len, int fill)
{
	struct crd_io_req *req = crd_io_req_new(CRD_IO_WRITE, off, len);

	assert_non_null(req);
	memset(req->buf, fill, len);
	return req;
}

/* A read that returns io_timeout or more after its issue, before the timeout thread saw it
 * (a stopped process resuming), is a timeout: its bytes may be stale (tests/sim finding 7).
 * The fake clock jumps inside the syscall; the timeout thread waits on real time. */
static ssize_t slow_pread(int fd, void *buf, size_t len, off_t off)
{
	/* a slow disk: 20 ms of real time (the timeout thread has looked at the deadline by then
	 * and waits on real time), in which the boot clock moves past io_timeout */
	struct timespec ts = {0, 20000000L};
	nanosleep(&ts, NULL);
	clock_fake_advance(2001 * NSEC_PER_MSEC);
	return sys_ops_real.pread(fd, buf, len, off);
}

static int fx_td_clock(void **state)
{
	clock_fake_disable(); /* also when an assertion failed mid-test */
	fx_sys_ops.pread = sys_ops_real.pread;
	return fx_td(state);
}

static void test_io_late_success_is_timeout(void **state)
{
	struct crd_io_req *r;

	fx_setup(&F, 1, 2000, DISK_SIZE);
	clock_fake_enable(1000 * NSEC_PER_SEC);
	fx_sys_ops.pread = slow_pread;
	r = crd_io_req_new(CRD_IO_READ, 8192, CRD_BLOCK);
	assert_int_equal(crd_io_run(F.io, 0, r), -ETIMEDOUT);
	assert_true(r->complete_ns == r->issue_ns + 2000 * NSEC_PER_MSEC);
	crd_io_req_unref(r);
	fx_sys_ops.pread = sys_ops_real.pread;
	clock_fake_disable();
}

static void test_io_roundtrip(void **state)
{
	struct crd_io_req *w, *r;
	uint8_t file[CRD_BLOCK];

	fx_setup(&F, 2, 2000, DISK_SIZE);
	assert_true(crd_io_disk(F.io, 0)->direct); /* /tmp is a local fs: O_DIRECT works */
	w = req_write(8192, CRD_BLOCK, 0x5a);
	assert_int_equal(crd_io_run(F.io, 1, w), 0);
	assert_true(w->issue_ns > 0 && w->complete_ns >= w->issue_ns);
	crd_io_req_unref(w);
	/* the write is in the file, followed by an fdatasync on that fd */
	fx_file_read(&F, 1, 8192, file, sizeof(file));
	assert_int_equal(file[0], 0x5a);
	assert_int_equal(file[CRD_BLOCK - 1], 0x5a);
	assert_int_equal(fx_nops, 2);
	assert_int_equal(fx_ops[0].op, 'w');
	assert_int_equal(fx_ops[1].op, 's');
	assert_int_equal(fx_ops[1].fd, fx_fd(&F, 1));
	r = crd_io_req_new(CRD_IO_READ, 8192, CRD_BLOCK);
	assert_int_equal(crd_io_run(F.io, 1, r), 0);
	assert_int_equal(((uint8_t *)r->buf)[100], 0x5a);
	crd_io_req_unref(r);
	/* misaligned and unknown disks are refused without a callback */
	r = crd_io_req_new(CRD_IO_READ, 100, CRD_BLOCK);
	assert_int_equal(crd_io_run(F.io, 0, r), -EINVAL);
	crd_io_req_unref(r);
	r = crd_io_req_new(CRD_IO_READ, 0, CRD_BLOCK);
	assert_int_equal(crd_io_run(F.io, 3, r), -ENODEV);
	crd_io_req_unref(r);
}

static bool hang_reached(void *arg)
{
	/* the hung syscall has been issued once the timeout thread could see it */
	return crd_io_disk_state(F.io, 0) == CRD_DISK_NOT_ACCESSIBLE;
}

static bool disk0_stale(void *arg)
{
	return crd_io_disk_state(F.io, 0) == CRD_DISK_STALE;
}

/* A hung disk: timeout reported at io_timeout while the I/O still hangs, the other disk
 * goes on, -EAGAIN until the hung I/O returns, then STALE. */
static void test_io_hang_timeout(void **state)
{
	struct fault_spec hang = {.action = FAULT_HANG};
	struct fx_done done;
	struct crd_io_req *a, *b, *c;
	uint64_t t0;

	fx_setup(&F, 2, 300, DISK_SIZE);
	fx_done_init(&done);
	assert_int_equal(fault_set("crd.write:*/d0", &hang), 0);
	a = req_write(0, CRD_BLOCK, 1);
	a->tag = 1;
	a->cb = fx_done_cb;
	a->cb_arg = &done;
	b = crd_io_req_new(CRD_IO_READ, 0, CRD_BLOCK); /* queued behind the hung write */
	b->tag = 2;
	b->cb = fx_done_cb;
	b->cb_arg = &done;
	t0 = fx_now_ms();
	assert_int_equal(crd_io_submit(F.io, 0, a), 0);
	assert_int_equal(crd_io_submit(F.io, 0, b), 0);

	/* the other disk's thread is not blocked: a write there completes at once */
	c = req_write(0, CRD_BLOCK, 2);
	assert_int_equal(crd_io_run(F.io, 1, c), 0);
	assert_true(fx_done_wait(&done, 0, 0) == 0); /* d0 still hangs */
	crd_io_req_unref(c);

	/* both complete: the hung write with -ETIMEDOUT at exactly issue + io_timeout, the
	 * queued read with -EAGAIN; not from the submitter's thread */
	assert_int_equal(fx_done_wait(&done, 2, 10000), 2);
	for (int i = 0; i < 2; i++) {
		assert_false(pthread_equal(done.thread[i], pthread_self()));
		if (done.tag[i] == 1) {
			assert_int_equal(done.result[i], -ETIMEDOUT);
			assert_true(done.complete_ns[i] - done.issue_ns[i] == 300 * NSEC_PER_MSEC);
			assert_true(done.seen_ms[i] - t0 >= 300);
		} else {
			assert_int_equal(done.tag[i], 2);
			assert_int_equal(done.result[i], -EAGAIN);
		}
	}
	/* the syscall still hangs: the disk is NOT_ACCESSIBLE and refuses new requests */
	char point[200];
	snprintf(point, sizeof(point), "crd.write:%s", F.path[0]);
	assert_true(fault_active(point));
	assert_true(hang_reached(NULL));
	c = crd_io_req_new(CRD_IO_READ, 0, CRD_BLOCK);
	assert_int_equal(crd_io_run(F.io, 0, c), -EAGAIN);
	crd_io_req_unref(c);
	assert_int_equal(crd_io_disk_set_state(F.io, 0, CRD_DISK_NOT_ACCESSIBLE, CRD_DISK_NORMAL),
			 -EINVAL);

	/* the I/O returns: the disk needs probe and resync, its late result is not reported */
	fault_clear_all();
	assert_true(fx_wait(disk0_stale, NULL, 10000));
	assert_int_equal(fx_done_wait(&done, 3, 0), 2);
	c = crd_io_req_new(CRD_IO_READ, 0, CRD_BLOCK);
	assert_int_equal(crd_io_run(F.io, 0, c), 0);
	assert_int_equal(((uint8_t *)c->buf)[0], 1); /* the hung write did land */
	crd_io_req_unref(c);
	assert_int_equal(crd_io_disk_set_state(F.io, 0, CRD_DISK_STALE, CRD_DISK_NORMAL), 0);
	assert_int_equal(crd_io_disk_state(F.io, 0), CRD_DISK_NORMAL);
	assert_int_equal(crd_io_disk_set_state(F.io, 0, CRD_DISK_STALE, CRD_DISK_NORMAL), -ESTALE);
}

struct clock_past {
	uint64_t t;
};

static bool clock_passed(void *arg)
{
	return clock_boottime_ns() > ((struct clock_past *)arg)->t;
}

/* R1: not_after is checked in the disk thread right before the syscall, also for a request
 * that was queued while it was still valid. */
static void test_io_not_after(void **state)
{
	struct fault_spec hang = {.action = FAULT_HANG};
	struct fx_done done;
	struct crd_io_req *w, *h;
	uint8_t file[CRD_BLOCK], zero[CRD_BLOCK] = {0};
	struct clock_past p;

	fx_setup(&F, 1, 10000, DISK_SIZE);
	fx_done_init(&done);
	/* already expired */
	w = req_write(CRD_BLOCK, CRD_BLOCK, 7);
	w->not_after_ns = clock_boottime_ns();
	assert_int_equal(crd_io_run(F.io, 0, w), -ETIME);
	assert_true(w->issue_ns == 0);
	crd_io_req_unref(w);
	/* valid when queued behind a hung read, expired when its turn comes */
	assert_int_equal(fault_set("crd.read:*/d0", &hang), 0);
	h = crd_io_req_new(CRD_IO_READ, 0, CRD_BLOCK);
	h->cb = fx_done_cb;
	h->cb_arg = &done;
	assert_int_equal(crd_io_submit(F.io, 0, h), 0);
	w = req_write(CRD_BLOCK, CRD_BLOCK, 7);
	w->tag = 9;
	w->not_after_ns = p.t = clock_boottime_ns() + 50 * NSEC_PER_MSEC;
	w->cb = fx_done_cb;
	w->cb_arg = &done;
	assert_int_equal(crd_io_submit(F.io, 0, w), 0);
	assert_true(fx_wait(clock_passed, &p, 5000));
	fault_clear_all();
	assert_int_equal(fx_done_wait(&done, 2, 10000), 2);
	assert_int_equal(done.result[0], 0);
	assert_int_equal(done.tag[1], 9);
	assert_int_equal(done.result[1], -ETIME);
	fx_file_read(&F, 0, CRD_BLOCK, file, sizeof(file));
	assert_memory_equal(file, zero, sizeof(file)); /* nothing written */
	for (int i = 0; i < fx_nops; i++)
		assert_int_not_equal(fx_ops[i].op, 'w');
}

struct land {
	int disk;
	uint8_t want;
};

static bool landed(void *arg)
{
	struct land *l = arg;
	uint8_t file[CRD_BLOCK];

	fx_file_read(&F, l->disk, 0, file, sizeof(file));
	return file[0] == l->want && file[CRD_BLOCK - 1] == l->want;
}

/* Fault `late`: the caller sees -ETIMEDOUT at once, the write lands afterwards. */
static void test_io_late_landing(void **state)
{
	struct fault_spec late = {.action = FAULT_LATE, .arg = 300, .count = 1};
	struct land l = {.disk = 0, .want = 0x77};
	struct crd_io_req *w;
	uint64_t reported, landed_ms;

	fx_setup(&F, 1, 2000, DISK_SIZE);
	assert_int_equal(fault_set("crd.write:*/d0", &late), 0);
	w = req_write(0, CRD_BLOCK, 0x77);
	assert_int_equal(crd_io_run(F.io, 0, w), -ETIMEDOUT);
	reported = fx_now_ms();
	crd_io_req_unref(w);
	assert_false(landed(&l)); /* not yet: it lands 300 ms later */
	assert_int_equal(crd_disk_late_pending(), 1);
	assert_int_equal(crd_io_disk_state(F.io, 0), CRD_DISK_STALE);
	assert_true(fx_wait(landed, &l, 10000));
	landed_ms = fx_now_ms();
	assert_true(landed_ms > reported);
	assert_true(fx_wait(fx_quiet, NULL, 10000));
}

static bool order_seen(void *arg)
{
	return fx_done_wait(arg, 2, 0) == 2;
}

/* Slot/lease I/O before region I/O; region I/O in chunks of at most 256 KiB. */
static void test_io_priority_and_chunks(void **state)
{
	struct fault_spec hang = {.action = FAULT_HANG};
	struct fx_done done;
	struct crd_io_req *h, *region, *lease;
	size_t big = 1u << 20;

	fx_setup(&F, 1, 10000, DISK_SIZE);
	fx_done_init(&done);
	assert_int_equal(fault_set("crd.read:*/d0", &hang), 0);
	h = crd_io_req_new(CRD_IO_READ, 0, CRD_BLOCK); /* holds the thread */
	assert_int_equal(crd_io_submit(F.io, 0, h), 0);
	region = req_write(1u << 20, big, 3);
	region->prio = CRD_IO_PRIO_REGION;
	region->tag = 1;
	region->cb = fx_done_cb;
	region->cb_arg = &done;
	lease = req_write(CRD_LEASE_OFF, CRD_BLOCK, 4);
	lease->tag = 2;
	lease->cb = fx_done_cb;
	lease->cb_arg = &done;
	assert_int_equal(crd_io_submit(F.io, 0, region), 0);
	assert_int_equal(crd_io_submit(F.io, 0, lease), 0);
	fault_clear_all();
	assert_true(fx_wait(order_seen, &done, 10000));
	assert_int_equal(done.tag[0], 2); /* the lease write, submitted second, went first */
	assert_int_equal(done.result[0], 0);
	assert_int_equal(done.tag[1], 1);
	assert_int_equal(done.result[1], 0);
	/* 1 lease pwrite + fdatasync, then 4 region chunks and one fdatasync at the end */
	int writes = 0, syncs = 0;
	for (int i = 0; i < fx_nops; i++) {
		if (fx_ops[i].op == 'w') {
			writes++;
			assert_true(fx_ops[i].len <= CRD_IO_CHUNK);
		} else {
			syncs++;
		}
	}
	assert_int_equal(writes, 5);
	assert_int_equal(syncs, 2);
	assert_int_equal(fx_ops[0].off, CRD_LEASE_OFF);
	assert_int_equal(fx_ops[fx_nops - 1].op, 's');
}

/* Shutdown with a hung disk does not wait for it: the thread is detached. */
static void test_io_shutdown_hung(void **state)
{
	struct fault_spec hang = {.action = FAULT_HANG};
	struct fx_done done;
	struct crd_io_req *w;
	uint64_t t0;

	fx_setup(&F, 2, 200, DISK_SIZE);
	fx_done_init(&done);
	assert_int_equal(fault_set("crd.write:*/d1", &hang), 0);
	w = req_write(0, CRD_BLOCK, 1);
	w->cb = fx_done_cb;
	w->cb_arg = &done;
	assert_int_equal(crd_io_submit(F.io, 1, w), 0);
	assert_int_equal(fx_done_wait(&done, 1, 10000), 1);
	assert_int_equal(done.result[0], -ETIMEDOUT);
	t0 = fx_now_ms();
	F.io = crd_io_free(F.io);
	assert_true(fx_now_ms() - t0 < 5000);
	assert_int_equal(crd_io_orphans(), 1);
	fault_clear_all();
	assert_true(fx_wait(fx_quiet, NULL, 10000));
	assert_int_equal(fx_done_wait(&done, 2, 0), 1); /* never reported again */
}

/* Requests still queued at shutdown complete with -ECANCELED before crd_io_free returns. */
static void test_io_shutdown_cancels(void **state)
{
	struct fault_spec hang = {.action = FAULT_HANG};
	struct fx_done done;
	struct crd_io_req *w;

	fx_setup(&F, 1, 300, DISK_SIZE);
	fx_done_init(&done);
	assert_int_equal(fault_set("crd.read:*/d0", &hang), 0);
	w = crd_io_req_new(CRD_IO_READ, 0, CRD_BLOCK);
	w->cb = fx_done_cb;
	w->cb_arg = &done;
	assert_int_equal(crd_io_submit(F.io, 0, w), 0);
	/* free before the timeout: waits up to io_timeout, then detaches and cancels */
	F.io = crd_io_free(F.io);
	assert_int_equal(fx_done_wait(&done, 1, 0), 1);
	assert_int_equal(done.result[0], -ECANCELED);
	fault_clear_all();
	assert_true(fx_wait(fx_quiet, NULL, 10000));
}

/* Faults `fail`, `tear` and `delay` at the disk layer. */
static void test_disk_faults(void **state)
{
	struct fault_spec fail = {.action = FAULT_FAIL, .arg = ENOSPC, .count = 1};
	struct fault_spec tear = {.action = FAULT_TEAR, .arg = 2 * CRD_BLOCK, .count = 1};
	struct fault_spec delay = {.action = FAULT_DELAY, .arg = 50, .count = 1};
	struct crd_io_req *w;
	uint8_t file[4 * CRD_BLOCK];

	fx_setup(&F, 1, 5000, DISK_SIZE);
	assert_int_equal(fault_set("crd.write:*/d0", &fail), 0);
	w = req_write(0, 4 * CRD_BLOCK, 9);
	assert_int_equal(crd_io_run(F.io, 0, w), -ENOSPC);
	crd_io_req_unref(w);
	assert_int_equal(fault_set("crd.write:*/d0", &tear), 0);
	w = req_write(0, 4 * CRD_BLOCK, 9);
	assert_int_equal(crd_io_run(F.io, 0, w), -EIO);
	crd_io_req_unref(w);
	fx_file_read(&F, 0, 0, file, sizeof(file));
	assert_int_equal(file[2 * CRD_BLOCK - 1], 9);
	assert_int_equal(file[2 * CRD_BLOCK], 0); /* torn after two blocks */
	assert_int_equal(fault_set("crd.read:*/d0", &delay), 0);
	w = crd_io_req_new(CRD_IO_READ, 0, CRD_BLOCK);
	assert_int_equal(crd_io_run(F.io, 0, w), 0);
	assert_true(w->complete_ns - w->issue_ns >= 50 * NSEC_PER_MSEC);
	crd_io_req_unref(w);
}


/* Online replace (crd.md §1): a disk is detached while its I/O hangs — the hung request and
 * the queued one complete at once with -ECANCELED, the index refuses new requests — and a
 * new disk is attached in its place; the hung syscall's later return is dropped. */
static void test_io_detach_attach(void **state)
{
	struct fault_spec hang = {.action = FAULT_HANG};
	struct fx_done done;
	struct crd_io_req *a, *b, *c;
	struct crd_disk *nd;
	struct sec_err err = {0};
	char newpath[160];
	uint8_t file[CRD_BLOCK];
	int idx = -1, fd;

	fx_setup(&F, 2, 300, DISK_SIZE);
	fx_done_init(&done);
	snprintf(newpath, sizeof(newpath), "%s/new", F.dir);
	fd = open(newpath, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
	assert_true(fd >= 0 && ftruncate(fd, (off_t)DISK_SIZE) == 0);
	close(fd);
	assert_int_equal(fault_set("crd.write:*/d0", &hang), 0);
	a = req_write(0, CRD_BLOCK, 1);
	a->tag = 1;
	a->cb = fx_done_cb;
	a->cb_arg = &done;
	b = crd_io_req_new(CRD_IO_READ, 0, CRD_BLOCK);
	b->tag = 2;
	b->cb = fx_done_cb;
	b->cb_arg = &done;
	assert_int_equal(crd_io_submit(F.io, 0, a), 0);
	assert_int_equal(crd_io_submit(F.io, 0, b), 0);
	assert_int_equal(crd_io_detach(F.io, 0), 0);
	assert_int_equal(fx_done_wait(&done, 2, 0), 2); /* before detach returned */
	assert_int_equal(done.result[0], -ECANCELED);
	assert_int_equal(done.result[1], -ECANCELED);
	assert_int_equal(crd_io_detach(F.io, 0), -ENODEV);
	assert_int_equal(crd_io_disk_state(F.io, 0), CRD_DISK_NOT_CONFIGURED);
	c = crd_io_req_new(CRD_IO_READ, 0, CRD_BLOCK);
	assert_int_equal(crd_io_run(F.io, 0, c), -ENODEV);
	crd_io_req_unref(c);

	assert_int_equal(crd_disk_open(newpath, &nd, &err), 0);
	assert_int_equal(crd_io_attach(F.io, nd, &idx), 0);
	assert_int_equal(idx, 0); /* the index detached */
	c = req_write(8192, CRD_BLOCK, 0x77);
	assert_int_equal(crd_io_run(F.io, idx, c), 0);
	crd_io_req_unref(c);
	fd = open(newpath, O_RDONLY | O_CLOEXEC);
	assert_int_equal(pread(fd, file, sizeof(file), 8192), (ssize_t)sizeof(file));
	close(fd);
	assert_int_equal(file[0], 0x77);
	assert_int_equal(crd_disk_open(newpath, &nd, &err), 0);
	assert_int_equal(crd_io_attach(F.io, nd, &idx), -ENOSPC); /* closes nd */
	fault_clear_all(); /* the hung write returns: dropped */
	F.io = crd_io_free(F.io);
	unlink(newpath);
}

/* A CRD_IO_CHUNK buffer handed back is kept and comes out again zeroed; other sizes and
 * more than the kept number go to free(3) (ASan/valgrind see any leak or double free). */
static void test_buf_reuse_zeroed(void **state)
{
	(void)state;
	uint8_t *a = crd_buf_alloc(CRD_IO_CHUNK), *small = crd_buf_alloc(100);
	assert_non_null(a);
	assert_non_null(small);
	assert_int_equal((uintptr_t)a % CRD_BLOCK, 0);
	memset(a, 0xA5, CRD_IO_CHUNK);
	memset(small, 0x5A, CRD_BLOCK);
	crd_buf_free(a, CRD_IO_CHUNK);
	crd_buf_free(small, 100);
	uint8_t *b = crd_buf_alloc(CRD_IO_CHUNK - 1); /* rounds up to the same size */
	assert_ptr_equal(b, a);
	for (size_t i = 0; i < CRD_IO_CHUNK; i++)
		if (b[i])
			fail_msg("byte %zu of a reused buffer is %#x, not 0", i, b[i]);
	uint8_t *many[12];
	for (int i = 0; i < 12; i++)
		assert_non_null(many[i] = crd_buf_alloc(CRD_IO_CHUNK));
	for (int i = 0; i < 12; i++)
		crd_buf_free(many[i], CRD_IO_CHUNK);
	crd_buf_free(b, CRD_IO_CHUNK);
	crd_buf_free(NULL, CRD_IO_CHUNK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_reuse_zeroed),
		cmocka_unit_test_teardown(test_io_roundtrip, fx_td),
		cmocka_unit_test_teardown(test_io_detach_attach, fx_td),
		cmocka_unit_test_teardown(test_io_late_success_is_timeout, fx_td_clock),
		cmocka_unit_test_teardown(test_io_hang_timeout, fx_td),
		cmocka_unit_test_teardown(test_io_not_after, fx_td),
		cmocka_unit_test_teardown(test_io_late_landing, fx_td),
		cmocka_unit_test_teardown(test_io_priority_and_chunks, fx_td),
		cmocka_unit_test_teardown(test_io_shutdown_hung, fx_td),
		cmocka_unit_test_teardown(test_io_shutdown_cancels, fx_td),
		cmocka_unit_test_teardown(test_disk_faults, fx_td),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
