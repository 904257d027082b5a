/* httpd_reply.c — the answers of the API server (docs/api.md: JSON, the error shape) and
 * the request accessors for handlers (httpd.h). Loop thread only. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/httpd_priv.h"
#include "lib/log.h"

static void response_header(struct MHD_Response *resp, const char *name, const char *value)
{
	if (MHD_add_response_header(resp, name, value) != MHD_YES)
		log_debug("api: cannot add response header '%s'", name);
}

void api_req_set_reply(struct api_req *r, unsigned status, char *text, size_t len,
		       const char *allow)
{
	struct api_server *s = r->s;
	struct MHD_Response *resp;

	resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(text);
		/* without a response object the connection can only be closed: the access
		 * handler returns MHD_NO for an ANSWERED request without one */
		log_warnx("api: out of memory answering '%s %s'", r->method, r->path);
	} else {
		response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
		response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
		if (allow)
			response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	}
	log_debug("api: '%s %s' from %s: %u", r->method, r->path, r->peer, status);
	r->resp = resp;
	r->status = status;
	r->cancel = NULL; /* answered: nothing to cancel any more */
	s->answering++;
	if (r->state == API_REQ_SUSPENDED) {
		MHD_resume_connection(r->conn);
		api_server_kick(s);
	}
	r->state = API_REQ_ANSWERED;
}

enum MHD_Result api_req_queue(struct api_req *r)
{
	enum MHD_Result ok = MHD_NO;

	if (r->resp) {
		ok = MHD_queue_response(r->conn, r->status, r->resp);
		MHD_destroy_response(r->resp);
		r->resp = NULL;
	}
	r->state = API_REQ_QUEUED;
	return ok;
}

/* The one check of every public reply: a reply in the wrong state is a handler bug. */
static int reply_allowed(struct api_req *r)
{
	if (r->state == API_REQ_HANDLER || r->state == API_REQ_SUSPENDED ||
	    r->state == API_REQ_BODY)
		return 1;
	log_warnx("api: second reply to '%s %s' from %s ignored (a handler bug)", r->method,
		  r->path, r->peer);
	return 0;
}

static void reply_text(struct api_req *r, unsigned status, json_t *doc, const char *allow)
{
	/* 12 significant digits: "53.433049" ms, not the double's "53.433048999999997" */
	char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(12)) : NULL;

	json_decref(doc);
	if (!text) {
		static const char fallback[] =
		    "{\"error\":{\"code\":\"internal\",\"message\":\"the answer could not be "
		    "encoded\",\"details\":[]}}";
		log_warnx("api: cannot encode the answer to '%s %s'", r->method, r->path);
		status = 500;
		text = strdup(fallback);
		if (!text) {
			api_req_set_reply(r, status, NULL, 0, NULL);
			return;
		}
	}
	api_req_set_reply(r, status, text, strlen(text), allow);
}

void api_reply_json(struct api_req *r, unsigned status, json_t *body)
{
	if (!reply_allowed(r)) {
		json_decref(body);
		return;
	}
	reply_text(r, status, body ? body : json_object(), NULL);
}

static json_t *error_doc(const char *code, json_t *details, const char *fmt, va_list ap)
{
	char msg[512];
	json_t *arr = details;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (!arr)
		arr = json_array();
	else if (!json_is_array(arr)) {
		arr = json_array();
		json_array_append_new(arr, details);
	}
	return json_pack("{s:{s:s, s:s, s:o}}", "error", "code", code, "message", msg, "details",
			 arr);
}

/* The error reply with the Allow header (405); also used by httpd_req.c. */
static void reply_error_v(struct api_req *r, unsigned status, const char *code, json_t *details,
			  const char *allow, const char *fmt, va_list ap)
{
	if (!reply_allowed(r)) {
		json_decref(details);
		return;
	}
	reply_text(r, status, error_doc(code, details, fmt, ap), allow);
}

void api_reply_error(struct api_req *r, unsigned status, const char *code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_error_v(r, status, code, NULL, NULL, fmt, ap);
	va_end(ap);
}

void api_reply_error_details(struct api_req *r, unsigned status, const char *code, json_t *details,
			     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_error_v(r, status, code, details, NULL, fmt, ap);
	va_end(ap);
}

void api_reply_error_allow(struct api_req *r, const char *allow, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_error_v(r, 405, "method_not_allowed", NULL, allow, fmt, ap);
	va_end(ap);
}

void api_req_on_cancel(struct api_req *r, void (*fn)(struct api_req *r, void *arg), void *arg)
{
	r->cancel = fn;
	r->cancel_arg = arg;
}

void api_req_cancel(struct api_req *r)
{
	void (*fn)(struct api_req *, void *) = r->cancel;

	r->cancel = NULL;
	if (fn)
		fn(r, r->cancel_arg);
	if (r->state != API_REQ_SUSPENDED && r->state != API_REQ_BODY)
		return; /* the callback replied itself */
	api_reply_error(r, 503, "unavailable",
			"the MU is stopping: '%s %s' was not answered (it may or may not have "
			"taken effect; retry)",
			r->method, r->path);
}

const char *api_req_method(const struct api_req *r)
{
	return r->method;
}

const char *api_req_path(const struct api_req *r)
{
	return r->path;
}

const char *api_req_query(const struct api_req *r, const char *key)
{
	const char *v = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
	if (v)
		return v;
	/* "?key" (no '='): libmicrohttpd records the key with a NULL value */
	return MHD_lookup_connection_value_n(r->conn, MHD_GET_ARGUMENT_KIND, key, strlen(key), &v,
					     NULL) == MHD_YES
		   ? ""
		   : NULL;
}

const char *api_req_param(const struct api_req *r, const char *name)
{
	for (size_t i = 0; i < r->nparams; i++)
		if (!strcmp(r->params[i].name, name))
			return r->params[i].value;
	return NULL;
}

const char *api_req_body(const struct api_req *r, size_t *len)
{
	if (len)
		*len = r->len;
	return r->body ? r->body : "";
}

json_t *api_req_json(struct api_req *r, struct sec_err *err)
{
	json_error_t je;
	json_t *j;

	if (r->len == 0) {
		sec_errf(err, -EINVAL, "request body: empty, a JSON object is expected");
		return NULL;
	}
	j = json_loadb(r->body, r->len, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		sec_errf(err, -EINVAL, "request body: line %d column %d: %s", je.line, je.column,
			 je.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		sec_errf(err, -EINVAL, "request body: a JSON object is expected");
		return NULL;
	}
	return j;
}

const struct auth_token_claims *api_req_claims(const struct api_req *r)
{
	return r->has_claims ? &r->claims : NULL;
}

const struct auth_unitmsg_from *api_req_from(const struct api_req *r)
{
	return r->has_from ? &r->from : NULL;
}

const char *api_req_header(const struct api_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *api_req_peer(const struct api_req *r)
{
	return r->peer;
}
