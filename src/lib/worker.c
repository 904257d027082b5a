/* worker.c — see worker.h. One mutex guards both lists and the flags; the worker thread
 * waits on cv for work or stop; callbacks run with no lock held. */
#include "lib/worker.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct wlist {
	struct sec_worker_link *head, *tail;
};

struct sec_worker {
	struct sec_worker_cfg cfg;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct wlist todo, done; /* under mu */
	bool stopping, drain;    /* under mu */
	int efd;
	int pending;             /* owner thread only: submitted, not yet dispatched */
	/* start-up handshake (under mu) */
	bool started;
	int init_r;
	struct sec_err init_err;
};

static void wlist_push(struct wlist *l, struct sec_worker_link *j)
{
	j->next = NULL;
	if (l->tail)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
}

static struct sec_worker_link *wlist_pop(struct wlist *l)
{
	struct sec_worker_link *j = l->head;

	if (j) {
		l->head = j->next;
		if (!l->head)
			l->tail = NULL;
	}
	return j;
}

static struct sec_worker_link *wlist_take_all(struct wlist *l)
{
	struct sec_worker_link *h = l->head;

	l->head = l->tail = NULL;
	return h;
}

/* Takes the next job to run, or NULL when stopping leaves nothing to run (mu held). */
static struct sec_worker_link *worker_next(struct sec_worker *w)
{
	while (!w->todo.head && !w->stopping)
		pthread_cond_wait(&w->cv, &w->mu);
	if (w->stopping && !w->drain && w->cfg.cancel)
		return NULL; /* the rest is cancelled by sec_worker_stop() */
	return wlist_pop(&w->todo);
}

static void *worker_main(void *arg)
{
	struct sec_worker *w = arg;
	struct sec_worker_link *j;
	char name[16];
	int r;

	snprintf(name, sizeof(name), "%s", w->cfg.name ? w->cfg.name : "worker");
	pthread_setname_np(pthread_self(), name);
	r = w->cfg.init ? w->cfg.init(w->cfg.arg, &w->init_err) : 0;
	pthread_mutex_lock(&w->mu);
	w->init_r = r;
	w->started = true;
	pthread_cond_broadcast(&w->cv);
	if (r < 0) {
		pthread_mutex_unlock(&w->mu);
		return NULL;
	}
	while ((j = worker_next(w))) {
		uint64_t one = 1;
		pthread_mutex_unlock(&w->mu);
		w->cfg.run(w->cfg.arg, j);
		pthread_mutex_lock(&w->mu);
		wlist_push(&w->done, j);
		if (write(w->efd, &one, sizeof(one)) < 0) {
			/* the counter cannot overflow here: dispatch resets it */
		}
	}
	pthread_mutex_unlock(&w->mu);
	if (w->cfg.fini)
		w->cfg.fini(w->cfg.arg);
	return NULL;
}

int sec_worker_start(const struct sec_worker_cfg *cfg, struct sec_worker **ret,
		     struct sec_err *reterr)
{
	const char *name = cfg->name ? cfg->name : "worker";
	struct sec_worker *w;
	int r;

	if (!cfg->run)
		return sec_errf(reterr, -EINVAL, "%s: no run function", name);
	w = calloc(1, sizeof(*w));
	if (!w)
		return sec_errf(reterr, -ENOMEM, "%s: out of memory", name);
	w->cfg = *cfg;
	w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->efd < 0) {
		r = sec_errf(reterr, -errno, "%s: eventfd: %s", name, strerror(errno));
		free(w);
		return r;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	r = pthread_create(&w->thread, NULL, worker_main, w);
	if (r != 0) {
		r = sec_errf(reterr, -r, "%s: cannot start the thread: %s", name, strerror(r));
		goto fail;
	}
	pthread_mutex_lock(&w->mu);
	while (!w->started)
		pthread_cond_wait(&w->cv, &w->mu);
	r = w->init_r;
	pthread_mutex_unlock(&w->mu);
	if (r < 0) {
		pthread_join(w->thread, NULL);
		if (reterr)
			*reterr = w->init_err;
		goto fail;
	}
	*ret = w;
	return 0;
fail:
	close(w->efd);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
	return r;
}

int sec_worker_fd(const struct sec_worker *w)
{
	return w->efd;
}

int sec_worker_submit(struct sec_worker *w, struct sec_worker_link *job)
{
	if (!job)
		return -EINVAL;
	pthread_mutex_lock(&w->mu);
	if (w->stopping) {
		pthread_mutex_unlock(&w->mu);
		return -ESHUTDOWN;
	}
	wlist_push(&w->todo, job);
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	w->pending++;
	return 0;
}

int sec_worker_dispatch(struct sec_worker *w)
{
	struct sec_worker_link *j;
	uint64_t v;
	int n = 0;

	if (read(w->efd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing was signalled */
	}
	pthread_mutex_lock(&w->mu);
	j = wlist_take_all(&w->done);
	pthread_mutex_unlock(&w->mu);
	while (j) {
		struct sec_worker_link *next = j->next; /* done() may free j */
		w->pending--;
		if (w->cfg.done)
			w->cfg.done(w->cfg.arg, j);
		j = next;
		n++;
	}
	return n;
}

bool sec_worker_stopping(struct sec_worker *w)
{
	bool s;

	pthread_mutex_lock(&w->mu);
	s = w->stopping;
	pthread_mutex_unlock(&w->mu);
	return s;
}

int sec_worker_pending(const struct sec_worker *w)
{
	return w->pending;
}

struct sec_worker *sec_worker_stop(struct sec_worker *w, bool drain)
{
	struct sec_worker_link *j;

	if (!w)
		return NULL;
	pthread_mutex_lock(&w->mu);
	w->stopping = true;
	w->drain = drain;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	sec_worker_dispatch(w);
	j = wlist_take_all(&w->todo); /* not run (cancel) */
	while (j) {
		struct sec_worker_link *next = j->next;
		w->pending--;
		w->cfg.cancel(w->cfg.arg, j);
		j = next;
	}
	close(w->efd);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
	return NULL;
}
