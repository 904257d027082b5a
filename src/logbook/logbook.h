/* logbook.h — events and audit entries in SQLite, the store every MU keeps (status.md §5,
 * §6; seed 2.3.2, 2.3.3; architecture.md §3 "events, audit entries").
 *
 * One database file per MU (WAL mode, synchronous=FULL: an append that returned survives
 * kill -9 and power loss). Every entry has an id unique in the cluster: (origin unit,
 * origin incarnation, sequence). A unit appends its own entries with lb_event_append() /
 * lb_audit_append(), which assign the next sequence of (self unit, self incarnation) and
 * return only after the commit. Entries of other units arrive through replication:
 * lb_*_insert() is idempotent (the id is the primary key: an entry already present is
 * neither stored nor shown twice). An MU that was away catches up by sending its
 * high-water marks (lb_marks()) to a peer, which answers with lb_*_after().
 *
 *     struct logbook *lb;
 *     if (lb_open("/var/lib/secluster/logbook.db", 3, incarnation, &lb, &err) < 0) ...
 *     struct lb_event ev = {.ts_ms = wall_ms, .weight = LB_WARNING};
 *     snprintf(ev.unit, ...); snprintf(ev.component, ...); snprintf(ev.msg, ...);
 *     lb_event_append(lb, &ev);                 // ev.id filled, durable on return
 *     ...
 *     lb = lb_close(lb);
 *
 * Threading: a synchronous API for the ONE SQLite thread of the daemon (architecture.md
 * §4). A struct logbook belongs to the thread that opened it; every call from another
 * thread fails with -EPERM and touches nothing. The daemon's loop thread reaches it
 * through a request queue (not part of this module yet).
 *
 * Errors: functions return >= 0 or -errno: -EINVAL for a bad argument, -EPERM for the wrong
 * thread, -EIO for an SQLite failure (the SQLite message in reterr where there is one),
 * -ENOMEM. Strings in entries are copied and cut to the field sizes below. */
#ifndef SEC_LOGBOOK_H
#define SEC_LOGBOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

#define LB_UNIT_MAX      64   /* bytes of a unit name, with the NUL */
#define LB_COMPONENT_MAX 16
#define LB_ACCOUNT_MAX   64
#define LB_MSG_MAX       1024

/* Weights, lowest first (status.md §5); filters use ">= weight". */
enum lb_weight {
	LB_DEBUG = 0,
	LB_INFO,
	LB_NOTICE,
	LB_WARNING,
	LB_ERROR,
	LB_CRITICAL,
	LB_EMERGENCY,
	LB_WEIGHT_MAX
};

/* Audit entry types (status.md §6). */
enum lb_audit_type {
	LB_AUDIT_START = 0,
	LB_AUDIT_OK,
	LB_AUDIT_FAILED,
	LB_AUDIT_LOGIN_OK,
	LB_AUDIT_LOGIN_FAILED,
	LB_AUDIT_LOGOUT,
	LB_AUDIT_TYPE_MAX
};

enum lb_kind { LB_KIND_EVENT = 0, LB_KIND_AUDIT, LB_KIND_MAX };

/* The cluster-unique id of an entry; also a high-water mark of one origin. seq >= 1. */
struct lb_id {
	uint32_t unit;        /* origin unit id (1..256) */
	uint64_t incarnation; /* origin incarnation (random per start of the unit) */
	uint64_t seq;         /* 1, 2, ... per (unit, incarnation) */
};

struct lb_event {
	struct lb_id id;
	int64_t ts_ms;                    /* wall clock, ms since the epoch (display only) */
	enum lb_weight weight;
	char unit[LB_UNIT_MAX];           /* where it happened / the master that detected it */
	char component[LB_COMPONENT_MAX]; /* Cluster, M2000, X2000, VM2000, Sys-Mgmt, SEM, CRD */
	char msg[LB_MSG_MAX];
	bool acked;                       /* read only: acknowledged on this MU */
};

struct lb_audit {
	struct lb_id id;
	int64_t ts_ms;
	char unit[LB_UNIT_MAX];
	char account[LB_ACCOUNT_MAX];
	char component[LB_COMPONENT_MAX];
	enum lb_audit_type type;
	char msg[LB_MSG_MAX];
};

/* Filters of the event and audit logging windows (seed 2.3.2, 2.3.3). NULL / 0 / -1 = no
 * filter. Strings match exactly, except text: a case-insensitive substring of the message. */
