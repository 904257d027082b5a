/* httpc_priv.h — the insides of src/api/httpc.h shared by its three files:
 *   httpc.c       the public functions, the per-unit queues, completion and shutdown
 *   httpc_call.c  one call: argument checks, the curl easy handle, the result
 *   httpc_loop.c  libcurl's multi socket interface on the libuv loop
 * Not for other modules. */
#ifndef SEC_API_HTTPC_PRIV_H
#define SEC_API_HTTPC_PRIV_H

#include <stdbool.h>
#include <curl/curl.h>

#include "api/httpc.h"
#include "auth/unitmsg.h"

#define HTTPC_ADDR_MAX	 64   /* "[" IPv6 "]:" port and the NUL */
#define HTTPC_METHOD_MAX 16   /* bytes of a method */
#define HTTPC_PATH_MAX	 4096 /* bytes of a path (and query) */
#define HTTPC_HEADER_MAX 8192 /* bytes of one forwarded header */

enum httpc_call_state {
	HTTPC_CALL_QUEUED = 1, /* waiting behind an earlier call to the same unit */
	HTTPC_CALL_RUNNING,    /* its easy handle is in the multi handle */
	HTTPC_CALL_ENDED,      /* done() is running or ran */
};

struct httpc_call {
	struct httpc *c;
	struct httpc_call *prev, *next; /* c->calls: every pending call, oldest first */
	struct httpc_call *qnext;	/* c->dest[to]: the queue of a unit */
	enum httpc_call_state state;
	uint32_t to; /* destination unit; 0 for a forwarded call (not signed) */
	char method[HTTPC_METHOD_MAX + 1];
	char addr[HTTPC_ADDR_MAX];
	char *path; /* path, with the query for a forwarded call */
	char *body; /* the request body (copy), NUL-terminated */
	size_t len;
	struct curl_slist *hdrs; /* forwarded: the caller's headers; signed: built at start */
	uint32_t timeout_ms;
	uint64_t deadline_ms; /* httpc_now_ms() + timeout_ms at httpc_call() */
	uint32_t connect_ms;  /* the connect timeout used */
	CURL *easy;	      /* while RUNNING */
	char *resp;	      /* the response body so far, NUL-terminated */
	size_t resp_len, resp_cap;
	bool too_large; /* the response passed HTTPC_BODY_MAX */
	httpc_done_fn *done;
	void *arg;
	char errbuf[CURL_ERROR_SIZE];
};

/* The calls to one unit: one in flight, the rest queued in order. */
struct httpc_dest {
	struct httpc_call *inflight;
	struct httpc_call *head, *tail;
};

/* One socket curl asked us to watch. */
struct httpc_sock {
	uv_poll_t poll;
	struct httpc *c;
	curl_socket_t fd;
	struct httpc_sock *prev, *next; /* c->socks */
};

struct httpc {
	uv_loop_t *loop;
	CURLM *multi;
	uv_timer_t curl_timer;	/* curl's timeout (CURLMOPT_TIMERFUNCTION) */
	uv_timer_t queue_timer; /* the earliest deadline of a queued call */
	struct auth_unitmsg_sender sender;
	struct auth_key key;
	struct httpc_call *calls, *calls_tail;
	size_t npending;
	struct httpc_sock *socks;
	unsigned handles; /* uv handles not yet closed */
	bool closing;
	void (*done_all)(void *arg);
	void *done_all_arg;
	struct httpc_dest dest[AUTH_UNITS_MAX + 1];
};

/* httpc_call.c */
uint64_t httpc_now_ms(void);
/* Checks the arguments and makes a call (not started, not linked): 0 or -EINVAL, -ENOMEM. */
int httpc_call_new(struct httpc *c, const char *addr, const char *method, const char *path,
		   bool with_query, const void *body, size_t len, uint32_t timeout_ms,
		   httpc_done_fn *done, void *arg, struct httpc_call **ret);
/* Adds forwarded headers to k: 0 or -EINVAL (a header out of range), -ENOMEM. */
int httpc_call_add_headers(struct httpc_call *k, const char *const *headers, size_t n);
/* Signs k when it goes to a unit, makes its easy handle and adds it to c->multi with the
 * time left until its deadline. 0 or -ETIMEDOUT (deadline passed), -EOVERFLOW, -ENOMEM,
 * -EIO; on failure nothing is in the multi handle. */
int httpc_call_start(struct httpc_call *k);
/* Removes k's easy handle from the multi handle (if RUNNING) and frees k. */
void httpc_call_free(struct httpc_call *k);
/* The result of a finished transfer (rc) or of err without one (status 0). */
void httpc_call_result(struct httpc_call *k, CURLcode rc, struct httpc_result *ret);
void httpc_call_result_err(struct httpc_call *k, int err, struct httpc_result *ret);

/* httpc_loop.c */
int httpc_loop_init(struct httpc *c, struct sec_err *reterr);
/* Cleans up the multi handle and closes every uv handle; httpc_closed() when all are. */
void httpc_loop_close(struct httpc *c);

/* httpc.c */
/* A transfer ended (from the loop, after curl_multi_info_read). */
void httpc_transfer_done(struct httpc_call *k, CURLcode rc);
/* One uv handle of c was closed. */
void httpc_handle_closed(struct httpc *c);

#endif
