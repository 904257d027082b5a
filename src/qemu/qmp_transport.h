/* qmp_transport.h — the line-framed JSON transport under qmp.h: a unix stream socket on the
 * libuv loop, connected with retries, whose input is cut into lines (QMP sends one JSON
 * object per line, "\r\n" terminated) and whose output is a queue of writes. It knows
 * nothing of JSON; qmp.c parses the lines. Split out so that framing and limits can be
 * tested on their own (qmp_framer_*) and the socket code stays small.
 *
 *     struct qmp_framer f;
 *     qmp_framer_init(&f, QMP_LINE_MAX);
 *     r = qmp_framer_feed(&f, bytes, n, on_line, arg);   // on_line per complete line
 *     qmp_framer_release(&f);
 *
 *     qmp_transport_new(loop, path, deadline_ns, retry_ms, QMP_LINE_MAX, &tcb, arg, &t);
 *     qmp_transport_send(t, "{...}\n", len);
 *     qmp_transport_free(t);
 *
 * Not thread-safe: loop thread only. */
#ifndef SEC_QEMU_QMP_TRANSPORT_H
#define SEC_QEMU_QMP_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* Cuts a byte stream into lines. */
struct qmp_framer {
	char *buf;	/* the incomplete tail line */
	size_t len;	/* bytes in buf */
	size_t cap;	/* bytes allocated */
	size_t max;	/* longest line accepted, without its "\n" */
};

/* on_line gets one line without its "\n" (and without a "\r" before it), NUL-terminated
 * (line[len] == 0; the buffer is writable and valid only during the call); empty lines are
 * skipped. Returns 0 to go on, or a negative value that stops qmp_framer_feed(), which
 * returns it. */
typedef int qmp_line_fn(void *arg, char *line, size_t len);

void qmp_framer_init(struct qmp_framer *f, size_t max);
/* Feeds n bytes. Returns 0, -EMSGSIZE (a line longer than f->max: the framer is then
 * unusable), -ENOMEM, or on_line's negative value. */
int qmp_framer_feed(struct qmp_framer *f, const char *data, size_t n, qmp_line_fn *on_line,
		    void *arg);
void qmp_framer_release(struct qmp_framer *f);

#define QMP_TRANSPORT_PATH_MAX 107u /* sun_path less the NUL */

struct qmp_transport;

struct qmp_transport_callbacks {
	void (*connected)(void *arg);
	/* a complete line (see qmp_line_fn); recv_ns: CLOCK_MONOTONIC when its last bytes
	 * were read. A negative return ends the transport with that error. */
	int (*line)(void *arg, char *line, size_t len, uint64_t recv_ns);
	/* once, when the transport ends by itself: -ECONNRESET (EOF, reset), -ETIMEDOUT
	 * (not connected by the deadline), -EMSGSIZE, -ENOMEM, a line()'s error, or another
	 * socket -errno. Not called after qmp_transport_free(). */
	void (*closed)(void *arg, int err);
};

/* Connects to the unix socket path (<= 107 bytes), retrying every retry_ms while the
 * socket is missing or refuses, until CLOCK_MONOTONIC deadline_ns. Returns 0 and *ret,
 * -ENAMETOOLONG, -EINVAL, -ENOMEM. No callback before this returns. */
int qmp_transport_new(uv_loop_t *loop, const char *path, uint64_t deadline_ns, uint32_t retry_ms,
		      size_t line_max, const struct qmp_transport_callbacks *cb, void *arg,
		      struct qmp_transport **ret);

/* Queues len bytes (copied) for writing. Returns 0, -ENOTCONN (not connected or ended),
 * -ENOMEM. A write error ends the transport (closed()). */
int qmp_transport_send(struct qmp_transport *t, const char *data, size_t len);

bool qmp_transport_connected(const struct qmp_transport *t);

/* Closes the socket; memory is released when libuv has closed the handles. Safe inside the
 * transport's callbacks (takes effect when the callback returns). Accepts NULL, returns
 * NULL. */
struct qmp_transport *qmp_transport_free(struct qmp_transport *t);

#endif
