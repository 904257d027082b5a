/* internal.c — calls between units (docs/api.md "Routes between units"; status.md §5, §6:
 * events and audit entries "replicated to every MU ... an MU that was away catches up; no
 * event is lost or shown twice").
 *
 * Replication is pull-based: every hb_interval each MU asks every other unit (MUs and
 * SUs: each keeps the entries it created) for what it has after this MU's high-water
 * marks (lb_marks), at most PULL_LIMIT entries per kind, and inserts them (idempotent: the
 * cluster-unique id is the primary key). One pull per peer at a time; a peer that is down
 * is asked again next interval, and the marks make the catch-up exact. */
#include "lib/log.h"
#include "secd/lbjson.h"
#include "secd/routes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PULL_LIMIT 500

/* ---- POST /api/v1/internal/snapshot ---- */

void secd_route_snapshot_in(struct api_req *r, void *arg)
{
	struct secd *d = arg;
	struct sec_err err = {0};
	json_t *j = api_req_json(r, &err);
	int rc;

	if (!j) {
		api_reply_error(r, 400, "bad_request", "%s", err.msg);
		return;
	}
	rc = secd_snapshot_receive(d, j, &err);
	json_decref(j);
	if (rc < 0)
		api_reply_error(r, 400, "bad_request", "%s", err.msg);
	else
		api_reply_json(r, 200, json_pack("{s:b}", "stored", rc == 0));
}

/* ---- POST /api/v1/internal/events/ack: an acknowledgement made on another MU ---- */

void secd_route_ack_in(struct api_req *r, void *arg)
{
	struct sec_err err = {0};
	json_t *j = api_req_json(r, &err);
	const char *account = j ? json_string_value(json_object_get(j, "account")) : NULL;
	int rc;

	if (!account || !*account || strlen(account) >= LB_ACCOUNT_MAX) {
		json_decref(j);
		api_reply_error(r, 400, "bad_request", "the body needs \"account\"");
		return;
	}
	rc = secd_ack_local(arg, account, NULL);
	json_decref(j);
	if (rc < 0)
		api_reply_error(r, 503, "unavailable", "the unit is stopping");
	else
		api_reply_json(r, 200, json_object());
}

static void ack_sent(void *arg, const struct httpc_result *res)
{
	if (res->err && res->err != -ECANCELED)
		log_debug("acknowledgement to another MU: %s", res->errmsg);
}

void secd_ack_propagate(struct secd *d, const char *account)
{
	json_t *b = json_pack("{s:s}", "account", account);
	char *text = b ? json_dumps(b, JSON_COMPACT) : NULL;

	json_decref(b);
	for (unsigned i = 0; text && i < d->global->n_units; i++) {
		const struct cluster_unit *u = &d->global->units[i];
		if (u->role == CRD_UNIT_MU && u->unit_id != d->cfg.unit_id)
			httpc_call(d->httpc, u->unit_id, u->api, "POST", "/api/v1/internal/events/ack",
				   text, strlen(text), 5000, ack_sent, NULL);
	}
	free(text);
}

/* ---- POST /api/v1/internal/logbook/pull (the answering side) ---- */

struct pull_job {
	struct lbq_job job; /* first */
	struct api_req *req;
	struct lb_id *em, *am;
	size_t nem, nam, limit;
	struct lb_event *ev;
	struct lb_audit *au;
	size_t nev, nau;
	int r;
};

static void pull_run(struct logbook *lb, struct lbq_job *j)
{
	struct pull_job *p = (struct pull_job *)j;

	p->r = lb_events_after(lb, p->em, p->nem, p->limit, &p->ev, &p->nev);
	if (p->r >= 0)
		p->r = lb_audit_after(lb, p->am, p->nam, p->limit, &p->au, &p->nau);
}

