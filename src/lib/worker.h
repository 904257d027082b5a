/* worker.h — one worker thread with a job queue and a completion eventfd, for blocking work
 * that the owner (an event loop) must never do itself (architecture.md §4: the loop thread
 * never blocks). Used by the SQLite thread (logbook/lbqueue.h) and a CRD unit's region
 * thread (crd/unit.h, crd_unit_region_submit).
 *
 * sec_worker_start() starts the thread, which first calls cfg->init (e.g. opens a database
 * there, so that thread owns it) and then runs the jobs one after the other, in submission
 * order: cfg->run(arg, job) on the worker thread. A finished job moves to the completion
 * list and the eventfd sec_worker_fd() becomes readable; the owner calls
 * sec_worker_dispatch(), which calls cfg->done(arg, job) of each finished job in submission
 * order, on the owner's thread. Jobs are linked through a struct sec_worker_link that the
 * caller embeds in its own job struct (container_of style):
 *
 *     struct my_job { struct sec_worker_link link; int r; };
 *     static void run(void *arg, struct sec_worker_link *l) {
 *             struct my_job *j = (struct my_job *)((char *)l - offsetof(struct my_job, link));
 *             j->r = blocking_call();
 *     }
 *     struct sec_worker_cfg cfg = {.name = "my worker", .run = run, .done = done};
 *     sec_worker_start(&cfg, &w, &err);
 *     sec_worker_submit(w, &job->link);
 *     ... when sec_worker_fd(w) is readable: sec_worker_dispatch(w);
 *     w = sec_worker_stop(w, true);
 *
 * The job memory belongs to the caller; the worker only links it from submit until done()
 * (or cancel()) was called. submit and dispatch only take a mutex held for a list
 * operation: they never block on a running job. Every function but run, init and fini is
 * called on the owner thread. */
#ifndef SEC_WORKER_H
#define SEC_WORKER_H

#include <stdbool.h>

#include "lib/err.h"

struct sec_worker_link {
	struct sec_worker_link *next; /* internal */
};

struct sec_worker_cfg {
	const char *name; /* for errors and the thread's name (first 15 bytes), e.g. "logbook" */
	void *arg;        /* passed to every callback */
	/* Optional, on the worker thread before the first job: < 0 makes sec_worker_start()
	 * fail with that value (reterr filled by init) and no thread is left. */
	int (*init)(void *arg, struct sec_err *reterr);
	void (*run)(void *arg, struct sec_worker_link *job);  /* worker thread; required */
	void (*done)(void *arg, struct sec_worker_link *job); /* owner thread; may be NULL */
	/* Optional: sec_worker_stop(w, false) calls it (on the stopping thread, in submission
	 * order, after every done()) for each job that was queued but not run. NULL: those
	 * jobs are run anyway, as with drain. */
	void (*cancel)(void *arg, struct sec_worker_link *job);
	/* Optional, on the worker thread after the last job (only when init succeeded). */
	void (*fini)(void *arg);
};

struct sec_worker;

/* Starts the thread and waits for cfg->init. cfg is copied. Returns 0 and *ret, or -errno
 * (-EINVAL without run; init's error; -ENOMEM, eventfd or pthread_create errors) with
 * reterr naming cfg->name. */
int sec_worker_start(const struct sec_worker_cfg *cfg, struct sec_worker **ret,
		     struct sec_err *reterr);

/* The eventfd (O_CLOEXEC | O_NONBLOCK), readable while finished jobs wait for dispatch. */
int sec_worker_fd(const struct sec_worker *w);

/* Queues job. Returns 0, -EINVAL for a NULL job, or -ESHUTDOWN once sec_worker_stop()
 * began. */
int sec_worker_submit(struct sec_worker *w, struct sec_worker_link *job);

/* Calls done() of every finished job in submission order; returns how many. Never blocks
 * on a running job. done() may submit new jobs and may free its job. */
int sec_worker_dispatch(struct sec_worker *w);

/* True once sec_worker_stop() began: a long run() may check it and give up early.
 * Thread-safe. */
bool sec_worker_stopping(struct sec_worker *w);

/* Jobs submitted and not yet dispatched (queued, running or finished). */
int sec_worker_pending(const struct sec_worker *w);

/* Stops: no submit is accepted from here; drain = true runs the jobs still queued, false
 * runs none of them (cancel(), see above) — the job that runs now always finishes first.
 * Then calls fini on the worker thread, joins it, dispatches the last done() on the calling
 * thread and frees w. Accepts NULL; returns NULL. */
struct sec_worker *sec_worker_stop(struct sec_worker *w, bool drain);

#endif
