/* forward.c — a person's write sent on to the Master MU (architecture.md §6 "a write on a
 * non-master MU is forwarded to the master"; docs/api.md "Forwarding").
 *
 * The master is the one the last published snapshot names (snapshot.c; none while it is
 * stale), its address the topology's (global data). The request goes with its method,
 * path, body and Authorization header (copied, never logged) through httpc_forward(); the
 * master's answer — any status, its JSON body — is this MU's answer. No master known, or
 * no answer from it: 503 `no_master` (retry). */
#include "lib/log.h"
#include "secd/routes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct fwd {
	struct secd *d;
	struct api_req *r; /* NULL once the server answered it (stopping) */
	char master[CLUSTER_NAME_MAX];
};

static void fwd_cancel(struct api_req *r, void *arg)
{
	((struct fwd *)arg)->r = NULL;
}

static void fwd_done(void *arg, const struct httpc_result *res)
{
	struct fwd *f = arg;
	json_error_t jerr;
	json_t *j;

	if (!f->r) {
		free(f);
		return;
	}
	if (res->err < 0) {
		api_reply_error(f->r, 503, "no_master", "the Master MU '%s' did not answer the "
				"forwarded request (%s); retry", f->master, res->errmsg);
	} else if (!(j = json_loadb(res->body, res->len, 0, &jerr)) || !json_is_object(j)) {
		json_decref(j);
		api_reply_error(f->r, 503, "no_master", "the Master MU '%s' "
				"answered HTTP %ld without a JSON object", f->master, res->status);
	} else {
		api_reply_json(f->r, (unsigned)res->status, j);
	}
	free(f);
}

bool secd_forward_to_master(struct secd *d, struct api_req *r)
{
	json_t *v = NULL;
	const char *name, *auth = api_req_header(r, "Authorization"), *body;
	const struct cluster_unit *m = NULL;
	char hdr[AUTH_TOKEN_MAX + 32];
	const char *hdrs[1];
	struct fwd *f;
	size_t len;
	int rc;

	if (d->master)
		return false;
	v = secd_snapshot_view(d);
	name = json_string_value(json_object_get(v, "master_mu"));
	for (unsigned i = 0; name && d->global && i < d->global->n_units; i++)
		if (!strcmp(d->global->units[i].name, name))
			m = &d->global->units[i];
	if (!m || m->unit_id == d->cfg.unit_id) {
		api_reply_error(r, 503, "no_master", "no Master MU is known (a write goes to the "
				"Master MU); retry");
		json_decref(v);
		return true;
	}
	if (!(f = calloc(1, sizeof(*f)))) {
		json_decref(v);
		api_reply_error(r, 500, "internal", "out of memory");
		return true;
	}
	f->d = d;
	f->r = r;
	snprintf(f->master, sizeof(f->master), "%s", m->name);
	json_decref(v);
	snprintf(hdr, sizeof(hdr), "Authorization: %s", auth ? auth : "");
	hdrs[0] = hdr;
	body = api_req_body(r, &len);
	rc = httpc_forward(d->httpc, m->api, api_req_method(r), api_req_path(r), hdrs, auth ? 1 : 0,
			   body, len, SECD_FORWARD_TIMEOUT_MS, fwd_done, f);
	explicit_bzero(hdr, sizeof(hdr));
	if (rc < 0) {
		api_reply_error(r, 503, "no_master", "cannot forward the request to the Master MU "
				"'%s' (%s); retry", f->master, strerror(-rc));
		free(f);
		return true;
	}
	api_req_on_cancel(r, fwd_cancel, f);
	log_debug("%s: %s %s forwarded to the Master MU '%s'", d->who, api_req_method(r),
		  api_req_path(r), f->master);
	return true;
}
