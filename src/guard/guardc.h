/* guardc.h — secd's side of the sec-guard protocol (crd.md §4 "Fencing layers" 1, 2 and 5;
 * docs/guard.md).
 *
 * A connection is a non-blocking SOCK_SEQPACKET socket to the guard (<data_dir>/guard.sock).
 * Requests are sent at once (one record each, never queued) and return the request's seq
 * number (> 0); answers and the guard's EXITED records arrive on guardc_fd(), which the
 * caller watches for reading (uv_poll_start(UV_READABLE) in secd) and then drains with
 * guardc_receive(), which calls the callbacks of `ops`. Every request gets exactly one
 * answer with its seq: HELLO → hello(); LIST → list_child() per child, then list_end();
 * RENEW, SPAWN, KILL, FORGET → result() (SPAWN's pid in it). EXITED (seq 0) may arrive at
 * any time: the guard reaped a child (exited, killed, or fenced).
 *
 *     struct guardc *g;
 *     if (guardc_connect(path, &g) < 0) ...             // -ENOENT: no guard; -EBUSY: another
 *     guardc_hello(g);                                   //   client holds the guard
 *     guardc_list(g);                                    // re-attach: who still runs?
 *     uv_poll_init(loop, &p, guardc_fd(g)); ...
 *     on readable: r = guardc_receive(g, &ops, secd);    // < 0: connection lost → reconnect
 *     after each successful slot renewal: guardc_renew(g, issue_ns, fence_ms, w_ms);
 *     guardc_spawn(g, "3", argv, "/data/vm/3/qemu.log", "/data/vm/3");
 *     guardc_kill(g, "3", SIGTERM);
 *     guardc_forget(g, "3");                             // after an EXITED was handled
 *     g = guardc_free(g);
 *
 * Rules the guard enforces (errno in result()): SPAWN only while the last renewal is fresh
 * (EKEYEXPIRED "renewals are not fresh") and never for a key that was fenced until it is
 * forgotten (EPERM); SPAWN of a key whose child runs is EEXIST; KILL or FORGET of an unknown
 * key is ENOENT, KILL of a reaped child ESRCH, FORGET of a running one EBUSY; a RENEW older
 * than the last one or already expired is ESTALE (ignored by the guard), an invalid one
 * EINVAL. A reaped child stays in LIST (with its wait status and FENCED flag) until FORGET
 * or a new SPAWN of its key; FORGET also removes <data_dir>/fenced/<key>.
 *
 * Not thread-safe: one thread (secd's loop) uses a connection. No logging. */
#ifndef SEC_GUARD_GUARDC_H
#define SEC_GUARD_GUARDC_H

#include <stdint.h>

#include "guard/guardmsg.h"

struct guardc;

/* Callbacks of guardc_receive(); any may be NULL (the record is then dropped). The
 * structs are valid only during the call. */
struct guardc_ops {
	void (*hello)(void *userdata, uint32_t seq, const struct guard_hello_reply *h);
	/* req_type: GUARD_MSG_RENEW/SPAWN/KILL/FORGET; err 0 or a positive errno, text says why */
	void (*result)(void *userdata, uint32_t seq, const struct guard_result *r);
	void (*list_child)(void *userdata, uint32_t seq, const struct guard_child *c);
	void (*list_end)(void *userdata, uint32_t seq, uint32_t count);
	/* a child was reaped: c->status is its wait status, c->flags has GUARD_CHILD_FENCED
	 * when the guard killed it because renewals stopped */
	void (*exited)(void *userdata, const struct guard_child *c);
};

/* Connects to the guard's socket at path (non-blocking, close-on-exec). Returns 0 and
 * *ret (owned by the caller, free with guardc_free), or -ENOENT / -ECONNREFUSED (no guard
 * listens), -ENAMETOOLONG (path longer than sun_path), -ENOMEM, another -errno. A guard
 * that refuses the connection because another client holds it closes it after a RESULT
 * with EBUSY: that shows in the first guardc_receive(). */
int guardc_connect(const char *path, struct guardc **ret);
/* The socket to watch for reading; owned by the connection. */
int guardc_fd(const struct guardc *g);

/* Requests. Each returns its seq (> 0) or -errno: -EINVAL for a bad argument (key not
 * 1..15 of [A-Za-z0-9_$#@-], relative path, path >= 256 bytes, empty argv), -E2BIG for an
 * argv over 16 KiB, -EAGAIN when the guard does not read (socket buffer full), -EPIPE /
 * -ECONNRESET when the guard is gone, -ENOTCONN after a receive error. */
int guardc_hello(struct guardc *g);
/* issue_ns: CLOCK_BOOTTIME ns of the successful renewal; fence_timeout_ms and w_ms exactly
 * as advertised in the slot. */
int guardc_renew(struct guardc *g, uint64_t issue_ns, uint32_t fence_timeout_ms, uint32_t w_ms);
/* argv: NULL-terminated, argv[0] looked up in PATH when it has no '/'. out_path: stdout and
 * stderr of the child, appended and created 0640 (NULL = /dev/null); cwd: absolute (NULL =
 * the guard's data directory). */
int guardc_spawn(struct guardc *g, const char *key, const char *const *argv,
		 const char *out_path, const char *cwd);
int guardc_kill(struct guardc *g, const char *key, int sig);
int guardc_list(struct guardc *g);
int guardc_forget(struct guardc *g, const char *key);

/* Reads every record available now (never blocks) and calls ops. Returns the number of
 * records handled (0: nothing there), -ECONNRESET when the guard closed the connection,
 * -EBADMSG (or another decode error of guardmsg.h) for a malformed record — then the
 * connection is unusable: free it and connect again. */
int guardc_receive(struct guardc *g, const struct guardc_ops *ops, void *userdata);
/* Waits up to timeout_ms (-1: forever) until the socket is readable. Returns 1, 0 on
 * timeout, -errno. For tools and tests; secd uses its loop. */
int guardc_wait(struct guardc *g, int timeout_ms);

/* Closes the socket and frees g; accepts NULL; returns NULL. */
struct guardc *guardc_free(struct guardc *g);

#endif