static void pull_done(struct lbq_job *j)
{
	struct pull_job *p = (struct pull_job *)j;
	json_t *ev = json_array(), *au = json_array();

	if (p->r < 0) {
		json_decref(ev);
		json_decref(au);
		api_reply_error(p->req, 500, "internal", "the logbook query failed (%s)",
				strerror(-p->r));
	} else {
		for (size_t i = 0; i < p->nev; i++)
			json_array_append_new(ev, lbj_event(&p->ev[i]));
		for (size_t i = 0; i < p->nau; i++)
			json_array_append_new(au, lbj_audit(&p->au[i]));
		api_reply_json(p->req, 200, json_pack("{s:o, s:o, s:b}", "events", ev, "audit", au,
						      "more", p->nev >= p->limit ||
								      p->nau >= p->limit));
	}
	free(p->ev);
	free(p->au);
	free(p->em);
	free(p->am);
	free(p);
}

void secd_route_logbook_pull(struct api_req *r, void *arg)
{
	struct secd *d = arg;
	struct sec_err err = {0};
	json_t *j = api_req_json(r, &err), *lim;
	struct pull_job *p;

	if (!j) {
		api_reply_error(r, 400, "bad_request", "%s", err.msg);
		return;
	}
	if (!(p = calloc(1, sizeof(*p)))) {
		json_decref(j);
		api_reply_error(r, 500, "internal", "out of memory");
		return;
	}
	lim = json_object_get(j, "limit");
	p->limit = json_is_integer(lim) && json_integer_value(lim) > 0 &&
				   json_integer_value(lim) <= 5000
			   ? (size_t)json_integer_value(lim)
			   : PULL_LIMIT;
	if (lbj_marks_in(json_object_get(j, "events"), &p->em, &p->nem) < 0 ||
	    lbj_marks_in(json_object_get(j, "audit"), &p->am, &p->nam) < 0) {
		json_decref(j);
		free(p->em);
		free(p);
		api_reply_error(r, 400, "bad_request", "\"events\" and \"audit\" must be lists of "
				"marks {\"unit\", \"incarnation\", \"seq\"}");
		return;
	}
	json_decref(j);
	p->req = r;
	p->job.run = pull_run;
	p->job.done = pull_done;
	if (lbq_submit(d->lbq, &p->job) < 0) {
		free(p->em);
		free(p->am);
		free(p);
		api_reply_error(r, 503, "unavailable", "the unit is stopping");
	}
}

/* ---- replication (the asking side) ---- */

struct peer_state {
	bool busy;
	bool more; /* the last answer said there is more: ask again at once */
};

struct secd_repl {
	struct secd *d;
	uv_timer_t timer;
	struct peer_state peer[CRD_UNITS_MAX + 1];
};

/* One pull from one peer: marks (SQLite thread) -> call -> insert (SQLite thread). */
struct pull {
	struct lbq_job job; /* first */
	struct secd_repl *rp;
	uint32_t to;
	int stage;          /* 0 marks, 1 insert */
	struct lb_id em[CRD_UNITS_MAX * 4], am[CRD_UNITS_MAX * 4];
	int nem, nam;
	json_t *answer;
	int inserted;
};

static void pull_free(struct pull *p)
{
	p->rp->peer[p->to].busy = false;
	json_decref(p->answer);
	free(p);
}

static void repl_insert_run(struct logbook *lb, struct lbq_job *j)
{
	struct pull *p = (struct pull *)j;
	json_t *ev = json_object_get(p->answer, "events"), *au = json_object_get(p->answer, "audit");
	struct lb_event e;
	struct lb_audit a;

	for (size_t i = 0; i < json_array_size(ev); i++)
		if (lbj_event_in(json_array_get(ev, i), &e) == 0 && lb_event_insert(lb, &e, NULL) == 1)
			p->inserted++;
	for (size_t i = 0; i < json_array_size(au); i++)
		if (lbj_audit_in(json_array_get(au, i), &a) == 0 && lb_audit_insert(lb, &a, NULL) == 1)
			p->inserted++;
}

static void repl_insert_done(struct lbq_job *j)
{
	struct pull *p = (struct pull *)j;

	if (p->inserted)
		log_debug("replicated %d entries from unit %u", p->inserted, p->to);
	p->rp->peer[p->to].more = json_is_true(json_object_get(p->answer, "more"));
	pull_free(p);
}

