/* secd.h — the state of one secd unit and the functions its parts share (architecture.md
 * §2, §4; issue 3).
 *
 * One libuv loop owns everything here; every function below runs on the loop thread. The
 * parts:
 *   main.c     arguments, start, the loop, signals (SIGTERM clean stop, SIGHUP reload)
 *   gdata.c    the global data (CRD region 0): read at start, this unit checked against it
 *   gwrite.c   the global data on a running unit: the Master MU's changes, every unit's re-read
 *   topology.c the REST API of topology changes (servers, units)
 *   forward.c  a write taken by an MU that is not the Master MU goes to the master
 *   evlog.c    events and audit entries of this unit (SQLite thread, logbook.h)
 *   manager.c  the Cluster Manager while this MU is the Master MU (status.md)
 *   snapshot.c the last published status snapshot on every MU, and its age
 *   routes.c   the REST API for people (docs/api.md)
 *   internal.c the routes between units and the replication of events and audit entries */
#ifndef SEC_SECD_H
#define SEC_SECD_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#include "api/httpc.h"
#include "api/httpd.h"
#include "auth/key.h"
#include "auth/unitmsg.h"
#include "clstatus/clevents.h"
#include "cluster/gedit.h"
#include "cluster/global.h"
#include "cluster/hbnet.h"
#include "crd/unit.h"
#include "logbook/lbqueue.h"
#include "secd/config.h"

#define SECD_SW_VERSION SECLUSTER_VERSION /* meson.build project version */
#define SECD_PROTO_MIN 1
#define SECD_PROTO_MAX 1
#define SECD_SKEW_THRESHOLD_MS 5000 /* clock skew above this is a WARNING (status.md §5) */

#define SECD_FORWARD_TIMEOUT_MS 120000 /* a write forwarded to the Master MU (forward.c) */

struct secd_manager; /* manager.c */
struct secd_force;   /* force.c */
struct secd_repl;    /* internal.c */
struct secd_gstate;  /* gwrite.c */
struct secd_su;      /* su.c: the Server Unit part (SU only) */

/* drain.c: what a stopping unit waits for before it exits (its last events replicated). */
struct secd_drain {
	uint64_t since_ms;                     /* SIGTERM (CLOCK_BOOTTIME ms), 0 = running */
	bool crd_stopped;                      /* the CRD part has stopped (logged) */
	bool restarting;                       /* an SU with guests: slot RESTARTING, not LEFT */
	uint32_t ev_pending;                   /* own events not yet committed (evlog.c) */
	uint64_t ev_seq;                       /* seq of the last own event committed */
	uint64_t pulled_ms[CRD_UNITS_MAX + 1]; /* when each MU last pulled from this unit */
	uint64_t mark[CRD_UNITS_MAX + 1];      /* the seq of this incarnation it holds */
};

struct secd {
	struct secd_config cfg;
	const char *config_path;
	char who[SECD_STR_MAX + 32]; /* "unit 'mu1' (MU, unit 1)" */
	struct auth_key cluster_key;

	struct crd_unit *unit;
	uint64_t incarnation;
	bool master;
	uint64_t master_term;
	bool stopping;
	bool closed;

	struct cluster_global *global; /* region 0: read at start, swapped by gwrite.c */
	uint64_t global_generation;    /* its region-0 generation */
	struct secd_gstate *gstate;    /* gwrite.c */

	struct lbq *lbq;
	struct hb_responder *responder;
	struct api_server *api;      /* MU only */
	struct httpc *httpc;         /* MU only */
	struct auth_unitmsg_peers *peers;
	struct secd_manager *mgr;    /* MU only */
	struct secd_repl *repl;      /* MU only */
	struct secd_force *force;    /* MU only: force-master and its aftermath (force.c) */
	struct secd_su *su;          /* SU only: VMs, guard, VM2000 commands (su.h) */

	/* the last published snapshot (snapshot.c) */
	struct clev_tracker *tracker;
	json_t *snap_json;           /* as published, without age_ms */
	uint64_t snap_rx_ms;         /* CLOCK_BOOTTIME ms when stored here */

