/* forward.c — a write taken by an MU that is not the Master MU goes to the master
 * (architecture.md §6 "Every MU answers every read; a write on a non-master MU is forwarded
 * to the master"; docs/api.md "Topology changes"; decisions.md "Forwarding").
 *
 * The person's call — method, path, body and its Authorization header — is sent with
 * httpc_forward() to the API of the Master MU named by this MU's last snapshot (at its
 * address in the global data), and the master's status and JSON body are relayed as they
 * are. The forwarded call carries X-Sec-Forwarded: an MU that receives such a call and is
 * not the master either answers 503 no_master instead of forwarding it again (no loop
 * while two MUs disagree on who the master is). With no master known, or when the master
 * does not answer, 503 no_master; that call is audited here (Start, Failed), every other
 * one by the master that carried it out. */
#include "lib/clock.h"
#include "lib/log.h"
#include "logbook/logbook.h"
#include "secd/secd.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FORWARD_TIMEOUT_MS 8000 /* below sectl's default of 10 s */
#define FORWARDED_HDR "X-Sec-Forwarded"

struct fwd {
	struct secd *d;
	struct api_req *req; /* NULL once the server answered it itself (stopping) */
	json_t *answer;      /* the master's answer, held until this MU re-read region 0 */
	unsigned status;
	char action[32];
	char account[LB_ACCOUNT_MAX];
	char master[CLUSTER_NAME_MAX];
};

bool secd_is_master_now(struct secd *d)
{
	struct crd_unit_master m = crd_unit_master(d->unit);

	return m.held && clock_boottime_ns() < m.valid_until;
}

static void fwd_cancel(struct api_req *r, void *arg)
{
	struct fwd *f = arg;

	f->req = NULL;
}

/* No master carried it out: audited here (Start, Failed) and 503 no_master (r may be NULL:
 * already answered by the server). Frees f. */
static void no_master(struct fwd *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void no_master(struct fwd *f, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	secd_audit(f->d, f->account, "SEM", LB_AUDIT_START, "Action=%s", f->action);
	secd_audit(f->d, f->account, "SEM", LB_AUDIT_FAILED, "Action=%s --> %s", f->action, msg);
	if (f->req)
		api_reply_error(f->req, 503, "no_master", "%s", msg);
	free(f);
}

static void fwd_after_sync(void *arg)
{
	struct fwd *f = arg;

	if (f->req)
		api_reply_json(f->req, f->status, f->answer);
	else
		json_decref(f->answer);
	free(f);
}

static void fwd_done(void *arg, const struct httpc_result *res)
{
	struct fwd *f = arg;
	json_t *j;

	if (!f->req) {
		free(f);
		return;
	}
	if (res->err == -ECANCELED) { /* the client stopped first: answer before the server does */
		api_reply_error(f->req, 503, "unavailable", "the MU is stopping; the call forwarded "
				"to the Master MU '%s' may or may not have been carried out", f->master);
		free(f);
		return;
	}
	if (res->err) {
		no_master(f, "the Master MU '%s' did not answer (%s)%s; retry", f->master,
			  res->errmsg, res->err == -ETIMEDOUT ? "; the change may have been made: "
							       "check before retrying" : "");
		return;
	}
	if (!(j = json_loadb(res->body, res->len, 0, NULL)) || !json_is_object(j)) {
		json_decref(j);
		api_reply_error(f->req, 500, "internal", "the Master MU '%s' answered HTTP %ld "
				"without a JSON object", f->master, res->status);
	} else if (res->status >= 200 && res->status < 300) {
		/* the change is committed on the CRD: re-read region 0 before the answer, so
		 * that a read on this MU right after shows it (read your writes) */
		f->answer = j;
		f->status = (unsigned)res->status;
		if (secd_global_sync_then(f->d, fwd_after_sync, f) == 0)
			return;
		fwd_after_sync(f);
		return;
	} else {
		api_reply_json(f->req, (unsigned)res->status, j);
	}
	free(f);
}

/* A path the forwarded URL carries as it is: unreserved characters and '/' only. */
static bool plain_path(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("/._-~", *s)))
			return false;
	return true;
}

/* The API address of the Master MU of the last snapshot into f->master; NULL when none. */
static const char *master_api(struct secd *d, struct fwd *f)
{
	int k;

	if (secd_snapshot_master(d, f->master, sizeof(f->master)) < 0 ||
	    !strcmp(f->master, d->cfg.name) ||
	    (k = cluster_global_find_unit(d->global, f->master)) < 0 ||
	    d->global->units[k].role != CRD_UNIT_MU)
		return NULL;
	return d->global->units[k].api;
}

void secd_forward_write(struct secd *d, struct api_req *r, const char *action)
{
	const struct auth_token_claims *cl = api_req_claims(r);
	const char *auth = api_req_header(r, "Authorization"), *from = api_req_header(r, FORWARDED_HDR);
	char hauth[AUTH_TOKEN_MAX + 32], hfrom[SECD_STR_MAX + 32];
	const char *hdrs[2] = {hauth, hfrom}, *body, *api;
	struct fwd *f;
	size_t len;
	int rc;

	if (!plain_path(api_req_path(r))) {
		api_reply_error(r, 404, "not_found", "no such object");
		return;
	}
	if (!(f = calloc(1, sizeof(*f)))) {
		api_reply_error(r, 500, "internal", "out of memory");
		return;
	}
	*f = (struct fwd){.d = d, .req = r};
	snprintf(f->action, sizeof(f->action), "%s", action);
	snprintf(f->account, sizeof(f->account), "%.*s", (int)sizeof(f->account) - 1,
		 cl ? cl->account : "");
	if (from) {
		no_master(f, "MU '%s' is not the Master MU either (MU '%.63s' forwarded the call "
			  "here); retry", d->cfg.name, from);
		return;
	}
	if (!(api = master_api(d, f)) || !auth || strlen(auth) > AUTH_TOKEN_MAX) {
		no_master(f, "no Master MU is known (a write goes to the Master MU); retry");
		return;
	}
	snprintf(hauth, sizeof(hauth), "Authorization: %s", auth);
	snprintf(hfrom, sizeof(hfrom), FORWARDED_HDR ": %s", d->cfg.name);
	body = api_req_body(r, &len);
	rc = httpc_forward(d->httpc, api, api_req_method(r), api_req_path(r), hdrs, 2, body, len,
			   FORWARD_TIMEOUT_MS, fwd_done, f);
	auth_password_wipe(hauth, sizeof(hauth));
	if (rc < 0) {
		no_master(f, "the call cannot be forwarded to the Master MU '%s' (%s); retry",
			  f->master, strerror(-rc));
		return;
	}
	log_debug("%s: %s %s forwarded to the Master MU '%s'", d->who, api_req_method(r),
		  api_req_path(r), f->master);
	api_req_on_cancel(r, fwd_cancel, f);
}

bool secd_forward_to_master(struct secd *d, struct api_req *r)
{
	if (secd_is_master_now(d))
		return false;
	secd_forward_write(d, r, "ReplaceCRDDisk");
	return true;
}
