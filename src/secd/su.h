/* su.h — secd as a Server Unit: the monitor system of the SU (issue 4; vm2000.md §1–§4;
 * crd.md §4 fencing layers, §6 VM definitions). Everything runs on secd's loop.
 *
 * The parts:
 *   su.c       start and stop, the SU's CRD region (the unit data: resources, I/O
 *              configuration, VM definitions, runtime; su/model.h), the connection to
 *              sec-guard (renewals forwarded, QEMU exits learned), re-attach after a restart
 *   suvm.c     one VM's runtime: its QEMU (spawned by the guard), its QMP connection, its
 *              KVP console, and the effects of a command plan carried out on it
 *   sucmd.c    the VM2000 command processor on the loop: one command at a time, parse (sdf),
 *              plan (su/cmd.h), effects, commit or abort, the monitor console
 *   suapi.c    the SU's routes between units: sdf, console, systems (docs/api.md)
 *   sudefmig.c /MIGRATE-VM-DEFINITION between the SUs of an SU Cluster: the source's call
 *              to the partner and the partner's route (docs/su.md)
 *
 * Startup (the rejoin rule of crd.md §6, without the partner part, which comes with the SU
 * Cluster): the CRD unit renews first; the SU then rewrites its own region (owner resync)
 * and reads it; connects to its guard and reconciles the guard's children with the VMs of
 * the region (a QEMU still running is attached again; one the guard fenced becomes
 * FENCED; one that is gone becomes NOT INITIALIZED); only then it serves commands. It never
 * starts a guest by itself. */
#ifndef SEC_SECD_SU_H
#define SEC_SECD_SU_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "guard/guardc.h"
#include "lib/linelog.h"
#include "qemu/qemu_accel.h"
#include "qemu/qmp.h"
#include "secd/secd.h"
#include "su/su.h"

#define SECD_SU_QMP_CONNECT_MS 5000 /* QEMU exec -> QMP handshake */
#define SECD_SU_QMP_CMD_MS 10000    /* one QMP command (QMP may be silent ~1 s under LM) */
#define SECD_SU_EXIT_WAIT_MS 10000  /* quit -> the guard reaped QEMU */
#define SECD_SU_GONE_WAIT_MS 1000   /* QMP closed mid-effect -> the guard's EXITED says why */
#define SECD_SU_GUARD_RETRY_MS 100  /* reconnect to sec-guard (a refused connect costs ~nothing) */
#define SECD_EXIT_FENCED 3 /* secd's exit status after self-fencing (crd.md §4) */
#define SECD_SU_CONSOLE_POLL_MS 250 /* a guest console line is stamped within this */
#define SECD_SU_RECONCILE_FIRST_MS 2000 /* the first partner reconcile after the start */
#define SECD_SU_RECONCILE_MS 10000      /* then every ... */

struct secd_sucmd; /* sucmd.c */

/* What an effect waits for on its VM (suvm.c). */
enum secd_suvm_wait {
	SUVM_WAIT_NONE = 0,
	SUVM_WAIT_SPAWN,    /* the guard's SPAWN result */
	SUVM_WAIT_QMP,      /* the QMP handshake of a new QEMU */
	SUVM_WAIT_REPLY,    /* a QMP command's reply (sequence in step) */
	SUVM_WAIT_EXIT,     /* the guard's EXITED of the QEMU */
	SUVM_WAIT_GONE,     /* QMP closed mid-effect: the guard's EXITED, to tell why */
	SUVM_WAIT_MAX
};

