/* test_worker.c — lib/worker.h: jobs run on one other thread in submission order, done()
 * comes back in that order on the dispatching thread through the eventfd; stop drains or
 * cancels what is still queued; init failures leave no thread. Also under TSan. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "lib/worker.h"

#define N_JOBS 100

struct job {
	struct sec_worker_link link;
	int index;
	int ran;          /* written by run() on the worker thread */
	pthread_t ran_on;
	int done;         /* 1 = done(), 2 = cancel() */
};

struct ctx {
	int order[N_JOBS + 8]; /* index of each done()/cancel(), in call order */
	int n;
	pthread_t owner;
	int ran_total;     /* worker thread only */
	atomic_int running; /* job 0 of the gate tests has started */
	struct sec_worker *w;
	int init_r;
	int inits, finis;   /* worker thread; read after stop/start returned */
	int resubmit_r;     /* what a submit from a done() during stop returned */
};

static struct job *job_of(struct sec_worker_link *l)
{
	return (struct job *)(void *)((char *)l - offsetof(struct job, link));
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void nap(void)
{
	struct timespec ts = {0, 1000000L};

	nanosleep(&ts, NULL);
}

static void run(void *arg, struct sec_worker_link *l)
{
	struct ctx *c = arg;
	struct job *j = job_of(l);

	j->ran = ++c->ran_total;
	j->ran_on = pthread_self();
}

/* Job 0 waits until sec_worker_stop() began, so the others are still queued then. */
static void run_gate(void *arg, struct sec_worker_link *l)
{
	struct ctx *c = arg;
	struct job *j = job_of(l);
	uint64_t end = now_ms() + 10000;

	if (j->index == 0) {
		atomic_store(&c->running, 1);
		while (!sec_worker_stopping(c->w) && now_ms() < end)
			nap();
	}
	run(arg, l);
}

static void done(void *arg, struct sec_worker_link *l)
{
	struct ctx *c = arg;
	struct job *j = job_of(l);

	assert_true(pthread_equal(pthread_self(), c->owner));
	j->done = 1;
	c->order[c->n++] = j->index;
}

static void done_resubmit(void *arg, struct sec_worker_link *l)
{
	struct ctx *c = arg;

	done(arg, l);
	c->resubmit_r = sec_worker_submit(c->w, l); /* during stop: refused */
}

static void cancel(void *arg, struct sec_worker_link *l)
{
	struct ctx *c = arg;
	struct job *j = job_of(l);

	j->done = 2;
	c->order[c->n++] = j->index;
}

static int init_ok(void *arg, struct sec_err *reterr)
{
	((struct ctx *)arg)->inits++;
	return 0;
}

static int init_fail(void *arg, struct sec_err *reterr)
{
	((struct ctx *)arg)->inits++;
	return sec_errf(reterr, -EACCES, "cannot open 'x': permission denied");
}

static void fini(void *arg)
{
	((struct ctx *)arg)->finis++;
}

/* Dispatches until n done() calls arrived (deadline 10 s), waiting on the eventfd. */
static void wait_done(struct ctx *c, int n)
{
	uint64_t deadline = now_ms() + 10000;

	while (c->n < n) {
		struct pollfd p = {.fd = sec_worker_fd(c->w), .events = POLLIN};
		uint64_t t = now_ms();
		if (t >= deadline)
			fail_msg("only %d of %d done() within 10 s", c->n, n);
		if (poll(&p, 1, (int)(deadline - t)) > 0)
			sec_worker_dispatch(c->w);
	}
}

static void test_order_of_done(void **state)
{
	static struct job jobs[N_JOBS];
	static struct ctx c;
	struct sec_worker_cfg cfg = {.name = "test worker", .arg = &c, .init = init_ok,
				     .run = run, .done = done, .fini = fini};
	struct sec_err err = {0};

	memset(&c, 0, sizeof(c));
	memset(jobs, 0, sizeof(jobs));
	c.owner = pthread_self();
	assert_int_equal(sec_worker_start(&cfg, &c.w, &err), 0);
	assert_int_equal(c.inits, 1);
	for (int i = 0; i < N_JOBS; i++) {
		jobs[i].index = i;
		assert_int_equal(sec_worker_submit(c.w, &jobs[i].link), 0);
	}
	assert_true(sec_worker_pending(c.w) > 0);
	wait_done(&c, N_JOBS);
	for (int i = 0; i < N_JOBS; i++) {
		assert_int_equal(c.order[i], i);     /* done() in submission order */
		assert_int_equal(jobs[i].ran, i + 1); /* run() in submission order */
		assert_false(pthread_equal(jobs[i].ran_on, pthread_self()));
		assert_true(pthread_equal(jobs[i].ran_on, jobs[0].ran_on));
	}
	assert_int_equal(sec_worker_pending(c.w), 0);
	assert_int_equal(sec_worker_dispatch(c.w), 0); /* nothing left, does not block */
	assert_int_equal(sec_worker_submit(c.w, NULL), -EINVAL);
	assert_false(sec_worker_stopping(c.w));
	assert_null(sec_worker_stop(c.w, true));
	assert_int_equal(c.finis, 1);
	assert_null(sec_worker_stop(NULL, true));
}

/* Starts a worker with run_gate and queues 10 jobs; returns once job 0 runs (and waits for
 * sec_worker_stop()), so jobs 1..9 are still queued. */
static void start_gated(struct ctx *c, struct job *jobs, void (*done_fn)(void *,
									 struct sec_worker_link *))
{
	struct sec_worker_cfg cfg = {.name = "test worker", .arg = c, .run = run_gate,
				     .done = done_fn, .cancel = cancel, .fini = fini};
	uint64_t end = now_ms() + 10000;

