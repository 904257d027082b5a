/* test_api_httpd.c — the REST API server (src/api/httpd.h; docs/api.md): the server runs on
 * a libuv loop in the main thread, a client thread talks to it with libcurl over
 * 127.0.0.1 on a port the server picked. Every check is on what a client sees: status,
 * Content-Type, the error code and message, the Allow header; the handlers echo what they
 * were given (claims, sender, path parameters, query) so the client can see that too.
 * Also under TSan (the client thread). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api/httpd.h"
#include "lib/log.h"

/* A request: method, path (with the query), body (NULL: none), header lines. */
#define RQ(m, p, b, ...)                                                                           \
	{                                                                                          \
		.method = (m), .path = (p), .body = (b), .hdrs = { __VA_ARGS__ }                   \
	}
#define GUARD_MS 20000 /* a test that hangs fails after this */
#define MIB	 (1024u * 1024u)

/* One client request and what came back. */
struct creq {
	const char *method, *path; /* path with the query */
	const char *hdrs[4];
	const char *body;   /* NULL: none */
	size_t body_len;    /* 0 with body: strlen(body) */
	size_t chunked_len; /* > 0: a chunked body of that many 'x' (no Content-Length) */
	long timeout_ms;    /* 0: 10 s; else the client gives up then (no answer expected) */
	/* results (client thread; read after the join) */
	int curl_rc;
	long status;
	long connects; /* new connections curl opened for it (0: reused the last one) */
	char ctype[64];
	char allow[64];
	char resp[2048]; /* the answer's body (cut at 2047 bytes) */
	size_t resp_len;
	double secs;
};

struct fx {
	uv_loop_t loop;
	struct api_server *s;
	const char *host; /* "127.0.0.1" or "[::1]" */
	uint16_t port;
	uv_async_t client_done;
	uv_timer_t guard;
	bool guard_open, stop_called, stopped, timed_out;
	pthread_t th;
	struct creq *reqs;
	size_t n;
	/* main thread only */
	int handler_calls;
	int cancels;
	bool stop_in_never; /* the never-replying handler stops the server */
	int fds0;	    /* open fds before the loop and the server: all closed after */
};

