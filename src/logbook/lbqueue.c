/* lbqueue.c — the SQLite thread and its request/completion queues (architecture.md §4). */
#include "logbook/lbqueue.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct jlist {
	struct lbq_job *head, *tail;
};

struct lbq {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct jlist todo, done; /* under mu */
	bool stopping;           /* under mu */
	int efd;
	/* start-up handshake */
	bool opened;             /* under mu */
	int open_r;
	struct sec_err open_err;
	const char *path;
	uint32_t unit;
	uint64_t inc;
};

static void jlist_push(struct jlist *l, struct lbq_job *j)
{
	j->next = NULL;
	if (l->tail)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
}

static struct lbq_job *jlist_take_all(struct jlist *l)
{
	struct lbq_job *h = l->head;
	l->head = l->tail = NULL;
	return h;
}

static void *sqlite_thread(void *arg)
{
	struct lbq *q = arg;
	struct logbook *lb = NULL;
	int r = lb_open(q->path, q->unit, q->inc, &lb, &q->open_err);
	pthread_mutex_lock(&q->mu);
	q->open_r = r;
	q->opened = true;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	if (r < 0)
		return NULL;
	for (;;) {
		pthread_mutex_lock(&q->mu);
		while (!q->todo.head && !q->stopping)
			pthread_cond_wait(&q->cv, &q->mu);
		struct lbq_job *j = q->todo.head;
		if (!j) { /* stopping and nothing left */
			pthread_mutex_unlock(&q->mu);
			break;
		}
		q->todo.head = j->next;
		if (!q->todo.head)
			q->todo.tail = NULL;
		pthread_mutex_unlock(&q->mu);

		j->run(lb, j);

		pthread_mutex_lock(&q->mu);
		jlist_push(&q->done, j);
		pthread_mutex_unlock(&q->mu);
		uint64_t one = 1;
		(void)!write(q->efd, &one, sizeof(one));
	}
	lb_close(lb);
	return NULL;
}

int lbq_start(const char *path, uint32_t self_unit, uint64_t self_incarnation,
	      struct lbq **ret, struct sec_err *reterr)
{
	struct lbq *q = calloc(1, sizeof(*q));
	if (!q)
		return sec_errf(reterr, -ENOMEM, "logbook '%s': out of memory", path);
	q->path = path;
	q->unit = self_unit;
	q->inc = self_incarnation;
	q->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->efd < 0) {
		int r = sec_errf(reterr, -errno, "logbook '%s': eventfd: %s", path, strerror(errno));
		free(q);
		return r;
	}
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	int r = pthread_create(&q->thread, NULL, sqlite_thread, q);
	if (r != 0) {
		r = sec_errf(reterr, -r, "logbook '%s': cannot start the SQLite thread", path);
		goto fail;
	}
	pthread_mutex_lock(&q->mu);
	while (!q->opened)
		pthread_cond_wait(&q->cv, &q->mu);
	r = q->open_r;
	pthread_mutex_unlock(&q->mu);
	if (r < 0) {
		pthread_join(q->thread, NULL);
		if (reterr)
			*reterr = q->open_err;
		goto fail;
	}
	q->path = NULL; /* not kept past the open */
	*ret = q;
	return 0;
fail:
	close(q->efd);
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	free(q);
	return r;
}

int lbq_fd(const struct lbq *q)
{
	return q->efd;
}

int lbq_submit(struct lbq *q, struct lbq_job *job)
{
	if (!job || !job->run)
		return -EINVAL;
	pthread_mutex_lock(&q->mu);
	if (q->stopping) {
		pthread_mutex_unlock(&q->mu);
		return -ESHUTDOWN;
	}
	jlist_push(&q->todo, job);
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return 0;
}

int lbq_dispatch(struct lbq *q)
{
	uint64_t v;
	(void)!read(q->efd, &v, sizeof(v)); /* reset; EAGAIN when nothing was signalled */
	pthread_mutex_lock(&q->mu);
	struct lbq_job *j = jlist_take_all(&q->done);
	pthread_mutex_unlock(&q->mu);
	int n = 0;
	while (j) {
		struct lbq_job *next = j->next; /* done() may free j */
		if (j->done)
			j->done(j);
		j = next;
		n++;
	}
	return n;
}

struct lbq *lbq_stop(struct lbq *q)
{
	if (!q)
		return NULL;
	pthread_mutex_lock(&q->mu);
	q->stopping = true;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->thread, NULL);
	lbq_dispatch(q);
	close(q->efd);
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	free(q);
	return NULL;
}
