/* test_qmp.c — the QMP client (src/qemu/qmp.h, qmp_transport.h) against a scripted fake
 * peer (qmp_fakepeer.c, its own thread): handshake, replies by id, events with both
 * timestamps, lines split at odd byte boundaries, garbage, over-long lines, early close,
 * connect retry and deadline, per-command timeouts, qmp_free() inside every callback.
 * Waits are conditions with deadlines (qmp_client.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/clock.h"
#include "qemu/qmp_transport.h"
#include "qemu/qmpcmd.h"
#include "qmp_client.h"
#include "qmp_fakepeer.h"

#define WAIT_MS 10000

static char sock_path[108];

static int setup(void **state)
{
	static int n;

	snprintf(sock_path, sizeof(sock_path), "/tmp/qmpt-%d-%d.sock", (int)getpid(), ++n);
	return 0;
}

static bool two_replies(struct cl *c)
{
	return c->nrep >= 2;
}

static bool one_reply(struct cl *c)
{
	return c->nrep >= 1;
}

static bool three_replies(struct cl *c)
{
	return c->nrep >= 3;
}

/* ---- the framer ---- */

struct lines {
	int n;
	char l[8][64];
};

static int collect(void *arg, char *line, size_t len)
{
	struct lines *ls = arg;

	assert_int_equal(strlen(line), len);
	snprintf(ls->l[ls->n++ % 8], 64, "%s", line);
	return 0;
}

static void test_framer(void **state)
{
	struct qmp_framer f;
	struct lines ls = { 0 };
	const char *in = "{\"a\":1}\r\n\n{\"b\"";

	qmp_framer_init(&f, 10);
	for (size_t i = 0; i < strlen(in); i++) /* one byte at a time */
		assert_int_equal(qmp_framer_feed(&f, in + i, 1, collect, &ls), 0);
	assert_int_equal(ls.n, 1);
	assert_string_equal(ls.l[0], "{\"a\":1}");
	assert_int_equal(qmp_framer_feed(&f, ":2}\n0123456789\r\n", 17, collect, &ls), 0);
	assert_int_equal(ls.n, 3);
	assert_string_equal(ls.l[1], "{\"b\":2}");
	assert_string_equal(ls.l[2], "0123456789"); /* exactly max */
	assert_int_equal(qmp_framer_feed(&f, "0123456789A\n", 12, collect, &ls), -EMSGSIZE);
	qmp_framer_release(&f);
	/* an over-long line is refused before its end arrives */
	qmp_framer_init(&f, 10);
	assert_int_equal(qmp_framer_feed(&f, "0123456789AB", 12, collect, &ls), -EMSGSIZE);
	qmp_framer_release(&f);
}

/* ---- handshake, queued command, reply, event ---- */

static void script_basic(struct fakepeer *p)
{
	long id;

	if (!peer_accept(p) || !peer_send(p, PEER_GREETING))
		return;
	if ((id = peer_expect(p, "qmp_capabilities", NULL)) < 0)
		return;
	/* an event before the caps reply, then the reply */
	if (!peer_send(p, "{\"timestamp\": {\"seconds\": 1796014875, \"microseconds\": 404807}, "
			  "\"event\": \"STOP\"}\r\n") ||
	    !peer_reply(p, id, "{}"))
		return;
	/* the queued command comes after the handshake */
	if ((id = peer_expect(p, "query-status", NULL)) < 0)
		return;
	/* a reply for an id that is not pending is dropped */
	if (!peer_reply(p, 9999, "{}") ||
	    !peer_send(p, "{\"event\": \"RESUME\", \"data\": {\"x\": 1}, \"timestamp\": "
			  "{\"seconds\": 2, \"microseconds\": 5}}\r\n") ||
	    !peer_reply(p, id, "{\"status\": \"paused\", \"singlestep\": false, \"running\": false}"))
		return;
	if ((id = peer_expect(p, "cont", NULL)) < 0)
		return;
	peer_wait_eof(p, WAIT_MS); /* the client frees with cont pending */
}