static int fd_count(void)
{
	int n = 0;

	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

/* ---- fake authentication ---- */

static int fake_person(void *arg, const char *token, struct auth_token_claims *ret)
{
	static const struct {
		const char *token, *account;
		uint32_t roles;
	} ok[] = {
	    {"good", "alice", AUTH_ROLE_READER},
	    {"admin", "root", AUTH_ROLE_ADMIN},
	    {"operator", "olaf", AUTH_ROLE_OPERATOR},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strcmp(token, ok[i].token)) {
			memset(ret, 0, sizeof(*ret));
			snprintf(ret->account, sizeof(ret->account), "%s", ok[i].account);
			ret->roles = ok[i].roles;
			ret->unit_id = 2;
			return 0;
		}
	return -EKEYREJECTED;
}

static int fake_unit(void *arg, const char *method, const char *path, const void *body, size_t len,
		     const char *hdr_unit, const char *hdr_auth, struct auth_unitmsg_from *ret)
{
	struct auth_unitmsg_from f;

	if (auth_unitmsg_parse_unit(hdr_unit, &f) < 0)
		return -EBADMSG;
	if (strcmp(hdr_auth, "ok") != 0)
		return -EKEYREJECTED;
	*ret = f;
	return 0;
}

static const struct api_auth_ops fake_ops = {.person = fake_person, .unit = fake_unit};

/* ---- handlers (loop thread) ---- */

static void h_login(struct api_req *r, void *arg)
{
	struct fx *f = arg;
	struct sec_err e;
	json_t *b;

	f->handler_calls++;
	assert_null(api_req_claims(r));
	b = api_req_json(r, &e);
	if (!b) {
		api_reply_error(r, 400, "bad_request", "%s", e.msg);
		return;
	}
	api_reply_json(
	    r, 200,
	    json_pack("{s:s, s:O}", "handler", "login", "account", json_object_get(b, "account")));
	json_decref(b);
}

static void h_whoami(struct api_req *r, void *arg)
{
	struct fx *f = arg;
	const struct auth_token_claims *c = api_req_claims(r);

	f->handler_calls++;
	assert_non_null(c);
	assert_null(api_req_from(r));
	api_reply_json(r, 200,
		       json_pack("{s:s, s:i, s:i, s:s, s:s, s:s}", "account", c->account, "roles",
				 (int)c->roles, "unit_id", (int)c->unit_id, "peer", api_req_peer(r),
				 "method", api_req_method(r), "path", api_req_path(r)));
}

static void h_empty(struct api_req *r, void *arg)
{
	struct fx *f = arg;

	f->handler_calls++;
	api_reply_json(r, 200, NULL);
}

static void h_ack(struct api_req *r, void *arg)
{
	struct fx *f = arg;
	struct sec_err e;
	size_t len;
	json_t *b;

	f->handler_calls++;
	api_req_body(r, &len);
	b = api_req_json(r, &e);
	if (!b) {
		api_reply_error_details(r, 400, "bad_request",
					json_pack("{s:I}", "body_bytes", (json_int_t)len), "%s",
					e.msg);
		return;
	}
	api_reply_json(r, 200, json_pack("{s:I}", "len", (json_int_t)len));
	json_decref(b);
}

static void h_command(struct api_req *r, void *arg)
{
	struct fx *f = arg;

	f->handler_calls++;
	api_reply_json(r, 200,
		       json_pack("{s:s, s:s, s:b}", "route", "param", "name",
				 api_req_param(r, "name"), "other_is_null",
				 api_req_param(r, "other") == NULL));
}

static void h_command_all(struct api_req *r, void *arg)
{
	struct fx *f = arg;

	f->handler_calls++;
	api_reply_json(r, 200,
		       json_pack("{s:s, s:b}", "route", "all", "name_is_null",
				 api_req_param(r, "name") == NULL));
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static void h_events(struct api_req *r, void *arg)
{
	struct fx *f = arg;

	f->handler_calls++;
	api_reply_json(r, 200,
		       json_pack("{s:o, s:o, s:o, s:o}", "current",
				 str_or_null(api_req_query(r, "current")), "text",
				 str_or_null(api_req_query(r, "text")), "flag",
				 str_or_null(api_req_query(r, "flag")), "absent",
				 str_or_null(api_req_query(r, "absent"))));
}

static void h_snapshot(struct api_req *r, void *arg)
{
	struct fx *f = arg;
	const struct auth_unitmsg_from *from = api_req_from(r);
	size_t len;
	const char *body = api_req_body(r, &len);

	f->handler_calls++;
	assert_non_null(from);
	assert_null(api_req_claims(r));
	api_reply_json(r, 200,
		       json_pack("{s:i, s:I, s:I, s:s%}", "unit", (int)from->unit, "seq",
				 (json_int_t)from->seq, "incarnation",
				 (json_int_t)from->incarnation, "body", body, len));
}

/* Replies 50 ms later from a timer on the loop. */
struct later {
	uv_timer_t t;
	struct api_req *r;
	uint64_t t0;
};

static void later_closed(uv_handle_t *h)
{
	free(h->data);
}

static void later_fire(uv_timer_t *t)
{
	struct later *l = t->data;

	api_reply_json(l->r, 200,
		       json_pack("{s:b, s:I}", "async", 1, "waited_ms",
				 (json_int_t)(uv_now(t->loop) - l->t0)));
	uv_close((uv_handle_t *)t, later_closed);
}

static void h_slow(struct api_req *r, void *arg)
{
	struct fx *f = arg;
	struct later *l = calloc(1, sizeof(*l));

	f->handler_calls++;
	assert_non_null(l);
	l->r = r;
	l->t0 = uv_now(&f->loop);
	l->t.data = l;
	uv_timer_init(&f->loop, &l->t);
	uv_timer_start(&l->t, later_fire, 50, 0);
	/* no reply here: the connection is suspended */
}

static void server_stopped(void *arg)
{
	struct fx *f = arg;

	f->stopped = true;
}

static void never_cancelled(struct api_req *r, void *arg)
{
	struct fx *f = arg;

	f->cancels++;
}

static void h_never(struct api_req *r, void *arg)
{
	struct fx *f = arg;

	f->handler_calls++;
	api_req_on_cancel(r, never_cancelled, f);
	if (f->stop_in_never && !f->stop_called) {
		f->stop_called = true;
		api_server_stop(f->s, server_stopped, f); /* from inside a handler */
	}
}

static const struct api_route routes[] = {
    {"POST", "/api/v1/login", API_AUTH_LOGIN, 0, h_login},
    {"GET", "/api/v1/cluster/status", API_AUTH_PERSON, 0, h_whoami},
    {"GET", "/api/v1/audit", API_AUTH_PERSON, AUTH_ROLE_ADMIN, h_empty},
    {"POST", "/api/v1/events/ack", API_AUTH_PERSON, AUTH_ROLE_OPERATOR | AUTH_ROLE_ADMIN, h_ack},
    {"GET", "/api/v1/events", API_AUTH_PERSON, 0, h_events},
    {"POST", "/api/v1/units/{name}/commands", API_AUTH_PERSON, 0, h_command},
    {"POST", "/api/v1/units/all/commands", API_AUTH_PERSON, 0, h_command_all},
    {"GET", "/api/v1/slow", API_AUTH_PERSON, 0, h_slow},
    {"GET", "/api/v1/never", API_AUTH_PERSON, 0, h_never},
    {"POST", "/api/v1/internal/snapshot", API_AUTH_UNIT, 0, h_snapshot},
    {"POST", "/api/v1/internal/logbook/pull", API_AUTH_UNIT, 0, h_snapshot},
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/* ---- the client thread ---- */

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
	struct creq *q = ud;
	size_t k = sz * n, room = sizeof(q->resp) - 1 - q->resp_len;

	memcpy(q->resp + q->resp_len, p, k < room ? k : room);
	q->resp_len += k < room ? k : room;
	q->resp[q->resp_len] = '\0';
	return k;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
	struct creq *q = ud;
	size_t l = sz * n;

	if (l > 6 && !strncasecmp(p, "Allow:", 6)) {
		const char *v = p + 6;
		while (*v == ' ')
			v++;
		snprintf(q->allow, sizeof(q->allow), "%.*s", (int)strcspn(v, "\r\n"), v);
	}
	return l;
}

static size_t on_read(char *buf, size_t sz, size_t n, void *ud)
{
	size_t *left = ud, k = sz * n < *left ? sz * n : *left;

	memset(buf, 'x', k);
	*left -= k;
	return k;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void creq_run(CURL *c, const char *host, uint16_t port, struct creq *q)
{
	char url[512];
	struct curl_slist *h = NULL;
	size_t left = q->chunked_len;
	const char *ct = NULL;
	double t0;

	snprintf(url, sizeof(url), "http://%s:%u%s", host, port, q->path);
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, q->timeout_ms ? q->timeout_ms : 10000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, q);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, q);
	for (size_t i = 0; i < 4 && q->hdrs[i]; i++)
		h = curl_slist_append(h, q->hdrs[i]);
	if (q->body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, q->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)(q->body_len ? q->body_len : strlen(q->body)));
	} else if (q->chunked_len) {
		h = curl_slist_append(h, "Transfer-Encoding: chunked");
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(c, CURLOPT_READDATA, &left);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	t0 = now_s();
	q->curl_rc = (int)curl_easy_perform(c);
	q->secs = now_s() - t0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &q->status);
	curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &q->connects);
	if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
		snprintf(q->ctype, sizeof(q->ctype), "%s", ct);
	curl_slist_free_all(h);
}

