/* routes.c — the REST API for people on every MU (docs/api.md; architecture.md §6;
 * status.md §5, §6; seed 2.3.2 audit logging, 2.3.3 event logging).
 *
 * Reads are answered by this MU from what it holds: the last published snapshot
 * (snapshot.c) and its own logbook, where every event and audit entry of the cluster
 * arrives by replication (internal.c). Password checks (argon2id: tens of ms) and every
 * SQLite access run on the SQLite thread (lbqueue.h), never on the loop. */
#include "auth/password.h"
#include "auth/token.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/parse.h"
#include "secd/lbjson.h"
#include "secd/routes.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SESSION_TTL_S (8u * 3600u)

/* ---- login / logout ---- */

struct login_job {
	struct lbq_job job; /* first */
	struct secd *d;
	struct api_req *req;
	char account[CLUSTER_NAME_MAX];
	char password[AUTH_PASSWORD_MAX + 1];
	char hash[AUTH_PASSWORD_HASH_MAX];
	uint32_t roles;
	bool known;
	bool ok;
	struct lb_audit au;
	int audit_r;
};

static void login_run(struct logbook *lb, struct lbq_job *j)
{
	struct login_job *l = (struct login_job *)j;

	/* an unknown account costs the same as a wrong password */
	l->ok = auth_password_verify(l->hash, l->password) == 0 && l->known;
	auth_password_wipe(l->password, sizeof(l->password));
	auth_password_wipe(l->hash, sizeof(l->hash));
	l->au.ts_ms = (int64_t)(clock_wall_ns() / 1000000u);
	l->au.type = l->ok ? LB_AUDIT_LOGIN_OK : LB_AUDIT_LOGIN_FAILED;
	snprintf(l->au.msg, sizeof(l->au.msg), "Action=Login; Account=%s --> %s", l->account,
		 l->ok ? "OK" : "invalid account or password");
	l->audit_r = lb_audit_append(lb, &l->au, NULL);
}

static void login_done(struct lbq_job *j)
{
	struct login_job *l = (struct login_job *)j;
	struct secd *d = l->d;
	struct auth_token_claims c;
	char tok[AUTH_TOKEN_MAX], rb[64];
	int r;

	if (!l->ok) {
		api_reply_error(l->req, 401, "unauthenticated", "invalid account or password");
		free(l);
		return;
	}
	r = auth_token_issue(&d->global->token_key, l->account, l->roles, d->cfg.unit_id,
			     SESSION_TTL_S, &c, tok, sizeof(tok));
	if (r < 0) {
		api_reply_error(l->req, 500, "internal", "cannot issue a session token (%s)",
				strerror(-r));
	} else {
		json_t *roles = json_array();
		cluster_roles_to_string(l->roles, rb, sizeof(rb));
		for (char *save = NULL, *t = strtok_r(rb, ",", &save); t; t = strtok_r(NULL, ",", &save))
			json_array_append_new(roles, json_string(t));
		api_reply_json(l->req, 200,
			       json_pack("{s:s, s:s, s:o, s:I}", "token", tok, "account", l->account,
					 "roles", roles, "expires_s", (json_int_t)c.expires_s));
	}
	auth_password_wipe(tok, sizeof(tok));
	free(l);
}

/* A fixed argon2id hash of a random password: verifying against it costs what a real check
 * costs, so an unknown account cannot be told from a wrong password by timing. */
static const char *dummy_hash(void)
{
	static char h[AUTH_PASSWORD_HASH_MAX];

	if (!h[0])
		auth_password_hash("not-an-account-password-0c5f", h);
	return h;
}

