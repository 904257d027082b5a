/* lease.h — the master lease of crd.md §5 (rules R0–R4) as a pure state machine.
 *
 * Seed: glossary "Master MU" (the Cluster Manager is active on exactly one MU).
 * The engine never does I/O and never reads a clock. A driver — the real disk threads
 * (src/crd/io.c) or the simulator (tests/sim) — calls crd_lease_tick() when the time
 * crd_lease_next_ns() has come, and crd_lease_complete() for every finished I/O, passing
 * the current CLOCK_BOOTTIME in ns. Both return I/O requests (struct crd_lease_io) that
 * the driver must carry out on the named disk, obeying these rules:
 *
 *  - at most one outstanding I/O per disk; a request for a disk whose previous I/O has
 *    timed out but not yet returned completes at once with -EAGAIN;
 *  - not_after_ns != 0: the request is issued only if now < not_after_ns, checked right
 *    before the syscall (R1); otherwise it completes with -ETIME and nothing is written;
 *  - issue_ns is taken right before the syscall, complete_ns right after it returned;
 *  - an I/O that has not returned io_timeout after its issue completes (for the engine)
 *    with -ETIMEDOUT and complete_ns = issue_ns + io_timeout, even if the syscall later
 *    lands; that later landing is not reported again. An I/O that did return, but
 *    io_timeout or more after its issue, is reported the same way: a successful result
 *    always has complete_ns − issue_ns < io_timeout.
 *
 * Disks are indices 0..ndisks-1 of the external disk set (N = ndisks, 1 or 2). The
 * engine needs, per the table of crd.md §5: acquire on every disk, keep while renewing on
 * at least one (N = 2) / on D1 (N = 1).
 *
 * Belief: crd_lease_held(l, now) is true exactly while the engine believes it is the Master
 * MU; the belief ends at crd_lease_valid_until() at the latest (R1: issue time of the last
 * successful renewal + lease_timeout − margin), or earlier on a step-down (R2).
 *
 * Forced claim (crd.md §5, `sectl cluster force-master`; N = 2 with a disk down, when no
 * master can be elected): crd_lease_force() asks the engine, while WATCHING, to claim on
 * the disks it can read instead of on every disk. It answers through crd_lease_force_get()
 * once a round of lease-block reads issued after the request has completed on every disk:
 * REFUSED when no block could be read, or when a block it read is not free by R0 (its
 * bytes changed within L, the holder's lease_timeout, never less than any MU advertises:
 * "a live lease"), or when a disk it cannot read now was live at its last successful read
 * less than L ago (a transient read failure does not hide a live lease); otherwise it claims (R3: term = 1 + the highest term seen) on the disks
 * it read, confirms after claim_delay like any claim, and is DONE once HELD (FAILED when
 * the claim was not confirmed). Held through a forced claim, the engine renews on every
 * disk as usual; a disk that was not part of the claim *joins* when it answers again: a
 * foreign record of a LOWER term found there (the former master's, from before the split)
 * is overwritten instead of making the holder step down, until a read shows the holder's
 * own record there; from then on R2 applies to that disk as to any other. */
#ifndef SEC_CRD_LEASE_H
#define SEC_CRD_LEASE_H

#include <stdbool.h>
#include <stdint.h>

#include "crd/ondisk.h"

enum crd_lease_state {
	CRD_LEASE_WATCHING = 1, /* reading the block, timing R0 */
	CRD_LEASE_CLAIMING,     /* R3 claim writes outstanding */
	CRD_LEASE_CLAIM_WAIT,   /* waiting claim_delay */
	CRD_LEASE_CONFIRMING,   /* re-reading after claim_delay */
	CRD_LEASE_HELD,         /* Master MU */
	CRD_LEASE_RELEASING,    /* R4 release writes outstanding */
	CRD_LEASE_STOPPED,      /* released or stopped; does nothing more */
	CRD_LEASE_STATE_MAX
};

enum crd_io_kind {
	CRD_IO_LEASE_READ = 1, /* read the lease block */
	CRD_IO_LEASE_WRITE,    /* write `rec` to the lease block */
	CRD_IO_R0_TERM_READ,   /* read both region-0 copy headers; report the highest term */
	CRD_IO_KIND_MAX
};