static void *client_main(void *arg)
{
	struct fx *f = arg;
	CURL *c = curl_easy_init();

	for (size_t i = 0; c && i < f->n; i++)
		creq_run(c, f->host, f->port, &f->reqs[i]);
	curl_easy_cleanup(c);
	uv_async_send(&f->client_done);
	return NULL;
}

/* ---- the loop side ---- */

static void guard_close(struct fx *f)
{
	if (f->guard_open) {
		f->guard_open = false;
		uv_close((uv_handle_t *)&f->guard, NULL);
	}
}

static void stop_server(struct fx *f)
{
	if (!f->stop_called) {
		f->stop_called = true;
		api_server_stop(f->s, server_stopped, f);
	}
}

static void on_client_done(uv_async_t *a)
{
	struct fx *f = a->data;

	uv_close((uv_handle_t *)a, NULL);
	guard_close(f);
	stop_server(f);
}

static void on_guard(uv_timer_t *t)
{
	struct fx *f = t->data;

	f->timed_out = true;
	guard_close(f);
	stop_server(f);
}

static int setup_listen(void **state, const char *listen)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct sec_err e = {0};

	if (!f)
		return -1;
	f->fds0 = fd_count();
	if (uv_loop_init(&f->loop) < 0)
		return -1;
	f->host = listen[0] == '[' ? "[::1]" : "127.0.0.1";
	if (api_server_start(&f->loop, listen, routes, NROUTES, &fake_ops, f, &f->s, &e) < 0) {
		fprintf(stderr, "api_server_start: %s\n", e.msg);
		return -1;
	}
	f->port = api_server_port(f->s);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_listen(state, "127.0.0.1:0");
}

