/* httpd_req.c — one request through the API server (docs/api.md "Authentication"; httpd.h
 * has the order of the checks). libmicrohttpd calls api_req_access() repeatedly for one
 * request: first with the headers (route, token, Content-Length are checked there, so a
 * refused call is answered before its body is read), then with each piece of the body,
 * then once with no data (the body is complete: unit calls are checked, the handler runs).
 * A handler that does not reply leaves the connection suspended; its reply resumes it and
 * libmicrohttpd calls api_req_access() once more, which queues the answer.
 * Everything runs on the loop thread inside MHD_run(). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/httpd_priv.h"
#include "lib/log.h"

static void peer_format(struct MHD_Connection *conn, char *buf, size_t size)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	char a[INET6_ADDRSTRLEN];

	snprintf(buf, size, "(unknown)");
	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		if (inet_ntop(AF_INET, &in->sin_addr, a, sizeof(a)))
			snprintf(buf, size, "%s:%u", a, ntohs(in->sin_port));
	} else if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a)))
			snprintf(buf, size, "[%s]:%u", a, ntohs(in6->sin6_port));
	}
}

static struct api_req *req_new(struct api_server *s, struct MHD_Connection *conn, const char *url,
			       const char *method)
{
	struct api_req *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->s = s;
	r->conn = conn;
	r->method = method;
	r->path = url;
	peer_format(conn, r->peer, sizeof(r->peer));
	r->next = s->reqs;
	if (s->reqs)
		s->reqs->prev = r;
	s->reqs = r;
	return r;
}

static void req_free(struct api_req *r)
{
	struct api_server *s = r->s;

	if (r->prev)
		r->prev->next = r->next;
	else
		s->reqs = r->next;
	if (r->next)
		r->next->prev = r->prev;
	for (size_t i = 0; i < r->nparams; i++)
		free(r->params[i].value);
	if (r->resp)
		MHD_destroy_response(r->resp);
	free(r->body);
	free(r);
}

static const char *header(const struct api_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}


/* PERSON: Authorization: Bearer TOKEN, checked by ops->person, then the route's roles. */
static void req_auth_person(struct api_req *r)
{
	struct api_server *s = r->s;
	const char *h = header(r, MHD_HTTP_HEADER_AUTHORIZATION), *tok;
	int rc;

	if (!h) {
		api_reply_error(r, 401, "unauthenticated",
				"missing session token: 'Authorization: Bearer TOKEN' is expected");
		return;
	}
	if (strncasecmp(h, "Bearer ", 7) != 0) {
		api_reply_error(r, 401, "unauthenticated",
				"the Authorization header is not 'Bearer TOKEN'");
		return;
	}
	for (tok = h + 7; *tok == ' '; tok++)
		;
	if (!*tok) {
		api_reply_error(r, 401, "unauthenticated", "empty session token");
		return;
	}
	rc = s->ops.person(s->arg, tok, &r->claims);
	if (rc < 0) {
		api_reply_error(r, 401, "unauthenticated", "%s", auth_token_strerror(rc));
		return;
	}
	r->has_claims = true;
	if (r->route->roles && !(r->claims.roles & r->route->roles))
		api_reply_error(r, 403, "forbidden", "account '%s' has no role that allows '%s %s'",
				r->claims.account, r->method, r->route->path);
}

/* UNIT, before the body: no person token, both unit headers present. */
static void req_unit_headers(struct api_req *r)
{
	if (header(r, MHD_HTTP_HEADER_AUTHORIZATION))
		api_reply_error(
		    r, 401, "unauthenticated",
		    "a session token is not accepted on unit routes (/api/v1/internal/)");
	else if (!header(r, AUTH_UNITMSG_UNIT_HDR) || !header(r, AUTH_UNITMSG_AUTH_HDR))
		api_reply_error(r, 401, "unauthenticated",
				"missing " AUTH_UNITMSG_UNIT_HDR " or " AUTH_UNITMSG_AUTH_HDR
				" header: unit routes take unit calls only");
}

/* UNIT, with the whole body: ops->unit checks the HMAC and the sender's sequence. */
static void req_auth_unit(struct api_req *r)
{
	struct api_server *s = r->s;
	int rc = s->ops.unit(s->arg, r->method, r->path, r->body ? r->body : "", r->len,
			     header(r, AUTH_UNITMSG_UNIT_HDR), header(r, AUTH_UNITMSG_AUTH_HDR),
			     &r->from);

	if (rc < 0)
		api_reply_error(r, 401, "unauthenticated", "%s", auth_unitmsg_strerror(rc));
	else
		r->has_from = true;
}

/* A declared Content-Length above the limit is refused before any of the body is read. */
static void req_length_check(struct api_req *r)
{
	const char *cl = header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
	unsigned long long n;
	char *end;

	if (!cl)
		return;
	errno = 0;
	n = strtoull(cl, &end, 10);
	if (end != cl && !*end && (errno == ERANGE || n > API_BODY_MAX))
		api_reply_error(r, 413, "too_large",
				"request body of %s bytes: at most %u are accepted", cl,
				API_BODY_MAX);
}