/* A request from the engine to the driver. */
struct crd_lease_io {
	uint32_t seq; /* echoed in the completion */
	int disk;
	enum crd_io_kind kind;
	struct crd_lease_rec rec; /* CRD_IO_LEASE_WRITE */
	uint64_t not_after_ns;    /* 0 = none */
};

/* A completion from the driver to the engine. */
struct crd_lease_done {
	uint32_t seq;
	int disk;
	enum crd_io_kind kind;
	int result; /* 0, -ETIMEDOUT, -ETIME (not issued), -EAGAIN (disk busy), other -errno */
	uint64_t issue_ns;
	uint64_t complete_ns;
	/* CRD_IO_LEASE_READ with result 0: */
	int decode;               /* crd_lease_in(): 0, -ENODATA (empty block), other < 0 damaged */
	struct crd_lease_rec rec; /* valid when decode == 0 */
	uint32_t raw_crc;         /* crd_block_ident() of the raw block: the bytes' identity (R0) */
	/* CRD_IO_R0_TERM_READ with result 0: */
	uint64_t r0_term;
};

/* Mutations the simulator uses to show that each rule is needed (tests/sim); all false in
 * production. */
struct crd_lease_mutations {
	bool no_r1;          /* renew and believe without the validity bound */
	bool r0_issue_time;  /* time R0 from the first read's issue and confirm by completion */
	bool n2_any_disk;    /* with N = 2, acquire on any one disk */
	bool late_release_trust; /* R0 as written: every released block is free at once */
	bool force_no_check;     /* a forced claim ignores live lease blocks (tests/sim) */
};

struct crd_lease_cfg {
	uint32_t unit_id;
	uint64_t incarnation;
	struct crd_timing timing; /* this MU's own, advertised as lease_ms in the block */
	int ndisks;               /* N: 1 or 2 */
	uint32_t max_lease_ms;    /* largest lease_timeout advertised in any MU slot (R0, CRC) */
	uint64_t seed;            /* for back-off jitter */
	struct crd_lease_mutations mut;
};

#define CRD_LEASE_IO_MAX 8 /* requests one call can return at most */

/* The state of a forced claim (see the top). */
enum crd_lease_force_state {
	CRD_FORCE_NONE = 0,  /* none asked (or cancelled) */
	CRD_FORCE_PENDING,   /* waiting for a round of reads issued after the request */
	CRD_FORCE_CLAIMING,  /* claimed on the disks read; confirming after claim_delay */
	CRD_FORCE_DONE,      /* HELD (term) */
	CRD_FORCE_REFUSED,   /* reason says why; nothing was written */
	CRD_FORCE_FAILED,    /* the claim was not confirmed (another claim); backed off */
	CRD_FORCE_STATE_MAX
};

enum crd_lease_force_reason {
	CRD_FORCE_R_NONE = 0,
	CRD_FORCE_R_NO_DISK,    /* no lease block could be read */
	CRD_FORCE_R_LIVE,       /* disk's lease block changed within L: a live lease */
	CRD_FORCE_R_NOT_CONFIRMED, /* FAILED: the claim was overwritten or not durable in time */
	CRD_FORCE_REASON_MAX
};

struct crd_lease_force {
	enum crd_lease_force_state state;
	enum crd_lease_force_reason reason;
	uint64_t requested_ns;
	/* R_LIVE: the disk, what its block held, and for how long its bytes have been seen
	 * unchanged against the L they need (ms) */
	int disk;
	bool unread;              /* that disk could not be read now: what it held when last read */
	int decode;               /* crd_lease_in() of that block (0: rec is valid) */
	struct crd_lease_rec rec;
	uint64_t unchanged_ms, needed_ms;
	/* CLAIMING / DONE: the disks claimed on (bit i = disk i) and the term */
	unsigned mask;
	uint64_t term;
};

struct crd_lease_disk_view {
	bool seen;               /* some read returned bytes */
	uint32_t raw_crc;        /* bytes last returned */
	uint64_t first_seen_ns;  /* completion (R0) of the first read that returned them */
	uint64_t free_issue_ns;  /* issue of the latest read that showed the block free; 0 none */
	struct crd_lease_rec rec;
	int decode;
	uint64_t r0_term;
	bool busy;               /* an I/O of ours is outstanding on this disk */
	bool write_ok;           /* the current round's write on this disk succeeded */
	uint64_t write_issue_ns;
	bool read_done;          /* the current round's read finished */
	/* the previous successful read, for the release fast path of R0 (decisions.md) */
	bool prev_ok;
	int prev_decode;
	struct crd_lease_rec prev_rec;
	uint64_t prev_issue_ns;
	/* the last read that returned the block (forced claim: a disk unreadable now that was
	 * live when last read within L still counts as live) */
	uint64_t last_ok_issue_ns;
	bool last_free;
};