/* The runtime of one VM index (1..99; the monitor, index 1, has none). */
struct secd_suvm {
	struct secd *d;
	unsigned index;
	struct qmp *qmp;
	bool qmp_ready;
	struct linelog *kvp;    /* its KVP console (QEMU's serial file) */
	int32_t pid;            /* the QEMU the guard runs for this index, 0 = none */
	bool child;             /* the guard reports it running */
	char booted_ipl[8];     /* the IPL unit the running QEMU was started with, "" none */
	int64_t qlog_from;      /* qemu.log's size when that QEMU was started: its own lines
				 * begin there (the file keeps earlier QEMUs' lines) */
	/* the effect being carried out on this VM (at most one: commands run one at a time) */
	struct secd_sucmd *cmd;
	struct su_effect *eff;
	enum secd_suvm_wait wait;
	int ops[8];             /* the effect as a sequence of steps (suvm.c) */
	int nops;
	int step;               /* position in ops */
	unsigned media_n;       /* media attached so far (fresh node names) */
	struct {                /* media this secd put in (their node goes at the detach) */
		char mn[8];
		char node[32];
	} media[8];
	bool discard;           /* a QEMU of a failed start: its exit is expected */
	bool monitor_closed;    /* QEMU closed its QMP socket; the guard's EXITED not here yet */
	int closed_err;         /* SUVM_WAIT_GONE: how QMP closed, the reason if no EXITED */
	char closed_msg[96];
	bool attach_check;      /* re-attached: look at its run state when QMP is ready */
	uint32_t guard_seq;     /* the guard request waited for */
	uv_timer_t timer;       /* the effect's deadline */
	uv_timer_t pdtimer;     /* /SHUTDOWN-VM: the guest's grace to shut down by itself */
	uv_timer_t latetimer;   /* fault point su.exited delay: the EXITED handled later */
	struct guard_child late_exit;
	bool late;              /* late_exit waits for latetimer */
	bool timer_init;
};

/* An event of a VM that arrived while a command was in flight: applied to the model after
 * that command committed or aborted (a plan carries a copy of the whole model). */
struct secd_su_deferred {
	unsigned index;
	bool gone;   /* QEMU gone (else: the guest shut down) */
	bool fenced;
	char why[160];
};
#define SECD_SU_DEFERRED_MAX 128

struct secd_su {
	struct secd *d;
	struct su_model *m;          /* NULL until the region was read */
	bool serving;                /* region read and guard children reconciled */
	char not_ready[1400];        /* why it does not serve yet */
	enum qemu_accel accel;
	/* the CRD region: writes one at a time, in order */
	int rw_inflight;
	bool rw_dirty;               /* the live model changed outside a command: write it */
	/* sec-guard */
	struct guardc *g;
	uv_poll_t *gpoll;            /* one handle per connection (closed with it) */
	uv_timer_t gretry;
	uint32_t list_seq;           /* the LIST being collected, 0 none */
	int32_t lost_pid[SU_INDEX_MAX + 1]; /* QEMUs of a lost guard, watched until they end */
	bool guard_lost;             /* "not reachable" was said: say when it is back */
	bool listed;                 /* the first LIST after a connect was reconciled */
	uint64_t renew_issue_ns;     /* the last renewal (crd_unit renew_cb) */
	uint32_t renew_fence_ms, renew_w_ms;
	bool fencing_none;	     /* its SU Cluster says fencing = none (crd.md §4) */
	/* consoles */
	struct linelog *mon;         /* the monitor console */
	uv_timer_t contimer;         /* indexes the running guests' KVP consoles (line times) */
	/* commands (sucmd.c) */
	struct secd_sucmd *q_head, *q_tail;
	struct secd_sucmd *cur;
	struct secd_su_deferred deferred[SECD_SU_DEFERRED_MAX];
	unsigned n_deferred;
	struct secd_suvm vm[SU_INDEX_MAX + 1];
	struct su_res res;           /* from the [su] section and the I/O configuration */
	/* the children of the first LIST after a connect (reconciled with the region) */
	struct guard_child lc[SU_INDEX_MAX + 1];
	bool lseen[SU_INDEX_MAX + 1];
	bool stopping;
	int closing;                 /* uv handles still closing */
	/* Live Migrations (lm.h): running ones first, then up to SECD_LM_RECENT ended */
	struct secd_lm *lms;
	/* the partner reconcile (sureconcile.c) */
	uv_timer_t rctimer;
	bool rc_busy;
	bool rejoining;		     /* serving waits for the first partner reconcile */
	uint64_t first_renew_ns;     /* CLOCK_MONOTONIC when the first renewal completed */
};