static int teardown(void **state)
{
	struct fx *f = *state;

	uv_run(&f->loop, UV_RUN_NOWAIT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	assert_int_equal(fd_count(), f->fds0); /* listen socket, epoll fd, connections */
	free(f);
	return 0;
}

/* Runs reqs[0..n-1] one after the other from the client thread, then stops the server;
 * returns when the server is stopped and the thread joined. */
static void run(struct fx *f, struct creq *reqs, size_t n)
{
	assert_true(f->port > 0);
	f->reqs = reqs;
	f->n = n;
	f->client_done.data = f;
	f->guard.data = f;
	assert_int_equal(uv_async_init(&f->loop, &f->client_done, on_client_done), 0);
	uv_timer_init(&f->loop, &f->guard);
	uv_timer_start(&f->guard, on_guard, GUARD_MS, 0);
	f->guard_open = true;
	assert_int_equal(pthread_create(&f->th, NULL, client_main, f), 0);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(pthread_join(f->th, NULL), 0);
	assert_false(f->timed_out);
	assert_true(f->stopped);
	for (size_t i = 0; i < n; i++) {
		if (reqs[i].timeout_ms)
			continue;
		if (reqs[i].curl_rc != 0)
			fail_msg("request %zu '%s %s': curl: %s", i, reqs[i].method, reqs[i].path,
				 curl_easy_strerror((CURLcode)reqs[i].curl_rc));
		/* every answer is JSON */
		assert_string_equal(reqs[i].ctype, "application/json");
	}
}

static json_t *answer(const struct creq *q)
{
	json_error_t je;
	json_t *j = json_loads(q->resp, 0, &je);

	if (!j)
		fail_msg("'%s %s': answer is not JSON (%s): '%s'", q->method, q->path, je.text,
			 q->resp);
	return j;
}

/* Checks status and, for errors, the exact shape of docs/api.md and the code. */
static void expect(const struct creq *q, long status, const char *code)
{
	json_t *j = answer(q), *e;

	if (q->status != status)
		fail_msg("'%s %s': status %ld, expected %ld: %s", q->method, q->path, q->status,
			 status, q->resp);
	if (code) {
		e = json_object_get(j, "error");
		assert_true(json_is_object(e));
		assert_int_equal(json_object_size(j), 1);
		assert_int_equal(json_object_size(e), 3);
		assert_string_equal(json_string_value(json_object_get(e, "code")), code);
		assert_true(json_is_string(json_object_get(e, "message")));
		assert_true(json_is_array(json_object_get(e, "details")));
	} else {
		assert_null(json_object_get(j, "error"));
	}
	json_decref(j);
}

static const char *message(const struct creq *q, char *buf, size_t size)
{
	json_t *j = answer(q);

	snprintf(buf, size, "%s",
		 json_string_value(json_object_get(json_object_get(j, "error"), "message")));
	json_decref(j);
	return buf;
}

static const char *field_s(const struct creq *q, const char *key, char *buf, size_t size)
{
	json_t *j = answer(q), *v = json_object_get(j, key);

	snprintf(buf, size, "%s",
		 json_is_string(v) ? json_string_value(v)
		 : json_is_null(v) ? "(null)"
				   : "(absent)");
	json_decref(j);
	return buf;
}

static json_int_t field_i(const struct creq *q, const char *key)
{
	json_t *j = answer(q);
	json_int_t v = json_integer_value(json_object_get(j, key));

	json_decref(j);
	return v;
}

#define BEARER_GOOD	"Authorization: Bearer good"
#define BEARER_ADMIN	"Authorization: Bearer admin"
#define BEARER_OPERATOR "Authorization: Bearer operator"
#define UNIT_OK		"X-Sec-Unit: 1;00000000000000aa;5"

/* ---- tests ---- */

static void test_login_needs_no_token(void **state)
{
	struct fx *f = *state;
	struct creq q[] = {
	    RQ("POST", "/api/v1/login", "{\"account\": \"admin\", \"password\": \"pw\"}"),
	};
	char b[64];

	run(f, q, 1);
	expect(&q[0], 200, NULL);
	assert_string_equal(field_s(&q[0], "handler", b, sizeof(b)), "login");
	assert_string_equal(field_s(&q[0], "account", b, sizeof(b)), "admin");
	assert_int_equal(f->handler_calls, 1);
}

static void test_person_route_auth(void **state)
{
	struct fx *f = *state;
	struct creq q[] = {
	    RQ("GET", "/api/v1/cluster/status", NULL),
	    RQ("GET", "/api/v1/cluster/status", NULL, "Authorization: Bearer s3cret-but-wrong"),
	    RQ("GET", "/api/v1/cluster/status", NULL, "Authorization: Basic YWRtaW46cHc="),
	    RQ("GET", "/api/v1/cluster/status", NULL, "Authorization: Bearer "),
	    RQ("GET", "/api/v1/cluster/status", NULL, BEARER_GOOD),
	    RQ("GET", "/api/v1/audit", NULL, BEARER_GOOD),
	    RQ("GET", "/api/v1/audit", NULL, BEARER_ADMIN),
	    RQ("GET", "/api/v1/cluster/status", NULL, "authorization: bearer good"),
	};
	char b[512], path[128];
	int saved = dup(2);
	FILE *log;

	/* every log line of the run, at debug level, goes to a file: no token in it */
	snprintf(path, sizeof(path), "/tmp/test_api_httpd.%d.log", (int)getpid());
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(fd >= 0 && saved >= 0);
	dup2(fd, 2);
	close(fd);
	log_init("test_api_httpd", 1);
	run(f, q, sizeof(q) / sizeof(q[0]));
	log_init("test_api_httpd", 0);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);

	expect(&q[0], 401, "unauthenticated");
	assert_non_null(strstr(message(&q[0], b, sizeof(b)), "missing session token"));
	expect(&q[1], 401, "unauthenticated");
	assert_string_equal(message(&q[1], b, sizeof(b)), "invalid token signature");
	expect(&q[2], 401, "unauthenticated");
	assert_non_null(strstr(message(&q[2], b, sizeof(b)), "Bearer TOKEN"));
	expect(&q[3], 401, "unauthenticated");
	expect(&q[4], 200, NULL);
	assert_string_equal(field_s(&q[4], "account", b, sizeof(b)), "alice");
	assert_int_equal(field_i(&q[4], "roles"), AUTH_ROLE_READER);
	assert_int_equal(field_i(&q[4], "unit_id"), 2);
	assert_string_equal(field_s(&q[4], "method", b, sizeof(b)), "GET");
	assert_string_equal(field_s(&q[4], "path", b, sizeof(b)), "/api/v1/cluster/status");
	assert_non_null(strstr(field_s(&q[4], "peer", b, sizeof(b)), "127.0.0.1:"));
	expect(&q[5], 403, "forbidden");
	assert_non_null(strstr(message(&q[5], b, sizeof(b)), "'alice'"));
	expect(&q[6], 200, NULL);
	expect(&q[7], 200, NULL); /* header name and scheme are case-insensitive */
	assert_int_equal(f->handler_calls, 3);

	log = fopen(path, "r");
	assert_non_null(log);
	size_t lines = 0;
	while (fgets(b, sizeof(b), log)) {
		lines++;
		assert_null(strstr(b, "s3cret"));
		assert_null(strcasestr(b, "Bearer"));
		assert_null(strcasestr(b, "Authorization"));
		assert_null(strstr(b, "YWRtaW46cHc="));
	}
	fclose(log);
	unlink(path);
	assert_true(lines >= sizeof(q) / sizeof(q[0])); /* one debug line per answer */
}

