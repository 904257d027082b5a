/* sucmd.c — the VM2000 command processor of an SU on secd's loop (su.h; vm2000.md §4).
 *
 * Commands run one at a time, in the order they came (a FIFO): parse (src/sdf with the
 * table of su/syntax.h), plan (su/cmd.h: never changes the live model; an internal command
 * of another unit, secd_sucmd_submit_cmd(), brings its own plan function instead of
 * text), carry out the plan's effects in order (QEMU through suvm.c, the CRD region write
 * here, the partner SU's write through sudefmig.c), then commit. The steps of a Live
 * Migration are internal plans (secd_sucmd_submit_plan(), lm.h) in the same FIFO.
 * When an effect fails, the effects already carried out are undone in reverse order (best
 * effort, each logged) and the plan is aborted: the command is never partly applied. Every
 * command and every message goes to the monitor console. */
#include "secd/su.h"
#include "su/recover.h"
#include "secd/lm.h"

#include "lib/clock.h"
#include "lib/log.h"
#include "sdf/sdf.h"
#include "su/syntax.h"
#include "su/lmcheck.h"
#include "cluster/global.h"
#include "crd/unit.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct secd_sucmd {
	struct secd_sucmd *next;
	struct secd_su *s;
	char *text;
	char user[64];
	secd_sucmd_cmd_fn *cmdfn; /* an internal command: plans itself (no SDF text) */
	secd_sucmd_done_fn *done;
	void *arg;
	struct su_plan *plan;
	struct su_cmd cmd;       /* the typed command (kept for the partner read) */
	struct su_lm_ctx lmctx;  /* LM commands: what the global data says */
	size_t eff_i;            /* the effect being carried out */
	bool in_start;           /* inside the start of an effect (synchronous completion) */
	bool sync_done;
	int sync_r;
	char why[512];           /* the failure being undone */
	bool undoing;
	size_t undo_i;           /* effects eff[0..undo_i) still to undo, last first */
	int failed_eff;
	struct su_effect undo_eff;
	int rw_inflight;         /* region writes whose done() still comes */
	bool cancelled;          /* answered already (stopping): only freed */
	/* an internal plan (secd_sucmd_submit_plan): planned when its turn comes */
	secd_sucmd_plan_fn *plan_fn;
	secd_sucmd_plan_done_fn *plan_done;
	/* /RECOVER-VM-DEFINITION (surecover.c) */
	unsigned flags;		 /* SECD_SUCMD_CONFIRM_DOWN */
	uint64_t write_not_after; /* the REGION_WRITE's bound (CLOCK_BOOTTIME), 0 = none */
	unsigned late_ms;	 /* the bounded write completed this late: in doubt */
	char partner[SU_NAME_MAX + 1];
};

static void sucmd_next_effect(struct secd_sucmd *c);
static struct secd_sucmd *sucmd_new(struct secd_su *s, const char *text, const char *user,
				    secd_sucmd_done_fn *done, void *arg);
static void sucmd_run_plan(struct secd_sucmd *c);
static void sucmd_undo_next(struct secd_sucmd *c);
static void sucmd_commit(struct secd_sucmd *c);

const struct su_plan *secd_sucmd_plan(const struct secd_sucmd *cmd)
{
	return cmd->plan;
}

static void sucmd_free(struct secd_sucmd *c)
{
	su_plan_free(c->plan);
	free(c->text);
	free(c);
}

/* The command's name as NBR0740 shows it: "CREATE-VM-DEFINITION" of "/create-vm-definition
 * vm-name=g1,..." (the operands' values are not cut mid-way); "/" when there is none. */
static void sucmd_name(const char *text, char *buf, size_t size)
{
	const char *p = text + strspn(text, " \t/");
	size_t n = strcspn(p, " \t,");

	n = n < size ? n : size - 1;
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)toupper((unsigned char)p[i]);
	buf[n] = '\0';
	if (!n)
		snprintf(buf, size, "/");
}

