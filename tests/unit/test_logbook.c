/* test_logbook.c — events and audit entries in SQLite (status.md §5, §6; seed 2.3.2, 2.3.3):
 * durability, idempotent replication, catch-up, filters and paging, acknowledge-all,
 * kill -9 during appends, the one-thread rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "logbook/logbook.h"

struct fx {
	char dir[64];
	char path[3][128];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_logbook.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	for (int i = 0; i < 3; i++)
		snprintf(f->path[i], sizeof(f->path[i]), "%s/lb%d.db", f->dir, i);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char p[160];
	for (int i = 0; i < 3; i++) {
		static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
		for (int k = 0; k < 4; k++) {
			snprintf(p, sizeof(p), "%s%s", f->path[i], sfx[k]);
			unlink(p);
		}
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static struct logbook *open_ok(const char *path, uint32_t unit, uint64_t inc)
{
	struct logbook *lb = NULL;
	struct sec_err err = {0};
	int r = lb_open(path, unit, inc, &lb, &err);
	if (r < 0)
		fail_msg("lb_open '%s': %d %s", path, r, err.msg);
	return lb;
}

static struct lb_id append(struct logbook *lb, int64_t ts, enum lb_weight w, const char *unit,
			   const char *comp, const char *msg)
{
	struct lb_event ev = {.ts_ms = ts, .weight = w};
	snprintf(ev.unit, sizeof(ev.unit), "%s", unit);
	snprintf(ev.component, sizeof(ev.component), "%s", comp);
	snprintf(ev.msg, sizeof(ev.msg), "%s", msg);
	struct sec_err err = {0};
	int r = lb_event_append(lb, &ev, &err);
	if (r != 0)
		fail_msg("append: %d %s", r, err.msg);
	return ev.id;
}

static uint64_t total_events(struct logbook *lb)
{
	struct lb_filter none = LB_FILTER_NONE;
	struct lb_event_page p;
	assert_int_equal(lb_event_query(lb, &none, 0, 0, &p), 0);
	uint64_t n = p.all;
	lb_event_page_release(&p);
	return n;
}

/* One replication round src → dst: dst's marks, src's entries after them. Returns inserted. */
static int replicate(struct logbook *src, struct logbook *dst)
{
	struct lb_id marks[16];
	int nm = lb_marks(dst, LB_KIND_EVENT, marks, 16);
	assert_true(nm >= 0 && nm <= 16);
	struct lb_event *ev;
	size_t n;
	assert_int_equal(lb_events_after(src, marks, (size_t)nm, 1000, &ev, &n), 0);
	int inserted = 0;
	for (size_t i = 0; i < n; i++) {
		int r = lb_event_insert(dst, &ev[i], NULL);
		assert_true(r == 0 || r == 1);
		inserted += r;
	}
	free(ev);
	return inserted;
}

/* Durability: a process appends and exits without lb_close (so without a checkpoint: the
 * events live only in the WAL); a new open sees them and continues the sequence. */
static void test_durable_without_checkpoint(void **state)
{
	struct fx *f = *state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct logbook *lb = NULL;
		if (lb_open(f->path[0], 1, 0xabcdef0123456789ull, &lb, NULL) < 0)
			_exit(2);
		for (int i = 0; i < 3; i++) {
			struct lb_event ev = {.ts_ms = 1000 + i, .weight = LB_NOTICE};
			snprintf(ev.msg, sizeof(ev.msg), "event %d", i);
			if (lb_event_append(lb, &ev, NULL) < 0 || ev.id.seq != (uint64_t)i + 1)
				_exit(3);
		}
		_exit(0); /* no lb_close: no checkpoint */
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	char wal[160];
	snprintf(wal, sizeof(wal), "%s-wal", f->path[0]);
	struct stat sb;
	assert_int_equal(stat(wal, &sb), 0);
	assert_true(sb.st_size > 0); /* the events are in the WAL, not checkpointed */

	struct logbook *lb = open_ok(f->path[0], 1, 0xabcdef0123456789ull);
	assert_int_equal(total_events(lb), 3);
	struct lb_id id = append(lb, 2000, LB_INFO, "mu1", "Cluster", "after reopen");
	assert_int_equal(id.seq, 4);
	assert_int_equal(id.incarnation, 0xabcdef0123456789ull);
	lb = lb_close(lb);
	/* a new incarnation starts its own sequence at 1 */
	lb = open_ok(f->path[0], 1, 77);
	id = append(lb, 3000, LB_INFO, "mu1", "M2000", "M2000 activated");
	assert_int_equal(id.seq, 1);
	assert_int_equal(total_events(lb), 5);
	assert_null(lb_close(lb));
}

