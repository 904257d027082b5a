/* httpc.h — the HTTP client of secd: authenticated unit-to-unit calls and writes forwarded
 * to the Master MU (architecture.md §4 "Inter-unit calls are HTTP/JSON authenticated with
 * the cluster key", "The HTTP client is libcurl (multi interface on the loop)";
 * docs/api.md "The client").
 *
 * libcurl's multi socket interface runs on the daemon's libuv loop: every socket curl uses
 * is watched by one uv_poll, curl's timeout by one uv_timer, and curl_multi_socket_action()
 * runs in their callbacks. There is no curl thread and nothing blocks (addresses are IP
 * literals: no resolver). Connections are kept alive between calls.
 *
 *     struct httpc *c;
 *     httpc_new(loop, my_unit, my_incarnation, &cluster_key, &c, &err);
 *     httpc_call(c, 2, "127.0.0.1:7302", "POST", "/api/v1/internal/snapshot",
 *                json, strlen(json), 2000, on_done, ctx);
 *     ...
 *     static void on_done(void *ctx, const struct httpc_result *res)
 *     {
 *             if (res->err < 0)              // no answer: res->errmsg says why
 *                     log_warnx("%s", res->errmsg);
 *             else if (res->status != 200)   // an answer: res->body is the error JSON
 *                     ...
 *     }
 *     httpc_free(c, on_closed, ctx);         // pending calls end with -ECANCELED
 *
 * Sequence numbers and ordering (src/auth/unitmsg.h): one httpc is one sender; every signed
 * call takes the next sequence number, shared by all destinations. A receiver refuses a
 * call whose sequence number is not above the highest it accepted from this sender, so two
 * calls to the same unit that overtook each other in flight would see one refused. Hence
 * calls to the SAME unit are serialised: one in flight, the others queued in the order of
 * httpc_call(), each signed just before it is sent (not when it is queued). Calls to
 * different units run in parallel. Forwarded calls (not signed) always run at once.
 *
 * Secrets: the cluster key, tokens and Authorization headers never appear in a log line or
 * an errmsg (forwarded calls show their path without the query string).
 *
 * Not thread-safe: everything, callbacks included, runs on the loop's thread. */
#ifndef SEC_API_HTTPC_H
#define SEC_API_HTTPC_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "auth/key.h"
#include "lib/err.h"

#define HTTPC_BODY_MAX		 (8u << 20) /* response bytes accepted: 8 MiB */
#define HTTPC_CONNECT_TIMEOUT_MS 2000u	    /* connect timeout: min(this, the call's) */
#define HTTPC_HEADERS_MAX	 32	    /* extra headers of one forwarded call */

struct httpc; /* one per daemon, loop thread only */

/* Creates the client of unit self_unit (1..256) in its incarnation self_incarnation
 * (!= 0; the same as in its CRD alive message) on loop. Copies cluster_key (wiped on
 * httpc_free). Returns 0 and *ret, or -EINVAL (unit or incarnation out of range), -ENOMEM,
 * -EIO (libcurl or libsodium cannot initialise); reterr says which. */
int httpc_new(uv_loop_t *loop, uint32_t self_unit, uint64_t self_incarnation,
	      const struct auth_key *cluster_key, struct httpc **ret, struct sec_err *reterr);

/* The outcome of one call, passed to done(). */
struct httpc_result {
	/* 0: an answer came (any status); or -errno, no answer: -ETIMEDOUT (the call's
	 * timeout), -ECONNREFUSED, -EHOSTUNREACH, -EMSGSIZE (response body above
	 * HTTPC_BODY_MAX), -ECANCELED (httpc_free), -ENOMEM, -EOVERFLOW (sequence numbers
	 * exhausted: restart with a new incarnation), -EIO (anything else) */
	int err;
	long status;	  /* HTTP status, 0 when no response */
	const char *body; /* response body, NUL-terminated ("" when none), valid during done() */
	size_t len;	  /* bytes of body, without the NUL */
	/* for people: "POST http://127.0.0.1:7302/api/v1/internal/snapshot: connection
	 * refused"; on an answer "... : HTTP 200". Never a key, token or header. */
	char errmsg[256];
};
typedef void httpc_done_fn(void *arg, const struct httpc_result *res);

/* Starts one call to unit `to` (1..256) at addr ("127.0.0.1:7302" or
 * "[::1]:7302": an IP literal and a port). method is 1..16 uppercase letters ("GET",
 * "POST"); path starts with '/', 1..4096 printable bytes without '#', and may end in a
 * query ("/api/v1/internal/console?vm=G1&after=12", percent-encoded by the caller). The tag
 * covers the path before '?' (what the receiving server checks), NOT the query: a query
 * carries only what a reader asks for (which lines, how many), where a change in flight
 * could do no more than a change of the answer, which is not signed either. body (may be NULL when len is
 * 0) is copied and sent with Content-Type application/json. The call is signed with the
 * cluster key (X-Sec-Unit, X-Sec-Auth; auth_unitmsg_sign) just before it is sent.
 * timeout_ms (>= 1) bounds the whole call from now, time queued behind an earlier call to
 * the same unit included. done(arg, res) is called exactly once, on the loop thread, never
 * from inside httpc_call(). Returns 0, or (nothing started, done() not called): -EINVAL
 * (an argument out of range), -ECANCELED (httpc_free was called), -ENOMEM, -EOVERFLOW
 * (sequence numbers exhausted), -EIO (libcurl refused the transfer). */
int httpc_call(struct httpc *c, uint32_t to, const char *addr, const char *method, const char *path,
	       const void *body, size_t len, uint32_t timeout_ms, httpc_done_fn *done, void *arg);

/* Forwards a person's write to the Master MU (docs/api.md): as httpc_call(), but NOT
 * unit-signed, not serialised, path_and_query may carry a query, and headers[0..nheaders)
 * ("Name: value", e.g. "Authorization: Bearer ..." copied from the original request; at
 * most HTTPC_HEADERS_MAX, no CR or LF, not X-Sec-Unit / X-Sec-Auth) are added to the
 * request (copied). Content-Type application/json is added unless a header sets it.
 * Returns 0 or -errno as httpc_call(). */
int httpc_forward(struct httpc *c, const char *addr, const char *method, const char *path_and_query,
		  const char *const *headers, size_t nheaders, const void *body, size_t len,
		  uint32_t timeout_ms, httpc_done_fn *done, void *arg);

/* Calls started and not yet done (queued or in flight). */
size_t httpc_pending(const struct httpc *c);

/* Cancels every pending call (each done() with -ECANCELED, in the order they were made),
 * closes the connections and the uv handles, and calls done_all(arg) (may be NULL) from the
 * loop once everything is closed; c is freed then. Call it once; later httpc_call() and
 * httpc_forward() (e.g. from a done() that runs during it) return -ECANCELED. May be called
 * from inside done(). c == NULL: done_all(arg) is called at once. */
void httpc_free(struct httpc *c, void (*done_all)(void *arg), void *arg);

#endif
