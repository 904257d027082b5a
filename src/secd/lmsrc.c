/* lmsrc.c — the source SU's Live Migration driver (lm.h; vm2000.md §5 "Phases", docs/lm.md
 * "Source phases" and "Abort"). One function per transition:
 *
 *   start -> detach media (one QMP op each) -> prepare on the target -> QMP capabilities,
 *   parameters, migrate -> poll (progress, stall and convergence watchdogs) -> completed ->
 *   commit on the target -> finish (QEMU quit, definition and "outgoing" removed)
 *
 * Any failure before the target committed goes to the abort chain: migrate_cancel, the
 * target's abort, the guest continued here (cont + announce-self when QEMU stopped it for
 * good), the media attached again, "outgoing" removed; MONJV $AE. A commit whose answer
 * did not come is in doubt: the source stays stopped and asks the target (its route, then
 * its CRD region) until the answer is known (crd.md §6). */
#include "secd/lm.h"

#include "lib/clock.h"
#include "lib/fault.h"
#include "lib/log.h"
#include "qemu/qemu_argv.h"
#include "su/msgcat.h"
#include "su/vmstate.h"
#include "cluster/global.h"
#include "crd/unit.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum ab_step {
	AB_CANCEL = 1, AB_TARGET, AB_STATUS, AB_CONT, AB_ANNOUNCE, AB_BLOCKS, AB_MEDIA, AB_PLAN,
	AB_END
};

