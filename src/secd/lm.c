/* lm.c — the LM records of an SU, their status, and the dispatch of QMP events and QEMU
 * exits to the LM that owns the VM index (lm.h). */
#include "secd/lm.h"

#include "lib/clock.h"
#include "lib/log.h"
#include "secd/routes.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const state_names[LM_ST_MAX] = {
    [LM_ST_SETUP] = "setup",	       [LM_ST_COPY] = "copy",
    [LM_ST_SWITCHOVER] = "switchover", [LM_ST_POST] = "post",
    [LM_ST_COMPLETED] = "completed",   [LM_ST_ABORTING] = "aborting",
    [LM_ST_ABORTED] = "aborted",       [LM_ST_DOUBT] = "in-doubt",
};

const char *secd_lm_state_name(enum secd_lm_state st)
{
	return st > 0 && st < LM_ST_MAX ? state_names[st] : "?";
}

void secd_lm_id_str(uint64_t id, char out[17])
{
	snprintf(out, 17, "%016" PRIx64, id);
}

uint64_t secd_lm_id_parse(const char *s)
{
	char *end;
	uint64_t v;

	if (!s || strlen(s) != 16)
		return 0;
	errno = 0;
	v = strtoull(s, &end, 16);
	return errno || *end ? 0 : v;
}

static bool lm_running(const struct secd_lm *lm)
{
	return lm->st != LM_ST_COMPLETED && lm->st != LM_ST_ABORTED;
}

struct secd_lm *secd_lm_new(struct secd_su *s, bool outgoing, uint64_t lm_id, size_t extra)
{
	struct secd_lm *lm = calloc(1, sizeof(*lm) + extra);

	if (!lm)
		return NULL;
	lm->s = s;
	lm->outgoing = outgoing;
	lm->lm_id = lm_id;
	lm->st = LM_ST_SETUP;
	snprintf(lm->result, sizeof(lm->result), "$S ");
	lm->t_start = clock_monotonic_ns();
	lm->tgt_reserve_ms = lm->tgt_settle_ms = lm->tgt_load_wait_ms = lm->tgt_commit_ms = -1;
	lm->started_ms = (int64_t)(clock_wall_ns() / NSEC_PER_MSEC);
	uv_timer_init(&s->d->loop, &lm->timer);
	lm->timer.data = lm;
	lm->timer_init = true;
	lm->next = s->lms;
	s->lms = lm;
	return lm;
}

static void lm_closed(uv_handle_t *h)
{
	free(h->data);
}

/* Drops ended LMs beyond SECD_LM_RECENT (the oldest; nothing of theirs may be pending). */
static void lm_trim(struct secd_su *s)
{
	unsigned n = 0;

	for (struct secd_lm **pp = &s->lms; *pp;) {
		struct secd_lm *lm = *pp;
		if (!lm_running(lm) && !lm->pending && ++n > SECD_LM_RECENT) {
			*pp = lm->next;
			uv_close((uv_handle_t *)&lm->timer, lm_closed);
			continue;
		}
		pp = &lm->next;
	}
}

double secd_lm_ms_between(uint64_t a, uint64_t b)
{
	return a && b && b >= a ? (double)(b - a) / 1e6 : -1;
}

void secd_lm_aborting(struct secd_lm *lm)
{
	if (!lm->abort_phase)
		lm->abort_phase = secd_lm_phase(lm);
	lm->st = LM_ST_ABORTING;
}

