/* httpc.c — the public functions of src/api/httpc.h: the calls of one unit, serialised per
 * destination unit (one in flight, the rest queued in order and signed when sent), their
 * completion (done() exactly once, from the loop) and the shutdown. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "api/httpc_priv.h"
#include "lib/log.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int httpc_new(uv_loop_t *loop, uint32_t self_unit, uint64_t self_incarnation,
	      const struct auth_key *cluster_key, struct httpc **ret, struct sec_err *reterr)
{
	struct httpc *c;
	int r;

	if (!loop || !cluster_key || !ret)
		return sec_errf(reterr, -EINVAL, "http client: missing loop, key or result");
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK)
		return sec_errf(reterr, -EIO, "http client: curl_global_init: %s",
				curl_easy_strerror(curl_init_rc));
	if (auth_init() < 0)
		return sec_errf(reterr, -EIO, "http client: libsodium cannot initialise");
	c = calloc(1, sizeof(*c));
	if (!c)
		return sec_errf(reterr, -ENOMEM, "http client: out of memory");
	if (auth_unitmsg_sender_init(&c->sender, self_unit, self_incarnation) < 0) {
		free(c);
		return sec_errf(reterr, -EINVAL,
				"http client: unit %u or incarnation 0 out of range (unit 1..%d, "
				"incarnation != 0)",
				self_unit, AUTH_UNITS_MAX);
	}
	c->loop = loop;
	c->key = *cluster_key;
	r = httpc_loop_init(c, reterr);
	if (r < 0) {
		auth_key_wipe(&c->key);
		free(c);
		return r;
	}
	*ret = c;
	return 0;
}

size_t httpc_pending(const struct httpc *c)
{
	return c ? c->npending : 0;
}

/* ---- the list of pending calls ---- */

static void calls_link(struct httpc *c, struct httpc_call *k)
{
	k->prev = c->calls_tail;
	if (c->calls_tail)
		c->calls_tail->next = k;
	else
		c->calls = k;
	c->calls_tail = k;
	c->npending++;
}

static void calls_unlink(struct httpc *c, struct httpc_call *k)
{
	if (k->prev)
		k->prev->next = k->next;
	else
		c->calls = k->next;
	if (k->next)
		k->next->prev = k->prev;
	else
		c->calls_tail = k->prev;
	k->prev = k->next = NULL;
	c->npending--;
}

/* Ends k: done() with res, then k is freed. While done() runs, k is still its unit's call
 * in flight, so a call made from done() to the same unit queues behind the calls already
 * queued; the caller starts the next one (dest_kick) afterwards. */
static void call_end(struct httpc_call *k, const struct httpc_result *res)
{
	struct httpc *c = k->c;

	if (k->state == HTTPC_CALL_RUNNING) /* out of curl before done() may free c */
		curl_multi_remove_handle(c->multi, k->easy);
	k->state = HTTPC_CALL_ENDED;
	calls_unlink(c, k);
	k->done(k->arg, res);
	if (k->to && c->dest[k->to].inflight == k)
		c->dest[k->to].inflight = NULL;
	httpc_call_free(k);
}

static void call_end_err(struct httpc_call *k, int err)
{
	struct httpc_result res;

	httpc_call_result_err(k, err, &res);
	call_end(k, &res);
}

/* ---- the queue of each unit ---- */

static void queue_push(struct httpc_dest *d, struct httpc_call *k)
{
	k->state = HTTPC_CALL_QUEUED;
	k->qnext = NULL;
	if (d->tail)
		d->tail->qnext = k;
	else
		d->head = k;
	d->tail = k;
}

static struct httpc_call *queue_pop(struct httpc_dest *d)
{
	struct httpc_call *k = d->head;

	if (k) {
		d->head = k->qnext;
		if (!d->head)
			d->tail = NULL;
		k->qnext = NULL;
	}
	return k;
}

static void queue_remove(struct httpc_dest *d, struct httpc_call *k)
{
	struct httpc_call **p = &d->head, *prev = NULL;

	while (*p && *p != k) {
		prev = *p;
		p = &(*p)->qnext;
	}
	if (!*p)
		return;
	*p = k->qnext;
	if (d->tail == k)
		d->tail = prev;
	k->qnext = NULL;
}

static void on_queue_timer(uv_timer_t *t);

/* Arms the queue timer for the earliest deadline of a queued call (a queued call times
 * out even while the call ahead of it is still waiting for its answer). */
