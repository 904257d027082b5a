/* lbquery.c — the event and audit logging windows: filters, newest first, paging with
 * "Total: N from M", acknowledge-all and the dashboard summary (seed 2.3.2, 2.3.3). */
#include "logbook/lb_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A WHERE clause with its parameters, bound in order. */
struct where {
	char sql[512];
	size_t n;
	struct {
		bool is_text;
		int64_t i;
		const char *s;
	} arg[10];
};

static void where_add(struct where *w, const char *cond, bool is_text, int64_t i, const char *s)
{
	size_t len = strlen(w->sql);
	snprintf(w->sql + len, sizeof(w->sql) - len, "%s%s", len ? " AND " : " WHERE ", cond);
	w->arg[w->n].is_text = is_text;
	w->arg[w->n].i = i;
	w->arg[w->n].s = s;
	w->n++;
}

static void where_build(struct where *w, const struct lb_filter *f, enum lb_kind kind)
{
	memset(w, 0, sizeof(*w));
	if (!f)
		return;
	if (f->from_ms)
		where_add(w, "ts >= ?", false, f->from_ms, NULL);
	if (f->to_ms)
		where_add(w, "ts <= ?", false, f->to_ms, NULL);
	if (f->unit)
		where_add(w, "unit = ?", true, 0, f->unit);
	if (f->component)
		where_add(w, "component = ?", true, 0, f->component);
	if (f->text)
		where_add(w, "instr(lower(message), lower(?)) > 0", true, 0, f->text);
	if (kind == LB_KIND_EVENT) {
		if (f->min_weight >= 0)
			where_add(w, "weight >= ?", false, f->min_weight, NULL);
		if (f->current)
			where_add(w, "acked = ?", false, 0, NULL);
	} else {
		if (f->account)
			where_add(w, "account = ?", true, 0, f->account);
		if (f->type >= 0)
			where_add(w, "type = ?", false, f->type, NULL);
	}
}

static void where_bind(const struct where *w, sqlite3_stmt *st)
{
	for (size_t i = 0; i < w->n; i++) {
		if (w->arg[i].is_text)
			sqlite3_bind_text(st, (int)i + 1, w->arg[i].s, -1, SQLITE_STATIC);
		else
			sqlite3_bind_int64(st, (int)i + 1, w->arg[i].i);
	}
}

static int count(struct logbook *lb, const char *tbl, const struct where *w, uint64_t *ret)
{
	char sql[768];
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s%s", tbl, w ? w->sql : "");
	sqlite3_stmt *st;
	int r = lb_prepare(lb, sql, &st, NULL);
	if (r < 0)
		return r;
	if (w)
		where_bind(w, st);
	if (sqlite3_step(st) == SQLITE_ROW)
		*ret = (uint64_t)sqlite3_column_int64(st, 0);
	else
		r = -EIO;
	sqlite3_finalize(st);
	return r;
}

/* One query for both kinds: fills *ret_rows (malloc'd array of esz-byte entries). */
static int query(struct logbook *lb, enum lb_kind kind, const struct lb_filter *f,
		 size_t offset, size_t limit, void **ret_rows, size_t *ret_n, uint64_t *ret_total,
		 uint64_t *ret_all)
{
	int r = lb_check(lb);
	if (r < 0)
		return r;
	const char *tbl = kind == LB_KIND_EVENT ? "event" : "audit";
	size_t esz = kind == LB_KIND_EVENT ? sizeof(struct lb_event) : sizeof(struct lb_audit);
	struct where w;
	where_build(&w, f, kind);
	if ((r = count(lb, tbl, &w, ret_total)) < 0 || (r = count(lb, tbl, NULL, ret_all)) < 0)
		return r;
	char sql[1024];
	snprintf(sql, sizeof(sql),
		 "SELECT %s FROM %s%s ORDER BY ts DESC, ounit DESC, oinc DESC, seq DESC"
		 " LIMIT ? OFFSET ?",
		 kind == LB_KIND_EVENT ? LB_EVENT_COLS : LB_AUDIT_COLS, tbl, w.sql);
	sqlite3_stmt *st;
	if ((r = lb_prepare(lb, sql, &st, NULL)) < 0)
		return r;
	where_bind(&w, st);
	sqlite3_bind_int64(st, (int)w.n + 1, (int64_t)limit);
	sqlite3_bind_int64(st, (int)w.n + 2, (int64_t)offset);
	unsigned char *rows = limit ? calloc(limit, esz) : NULL;
	if (limit && !rows) {
		sqlite3_finalize(st);
		return -ENOMEM;
	}
	size_t n = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < limit) {
		if (kind == LB_KIND_EVENT)
			lb_event_from_row(st, (struct lb_event *)(void *)(rows + n * esz));
		else
			lb_audit_from_row(st, (struct lb_audit *)(void *)(rows + n * esz));
		n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		free(rows);
		return -EIO;
	}
	*ret_rows = rows;
	*ret_n = n;
	return 0;
}