void secd_route_login(struct api_req *r, void *arg)
{
	struct secd *d = arg;
	struct sec_err err = {0};
	json_t *j = api_req_json(r, &err);
	const char *acc, *pw;
	struct login_job *l;
	int i;

	/* a login without credentials is an unauthenticated call: 401, like every route */
	if (!j) {
		api_reply_error(r, 401, "unauthenticated", "a login needs the body {\"account\": "
				"..., \"password\": ...} (%s)", err.msg);
		return;
	}
	acc = json_string_value(json_object_get(j, "account"));
	pw = json_string_value(json_object_get(j, "password"));
	if (!acc || !pw || !*acc || strlen(acc) >= CLUSTER_NAME_MAX || strlen(pw) > AUTH_PASSWORD_MAX) {
		json_decref(j);
		api_reply_error(r, 401, "unauthenticated", "a login needs the body {\"account\": "
				"..., \"password\": ...}");
		return;
	}
	if (!(l = calloc(1, sizeof(*l)))) {
		json_decref(j);
		api_reply_error(r, 500, "internal", "out of memory");
		return;
	}
	l->d = d;
	l->req = r;
	snprintf(l->account, sizeof(l->account), "%s", acc);
	snprintf(l->password, sizeof(l->password), "%s", pw);
	json_decref(j); /* jansson keeps no other copy of the password */
	i = cluster_global_find_account(d->global, l->account);
	l->known = i >= 0;
	snprintf(l->hash, sizeof(l->hash), "%s",
		 i >= 0 ? d->global->accounts[i].password_hash : dummy_hash());
	l->roles = i >= 0 ? d->global->accounts[i].roles : 0;
	snprintf(l->au.unit, sizeof(l->au.unit), "%.*s", (int)sizeof(l->au.unit) - 1, d->cfg.name);
	snprintf(l->au.account, sizeof(l->au.account), "%s", l->account);
	snprintf(l->au.component, sizeof(l->au.component), "SEM");
	l->job.run = login_run;
	l->job.done = login_done;
	if (lbq_submit(d->lbq, &l->job) < 0) {
		auth_password_wipe(l->password, sizeof(l->password));
		free(l);
		api_reply_error(r, 503, "unavailable", "the unit is stopping");
	}
}

void secd_route_logout(struct api_req *r, void *arg)
{
	struct secd *d = arg;
	const struct auth_token_claims *c = api_req_claims(r);

	secd_audit(d, c->account, "SEM", LB_AUDIT_LOGOUT, "Action=Logout; Account=%s --> OK",
		   c->account);
	api_reply_json(r, 200, json_object());
}

/* ---- status ---- */

void secd_route_status(struct api_req *r, void *arg)
{
	json_t *v = secd_snapshot_view(arg);

	if (!v)
		api_reply_error(r, 500, "internal", "out of memory");
	else
		api_reply_json(r, 200, v);
}

void secd_route_units(struct api_req *r, void *arg)
{
	json_t *v = secd_snapshot_view(arg);

	if (!v) {
		api_reply_error(r, 500, "internal", "out of memory");
		return;
	}
	api_reply_json(r, 200, json_pack("{s:O, s:O, s:O, s:O, s:O}", "version",
					  json_object_get(v, "version"), "age_ms",
					  json_object_get(v, "age_ms"), "stale",
					  json_object_get(v, "stale"), "master_mu",
					  json_object_get(v, "master_mu"), "units",
					  json_object_get(v, "units")));
	json_decref(v);
}

/* The cluster overview (seed 1.4): the Management Cluster (when present), then the SU
 * Clusters. */
void secd_route_clusters(struct api_req *r, void *arg)
{
	json_t *v = secd_snapshot_view(arg), *rows = json_array();
	json_t *mc, *sucs;

	if (!v || !rows) {
		json_decref(v);
		json_decref(rows);
		api_reply_error(r, 500, "internal", "out of memory");
		return;
	}
	mc = json_object_get(v, "management_cluster");
	if (json_is_true(json_object_get(mc, "present")))
		json_array_append_new(rows, json_pack("{s:O, s:s, s:s, s:O}", "name",
						      json_object_get(mc, "name"), "type", "SE",
						      "function", "Management", "status",
						      json_object_get(v, "status")));
	sucs = json_object_get(v, "su_clusters");
	for (size_t i = 0; i < json_array_size(sucs); i++) {
		json_t *s = json_array_get(sucs, i);
		json_array_append_new(rows, json_pack("{s:O, s:s, s:s, s:O}", "name",
						      json_object_get(s, "name"), "type", "SU",
						      "function", "Live migration", "status",
						      json_object_get(s, "status")));
	}
	api_reply_json(r, 200, json_pack("{s:O, s:O, s:O, s:O, s:o}", "version",
					  json_object_get(v, "version"), "age_ms",
					  json_object_get(v, "age_ms"), "stale",
					  json_object_get(v, "stale"), "dashboard",
					  json_object_get(v, "dashboard") ? json_object_get(v, "dashboard")
									  : json_null(),
					  "clusters", rows));
	json_decref(v);
}

