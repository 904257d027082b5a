/* rthread.h — a unit's region thread: blocking region I/O (region.h) off the event loop.
 *
 * region.h's calls block until the disk threads (io.h) complete them, so they never run on
 * the owner's event loop. A unit has ONE region thread (docs/decisions.md "one region
 * thread per unit"): a lib/worker.h worker whose jobs get the unit's disks. The unit's own
 * jobs (the resync of a STALE disk, crd.md §3) and the caller's (crd_unit_region_submit)
 * run on it one after the other, so they never race on a region's writer
 * (crd_unit_region_writer). done() is called on the owner thread, in submission order,
 * from crd_unit_run() (the unit watches crd_rthread_fd() among crd_unit_fds()).
 *
 *     struct my_write { struct crd_rjob job; int r; ... };
 *     static void run(struct crd_rjob *j, const struct crd_region_disks *rd) {
 *             struct my_write *w = (struct my_write *)j;          // job is the first member
 *             w->r = crd_region_write(rd, ..., &err);
 *     }
 *     static void done(struct crd_rjob *j) { if (!j->cancelled) report(j); free(j); }
 *     w->job.run = run; w->job.done = done;
 *     crd_unit_region_submit(u, &w->job);
 *
 * The job memory belongs to the caller until done() was called. */
#ifndef SEC_CRD_RTHREAD_H
#define SEC_CRD_RTHREAD_H

#include <stdbool.h>

#include "crd/region.h"
#include "lib/err.h"
#include "lib/worker.h"

struct crd_rjob {
	void (*run)(struct crd_rjob *j, const struct crd_region_disks *rd); /* region thread */
	void (*done)(struct crd_rjob *j); /* owner thread (from crd_unit_run); may be NULL */
	/* Set before done() when the job was still queued when the thread stopped
	 * (crd_unit_free): run() was not called. */
	bool cancelled;
	struct sec_worker_link link; /* internal */
};

struct crd_rthread;

/* Starts the thread; rd is copied (its io must outlive the thread). Returns 0 and *ret, or
 * -errno with reterr. */
int crd_rthread_start(const struct crd_region_disks *rd, struct crd_rthread **ret,
		      struct sec_err *reterr);
/* The completion eventfd (POLLIN while done() calls wait). */
int crd_rthread_fd(const struct crd_rthread *t);
/* Queues job (run must be set). Returns 0, -EINVAL, or -ESHUTDOWN once stopping. */
int crd_rthread_submit(struct crd_rthread *t, struct crd_rjob *job);
/* The disks change (online replace, unit.h): jobs submitted after this call get rd (copied);
 * the job running now and those queued before keep the old copy. 0, -ENOMEM, -ESHUTDOWN. */
int crd_rthread_set_disks(struct crd_rthread *t, const struct crd_region_disks *rd);
/* Calls done() of the finished jobs in submission order; returns how many. */
int crd_rthread_dispatch(struct crd_rthread *t);
/* Jobs submitted whose done() has not been called yet. */
int crd_rthread_pending(const struct crd_rthread *t);
/* True once crd_rthread_stop() began (thread-safe: a long run() may give up early). */
bool crd_rthread_stopping(struct crd_rthread *t);
/* Lets the running job finish, cancels the queued ones (done() with cancelled set, on the
 * calling thread, in submission order), joins the thread. Accepts NULL; returns NULL. */
struct crd_rthread *crd_rthread_stop(struct crd_rthread *t);

#endif
