/* lm.h — the Live Migration engine of an SU's secd (issue 5; vm2000.md §5, crd.md §6,
 * docs/lm.md). The source SU drives the four phases over QMP; the target SU serves the
 * unit-signed routes prepare / commit / abort / status. Every change of the SU's model
 * (the VM's (MIGR), the LM records, the reservation, the commit, the finish) is an
 * internal plan of su/lmrun.h carried out through the SU's command queue (sucmd.c), so
 * it is written to the CRD region before the next step is taken.
 *
 *   lm.c     the LM record (struct secd_lm), its status JSON, the list of recent LMs,
 *            QMP event and QEMU exit dispatch, the lmstat route
 *   lmsrc.c  the source's driver: media detach, prepare, migrate, progress and
 *            watchdogs, switchover (commit on the target), finish or abort
 *   lmtgt.c  the target's routes and driver: reservation + QEMU -incoming defer,
 *            waiting for its own `completed`, the commit before `cont`, the abort
 *
 * Everything runs on secd's loop. */
#ifndef SEC_SECD_LM_H
#define SEC_SECD_LM_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "qemu/qmp.h"
#include "qemu/qmpcmd.h"
#include "secd/su.h"
#include "su/lm.h"
#include "su/lmrun.h"

#define SECD_LM_POLL_MS 250	     /* query-migrate on the source */
#define SECD_LM_PREPARE_MS 30000     /* the target's prepare (QEMU start, region write) */
#define SECD_LM_TGT_LOAD_MS 15000    /* target: the source said completed, its own must follow */
#define SECD_LM_DOUBT_POLL_MS 500    /* an in-doubt commit: ask the target again */
#define SECD_LM_DOWNTIME_MS 50	     /* migrate-set-parameters downtime-limit */
#define SECD_LM_SETTLE_MS 150	     /* target: at most this long for its new QEMU to settle */
#define SECD_LM_ABORT_RETRY_MS 500   /* target: its abort plan failed: again after this */
#define SECD_LM_SETTLE_TICK_MS 10    /* ... looked at this often */
#define SECD_LM_SETTLE_BUSY_PCT 20   /* ... settled: less CPU than this % of the last tick */
#define SECD_LM_RECENT 8	     /* finished LMs kept for the status API */
#define SECD_LM_MEDIA_MAX 16

enum secd_lm_state {
	LM_ST_SETUP = 1, /* checks done; media detach, target prepare */
	LM_ST_COPY,	 /* memory copy */
	LM_ST_SWITCHOVER, /* source stopped, completed; the target commits */
	LM_ST_POST,	 /* committed; the source finishes */
	LM_ST_COMPLETED,
	LM_ST_ABORTING,	 /* undoing: cancel, target abort, resume, media back */
	LM_ST_ABORTED,
	LM_ST_DOUBT,	 /* the commit's outcome is not known: asking the target */
	LM_ST_MAX
};