	uv_loop_t loop;
	uv_poll_t polls[CRD_UNIT_FDS_MAX + 1];
	int npolls;
	uv_poll_t lbq_poll;
	uv_timer_t timer;
	uv_signal_t sigterm, sigint, sighup;
	int pending_closes;
	struct secd_drain drain;
};

/* main.c: run the CRD unit and re-arm its timer (after any change that may need it). */
void secd_step(struct secd *d);
uint64_t secd_now_ms(void); /* CLOCK_BOOTTIME ms */

/* gdata.c: reads region 0 and checks this unit against it (blocking: before the loop).
 * Returns 0, or -errno with reterr saying what is wrong and what to do. */
int secd_global_load(struct secd *d, struct sec_err *reterr);
/* The unit of the topology with unit id id, or NULL. */
const struct cluster_unit *secd_global_unit(const struct secd *d, uint32_t id);

/* gwrite.c: the global data on a running unit (see there). */
struct secd_gresult {
	int r;               /* 0: committed (durable on the CRD); else -errno, err says why:
			      * the edit's codes (gedit.h), -ETIME/-ENOLCK the master lease ran
			      * out or is not held, -ECANCELED stopping, else the region read or
			      * write failed (nothing changed in memory; the write may be in
			      * doubt) */
	uint64_t generation; /* the committed region-0 generation */
	struct cluster_conflicts conf;
	struct sec_err err;
};
/* An edit of g (a copy of region 0), on the region thread: pure, gedit.h's codes. */
typedef int secd_gedit_fn(struct cluster_global *g, void *arg, struct cluster_conflicts *conf,
			  struct sec_err *err);
/* The outcome, on the loop (or, with -ECANCELED, while the unit is freed after the loop:
 * free only). before/after: the global data before and after a committed change (after
 * becomes d->global right after this call), else NULL. */
typedef void secd_gdone_fn(void *arg, const struct secd_gresult *res,
			   const struct cluster_global *before, const struct cluster_global *after);
/* Master MU: applies edit(edit_arg) to region 0 and writes it under the lease (term,
 * validity); done(done_arg) once, when the write committed or failed. Returns 0, or
 * -ENOLCK (not the Master MU now) / -ESHUTDOWN / -ENOMEM with reterr and done not called. */
int secd_global_change(struct secd *d, secd_gedit_fn *edit, void *edit_arg,
		       secd_gdone_fn *done, void *done_arg, struct sec_err *reterr);
/* Re-reads region 0 on the region thread (one at a time); d->global is swapped when the
 * generation read is higher. Every unit calls it every few seconds (the timer of
 * secd_global_sync_start); an MU also when a snapshot announces a higher generation. */
void secd_global_sync(struct secd *d);
int secd_global_sync_start(struct secd *d, struct sec_err *reterr);
/* A fresh re-read of region 0 (queued after every region job submitted before), then
 * fn(arg) on the loop — also when the read failed or the unit is being freed. An MU that
 * forwarded a write calls it before it answers, so that its next read shows the change
 * (read your writes). Returns 0, or -ESHUTDOWN / -ENOMEM / -errno (fn not called). */
int secd_global_sync_then(struct secd *d, void (*fn)(void *arg), void *arg);
void secd_global_close(struct secd *d); /* closes the timer (with the loop's handles) */
void secd_global_free(struct secd *d);  /* after crd_unit_free() */

/* A change of the global data that did not commit (res->r != 0, not -ECANCELED), as the
 * API answers it: status (400, 404, 409 with the conflict list as details, 503 no_master
 * or unavailable, 500), code and message (gedit.h's codes; topology.c, suclusters.c).
 * details is a new reference (NULL = none) for api_reply_error_details(). */
struct secd_gfailure {
	unsigned status;
	const char *code;
	json_t *details;
	char msg[sizeof(((struct sec_err *)0)->msg) + 160];
};
void secd_gresult_failure(const struct secd_gresult *res, struct secd_gfailure *ret);