/* ---- su.c ---- */
/* Starts the SU part (after the CRD unit and the logbook): resources and I/O configuration
 * from the [su] section (errors name the file), the monitor console, the region load, the
 * guard connection. Returns 0 or -errno with reterr (the unit then cannot start). */
int secd_su_start(struct secd *d, struct sec_err *reterr);
/* crd_unit renew_cb: forwards the renewal to the guard. */
void secd_su_on_renew(void *arg, uint64_t issue_ns, uint32_t fence_ms, uint32_t w_ms);
/* True while the guard runs a QEMU of this SU (a stopping secd then writes RESTARTING). */
bool secd_su_has_guests(const struct secd *d);
/* A clean stop: QMP connections and the guard connection closed; guests keep running. */
void secd_su_stop(struct secd *d);
void secd_su_free(struct secd *d);
/* Writes the live model as the SU's region (coalesced; errors logged and retried). */
void secd_su_write_live(struct secd_su *s);
/* Region write of payload (malloc'd, stolen); done(arg, r, msg) on the loop: r 0 committed,
 * else -errno and msg. */
typedef void secd_su_wdone_fn(void *arg, int r, const char *msg);
int secd_su_region_write(struct secd_su *s, char *payload, secd_su_wdone_fn *done, void *arg);
/* The same, for a write that crd.md §6 bounds (/RECOVER-VM-DEFINITION): the region thread
 * issues it only while CLOCK_BOOTTIME < not_after_ns (else done(-ETIME), nothing written),
 * and a write that completes more than within_ms after its issue calls done(1, "<ms>"):
 * on disk, but in doubt. payload is taken. Returns 0 or -errno. */
int secd_su_region_write_bounded(struct secd_su *s, char *payload, uint64_t not_after_ns,
				 uint32_t within_ms, secd_su_wdone_fn *done, void *arg);
/* Reads unit_id's CRD region (the partner SU's unit data); done(arg, r, payload, msg) on
 * the loop: r 0 and payload (malloc'd JSON, owned by done; NULL = the region is empty), or
 * -errno and msg. Returns 0 or -errno (done not called). */
typedef void secd_su_rdone_fn(void *arg, int r, char *payload, const char *msg);
int secd_su_region_read(struct secd_su *s, uint32_t unit_id, secd_su_rdone_fn *done, void *arg);
/* The model changed outside a command (QMP or guard event): apply now or defer. */
void secd_su_vm_event(struct secd_su *s, unsigned index, bool gone, bool fenced,
		      const char *why);
