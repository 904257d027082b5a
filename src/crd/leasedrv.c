/* leasedrv.c — see leasedrv.h. */
#include "crd/leasedrv.h"

#include "lib/clock.h"
#include "lib/crc32c.h"
#include "lib/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* One in-flight request. Shared between the owner and a disk thread; the queue holds a
 * reference to it from submission to hand-over. */
struct leasedrv_op {
	struct crd_lease_done done;
	struct leasedrv_queue *q;
	uint64_t r0_off[2]; /* CRD_IO_R0_TERM_READ: the two copy headers, read in turn */
	int step;
	int io_disk; /* the io disk it went to (a replaced disk's answers are stale) */
	struct leasedrv_op *next;
};

/* Completed ops, handed from the disk threads to the owner. Outlives the driver while
 * requests are in flight (refs). */
struct leasedrv_queue {
	pthread_mutex_t lock;
	struct leasedrv_op *head, *tail;
	int efd;
	int refs; /* 1 for the driver + 1 per op in flight */
	struct crd_io *io;
};

struct crd_leasedrv {
	struct crd_leasedrv_cfg cfg;
	struct crd_lease lease;
	struct leasedrv_queue *q;
	bool believed;
	uint64_t believed_until;
	bool releasing;
};

static void queue_unref_locked(struct leasedrv_queue *q, bool *ret_freed)
{
	*ret_freed = --q->refs == 0;
}

static void queue_put(struct leasedrv_queue *q, struct leasedrv_op *op)
{
	uint64_t one = 1;
	bool freed;

	pthread_mutex_lock(&q->lock);
	if (q->efd < 0) { /* the driver is gone: drop */
		queue_unref_locked(q, &freed);
		pthread_mutex_unlock(&q->lock);
		free(op);
		if (freed) {
			pthread_mutex_destroy(&q->lock);
			free(q);
		}
		return;
	}
	op->next = NULL;
	if (q->tail)
		q->tail->next = op;
	else
		q->head = op;
	q->tail = op;
	if (write(q->efd, &one, sizeof(one)) < 0) {
		/* eventfd counter saturated: the owner is awake anyway */
	}
	pthread_mutex_unlock(&q->lock);
}

static void leasedrv_io_done(struct crd_io_req *req, void *arg);

static int leasedrv_submit_block(struct leasedrv_queue *q, struct leasedrv_op *op, int io_disk,
				 enum crd_io_op kind, uint64_t off, const void *block,
				 uint64_t not_after)
{
	struct crd_io_req *req = crd_io_req_new(kind, off, CRD_BLOCK);

	if (!req)
		return -ENOMEM;
	if (block)
		memcpy(req->buf, block, CRD_BLOCK);
	req->prio = CRD_IO_PRIO_HIGH;
	req->not_after_ns = not_after;
	req->cb = leasedrv_io_done;
	req->cb_arg = op;
	return crd_io_submit(q->io, io_disk, req);
}

/* On a disk thread: decode, chain the second region-0 header read, or queue for the owner. */
static void leasedrv_io_done(struct crd_io_req *req, void *arg)
{
	struct leasedrv_op *op = arg;
	struct crd_lease_done *d = &op->done;

	if (op->step == 0 || d->kind != CRD_IO_R0_TERM_READ) {
		d->issue_ns = req->issue_ns;
	}
	d->complete_ns = req->complete_ns;
	d->result = req->result;
	if (d->result == 0 && d->kind == CRD_IO_LEASE_READ) {
		d->raw_crc = crd_block_ident(req->buf);
		d->decode = crd_lease_in(req->buf, &d->rec);
	} else if (d->result == 0 && d->kind == CRD_IO_R0_TERM_READ) {
		struct crd_region_hdr h;
		if (crd_region_hdr_in(req->buf, &h) == 0 && h.term > d->r0_term)
			d->r0_term = h.term;
		if (op->step++ == 0) {
			int r = leasedrv_submit_block(op->q, op, req->disk, CRD_IO_READ,
						      op->r0_off[1], NULL, 0);
			if (r == 0)
				return;
			d->result = r;
		}
	}
	if (d->result != 0 && !d->complete_ns)
		d->complete_ns = clock_boottime_ns();
	queue_put(op->q, op);
}

