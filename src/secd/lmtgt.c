/* lmtgt.c — the target SU's part of a Live Migration (lm.h; docs/lm.md "Parties and
 * messages"): the unit-signed routes the source calls, and the target's driver.
 *
 *   POST /api/v1/internal/lm/prepare  check again, reserve (VM in SETUP(MIGR)), QEMU with
 *                                     -incoming defer -S, "incoming lm_id" on the CRD,
 *                                     migrate-incoming -> {"port", "index"}
 *   POST /api/v1/internal/lm/commit   wait for this QEMU's own `completed`, commit the
 *                                     ownership on the CRD, THEN `cont` (a RUNNING VM)
 *                                     -> {"state": "committed"|"aborted", "resume_ns"}
 *   POST /api/v1/internal/lm/abort    QEMU killed, reservation dropped, "abort lm_id"
 *   GET  /api/v1/internal/lm/{lm_id}  this SU's record: none|incoming|committed|aborted
 *
 * A commit that fails, or a QEMU that dies before `cont`, ends as crd.md §6 says: the
 * QEMU is killed and reaped, "abort lm_id" is written, and the answer is "aborted" — the
 * source then continues the guest. */
#include "secd/lm.h"

#include "lib/clock.h"
#include "lib/fault.h"
#include "lib/log.h"
#include "lib/proccpu.h"
#include "cluster/global.h"
#include "secd/routes.h"
#include "su/msgcat.h"
#include "su/vmstate.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tgt_x {
	int qstep;		/* capabilities, migrate-incoming, query-migrate */
	bool reserved;		/* the reservation plan committed */
	bool committed;		/* the commit plan committed */
	bool aborting;
	bool waiting_load;	/* a commit waits for this QEMU's `completed` */
	bool abort_wanted;	/* the source asked for an abort while a step ran */
	bool own_abort;		/* this SU aborted on its own (why: its reason, e.g. its QEMU ended) */
	bool by_source;		/* the abort is the source's (its abort route) */
	bool exit_wait;		/* the source's abort waits for this SU's ending QEMU's exit */
	enum su_vm_state state; /* the VM's state on the source (commit) */
	char why[256];
	struct api_req *abort_req; /* an abort route waiting for the abort plan */
	struct su_iocfg *src_io;   /* the source's I/O configuration (prepare), NULL none */
	uint64_t settle_t0;	   /* the settle step (below): its start, CLOCK_MONOTONIC ns */
	int64_t settle_cpu;	   /* the QEMU's CPU time at the last tick, ns */
	uint64_t settle_hold_ns;   /* fault point lm.tgt.settle delay: settle no earlier */
	double settle_ms;	   /* how long it took (the prepare answer) */
};
static struct tgt_x *X(struct secd_lm *lm)
{
	return (struct tgt_x *)(lm + 1);
}

#define back secd_lm_back

static void tgt_req_gone(struct api_req *r, void *arg)
{
	struct secd_lm *lm = arg;

	if (lm->req == r)
		lm->req = NULL;
	if (X(lm)->abort_req == r)
		X(lm)->abort_req = NULL;
}

static void tgt_reply(struct secd_lm *lm, int status, json_t *body)
{
	struct api_req *r = lm->req;

	lm->req = NULL;
	if (r)
		api_reply_json(r, status, body);
	else
		json_decref(body);
}

static json_t *lines_json(const struct su_plan *p)
{
	json_t *a = json_array();

	for (size_t i = 0; p && i < p->n_msgs; i++)
		json_array_append_new(a, json_string(p->msgs[i]));
	return a;
}

#define tgt_qmp secd_lm_qmp

/* b - a in ms, 0 when either is unknown or b is earlier (the target's answers). */
static double tgt_ms(uint64_t a, uint64_t b)
{
	double ms = secd_lm_ms_between(a, b);

	return ms > 0 ? ms : 0;
}

/* The commit's answer {"state": "committed", "resume_ns", "load_wait_ms", "commit_ms"}:
 * how long the commit request waited for this QEMU's own `completed`, and from then (or
 * from the request, when it was loaded already) to the guest resumed (the commit's region
 * write and `cont`; no `cont` for an INIT-ONLY or DOWN VM). */
static json_t *tgt_commit_answer(const struct secd_lm *lm)
{
	uint64_t from = lm->t_loaded > lm->t_completed ? lm->t_loaded : lm->t_completed;

	return json_pack("{s:s, s:I, s:f, s:f}", "state", "committed", "resume_ns",
			 (json_int_t)lm->t_resume, "load_wait_ms",
			 tgt_ms(lm->t_completed, lm->t_loaded), "commit_ms",
			 tgt_ms(from, lm->t_resume ? lm->t_resume : clock_monotonic_ns()));
}

/* ---- abort ---- */

/* The answer to the source's abort: "aborted", with this SU's own reason when it had
 * aborted on its own (the source's console then names the cause it could not see, e.g. this
 * SU's QEMU ended, instead of only its broken stream). New reference. */