/* Whether a body follows the headers: chunked, or a Content-Length other than 0. */
static bool req_has_body(const struct api_req *r)
{
	const char *cl = header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);

	return header(r, MHD_HTTP_HEADER_TRANSFER_ENCODING) || (cl && strcmp(cl, "0") != 0);
}

/* First call (headers only): the route, then person authentication, then the size. */
static void req_begin(struct api_req *r)
{
	char allow[64];

	r->route = api_route_match(r->s, r, r->method, r->path, allow, sizeof(allow));
	if (!r->route && !header(r, MHD_HTTP_HEADER_AUTHORIZATION) &&
	    !header(r, AUTH_UNITMSG_UNIT_HDR)) {
		/* a caller without any credentials learns nothing about which routes exist */
		api_reply_error(r, 401, "unauthenticated", "missing session token (Authorization: "
				"Bearer TOKEN; POST /api/v1/login gives one)");
		return;
	}
	if (!r->route) {
		if (allow[0])
			api_reply_error_allow(r, allow, "'%s' does not take %s (it takes %s)",
					      r->path, r->method, allow);
		else
			api_reply_error(r, 404, "not_found", "no such route: '%s %s'", r->method,
					r->path);
		return;
	}
	if (r->route->auth == API_AUTH_PERSON)
		req_auth_person(r);
	else if (r->route->auth == API_AUTH_UNIT)
		req_unit_headers(r);
	if (r->state == API_REQ_BODY)
		req_length_check(r);
}

/* A piece of the body: stored up to API_BODY_MAX, anything beyond is counted out. */
static void req_body_add(struct api_req *r, const char *data, size_t n)
{
	if (r->too_large || r->oom)
		return;
	if (n > API_BODY_MAX - r->len) {
		r->too_large = true;
		free(r->body);
		r->body = NULL;
		r->len = r->cap = 0;
		return;
	}
	if (r->len + n + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		while (cap < r->len + n + 1)
			cap *= 2;
		if (cap > API_BODY_MAX + 1)
			cap = API_BODY_MAX + 1;
		char *b = realloc(r->body, cap);
		if (!b) {
			r->oom = true; /* answered 500 when the body is complete */
			return;
		}
		r->body = b;
		r->cap = cap;
	}
	memcpy(r->body + r->len, data, n);
	r->len += n;
	r->body[r->len] = '\0';
}

static void req_handler_call(struct api_req *r)
{
	r->state = API_REQ_HANDLER;
	r->route->fn(r, r->s->arg);
	if (r->state == API_REQ_HANDLER) {
		MHD_suspend_connection(r->conn);
		r->state = API_REQ_SUSPENDED;
	}
}

/* The last call of the body: the size, the unit call, then the handler. */
static void req_body_done(struct api_req *r)
{
	if (r->oom)
		api_reply_error(r, 500, "internal", "out of memory reading the request body");
	else if (r->too_large)
		api_reply_error(r, 413, "too_large", "request body above %u bytes", API_BODY_MAX);
	else if (r->s->phase != API_RUNNING)
		api_req_cancel(r);
	else if (r->route->auth == API_AUTH_UNIT)
		req_auth_unit(r);
	if (r->state == API_REQ_BODY)
		req_handler_call(r);
}

enum MHD_Result api_req_access(void *cls, struct MHD_Connection *conn, const char *url,
			       const char *method, const char *version, const char *upload,
			       size_t *upload_size, void **con_cls)
{
	struct api_server *s = cls;
	struct api_req *r = *con_cls;

	if (!r) {
		r = req_new(s, conn, url, method);
		if (!r)
			return MHD_NO;
		*con_cls = r;
		req_begin(r);
		/* A refusal is sent at once when a body would follow (it is never read; the
		 * connection closes after the answer); without a body it waits for the next
		 * call, which keeps the connection open for the client's next request. */
		if (r->state == API_REQ_ANSWERED && !req_has_body(r))
			return MHD_YES;
	} else if (r->state == API_REQ_BODY && *upload_size) {
		req_body_add(r, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	} else if (r->state == API_REQ_BODY) {
		req_body_done(r);
	}
	if (r->state == API_REQ_ANSWERED)
		return api_req_queue(r);
	return MHD_YES;
}

void api_req_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		       enum MHD_RequestTerminationCode toe)
{
	struct api_req *r = *con_cls;

	if (!r)
		return;
	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
		log_debug("api: '%s %s' from %s ended before its answer was sent (%d)", r->method,
			  r->path, r->peer, (int)toe);
	if (r->state == API_REQ_ANSWERED || r->state == API_REQ_QUEUED)
		r->s->answering--;
	if (r->cancel) /* only when libmicrohttpd drops a request the handler still holds */
		r->cancel(r, r->cancel_arg);
	*con_cls = NULL;
	req_free(r);
}
