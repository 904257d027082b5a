/* test_api_httpc.c — the HTTP client (src/api/httpc.h) against real HTTP servers: a test
 * server is libmicrohttpd with its own thread on 127.0.0.1, port 0, checking the unit
 * headers with auth_unitmsg_accept() (its peers table is touched by its thread only) and
 * answering JSON; the client runs on a uv loop in the main thread. Waits are conditions
 * with deadlines. Also in suite 'tsan' (the server threads). The server: httpc_testsrv.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "api/httpc.h"
#include "auth/unitmsg.h"
#include "httpc_testsrv.h"

#define SELF 1
#define INC  0x1718a1892038162cull
#define SNAP "/api/v1/internal/snapshot"

static struct auth_key key, other_key;
static pthread_t main_thread;

/* ---- the client side ---- */

#define RESULTS_MAX 16

struct res {
	int err;
	long status;
	char body[256];
	size_t len;
	char errmsg[256];
	int order; /* 1 + results done before it */
};

struct client {
	uv_loop_t loop;
	uv_timer_t tick; /* lets run_until() look at conditions the server threads change */
	struct httpc *c;
	bool in_call; /* inside httpc_call()/httpc_forward() */
	int ndone;
	bool closed;
	struct res r[RESULTS_MAX];
};

static void on_done(void *arg, const struct httpc_result *res)
{
	struct res *r = arg;

	r->err = res->err;
	r->status = res->status;
	snprintf(r->body, sizeof(r->body), "%s", res->body);
	r->len = res->len;
	snprintf(r->errmsg, sizeof(r->errmsg), "%s", res->errmsg);
	assert_int_equal(strlen(res->body), res->len); /* NUL-terminated */
	assert_true(pthread_equal(pthread_self(), main_thread));
}

static struct client *cl_cur;

static void done_cb(void *arg, const struct httpc_result *res)
{
	struct res *r = arg;

	assert_false(cl_cur->in_call); /* never from inside httpc_call() */
	assert_int_equal(r->order, 0); /* exactly once */
	on_done(arg, res);
	r->order = ++cl_cur->ndone;
}

static void on_tick(uv_timer_t *t)
{
}

static struct client *client_new(void)
{
	struct client *cl = calloc(1, sizeof(*cl));
	struct sec_err err;

	assert_non_null(cl);
	assert_int_equal(uv_loop_init(&cl->loop), 0);
	uv_timer_init(&cl->loop, &cl->tick);
	assert_int_equal(httpc_new(&cl->loop, SELF, INC, &key, &cl->c, &err), 0);
	cl_cur = cl;
	return cl;
}

static int call(struct client *cl, uint32_t to, const struct srv *s, const char *body,
		uint32_t timeout_ms, int slot)
{
	char addr[32];
	int r;

	srv_addr(s, addr);
	cl->in_call = true;
	r = httpc_call(cl->c, to, addr, "POST", SNAP, body, body ? strlen(body) : 0, timeout_ms,
		       done_cb, &cl->r[slot]);
	cl->in_call = false;
	return r;
}

/* Runs the loop until cond() holds; fails the test after WAIT_MS. */
static void run_until(struct client *cl, bool (*cond)(struct client *, void *), void *arg)
{
	uint64_t end = uv_hrtime() + (uint64_t)WAIT_MS * 1000000u;

	uv_timer_start(&cl->tick, on_tick, 5, 5);
	while (!cond(cl, arg)) {
		assert_true(uv_hrtime() < end);
		uv_run(&cl->loop, UV_RUN_ONCE);
	}
	uv_timer_stop(&cl->tick);
}

static bool done_n(struct client *cl, void *arg)
{
	return cl->ndone >= *(int *)arg;
}

static bool closed(struct client *cl, void *arg)
{
	return cl->closed;
}

static bool holding(struct client *cl, void *arg)
{
	return srv_seen(arg).holding > 0;
}

static void wait_done(struct client *cl, int n)
{
	run_until(cl, done_n, &n);
}

static void on_closed(void *arg)
{
	struct client *cl = arg;

	cl->closed = true;
}

