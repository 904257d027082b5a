/* force.c — `sectl cluster force-master --i-understand` on this MU (crd.md §5: N = 2 with a
 * disk down, when no Master MU can be elected; docs/api.md POST /api/v1/cluster/force-master).
 *
 * Not forwarded: it is meant for the situation without a master, on the MU the operator
 * picks. The request asks the lease engine for a forced claim (crd/lease.h "Forced claim")
 * and waits — suspended — for its answer, which secd_force_poll() picks up after each run
 * of the CRD runtime:
 *   DONE     200 {"master_mu", "term", "disks"}; audit OK; event WARNING (Cluster)
 *            "Master MU forced on 'mu3' by 'admin'"; then region 0 is rewritten with the
 *            new term on the disks this MU reads (crd_region_owner_resync), so that its
 *            data outranks everything of the lower term;
 *   REFUSED  409 conflict: a lease block this MU reads changed within the lease timeout
 *            (details: disk, holder, term, how long unchanged), or no disk readable;
 *   FAILED   409 conflict: the claim was not confirmed (another claim at the same time).
 * Every request is audited (Start, then OK or Failed).
 *
 * After a forced claim the disks rejoin: when a disk of this MU turns STALE (it answers
 * again; its resync is queued right after this check on the region thread), region 0 is
 * read on that disk alone first. A copy of a lower term than the forced one that is newer
 * than what this MU took over at the force was written while the disks were apart: it is
 * discarded (the resync overwrites it), and an event (WARNING, CRD) says so and lists the
 * parts of the global data it differed in (cluster/global_diff.h); otherwise a NOTICE says
 * that nothing was lost. */
#include "cluster/global_diff.h"
#include "crd/region.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "secd/routes.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct secd_force {
	struct api_req *req;   /* the request waiting for the engine, or NULL */
	char account[AUTH_ACCOUNT_MAX + 1];
	uint64_t deadline_ns;
	/* after a forced claim */
	bool forced;
	uint64_t term;          /* of the forced claim */
	unsigned rejoin_mask;   /* disks outside the forced claim, not yet checked */
	bool have_base;
	uint64_t base_term, base_gen; /* region 0 as taken over at the force */
	char *base_payload;
	size_t base_len;
	enum crd_disk_status last[CRD_SET_DISKS_MAX];
};

static struct secd_force *force_get(struct secd *d)
{
	if (!d->force) {
		d->force = calloc(1, sizeof(*d->force));
		for (int i = 0; d->force && i < (int)CRD_SET_DISKS_MAX; i++)
			d->force->last[i] = CRD_DISK_NORMAL;
	}
	return d->force;
}

void secd_force_free(struct secd *d)
{
	if (!d->force)
		return;
	free(d->force->base_payload);
	free(d->force);
	d->force = NULL;
}

/* ---- region 0 after the forced claim (region thread) ---- */

struct r0_job {
	struct crd_rjob job; /* first member */
	struct secd *d;
	struct crd_unit *u;
	uint64_t term, not_after;
	int disk;            /* check: the position of the rejoining disk; -1: rewrite */
	int r;
	struct sec_err err;
	/* rewrite: what was taken over; check: what the rejoining disk holds */
	bool found;
	uint64_t hterm, hgen;
	uint32_t owner;
	char *payload;
	size_t len;
};

static void r0_take(struct r0_job *j, const struct crd_region_read *rr)
{
	j->found = rr->found;
	if (!rr->found)
		return;
	j->hterm = rr->hdr.term;
	j->hgen = rr->hdr.generation;
	j->owner = rr->hdr.owner;
	j->len = rr->hdr.payload_len;
	j->payload = malloc(j->len + 1);
	if (j->payload)
		memcpy(j->payload, rr->payload, j->len + 1);
}

/* The forced master's first act on region 0: read what it takes over, rewrite it with the
 * new term on every disk it reaches. */
static void rewrite_run(struct crd_rjob *job, const struct crd_region_disks *rd)
{
	struct r0_job *j = (struct r0_job *)job;
	struct crd_region_writer *w = crd_unit_region_writer(j->u, 0);
	struct crd_region_read rr;

	j->r = crd_region_read(rd, 0, &rr, &j->err);
	if (j->r < 0)
		return;
	r0_take(j, &rr);
	crd_region_read_release(&rr);
	if (j->found)
		j->r = crd_region_owner_resync(rd, w, j->term, j->not_after, &j->err);
}