/* Two MUs with interleaved own events replicate both ways: each ends with every event
 * once, with the same ids; repeating a round stores nothing. */
static void test_replication_idempotent(void **state)
{
	struct fx *f = *state;
	struct logbook *a = open_ok(f->path[0], 1, 111), *b = open_ok(f->path[1], 2, 222);
	append(a, 10, LB_NOTICE, "mu1", "Cluster", "a1");
	append(b, 11, LB_NOTICE, "mu2", "Cluster", "b1");
	append(a, 12, LB_NOTICE, "mu1", "Cluster", "a2");
	assert_int_equal(replicate(a, b), 2);
	append(b, 13, LB_NOTICE, "mu2", "Cluster", "b2");
	append(a, 14, LB_NOTICE, "mu1", "Cluster", "a3");
	assert_int_equal(replicate(a, b), 1);
	assert_int_equal(replicate(b, a), 2);
	assert_int_equal(replicate(a, b), 0);
	assert_int_equal(replicate(b, a), 0);
	assert_int_equal(total_events(a), 5);
	assert_int_equal(total_events(b), 5);
	/* a re-sent event is not stored twice */
	struct lb_event *ev;
	size_t n;
	assert_int_equal(lb_events_after(a, NULL, 0, 100, &ev, &n), 0);
	assert_int_equal(n, 5);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(lb_event_insert(b, &ev[i], NULL), 0);
	free(ev);
	/* same events, same ids, same order (newest first) on both */
	struct lb_filter none = LB_FILTER_NONE;
	struct lb_event_page pa, pb;
	assert_int_equal(lb_event_query(a, &none, 0, 10, &pa), 0);
	assert_int_equal(lb_event_query(b, &none, 0, 10, &pb), 0);
	assert_int_equal(pa.n, 5);
	assert_int_equal(pb.n, 5);
	static const char *const order[] = {"a3", "b2", "a2", "b1", "a1"};
	for (size_t i = 0; i < 5; i++) {
		assert_string_equal(pa.ev[i].msg, order[i]);
		assert_string_equal(pb.ev[i].msg, order[i]);
		assert_memory_equal(&pa.ev[i].id, &pb.ev[i].id, sizeof(struct lb_id));
	}
	lb_event_page_release(&pa);
	lb_event_page_release(&pb);
	struct lb_id m[4];
	assert_int_equal(lb_marks(b, LB_KIND_EVENT, m, 4), 2);
	assert_int_equal(m[0].unit, 1);
	assert_int_equal(m[0].incarnation, 111);
	assert_int_equal(m[0].seq, 3);
	assert_int_equal(m[1].unit, 2);
	assert_int_equal(m[1].seq, 2);
	lb_close(a);
	lb_close(b);
}

/* An MU that was away (and one that missed an event in the middle) catches up: the mark
 * stops at the gap, so the peer re-sends from there; nothing is lost or doubled. */
