/* httpd.c — the API server's life on the libuv loop (architecture.md §4): its own listen
 * socket, libmicrohttpd in external epoll mode (no thread of its own), the uv_poll on
 * MHD's epoll fd and the uv_timer from MHD_get_timeout(), and the stop in three steps
 * (stop accepting and answer the waiting requests with 503; let the answers go out; close).
 * Requests themselves are in httpd_req.c. Loop thread only. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/httpd_priv.h"
#include "lib/addr.h"
#include "lib/log.h"

#define LISTEN_BACKLOG 128

/* "127.0.0.1:7301" or "[::1]:7301"; port 0..65535 (0 = any). */
static int listen_parse(const char *listen, struct sockaddr_storage *ss, socklen_t *ret_len)
{
	if (sec_addr_parse(listen, true, ss) < 0)
		return -EINVAL;
	*ret_len = sec_addr_len(ss);
	return 0;
}

/* Opens, binds and listens on s->listen; fills s->lfd and s->port. */
static int listen_open(struct api_server *s, struct sec_err *reterr)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1, r;
	const char *step;

	if (listen_parse(s->listen, &ss, &len) < 0)
		return sec_errf(
		    reterr, -EINVAL,
		    "api_listen '%s': not ADDRESS:PORT (e.g. 127.0.0.1:7301 or [::1]:7301)",
		    s->listen);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return sec_errf(reterr, -errno, "api_listen '%s': socket: %s", s->listen,
				strerror(errno));
	step = "setsockopt";
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		goto fail;
	if (ss.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		goto fail;
	step = "bind";
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		goto fail;
	step = "listen";
	if (listen(fd, LISTEN_BACKLOG) < 0)
		goto fail;
	step = "getsockname";
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		goto fail;
	s->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						 : ((struct sockaddr_in *)&ss)->sin_port);
	s->lfd = fd;
	return 0;
fail:
	r = -errno;
	sec_errf(reterr, r, "api_listen '%s': %s: %s", s->listen, step, strerror(-r));
	close(fd);
	return r;
}

/* libmicrohttpd's own messages: debug only (they never carry headers or bodies). */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("api: libmicrohttpd: %s", msg);
}

static void stop_finish(struct api_server *s);
static void on_timer(uv_timer_t *t);

/* Arms the timer: at once after a resume, else MHD's timeout (capped by the drain end). */
static void server_arm(struct api_server *s)
{
	MHD_UNSIGNED_LONG_LONG t;
	uint64_t ms = UINT64_MAX;

	if (s->need_run)
		ms = 0;
	else if (MHD_get_timeout(s->mhd, &t) == MHD_YES)
		ms = t;
	if (s->phase == API_STOP_DRAINING) {
		uint64_t now = uv_now(s->loop);
		uint64_t left = s->drain_deadline_ms > now ? s->drain_deadline_ms - now : 0;
		if (left < ms)
			ms = left;
	}
	if (ms == UINT64_MAX)
		uv_timer_stop(&s->timer);
	else
		uv_timer_start(&s->timer, on_timer, ms, 0);
}

/* Stop, step 1: no new connections; every waiting request is answered 503. */
static void stop_begin(struct api_server *s)
{
	MHD_socket fd = MHD_quiesce_daemon(s->mhd);

	if (fd == s->lfd)
		s->lfd_mhd = false; /* given back: ours to close */
	s->phase = API_STOP_DRAINING;
	s->drain_deadline_ms = uv_now(s->loop) + API_STOP_DRAIN_MS;
	for (struct api_req *r = s->reqs; r; r = r->next)
		if (r->state == API_REQ_SUSPENDED)
			api_req_cancel(r);
}

/* One round: MHD_run(), then the stop's next step or the timer. */
static void server_service(struct api_server *s)
{
	if (s->phase == API_STOP_ASKED)
		stop_begin(s);
	s->need_run = false;
	s->in_run = true;
	MHD_run(s->mhd);
	s->in_run = false;
	if (s->phase == API_STOP_DRAINING &&
	    (s->answering == 0 || uv_now(s->loop) >= s->drain_deadline_ms)) {
		stop_finish(s);
		return;
	}
	server_arm(s);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	server_service(h->data);
}

static void on_timer(uv_timer_t *t)
{
	server_service(t->data);
}

void api_server_kick(struct api_server *s)
{
	s->need_run = true;
	if (!s->in_run && s->phase < API_STOP_CLOSING)
		uv_timer_start(&s->timer, on_timer, 0, 0);
}

static void server_free(struct api_server *s)
{
	if (s->mhd)
		MHD_stop_daemon(s->mhd);
	if (s->lfd >= 0 && !s->lfd_mhd)
		close(s->lfd);
	free(s->routes);
	free(s);
}

