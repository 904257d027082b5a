/* sureconcile.c — the partner reconcile of crd.md §6 on an SU of an SU Cluster: every
 * SECD_SU_RECONCILE_MS it reads the partner SU's CRD region and runs su_plan_reconcile()
 * through the command queue: a copy of a VM definition the partner superseded goes (a
 * recovered one, or a /MIGRATE-VM-DEFINITION whose answer was in doubt, VMS2325), a copy
 * on both SUs without a winner becomes CONFLICT (it never starts), the target's "abort
 * lm_id" records go once the source has no outgoing record of them. Not while an LM of
 * this SU runs (its own records decide then).
 *
 * The rejoin (crd.md §6, secd_su_rejoin): at every start the first reconcile comes before
 * the SU serves — its read issued at least 3 x io_timeout after the first renewal
 * completed, so that a write the partner issued while its dead verdict on this SU was
 * fresh (a RECOVER) has landed; a superseded copy is dropped before any /START-VM. An LM
 * that ran when the daemon stopped is decided first (its records, docs/lm.md). */
#include "secd/lm.h"
#include "secd/su.h"

#include "cluster/global.h"
#include "lib/clock.h"
#include "lib/log.h"

#include <stdlib.h>
#include <string.h>

#define REJOIN_POLL_MS 100

/* One read and reconcile; rejoin: the first one, the SU serves after it. */
struct rc_job {
	struct secd_su *s;
	bool rejoin;
	uint32_t unit;		     /* the partner's CRD unit id */
	struct crd_owner_region own; /* the partner's records */
};

static void rc_tick(uv_timer_t *t);

static struct su_plan *rc_plan(void *arg, const struct su_model *live)
{
	struct rc_job *j = arg;

	return su_plan_reconcile(live, &j->own);
}

static void rc_done(void *arg, const struct su_plan *p)
{
	struct rc_job *j = arg;
	struct secd_su *s = j->s;

	if (j->rejoin && s->rejoining && !s->stopping) {
		if (p && p->ok) {
			s->rejoining = false;
			log_info("%s: rejoined: reconciled with the partner SU's CRD region",
				 s->d->who);
			s->rc_busy = false;
			uv_timer_start(&s->rctimer, rc_tick, SECD_SU_RECONCILE_MS,
				       SECD_SU_RECONCILE_MS);
			secd_su_serve(s);
		} else {
			s->rc_busy = false; /* the next rejoin tick tries again */
		}
	}
	free(j); /* also when the queue was cancelled */
}

static void rc_read(void *arg, int r, char *payload, const char *msg)
{
	struct rc_job *j = arg;
	struct secd_su *s = j->s;
	struct su_model *t = NULL;
	struct sec_err err = {0};

	bool had = payload != NULL;
	if (r == 0 && payload)
		t = su_model_from_json(payload, strlen(payload), &err);
	free(payload);
	bool bad = r < 0 || (had && !t);
	if (!j->rejoin || bad) /* a rejoin stays busy until its plan is done */
		s->rc_busy = false;
	if (s->stopping || bad) {
		if (r < 0)
			log_debug("%s: partner reconcile: its region: %s", s->d->who, msg);
		else if (bad)
			log_warnx("%s: partner reconcile: the partner's unit data: %s", s->d->who,
				  err.msg);
		if (j->rejoin && bad && !s->stopping)
			snprintf(s->not_ready, sizeof(s->not_ready), "rejoining: the partner SU's "
				 "CRD region cannot be read (%.200s); retrying", r < 0 ? msg : err.msg);
		free(j);
		return;
	}
	if (t)
		j->own = t->own;
	else /* an empty region: the partner holds nothing */
		crd_owner_init(&j->own, j->unit);
	su_model_free(t);
	if (secd_sucmd_submit_plan(s, j->rejoin ? "rejoin: reconcile with the partner SU"
					       : "reconcile with the partner SU",
				   rc_plan, rc_done, j) < 0) {
		s->rc_busy = false;
		free(j);
	}
}

/* The partner SU of s in the global data, or NULL (in no SU Cluster). */
static const struct cluster_unit *rc_partner(struct secd_su *s)
{
	const struct cluster_global *g = s->d->global;
	const char *partner = NULL;
	int k;

	if (!g || !cluster_su_cluster_of(g, s->d->cfg.name, &partner) || !partner ||
	    (k = cluster_global_find_unit(g, partner)) < 0)
		return NULL;
	return &g->units[k];
}

static void rc_start(struct secd_su *s, const struct cluster_unit *u, bool rejoin)
{
	struct rc_job *j = calloc(1, sizeof(*j));

	if (!j)
		return;
	j->s = s;
	j->rejoin = rejoin;
	j->unit = u->unit_id;
	s->rc_busy = true;
	if (secd_su_region_read(s, u->unit_id, rc_read, j) < 0) {
		s->rc_busy = false;
		free(j);
	}
}

static void rc_tick(uv_timer_t *t)
{
	struct secd_su *s = t->data;
	const struct cluster_unit *u;

	if (s->stopping || s->rc_busy)
		return;
	if (s->rejoining) { /* crd.md §6: 3 x io_timeout after the first renewal completed */
		uint64_t io = (uint64_t)s->d->cfg.timing.io_ms * NSEC_PER_MSEC;
		for (struct secd_lm *lm = s->lms; lm; lm = lm->next)
			if (lm->st != LM_ST_COMPLETED && lm->st != LM_ST_ABORTED) {
				snprintf(s->not_ready, sizeof(s->not_ready), "rejoining: the live "
					 "migration of VM %s that ran when the SU daemon stopped is "
					 "being decided (docs/lm.md)", lm->vm_name);
				return; /* its records decide first (docs/lm.md crash table) */
			}
		if (!(u = rc_partner(s))) { /* left the SU Cluster meanwhile */
			s->rejoining = false;
			uv_timer_start(t, rc_tick, SECD_SU_RECONCILE_MS, SECD_SU_RECONCILE_MS);
			secd_su_serve(s);
		} else if (s->first_renew_ns && clock_monotonic_ns() >= s->first_renew_ns + 3 * io) {
			rc_start(s, u, true);
		}
		return;
	}
	if (!s->serving)
		return;
	for (struct secd_lm *lm = s->lms; lm; lm = lm->next)
		if (lm->st != LM_ST_COMPLETED && lm->st != LM_ST_ABORTED)
			return;
	if ((u = rc_partner(s)))
		rc_start(s, u, false);
}

void secd_su_rejoin(struct secd_su *s)
{
	if (!rc_partner(s)) {
		secd_su_serve(s);
		return;
	}
	s->rejoining = true;
	snprintf(s->not_ready, sizeof(s->not_ready), "rejoining: waiting for the first renewal "
		 "and 3 x io_timeout, then reconciling with the partner SU's CRD region "
		 "(crd.md §6)");
	uv_timer_start(&s->rctimer, rc_tick, 0, REJOIN_POLL_MS);
}

void secd_su_reconcile_start(struct secd_su *s)
{
	uv_timer_init(&s->d->loop, &s->rctimer);
	s->rctimer.data = s;
	uv_timer_start(&s->rctimer, rc_tick, SECD_SU_RECONCILE_FIRST_MS, SECD_SU_RECONCILE_MS);
}

void secd_su_reconcile_stop(struct secd_su *s)
{
	uv_timer_stop(&s->rctimer);
	uv_close((uv_handle_t *)&s->rctimer, NULL);
}