static void test_catch_up_after_gap(void **state)
{
	struct fx *f = *state;
	struct logbook *a = open_ok(f->path[0], 1, 5), *c = open_ok(f->path[2], 3, 6);
	struct lb_event *ev;
	size_t n;
	for (int i = 0; i < 6; i++) {
		char msg[16];
		snprintf(msg, sizeof(msg), "e%d", i + 1);
		append(a, 100 + i, LB_WARNING, "mu1", "Cluster", msg);
	}
	assert_int_equal(lb_events_after(a, NULL, 0, 100, &ev, &n), 0);
	assert_int_equal(n, 6);
	/* live pushes of 1, 2 and 4 arrive; 3 is lost */
	assert_int_equal(lb_event_insert(c, &ev[0], NULL), 1);
	assert_int_equal(lb_event_insert(c, &ev[1], NULL), 1);
	assert_int_equal(lb_event_insert(c, &ev[3], NULL), 1);
	free(ev);
	struct lb_id m[4];
	assert_int_equal(lb_marks(c, LB_KIND_EVENT, m, 4), 1);
	assert_int_equal(m[0].seq, 2);
	/* catch-up in pages of 2 */
	assert_int_equal(lb_events_after(a, m, 1, 2, &ev, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ev[0].id.seq, 3);
	assert_int_equal(ev[1].id.seq, 4);
	free(ev);
	assert_int_equal(replicate(a, c), 3); /* 3, 5, 6 (4 was present) */
	assert_int_equal(lb_marks(c, LB_KIND_EVENT, m, 4), 1);
	assert_int_equal(m[0].seq, 6);
	assert_int_equal(total_events(c), 6);
	assert_int_equal(replicate(a, c), 0);
	/* nothing of c's own yet; an origin c does not have at all is sent whole */
	append(c, 200, LB_INFO, "mu3", "M2000", "M2000 activated");
	assert_int_equal(replicate(c, a), 1);
	assert_int_equal(total_events(a), 7);
	lb_close(a);
	lb_close(c);
}

static const char *const units[] = {"mu1", "mu2", "su1"};
static const char *const comps[] = {"Cluster", "CRD", "M2000", "Sys-Mgmt"};

/* Filters (period, weight ≥, unit, component, text), newest first, paging "N from M". */
static void test_filters_and_paging(void **state)
{
	struct fx *f = *state;
	struct logbook *lb = open_ok(f->path[0], 1, 9);
	for (int i = 0; i < 40; i++) {
		char msg[64];
		snprintf(msg, sizeof(msg), "%s number %d", i % 5 == 0 ? "Master MU changed" : "VM", i);
		append(lb, 1000 + i * 10, (enum lb_weight)(i % LB_WEIGHT_MAX), units[i % 3],
		       comps[i % 4], msg);
	}
	struct lb_filter fl = LB_FILTER_NONE;
	struct lb_event_page p;
	/* all, first page of 32, newest first */
	assert_int_equal(lb_event_query(lb, &fl, 0, 32, &p), 0);
	assert_int_equal(p.n, 32);
	assert_int_equal(p.total, 40);
	assert_int_equal(p.all, 40);
	assert_int_equal(p.ev[0].ts_ms, 1390);
	for (size_t i = 1; i < p.n; i++)
		assert_true(p.ev[i - 1].ts_ms > p.ev[i].ts_ms);
	lb_event_page_release(&p);
	assert_int_equal(lb_event_query(lb, &fl, 32, 32, &p), 0);
	assert_int_equal(p.n, 8);
	assert_int_equal(p.ev[7].ts_ms, 1000);
	lb_event_page_release(&p);

	static const struct {
		const char *what;
		struct lb_filter f;
		uint64_t want;
	} rows[] = {
		{"period 1100..1190", {.from_ms = 1100, .to_ms = 1190, .min_weight = -1, .type = -1}, 10},
		{"from 1300", {.from_ms = 1300, .min_weight = -1, .type = -1}, 10},
		{"weight >= ERROR", {.min_weight = LB_ERROR, .type = -1}, 16},
		{"unit su1", {.unit = "su1", .min_weight = -1, .type = -1}, 13},
		{"component CRD", {.component = "CRD", .min_weight = -1, .type = -1}, 10},
		{"text 'master mu' (any case)", {.text = "master mu", .min_weight = -1, .type = -1}, 8},
		{"text 'number 3' substring", {.text = "number 3", .min_weight = -1, .type = -1}, 11},
		{"unit mu1 and component Cluster", {.unit = "mu1", .component = "Cluster",
						    .min_weight = -1, .type = -1}, 4},
		{"text with SQL wildcards is literal", {.text = "%", .min_weight = -1, .type = -1}, 0},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(lb_event_query(lb, &rows[i].f, 0, 5, &p), 0);
		if (p.total != rows[i].want)
			fail_msg("filter %s: Total: %llu from %llu, want %llu", rows[i].what,
				 (unsigned long long)p.total, (unsigned long long)p.all,
				 (unsigned long long)rows[i].want);
		assert_int_equal(p.all, 40);
		assert_int_equal(p.n, rows[i].want < 5 ? rows[i].want : 5);
		lb_event_page_release(&p);
	}
	lb_close(lb);
}

/* Acknowledge-all: one call for all current events, recorded with who and when; the
 * dashboard count and highest weight follow. */
static void test_ack_all(void **state)
{
	struct fx *f = *state;
	struct logbook *lb = open_ok(f->path[0], 1, 9);
	uint64_t count;
	int maxw;
	char who[LB_ACCOUNT_MAX];
	int64_t when;
	assert_int_equal(lb_last_ack(lb, who, &when), -ENOENT);
	assert_int_equal(lb_current_summary(lb, &count, &maxw), 0);
	assert_int_equal(count, 0);
	assert_int_equal(maxw, -1);
	append(lb, 1, LB_NOTICE, "mu1", "M2000", "M2000 deactivated");
	append(lb, 2, LB_WARNING, "mu2", "Cluster",
	       "Network heartbeat of unit 'mu1' changed from 'NORMAL' to 'NOT_ACCESSIBLE'");
	append(lb, 3, LB_INFO, "mu2", "Cluster", "x");
	assert_int_equal(lb_current_summary(lb, &count, &maxw), 0);
	assert_int_equal(count, 3);
	assert_string_equal(lb_weight_to_string((enum lb_weight)maxw), "WARNING");
	assert_int_equal(lb_ack_all(lb, "admin", 5000, NULL), 3);
	assert_int_equal(lb_current_summary(lb, &count, &maxw), 0);
	assert_int_equal(count, 0);
	assert_int_equal(maxw, -1);
	assert_int_equal(lb_last_ack(lb, who, &when), 0);
	assert_string_equal(who, "admin");
	assert_int_equal(when, 5000);
	struct lb_filter cur = LB_FILTER_NONE;
	cur.current = true;
	struct lb_event_page p;
	assert_int_equal(lb_event_query(lb, &cur, 0, 10, &p), 0);
	assert_int_equal(p.total, 0);
	assert_int_equal(p.all, 3);
	lb_event_page_release(&p);
	append(lb, 4, LB_ERROR, "mu2", "CRD", "y");
	assert_int_equal(lb_event_query(lb, &cur, 0, 10, &p), 0);
	assert_int_equal(p.total, 1);
	assert_false(p.ev[0].acked);
	lb_event_page_release(&p);
	assert_int_equal(lb_ack_all(lb, "johndoe", 6000, NULL), 1);
	assert_int_equal(lb_ack_all(lb, "johndoe", 6001, NULL), 0);
	lb_close(lb);
}

/* Audit entries (status.md §6): Start before, result after; filters by account and type;
 * replicated idempotently like events. */
static void test_audit(void **state)
{
	struct fx *f = *state;
	struct logbook *a = open_ok(f->path[0], 1, 1), *b = open_ok(f->path[1], 2, 2);
	struct lb_audit au = {.ts_ms = 100, .type = LB_AUDIT_LOGIN_OK};
	snprintf(au.unit, sizeof(au.unit), "bern");
	snprintf(au.account, sizeof(au.account), "johndoe");
	snprintf(au.component, sizeof(au.component), "SEM");
	snprintf(au.msg, sizeof(au.msg), "Login to SE Manager successful; Account=johndoe");
	assert_int_equal(lb_audit_append(a, &au, NULL), 0);
	assert_int_equal(au.id.seq, 1);
	au.ts_ms = 200;
	au.type = LB_AUDIT_START;
	snprintf(au.msg, sizeof(au.msg), "Action=Change individual settings; Session timeout=0");
	assert_int_equal(lb_audit_append(a, &au, NULL), 0);
	au.ts_ms = 201;
	au.type = LB_AUDIT_OK;
	snprintf(au.msg, sizeof(au.msg),
		 "Action=Change individual settings; Session timeout=0 --> changed successfully.");
	assert_int_equal(lb_audit_append(a, &au, NULL), 0);
	assert_int_equal(au.id.seq, 3);
	au.type = LB_AUDIT_TYPE_MAX;
	assert_int_equal(lb_audit_append(a, &au, NULL), -EINVAL);

	struct lb_id m[2];
	int nm = lb_marks(b, LB_KIND_AUDIT, m, 2);
	assert_int_equal(nm, 0);
	struct lb_audit *rows;
	size_t n;
	assert_int_equal(lb_audit_after(a, m, 0, 10, &rows, &n), 0);
	assert_int_equal(n, 3);
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < n; i++)
			assert_int_equal(lb_audit_insert(b, &rows[i], NULL), round == 0 ? 1 : 0);
	free(rows);

	struct lb_filter fl = LB_FILTER_NONE;
	fl.account = "johndoe";
	fl.type = LB_AUDIT_START;
	struct lb_audit_page p;
	assert_int_equal(lb_audit_query(b, &fl, 0, 32, &p), 0);
	assert_int_equal(p.total, 1);
	assert_int_equal(p.all, 3);
	assert_string_equal(lb_audit_type_to_string(p.au[0].type), "Start");
	lb_audit_page_release(&p);
	fl = (struct lb_filter)LB_FILTER_NONE;
	assert_int_equal(lb_audit_query(b, &fl, 0, 32, &p), 0);
	assert_string_equal(lb_audit_type_to_string(p.au[0].type), "OK"); /* newest first */
	assert_string_equal(lb_audit_type_to_string(p.au[2].type), "Login successful");
	lb_audit_page_release(&p);
	/* the event log is separate */
	assert_int_equal(total_events(b), 0);
	lb_close(a);
	lb_close(b);
}