static void leasedrv_submit(struct crd_leasedrv *dr, const struct crd_lease_io *io, int n)
{
	for (int i = 0; i < n; i++) {
		struct leasedrv_op *op = calloc(1, sizeof(*op));
		int io_disk = dr->cfg.disks[io[i].disk];
		int r;

		if (!op)
			continue; /* the engine sees no completion: the disk stays busy; logged? */
		op->q = dr->q;
		op->io_disk = io_disk;
		op->done.seq = io[i].seq;
		op->done.disk = io[i].disk;
		op->done.kind = io[i].kind;
		pthread_mutex_lock(&dr->q->lock);
		dr->q->refs++;
		pthread_mutex_unlock(&dr->q->lock);
		if (io[i].kind == CRD_IO_LEASE_WRITE) {
			unsigned char block[CRD_BLOCK] __attribute__((aligned(8)));
			crd_lease_out(&io[i].rec, block);
			r = leasedrv_submit_block(dr->q, op, io_disk, CRD_IO_WRITE,
						  dr->cfg.geo.lease_off, block, io[i].not_after_ns);
		} else if (io[i].kind == CRD_IO_LEASE_READ) {
			r = leasedrv_submit_block(dr->q, op, io_disk, CRD_IO_READ,
						  dr->cfg.geo.lease_off, NULL, 0);
		} else {
			op->r0_off[0] = crd_region_off(&dr->cfg.geo, 0, 0);
			op->r0_off[1] = crd_region_off(&dr->cfg.geo, 0, 1);
			r = leasedrv_submit_block(dr->q, op, io_disk, CRD_IO_READ, op->r0_off[0],
						  NULL, 0);
		}
		if (r < 0) { /* refused at once (-EAGAIN: a timed-out I/O still out) */
			uint64_t now = clock_boottime_ns();
			op->done.result = r;
			op->done.issue_ns = op->done.complete_ns = now;
			queue_put(dr->q, op);
		}
	}
}

static void leasedrv_note_belief(struct crd_leasedrv *dr, uint64_t now)
{
	const struct crd_lease *l = &dr->lease;
	bool held = crd_lease_held(l, now);
	uint64_t until = crd_lease_valid_until(l);

	if (held && (!dr->believed || until != dr->believed_until)) {
		dr->believed = true;
		dr->believed_until = until;
		if (dr->cfg.belief_cb)
			dr->cfg.belief_cb(dr->cfg.belief_arg, true, now, until, crd_lease_term(l));
	} else if (!held && dr->believed) {
		dr->believed = false;
		/* closed at its computed expiry, or earlier when stepped down or released */
		if (until > now)
			until = now;
		if (dr->cfg.belief_cb)
			dr->cfg.belief_cb(dr->cfg.belief_arg, false, now, until, crd_lease_term(l));
	}
}

int crd_leasedrv_new(struct crd_io *io, const struct crd_leasedrv_cfg *cfg,
		     struct crd_leasedrv **ret)
{
	struct crd_leasedrv *dr = calloc(1, sizeof(*dr));

	if (!dr)
		return -ENOMEM;
	dr->q = calloc(1, sizeof(*dr->q));
	if (!dr->q) {
		free(dr);
		return -ENOMEM;
	}
	dr->q->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (dr->q->efd < 0) {
		int e = -errno;
		free(dr->q);
		free(dr);
		return e;
	}
	pthread_mutex_init(&dr->q->lock, NULL);
	dr->q->refs = 1;
	dr->q->io = io;
	dr->cfg = *cfg;
	crd_lease_init(&dr->lease, &cfg->lease, clock_boottime_ns());
	*ret = dr;
	return 0;
}

struct crd_leasedrv *crd_leasedrv_free(struct crd_leasedrv *dr)
{
	struct leasedrv_op *op, *next;
	bool freed;

	if (!dr)
		return NULL;
	pthread_mutex_lock(&dr->q->lock);
	for (op = dr->q->head; op; op = next) {
		next = op->next;
		free(op);
		dr->q->refs--;
	}
	dr->q->head = dr->q->tail = NULL;
	close(dr->q->efd);
	dr->q->efd = -1;
	queue_unref_locked(dr->q, &freed);
	pthread_mutex_unlock(&dr->q->lock);
	if (freed) {
		pthread_mutex_destroy(&dr->q->lock);
		free(dr->q);
	}
	free(dr);
	return NULL;
}