static json_t *tgt_abort_answer(struct secd_lm *lm)
{
	if (X(lm)->own_abort && X(lm)->why[0])
		return json_pack("{s:s, s:s}", "state", "aborted", "reason", X(lm)->why);
	return json_pack("{s:s}", "state", "aborted");
}

static struct su_plan *tgt_abort_plan(void *arg, const struct su_model *live);
static void tgt_aborted(void *arg, const struct su_plan *p);

static void tgt_abort_retry(uv_timer_t *t)
{
	struct secd_lm *lm = t->data;

	if (secd_sucmd_submit_plan(lm->s, "LM abort (target)", tgt_abort_plan, tgt_aborted, lm) == 0)
		lm->pending++;
	else
		uv_timer_start(&lm->timer, tgt_abort_retry, SECD_LM_ABORT_RETRY_MS, 0);
}

static void tgt_aborted(void *arg, const struct su_plan *p)
{
	struct secd_lm *lm = arg;
	struct api_req *ar;

	if (!back(lm))
		return;
	/* "aborted" is said only once it is true on the CRD: a reservation (or a commit) left
	 * in the region while the source continues the guest is a second owner. Again until it
	 * lands; meanwhile the source waits (in doubt after a commit, docs/lm.md). */
	if (!p || !p->ok) {
		log_warnx("%s: LM %016" PRIx64 ": the abort could not be carried out%s%s; again in "
			  "%u ms", lm->s->d->who, lm->lm_id, p && p->n_msgs ? ": " : "",
			  p && p->n_msgs ? p->msgs[0] : "", SECD_LM_ABORT_RETRY_MS);
		uv_timer_start(&lm->timer, tgt_abort_retry, SECD_LM_ABORT_RETRY_MS, 0);
		return;
	}
	snprintf(lm->reason, sizeof(lm->reason), "%s", X(lm)->why);
	secd_lm_step(lm, SU_LM_STEP_ABORTED, NULL);
	if ((ar = X(lm)->abort_req)) {
		X(lm)->abort_req = NULL;
		api_reply_json(ar, 200, tgt_abort_answer(lm));
	}
	tgt_reply(lm, 200, json_pack("{s:s, s:s}", "state", "aborted", "reason", X(lm)->why));
	secd_lm_end(lm, LM_ST_ABORTED, "$AE", X(lm)->why);
}

static struct su_plan *tgt_abort_plan(void *arg, const struct su_model *live)
{
	struct secd_lm *lm = arg;

	return su_lm_plan_target_abort(live, X(lm)->reserved ? lm->index : 0, lm->lm_id,
				       &lm->vm_uuid, lm->peer_unit);
}

/* Kills the QEMU, drops the reservation and writes "abort lm_id"; the waiting route
 * (prepare or commit) is answered with "aborted" afterwards. */