static void test_unit_route_auth(void **state)
{
	struct fx *f = *state;
	struct creq q[] = {
	    RQ("POST", "/api/v1/internal/snapshot", "{}", BEARER_GOOD),
	    RQ("POST", "/api/v1/internal/snapshot", "{}", BEARER_ADMIN, UNIT_OK, "X-Sec-Auth: ok"),
	    RQ("POST", "/api/v1/internal/snapshot", "{}"),
	    RQ("POST", "/api/v1/internal/snapshot", "{}", UNIT_OK),
	    RQ("POST", "/api/v1/internal/snapshot", "{}", UNIT_OK, "X-Sec-Auth: forged"),
	    RQ("POST", "/api/v1/internal/snapshot", "{}", "X-Sec-Unit: 01;x;1", "X-Sec-Auth: ok"),
	    RQ("POST", "/api/v1/internal/snapshot", "{\"version\": 812}", UNIT_OK,
	       "X-Sec-Auth: ok"),
	};
	char b[512];

	run(f, q, sizeof(q) / sizeof(q[0]));
	for (int i = 0; i < 6; i++)
		expect(&q[i], 401, "unauthenticated");
	assert_non_null(strstr(message(&q[0], b, sizeof(b)), "not accepted"));
	assert_non_null(strstr(message(&q[1], b, sizeof(b)), "not accepted"));
	assert_non_null(strstr(message(&q[2], b, sizeof(b)), "X-Sec-Unit"));
	assert_non_null(strstr(message(&q[3], b, sizeof(b)), "X-Sec-Auth"));
	assert_string_equal(message(&q[4], b, sizeof(b)), "invalid unit call signature");
	assert_string_equal(message(&q[5], b, sizeof(b)), "malformed unit call headers");
	expect(&q[6], 200, NULL);
	assert_int_equal(field_i(&q[6], "unit"), 1);
	assert_int_equal(field_i(&q[6], "seq"), 5);
	assert_int_equal(field_i(&q[6], "incarnation"), 0xaa);
	assert_string_equal(field_s(&q[6], "body", b, sizeof(b)), "{\"version\": 812}");
	assert_int_equal(f->handler_calls, 1);
}

static void test_not_found_and_method(void **state)
{
	struct fx *f = *state;
	struct creq q[] = {
	    RQ("GET", "/api/v1/nope", NULL, BEARER_GOOD),
	    RQ("GET", "/", NULL),
	    RQ("GET", "/api/v1/events/", NULL, BEARER_GOOD),
	    RQ("GET", "/api/v1/login", NULL),
	    RQ("DELETE", "/api/v1/units/su1/commands", NULL, BEARER_GOOD),
	    RQ("POST", "/api/v1/units//commands", "{}", BEARER_GOOD),
	    RQ("POST", "/api/v1/nope", "{\"a\": 1}"),
	};
	char b[512];

	run(f, q, sizeof(q) / sizeof(q[0]));
	expect(&q[0], 404, "not_found");
	assert_non_null(strstr(message(&q[0], b, sizeof(b)), "/api/v1/nope"));
	/* without any credentials nothing tells which routes exist: 401 */
	expect(&q[1], 401, "unauthenticated");
	expect(&q[2], 404, "not_found");
	expect(&q[3], 401, "unauthenticated");
	expect(&q[4], 405, "method_not_allowed");
	assert_string_equal(q[4].allow, "POST");
	for (int i = 1; i <= 4; i++) /* refusals without a body keep the connection */
		assert_int_equal(q[i].connects, 0);
	expect(&q[5], 404, "not_found"); /* an empty {name} matches nothing */
	expect(&q[6], 401, "unauthenticated");
	assert_int_equal(f->handler_calls, 0);
}

