/* hbnet_priv.h — what the responder (hbnet.c) and the prober (hbprobe.c) share: the
 * receive buffer and opening a bound UDP handle. Not for other modules. */
#ifndef SEC_CLUSTER_HBNET_PRIV_H
#define SEC_CLUSTER_HBNET_PRIV_H

#include "cluster/hbnet.h"

/* Larger than any heartbeat record: a longer datagram arrives cut (UV_UDP_PARTIAL) and is
 * counted malformed like any other wrong size. */
#define HBNET_RBUF 256

/* uv_udp_init + bind to sa (no SO_REUSEADDR: one responder per port) + recv_start;
 * h->data = data. *ret_inited says whether the handle was initialised (then the caller
 * must uv_close() it, also on failure). Returns 0 or a negative errno (libuv's UV_E*
 * are -errno on Linux). */
int hbnet_udp_open(uv_loop_t *loop, uv_udp_t *h, const struct sockaddr *sa, void *data,
		   uv_alloc_cb alloc, uv_udp_recv_cb recv, bool *ret_inited);

/* What to do with what libuv handed to a recv callback: 1 decode nread bytes, 0 nothing
 * (the "no more data" call or a receive error), -EMSGSIZE count it as malformed (a datagram
 * cut to the buffer, flags & UV_UDP_PARTIAL). */
int hbnet_datagram(ssize_t nread, const struct sockaddr *addr, unsigned flags);

#endif
