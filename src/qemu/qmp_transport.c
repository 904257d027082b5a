/* qmp_transport.c — the line-framed transport of qmp_transport.h: connect with retries,
 * read and cut into lines, queue writes. Handles (a timer, a pipe per connect attempt) are
 * counted; the object is freed when the last one has been closed by libuv, so it stays
 * valid for the rest of any callback that called qmp_transport_free(). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "qemu/qmp_transport.h"

#define QMP_READ_CHUNK 65536

struct qmp_transport {
	uv_loop_t *loop;
	uv_timer_t timer;	/* connect retry */
	uv_pipe_t pipe;
	uv_connect_t creq;
	bool pipe_init;		/* pipe initialised and not yet closed */
	bool pipe_closing;
	bool retry_after_close; /* start the retry timer when the pipe has closed */
	bool connected;
	bool ended;		/* closed() reported or free() called: no more callbacks */
	bool freed;
	unsigned handles;	/* handles not yet closed by libuv */
	char path[QMP_TRANSPORT_PATH_MAX + 1];
	uint64_t deadline_ns;
	uint32_t retry_ms;
	struct qmp_framer framer;
	struct qmp_transport_callbacks cb;
	void *arg;
	uint64_t read_ns;
	char rbuf[QMP_READ_CHUNK];
};

struct qmp_wreq {
	uv_write_t req;
	size_t len;
	char data[];
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
	free(t);
}

static void on_timer_closed(uv_handle_t *h)
{
	struct qmp_transport *t = h->data;

	t->handles--;
	maybe_release(t);
}

static void on_attempt(uv_timer_t *tm);

static void on_pipe_closed(uv_handle_t *h)
{
	struct qmp_transport *t = h->data;

	t->handles--;
	t->pipe_init = false;
	t->pipe_closing = false;
	if (t->retry_after_close && !t->ended) {
		t->retry_after_close = false;
		uv_timer_start(&t->timer, on_attempt, t->retry_ms, 0);
	}
	maybe_release(t);
}

static void pipe_close(struct qmp_transport *t)
{
	if (!t->pipe_init || t->pipe_closing)
		return;
	t->pipe_closing = true;
	uv_close((uv_handle_t *)&t->pipe, on_pipe_closed);
}

/* Ends the transport by itself: reports err once. */
static void end(struct qmp_transport *t, int err)
{
	if (t->ended)
		return;
	t->ended = true;
	t->connected = false;
	t->retry_after_close = false;
	uv_timer_stop(&t->timer);
	pipe_close(t);
	if (t->cb.closed)
		t->cb.closed(t->arg, err);
}

/* ---- reading ---- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct qmp_transport *t = h->data;

	*buf = uv_buf_init(t->rbuf, sizeof(t->rbuf));
}

static int on_framed_line(void *arg, char *line, size_t len)
{
	struct qmp_transport *t = arg;
	int r = t->cb.line(t->arg, line, len, t->read_ns);

	if (t->ended)
		return -ECANCELED; /* freed or ended inside line(): stop quietly */
	return r;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct qmp_transport *t = s->data;
	int r;

	if (t->ended)
		return;
	if (nread == UV_EOF || nread == UV_ECONNRESET) {
		end(t, -ECONNRESET);
		return;
	}
	if (nread < 0) {
		end(t, (int)nread); /* libuv errors are -errno on Linux */
		return;
	}
	if (nread == 0)
		return;
	t->read_ns = clock_monotonic_ns();
	r = qmp_framer_feed(&t->framer, buf->base, (size_t)nread, on_framed_line, t);
	if (r < 0 && !t->ended)
		end(t, r);
}

/* ---- connecting ---- */

static bool retryable(int status)
{
	return status == UV_ENOENT || status == UV_ECONNREFUSED || status == UV_EAGAIN;
}

static void on_connect(uv_connect_t *req, int status)
{
	struct qmp_transport *t = req->data;
	int r;

	if (t->ended)
		return;
	if (status < 0) {
		if (retryable(status) &&
		    clock_monotonic_ns() + t->retry_ms * NSEC_PER_MSEC < t->deadline_ns) {
			t->retry_after_close = true;
			pipe_close(t);
			return;
		}
		end(t, retryable(status) ? -ETIMEDOUT : status);
		return;
	}
	t->connected = true;
	r = uv_read_start((uv_stream_t *)&t->pipe, on_alloc, on_read);
	if (r < 0) {
		end(t, r);
		return;
	}
	if (t->cb.connected)
		t->cb.connected(t->arg);
}

static void start_connect(struct qmp_transport *t)
{
	int r;

	if (t->ended)
		return;
	r = uv_pipe_init(t->loop, &t->pipe, 0);
	if (r < 0) {
		end(t, r);
		return;
	}
	t->pipe.data = t;
	t->pipe_init = true;
	t->handles++;
	t->creq.data = t;
	uv_pipe_connect(&t->creq, &t->pipe, t->path, on_connect);
}

static void on_attempt(uv_timer_t *tm)
{
	start_connect(tm->data);
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

/* ---- writing ---- */

static void on_written(uv_write_t *req, int status)
{
	struct qmp_wreq *w = (struct qmp_wreq *)req;
	struct qmp_transport *t = req->data;

	free(w);
	if (status < 0 && status != UV_ECANCELED && !t->ended)
		end(t, status);
}

int qmp_transport_send(struct qmp_transport *t, const char *data, size_t len)
{
	struct qmp_wreq *w;
	uv_buf_t b;
	int r;

	if (t->ended || !t->connected)
		return -ENOTCONN;
	w = malloc(sizeof(*w) + len);
	if (!w)
		return -ENOMEM;
	memcpy(w->data, data, len);
	w->len = len;
	w->req.data = t;
	b = uv_buf_init(w->data, (unsigned)len);
	r = uv_write(&w->req, (uv_stream_t *)&t->pipe, &b, 1, on_written);
	if (r < 0) {
		free(w);
		return r;
	}
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
	t->retry_after_close = false;
	pipe_close(t);
	uv_close((uv_handle_t *)&t->timer, on_timer_closed);
	return NULL;
}
