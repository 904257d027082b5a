/* qmp_transport.c — the line-framed transport of qmp_transport.h: connect with retries,
 * read and cut into lines, buffer writes. The socket is ours (non-blocking, SOCK_CLOEXEC)
 * and watched by a uv_poll: writes use send(MSG_NOSIGNAL), so a QEMU that died never
 * raises SIGPIPE in secd (uv_write would). The handles (a timer, the poll) are counted; the
 * object is freed when libuv has closed the last one, so it stays valid for the rest of any
 * callback that called qmp_transport_free(). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "qemu/qmp_transport.h"

#define QMP_READ_CHUNK 65536

struct qmp_transport {
	uv_loop_t *loop;
	uv_timer_t timer; /* connect retry */
	uv_poll_t poll;
	int fd;		  /* the socket, -1 when none */
	bool poll_init;	  /* poll initialised and not yet closing */
	bool connected;
	bool ended;	  /* closed() reported or free() called: no more callbacks */
	bool freed;
	unsigned handles; /* handles not yet closed by libuv */
	char path[QMP_TRANSPORT_PATH_MAX + 1];
	uint64_t deadline_ns;
	uint32_t retry_ms;
	struct qmp_framer framer;
	char *out;	  /* bytes not yet sent */
	size_t out_len, out_cap;
	struct qmp_transport_callbacks cb;
	void *arg;
	uint64_t read_ns;
	char rbuf[QMP_READ_CHUNK];
};

/* ---- framer ---- */

void qmp_framer_init(struct qmp_framer *f, size_t max)
{
	memset(f, 0, sizeof(*f));
	f->max = max;
}

void qmp_framer_release(struct qmp_framer *f)
{
	free(f->buf);
	f->buf = NULL;
	f->len = f->cap = 0;
}

