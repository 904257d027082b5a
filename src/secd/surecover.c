/* surecover.c — /RECOVER-VM-DEFINITION on the surviving SU (issue 7; seed 5; crd.md §6;
 * the plan: su/recover.h). What the daemon adds to the pure plan:
 *
 *   resolve S (SERVER-UNIT-NAME or *UNIQUE = the partner of the SU Cluster) -> read S's
 *   CRD region (always now, never a cached copy) -> this SU's observer's verdict on S ->
 *   DEAD but older than io_timeout: wait (every 20 ms, up to renew_interval + 2 x
 *   io_timeout + 1 s) for a fresh one -> plan -> the queue carries it out with the write
 *   bounded: issued only before verdict + io_timeout (checked on the region thread right
 *   before the write), in doubt when it completes later than io_timeout (sucmd.c).
 *
 * The sucmd stays the queue's (its rw_inflight counts this job): secd_sucmd_recover_go()
 * hands the plan back, also when the SU stops meanwhile. */
#include "secd/su.h"

#include "cluster/global.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "su/recover.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RECOVER_POLL_MS 20

struct recover_job {
	struct secd_su *s;
	struct secd_sucmd *c;
	struct su_cmd cmd;
	struct su_recover_ctx ctx;
	struct su_model *partner; /* S's model as read (NULL: empty or not read) */
	uv_timer_t timer;
	uint64_t deadline_ns;	  /* CLOCK_MONOTONIC: stop waiting for a fresh verdict */
};

/* This SU's observer's verdict on unit (UNDETERMINABLE "not read" before any read). */
static struct crd_alive_verdict verdict_on(struct secd_su *s, uint32_t unit)
{
	struct crd_unit_peer p;
	struct crd_alive_verdict v = {.verdict = CRD_ALIVE_UNDETERMINABLE,
				      .reason = CRD_ALIVE_R_NOT_READ};

	if (crd_unit_peer(s->d->unit, unit, &p) == 0)
		v = (struct crd_alive_verdict){.verdict = p.verdict, .reason = p.reason,
					       .evidence_ns = p.evidence_ns,
					       .last_change_ns = p.change_ns};
	return v;
}

static void job_closed(uv_handle_t *h)
{
	struct recover_job *j = h->data;

	su_model_free(j->partner);
	free(j);
}

/* Plans now and hands the plan to the queue; the job ends. */
static void job_plan(struct recover_job *j)
{
	struct secd_su *s = j->s;
	uint64_t not_after = 0;
	struct su_plan *p = NULL;

	if (!s->stopping) {
		j->ctx.verdict = verdict_on(s, j->ctx.partner_unit);
		if (j->ctx.verdict.verdict == CRD_ALIVE_DEAD)
			not_after = j->ctx.verdict.evidence_ns +
				    (uint64_t)s->d->cfg.timing.io_ms * NSEC_PER_MSEC;
		p = su_cmd_plan_recover(s->m, &j->cmd, j->partner, &j->ctx,
					(int64_t)(clock_wall_ns() / NSEC_PER_MSEC));
		log_info("%s: %s: SU '%s' %s (%s)%s", s->d->who, "RECOVER-VM-DEFINITION",
			 j->ctx.partner, crd_alive_verdict_to_string(j->ctx.verdict.verdict),
			 crd_alive_reason_to_string(j->ctx.verdict.reason),
			 j->ctx.confirmed ? ", down confirmed by the operator" : "");
	}
	secd_sucmd_recover_go(j->c, p, not_after, j->ctx.partner);
	uv_close((uv_handle_t *)&j->timer, job_closed);
}

static void job_tick(uv_timer_t *t)
{
	struct recover_job *j = t->data;
	struct secd_su *s = j->s;
	struct crd_alive_verdict v = verdict_on(s, j->ctx.partner_unit);

	if (s->stopping || v.verdict != CRD_ALIVE_DEAD || clock_monotonic_ns() > j->deadline_ns ||
	    crd_alive_verdict_fresh(&v, clock_boottime_ns(), s->d->cfg.timing.io_ms)) {
		uv_timer_stop(t);
		job_plan(j);
	}
}

static void job_read(void *arg, int r, char *payload, const char *msg)
{
	struct recover_job *j = arg;
	struct secd_su *s = j->s;
	struct sec_err err = {0};

	j->ctx.partner_read = r == 0;
	if (r < 0)
		log_warnx("%s: RECOVER-VM-DEFINITION: the CRD region of SU '%s': %s", s->d->who,
			  j->ctx.partner, msg);
	if (r == 0 && payload && !(j->partner = su_model_from_json(payload, strlen(payload),
								    &err))) {
		log_warnx("%s: RECOVER-VM-DEFINITION: the unit data of SU '%s': %s", s->d->who,
			  j->ctx.partner, err.msg);
		j->ctx.partner_read = false;
	}
	free(payload);
	const struct crd_timing *tm = &s->d->cfg.timing;
	j->deadline_ns = clock_monotonic_ns() +
			 ((uint64_t)tm->renew_ms + 2ull * tm->io_ms + 1000) * NSEC_PER_MSEC;
	uv_timer_start(&j->timer, job_tick, 0, RECOVER_POLL_MS);
}

/* ctx from the global data: the SU Cluster, the named or unique partner. */
static void job_resolve(struct recover_job *j)
{
	struct secd_su *s = j->s;
	const struct cluster_global *g = s->d->global;
	const char *partner = NULL, *named = j->cmd.su_name[0] ? j->cmd.su_name : NULL;
	const struct cluster_su_cluster *suc =
	    g ? cluster_su_cluster_of(g, s->d->cfg.name, &partner) : NULL;
	struct su_recover_ctx *x = &j->ctx;
	const char *want = named ? named : partner;

	x->in_cluster = suc != NULL;
	x->named_local = named && !strcasecmp(named, s->d->cfg.name);
	x->same_cluster = named && partner && !strcasecmp(named, partner);
	for (uint32_t i = 0; want && g && i < g->n_units; i++) {
		const struct cluster_unit *u = &g->units[i];
		if (strcasecmp(u->name, want) || u->role != CRD_UNIT_SU)
			continue;
		x->known = true;
		if (!named || x->same_cluster) {
			snprintf(x->partner, sizeof(x->partner), "%s", u->name);
			x->partner_unit = u->unit_id;
		}
	}
}

void secd_surecover_start(struct secd_su *s, struct secd_sucmd *c, const struct su_cmd *cmd,
			  bool confirmed)
{
	struct recover_job *j = calloc(1, sizeof(*j));

	if (!j) {
		secd_sucmd_recover_go(c, NULL, 0, NULL);
		return;
	}
	j->s = s;
	j->c = c;
	j->cmd = *cmd;
	j->ctx.confirmed = confirmed;
	uv_timer_init(&s->d->loop, &j->timer);
	j->timer.data = j;
	job_resolve(j);
	if (!j->ctx.partner_unit || s->stopping) { /* the plan says why: no read */
		job_plan(j);
		return;
	}
	if (secd_su_region_read(s, j->ctx.partner_unit, job_read, j) < 0)
		job_read(j, -EIO, NULL, "the read cannot be queued");
}
