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
#include "crd/setpaths.h"
#include "crd/unit.h"

/* completions waiting: at most N slot writes + N slot-area reads + N superblock reads, and
 * as many again cancelled by an online replace's crd_io_detach() */
#define UNIT_Q_MAX 32
#define OBS_SLOTS_PER_READ (CRD_IO_CHUNK / CRD_BLOCK) /* 64 slots per piece */

enum unit_done_kind {
	UNIT_DONE_SLOT_WRITE = 1,
	UNIT_DONE_OBS_READ,
	UNIT_DONE_SB_READ, /* unit_set.c: superblocks and disk set paths of one disk */
};

/* One completion handed from a disk thread to the owner. */
struct unit_done {
	enum unit_done_kind kind;
	int disk;       /* position in the set (unit_completions maps io_disk to it) */
	int io_disk;    /* the io disk index the request went to */
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

/* The disk set as this unit uses it (unit_set.c; crd.md §1 online replace). Position i of
 * the set is io disk rd.ext[i] while in_use[i]; a position not in use has rd.ext[i] = -1. */
struct unit_set {
	crd_uuid cluster_id;
	struct crd_disk_set set;             /* the newest set this unit knows */
	crd_uuid disk_id[CRD_SET_DISKS_MAX]; /* the disk used at each position */
	bool in_use[CRD_SET_DISKS_MAX];
	char path[CRD_SET_DISKS_MAX][CRD_SETPATHS_PATH_MAX];
	bool unsafe_fs;
	uint64_t next_ns;                    /* next superblock round */
	bool busy[CRD_SET_DISKS_MAX];        /* a superblock read is out on that position */
	bool opening;                        /* a region job opens a disk of the set */
	bool replacing;                      /* crd_unit_replace() runs: no rounds */
	uint64_t warned_gen;                 /* a disk of this generation could not be used */
	struct crd_setpaths hint;            /* newest paths record read (generation 0: none) */
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
	crd_unit_renew_cb *renew_cb; /* cfg.renew_cb */
	void *renew_arg;
	struct crd_rthread *rt;
	struct crd_region_writer own_w, r0_w; /* region thread only */
	struct crd_unit_stats stats;
	struct unit_set set;        /* unit_set.c */
	char name[CRD_STATUS_NAME_MAX + 1]; /* for set-change events */
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
/* An MU between its claim and its first renewal as Master MU: no slot-area piece and no
 * superblock read goes in front of its lease I/O then (unit_obs.c, top). */
bool unit_lease_window(const struct crd_unit *u);

/* unit_set.c */
int unit_set_init(struct crd_unit *u, const struct crd_unit_cfg *cfg, const struct crd_sb *sb);
/* The position of io disk io_idx in the set, or -1 (a disk the unit stopped using). */
int unit_set_pos(const struct crd_unit *u, int io_idx);
/* Every crd_unit_run(): the superblock round when due (every renew_interval). */
void unit_set_poll(struct crd_unit *u);
void unit_set_read_done(struct crd_unit *u, const struct unit_done *d);
/* Stops using position pos at once (why: for the event). */
void unit_set_detach(struct crd_unit *u, int pos, const char *why);
/* Uses disk (owned from here) with disk id id at the free position pos. */
void unit_set_attach(struct crd_unit *u, int pos, const crd_uuid *id, const char *path,
		     struct crd_disk *disk);
/* An event of this unit (component CRD). */
void unit_event(struct crd_unit *u, enum crd_event_weight w, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* unit_disks.c */
int unit_disks_init(struct crd_unit *u, const struct crd_unit_cfg *cfg, struct sec_err *reterr);
/* The result of one of the unit's own I/Os on external disk i (0 = it answered); write:
 * a write (slot), else a read (slot area). A disk that failed a read and a write needs a
 * read and a write that succeed before it counts as probed. */
void unit_disks_io_result(struct crd_unit *u, int disk, int result, bool write);
/* Sets position disk's CRD status (an event when it changed); NOT_ACCESSIBLE voids a
 * running resync, STALE starts one. */
void unit_disks_set(struct crd_unit *u, int disk, enum crd_disk_status to);
/* Every crd_unit_run(): io.h's disk states, and resyncs that are due. */
void unit_disks_poll(struct crd_unit *u);

#endif
