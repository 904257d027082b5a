/* httpc_testsrv.c — the test HTTP server of test_api_httpc.c (httpc_testsrv.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "api/httpc.h"
#include "httpc_testsrv.h"

/* One lock and condition for every server and the test: what the servers record is read
 * with srv_seen(). */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static bool released;
static struct srv *pair[2];

struct req {
	char *body;
	size_t len;
};

static void deadline_in(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

/* Under mu: whether a held call of s may be answered. */
static bool hold_over(const struct srv *s)
{
	if (s->mode == SRV_PAIR)
		return pair[0] && pair[1] && pair[0]->holding && pair[1]->holding;
	return released;
}

/* Holds the calling server thread; returns whether the wait ended by its condition. */
static bool srv_hold(struct srv *s)
{
	struct timespec ts;
	bool ok;

	deadline_in(&ts, WAIT_MS);
	pthread_mutex_lock(&mu);
	s->holding++;
	pthread_cond_broadcast(&cv);
	while (!hold_over(s) && pthread_cond_timedwait(&cv, &mu, &ts) != ETIMEDOUT)
		;
	ok = hold_over(s);
	pthread_mutex_unlock(&mu);
	return ok;
}

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned status, const char *json)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(strlen(json), (void *)json, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	MHD_add_response_header(r, "Content-Type", "application/json");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* What the server recorded, copied under the lock (no cmocka assert holds it). */
struct srv srv_seen(struct srv *s)
{
	struct srv copy;

	pthread_mutex_lock(&mu);
	copy = *s;
	pthread_mutex_unlock(&mu);
	return copy;
}

static ssize_t big_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	size_t total = (size_t)(uintptr_t)cls, n = max;

	if (pos >= total)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (n > total - pos)
		n = total - (size_t)pos;
	memset(buf, ' ', n);
	return (ssize_t)n;
}

static enum MHD_Result answer_big(struct srv *s, struct MHD_Connection *conn)
{
	size_t len = srv_seen(s).big_len;
	uint64_t size = s->mode == SRV_CHUNKED ? MHD_SIZE_UNKNOWN : len;
	struct MHD_Response *r = MHD_create_response_from_callback(size, 64 * 1024, big_read,
								   (void *)(uintptr_t)len, NULL);
	enum MHD_Result ret = MHD_queue_response(conn, 200, r);

	MHD_destroy_response(r);
	return ret;
}

static void copy_value(struct MHD_Connection *conn, enum MHD_ValueKind kind, const char *name,
		       char *out, size_t size)
{
	const char *v = MHD_lookup_connection_value(conn, kind, name);

	snprintf(out, size, "%s", v ? v : "");
}

/* Not under /api/v1/internal/: a forwarded call; records what it carried. */
static enum MHD_Result srv_forwarded(struct srv *s, struct MHD_Connection *conn)
{
	pthread_mutex_lock(&mu);
	s->had_unit_hdr =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, AUTH_UNITMSG_UNIT_HDR) != NULL;
	s->had_auth_hdr =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, AUTH_UNITMSG_AUTH_HDR) != NULL;
	copy_value(conn, MHD_HEADER_KIND, "Authorization", s->authorization,
		   sizeof(s->authorization));
	copy_value(conn, MHD_HEADER_KIND, "X-Request-Id", s->request_id, sizeof(s->request_id));
	copy_value(conn, MHD_HEADER_KIND, "Content-Type", s->content_type, sizeof(s->content_type));
	copy_value(conn, MHD_GET_ARGUMENT_KIND, "x", s->query_x, sizeof(s->query_x));
	pthread_mutex_unlock(&mu);
	return answer(conn, 200, "{\"forwarded\": true}");
}

