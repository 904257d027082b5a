/* logbook.c — open/close, own appends, replicated inserts and catch-up (status.md §5, §6). */
#include "logbook/lb_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS event(ounit INTEGER NOT NULL, oinc INTEGER NOT NULL,"
	" seq INTEGER NOT NULL, ts INTEGER NOT NULL, weight INTEGER NOT NULL,"
	" unit TEXT NOT NULL, component TEXT NOT NULL, message TEXT NOT NULL,"
	" acked INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(ounit, oinc, seq)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS event_ts ON event(ts);"
	"CREATE INDEX IF NOT EXISTS event_current ON event(acked, weight);"
	"CREATE TABLE IF NOT EXISTS audit(ounit INTEGER NOT NULL, oinc INTEGER NOT NULL,"
	" seq INTEGER NOT NULL, ts INTEGER NOT NULL, unit TEXT NOT NULL,"
	" account TEXT NOT NULL, component TEXT NOT NULL, type INTEGER NOT NULL,"
	" message TEXT NOT NULL, PRIMARY KEY(ounit, oinc, seq)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS audit_ts ON audit(ts);"
	"CREATE TABLE IF NOT EXISTS ack(id INTEGER PRIMARY KEY, ts INTEGER NOT NULL,"
	" account TEXT NOT NULL, count INTEGER NOT NULL);";

static const char *const table[LB_KIND_MAX] = {"event", "audit"};

const char *lb_weight_to_string(enum lb_weight w)
{
	static const char *const names[LB_WEIGHT_MAX] = {
		"DEBUG", "INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL", "EMERGENCY",
	};
	return (unsigned)w < LB_WEIGHT_MAX ? names[w] : "?";
}

int lb_weight_from_string(const char *s)
{
	for (int w = 0; w < LB_WEIGHT_MAX; w++)
		if (strcmp(s, lb_weight_to_string((enum lb_weight)w)) == 0)
			return w;
	return -EINVAL;
}

const char *lb_audit_type_to_string(enum lb_audit_type t)
{
	static const char *const names[LB_AUDIT_TYPE_MAX] = {
		"Start", "OK", "Failed", "Login successful", "Login failed", "Logout",
	};
	return (unsigned)t < LB_AUDIT_TYPE_MAX ? names[t] : "?";
}

int lb_check(const struct logbook *lb)
{
	if (!lb)
		return -EINVAL;
	return pthread_equal(lb->owner, pthread_self()) ? 0 : -EPERM;
}

int lb_prepare(struct logbook *lb, const char *sql, sqlite3_stmt **ret, struct sec_err *reterr)
{
	if (sqlite3_prepare_v2(lb->db, sql, -1, ret, NULL) != SQLITE_OK)
		return sec_errf(reterr, -EIO, "logbook '%s': %s", lb->path, sqlite3_errmsg(lb->db));
	return 0;
}

void lb_copy(char *dst, size_t size, const unsigned char *src)
{
	snprintf(dst, size, "%s", src ? (const char *)src : "");
}

void lb_event_from_row(sqlite3_stmt *st, struct lb_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->id.unit = (uint32_t)sqlite3_column_int64(st, 0);
	ev->id.incarnation = (uint64_t)sqlite3_column_int64(st, 1);
	ev->id.seq = (uint64_t)sqlite3_column_int64(st, 2);
	ev->ts_ms = sqlite3_column_int64(st, 3);
	ev->weight = (enum lb_weight)sqlite3_column_int(st, 4);
	lb_copy(ev->unit, sizeof(ev->unit), sqlite3_column_text(st, 5));
	lb_copy(ev->component, sizeof(ev->component), sqlite3_column_text(st, 6));
	lb_copy(ev->msg, sizeof(ev->msg), sqlite3_column_text(st, 7));
	ev->acked = sqlite3_column_int(st, 8) != 0;
}

void lb_audit_from_row(sqlite3_stmt *st, struct lb_audit *au)
{
	memset(au, 0, sizeof(*au));
	au->id.unit = (uint32_t)sqlite3_column_int64(st, 0);
	au->id.incarnation = (uint64_t)sqlite3_column_int64(st, 1);
	au->id.seq = (uint64_t)sqlite3_column_int64(st, 2);
	au->ts_ms = sqlite3_column_int64(st, 3);
	lb_copy(au->unit, sizeof(au->unit), sqlite3_column_text(st, 4));
	lb_copy(au->account, sizeof(au->account), sqlite3_column_text(st, 5));
	lb_copy(au->component, sizeof(au->component), sqlite3_column_text(st, 6));
	au->type = (enum lb_audit_type)sqlite3_column_int(st, 7);
	lb_copy(au->msg, sizeof(au->msg), sqlite3_column_text(st, 8));
}