static void test_body_limit(void **state)
{
	struct fx *f = *state;
	char *big = malloc(2 * MIB), *exact = malloc(MIB);
	struct creq q[] = {
	    {.method = "POST",
	     .path = "/api/v1/events/ack",
	     .hdrs = {BEARER_ADMIN},
	     .body = big,
	     .body_len = 2 * MIB},
	    {.method = "POST",
	     .path = "/api/v1/events/ack",
	     .hdrs = {BEARER_ADMIN},
	     .chunked_len = 2 * MIB},
	    {.method = "POST",
	     .path = "/api/v1/events/ack",
	     .hdrs = {BEARER_ADMIN},
	     .body = exact,
	     .body_len = MIB},
	    {.method = "POST",
	     .path = "/api/v1/events/ack",
	     .hdrs = {BEARER_ADMIN},
	     .chunked_len = MIB + 1},
	    RQ("POST", "/api/v1/events/ack", "{\"ids\": []}", BEARER_ADMIN),
	};
	char b[512];

	assert_non_null(big);
	assert_non_null(exact);
	memset(big, 'x', 2 * MIB);
	memset(exact, ' ', MIB);
	memcpy(exact, "{\"ids\": []}", 11); /* a valid object padded to exactly 1 MiB */
	run(f, q, sizeof(q) / sizeof(q[0]));
	expect(&q[0], 413, "too_large"); /* refused by its Content-Length, body never read */
	assert_non_null(strstr(message(&q[0], b, sizeof(b)), "1048576"));
	expect(&q[1], 413, "too_large"); /* chunked: counted, not stored */
	expect(&q[2], 200, NULL);	 /* exactly 1 MiB is accepted */
	assert_int_equal(field_i(&q[2], "len"), MIB);
	expect(&q[3], 413, "too_large");
	expect(&q[4], 200, NULL); /* the connection is still good after the refusals */
	assert_int_equal(f->handler_calls, 2);
	free(big);
	free(exact);
}

static void test_json_body(void **state)
{
	struct fx *f = *state;
	struct creq q[] = {
	    RQ("POST", "/api/v1/events/ack", "{\"ids\": [1, 2", BEARER_OPERATOR),
	    RQ("POST", "/api/v1/events/ack", "[1, 2]", BEARER_OPERATOR),
	    RQ("POST", "/api/v1/events/ack", NULL, BEARER_OPERATOR),
	    RQ("POST", "/api/v1/events/ack", "{\"a\": 1, \"a\": 2}", BEARER_OPERATOR),
	    RQ("POST", "/api/v1/events/ack", "{\"ids\": [1, 2]}", BEARER_OPERATOR),
	    RQ("POST", "/api/v1/login", "not json"),
	};
	char b[512];
	json_t *j;

	run(f, q, sizeof(q) / sizeof(q[0]));
	expect(&q[0], 400, "bad_request");
	assert_non_null(strstr(message(&q[0], b, sizeof(b)), "request body: line 1"));
	j = answer(&q[0]); /* details as given by the handler */
	assert_int_equal(
	    json_integer_value(json_object_get(
		json_array_get(json_object_get(json_object_get(j, "error"), "details"), 0),
		"body_bytes")),
	    13);
	json_decref(j);
	expect(&q[1], 400, "bad_request");
	assert_non_null(strstr(message(&q[1], b, sizeof(b)), "JSON object"));
	expect(&q[2], 400, "bad_request");
	assert_non_null(strstr(message(&q[2], b, sizeof(b)), "empty"));
	expect(&q[3], 400, "bad_request"); /* duplicate keys are refused */
	expect(&q[4], 200, NULL);
	assert_int_equal(field_i(&q[4], "len"), 15);
	expect(&q[5], 400, "bad_request");
	assert_int_equal(f->handler_calls, 6);
}

static void test_path_params(void **state)
{
	struct fx *f = *state;
	struct creq q[] = {
	    RQ("POST", "/api/v1/units/su1/commands", "{}", BEARER_GOOD),
	    RQ("POST", "/api/v1/units/all/commands", "{}", BEARER_GOOD),
	    RQ("POST", "/api/v1/units/su%202/commands", "{}", BEARER_GOOD),
	    RQ("POST", "/api/v1/units/su1/x/commands", "{}", BEARER_GOOD),
	};
	char b[64];
	json_t *j;

	run(f, q, sizeof(q) / sizeof(q[0]));
	expect(&q[0], 200, NULL);
	assert_string_equal(field_s(&q[0], "route", b, sizeof(b)), "param");
	assert_string_equal(field_s(&q[0], "name", b, sizeof(b)), "su1");
	j = answer(&q[0]);
	assert_true(json_is_true(json_object_get(j, "other_is_null")));
	json_decref(j);
	expect(&q[1], 200, NULL); /* the literal route wins over {name} */
	assert_string_equal(field_s(&q[1], "route", b, sizeof(b)), "all");
	expect(&q[2], 200, NULL);
	assert_string_equal(field_s(&q[2], "name", b, sizeof(b)), "su 2");
	expect(&q[3], 404, "not_found");
}

