/* httpc_testsrv.h — the test HTTP server of test_api_httpc.c: libmicrohttpd with its own
 * thread (test-only; secd's server runs on the loop) on 127.0.0.1, port 0. Routes under
 * /api/v1/internal/ check the unit headers with auth_unitmsg_accept() (the peers table is
 * touched by the server thread only) and answer {"unit", "from", "seq", "held"} or 401;
 * other paths record what a forwarded call carried and answer {"forwarded": true}.
 * Never asserts (cmocka) off the main thread. */
#ifndef SEC_TEST_HTTPC_TESTSRV_H
#define SEC_TEST_HTTPC_TESTSRV_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/unitmsg.h"

#define WAIT_MS 10000 /* the longest any condition is waited for */

enum srv_mode {
	SRV_OK = 1,  /* answer at once */
	SRV_HOLD,    /* hold the answer until released (or WAIT_MS) */
	SRV_PAIR,    /* hold until every PAIR server holds a call (or WAIT_MS) */
	SRV_BIG,     /* answer big_len bytes (Content-Length) */
	SRV_CHUNKED, /* answer big_len bytes (chunked: no length known in advance) */
};

struct srv {
	struct MHD_Daemon *d;
	uint16_t port;
	uint32_t unit;
	enum srv_mode mode;
	size_t big_len;
	const struct auth_key *key;
	struct auth_unitmsg_peers *peers; /* the server thread's */
	/* under mu */
	int accepted, refused, connections, holding;
	int open, max_open; /* requests received and not yet completed */
	uint64_t seq[32];
	bool had_unit_hdr, had_auth_hdr;
	char authorization[128], request_id[64], content_type[64], query_x[16];
};

/* Starts a server of unit `unit` checking with key k (kept by reference). */
struct srv *srv_start(uint32_t unit, enum srv_mode mode, const struct auth_key *k);
/* Releases held calls, stops the server (joins its thread), frees it. */
void srv_stop(struct srv *s);
/* A copy of what s recorded, taken under the lock. */
struct srv srv_seen(struct srv *s);
/* SRV_HOLD servers answer while released is true. */
void srv_set_released(bool v);
/* The two SRV_PAIR servers. */
void srv_set_pair(struct srv *a, struct srv *b);
/* The body length of SRV_BIG / SRV_CHUNKED. */
void srv_set_big(struct srv *s, size_t len);
/* "127.0.0.1:PORT" */
void srv_addr(const struct srv *s, char out[32]);

#endif
