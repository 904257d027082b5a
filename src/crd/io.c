/* io.c — see io.h.
 *
 * Threads: one per disk (disk_main) carrying out its queues, and one timeout thread per
 * crd_io (io_watch_main) that completes a request whose syscall overran io_timeout.
 * Locks: each disk has its own mutex (queues, state, in-flight request); io->wlock only
 * guards the timeout thread's wake-up sequence. Order: disk lock, then wlock; the timeout
 * thread never holds both. Callbacks run with no lock held. */
#include "crd/io.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "crd/ondisk.h"
#include "lib/clock.h"
#include "lib/log.h"

struct io_disk {
	struct crd_io *io;
	int idx;
	struct crd_disk *disk;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* work queued, stop, or the in-flight syscall returned */
	struct crd_io_req *head[CRD_IO_PRIO_MAX], *tail[CRD_IO_PRIO_MAX];
	struct crd_io_req *inflight; /* the request whose syscall runs now */
	uint64_t step_issue_ns;
	uint64_t deadline_ns;
	enum crd_disk_status state;
	bool stop;
	bool orphan; /* detached by crd_io_free(): frees itself when the syscall returns */
	struct io_disk *next_retired; /* crd_io_detach()ed, kept until crd_io_free() */
};

struct crd_io {
	struct crd_io_cfg cfg;
	int n;
	/* atomic: crd_io_attach()/crd_io_detach() change them while the timeout thread scans */
	struct io_disk *_Atomic d[CRD_IO_DISKS_MAX];
	struct io_disk *retired; /* owner thread only; freed (or orphaned) by crd_io_free() */
	pthread_t watch;
	bool watch_started;
	pthread_mutex_t wlock;
	pthread_cond_t wcond;
	uint64_t wseq;
	bool wstop;
};

static _Atomic int io_orphans;

int crd_io_orphans(void)
{
	return atomic_load(&io_orphans);
}

struct crd_io_req *crd_io_req_new(enum crd_io_op op, uint64_t off, size_t len)
{
	struct crd_io_req *req = calloc(1, sizeof(*req));

	if (!req)
		return NULL;
	req->buf = crd_buf_alloc(len);
	if (!req->buf) {
		free(req);
		return NULL;
	}
	req->op = op;
	req->prio = CRD_IO_PRIO_HIGH;
	req->off = off;
	req->len = len;
	req->disk = -1;
	atomic_init(&req->refs, 1);
	return req;
}

struct crd_io_req *crd_io_req_ref(struct crd_io_req *req)
{
	atomic_fetch_add(&req->refs, 1);
	return req;
}

struct crd_io_req *crd_io_req_unref(struct crd_io_req *req)
{
	if (req && atomic_fetch_sub(&req->refs, 1) == 1) {
		crd_buf_free(req->buf, req->len);
		free(req);
	}
	return NULL;
}

/* ---- queues (disk lock held) ---- */

static void q_push(struct io_disk *d, struct crd_io_req *req)
{
	int p = req->prio;

	req->next = NULL;
	if (d->tail[p])
		d->tail[p]->next = req;
	else
		d->head[p] = req;
	d->tail[p] = req;
}

static struct crd_io_req *q_pop(struct io_disk *d, int p)
{
	struct crd_io_req *req = d->head[p];

	if (req) {
		d->head[p] = req->next;
		if (!d->head[p])
			d->tail[p] = NULL;
		req->next = NULL;
	}
	return req;
}

/* Moves every queued request to *list with result r. */
static void q_steal_all(struct io_disk *d, struct crd_io_req **list, int r, uint64_t now)
{
	for (int p = 0; p < CRD_IO_PRIO_MAX; p++) {
		struct crd_io_req *req;
		while ((req = q_pop(d, p))) {
			req->completed = true;
			req->result = r;
			req->complete_ns = now;
			req->next = *list;
			*list = req;
		}
	}
}

/* Calls the callbacks of a list of completed requests and drops the completion refs. */
static void deliver(struct crd_io_req *list)
{
	while (list) {
		struct crd_io_req *next = list->next;
		list->next = NULL;
		if (list->cb)
			list->cb(list, list->cb_arg);
		crd_io_req_unref(list);
		list = next;
	}
}

/* ---- the disk thread ---- */

static void disk_free(struct io_disk *d)
{
	crd_disk_close(d->disk);
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->cond);
	free(d);
}

/* Carries out one step of req: a whole HIGH request, or one chunk of a REGION request
 * (the last chunk of a write includes the fdatasync). */