static void test_basic(void **state)
{
	struct fakepeer p = { 0 };
	struct cl c;
	uint64_t t0 = clock_monotonic_ns();
	struct qmp_status st;
	json_t *ret;

	fakepeer_start(&p, sock_path, script_basic, NULL);
	cl_init(&c);
	assert_int_equal(cl_connect(&c, sock_path, WAIT_MS), 0);
	assert_int_equal(qmp_query_status(c.q, WAIT_MS, cl_done, &c), 0); /* queued */
	assert_int_equal(c.nrep, 0);
	assert_true(cl_run_until(&c, one_reply, WAIT_MS));
	assert_int_equal(c.ready, 1);
	assert_non_null(strstr(c.version, "\"major\":7"));
	assert_int_equal(c.rep[0].err, 0);
	assert_string_equal(c.rep[0].cmd, "query-status");
	ret = json_loads(c.rep[0].ret, 0, NULL);
	assert_int_equal(qmp_status_parse(ret, &st), 0);
	json_decref(ret);
	assert_string_equal(st.status, "paused");
	assert_false(st.running);
	assert_true(c.rep[0].sent_ns >= t0 && c.rep[0].recv_ns >= c.rep[0].sent_ns);
	assert_int_equal(c.nev, 2);
	assert_string_equal(c.ev[0].name, "STOP");
	assert_int_equal(c.ev[0].ts_us, 1796014875404807LL);
	assert_string_equal(c.ev[0].data, "");
	assert_true(c.ev[0].recv_ns >= t0 && c.ev[0].recv_ns <= clock_monotonic_ns());
	assert_string_equal(c.ev[1].name, "RESUME");
	assert_string_equal(c.ev[1].data, "{\"x\":1}");
	assert_int_equal(c.ev[1].ts_us, 2000005);
	assert_int_equal(qmp_cont(c.q, 0, cl_done, &c), 0);
	assert_int_equal(qmp_pending(c.q), 1);
	c.q = qmp_free(c.q); /* cont pending: -ECANCELED, no closed() */
	assert_int_equal(c.nrep, 2);
	assert_int_equal(c.rep[1].err, -ECANCELED);
	assert_int_equal(cl_fini(&c), 0);
	assert_int_equal(c.nclosed, 0);
	assert_string_equal(fakepeer_join(&p), "");
}

/* ---- odd splits ---- */

static void script_split(struct fakepeer *p)
{
	static const size_t odd[] = { 1, 1, 3, 7, 2, 11, 5, 0 };
	static const size_t crlf[] = { 25, 1, 0 }; /* "\r" | "\n" */
	char buf[512];
	long id;

	if (!peer_accept(p) || !peer_send_split(p, PEER_GREETING, odd))
		return;
	if ((id = peer_expect(p, "qmp_capabilities", NULL)) < 0)
		return;
	snprintf(buf, sizeof(buf), "{\"return\": {}, \"id\": %ld}\r\n", id);
	if (!peer_send_split(p, buf, odd))
		return;
	if ((id = peer_expect(p, "stop", NULL)) < 0)
		return;
	/* an event and the reply in one write, then a reply split between "\r" and "\n" */
	snprintf(buf, sizeof(buf), "{\"event\": \"STOP\", \"timestamp\": {\"seconds\": 1, "
		 "\"microseconds\": 2}}\r\n{\"return\": {}, \"id\": %ld}\r\n", id);
	if (!peer_send(p, buf))
		return;
	if ((id = peer_expect(p, "cont", NULL)) < 0)
		return;
	snprintf(buf, sizeof(buf), "{\"return\": {}, \"id\": %3ld}\r\n", id);
	if (!peer_send_split(p, buf, crlf))
		return;
	peer_wait_eof(p, WAIT_MS);
}