/* A rejoining disk, alone, before its resync. */
static void check_run(struct crd_rjob *job, const struct crd_region_disks *rd)
{
	struct r0_job *j = (struct r0_job *)job;
	struct crd_region_disks one = *rd;
	struct crd_region_read rr;

	one.next = 1;
	one.ext[0] = rd->ext[j->disk];
	one.internal = -1;
	if (one.ext[0] < 0) {
		j->r = sec_errf(&j->err, -ENODEV, "the disk is not in use");
		return;
	}
	j->r = crd_region_read(&one, 0, &rr, &j->err);
	if (j->r == 0)
		r0_take(j, &rr);
	crd_region_read_release(&rr);
}

static void rewrite_done(struct crd_rjob *job)
{
	struct r0_job *j = (struct r0_job *)job;
	struct secd_force *f = j->d->force;

	if (!job->cancelled && f) {
		if (j->r < 0) {
			secd_event(j->d, LB_WARNING, "CRD", "Region-0 data could not be rewritten with "
				   "term %" PRIu64 " after force-master: %s", j->term, j->err.msg);
		} else if (j->found && j->payload) {
			free(f->base_payload);
			f->base_payload = j->payload;
			f->base_len = j->len;
			f->base_term = j->hterm;
			f->base_gen = j->hgen;
			f->have_base = true;
			j->payload = NULL;
			log_info("%s: region 0 (term %" PRIu64 " generation %" PRIu64 ") rewritten "
				 "with term %" PRIu64 " after force-master", j->d->who, f->base_term,
				 f->base_gen, j->term);
		}
	}
	free(j->payload);
	free(j);
}

static void check_done(struct crd_rjob *job)
{
	struct r0_job *j = (struct r0_job *)job;
	struct secd *d = j->d;
	struct secd_force *f = d->force;
	const char *name;
	char what[256];

	if (job->cancelled || !f || !d->unit) {
		free(j->payload);
		free(j);
		return;
	}
	name = crd_unit_disk_name(d->unit, j->disk);
	if (j->r < 0) {
		log_warnx("%s: CRD disk '%s' rejoined after force-master; its region 0 could not "
			  "be read before the resync: %s", d->who, name, j->err.msg);
	} else if (j->found && j->hterm < f->term &&
		   (j->hterm > f->base_term || (j->hterm == f->base_term && j->hgen > f->base_gen))) {
		if (!f->have_base || !j->payload ||
		    cluster_global_diff(f->base_payload, f->base_len, j->payload, j->len, what,
					sizeof(what)) < 0)
			snprintf(what, sizeof(what), "(not comparable)");
		secd_event(d, LB_WARNING, "CRD", "Region-0 data of term %" PRIu64 " on CRD disk "
			   "'%s' was discarded after force-master (term %" PRIu64 "): generations "
			   "%" PRIu64 "..%" PRIu64 " of unit %u were lost; they differed in: %s",
			   j->hterm, name, f->term,
			   j->hterm == f->base_term ? f->base_gen + 1 : 1, j->hgen, j->owner,
			   what[0] ? what : "nothing");
	} else {
		secd_event(d, LB_NOTICE, "CRD", "CRD disk '%s' rejoined after force-master (term "
			   "%" PRIu64 "): no region-0 data of a lower term was lost", name, f->term);
	}
	free(j->payload);
	free(j);
}

static void submit_r0(struct secd *d, int disk)
{
	struct r0_job *j = calloc(1, sizeof(*j));
	struct crd_unit_master m = crd_unit_master(d->unit);

	if (!j)
		return;
	j->d = d;
	j->u = d->unit;
	j->term = m.term;
	j->not_after = m.valid_until;
	j->disk = disk;
	j->job.run = disk < 0 ? rewrite_run : check_run;
	j->job.done = disk < 0 ? rewrite_done : check_done;
	if (crd_unit_region_submit(d->unit, &j->job) < 0)
		free(j);
}