static void test_query(void **state)
{
	struct fx *f = *state;
	struct creq q[] = {
	    RQ("GET", "/api/v1/events?current=1&text=link%20down&flag", NULL, BEARER_GOOD),
	    RQ("GET", "/api/v1/events", NULL, BEARER_GOOD),
	};
	char b[64];

	run(f, q, 2);
	expect(&q[0], 200, NULL);
	assert_string_equal(field_s(&q[0], "current", b, sizeof(b)), "1");
	assert_string_equal(field_s(&q[0], "text", b, sizeof(b)), "link down");
	assert_string_equal(field_s(&q[0], "flag", b, sizeof(b)), "");
	assert_string_equal(field_s(&q[0], "absent", b, sizeof(b)), "(null)");
	expect(&q[1], 200, NULL);
	assert_string_equal(field_s(&q[1], "current", b, sizeof(b)), "(null)");
}

static void test_async_reply(void **state)
{
	struct fx *f = *state;
	struct creq q[] = {
	    RQ("GET", "/api/v1/slow", NULL, BEARER_GOOD),
	    RQ("GET", "/api/v1/cluster/status", NULL, BEARER_GOOD),
	    RQ("GET", "/api/v1/slow", NULL, BEARER_GOOD),
	    /* the client gives up before the answer: it goes nowhere, nothing breaks */
	    {.method = "GET", .path = "/api/v1/slow", .hdrs = {BEARER_GOOD}, .timeout_ms = 10},
	    RQ("GET", "/api/v1/slow", NULL, BEARER_GOOD),
	};

	run(f, q, sizeof(q) / sizeof(q[0]));
	expect(&q[0], 200, NULL);
	assert_true(field_i(&q[0], "waited_ms") >= 50);
	assert_true(q[0].secs >= 0.045);
	expect(&q[1], 200, NULL); /* the connection, resumed, serves the next request */
	expect(&q[2], 200, NULL);
	assert_int_equal(q[3].curl_rc, CURLE_OPERATION_TIMEDOUT);
	expect(&q[4], 200, NULL);
	assert_int_equal(f->handler_calls, 5);
}

/* Every route but login refuses a call without authentication, with 401, before its
 * handler: enumerated from the server's own table. */
static void test_every_route_refuses_unauthenticated(void **state)
{
	struct fx *f = *state;
	size_t n, k = 0;
	const struct api_route *rt = api_server_routes(f->s, &n);
	struct creq *q = calloc(3 * n, sizeof(*q));
	char(*paths)[256] = calloc(n, sizeof(*paths));

	assert_int_equal(n, NROUTES);
	for (size_t i = 0; i < n; i++) {
		/* every {name} segment becomes "x" */
		const char *p = rt[i].path;
		size_t o = 0;
		while (*p) {
			if (*p == '{') {
				paths[i][o++] = 'x';
				p = strchr(p, '}') + 1;
			} else {
				paths[i][o++] = *p++;
			}
		}
		if (rt[i].auth == API_AUTH_LOGIN)
			continue;
		q[k++] = (struct creq)RQ(rt[i].method, paths[i], "{}");
		q[k++] =
		    (struct creq)RQ(rt[i].method, paths[i], "{}", "Authorization: Bearer forged");
		/* the other kind's credentials: a unit call on a person route and vice versa */
		q[k++] = (struct creq)RQ(rt[i].method, paths[i], "{}",
					 rt[i].auth == API_AUTH_UNIT ? BEARER_ADMIN : UNIT_OK,
					 "X-Sec-Auth: ok");
	}
	assert_true(k >= 3 * (NROUTES - 1));
	run(f, q, k);
	for (size_t i = 0; i < k; i++)
		expect(&q[i], 401, "unauthenticated");
	assert_int_equal(f->handler_calls, 0);
	free(paths);
	free(q);
}

static void test_stop_answers_pending_503(void **state)
{
	struct fx *f = *state;
	struct creq q[] = {
	    RQ("GET", "/api/v1/never", NULL, BEARER_GOOD),
	};
	char b[512];

	f->stop_in_never = true;
	run(f, q, 1);
	expect(&q[0], 503, "unavailable");
	assert_non_null(strstr(message(&q[0], b, sizeof(b)), "stopping"));
	assert_int_equal(f->handler_calls, 1);
	assert_int_equal(f->cancels, 1);
}

