/* gwrite.c — the global data (CRD region 0) on a running unit: the Master MU's changes and
 * every unit's re-read (architecture.md §3: the Master MU is the only writer of the global
 * region; crd.md §3, §5; issue 3 topology bullet "on a running cluster, without downtime";
 * docs/topology.md "Changes on a running cluster").
 *
 * Both run as jobs on the unit's region thread (crd_unit_region_submit; the loop never
 * blocks), one after the other:
 *
 *  - a change (Master MU only): on the first change of a lease term the job reads region 0
 *    on EVERY external disk and sets the unit's own region-0 writer from that read
 *    (crd_unit_region_writer(u, 0): the writer the unit's resync of a returning disk uses
 *    too, so that generations never go back; decisions.md "A new master reads region 0 on
 *    every external disk before its first write"); afterwards the job trusts the data it
 *    committed last (the master is the only writer). It applies the edit to a copy,
 *    validates it and writes it with term = the lease term and not_after = the lease
 *    validity (R1). Only a committed (durable) write changes anything: then the loop swaps
 *    d->global. A failed or in-doubt write changes nothing in memory, and the next change
 *    reads every disk again;
 *  - a re-read (every unit, every GSYNC_MS; an MU also at once when a published snapshot
 *    carries a higher "global_generation", and when it becomes Master MU): region 0 as the
 *    read rules of crd.md §5 give it; the loop swaps d->global when its generation is
 *    higher than the one held.
 *
 * Generations only grow (every writer starts above the highest it read), so "higher
 * generation" is "newer" for every reader. */
#include "cluster/gedit.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "secd/secd.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define GSYNC_MS 3000 /* every unit re-reads region 0 this often */

/* What only the region thread touches, and the loop's sync bookkeeping. */
struct secd_gstate {
	struct secd *d;
	/* region thread */
	uint64_t term;               /* the lease term `base` belongs to; 0 = read first */
	struct cluster_global *base; /* region 0 as read or last committed in that term */
	/* loop */
	bool sync_pending;
	uv_timer_t timer;
};

struct gjob {
	struct crd_rjob job; /* first member */
	struct secd_gstate *st;
	bool write;          /* a change; else a re-read */
	struct crd_region_writer *w;
	uint64_t term, not_after;
	secd_gedit_fn *edit;
	void *edit_arg;
	secd_gdone_fn *done;
	void *done_arg;
	struct secd_gresult res;
	struct cluster_global *result; /* on success: the new global data (for the loop) */
	void (*then)(void *arg);       /* secd_global_sync_then(): called after the re-read */
	void *then_arg;
};

/* ---- region thread ---- */

/* Reads region 0 and parses it into a new struct (ret); with all, every external disk
 * must have answered. Fills *rr's header fields into gen/term. */
static int read_global(const struct crd_region_disks *rd, bool all, struct cluster_global **ret,
		       struct crd_region_read *rr, struct sec_err *err)
{
	struct cluster_global *g;
	char why[sizeof(err->msg)];
	int r;

	*ret = NULL;
	if ((r = crd_region_read(rd, 0, rr, err)) < 0)
		return r;
	for (int i = 0; all && i < rd->next; i++)
		if (rr->disk_result[rd->ext[i]] != 0)
			return sec_errf(err, -EAGAIN, "region 0 could not be read on every external "
					"CRD disk (disk %d: %s)", i + 1,
					rr->disk_result[rd->ext[i]] < 0
						? strerror(-rr->disk_result[rd->ext[i]])
						: "not reachable");
	if (rr->internal_only)
		return sec_errf(err, -EIO, "no external CRD disk could be read");
	if (!rr->found)
		return sec_errf(err, -ENODATA, "region 0 holds no global data");
	if (!(g = cluster_global_new()))
		return sec_errf(err, -ENOMEM, "out of memory");
	if ((r = cluster_global_from_json(rr->payload, rr->hdr.payload_len, 0, g, err)) < 0) {
		snprintf(why, sizeof(why), "%s", err->msg);
		cluster_global_free(g);
		return sec_errf(err, r, "region 0 (term %" PRIu64 ", generation %" PRIu64 ") is not "
				"valid global data: %s", rr->hdr.term, rr->hdr.generation, why);
	}
	*ret = g;
	return 0;
}

static void release_read(struct crd_region_read *rr)
{
	if (rr->payload)
		auth_password_wipe(rr->payload, rr->hdr.payload_len);
	crd_region_read_release(rr);
}

