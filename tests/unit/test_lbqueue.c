/* test_lbqueue.c — the SQLite thread and its eventfd queue (architecture.md §4): jobs run on
 * one other thread, completions come back in order through the eventfd; also under TSan. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "logbook/lbqueue.h"

struct fx {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_lbqueue.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/lb.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char p[160];
	static const char *const sfx[] = {"", "-wal", "-shm"};
	for (int k = 0; k < 3; k++) {
		snprintf(p, sizeof(p), "%s%s", f->path, sfx[k]);
		unlink(p);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

struct append_job {
	struct lbq_job job; /* first member */
	struct lb_event ev;
	int r;
	pthread_t ran_on;
	int *done_order;
	int *n_done;
	int index;
};

static void append_run(struct logbook *lb, struct lbq_job *j)
{
	struct append_job *a = (struct append_job *)j;
	a->ran_on = pthread_self();
	a->r = lb_event_append(lb, &a->ev, NULL);
}

static void append_done(struct lbq_job *j)
{
	struct append_job *a = (struct append_job *)j;
	a->done_order[(*a->n_done)++] = a->index;
}

struct count_job {
	struct lbq_job job;
	uint64_t count;
	int max_weight;
	int r;
	bool done;
};

static void count_run(struct logbook *lb, struct lbq_job *j)
{
	struct count_job *c = (struct count_job *)j;
	c->r = lb_current_summary(lb, &c->count, &c->max_weight);
}

static void count_done(struct lbq_job *j)
{
	((struct count_job *)j)->done = true;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Waits on the eventfd (deadline 10 s) and dispatches until *n reaches want. */
static void wait_done(struct lbq *q, const int *n, int want)
{
	uint64_t deadline = now_ms() + 10000;
	while (*n < want) {
		uint64_t t = now_ms();
		if (t >= deadline)
			fail_msg("only %d of %d completions within 10 s", *n, want);
		struct pollfd p = {.fd = lbq_fd(q), .events = POLLIN};
		int r = poll(&p, 1, (int)(deadline - t));
		assert_true(r >= 0 || errno == EINTR);
		if (r > 0)
			lbq_dispatch(q);
	}
}

#define N_JOBS 200

static void test_jobs_on_the_sqlite_thread(void **state)
{
	struct fx *f = *state;
	struct lbq *q = NULL;
	struct sec_err err = {0};
	assert_int_equal(lbq_start(f->path, 1, 42, &q, &err), 0);
	struct append_job *jobs = calloc(N_JOBS, sizeof(*jobs));
	int order[N_JOBS], n_done = 0;
	for (int i = 0; i < N_JOBS; i++) {
		jobs[i].job.run = append_run;
		jobs[i].job.done = append_done;
		jobs[i].ev.weight = i % 2 ? LB_WARNING : LB_NOTICE;
		jobs[i].ev.ts_ms = i;
		snprintf(jobs[i].ev.msg, sizeof(jobs[i].ev.msg), "job %d", i);
		jobs[i].done_order = order;
		jobs[i].n_done = &n_done;
		jobs[i].index = i;
		assert_int_equal(lbq_submit(q, &jobs[i].job), 0);
	}
	wait_done(q, &n_done, N_JOBS);
	for (int i = 0; i < N_JOBS; i++) {
		assert_int_equal(order[i], i); /* completions in submission order */
		assert_int_equal(jobs[i].r, 0);
		assert_int_equal(jobs[i].ev.id.seq, (uint64_t)i + 1);
		assert_false(pthread_equal(jobs[i].ran_on, pthread_self()));
		assert_true(pthread_equal(jobs[i].ran_on, jobs[0].ran_on));
	}
	struct count_job c = {.job = {.run = count_run, .done = count_done}};
	assert_int_equal(lbq_submit(q, &c.job), 0);
	uint64_t deadline = now_ms() + 10000;
	while (!c.done) {
		struct pollfd p = {.fd = lbq_fd(q), .events = POLLIN};
		assert_true(now_ms() < deadline);
		if (poll(&p, 1, 100) > 0)
			lbq_dispatch(q);
	}
	assert_int_equal(c.r, 0);
	assert_int_equal(c.count, N_JOBS);
	assert_int_equal(c.max_weight, LB_WARNING);
	/* nothing left: dispatch returns 0 and does not block */
	assert_int_equal(lbq_dispatch(q), 0);
	struct lbq_job bad = {0};
	assert_int_equal(lbq_submit(q, &bad), -EINVAL);
	assert_null(lbq_stop(q));
	free(jobs);
}

/* lbq_stop() runs what is queued and calls every done(). */
static void test_stop_drains(void **state)
{
	struct fx *f = *state;
	struct lbq *q = NULL;
	assert_int_equal(lbq_start(f->path, 1, 43, &q, NULL), 0);
	struct append_job jobs[20];
	int order[20], n_done = 0;
	memset(jobs, 0, sizeof(jobs));
	for (int i = 0; i < 20; i++) {
		jobs[i].job.run = append_run;
		jobs[i].job.done = append_done;
		jobs[i].done_order = order;
		jobs[i].n_done = &n_done;
		jobs[i].index = i;
		jobs[i].ev.weight = LB_INFO;
		assert_int_equal(lbq_submit(q, &jobs[i].job), 0);
	}
	lbq_stop(q);
	assert_int_equal(n_done, 20);
	for (int i = 0; i < 20; i++)
		assert_int_equal(jobs[i].r, 0);
	assert_null(lbq_stop(NULL));
}

static void test_start_fails_cleanly(void **state)
{
	struct fx *f = *state;
	char bad[200];
	snprintf(bad, sizeof(bad), "%s/missing/lb.db", f->dir);
	struct lbq *q = NULL;
	struct sec_err err = {0};
	assert_int_equal(lbq_start(bad, 1, 1, &q, &err), -EIO);
	assert_null(q);
	assert_non_null(strstr(err.msg, bad));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_jobs_on_the_sqlite_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_drains, setup, teardown),
		cmocka_unit_test_setup_teardown(test_start_fails_cleanly, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
