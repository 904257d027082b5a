/* hbnet.c — heartbeat addresses, the UDP plumbing shared with the prober, and the
 * responder every unit runs (hbnet.h; issue 3 "Master MU and the Cluster Manager"). */
#include "cluster/hbnet.h"
#include "lib/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/hbnet_priv.h"
#include "lib/clock.h"
#include "lib/parse.h"

/* ---- addresses ---- */

int hb_addr_parse(const char *s, bool allow_port0, struct sockaddr_storage *ret)
{
	return sec_addr_parse(s, allow_port0, ret);
}

/* ---- UDP plumbing ---- */

int hbnet_udp_open(uv_loop_t *loop, uv_udp_t *h, const struct sockaddr *sa, void *data,
		   uv_alloc_cb alloc, uv_udp_recv_cb recv, bool *ret_inited)
{
	int r;

	*ret_inited = false;
	r = uv_udp_init(loop, h);
	if (r < 0)
		return r;
	*ret_inited = true;
	h->data = data;
	r = uv_udp_bind(h, sa, 0);
	if (r < 0)
		return r;
	return uv_udp_recv_start(h, alloc, recv);
}

int hbnet_datagram(ssize_t nread, const struct sockaddr *addr, unsigned flags)
{
	if (nread < 0 || !addr)
		return 0;
	if (flags & UV_UDP_PARTIAL)
		return -EMSGSIZE;
	return 1;
}

/* ---- responder ---- */

/* Freshness of one master's challenges (hbnet.h "Freshness at the responder"). */
struct hb_mark {
	bool known;
	uint64_t incarnation;
	uint64_t seq; /* highest answered */
	uint64_t retired[HB_RETIRED];
	unsigned nretired, next;
};

struct hb_responder {
	uv_udp_t udp;
	struct auth_key key;
	uint32_t unit;
	uint64_t incarnation;
	hb_report_fn *report;
	void *arg;
	struct hb_counters counters;
	uint8_t rbuf[HBNET_RBUF];
	struct hb_mark marks[HB_UNITS_MAX + 1]; /* by master unit id, [0] unused */
};

static void resp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct hb_responder *r = h->data;

	*buf = uv_buf_init((char *)r->rbuf, sizeof(r->rbuf));
}

/* Whether c is above its master's mark; moves the mark when it is. -ESTALE otherwise. */
static int resp_mark_fresh(struct hb_mark *m, const struct hb_challenge *c)
{
	if (m->known && m->incarnation == c->master_incarnation) {
		if (c->seq <= m->seq)
			return -ESTALE;
		m->seq = c->seq;
		return 0;
	}
	for (unsigned i = 0; i < m->nretired; i++)
		if (m->retired[i] == c->master_incarnation)
			return -ESTALE;
	if (m->known) {
		m->retired[m->next] = m->incarnation;
		m->next = (m->next + 1) % HB_RETIRED;
		if (m->nretired < HB_RETIRED)
			m->nretired++;
	}
	m->known = true;
	m->incarnation = c->master_incarnation;
	m->seq = c->seq;
	return 0;
}

static void resp_default_report(struct hb_reply *rep)
{
	rep->power = HB_POWER_ON;
	rep->system = HB_SYSTEM_RUNNING;
	rep->crd_disks = CRD_UNIT_NOT_CONFIGURED;
	rep->proto_min = rep->proto_max = 1;
	snprintf(rep->sw_version, sizeof(rep->sw_version), "secluster");
}