static void src_abort(struct secd_lm *lm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void src_abort_next(struct secd_lm *lm);
static void src_detach_next(struct secd_lm *lm);
static void src_switchover(struct secd_lm *lm);
static void src_doubt(struct secd_lm *lm);
static struct su_plan *src_jv_plan(void *arg, const struct su_model *live);
static void src_jv_done(void *arg, const struct su_plan *p);

/* Per-LM driver state that only the source needs. */
struct src_x {
	enum ab_step ab;
	bool prepared;	      /* the target answered prepare (it holds a reservation) */
	bool prepare_sent;
	bool copying;	      /* migrate was accepted */
	bool query_inflight;
	bool requery;	      /* a MIGRATION event came while a query was in flight */
	bool stopped_for_good; /* QEMU is in postmigrate (completed): only cont resumes it */
	int qstep;	      /* the capability / parameter / migrate chain */
	char qemu_status[32];
	bool operator_told;   /* in doubt, undecidable: the console said so once */
	unsigned doubt_ticks; /* in doubt: polls so far (every 4th reads the target's region) */
	bool doubt_dead;      /* the region read in flight was issued after a DEAD verdict */
	enum secd_lm_resolve resolved; /* the operator decided (sectl vm lm-resolve) */
	bool tcg_stopped;     /* TCG policy: the guest was stopped for the whole copy */
	bool recovering;      /* after a restart: which media were detached is not known */
	unsigned detach_tries; /* of the current medium: the guest closed the tray meanwhile */
};
static struct src_x *X(struct secd_lm *lm)
{
	return (struct src_x *)(lm + 1);
}

static struct secd_suvm *src_vm(struct secd_lm *lm)
{
	return &lm->s->vm[lm->index];
}

static const struct cluster_unit *src_peer(struct secd_lm *lm)
{
	return secd_global_unit(lm->s->d, lm->peer_unit);
}

#define back secd_lm_back

/* A catalogue message (msgcat.c) of lm on the monitor: id with the VM, the SU and what. */
static void src_say_msg(struct secd_lm *lm, const char *id, const char *su, const char *what)
{
	char vm[32], line[SU_MSG_MAX];

	snprintf(vm, sizeof(vm), "(%u,%s)", lm->index, lm->vm_name);
	su_msg_format(line, sizeof(line), id, vm, su, what);
	secd_lm_say(lm, "%s", line);
}

/* ---- unit calls to the target ---- */

static int src_call(struct secd_lm *lm, const char *method, const char *path, json_t *body,
		    uint32_t timeout_ms, httpc_done_fn *done)
{
	const struct cluster_unit *u = src_peer(lm);
	char *txt = body ? json_dumps(body, JSON_COMPACT) : NULL;
	int r;

	json_decref(body);
	if (!u) {
		free(txt);
		return -ENOENT;
	}
	r = httpc_call(lm->s->d->httpc, u->unit_id, u->api, method, path, txt, txt ? strlen(txt) : 0,
		       timeout_ms, done, lm);
	free(txt);
	if (r == 0)
		lm->pending++;
	return r;
}

static json_t *src_body(struct secd_lm *lm)
{
	char id[17];

	secd_lm_id_str(lm->lm_id, id);
	return json_pack("{s:s, s:s, s:i}", "lm_id", id, "source", lm->source, "source_unit",
			 (int)lm->s->d->cfg.unit_id);
}

/* ---- QMP on the source's QEMU ---- */

#define src_qmp secd_lm_qmp

/* ---- setup: media, prepare ---- */

/* A new outgoing LM record for vm (its definition def) to target_unit, or NULL. */
static struct secd_lm *src_new(struct secd_su *s, const struct su_vm *vm,
			       const struct crd_vmdef *def, uint64_t lm_id, uint32_t target_unit)
{
	const struct cluster_unit *u = secd_global_unit(s->d, target_unit);
	struct secd_lm *lm;

	/* the driver's own state lives behind the record (zeroed) */
	if (!u || !(lm = secd_lm_new(s, true, lm_id, sizeof(struct src_x))))
		return NULL;
	lm->index = vm->index;
	lm->vm_uuid = vm->vm_uuid;
	snprintf(lm->vm_name, sizeof(lm->vm_name), "%s", vm->name);
	snprintf(lm->source, sizeof(lm->source), "%.*s", (int)sizeof(lm->source) - 1, s->d->cfg.name);
	snprintf(lm->target, sizeof(lm->target), "%s", u->name);
	lm->peer_unit = target_unit;
	lm->vm_state = vm->state;
	lm->vm = *vm;
	memset(&lm->vm.rt, 0, sizeof(lm->vm.rt)); /* runtime is this SU's, not the definition's */
	lm->vm.rt.diff = vm->rt.diff;             /* but DIFF travels: back home it goes */
	lm->def = *def;
	/* tapes and local disks are detached and stay so (vm2000.md §5 "Devices") */
	lm->vm.ndevs = 0;
	for (unsigned i = 0; i < vm->ndevs; i++) {
		const struct su_iodev *io = su_model_iodev(s->m, vm->devs[i].mn);
		if (io && (io->cls == SU_DEV_TAPE || io->cls == SU_DEV_LOCAL_DISK)) {
			if (lm->n_media < SECD_LM_MEDIA_MAX)
				snprintf(lm->media[lm->n_media++], sizeof(lm->media[0]), "%s", io->mn);
			continue;
		}
		lm->vm.devs[lm->vm.ndevs++] = vm->devs[i];
	}
	return lm;
}

int secd_lm_source_start(struct secd_su *s, const struct su_vm *vm, uint64_t lm_id,
			 uint32_t target_unit, const char *monjv)
{
	const struct crd_vmdef *def = crd_owner_find(&s->m->own, &vm->vm_uuid);
	struct secd_lm *lm = def ? src_new(s, vm, def, lm_id, target_unit) : NULL;

	if (!lm)
		return def ? -ENOMEM : -ENOENT;
	snprintf(lm->monjv, sizeof(lm->monjv), "%s", monjv ? monjv : "");
	secd_lm_step(lm, SU_LM_STEP_BEGIN, NULL);
	fault_check("lm.src.after_outgoing", NULL); /* crash table row 1 (docs/lm.md) */
	src_detach_next(lm);
	return 0;
}

static void src_detached(void *arg, const struct qmp_reply *r)
{
	struct secd_lm *lm = arg;
	const char *mn;

	if (!back(lm))
		return;
	mn = lm->media[lm->media_i];
	/* the guest may close the tray between our open and remove (a guest driver loads
	 * the medium at its start): open and remove again, a few times */
	if (r->err == -EREMOTEIO && strstr(r->error_desc, "is not open") &&
	    ++X(lm)->detach_tries < 4) {
		log_info("%s: LM %016" PRIx64 ": device %s: the tray closed again; retrying",
			 lm->s->d->who, lm->lm_id, mn);
		src_detach_next(lm);
		return;
	}
	if (r->err < 0) {
		src_abort(lm, "device %s could not be detached: %s", mn,
			  r->err == -EREMOTEIO ? r->error_desc : strerror(-r->err));
		return;
	}
	secd_suvm_media_node(src_vm(lm), mn, "");
	secd_lm_step(lm, SU_LM_STEP_DEVICE, mn);
	X(lm)->detach_tries = 0;
	lm->media_i++;
	src_detach_next(lm);
}

/* The reason in words of a target's refusal (its messages, "% VMSnnnn ..." lines) into out:
 * the first message's reason ("... REASON: x" gives x, then the id: the MONJV keeps 64
 * characters of it); a reason that is only a message id ("VMS4011") is that message's
 * text. False when no message says anything. */
static bool src_rejection_reason(const json_t *msgs, char *out, size_t cap)
{
	const char *first = NULL, *because, *t;
	json_t *m;
	size_t i;

	json_array_foreach(msgs, i, m)
		if ((t = json_string_value(m)) && !strncmp(t, "% ", 2)) {
			first = t + 2;
			break;
		}
	if (!first)
		return false;
	because = su_msg_reason(first);
	if (because == first) {
		snprintf(out, cap, "%s", first);
		return true;
	}
	size_t idlen = strcspn(first, " ");
	json_array_foreach(msgs, i, m) /* "REASON: VMS4011": the VMS4011 line's text */
		if ((t = json_string_value(m)) && !strncmp(t, "% ", 2) &&
		    !strncmp(t + 2, because, strlen(because)) && t[2 + strlen(because)] == ' ' &&
		    !strchr(because, ' ')) {
			snprintf(out, cap, "%s (%.*s)", t + 2, (int)idlen, first);
			return true;
		}
	snprintf(out, cap, "%s (%.*s)", because, (int)idlen, first);
	return true;
}

static void src_prepared(void *arg, const struct httpc_result *res);

static void src_prepare(struct secd_lm *lm)
{
	char *vmtxt = su_vm_to_json(&lm->vm), *deftxt = crd_vmdef_to_json(&lm->def);
	json_t *body = src_body(lm);
	int r;

	if (!vmtxt || !deftxt || !body) {
		free(vmtxt);
		free(deftxt);
		json_decref(body);
		src_abort(lm, "out of memory");
		return;
	}
	json_object_set_new(body, "vm", json_loads(vmtxt, 0, NULL));
	json_object_set_new(body, "def", json_loads(deftxt, 0, NULL));
	json_object_set_new(body, "target_unit", json_integer(lm->peer_unit));
	char *iotxt = su_iocfg_to_json(&lm->s->m->res.io); /* DIFF and the device check */
	json_object_set_new(body, "io", iotxt ? json_loads(iotxt, 0, NULL) : json_null());
	free(iotxt);
	free(vmtxt);
	free(deftxt);
	X(lm)->prepare_sent = true;
	lm->t_prepare_sent = clock_monotonic_ns();
	secd_lm_trace(lm, "prepare sent to '%s'", lm->target);
	if ((r = src_call(lm, "POST", "/api/v1/internal/lm/prepare", body, SECD_LM_PREPARE_MS,
			  src_prepared)) < 0)
		src_abort(lm, "the target SU '%s' cannot be called: %s", lm->target, strerror(-r));
}

static void src_detach_next(struct secd_lm *lm)
{
	struct secd_suvm *v = src_vm(lm);
	char dev[16];
	int r;

	if (lm->media_i >= lm->n_media) {
		src_prepare(lm);
		return;
	}
	snprintf(dev, sizeof(dev), "dev-%s", lm->media[lm->media_i]);
	if (!v->qmp || (r = qmp_medium_detach(v->qmp, dev,
					      secd_suvm_media_node(v, lm->media[lm->media_i], NULL),
					      SECD_SU_QMP_CMD_MS, src_detached, lm)) < 0) {
		src_abort(lm, "device %s could not be detached: QEMU's monitor is not connected",
			  lm->media[lm->media_i]);
		return;
	}
	lm->pending++;
}

/* ---- memory copy ---- */

static void src_poll(uv_timer_t *t);
static void src_qmp_step(struct secd_lm *lm);

static void src_qmp_stepped(void *arg, const struct qmp_reply *r)
{
	struct secd_lm *lm = arg;

	if (!back(lm))
		return;
	if (r->err < 0) {
		src_abort(lm, "QEMU refused '%s': %s", r->command,
			  r->err == -EREMOTEIO ? r->error_desc : strerror(-r->err));
		return;
	}
	secd_lm_trace(lm, "QMP '%s' answered", r->command);
	if (!strcmp(r->command, "migrate") && r->sent_ns)
		lm->t_migrate = r->sent_ns; /* when it went out, as bench/lm-bare measures */
	X(lm)->qstep++;
	src_qmp_step(lm);
}

/* capabilities, parameters, migrate: one after the other */
static void src_qmp_step(struct secd_lm *lm)
{
	char uri[128];
	json_t *caps;
	int r = 0;

	switch (X(lm)->qstep) {
	case 0:
		caps = json_pack("[{s:s, s:b}]", "capability", "events", "state", 1);
		if (lm->s->res.type == SU_TYPE_X86) /* x86 always completes: throttle if needed */
			json_array_append_new(caps, json_pack("{s:s, s:b}", "capability",
							      "auto-converge", "state", 1));
		r = src_qmp(lm, "migrate-set-capabilities", json_pack("{s:o}", "capabilities", caps),
			    SECD_SU_QMP_CMD_MS, src_qmp_stepped);
		break;
	case 1:
		r = src_qmp(lm, "migrate-set-parameters",
			    json_pack("{s:I, s:I}", "downtime-limit", (json_int_t)SECD_LM_DOWNTIME_MS,
				      "max-bandwidth",
				      (json_int_t)lm->s->d->cfg.su_lm_bandwidth_mib << 20),
			    SECD_SU_QMP_CMD_MS, src_qmp_stepped);
		break;
	case 2:
		/* QEMU 7.2's TCG loses dirty pages during a live pre-copy (docs/qemu.md finding
		 * 4): under TCG the guest is stopped for the whole copy unless [su]
		 * lm_tcg_live says otherwise (docs/decisions.md "LM under TCG") */
		if (lm->s->accel == QEMU_ACCEL_TCG && !lm->s->d->cfg.su_lm_tcg_live &&
		    lm->vm_state == SU_VM_RUNNING) {
			X(lm)->tcg_stopped = true;
			r = src_qmp(lm, "stop", NULL, SECD_SU_QMP_CMD_MS, src_qmp_stepped);
			break;
		}
		X(lm)->qstep++;
		/* fall through */
	case 3:
		snprintf(uri, sizeof(uri), "tcp:%s:%u", lm->mig_host, lm->mig_port);
		lm->t_migrate = clock_monotonic_ns();
		r = src_qmp(lm, "migrate", json_pack("{s:s}", "uri", uri), SECD_SU_QMP_CMD_MS,
			    src_qmp_stepped);
		break;
	default:
		X(lm)->copying = true;
		lm->st = LM_ST_COPY;
		snprintf(lm->result, sizeof(lm->result), "$R ");
		lm->last_moved_ns = clock_monotonic_ns();
		if (lm->monjv[0] && secd_sucmd_submit_plan(lm->s, "LM MONJV", src_jv_plan, src_jv_done,
							   lm) == 0)
			lm->pending++; /* the MONJV says $R (running) */
		/* at once: a small guest may have completed before migrate's reply came */
		uv_timer_start(&lm->timer, src_poll, 0, SECD_LM_POLL_MS);
		return;
	}
	if (r < 0)
		src_abort(lm, "QMP: %s", strerror(-r));
}

static void src_prepared(void *arg, const struct httpc_result *res)
{
	struct secd_lm *lm = arg;
	json_t *o;

	if (!back(lm))
		return;
	if (lm->st != LM_ST_SETUP) /* aborted meanwhile */
		return;
	if (res->err < 0) {
		src_abort(lm, "the target SU '%s' did not answer: %s", lm->target, res->errmsg);
		return;
	}
	o = json_loads(res->body, 0, NULL);
	if (res->status != 200) {
		json_t *m, *msgs = json_object_get(o, "messages");
		char why[SU_MSG_MAX];
		size_t i;
		json_array_foreach(msgs, i, m)
			secd_lm_say(lm, "%s", json_string_value(m));
		if (!src_rejection_reason(msgs, why, sizeof(why))) {
			const char *e = json_string_value(json_object_get(json_object_get(o, "error"),
									  "message"));
			snprintf(why, sizeof(why), "%s", e ? e : "");
		}
		X(lm)->prepared = res->status != 409; /* 409: refused, nothing reserved */
		src_abort(lm, "rejected by the target SU '%s'%s%s", lm->target, why[0] ? ": " : "",
			  why);
		json_decref(o);
		return;
	}
	X(lm)->prepared = true;
	lm->t_prepared = clock_monotonic_ns();
	json_t *rms = json_object_get(o, "reserve_ms"), *sms = json_object_get(o, "settle_ms");
	if (json_is_number(rms))
		lm->tgt_reserve_ms = json_number_value(rms);
	if (json_is_number(sms))
		lm->tgt_settle_ms = json_number_value(sms);
	secd_lm_trace(lm, "prepared: the target reserved in %.1f ms, its QEMU settled in %.1f ms",
		      lm->tgt_reserve_ms, lm->tgt_settle_ms);
	/* the stream goes to the host of the target's API address, where it listens */
	const struct cluster_unit *u = src_peer(lm);
	const char *colon = u ? strrchr(u->api, ':') : NULL;
	json_int_t port = json_integer_value(json_object_get(o, "port"));
	lm->peer_index = (unsigned)json_integer_value(json_object_get(o, "index"));
	if (!colon || port <= 0 || port > 65535) {
		json_decref(o);
		src_abort(lm, "the target SU '%s' gave no migration address", lm->target);
		return;
	}
	snprintf(lm->mig_host, sizeof(lm->mig_host), "%.*s", (int)(colon - u->api), u->api);
	lm->mig_port = (unsigned)port;
	json_decref(o);
	fault_check("lm.src.after_prepare", NULL); /* row 1 with the target's incoming */
	src_qmp_step(lm);
}

static void src_polled(void *arg, const struct qmp_reply *r)
{
	struct secd_lm *lm = arg;
	struct qmp_migrate q;
	uint64_t now = clock_monotonic_ns();

	if (!back(lm))
		return;
	X(lm)->query_inflight = false;
	if (lm->st != LM_ST_COPY)
		return;
	bool requery = X(lm)->requery;
	X(lm)->requery = false;
	if (r->err < 0 || qmp_migrate_parse(r->ret, &q) < 0) {
		/* QMP is silent during stop-and-copy; silence longer than the stall bound with
		 * the guest stopped means the target does not take the last data */
		if (lm->t_stop && now - lm->t_stop > (uint64_t)lm->s->d->cfg.timing.stall_ms * NSEC_PER_MSEC)
			src_abort(lm, "the source's QEMU has been silent for %u s while stopped",
				  lm->s->d->cfg.timing.stall_ms / 1000);
		return;
	}
	if (q.ram_transferred != lm->last_transferred) {
		lm->last_transferred = q.ram_transferred;
		lm->last_moved_ns = now;
		if (q.ram_transferred > 0 && strcmp(q.status, "completed"))
			fault_check("lm.src.mid_copy", NULL); /* row 2 */
	}
	lm->q = q;
	if (q.ram_total > 0)
		lm->total_bytes = q.ram_total;
	if (q.dirty_pages_rate >= 0)
		lm->dirty_rate = (uint64_t)q.dirty_pages_rate;
	if (q.mbps >= 0)
		lm->mbps = (uint64_t)q.mbps;
	if (!strcmp(q.status, "completed")) {
		src_switchover(lm);
		return;
	}
	if (!strcmp(q.status, "failed") || !strcmp(q.status, "cancelled")) {
		X(lm)->copying = false; /* QEMU ended it and continues the guest by itself */
		src_abort(lm, "the migration %s: %s", q.status,
			  q.error_desc[0] ? q.error_desc : "the target closed the connection");
		return;
	}
	/* the answer was older than the MIGRATION event that came meanwhile: ask again now,
	 * not at the next tick */
	if (requery && src_qmp(lm, "query-migrate", NULL, 5000, src_polled) == 0)
		X(lm)->query_inflight = true;
	if (now - lm->last_moved_ns > (uint64_t)lm->s->d->cfg.timing.stall_ms * NSEC_PER_MSEC) {
		src_abort(lm, "no data moved to the target SU '%s' for %u s", lm->target,
			  lm->s->d->cfg.timing.stall_ms / 1000);
		return;
	}
	if (now - lm->t_migrate > (uint64_t)lm->s->d->cfg.su_lm_converge_ms * NSEC_PER_MSEC) {
		if (lm->s->res.type == SU_TYPE_390) {
			lm->not_converged = true; /* VMS2425 at the abort */
			src_abort(lm, "VMS2425: the memory did not converge within %u s",
				  lm->s->d->cfg.su_lm_converge_ms / 1000);
			return;
		}
		if (!lm->raised && src_qmp(lm, "migrate-set-parameters",
					   json_pack("{s:I}", "downtime-limit", (json_int_t)500),
					   SECD_SU_QMP_CMD_MS, src_qmp_stepped) == 0) {
			lm->raised = true; /* x86: a longer pause, then auto-converge throttles */
			X(lm)->qstep = 100;
			log_info("%s: LM %016" PRIx64 ": not converged after %u s: downtime limit 500 ms",
				 lm->s->d->who, lm->lm_id, lm->s->d->cfg.su_lm_converge_ms / 1000);
		}
	}
}

static void src_poll(uv_timer_t *t)
{
	struct secd_lm *lm = t->data;

	if (lm->st == LM_ST_DOUBT) {
		src_doubt(lm);
		return;
	}
	if (lm->st != LM_ST_COPY || X(lm)->query_inflight)
		return;
	if (src_qmp(lm, "query-migrate", NULL, 5000, src_polled) == 0)
		X(lm)->query_inflight = true;
}

void secd_lm_src_on_event(struct secd_lm *lm, const struct qmp_event *ev)
{
	if (!strcmp(ev->name, "STOP") && (lm->st == LM_ST_COPY || lm->st == LM_ST_SETUP))
		lm->t_stop = ev->recv_ns;
	else if (!strcmp(ev->name, "RESUME") && lm->st == LM_ST_COPY)
		lm->t_stop = 0; /* a failed stop-and-copy: QEMU continued the guest */
	else if (!strcmp(ev->name, "RESUME") && lm->t_stop && !lm->t_resume &&
		 (lm->st == LM_ST_ABORTING || lm->st == LM_ST_DOUBT))
		lm->t_resume = ev->recv_ns; /* the abort's `cont`: the pause ends here */
	if (strcmp(ev->name, "MIGRATION") || (lm->st != LM_ST_COPY && lm->st != LM_ST_SETUP))
		return;
	const char *st = json_string_value(json_object_get(ev->data, "status"));
	secd_lm_trace(lm, "MIGRATION %s (QEMU's time %" PRId64 " us, received %.3f ms)",
		      st ? st : "?", ev->qemu_ts_us, (double)ev->recv_ns / 1e6);
	if (!st || (strcmp(st, "completed") && strcmp(st, "failed") && strcmp(st, "cancelled")))
		return;
	if (!strcmp(st, "completed"))
		lm->t_completed = ev->recv_ns; /* when QEMU said so, not when we asked */
	/* act on it now, not at the next tick: a query answered before the event may still
	 * come with the old status (requery); in SETUP the first poll runs at once anyway */
	if (lm->st != LM_ST_COPY)
		return;
	if (X(lm)->query_inflight)
		X(lm)->requery = true;
	else if (src_qmp(lm, "query-migrate", NULL, 5000, src_polled) == 0)
		X(lm)->query_inflight = true;
}

void secd_lm_src_on_exit(struct secd_lm *lm, const char *why)
{
	X(lm)->copying = false;
	if (lm->st == LM_ST_SETUP || lm->st == LM_ST_COPY)
		src_abort(lm, "the source's QEMU %s", why);
}

/* ---- switchover, commit, finish ---- */

static void src_finished(void *arg, const struct su_plan *p)
{
	struct secd_lm *lm = arg;

	if (!back(lm))
		return;
	if (!p || !p->ok) { /* completed all the same: the console says so (VMS2451) */
		secd_lm_step(lm, SU_LM_STEP_END, NULL);
		secd_lm_end(lm, LM_ST_COMPLETED, "$TW", "the VM runs on the target; this SU's copy "
			    "of the definition could not be removed from the CRD (its reconcile drops "
			    "it: the target's epoch is higher)");
		return;
	}
	for (unsigned i = 0; i < lm->vm.ndevs; i++) /* the rest of its devices leave this SU */
		secd_lm_step(lm, SU_LM_STEP_DEVICE, lm->vm.devs[i].mn);
	secd_lm_step(lm, SU_LM_STEP_END, NULL);
	if (X(lm)->resolved == SECD_LM_DISCARD_SOURCE)
		secd_lm_end(lm, LM_ST_COMPLETED, "$TW", "the operator discarded this SU's copy "
			    "(sectl vm lm-resolve): the target's record could not be read");
	else
		secd_lm_end(lm, LM_ST_COMPLETED, "$T ", NULL);
}

/* The LM's MONJV (MONJV=name of /MIGRATE-VM) as it is now, with status st; false when the
 * LM has none. */
static bool src_jv(const struct secd_lm *lm, const char *st, struct su_lmjv *jv)
{
	if (!lm->monjv[0])
		return false;
	*jv = (struct su_lmjv){
		.phase = secd_lm_phase(lm),
		.percent = secd_lm_percent(lm),
		.dirty_rate = lm->dirty_rate,
		.pause_ms = lm->t_resume > lm->t_stop && lm->t_stop
				    ? (unsigned)((lm->t_resume - lm->t_stop) / NSEC_PER_MSEC) : 0,
		.lm_id = lm->lm_id,
		.start_ms = lm->started_ms,
	};
	snprintf(jv->name, sizeof(jv->name), "%s", lm->monjv);
	snprintf(jv->status, sizeof(jv->status), "%s", st);
	snprintf(jv->vm, sizeof(jv->vm), "(%u,%s)", lm->index, lm->vm_name);
	snprintf(jv->source, sizeof(jv->source), "%s", lm->s->res.host_name);
	snprintf(jv->target, sizeof(jv->target), "%s", lm->target);
	if (st[1] != 'S' && st[1] != 'R') { /* finished */
		jv->end_ms = (int64_t)(clock_wall_ns() / NSEC_PER_MSEC);
		snprintf(jv->reason, sizeof(jv->reason), "%.*s", (int)sizeof(jv->reason) - 1,
			 st[1] == 'A' ? lm->reason : "");
	}
	return true;
}

static struct su_plan *src_finish_plan(void *arg, const struct su_model *live)
{
	struct secd_lm *lm = arg;
	struct su_lmjv jv;

	return su_lm_plan_source_finish(live, lm->index, lm->lm_id, lm->target,
					src_jv(lm, "$T ", &jv) ? &jv : NULL,
					(int64_t)(clock_wall_ns() / NSEC_PER_MSEC));
}

static void src_jv_done(void *arg, const struct su_plan *p)
{
	back(arg);
}

static struct su_plan *src_jv_plan(void *arg, const struct su_model *live)
{
	struct secd_lm *lm = arg;
	struct su_lmjv jv;

	return su_lm_plan_jv(live, src_jv(lm, lm->result, &jv) ? &jv : NULL);
}

static void src_finish(struct secd_lm *lm)
{
	lm->st = LM_ST_POST;
	if (secd_sucmd_submit_plan(lm->s, "LM finish", src_finish_plan, src_finished, lm) == 0)
		lm->pending++;
	else
		secd_lm_end(lm, LM_ST_COMPLETED, "$TW", "out of memory at the finish");
}

/* QEMU's own total-time and downtime, asked again once the target committed: at the
 * MIGRATION{completed} event QEMU 7.2 has not always filled them in yet (docs/api.md
 * qemu_total_ms). A failed answer (the finish quits this QEMU) leaves them "not told". */
static void src_qemu_told(void *arg, const struct qmp_reply *r)
{
	struct secd_lm *lm = arg;
	struct qmp_migrate q;

	if (!back(lm))
		return;
	if (r->err == 0 && qmp_migrate_parse(r->ret, &q) == 0 && q.total_time_ms > 0) {
		lm->q.total_time_ms = q.total_time_ms;
		lm->q.downtime_ms = q.downtime_ms;
	}
}

/* The target's answer to commit (or to a status question while in doubt). */
static void src_decided(struct secd_lm *lm, const char *state, uint64_t resume_ns, const char *why)
{
	if (!strcmp(state, "committed")) {
		lm->t_resume = resume_ns;
		if (lm->q.total_time_ms <= 0)
			src_qmp(lm, "query-migrate", NULL, 1000, src_qemu_told);
		fault_check("lm.src.before_finish", NULL); /* row 4 */
		src_finish(lm);
	} else {
		X(lm)->stopped_for_good = true;
		src_abort(lm, "the target SU '%s' did not take over the VM%s%s", lm->target,
			  why && *why ? ": " : "", why ? why : "");
	}
}

static void src_committed(void *arg, const struct httpc_result *res)
{
	struct secd_lm *lm = arg;
	json_t *o;

	if (!back(lm))
		return;
	if (res->err < 0) {
		log_warnx("%s: LM %016" PRIx64 ": commit on '%s' in doubt: %s", lm->s->d->who,
			  lm->lm_id, lm->target, res->errmsg);
		src_say_msg(lm, "VMS2427", lm->target, "no answer");
		lm->st = LM_ST_DOUBT;
		uv_timer_start(&lm->timer, src_poll, SECD_LM_DOUBT_POLL_MS, SECD_LM_DOUBT_POLL_MS);
		return;
	}
	o = json_loads(res->body, 0, NULL);
	const char *st = json_string_value(json_object_get(o, "state"));
	const char *why = json_string_value(json_object_get(o, "reason"));
	json_t *lw = json_object_get(o, "load_wait_ms"), *cm = json_object_get(o, "commit_ms");
	if (json_is_number(lw))
		lm->tgt_load_wait_ms = json_number_value(lw);
	if (json_is_number(cm))
		lm->tgt_commit_ms = json_number_value(cm);
	secd_lm_trace(lm, "the target answered %s (its load wait %.1f ms, commit %.1f ms)",
		      st ? st : "?", lm->tgt_load_wait_ms, lm->tgt_commit_ms);
	if (res->status == 200 && st)
		src_decided(lm, st,
			    (uint64_t)json_integer_value(json_object_get(o, "resume_ns")), why);
	else
		src_decided(lm, "aborted", 0,
			    json_string_value(json_object_get(json_object_get(o, "error"),
							      "message")));
	json_decref(o);
}

static void src_switchover(struct secd_lm *lm)
{
	json_t *body = src_body(lm);
	char *deftxt = crd_vmdef_to_json(&lm->def);

	uv_timer_stop(&lm->timer);
	lm->st = LM_ST_SWITCHOVER;
	secd_lm_trace(lm, "completed: commit asked of '%s'", lm->target);
	if (!lm->t_completed) /* no MIGRATION event seen: the query's answer */
		lm->t_completed = clock_monotonic_ns();
	X(lm)->copying = false;
	X(lm)->stopped_for_good = true; /* postmigrate: only a cont resumes it */
	if (!lm->t_stop)
		lm->t_stop = lm->t_completed;
	secd_lm_step(lm, SU_LM_STEP_SUSPENDED, NULL); /* stopped: HAL0331, "paused" */
	json_object_set_new(body, "def", deftxt ? json_loads(deftxt, 0, NULL) : json_null());
	json_object_set_new(body, "state", json_string(su_vm_state_to_sem(lm->vm_state)));
	free(deftxt);
	fault_check("lm.src.after_completed", NULL); /* row 3: stopped, commit not asked */
	if (src_call(lm, "POST", "/api/v1/internal/lm/commit", body, secd_lm_commit_ms(lm->s),
		     src_committed) < 0)
		src_abort(lm, "the target SU '%s' cannot be called for the commit", lm->target);
}

/* In doubt: the target's own record decides (crd.md §6). */
static void src_doubt_answer(void *arg, const struct httpc_result *res)
{
	struct secd_lm *lm = arg;

	if (!back(lm))
		return;
	if (res->err < 0 || res->status != 200)
		return; /* still unknown: the next tick asks again */
	json_t *o = json_loads(res->body, 0, NULL);
	const char *st = json_string_value(json_object_get(o, "state"));
	if (lm->st == LM_ST_DOUBT && st && strcmp(st, "incoming")) {
		uv_timer_stop(&lm->timer);
		src_decided(lm, !strcmp(st, "committed") ? "committed" : "aborted",
			    (uint64_t)json_integer_value(json_object_get(o, "resume_ns")),
			    "its record says so");
	}
	json_decref(o);
}

/* The target's region (crd.md §6): read every 4th poll while in doubt, so that an abort or
 * a commit on the CRD decides even while the target is alive but cannot be reached; after
 * its DEAD verdict also "nothing committed" decides (crd_lm_source_decide). */
static void src_doubt_region(void *arg, int r, char *payload, const char *msg)
{
	struct secd_lm *lm = arg;
	struct sec_err err = {0};
	struct su_model *t = NULL;

	if (!back(lm)) {
		free(payload);
		return;
	}
	bool had = payload != NULL, dead = X(lm)->doubt_dead;
	if (payload)
		t = su_model_from_json(payload, strlen(payload), &err);
	free(payload);
	struct crd_lm_source_view view = {
		.lm_id = lm->lm_id,
		.vm_uuid = lm->vm_uuid,
		.source_epoch = lm->def.epoch,
		.target_read_ok = r == 0 && (t || !had), /* damaged data is no answer */
		.target = t ? &t->own : NULL,
		/* alive (or not known yet): only a record decides, the rest waits */
		.target_verdict = dead ? CRD_ALIVE_DEAD : CRD_ALIVE_ALIVE,
	};
	struct crd_owner_region empty;
	if (view.target_read_ok && !t) { /* an empty region: the target holds nothing */
		crd_owner_init(&empty, lm->peer_unit);
		view.target = &empty;
	}
	enum crd_lm_decision dec = CRD_LM_WAIT;
	if (lm->st == LM_ST_DOUBT && (view.target_read_ok || dead))
		dec = crd_lm_source_decide(&view);
	su_model_free(t);
	if (dec != CRD_LM_WAIT || dead)
		log_info("%s: LM %016" PRIx64 " in doubt, target %s: %s%s%s", lm->s->d->who,
			 lm->lm_id, dead ? "dead" : "not dead", crd_lm_decision_to_string(dec),
			 r < 0 ? "; its region: " : "", r < 0 && msg ? msg : "");
	if (dec == CRD_LM_QUIT_SOURCE) {
		uv_timer_stop(&lm->timer);
		src_decided(lm, "committed", 0, NULL);
	} else if (dec == CRD_LM_RESUME_SOURCE) {
		uv_timer_stop(&lm->timer);
		src_decided(lm, "aborted", 0, dead ? "the target SU is dead and did not commit"
						   : "its abort record on the CRD says so");
	} else if (dec == CRD_LM_OPERATOR && !X(lm)->operator_told) {
		X(lm)->operator_told = true;
		lm->needs_operator = true;
		src_say_msg(lm, "VMS2428", lm->target, NULL);
	}
}

static void src_doubt(struct secd_lm *lm)
{
	char path[96], id[17];
	struct crd_unit_peer p;
	bool dead = crd_unit_peer(lm->s->d->unit, lm->peer_unit, &p) == 0 &&
		    p.verdict == CRD_ALIVE_DEAD;

	if (lm->pending)
		return;
	if (dead || X(lm)->doubt_ticks++ % 4 == 3) {
		X(lm)->doubt_dead = dead; /* the read is issued after the verdict it is combined with */
		lm->pending++;
		if (secd_su_region_read(lm->s, lm->peer_unit, src_doubt_region, lm) < 0)
			lm->pending--;
		if (dead)
			return;
	}
	secd_lm_id_str(lm->lm_id, id);
	snprintf(path, sizeof(path), "/api/v1/internal/lm/%s", id);
	src_call(lm, "GET", path, NULL, SECD_LM_DOUBT_POLL_MS * 4, src_doubt_answer);
}

/* ---- the operator's decision (crd.md §6: sectl vm lm-resolve) ---- */

int secd_lm_source_resolve(struct secd_lm *lm, enum secd_lm_resolve how, const char *who,
			   struct sec_err *reterr)
{
	if (!lm->outgoing || lm->st != LM_ST_DOUBT)
		return sec_errf(reterr, -EBUSY, "live migration %016" PRIx64 " of VM (%u,%s) is "
				"%s, not in doubt: only an LM in doubt is decided by the operator",
				lm->lm_id, lm->index, lm->vm_name, secd_lm_state_name(lm->st));
	if (how != SECD_LM_RESUME_SOURCE && how != SECD_LM_DISCARD_SOURCE)
		return sec_errf(reterr, -EINVAL, "no such decision");
	uv_timer_stop(&lm->timer);
	X(lm)->resolved = how;
	secd_lm_say(lm, "LIVE MIGRATION IN DOUBT DECIDED BY '%s': %s", who && *who ? who : "?",
		    how == SECD_LM_RESUME_SOURCE ? "THE GUEST CONTINUES ON THIS SU"
						 : "THIS SU'S COPY IS DISCARDED");
	if (how == SECD_LM_RESUME_SOURCE)
		src_decided(lm, "aborted", 0, "the operator decided so (sectl vm lm-resolve)");
	else
		src_decided(lm, "committed", 0, NULL);
	return 0;
}

/* ---- abort ---- */

static void src_abort(struct secd_lm *lm, const char *fmt, ...)
{
	va_list ap;

	if (lm->st == LM_ST_ABORTING || lm->st == LM_ST_ABORTED || lm->st == LM_ST_COMPLETED)
		return;
	va_start(ap, fmt);
	vsnprintf(lm->reason, sizeof(lm->reason), fmt, ap);
	va_end(ap);
	uv_timer_stop(&lm->timer);
	log_warnx("%s: LM %016" PRIx64 " of VM (%u,%s): aborting: %s", lm->s->d->who, lm->lm_id,
		  lm->index, lm->vm_name, lm->reason);
	secd_lm_aborting(lm);
	X(lm)->ab = AB_CANCEL;
	src_abort_next(lm);
}

static void src_abort_stepped(void *arg, const struct qmp_reply *r)
{
	struct secd_lm *lm = arg;

	if (!back(lm))
		return;
	if (r->err < 0)
		log_warnx("%s: LM %016" PRIx64 ": abort step '%s': %s", lm->s->d->who, lm->lm_id,
			  r->command, r->err == -EREMOTEIO ? r->error_desc : strerror(-r->err));
	if (X(lm)->ab == AB_STATUS && r->err == 0) {
		struct qmp_status st;
		if (qmp_status_parse(r->ret, &st) == 0)
			snprintf(X(lm)->qemu_status, sizeof(X(lm)->qemu_status), "%s", st.status);
	}
	X(lm)->ab++;
	src_abort_next(lm);
}

/* After a restart: only the tapes and local disks whose drive is empty go back in. */
static void src_abort_blocks(void *arg, const struct qmp_reply *r)
{
	struct secd_lm *lm = arg;
	struct qmp_block *b = NULL;
	int n;

	if (!back(lm))
		return;
	n = r->err == 0 ? qmp_block_parse(r->ret, &b) : -EIO;
	if (n >= 0) {
		unsigned k = 0;
		for (unsigned i = 0; i < lm->n_media; i++) {
			char dev[16];
			snprintf(dev, sizeof(dev), "dev-%s", lm->media[i]);
			const struct qmp_block *e = qmp_block_find(b, (size_t)n, dev);
			if (e && !e->inserted)
				memmove(lm->media[k++], lm->media[i], sizeof(lm->media[0]));
		}
		lm->n_media = lm->media_i = k;
	}
	free(b);
	X(lm)->ab++;
	src_abort_next(lm);
}

static void src_abort_media(void *arg, const struct qmp_reply *r);

/* The tray of media[media_i] is open: the medium goes back in. */
static void src_abort_tray(void *arg, const struct qmp_reply *r)
{
	struct secd_lm *lm = arg;
	struct secd_suvm *v;
	const struct su_iodev *io;
	char dev[16], node[32];

	if (!back(lm))
		return;
	v = src_vm(lm);
	io = su_model_iodev(lm->s->m, lm->media[lm->media_i]);
	if (io && v->qmp) {
		snprintf(dev, sizeof(dev), "dev-%s", io->mn);
		qmp_media_node_name(node, sizeof(node), io->mn, ++v->media_n);
		if (qmp_medium_attach(v->qmp, dev, node, io->backing, io->cls == SU_DEV_TAPE,
				      !strcmp(qemu_cache_mode(io->backing), "none"),
				      SECD_SU_QMP_CMD_MS, src_abort_media, lm) == 0) {
			secd_suvm_media_node(v, io->mn, node);
			lm->pending++;
			return;
		}
	}
	src_abort_next(lm);
}

/* One medium is back in its drive (AB_MEDIA walks media[media_i..0] down). */
static void src_abort_media(void *arg, const struct qmp_reply *r)
{
	struct secd_lm *lm = arg;

	if (!back(lm))
		return;
	if (r->err == 0)
		secd_lm_say(lm, "%% VMS4005 DEVICE '%s' ASSIGNED TO VIRTUAL MACHINE (%u,%s)",
			    lm->media[lm->media_i], lm->index, lm->vm_name);
	else
		log_warnx("%s: LM %016" PRIx64 ": device %s could not be attached again: %s",
			  lm->s->d->who, lm->lm_id, lm->media[lm->media_i],
			  r->err == -EREMOTEIO ? r->error_desc : strerror(-r->err));
	src_abort_next(lm);
}

static void src_abort_target_done(void *arg, const struct httpc_result *res)
{
	struct secd_lm *lm = arg;

	if (!back(lm))
		return;
	if (res->err < 0 || res->status != 200) {
		log_warnx("%s: LM %016" PRIx64 ": the target's abort: %s", lm->s->d->who, lm->lm_id,
			  res->err < 0 ? res->errmsg : res->body);
	} else { /* the target's own reason: the cause this SU could not see (its QEMU ended) */
		json_t *o = json_loads(res->body, 0, NULL);
		const char *why = json_string_value(json_object_get(o, "reason"));
		size_t n = strlen(lm->reason);
		if (why && *why && !strstr(lm->reason, why))
			snprintf(lm->reason + n, sizeof(lm->reason) - n, "; on the target SU '%s': %s",
				 lm->target, why);
		json_decref(o);
	}
	X(lm)->ab++;
	src_abort_next(lm);
}

static void src_resumed(void *arg, const struct su_plan *p)
{
	struct secd_lm *lm = arg;
	if (!back(lm))
		return;
	if (!p || !p->ok)
		log_warnx("%s: LM %016" PRIx64 ": the outgoing record could not be removed",
			  lm->s->d->who, lm->lm_id);
	secd_lm_step(lm, SU_LM_STEP_ABORTED, NULL);
	secd_event(lm->s->d, LB_WARNING, "Sys-Mgmt", "Live migration of VM (%u,%s) from SU '%s' "
		   "to SU '%s' aborted: %s; the VM stays on SU '%s'", lm->index, lm->vm_name,
		   lm->source, lm->target, lm->reason, lm->source);
	secd_lm_end(lm, LM_ST_ABORTED, "$AE", NULL);
}

static struct su_plan *src_resume_plan(void *arg, const struct su_model *live)
{
	struct secd_lm *lm = arg;
	struct su_lmjv jv;

	return su_lm_plan_source_resume(live, lm->index, lm->lm_id,
					src_jv(lm, "$AE", &jv) ? &jv : NULL);
}

static void src_abort_next(struct secd_lm *lm)
{
	struct secd_suvm *v = src_vm(lm);
	char dev[16];
	int r = -1;

	for (;;) {
		switch (X(lm)->ab) {
		case AB_CANCEL:
			if (X(lm)->copying &&
			    (r = src_qmp(lm, "migrate_cancel", NULL, SECD_SU_QMP_CMD_MS,
					 src_abort_stepped)) == 0)
				return;
			break;
		case AB_TARGET:
			if (X(lm)->prepared || X(lm)->prepare_sent) {
				char *deftxt = crd_vmdef_to_json(&lm->def);
				json_t *b = src_body(lm);
				json_object_set_new(b, "def", deftxt ? json_loads(deftxt, 0, NULL)
								     : json_null());
				free(deftxt);
				if (src_call(lm, "POST", "/api/v1/internal/lm/abort", b, 10000,
					     src_abort_target_done) == 0)
					return;
			}
			break;
		case AB_STATUS:
			if (v->qmp && src_qmp(lm, "query-status", NULL, SECD_SU_QMP_CMD_MS,
					      src_abort_stepped) == 0)
				return;
			break;
		case AB_CONT: /* completed (postmigrate) or stopped: QEMU does not go on alone */
			if (lm->vm_state == SU_VM_RUNNING &&
			    (!strcmp(X(lm)->qemu_status, "postmigrate") ||
			     !strcmp(X(lm)->qemu_status, "paused") ||
			     !strcmp(X(lm)->qemu_status, "finish-migrate")) &&
			    src_qmp(lm, "cont", NULL, SECD_SU_QMP_CMD_MS, src_abort_stepped) == 0) {
				lm->source_resumed = true;
				return;
			}
			break;
		case AB_ANNOUNCE: /* the target may have announced the guest's MAC on load */
			if (lm->source_resumed && X(lm)->stopped_for_good &&
			    src_qmp(lm, "announce-self",
				    json_pack("{s:i, s:i, s:i, s:i}", "initial", 50, "max", 550,
					      "rounds", 5, "step", 100),
				    SECD_SU_QMP_CMD_MS, src_abort_stepped) == 0)
				return;
			break;
		case AB_BLOCKS:
			if (X(lm)->recovering && lm->n_media &&
			    src_qmp(lm, "query-block", NULL, SECD_SU_QMP_CMD_MS, src_abort_blocks) == 0)
				return;
			break;
		case AB_MEDIA:
			if (lm->media_i > 0 && lm->media_i <= lm->n_media) {
				/* re-attach what was detached: media[0..media_i) */
				lm->media_i--;
				/* the tray of an empty drive may be closed: open it first */
				snprintf(dev, sizeof(dev), "dev-%s", lm->media[lm->media_i]);
				if (v->qmp && qmp_blockdev_open_tray(v->qmp, dev, true, SECD_SU_QMP_CMD_MS,
								     src_abort_tray, lm) == 0) {
					lm->pending++;
					return;
				}
				continue;
			}
			break;
		case AB_PLAN:
			if (secd_sucmd_submit_plan(lm->s, "LM abort", src_resume_plan, src_resumed,
						   lm) == 0) {
				lm->pending++;
				X(lm)->ab = AB_END;
				return;
			}
			lm->pending++;
			src_resumed(lm, NULL);
			return;
		default:
			return;
		}
		X(lm)->ab++;
	}
}

/* ---- a restart with "outgoing lm_id" on the CRD (docs/lm.md crash table, rows 1-6) ---- */

static void src_recover_answer(void *arg, const struct httpc_result *res)
{
	struct secd_lm *lm = arg;

	if (!back(lm))
		return;
	if (res->err == 0 && res->status == 409) { /* the target committed: it owns the VM */
		src_say_msg(lm, "VMS2429", lm->target, "THE TARGET SU HAD COMMITTED IT");
		src_finish(lm);
		return;
	}
	if (res->err == 0 && res->status == 200) { /* aborted there: the guest stays here */
		src_abort(lm, "the SU daemon restarted during the live migration");
		return;
	}
	log_warnx("%s: LM %016" PRIx64 " after a restart: the target SU '%s': %s", lm->s->d->who,
		  lm->lm_id, lm->target, res->err < 0 ? res->errmsg : res->body);
	lm->st = LM_ST_DOUBT; /* the target's answer or its dead verdict decides */
	uv_timer_start(&lm->timer, src_poll, SECD_LM_DOUBT_POLL_MS, SECD_LM_DOUBT_POLL_MS);
}

int secd_lm_source_recover(struct secd_su *s, const struct crd_lm_rec *rec)
{
	const struct su_vm *vm = su_model_vm_by_uuid(s->m, &rec->vm_uuid);
	const struct crd_vmdef *def = vm ? crd_owner_find(&s->m->own, &vm->vm_uuid) : NULL;
	struct secd_lm *lm = def ? src_new(s, vm, def, rec->lm_id, rec->peer) : NULL;
	json_t *b;

	if (!lm) { /* no VM or no target any more: the record alone goes */
		crd_lm_source_resume(&s->m->own, rec->lm_id);
		secd_su_write_live(s);
		return def ? -ENOMEM : -ENOENT;
	}
	/* what happened before the restart is not known: the abort chain tries everything
	 * (a migrate_cancel, a cont of a stopped guest, the media back into empty drives) */
	X(lm)->copying = true;
	X(lm)->stopped_for_good = true;
	X(lm)->recovering = true;
	lm->media_i = lm->n_media;
	lm->st = LM_ST_COPY;
	src_say_msg(lm, "VMS2429", lm->target, "ASKING THE TARGET SU");
	char *deftxt = crd_vmdef_to_json(&lm->def);
	b = src_body(lm);
	json_object_set_new(b, "def", deftxt ? json_loads(deftxt, 0, NULL) : json_null());
	free(deftxt);
	if (src_call(lm, "POST", "/api/v1/internal/lm/abort", b, 10000, src_recover_answer) < 0) {
		lm->st = LM_ST_DOUBT;
		uv_timer_start(&lm->timer, src_poll, SECD_LM_DOUBT_POLL_MS, SECD_LM_DOUBT_POLL_MS);
	}
	return 0;
}