/* The monitor console: a line (also logged at debug). */
void secd_su_console(struct secd_su *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
struct secd_su *secd_su_of(struct secd *d);

/* ---- sureconcile.c: the partner reconcile of crd.md §6 (SU Cluster) ---- */
void secd_su_reconcile_start(struct secd_su *s);
/* The rejoin rule of crd.md §6 (an SU of an SU Cluster, at every start): after its first
 * renewal and 3 x io_timeout, read the partner's region, reconcile, and only then serve
 * (secd_su_serve; VMS6000 until then, with the reason in not_ready); an LM that ran
 * when the daemon stopped is decided first. An SU in no SU Cluster serves at once. */
void secd_su_rejoin(struct secd_su *s);
/* su.c: the SU accepts VM2000 commands from now on (after the rejoin, crd.md §6). */
void secd_su_serve(struct secd_su *s);
void secd_su_reconcile_stop(struct secd_su *s);

/* ---- suvm.c ---- */
void secd_suvm_init(struct secd_su *s, struct secd_suvm *v, unsigned index);
/* Carries out effect e of cmd's plan on its VM; the outcome comes back through
 * secd_sucmd_effect_done(). Returns 0 (started) or -errno with msg (nothing started). */
int secd_suvm_effect(struct secd_su *s, struct secd_sucmd *cmd, struct su_effect *e,
		     char *msg, size_t size);
/* The guard's answers about VM v (su.c dispatches them). */
void secd_suvm_on_spawn_result(struct secd_su *s, struct secd_suvm *v, int err, int32_t pid,
			       const char *text);
void secd_suvm_on_exited(struct secd_su *s, struct secd_suvm *v, const struct guard_child *c);
/* v's QEMU (v->pid) has ended while no sec-guard could report it (the guard died: its
 * guests get SIGKILL with it, PR_SET_PDEATHSIG): as on_exited, "ended with its sec-guard". */
void secd_suvm_on_gone(struct secd_su *s, struct secd_suvm *v);
/* Re-attach to a QEMU the guard still runs (after a secd restart). */
void secd_suvm_attach(struct secd_su *s, struct secd_suvm *v, int32_t pid);
/* Appends "<ns> <what> <vm_uuid> <index> <pid>" to DATA_DIR/runs.log (what: STOP, RESUME,
 * EXIT; ns CLOCK_MONOTONIC): the guest's run intervals for the tests' "running twice"
 * oracle (testing.md). */
void secd_suvm_runlog(struct secd_su *s, struct secd_suvm *v, const char *what, uint64_t ns);
/* The node of the medium this secd put into mn's drive of v's QEMU (NULL = none: a -drive
 * medium or empty); set != NULL records set ("" forgets). */
const char *secd_suvm_media_node(struct secd_suvm *v, const char *mn, const char *set);
/* The KVP console of VM index (opened on demand); NULL when it has none. */
struct linelog *secd_suvm_console(struct secd_su *s, unsigned index);
void secd_suvm_close(struct secd_su *s, struct secd_suvm *v);
/* Paths of a VM index: the VM directory, its QMP socket, its console and QEMU log. */
void secd_suvm_path(const struct secd_su *s, unsigned index, const char *what, char *buf,
		    size_t size);

/* ---- sucmd.c ---- */
/* Queues a VM2000 command; done(arg, json) gets the result object of docs/api.md (owned by
 * the caller after the call). Returns 0 or -ENOMEM. */
typedef void secd_sucmd_done_fn(void *arg, json_t *result);
int secd_sucmd_submit(struct secd_su *s, const char *text, const char *user,
		      secd_sucmd_done_fn *done, void *arg);
/* An internal command (not SDF text: another unit's request, e.g. the target's half of
 * /MIGRATE-VM-DEFINITION). It waits its turn in the same FIFO as the SDF commands; then,
 * when the SU serves commands (else VMS6000), plan(live, arg, now_ms) makes its plan
 * against the live model of that moment (now_ms: wall clock, ms since the epoch; the
 * plan is owned by the queue from then on; NULL = out of memory: CMD0221), and it runs as
 * any command: effects, commit or undo and abort, the monitor console. text is the
 * console's command line, user who asked (shown before it). done(arg, json) gets the
 * result object of docs/api.md, exactly once (also VMS6000 when the SU stops first).
 * Returns 0 or -ENOMEM (nothing queued). */
typedef struct su_plan *secd_sucmd_cmd_fn(const struct su_model *live, void *arg,
					  int64_t now_ms);
int secd_sucmd_submit_cmd(struct secd_su *s, const char *text, const char *user,
			  secd_sucmd_cmd_fn *plan, secd_sucmd_done_fn *done, void *arg);
/* The same with flags: SECD_SUCMD_CONFIRM_DOWN — the operator confirmed that the remote SU
 * is down (/RECOVER-VM-DEFINITION with sectl vm recover --confirm-down). */
#define SECD_SUCMD_CONFIRM_DOWN 0x1u
int secd_sucmd_submit_flags(struct secd_su *s, const char *text, const char *user,
			    unsigned flags, secd_sucmd_done_fn *done, void *arg);
/* surecover.c: /RECOVER-VM-DEFINITION c (the command cmd) before its plan: resolves the
 * partner, reads its region, waits for a fresh DEAD verdict, plans; then hands the plan to
 * secd_sucmd_recover_go() (sucmd.c: p NULL = out of memory or stopping; not_after_ns: the
 * write's bound, CLOCK_BOOTTIME, 0 = none; partner: S's name for the messages). */
void secd_surecover_start(struct secd_su *s, struct secd_sucmd *c, const struct su_cmd *cmd,
			  bool confirmed);
void secd_sucmd_recover_go(struct secd_sucmd *c, struct su_plan *p, uint64_t not_after_ns,
			   const char *partner);
/* An effect finished: r 0, or -errno with msg (why, for the console and the reply). */
void secd_sucmd_effect_done(struct secd_su *s, struct secd_sucmd *cmd, int r, const char *msg);
/* The plan being carried out (for suvm.c: the VM definition to start). */
const struct su_plan *secd_sucmd_plan(const struct secd_sucmd *cmd);
/* The SU started serving, or stops: run or fail the queue. */
void secd_sucmd_kick(struct secd_su *s);
/* An internal plan (the LM's steps, lm.h): queued like a command; when its turn comes
 * plan(arg, live) makes the plan against the live model (NULL on out-of-memory), its
 * effects are carried out and it is committed (or undone and aborted) like a command's,
 * its lines go to the monitor console, and done(arg, p) tells the outcome: p->ok (true =
 * committed), p->msgs; p NULL when the queue was cancelled (the SU stops) or plan()
 * returned NULL. p is valid during done() only. label names it in logs. Returns 0 or
 * -ENOMEM (done not called). */
typedef struct su_plan *secd_sucmd_plan_fn(void *arg, const struct su_model *live);
typedef void secd_sucmd_plan_done_fn(void *arg, const struct su_plan *p);
int secd_sucmd_submit_plan(struct secd_su *s, const char *label, secd_sucmd_plan_fn *plan,
			   secd_sucmd_plan_done_fn *done, void *arg);
void secd_sucmd_cancel_all(struct secd_su *s, const char *why);

/* ---- sudefmig.c: /MIGRATE-VM-DEFINITION (seed 4.3; vm2000-facts.md §1.10; crd.md §6) ----
 * The source's SU_EFF_PARTNER_DEF_WRITE: POST /api/v1/internal/su/defmig to the target SU
 * (p->defmig: its unit id, its API address from the global data; unit-signed, at most
 * SECD_SUDEFMIG_TIMEOUT_MS). done(arg, r, msg) exactly once, possibly from inside this
 * call: r 0 when the target wrote the definition; else r < 0 and p already marked with
 * su_lm_defmig_fail(): 409 -> TARGET_REFUSED (the target's msgid, "VMS4013"), no answer in
 * time (or secd stopping) -> TARGET_TIMEOUT, anything else -> TARGET_FAILED (msg why). p
 * must stay valid until done. */
#define SECD_SUDEFMIG_TIMEOUT_MS 10000 /* the source waits this for the target's answer */
#define SECD_SUDEFMIG_QUEUE_MS 5000    /* the target refuses a request that waited longer
					* in its command FIFO (its source may have given up) */
void secd_sudefmig_send(struct secd_su *s, struct su_plan *p, secd_su_wdone_fn *done, void *arg);
/* Effect eff_i of plan p failed with why: true when that is the source's own region write
 * of a /MIGRATE-VM-DEFINITION after the target took the definition over: p is then marked
 * SOURCE_FAILED (VMS2321) and the caller commits it (and writes its live model again);
 * false: undo and abort as usual. */
bool secd_sudefmig_source_failed(struct secd_su *s, struct su_plan *p, size_t eff_i,
				 const char *why);

/* ---- suapi.c ---- */
void secd_route_su_sdf(struct api_req *r, void *arg);
void secd_route_su_console(struct api_req *r, void *arg);
void secd_route_su_systems(struct api_req *r, void *arg);

#endif