static void test_split(void **state)
{
	struct fakepeer p = { 0 };
	struct cl c;

	fakepeer_start(&p, sock_path, script_split, NULL);
	cl_init(&c);
	assert_int_equal(cl_connect(&c, sock_path, WAIT_MS), 0);
	assert_int_equal(qmp_stop(c.q, WAIT_MS, cl_done, &c), 0);
	assert_int_equal(qmp_cont(c.q, WAIT_MS, cl_done, &c), 0);
	assert_true(cl_run_until(&c, two_replies, WAIT_MS));
	assert_int_equal(c.rep[0].err, 0);
	assert_string_equal(c.rep[0].cmd, "stop");
	assert_int_equal(c.rep[1].err, 0);
	assert_string_equal(c.rep[1].cmd, "cont");
	assert_int_equal(c.nev, 1);
	assert_int_equal(c.ev[0].ts_us, 1000002);
	assert_int_equal(cl_fini(&c), 0);
	assert_string_equal(fakepeer_join(&p), "");
}

/* ---- errors from QEMU, timeouts ---- */

static void script_error_timeout(struct fakepeer *p)
{
	long id, late;

	if (!peer_handshake(p))
		return;
	if ((id = peer_expect(p, "blockdev-open-tray", NULL)) < 0 ||
	    !peer_error(p, id, "DeviceNotFound", "Device 'dev-XX' not found"))
		return;
	if ((late = peer_expect(p, "query-block", NULL)) < 0) /* left unanswered */
		return;
	if ((id = peer_expect(p, "query-status", NULL)) < 0) /* sent after the timeout */
		return;
	if (!peer_reply(p, late, "[]") || /* too late: dropped */
	    !peer_reply(p, id, "{\"status\": \"running\", \"running\": true}"))
		return;
	peer_wait_eof(p, WAIT_MS);
}


static void test_error_timeout(void **state)
{
	struct fakepeer p = { 0 };
	struct cl c;
	uint64_t t0;

	fakepeer_start(&p, sock_path, script_error_timeout, NULL);
	cl_init(&c);
	assert_int_equal(cl_connect(&c, sock_path, WAIT_MS), 0);
	assert_int_equal(qmp_blockdev_open_tray(c.q, "dev-XX", true, WAIT_MS, cl_done, &c), 0);
	assert_true(cl_run_until(&c, one_reply, WAIT_MS));
	assert_int_equal(c.rep[0].err, -EREMOTEIO);
	assert_string_equal(c.rep[0].cls, "DeviceNotFound");
	assert_string_equal(c.rep[0].desc, "Device 'dev-XX' not found");
	t0 = clock_monotonic_ns();
	assert_int_equal(qmp_query_block(c.q, 100, cl_done, &c), 0);
	assert_true(cl_run_until(&c, two_replies, WAIT_MS));
	assert_int_equal(c.rep[1].err, -ETIMEDOUT);
	assert_true(clock_monotonic_ns() - t0 >= 100 * NSEC_PER_MSEC);
	/* the connection stays usable and the late reply does not land on the next command */
	assert_int_equal(qmp_query_status(c.q, WAIT_MS, cl_done, &c), 0);
	assert_true(cl_run_until(&c, three_replies, WAIT_MS));
	assert_int_equal(c.rep[2].err, 0);
	assert_string_equal(c.rep[2].cmd, "query-status");
	assert_string_equal(c.rep[2].ret, "{\"status\":\"running\",\"running\":true}");
	assert_int_equal(c.nclosed, 0);
	assert_int_equal(cl_fini(&c), 0);
	assert_string_equal(fakepeer_join(&p), "");
}

/* ---- the connection ends: garbage, over-long line, early close, bad greeting ---- */

enum end_kind { END_GARBAGE = 1, END_LONG, END_CLOSE, END_BAD_GREETING, END_CAPS_REFUSED,
		END_SILENT, END_CLOSE_AFTER_GREETING };

static enum end_kind end_kind;