static int disk_step(struct crd_disk *disk, struct crd_io_req *req, size_t len)
{
	uint8_t *p = (uint8_t *)req->buf + req->done_len;
	uint64_t off = req->off + req->done_len;
	int r;

	if (req->op == CRD_IO_READ)
		return crd_disk_pread(disk, p, len, off);
	r = crd_disk_pwrite(disk, p, len, off);
	if (r == 0 && req->done_len + len == req->len)
		r = crd_disk_sync(disk);
	return r;
}

static void disk_realtime(struct io_disk *d)
{
	struct sched_param sp = {.sched_priority = 10};
	int r = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);

	if (r)
		log_debug("crd disk thread '%s': no real-time priority: %s", d->disk->path,
			  strerror(r));
}

static void *disk_main(void *arg)
{
	struct io_disk *d = arg;
	struct crd_io *io = d->io;
	uint64_t timeout_ns = (uint64_t)io->cfg.io_timeout_ms * NSEC_PER_MSEC;

	if (io->cfg.realtime)
		disk_realtime(d);
	pthread_mutex_lock(&d->lock);
	for (;;) {
		struct crd_io_req *req, *done = NULL;
		uint64_t now, t;
		size_t len;
		int r;

		while (!d->stop && !d->head[0] && !d->head[1])
			pthread_cond_wait(&d->cond, &d->lock);
		if (d->stop)
			break;
		req = d->head[CRD_IO_PRIO_HIGH] ? d->head[CRD_IO_PRIO_HIGH]
						 : d->head[CRD_IO_PRIO_REGION];
		now = clock_boottime_ns();
		if (req->not_after_ns && now >= req->not_after_ns) { /* R1, fencing layer 3 */
			q_pop(d, req->prio);
			req->completed = true;
			req->result = -ETIME;
			req->complete_ns = now;
			pthread_mutex_unlock(&d->lock);
			deliver(req);
			pthread_mutex_lock(&d->lock);
			continue;
		}
		len = req->len - req->done_len;
		if (req->prio == CRD_IO_PRIO_REGION && len > CRD_IO_CHUNK)
			len = CRD_IO_CHUNK;
		crd_io_req_ref(req); /* the syscall's reference */
		d->inflight = req;
		d->step_issue_ns = clock_boottime_ns();
		d->deadline_ns = d->step_issue_ns + timeout_ns;
		if (!req->issue_ns)
			req->issue_ns = d->step_issue_ns;
		pthread_mutex_lock(&io->wlock);
		io->wseq++;
		pthread_cond_signal(&io->wcond);
		pthread_mutex_unlock(&io->wlock);
		pthread_mutex_unlock(&d->lock);

		r = disk_step(d->disk, req, len);
		t = clock_boottime_ns();

		pthread_mutex_lock(&d->lock);
		d->inflight = NULL;
		pthread_cond_broadcast(&d->cond);
		if (d->orphan) {
			pthread_mutex_unlock(&d->lock);
			log_debug("crd disk '%s': hung I/O returned after shutdown (%d)",
				  d->disk->path, r);
			crd_io_req_unref(req);
			disk_free(d);
			atomic_fetch_sub(&io_orphans, 1);
			return NULL;
		}
		if (req->completed) { /* timed out: the result is dropped (lease.h) */
			if (d->state == CRD_DISK_NOT_ACCESSIBLE)
				d->state = CRD_DISK_STALE;
			log_debug("crd disk '%s': timed-out I/O returned (%d), disk needs resync",
				  d->disk->path, r);
			crd_io_req_unref(req);
			continue;
		}
		/* A syscall that took io_timeout or longer counts as timed out even when it
		 * returned before the timeout thread saw it (the process was stopped, say): its
		 * bytes may have been read or written long after issue_ns (tests/sim finding 7;
		 * R0 and the dead verdict rest on this). */
		if (r == 0 && t - d->step_issue_ns >= timeout_ns) {
			r = -ETIMEDOUT;
			t = d->step_issue_ns + timeout_ns;
		}
		if (r == -ETIMEDOUT && req->op == CRD_IO_WRITE && d->state == CRD_DISK_NORMAL)
			d->state = CRD_DISK_STALE; /* the write may have landed late: resync */
		if (r == 0)
			req->done_len += len;
		if (r < 0 || req->done_len == req->len) {
			q_pop(d, req->prio);
			req->completed = true;
			req->result = r;
			req->complete_ns = t;
			done = req;
		}
		crd_io_req_unref(req);
		if (done) {
			pthread_mutex_unlock(&d->lock);
			deliver(done);
			pthread_mutex_lock(&d->lock);
		}
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

/* ---- the timeout thread ---- */

static void *io_watch_main(void *arg)
{
	struct crd_io *io = arg;
	uint64_t timeout_ns = (uint64_t)io->cfg.io_timeout_ms * NSEC_PER_MSEC;

	pthread_mutex_lock(&io->wlock);
	while (!io->wstop) {
		uint64_t seq = io->wseq, now, next = UINT64_MAX;
		struct crd_io_req *list = NULL;

		pthread_mutex_unlock(&io->wlock);
		now = clock_boottime_ns();
		for (int i = 0; i < io->n; i++) {
			struct io_disk *d = io->d[i];
			struct crd_io_req *req;
			if (!d)
				continue;
			pthread_mutex_lock(&d->lock);
			req = d->inflight;
			if (req && !req->completed) {
				if (now >= d->deadline_ns) {
					log_debug("crd disk '%s': I/O at %llu timed out after %u ms",
						  d->disk->path, (unsigned long long)req->off,
						  io->cfg.io_timeout_ms);
					d->state = CRD_DISK_NOT_ACCESSIBLE;
					/* queued (including req, the head of its queue) */
					q_steal_all(d, &list, -EAGAIN, now);
					req->result = -ETIMEDOUT;
					req->complete_ns = d->step_issue_ns + timeout_ns;
				} else if (d->deadline_ns < next) {
					next = d->deadline_ns;
				}
			}
			pthread_mutex_unlock(&d->lock);
		}
		if (list) {
			deliver(list);
			pthread_mutex_lock(&io->wlock);
			continue;
		}
		pthread_mutex_lock(&io->wlock);
		if (io->wstop || io->wseq != seq)
			continue;
		if (next == UINT64_MAX) {
			pthread_cond_wait(&io->wcond, &io->wlock);
		} else {
			struct timespec ts;
			uint64_t wait = next - now, abs;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			abs = (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec + wait;
			ts.tv_sec = (time_t)(abs / NSEC_PER_SEC);
			ts.tv_nsec = (long)(abs % NSEC_PER_SEC);
			pthread_cond_timedwait(&io->wcond, &io->wlock, &ts);
		}
	}
	pthread_mutex_unlock(&io->wlock);
	return NULL;
}

/* ---- life cycle ---- */

/* Starts the thread of disk (owned from here, also on failure) at index idx. */
static int io_disk_start(struct crd_io *io, int idx, struct crd_disk *disk)
{
	struct io_disk *d = calloc(1, sizeof(*d));
	int r;

	if (!d) {
		crd_disk_close(disk);
		return -ENOMEM;
	}
	d->io = io;
	d->idx = idx;
	d->disk = disk;
	d->state = CRD_DISK_NORMAL;
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
	r = -pthread_create(&d->thread, NULL, disk_main, d);
	if (r < 0) {
		disk_free(d);
		return r;
	}
	io->d[idx] = d;
	return 0;
}

int crd_io_new(const struct crd_io_cfg *cfg, struct crd_disk **disks, int n,
	       struct crd_io **ret)
{
	struct crd_io *io = NULL;
	pthread_condattr_t ca;
	int r = 0;

	if (n < 1 || n > CRD_IO_DISKS_MAX || cfg->io_timeout_ms == 0) {
		r = -EINVAL;
		goto fail_disks;
	}
	io = calloc(1, sizeof(*io));
	if (!io) {
		r = -ENOMEM;
		goto fail_disks;
	}
	io->cfg = *cfg;
	io->n = n;
	pthread_mutex_init(&io->wlock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&io->wcond, &ca);
	pthread_condattr_destroy(&ca);
	if (cfg->realtime && mlockall(MCL_CURRENT | MCL_FUTURE) < 0)
		log_debug("crd io: mlockall refused: %s", strerror(errno));
	for (int i = 0; i < n; i++) {
		if (!disks[i])
			continue;
		r = io_disk_start(io, i, disks[i]);
		disks[i] = NULL;
		if (r < 0)
			goto fail;
	}
	r = -pthread_create(&io->watch, NULL, io_watch_main, io);
	if (r < 0)
		goto fail;
	io->watch_started = true;
	*ret = io;
	return 0;
fail:
	crd_io_free(io);
fail_disks:
	for (int i = 0; i < n && i < CRD_IO_DISKS_MAX; i++)
		disks[i] = crd_disk_close(disks[i]);
	return r;
}

/* crd_io_free(): joins the stopped thread of d (true: the caller frees d once every
 * disk thread has ended — a callback on another disk's thread may still submit to d and
 * must find it, stopped), or detaches it when its syscall hangs past io_timeout (false: it
 * frees itself when the syscall returns). */
static bool io_disk_end(struct io_disk *d, uint64_t timeout_ns, struct crd_io_req **list)
{
	struct timespec ts;
	uint64_t abs;

	if (!d)
		return false;
	clock_gettime(CLOCK_REALTIME, &ts);
	abs = (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec + timeout_ns;
	ts.tv_sec = (time_t)(abs / NSEC_PER_SEC);
	ts.tv_nsec = (long)(abs % NSEC_PER_SEC);
	pthread_mutex_lock(&d->lock);
	d->stop = true;
	pthread_cond_broadcast(&d->cond);
	/* wait up to io_timeout for a syscall that has not timed out yet */
	while (d->inflight && !d->inflight->completed &&
	       pthread_cond_timedwait(&d->cond, &d->lock, &ts) == 0)
		;
	q_steal_all(d, list, -ECANCELED, clock_boottime_ns());
	if (d->inflight) { /* hung: detach; the thread frees d when it returns */
		pthread_t t = d->thread;
		d->orphan = true;
		atomic_fetch_add(&io_orphans, 1);
		/* before the unlock: once unlocked, d may be freed by its returning thread */
		log_debug("crd disk '%s': I/O thread hung at shutdown, detached", d->disk->path);
		pthread_mutex_unlock(&d->lock);
		pthread_detach(t);
		return false;
	}
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->thread, NULL);
	return true;
}

struct crd_io *crd_io_free(struct crd_io *io)
{
	struct crd_io_req *list = NULL;
	uint64_t timeout_ns;

	if (!io)
		return NULL;
	timeout_ns = (uint64_t)io->cfg.io_timeout_ms * NSEC_PER_MSEC;
	pthread_mutex_lock(&io->wlock);
	io->wstop = true;
	pthread_cond_signal(&io->wcond);
	pthread_mutex_unlock(&io->wlock);
	if (io->watch_started)
		pthread_join(io->watch, NULL);
	for (int i = 0; i < io->n; i++) {
		struct io_disk *d = io->d[i];
		if (!d)
			continue;
		pthread_mutex_lock(&d->lock);
		d->stop = true;
		pthread_cond_broadcast(&d->cond);
		pthread_mutex_unlock(&d->lock);
	}
	/* every thread ended first, then the disks freed: a callback still running on one
	 * disk's thread may submit to another (-ESHUTDOWN), never to a freed one */
	bool joined[CRD_IO_DISKS_MAX] = {false};
	struct io_disk *freeing = NULL;
	for (int i = 0; i < io->n; i++)
		joined[i] = io_disk_end(io->d[i], timeout_ns, &list);
	for (struct io_disk *d = io->retired, *next; d; d = next) {
		next = d->next_retired;
		if (io_disk_end(d, timeout_ns, &list)) {
			d->next_retired = freeing;
			freeing = d;
		}
	}
	io->retired = NULL;
	for (int i = 0; i < io->n; i++) {
		if (joined[i])
			disk_free(io->d[i]);
		io->d[i] = NULL;
	}
	while (freeing) {
		struct io_disk *d = freeing;
		freeing = d->next_retired;
		disk_free(d);
	}
	deliver(list);
	pthread_mutex_destroy(&io->wlock);
	pthread_cond_destroy(&io->wcond);
	free(io);
	return NULL;
}

/* ---- submit ---- */

int crd_io_submit(struct crd_io *io, int disk, struct crd_io_req *req)
{
	struct io_disk *d;
	int r = 0;

	d = disk >= 0 && disk < io->n ? io->d[disk] : NULL; /* one load: see crd_io_detach */
	if (!d) {
		r = -ENODEV;
		goto refuse;
	}
	if (req->len == 0 || req->len % CRD_BLOCK || req->off % CRD_BLOCK ||
	    req->op <= 0 || req->op >= CRD_IO_OP_MAX || req->prio < 0 ||
	    req->prio >= CRD_IO_PRIO_MAX) {
		r = -EINVAL;
		goto refuse;
	}
	req->disk = disk;
	req->result = 0;
	req->issue_ns = req->complete_ns = 0;
	req->done_len = 0;
	req->completed = false;
	pthread_mutex_lock(&d->lock);
	if (d->stop)
		r = -ESHUTDOWN;
	else if (d->state == CRD_DISK_NOT_ACCESSIBLE)
		r = -EAGAIN;
	else {
		q_push(d, req);
		pthread_cond_broadcast(&d->cond);
	}
	pthread_mutex_unlock(&d->lock);
	if (r == 0)
		return 0;
refuse:
	req->result = r;
	crd_io_req_unref(req);
	return r;
}

struct io_waiter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
};

static void io_run_cb(struct crd_io_req *req, void *arg)
{
	struct io_waiter *w = arg;

	pthread_mutex_lock(&w->lock);
	w->done = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

int crd_io_run(struct crd_io *io, int disk, struct crd_io_req *req)
{
	struct io_waiter w = {.done = false};
	int r;

	pthread_mutex_init(&w.lock, NULL);
	pthread_cond_init(&w.cond, NULL);
	req->cb = io_run_cb;
	req->cb_arg = &w;
	r = crd_io_submit(io, disk, crd_io_req_ref(req));
	if (r == 0) {
		pthread_mutex_lock(&w.lock);
		while (!w.done)
			pthread_cond_wait(&w.cond, &w.lock);
		pthread_mutex_unlock(&w.lock);
		r = req->result;
	}
	req->cb = NULL;
	req->cb_arg = NULL;
	pthread_mutex_destroy(&w.lock);
	pthread_cond_destroy(&w.cond);
	return r;
}

int crd_io_attach(struct crd_io *io, struct crd_disk *disk, int *ret_idx)
{
	int r;

	for (int i = 0; i < io->n; i++) {
		if (io->d[i])
			continue;
		if ((r = io_disk_start(io, i, disk)) < 0)
			return r;
		*ret_idx = i;
		return 0;
	}
	crd_disk_close(disk);
	return -ENOSPC;
}

int crd_io_detach(struct crd_io *io, int idx)
{
	struct crd_io_req *list = NULL;
	struct io_disk *d;

	if (idx < 0 || idx >= io->n || !(d = atomic_exchange(&io->d[idx], NULL)))
		return -ENODEV;
	pthread_mutex_lock(&d->lock);
	d->stop = true;
	/* everything queued, and the request whose syscall runs now (the head of its queue):
	 * -ECANCELED now; a hung syscall's later return is dropped */
	q_steal_all(d, &list, -ECANCELED, clock_boottime_ns());
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
	d->next_retired = io->retired;
	io->retired = d;
	deliver(list);
	return 0;
}

/* ---- state ---- */

struct crd_disk *crd_io_disk(struct crd_io *io, int disk)
{
	struct io_disk *d = disk >= 0 && disk < io->n ? io->d[disk] : NULL;

	return d ? d->disk : NULL;
}

int crd_io_ndisks(const struct crd_io *io)
{
	return io->n;
}

uint32_t crd_io_timeout_ms(const struct crd_io *io)
{
	return io->cfg.io_timeout_ms;
}

enum crd_disk_status crd_io_disk_state(struct crd_io *io, int disk)
{
	enum crd_disk_status s;
	struct io_disk *d;

	d = disk >= 0 && disk < io->n ? io->d[disk] : NULL;
	if (!d)
		return CRD_DISK_NOT_CONFIGURED;
	pthread_mutex_lock(&d->lock);
	s = d->state;
	pthread_mutex_unlock(&d->lock);
	return s;
}

int crd_io_disk_set_state(struct crd_io *io, int disk, enum crd_disk_status old,
			  enum crd_disk_status new_state)
{
	struct io_disk *d;
	int r = 0;

	d = disk >= 0 && disk < io->n ? io->d[disk] : NULL;
	if (!d || old == CRD_DISK_NOT_ACCESSIBLE ||
	    new_state == CRD_DISK_NOT_ACCESSIBLE || new_state == CRD_DISK_NOT_CONFIGURED ||
	    (unsigned)new_state >= CRD_DISK_STATUS_MAX)
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	if (d->state != old)
		r = -ESTALE;
	else
		d->state = new_state;
	pthread_mutex_unlock(&d->lock);
	if (r == 0 && old != new_state)
		log_debug("crd disk '%s': %s -> %s", d->disk->path, crd_disk_status_to_string(old),
			  crd_disk_status_to_string(new_state));
	return r;
}