void secd_lm_end(struct secd_lm *lm, enum secd_lm_state st, const char *result, const char *why)
{
	uv_timer_stop(&lm->timer);
	if (st == LM_ST_ABORTED && !lm->abort_phase)
		lm->abort_phase = secd_lm_phase(lm);
	lm->st = st;
	lm->t_end = clock_monotonic_ns();
	if (result)
		snprintf(lm->result, sizeof(lm->result), "%s", result);
	if (why && !lm->reason[0])
		snprintf(lm->reason, sizeof(lm->reason), "%s", why);
	/* what is known only: no copy (the target), no pause (not stopped, or the target's) */
	char moved[40] = "", pause[32] = "";
	double pause_ms = secd_lm_ms_between(lm->t_stop, lm->t_resume);
	if (lm->q.ram_transferred >= 0)
		snprintf(moved, sizeof(moved), "%" PRId64 " bytes moved, ", lm->q.ram_transferred);
	if (pause_ms >= 0)
		snprintf(pause, sizeof(pause), ", pause %.0f ms", pause_ms);
	log_info("%s: LM %016" PRIx64 " of VM %s %s -> %s: %s%s%s (%stotal %.0f ms%s)",
		 lm->s->d->who, lm->lm_id, lm->vm_name, lm->source, lm->target,
		 secd_lm_state_name(st), lm->reason[0] ? ": " : "", lm->reason, moved,
		 secd_lm_ms_between(lm->t_start, lm->t_end), pause);
	lm_trim(lm->s);
}

struct secd_lm *secd_lm_find(struct secd_su *s, uint64_t lm_id, bool outgoing)
{
	for (struct secd_lm *lm = s->lms; lm; lm = lm->next)
		if (lm->lm_id == lm_id && lm->outgoing == outgoing)
			return lm;
	return NULL;
}

struct secd_lm *secd_lm_outgoing(struct secd_su *s)
{
	for (struct secd_lm *lm = s->lms; lm; lm = lm->next)
		if (lm->outgoing && lm_running(lm))
			return lm;
	return NULL;
}

struct secd_lm *secd_lm_of_index(struct secd_su *s, unsigned index)
{
	for (struct secd_lm *lm = s->lms; lm; lm = lm->next)
		if (lm->index == index && lm_running(lm))
			return lm;
	return NULL;
}

void secd_lm_trace(const struct secd_lm *lm, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_debug("%s: LM %016" PRIx64 " %s at %.3f ms: %s", lm->s->d->who, lm->lm_id,
		  lm->outgoing ? "source" : "target", (double)clock_monotonic_ns() / 1e6, line);
}

void secd_lm_say(struct secd_lm *lm, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	secd_su_console(lm->s, "%s", line);
}


unsigned secd_lm_phase(const struct secd_lm *lm)
{
	switch (lm->st) {
	case LM_ST_SETUP:
		return 1;
	case LM_ST_COPY:
		return 2;
	case LM_ST_SWITCHOVER:
	case LM_ST_DOUBT:
		return 3;
	case LM_ST_ABORTING:
	case LM_ST_ABORTED:
		return lm->abort_phase ? lm->abort_phase : 1;
	default:
		return 4;
	}
}

unsigned secd_lm_percent(const struct secd_lm *lm)
{
	int64_t rem = lm->q.ram_remaining > 0 ? lm->q.ram_remaining : 0;
	int64_t pct = 0;

	if (lm->st == LM_ST_COMPLETED || lm->st == LM_ST_POST)
		pct = 100;
	else if (lm->total_bytes > 0)
		pct = 100 * (lm->total_bytes - rem) / lm->total_bytes;
	return pct < 0 ? 0 : pct > 100 ? 100 : (unsigned)pct;
}