/* httpc_free, every handle closed, the loop closes cleanly. */
static void client_free(struct client *cl)
{
	httpc_free(cl->c, on_closed, cl);
	run_until(cl, closed, NULL);
	uv_close((uv_handle_t *)&cl->tick, NULL);
	uv_run(&cl->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&cl->loop), 0);
	cl_cur = NULL;
	free(cl);
}

static long json_int(const char *body, const char *name)
{
	json_error_t e;
	json_t *j = json_loads(body, 0, &e), *v;
	long n;

	assert_non_null(j);
	v = json_object_get(j, name);
	assert_non_null(v);
	n = json_is_boolean(v) ? (long)json_is_true(v) : (long)json_integer_value(v);
	json_decref(j);
	return n;
}

static void want_errmsg(const struct res *r, const struct srv *s, const char *path,
			const char *tail)
{
	char want[256];

	snprintf(want, sizeof(want), "POST http://127.0.0.1:%u%s: %s", s->port, path, tail);
	assert_string_equal(r->errmsg, want);
}

/* ---- tests ---- */

static void test_signed_call_accepted(void **state)
{
	struct srv *s = srv_start(2, SRV_OK, &key);
	struct client *cl = client_new();

	assert_int_equal(call(cl, 2, s, "{\"a\": 1}", 5000, 0), 0);
	assert_int_equal(httpc_pending(cl->c), 1);
	assert_int_equal(cl->ndone, 0);
	wait_done(cl, 1);
	assert_int_equal(cl->r[0].err, 0);
	assert_int_equal(cl->r[0].status, 200);
	assert_int_equal(json_int(cl->r[0].body, "from"), SELF);
	assert_int_equal(json_int(cl->r[0].body, "seq"), 1);
	want_errmsg(&cl->r[0], s, SNAP, "HTTP 200");
	assert_int_equal(httpc_pending(cl->c), 0);
	/* a call without a body is signed over the empty body */
	assert_int_equal(call(cl, 2, s, NULL, 5000, 1), 0);
	wait_done(cl, 2);
	assert_int_equal(cl->r[1].status, 200);
	assert_int_equal(json_int(cl->r[1].body, "seq"), 2);
	client_free(cl);
	assert_int_equal(s->accepted, 2);
	assert_int_equal(s->refused, 0);
	srv_stop(s);
}

/* A signed call may carry a query: the tag covers the path before it, as the server
 * checks it, and the query arrives (GET /api/v1/internal/console?vm=...). */
static void test_signed_call_with_query(void **state)
{
	struct srv *s = srv_start(2, SRV_OK, &key);
	struct client *cl = client_new();
	char addr[32];

	srv_addr(s, addr);
	assert_int_equal(httpc_call(cl->c, 2, addr, "GET", SNAP "?x=17&y=a%20b", NULL, 0, 5000,
				    done_cb, &cl->r[0]),
			 0);
	wait_done(cl, 1);
	assert_int_equal(cl->r[0].err, 0);
	assert_int_equal(cl->r[0].status, 200);
	assert_int_equal(json_int(cl->r[0].body, "from"), SELF);
	assert_string_equal(srv_seen(s).query_x, "17");
	client_free(cl);
	assert_int_equal(s->accepted, 1);
	assert_int_equal(s->refused, 0);
	srv_stop(s);
}

static void test_refused_by_the_server(void **state)
{
	struct srv *s = srv_start(2, SRV_OK, &key), *o = srv_start(2, SRV_OK, &other_key);
	struct client *cl = client_new();

	/* another cluster key */
	assert_int_equal(call(cl, 2, o, "{}", 5000, 0), 0);
	wait_done(cl, 1);
	assert_int_equal(cl->r[0].err, 0); /* an answer: the status says it was refused */
	assert_int_equal(cl->r[0].status, 401);
	assert_non_null(strstr(cl->r[0].body, "invalid unit call signature"));
	/* a call signed for unit 3 is refused by unit 2 */
	assert_int_equal(call(cl, 3, s, "{}", 5000, 1), 0);
	wait_done(cl, 2);
	assert_int_equal(cl->r[1].status, 401);
	/* and the right one is accepted */
	assert_int_equal(call(cl, 2, s, "{}", 5000, 2), 0);
	wait_done(cl, 3);
	assert_int_equal(cl->r[2].status, 200);
	client_free(cl);
	assert_int_equal(srv_seen(o).refused, 1);
	assert_int_equal(srv_seen(s).refused, 1);
	assert_int_equal(srv_seen(s).accepted, 1);
	srv_stop(s);
	srv_stop(o);
}