/* forward.c: true while this MU holds the master lease and its validity has not passed. */
bool secd_is_master_now(struct secd *d);
/* A write on an MU that is not the Master MU: forwards r (its method, path, body and
 * Authorization header) to the master of the last snapshot and relays the answer; 503
 * no_master (audited here as action, Start and Failed) when none is known, it does not
 * answer, or r was forwarded here already. Replies to r (later, from the loop). */
void secd_forward_write(struct secd *d, struct api_req *r, const char *action);

/* main.c: a clean stop as on SIGTERM, logging why. */
void secd_stop(struct secd *d, const char *why);

/* evlog.c: appends an event / audit entry of this unit (durable once the SQLite thread
 * has committed it; errors are logged). weight: enum lb_weight. */
void secd_event(struct secd *d, int weight, const char *component, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The same for an event about another unit (unit name given: a Cluster Manager event). */
void secd_event_about(struct secd *d, int weight, const char *component, const char *unit,
		      const char *msg);
void secd_audit(struct secd *d, const char *account, const char *component, int type,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* manager.c: the Cluster Manager starts when this MU becomes the Master MU, stops when it
 * no longer is. */
int secd_manager_new(struct secd *d, struct secd_manager **ret, struct sec_err *reterr);
void secd_manager_set_master(struct secd_manager *m, bool master);
/* SIGHUP: a new hb_interval (ms) for the running heartbeat and computation. */
void secd_manager_set_interval(struct secd_manager *m, uint32_t interval_ms);
/* The global data changed: new heartbeat targets at once (while master). */
void secd_manager_topology_changed(struct secd_manager *m);
void secd_manager_free(struct secd_manager *m);

/* snapshot.c: stores a snapshot published by this MU (age 0) or received from the master. */
void secd_snapshot_init(struct secd *d);
/* The master's own computation: stores it, returns the events through emit (tracker). */
void secd_snapshot_publish(struct secd *d, const struct cls_snapshot *s);
/* A snapshot received from the master (POST /api/v1/internal/snapshot). Returns 0 when
 * stored, 1 when older than the one held (ignored), -EINVAL with reterr when malformed. */
int secd_snapshot_receive(struct secd *d, const json_t *j, struct sec_err *reterr);
/* The snapshot as the API shows it: with age_ms; when no snapshot or a stale one (no master
 * for longer than the lease), master_mu null, UNKNOWN statuses and status ERROR. New ref. */
json_t *secd_snapshot_view(struct secd *d);
void secd_snapshot_free(struct secd *d);
/* The Master MU's name as the last snapshot says, into buf; -ENOENT when none is known
 * (no snapshot, a stale one, or no master in it). */
int secd_snapshot_master(struct secd *d, char *buf, size_t size);

/* forward.c: a person's write on a non-master MU goes to the Master MU. Returns false when
 * this MU is the Master MU (the caller carries the write out itself), true when r was
 * forwarded (the master's answer becomes r's) or answered (503 no_master: none known). */
bool secd_forward_to_master(struct secd *d, struct api_req *r);

/* force.c: after every crd_unit_run() (answers a pending force-master request), and on
 * every CRD status change of this unit (a disk that rejoins after a forced claim is checked
 * for region-0 data of the lower term before the resync overwrites it). */
void secd_force_poll(struct secd *d);
void secd_force_on_crd_change(struct secd *d);
void secd_force_free(struct secd *d);

/* drain.c: a pull from MU `from` carrying its marks (internal.c); the SIGTERM; true once
 * the stopping unit may exit (every MU that pulls from it holds its last event, or
 * 4 x hb_interval after the SIGTERM). */
void secd_drain_note_pull(struct secd *d, uint32_t from, const struct lb_id *marks, size_t n);
void secd_drain_start(struct secd *d);
bool secd_drain_done(struct secd *d);

/* routes.c / internal.c */
int secd_api_start(struct secd *d, struct sec_err *reterr);
/* `secd --routes`: every route of an MU, one per line: "METHOD PATH login|person|unit". */
void secd_api_print_routes(FILE *out);
int secd_repl_new(struct secd *d, struct secd_repl **ret);
void secd_repl_free(struct secd_repl *r);

#endif