struct secd_lm {
	struct secd_lm *next;	 /* the SU's list (lm.c) */
	struct secd_su *s;
	bool outgoing;		 /* this SU is the source */
	bool kvp_suspended;	 /* the source's KVP console said HAL0331 (an abort: HAL0332) */
	uint64_t lm_id;
	enum secd_lm_state st;
	unsigned abort_phase;	 /* the phase 1..3 an abort began in; 0 before (secd_lm_aborting) */
	unsigned index;		 /* this SU's VM index of the VM */
	unsigned peer_index;	 /* the VM index on the other SU (source: the target's) */
	crd_uuid vm_uuid;
	char vm_name[SU_VM_NAME_MAX + 1];
	char source[SU_NAME_MAX + 1], target[SU_NAME_MAX + 1];
	uint32_t peer_unit;
	enum su_vm_state vm_state; /* the VM's state on the source at the start */
	struct su_vm vm;	   /* source: the definition sent; target: as received */
	struct crd_vmdef def;	   /* the source's ownership record */
	char monjv[SU_MONJV_MAX + 1];
	/* media detached at the start (source; re-attached on abort) */
	unsigned n_media;
	char media[SECD_LM_MEDIA_MAX][SU_MN_MAX + 1];
	unsigned media_i;
	/* the migration stream: the target's listening address */
	char mig_host[64];
	unsigned mig_port;
	/* progress (source: query-migrate) */
	struct qmp_migrate q;
	int64_t total_bytes;
	uint64_t dirty_rate;	 /* pages/s */
	uint64_t mbps;
	uint64_t last_moved_ns;	 /* CLOCK_MONOTONIC of the last change of ram_transferred */
	int64_t last_transferred;
	bool raised;		 /* x86: the downtime limit was raised once */
	/* times, CLOCK_MONOTONIC ns (0 = not yet) */
	uint64_t t_start, t_migrate, t_completed, t_stop, t_resume, t_end;
	/* where the setup and the switchover go (docs/api.md "Live Migration": the LM
	 * object's *_ms), CLOCK_MONOTONIC ns, 0 = not yet. Source: the prepare call sent and
	 * answered. Target: the reservation committed, its own QEMU's `completed` */
	uint64_t t_prepare_sent, t_prepared;
	uint64_t t_reserved, t_loaded;
	/* source: the target's own figures from its answers, ms (-1: not told) */
	double tgt_reserve_ms, tgt_settle_ms, tgt_load_wait_ms, tgt_commit_ms;
	int64_t started_ms;	 /* wall clock */
	char result[4];		 /* "$S " "$R " "$T " "$TW" "$AE" "$AF" */
	char reason[512];  /* why it was aborted: this SU's cause, then the target's (VMS2426) */
	/* the target: its commit request waits for the QEMU's own `completed` */
	bool tgt_loaded;
	struct api_req *req;	 /* the route waiting (target: prepare / commit) */
	/* asynchronous bits */
	uv_timer_t timer;
	bool timer_init;
	int pending;		 /* calls and plans whose callbacks still come */
	bool freeing;
	bool source_resumed;	 /* the source QEMU was told to continue after a stop */
	bool not_converged;	 /* /390: the abort is VMS2425's */
	bool needs_operator;	 /* in doubt, the target's record unreadable (VMS2428) */
};

/* How long the source waits for the target's commit (its completed, region write, cont):
 * 2 x stall_timeout, at least 5 s; then the commit is in doubt. */
static inline uint32_t secd_lm_commit_ms(const struct secd_su *s)
{
	uint32_t ms = 2 * s->d->cfg.timing.stall_ms;
	return ms < 5000 ? 5000 : ms;
}

/* ---- lm.c ---- */
/* A new LM record (running, listed first), with extra zeroed bytes behind it for the
 * driver's own state. NULL on out-of-memory. */
struct secd_lm *secd_lm_new(struct secd_su *s, bool outgoing, uint64_t lm_id, size_t extra);
/* Moves lm to LM_ST_ABORTING, remembering the phase it was in (secd_lm_phase() keeps
 * reporting that phase for the aborted LM). */
void secd_lm_aborting(struct secd_lm *lm);
/* Ends lm: moves it to the recent list (status kept), stops its timer. */
void secd_lm_end(struct secd_lm *lm, enum secd_lm_state st, const char *result, const char *why);
struct secd_lm *secd_lm_find(struct secd_su *s, uint64_t lm_id, bool outgoing);
/* The outgoing LM running on this SU, or NULL (only one at a time, seed 4.7). */
struct secd_lm *secd_lm_outgoing(struct secd_su *s);
/* The LM whose VM runs at index on this SU (running, not ended), or NULL. */
struct secd_lm *secd_lm_of_index(struct secd_su *s, unsigned index);
/* The LM's phase 1..4 (vm2000.md §5) and the percent of the memory copied (0..100). An
 * aborting or aborted LM stays in the phase it was aborted in (1..3). */
unsigned secd_lm_phase(const struct secd_lm *lm);
unsigned secd_lm_percent(const struct secd_lm *lm);
/* The status object of docs/api.md (lmstat): new reference. */
json_t *secd_lm_json(const struct secd_lm *lm);
const char *secd_lm_state_name(enum secd_lm_state st);
/* "0123456789abcdef" / parse; 0 on a bad text. */
void secd_lm_id_str(uint64_t id, char out[17]);
uint64_t secd_lm_id_parse(const char *s);
/* The LM reached step on this side (su/lm.h): its monitor console lines, the guest's KVP
 * console line (written to QEMU's serial file: call it while the guest is stopped) and its
 * SE Manager events, by SU type. mn: the device of SU_LM_STEP_DEVICE, else NULL. */
void secd_lm_step(struct secd_lm *lm, enum su_lm_step step, const char *mn);
/* b - a of two CLOCK_MONOTONIC times (ns) in ms; -1 when either is 0 (unknown) or b is
 * earlier. The LM object's phase times (secd_lm_json). */