int lb_exec(struct logbook *lb, const char *sql, struct sec_err *reterr)
{
	char *msg = NULL;
	if (sqlite3_exec(lb->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int r = sec_errf(reterr, -EIO, "logbook '%s': %s", lb->path,
				 msg ? msg : sqlite3_errmsg(lb->db));
		sqlite3_free(msg);
		return r;
	}
	return 0;
}

/* The highest seq of (self unit, self incarnation) in kind's table. */
static int load_next_seq(struct logbook *lb, enum lb_kind kind, struct sec_err *reterr)
{
	char sql[128];
	sqlite3_stmt *st;
	snprintf(sql, sizeof(sql), "SELECT COALESCE(MAX(seq), 0) FROM %s WHERE ounit=? AND oinc=?",
		 table[kind]);
	int r = lb_prepare(lb, sql, &st, reterr);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, lb->self_unit);
	sqlite3_bind_int64(st, 2, (int64_t)lb->self_inc);
	if (sqlite3_step(st) == SQLITE_ROW)
		lb->next_seq[kind] = (uint64_t)sqlite3_column_int64(st, 0) + 1;
	else
		r = sec_errf(reterr, -EIO, "logbook '%s': %s", lb->path, sqlite3_errmsg(lb->db));
	sqlite3_finalize(st);
	return r;
}