/* ---- events and audit ---- */

struct query_job {
	struct lbq_job job; /* first */
	struct secd *d;
	struct api_req *req;
	bool audit;
	struct lb_filter f;
	char unit[LB_UNIT_MAX], component[LB_COMPONENT_MAX], text[LB_MSG_MAX],
		account[LB_ACCOUNT_MAX];
	size_t offset, limit;
	int r;
	struct lb_event_page ep;
	struct lb_audit_page ap;
	char account_ack[LB_ACCOUNT_MAX];
	bool ack;
};

static void query_run(struct logbook *lb, struct lbq_job *j)
{
	struct query_job *q = (struct query_job *)j;

	if (q->ack)
		q->r = lb_ack_all(lb, q->account_ack, (int64_t)(clock_wall_ns() / 1000000u), NULL);
	else if (q->audit)
		q->r = lb_audit_query(lb, &q->f, q->offset, q->limit, &q->ap);
	else
		q->r = lb_event_query(lb, &q->f, q->offset, q->limit, &q->ep);
}

/* A page of docs/api.md: "Total: total from all", newest first; items is stolen. */
static void reply_page(struct query_job *q, uint64_t total, uint64_t all, const char *key,
		       json_t *items)
{
	api_reply_json(q->req, 200, json_pack("{s:I, s:I, s:I, s:o}", "total", (json_int_t)total,
					      "all", (json_int_t)all, "offset",
					      (json_int_t)q->offset, key, items));
}

static void query_done(struct lbq_job *j)
{
	struct query_job *q = (struct query_job *)j;
	json_t *a;

	if (q->r < 0 && !q->req) {
		log_warnx("cannot acknowledge the events: %s", strerror(-q->r));
	} else if (q->r < 0) {
		api_reply_error(q->req, 500, "internal", "the logbook query failed (%s)",
				strerror(-q->r));
	} else if (q->ack) {
		if (q->req) {
			secd_audit(q->d, q->account_ack, "SEM", LB_AUDIT_OK,
				   "Action=AcknowledgeEvents --> OK (%d events)", q->r);
			secd_ack_propagate(q->d, q->account_ack);
			api_reply_json(q->req, 200, json_pack("{s:i}", "acknowledged", q->r));
		}
	} else if (q->audit) {
		a = json_array();
		for (size_t i = 0; i < q->ap.n; i++)
			json_array_append_new(a, lbj_audit(&q->ap.au[i]));
		reply_page(q, q->ap.total, q->ap.all, "entries", a);
		lb_audit_page_release(&q->ap);
	} else {
		a = json_array();
		for (size_t i = 0; i < q->ep.n; i++)
			json_array_append_new(a, lbj_event(&q->ep.ev[i]));
		reply_page(q, q->ep.total, q->ep.all, "events", a);
		lb_event_page_release(&q->ep);
	}
	free(q);
}

static int query_u64(struct api_req *r, const char *key, uint64_t def, uint64_t max,
		     uint64_t *ret)
{
	const char *s = api_req_query(r, key);
	char *end;

	*ret = def;
	if (!s)
		return 0;
	errno = 0;
	*ret = strtoull(s, &end, 10);
	if (!*s || *end || errno || *ret > max) {
		api_reply_error(r, 400, "bad_request", "query parameter '%s': '%.40s' is not a "
				"number up to %llu", key, s, (unsigned long long)max);
		return -1;
	}
	return 0;
}

static int copy_q(struct api_req *r, const char *key, char *buf, size_t size, const char **dst)
{
	const char *s = api_req_query(r, key);

	if (!s)
		return 0;
	snprintf(buf, size, "%s", s);
	*dst = buf;
	return 0;
}

