/* unit_priv.h — the state of one unit's CRD runtime, shared by unit.c (life cycle, alive
 * messages), unit_obs.c (the observer) and unit_disks.c (CRD status and resync). Not for
 * other modules. Every field is used on the owner thread only, except those under `lock`
 * (the completion queue filled by the disk threads) and the two region writers (region
 * thread only). */
#ifndef SEC_CRD_UNIT_PRIV_H
#define SEC_CRD_UNIT_PRIV_H

#include <pthread.h>

#include "crd/alive.h"
#include "crd/io.h"
#include "crd/unit.h"

#define UNIT_Q_MAX 16 /* completions waiting: at most N slot writes + N slot-area reads */
#define OBS_SLOTS_PER_READ (CRD_IO_CHUNK / CRD_BLOCK) /* 64 slots per piece */

enum unit_done_kind {
	UNIT_DONE_SLOT_WRITE = 1,
	UNIT_DONE_OBS_READ,
};

/* One completion handed from a disk thread to the owner. */
struct unit_done {
	enum unit_done_kind kind;
	int disk;
	int result;
	uint64_t issue_ns, complete_ns;
	struct crd_io_req *req; /* OBS_READ: a reference, dropped by the owner */
};

/* The observer's state of one external disk. */
struct unit_obs_disk {
	bool busy;          /* a round is being read */
	uint32_t next_part; /* the piece to read next (0-based) */
};

/* The CRD status side of one external disk (unit_disks.c). */
struct unit_disk {
	bool resyncing;    /* a resync job is queued or running */
	uint64_t epoch;    /* +1 on every failure: a resync of an older epoch does not count */
	uint64_t next_try_ns; /* STALE: when to (re)try the resync */
	bool failed[2];       /* [write]: the last read / write on it failed */
};

struct crd_unit {
	uint32_t unit_id;
	enum crd_unit_role role;
	int lock_fd;           /* the data directory, flock(LOCK_EX); -1 = none */
	struct crd_io *io;
	struct crd_leasedrv *dr; /* MU only */
	struct crd_region_disks rd;
	struct crd_alive_self me;  /* me.timing: what the next renewal advertises */
	struct crd_timing timing;  /* what the unit runs under */
	bool timing_pending;       /* me.timing differs from timing until a renewal lands */
	bool inflight_advertises;  /* the renewal in flight carries the pending timings */
	uint64_t counter;
	uint64_t next_slot_ns;
	int slot_pending;          /* slot writes outstanding (owner thread) */
	struct crd_slot last_slot; /* the slot being written (its own observer is fed from it) */
	uint32_t last_slot_ident;
	struct crd_renewals renewals;
	uint64_t renewals_ok;
	bool stopping, restarting, final_sent;
	bool freeing;              /* crd_unit_free() runs: done() of region jobs only frees */
	uint64_t stop_deadline_ns;
	/* completions from the disk threads */
	int efd;
	pthread_mutex_t lock;
	struct unit_done q[UNIT_Q_MAX];
	int qn;
	/* the observer (unit_obs.c) */
	bool observe;
	uint64_t next_obs_ns;
	struct unit_obs_disk obs_disk[CRD_SET_DISKS_MAX];
	struct crd_alive_obs *obs;  /* [CRD_UNITS_MAX], index unit id - 1 */
	bool *obs_fed;              /* [CRD_UNITS_MAX]: some read (or own write) was fed */
	uint64_t max_bound_ms;      /* the largest dead_bound advertised in any slot read */
	uint32_t max_lease_ms;      /* the largest lease_timeout advertised in any MU slot */
	/* CRD status and resync (unit_disks.c) */
	struct crd_status st;
	struct unit_disk disk[CRD_SET_DISKS_MAX];
	crd_unit_event_cb *event_cb;
	void *event_arg;
	struct crd_rthread *rt;
	struct crd_region_writer own_w, r0_w; /* region thread only */
	struct crd_unit_stats stats;
};

/* unit.c: queues a completion for the owner (any thread). */
void unit_queue_done(struct crd_unit *u, const struct unit_done *d);

/* unit_obs.c */
int unit_obs_init(struct crd_unit *u);
void unit_obs_free(struct crd_unit *u);
/* Starts a round on every disk that is not still reading the previous one. */
void unit_obs_round(struct crd_unit *u);
/* A completed slot-area piece (takes over d->req's reference). */
void unit_obs_read_done(struct crd_unit *u, const struct unit_done *d);
/* A completed write of the unit's own slot (u->last_slot). */
void unit_obs_own_write(struct crd_unit *u, const struct unit_done *d);

/* unit_disks.c */
int unit_disks_init(struct crd_unit *u, const struct crd_unit_cfg *cfg, struct sec_err *reterr);
/* The result of one of the unit's own I/Os on external disk i (0 = it answered); write:
 * a write (slot), else a read (slot area). A disk that failed a read and a write needs a
 * read and a write that succeed before it counts as probed. */
void unit_disks_io_result(struct crd_unit *u, int disk, int result, bool write);
/* Every crd_unit_run(): io.h's disk states, and resyncs that are due. */
void unit_disks_poll(struct crd_unit *u);

#endif