	memset(c, 0, sizeof(*c));
	memset(jobs, 0, 10 * sizeof(*jobs));
	c->owner = pthread_self();
	assert_int_equal(sec_worker_start(&cfg, &c->w, NULL), 0);
	for (int i = 0; i < 10; i++) {
		jobs[i].index = i;
		assert_int_equal(sec_worker_submit(c->w, &jobs[i].link), 0);
	}
	while (!atomic_load(&c->running) && now_ms() < end)
		nap();
	assert_true(atomic_load(&c->running));
}

/* Stop with jobs queued behind a running one: drain runs them all, then done() for each. */
static void test_stop_drains_pending(void **state)
{
	static struct job jobs[10];
	static struct ctx c;

	start_gated(&c, jobs, done_resubmit);
	sec_worker_stop(c.w, true);
	assert_int_equal(c.n, 10);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(c.order[i], i);
		assert_int_equal(jobs[i].ran, i + 1);
		assert_int_equal(jobs[i].done, 1);
	}
	assert_int_equal(c.resubmit_r, -ESHUTDOWN);
	assert_int_equal(c.finis, 1);
}

/* Stop with cancel: the running job finishes (done()), the queued ones never run and get
 * cancel() in submission order, after every done(). */
static void test_stop_cancels_pending(void **state)
{
	static struct job jobs[10];
	static struct ctx c;

	start_gated(&c, jobs, done);
	sec_worker_stop(c.w, false);
	assert_int_equal(c.n, 10);
	assert_int_equal(jobs[0].ran, 1);
	assert_int_equal(jobs[0].done, 1);
	for (int i = 0; i < 10; i++)
		assert_int_equal(c.order[i], i);
	for (int i = 1; i < 10; i++) {
		assert_int_equal(jobs[i].ran, 0);
		assert_int_equal(jobs[i].done, 2);
	}
	assert_int_equal(c.finis, 1);
}

static void test_init_failure(void **state)
{
	static struct ctx c;
	struct sec_worker_cfg cfg = {.name = "test worker", .arg = &c, .init = init_fail,
				     .run = run, .fini = fini};
	struct sec_worker *w = NULL;
	struct sec_err err = {0};

	memset(&c, 0, sizeof(c));
	assert_int_equal(sec_worker_start(&cfg, &w, &err), -EACCES);
	assert_null(w);
	assert_string_equal(err.msg, "cannot open 'x': permission denied");
	assert_int_equal(c.inits, 1);
	assert_int_equal(c.finis, 0);
	cfg.run = NULL;
	assert_int_equal(sec_worker_start(&cfg, &w, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "test worker"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_of_done),
		cmocka_unit_test(test_stop_drains_pending),
		cmocka_unit_test(test_stop_cancels_pending),
		cmocka_unit_test(test_init_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