static void queue_timer_arm(struct httpc *c)
{
	uint64_t first = UINT64_MAX, now = httpc_now_ms();

	for (struct httpc_call *k = c->calls; k; k = k->next)
		if (k->state == HTTPC_CALL_QUEUED && k->deadline_ms < first)
			first = k->deadline_ms;
	if (first == UINT64_MAX)
		uv_timer_stop(&c->queue_timer);
	else
		uv_timer_start(&c->queue_timer, on_queue_timer, first > now ? first - now : 0, 0);
}

static void on_queue_timer(uv_timer_t *t)
{
	struct httpc *c = t->data;

	while (!c->closing) {
		uint64_t now = httpc_now_ms();
		struct httpc_call *k = c->calls;

		while (k && !(k->state == HTTPC_CALL_QUEUED && k->deadline_ms <= now))
			k = k->next;
		if (!k)
			break;
		queue_remove(&c->dest[k->to], k);
		call_end_err(k, -ETIMEDOUT);
	}
	if (!c->closing)
		queue_timer_arm(c);
}

/* Starts the next queued call of unit `to` when none is in flight. A call that cannot
 * start ends with its error and the next one is tried. */
static void dest_kick(struct httpc *c, uint32_t to)
{
	struct httpc_dest *d = &c->dest[to];

	while (!c->closing && !d->inflight && d->head) {
		struct httpc_call *k = queue_pop(d);
		int r;

		d->inflight = k;
		r = httpc_call_start(k);
		if (r == 0)
			break;
		call_end_err(k, r);
	}
}

void httpc_transfer_done(struct httpc_call *k, CURLcode rc)
{
	struct httpc *c = k->c;
	struct httpc_result res;
	uint32_t to = k->to;

	httpc_call_result(k, rc, &res);
	call_end(k, &res);
	if (to)
		dest_kick(c, to);
}

/* ---- calls ---- */

int httpc_call(struct httpc *c, uint32_t to, const char *addr, const char *method, const char *path,
	       const void *body, size_t len, uint32_t timeout_ms, httpc_done_fn *done, void *arg)
{
	struct httpc_call *k;
	struct httpc_dest *d;
	int r;

	if (!c || to == 0 || to > AUTH_UNITS_MAX)
		return -EINVAL;
	if (c->closing)
		return -ECANCELED;
	r = httpc_call_new(c, addr, method, path, true, body, len, timeout_ms, done, arg, &k);
	if (r < 0)
		return r;
	k->to = to;
	d = &c->dest[to];
	if (d->inflight) {
		queue_push(d, k);
		calls_link(c, k);
		queue_timer_arm(c);
		return 0;
	}
	r = httpc_call_start(k);
	if (r < 0) {
		httpc_call_free(k);
		return r;
	}
	d->inflight = k;
	calls_link(c, k);
	return 0;
}

int httpc_forward(struct httpc *c, const char *addr, const char *method, const char *path_and_query,
		  const char *const *headers, size_t nheaders, const void *body, size_t len,
		  uint32_t timeout_ms, httpc_done_fn *done, void *arg)
{
	struct httpc_call *k;
	int r;

	if (!c)
		return -EINVAL;
	if (c->closing)
		return -ECANCELED;
	r = httpc_call_new(c, addr, method, path_and_query, true, body, len, timeout_ms, done, arg,
			   &k);
	if (r < 0)
		return r;
	r = httpc_call_add_headers(k, headers, nheaders);
	if (r == 0)
		r = httpc_call_start(k);
	if (r < 0) {
		httpc_call_free(k);
		return r;
	}
	calls_link(c, k);
	return 0;
}

/* ---- shutdown ---- */

void httpc_handle_closed(struct httpc *c)
{
	void (*done_all)(void *arg) = c->done_all;
	void *arg = c->done_all_arg;

	if (--c->handles > 0)
		return;
	auth_key_wipe(&c->key);
	free(c);
	if (done_all)
		done_all(arg);
}

void httpc_free(struct httpc *c, void (*done_all)(void *arg), void *arg)
{
	if (!c) {
		if (done_all)
			done_all(arg);
		return;
	}
	if (c->closing)
		return;
	c->closing = true;
	c->done_all = done_all;
	c->done_all_arg = arg;
	memset(c->dest, 0, sizeof(c->dest));
	while (c->calls)
		call_end_err(c->calls, -ECANCELED);
	httpc_loop_close(c);
}