/* Ten calls made at once to one unit: serialised, each signed when sent, so the server
 * sees the sequence numbers rising and accepts all ten (sent in parallel, the later ones
 * overtaking would be refused as stale); one kept-alive connection carries them. */
static void test_ten_in_a_row_same_unit(void **state)
{
	struct srv *s = srv_start(2, SRV_OK, &key), seen;
	struct client *cl = client_new();

	for (int i = 0; i < 10; i++)
		assert_int_equal(call(cl, 2, s, "{\"n\": 1}", 5000, i), 0);
	assert_int_equal(httpc_pending(cl->c), 10);
	wait_done(cl, 10);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(cl->r[i].err, 0);
		assert_int_equal(cl->r[i].status, 200);
		assert_int_equal(cl->r[i].order, i + 1); /* done() in the order of the calls */
		assert_int_equal(json_int(cl->r[i].body, "seq"), i + 1);
	}
	client_free(cl);
	seen = srv_seen(s);
	assert_int_equal(seen.accepted, 10);
	assert_int_equal(seen.refused, 0);
	assert_int_equal(seen.max_open, 1); /* never two of them at the server */
	assert_int_equal(seen.connections, 1);
	srv_stop(s);
}

/* Two units answer only while both hold a call: the calls run in parallel. */
static void test_two_units_in_parallel(void **state)
{
	struct srv *a = srv_start(2, SRV_PAIR, &key), *b = srv_start(3, SRV_PAIR, &key);
	struct client *cl = client_new();

	srv_set_pair(a, b);
	assert_int_equal(call(cl, 2, a, "{}", WAIT_MS, 0), 0);
	assert_int_equal(call(cl, 3, b, "{}", WAIT_MS, 1), 0);
	assert_int_equal(httpc_pending(cl->c), 2);
	wait_done(cl, 2);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(cl->r[i].status, 200);
		assert_int_equal(json_int(cl->r[i].body, "held"), 1);
		assert_int_equal(json_int(cl->r[i].body, "unit"), 2 + i);
	}
	/* one sender, one sequence: the units saw 1 and 2 */
	assert_int_equal(json_int(cl->r[0].body, "seq") + json_int(cl->r[1].body, "seq"), 3);
	client_free(cl);
	srv_stop(a);
	srv_stop(b);
}

static void test_connection_refused(void **state)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct srv fake = {0};
	struct client *cl = client_new();

	/* a bound port that does not listen refuses connections, and no one else gets it */
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	fake.port = ntohs(sa.sin_port);
	assert_int_equal(call(cl, 2, &fake, "{}", 5000, 0), 0);
	wait_done(cl, 1);
	assert_int_equal(cl->r[0].err, -ECONNREFUSED);
	assert_int_equal(cl->r[0].status, 0);
	assert_int_equal(cl->r[0].len, 0);
	want_errmsg(&cl->r[0], &fake, SNAP, "connection refused");
	client_free(cl);
	close(fd);
}

/* A server that holds the answer: the call ends with -ETIMEDOUT after its timeout; a call
 * queued behind it with a shorter timeout ends first, without being sent. */
static void test_timeout(void **state)
{
	struct srv *s = srv_start(2, SRV_HOLD, &key);
	struct client *cl = client_new();
	uint64_t t0, ms;

	/* a first call answered at once: the held ones below reuse its connection */
	srv_set_released(true);
	assert_int_equal(call(cl, 2, s, "{}", 5000, 2), 0);
	wait_done(cl, 1);
	assert_int_equal(cl->r[2].status, 200);
	srv_set_released(false);
	t0 = uv_hrtime();
	assert_int_equal(call(cl, 2, s, "{}", 400, 0), 0);
	assert_int_equal(call(cl, 2, s, "{}", 150, 1), 0);
	wait_done(cl, 3);
	ms = (uv_hrtime() - t0) / 1000000u;
	assert_true(ms >= 350 && ms < 5000);
	assert_int_equal(cl->r[1].order, 2);
	assert_int_equal(cl->r[1].err, -ETIMEDOUT);
	want_errmsg(&cl->r[1], s, SNAP, "no answer within 150 ms (queued behind an earlier call)");
	assert_int_equal(cl->r[0].order, 3);
	assert_int_equal(cl->r[0].err, -ETIMEDOUT);
	assert_int_equal(cl->r[0].status, 0);
	want_errmsg(&cl->r[0], s, SNAP, "no answer within 400 ms");
	client_free(cl);
	assert_int_equal(srv_seen(s).accepted, 2); /* the queued call was never sent */
	assert_int_equal(srv_seen(s).connections, 1);
	srv_stop(s);
}

