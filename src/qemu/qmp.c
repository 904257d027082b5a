/* qmp.c — the QMP command layer of qmp.h over qmp_transport.h: handshake, "id"-tagged
 * commands with per-command timeouts (one timer armed for the earliest deadline), events.
 * Every user callback may call qmp_free(): after each one the code checks q->freed (or the
 * state) and stops touching anything but flags; the memory goes when libuv has closed the
 * timer, which is after the callback has returned. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "qemu/qmp.h"
#include "qemu/qmp_transport.h"

enum qmp_state {
	QMP_S_CONNECTING = 1,
	QMP_S_GREETING, /* connected, greeting awaited */
	QMP_S_CAPS,	/* qmp_capabilities sent */
	QMP_S_READY,
	QMP_S_CLOSED,
	QMP_S_MAX
};

struct qmp_cmd {
	struct qmp_cmd *next;
	uint64_t id;
	char name[64];
	char *line; /* the JSON text with its "\n" */
	size_t len;
	uint64_t deadline_ns; /* 0: none */
	uint64_t sent_ns;
	qmp_done_fn *done;
	void *arg;
};

struct qmp {
	uv_loop_t *loop;
	struct qmp_transport *t;
	uv_timer_t timer;
	enum qmp_state state;
	struct qmp_cmd *head, *tail; /* pending, in issue order; the unsent ones at the end */
	size_t n_pending;
	uint64_t next_id;
	uint64_t caps_id;
	uint64_t handshake_deadline_ns;
	json_t *version;
	struct qmp_callbacks cb;
	void *arg;
	bool freed;
	char path[QMP_SOCK_PATH_MAX + 1];
};

static void rearm(struct qmp *q);

static void cmd_free(struct qmp_cmd *c)
{
	free(c->line);
	free(c);
}

static void unlink_cmd(struct qmp *q, struct qmp_cmd *c)
{
	struct qmp_cmd **pp = &q->head, *prev = NULL;

	while (*pp && *pp != c) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (!*pp)
		return;
	*pp = c->next;
	if (q->tail == c)
		q->tail = prev;
	q->n_pending--;
}

/* Calls c's done() with a reply of only err (not -EREMOTEIO, not 0) and frees c. */
static void cmd_finish_err(struct qmp_cmd *c, int err)
{
	struct qmp_reply r = { .err = err, .error_class = "", .error_desc = "",
			       .command = c->name, .sent_ns = c->sent_ns };

	c->done(c->arg, &r);
	cmd_free(c);
}

/* Ends every pending command with err, in issue order, until q is freed by a callback. */
static void fail_pending(struct qmp *q, int err)
{
	struct qmp_cmd *c;

	while ((c = q->head)) {
		unlink_cmd(q, c);
		cmd_finish_err(c, err);
	}
}

