/* hbprobe.c — the prober the Master MU runs: a round of challenges every interval, one
 * open challenge per unit, misses and replies per unit (hbnet.h; issue 3 "Master MU and
 * the Cluster Manager"; status.md §1 "Network heartbeat"). */
#include "cluster/hbnet.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/hbnet_priv.h"
#include "lib/clock.h"

/* One target unit: what hbnet.h shows (peer) and its open challenge. */
struct probe_target {
	struct hb_peer peer;
	struct sockaddr_storage addr;
	bool open; /* c is the open challenge */
	struct hb_challenge c;
	uint64_t sent_ns;      /* CLOCK_BOOTTIME when c went out */
	uint64_t sent_wall_ns; /* CLOCK_REALTIME then (skew only) */
};

enum probe_sock { PROBE_V4 = 0, PROBE_V6, PROBE_SOCK_MAX };

enum probe_sock_state {
	SOCK_NONE = 0, /* not opened (or closed after a failed open: may open again) */
	SOCK_OPEN,
	SOCK_CLOSING, /* closing after a failed open, or at stop */
	SOCK_STATE_MAX
};

struct hb_prober {
	uv_loop_t *loop;
	uv_timer_t timer;
	uv_udp_t udp[PROBE_SOCK_MAX];
	enum probe_sock_state sock[PROBE_SOCK_MAX];
	unsigned handles; /* initialised handles not yet closed (timer included) */
	bool stopping;
	struct auth_key key;
	uint32_t master_unit;
	uint64_t master_incarnation;
	uint64_t seq; /* of the last challenge sent */
	hb_change_fn *change;
	void *arg;
	struct hb_counters counters;
	struct probe_target *t;
	size_t n;
	int16_t idx[HB_UNITS_MAX + 1]; /* unit id -> index in t, -1 when not a target */
	uint8_t rbuf[HBNET_RBUF];
};

static enum probe_sock probe_sock_of(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? PROBE_V6 : PROBE_V4;
}

static struct probe_target *probe_find(const struct hb_prober *p, uint32_t unit)
{
	if (unit < 1 || unit > HB_UNITS_MAX || p->idx[unit] < 0)
		return NULL;
	return &p->t[p->idx[unit]];
}

static void probe_changed(struct hb_prober *p, uint32_t unit)
{
	if (p->change && !p->stopping)
		p->change(p->arg, unit);
}

/* ---- sending: one round per interval ---- */

/* Opens challenge c for t and sends it; a failed send is counted, the challenge stays open
 * (and is a miss at the next round, as for a unit that does not answer). */
static void probe_send(struct hb_prober *p, struct probe_target *t)
{
	uint8_t out[HB_CHALLENGE_SIZE];
	uv_buf_t b = uv_buf_init((char *)out, sizeof(out));
	enum probe_sock s = probe_sock_of(&t->addr);

	t->open = true;
	t->sent_ns = clock_boottime_ns();
	t->sent_wall_ns = clock_wall_ns();
	if (hb_challenge_new(&t->c, p->master_unit, p->master_incarnation, ++p->seq) < 0) {
		memset(&t->c, 0, sizeof(t->c)); /* seq 0: nothing answers it */
		p->counters.send_failed++;
		return;
	}
	hb_challenge_out(&t->c, &p->key, out);
	if (p->sock[s] != SOCK_OPEN ||
	    uv_udp_try_send(&p->udp[s], &b, 1, (const struct sockaddr *)&t->addr) < 0)
		p->counters.send_failed++;
	else
		p->counters.sent++;
}

/* The round: a challenge still open is one miss; then a new challenge to every target.
 * The change callbacks run after the round, by unit id (they may change the targets). */
static void probe_round(uv_timer_t *h)
{
	struct hb_prober *p = h->data;
	uint32_t missed[HB_UNITS_MAX];
	size_t k = 0;

	for (size_t i = 0; i < p->n; i++) {
		struct probe_target *t = &p->t[i];
		if (t->open) {
			t->peer.missed++;
			missed[k++] = t->peer.unit;
		}
		probe_send(p, t);
	}
	for (size_t i = 0; i < k; i++)
		if (probe_find(p, missed[i])) /* an earlier callback may have changed the targets */
			probe_changed(p, missed[i]);
}

/* ---- receiving ---- */

static void probe_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct hb_prober *p = h->data;

	*buf = uv_buf_init((char *)p->rbuf, sizeof(p->rbuf));
}