/* A listener whose accept queue is full drops the SYN: the connect times out. */
static void test_connect_timeout(void **state)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), fill[4];
	struct srv fake = {0};
	struct client *cl = client_new();

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &sl), 0);
	assert_int_equal(listen(lfd, 0), 0);
	for (int i = 0; i < 4; i++) { /* never accepted */
		fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		assert_true(fill[i] >= 0);
		connect(fill[i], (struct sockaddr *)&sa, sizeof(sa));
	}
	fake.port = ntohs(sa.sin_port);
	assert_int_equal(call(cl, 2, &fake, "{}", 300, 0), 0);
	wait_done(cl, 1);
	assert_int_equal(cl->r[0].err, -ETIMEDOUT);
	want_errmsg(&cl->r[0], &fake, SNAP, "could not connect within 300 ms");
	client_free(cl);
	for (int i = 0; i < 4; i++)
		close(fill[i]);
	close(lfd);
}

static void done_calls_again(void *arg, const struct httpc_result *res)
{
	struct client *cl = cl_cur;
	char addr[] = "127.0.0.1:9";

	done_cb(arg, res);
	/* httpc_free is running: new calls are refused */
	assert_int_equal(httpc_call(cl->c, 2, addr, "POST", SNAP, NULL, 0, 100, done_cb, &cl->r[5]),
			 -ECANCELED);
}

/* httpc_free with a call in flight and one queued: both end with -ECANCELED, in order. */
static void test_free_cancels(void **state)
{
	struct srv *s = srv_start(2, SRV_HOLD, &key);
	struct client *cl = client_new();
	char addr[32];

	srv_addr(s, addr);
	assert_int_equal(
	    httpc_call(cl->c, 2, addr, "POST", SNAP, NULL, 0, WAIT_MS, done_calls_again, &cl->r[0]),
	    0);
	assert_int_equal(call(cl, 2, s, "{}", WAIT_MS, 1), 0);
	run_until(cl, holding, s); /* the first call is in the server */
	assert_int_equal(cl->ndone, 0);
	httpc_free(cl->c, on_closed, cl);
	assert_int_equal(cl->ndone, 2);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(cl->r[i].order, i + 1);
		assert_int_equal(cl->r[i].err, -ECANCELED);
		assert_int_equal(cl->r[i].status, 0);
	}
	want_errmsg(&cl->r[0], s, SNAP, "cancelled (the client is shutting down)");
	assert_int_equal(httpc_pending(cl->c), 0);
	assert_int_equal(httpc_call(cl->c, 2, addr, "POST", SNAP, NULL, 0, 100, done_cb, &cl->r[2]),
			 -ECANCELED);
	assert_false(cl->closed); /* done_all comes from the loop */
	run_until(cl, closed, NULL);
	uv_close((uv_handle_t *)&cl->tick, NULL);
	uv_run(&cl->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&cl->loop), 0);
	free(cl);
	cl_cur = NULL;
	srv_stop(s);
}

static void done_then_free(void *arg, const struct httpc_result *res)
{
	done_cb(arg, res);
	httpc_free(cl_cur->c, on_closed, cl_cur);
}

