/* sim_world.c — time, events, fake disks, per-(unit, disk) I/O channels and the fault
 * model of the simulator; see sim.h.
 *
 * Driver contract of src/crd/lease.h, as a real disk thread would keep it: at most one
 * outstanding I/O per (unit, disk); lease I/O is served before region I/O; a request that
 * arrives while a timed-out I/O has not returned completes at once with -EAGAIN;
 * not_after is checked right before the "syscall" (-ETIME, nothing written); issue_ns is
 * taken right before it. An I/O that has not returned at issue + io_timeout is reported
 * as -ETIMEDOUT with complete_ns = issue + io_timeout; its syscall still runs and may land
 * later. The moment a read samples the disk and the moment a write lands are random points
 * between issue and return. A SIGSTOPped unit gets its completions after the pause (with
 * complete_ns = the time its thread runs again), and an I/O whose syscall had not started
 * yet is held until the pause ends while its issue_ns stays (the gap between the clock
 * read and the syscall). */
#include "sim.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

uint64_t sim_rand(struct sim_world *w)
{
	uint64_t z = (w->rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t sim_range(struct sim_world *w, uint64_t a, uint64_t b)
{
	if (b <= a)
		return a;
	return a + sim_rand(w) % (b - a + 1);
}

bool sim_chance(struct sim_world *w, unsigned per_mille)
{
	return per_mille && sim_rand(w) % 1000 < per_mille;
}

/* ---- event heap: ordered by (t, seq) ---- */

static bool ev_less(const struct sim_ev *a, const struct sim_ev *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

void sim_push(struct sim_world *w, uint64_t t, int type, int unit, uint32_t arg, uint32_t gen)
{
	struct sim_ev e = {t < w->now ? w->now : t, ++w->seq, (uint16_t)type, (uint16_t)unit,
			   arg, gen};
	int i;

	if (w->nheap >= SIM_EVENTS_MAX) {
		sim_fail(w, "simulator: event queue full");
		return;
	}
	i = w->nheap++;
	while (i > 0) {
		int p = (i - 1) / 2;
		if (!ev_less(&e, &w->heap[p]))
			break;
		w->heap[i] = w->heap[p];
		i = p;
	}
	w->heap[i] = e;
}

bool sim_pop(struct sim_world *w, struct sim_ev *ret)
{
	struct sim_ev last;
	int i = 0;

	if (!w->nheap)
		return false;
	*ret = w->heap[0];
	last = w->heap[--w->nheap];
	for (;;) {
		int c = 2 * i + 1;
		if (c >= w->nheap)
			break;
		if (c + 1 < w->nheap && ev_less(&w->heap[c + 1], &w->heap[c]))
			c++;
		if (!ev_less(&w->heap[c], &last))
			break;
		w->heap[i] = w->heap[c];
		i = c;
	}
	if (w->nheap)
		w->heap[i] = last;
	return true;
}

/* ---- trace and failure ---- */

void sim_trace(struct sim_world *w, const char *fmt, ...)
{
	va_list ap;
	char *line;
	int n;

	if (!w->trace)
		return;
	line = w->tr[w->ntr++ % SIM_TRACE_LINES];
	n = snprintf(line, 160, "%9.3f ms  ", (double)w->now / 1e6);
	va_start(ap, fmt);
	vsnprintf(line + n, (size_t)(160 - n), fmt, ap);
	va_end(ap);
}

void sim_fail(struct sim_world *w, const char *fmt, ...)
{
	va_list ap;

	if (w->failed)
		return;
	w->failed = true;
	va_start(ap, fmt);
	vsnprintf(w->why, sizeof(w->why), fmt, ap);
	va_end(ap);
	sim_trace(w, "VIOLATION: %s", w->why);
}

/* ---- I/O pool ---- */

static int io_alloc(struct sim_world *w)
{
	int idx;

	if (w->nio_free)
		idx = w->io_free[--w->nio_free];
	else if (w->io_hwm < SIM_IOS_MAX)
		idx = w->io_hwm++;
	else {
		sim_fail(w, "simulator: I/O pool exhausted");
		return -1;
	}
	memset(&w->io[idx], 0, sizeof(w->io[idx]));
	w->io[idx].used = true;
	w->io[idx].gen = (uint32_t)++w->seq;
	return idx;
}

void sim_io_free(struct sim_world *w, int idx)
{
	if (!w->io[idx].used)
		return;
	w->io[idx].used = false;
	w->io_free[w->nio_free++] = idx;
}

const char *sim_op_name(const struct sim_io *io)
{
	static const char *const kinds[CRD_IO_KIND_MAX] = {
		[CRD_IO_LEASE_READ] = "lease-read", [CRD_IO_LEASE_WRITE] = "lease-write",
		[CRD_IO_R0_TERM_READ] = "r0-term-read"};

	static const char *const su_ops[] = {"slot-write", "slot-read", "region-read",
					     "region-write"};

	if (io->op >= SIM_OP_SLOT_WRITE && io->op <= SIM_OP_REG_WRITE)
		return su_ops[io->op - SIM_OP_SLOT_WRITE];
	if (io->op == SIM_OP_R0_READ)
		return "r0-read";
	if (io->op == SIM_OP_R0_WRITE)
		return io->copy ? "r0-write-B" : "r0-write-A";
	return io->req.kind > 0 && io->req.kind < CRD_IO_KIND_MAX ? kinds[io->req.kind] : "?";
}

static const char *fault_name(enum sim_fault f)
{
	static const char *const n[SIM_F_MAX] = {"ok", "fail", "hang", "tear",
						 "late", "slow", "stale"};
	return f < SIM_F_MAX ? n[f] : "?";
}

static bool io_is_write(const struct sim_io *io)
{
	return io->op == SIM_OP_R0_WRITE || io->op == SIM_OP_SLOT_WRITE ||
	       io->op == SIM_OP_REG_WRITE ||
	       (io->op == SIM_OP_LEASE && io->req.kind == CRD_IO_LEASE_WRITE);
}

/* Hands a finished I/O to its unit now or, if the unit is paused, when it runs again. */
static void io_deliver_at(struct sim_world *w, int idx, uint64_t t)
{
	w->io[idx].to_deliver = true;
	sim_push(w, t, SIM_EV_DELIVER, w->io[idx].unit, (uint32_t)idx, w->io[idx].gen);
}

/* ---- channels ---- */

static bool op_is_urgent(enum sim_op op)
{
	return op == SIM_OP_LEASE || op == SIM_OP_SLOT_WRITE || op == SIM_OP_SLOT_READ;
}

static void chan_dispatch(struct sim_world *w, int unit, int disk);

int sim_io_submit(struct sim_world *w, int unit, int disk, enum sim_op op,
		  const struct crd_lease_io *req, int copy, const struct sim_r0copy *val,
		  uint64_t not_after)
{
	struct sim_chan *ch = &w->u[unit].ch[disk];
	int idx = io_alloc(w), pos;
	struct sim_io *io;

	if (idx < 0)
		return -1;
	io = &w->io[idx];
	io->unit = (uint16_t)unit;
	io->inc = w->u[unit].inc;
	io->disk = disk;
	io->op = op;
	if (req)
		io->req = *req;
	io->copy = copy;
	if (val)
		io->val = *val;
	io->not_after = not_after;
	if (ch->zombie) { /* contract: a timed-out I/O has not returned yet */
		io->result = -EAGAIN;
		io->issue = io->complete = w->now;
		io->serve = io->ret = SIM_NEVER;
		io_deliver_at(w, idx, w->now);
		return idx;
	}
	if (ch->nq >= SIM_QUEUE_MAX) {
		sim_fail(w, "simulator: channel queue of unit %d disk %d full", unit + 1, disk);
		sim_io_free(w, idx);
		return -1;
	}
	/* lease I/O before region I/O, FIFO within each class */
	/* slot and lease I/O before region I/O (crd.md §1) */
	pos = ch->nq;
	if (op_is_urgent(op))
		while (pos > 0 && !op_is_urgent(w->io[ch->q[pos - 1]].op))
			pos--;
	memmove(&ch->q[pos + 1], &ch->q[pos], (size_t)(ch->nq - pos) * sizeof(int));
	ch->q[pos] = idx;
	ch->nq++;
	chan_dispatch(w, unit, disk);
	return idx;
}

/* Draws the fault and the service times of an I/O issued now. */
static void io_draw(struct sim_world *w, struct sim_io *io)
{
	const struct sim_faults *f = &w->u[io->unit].f[io->disk];
	const uint64_t tio = SIM_MS(w->timing.io_ms);
	bool write = io_is_write(io);
	uint64_t d, r = sim_rand(w) % 1000, acc = 0;
	enum sim_fault ft = SIM_F_NONE;

	if (f->unreachable || (w->now >= f->out_from && w->now < f->out_to)) {
		ft = SIM_F_FAIL;
	} else {
		for (int i = SIM_F_FAIL; i < SIM_F_MAX; i++) {
			acc += f->p[i];
			if (r < acc) {
				ft = (enum sim_fault)i;
				break;
			}
		}
	}
	if ((ft == SIM_F_TEAR || ft == SIM_F_LATE) && !write)
		ft = SIM_F_SLOW;
	/* region 0 keeps two copies against one destroyed copy: a torn write of the master
	 * and a late landing of a former master in one schedule is the double fault that
	 * defeats them (docs/simulator.md); only the r0_tear_late check combines them. A
	 * hung write that lands when it returns is a late landing too (below). */
	if (io->op == SIM_OP_R0_WRITE && !w->o.r0_tear_late &&
	    ((ft == SIM_F_TEAR && !w->r0_tear) || (ft == SIM_F_LATE && w->r0_tear)))
		ft = SIM_F_FAIL;
	if (ft == SIM_F_STALE && (io->op != SIM_OP_R0_READ || !w->stale_on ||
				  w->stale_unit != io->unit || w->stale_disk != io->disk))
		ft = SIM_F_NONE;
	/* a release (R4) that lands late overwrites a newer holder's record with "free":
	 * finding 1 of docs/simulator.md; only the late_release checks inject it */
	if (io->op == SIM_OP_LEASE && (io->req.rec.flags & CRD_LEASE_RELEASED) &&
	    !w->o.late_release && (ft == SIM_F_LATE || ft == SIM_F_HANG))
		ft = SIM_F_FAIL;
	/* an SU region write (RECOVER, reconcile) that lands late: finding 6 of
	 * docs/simulator.md; only the su_late_write check injects it */
	if (io->op == SIM_OP_REG_WRITE && !w->o.su_late_write &&
	    (ft == SIM_F_LATE || ft == SIM_F_HANG))
		ft = SIM_F_FAIL;
	io->fault = ft;
	switch (ft) {
	case SIM_F_SLOW:
		d = sim_range(w, 0, tio + tio / 2);
		break;
	case SIM_F_HANG:
		d = sim_chance(w, 250) ? SIM_NEVER : sim_range(w, SIM_MS(1500), SIM_MS(30000));
		break;
	case SIM_F_LATE:
		d = tio + sim_range(w, SIM_MS(100), SIM_MS(3000));
		break;
	default:
		d = sim_range(w, 200000, SIM_MS(20));
		break;
	}
	io->ret = d == SIM_NEVER ? SIM_NEVER : io->issue + d;
	if (ft == SIM_F_LATE)
		io->serve = io->ret - sim_range(w, 0, SIM_MS(50));
	else if (ft == SIM_F_HANG)
		io->serve = write && sim_chance(w, 500) &&
				    (io->op != SIM_OP_R0_WRITE || !w->r0_tear || w->o.r0_tear_late)
				    ? io->issue + sim_range(w, 0, d == SIM_NEVER ? SIM_MS(30000) : d)
				    : SIM_NEVER;
	else if (ft == SIM_F_FAIL)
		io->serve = SIM_NEVER;
	else
		io->serve = io->issue + sim_range(w, 0, d);
}

static void io_schedule(struct sim_world *w, int idx)
{
	struct sim_io *io = &w->io[idx];

	if (io->serve != SIM_NEVER && !io->served)
		sim_push(w, io->serve, SIM_EV_SERVE, io->unit, (uint32_t)idx, io->gen);
	if (io->ret != SIM_NEVER)
		sim_push(w, io->ret, SIM_EV_RETURN, io->unit, (uint32_t)idx, io->gen);
}

static void chan_dispatch(struct sim_world *w, int unit, int disk)
{
	struct sim_unit *u = &w->u[unit];
	struct sim_chan *ch = &u->ch[disk];

	while (!ch->busy && ch->nq) {
		int idx = ch->q[0];
		struct sim_io *io = &w->io[idx];

		memmove(&ch->q[0], &ch->q[1], (size_t)--ch->nq * sizeof(int));
		if (io->not_after && w->now >= io->not_after) { /* R1 in the disk thread */
			io->result = -ETIME;
			io->issue = io->complete = w->now;
			io->serve = io->ret = SIM_NEVER;
			io_deliver_at(w, idx, w->now);
			continue;
		}
		io->issue = w->now;
		io_draw(w, io);
		io->on_chan = true;
		ch->busy = idx + 1;
		sim_trace(w, "u%d d%d issue %s #%d fault=%s ret+%.1f ms", unit + 1, disk,
			  sim_op_name(io), idx, fault_name(io->fault),
			  io->ret == SIM_NEVER ? -1.0 : (double)(io->ret - io->issue) / 1e6);
		io_schedule(w, idx);
		sim_push(w, io->issue + SIM_MS(w->timing.io_ms), SIM_EV_TIMEOUT, unit,
			 (uint32_t)idx, io->gen);
	}
}

static uint32_t lease_ident(const struct sim_disk *d)
{
	uint64_t h;

	if (d->lease_state == 0)
		return 0;
	if (d->lease_state == 2)
		return 0x80000000u | d->lease_salt;
	h = d->lease.holder * 0x9e3779b97f4a7c15ull ^ d->lease.incarnation;
	h = (h ^ (h >> 29)) * 0xbf58476d1ce4e5b9ull ^ d->lease.counter;
	h = (h ^ (h >> 31)) * 0x94d049bb133111ebull ^ d->lease.term;
	h = (h ^ (h >> 27)) * 0x9e3779b97f4a7c15ull ^ ((uint64_t)d->lease.flags << 32) ^
	    d->lease.lease_ms;
	h ^= h >> 33;
	return (uint32_t)h | 1u;
}

/* The read samples / the write lands. */
static void io_serve(struct sim_world *w, int idx)
{
	struct sim_io *io = &w->io[idx];
	struct sim_disk *d = &w->disk[io->disk];

	io->served = true;
	switch (io->op) {
	case SIM_OP_LEASE:
		if (io->req.kind == CRD_IO_LEASE_WRITE) {
			if (io->fault == SIM_F_TEAR) {
				d->lease_state = 2;
				d->lease_salt = (uint32_t)sim_rand(w) & 0x7fffffffu;
			} else {
				d->lease_state = 1;
				d->lease = io->req.rec;
			}
			sim_trace(w, "u%d d%d LAND lease {holder %u term %llu counter %llu%s}%s",
				  io->unit + 1, io->disk, io->req.rec.holder,
				  (unsigned long long)io->req.rec.term,
				  (unsigned long long)io->req.rec.counter,
				  io->req.rec.flags & CRD_LEASE_RELEASED ? " released" : "",
				  io->fault == SIM_F_TEAR ? " TORN" : "");
		} else if (io->req.kind == CRD_IO_R0_TERM_READ) {
			io->r0_term = 0;
			for (int c = 0; c < 2; c++)
				if (d->r0[c].valid && d->r0[c].term > io->r0_term)
					io->r0_term = d->r0[c].term;
		} else {
			io->lease_state = d->lease_state;
			io->lease = d->lease;
			io->raw = lease_ident(d);
		}
		break;
	case SIM_OP_R0_READ:
		for (int c = 0; c < 2; c++)
			io->r0[c] = io->fault == SIM_F_STALE ? d->r0_prev[c] : d->r0[c];
		break;
	case SIM_OP_SLOT_WRITE:
		d->slot[io->unit].state = io->fault == SIM_F_TEAR ? 2 : 1;
		d->slot[io->unit].s = io->slot;
		d->slot[io->unit].salt = (uint32_t)sim_rand(w);
		break;
	case SIM_OP_SLOT_READ:
		io->slot_state = d->slot[io->target].state;
		io->slot = d->slot[io->target].s;
		io->slot_salt = d->slot[io->target].salt;
		break;
	case SIM_OP_REG_READ:
		io->reg[0] = d->reg[io->target][0];
		io->reg[1] = d->reg[io->target][1];
		break;
	case SIM_OP_REG_WRITE:
		d->reg[io->unit][io->copy] = io->reg[0];
		if (io->fault == SIM_F_TEAR)
			d->reg[io->unit][io->copy].valid = false;
		sim_trace(w, "su%d d%d LAND region copy %c gen %llu version %d%s", io->unit + 1,
			  io->disk, 'A' + io->copy, (unsigned long long)io->reg[0].gen,
			  io->reg[0].ver, io->fault == SIM_F_TEAR ? " TORN" : "");
		break;
	case SIM_OP_R0_WRITE:
		d->r0_prev[io->copy] = d->r0[io->copy];
		d->r0[io->copy] = io->val;
		if (io->fault == SIM_F_TEAR)
			d->r0[io->copy].valid = false;
		sim_trace(w, "u%d d%d LAND r0 copy %c {term %llu gen %llu count %llu}%s",
			  io->unit + 1, io->disk, 'A' + io->copy,
			  (unsigned long long)io->val.term, (unsigned long long)io->val.gen,
			  (unsigned long long)io->val.count,
			  io->fault == SIM_F_TEAR ? " TORN" : "");
		break;
	}
}

static void chan_release(struct sim_unit *u, int disk, int idx)
{
	if (u->ch[disk].busy == idx + 1) {
		u->ch[disk].busy = 0;
		u->ch[disk].zombie = false;
	}
}

static bool io_stale_unit(const struct sim_world *w, const struct sim_io *io)
{
	return !w->u[io->unit].alive || w->u[io->unit].inc != io->inc;
}

static void io_maybe_free(struct sim_world *w, int idx)
{
	struct sim_io *io = &w->io[idx];

	/* done when its syscall returned (or never will and the unit got its timeout) and
	 * it has sampled or landed (or never will) */
	if ((io->returned || (io->ret == SIM_NEVER && (io->delivered || !io->on_chan))) &&
	    (io->served || io->serve == SIM_NEVER) && !io->to_deliver)
		sim_io_free(w, idx);
}

void sim_io_event(struct sim_world *w, const struct sim_ev *e)
{
	int idx = (int)e->arg;
	struct sim_io *io = &w->io[idx];
	struct sim_unit *u = &w->u[e->unit];

	if (e->type == SIM_EV_DISPATCH) { /* the disk thread runs again after a pause */
		if (u->alive && u->inc == e->gen)
			chan_dispatch(w, e->unit, (int)e->arg);
		return;
	}
	if (!io->used || io->gen != e->gen)
		return; /* an event of a freed I/O or of a moved syscall */
	switch (e->type) {
	case SIM_EV_SERVE:
		io_serve(w, idx);
		io_maybe_free(w, idx);
		return;
	case SIM_EV_RETURN:
		io->returned = true;
		if (io_stale_unit(w, io)) {
			io_maybe_free(w, idx);
			return;
		}
		if (io->timed_out) { /* the zombie returned: the disk may be used again */
			chan_release(u, io->disk, idx);
			io_maybe_free(w, idx);
			if (w->now < u->pause_until)
				sim_push(w, u->pause_until, SIM_EV_DISPATCH, io->unit,
					 (uint32_t)io->disk, u->inc);
			else
				chan_dispatch(w, io->unit, io->disk);
			return;
		}
		io->result = io->fault == SIM_F_NONE || io->fault == SIM_F_SLOW ||
					     io->fault == SIM_F_STALE
				     ? 0
				     : -EIO;
		io_deliver_at(w, idx, w->now);
		return;
	case SIM_EV_TIMEOUT:
		if (io_stale_unit(w, io) || io->timed_out || io->delivered ||
		    (io->returned && !io->to_deliver))
			return;
		if (w->now < u->pause_until) {
			/* the watchdog thread is stopped too; after SIGCONT it races with the
			 * disk thread (a few ms of scheduling jitter) */
			sim_push(w, u->pause_until + sim_range(w, 0, SIM_MS(3)), SIM_EV_TIMEOUT,
				 e->unit, e->arg, e->gen);
			return;
		}
		/* not returned, or returned during a pause but the watchdog runs first */
		io->timed_out = true;
		io->result = -ETIMEDOUT;
		io->complete = io->issue + SIM_MS(w->timing.io_ms);
		if (!io->returned)
			u->ch[io->disk].zombie = true;
		if (!io->to_deliver)
			io_deliver_at(w, idx, w->now);
		return;
	case SIM_EV_DELIVER:
		if (io_stale_unit(w, io)) {
			io->to_deliver = false;
			io_maybe_free(w, idx);
			return;
		}
		if (w->now < u->pause_until) {
			sim_push(w, u->pause_until, SIM_EV_DELIVER, e->unit, e->arg, e->gen);
			return;
		}
		io->to_deliver = false;
		io->delivered = true;
		if (io->on_chan && !io->timed_out)
			io->complete = w->now; /* taken when the thread runs again */
		if (io->on_chan && io->returned)
			chan_release(u, io->disk, idx);
		sim_trace(w, "u%d d%d done %s #%d result %d issue %.3f complete %.3f", e->unit + 1,
			  io->disk, sim_op_name(io), idx, io->result, (double)io->issue / 1e6,
			  (double)io->complete / 1e6);
		sim_unit_done(w, idx);
		io_maybe_free(w, idx);
		if (!w->u[e->unit].ch[io->disk].busy)
			chan_dispatch(w, e->unit, io->disk);
		return;
	default:
		return;
	}
}

void sim_io_pause(struct sim_world *w, int unit, uint64_t until)
{
	for (int d = 0; d < SIM_DISKS; d++) {
		struct sim_chan *ch = &w->u[unit].ch[d];
		struct sim_io *io;
		uint64_t shift;

		if (!ch->busy || ch->zombie)
			continue;
		io = &w->io[ch->busy - 1];
		if (io->served || io->returned || io->ret == SIM_NEVER || !sim_chance(w, 500))
			continue;
		if (io->op == SIM_OP_REG_WRITE && !w->o.su_late_write)
			continue; /* lands late: finding 6, only in the su_late_write check */
		if (io->op == SIM_OP_R0_WRITE && w->r0_tear && !w->o.r0_tear_late)
			continue; /* a late landing in a tear schedule: finding 3 */
		/* stopped between the clock read and the syscall */
		shift = until - w->now;
		io->gen = (uint32_t)++w->seq;
		if (io->serve != SIM_NEVER)
			io->serve += shift;
		io->ret += shift;
		io_schedule(w, ch->busy - 1);
		sim_push(w, io->issue + SIM_MS(w->timing.io_ms), SIM_EV_TIMEOUT, unit,
			 (uint32_t)(ch->busy - 1), io->gen);
	}
}

void sim_io_forget(struct sim_world *w, int unit)
{
	for (int d = 0; d < SIM_DISKS; d++) {
		struct sim_chan *ch = &w->u[unit].ch[d];
		for (int i = 0; i < ch->nq; i++)
			sim_io_free(w, ch->q[i]);
		memset(ch, 0, sizeof(*ch));
	}
}