struct crd_lease {
	struct crd_lease_cfg cfg;
	enum crd_lease_state state;
	uint64_t next_ns;       /* when crd_lease_tick() wants to run next */
	uint64_t valid_until;   /* R1 expiry while HELD (or being acquired) */
	uint64_t term;          /* our term while claiming / holding */
	uint64_t counter;       /* our counter while holding */
	uint64_t claim_read_issue_ns; /* oldest issue of the reads that showed "free" */
	unsigned claim_mask;      /* disks the claim was written to */
	uint64_t max_term_seen;   /* highest term this engine ever read or held (R3) */
	uint32_t seq;
	uint64_t rng;
	uint64_t held_since_ns;
	struct crd_lease_disk_view d[CRD_SET_DISKS_MAX];
	/* forced claim (see the top) */
	struct crd_lease_force force;
	bool force_read[CRD_SET_DISKS_MAX]; /* a read issued after the request completed */
	bool force_ok[CRD_SET_DISKS_MAX];   /* ... and returned the block */
	unsigned joined_mask;     /* HELD: disks where R2 applies fully (see "joins") */
	/* statistics, for logs and tests */
	uint64_t acquisitions, step_downs, expirations, backoffs;
};

const char *crd_lease_state_to_string(enum crd_lease_state s);

/* Starts the engine in WATCHING at time now (ns); the first tick is due at once. */
void crd_lease_init(struct crd_lease *l, const struct crd_lease_cfg *cfg, uint64_t now);
/* Timer: returns the number of requests written to out (<= out_max, which must be at
 * least CRD_LEASE_IO_MAX). */
int crd_lease_tick(struct crd_lease *l, uint64_t now, struct crd_lease_io *out, int out_max);
/* Completion of a request: same return convention as crd_lease_tick(). */
int crd_lease_complete(struct crd_lease *l, const struct crd_lease_done *d, uint64_t now,
		       struct crd_lease_io *out, int out_max);
/* R4: a clean shutdown; returns the release writes. After they complete: STOPPED. */
int crd_lease_release(struct crd_lease *l, uint64_t now, struct crd_lease_io *out, int out_max);
/* The earliest time the engine wants crd_lease_tick() (ns, CLOCK_BOOTTIME). */
uint64_t crd_lease_next_ns(const struct crd_lease *l);
/* True while this unit believes it is the Master MU (state HELD and now < valid_until). */
bool crd_lease_held(const struct crd_lease *l, uint64_t now);
/* R1 expiry of the current belief (ns); region-0 writes use it as their not_after. */
uint64_t crd_lease_valid_until(const struct crd_lease *l);
/* Term of the current belief (valid while held). */
uint64_t crd_lease_term(const struct crd_lease *l);

/* Asks for a forced claim (see the top) at time now. Returns 0 (PENDING; answered later
 * through crd_lease_force_get()), -EALREADY (HELD: this MU is the Master MU), -EBUSY (a
 * claim is under way: ask again after it), -ESHUTDOWN (released or stopping). A new
 * request replaces an answered one. The engine has no new I/O to issue: the next round of
 * WATCHING reads (at most renew_interval away) answers it. */
int crd_lease_force(struct crd_lease *l, uint64_t now);
/* The forced claim's state and result (a copy). */
struct crd_lease_force crd_lease_force_get(const struct crd_lease *l);
/* Withdraws a PENDING request (the caller gave up waiting); a claim already written is
 * not withdrawn. Back to NONE. */
void crd_lease_force_cancel(struct crd_lease *l);
const char *crd_lease_force_state_to_string(enum crd_lease_force_state s);

/* The external disk at index disk was replaced by another disk (online `sectl crd replace`,
 * crd.md §1): forgets everything seen on it (R0 starts again on the new disk's bytes) and,
 * while HELD, lets it join (see the top). An I/O still outstanding on the old disk keeps
 * the index busy until its completion arrives (the driver reports it as failed). */
void crd_lease_disk_reset(struct crd_lease *l, int disk);

#endif