int crd_leasedrv_fd(const struct crd_leasedrv *dr)
{
	return dr->q->efd;
}

void crd_leasedrv_run(struct crd_leasedrv *dr)
{
	struct crd_lease_io io[CRD_LEASE_IO_MAX];
	struct leasedrv_op *op;
	uint64_t cnt, now;
	int n;

	if (read(dr->q->efd, &cnt, sizeof(cnt)) < 0) {
		/* EAGAIN: nothing queued */
	}
	for (;;) {
		pthread_mutex_lock(&dr->q->lock);
		op = dr->q->head;
		if (op) {
			dr->q->head = op->next;
			if (!dr->q->head)
				dr->q->tail = NULL;
			dr->q->refs--;
		}
		pthread_mutex_unlock(&dr->q->lock);
		if (!op)
			break;
		now = clock_boottime_ns();
		if (op->io_disk != dr->cfg.disks[op->done.disk]) { /* from a replaced disk */
			op->done.result = -ENODEV;
			op->done.decode = 0;
		}
		log_debug("lease: unit %u %s: disk %d %s result %d decode %d holder %u counter %llu "
			  "term %llu", dr->cfg.lease.unit_id,
			  crd_lease_state_to_string(dr->lease.state), op->done.disk,
			  op->done.kind == CRD_IO_LEASE_READ	? "read"
			  : op->done.kind == CRD_IO_LEASE_WRITE ? "write"
								: "r0-read",
			  op->done.result, op->done.decode, op->done.rec.holder,
			  (unsigned long long)op->done.rec.counter,
			  (unsigned long long)op->done.rec.term);
		n = crd_lease_complete(&dr->lease, &op->done, now, io, CRD_LEASE_IO_MAX);
		free(op);
		leasedrv_note_belief(dr, now);
		leasedrv_submit(dr, io, n);
	}
	now = clock_boottime_ns();
	if (!dr->releasing && crd_lease_next_ns(&dr->lease) <= now) {
		n = crd_lease_tick(&dr->lease, now, io, CRD_LEASE_IO_MAX);
		leasedrv_submit(dr, io, n);
	}
	leasedrv_note_belief(dr, clock_boottime_ns());
}

uint64_t crd_leasedrv_next_ns(const struct crd_leasedrv *dr)
{
	uint64_t next = crd_lease_next_ns(&dr->lease);

	/* wake at the computed expiry so that the belief is closed on time */
	if (dr->believed && dr->believed_until < next)
		next = dr->believed_until;
	return next;
}

void crd_leasedrv_release(struct crd_leasedrv *dr)
{
	struct crd_lease_io io[CRD_LEASE_IO_MAX];
	uint64_t now = clock_boottime_ns();
	int n = crd_lease_release(&dr->lease, now, io, CRD_LEASE_IO_MAX);

	dr->releasing = true;
	leasedrv_note_belief(dr, now);
	leasedrv_submit(dr, io, n);
}

bool crd_leasedrv_stopped(const struct crd_leasedrv *dr)
{
	return dr->lease.state == CRD_LEASE_STOPPED;
}

const struct crd_lease *crd_leasedrv_lease(const struct crd_leasedrv *dr)
{
	return &dr->lease;
}

void crd_leasedrv_set_max_lease_ms(struct crd_leasedrv *dr, uint32_t ms)
{
	dr->lease.cfg.max_lease_ms = ms;
}

int crd_leasedrv_force(struct crd_leasedrv *dr)
{
	if (dr->releasing)
		return -ESHUTDOWN;
	return crd_lease_force(&dr->lease, clock_boottime_ns());
}

struct crd_lease_force crd_leasedrv_force_get(const struct crd_leasedrv *dr)
{
	return crd_lease_force_get(&dr->lease);
}

void crd_leasedrv_force_cancel(struct crd_leasedrv *dr)
{
	crd_lease_force_cancel(&dr->lease);
}

int crd_leasedrv_set_disk(struct crd_leasedrv *dr, int disk, int io_disk)
{
	if (disk < 0 || disk >= dr->lease.cfg.ndisks)
		return -EINVAL;
	dr->cfg.disks[disk] = io_disk;
	crd_lease_disk_reset(&dr->lease, disk);
	return 0;
}
