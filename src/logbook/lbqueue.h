/* lbqueue.h — the SQLite thread of a daemon (architecture.md §4) and its request queue
 * (a lib/worker.h worker whose thread owns the logbook).
 *
 * lbq_start() starts one thread that opens the logbook (so that thread owns it, see
 * logbook.h) and runs jobs one after the other. The loop thread submits jobs and never
 * blocks on SQLite: lbq_submit() only takes a mutex held for a list operation. A job's
 * run() is called on the SQLite thread with the logbook; when it returns, the job moves to
 * the completion list and the eventfd lbq_fd() becomes readable; the loop thread (a
 * uv_poll on that fd) calls lbq_dispatch(), which calls each completed job's done() in
 * submission order.
 *
 *     struct my_append { struct lbq_job job; struct lb_event ev; int r; };
 *     static void run(struct logbook *lb, struct lbq_job *j) {
 *             struct my_append *a = (struct my_append *)j;   // job is the first member
 *             a->r = lb_event_append(lb, &a->ev, NULL);
 *     }
 *     static void done(struct lbq_job *j) { ... report, free ... }
 *     a->job.run = run; a->job.done = done;
 *     lbq_submit(q, &a->job);
 *     ... when lbq_fd(q) is readable: lbq_dispatch(q);
 *
 * The job memory belongs to the caller; the queue only links it until done() is called. */
#ifndef SEC_LBQUEUE_H
#define SEC_LBQUEUE_H

#include "lib/worker.h"
#include "logbook/logbook.h"

struct lbq_job {
	void (*run)(struct logbook *lb, struct lbq_job *job); /* SQLite thread */
	void (*done)(struct lbq_job *job);                    /* lbq_dispatch()'s thread; may be NULL */
	struct sec_worker_link link;                          /* internal */
};

struct lbq;

/* Starts the SQLite thread and opens path there (lb_open()'s arguments). Returns 0 once
 * the logbook is open, or lb_open()'s error (reterr filled) with no thread left. */
int lbq_start(const char *path, uint32_t self_unit, uint64_t self_incarnation,
	      struct lbq **ret, struct sec_err *reterr);

/* The eventfd (O_CLOEXEC | O_NONBLOCK) that is readable while completions wait. */
int lbq_fd(const struct lbq *q);

/* Queues job (run must be set). Returns 0, or -ESHUTDOWN after lbq_stop() began. */
int lbq_submit(struct lbq *q, struct lbq_job *job);

/* Calls done() of every completed job, in submission order; returns how many. Never blocks. */
int lbq_dispatch(struct lbq *q);

/* Runs the jobs still queued, closes the logbook, joins the thread, dispatches the last
 * completions on the calling thread and frees q. Accepts NULL; returns NULL. */
struct lbq *lbq_stop(struct lbq *q);

#endif
