/* sureconcile.c — the partner reconcile of crd.md §6 on an SU of an SU Cluster: every
 * SECD_SU_RECONCILE_MS (and soon after the SU starts serving) it reads the partner SU's CRD
 * region and runs su_plan_reconcile() through the command queue: a copy of a VM definition
 * the partner superseded goes (a /MIGRATE-VM-DEFINITION whose answer was in doubt, VMS2325),
 * a copy on both SUs without a winner becomes CONFLICT (it never starts), the target's
 * "abort lm_id" records go once the source has no outgoing record of them. Not while an LM
 * of this SU runs (its own records decide then). */
#include "secd/lm.h"
#include "secd/su.h"

#include "cluster/global.h"
#include "lib/log.h"

#include <stdlib.h>
#include <string.h>

static struct su_plan *rc_plan(void *arg, const struct su_model *live)
{
	return su_plan_reconcile(live, arg);
}

static void rc_done(void *arg, const struct su_plan *p)
{
	(void)p;
	free(arg); /* the partner's records; also when the queue was cancelled */
}

static void rc_read(void *arg, int r, char *payload, const char *msg)
{
	struct secd_su *s = arg;
	struct su_model *t = NULL;
	struct crd_owner_region *own;
	struct sec_err err = {0};

	s->rc_busy = false;
	if (s->stopping || r < 0 || !payload) {
		if (r < 0)
			log_debug("%s: partner reconcile: its region: %s", s->d->who, msg);
		free(payload);
		return;
	}
	t = su_model_from_json(payload, strlen(payload), &err);
	free(payload);
	if (!t) {
		log_warnx("%s: partner reconcile: the partner's unit data: %s", s->d->who, err.msg);
		return;
	}
	if ((own = malloc(sizeof(*own)))) {
		*own = t->own;
		if (secd_sucmd_submit_plan(s, "reconcile with the partner SU", rc_plan, rc_done,
					   own) < 0)
			free(own);
	}
	su_model_free(t);
}

static void rc_tick(uv_timer_t *t)
{
	struct secd_su *s = t->data;
	const struct cluster_global *g = s->d->global;
	const char *partner = NULL;
	const struct cluster_unit *u = NULL;

	if (s->rc_busy || !s->serving || !g || s->stopping)
		return;
	for (struct secd_lm *lm = s->lms; lm; lm = lm->next)
		if (lm->st != LM_ST_COMPLETED && lm->st != LM_ST_ABORTED)
			return;
	if (!cluster_su_cluster_of(g, s->d->cfg.name, &partner) || !partner)
		return;
	for (uint32_t i = 0; i < g->n_units && !u; i++)
		if (!strcmp(g->units[i].name, partner))
			u = &g->units[i];
	if (!u)
		return;
	s->rc_busy = true;
	if (secd_su_region_read(s, u->unit_id, rc_read, s) < 0)
		s->rc_busy = false;
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