static enum MHD_Result srv_internal(struct srv *s, struct MHD_Connection *conn, const char *url,
				    const char *method, const struct req *q)
{
	const char *hu = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, AUTH_UNITMSG_UNIT_HDR);
	const char *ha = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, AUTH_UNITMSG_AUTH_HDR);
	struct auth_unitmsg_from from;
	char out[160];
	int r =
	    auth_unitmsg_accept(s->peers, s->key, method, url, q->body, q->len, hu, ha, 0, &from);

	pthread_mutex_lock(&mu);
	copy_value(conn, MHD_GET_ARGUMENT_KIND, "x", s->query_x, sizeof(s->query_x));
	if (r < 0)
		s->refused++;
	else if (s->accepted < 32)
		s->seq[s->accepted++] = from.seq;
	pthread_mutex_unlock(&mu);
	if (r < 0) {
		snprintf(out, sizeof(out),
			 "{\"error\": {\"code\": \"unauthenticated\", "
			 "\"message\": \"%s\"}}",
			 auth_unitmsg_strerror(r));
		return answer(conn, 401, out);
	}
	if (s->mode == SRV_BIG || s->mode == SRV_CHUNKED)
		return answer_big(s, conn);
	bool held = s->mode == SRV_OK || srv_hold(s);
	snprintf(out, sizeof(out), "{\"unit\": %u, \"from\": %u, \"seq\": %llu, \"held\": %s}",
		 s->unit, from.unit, (unsigned long long)from.seq, held ? "true" : "false");
	return answer(conn, 200, out);
}

static enum MHD_Result srv_request(void *cls, struct MHD_Connection *conn, const char *url,
				   const char *method, const char *version, const char *upload_data,
				   size_t *upload_size, void **con_cls)
{
	struct srv *s = cls;
	struct req *q = *con_cls;

	if (!q) {
		*con_cls = q = calloc(1, sizeof(*q));
		if (!q)
			return MHD_NO;
		pthread_mutex_lock(&mu);
		if (++s->open > s->max_open)
			s->max_open = s->open;
		pthread_mutex_unlock(&mu);
		return MHD_YES;
	}
	if (*upload_size) {
		q->body = realloc(q->body, q->len + *upload_size);
		if (!q->body) /* no cmocka assert off the main thread */
			abort();
		memcpy(q->body + q->len, upload_data, *upload_size);
		q->len += *upload_size;
		*upload_size = 0;
		return MHD_YES;
	}
	if (!strncmp(url, "/api/v1/internal/", 17))
		return srv_internal(s, conn, url, method, q);
	return srv_forwarded(s, conn);
}

static void srv_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			  enum MHD_RequestTerminationCode toe)
{
	struct srv *s = cls;
	struct req *q = *con_cls;

	if (q) {
		pthread_mutex_lock(&mu);
		s->open--;
		pthread_mutex_unlock(&mu);
		free(q->body);
		free(q);
	}
	*con_cls = NULL;
}

static void srv_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			   enum MHD_ConnectionNotificationCode toe)
{
	struct srv *s = cls;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		pthread_mutex_lock(&mu);
		s->connections++;
		pthread_mutex_unlock(&mu);
	}
}

struct srv *srv_start(uint32_t unit, enum srv_mode mode, const struct auth_key *k)
{
	struct srv *s = calloc(1, sizeof(*s));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
	const union MHD_DaemonInfo *info;

	assert_non_null(s);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->unit = unit;
	s->mode = mode;
	s->key = k;
	s->peers = auth_unitmsg_peers_new(unit);
	assert_non_null(s->peers);
	s->d =
	    MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, srv_request, s,
			     MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_NOTIFY_COMPLETED, srv_completed,
			     s, MHD_OPTION_NOTIFY_CONNECTION, srv_connection, s, MHD_OPTION_END);
	assert_non_null(s->d);
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	assert_non_null(info);
	s->port = info->port;
	assert_int_not_equal(s->port, 0);
	return s;
}

/* Releases held calls and stops the server (joins its thread). */
void srv_stop(struct srv *s)
{
	pthread_mutex_lock(&mu);
	released = true;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	MHD_stop_daemon(s->d);
	auth_unitmsg_peers_free(s->peers);
	free(s);
	pthread_mutex_lock(&mu);
	released = false;
	pair[0] = pair[1] = NULL;
	pthread_mutex_unlock(&mu);
}

void srv_set_released(bool v)
{
	pthread_mutex_lock(&mu);
	released = v;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

void srv_addr(const struct srv *s, char out[32])
{
	snprintf(out, 32, "127.0.0.1:%u", s->port);
}

void srv_set_pair(struct srv *a, struct srv *b)
{
	pthread_mutex_lock(&mu);
	pair[0] = a;
	pair[1] = b;
	pthread_mutex_unlock(&mu);
}

void srv_set_big(struct srv *s, size_t len)
{
	pthread_mutex_lock(&mu);
	s->big_len = len;
	pthread_mutex_unlock(&mu);
}
