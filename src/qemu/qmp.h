/* qmp.h — the QMP client of secd: one connection to one QEMU's monitor socket on the
 * daemon's libuv loop (vm2000.md §2 and §5 "QEMU facts"; research/qemu-lm.md §4, §9, §10).
 *
 * qmp_new() connects to the unix socket (QEMU runs `-qmp unix:<sock>,server=on,wait=off`;
 * the socket appears ~20 ms after exec, so the connect is retried every 10 ms until
 * connect_timeout_ms), reads the greeting, sends `qmp_capabilities` and then calls ready().
 * Commands may be issued at once: they are queued until the handshake is done. Every
 * command carries an "id"; its reply (a "return" or an "error" with class and desc) goes to
 * the command's own done() callback, events (STOP, RESUME, SHUTDOWN, MIGRATION,
 * DEVICE_TRAY_MOVED, ...) go to event() with QEMU's wall-clock timestamp and our
 * CLOCK_MONOTONIC receive time (testing.md run-interval oracle). EOF, a protocol error or a
 * failed handshake ends the connection and is reported once through closed(); every
 * command still pending then gets done() with -ECONNRESET.
 *
 *     static const struct qmp_callbacks cb = { .ready = on_ready, .event = on_event,
 *                                              .closed = on_closed };
 *     struct qmp *q;
 *     qmp_new(loop, "/var/lib/secd/q/2.qmp", 5000, &cb, vm, &q, &err);
 *     qmp_command(q, "cont", NULL, 5000, on_cont, vm);   // or qmp_cont(), qmpcmd.h
 *     ...
 *     static void on_cont(void *arg, const struct qmp_reply *r)
 *     {
 *             if (r->err == -EREMOTEIO)   // QEMU said no: r->error_class, r->error_desc
 *             ...
 *     }
 *     qmp_free(q);   // pending done() get -ECANCELED; closed() is not called
 *
 * QEMU serves one QMP client at a time: a second connection is accepted but gets no
 * greeting until the first one closes, so it ends with -ETIMEDOUT (docs/qemu.md).
 *
 * Nothing blocks: QMP is silent for up to ~0.9 s during the stop-and-copy of a migration
 * (qemu-lm.md §9.7), so per-command timeouts must allow for that (0 = no timeout). Lines
 * above QMP_LINE_MAX bytes end the connection (-EMSGSIZE). The socket is SOCK_CLOEXEC (a
 * QEMU started later does not inherit it) and written with send(MSG_NOSIGNAL): a dead QEMU
 * never raises SIGPIPE. qmp_free() may be called from any callback of this connection: no
 * callback of q runs after it; memory is released once libuv has closed the handles, so
 * keep the loop running.
 *
 * Not thread-safe: everything, callbacks included, runs on the loop's thread. */
#ifndef SEC_QEMU_QMP_H
#define SEC_QEMU_QMP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "lib/err.h"

#define QMP_LINE_MAX	     (1u << 20) /* bytes of one QMP message (line), 1 MiB */
#define QMP_CONNECT_RETRY_MS 10u	/* between connect attempts */
#define QMP_SOCK_PATH_MAX    107u	/* sun_path less the NUL */

struct qmp;

/* The outcome of one command, passed to its done(); valid only during done(). */
struct qmp_reply {
	/* 0: "return" came (ret); -EREMOTEIO: QEMU answered "error" (error_class,
	 * error_desc); -ETIMEDOUT: no reply within the command's timeout (a late reply is
	 * dropped); -ECONNRESET: the connection ended first; -ECANCELED: qmp_free() */
	int err;
	const json_t *ret;	 /* the "return" value (borrowed), NULL unless err == 0 */
	const char *error_class; /* "GenericError", "DeviceNotFound", ...; "" unless -EREMOTEIO */
	const char *error_desc;	 /* QEMU's text; "" unless -EREMOTEIO */
	const char *command;	 /* the command's name ("cont") */
	uint64_t sent_ns;	 /* CLOCK_MONOTONIC when written (0: never sent) */
	uint64_t recv_ns;	 /* CLOCK_MONOTONIC when the reply was read (0: none) */
};
typedef void qmp_done_fn(void *arg, const struct qmp_reply *r);

/* One asynchronous event; valid only during event(). */
struct qmp_event {
	const char *name;     /* "STOP", "RESUME", "SHUTDOWN", "MIGRATION", ... */
	const json_t *data;   /* the "data" object (borrowed), or NULL when absent */
	int64_t qemu_ts_us;   /* QEMU's "timestamp", wall clock, µs since the epoch (-1: none) */
	uint64_t recv_ns;     /* CLOCK_MONOTONIC when the bytes were read (clock.h) */
	const char *raw;      /* the whole line as received (for logs) */
};

struct qmp_callbacks {
	/* the handshake is done (greeting read, qmp_capabilities returned); version is the
	 * greeting's "QMP"."version" object (borrowed), may be NULL. May be NULL. */
	void (*ready)(void *arg, const json_t *version);
	/* an asynchronous event. May be NULL. */
	void (*event)(void *arg, const struct qmp_event *ev);
	/* the connection ended, reported once and never after qmp_free(): err is
	 * -ECONNRESET (EOF or reset: QEMU quit or died), -ETIMEDOUT (no connection or no
	 * handshake within connect_timeout_ms), -EPROTO (not QMP: bad greeting, a line that is
	 * not a JSON object, qmp_capabilities refused), -EMSGSIZE (a line > QMP_LINE_MAX),
	 * -ENOMEM, or another -errno of the socket; msg says it for people. May be NULL,
	 * but then nobody learns of a dead QEMU. q stays valid until qmp_free(). */
	void (*closed)(void *arg, int err, const char *msg);
};

/* Starts connecting to the QMP socket at path (1..QMP_SOCK_PATH_MAX bytes) on loop, retried
 * every QMP_CONNECT_RETRY_MS while it does not exist or refuses, until connect_timeout_ms
 * (1..3600000) after this call; the same deadline covers the greeting and qmp_capabilities.
 * cb is copied; arg is passed to every callback. No callback runs before this returns.
 * Returns 0 and *ret, or -EINVAL / -ENAMETOOLONG (reterr says which), -ENOMEM. */
int qmp_new(uv_loop_t *loop, const char *path, uint32_t connect_timeout_ms,
	    const struct qmp_callbacks *cb, void *arg, struct qmp **ret, struct sec_err *reterr);

/* Sends {"execute": name, "arguments": args, "id": N} (queued until the handshake is
 * done). args: a JSON object or NULL; the reference is stolen (also on failure). timeout_ms:
 * from now until the reply, 0 = none. done (not NULL) is called exactly once, never from
 * inside this call. Returns 0, or -ENOTCONN (the connection has ended: done() will not be
 * called), -EINVAL (empty name, args not an object), -ENOMEM. */
int qmp_command(struct qmp *q, const char *name, json_t *args, uint32_t timeout_ms,
		qmp_done_fn *done, void *arg);

/* true from ready() until the connection ends. */
bool qmp_is_ready(const struct qmp *q);

/* Commands sent or queued whose reply has not come. */
size_t qmp_pending(const struct qmp *q);

/* The socket path given to qmp_new() (for messages). */
const char *qmp_path(const struct qmp *q);

/* Ends the connection: pending commands get done() with -ECANCELED (in the order they were
 * issued), closed() is not called. Accepts NULL, returns NULL. Safe inside any callback of
 * q (the rest of that callback must not use q). */
struct qmp *qmp_free(struct qmp *q);

#endif
