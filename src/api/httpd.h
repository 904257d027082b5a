/* httpd.h — the REST API server of every MU (architecture.md §4 "Inside a daemon", §6
 * "Interfaces"; docs/api.md is the contract: routes, auth kinds, the error JSON).
 *
 * libmicrohttpd runs WITHOUT a thread of its own, driven from the unit's libuv loop: its
 * epoll fd is watched by a uv_poll, MHD_get_timeout() drives a uv_timer, MHD_run(),
 * suspend and resume happen on the loop thread. The server owns the route table matching,
 * the authentication of every call and the error replies; the MU's route handlers (in
 * src/secd/) only see requests that passed:
 *
 *     unknown path                               -> 404 not_found
 *     known path, other method                   -> 405 method_not_allowed (+ Allow header)
 *     body above API_BODY_MAX (1 MiB)            -> 413 too_large (the rest is not stored)
 *     API_AUTH_PERSON: no/bad Bearer token       -> 401 unauthenticated (ops->person decides)
 *     API_AUTH_PERSON: none of the route's roles -> 403 forbidden
 *     API_AUTH_UNIT: a Bearer token, missing or
 *        bad X-Sec-Unit / X-Sec-Auth             -> 401 unauthenticated (ops->unit decides)
 *     otherwise                                  -> the route's handler
 *
 * Every answer is JSON with Content-Type: application/json and Cache-Control: no-store;
 * errors are {"error": {"code", "message", "details": [...]}}. No request header, token or
 * body is ever logged (one debug line per answer: method, path, peer, status).
 *
 *     static const struct api_route routes[] = {
 *             {"POST", "/api/v1/login", API_AUTH_LOGIN, 0, h_login},
 *             {"GET", "/api/v1/units", API_AUTH_PERSON, 0, h_units},
 *             {"POST", "/api/v1/units/{name}/commands", API_AUTH_PERSON,
 *              AUTH_ROLE_OPERATOR | AUTH_ROLE_ADMIN, h_command},
 *             {"POST", "/api/v1/internal/snapshot", API_AUTH_UNIT, 0, h_snapshot},
 *     };
 *     struct api_auth_ops ops = {.person = check_token, .unit = check_unit_call};
 *     struct api_server *s;
 *     if (api_server_start(loop, "127.0.0.1:7301", routes, 4, &ops, mu, &s, &err) < 0)
 *             -> err.msg names the address
 *     static void h_command(struct api_req *r, void *mu) {
 *             struct sec_err e;
 *             json_t *body = api_req_json(r, &e);
 *             if (!body) {
 *                     api_reply_error(r, 400, "bad_request", "%s", e.msg);
 *                     return;
 *             }
 *             ... start the command; its completion, later on the loop, replies:
 *             api_reply_json(r, 200, json_pack("{s:s}", "unit", api_req_param(r, "name")));
 *             json_decref(body);
 *     }
 *     ...
 *     api_server_stop(s, on_stopped, mu);   // on_stopped() runs once everything is closed
 *
 * Threading: the server belongs to the loop thread. Every function here is called on the
 * thread that runs `loop` (handlers run there, inside MHD_run()); nothing is thread-safe.
 * A handler that waits for something (a forwarded write, another unit) returns without
 * replying: the connection is suspended and resumed by the reply, which must then also be
 * made on the loop thread.
 *
 * Limits: API_BODY_MAX bytes of body, API_CONN_MAX connections, API_IDLE_TIMEOUT_S of
 * inactivity closes a connection (a suspended request waits for its handler instead), at
 * most API_PARAMS_MAX {name} segments per route. */
#ifndef SEC_API_HTTPD_H
#define SEC_API_HTTPD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "auth/token.h"
#include "auth/unitmsg.h"
#include "lib/err.h"

#define API_BODY_MAX	   (1024u * 1024u) /* bytes of a request body (docs/api.md 413) */
#define API_CONN_MAX	   256		   /* connections at once; more wait in the backlog */
#define API_IDLE_TIMEOUT_S 30		   /* seconds without traffic closes a connection */
#define API_STOP_DRAIN_MS  1000		   /* api_server_stop(): time to send the last answers */
#define API_PARAMS_MAX	   4		   /* {name} segments per route path */
#define API_PARAM_NAME_MAX 31		   /* bytes of a {name}, without the braces */

/* How a route authenticates its caller (docs/api.md "Authentication"). */
enum api_auth {
	/* no token: the handler authenticates by the body (POST /api/v1/login) */
	API_AUTH_LOGIN = 0,
	/* Authorization: Bearer TOKEN, checked by ops->person */
	API_AUTH_PERSON,
	/* X-Sec-Unit + X-Sec-Auth, checked by ops->unit (routes under /api/v1/internal/) */
	API_AUTH_UNIT,
	API_AUTH_MAX
};

/* One request, owned by the server. Valid from the handler's call until its reply is sent
 * (or, for a request never answered, until api_server_stop() answers it with 503; see
 * api_req_on_cancel()). */
struct api_req;
struct api_server;

typedef void api_handler_fn(struct api_req *r, void *arg);

/* One route. method is upper case ("GET", "POST"); path starts with "/api/" and may contain
 * whole {name} segments ("/api/v1/units/{name}/commands"; a segment matches one non-empty
 * path segment). Routes under /api/v1/internal/ must be API_AUTH_UNIT and only those.
 * When two routes match a path, the one with more literal segments wins (then the earlier
 * one). The strings must outlive the server (string literals, typically). */
struct api_route {
	const char *method;
	const char *path;
	enum api_auth auth;
	uint32_t roles; /* PERSON: any of these AUTH_ROLE_* bits is enough (0 = any role) */
	api_handler_fn *fn;
};