static int framer_reserve(struct qmp_framer *f, size_t need)
{
	size_t cap = f->cap ? f->cap : 4096;
	char *b;

	if (need <= f->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	b = realloc(f->buf, cap);
	if (!b)
		return -ENOMEM;
	f->buf = b;
	f->cap = cap;
	return 0;
}

int qmp_framer_feed(struct qmp_framer *f, const char *data, size_t n, qmp_line_fn *on_line,
		    void *arg)
{
	while (n > 0) {
		const char *nl = memchr(data, '\n', n);
		size_t take = nl ? (size_t)(nl - data) : n;
		size_t l;
		int r;

		/* + 1: a "\r" before the "\n" is not part of the line */
		if (f->len + take > f->max + 1)
			return -EMSGSIZE;
		if (framer_reserve(f, f->len + take + 1) < 0)
			return -ENOMEM;
		memcpy(f->buf + f->len, data, take);
		f->len += take;
		if (!nl)
			break;
		data += take + 1;
		n -= take + 1;
		l = f->len;
		f->len = 0;
		if (l > 0 && f->buf[l - 1] == '\r')
			l--;
		if (l > f->max)
			return -EMSGSIZE;
		f->buf[l] = '\0';
		if (l == 0)
			continue;
		r = on_line(arg, f->buf, l);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- handles ---- */

static void maybe_release(struct qmp_transport *t)
{
	if (!t->freed || t->handles > 0)
		return;
	qmp_framer_release(&t->framer);
	free(t->out);
	free(t);
}

static void on_handle_closed(uv_handle_t *h)
{
	struct qmp_transport *t = h->data;

	if (h == (uv_handle_t *)&t->poll) {
		t->poll_init = false;
		close(t->fd);
		t->fd = -1;
	}
	t->handles--;
	maybe_release(t);
}

/* Closes the socket: at once when no poll watches it, else when libuv has closed the poll
 * (on_handle_closed), never twice. */
static void sock_close(struct qmp_transport *t)
{
	if (t->poll_init) {
		if (!uv_is_closing((uv_handle_t *)&t->poll)) {
			uv_poll_stop(&t->poll);
			uv_close((uv_handle_t *)&t->poll, on_handle_closed);
		}
	} else if (t->fd >= 0) {
		close(t->fd);
		t->fd = -1;
	}
}

/* Ends the transport by itself: reports err once. */
static void end(struct qmp_transport *t, int err)
{
	if (t->ended)
		return;
	t->ended = true;
	t->connected = false;
	uv_timer_stop(&t->timer);
	sock_close(t);
	if (t->cb.closed)
		t->cb.closed(t->arg, err);
}

/* ---- I/O ---- */

static int on_framed_line(void *arg, char *line, size_t len)
{
	struct qmp_transport *t = arg;
	int r = t->cb.line(t->arg, line, len, t->read_ns);

	if (t->ended)
		return -ECANCELED; /* freed or ended inside line(): stop quietly */
	return r;
}

static void do_read(struct qmp_transport *t)
{
	ssize_t n = recv(t->fd, t->rbuf, sizeof(t->rbuf), 0);
	int r;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		end(t, errno == ECONNRESET ? -ECONNRESET : -errno);
		return;
	}
	if (n == 0) {
		end(t, -ECONNRESET);
		return;
	}
	t->read_ns = clock_monotonic_ns();
	r = qmp_framer_feed(&t->framer, t->rbuf, (size_t)n, on_framed_line, t);
	if (r < 0 && !t->ended)
		end(t, r);
}

static void on_poll(uv_poll_t *h, int status, int events);
static int watch(struct qmp_transport *t);

/* Sends what is buffered; watches for writability while some is left. */
static int flush_out(struct qmp_transport *t)
{
	size_t off = 0;

	while (off < t->out_len) {
		ssize_t n = send(t->fd, t->out + off, t->out_len - off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0)
			return errno == EPIPE ? -ECONNRESET : -errno;
		off += (size_t)n;
	}
	memmove(t->out, t->out + off, t->out_len - off);
	t->out_len -= off;
	return watch(t);
}

static int watch(struct qmp_transport *t)
{
	return uv_poll_start(&t->poll, UV_READABLE | (t->out_len ? UV_WRITABLE : 0), on_poll);
}

/* The socket failed (POLLERR, or a write found QEMU gone): deliver the lines QEMU sent
 * before it went (a reply to quit, SHUTDOWN), then end with err. */
static void fail_after_drain(struct qmp_transport *t, int err)
{
	for (int i = 0; i < 64 && !t->ended; i++) {
		ssize_t n = recv(t->fd, t->rbuf, sizeof(t->rbuf), MSG_DONTWAIT);
		int r;

		if (n <= 0)
			break;
		t->read_ns = clock_monotonic_ns();
		r = qmp_framer_feed(&t->framer, t->rbuf, (size_t)n, on_framed_line, t);
		if (r < 0 && !t->ended)
			end(t, r);
	}
	if (!t->ended)
		end(t, err);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	struct qmp_transport *t = h->data;
	int r;

	if (t->ended)
		return;
	if (status < 0) {
		/* libuv reports POLLERR as UV_EBADF: the socket's own error says what it was
		 * (EPIPE after QEMU closed, or none) */
		int e = 0;
		socklen_t el = sizeof(e);

		if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
			e = -status;
		fail_after_drain(t, e == 0 || e == EPIPE || e == ECONNRESET ? -ECONNRESET : -e);
		return;
	}
	if (events & UV_READABLE)
		do_read(t);
	if (t->ended || !(events & UV_WRITABLE))
		return;
	r = flush_out(t);
	if (r < 0) {
		t->out_len = 0;
		fail_after_drain(t, r);
	}
}

/* ---- connecting ---- */

static void on_attempt(uv_timer_t *tm)
{
	struct qmp_transport *t = tm->data;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int r;

	if (t->ended)
		return;
	t->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->fd < 0) {
		end(t, -errno);
		return;
	}
	memcpy(sa.sun_path, t->path, strlen(t->path) + 1);
	if (connect(t->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(t->fd);
		t->fd = -1;
		/* missing, not yet listening, or its backlog full: try again */
		if (r != -ENOENT && r != -ECONNREFUSED && r != -EAGAIN) {
			end(t, r);
		} else if (clock_monotonic_ns() + t->retry_ms * NSEC_PER_MSEC < t->deadline_ns) {
			uv_timer_start(&t->timer, on_attempt, t->retry_ms, 0);
		} else {
			end(t, -ETIMEDOUT);
		}
		return;
	}
	r = uv_poll_init(t->loop, &t->poll, t->fd);
	if (r < 0) {
		end(t, r);
		return;
	}
	t->poll.data = t;
	t->poll_init = true;
	t->handles++;
	t->connected = true;
	r = watch(t);
	if (r < 0) {
		end(t, r);
		return;
	}
	if (t->cb.connected)
		t->cb.connected(t->arg);
}

int qmp_transport_new(uv_loop_t *loop, const char *path, uint64_t deadline_ns, uint32_t retry_ms,
		      size_t line_max, const struct qmp_transport_callbacks *cb, void *arg,
		      struct qmp_transport **ret)
{
	struct qmp_transport *t;
	size_t plen;

	if (!loop || !path || !cb || !cb->line || line_max == 0)
		return -EINVAL;
	plen = strlen(path);
	if (plen == 0)
		return -EINVAL;
	if (plen > QMP_TRANSPORT_PATH_MAX)
		return -ENAMETOOLONG;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->loop = loop;
	t->fd = -1;
	memcpy(t->path, path, plen + 1);
	t->deadline_ns = deadline_ns;
	t->retry_ms = retry_ms ? retry_ms : 1;
	t->cb = *cb;
	t->arg = arg;
	qmp_framer_init(&t->framer, line_max);
	uv_timer_init(loop, &t->timer);
	t->timer.data = t;
	t->handles = 1;
	/* the first attempt from the loop, so that no callback runs before we return */
	uv_timer_start(&t->timer, on_attempt, 0, 0);
	*ret = t;
	return 0;
}

int qmp_transport_send(struct qmp_transport *t, const char *data, size_t len)
{
	if (t->ended || !t->connected)
		return -ENOTCONN;
	if (t->out_len + len > t->out_cap) {
		size_t cap = t->out_cap ? t->out_cap : 4096;
		char *o;

		while (cap < t->out_len + len)
			cap *= 2;
		o = realloc(t->out, cap);
		if (!o)
			return -ENOMEM;
		t->out = o;
		t->out_cap = cap;
	}
	memcpy(t->out + t->out_len, data, len);
	t->out_len += len;
	/* a write error shows up as a read error or EOF on the next turn; report it there,
	 * never from inside send */
	if (flush_out(t) < 0)
		t->out_len = 0;
	return 0;
}

bool qmp_transport_connected(const struct qmp_transport *t)
{
	return t && t->connected && !t->ended;
}

struct qmp_transport *qmp_transport_free(struct qmp_transport *t)
{
	if (!t || t->freed)
		return NULL;
	t->freed = true;
	t->ended = true;
	t->connected = false;
	sock_close(t);
	uv_close((uv_handle_t *)&t->timer, on_handle_closed);
	return NULL;
}