static void on_closed(uv_handle_t *h)
{
	struct api_server *s = h->data;
	void (*done)(void *) = s->done;
	void *arg = s->done_arg;

	if (--s->open_handles > 0)
		return;
	free(s->routes);
	free(s);
	if (done)
		done(arg);
}

/* Stop, step 3 (also the undo of a start that failed late): the uv handles go first (the
 * uv_poll must leave MHD's epoll fd before MHD closes it), then libmicrohttpd with every
 * connection left (their requests complete and are freed), then the listen socket. */
static void stop_finish(struct api_server *s)
{
	s->phase = API_STOP_CLOSING;
	uv_close((uv_handle_t *)&s->poll, on_closed);
	uv_close((uv_handle_t *)&s->timer, on_closed);
	MHD_stop_daemon(s->mhd);
	s->mhd = NULL;
	if (s->lfd >= 0 && !s->lfd_mhd)
		close(s->lfd);
	s->lfd = -1;
}

static int mhd_start(struct api_server *s, struct sec_err *reterr)
{
	const union MHD_DaemonInfo *di;

	s->mhd = MHD_start_daemon(
	    MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0, NULL, NULL,
	    api_req_access, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s, MHD_OPTION_LISTEN_SOCKET,
	    (MHD_socket)s->lfd, MHD_OPTION_CONNECTION_LIMIT, (unsigned int)API_CONN_MAX,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)API_IDLE_TIMEOUT_S,
	    MHD_OPTION_NOTIFY_COMPLETED, api_req_completed, s, MHD_OPTION_END);
	if (!s->mhd)
		return sec_errf(reterr, -EIO, "api_listen '%s': libmicrohttpd did not start",
				s->listen);
	s->lfd_mhd = true; /* libmicrohttpd's now, until MHD_quiesce_daemon() gives it back */
	di = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!di || di->epoll_fd < 0)
		return sec_errf(reterr, -EIO, "api_listen '%s': libmicrohttpd has no epoll fd",
				s->listen);
	if (uv_poll_init(s->loop, &s->poll, di->epoll_fd) < 0)
		return sec_errf(reterr, -EIO,
				"api_listen '%s': cannot watch libmicrohttpd's epoll fd",
				s->listen);
	return 0;
}

int api_server_start(uv_loop_t *loop, const char *listen, const struct api_route *routes, size_t n,
		     const struct api_auth_ops *ops, void *arg, struct api_server **ret,
		     struct sec_err *reterr)
{
	struct api_server *s;
	int r;

	if (!listen || strlen(listen) >= sizeof(s->listen))
		return sec_errf(reterr, -EINVAL, "api_listen: missing or longer than %zu bytes",
				sizeof(s->listen) - 1);
	r = api_routes_check(routes, n, ops, reterr);
	if (r < 0)
		return r;
	s = calloc(1, sizeof(*s));
	if (!s || !(s->routes = calloc(n ? n : 1, sizeof(*routes)))) {
		free(s);
		return sec_errf(reterr, -ENOMEM, "api server: out of memory");
	}
	if (n)
		memcpy(s->routes, routes, n * sizeof(*routes));
	s->nroutes = n;
	if (ops)
		s->ops = *ops;
	s->arg = arg;
	s->loop = loop;
	s->lfd = -1;
	snprintf(s->listen, sizeof(s->listen), "%s", listen);
	r = listen_open(s, reterr);
	if (r == 0)
		r = mhd_start(s, reterr);
	if (r < 0) {
		server_free(s);
		return r;
	}
	s->poll.data = s;
	s->timer.data = s;
	uv_timer_init(loop, &s->timer);
	s->open_handles = 2;
	if (uv_poll_start(&s->poll, UV_READABLE, on_poll) < 0) {
		stop_finish(s); /* the handles close on the loop; s goes with them */
		return sec_errf(reterr, -EIO,
				"api_listen '%s': cannot watch libmicrohttpd's epoll fd", listen);
	}
	log_debug("api: listening on '%s' (port %u)", s->listen, s->port);
	*ret = s;
	return 0;
}

uint16_t api_server_port(const struct api_server *s)
{
	return s->port;
}

const struct api_route *api_server_routes(const struct api_server *s, size_t *n)
{
	*n = s->nroutes;
	return s->routes;
}

void api_server_stop(struct api_server *s, void (*done)(void *arg), void *arg)
{
	if (s->phase != API_RUNNING) {
		log_warnx("api: '%s': second stop ignored", s->listen);
		return;
	}
	s->done = done;
	s->done_arg = arg;
	s->phase = API_STOP_ASKED;
	api_server_kick(s);
}