/* The first change of a term: region 0 from every external disk, the writer above it. */
static int base_for_term(struct gjob *j, const struct crd_region_disks *rd)
{
	struct secd_gstate *st = j->st;
	struct crd_region_read rr;
	struct cluster_global *g;
	uint64_t seen;
	int r;

	if (st->base && st->term == j->term)
		return 0;
	r = read_global(rd, true, &g, &rr, &j->res.err);
	if (r == 0) {
		seen = rr.hdr.generation > j->w->last ? rr.hdr.generation : j->w->last;
		crd_region_writer_init(j->w, 0, j->w->owner, j->w->incarnation, seen);
		crd_region_writer_order_from(j->w, &rr);
		cluster_global_free(st->base);
		st->base = g;
		st->term = j->term;
	}
	release_read(&rr);
	return r;
}

static void change_run(struct gjob *j, const struct crd_region_disks *rd)
{
	struct secd_gstate *st = j->st;
	struct cluster_global *g = NULL;
	char *payload = NULL;
	int r;

	if (clock_boottime_ns() >= j->not_after) {
		r = sec_errf(&j->res.err, -ETIME, "the master lease ran out before the write");
		goto out;
	}
	if ((r = base_for_term(j, rd)) < 0)
		goto out;
	if (!(g = cluster_global_new())) {
		r = sec_errf(&j->res.err, -ENOMEM, "out of memory");
		goto out;
	}
	memcpy(g, st->base, sizeof(*g));
	if ((r = j->edit(g, j->edit_arg, &j->res.conf, &j->res.err)) < 0)
		goto out;
	if ((r = cluster_global_validate(g, 0, &j->res.err)) < 0)
		goto out;
	if (!(payload = cluster_global_to_string(g, 0))) {
		r = sec_errf(&j->res.err, -ENOMEM, "out of memory");
		goto out;
	}
	r = crd_region_write(rd, j->w, j->term, payload, strlen(payload), j->not_after, NULL,
			     &j->res.err);
	auth_password_wipe(payload, strlen(payload));
	free(payload);
	if (r < 0) {
		st->term = 0; /* in doubt: read every disk again before the next change */
		goto out;
	}
	memcpy(st->base, g, sizeof(*g));
	j->res.generation = j->w->committed;
	j->result = g;
	g = NULL;
out:
	cluster_global_free(g);
	j->res.r = r;
}

static void sync_run(struct gjob *j, const struct crd_region_disks *rd)
{
	struct crd_region_read rr;

	j->res.r = read_global(rd, false, &j->result, &rr, &j->res.err);
	if (j->res.r == 0)
		j->res.generation = rr.hdr.generation;
	release_read(&rr);
}

static void gjob_run(struct crd_rjob *job, const struct crd_region_disks *rd)
{
	struct gjob *j = (struct gjob *)job;

	if (j->write)
		change_run(j, rd);
	else
		sync_run(j, rd);
}

/* ---- loop ---- */

/* Takes g (generation gen) as this unit's global data; the Master MU's Cluster Manager
 * follows at once (new heartbeat targets). */
static void swap_global(struct secd *d, struct cluster_global *g, uint64_t gen)
{
	const struct cluster_unit *me;

	cluster_global_free(d->global);
	d->global = g;
	d->global_generation = gen;
	if (d->mgr)
		secd_manager_topology_changed(d->mgr);
	me = secd_global_unit(d, d->cfg.unit_id);
	if (!me || strcmp(me->name, d->cfg.name))
		secd_stop(d, "this unit is no longer a unit of the cluster's global data");
}

static void gjob_done(struct crd_rjob *job)
{
	struct gjob *j = (struct gjob *)job;
	struct secd_gstate *st = j->st;
	struct secd *d = st->d;

	if (job->cancelled) { /* crd_unit_free() after the loop ended: only free */
		j->res.r = sec_errf(&j->res.err, -ECANCELED, "the unit is stopping");
		if (j->done)
			j->done(j->done_arg, &j->res, NULL, NULL);
	} else if (!j->write) {
		if (!j->then)
			st->sync_pending = false;
		if (j->res.r < 0) {
			log_debug("%s: region 0 not re-read: %s", d->who, j->res.err.msg);
		} else if (j->res.generation > d->global_generation) {
			log_info("%s: global data of generation %" PRIu64 " read (was %" PRIu64 ")",
				 d->who, j->res.generation, d->global_generation);
			swap_global(d, j->result, j->res.generation);
			j->result = NULL;
		}
	} else if (j->res.r == 0) {
		log_info("%s: global data of generation %" PRIu64 " written", d->who,
			 j->res.generation);
		j->done(j->done_arg, &j->res, d->global, j->result);
		swap_global(d, j->result, j->res.generation);
		j->result = NULL;
	} else {
		j->done(j->done_arg, &j->res, NULL, NULL);
	}
	if (j->then)
		j->then(j->then_arg);
	cluster_global_free(j->result);
	free(j);
}

