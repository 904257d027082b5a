/* evlog.c — events and audit entries created by this unit (status.md §5, §6). They are
 * appended on the SQLite thread (lbqueue.h), durable (WAL fsync) when the job is done, and
 * reach every MU through replication (internal.c). Every event is also logged. */
#include "lib/clock.h"
#include "lib/log.h"
#include "logbook/logbook.h"
#include "secd/secd.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ev_job {
	struct lbq_job job; /* first */
	struct secd *d;
	bool audit;
	struct lb_event ev;
	struct lb_audit au;
	int r;
	struct sec_err err;
};

static void ev_run(struct logbook *lb, struct lbq_job *j)
{
	struct ev_job *e = (struct ev_job *)j;

	e->r = e->audit ? lb_audit_append(lb, &e->au, &e->err)
			: lb_event_append(lb, &e->ev, &e->err);
}

static void ev_done(struct lbq_job *j)
{
	struct ev_job *e = (struct ev_job *)j;

	if (e->r < 0)
		log_warnx("cannot store the %s '%s': %s", e->audit ? "audit entry" : "event",
			  e->audit ? e->au.msg : e->ev.msg, e->err.msg);
	if (!e->audit) {
		e->d->drain.ev_pending--;
		if (e->r >= 0 && e->ev.id.seq > e->d->drain.ev_seq)
			e->d->drain.ev_seq = e->ev.id.seq;
	}
	free(e);
}

static void ev_submit(struct secd *d, struct ev_job *e)
{
	e->job.run = ev_run;
	e->job.done = ev_done;
	e->d = d;
	if (d->lbq && lbq_submit(d->lbq, &e->job) == 0) {
		d->drain.ev_pending += !e->audit;
	} else {
		log_warnx("cannot store the %s '%s': the logbook is closed",
			  e->audit ? "audit entry" : "event", e->audit ? e->au.msg : e->ev.msg);
		free(e);
	}
}

void secd_event_about(struct secd *d, int weight, const char *component, const char *unit,
		      const char *msg)
{
	struct ev_job *e = calloc(1, sizeof(*e));

	if (!e)
		return;
	e->ev.ts_ms = (int64_t)(clock_wall_ns() / 1000000u);
	e->ev.weight = (enum lb_weight)weight;
	snprintf(e->ev.unit, sizeof(e->ev.unit), "%s", unit);
	snprintf(e->ev.component, sizeof(e->ev.component), "%s", component);
	snprintf(e->ev.msg, sizeof(e->ev.msg), "%s", msg);
	log_info("event %s %s [%s]: %s", lb_weight_to_string(e->ev.weight), component, unit, msg);
	ev_submit(d, e);
}

void secd_event(struct secd *d, int weight, const char *component, const char *fmt, ...)
{
	char msg[LB_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	secd_event_about(d, weight, component, d->cfg.name, msg);
}

void secd_audit(struct secd *d, const char *account, const char *component, int type,
		const char *fmt, ...)
{
	struct ev_job *e = calloc(1, sizeof(*e));
	va_list ap;

	if (!e)
		return;
	e->audit = true;
	e->au.ts_ms = (int64_t)(clock_wall_ns() / 1000000u);
	e->au.type = (enum lb_audit_type)type;
	snprintf(e->au.unit, sizeof(e->au.unit), "%.*s", (int)sizeof(e->au.unit) - 1, d->cfg.name);
	snprintf(e->au.account, sizeof(e->au.account), "%s", account);
	snprintf(e->au.component, sizeof(e->au.component), "%s", component);
	va_start(ap, fmt);
	vsnprintf(e->au.msg, sizeof(e->au.msg), fmt, ap);
	va_end(ap);
	ev_submit(d, e);
}