/* The connection ends by itself (not qmp_free). */
static void qmp_end(struct qmp *q, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void qmp_end(struct qmp *q, int err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (q->state == QMP_S_CLOSED || q->freed)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_debug("qmp '%s': %s", q->path, msg);
	q->state = QMP_S_CLOSED;
	q->t = qmp_transport_free(q->t);
	uv_timer_stop(&q->timer);
	fail_pending(q, -ECONNRESET);
	if (!q->freed && q->cb.closed)
		q->cb.closed(q->arg, err, msg);
}

static int send_cmd(struct qmp *q, struct qmp_cmd *c)
{
	int r = qmp_transport_send(q->t, c->line, c->len);

	if (r == 0)
		c->sent_ns = clock_monotonic_ns();
	return r;
}

/* ---- incoming ---- */

static void on_caps_reply(struct qmp *q, json_t *m)
{
	json_t *err = json_object_get(m, "error");

	if (err) {
		qmp_end(q, -EPROTO, "qmp_capabilities refused: %s",
			json_string_value(json_object_get(err, "desc")) ?: "?");
		return;
	}
	q->state = QMP_S_READY;
	for (struct qmp_cmd *c = q->head; c; c = c->next) {
		if (c->sent_ns)
			continue;
		int r = send_cmd(q, c);
		if (r < 0) {
			qmp_end(q, r, "cannot send '%s': %s", c->name, strerror(-r));
			return;
		}
	}
	rearm(q);
	if (q->cb.ready)
		q->cb.ready(q->arg, q->version);
}

static void on_reply(struct qmp *q, json_t *m, uint64_t recv_ns)
{
	json_t *jid = json_object_get(m, "id");
	json_t *err = json_object_get(m, "error");
	struct qmp_reply r = { .error_class = "", .error_desc = "", .recv_ns = recv_ns };
	struct qmp_cmd *c;
	uint64_t id;

	if (!json_is_integer(jid)) {
		log_debug("qmp '%s': reply without our id dropped", q->path);
		return;
	}
	id = (uint64_t)json_integer_value(jid);
	if (q->state == QMP_S_CAPS && id == q->caps_id) {
		on_caps_reply(q, m);
		return;
	}
	for (c = q->head; c && c->id != id; c = c->next)
		;
	if (!c || !c->sent_ns) {
		log_debug("qmp '%s': reply to unknown id %llu dropped (timed out?)", q->path,
			  (unsigned long long)id);
		return;
	}
	unlink_cmd(q, c);
	rearm(q);
	r.command = c->name;
	r.sent_ns = c->sent_ns;
	if (err) {
		r.err = -EREMOTEIO;
		r.error_class = json_string_value(json_object_get(err, "class")) ?: "";
		r.error_desc = json_string_value(json_object_get(err, "desc")) ?: "";
	} else {
		r.ret = json_object_get(m, "return");
	}
	c->done(c->arg, &r);
	cmd_free(c);
}

static void on_event(struct qmp *q, json_t *m, const char *raw, uint64_t recv_ns)
{
	json_t *ts = json_object_get(m, "timestamp");
	struct qmp_event ev = {
		.name = json_string_value(json_object_get(m, "event")),
		.data = json_object_get(m, "data"),
		.qemu_ts_us = -1,
		.recv_ns = recv_ns,
		.raw = raw,
	};

	if (!ev.name)
		return;
	if (json_is_object(ts) && json_is_integer(json_object_get(ts, "seconds")))
		ev.qemu_ts_us = json_integer_value(json_object_get(ts, "seconds")) * 1000000 +
				json_integer_value(json_object_get(ts, "microseconds"));
	if (q->cb.event)
		q->cb.event(q->arg, &ev);
}

static void on_greeting(struct qmp *q, json_t *m)
{
	json_t *g = json_object_get(m, "QMP");
	struct qmp_cmd c = { 0 };
	char line[96];
	int r;

	if (!json_is_object(g)) {
		qmp_end(q, -EPROTO, "not a QMP greeting");
		return;
	}
	q->version = json_incref(json_object_get(g, "version"));
	q->caps_id = q->next_id++;
	c.len = (size_t)snprintf(line, sizeof(line),
				 "{\"execute\":\"qmp_capabilities\",\"id\":%llu}\n",
				 (unsigned long long)q->caps_id);
	c.line = line;
	r = send_cmd(q, &c);
	if (r < 0) {
		qmp_end(q, r, "cannot send qmp_capabilities: %s", strerror(-r));
		return;
	}
	q->state = QMP_S_CAPS;
}

static int on_line(void *arg, char *line, size_t len, uint64_t recv_ns)
{
	struct qmp *q = arg;
	json_error_t je;
	json_t *m = json_loadb(line, len, 0, &je);

	if (!json_is_object(m)) {
		json_decref(m);
		qmp_end(q, -EPROTO, "not a JSON object from QEMU: '%.60s'", line);
		return -EPROTO;
	}
	if (q->state == QMP_S_GREETING)
		on_greeting(q, m);
	else if (json_object_get(m, "event"))
		on_event(q, m, line, recv_ns);
	else if (json_object_get(m, "return") || json_object_get(m, "error"))
		on_reply(q, m, recv_ns);
	else
		log_debug("qmp '%s': unknown message dropped: '%.60s'", q->path, line);
	json_decref(m);
	return 0;
}

static void on_connected(void *arg)
{
	struct qmp *q = arg;

	q->state = QMP_S_GREETING;
}

static void on_transport_closed(void *arg, int err)
{
	struct qmp *q = arg;

	switch (err) {
	case -ECONNRESET:
		qmp_end(q, err, "QMP socket closed by QEMU");
		break;
	case -ETIMEDOUT:
		qmp_end(q, err, "no QMP socket to connect to within the deadline");
		break;
	case -EMSGSIZE:
		qmp_end(q, err, "QMP message longer than %u bytes", QMP_LINE_MAX);
		break;
	default:
		qmp_end(q, err, "QMP socket: %s", strerror(-err));
	}
}

/* ---- timeouts ---- */

static void on_timer(uv_timer_t *tm)
{
	struct qmp *q = tm->data;
	uint64_t now = clock_monotonic_ns();
	struct qmp_cmd *c, *next;

	if (q->state != QMP_S_READY && now >= q->handshake_deadline_ns) {
		qmp_end(q, -ETIMEDOUT, "no QMP handshake within the deadline (state %d)",
			q->state);
		return;
	}
	for (c = q->head; c; c = next) {
		next = c->next;
		if (!c->deadline_ns || c->deadline_ns > now)
			continue;
		unlink_cmd(q, c);
		cmd_finish_err(c, -ETIMEDOUT);
		if (q->freed || q->state == QMP_S_CLOSED)
			return;
		next = q->head; /* the list may have changed inside done() */
		now = clock_monotonic_ns();
	}
	rearm(q);
}

static void rearm(struct qmp *q)
{
	uint64_t next = UINT64_MAX, now = clock_monotonic_ns();

	if (q->freed || q->state == QMP_S_CLOSED)
		return;
	if (q->state != QMP_S_READY)
		next = q->handshake_deadline_ns;
	for (struct qmp_cmd *c = q->head; c; c = c->next)
		if (c->deadline_ns && c->deadline_ns < next)
			next = c->deadline_ns;
	if (next == UINT64_MAX) {
		uv_timer_stop(&q->timer);
		return;
	}
	uv_timer_start(&q->timer, on_timer,
		       next > now ? (next - now + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC : 0, 0);
}

/* ---- public ---- */

int qmp_new(uv_loop_t *loop, const char *path, uint32_t connect_timeout_ms,
	    const struct qmp_callbacks *cb, void *arg, struct qmp **ret, struct sec_err *reterr)
{
	static const struct qmp_transport_callbacks tcb = {
		.connected = on_connected, .line = on_line, .closed = on_transport_closed };
	struct qmp *q;
	int r;

	if (!loop || !path || !*path || !cb)
		return sec_errf(reterr, -EINVAL, "QMP: no loop, socket path or callbacks");
	if (strlen(path) > QMP_SOCK_PATH_MAX)
		return sec_errf(reterr, -ENAMETOOLONG,
				"QMP socket path '%s' is longer than %u bytes", path,
				QMP_SOCK_PATH_MAX);
	if (connect_timeout_ms < 1 || connect_timeout_ms > 3600000)
		return sec_errf(reterr, -EINVAL, "QMP connect timeout %u ms is not in 1..3600000",
				connect_timeout_ms);
	q = calloc(1, sizeof(*q));
	if (!q)
		return sec_errf(reterr, -ENOMEM, "QMP: out of memory");
	q->loop = loop;
	q->state = QMP_S_CONNECTING;
	q->next_id = 1;
	q->cb = *cb;
	q->arg = arg;
	snprintf(q->path, sizeof(q->path), "%s", path); /* length checked above */
	q->handshake_deadline_ns = clock_monotonic_ns() + connect_timeout_ms * NSEC_PER_MSEC;
	r = qmp_transport_new(loop, path, q->handshake_deadline_ns, QMP_CONNECT_RETRY_MS,
			      QMP_LINE_MAX, &tcb, q, &q->t);
	if (r < 0) {
		free(q);
		return sec_errf(reterr, r, "QMP socket '%s': %s", path, strerror(-r));
	}
	uv_timer_init(loop, &q->timer);
	q->timer.data = q;
	rearm(q);
	*ret = q;
	return 0;
}

int qmp_command(struct qmp *q, const char *name, json_t *args, uint32_t timeout_ms,
		qmp_done_fn *done, void *arg)
{
	struct qmp_cmd *c = NULL;
	json_t *m = NULL;
	char *text = NULL;
	int r = -ENOMEM;

	if (!q || q->freed || q->state == QMP_S_CLOSED) {
		r = -ENOTCONN;
		goto fail;
	}
	if (!name || !*name || strlen(name) >= sizeof(c->name) || !done ||
	    (args && !json_is_object(args))) {
		r = -EINVAL;
		goto fail;
	}
	c = calloc(1, sizeof(*c));
	m = json_object();
	if (!c || !m)
		goto fail;
	c->id = q->next_id++;
	if (json_object_set_new(m, "execute", json_string(name)) < 0 ||
	    (args && json_object_set(m, "arguments", args) < 0) ||
	    json_object_set_new(m, "id", json_integer((json_int_t)c->id)) < 0)
		goto fail;
	text = json_dumps(m, JSON_COMPACT);
	if (!text)
		goto fail;
	c->len = strlen(text) + 1;
	c->line = realloc(text, c->len + 1);
	if (!c->line)
		goto fail;
	text = NULL;
	c->line[c->len - 1] = '\n';
	c->line[c->len] = '\0';
	snprintf(c->name, sizeof(c->name), "%s", name); /* for messages: cut if longer */
	c->done = done;
	c->arg = arg;
	if (timeout_ms)
		c->deadline_ns = clock_monotonic_ns() + timeout_ms * NSEC_PER_MSEC;
	if (q->state == QMP_S_READY) {
		r = send_cmd(q, c);
		if (r < 0)
			goto fail;
	}
	if (q->tail)
		q->tail->next = c;
	else
		q->head = c;
	q->tail = c;
	q->n_pending++;
	json_decref(m);
	json_decref(args);
	rearm(q);
	return 0;
fail:
	free(text);
	if (c)
		cmd_free(c);
	json_decref(m);
	json_decref(args);
	return r;
}

bool qmp_is_ready(const struct qmp *q)
{
	return q && !q->freed && q->state == QMP_S_READY;
}

size_t qmp_pending(const struct qmp *q)
{
	return q ? q->n_pending : 0;
}

const char *qmp_path(const struct qmp *q)
{
	return q->path;
}

static void on_timer_closed(uv_handle_t *h)
{
	struct qmp *q = h->data;

	json_decref(q->version);
	free(q);
}

struct qmp *qmp_free(struct qmp *q)
{
	if (!q || q->freed)
		return NULL;
	q->freed = true;
	q->t = qmp_transport_free(q->t);
	uv_timer_stop(&q->timer);
	/* done() may not call qmp_free again (freed is set) nor issue commands (-ENOTCONN) */
	while (q->head) {
		struct qmp_cmd *c = q->head;

		unlink_cmd(q, c);
		cmd_finish_err(c, -ECANCELED);
	}
	uv_close((uv_handle_t *)&q->timer, on_timer_closed);
	return NULL;
}