/* The result object of docs/api.md from messages and rc, and the console lines. */
static json_t *sucmd_result(struct secd_su *s, const char *text, json_t *msgs,
			    const char *maincode, unsigned sc1, unsigned sc2, bool ok)
{
	json_t *o = json_pack("{s:s, s:s, s:o, s:{s:s, s:i, s:i}, s:b}", "su", s->d->cfg.name,
			      "command", text, "messages", msgs, "rc", "maincode", maincode,
			      "subcode1", (json_int_t)sc1, "subcode2", (json_int_t)sc2, "ok", ok);
	size_t i;
	json_t *m;

	char name[64];

	json_array_foreach(msgs, i, m)
		secd_su_console(s, "%s", json_string_value(m));
	sucmd_name(text, name, sizeof(name));
	secd_su_console(s, "%% NBR0740 COMMAND %s '%s'; (RESULT: SC2=%03u, SC1=%03u, MC=%s)",
			ok ? "COMPLETED" : "TERMINATED WITH ERROR", name, sc2, sc1, maincode);
	return o;
}

/* Answers a command that never reached a plan. */
static json_t *sucmd_reject(struct secd_su *s, const char *text, const char *maincode,
			    unsigned sc1, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static json_t *sucmd_reject(struct secd_su *s, const char *text, const char *maincode,
			    unsigned sc1, const char *fmt, ...)
{
	char line[SU_MSG_MAX + 64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	return sucmd_result(s, text, json_pack("[s]", line), maincode, sc1, 0, false);
}

/* Ends command c: replies, frees (or leaves the freeing to the region write in flight),
 * applies the events deferred meanwhile, and runs the next command. */
static void sucmd_finish(struct secd_sucmd *c, json_t *result)
{
	struct secd_su *s = c->s;

	if (s->cur == c)
		s->cur = NULL;
	if (c->plan_done) { /* an internal plan: its owner gets the plan (NULL: cancelled) */
		secd_sucmd_plan_done_fn *pd = c->plan_done;
		c->plan_done = NULL;
		json_decref(result);
		result = NULL;
		pd(c->arg, c->cancelled ? NULL : c->plan);
	}
	if (c->done && !c->cancelled)
		c->done(c->arg, result);
	else
		json_decref(result);
	c->done = NULL;
	c->cancelled = true;
	if (!c->rw_inflight)
		sucmd_free(c);
	for (unsigned i = 0; i < s->n_deferred && !s->cur; i++) {
		struct secd_su_deferred e = s->deferred[i];
		secd_su_vm_event(s, e.index, e.gone, e.fenced, e.why);
	}
	s->n_deferred = 0;
	if (s->rw_dirty)
		secd_su_write_live(s);
	secd_sucmd_kick(s);
}

static json_t *sucmd_plan_result(struct secd_sucmd *c)
{
	if (c->plan_fn) { /* an internal plan: its lines go to the console, nobody waits */
		for (size_t i = 0; i < c->plan->n_msgs; i++)
			secd_su_console(c->s, "%s", c->plan->msgs[i]);
		return NULL;
	}
	char *txt = su_plan_result_json(c->plan);
	json_t *o = txt ? json_loads(txt, 0, NULL) : NULL;
	json_t *msgs, *rc;

	free(txt);
	if (!o)
		return sucmd_reject(c->s, c->text, "CMD0221", 32, "%% CMD0221 INTERNAL ERROR: "
				    "OUT OF MEMORY");
	msgs = json_incref(json_object_get(o, "messages"));
	rc = json_object_get(o, "rc");
	json_t *res = sucmd_result(c->s, c->text, msgs ? msgs : json_array(),
				   json_string_value(json_object_get(rc, "maincode")),
				   (unsigned)json_integer_value(json_object_get(rc, "subcode1")),
				   (unsigned)json_integer_value(json_object_get(rc, "subcode2")),
				   json_is_true(json_object_get(o, "ok")));
	const char *key;
	json_t *v;
	json_object_foreach(o, key, v) /* "check" (LM rows) and what else the plan adds */
		if (res && !json_object_get(res, key))
			json_object_set(res, key, v);
	json_decref(o);
	return res;
}

/* /MIGRATE-VM committed ("outgoing lm_id" on the CRD): the phases run asynchronously
 * (lm.h); the answer names the LM. */
static void sucmd_lm_started(struct secd_sucmd *c, json_t *result)
{
	struct secd_su *s = c->s;
	const struct crd_lm_rec *l = crd_owner_find_lm(&s->m->own, CRD_LM_OUTGOING, c->lmctx.lm_id);
	const struct su_vm *vm = l ? su_model_vm_by_uuid(s->m, &l->vm_uuid) : NULL;
	char id[17];
	int r = vm ? secd_lm_source_start(s, vm, c->lmctx.lm_id, c->lmctx.target_unit,
					  c->cmd.monjv) : -ENOENT;

	if (r < 0) {
		log_warnx("%s: %s: the live migration cannot start: %s", s->d->who, c->text,
			  strerror(-r));
		return;
	}
	secd_lm_id_str(c->lmctx.lm_id, id);
	if (result)
		json_object_set_new(result, "lm", json_pack("{s:s, s:s}", "lm_id", id, "target",
							    c->lmctx.target));
}

static void sucmd_commit(struct secd_sucmd *c)
{
	if (c->late_ms)
		su_recover_in_doubt(c->plan, c->cmd.vm.name, c->partner, c->late_ms);
	int r = su_cmd_commit(c->s->m, c->plan);
	json_t *result;

	if (r < 0)
		log_warnx("%s: command '%s': commit: %s", c->s->d->who, c->text, strerror(-r));
	result = sucmd_plan_result(c);
	if (r == 0 && !c->plan_fn && c->cmd.id == SU_CMD_MIGRATE_VM)
		sucmd_lm_started(c, result);
	sucmd_finish(c, result);
}

static void sucmd_abort(struct secd_sucmd *c)
{
	su_cmd_abort(c->plan, c->failed_eff, c->why);
	sucmd_finish(c, sucmd_plan_result(c));
}

/* ---- effects ---- */

/* A debug line per effect with the CLOCK_MONOTONIC time in ms (where an LM step's time
 * goes: the QEMU start, the region write; lm.h secd_lm_trace). */
static void sucmd_trace_effect(const struct secd_sucmd *c, const char *what)
{
	log_debug("%s: command '%s': effect %s %s at %.3f ms", c->s->d->who, c->text,
		  su_effect_kind_to_string(c->plan->eff[c->eff_i].kind), what,
		  (double)clock_monotonic_ns() / 1e6);
}

static void sucmd_region_done(void *arg, int r, const char *msg)
{
	struct secd_sucmd *c = arg;

	c->rw_inflight--;
	if (r > 0) { /* a bounded write on disk, but later than io_timeout: in doubt */
		c->late_ms = (unsigned)strtoul(msg ? msg : "0", NULL, 10);
		c->late_ms += !c->late_ms;
		r = 0;
	}
	if (c->cancelled) {
		if (!c->rw_inflight)
			sucmd_free(c);
		return;
	}
	secd_sucmd_effect_done(c->s, c, r, r < 0 ? msg : NULL);
}

/* Starts effect e (of the plan, or the undo of one); its end comes through
 * secd_sucmd_effect_done(). Returns 0 or -errno with c->why set. */
static int sucmd_start_effect(struct secd_sucmd *c, struct su_effect *e, bool undo)
{
	struct secd_su *s = c->s;
	char msg[400];
	int r;

	if (e->kind == SU_EFF_PARTNER_DEF_WRITE) { /* /MIGRATE-VM-DEFINITION (sudefmig.c) */
		c->rw_inflight++;		   /* cancel_all leaves c to the call's done() */
		secd_sudefmig_send(s, c->plan, sucmd_region_done, c);
		return 0;
	}
	if (e->kind == SU_EFF_REGION_WRITE) {
		/* forward: the plan's new model; undo: the live model again */
		char *payload = su_model_to_json(undo || !c->plan->next ? s->m : c->plan->next);
		uint64_t bound = undo ? 0 : c->write_not_after;
		if (!payload || (r = secd_su_region_write_bounded(s, payload, bound,
								  s->d->cfg.timing.io_ms,
								  sucmd_region_done, c)) < 0) {
			snprintf(c->why, sizeof(c->why), "the VM definitions cannot be written to "
				 "the CRD (out of memory)");
			return -ENOMEM;
		}
		c->rw_inflight++;
		return 0;
	}
	if ((r = secd_suvm_effect(s, c, e, msg, sizeof(msg))) < 0) {
		snprintf(c->why, sizeof(c->why), "%s", msg);
		return r;
	}
	return 0;
}

/* Effect c->eff_i failed (c->why says why): undo those done, or for a definition the
 * partner already took over, commit without it (sudefmig.c). */
static void sucmd_effect_failed(struct secd_sucmd *c)
{
	if (secd_sudefmig_source_failed(c->s, c->plan, c->eff_i, c->why)) {
		c->s->rw_dirty = true; /* the live model is written again after the commit */
		sucmd_commit(c);
		return;
	}
	c->failed_eff = (int)c->eff_i;
	c->undoing = true;
	c->undo_i = c->eff_i;
	sucmd_undo_next(c);
}

void secd_sucmd_effect_done(struct secd_su *s, struct secd_sucmd *c, int r, const char *msg)
{
	if (c->in_start) { /* finished inside its own start: the caller goes on */
		c->sync_done = true;
		c->sync_r = r;
		if (r < 0)
			snprintf(c->why, sizeof(c->why), "%s", msg ? msg : strerror(-r));
		return;
	}
	if (c->undoing) {
		if (r < 0)
			log_warnx("%s: command '%s': undo of %s: %s", s->d->who, c->text,
				  su_effect_kind_to_string(c->undo_eff.kind), msg ? msg : strerror(-r));
		sucmd_undo_next(c);
		return;
	}
	if (r < 0) {
		snprintf(c->why, sizeof(c->why), "%s", msg ? msg : strerror(-r));
		/* a failed partner call (sudefmig.c) has dropped the plan's effects already */
		log_warnx("%s: command '%s': %s: %s", s->d->who, c->text,
			  c->eff_i < c->plan->n_eff
			      ? su_effect_kind_to_string(c->plan->eff[c->eff_i].kind)
			      : "partner call",
			  c->why);
		sucmd_effect_failed(c);
		return;
	}
	sucmd_trace_effect(c, "done");
	c->plan->eff[c->eff_i].done = true;
	c->eff_i++;
	sucmd_next_effect(c);
}

/* Runs effects from c->eff_i on; those that end at once are followed in this loop. */
static void sucmd_next_effect(struct secd_sucmd *c)
{
	while (c->eff_i < c->plan->n_eff) {
		struct su_effect *e = &c->plan->eff[c->eff_i];
		int r;

		sucmd_trace_effect(c, "started");
		c->in_start = true;
		c->sync_done = false;
		r = sucmd_start_effect(c, e, false);
		c->in_start = false;
		if (r < 0 || (c->sync_done && c->sync_r < 0)) {
			sucmd_effect_failed(c);
			return;
		}
		if (!c->sync_done)
			return; /* secd_sucmd_effect_done() continues */
		e->done = true;
		c->eff_i++;
	}
	sucmd_commit(c);
}

static void sucmd_undo_next(struct secd_sucmd *c)
{
	while (c->undo_i > 0) {
		const struct su_effect *e = &c->plan->eff[--c->undo_i];
		enum su_effect_kind k = su_effect_undo(e->kind);
		int r;

		if (!k)
			continue;
		c->undo_eff = *e;
		c->undo_eff.kind = k;
		c->in_start = true;
		c->sync_done = false;
		r = sucmd_start_effect(c, &c->undo_eff, true);
		c->in_start = false;
		if (r < 0) {
			log_warnx("%s: command '%s': undo of %s: %s", c->s->d->who, c->text,
				  su_effect_kind_to_string(k), c->why);
			continue;
		}
		if (!c->sync_done)
			return;
	}
	sucmd_abort(c);
}

/* A rejected /MIGRATE-VM with MONJV=name: the MONJV says $AF (seed 4.3), stored by an
 * internal plan after this command. */
static struct su_plan *sucmd_jv_plan(void *arg, const struct su_model *live)
{
	return su_lm_plan_jv(live, arg);
}

static void sucmd_jv_done(void *arg, const struct su_plan *p)
{
	(void)p;
	free(arg); /* also when the queue was cancelled before the plan ran */
}

static void sucmd_lm_rejected_jv(struct secd_sucmd *c)
{
	struct su_lmjv *jv = calloc(1, sizeof(*jv));
	int64_t now = (int64_t)(clock_wall_ns() / NSEC_PER_MSEC);

	if (!jv)
		return;
	snprintf(jv->name, sizeof(jv->name), "%s", c->cmd.monjv);
	snprintf(jv->status, sizeof(jv->status), "$AF");
	snprintf(jv->vm, sizeof(jv->vm), "%.15s", c->plan->lm ? c->plan->lm->vm : "");
	snprintf(jv->source, sizeof(jv->source), "%s", c->s->m->res.host_name);
	snprintf(jv->target, sizeof(jv->target), "%s", c->lmctx.target);
	snprintf(jv->reason, sizeof(jv->reason), "%s", c->plan->rc.maincode);
	jv->start_ms = jv->end_ms = now;
	if (secd_sucmd_submit_plan(c->s, "LM MONJV", sucmd_jv_plan, sucmd_jv_done, jv) < 0)
		free(jv);
}

/* Carries out c->plan (NULL: out of memory): a refusal is answered, else the effects
 * run (none: an information command commits at once). */
static void sucmd_go(struct secd_sucmd *c)
{
	if (!c->plan) {
		sucmd_finish(c, sucmd_reject(c->s, c->text, "CMD0221", 32,
					     "%% CMD0221 INTERNAL ERROR: OUT OF MEMORY"));
		return;
	}
	if (!c->plan->ok) {
		if (c->cmd.id == SU_CMD_MIGRATE_VM && c->cmd.monjv[0])
			sucmd_lm_rejected_jv(c);
		sucmd_finish(c, sucmd_plan_result(c));
		return;
	}
	c->eff_i = 0;
	sucmd_next_effect(c);
}

/* ---- LM commands: the partner's model first ---- */

/* The partner's region was read: plan against it (NULL: not readable or empty). */
static void sucmd_partner_read(void *arg, int r, char *payload, const char *msg)
{
	struct secd_sucmd *c = arg;
	struct secd_su *s = c->s;
	struct su_model *partner = NULL;
	struct sec_err err = {0};

	if (msg) /* from the region thread (not the direct call without a target) */
		c->rw_inflight--;
	if (c->cancelled) { /* stopping: cancel_all answered the command already */
		if (!c->rw_inflight)
			sucmd_free(c);
		free(payload);
		return;
	}
	if (r < 0)
		log_warnx("%s: %s: the partner's CRD region: %s", s->d->who, c->text, msg);
	else if (payload && !(partner = su_model_from_json(payload, strlen(payload), &err)))
		log_warnx("%s: %s: the partner's unit data: %s", s->d->who, c->text, err.msg);
	free(payload);
	c->plan = su_cmd_plan_lm(s->m, &c->cmd, partner, &c->lmctx,
				 (int64_t)(clock_wall_ns() / NSEC_PER_MSEC));
	su_model_free(partner);
	sucmd_go(c);
}

void secd_sucmd_recover_go(struct secd_sucmd *c, struct su_plan *p, uint64_t not_after_ns,
			   const char *partner)
{
	c->rw_inflight--;
	if (c->cancelled) { /* stopping: cancel_all answered the command already */
		su_plan_free(p);
		if (!c->rw_inflight)
			sucmd_free(c);
		return;
	}
	c->plan = p;
	c->write_not_after = not_after_ns;
	snprintf(c->partner, sizeof(c->partner), "%s", partner ? partner : "");
	sucmd_go(c);
}

/* An LM target whose alive message this SU's observer finds DEAD (or never written) is not
 * detected (VMS2400): its region still reads, but nobody would take the VM there. */
static bool sucmd_target_dead(struct secd_su *s, const struct cluster_unit *u)
{
	struct crd_unit_peer p;

	return crd_unit_peer(s->d->unit, u->unit_id, &p) == 0 &&
	       (p.verdict == CRD_ALIVE_DEAD || p.verdict == CRD_ALIVE_NEVER_SEEN);
}

/* /CHECK-VM-MIGRATION, /MIGRATE-VM-DEFINITION: the SU Cluster from the global data, the
 * target's model from its CRD region (read now: never a cached copy). Returns 0
 * (continues in sucmd_partner_read) or -errno (answered). */
static int sucmd_lm_check(struct secd_sucmd *c)
{
	struct secd_su *s = c->s;
	const struct cluster_global *g = s->d->global;
	const char *partner = NULL;
	const struct cluster_su_cluster *suc = g ? cluster_su_cluster_of(g, s->d->cfg.name,
									 &partner) : NULL;
	struct su_lm_ctx *x = &c->lmctx;
	const char *target = c->cmd.su_name[0] ? c->cmd.su_name : partner;
	int ti = -1, r;

	for (uint32_t i = 0; target && g && i < g->n_units && ti < 0; i++)
		if (!strcasecmp(g->units[i].name, target)) /* SDF upper-cases names */
			ti = (int)i;
	*x = (struct su_lm_ctx){0};
	if (suc) {
		snprintf(x->cluster, sizeof(x->cluster), "%.*s", (int)sizeof(x->cluster) - 1,
			 suc->name);
		x->cluster_active = suc->active;
		x->same_cluster = target && (!strcasecmp(suc->units[0], target) ||
					     !strcasecmp(suc->units[1], target));
	}
	if (ti >= 0) {
		snprintf(x->target, sizeof(x->target), "%.*s", (int)sizeof(x->target) - 1,
			 g->units[ti].name);
		x->target_unit = g->units[ti].unit_id;
	}
	x->outbound_lm = secd_lm_outgoing(s) != NULL;
	if (c->cmd.id == SU_CMD_MIGRATE_VM) { /* a new LM's id: random, never 0 */
		crd_uuid u;
		if (crd_uuid_random(&u) == 0)
			memcpy(&x->lm_id, &u, sizeof(x->lm_id));
		if (!x->lm_id)
			x->lm_id = clock_monotonic_ns() | 1;
	}
	if (ti < 0 || g->units[ti].role != CRD_UNIT_SU || !strcasecmp(g->units[ti].name,
								      s->d->cfg.name) ||
	    (c->cmd.id != SU_CMD_MIGRATE_VM_DEFINITION && sucmd_target_dead(s, &g->units[ti]))) {
		sucmd_partner_read(c, 0, NULL, NULL); /* no target model: the check says why */
		return 0;
	}
	c->rw_inflight++; /* cancel_all leaves c to the read's done() */
	if ((r = secd_su_region_read(s, g->units[ti].unit_id, sucmd_partner_read, c)) < 0) {
		c->rw_inflight--;
		sucmd_finish(c, sucmd_reject(s, c->text, "CMD0221", 32,
					     "%% CMD0221 INTERNAL ERROR: %s", strerror(-r)));
		return r;
	}
	return 0;
}

/* ---- the queue ---- */

/* False (answered: VMS6000) while the SU does not serve commands. */
static bool sucmd_serving(struct secd_sucmd *c)
{
	struct secd_su *s = c->s;

	if (s->serving && s->m)
		return true;
	sucmd_finish(c, sucmd_reject(s, c->text, "VMS6000", 130,
				     "%% VMS6000 VM2000 NOT AVAILABLE ON SU '%s': %s",
				     s->d->cfg.name, s->not_ready));
	return false;
}

static void sucmd_run(struct secd_sucmd *c)
{
	struct secd_su *s = c->s;
	struct sdf_cmd *tree = NULL;
	struct sdf_error perr = {0};
	struct su_cmd cmd;
	struct sec_err err = {0};
	int r;

	s->cur = c;
	if (c->plan_fn) {
		sucmd_run_plan(c);
		return;
	}
	secd_su_console(s, "%s: %s", c->user, c->text);
	if (c->cmdfn) { /* an internal command (secd_sucmd_submit_cmd): no SDF text */
		if (sucmd_serving(c)) {
			c->plan =
			    c->cmdfn(s->m, c->arg, (int64_t)(clock_wall_ns() / NSEC_PER_MSEC));
			sucmd_go(c);
		}
		return;
	}
	r = sdf_parse(su_syntax, su_syntax_n, c->text, &tree, &perr);
	if (r < 0) {
		sucmd_finish(c, sucmd_reject(s, c->text, "CMD0202", 1,
					     "%% CMD0202 SYNTAX ERROR AT POSITION %zu: %s", perr.pos,
					     perr.msg));
		return;
	}
	r = su_cmd_from_sdf(tree, c->text, &cmd, &err);
	sdf_cmd_free(tree);
	if (r < 0) {
		sucmd_finish(c, sucmd_reject(s, c->text, "CMD0202", 1,
					     "%% CMD0202 OPERAND ERROR: %s", err.msg));
		return;
	}
	if (!sucmd_serving(c))
		return;
	c->cmd = cmd;
	if (cmd.id == SU_CMD_CHECK_VM_MIGRATION || cmd.id == SU_CMD_MIGRATE_VM ||
	    cmd.id == SU_CMD_MIGRATE_VM_DEFINITION) {
		sucmd_lm_check(c);
		return;
	}
	if (cmd.id == SU_CMD_RECOVER_VM_DEFINITION) {
		c->rw_inflight++; /* cancel_all leaves c to secd_sucmd_recover_go() */
		secd_surecover_start(s, c, &c->cmd, c->flags & SECD_SUCMD_CONFIRM_DOWN);
		return;
	}
	c->plan = su_cmd_plan(s->m, &cmd, (int64_t)(clock_wall_ns() / NSEC_PER_MSEC));
	sucmd_go(c);
}

/* An internal plan's turn: plan against the live model now, then as a command. */
static void sucmd_run_plan(struct secd_sucmd *c)
{
	c->plan = c->plan_fn(c->arg, c->s->m);
	if (!c->plan || !c->plan->ok) {
		sucmd_finish(c, NULL);
		return;
	}
	c->eff_i = 0;
	sucmd_next_effect(c);
}

void secd_sucmd_kick(struct secd_su *s)
{
	while (!s->cur && s->q_head && !s->stopping) {
		struct secd_sucmd *c = s->q_head;
		s->q_head = c->next;
		if (!s->q_head)
			s->q_tail = NULL;
		c->next = NULL;
		sucmd_run(c);
	}
}

/* Appends c to the FIFO and runs the queue. */
static void sucmd_enqueue(struct secd_su *s, struct secd_sucmd *c)
{
	if (s->q_tail)
		s->q_tail->next = c;
	else
		s->q_head = c;
	s->q_tail = c;
	secd_sucmd_kick(s);
}

int secd_sucmd_submit(struct secd_su *s, const char *text, const char *user,
		      secd_sucmd_done_fn *done, void *arg)
{
	return secd_sucmd_submit_flags(s, text, user, 0, done, arg);
}

int secd_sucmd_submit_flags(struct secd_su *s, const char *text, const char *user,
			    unsigned flags, secd_sucmd_done_fn *done, void *arg)
{
	struct secd_sucmd *c = sucmd_new(s, text, user, done, arg);

	if (!c)
		return -ENOMEM;
	c->flags = flags;
	sucmd_enqueue(s, c);
	return 0;
}

/* A command of text by user (not queued yet), or NULL on out-of-memory. */
static struct secd_sucmd *sucmd_new(struct secd_su *s, const char *text, const char *user,
				    secd_sucmd_done_fn *done, void *arg)
{
	struct secd_sucmd *c = calloc(1, sizeof(*c));

	if (!c || !(c->text = strdup(text))) {
		free(c);
		return NULL;
	}
	for (char *p = c->text; *p; p++) /* one console line per command */
		if (*p == '\r')
			*p = ' ';
	c->s = s;
	snprintf(c->user, sizeof(c->user), "%s", user && *user ? user : "?");
	c->done = done;
	c->arg = arg;
	return c;
}

int secd_sucmd_submit_cmd(struct secd_su *s, const char *text, const char *user,
			  secd_sucmd_cmd_fn *plan, secd_sucmd_done_fn *done, void *arg)
{
	struct secd_sucmd *c = sucmd_new(s, text, user, done, arg);

	if (!c)
		return -ENOMEM;
	c->cmdfn = plan;
	sucmd_enqueue(s, c);
	return 0;
}

int secd_sucmd_submit_plan(struct secd_su *s, const char *label, secd_sucmd_plan_fn *plan,
			   secd_sucmd_plan_done_fn *done, void *arg)
{
	struct secd_sucmd *c = calloc(1, sizeof(*c));

	if (!c || !(c->text = strdup(label))) {
		free(c);
		return -ENOMEM;
	}
	c->s = s;
	snprintf(c->user, sizeof(c->user), "secd");
	c->plan_fn = plan;
	c->plan_done = done;
	c->arg = arg;
	sucmd_enqueue(s, c);
	return 0;
}

void secd_sucmd_cancel_all(struct secd_su *s, const char *why)
{
	struct secd_sucmd *c;

	while ((c = s->q_head)) {
		s->q_head = c->next;
		c->next = NULL;
		if (c->plan_done)
			c->plan_done(c->arg, NULL);
		if (c->done)
			c->done(c->arg, sucmd_reject(s, c->text, "VMS6000", 130,
						     "%% VMS6000 VM2000 NOT AVAILABLE ON SU '%s': %s",
						     s->d->cfg.name, why));
		sucmd_free(c);
	}
	s->q_tail = NULL;
	if ((c = s->cur)) { /* its effects are abandoned; the guard keeps what runs */
		s->cur = NULL;
		if (c->plan_done)
			c->plan_done(c->arg, NULL);
		c->plan_done = NULL;
		if (c->done)
			c->done(c->arg, sucmd_reject(s, c->text, "VMS6000", 130,
						     "%% VMS6000 VM2000 NOT AVAILABLE ON SU '%s': %s",
						     s->d->cfg.name, why));
		c->done = NULL;
		c->cancelled = true;
		for (unsigned i = 0; i <= SU_INDEX_MAX; i++)
			if (s->vm[i].cmd == c)
				s->vm[i].cmd = NULL;
		if (!c->rw_inflight)
			sucmd_free(c);
	}
}
