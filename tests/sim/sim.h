/* sim.h — the deterministic simulator of crd.md §5/§6 (testing.md tier "sim").
 *
 * One schedule = one world: fake global time in ns, an event queue (binary heap ordered by
 * time, then by insertion), 1 or 2 fake external disks and up to SIM_UNITS_MAX MUs, each
 * running a real `struct crd_lease` (src/crd/lease.c) plus a region-0 "devcount" client.
 * Everything random is drawn from the schedule's seed, so `crd-sim --seed S` replays a
 * schedule exactly. sim_world.c owns time, disks, per-(unit, disk) I/O channels and the
 * fault model; sim_mu.c owns the units, the belief intervals and the invariant checks;
 * main.c runs schedules, workers and the mutation proofs.
 *
 * Units of time: ns everywhere (SIM_MS(x) converts). A violation records a message and
 * stops the schedule; the caller replays the seed with tracing on to print the last
 * events. */
#ifndef SEC_SIM_H
#define SEC_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "crd/alive.h"
#include "crd/lease.h"
#include "crd/owner.h"

#define SIM_MS(x) ((uint64_t)(x) * 1000000ull)
#define SIM_NEVER UINT64_MAX
#define SIM_UNITS_MAX 4
#define SIM_DISKS 2
#define SIM_QUEUE_MAX 16
#define SIM_IOS_MAX 4096
#define SIM_EVENTS_MAX 8192
#define SIM_ACKS_MAX 2048
#define SIM_TRACE_LINES 400
#define SIM_VERS_MAX 40

enum sim_ev_type {
	SIM_EV_TICK = 1,  /* crd_lease_tick() of a unit */
	SIM_EV_DISPATCH,  /* a channel may start its next queued request */
	SIM_EV_SERVE,     /* an I/O samples its read / lands its write */
	SIM_EV_RETURN,    /* the "syscall" of an I/O returns (kernel side) */
	SIM_EV_TIMEOUT,   /* issue + io_timeout of an I/O that has not returned */
	SIM_EV_DELIVER,   /* hand a finished I/O to its unit (deferred while paused) */
	SIM_EV_PAUSE,     /* SIGSTOP a unit */
	SIM_EV_KILL,      /* kill -9 a unit */
	SIM_EV_RESTART,   /* start a new incarnation */
	SIM_EV_RELEASE,   /* clean shutdown (R4) */
	SIM_EV_INCR,      /* start a region-0 increment */
	SIM_EV_SPLIT,     /* two-site split: from now on each MU reaches one disk only */
	SIM_EV_SU_RENEW,  /* an SU renews its slot and reads its partner's */
	SIM_EV_GUARD,     /* an SU's guard checks fence_timeout */
	SIM_EV_FORCE,     /* the operator's force-master (gen 0: stop the other site first) */
	SIM_EV_HEAL,      /* the two-site split ends: every MU reaches both disks again */
	SIM_EV_TYPE_MAX
};

struct sim_ev {
	uint64_t t;
	uint64_t seq;
	uint16_t type;
	uint16_t unit;
	uint32_t arg; /* io index, disk or generation */
	uint32_t gen;
};

/* What an I/O request is. */
enum sim_op {
	SIM_OP_LEASE = 1, /* a struct crd_lease_io of the engine */
	SIM_OP_R0_READ,   /* region 0: read both copy headers (devcount client) */
	SIM_OP_R0_WRITE,  /* region 0: write one copy (devcount client) */
	SIM_OP_SLOT_WRITE, /* SU: write its own slot (val: counter in gen) */
	SIM_OP_SLOT_READ,  /* SU: read the slot of unit `target` */
	SIM_OP_REG_READ,   /* SU: read both copies of the region of unit `target` */
	SIM_OP_REG_WRITE,  /* SU: write copy `copy` of its own region (version `ver`) */
};

/* One copy of an SU region: generation and an index into the world's version pool. */
struct sim_regcopy {
	bool valid;
	uint64_t gen;
	int ver;
};

struct sim_slotblk {
	int state; /* 0 empty, 1 valid, 2 damaged */
	struct crd_slot s;
	uint32_t salt;
};

enum sim_fault {
	SIM_F_NONE = 0,
	SIM_F_FAIL,  /* -EIO, nothing lands */
	SIM_F_HANG,  /* returns after a long time or never; may land when it returns */
	SIM_F_TEAR,  /* the write lands partially (block damaged), -EIO */
	SIM_F_LATE,  /* -ETIMEDOUT at issue + io, the write lands seconds later */
	SIM_F_SLOW,  /* service time anywhere in [0, 1.5 x io_timeout] */
	SIM_F_STALE, /* region read returns an older copy */
	SIM_F_MAX
};

/* One copy of region 0 (header + the devcount payload). */
struct sim_r0copy {
	bool valid;
	uint64_t term, gen, count;
	uint32_t owner;
};