static uint64_t abs_diff(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

static uint32_t clamp_u32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* rep answers t's open challenge: the unit is there. */
static void probe_accept(struct hb_prober *p, struct probe_target *t, const struct hb_reply *rep)
{
	uint64_t now = clock_boottime_ns(), wall = clock_wall_ns();
	uint64_t now_ms = now / NSEC_PER_MSEC;
	uint64_t mid_wall_ms = (t->sent_wall_ns / 2 + wall / 2) / NSEC_PER_MSEC;

	t->open = false;
	t->peer.missed = 0;
	t->peer.last_reply_ms = now_ms ? now_ms : 1;
	t->peer.report = *rep;
	t->peer.have_report = true;
	t->peer.report_ms = t->peer.last_reply_ms;
	t->peer.rtt_ms = clamp_u32((now - t->sent_ns) / NSEC_PER_MSEC);
	t->peer.skew_ms = clamp_u32(abs_diff(rep->wall_ms, mid_wall_ms));
	t->peer.skew_known = true;
	p->counters.accepted++;
	probe_changed(p, t->peer.unit);
}

static void probe_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr,
		       unsigned flags)
{
	struct hb_prober *p = h->data;
	struct probe_target *t = NULL;
	struct hb_reply rep;
	int ret = hbnet_datagram(nread, addr, flags);

	if (ret == 0 || p->stopping)
		return;
	if (ret > 0)
		ret = hb_reply_in(buf->base, (size_t)nread, &p->key, &rep);
	if (ret == 0) {
		t = probe_find(p, rep.unit);
		ret = t && t->open ? hb_reply_match(&rep, &t->c) : -ESTALE;
	}
	if (ret < 0) {
		hb_counters_count(&p->counters, ret);
		return;
	}
	probe_accept(p, t, &rep);
}

/* ---- targets ---- */

static void probe_closed(uv_handle_t *h);

/* Opens the socket of family s on first need: wildcard address, ephemeral port. A socket
 * that fails to open is closed again (a later call may retry once that is done). */
static int probe_open_sock(struct hb_prober *p, enum probe_sock s, struct sec_err *reterr)
{
	const char *any_s = s == PROBE_V6 ? "[::]:0" : "0.0.0.0:0";
	struct sockaddr_storage any;
	bool inited;
	int r;

	if (p->sock[s] == SOCK_OPEN)
		return 0;
	if (p->sock[s] == SOCK_CLOSING)
		return sec_errf(reterr, -EAGAIN,
				"the heartbeat socket on '%s' is still closing after a failed open",
				any_s);
	hb_addr_parse(any_s, true, &any);
	r = hbnet_udp_open(p->loop, &p->udp[s], (const struct sockaddr *)&any, p, probe_alloc,
			   probe_recv, &inited);
	if (inited)
		p->handles++;
	if (r == 0) {
		p->sock[s] = SOCK_OPEN;
		return 0;
	}
	if (inited) {
		p->sock[s] = SOCK_CLOSING;
		uv_close((uv_handle_t *)&p->udp[s], probe_closed);
	}
	return sec_errf(reterr, r, "cannot open the heartbeat socket on '%s': %s", any_s,
			uv_strerror(r));
}

/* Checks t[0..n-1]; fills addrs[] and which families are needed. */
static int probe_check_targets(const struct hb_target *t, size_t n, struct sockaddr_storage *addrs,
			       bool need[PROBE_SOCK_MAX], struct sec_err *reterr)
{
	bool seen[HB_UNITS_MAX + 1] = {false};

	if (n > HB_UNITS_MAX)
		return sec_errf(reterr, -EINVAL, "%zu heartbeat targets: at most %u units", n,
				HB_UNITS_MAX);
	for (size_t i = 0; i < n; i++) {
		uint32_t u = t[i].unit;
		if (u < 1 || u > HB_UNITS_MAX)
			return sec_errf(reterr, -EINVAL,
					"heartbeat target unit id %u is outside 1..%u", u,
					HB_UNITS_MAX);
		if (seen[u])
			return sec_errf(reterr, -EINVAL, "heartbeat target unit %u is listed twice",
					u);
		seen[u] = true;
		if (!memchr(t[i].addr, '\0', sizeof(t[i].addr)) ||
		    hb_addr_parse(t[i].addr, false, &addrs[i]) < 0)
			return sec_errf(reterr, -EINVAL,
					"heartbeat address '%.*s' of unit %u is not IPv4:port or "
					"[IPv6]:port (port 1..65535)",
					(int)sizeof(t[i].addr) - 1, t[i].addr, u);
		need[probe_sock_of(&addrs[i])] = true;
	}
	return 0;
}

