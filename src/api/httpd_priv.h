/* httpd_priv.h — the server's internals, shared by httpd.c (lifecycle, the libuv drive),
 * httpd_req.c (one request: routing, authentication, body), httpd_reply.c (answers and
 * accessors) and httpd_route.c (route table checks and matching). Not for handlers. */
#ifndef SEC_API_HTTPD_PRIV_H
#define SEC_API_HTTPD_PRIV_H

#include <stdbool.h>

#include <microhttpd.h>

#include "api/httpd.h"

/* Where a request is; one function per transition in httpd_req.c. */
enum api_req_state {
	API_REQ_BODY = 0,  /* headers checked, body arriving (or none) */
	API_REQ_HANDLER,   /* inside the handler */
	API_REQ_SUSPENDED, /* the handler returned without a reply: connection suspended */
	API_REQ_ANSWERED,  /* a reply is stored (and the connection resumed): to be queued */
	API_REQ_QUEUED,	   /* handed to libmicrohttpd */
	API_REQ_STATE_MAX
};

struct api_param {
	char name[API_PARAM_NAME_MAX + 1];
	char *value;
};

struct api_req {
	struct api_server *s;
	struct MHD_Connection *conn;
	struct api_req *prev, *next; /* s->reqs: every live request */
	enum api_req_state state;
	const char *method, *path; /* libmicrohttpd's, valid as the connection is */
	const struct api_route *route;
	struct api_param params[API_PARAMS_MAX];
	size_t nparams;
	char *body; /* NUL-terminated; NULL until a byte arrives */
	size_t len, cap;
	bool too_large; /* more than API_BODY_MAX came: the rest is discarded */
	bool oom;	/* the body could not be stored: 500 at its end */
	bool has_claims, has_from;
	struct auth_token_claims claims;
	struct auth_unitmsg_from from;
	char peer[64];
	struct MHD_Response *resp; /* the stored reply until queued */
	unsigned status;
	void (*cancel)(struct api_req *r, void *arg);
	void *cancel_arg;
};

enum api_stop_phase {
	API_RUNNING = 0,
	API_STOP_ASKED,	   /* api_server_stop() called: begins on the next service round */
	API_STOP_DRAINING, /* not accepting; pending requests answered 503; sending */
	API_STOP_CLOSING,  /* uv handles closing */
	API_STOP_PHASE_MAX
};

struct api_server {
	uv_loop_t *loop;
	struct MHD_Daemon *mhd;
	int lfd;      /* the listen socket (-1 once closed) */
	bool lfd_mhd; /* libmicrohttpd closes it (from start until MHD_quiesce_daemon()) */
	uint16_t port;
	char listen[64];
	struct api_route *routes;
	size_t nroutes;
	struct api_auth_ops ops;
	void *arg;
	uv_poll_t poll;
	uv_timer_t timer;
	bool in_run;   /* inside MHD_run(): handlers are running */
	bool need_run; /* a suspended request was resumed: run MHD again soon */
	struct api_req *reqs;
	size_t answering; /* requests with a reply stored or queued, not completed */
	enum api_stop_phase phase;
	uint64_t drain_deadline_ms; /* uv_now() */
	int open_handles;
	void (*done)(void *arg);
	void *done_arg;
};

/* httpd.c: run MHD soon (a 0 ms timer) when not inside MHD_run() already. */
void api_server_kick(struct api_server *s);

/* httpd_req.c: libmicrohttpd's access handler and completion callback. */
enum MHD_Result api_req_access(void *cls, struct MHD_Connection *conn, const char *url,
			       const char *method, const char *version, const char *upload,
			       size_t *upload_size, void **con_cls);
void api_req_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		       enum MHD_RequestTerminationCode toe);
/* Answers r with 503 unavailable after calling its cancel callback (stop). */
void api_req_cancel(struct api_req *r);

/* httpd_reply.c: stores the answer of r (status, JSON text `text` of len bytes, malloc'd,
 * taken) and resumes r if it is suspended; allow is the Allow header or NULL. */
void api_req_set_reply(struct api_req *r, unsigned status, char *text, size_t len,
		       const char *allow);
/* 405 method_not_allowed with the Allow header. */
void api_reply_error_allow(struct api_req *r, const char *allow, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Hands the stored answer to libmicrohttpd (from the access handler). */
enum MHD_Result api_req_queue(struct api_req *r);

/* httpd_route.c */
int api_routes_check(const struct api_route *routes, size_t n, const struct api_auth_ops *ops,
		     struct sec_err *reterr);
/* The best route for method and path, filling r->params; NULL when none. When the path
 * matches only with other methods, writes them ("GET, POST") to allow (else allow[0] = 0). */
const struct api_route *api_route_match(const struct api_server *s, struct api_req *r,
					const char *method, const char *path, char *allow,
					size_t allow_size);

#endif