static void repl_answer(void *arg, const struct httpc_result *res)
{
	struct pull *p = arg;
	struct secd *d = p->rp->d;

	if (res->err || res->status != 200 ||
	    !(p->answer = json_loadb(res->body, res->len, 0, NULL))) {
		if (res->err != -ECANCELED)
			log_debug("logbook pull from unit %u: %s (HTTP %ld)", p->to,
				  res->err ? res->errmsg : "refused", res->status);
		pull_free(p);
		return;
	}
	p->stage = 1;
	p->job.run = repl_insert_run;
	p->job.done = repl_insert_done;
	if (lbq_submit(d->lbq, &p->job) < 0)
		pull_free(p);
}

static void repl_marks_run(struct logbook *lb, struct lbq_job *j)
{
	struct pull *p = (struct pull *)j;
	int n;

	n = lb_marks(lb, LB_KIND_EVENT, p->em, sizeof(p->em) / sizeof(p->em[0]));
	p->nem = n < 0 ? -1 : n > (int)(sizeof(p->em) / sizeof(p->em[0])) ? (int)(sizeof(p->em) / sizeof(p->em[0])) : n;
	n = lb_marks(lb, LB_KIND_AUDIT, p->am, sizeof(p->am) / sizeof(p->am[0]));
	p->nam = n < 0 ? -1 : n > (int)(sizeof(p->am) / sizeof(p->am[0])) ? (int)(sizeof(p->am) / sizeof(p->am[0])) : n;
}

static void repl_marks_done(struct lbq_job *j)
{
	struct pull *p = (struct pull *)j;
	struct secd *d = p->rp->d;
	const struct cluster_unit *u = secd_global_unit(d, p->to);
	json_t *body;
	char *text;

	if (!u || p->nem < 0 || p->nam < 0) {
		pull_free(p);
		return;
	}
	body = json_pack("{s:o, s:o, s:i}", "events", lbj_marks(p->em, (size_t)p->nem), "audit",
			 lbj_marks(p->am, (size_t)p->nam), "limit", PULL_LIMIT);
	text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (!text || httpc_call(d->httpc, p->to, u->api, "POST", "/api/v1/internal/logbook/pull",
				text, strlen(text), 5000, repl_answer, p) < 0)
		pull_free(p);
	free(text);
}

static void repl_start(struct secd_repl *rp, uint32_t to)
{
	struct pull *p;

	if (rp->peer[to].busy || !(p = calloc(1, sizeof(*p))))
		return;
	p->rp = rp;
	p->to = to;
	p->job.run = repl_marks_run;
	p->job.done = repl_marks_done;
	rp->peer[to].busy = true;
	if (lbq_submit(rp->d->lbq, &p->job) < 0) {
		rp->peer[to].busy = false;
		free(p);
	}
}

static void repl_tick(uv_timer_t *t)
{
	struct secd_repl *rp = t->data;
	const struct cluster_global *g = rp->d->global;

	for (unsigned i = 0; i < g->n_units; i++)
		if (g->units[i].unit_id != rp->d->cfg.unit_id)
			repl_start(rp, g->units[i].unit_id);
}

int secd_repl_new(struct secd *d, struct secd_repl **ret)
{
	struct secd_repl *rp = calloc(1, sizeof(*rp));

	if (!rp)
		return -ENOMEM;
	rp->d = d;
	uv_timer_init(&d->loop, &rp->timer);
	rp->timer.data = rp;
	uv_timer_start(&rp->timer, repl_tick, d->cfg.hb_interval_ms, d->cfg.hb_interval_ms);
	*ret = rp;
	return 0;
}

static void repl_closed(uv_handle_t *h)
{
	free(h->data);
}

void secd_repl_free(struct secd_repl *rp)
{
	if (!rp)
		return;
	uv_timer_stop(&rp->timer);
	uv_close((uv_handle_t *)&rp->timer, repl_closed);
}