double secd_lm_ms_between(uint64_t a, uint64_t b);
/* A debug line (log_debug; SECLUSTER_DEBUG=1) with lm's id and the CLOCK_MONOTONIC time
 * in ms: the trace of each LM step, for measuring where an LM's time goes (bench/lm). */
void secd_lm_trace(const struct secd_lm *lm, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A console line on the monitor with the LM's prefix. */
void secd_lm_say(struct secd_lm *lm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* QMP events and QEMU exits of VM index (suvm.c calls these first): true = the LM took it. */
bool secd_lm_on_qmp_event(struct secd_su *s, unsigned index, const struct qmp_event *ev);
bool secd_lm_on_qemu_exit(struct secd_su *s, unsigned index, const char *why);
/* The SU stops: every LM record goes (the guard keeps the QEMUs; the CRD records let
 * the restarted secd decide, crd.md §6); callbacks still to come free them. */
void secd_lm_stop_all(struct secd_su *s);
/* A QMP command on the QEMU of lm's VM index (args stolen); done(lm, reply) counts as
 * pending. Returns 0, -ENOTCONN (no QMP connection), or qmp_command()'s errors. */
int secd_lm_qmp(struct secd_lm *lm, const char *cmd, json_t *args, uint32_t timeout_ms,
		qmp_done_fn *done);
/* A callback of lm came back (each pending call, QMP command or plan counts one): false
 * when lm is being freed (the callback must not touch it any more). */
bool secd_lm_back(struct secd_lm *lm);
void secd_route_su_lmstat(struct api_req *r, void *arg);
/* POST /api/v1/internal/lm/{lm_id}/resolve {"decision": "resume-source"|"discard-source",
 * "user"} -> 200 {"lm"} (the decision is taken; the LM ends as lmstat shows), 404, 409. */
void secd_route_su_lm_resolve(struct api_req *r, void *arg);

/* ---- lmsrc.c ---- */
/* The operator's decision on an LM in doubt (crd.md §6, `sectl vm lm-resolve`). */
enum secd_lm_resolve {
	SECD_LM_RESOLVE_NONE = 0,
	SECD_LM_RESUME_SOURCE,	/* the guest continues on the source (the abort chain) */
	SECD_LM_DISCARD_SOURCE, /* the source quits its QEMU and drops its copy (the finish) */
};
/* Decides lm (outgoing, in doubt) as the operator who said: console line, then the abort
 * chain or the finish, as if the target had answered. Returns 0; -EBUSY (not in doubt:
 * reterr names its state), -EINVAL. */
int secd_lm_source_resolve(struct secd_lm *lm, enum secd_lm_resolve how, const char *who,
			   struct sec_err *reterr);
/* /MIGRATE-VM committed (the VM shows (MIGR), "outgoing lm_id" is on the CRD): run the
 * phases. vm: the VM as committed; target: the target's unit. Returns 0 or -errno. */
int secd_lm_source_start(struct secd_su *s, const struct su_vm *vm, uint64_t lm_id,
			 uint32_t target_unit, const char *monjv);
/* A restarted source finds "outgoing lm_id" rec in its region: asks the target to abort;
 * its answer (aborted / committed), or in doubt its record after its dead verdict, decides
 * (docs/lm.md crash table). Returns 0 or -errno (the record was dropped: no VM). */
int secd_lm_source_recover(struct secd_su *s, const struct crd_lm_rec *rec);
/* A restarted target: every "incoming lm_id" without a commit becomes "abort lm_id"
 * (crd_lm_target_restart; the reconcile killed the reserved QEMU, which was no unit data). */
void secd_lm_target_recover(struct secd_su *s);
void secd_lm_src_on_event(struct secd_lm *lm, const struct qmp_event *ev);
void secd_lm_src_on_exit(struct secd_lm *lm, const char *why);

/* ---- lmtgt.c ---- */
void secd_route_su_lm_prepare(struct api_req *r, void *arg);
void secd_route_su_lm_commit(struct api_req *r, void *arg);
void secd_route_su_lm_abort(struct api_req *r, void *arg);
void secd_route_su_lm_get(struct api_req *r, void *arg);
void secd_lm_tgt_on_event(struct secd_lm *lm, const struct qmp_event *ev);
void secd_lm_tgt_on_exit(struct secd_lm *lm, const char *why);

#endif
