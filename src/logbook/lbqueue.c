/* lbqueue.c — the SQLite thread: a lib/worker.h worker that opens the logbook first and
 * closes it after the last job (architecture.md §4). */
#include "logbook/lbqueue.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

struct lbq {
	struct sec_worker *w;
	struct logbook *lb; /* used on the worker thread only */
	const char *path;   /* during lbq_start() only */
	uint32_t unit;
	uint64_t inc;
};

static struct lbq_job *lbq_job_of(struct sec_worker_link *l)
{
	return (struct lbq_job *)(void *)((char *)l - offsetof(struct lbq_job, link));
}

static int lbq_init(void *arg, struct sec_err *reterr)
{
	struct lbq *q = arg;

	return lb_open(q->path, q->unit, q->inc, &q->lb, reterr);
}

static void lbq_fini(void *arg)
{
	struct lbq *q = arg;

	q->lb = lb_close(q->lb);
}

static void lbq_run(void *arg, struct sec_worker_link *l)
{
	struct lbq *q = arg;
	struct lbq_job *j = lbq_job_of(l);

	j->run(q->lb, j);
}

static void lbq_done(void *arg, struct sec_worker_link *l)
{
	struct lbq_job *j = lbq_job_of(l);

	if (j->done)
		j->done(j);
}

int lbq_start(const char *path, uint32_t self_unit, uint64_t self_incarnation,
	      struct lbq **ret, struct sec_err *reterr)
{
	struct lbq *q = calloc(1, sizeof(*q));
	struct sec_worker_cfg cfg = {.name = "logbook", .init = lbq_init, .run = lbq_run,
				     .done = lbq_done, .fini = lbq_fini};
	int r;

	if (!q)
		return sec_errf(reterr, -ENOMEM, "logbook '%s': out of memory", path);
	q->path = path;
	q->unit = self_unit;
	q->inc = self_incarnation;
	cfg.arg = q;
	r = sec_worker_start(&cfg, &q->w, reterr);
	q->path = NULL; /* not kept past the open */
	if (r < 0) {
		free(q);
		return r;
	}
	*ret = q;
	return 0;
}

int lbq_fd(const struct lbq *q)
{
	return sec_worker_fd(q->w);
}

int lbq_submit(struct lbq *q, struct lbq_job *job)
{
	if (!job || !job->run)
		return -EINVAL;
	return sec_worker_submit(q->w, &job->link);
}

int lbq_dispatch(struct lbq *q)
{
	return sec_worker_dispatch(q->w);
}

struct lbq *lbq_stop(struct lbq *q)
{
	if (!q)
		return NULL;
	q->w = sec_worker_stop(q->w, true);
	free(q);
	return NULL;
}