/* The filters of docs/api.md from the query string; replies 400 itself and returns -1. */
static int parse_filter(struct api_req *r, struct query_job *q)
{
	uint64_t from, to, off, lim;
	const char *w = api_req_query(r, "weight"), *t = api_req_query(r, "type");

	q->f = (struct lb_filter)LB_FILTER_NONE;
	if (query_u64(r, "from", 0, INT64_MAX, &from) < 0 || query_u64(r, "to", 0, INT64_MAX, &to) < 0 ||
	    query_u64(r, "offset", 0, UINT32_MAX, &off) < 0 ||
	    query_u64(r, "limit", 50, 1000, &lim) < 0)
		return -1;
	q->f.from_ms = (int64_t)from;
	q->f.to_ms = (int64_t)to;
	q->offset = off;
	q->limit = lim;
	if (w && (q->f.min_weight = lb_weight_from_string(w)) < 0) {
		api_reply_error(r, 400, "bad_request", "query parameter 'weight': '%.40s' is not "
				"one of DEBUG, INFO, NOTICE, WARNING, ERROR, CRITICAL, EMERGENCY", w);
		return -1;
	}
	if (t) {
		for (q->f.type = 0; q->f.type < LB_AUDIT_TYPE_MAX &&
				    strcmp(lb_audit_type_to_string((enum lb_audit_type)q->f.type), t);
		     q->f.type++)
			;
		if (q->f.type == LB_AUDIT_TYPE_MAX) {
			api_reply_error(r, 400, "bad_request", "query parameter 'type': '%.40s' is "
					"not an audit entry type", t);
			return -1;
		}
	}
	q->f.current = api_req_query(r, "current") && strcmp(api_req_query(r, "current"), "0");
	copy_q(r, "unit", q->unit, sizeof(q->unit), &q->f.unit);
	copy_q(r, "component", q->component, sizeof(q->component), &q->f.component);
	copy_q(r, "text", q->text, sizeof(q->text), &q->f.text);
	copy_q(r, "account", q->account, sizeof(q->account), &q->f.account);
	return 0;
}

static void submit_query(struct api_req *r, struct secd *d, struct query_job *q)
{
	q->d = d;
	q->req = r;
	q->job.run = query_run;
	q->job.done = query_done;
	if (lbq_submit(d->lbq, &q->job) < 0) {
		free(q);
		api_reply_error(r, 503, "unavailable", "the unit is stopping");
	}
}

static void route_query(struct api_req *r, struct secd *d, bool audit)
{
	struct query_job *q = calloc(1, sizeof(*q));

	if (!q) {
		api_reply_error(r, 500, "internal", "out of memory");
		return;
	}
	q->audit = audit;
	if (parse_filter(r, q) < 0) {
		free(q);
		return;
	}
	submit_query(r, d, q);
}

void secd_route_events(struct api_req *r, void *arg)
{
	route_query(r, arg, false);
}

void secd_route_audit(struct api_req *r, void *arg)
{
	route_query(r, arg, true);
}

/* Acknowledges the current events of this MU for account; r NULL: an acknowledgement
 * another MU sent (internal.c), answered by the caller. */
int secd_ack_local(struct secd *d, const char *account, struct api_req *r)
{
	struct query_job *q = calloc(1, sizeof(*q));

	if (!q)
		return -ENOMEM;
	q->ack = true;
	snprintf(q->account_ack, sizeof(q->account_ack), "%.*s", (int)sizeof(q->account_ack) - 1,
		 account);
	q->d = d;
	q->req = r;
	q->job.run = query_run;
	q->job.done = query_done;
	if (lbq_submit(d->lbq, &q->job) < 0) {
		free(q);
		return -ESHUTDOWN;
	}
	return 0;
}

void secd_route_events_ack(struct api_req *r, void *arg)
{
	const struct auth_token_claims *c = api_req_claims(r);

	secd_audit(arg, c->account, "SEM", LB_AUDIT_START, "Action=AcknowledgeEvents");
	if (secd_ack_local(arg, c->account, r) < 0)
		api_reply_error(r, 503, "unavailable", "the unit is stopping");
}