int lb_open(const char *path, uint32_t self_unit, uint64_t self_incarnation,
	    struct logbook **ret, struct sec_err *reterr)
{
	if (!path || !ret || self_unit == 0)
		return sec_errf(reterr, -EINVAL, "logbook: bad argument");
	struct logbook *lb = calloc(1, sizeof(*lb));
	if (!lb)
		return sec_errf(reterr, -ENOMEM, "logbook '%s': out of memory", path);
	lb->owner = pthread_self();
	lb->self_unit = self_unit;
	lb->self_inc = self_incarnation;
	snprintf(lb->path, sizeof(lb->path), "%s", path);
	int r;
	if (sqlite3_open_v2(path, &lb->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		r = sec_errf(reterr, -EIO, "logbook '%s': %s", path,
			     lb->db ? sqlite3_errmsg(lb->db) : "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(lb->db, 5000);
	if ((r = lb_exec(lb, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", reterr)) < 0 ||
	    (r = lb_exec(lb, schema, reterr)) < 0 || (r = load_next_seq(lb, LB_KIND_EVENT, reterr)) < 0 ||
	    (r = load_next_seq(lb, LB_KIND_AUDIT, reterr)) < 0)
		goto fail;
	/* WAL must really be on: synchronous=FULL in WAL mode is what makes a returned
	 * commit durable. */
	sqlite3_stmt *st;
	if ((r = lb_prepare(lb, "PRAGMA journal_mode", &st, reterr)) < 0)
		goto fail;
	bool wal = sqlite3_step(st) == SQLITE_ROW &&
		   strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
	sqlite3_finalize(st);
	if (!wal) {
		r = sec_errf(reterr, -EIO, "logbook '%s': cannot switch to WAL mode", path);
		goto fail;
	}
	*ret = lb;
	return 0;
fail:
	sqlite3_close(lb->db);
	free(lb);
	return r;
}

struct logbook *lb_close(struct logbook *lb)
{
	if (lb) {
		sqlite3_close(lb->db);
		free(lb);
	}
	return NULL;
}

static int step_done(struct logbook *lb, sqlite3_stmt *st, struct sec_err *reterr)
{
	int rc = sqlite3_step(st);
	int r = 0;
	if (rc != SQLITE_DONE)
		r = sec_errf(reterr, -EIO, "logbook '%s': %s", lb->path, sqlite3_errmsg(lb->db));
	else
		r = sqlite3_changes(lb->db) > 0 ? 1 : 0;
	sqlite3_finalize(st);
	return r;
}

static int event_store(struct logbook *lb, const struct lb_event *ev, bool own,
		       struct sec_err *reterr)
{
	if ((unsigned)ev->weight >= LB_WEIGHT_MAX || ev->id.seq == 0 || ev->id.unit == 0)
		return sec_errf(reterr, -EINVAL, "logbook: bad event id or weight");
	sqlite3_stmt *st;
	int r = lb_prepare(lb,
			   own ? "INSERT INTO event(" LB_EVENT_COLS ") VALUES(?,?,?,?,?,?,?,?,0)"
			       : "INSERT OR IGNORE INTO event(" LB_EVENT_COLS
				 ") VALUES(?,?,?,?,?,?,?,?,0)",
			   &st, reterr);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, ev->id.unit);
	sqlite3_bind_int64(st, 2, (int64_t)ev->id.incarnation);
	sqlite3_bind_int64(st, 3, (int64_t)ev->id.seq);
	sqlite3_bind_int64(st, 4, ev->ts_ms);
	sqlite3_bind_int(st, 5, ev->weight);
	sqlite3_bind_text(st, 6, ev->unit, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 7, ev->component, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 8, ev->msg, -1, SQLITE_TRANSIENT);
	return step_done(lb, st, reterr);
}

static int audit_store(struct logbook *lb, const struct lb_audit *au, bool own,
		       struct sec_err *reterr)
{
	if ((unsigned)au->type >= LB_AUDIT_TYPE_MAX || au->id.seq == 0 || au->id.unit == 0)
		return sec_errf(reterr, -EINVAL, "logbook: bad audit id or type");
	sqlite3_stmt *st;
	int r = lb_prepare(lb,
			   own ? "INSERT INTO audit(" LB_AUDIT_COLS ") VALUES(?,?,?,?,?,?,?,?,?)"
			       : "INSERT OR IGNORE INTO audit(" LB_AUDIT_COLS
				 ") VALUES(?,?,?,?,?,?,?,?,?)",
			   &st, reterr);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, au->id.unit);
	sqlite3_bind_int64(st, 2, (int64_t)au->id.incarnation);
	sqlite3_bind_int64(st, 3, (int64_t)au->id.seq);
	sqlite3_bind_int64(st, 4, au->ts_ms);
	sqlite3_bind_text(st, 5, au->unit, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6, au->account, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 7, au->component, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 8, au->type);
	sqlite3_bind_text(st, 9, au->msg, -1, SQLITE_TRANSIENT);
	return step_done(lb, st, reterr);
}

int lb_event_append(struct logbook *lb, struct lb_event *ev, struct sec_err *reterr)
{
	int r = lb_check(lb);
	if (r < 0)
		return sec_errf(reterr, r, "logbook: not the SQLite thread");
	struct lb_event e = *ev;
	e.id = (struct lb_id){lb->self_unit, lb->self_inc, lb->next_seq[LB_KIND_EVENT]};
	r = event_store(lb, &e, true, reterr);
	if (r < 0)
		return r;
	lb->next_seq[LB_KIND_EVENT]++;
	ev->id = e.id;
	ev->acked = false;
	return 0;
}

int lb_audit_append(struct logbook *lb, struct lb_audit *au, struct sec_err *reterr)
{
	int r = lb_check(lb);
	if (r < 0)
		return sec_errf(reterr, r, "logbook: not the SQLite thread");
	struct lb_audit a = *au;
	a.id = (struct lb_id){lb->self_unit, lb->self_inc, lb->next_seq[LB_KIND_AUDIT]};
	r = audit_store(lb, &a, true, reterr);
	if (r < 0)
		return r;
	lb->next_seq[LB_KIND_AUDIT]++;
	au->id = a.id;
	return 0;
}

int lb_event_insert(struct logbook *lb, const struct lb_event *ev, struct sec_err *reterr)
{
	int r = lb_check(lb);
	if (r < 0)
		return sec_errf(reterr, r, "logbook: not the SQLite thread");
	return event_store(lb, ev, false, reterr);
}

int lb_audit_insert(struct logbook *lb, const struct lb_audit *au, struct sec_err *reterr)
{
	int r = lb_check(lb);
	if (r < 0)
		return sec_errf(reterr, r, "logbook: not the SQLite thread");
	return audit_store(lb, au, false, reterr);
}

/* Per origin: the end of the contiguous run that starts at seq 1 (0 when seq 1 is absent). */
int lb_marks(struct logbook *lb, enum lb_kind kind, struct lb_id *marks, size_t max)
{
	int r = lb_check(lb);
	if (r < 0)
		return r;
	if ((unsigned)kind >= LB_KIND_MAX)
		return -EINVAL;
	char sql[512];
	snprintf(sql, sizeof(sql),
		 "SELECT o.ounit, o.oinc, CASE WHEN o.lo > 1 THEN 0 ELSE"
		 " (SELECT MIN(e.seq) FROM %s e WHERE e.ounit=o.ounit AND e.oinc=o.oinc AND"
		 "  NOT EXISTS (SELECT 1 FROM %s f WHERE f.ounit=e.ounit AND f.oinc=e.oinc AND"
		 "  f.seq=e.seq+1)) END"
		 " FROM (SELECT ounit, oinc, MIN(seq) AS lo FROM %s GROUP BY ounit, oinc) o"
		 " ORDER BY o.ounit, o.oinc",
		 table[kind], table[kind], table[kind]);
	sqlite3_stmt *st;
	if ((r = lb_prepare(lb, sql, &st, NULL)) < 0)
		return r;
	int n = 0, rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((size_t)n < max)
			marks[n] = (struct lb_id){(uint32_t)sqlite3_column_int64(st, 0),
						  (uint64_t)sqlite3_column_int64(st, 1),
						  (uint64_t)sqlite3_column_int64(st, 2)};
		n++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -EIO;
}

static uint64_t mark_of(const struct lb_id *marks, size_t n, uint32_t unit, uint64_t inc)
{
	for (size_t i = 0; i < n; i++)
		if (marks[i].unit == unit && marks[i].incarnation == inc)
			return marks[i].seq;
	return 0;
}

/* Scans kind's table in (origin, seq) order and keeps rows after the peer's marks. */
static int after(struct logbook *lb, enum lb_kind kind, const struct lb_id *marks,
		 size_t n_marks, size_t limit, void **ret, size_t *ret_n)
{
	int r = lb_check(lb);
	if (r < 0)
		return r;
	*ret = NULL;
	*ret_n = 0;
	size_t esz = kind == LB_KIND_EVENT ? sizeof(struct lb_event) : sizeof(struct lb_audit);
	char sql[256];
	snprintf(sql, sizeof(sql), "SELECT %s FROM %s ORDER BY ounit, oinc, seq",
		 kind == LB_KIND_EVENT ? LB_EVENT_COLS : LB_AUDIT_COLS, table[kind]);
	sqlite3_stmt *st;
	if ((r = lb_prepare(lb, sql, &st, NULL)) < 0)
		return r;
	unsigned char *out = NULL;
	size_t n = 0, cap = 0;
	int rc = SQLITE_DONE;
	while (n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint32_t u = (uint32_t)sqlite3_column_int64(st, 0);
		uint64_t inc = (uint64_t)sqlite3_column_int64(st, 1);
		uint64_t seq = (uint64_t)sqlite3_column_int64(st, 2);
		if (seq <= mark_of(marks, n_marks, u, inc))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			unsigned char *p = realloc(out, cap * esz);
			if (!p) {
				r = -ENOMEM;
				goto out;
			}
			out = p;
		}
		if (kind == LB_KIND_EVENT)
			lb_event_from_row(st, (struct lb_event *)(void *)(out + n * esz));
		else
			lb_audit_from_row(st, (struct lb_audit *)(void *)(out + n * esz));
		n++;
	}
	if (n < limit && rc != SQLITE_DONE)
		r = -EIO;
out:
	sqlite3_finalize(st);
	if (r < 0) {
		free(out);
		return r;
	}
	*ret = out;
	*ret_n = n;
	return 0;
}

int lb_events_after(struct logbook *lb, const struct lb_id *marks, size_t n_marks,
		    size_t limit, struct lb_event **ret, size_t *ret_n)
{
	void *p = NULL;
	int r = after(lb, LB_KIND_EVENT, marks, n_marks, limit, &p, ret_n);
	*ret = p;
	return r;
}

int lb_audit_after(struct logbook *lb, const struct lb_id *marks, size_t n_marks,
		   size_t limit, struct lb_audit **ret, size_t *ret_n)
{
	void *p = NULL;
	int r = after(lb, LB_KIND_AUDIT, marks, n_marks, limit, &p, ret_n);
	*ret = p;
	return r;
}