static void script_end(struct fakepeer *p)
{
	long id;

	switch (end_kind) {
	case END_BAD_GREETING:
		if (peer_accept(p) && peer_send(p, "{\"hello\": 1}\r\n"))
			peer_wait_eof(p, WAIT_MS);
		return;
	case END_CAPS_REFUSED:
		if (peer_accept(p) && peer_send(p, PEER_GREETING) &&
		    (id = peer_expect(p, "qmp_capabilities", NULL)) >= 0 &&
		    peer_error(p, id, "CommandNotFound", "no"))
			peer_wait_eof(p, WAIT_MS);
		return;
	case END_SILENT: /* accepts, never greets */
		if (peer_accept(p))
			peer_wait_eof(p, WAIT_MS);
		return;
	case END_CLOSE_AFTER_GREETING:
		if (peer_accept(p))
			peer_send(p, PEER_GREETING);
		return; /* join closes */
	default:
		break;
	}
	if (!peer_handshake(p) || peer_expect(p, "cont", NULL) < 0)
		return;
	if (end_kind == END_GARBAGE) {
		if (peer_send(p, "this is not JSON\r\n"))
			peer_wait_eof(p, WAIT_MS);
	} else if (end_kind == END_LONG) {
		size_t n = QMP_LINE_MAX + 10;
		char *big = malloc(n + 3);

		memset(big, ' ', n);
		memcpy(big + n, "\r\n", 3);
		big[0] = '{';
		if (peer_send(p, big))
			peer_wait_eof(p, WAIT_MS);
		free(big);
	}
	/* END_CLOSE: return, join closes the socket with cont pending */
}

static void run_end(enum end_kind kind, int want_err, bool want_ready, bool with_cmd)
{
	struct fakepeer p = { 0 };
	struct cl c;

	end_kind = kind;
	fakepeer_start(&p, sock_path, script_end, NULL);
	cl_init(&c);
	assert_int_equal(cl_connect(&c, sock_path, kind == END_SILENT ? 200 : WAIT_MS), 0);
	if (with_cmd)
		assert_int_equal(qmp_cont(c.q, 0, cl_done, &c), 0);
	if (kind == END_CLOSE || kind == END_CLOSE_AFTER_GREETING) {
		/* the peer closes when its script returns */
		while (!fakepeer_done(&p))
			uv_run(&c.loop, UV_RUN_ONCE);
	}
	assert_true(cl_run_until(&c, cl_is_closed, WAIT_MS));
	if (c.closed_err != want_err)
		print_message("closed: %d %s\n", c.closed_err, c.closed_msg);
	assert_int_equal(c.closed_err, want_err);
	assert_int_equal(c.ready, want_ready);
	assert_true(c.closed_msg[0] != '\0');
	if (with_cmd) {
		assert_int_equal(c.nrep, 1); /* done() before closed() */
		assert_int_equal(c.rep[0].err, -ECONNRESET);
	}
	assert_int_equal(qmp_cont(c.q, 0, cl_done, &c), -ENOTCONN);
	assert_false(qmp_is_ready(c.q));
	uv_run(&c.loop, UV_RUN_NOWAIT);
	assert_int_equal(c.nclosed, 1);
	assert_int_equal(cl_fini(&c), 0);
	assert_string_equal(fakepeer_join(&p), "");
}

static void test_garbage(void **state)
{
	run_end(END_GARBAGE, -EPROTO, true, true);
}

static void test_too_long(void **state)
{
	run_end(END_LONG, -EMSGSIZE, true, true);
}

static void test_close_early(void **state)
{
	run_end(END_CLOSE, -ECONNRESET, true, true);
}

static void test_close_in_handshake(void **state)
{
	run_end(END_CLOSE_AFTER_GREETING, -ECONNRESET, false, true);
}

static void test_bad_greeting(void **state)
{
	run_end(END_BAD_GREETING, -EPROTO, false, false);
}

static void test_caps_refused(void **state)
{
	run_end(END_CAPS_REFUSED, -EPROTO, false, true);
}

static void test_handshake_timeout(void **state)
{
	run_end(END_SILENT, -ETIMEDOUT, false, true);
}

/* ---- quit: QEMU answers, sends SHUTDOWN and closes; all of it arrives first ---- */

