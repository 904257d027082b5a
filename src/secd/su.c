/* su.c — secd as a Server Unit: start, the SU's CRD region, the guard connection, re-attach
 * (su.h). */
#include "secd/su.h"
#include "secd/lm.h"
#include "cluster/global.h"

#include "lib/clock.h"
#include "lib/fault.h"
#include "lib/log.h"
#include "lib/proccpu.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct secd_su *secd_su_of(struct secd *d)
{
	return d->su;
}

void secd_su_console(struct secd_su *s, const char *fmt, ...)
{
	char line[LINELOG_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_debug("%s: console: %s", s->d->who, line);
	if (s->mon && linelog_append(s->mon, line) < 0)
		log_warnx("%s: monitor console: cannot append", s->d->who);
}

/* ---- the SU's region ---- */

struct su_rjob {
	struct crd_rjob job;
	struct secd_su *s;
	bool load;             /* the start: owner resync, then read */
	uint32_t read_unit;    /* a read of another unit's region (the partner's), 0 = none */
	secd_su_rdone_fn *rdone;
	char *payload;         /* write: the payload; load: what was read (NULL: nothing) */
	int r;
	struct sec_err err;
	secd_su_wdone_fn *done;
	void *arg;
	/* a bounded write (secd_su_region_write_bounded): issued only before not_after_ns
	 * (CLOCK_BOOTTIME; 0 = no bound); one that completes more than within_ms after its
	 * issue reports 1 ("in doubt") instead of 0 */
	uint64_t not_after_ns;
	uint32_t within_ms;
};

/* The fault points "su.region.write" (a write of the SU's own region) and "su.region.read"
 * (a read of another unit's region: the partner's, for the reconcile, /MIGRATE-VM and an LM
 * in doubt), lib/fault.h, on the region thread: fail [errno] fails it, delay MS and hang
 * hold it first. 0 or -errno. */
static int su_io_fault(const char *point, struct sec_err *reterr)
{
	struct fault_spec f;

	if (!fault_check(point, &f))
		return 0;
	if (f.action == FAULT_FAIL)
		return sec_errf(reterr, -(int)(f.arg ? f.arg : EIO), "fault '%s': %s", point,
				strerror((int)(f.arg ? f.arg : EIO)));
	if (f.action == FAULT_DELAY)
		usleep((useconds_t)(f.arg * 1000));
	while (f.action == FAULT_HANG && fault_active(point))
		usleep(1000);
	return 0;
}

static void su_rjob_run(struct crd_rjob *j, const struct crd_region_disks *rd)
{
	struct su_rjob *w = (struct su_rjob *)j;
	struct secd *d = w->s->d;
	struct crd_region_writer *wr = crd_unit_region_writer(d->unit, d->cfg.unit_id);

	if (!wr) {
		w->r = sec_errf(&w->err, -EINVAL, "no writer for region %u", d->cfg.unit_id);
		return;
	}
	struct crd_region_read rr;
	if (w->read_unit) {
		if ((w->r = su_io_fault("su.region.read", &w->err)) < 0)
			return;
		w->r = crd_region_read(rd, w->read_unit, &rr, &w->err);
		if (w->r == 0 && rr.found && !(w->payload = strdup(rr.payload)))
			w->r = sec_errf(&w->err, -ENOMEM, "out of memory");
		crd_region_read_release(&rr);
		return;
	}
	if (!w->load) {
		if ((w->r = su_io_fault("su.region.write", &w->err)) < 0)
			return;
		uint64_t issue = clock_boottime_ns();
		if (w->not_after_ns && issue >= w->not_after_ns) {
			w->r = sec_errf(&w->err, -ETIME, "the write could not be issued in time (%llu "
					"ms late)", (unsigned long long)((issue - w->not_after_ns) /
									 NSEC_PER_MSEC));
			return;
		}
		w->r = crd_region_write(rd, wr, 0, w->payload, strlen(w->payload), 0, NULL,
					&w->err);
		uint64_t took = (clock_boottime_ns() - issue) / NSEC_PER_MSEC;
		if (w->r == 0 && w->not_after_ns && took > w->within_ms) {
			w->r = 1;
			snprintf(w->err.msg, sizeof(w->err.msg), "%llu", (unsigned long long)took);
		}
		return;
	}
	/* a returning owner rewrites both copies before its first change (crd.md §3) */
	w->r = crd_region_owner_resync(rd, wr, 0, 0, &w->err);
	if (w->r < 0)
		return;
	w->r = crd_region_read(rd, d->cfg.unit_id, &rr, &w->err);
	if (w->r == 0 && rr.found && rr.internal_only)
		w->r = sec_errf(&w->err, -EIO, "region %u: no external CRD disk is readable",
				d->cfg.unit_id);
	else if (w->r == 0 && rr.found && !(w->payload = strdup(rr.payload)))
		w->r = sec_errf(&w->err, -ENOMEM, "out of memory");
	crd_region_read_release(&rr);
}

static void su_loaded(struct secd_su *s, char *payload, int r, const char *msg);

static void su_rjob_done(struct crd_rjob *j)
{
	struct su_rjob *w = (struct su_rjob *)j;
	struct secd_su *s = w->s;

	if (j->cancelled) { /* the unit is being freed: nothing more happens */
		if (w->read_unit && w->rdone)
			w->rdone(w->arg, -ECANCELED, NULL, "cancelled (stopping)");
		else if (!w->load && w->done)
			w->done(w->arg, -ECANCELED, "cancelled (stopping)");
		free(w->payload);
		free(w);
		return;
	}
	if (w->read_unit) {
		w->rdone(w->arg, w->r, w->payload, w->err.msg); /* payload handed over */
		w->payload = NULL;
	} else if (w->load) {
		su_loaded(s, w->payload, w->r, w->err.msg); /* borrowed: freed below */
	} else {
		s->rw_inflight--;
		if (w->done)
			w->done(w->arg, w->r, w->err.msg);
		if (w->r < 0)
			s->rw_dirty = true; /* the live model is written again later */
		if (w->r > 0)
			w->r = 0;
		/* a failed write is retried with the next change, not in a loop */
		if (s->rw_dirty && !s->rw_inflight && !s->stopping && w->r == 0)
			secd_su_write_live(s);
	}
	free(w->payload);
	free(w);
}

int secd_su_region_write(struct secd_su *s, char *payload, secd_su_wdone_fn *done, void *arg)
{
	return secd_su_region_write_bounded(s, payload, 0, 0, done, arg);
}

int secd_su_region_write_bounded(struct secd_su *s, char *payload, uint64_t not_after_ns,
				 uint32_t within_ms, secd_su_wdone_fn *done, void *arg)
{
	struct su_rjob *w = calloc(1, sizeof(*w));
	int r;

	if (!w) {
		free(payload);
		return -ENOMEM;
	}
	w->s = s;
	w->payload = payload;
	w->done = done;
	w->arg = arg;
	w->not_after_ns = not_after_ns;
	w->within_ms = within_ms;
	w->job.run = su_rjob_run;
	w->job.done = su_rjob_done;
	if ((r = crd_unit_region_submit(s->d->unit, &w->job)) < 0) {
		free(w->payload);
		free(w);
		return r;
	}
	s->rw_inflight++;
	return 0;
}

int secd_su_region_read(struct secd_su *s, uint32_t unit_id, secd_su_rdone_fn *done, void *arg)
{
	struct su_rjob *w = calloc(1, sizeof(*w));
	int r;

	if (!w)
		return -ENOMEM;
	w->s = s;
	w->read_unit = unit_id;
	w->rdone = done;
	w->arg = arg;
	w->job.run = su_rjob_run;
	w->job.done = su_rjob_done;
	if ((r = crd_unit_region_submit(s->d->unit, &w->job)) < 0)
		free(w);
	return r;
}

static void su_live_written(void *arg, int r, const char *msg)
{
	struct secd_su *s = arg;

	if (r < 0)
		log_warnx("%s: VM definitions: region write failed: %s; retried with the next "
			  "change", s->d->who, msg);
}

void secd_su_write_live(struct secd_su *s)
{
	char *payload;

	if (!s->m)
		return;
	if (s->cur || s->rw_inflight) { /* after the command, or after the write in flight */
		s->rw_dirty = true;
		return;
	}
	s->rw_dirty = false;
	if (!(payload = su_model_to_json(s->m)) ||
	    secd_su_region_write(s, payload, su_live_written, s) < 0) {
		log_warnx("%s: VM definitions: cannot write the region (out of memory)", s->d->who);
		s->rw_dirty = true;
	}
}

/* ---- model events ---- */

static void su_on_model_event(void *ctx, const struct su_event *ev)
{
	struct secd_su *s = ctx;

	secd_event(s->d, (int)ev->weight, ev->component, "%s", ev->msg);
}

void secd_su_vm_event(struct secd_su *s, unsigned index, bool gone, bool fenced,
		      const char *why)
{
	char msg[SU_MSG_MAX];
	int r;

	if (!s->m)
		return;
	if (s->cur) { /* the plan holds a copy of the model: apply after it */
		if (s->n_deferred < SECD_SU_DEFERRED_MAX) {
			struct secd_su_deferred *e = &s->deferred[s->n_deferred++];
			*e = (struct secd_su_deferred){.index = index, .gone = gone,
						       .fenced = fenced};
			snprintf(e->why, sizeof(e->why), "%s", why);
		} else {
			log_warnx("%s: VM index %u: %s: too many events during a command (dropped)",
				  s->d->who, index, why);
		}
		return;
	}
	r = gone ? su_vm_qemu_gone(s->m, index, fenced, why, msg)
		 : su_vm_guest_down(s->m, index, why, msg);
	if (r > 0) {
		if (msg[0])
			secd_su_console(s, "%s", msg);
		secd_su_write_live(s);
	}
}

/* ---- the guard ---- */

static void su_on_gretry(uv_timer_t *t);

static void su_gpoll_closed(uv_handle_t *h)
{
	free(h);
}

/* Ends the guard connection: its poll handle closed (freed when closed), then the socket. */
static void su_guard_close(struct secd_su *s)
{
	if (s->gpoll) {
		uv_poll_stop(s->gpoll);
		uv_close((uv_handle_t *)s->gpoll, su_gpoll_closed);
		s->gpoll = NULL;
	}
	s->g = guardc_free(s->g);
	s->list_seq = 0;
	s->listed = false; /* the next connection's LIST is compared with the VMs again */
	for (unsigned i = SU_INDEX_MIN; i <= SU_INDEX_MAX; i++) { /* that LIST says who runs */
		s->vm[i].child = false;
		s->vm[i].pid = 0;
	}
}

/* The QEMUs of a lost guard that have ended since: their VMs say so now — the guard that
 * would report it (or a new guard's LIST) may not come soon, and a VM shown RUNNING
 * without its QEMU misleads the operator (session 7 newcomer). A QEMU still alive is
 * left to the next guard's LIST (su_reconcile). */
static void su_lost_check(struct secd_su *s)
{
	for (unsigned i = SU_INDEX_MIN; i <= SU_INDEX_MAX; i++) {
		if (!s->lost_pid[i])
			continue;
		if (s->vm[i].pid) { /* a new guard runs a QEMU for this index now */
			s->lost_pid[i] = 0;
			continue;
		}
		if (proc_alive(s->lost_pid[i]))
			continue;
		s->vm[i].pid = s->lost_pid[i];
		s->lost_pid[i] = 0;
		secd_suvm_on_gone(s, &s->vm[i]);
	}
}

static void su_guard_lost(struct secd_su *s, const char *why)
{
	log_warnx("%s: sec-guard: %s; reconnecting", s->d->who, why);
	secd_event(s->d, LB_ERROR, "Sys-Mgmt", "sec-guard of SU '%s' is not reachable (%s): "
		   "its guests are gone with it; reconnecting", s->d->cfg.name, why);
	for (unsigned i = SU_INDEX_MIN; i <= SU_INDEX_MAX; i++)
		if (s->vm[i].pid)
			s->lost_pid[i] = s->vm[i].pid;
	s->guard_lost = true;
	su_guard_close(s);
	if (s->stopping)
		return;
	su_lost_check(s);
	uv_timer_start(&s->gretry, su_on_gretry, SECD_SU_GUARD_RETRY_MS, 0);
}

static void su_renew_send(struct secd_su *s)
{
	int r;

	if (!s->g || !s->renew_issue_ns)
		return;
	/* fencing = none: the guard never kills the guests (crd.md §4) */
	r = guardc_renew(s->g, s->renew_issue_ns, s->fencing_none ? UINT32_MAX : s->renew_fence_ms,
			 s->renew_w_ms);
	if (r < 0 && r != -EAGAIN)
		su_guard_lost(s, strerror(-r));
}

void secd_su_on_renew(void *arg, uint64_t issue_ns, uint32_t fence_ms, uint32_t w_ms)
{
	struct secd *d = arg;
	struct secd_su *s = d->su;

	if (!s)
		return;
	s->renew_issue_ns = issue_ns;
	if (!s->first_renew_ns)
		s->first_renew_ns = clock_monotonic_ns();
	s->renew_fence_ms = fence_ms;
	s->renew_w_ms = w_ms;
	su_renew_send(s);
}

static struct secd_suvm *su_vm_of_key(struct secd_su *s, const char *key)
{
	char *end;
	unsigned long i = strtoul(key, &end, 10);

	if (*end || i < SU_INDEX_MIN || i > SU_INDEX_MAX)
		return NULL;
	return &s->vm[i];
}

static void su_on_hello(void *u, uint32_t seq, const struct guard_hello_reply *h)
{
	struct secd_su *s = u;

	log_info("%s: sec-guard (pid %u) connected; %u child%s%s", s->d->who, h->guard_pid,
		 h->children, h->children == 1 ? "" : "ren",
		 h->flags & GUARD_HELLO_FENCED ? "; it fenced guests since it started" : "");
	if (s->guard_lost) { /* the all-clear of the ERROR event su_guard_lost() raised */
		s->guard_lost = false;
		secd_event(s->d, LB_NOTICE, "Sys-Mgmt", "sec-guard of SU '%s' reachable again "
			   "(pid %u): VM commands are carried out again", s->d->cfg.name,
			   h->guard_pid);
	}
}

static void su_on_result(void *u, uint32_t seq, const struct guard_result *res)
{
	struct secd_su *s = u;

	if (res->req_type == GUARD_MSG_SPAWN) {
		for (unsigned i = SU_INDEX_MIN; i <= SU_INDEX_MAX; i++)
			if (s->vm[i].wait == SUVM_WAIT_SPAWN && s->vm[i].guard_seq == seq) {
				secd_suvm_on_spawn_result(s, &s->vm[i], res->err, res->pid,
							  res->text);
				return;
			}
		return;
	}
	if (res->err && res->req_type != GUARD_MSG_RENEW)
		log_debug("%s: sec-guard: request %u: %s", s->d->who, seq, res->text);
}

static void su_on_list_child(void *u, uint32_t seq, const struct guard_child *c)
{
	struct secd_su *s = u;
	struct secd_suvm *v = su_vm_of_key(s, c->key);

	if (seq != s->list_seq)
		return;
	if (!v) {
		log_warnx("%s: sec-guard runs a child with key '%s' (pid %d) that is no VM "
			  "index; killing it", s->d->who, c->key, c->pid);
		if (c->flags & GUARD_CHILD_RUNNING)
			guardc_kill(s->g, c->key, SIGKILL);
		return;
	}
	s->lc[v->index] = *c;
	s->lseen[v->index] = true;
}

/* Reconciles the guard's children with the model (crd.md §6: never start a guest here). */
static void su_reconcile(struct secd_su *s)
{
	for (unsigned i = SU_INDEX_MIN; i <= SU_INDEX_MAX; i++) {
		struct su_vm *vm = su_model_vm_by_index(s->m, i);
		const struct guard_child *c = s->lseen[i] ? &s->lc[i] : NULL;
		bool init = vm && su_vm_state_initialized(vm->state);
		char key[8], why[160];

		snprintf(key, sizeof(key), "%u", i);
		if (c && (c->flags & GUARD_CHILD_RUNNING) && init) {
			secd_suvm_attach(s, &s->vm[i], c->pid);
			continue;
		}
		if (c && (c->flags & GUARD_CHILD_RUNNING)) { /* no VM knows it: an orphan */
			log_warnx("%s: VM index %u: QEMU pid %d runs without an initialized VM; "
				  "killing it", s->d->who, i, c->pid);
			secd_event(s->d, LB_WARNING, "Sys-Mgmt",
				   "QEMU (pid %d) of VM index %u ran without an initialized VM: "
				   "killed", c->pid, i);
			s->vm[i].pid = c->pid;
			s->vm[i].child = true;
			guardc_kill(s->g, key, SIGKILL);
			continue;
		}
		if (!init)
			continue;
		/* after the word "QEMU" (su_vm_qemu_gone) */
		if (c && (c->flags & GUARD_CHILD_FENCED))
			snprintf(why, sizeof(why), "(pid %d) fenced by sec-guard while secd was away",
				 c->pid);
		else if (c)
			snprintf(why, sizeof(why), "(pid %d) ended while secd was away (wait status "
				 "0x%x)", c->pid, (unsigned)c->status);
		else
			snprintf(why, sizeof(why), "gone: sec-guard does not know it (the guard was "
				 "restarted?)");
		if (c && c->end_boot_ns) { /* its end while secd was away, as the guard saw it */
			uint64_t mono = clock_monotonic_ns(); /* first: boottime - mono >= 0 */
			uint64_t off = clock_boottime_ns() - mono;
			s->vm[i].pid = c->pid;
			secd_suvm_runlog(s, &s->vm[i], "EXIT",
					 c->end_boot_ns > off ? c->end_boot_ns - off : 0);
			s->vm[i].pid = 0;
		}
		secd_su_vm_event(s, i, true, c && (c->flags & GUARD_CHILD_FENCED), why);
		if (c && !(c->flags & GUARD_CHILD_FENCED)) /* fenced/<key> stays until a start */
			guardc_forget(s->g, key);
	}
}

void secd_su_serve(struct secd_su *s)
{
	if (s->serving || s->stopping)
		return;
	s->serving = true;
	s->not_ready[0] = 0;
	log_info("%s: serving VM2000 commands (%u VM definition%s)", s->d->who, s->m->nvms,
		 s->m->nvms == 1 ? "" : "s");
	secd_su_console(s, "%% VMS2330 VM DEFINITIONS OF SU '%s' COMPARED WITH THE CRD: "
			"%u DEFINITION(S); VM2000 READY", s->m->res.name, s->m->nvms);
	secd_sucmd_kick(s);
}

static void su_on_list_end(void *u, uint32_t seq, uint32_t count)
{
	struct secd_su *s = u;

	if (seq != s->list_seq)
		return;
	s->list_seq = 0;
	if (!s->listed) {
		su_reconcile(s);
		s->listed = true;
		memset(s->lost_pid, 0, sizeof(s->lost_pid)); /* the LIST told who runs */
		/* LMs that ran when this secd stopped (docs/lm.md crash table) */
		secd_lm_target_recover(s);
		for (uint32_t i = 0; i < s->m->own.nlm; i++)
			if (s->m->own.lm[i].kind == CRD_LM_OUTGOING) {
				struct crd_lm_rec rec = s->m->own.lm[i];
				if (secd_lm_source_recover(s, &rec) == -ENOENT)
					i--; /* the record went */
			}
	}
	memset(s->lc, 0, sizeof(s->lc));
	memset(s->lseen, 0, sizeof(s->lseen));
	if (!s->serving && !s->rejoining)
		secd_su_rejoin(s);
}

static void su_on_exited(void *u, const struct guard_child *c)
{
	struct secd_su *s = u;
	struct secd_suvm *v = su_vm_of_key(s, c->key);

	if (v)
		secd_suvm_on_exited(s, v, c);
}

static const struct guardc_ops su_guard_ops = {
	.hello = su_on_hello,
	.result = su_on_result,
	.list_child = su_on_list_child,
	.list_end = su_on_list_end,
	.exited = su_on_exited,
};

static void su_on_guard(uv_poll_t *p, int status, int events)
{
	struct secd_su *s = p->data;
	int r;

	if (!s->g)
		return;
	r = guardc_receive(s->g, &su_guard_ops, s);
	if (r < 0)
		su_guard_lost(s, r == -ECONNRESET ? "the guard closed the connection"
						  : strerror(-r));
}

static void su_guard_connect(struct secd_su *s)
{
	int r;

	if (s->g || s->stopping)
		return;
	r = guardc_connect(s->d->cfg.su_guard_socket, &s->g);
	if (r < 0) {
		snprintf(s->not_ready, sizeof(s->not_ready), "sec-guard does not answer on '%s': %s",
			 s->d->cfg.su_guard_socket, strerror(-r));
		log_debug("%s: %s", s->d->who, s->not_ready);
		uv_timer_start(&s->gretry, su_on_gretry, SECD_SU_GUARD_RETRY_MS, 0);
		return;
	}
	if (!(s->gpoll = calloc(1, sizeof(*s->gpoll)))) {
		s->g = guardc_free(s->g);
		uv_timer_start(&s->gretry, su_on_gretry, SECD_SU_GUARD_RETRY_MS, 0);
		return;
	}
	uv_poll_init(&s->d->loop, s->gpoll, guardc_fd(s->g)); /* a new fd: a new handle */
	s->gpoll->data = s;
	uv_poll_start(s->gpoll, UV_READABLE, su_on_guard);
	if ((r = guardc_hello(s->g)) < 0 || (r = guardc_list(s->g)) < 0) {
		su_guard_lost(s, strerror(-r));
		return;
	}
	s->list_seq = (uint32_t)r;
	su_renew_send(s);
}

/* ---- consoles ---- */

/* crd.md §4: an SU whose last renewal was issued fence_timeout ago or longer has fenced
 * itself (its guard killed the guests; the disk thread refuses every later slot write):
 * it writes nothing more to its slot — no RESTARTING, no LEFT — and exits with status
 * "fenced" (SECD_EXIT_FENCED). A restart is a new incarnation that rejoins. */
static void su_check_fenced(struct secd_su *s)
{
	uint64_t now = clock_boottime_ns();

	if (!s->renew_issue_ns || s->stopping || s->d->stopping || s->fencing_none ||
	    now - s->renew_issue_ns < (uint64_t)s->renew_fence_ms * NSEC_PER_MSEC)
		return;
	log_warnx("%s: fenced: the last alive-message renewal was issued %" PRIu64 " ms ago "
		  "(fence_timeout %u ms); its guests are fenced; exits with status %d (fenced), "
		  "writing nothing more to its slot", s->d->who,
		  (uint64_t)((now - s->renew_issue_ns) / NSEC_PER_MSEC), s->renew_fence_ms,
		  SECD_EXIT_FENCED);
	fflush(NULL);
	_exit(SECD_EXIT_FENCED);
}

/* The fencing policy of the SU's SU Cluster (global data): advertised in the alive message
 * from the next renewal on and given to the guard (none: it never kills the guests). */
static void su_sync_fencing(struct secd_su *s)
{
	const struct cluster_global *g = s->d->global;
	const char *partner = NULL;
	const struct cluster_su_cluster *suc =
	    g ? cluster_su_cluster_of(g, s->d->cfg.name, &partner) : NULL;
	bool none = suc && suc->fencing == CLUSTER_FENCING_NONE;

	if (none == s->fencing_none)
		return;
	s->fencing_none = none;
	crd_unit_set_fencing(s->d->unit, none ? CRD_FENCING_NONE : CRD_FENCING_SELF);
	log_info("%s: fencing policy '%s' (SU Cluster '%s')", s->d->who, none ? "none" : "self",
		 suc ? suc->name : "-");
	secd_event(s->d, none ? LB_WARNING : LB_NOTICE, "Sys-Mgmt", "SU '%s' runs with fencing "
		   "'%s'%s", s->d->cfg.name, none ? "none" : "self",
		   none ? ": its guests are not killed when it loses the CRD; recovering its VM "
			  "definitions needs the operator's confirmation that it is down" : "");
	su_renew_send(s);
}

/* A guest's console line gets the time when it was first seen: look often. */
static void su_on_contimer(uv_timer_t *t)
{
	struct secd_su *s = t->data;

	su_sync_fencing(s);
	su_check_fenced(s);
	for (unsigned i = SU_INDEX_MIN; i <= SU_INDEX_MAX; i++)
		if (s->vm[i].child)
			secd_suvm_console(s, i);
}

static void su_on_gretry(uv_timer_t *t)
{
	su_lost_check(t->data);
	su_guard_connect(t->data);
}

/* ---- start ---- */

static void su_loaded(struct secd_su *s, char *payload, int r, const char *msg)
{
	struct secd *d = s->d;
	struct sec_err err = {0};
	struct su_hooks hooks = {.event = su_on_model_event, .ctx = s};

	if (r < 0) {
		snprintf(s->not_ready, sizeof(s->not_ready),
			 "the SU's CRD region cannot be read: %s", msg);
		log_warnx("%s: %s; VM2000 commands are refused", d->who, s->not_ready);
		secd_event(d, LB_ERROR, "Sys-Mgmt", "VM definitions of SU '%s' cannot be read: %s",
			   d->cfg.name, msg);
		return;
	}
	if (payload) {
		s->m = su_model_from_json(payload, strlen(payload), &err);
		if (!s->m) { /* damaged or foreign: keep it, change nothing */
			snprintf(s->not_ready, sizeof(s->not_ready),
				 "the SU's CRD region holds no usable unit data: %s", err.msg);
			log_warnx("%s: %s; VM2000 commands are refused, the region is left as it "
				  "is", d->who, s->not_ready);
			secd_event(d, LB_ERROR, "Sys-Mgmt", "VM definitions of SU '%s': %s",
				   d->cfg.name, err.msg);
			return;
		}
		su_model_set_res(s->m, &s->res);
	} else if (!(s->m = su_model_new(&s->res))) {
		snprintf(s->not_ready, sizeof(s->not_ready), "out of memory");
		return;
	}
	snprintf(s->m->server, sizeof(s->m->server), "%.*s", (int)sizeof(s->m->server) - 1,
		 d->cfg.se_server);
	su_model_set_hooks(s->m, &hooks);
	log_info("%s: unit data read: %u VM definition%s", d->who, s->m->nvms,
		 s->m->nvms == 1 ? "" : "s");
	secd_su_write_live(s); /* resources and I/O configuration as configured now */
	snprintf(s->not_ready, sizeof(s->not_ready), "connecting to sec-guard");
	su_guard_connect(s);
}

static int su_mkdir(const char *dir, const char *sub, struct sec_err *reterr)
{
	char path[SECD_PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if (mkdir(path, 0750) < 0 && errno != EEXIST)
		return sec_errf(reterr, -errno, "cannot create '%s': %s", path, strerror(errno));
	return 0;
}

int secd_su_start(struct secd *d, struct sec_err *reterr)
{
	static const char *const accel[] = {"auto", "kvm", "tcg"};
	struct secd_su *s = calloc(1, sizeof(*s));
	struct su_rjob *w = calloc(1, sizeof(*w));
	struct su_res *res;
	char path[SECD_PATH_MAX + 32];
	int r;

	if (!s || !w) {
		free(s);
		free(w);
		return sec_errf(reterr, -ENOMEM, "out of memory");
	}
	s->d = d;
	d->su = s;
	res = &s->res;
	snprintf(s->not_ready, sizeof(s->not_ready), "reading the SU's CRD region");
	su_res_init(res, d->cfg.su_type == SECD_SU_TYPE_390 ? SU_TYPE_390 : SU_TYPE_X86,
		    d->cfg.name, d->cfg.unit_id);
	res->memory_mib = d->cfg.su_memory_mib;
	res->cpus = d->cfg.su_cpus;
	res->pools[0].cpus = d->cfg.su_cpus;
	res->max_vms = d->cfg.su_max_vms;
	res->max_defs = d->cfg.su_max_vm_definitions;
	res->mighost_current = d->cfg.su_mighost == 1;
	if ((r = su_iocfg_load(d->cfg.su_io_config, &res->io, reterr)) < 0)
		goto fail;
	if ((r = qemu_accel_resolve(accel[d->cfg.su_accel], &s->accel, reterr)) < 0)
		goto fail;
	if ((r = su_mkdir(d->cfg.data_dir, "vm", reterr)) < 0 ||
	    (r = su_mkdir(d->cfg.data_dir, "q", reterr)) < 0 ||
	    (r = su_mkdir(d->cfg.data_dir, "console", reterr)) < 0)
		goto fail;
	snprintf(path, sizeof(path), "%s/console/monitor.log", d->cfg.data_dir);
	if ((r = linelog_open(path, LINELOG_STAMPED, &s->mon, reterr)) < 0)
		goto fail;
	for (unsigned i = 0; i <= SU_INDEX_MAX; i++)
		secd_suvm_init(s, &s->vm[i], i);
	uv_timer_init(&d->loop, &s->gretry);
	s->gretry.data = s;
	secd_su_reconcile_start(s);
	uv_timer_init(&d->loop, &s->contimer);
	s->contimer.data = s;
	uv_timer_start(&s->contimer, su_on_contimer, SECD_SU_CONSOLE_POLL_MS,
		       SECD_SU_CONSOLE_POLL_MS);
	log_info("%s: SU %s, %" PRIu64 " MiB and %u CPUs for guests, %u devices, QEMU accel %s",
		 d->who, su_type_to_string(res->type), res->memory_mib, res->cpus, res->io.n,
		 qemu_accel_to_string(s->accel));
	w->s = s;
	w->load = true;
	w->job.run = su_rjob_run;
	w->job.done = su_rjob_done;
	if ((r = crd_unit_region_submit(d->unit, &w->job)) < 0) {
		w = NULL;
		sec_errf(reterr, r, "cannot read the SU's CRD region: %s", strerror(-r));
		goto fail;
	}
	return 0;
fail:
	free(w);
	return r;
}

/* ---- stop ---- */

bool secd_su_has_guests(const struct secd *d)
{
	const struct secd_su *s = d->su;

	if (!s)
		return false;
	for (unsigned i = SU_INDEX_MIN; i <= SU_INDEX_MAX; i++)
		if (s->vm[i].child)
			return true;
	if (!s->listed && s->m) /* the guard was not asked yet: believe the region */
		return su_model_nvms_initialized(s->m) > 0;
	return false;
}

void secd_su_stop(struct secd *d)
{
	struct secd_su *s = d->su;

	if (!s || s->stopping)
		return;
	s->stopping = true;
	secd_lm_stop_all(s);
	secd_sucmd_cancel_all(s, "the SU daemon is stopping");
	for (unsigned i = 0; i <= SU_INDEX_MAX; i++)
		secd_suvm_close(s, &s->vm[i]);
	uv_close((uv_handle_t *)&s->gretry, NULL);
	uv_close((uv_handle_t *)&s->contimer, NULL);
	secd_su_reconcile_stop(s);
	su_guard_close(s); /* the guard keeps the guests; renewals stop with us */
}

void secd_su_free(struct secd *d)
{
	struct secd_su *s = d->su;

	if (!s)
		return;
	for (unsigned i = 0; i <= SU_INDEX_MAX; i++)
		s->vm[i].kvp = linelog_free(s->vm[i].kvp);
	s->mon = linelog_free(s->mon);
	s->m = su_model_free(s->m);
	free(s);
	d->su = NULL;
}