int secd_global_sync_then(struct secd *d, void (*fn)(void *arg), void *arg)
{
	struct secd_gstate *st = d->gstate;
	struct gjob *j;
	int r;

	if (!st || d->stopping)
		return -ESHUTDOWN;
	if (!(j = calloc(1, sizeof(*j))))
		return -ENOMEM;
	*j = (struct gjob){.job = {.run = gjob_run, .done = gjob_done}, .st = st, .then = fn,
			   .then_arg = arg};
	if ((r = crd_unit_region_submit(d->unit, &j->job)) < 0) {
		free(j);
		return r;
	}
	return 0;
}

int secd_global_change(struct secd *d, secd_gedit_fn *edit, void *edit_arg,
		       secd_gdone_fn *done, void *done_arg, struct sec_err *reterr)
{
	struct crd_unit_master m = crd_unit_master(d->unit);
	struct gjob *j;
	int r;

	if (!d->gstate || !m.held || clock_boottime_ns() >= m.valid_until)
		return sec_errf(reterr, -ENOLCK, "this MU is not the Master MU");
	if (!(j = calloc(1, sizeof(*j))))
		return sec_errf(reterr, -ENOMEM, "out of memory");
	*j = (struct gjob){.job = {.run = gjob_run, .done = gjob_done}, .st = d->gstate,
			   .write = true, .w = crd_unit_region_writer(d->unit, 0), .term = m.term,
			   .not_after = m.valid_until, .edit = edit, .edit_arg = edit_arg,
			   .done = done, .done_arg = done_arg};
	cluster_conflicts_init(&j->res.conf);
	if (!j->w || (r = crd_unit_region_submit(d->unit, &j->job)) < 0) {
		free(j);
		return sec_errf(reterr, -ESHUTDOWN, "the unit is stopping");
	}
	return 0;
}

void secd_global_sync(struct secd *d)
{
	struct secd_gstate *st = d->gstate;
	struct gjob *j;

	if (!st || st->sync_pending || d->stopping || !(j = calloc(1, sizeof(*j))))
		return;
	*j = (struct gjob){.job = {.run = gjob_run, .done = gjob_done}, .st = st};
	if (crd_unit_region_submit(d->unit, &j->job) < 0) {
		free(j);
		return;
	}
	st->sync_pending = true;
}

static void on_sync_timer(uv_timer_t *t)
{
	struct secd_gstate *st = t->data;

	secd_global_sync(st->d);
}

int secd_global_sync_start(struct secd *d, struct sec_err *reterr)
{
	struct secd_gstate *st = calloc(1, sizeof(*st));

	if (!st)
		return sec_errf(reterr, -ENOMEM, "out of memory");
	st->d = d;
	uv_timer_init(&d->loop, &st->timer);
	st->timer.data = st;
	uv_timer_start(&st->timer, on_sync_timer, GSYNC_MS, GSYNC_MS);
	d->gstate = st;
	return 0;
}

void secd_global_close(struct secd *d)
{
	if (d->gstate) {
		uv_timer_stop(&d->gstate->timer);
		uv_close((uv_handle_t *)&d->gstate->timer, NULL);
	}
}

/* After crd_unit_free(): its cancelled jobs still pointed at the state. */
void secd_global_free(struct secd *d)
{
	if (!d->gstate)
		return;
	cluster_global_free(d->gstate->base);
	free(d->gstate);
	d->gstate = NULL;
}

void secd_gresult_failure(const struct secd_gresult *res, struct secd_gfailure *ret)
{
	*ret = (struct secd_gfailure){.status = 503, .code = "unavailable"};
	switch (res->r) {
	case -EINVAL:
		*ret = (struct secd_gfailure){.status = 400, .code = "bad_request"};
		break;
	case -ENOENT:
		*ret = (struct secd_gfailure){.status = 404, .code = "not_found"};
		break;
	case -EEXIST:
	case -EBUSY:
	case -E2BIG:
		*ret = (struct secd_gfailure){.status = 409, .code = "conflict",
					      .details = cluster_conflicts_to_json(&res->conf)};
		break;
	case -ETIME:
	case -ENOLCK:
		*ret = (struct secd_gfailure){.status = 503, .code = "no_master"};
		snprintf(ret->msg, sizeof(ret->msg), "the change did not commit: %s; retry",
			 res->err.msg);
		return;
	case -ENOMEM:
		*ret = (struct secd_gfailure){.status = 500, .code = "internal"};
		break;
	default:
		snprintf(ret->msg, sizeof(ret->msg), "the global data could not be written to the "
			 "CRD: %s; the change did not commit (the next change reads every CRD disk "
			 "first); retry", res->err.msg);
		return;
	}
	snprintf(ret->msg, sizeof(ret->msg), "%s", res->err.msg);
}