/* httpc_free from inside a done(): the other calls end with -ECANCELED, all closes. */
static void test_free_from_done(void **state)
{
	struct srv *s = srv_start(2, SRV_OK, &key), *t = srv_start(3, SRV_HOLD, &key);
	struct client *cl = client_new();
	char addr[32];

	srv_addr(s, addr);
	assert_int_equal(
	    httpc_call(cl->c, 2, addr, "POST", SNAP, "{}", 2, WAIT_MS, done_then_free, &cl->r[0]),
	    0);
	assert_int_equal(call(cl, 2, s, "{}", WAIT_MS, 1), 0); /* queued behind */
	assert_int_equal(call(cl, 3, t, "{}", WAIT_MS, 2), 0); /* held by its server */
	run_until(cl, closed, NULL);
	assert_int_equal(cl->ndone, 3);
	assert_int_equal(cl->r[0].status, 200);
	assert_int_equal(cl->r[1].err, -ECANCELED);
	assert_int_equal(cl->r[2].err, -ECANCELED);
	uv_close((uv_handle_t *)&cl->tick, NULL);
	uv_run(&cl->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&cl->loop), 0);
	free(cl);
	cl_cur = NULL;
	srv_stop(s);
	srv_stop(t);
}

/* A forwarded write carries the given headers and its query, and no unit headers. */
static void test_forward(void **state)
{
	struct srv *s = srv_start(2, SRV_OK, &key), seen;
	struct client *cl = client_new();
	const char *hdrs[] = {"Authorization: Bearer tok.123", "X-Request-Id: r7"};
	const char *unit_hdr[] = {"x-sec-unit: 1;1718a1892038162c;5"};
	const char *crlf[] = {"X-A: 1\r\nX-Sec-Auth: 00"};
	const char *noname[] = {": v"};
	char addr[32];

	srv_addr(s, addr);
	cl->in_call = true;
	assert_int_equal(httpc_forward(cl->c, addr, "POST", "/api/v1/events/ack?x=42", hdrs, 2,
				       "{}", 2, 5000, done_cb, &cl->r[0]),
			 0);
	cl->in_call = false;
	wait_done(cl, 1);
	assert_int_equal(cl->r[0].err, 0);
	assert_int_equal(cl->r[0].status, 200);
	/* the query stays out of the message (it may carry a secret) */
	want_errmsg(&cl->r[0], s, "/api/v1/events/ack", "HTTP 200");
	seen = srv_seen(s);
	assert_string_equal(seen.authorization, "Bearer tok.123");
	assert_string_equal(seen.request_id, "r7");
	assert_string_equal(seen.content_type, "application/json");
	assert_string_equal(seen.query_x, "42");
	assert_false(seen.had_unit_hdr);
	assert_false(seen.had_auth_hdr);
	assert_int_equal(seen.accepted + seen.refused, 0);
	/* refused before anything starts */
	assert_int_equal(httpc_forward(cl->c, addr, "POST", "/x", unit_hdr, 1, NULL, 0, 5000,
				       done_cb, &cl->r[1]),
			 -EINVAL);
	assert_int_equal(
	    httpc_forward(cl->c, addr, "POST", "/x", crlf, 1, NULL, 0, 5000, done_cb, &cl->r[1]),
	    -EINVAL);
	assert_int_equal(
	    httpc_forward(cl->c, addr, "POST", "/x", noname, 1, NULL, 0, 5000, done_cb, &cl->r[1]),
	    -EINVAL);
	assert_int_equal(httpc_pending(cl->c), 0);
	client_free(cl);
	srv_stop(s);
}

/* Response bodies above 8 MiB: refused from the Content-Length or while they arrive;
 * 8 MiB exactly is accepted. */
static void test_body_cap(void **state)
{
	static const struct {
		enum srv_mode mode;
		size_t len;
		int err;
	} cases[] = {
	    {SRV_BIG, HTTPC_BODY_MAX + 1, -EMSGSIZE},
	    {SRV_CHUNKED, HTTPC_BODY_MAX + 1, -EMSGSIZE},
	    {SRV_CHUNKED, HTTPC_BODY_MAX, 0},
	};

	for (int i = 0; i < 3; i++) {
		struct srv *s = srv_start(2, cases[i].mode, &key);
		struct client *cl = client_new();

		srv_set_big(s, cases[i].len);
		assert_int_equal(call(cl, 2, s, "{}", WAIT_MS, 0), 0);
		wait_done(cl, 1);
		assert_int_equal(cl->r[0].err, cases[i].err);
		if (cases[i].err) {
			assert_int_equal(cl->r[0].len, 0);
			want_errmsg(&cl->r[0], s, SNAP, "response body above 8 MiB");
		} else {
			assert_int_equal(cl->r[0].status, 200);
			assert_int_equal(cl->r[0].len, HTTPC_BODY_MAX);
		}
		client_free(cl);
		srv_stop(s);
	}
}