void secd_force_on_crd_change(struct secd *d)
{
	struct secd_force *f = d->force;
	enum crd_disk_status disks[CRD_SET_DISKS_MAX];
	uint32_t n = 0;

	if (!f || !d->unit)
		return;
	crd_unit_crd_status(d->unit, disks, &n);
	for (uint32_t i = 0; i < n && i < CRD_SET_DISKS_MAX; i++) {
		/* called before the unit queues the resync of a disk that turned STALE */
		if (f->forced && (f->rejoin_mask & (1u << i)) && disks[i] == CRD_DISK_STALE &&
		    f->last[i] != CRD_DISK_STALE && d->master) {
			f->rejoin_mask &= ~(1u << i);
			submit_r0(d, (int)i);
		}
		f->last[i] = disks[i];
	}
}

/* ---- the request ---- */

static void reply_refused(struct secd *d, struct secd_force *f, const struct crd_lease_force *lf)
{
	char why[512], holder[160];
	const struct cluster_unit *hu;
	const char *disk;

	if (lf->reason == CRD_FORCE_R_LIVE) {
		disk = crd_unit_disk_name(d->unit, lf->disk);
		hu = lf->decode == 0 ? secd_global_unit(d, lf->rec.holder) : NULL;
		if (lf->decode != 0)
			snprintf(holder, sizeof(holder), "a damaged block");
		else
			snprintf(holder, sizeof(holder), "holder unit %u%s%s%s, term %" PRIu64,
				 lf->rec.holder, hu ? " '" : "", hu ? hu->name : "", hu ? "'" : "",
				 lf->rec.term);
		if (lf->unread)
			snprintf(why, sizeof(why), "the master lease on CRD disk '%s' was live when "
				 "this MU last read it, less than the lease timeout (%" PRIu64 " ms) ago "
				 "(%s); the disk does not answer now: try again later", disk,
				 lf->needed_ms, holder);
		else
			snprintf(why, sizeof(why), "the master lease on CRD disk '%s' is live: its "
				 "block has been unchanged for %" PRIu64 " ms only (%s); force-master is "
				 "refused while a lease block this MU reads changed within the lease "
				 "timeout (%" PRIu64 " ms)", disk, lf->unchanged_ms, holder,
				 lf->needed_ms);
		api_reply_error_details(f->req, 409, "conflict",
					json_pack("{s:s, s:I, s:I, s:I, s:I}", "disk", disk, "holder",
						  (json_int_t)(lf->decode == 0 ? lf->rec.holder : 0),
						  "term", (json_int_t)lf->rec.term, "unchanged_ms",
						  (json_int_t)lf->unchanged_ms, "needed_ms",
						  (json_int_t)lf->needed_ms),
					"%s", why);
	} else if (lf->reason == CRD_FORCE_R_NO_DISK) {
		snprintf(why, sizeof(why), "unit '%s' reads no external CRD disk: it cannot claim "
			 "the master lease", d->cfg.name);
		api_reply_error(f->req, 409, "conflict", "%s", why);
	} else {
		snprintf(why, sizeof(why), "the forced claim was not confirmed (another MU claimed "
			 "at the same time); check 'sectl cluster status' before trying again");
		api_reply_error(f->req, 409, "conflict", "%s", why);
	}
	secd_audit(d, f->account, "SEM", LB_AUDIT_FAILED, "Action=ForceMaster; Unit=%s --> %s",
		   d->cfg.name, why);
}

static void reply_done(struct secd *d, struct secd_force *f, const struct crd_lease_force *lf)
{
	json_t *disks = json_array();
	char list[2 * CRD_STATUS_NAME_MAX + 16] = "";
	size_t n = 0;

	for (int i = 0; i < (int)CRD_SET_DISKS_MAX; i++)
		if (lf->mask & (1u << i)) {
			const char *name = crd_unit_disk_name(d->unit, i);
			json_array_append_new(disks, json_string(name));
			n += (size_t)snprintf(list + n, n < sizeof(list) ? sizeof(list) - n : 0,
					      "%s'%s'", n ? ", " : "", name);
		}
	api_reply_json(f->req, 200, json_pack("{s:s, s:I, s:o}", "master_mu", d->cfg.name,
					      "term", (json_int_t)lf->term, "disks", disks));
	secd_audit(d, f->account, "SEM", LB_AUDIT_OK,
		   "Action=ForceMaster; Unit=%s --> OK (term %" PRIu64 " on %s)", d->cfg.name,
		   lf->term, list);
	secd_event(d, LB_WARNING, "Cluster", "Master MU forced on '%s' by '%s'", d->cfg.name,
		   f->account);
	f->forced = true;
	f->term = lf->term;
	f->rejoin_mask = ((1u << CRD_SET_DISKS_MAX) - 1) & ~lf->mask;
	f->have_base = false;
	submit_r0(d, -1);
}