static void script_quit(struct fakepeer *p)
{
	char buf[256];
	long id;

	if (!peer_handshake(p) || (id = peer_expect(p, "quit", NULL)) < 0)
		return;
	snprintf(buf, sizeof(buf), "{\"return\": {}, \"id\": %ld}\r\n{\"timestamp\": {\"seconds\": "
		 "1, \"microseconds\": 0}, \"event\": \"SHUTDOWN\", \"data\": {\"guest\": false, "
		 "\"reason\": \"host-qmp-quit\"}}\r\n", id);
	peer_send(p, buf); /* then close, query-status unanswered (maybe unread: a reset) */
}

static void test_quit(void **state)
{
	struct fakepeer p = { 0 };
	struct cl c;

	fakepeer_start(&p, sock_path, script_quit, NULL);
	cl_init(&c);
	assert_int_equal(cl_connect(&c, sock_path, WAIT_MS), 0);
	assert_int_equal(qmp_quit(c.q, WAIT_MS, cl_done, &c), 0);
	assert_int_equal(qmp_query_status(c.q, WAIT_MS, cl_done, &c), 0);
	assert_true(cl_run_until(&c, cl_is_closed, WAIT_MS));
	assert_int_equal(c.nrep, 2);
	assert_int_equal(c.rep[0].err, 0);
	assert_string_equal(c.rep[0].cmd, "quit");
	assert_int_equal(c.rep[1].err, -ECONNRESET);
	assert_int_equal(c.nev, 1);
	assert_string_equal(c.ev[0].name, "SHUTDOWN");
	assert_int_equal(c.closed_err, -ECONNRESET);
	assert_int_equal(cl_fini(&c), 0);
	assert_string_equal(fakepeer_join(&p), "");
}

/* ---- connecting ---- */

static void script_handshake_then_eof(struct fakepeer *p)
{
	if (peer_handshake(p))
		peer_wait_eof(p, WAIT_MS);
}

static void test_connect_retry(void **state)
{
	struct fakepeer p = { .delay_bind_ms = 60 }; /* the socket appears late, like QEMU's */
	struct cl c;

	fakepeer_start(&p, sock_path, script_handshake_then_eof, NULL);
	cl_init(&c);
	assert_int_equal(cl_connect(&c, sock_path, WAIT_MS), 0);
	assert_true(cl_run_until(&c, cl_is_ready, WAIT_MS));
	assert_int_equal(c.nclosed, 0);
	assert_int_equal(cl_fini(&c), 0);
	assert_string_equal(fakepeer_join(&p), "");
}

static void test_connect_deadline(void **state)
{
	struct cl c;
	uint64_t t0 = clock_monotonic_ns();
	struct sec_err err;
	struct qmp *q;
	static const struct qmp_callbacks cb = { 0 };
	char longp[200];

	unlink(sock_path);
	cl_init(&c);
	assert_int_equal(cl_connect(&c, sock_path, 150), 0);
	assert_int_equal(qmp_cont(c.q, 0, cl_done, &c), 0);
	assert_true(cl_run_until(&c, cl_is_closed, WAIT_MS));
	assert_int_equal(c.closed_err, -ETIMEDOUT);
	assert_true(clock_monotonic_ns() - t0 >= 140 * NSEC_PER_MSEC);
	assert_int_equal(c.rep[0].err, -ECONNRESET);
	assert_int_equal(cl_fini(&c), 0);
	/* bad arguments */
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	assert_int_equal(qmp_new(uv_default_loop(), longp, 100, &cb, NULL, &q, &err),
			 -ENAMETOOLONG);
	assert_non_null(strstr(err.msg, "longer than"));
	assert_int_equal(qmp_new(uv_default_loop(), sock_path, 0, &cb, NULL, &q, &err), -EINVAL);
}

/* ---- detach and attach as one operation (qmpmedia.c) ---- */

static bool args_are(struct fakepeer *p, json_t *m, const char *want)
{
	json_t *w = json_loads(want, 0, NULL);
	bool ok = json_equal(json_object_get(m, "arguments"), w);

	if (!ok) {
		char *got = json_dumps(json_object_get(m, "arguments"), JSON_COMPACT);

		snprintf(p->failed, sizeof(p->failed), "arguments %s, want %s", got, want);
		free(got);
	}
	json_decref(w);
	json_decref(m);
	return ok;
}