json_t *secd_lm_json(const struct secd_lm *lm)
{
	char id[17], vm[32];
	unsigned phase = secd_lm_phase(lm), pct = secd_lm_percent(lm);
	int64_t done = lm->q.ram_transferred > 0 ? lm->q.ram_transferred : 0;
	int64_t rem = lm->q.ram_remaining > 0 ? lm->q.ram_remaining : 0;
	uint64_t end = lm->t_end ? lm->t_end : clock_monotonic_ns();
	double pause = secd_lm_ms_between(lm->t_stop, lm->t_resume);

	secd_lm_id_str(lm->lm_id, id);
	snprintf(vm, sizeof(vm), "(%u,%s)", lm->index, lm->vm_name);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:I, s:I, s:I, s:I, s:I, "
			 "s:I, s:f, s:f, s:s, s:s, s:i, s:s}",
			 "lm_id", id, "vm", vm, "vm_name", lm->vm_name, "source", lm->source,
			 "target", lm->target, "role", lm->outgoing ? "source" : "target", "state",
			 secd_lm_state_name(lm->st), "phase", (int)phase, "percent",
			 (int)pct, "transferred_bytes", (json_int_t)done,
			 "remaining_bytes", (json_int_t)rem, "total_bytes",
			 (json_int_t)lm->total_bytes, "dirty_rate", (json_int_t)lm->dirty_rate,
			 "mbps", (json_int_t)lm->mbps, "started_ms", (json_int_t)lm->started_ms,
			 "total_ms", secd_lm_ms_between(lm->t_start, end), "pause_ms", pause, "result",
			 lm->result, "reason", lm->reason, "target_index", (int)lm->peer_index,
			 "monjv", lm->monjv);
	/* the phases' times, ms (-1: not reached): /MIGRATE-VM accepted -> migrate (setup:
	 * media, the target's QEMU and reservation), migrate -> the source's completed (copy),
	 * completed -> the target's RESUME (switchover: the commit included) */
	/* in doubt and the target's record unreadable: only sectl vm lm-resolve ends it */
	if (o)
		json_object_set_new(o, "needs_operator",
				    json_boolean(lm->st == LM_ST_DOUBT && lm->needs_operator));
	if (o)
		json_object_update_new(o, json_pack("{s:f, s:f, s:f}", "setup_ms",
						     secd_lm_ms_between(lm->t_start, lm->t_migrate), "copy_ms",
						     secd_lm_ms_between(lm->t_migrate, lm->t_completed),
						     "switchover_ms",
						     secd_lm_ms_between(lm->t_completed, lm->t_resume)));
	/* inside them (source): the prepare call (the target's QEMU start and reservation),
	 * and as the target reported them: its reservation plan, its wait for its own
	 * `completed` after the commit request, its commit write and `cont` */
	/* QEMU's own times: a query-migrate that answered "completed" right at the event may
	 * not have them filled in yet (total-time 0): not told, rather than a false 0 */
	bool qemu_told = lm->q.status[0] && lm->q.total_time_ms > 0;
	if (o && lm->outgoing)
		json_object_update_new(o, json_pack("{s:f, s:f, s:f, s:f, s:f, s:I, s:I, s:I}",
						     "prepare_ms",
						     secd_lm_ms_between(lm->t_prepare_sent, lm->t_prepared),
						     "target_reserve_ms", lm->tgt_reserve_ms,
						     "target_settle_ms", lm->tgt_settle_ms,
						     "target_load_wait_ms", lm->tgt_load_wait_ms,
						     "target_commit_ms", lm->tgt_commit_ms,
						     /* QEMU's own, as of the last query-migrate
						      * (-1: not told) */
						     "dirty_sync_count",
						     (json_int_t)(lm->q.status[0] ? lm->q.dirty_sync_count
										  : -1),
						     "qemu_downtime_ms",
						     (json_int_t)(qemu_told ? lm->q.downtime_ms : -1),
						     "qemu_total_ms",
						     (json_int_t)(qemu_told ? lm->q.total_time_ms : -1)));
	return o;
}

