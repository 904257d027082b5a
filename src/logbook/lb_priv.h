/* lb_priv.h — internals shared by logbook.c and lbquery.c; not for other modules. */
#ifndef SEC_LB_PRIV_H
#define SEC_LB_PRIV_H

#include <pthread.h>
#include <sqlite3.h>

#include "logbook/logbook.h"

struct logbook {
	sqlite3 *db;
	pthread_t owner;
	uint32_t self_unit;
	uint64_t self_inc;
	uint64_t next_seq[LB_KIND_MAX];
	char path[256];
};

/* -EPERM unless called on the owning thread. */
int lb_check(const struct logbook *lb);
/* Prepares sql; -EIO with the SQLite message in reterr on failure. */
int lb_prepare(struct logbook *lb, const char *sql, sqlite3_stmt **ret, struct sec_err *reterr);
void lb_copy(char *dst, size_t size, const unsigned char *src);
/* Runs sql (no results) with sqlite3_exec; 0 or -EIO with reterr naming the logbook. */
int lb_exec(struct logbook *lb, const char *sql, struct sec_err *reterr);
/* Row → entry; columns: ounit, oinc, seq, ts, weight|account..., see LB_*_COLS. */
void lb_event_from_row(sqlite3_stmt *st, struct lb_event *ev);
void lb_audit_from_row(sqlite3_stmt *st, struct lb_audit *au);

#define LB_EVENT_COLS "ounit, oinc, seq, ts, weight, unit, component, message, acked"
#define LB_AUDIT_COLS "ounit, oinc, seq, ts, unit, account, component, type, message"

#endif