/* kill -9 during appends loses no append that returned: the child reports each committed
 * sequence over a pipe after lb_event_append() returned; the parent kills it mid-stream. */
static void test_kill9_loses_no_returned_append(void **state)
{
	struct fx *f = *state;
	for (int trial = 0; trial < 3; trial++) {
		int fds[2];
		assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			struct logbook *lb = NULL;
			if (lb_open(f->path[0], 4, 4242 + (uint64_t)trial, &lb, NULL) < 0)
				_exit(2);
			for (;;) {
				struct lb_event ev = {.ts_ms = 1, .weight = LB_INFO};
				snprintf(ev.msg, sizeof(ev.msg), "append");
				if (lb_event_append(lb, &ev, NULL) < 0)
					_exit(3);
				if (write(fds[1], &ev.id.seq, sizeof(ev.id.seq)) != sizeof(ev.id.seq))
					_exit(4);
			}
		}
		close(fds[1]);
		uint64_t seq = 0, last = 0;
		int got = 0;
		while (got < 40 + 20 * trial &&
		       read(fds[0], &seq, sizeof(seq)) == (ssize_t)sizeof(seq)) {
			assert_int_equal(seq, last + 1);
			last = seq;
			got++;
		}
		assert_int_equal(kill(pid, SIGKILL), 0);
		/* drain what the child reported before it died */
		while (read(fds[0], &seq, sizeof(seq)) == (ssize_t)sizeof(seq))
			last = seq;
		close(fds[0]);
		int st;
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFSIGNALED(st));
		struct logbook *lb = open_ok(f->path[0], 9, 1);
		struct lb_id m[8];
		int nm = lb_marks(lb, LB_KIND_EVENT, m, 8);
		assert_int_equal(nm, trial + 1);
		int found = 0;
		for (int i = 0; i < nm; i++) {
			if (m[i].incarnation != 4242 + (uint64_t)trial)
				continue;
			found = 1;
			/* every reported sequence is present, without a hole */
			if (m[i].seq < last)
				fail_msg("trial %d: reported up to %llu, stored up to %llu", trial,
					 (unsigned long long)last, (unsigned long long)m[i].seq);
		}
		assert_true(found);
		lb_close(lb);
	}
}