static void tgt_abort(struct secd_lm *lm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tgt_abort(struct secd_lm *lm, const char *fmt, ...)
{
	va_list ap;

	if (X(lm)->aborting || lm->st == LM_ST_ABORTED || lm->st == LM_ST_COMPLETED)
		return;
	X(lm)->aborting = true;
	X(lm)->own_abort = !X(lm)->by_source;
	secd_lm_aborting(lm);
	va_start(ap, fmt);
	vsnprintf(X(lm)->why, sizeof(X(lm)->why), fmt, ap);
	va_end(ap);
	uv_timer_stop(&lm->timer);
	log_warnx("%s: LM %016" PRIx64 " of VM %s from '%s': aborting: %s", lm->s->d->who,
		  lm->lm_id, lm->vm_name, lm->source, X(lm)->why);
	if (secd_sucmd_submit_plan(lm->s, "LM abort (target)", tgt_abort_plan, tgt_aborted, lm) == 0)
		lm->pending++;
}

static void tgt_exit_wait_over(uv_timer_t *t)
{
	struct secd_lm *lm = t->data;

	X(lm)->by_source = true;
	tgt_abort(lm, "the source SU '%s' aborted the live migration", lm->source);
}

/* The source asked for the abort (its abort route, now or after the step that ran). When
 * this SU's QEMU is ending — its monitor closed, the guard's exit not here yet — that end
 * is most likely why the source's stream broke: the abort waits for the exit, at most
 * SECD_SU_GONE_WAIT_MS, so that the answer carries it (secd_lm_tgt_on_exit). */
static void tgt_source_aborted(struct secd_lm *lm)
{
	const struct secd_suvm *v = X(lm)->reserved && lm->index ? &lm->s->vm[lm->index] : NULL;

	if (!X(lm)->aborting && !X(lm)->exit_wait && v && v->child && v->monitor_closed) {
		X(lm)->exit_wait = true;
		uv_timer_start(&lm->timer, tgt_exit_wait_over, SECD_SU_GONE_WAIT_MS, 0);
		return;
	}
	if (X(lm)->exit_wait)
		return; /* the exit or the timer aborts */
	X(lm)->by_source = true;
	tgt_abort(lm, "the source SU '%s' aborted the live migration", lm->source);
}

/* ---- prepare ---- */

static void tgt_qmp_step(struct secd_lm *lm);

/* The source's view of this LM (its lmstat): an LM it ended or does not know is over here
 * too — its abort may never have arrived (the network between the SUs was cut). */
static void tgt_source_answer(void *arg, const struct httpc_result *res)
{
	struct secd_lm *lm = arg;

	if (!back(lm))
		return;
	if (lm->st != LM_ST_SETUP || lm->req || X(lm)->aborting || res->err < 0)
		return; /* busy, or the source is unreachable: it tells us when it is back */
	if (res->status == 404) {
		tgt_abort(lm, "the source SU '%s' does not know this live migration", lm->source);
		return;
	}
	json_t *o = json_loads(res->body, 0, NULL);
	const char *st = json_string_value(
	    json_object_get(json_array_get(json_object_get(o, "lms"), 0), "state"));
	if (st && (!strcmp(st, "aborted") || !strcmp(st, "aborting")))
		tgt_source_aborted(lm);
	json_decref(o);
}

static void tgt_ask_source(uv_timer_t *t)
{
	struct secd_lm *lm = t->data;
	const struct cluster_unit *u = secd_global_unit(lm->s->d, lm->peer_unit);
	char path[96], id[17];

	if (lm->st != LM_ST_SETUP || lm->pending || !u) {
		if (lm->st != LM_ST_SETUP)
			uv_timer_stop(&lm->timer);
		return;
	}
	/* a dead source (its alive message, crd.md §4: its guard fenced the guest) commits
	 * nothing any more: the reservation goes, so that RECOVER can take the definition */
	struct crd_unit_peer p;
	if (!lm->req && !X(lm)->aborting && crd_unit_peer(lm->s->d->unit, u->unit_id, &p) == 0 &&
	    p.verdict == CRD_ALIVE_DEAD) {
		tgt_abort(lm, "the source SU '%s' is dead", lm->source);
		return;
	}
	secd_lm_id_str(lm->lm_id, id);
	snprintf(path, sizeof(path), "/api/v1/internal/lmstat?lm=%s", id);
	if (httpc_call(lm->s->d->httpc, u->unit_id, u->api, "GET", path, NULL, 0,
		       lm->s->d->cfg.timing.stall_ms, tgt_source_answer, lm) == 0)
		lm->pending++;
}

/* The prepare's answer: the port to migrate to; from now on the source is asked now and
 * then whether it still runs this LM. */
static void tgt_prepared(struct secd_lm *lm)
{
	tgt_reply(lm, 200, json_pack("{s:s, s:i, s:i, s:f, s:f}", "state", "incoming", "port",
				     (int)lm->mig_port, "index", (int)lm->index, "reserve_ms",
				     tgt_ms(lm->t_start, lm->t_reserved), "settle_ms",
				     X(lm)->settle_ms));
	fault_check("lm.tgt.after_prepare", NULL); /* crash table row 7 (docs/lm.md) */
	uv_timer_start(&lm->timer, tgt_ask_source, lm->s->d->cfg.timing.stall_ms,
		       lm->s->d->cfg.timing.stall_ms);
}

/* Settle: QEMU answers QMP while its main thread still finishes its start (10-60 ms of CPU
 * more on the lab machine, docs/benchmarks.md "the target QEMU's start"). A copy sent into
 * it shares the cores with that and takes longer, and so does the pause. So the prepare
 * answers once the QEMU used less than SECD_LM_SETTLE_BUSY_PCT of one tick's time in the
 * last tick, or after SECD_LM_SETTLE_MS: the guest runs on the source meanwhile, this
 * costs setup time only. A QEMU whose CPU time cannot be read is taken as settled. */
static void tgt_settle_tick(uv_timer_t *t)
{
	struct secd_lm *lm = t->data;
	uint64_t now = clock_monotonic_ns();
	int64_t cpu = proc_cpu_ns(lm->s->vm[lm->index].pid);

	if (lm->st != LM_ST_SETUP || X(lm)->aborting) {
		uv_timer_stop(&lm->timer);
		return;
	}
	if (X(lm)->abort_wanted) {
		tgt_source_aborted(lm);
		return;
	}
	if (now - X(lm)->settle_t0 < X(lm)->settle_hold_ns)
		return; /* a test holds the prepare here (lm.tgt.settle delay MS) */
	bool quiet = cpu < 0 || X(lm)->settle_cpu < 0 ||
		     (cpu - X(lm)->settle_cpu) * 100 <
			 (int64_t)(SECD_LM_SETTLE_TICK_MS * NSEC_PER_MSEC * SECD_LM_SETTLE_BUSY_PCT);
	if (!quiet && now - X(lm)->settle_t0 <
			  (uint64_t)SECD_LM_SETTLE_MS * NSEC_PER_MSEC + X(lm)->settle_hold_ns) {
		X(lm)->settle_cpu = cpu;
		return;
	}
	uv_timer_stop(&lm->timer);
	X(lm)->settle_ms = tgt_ms(X(lm)->settle_t0, now);
	secd_lm_trace(lm, "the QEMU %s after %.1f ms", quiet ? "settled" : "is still busy",
		      X(lm)->settle_ms);
	tgt_prepared(lm);
}

static void tgt_settle_begin(struct secd_lm *lm)
{
	struct fault_spec sp;

	X(lm)->settle_t0 = clock_monotonic_ns();
	X(lm)->settle_cpu = proc_cpu_ns(lm->s->vm[lm->index].pid);
	if (fault_check("lm.tgt.settle", &sp) && sp.action == FAULT_DELAY) {
		X(lm)->settle_hold_ns = sp.arg * NSEC_PER_MSEC;
		log_info("%s: LM %016" PRIx64 ": settle held %" PRIu64 " ms (fault point "
			 "lm.tgt.settle)", lm->s->d->who, lm->lm_id, sp.arg);
	}
	if (X(lm)->settle_cpu < 0 && !X(lm)->settle_hold_ns) {
		tgt_prepared(lm);
		return;
	}
	uv_timer_start(&lm->timer, tgt_settle_tick, SECD_LM_SETTLE_TICK_MS,
		       SECD_LM_SETTLE_TICK_MS);
}

static void tgt_qmp_stepped(void *arg, const struct qmp_reply *r)
{
	struct secd_lm *lm = arg;

	if (!back(lm))
		return;
	if (X(lm)->abort_wanted) {
		tgt_source_aborted(lm);
		return;
	}
	if (r->err < 0) {
		tgt_abort(lm, "QEMU refused '%s': %s", r->command,
			  r->err == -EREMOTEIO ? r->error_desc : strerror(-r->err));
		return;
	}
	if (X(lm)->qstep == 2) {
		struct qmp_migrate q;
		if (qmp_migrate_parse(r->ret, &q) < 0 || q.socket_port <= 0) {
			tgt_abort(lm, "QEMU did not tell its migration port");
			return;
		}
		lm->mig_port = (unsigned)q.socket_port;
		secd_lm_trace(lm, "incoming on port %u", lm->mig_port);
		tgt_settle_begin(lm);
		return;
	}
	secd_lm_trace(lm, "QMP '%s' answered", r->command);
	X(lm)->qstep++;
	tgt_qmp_step(lm);
}

/* The host part of this SU's API address ("127.0.0.1", "[::1]"): the stream comes there. */
static void tgt_listen_host(const struct secd *d, char *out, size_t size)
{
	const char *a = d->cfg.api_listen, *c = strrchr(a, ':');

	snprintf(out, size, "%.*s", c ? (int)(c - a) : (int)strlen(a), a);
}

static void tgt_qmp_step(struct secd_lm *lm)
{
	char uri[128], host[80];
	int r;

	switch (X(lm)->qstep) {
	case 0:
		/* late-block-activate: a guest that will run takes its disks at our `cont`,
		 * after the commit. A VM that will not run (INIT-ONLY, DOWN) gets no `cont`:
		 * with it, its disks would stay inactive and its next LM would abort QEMU 7.2
		 * (bdrv_inactivate_recurse: assertion '!(bs->open_flags & BDRV_O_INACTIVE)');
		 * without it QEMU takes them when the stream is loaded — the source has let go
		 * of them by then, and nothing writes before the commit: the VM does not run */
		r = tgt_qmp(lm, "migrate-set-capabilities",
			    json_pack("{s:[{s:s, s:b}, {s:s, s:b}]}", "capabilities", "capability",
				      "events", "state", 1, "capability", "late-block-activate",
				      "state", lm->vm_state == SU_VM_RUNNING),
			    SECD_SU_QMP_CMD_MS, tgt_qmp_stepped);
		break;
	case 1:
		tgt_listen_host(lm->s->d, host, sizeof(host));
		snprintf(uri, sizeof(uri), "tcp:%s:0", host);
		r = tgt_qmp(lm, "migrate-incoming", json_pack("{s:s}", "uri", uri),
			    SECD_SU_QMP_CMD_MS, tgt_qmp_stepped);
		break;
	default:
		r = tgt_qmp(lm, "query-migrate", NULL, SECD_SU_QMP_CMD_MS, tgt_qmp_stepped);
		break;
	}
	if (r < 0)
		tgt_abort(lm, "QMP: %s", strerror(-r));
}

static void tgt_reserved(void *arg, const struct su_plan *p)
{
	struct secd_lm *lm = arg;

	free(X(lm)->src_io); /* the plan has used it */
	X(lm)->src_io = NULL;
	if (!back(lm))
		return;
	if (!p || !p->ok) {
		json_t *b = json_pack("{s:s, s:o, s:{s:s, s:s}}", "state", "rejected", "messages",
				      lines_json(p), "error", "code", "rejected", "message",
				      "the target SU cannot take the VM (see the messages)");
		tgt_reply(lm, 409, b);
		/* the check's conflict, or why the reservation failed (its QEMU ended, say) */
		char why[SU_MSG_MAX];
		snprintf(why, sizeof(why), "rejected here: %s",
			 p && p->n_msgs ? su_msg_reason(p->msgs[0]) : "the reservation failed");
		secd_lm_end(lm, LM_ST_ABORTED, "$AF", why);
		return;
	}
	X(lm)->reserved = true;
	lm->t_reserved = clock_monotonic_ns();
	secd_lm_trace(lm, "reserved (QEMU started, \"incoming\" on the CRD)");
	lm->index = p->lm && p->lm->target_index ? p->lm->target_index : lm->vm.index;
	secd_lm_step(lm, SU_LM_STEP_BEGIN, NULL);
	for (unsigned i = 0; i < lm->vm.ndevs; i++)
		secd_lm_step(lm, SU_LM_STEP_DEVICE, lm->vm.devs[i].mn);
	if (X(lm)->abort_wanted) {
		tgt_source_aborted(lm);
		return;
	}
	tgt_qmp_step(lm);
}

static struct su_plan *tgt_reserve_plan(void *arg, const struct su_model *live)
{
	struct secd_lm *lm = arg;
	struct su_lm_incoming req = {.lm_id = lm->lm_id, .vm = lm->vm, .def = lm->def,
				     .source_unit = lm->peer_unit, .src_io = X(lm)->src_io};

	snprintf(req.source, sizeof(req.source), "%s", lm->source);
	return su_lm_plan_incoming(live, &req, (int64_t)(clock_wall_ns() / NSEC_PER_MSEC));
}

/* The common body: {"lm_id", "source", "source_unit"}; the LM id or 0 with an answer. */
static uint64_t tgt_body_id(struct api_req *r, json_t *body, struct secd **dp, void *arg)
{
	struct secd *d = arg;
	uint64_t id;

	*dp = d;
	if (!d->su) {
		api_reply_error(r, 404, "not_found", "unit '%s' is no SU", d->cfg.name);
		return 0;
	}
	if (!body) /* the caller answered already */
		return 0;
	id = secd_lm_id_parse(json_string_value(json_object_get(body, "lm_id")));
	if (!id)
		api_reply_error(r, 400, "bad_request", "request body: 'lm_id' must be 16 hex digits");
	return id;
}

static int tgt_parse_def(json_t *o, const char *key, struct crd_vmdef *def, struct sec_err *err)
{
	json_t *v = json_object_get(o, key);
	char *txt = v ? json_dumps(v, JSON_COMPACT) : NULL;
	int r;

	if (!txt)
		return sec_errf(err, -EINVAL, "request body: '%s' is missing", key);
	r = crd_vmdef_from_json(txt, strlen(txt), def, err);
	free(txt);
	return r;
}

void secd_route_su_lm_prepare(struct api_req *r, void *arg)
{
	struct sec_err err = {0};
	json_t *body = api_req_json(r, &err);
	struct secd *d;
	uint64_t id;
	struct secd_lm *lm;
	struct su_vm vm;
	struct crd_vmdef def;
	const char *source;
	json_int_t sunit, tunit;

	if (!body && arg && ((struct secd *)arg)->su) {
		api_reply_error(r, 400, "bad_request", "%s", err.msg);
		return;
	}
	if (!(id = tgt_body_id(r, body, &d, arg)))
		goto out;
	source = json_string_value(json_object_get(body, "source"));
	sunit = json_integer_value(json_object_get(body, "source_unit"));
	tunit = json_integer_value(json_object_get(body, "target_unit"));
	json_t *vmo = json_object_get(body, "vm");
	char *vmtxt = vmo ? json_dumps(vmo, JSON_COMPACT) : NULL;
	int rv = vmtxt ? su_vm_from_json(vmtxt, strlen(vmtxt), &vm, &err)
		       : sec_errf(&err, -EINVAL, "request body: 'vm' is missing");
	free(vmtxt);
	if (rv < 0 || tgt_parse_def(body, "def", &def, &err) < 0) {
		api_reply_error(r, 400, "bad_request", "%s", err.msg);
		goto out;
	}
	if (!source || !*source || strlen(source) > SU_NAME_MAX || sunit < 1 || sunit > 256) {
		api_reply_error(r, 400, "bad_request", "request body: 'source' and 'source_unit' "
				"must name the source SU");
		goto out;
	}
	if (tunit != (json_int_t)d->cfg.unit_id) {
		api_reply_error(r, 409, "conflict", "this SU is unit %u, the request is for unit %d",
				d->cfg.unit_id, (int)tunit);
		goto out;
	}
	if (!d->su->serving || !d->su->m) {
		api_reply_error(r, 503, "unavailable", "VM2000 is not available on SU '%s': %s",
				d->cfg.name, d->su->not_ready);
		goto out;
	}
	if (secd_lm_find(d->su, id, false)) {
		api_reply_error(r, 409, "conflict", "live migration %s is known on this SU already",
				json_string_value(json_object_get(body, "lm_id")));
		goto out;
	}
	if (!(lm = secd_lm_new(d->su, false, id, sizeof(struct tgt_x)))) {
		api_reply_error(r, 500, "internal", "out of memory");
		goto out;
	}
	lm->vm = vm;
	lm->def = def;
	lm->vm_uuid = def.vm_uuid;
	lm->vm_state = vm.state;
	lm->peer_unit = (uint32_t)sunit;
	lm->peer_index = vm.index;
	snprintf(lm->vm_name, sizeof(lm->vm_name), "%s", vm.name);
	snprintf(lm->source, sizeof(lm->source), "%s", source);
	snprintf(lm->target, sizeof(lm->target), "%.*s", (int)sizeof(lm->target) - 1, d->cfg.name);
	json_t *io = json_object_get(body, "io");
	if (json_is_array(io) && (X(lm)->src_io = malloc(sizeof(struct su_iocfg)))) {
		char *iotxt = json_dumps(io, JSON_COMPACT);
		if (!iotxt || su_iocfg_from_json(iotxt, strlen(iotxt), X(lm)->src_io, &err) < 0) {
			free(X(lm)->src_io); /* not understood: checked without it, no DIFF */
			X(lm)->src_io = NULL;
		}
		free(iotxt);
	}
	lm->req = r;
	api_req_on_cancel(r, tgt_req_gone, lm);
	if (secd_sucmd_submit_plan(d->su, "LM prepare", tgt_reserve_plan, tgt_reserved, lm) < 0) {
		lm->req = NULL;
		api_reply_error(r, 500, "internal", "out of memory");
		secd_lm_end(lm, LM_ST_ABORTED, "$AE", "out of memory");
		goto out;
	}
	lm->pending++;
out:
	json_decref(body);
}

/* ---- commit ---- */

static void tgt_resumed(void *arg, const struct qmp_reply *r)
{
	struct secd_lm *lm = arg;

	if (!back(lm))
		return;
	if (r->err < 0) { /* the commit stands only with a running guest: undo it */
		X(lm)->committed = false;
		tgt_abort(lm, "QEMU did not continue the guest: %s",
			  r->err == -EREMOTEIO ? r->error_desc : strerror(-r->err));
		return;
	}
	if (!lm->t_resume)
		lm->t_resume = r->recv_ns;
	fault_check("lm.tgt.after_cont", NULL); /* row 9: running, the source not told */
	secd_lm_trace(lm, "the guest continues here");
	secd_lm_step(lm, SU_LM_STEP_END, NULL);
	tgt_reply(lm, 200, tgt_commit_answer(lm));
	secd_lm_end(lm, LM_ST_COMPLETED, "$T ", NULL);
}

static void tgt_committed(void *arg, const struct su_plan *p)
{
	struct secd_lm *lm = arg;

	if (!back(lm))
		return;
	if (!p || !p->ok) {
		tgt_abort(lm, "the commit on the CRD failed%s%s", p && p->n_msgs ? ": " : "",
			  p && p->n_msgs ? p->msgs[p->n_msgs - 1] : "");
		return;
	}
	X(lm)->committed = true;
	lm->st = LM_ST_POST;
	secd_lm_trace(lm, "committed on the CRD");
	fault_check("lm.tgt.after_commit", NULL); /* row 8: committed, `cont` not sent */
	if (X(lm)->state != SU_VM_RUNNING) { /* INIT-ONLY and DOWN stay so */
		secd_lm_step(lm, SU_LM_STEP_END, NULL);
		tgt_reply(lm, 200, tgt_commit_answer(lm)); /* resume_ns 0: no cont */
		secd_lm_end(lm, LM_ST_COMPLETED, "$T ", NULL);
		return;
	}
	secd_lm_step(lm, SU_LM_STEP_RESUMED, NULL); /* HAL0332 while it is still stopped */
	if (tgt_qmp(lm, "cont", NULL, SECD_SU_QMP_CMD_MS, tgt_resumed) < 0) {
		X(lm)->committed = false;
		tgt_abort(lm, "QEMU's monitor is gone before the guest continued");
	}
}

static struct su_plan *tgt_commit_plan(void *arg, const struct su_model *live)
{
	struct secd_lm *lm = arg;

	return su_lm_plan_commit(live, lm->index, lm->lm_id, &lm->def, X(lm)->state, lm->source,
				 (int64_t)(clock_wall_ns() / NSEC_PER_MSEC));
}

/* This QEMU has loaded everything: commit. */
static void tgt_commit_now(struct secd_lm *lm);

static void tgt_commit_delayed(uv_timer_t *t)
{
	struct secd_lm *lm = t->data;

	if (lm->st == LM_ST_SWITCHOVER && !X(lm)->aborting)
		tgt_commit_now(lm);
}

static void tgt_commit(struct secd_lm *lm)
{
	struct fault_spec sp;

	X(lm)->waiting_load = false;
	uv_timer_stop(&lm->timer);
	/* row 7: loaded, nothing committed (kill); "delay MS" holds the commit back so that a
	 * test can act in between (kill the QEMU, fail the disks) */
	if (fault_check("lm.tgt.before_commit", &sp) && sp.action == FAULT_DELAY) {
		uv_timer_start(&lm->timer, tgt_commit_delayed, sp.arg, 0);
		return;
	}
	tgt_commit_now(lm);
}

static void tgt_commit_now(struct secd_lm *lm)
{
	struct fault_spec sp;

	if (fault_check("lm.tgt.commit_write", &sp) && sp.action == FAULT_FAIL) {
		tgt_abort(lm, "the commit on the CRD failed: %s (fault injected)",
			  strerror(sp.arg ? (int)sp.arg : EIO));
		return;
	}
	if (secd_sucmd_submit_plan(lm->s, "LM commit", tgt_commit_plan, tgt_committed, lm) == 0)
		lm->pending++;
	else
		tgt_abort(lm, "out of memory at the commit");
}

static void tgt_load_polled(void *arg, const struct qmp_reply *r)
{
	struct secd_lm *lm = arg;
	struct qmp_migrate q;

	if (!back(lm))
		return;
	if (!X(lm)->waiting_load)
		return;
	if (r->err == 0 && qmp_migrate_parse(r->ret, &q) == 0 && !strcmp(q.status, "completed")) {
		if (!lm->t_loaded)
			lm->t_loaded = r->recv_ns;
		tgt_commit(lm);
	}
}

static void tgt_load_tick(uv_timer_t *t)
{
	struct secd_lm *lm = t->data;

	if (!X(lm)->waiting_load)
		return;
	if (clock_monotonic_ns() - lm->t_completed > (uint64_t)SECD_LM_TGT_LOAD_MS * NSEC_PER_MSEC) {
		tgt_abort(lm, "QEMU did not report its own 'completed' within %u s",
			  SECD_LM_TGT_LOAD_MS / 1000);
		return;
	}
	tgt_qmp(lm, "query-migrate", NULL, 1000, tgt_load_polled);
}

void secd_route_su_lm_commit(struct api_req *r, void *arg)
{
	struct sec_err err = {0};
	json_t *body = api_req_json(r, &err);
	struct secd *d;
	uint64_t id;
	struct secd_lm *lm;
	struct crd_vmdef def;
	enum su_vm_state st;

	if (!body && arg && ((struct secd *)arg)->su) {
		api_reply_error(r, 400, "bad_request", "%s", err.msg);
		return;
	}
	if (!(id = tgt_body_id(r, body, &d, arg)))
		goto out;
	if (tgt_parse_def(body, "def", &def, &err) < 0 ||
	    su_vm_state_parse(json_string_value(json_object_get(body, "state")) ?: "", &st) < 0) {
		api_reply_error(r, 400, "bad_request", "%s", err.msg[0] ? err.msg :
				"request body: 'state' must be a VM state");
		goto out;
	}
	lm = secd_lm_find(d->su, id, false);
	if (!lm || lm->st != LM_ST_SETUP || !lm->mig_port || lm->req || X(lm)->aborting) {
		api_reply_json(r, 200, json_pack("{s:s, s:s}", "state", "aborted", "reason",
						 lm ? "the live migration is not ready to commit"
						    : "no such live migration on this SU"));
		goto out;
	}
	if (memcmp(&def.vm_uuid, &lm->vm_uuid, sizeof(def.vm_uuid))) {
		api_reply_error(r, 409, "conflict", "the definition is not the one being migrated");
		goto out;
	}
	lm->def = def;
	X(lm)->state = st;
	lm->st = LM_ST_SWITCHOVER;
	lm->t_completed = clock_monotonic_ns();
	secd_lm_trace(lm, "commit asked (%s)", lm->tgt_loaded ? "loaded" : "still loading");
	lm->req = r;
	api_req_on_cancel(r, tgt_req_gone, lm);
	if (lm->tgt_loaded) {
		tgt_commit(lm);
	} else {
		X(lm)->waiting_load = true;
		uv_timer_start(&lm->timer, tgt_load_tick, 0, 20);
	}
out:
	json_decref(body);
}

/* ---- abort, status ---- */

void secd_route_su_lm_abort(struct api_req *r, void *arg)
{
	struct sec_err err = {0};
	json_t *body = api_req_json(r, &err);
	struct secd *d;
	uint64_t id;
	struct secd_lm *lm;

	if (!body && arg && ((struct secd *)arg)->su) {
		api_reply_error(r, 400, "bad_request", "%s", err.msg);
		return;
	}
	if (!(id = tgt_body_id(r, body, &d, arg)))
		goto out;
	if (!d->su->serving || !d->su->m) {
		api_reply_error(r, 503, "unavailable", "VM2000 is not available on SU '%s': %s",
				d->cfg.name, d->su->not_ready);
		goto out;
	}
	lm = secd_lm_find(d->su, id, false);
	if (!lm || lm->st == LM_ST_ABORTED) { /* its record decides (after a restart too) */
		const struct crd_owner_region *own = &d->su->m->own;
		for (uint32_t i = 0; !lm && i < own->ndefs; i++)
			if (own->defs[i].lm_id == id) {
				api_reply_error(r, 409, "conflict", "live migration committed on this "
						"SU already");
				goto out;
			}
		api_reply_json(r, 200, lm ? tgt_abort_answer(lm) :
					    json_pack("{s:s}", "state", "aborted"));
		goto out;
	}
	if (lm->st == LM_ST_COMPLETED || X(lm)->committed) {
		api_reply_error(r, 409, "conflict", "live migration committed on this SU already");
		goto out;
	}
	if (X(lm)->abort_req) {
		api_reply_error(r, 409, "conflict", "an abort of this live migration runs already");
		goto out;
	}
	X(lm)->abort_req = r;
	api_req_on_cancel(r, tgt_req_gone, lm);
	if (lm->pending && !X(lm)->aborting) /* a step runs: it aborts when it ends */
		X(lm)->abort_wanted = true;
	else
		tgt_source_aborted(lm);
out:
	json_decref(body);
}

void secd_route_su_lm_get(struct api_req *r, void *arg)
{
	struct secd *d = arg;
	uint64_t id = secd_lm_id_parse(api_req_param(r, "lm_id"));
	const char *st = "none";
	struct secd_lm *lm;

	if (!d->su || !d->su->m) {
		api_reply_error(r, 404, "not_found", "unit '%s' is no SU (or not ready)", d->cfg.name);
		return;
	}
	if (!id) {
		api_reply_error(r, 400, "bad_request", "'%s' is no LM id of 16 hex digits",
				api_req_param(r, "lm_id"));
		return;
	}
	const struct crd_owner_region *own = &d->su->m->own;
	for (uint32_t i = 0; i < own->ndefs; i++)
		if (own->defs[i].lm_id == id)
			st = "committed";
	if (crd_owner_find_lm(own, CRD_LM_ABORT, id))
		st = "aborted";
	else if (crd_owner_find_lm(own, CRD_LM_INCOMING, id))
		st = "incoming";
	lm = secd_lm_find(d->su, id, false);
	api_reply_json(r, 200, json_pack("{s:s, s:I}", "state", st, "resume_ns",
					 (json_int_t)(lm ? lm->t_resume : 0)));
}

/* ---- QEMU ---- */

void secd_lm_tgt_on_event(struct secd_lm *lm, const struct qmp_event *ev)
{
	if (!strcmp(ev->name, "RESUME") && X(lm)->committed && !lm->t_resume)
		lm->t_resume = ev->recv_ns;
	if (strcmp(ev->name, "MIGRATION"))
		return;
	const char *st = json_string_value(json_object_get(ev->data, "status"));
	secd_lm_trace(lm, "MIGRATION %s (QEMU's time %" PRId64 " us)", st ? st : "?",
		      ev->qemu_ts_us);
	if (st && !strcmp(st, "completed")) {
		if (!lm->t_loaded)
			lm->t_loaded = ev->recv_ns;
		lm->tgt_loaded = true;
		if (X(lm)->waiting_load)
			tgt_commit(lm);
	}
}

void secd_lm_tgt_on_exit(struct secd_lm *lm, const char *why)
{
	X(lm)->committed = false;
	X(lm)->waiting_load = false;
	tgt_abort(lm, "the target's QEMU %s", why); /* why: "(pid 12) was killed ..." */
}

void secd_lm_target_recover(struct secd_su *s)
{
	struct crd_owner_region *own = &s->m->own;
	unsigned n = 0;

	for (uint32_t i = 0; i < own->nlm; i++)
		if (own->lm[i].kind == CRD_LM_INCOMING) {
			char id[17];
			secd_lm_id_str(own->lm[i].lm_id, id);
			const struct cluster_unit *u = secd_global_unit(s->d, own->lm[i].peer);
			char vm[96], line[SU_MSG_MAX];
			/* the VM's name is the source's (its definition never came here) */
			if (u)
				snprintf(vm, sizeof(vm), "(LM %s FROM SU '%s')", id, u->name);
			else
				snprintf(vm, sizeof(vm), "(LM %s FROM UNIT %u)", id, own->lm[i].peer);
			su_msg_format(line, sizeof(line), "VMS2426", vm,
				      "the SU daemon restarted before the commit");
			secd_su_console(s, "%s", line);
			n++;
		}
	if (!n)
		return;
	if (crd_lm_target_restart(own) < 0)
		log_warnx("%s: no room for the abort records of %u live migration(s)", s->d->who, n);
	secd_su_write_live(s);
}