static void script_media(struct fakepeer *p)
{
	json_t *m = NULL;
	long id;

	if (!peer_handshake(p))
		return;
	if ((id = peer_expect(p, "blockdev-open-tray", &m)) < 0 ||
	    !args_are(p, m, "{\"id\": \"dev-T0\", \"force\": true}") || !peer_reply(p, id, "{}"))
		return;
	if ((id = peer_expect(p, "blockdev-remove-medium", &m)) < 0 ||
	    !args_are(p, m, "{\"id\": \"dev-T0\"}") || !peer_reply(p, id, "{}"))
		return;
	if ((id = peer_expect(p, "blockdev-del", &m)) < 0 ||
	    !args_are(p, m, "{\"node-name\": \"med-T0-1\"}") || !peer_reply(p, id, "{}"))
		return;
	if ((id = peer_expect(p, "blockdev-add", &m)) < 0 ||
	    !args_are(p, m, "{\"driver\": \"raw\", \"node-name\": \"med-T0-2\", "
			    "\"read-only\": true, \"cache\": {\"direct\": false, \"no-flush\": false}, "
			    "\"file\": {\"driver\": \"file\", \"filename\": \"/t/T0.img\"}}") ||
	    !peer_reply(p, id, "{}"))
		return;
	if ((id = peer_expect(p, "blockdev-insert-medium", &m)) < 0 ||
	    !args_are(p, m, "{\"id\": \"dev-T0\", \"node-name\": \"med-T0-2\"}") ||
	    !peer_error(p, id, "GenericError", "Tray of device 'dev-T0' is not open"))
		return;
	/* no blockdev-close-tray after the failed step: the next command is the test's */
	if ((id = peer_expect(p, "query-status", NULL)) < 0 ||
	    !peer_reply(p, id, "{\"status\": \"paused\", \"running\": false}"))
		return;
	peer_wait_eof(p, WAIT_MS);
}

static void test_medium_ops(void **state)
{
	struct fakepeer p = { 0 };
	struct cl c;

	fakepeer_start(&p, sock_path, script_media, NULL);
	cl_init(&c);
	assert_int_equal(cl_connect(&c, sock_path, WAIT_MS), 0);
	assert_int_equal(qmp_medium_detach(c.q, "dev-T0", "med-T0-1", WAIT_MS, cl_done, &c), 0);
	assert_true(cl_run_until(&c, one_reply, WAIT_MS));
	assert_int_equal(c.rep[0].err, 0);
	assert_string_equal(c.rep[0].cmd, "blockdev-del"); /* the last step's reply */
	assert_int_equal(qmp_medium_attach(c.q, "dev-T0", "med-T0-2", "/t/T0.img", true, false,
					   WAIT_MS, cl_done, &c), 0);
	assert_true(cl_run_until(&c, two_replies, WAIT_MS));
	assert_int_equal(c.rep[1].err, -EREMOTEIO);
	assert_string_equal(c.rep[1].cmd, "blockdev-insert-medium"); /* the failed step */
	assert_string_equal(c.rep[1].desc, "Tray of device 'dev-T0' is not open");
	assert_int_equal(qmp_query_status(c.q, WAIT_MS, cl_done, &c), 0);
	assert_true(cl_run_until(&c, three_replies, WAIT_MS));
	assert_int_equal(c.rep[2].err, 0);
	assert_int_equal(qmp_medium_attach(c.q, "dev-T0", NULL, "/t/T0.img", true, false, 1,
					   cl_done, &c), -EINVAL);
	/* freed while a step is pending: the operation ends with -ECANCELED */
	assert_int_equal(qmp_medium_detach(c.q, "dev-T0", NULL, 0, cl_done, &c), 0);
	c.q = qmp_free(c.q);
	assert_int_equal(c.nrep, 4);
	assert_int_equal(c.rep[3].err, -ECANCELED);
	assert_int_equal(cl_fini(&c), 0);
	assert_string_equal(fakepeer_join(&p), "");
}