struct api_auth_ops {
	/* token (the text after "Bearer ") -> claims; returns 0 or a negative errno, which
	 * becomes 401 with auth_token_strerror(err) as the message. Typically
	 * auth_token_verify() with the token keys of region 0. */
	int (*person)(void *arg, const char *token, struct auth_token_claims *ret);
	/* a unit call -> its sender; 0 or a negative errno (-> 401 with
	 * auth_unitmsg_strerror(err)). hdr_unit, hdr_auth are the X-Sec-Unit and X-Sec-Auth
	 * values (never NULL here: absent headers are refused before); path is the decoded
	 * request path without the query; body is the whole request body (len bytes,
	 * NUL-terminated). Typically auth_unitmsg_accept(). */
	int (*unit)(void *arg, const char *method, const char *path, const void *body, size_t len,
		    const char *hdr_unit, const char *hdr_auth, struct auth_unitmsg_from *ret);
};

/* Starts the API server on `listen` ("127.0.0.1:7301" or "[::1]:7301"; port 0 = any free
 * port, see api_server_port()), serving routes[0..n-1] (copied; their strings are not),
 * authenticating with ops (copied; person is required when a route is PERSON, unit when
 * one is UNIT) and passing `arg` to the ops and to every handler. The server binds its own
 * socket (SO_REUSEADDR, backlog 128) and hands it to libmicrohttpd.
 * Returns 0 and *ret, or a negative errno with reterr naming the cause:
 *   -EINVAL   listen is not ADDRESS:PORT, or a route is invalid (reterr names its index)
 *   -errno    of socket()/bind()/listen(), e.g. -EADDRINUSE ("api_listen '127.0.0.1:7301':
 *             bind: Address already in use")
 *   -EIO      libmicrohttpd or libuv refused to start
 *   -ENOMEM */
int api_server_start(uv_loop_t *loop, const char *listen, const struct api_route *routes, size_t n,
		     const struct api_auth_ops *ops, void *arg, struct api_server **ret,
		     struct sec_err *reterr);

/* The bound port (useful after port 0). */
uint16_t api_server_port(const struct api_server *s);

/* The route table as given to api_server_start() (the server's copy, n entries): for the
 * test that proves every non-LOGIN route refuses an unauthenticated call. */
const struct api_route *api_server_routes(const struct api_server *s, size_t *n);

/* Stops the server; asynchronous (may be called from a handler). It stops accepting
 * connections, answers every request whose handler has not replied with 503 `unavailable`
 * (after calling its cancel callback, api_req_on_cancel()), gives the answers in flight up
 * to API_STOP_DRAIN_MS to be sent, then closes every connection, MHD_stop_daemon()s and
 * closes its uv handles; done(arg) runs once on the loop when all is closed, and s is
 * freed then. Handlers are not called any more once stop was called (a request that
 * completes its body meanwhile gets 503 too). A second call is ignored. */
void api_server_stop(struct api_server *s, void (*done)(void *arg), void *arg);

/* Request accessors. Strings are owned by the request (valid as r is). */
const char *api_req_method(const struct api_req *r); /* "GET" */
const char *api_req_path(const struct api_req *r);   /* decoded path, without the query */
/* The decoded value of query parameter key ("?current=1&text=a%20b"); "" for "?key";
 * NULL if absent. */
const char *api_req_query(const struct api_req *r, const char *key);
/* The value of the route's {name} segment; NULL when the route has no such segment. */
const char *api_req_param(const struct api_req *r, const char *name);
/* The body (NUL-terminated copy, "" when there is none); *len (may be NULL) its bytes. */
const char *api_req_body(const struct api_req *r, size_t *len);
/* Parses the body as a JSON object. Returns a new reference (the caller json_decref()s), or
 * NULL with err (may be NULL) filled: -EINVAL and "request body: ..." naming the line and
 * column, or that an object was expected. */
json_t *api_req_json(struct api_req *r, struct sec_err *err);
/* The token's claims (PERSON routes; NULL on others). */
const struct auth_token_claims *api_req_claims(const struct api_req *r);
/* The sending unit (UNIT routes; NULL on others). */
const struct auth_unitmsg_from *api_req_from(const struct api_req *r);
/* The value of request header name (case-insensitive), NULL if absent. For a handler that
 * forwards a person's call (the Authorization header to copy); never log it. */
const char *api_req_header(const struct api_req *r, const char *name);
/* The client's address, "127.0.0.1:5555" or "[::1]:5555". */
const char *api_req_peer(const struct api_req *r);

/* Registers fn(r, arg), called once on the loop if the server answers r itself before the
 * handler replied (api_server_stop(): 503). After fn returns r is gone: the handler side
 * drops its pointer there. One callback per request (a second call replaces it). */
void api_req_on_cancel(struct api_req *r, void (*fn)(struct api_req *r, void *arg), void *arg);

/* Replies: exactly one per request, inside the handler or later on the loop thread (the
 * connection stays suspended until then). A second reply is a bug: it is logged and
 * ignored (its body freed). After the reply r may be freed at once: do not touch it.
 * api_reply_json: body is stolen (NULL = {}); 500 `internal` if it cannot be encoded.
 * api_reply_error: {"error": {"code": code, "message": <fmt...>, "details": []}}.
 * api_reply_error_details: the same with details (stolen; an array, or any other value
 * that is put into a one-element array; NULL = []). Messages are cut at 511 bytes; they
 * are shown to people: never a secret in them. */
void api_reply_json(struct api_req *r, unsigned status, json_t *body);
void api_reply_error(struct api_req *r, unsigned status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void api_reply_error_details(struct api_req *r, unsigned status, const char *code, json_t *details,
			     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