/* GET /api/v1/internal/lmstat[?lm=<16 hex>] -> {"lms": [..]} (running first, then recent). */
void secd_route_su_lmstat(struct api_req *r, void *arg)
{
	struct secd *d = arg;
	const char *want = api_req_query(r, "lm");
	uint64_t id = want ? secd_lm_id_parse(want) : 0;
	bool valid = !want || (strlen(want) == 16 && strspn(want, "0123456789abcdefABCDEF") == 16);
	json_t *a;

	if (!d->su) {
		api_reply_error(r, 404, "not_found", "unit '%s' is no SU", d->cfg.name);
		return;
	}
	if (!valid) {
		api_reply_error(r, 400, "bad_request", "'lm' must be an LM id of 16 hex digits");
		return;
	}
	a = json_array();
	for (struct secd_lm *lm = d->su->lms; lm; lm = lm->next)
		if (!want || lm->lm_id == id) /* ids are never 0: "000..." finds none */
			json_array_append_new(a, secd_lm_json(lm));
	if (want && !json_array_size(a)) {
		json_decref(a);
		api_reply_error(r, 404, "not_found", "no live migration %s on SU '%s'", want,
				d->cfg.name);
		return;
	}
	api_reply_json(r, 200, json_pack("{s:o}", "lms", a));
}

/* POST /api/v1/internal/lm/{lm_id}/resolve (the MU relays sectl vm lm-resolve; crd.md §6). */
void secd_route_su_lm_resolve(struct api_req *r, void *arg)
{
	struct secd *d = arg;
	struct sec_err err = {0};
	uint64_t id = secd_lm_id_parse(api_req_param(r, "lm_id"));
	json_t *b = api_req_json(r, &err);
	const char *how = json_string_value(json_object_get(b, "decision"));
	const char *who = json_string_value(json_object_get(b, "user"));
	enum secd_lm_resolve dec = SECD_LM_RESOLVE_NONE;
	struct secd_lm *lm;

	if (how && !strcmp(how, "resume-source"))
		dec = SECD_LM_RESUME_SOURCE;
	else if (how && !strcmp(how, "discard-source"))
		dec = SECD_LM_DISCARD_SOURCE;
	if (!d->su || !d->su->m) {
		api_reply_error(r, 404, "not_found", "unit '%s' is no SU (or not ready)", d->cfg.name);
	} else if (!b) {
		api_reply_error(r, 400, "bad_request", "%s", err.msg);
	} else if (!id) {
		api_reply_error(r, 400, "bad_request", "'%s' is no LM id of 16 hex digits",
				api_req_param(r, "lm_id"));
	} else if (!dec) {
		api_reply_error(r, 400, "bad_request", "decision: \"resume-source\" or "
				"\"discard-source\"");
	} else if (!(lm = secd_lm_find(d->su, id, true))) {
		api_reply_error(r, 404, "not_found", "no running live migration %s from SU '%s'",
				api_req_param(r, "lm_id"), d->cfg.name);
	} else if (secd_lm_source_resolve(lm, dec, who, &err) < 0) {
		api_reply_error(r, 409, "conflict", "%s", err.msg);
	} else {
		api_reply_json(r, 200, json_pack("{s:o}", "lm", secd_lm_json(lm)));
	}
	json_decref(b);
}

bool secd_lm_on_qmp_event(struct secd_su *s, unsigned index, const struct qmp_event *ev)
{
	struct secd_lm *lm = secd_lm_of_index(s, index);

	if (!lm)
		return false;
	if (lm->outgoing)
		secd_lm_src_on_event(lm, ev);
	else
		secd_lm_tgt_on_event(lm, ev);
	return true;
}

bool secd_lm_on_qemu_exit(struct secd_su *s, unsigned index, const char *why)
{
	struct secd_lm *lm = secd_lm_of_index(s, index);

	if (!lm || (lm->outgoing && lm->st == LM_ST_POST))
		return false; /* the source's finish quits it (an effect of its plan) */
	if (lm->outgoing)
		secd_lm_src_on_exit(lm, why);
	else
		secd_lm_tgt_on_exit(lm, why);
	return !lm->outgoing; /* the source's model hears of it too (the guest is gone) */
}

bool secd_lm_back(struct secd_lm *lm)
{
	lm->pending--;
	if (!lm->freeing)
		return true;
	if (!lm->pending)
		uv_close((uv_handle_t *)&lm->timer, lm_closed);
	return false;
}