struct lb_filter {
	int64_t from_ms, to_ms;   /* period: from_ms <= ts_ms <= to_ms (0: open end) */
	int min_weight;           /* events: weight >= min_weight; -1 = any */
	const char *unit;
	const char *component;
	const char *text;
	const char *account;      /* audit only */
	int type;                 /* audit only: enum lb_audit_type; -1 = any */
	bool current;             /* events only: unacknowledged ones */
};
#define LB_FILTER_NONE {.min_weight = -1, .type = -1}

/* A page, newest first: "Total: total from all" (seed 2.3.2). */
struct lb_event_page {
	size_t n;
	struct lb_event *ev;      /* n entries, owned by the page */
	uint64_t total;           /* entries that match the filter */
	uint64_t all;             /* entries in the log */
};

struct lb_audit_page {
	size_t n;
	struct lb_audit *au;
	uint64_t total, all;
};

struct logbook;

/* Opens (creates) the database at path for the unit self_unit (1..256) in its incarnation
 * self_incarnation; the calling thread owns it from now on. Returns 0 and *ret, or -errno
 * with reterr naming the path. */
int lb_open(const char *path, uint32_t self_unit, uint64_t self_incarnation,
	    struct logbook **ret, struct sec_err *reterr);
/* Closes; accepts NULL; returns NULL. */
struct logbook *lb_close(struct logbook *lb);

/* Own entries: assigns ev->id = (self unit, self incarnation, next sequence) and commits
 * (fsync of the WAL) before returning 0. On failure nothing is stored and the sequence is
 * not used. */
int lb_event_append(struct logbook *lb, struct lb_event *ev, struct sec_err *reterr);
int lb_audit_append(struct logbook *lb, struct lb_audit *au, struct sec_err *reterr);

/* Replicated entries: returns 1 when stored, 0 when an entry with this id is present. */
int lb_event_insert(struct logbook *lb, const struct lb_event *ev, struct sec_err *reterr);
int lb_audit_insert(struct logbook *lb, const struct lb_audit *au, struct sec_err *reterr);

/* The high-water marks of this database for kind, one per origin (unit, incarnation): the
 * highest seq such that 1..seq are all present (a gap stops it, so a catch-up re-sends
 * from there). Writes at most max marks and returns the number of origins. */
int lb_marks(struct logbook *lb, enum lb_kind kind, struct lb_id *marks, size_t max);

/* What this database has after the peer's marks: every entry whose origin is in marks with
 * seq > its mark, and every entry of an origin not in marks; at most limit entries, in
 * (origin, seq) order. *ret (malloc'd, free() it) and *ret_n; 0 or -errno. */
int lb_events_after(struct logbook *lb, const struct lb_id *marks, size_t n_marks,
		    size_t limit, struct lb_event **ret, size_t *ret_n);
int lb_audit_after(struct logbook *lb, const struct lb_id *marks, size_t n_marks,
		   size_t limit, struct lb_audit **ret, size_t *ret_n);

/* Queries, newest first (ts_ms, then id), skipping offset matches, at most limit entries.
 * Release the page with lb_*_page_release(). */
int lb_event_query(struct logbook *lb, const struct lb_filter *f, size_t offset, size_t limit,
		   struct lb_event_page *ret);
int lb_audit_query(struct logbook *lb, const struct lb_filter *f, size_t offset, size_t limit,
		   struct lb_audit_page *ret);
void lb_event_page_release(struct lb_event_page *p);
void lb_audit_page_release(struct lb_audit_page *p);

/* Acknowledges every current event at once (seed 2.3.3: not one by one) and records who
 * and when (account, ts_ms). Returns the number acknowledged. */
int lb_ack_all(struct logbook *lb, const char *account, int64_t ts_ms, struct sec_err *reterr);
/* The last acknowledgement: account and time; 0, or -ENOENT when there was none. */
int lb_last_ack(struct logbook *lb, char account[LB_ACCOUNT_MAX], int64_t *ret_ts_ms);

/* For the dashboard tile: the number of unacknowledged events and their highest weight
 * (-1 when there is none). */
int lb_current_summary(struct logbook *lb, uint64_t *ret_count, int *ret_max_weight);

/* "DEBUG" ... "EMERGENCY"; "Start", "OK", "Failed", "Login successful", "Login failed",
 * "Logout"; "?" when out of range. */
const char *lb_weight_to_string(enum lb_weight w);
const char *lb_audit_type_to_string(enum lb_audit_type t);
/* The reverse (exact words); -EINVAL when unknown. */
int lb_weight_from_string(const char *s);

#endif