/* Builds the reply to c into buf; -EINVAL when the report would not decode. */
static int resp_build(struct hb_responder *r, const struct hb_challenge *c,
		      uint8_t buf[HB_REPLY_SIZE])
{
	struct hb_reply rep, check;

	memset(&rep, 0, sizeof(rep));
	if (r->report)
		r->report(r->arg, &rep);
	else
		resp_default_report(&rep);
	rep.sw_version[HB_SW_VERSION_BYTES] = '\0';
	rep.unit = r->unit;
	rep.incarnation = r->incarnation;
	rep.seq = c->seq;
	memcpy(rep.nonce, c->nonce, HB_NONCE_BYTES);
	if (rep.wall_ms == 0)
		rep.wall_ms = clock_wall_ns() / NSEC_PER_MSEC;
	hb_reply_out(&rep, &r->key, buf);
	return hb_reply_in(buf, HB_REPLY_SIZE, &r->key, &check) < 0 ? -EINVAL : 0;
}

/* One valid challenge from `from`: answer it there if it is fresh. */
static void resp_answer(struct hb_responder *r, const struct hb_challenge *c,
			const struct sockaddr *from)
{
	uint8_t out[HB_REPLY_SIZE];
	uv_buf_t b = uv_buf_init((char *)out, sizeof(out));
	int ret = resp_mark_fresh(&r->marks[c->master_unit], c);

	hb_counters_count(&r->counters, ret);
	if (ret < 0)
		return;
	if (resp_build(r, c, out) < 0 || uv_udp_try_send(&r->udp, &b, 1, from) < 0)
		r->counters.send_failed++;
	else
		r->counters.sent++;
}

static void resp_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr,
		      unsigned flags)
{
	struct hb_responder *r = h->data;
	struct hb_challenge c;
	int ret = hbnet_datagram(nread, addr, flags);

	if (ret == 0)
		return;
	if (ret > 0)
		ret = hb_challenge_in(buf->base, (size_t)nread, &r->key, &c);
	if (ret < 0) {
		hb_counters_count(&r->counters, ret);
		return;
	}
	resp_answer(r, &c, addr);
}

int hb_responder_start(uv_loop_t *loop, const char *listen, const struct auth_key *key,
		       uint32_t unit, uint64_t incarnation, hb_report_fn *report, void *arg,
		       struct hb_responder **ret, struct sec_err *reterr)
{
	struct sockaddr_storage sa;
	struct hb_responder *r;
	bool inited;
	int err;

	if (unit < 1 || unit > HB_UNITS_MAX)
		return sec_errf(reterr, -EINVAL, "heartbeat unit id %u is outside 1..%u", unit,
				HB_UNITS_MAX);
	if (hb_addr_parse(listen, true, &sa) < 0)
		return sec_errf(reterr, -EINVAL,
				"heartbeat listen address '%s' is not IPv4:port or [IPv6]:port",
				listen ? listen : "(null)");
	if (auth_init() < 0)
		return sec_errf(reterr, -EIO, "libsodium cannot start (no entropy source)");
	r = calloc(1, sizeof(*r));
	if (!r)
		return sec_errf(reterr, -ENOMEM, "out of memory for the heartbeat responder");
	r->key = *key;
	r->unit = unit;
	r->incarnation = incarnation;
	r->report = report;
	r->arg = arg;
	err = hbnet_udp_open(loop, &r->udp, (const struct sockaddr *)&sa, r, resp_alloc, resp_recv,
			     &inited);
	if (err < 0) {
		sec_errf(reterr, err, "cannot listen for heartbeats on '%s': %s", listen,
			 uv_strerror(err));
		if (inited)
			hb_responder_stop(r);
		else
			free(r);
		return err;
	}
	*ret = r;
	return 0;
}

uint16_t hb_responder_port(const struct hb_responder *r)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	if (uv_udp_getsockname(&r->udp, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return 0;
}

const struct hb_counters *hb_responder_counters(const struct hb_responder *r)
{
	return &r->counters;
}

static void resp_closed(uv_handle_t *h)
{
	struct hb_responder *r = h->data;

	auth_key_wipe(&r->key);
	free(r);
}

void hb_responder_stop(struct hb_responder *r)
{
	if (!r)
		return;
	uv_udp_recv_stop(&r->udp);
	uv_close((uv_handle_t *)&r->udp, resp_closed);
}