/* ---- qmp_free() inside callbacks ---- */

static void script_free(struct fakepeer *p)
{
	long a, b;

	if (!peer_handshake(p))
		return;
	if ((a = peer_expect(p, "stop", NULL)) < 0 || (b = peer_expect(p, "cont", NULL)) < 0)
		return;
	if (p->arg == (void *)1) /* free in event: an event and a reply in one write */
		peer_send(p, "{\"event\": \"STOP\"}\r\n{\"return\": {}, \"id\": 2}\r\n");
	else if (p->arg == (void *)2) /* free in done: two replies in one write */
		peer_send(p, "{\"return\": {}, \"id\": 2}\r\n{\"return\": {}, \"id\": 3}\r\n");
	else /* free in closed */
		return;
	peer_wait_eof(p, WAIT_MS);
}

static bool freed(struct cl *c)
{
	return c->q == NULL;
}

static void run_free(intptr_t how)
{
	struct fakepeer p = { 0 };
	struct cl c;

	fakepeer_start(&p, sock_path, script_free, (void *)how);
	cl_init(&c);
	c.free_in_event = how == 1;
	c.free_in_done = how == 2 ? 1 : 0;
	c.free_in_closed = how == 3;
	assert_int_equal(cl_connect(&c, sock_path, WAIT_MS), 0);
	assert_int_equal(qmp_stop(c.q, 0, cl_done, &c), 0); /* id 2 */
	assert_int_equal(qmp_cont(c.q, 0, cl_done, &c), 0); /* id 3 */
	if (how == 3)
		while (!fakepeer_done(&p))
			uv_run(&c.loop, UV_RUN_ONCE);
	assert_true(cl_run_until(&c, freed, WAIT_MS));
	assert_int_equal(c.nrep, 2);
	if (how == 1) { /* both cancelled, the reply after the event never delivered */
		assert_int_equal(c.nev, 1);
		assert_int_equal(c.rep[0].err, -ECANCELED);
		assert_int_equal(c.rep[1].err, -ECANCELED);
	} else if (how == 2) { /* the first answered, the second cancelled */
		assert_int_equal(c.rep[0].err, 0);
		assert_int_equal(c.rep[1].err, -ECANCELED);
	} else { /* both reset before closed() */
		assert_int_equal(c.rep[0].err, -ECONNRESET);
		assert_int_equal(c.rep[1].err, -ECONNRESET);
		assert_int_equal(c.nclosed, 1);
	}
	assert_int_equal(cl_fini(&c), 0);
	assert_string_equal(fakepeer_join(&p), "");
}

static void test_free_in_event(void **state)
{
	run_free(1);
}

static void test_free_in_done(void **state)
{
	run_free(2);
}

static void test_free_in_closed(void **state)
{
	run_free(3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_framer),
		cmocka_unit_test_setup(test_basic, setup),
		cmocka_unit_test_setup(test_split, setup),
		cmocka_unit_test_setup(test_error_timeout, setup),
		cmocka_unit_test_setup(test_garbage, setup),
		cmocka_unit_test_setup(test_too_long, setup),
		cmocka_unit_test_setup(test_close_early, setup),
		cmocka_unit_test_setup(test_close_in_handshake, setup),
		cmocka_unit_test_setup(test_bad_greeting, setup),
		cmocka_unit_test_setup(test_caps_refused, setup),
		cmocka_unit_test_setup(test_handshake_timeout, setup),
		cmocka_unit_test_setup(test_quit, setup),
		cmocka_unit_test_setup(test_connect_retry, setup),
		cmocka_unit_test_setup(test_connect_deadline, setup),
		cmocka_unit_test_setup(test_medium_ops, setup),
		cmocka_unit_test_setup(test_free_in_event, setup),
		cmocka_unit_test_setup(test_free_in_done, setup),
		cmocka_unit_test_setup(test_free_in_closed, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