int hb_prober_set_targets(struct hb_prober *p, const struct hb_target *t, size_t n,
			  struct sec_err *reterr)
{
	struct sockaddr_storage addrs[HB_UNITS_MAX];
	bool need[PROBE_SOCK_MAX] = {false};
	struct probe_target *nt = NULL;
	int r;

	r = probe_check_targets(t, n, addrs, need, reterr);
	for (int s = 0; r == 0 && s < PROBE_SOCK_MAX; s++)
		if (need[s])
			r = probe_open_sock(p, (enum probe_sock)s, reterr);
	if (r < 0)
		return r;
	if (n > 0 && !(nt = calloc(n, sizeof(*nt))))
		return sec_errf(reterr, -ENOMEM, "out of memory for %zu heartbeat targets", n);
	for (size_t i = 0; i < n; i++) {
		const struct probe_target *old = probe_find(p, t[i].unit);
		if (old)
			nt[i] = *old;
		else
			nt[i].peer.unit = t[i].unit;
		nt[i].addr = addrs[i];
	}
	free(p->t);
	p->t = nt;
	p->n = n;
	memset(p->idx, 0xff, sizeof(p->idx));
	for (size_t i = 0; i < n; i++)
		p->idx[nt[i].peer.unit] = (int16_t)i;
	return 0;
}

int hb_prober_set_interval(struct hb_prober *p, uint32_t interval_ms)
{
	if (interval_ms == 0)
		return -EINVAL;
	if (p->stopping)
		return 0;
	return uv_timer_start(&p->timer, probe_round, interval_ms, interval_ms);
}

const struct hb_peer *hb_prober_peer(const struct hb_prober *p, uint32_t unit)
{
	const struct probe_target *t = probe_find(p, unit);

	return t ? &t->peer : NULL;
}

const struct hb_counters *hb_prober_counters(const struct hb_prober *p)
{
	return &p->counters;
}

/* ---- start and stop ---- */

int hb_prober_start(uv_loop_t *loop, const struct auth_key *key, uint32_t master_unit,
		    uint64_t master_incarnation, uint32_t interval_ms, hb_change_fn *change,
		    void *arg, struct hb_prober **ret, struct sec_err *reterr)
{
	struct hb_prober *p;

	if (master_unit < 1 || master_unit > HB_UNITS_MAX)
		return sec_errf(reterr, -EINVAL, "heartbeat master unit id %u is outside 1..%u",
				master_unit, HB_UNITS_MAX);
	if (interval_ms == 0)
		return sec_errf(reterr, -EINVAL, "heartbeat interval must be at least 1 ms");
	if (auth_init() < 0)
		return sec_errf(reterr, -EIO, "libsodium cannot start (no entropy source)");
	p = calloc(1, sizeof(*p));
	if (!p)
		return sec_errf(reterr, -ENOMEM, "out of memory for the heartbeat prober");
	p->loop = loop;
	p->key = *key;
	p->master_unit = master_unit;
	p->master_incarnation = master_incarnation;
	p->seq = clock_boottime_ns() / 1000; /* µs: above an earlier prober's (hbnet.h) */
	p->change = change;
	p->arg = arg;
	memset(p->idx, 0xff, sizeof(p->idx));
	uv_timer_init(loop, &p->timer);
	p->timer.data = p;
	p->handles = 1;
	uv_timer_start(&p->timer, probe_round, 0, interval_ms);
	*ret = p;
	return 0;
}

static void probe_closed(uv_handle_t *h)
{
	struct hb_prober *p = h->data;

	for (int s = 0; s < PROBE_SOCK_MAX; s++)
		if (h == (uv_handle_t *)&p->udp[s])
			p->sock[s] = SOCK_NONE;
	if (--p->handles > 0)
		return;
	auth_key_wipe(&p->key);
	free(p->t);
	free(p);
}

void hb_prober_stop(struct hb_prober *p)
{
	if (!p || p->stopping)
		return;
	p->stopping = true;
	uv_timer_stop(&p->timer);
	uv_close((uv_handle_t *)&p->timer, probe_closed);
	for (int s = 0; s < PROBE_SOCK_MAX; s++) {
		if (p->sock[s] != SOCK_OPEN)
			continue;
		p->sock[s] = SOCK_CLOSING;
		uv_udp_recv_stop(&p->udp[s]);
		uv_close((uv_handle_t *)&p->udp[s], probe_closed);
	}
}
