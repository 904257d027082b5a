/* qmp_client.c — the recording QMP client of the unit tests (qmp_client.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "qmp_client.h"

static void on_tick(uv_timer_t *t)
{
}

void cl_init(struct cl *c)
{
	memset(c, 0, sizeof(*c));
	uv_loop_init(&c->loop);
	uv_timer_init(&c->loop, &c->tick);
	uv_timer_start(&c->tick, on_tick, 2, 2);
}

static void on_ready(void *arg, const json_t *version)
{
	struct cl *c = arg;
	char *s = version ? json_dumps(version, JSON_COMPACT) : NULL;

	c->ready++;
	snprintf(c->version, sizeof(c->version), "%s", s ? s : "");
	free(s);
}

static void on_event(void *arg, const struct qmp_event *ev)
{
	struct cl *c = arg;

	if (c->nev < CL_MAX) {
		struct cl_ev *e = &c->ev[c->nev];
		char *s = ev->data ? json_dumps(ev->data, JSON_COMPACT) : NULL;

		snprintf(e->name, sizeof(e->name), "%s", ev->name);
		snprintf(e->data, sizeof(e->data), "%s", s ? s : "");
		free(s);
		e->ts_us = ev->qemu_ts_us;
		e->recv_ns = ev->recv_ns;
	}
	c->nev++;
	if (c->free_in_event)
		c->q = qmp_free(c->q);
}

static void on_closed(void *arg, int err, const char *msg)
{
	struct cl *c = arg;

	c->nclosed++;
	c->closed_err = err;
	snprintf(c->closed_msg, sizeof(c->closed_msg), "%s", msg);
	if (c->free_in_closed)
		c->q = qmp_free(c->q);
}

void cl_done(void *arg, const struct qmp_reply *r)
{
	struct cl *c = arg;

	if (c->nrep < CL_MAX) {
		struct cl_rep *p = &c->rep[c->nrep];
		char *s = r->ret ? json_dumps(r->ret, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

		p->err = r->err;
		snprintf(p->cmd, sizeof(p->cmd), "%s", r->command);
		snprintf(p->cls, sizeof(p->cls), "%s", r->error_class);
		snprintf(p->desc, sizeof(p->desc), "%s", r->error_desc);
		snprintf(p->ret, sizeof(p->ret), "%s", s ? s : "");
		free(s);
		p->sent_ns = r->sent_ns;
		p->recv_ns = r->recv_ns;
	}
	c->nrep++;
	if (c->free_in_done == c->nrep)
		c->q = qmp_free(c->q);
}

int cl_connect(struct cl *c, const char *path, uint32_t timeout_ms)
{
	static const struct qmp_callbacks cb = { .ready = on_ready, .event = on_event,
						 .closed = on_closed };

	return qmp_new(&c->loop, path, timeout_ms, &cb, c, &c->q, NULL);
}

bool cl_run_until(struct cl *c, bool (*cond)(struct cl *), int ms)
{
	uint64_t end = clock_monotonic_ns() + (uint64_t)ms * NSEC_PER_MSEC;

	while (!cond(c)) {
		if (clock_monotonic_ns() > end)
			return false;
		uv_run(&c->loop, UV_RUN_ONCE);
	}
	return true;
}

int cl_fini(struct cl *c)
{
	c->q = qmp_free(c->q);
	uv_close((uv_handle_t *)&c->tick, NULL);
	uv_run(&c->loop, UV_RUN_DEFAULT); /* the qmp's handles close; nothing else is left */
	return uv_loop_close(&c->loop);	  /* UV_EBUSY: qmp left a handle open */
}

bool cl_is_ready(struct cl *c)
{
	return c->ready > 0;
}

bool cl_is_closed(struct cl *c)
{
	return c->nclosed > 0;
}