static void test_ipv6(void **state)
{
	struct fx *f;
	struct creq q[] = {
	    RQ("GET", "/api/v1/cluster/status", NULL, BEARER_GOOD),
	};
	char b[64];

	if (setup_listen((void **)&f, "[::1]:0") < 0)
		skip(); /* no IPv6 loopback here */
	*state = f;
	run(f, q, 1);
	expect(&q[0], 200, NULL);
	assert_non_null(strstr(field_s(&q[0], "peer", b, sizeof(b)), "[::1]:"));
	assert_int_equal(f->handler_calls, 1);
	teardown(state);
}

static void test_start_errors(void **state)
{
	static const char *const bad[] = {
	    "127.0.0.1",      "127.0.0.1:",	"127.0.0.1:65536", "127.0.0.1:-1",
	    "300.0.0.1:7301", "::1:7301",	"[::1]7301",	   "[127.0.0.1]:7301",
	    ":7301",	      "localhost:7301", "127.0.0.1:7301x",
	};
	uv_loop_t loop;
	struct api_server *s, *s2;
	struct sec_err e;
	char addr[64];
	int fds0 = fd_count();

	assert_int_equal(uv_loop_init(&loop), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&e, 0, sizeof(e));
		assert_int_equal(
		    api_server_start(&loop, bad[i], routes, NROUTES, &fake_ops, NULL, &s, &e),
		    -EINVAL);
		assert_non_null(strstr(e.msg, bad[i]));
	}
	/* the port is taken */
	assert_int_equal(
	    api_server_start(&loop, "127.0.0.1:0", routes, NROUTES, &fake_ops, NULL, &s, &e), 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", api_server_port(s));
	assert_int_equal(api_server_start(&loop, addr, routes, NROUTES, &fake_ops, NULL, &s2, &e),
			 -EADDRINUSE);
	assert_non_null(strstr(e.msg, addr));
	assert_non_null(strstr(e.msg, "bind"));
	api_server_stop(s, NULL, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);

	/* bad route tables, each named by its index */
	static const struct {
		struct api_route rt;
		const char *why;
	} bad_rt[] = {
	    {{"GET", "/api/v1/internal/x", API_AUTH_PERSON, 0, h_empty}, "API_AUTH_UNIT"},
	    {{"GET", "/api/v1/x", API_AUTH_UNIT, 0, h_empty}, "API_AUTH_UNIT"},
	    {{"GET", "/api/v1/units/{Name}", API_AUTH_PERSON, 0, h_empty}, "{name}"},
	    {{"GET", "/api/v1/units/x{name}", API_AUTH_PERSON, 0, h_empty}, "{name}"},
	    {{"GET", "/api/v1/units/", API_AUTH_PERSON, 0, h_empty}, "empty segment"},
	    {{"GET", "/v1/units", API_AUTH_PERSON, 0, h_empty}, "/api/"},
	    {{"get", "/api/v1/units", API_AUTH_PERSON, 0, h_empty}, "upper-case"},
	    {{"GET", "/api/v1/units", API_AUTH_PERSON, 0, NULL}, "no handler"},
	    {{"GET", "/api/v1/units", API_AUTH_LOGIN, AUTH_ROLE_ADMIN, h_empty}, "roles"},
	    {{"GET", "/api/v1/units", API_AUTH_MAX, 0, h_empty}, "auth kind"},
	};
	for (size_t i = 0; i < sizeof(bad_rt) / sizeof(bad_rt[0]); i++) {
		struct api_route two[2] = {routes[0], bad_rt[i].rt};
		memset(&e, 0, sizeof(e));
		assert_int_equal(
		    api_server_start(&loop, "127.0.0.1:0", two, 2, &fake_ops, NULL, &s, &e),
		    -EINVAL);
		if (!strstr(e.msg, "route 1") || !strstr(e.msg, bad_rt[i].why))
			fail_msg("bad route %zu: message '%s'", i, e.msg);
	}
	struct api_route dup[2] = {routes[1], routes[1]};
	assert_int_equal(api_server_start(&loop, "127.0.0.1:0", dup, 2, &fake_ops, NULL, &s, &e),
			 -EINVAL);
	assert_non_null(strstr(e.msg, "the same as route 0"));
	struct api_auth_ops no_person = {.unit = fake_unit};
	assert_int_equal(
	    api_server_start(&loop, "127.0.0.1:0", routes, NROUTES, &no_person, NULL, &s, &e),
	    -EINVAL);
	assert_non_null(strstr(e.msg, "ops->person"));
	assert_int_equal(uv_loop_close(&loop), 0);
	assert_int_equal(fd_count(), fds0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_login_needs_no_token, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_person_route_auth, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unit_route_auth, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_found_and_method, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_body_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_json_body, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_path_params, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_query, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_async_reply, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_every_route_refuses_unauthenticated, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_stop_answers_pending_503, setup, teardown),
	    cmocka_unit_test(test_ipv6),
	    cmocka_unit_test(test_start_errors),
	};

	uv_loop_t warm; /* libuv's one-time global fds exist before the fd counts */

	uv_loop_init(&warm);
	uv_loop_close(&warm);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return r;
}
