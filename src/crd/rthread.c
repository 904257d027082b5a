/* rthread.c — see rthread.h: a lib/worker.h worker whose jobs get the unit's disks. */
#include "crd/rthread.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

struct crd_rthread {
	struct sec_worker *w;
	struct crd_region_disks rd;
};

static struct crd_rjob *rjob_of(struct sec_worker_link *l)
{
	return (struct crd_rjob *)(void *)((char *)l - offsetof(struct crd_rjob, link));
}

static void rthread_run(void *arg, struct sec_worker_link *l)
{
	struct crd_rthread *t = arg;
	struct crd_rjob *j = rjob_of(l);

	j->run(j, &t->rd);
}

static void rthread_done(void *arg, struct sec_worker_link *l)
{
	struct crd_rjob *j = rjob_of(l);

	if (j->done)
		j->done(j);
}

static void rthread_cancel(void *arg, struct sec_worker_link *l)
{
	struct crd_rjob *j = rjob_of(l);

	j->cancelled = true;
	if (j->done)
		j->done(j);
}

int crd_rthread_start(const struct crd_region_disks *rd, struct crd_rthread **ret,
		      struct sec_err *reterr)
{
	struct crd_rthread *t = calloc(1, sizeof(*t));
	struct sec_worker_cfg cfg = {.name = "crd region", .run = rthread_run,
				     .done = rthread_done, .cancel = rthread_cancel};
	int r;

	if (!t)
		return sec_errf(reterr, -ENOMEM, "crd region thread: out of memory");
	t->rd = *rd;
	cfg.arg = t;
	if ((r = sec_worker_start(&cfg, &t->w, reterr)) < 0) {
		free(t);
		return r;
	}
	*ret = t;
	return 0;
}

int crd_rthread_fd(const struct crd_rthread *t)
{
	return sec_worker_fd(t->w);
}

int crd_rthread_submit(struct crd_rthread *t, struct crd_rjob *job)
{
	if (!job || !job->run)
		return -EINVAL;
	job->cancelled = false;
	return sec_worker_submit(t->w, &job->link);
}

int crd_rthread_dispatch(struct crd_rthread *t)
{
	return sec_worker_dispatch(t->w);
}

int crd_rthread_pending(const struct crd_rthread *t)
{
	return sec_worker_pending(t->w);
}

bool crd_rthread_stopping(struct crd_rthread *t)
{
	return sec_worker_stopping(t->w);
}

struct crd_rthread *crd_rthread_stop(struct crd_rthread *t)
{
	if (!t)
		return NULL;
	t->w = sec_worker_stop(t->w, false);
	free(t);
	return NULL;
}

/* The job of crd_rthread_set_disks(): runs on the region thread, between two jobs. */
struct set_disks_job {
	struct crd_rjob job; /* first member */
	struct crd_rthread *t;
	struct crd_region_disks rd;
};

static void set_disks_run(struct crd_rjob *j, const struct crd_region_disks *rd)
{
	struct set_disks_job *sj = (struct set_disks_job *)j;

	sj->t->rd = sj->rd;
}

static void set_disks_done(struct crd_rjob *j)
{
	free(j);
}

int crd_rthread_set_disks(struct crd_rthread *t, const struct crd_region_disks *rd)
{
	struct set_disks_job *sj = calloc(1, sizeof(*sj));
	int r;

	if (!sj)
		return -ENOMEM;
	sj->job.run = set_disks_run;
	sj->job.done = set_disks_done;
	sj->t = t;
	sj->rd = *rd;
	if ((r = crd_rthread_submit(t, &sj->job)) < 0)
		free(sj);
	return r;
}