struct sim_disk {
	int lease_state; /* 0 empty, 1 valid record, 2 damaged (torn) */
	struct crd_lease_rec lease;
	uint32_t lease_salt; /* identity of damaged bytes */
	struct sim_r0copy r0[2];
	struct sim_r0copy r0_prev[2]; /* what a stale read returns */
	struct sim_slotblk slot[SIM_UNITS_MAX];
	struct sim_regcopy reg[SIM_UNITS_MAX][2];
};

struct sim_io {
	bool used;
	uint16_t unit;
	uint32_t inc; /* incarnation index of the unit that issued it */
	int disk;
	enum sim_op op;
	struct crd_lease_io req; /* SIM_OP_LEASE */
	int copy;                /* SIM_OP_R0_WRITE */
	struct sim_r0copy val;   /* SIM_OP_R0_WRITE */
	uint64_t not_after;
	enum sim_fault fault;
	uint64_t issue, serve, ret; /* ret == SIM_NEVER: never returns */
	uint32_t gen;               /* bumps when serve/ret move (pause before the syscall) */
	bool served, returned, timed_out, delivered, to_deliver;
	bool on_chan; /* issued on its channel (not -EAGAIN / -ETIME at once) */
	int result;
	/* sampled at serve time */
	int lease_state;
	struct crd_lease_rec lease;
	uint32_t raw;
	uint64_t r0_term;
	struct sim_r0copy r0[2];
	uint64_t complete; /* complete_ns reported */
	/* SU I/O */
	int target;
	struct crd_slot slot;    /* SLOT_WRITE: what to write; SLOT_READ: what was read */
	int slot_state;
	uint32_t slot_salt;
	struct sim_regcopy reg[2]; /* REG_READ: sampled; REG_WRITE: reg[0] is written */
};

/* Per-(unit, disk) faults, drawn per schedule. Probabilities in 1/1000 per I/O. */
struct sim_faults {
	uint16_t p[SIM_F_MAX];
	uint64_t out_from, out_to; /* an outage window: every I/O fails */
	bool unreachable;          /* two-site split: never reaches this disk */
};

struct sim_chan {
	int busy;  /* io index + 1, 0 = idle */
	bool zombie; /* the busy I/O timed out and has not returned */
	int q[SIM_QUEUE_MAX];
	int nq;
};

struct sim_incr {
	int phase; /* 0 idle, 1 reading, 2 writing A, 3 writing B */
	int pending;
	bool failed;
	uint64_t read_issue; /* earliest issue of its reads */
	struct sim_r0copy best;
	bool have_best;
	struct sim_r0copy val;
	int first[SIM_DISKS]; /* copy written first on each disk */
};

struct sim_unit {
	bool alive, paused;
	uint32_t inc; /* incarnation index (events of older ones are dropped) */
	uint64_t pause_until;
	struct crd_lease l;
	struct crd_lease_cfg cfg;
	uint32_t tick_gen;
	uint64_t tick_at;
	struct sim_chan ch[SIM_DISKS];
	struct sim_faults f[SIM_DISKS];
	/* belief of invariant 1 */
	bool believing;
	uint64_t belief_start, belief_until;
	struct sim_incr incr;
	uint32_t incr_gen;
};

/* An SU of the VM-ownership schedules (invariants 3, 4): one VM, two SUs. */
struct sim_su {
	struct crd_alive_self self;
	uint64_t counter;
	struct crd_renewals ren;
	bool renewed;          /* this incarnation renewed at least once */
	uint64_t guard_last;   /* the guard's last renewal issue time (0: none) */
	bool guest;            /* the VM's guest runs here */
	uint64_t guest_start, guest_stop;
	struct crd_alive_obs obs; /* of the partner */
	int own_ver;           /* committed own region (index into vers) */
	uint64_t own_gen;
	bool write_failed;     /* next write uses failed_gen + 2 (crd.md §3) */
	uint64_t failed_gen;
	int phase;             /* enum in sim_su.c */
	bool serving;
	uint64_t back_at;      /* when the partner read may be issued (3 x io after renewal) */
	int pending;
	bool failed;
	struct sim_regcopy best;
	bool have_best;
	int new_ver;
	uint64_t new_gen;
	struct crd_alive_verdict verdict; /* the dead verdict a RECOVER is based on */
};

struct sim_ack {
	uint64_t t;
	uint64_t count;
	uint64_t prefix_max; /* max count of acks [0..i] */
};