static void force_cancelled(struct api_req *r, void *arg)
{
	struct secd *d = arg;

	if (d->force && d->force->req == r) {
		d->force->req = NULL;
		crd_unit_force_cancel(d->unit);
	}
}

void secd_force_poll(struct secd *d)
{
	struct secd_force *f = d->force;
	struct crd_lease_force lf;

	if (!f || !f->req)
		return;
	lf = crd_unit_force_get(d->unit);
	if (lf.state == CRD_FORCE_DONE)
		reply_done(d, f, &lf);
	else if (lf.state == CRD_FORCE_REFUSED || lf.state == CRD_FORCE_FAILED)
		reply_refused(d, f, &lf);
	else if (clock_boottime_ns() < f->deadline_ns && lf.state != CRD_FORCE_NONE)
		return;
	else {
		crd_unit_force_cancel(d->unit);
		api_reply_error(f->req, 503, "unavailable", "the forced claim was not answered in "
				"time; check 'sectl cluster status' before trying again");
		secd_audit(d, f->account, "SEM", LB_AUDIT_FAILED, "Action=ForceMaster; Unit=%s --> "
			   "not answered in time", d->cfg.name);
	}
	f->req = NULL;
}

void secd_route_force_master(struct api_req *r, void *arg)
{
	struct secd *d = arg;
	const struct auth_token_claims *c = api_req_claims(r);
	struct sec_err err = {0};
	struct secd_force *f = force_get(d);
	json_t *j = NULL;
	const char *unit = NULL;
	uint64_t t;
	int rc;

	if (!f) {
		api_reply_error(r, 500, "internal", "out of memory");
		return;
	}
	if (api_req_body(r, NULL)[0]) {
		if (!(j = api_req_json(r, &err))) {
			api_reply_error(r, 400, "bad_request", "%s", err.msg);
			return;
		}
		unit = json_string_value(json_object_get(j, "unit"));
		if (json_object_get(j, "unit") && !unit) {
			json_decref(j);
			api_reply_error(r, 400, "bad_request", "'unit' must be the name of an MU");
			return;
		}
	}
	if (unit && strcmp(unit, d->cfg.name)) { /* the CLI tries the next MU */
		api_reply_error(r, 421, "misdirected", "this is MU '%s', not '%s'", d->cfg.name,
				unit);
		json_decref(j);
		return;
	}
	json_decref(j);
	secd_audit(d, c->account, "SEM", LB_AUDIT_START, "Action=ForceMaster; Unit=%s",
		   d->cfg.name);
	if (f->req) {
		rc = -EBUSY;
	} else {
		rc = crd_unit_force_master(d->unit);
	}
	if (rc < 0) {
		const char *why = rc == -EALREADY ? "this MU is the Master MU already"
				  : rc == -EBUSY  ? "a claim of the master lease is under way on "
						    "this MU; try again in a moment"
						  : "the MU is stopping";
		api_reply_error(r, rc == -ESHUTDOWN ? 503 : 409,
				rc == -ESHUTDOWN ? "unavailable" : "conflict", "unit '%s': %s",
				d->cfg.name, why);
		secd_audit(d, c->account, "SEM", LB_AUDIT_FAILED,
			   "Action=ForceMaster; Unit=%s --> %s", d->cfg.name, why);
		return;
	}
	snprintf(f->account, sizeof(f->account), "%s", c->account);
	f->req = r;
	/* a round of reads (renew), the claim (io), claim_delay, the confirming read (io), plus
	 * generous slack: the answer normally comes within renew + claim + 3 x io */
	t = 3ull * (d->cfg.timing.renew_ms + d->cfg.timing.claim_ms + 3ull * d->cfg.timing.io_ms) +
	    2000;
	f->deadline_ns = clock_boottime_ns() + t * NSEC_PER_MSEC;
	api_req_on_cancel(r, force_cancelled, d);
	log_info("%s: force-master asked by '%s'", d->who, c->account);
}
