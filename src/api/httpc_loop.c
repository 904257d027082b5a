/* httpc_loop.c — libcurl's multi socket interface on the libuv loop (src/api/httpc.h):
 * CURLMOPT_SOCKETFUNCTION gives one uv_poll per socket, CURLMOPT_TIMERFUNCTION one uv_timer;
 * their callbacks call curl_multi_socket_action() and then collect finished transfers with
 * curl_multi_info_read(). No user callback runs inside a curl callback: done() is called
 * from httpc_transfer_done(), after curl returned. */
#include <errno.h>
#include <stdlib.h>

#include "api/httpc_priv.h"
#include "lib/log.h"

#define HTTPC_MAXCONNECTS 64L /* kept-alive connections (one per peer unit is the norm) */

/* Every finished transfer, until c starts closing (a done() may call httpc_free). */
static void check_info(struct httpc *c)
{
	CURLMsg *msg;
	int left;

	while (!c->closing && (msg = curl_multi_info_read(c->multi, &left))) {
		struct httpc_call *k = NULL;
		CURLcode rc = msg->data.result;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&k);
		httpc_transfer_done(k, rc);
	}
}

static void socket_action(struct httpc *c, curl_socket_t fd, int flags)
{
	int running;
	CURLMcode mc = curl_multi_socket_action(c->multi, fd, flags, &running);

	if (mc != CURLM_OK)
		log_debug("httpc: curl_multi_socket_action: %s", curl_multi_strerror(mc));
	check_info(c);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	struct httpc_sock *s = h->data;
	int flags = 0;

	if (status < 0)
		flags = CURL_CSELECT_ERR;
	else
		flags = (events & UV_READABLE ? CURL_CSELECT_IN : 0) |
			(events & UV_WRITABLE ? CURL_CSELECT_OUT : 0);
	socket_action(s->c, s->fd, flags);
}

static void on_curl_timer(uv_timer_t *t)
{
	socket_action(t->data, CURL_SOCKET_TIMEOUT, 0);
}

static void on_closed(uv_handle_t *h)
{
	struct httpc *c = h->data;

	httpc_handle_closed(c);
}

static void on_sock_closed(uv_handle_t *h)
{
	struct httpc_sock *s = h->data;
	struct httpc *c = s->c;

	free(s);
	httpc_handle_closed(c);
}

static void sock_close(struct httpc *c, struct httpc_sock *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		c->socks = s->next;
	if (s->next)
		s->next->prev = s->prev;
	uv_close((uv_handle_t *)&s->poll, on_sock_closed);
}

static struct httpc_sock *sock_new(struct httpc *c, curl_socket_t fd)
{
	struct httpc_sock *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	if (uv_poll_init_socket(c->loop, &s->poll, fd) < 0) {
		free(s);
		return NULL;
	}
	s->poll.data = s;
	s->c = c;
	s->fd = fd;
	s->next = c->socks;
	if (s->next)
		s->next->prev = s;
	c->socks = s;
	c->handles++;
	curl_multi_assign(c->multi, fd, s);
	return s;
}

/* CURLMOPT_SOCKETFUNCTION: watch fd for `what`, or stop watching it. */
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct httpc *c = userp;
	struct httpc_sock *s = socketp;
	int events = 0;

	if (what == CURL_POLL_REMOVE) {
		if (s) {
			if (!c->closing) /* not while curl_multi_cleanup() runs */
				curl_multi_assign(c->multi, fd, NULL);
			sock_close(c, s);
		}
		return 0;
	}
	if (!s && !(s = sock_new(c, fd)))
		return -1; /* curl fails the transfers of this socket */
	if (what & CURL_POLL_IN)
		events |= UV_READABLE;
	if (what & CURL_POLL_OUT)
		events |= UV_WRITABLE;
	return uv_poll_start(&s->poll, events, on_poll) < 0 ? -1 : 0;
}

/* CURLMOPT_TIMERFUNCTION: call curl back in timeout_ms (0: on the next loop turn; never
 * from inside curl), or not at all (-1). */
static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct httpc *c = userp;

	if (timeout_ms < 0)
		uv_timer_stop(&c->curl_timer);
	else
		uv_timer_start(&c->curl_timer, on_curl_timer, (uint64_t)timeout_ms, 0);
	return 0;
}

int httpc_loop_init(struct httpc *c, struct sec_err *reterr)
{
	CURLMcode mc = CURLM_OK;

	c->multi = curl_multi_init();
	if (!c->multi)
		return sec_errf(reterr, -ENOMEM, "http client: curl_multi_init failed");
	mc |= curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	mc |= curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	mc |= curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	mc |= curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	mc |= curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, HTTPC_MAXCONNECTS);
	if (mc != CURLM_OK) {
		curl_multi_cleanup(c->multi);
		c->multi = NULL;
		return sec_errf(reterr, -EIO, "http client: libcurl refused the multi options");
	}
	uv_timer_init(c->loop, &c->curl_timer);
	uv_timer_init(c->loop, &c->queue_timer);
	c->curl_timer.data = c;
	c->queue_timer.data = c;
	c->handles = 2;
	return 0;
}

void httpc_loop_close(struct httpc *c)
{
	/* closes the kept-alive connections; curl may still call on_socket / on_timer */
	curl_multi_cleanup(c->multi);
	c->multi = NULL;
	while (c->socks)
		sock_close(c, c->socks);
	uv_close((uv_handle_t *)&c->curl_timer, on_closed);
	uv_close((uv_handle_t *)&c->queue_timer, on_closed);
}
