/* crd_fixture.h — test fixture for the CRD disk layer: sparse disk files in a mkdtemp
 * directory, a crd_io over them, a sys_ops wrapper that records every pwrite/fdatasync, and
 * wait-for-condition helpers with deadlines (testing.md: no fixed sleeps). Header-only,
 * included by test_io.c and test_region.c. */
#ifndef SEC_TEST_CRD_FIXTURE_H
#define SEC_TEST_CRD_FIXTURE_H

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crd/io.h"
#include "lib/clock.h"
#include "lib/fault.h"
#include "lib/sys_ops.h"

#define FX_DISKS_MAX 4

struct fx {
	char dir[64];
	char path[FX_DISKS_MAX][128];
	int n;
	struct crd_io *io;
};

/* ---- recorded syscalls ---- */

struct fx_op {
	char op; /* 'w' pwrite, 's' fdatasync */
	int fd;
	uint64_t off;
	size_t len;
};

#define FX_OPS_MAX 4096
static struct fx_op fx_ops[FX_OPS_MAX];
static int fx_nops;
static pthread_mutex_t fx_ops_lock = PTHREAD_MUTEX_INITIALIZER;

static inline void fx_record(char op, int fd, uint64_t off, size_t len)
{
	pthread_mutex_lock(&fx_ops_lock);
	if (fx_nops < FX_OPS_MAX)
		fx_ops[fx_nops++] = (struct fx_op){op, fd, off, len};
	pthread_mutex_unlock(&fx_ops_lock);
}

static inline ssize_t fx_pwrite(int fd, const void *buf, size_t len, off_t off)
{
	fx_record('w', fd, (uint64_t)off, len);
	return sys_ops_real.pwrite(fd, buf, len, off);
}

static inline int fx_fdatasync(int fd)
{
	fx_record('s', fd, 0, 0);
	return sys_ops_real.fdatasync(fd);
}

static struct sys_ops fx_sys_ops;

static inline void fx_ops_reset(void)
{
	pthread_mutex_lock(&fx_ops_lock);
	fx_nops = 0;
	pthread_mutex_unlock(&fx_ops_lock);
}

/* ---- time and waiting ---- */

static inline uint64_t fx_now_ms(void)
{
	return clock_boottime_ns() / NSEC_PER_MSEC;
}

static inline void fx_nap(void)
{
	struct timespec ts = {0, 1000000L};
	nanosleep(&ts, NULL);
}

/* Polls pred(arg) every millisecond until it is true or timeout_ms passed. */
static inline bool fx_wait(bool (*pred)(void *), void *arg, uint64_t timeout_ms)
{
	uint64_t end = fx_now_ms() + timeout_ms;

	while (!pred(arg)) {
		if (fx_now_ms() >= end)
			return pred(arg);
		fx_nap();
	}
	return true;
}

/* A completion a test waits for. */
struct fx_done {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int n;           /* completions seen */
	int result[16];
	uint64_t tag[16];
	uint64_t issue_ns[16], complete_ns[16], seen_ms[16];
	pthread_t thread[16];
};

static inline void fx_done_init(struct fx_done *d)
{
	memset(d, 0, sizeof(*d));
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
}

static inline void fx_done_cb(struct crd_io_req *req, void *arg)
{
	struct fx_done *d = arg;

	pthread_mutex_lock(&d->lock);
	if (d->n < 16) {
		d->result[d->n] = req->result;
		d->tag[d->n] = req->tag;
		d->issue_ns[d->n] = req->issue_ns;
		d->complete_ns[d->n] = req->complete_ns;
		d->seen_ms[d->n] = fx_now_ms();
		d->thread[d->n] = pthread_self();
	}
	d->n++;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

/* Waits until n completions arrived or timeout_ms passed; returns the count seen. */
static inline int fx_done_wait(struct fx_done *d, int n, uint64_t timeout_ms)
{
	struct timespec ts;
	int seen;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(timeout_ms / 1000);
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&d->lock);
	while (d->n < n && pthread_cond_timedwait(&d->cond, &d->lock, &ts) == 0)
		;
	seen = d->n;
	pthread_mutex_unlock(&d->lock);
	return seen;
}

/* ---- disks ---- */

/* Creates n sparse files of size bytes and a crd_io over them (sys_ops: the recorder). */
static inline void fx_setup(struct fx *f, int n, uint32_t io_timeout_ms, uint64_t size)
{
	struct crd_disk *disks[FX_DISKS_MAX] = {0};
	struct crd_io_cfg cfg = {.io_timeout_ms = io_timeout_ms};
	struct sec_err err = {0};

	memset(f, 0, sizeof(*f));
	fx_sys_ops = sys_ops_real;
	fx_sys_ops.pwrite = fx_pwrite;
	fx_sys_ops.fdatasync = fx_fdatasync;
	sys_ops = &fx_sys_ops;
	fx_ops_reset();
	snprintf(f->dir, sizeof(f->dir), "/tmp/sec-crd-test-XXXXXX");
	if (!mkdtemp(f->dir))
		abort();
	f->n = n;
	for (int i = 0; i < n; i++) {
		int fd;
		snprintf(f->path[i], sizeof(f->path[i]), "%s/d%d", f->dir, i);
		fd = open(f->path[i], O_CREAT | O_RDWR | O_CLOEXEC, 0600);
		if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
			abort();
		close(fd);
		if (crd_disk_open(f->path[i], &disks[i], &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			abort();
		}
	}
	if (crd_io_new(&cfg, disks, n, &f->io) < 0)
		abort();
}

static inline bool fx_quiet(void *arg)
{
	return crd_disk_late_pending() == 0 && crd_io_orphans() == 0;
}

static inline void fx_teardown(struct fx *f)
{
	fault_clear_all();
	f->io = crd_io_free(f->io);
	if (!fx_wait(fx_quiet, NULL, 10000))
		fprintf(stderr, "teardown: late writes or hung threads still pending\n");
	for (int i = 0; i < f->n; i++)
		unlink(f->path[i]);
	rmdir(f->dir);
	sys_ops = &sys_ops_real;
}

/* Reads len bytes at off of disk i with plain buffered I/O (what is in the file). */
static inline void fx_file_read(struct fx *f, int i, uint64_t off, void *buf, size_t len)
{
	int fd = open(f->path[i], O_RDONLY | O_CLOEXEC);

	if (fd < 0 || pread(fd, buf, len, (off_t)off) != (ssize_t)len)
		abort();
	close(fd);
}

static inline int fx_fd(struct fx *f, int i)
{
	return crd_io_disk(f->io, i)->fd;
}

#endif