static void test_bad_arguments(void **state)
{
	struct client *cl = client_new();
	struct httpc *c = cl->c, *c2;
	struct sec_err err;
	struct res *r = &cl->r[0];
	const char *bad_addr[] = {"localhost:7302",  "127.0.0.1",    "127.0.0.1:0",
				  "127.0.0.1:65536", "[::1]7302",    "::1:7302",
				  "127.0.0.1:80/x",  " 127.0.0.1:1", "127.0.0.1:+1"};

	for (size_t i = 0; i < sizeof(bad_addr) / sizeof(bad_addr[0]); i++)
		assert_int_equal(
		    httpc_call(c, 2, bad_addr[i], "POST", SNAP, NULL, 0, 100, done_cb, r), -EINVAL);
	assert_int_equal(httpc_call(c, 0, "127.0.0.1:1", "POST", SNAP, NULL, 0, 100, done_cb, r),
			 -EINVAL);
	assert_int_equal(httpc_call(c, 257, "127.0.0.1:1", "POST", SNAP, NULL, 0, 100, done_cb, r),
			 -EINVAL);
	assert_int_equal(httpc_call(c, 2, "127.0.0.1:1", "post", SNAP, NULL, 0, 100, done_cb, r),
			 -EINVAL);
	assert_int_equal(httpc_call(c, 2, "127.0.0.1:1", "POST", "api", NULL, 0, 100, done_cb, r),
			 -EINVAL);
	assert_int_equal(
	    httpc_call(c, 2, "127.0.0.1:1", "POST", SNAP "#a", NULL, 0, 100, done_cb, r),
	    -EINVAL);
	assert_int_equal(httpc_call(c, 2, "127.0.0.1:1", "POST", "/a b", NULL, 0, 100, done_cb, r),
			 -EINVAL);
	assert_int_equal(httpc_call(c, 2, "127.0.0.1:1", "POST", SNAP, NULL, 3, 100, done_cb, r),
			 -EINVAL);
	assert_int_equal(httpc_call(c, 2, "127.0.0.1:1", "POST", SNAP, NULL, 0, 0, done_cb, r),
			 -EINVAL);
	assert_int_equal(httpc_call(c, 2, "127.0.0.1:1", "POST", SNAP, NULL, 0, 100, NULL, r),
			 -EINVAL);
	assert_int_equal(httpc_pending(c), 0);
	assert_int_equal(cl->ndone, 0);
	/* IPv6 literals are accepted (whether ::1 answers depends on the host) */
	assert_int_equal(httpc_call(c, 2, "[::1]:9", "GET", SNAP, NULL, 0, 2000, done_cb, r), 0);
	wait_done(cl, 1);
	assert_true(r->err < 0);
	assert_non_null(strstr(r->errmsg, "GET http://[::1]:9" SNAP ": "));
	assert_int_equal(httpc_new(&cl->loop, 0, INC, &key, &c2, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "unit 0"));
	assert_int_equal(httpc_new(&cl->loop, 1, 0, &key, &c2, &err), -EINVAL);
	client_free(cl);
	httpc_free(NULL, NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_signed_call_accepted),
	    cmocka_unit_test(test_signed_call_with_query),
	    cmocka_unit_test(test_refused_by_the_server),
	    cmocka_unit_test(test_ten_in_a_row_same_unit),
	    cmocka_unit_test(test_two_units_in_parallel),
	    cmocka_unit_test(test_connection_refused),
	    cmocka_unit_test(test_timeout),
	    cmocka_unit_test(test_connect_timeout),
	    cmocka_unit_test(test_free_cancels),
	    cmocka_unit_test(test_free_from_done),
	    cmocka_unit_test(test_forward),
	    cmocka_unit_test(test_body_cap),
	    cmocka_unit_test(test_bad_arguments),
	};

	main_thread = pthread_self();
	assert_int_equal(auth_init(), 0);
	assert_int_equal(auth_key_generate(&key), 0);
	assert_int_equal(auth_key_generate(&other_key), 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