struct thread_arg {
	struct logbook *lb;
	int r[3];
};

static void *other_thread(void *p)
{
	struct thread_arg *a = p;
	struct lb_event ev = {.weight = LB_INFO};
	a->r[0] = lb_event_append(a->lb, &ev, NULL);
	uint64_t c;
	int w;
	a->r[1] = lb_current_summary(a->lb, &c, &w);
	struct lb_id m[1];
	a->r[2] = lb_marks(a->lb, LB_KIND_EVENT, m, 1);
	return NULL;
}

/* architecture.md §4: one SQLite thread; a call from another thread is refused. */
static void test_one_thread(void **state)
{
	struct fx *f = *state;
	struct thread_arg a = {.lb = open_ok(f->path[0], 1, 1)};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, other_thread, &a), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(a.r[i], -EPERM);
	assert_int_equal(total_events(a.lb), 0);
	lb_close(a.lb);
}

static void test_strings_and_errors(void **state)
{
	struct fx *f = *state;
	static const char *const w[] = {"DEBUG", "INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL",
					"EMERGENCY"};
	for (int i = 0; i < LB_WEIGHT_MAX; i++) {
		assert_string_equal(lb_weight_to_string((enum lb_weight)i), w[i]);
		assert_int_equal(lb_weight_from_string(w[i]), i);
	}
	assert_int_equal(lb_weight_from_string("notice"), -EINVAL);
	static const char *const t[] = {"Start", "OK", "Failed", "Login successful", "Login failed",
					"Logout"};
	for (int i = 0; i < LB_AUDIT_TYPE_MAX; i++)
		assert_string_equal(lb_audit_type_to_string((enum lb_audit_type)i), t[i]);
	struct logbook *lb = NULL;
	struct sec_err err = {0};
	char bad[200];
	snprintf(bad, sizeof(bad), "%s/no/such/dir/x.db", f->dir);
	assert_int_equal(lb_open(bad, 1, 1, &lb, &err), -EIO);
	assert_non_null(strstr(err.msg, bad));
	assert_null(lb);
	lb = open_ok(f->path[0], 1, 1);
	struct lb_event ev = {.weight = LB_WEIGHT_MAX};
	assert_int_equal(lb_event_append(lb, &ev, NULL), -EINVAL);
	ev.weight = LB_INFO; /* the failed append did not use sequence 1 */
	assert_int_equal(lb_event_append(lb, &ev, NULL), 0);
	assert_int_equal(ev.id.seq, 1);
	ev.id.seq = 0;
	assert_int_equal(lb_event_insert(lb, &ev, NULL), -EINVAL);
	lb_close(lb);
	assert_null(lb_close(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_durable_without_checkpoint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replication_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catch_up_after_gap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filters_and_paging, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ack_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill9_loses_no_returned_append, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_strings_and_errors, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