int lb_event_query(struct logbook *lb, const struct lb_filter *f, size_t offset, size_t limit,
		   struct lb_event_page *ret)
{
	void *rows = NULL;
	memset(ret, 0, sizeof(*ret));
	int r = query(lb, LB_KIND_EVENT, f, offset, limit, &rows, &ret->n, &ret->total, &ret->all);
	ret->ev = rows;
	return r;
}

int lb_audit_query(struct logbook *lb, const struct lb_filter *f, size_t offset, size_t limit,
		   struct lb_audit_page *ret)
{
	void *rows = NULL;
	memset(ret, 0, sizeof(*ret));
	int r = query(lb, LB_KIND_AUDIT, f, offset, limit, &rows, &ret->n, &ret->total, &ret->all);
	ret->au = rows;
	return r;
}

void lb_event_page_release(struct lb_event_page *p)
{
	if (p) {
		free(p->ev);
		memset(p, 0, sizeof(*p));
	}
}

void lb_audit_page_release(struct lb_audit_page *p)
{
	if (p) {
		free(p->au);
		memset(p, 0, sizeof(*p));
	}
}

/* One transaction: mark every current event and record who and when. */
int lb_ack_all(struct logbook *lb, const char *account, int64_t ts_ms, struct sec_err *reterr)
{
	int r = lb_check(lb);
	if (r < 0)
		return sec_errf(reterr, r, "logbook: not the SQLite thread");
	if (!account)
		return sec_errf(reterr, -EINVAL, "logbook: acknowledge without an account");
	if ((r = lb_exec(lb, "BEGIN IMMEDIATE", reterr)) < 0)
		return r;
	sqlite3_stmt *st = NULL;
	int n = 0;
	if ((r = lb_prepare(lb, "UPDATE event SET acked = 1 WHERE acked = 0", &st, reterr)) < 0)
		goto rollback;
	if (sqlite3_step(st) != SQLITE_DONE) {
		r = sec_errf(reterr, -EIO, "logbook '%s': %s", lb->path, sqlite3_errmsg(lb->db));
		goto rollback;
	}
	n = sqlite3_changes(lb->db);
	sqlite3_finalize(st);
	st = NULL;
	if ((r = lb_prepare(lb, "INSERT INTO ack(ts, account, count) VALUES(?, ?, ?)", &st,
			    reterr)) < 0)
		goto rollback;
	sqlite3_bind_int64(st, 1, ts_ms);
	sqlite3_bind_text(st, 2, account, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, n);
	if (sqlite3_step(st) != SQLITE_DONE) {
		r = sec_errf(reterr, -EIO, "logbook '%s': %s", lb->path, sqlite3_errmsg(lb->db));
		goto rollback;
	}
	sqlite3_finalize(st);
	if ((r = lb_exec(lb, "COMMIT", reterr)) < 0) {
		st = NULL;
		goto rollback;
	}
	return n;
rollback:
	sqlite3_finalize(st);
	lb_exec(lb, "ROLLBACK", NULL);
	return r;
}

int lb_last_ack(struct logbook *lb, char account[LB_ACCOUNT_MAX], int64_t *ret_ts_ms)
{
	int r = lb_check(lb);
	if (r < 0)
		return r;
	sqlite3_stmt *st;
	if ((r = lb_prepare(lb, "SELECT account, ts FROM ack ORDER BY id DESC LIMIT 1", &st,
			    NULL)) < 0)
		return r;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		lb_copy(account, LB_ACCOUNT_MAX, sqlite3_column_text(st, 0));
		*ret_ts_ms = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

int lb_current_summary(struct logbook *lb, uint64_t *ret_count, int *ret_max_weight)
{
	int r = lb_check(lb);
	if (r < 0)
		return r;
	sqlite3_stmt *st;
	if ((r = lb_prepare(lb, "SELECT COUNT(*), COALESCE(MAX(weight), -1) FROM event"
				" WHERE acked = 0",
			    &st, NULL)) < 0)
		return r;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*ret_count = (uint64_t)sqlite3_column_int64(st, 0);
		*ret_max_weight = sqlite3_column_int(st, 1);
	} else {
		r = -EIO;
	}
	sqlite3_finalize(st);
	return r;
}