void secd_lm_stop_all(struct secd_su *s)
{
	while (s->lms) {
		struct secd_lm *lm = s->lms;
		s->lms = lm->next;
		uv_timer_stop(&lm->timer);
		lm->freeing = true;
		if (!lm->pending)
			uv_close((uv_handle_t *)&lm->timer, lm_closed);
	}
}

/* Appends line to the guest's KVP console (QEMU's serial file, opened O_APPEND by QEMU):
 * called while the guest is stopped, so no guest output interleaves; a partial last line
 * of the guest is ended first. */
static void lm_kvp_write(struct secd_lm *lm, const char *line)
{
	char path[SECD_PATH_MAX + 64], last = '\n';
	int fd;

	secd_suvm_path(lm->s, lm->index, "console.log", path, sizeof(path));
	if ((fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC)) < 0) {
		log_warnx("%s: LM %016" PRIx64 ": KVP console '%s': %s", lm->s->d->who, lm->lm_id,
			  path, strerror(errno));
		return;
	}
	off_t end = lseek(fd, 0, SEEK_END);
	if (end > 0 && pread(fd, &last, 1, end - 1) != 1)
		last = '\n';
	dprintf(fd, "%s%s\n", last == '\n' ? "" : "\n", line);
	close(fd);
}

void secd_lm_step(struct secd_lm *lm, enum su_lm_step step, const char *mn)
{
	struct secd_su *s = lm->s;
	enum su_type t = s->res.type;
	enum su_lm_side side = lm->outgoing ? SU_LM_SOURCE : SU_LM_TARGET;
	char vm[32], lines[SU_LM_LINES_MAX][SU_MSG_MAX], ev[SU_LM_LINES_MAX][SU_LM_EVENT_MAX],
		kvp[SU_MSG_MAX];
	struct su_lm_msgargs a = {.vm = vm, .source = lm->source, .target = lm->target, .mn = mn,
				  .reason = lm->reason, .not_converged = lm->not_converged,
				  .guest_stopped = lm->vm_state != SU_VM_RUNNING};
	size_t n;

	snprintf(vm, sizeof(vm), "(%u,%s)", lm->index, lm->vm_name);
	n = su_lm_console_lines(t, side, step, &a, lines, SU_LM_LINES_MAX);
	for (size_t i = 0; i < n; i++)
		secd_su_console(s, "%s", lines[i]);
	if (lm->index && su_lm_kvp_line(t, side, step, kvp, sizeof(kvp))) {
		lm_kvp_write(lm, kvp);
		lm->kvp_suspended = step == SU_LM_STEP_SUSPENDED;
	} else if (lm->index && lm->kvp_suspended && step == SU_LM_STEP_ABORTED &&
		   su_lm_kvp_line(t, SU_LM_TARGET, SU_LM_STEP_RESUMED, kvp, sizeof(kvp))) {
		/* HAL0331 was said here and the guest continues here: HAL0332 here too */
		lm_kvp_write(lm, kvp);
		lm->kvp_suspended = false;
	}
	n = su_lm_event_texts(t, side, step, lm->vm_name, s->d->cfg.name, ev, SU_LM_LINES_MAX);
	for (size_t i = 0; i < n; i++)
		secd_event(s->d, LB_NOTICE, "Sys-Mgmt", "%s", ev[i]);
}

int secd_lm_qmp(struct secd_lm *lm, const char *cmd, json_t *args, uint32_t timeout_ms,
		qmp_done_fn *done)
{
	struct secd_suvm *v = &lm->s->vm[lm->index];
	int r;

	if (!lm->index || !v->qmp) {
		json_decref(args);
		return -ENOTCONN;
	}
	r = qmp_command(v->qmp, cmd, args, timeout_ms, done, lm);
	if (r == 0)
		lm->pending++;
	return r;
}