/* A schedule's shape. In the `force` argument of sim_run(), 0 / -1 mean "draw it". */
struct sim_opts {
	int nunits;    /* 2..SIM_UNITS_MAX */
	int ndisks;    /* N: 1 or 2 */
	int profile;   /* enum crd_profile: test or lab */
	int split;     /* 1: two-site split (N = 2) from split_at on */
	uint64_t split_at;
	uint64_t duration;
	struct crd_lease_mutations mut;
	bool r0_ab; /* devcount client writes copy A then B always (crd.md §3 read literally) */
	bool r0_tear_late; /* region-0 torn writes and late landings in one schedule */
	bool late_release; /* R4 release writes may land late (finding 1) */
	int su_mode;       /* 1: a VM-ownership schedule (2 SUs, no MU) */
	bool su_no_guard;  /* check: the guard never kills a guest */
	bool su_no_reconcile; /* check: a returning SU serves without reconciling */
	bool su_late_write; /* SU region writes may land late (finding 6) */
	int force;         /* 1: during the split the operator runs force-master (crd.md §5) */
	uint64_t force_at, heal_at;
	uint32_t force_disk; /* the disk the forcing site reaches */
};

struct sim_stats {
	uint64_t events, acquisitions, acks;
	uint64_t recovers, reconciles, fences; /* SU schedules */
	uint64_t forced; /* masters made by force-master */
};

struct sim_world {
	uint64_t seed;
	uint64_t rng;
	uint64_t now;
	uint64_t seq;
	struct sim_opts o;
	struct crd_timing timing;
	struct sim_ev heap[SIM_EVENTS_MAX];
	int nheap;
	struct sim_disk disk[SIM_DISKS];
	struct sim_io io[SIM_IOS_MAX];
	int io_free[SIM_IOS_MAX];
	int nio_free, io_hwm;
	struct sim_unit u[SIM_UNITS_MAX];
	struct sim_su su[SIM_UNITS_MAX];
	struct crd_owner_region vers[SIM_VERS_MAX];
	int nvers;
	struct sim_ack acks[SIM_ACKS_MAX];
	int nacks;
	uint64_t max_count_written;
	bool stale_on;  /* one (unit, disk) serves stale region reads */
	bool r0_tear;   /* region-0 writes may tear (else they may land late) */
	int stale_unit, stale_disk;
	int force_unit, force_tries; /* force-master: the MU asked, requests so far */
	bool failed;
	char why[512];
	bool trace;
	char tr[SIM_TRACE_LINES][160];
	int ntr;
	struct sim_stats st;
};

/* ---- sim_world.c ---- */
uint64_t sim_rand(struct sim_world *w);
/* uniform in [a, b] */
uint64_t sim_range(struct sim_world *w, uint64_t a, uint64_t b);
bool sim_chance(struct sim_world *w, unsigned per_mille);
void sim_push(struct sim_world *w, uint64_t t, int type, int unit, uint32_t arg, uint32_t gen);
bool sim_pop(struct sim_world *w, struct sim_ev *ret);
void sim_trace(struct sim_world *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sim_fail(struct sim_world *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Queues a request on the unit's channel to disk; lease I/O goes before region I/O.
 * Returns the I/O's index (the caller may fill target / slot / reg before any event
 * runs), or -1 when the simulator ran out of room (the schedule has failed). */
int sim_io_submit(struct sim_world *w, int unit, int disk, enum sim_op op,
		  const struct crd_lease_io *req, int copy, const struct sim_r0copy *val,
		  uint64_t not_after);
/* Event handlers of the I/O layer. */
void sim_io_event(struct sim_world *w, const struct sim_ev *e);
/* A unit was SIGSTOPped until `until`: I/Os not yet served may be held before the
 * syscall (their issue_ns was taken, the syscall runs after the pause). */
void sim_io_pause(struct sim_world *w, int unit, uint64_t until);
/* A unit died: forget its channels (its kernel I/O still lands). */
void sim_io_forget(struct sim_world *w, int unit);
void sim_io_free(struct sim_world *w, int idx);
const char *sim_op_name(const struct sim_io *io);

/* ---- sim_mu.c ---- */
void sim_units_start(struct sim_world *w);
void sim_unit_event(struct sim_world *w, const struct sim_ev *e);
/* An I/O of the unit finished (engine or devcount client). */
void sim_unit_done(struct sim_world *w, int idx);
/* SIM_EV_FORCE: the operator's force-master during the split (sim_mu.c). */
void sim_force_event(struct sim_world *w, const struct sim_ev *e);

/* ---- sim_su.c ---- */
void sim_sus_start(struct sim_world *w);
void sim_su_event(struct sim_world *w, const struct sim_ev *e);
void sim_su_done(struct sim_world *w, int idx);
void sim_su_kill(struct sim_world *w, int unit);
void sim_su_restart(struct sim_world *w, int unit);
void sim_sus_finish(struct sim_world *w);

/* ---- main.c / sim_run ---- */
/* Runs one schedule; returns 0 when every invariant held, -1 on a violation (w->why). */
int sim_run(struct sim_world *w, uint64_t seed, const struct sim_opts *force, bool trace);

#endif
