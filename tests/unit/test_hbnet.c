/* test_hbnet.c — the network heartbeat over UDP on a libuv loop (src/cluster/hbnet.h):
 * responders and a prober on one loop on 127.0.0.1 (and ::1) with ports picked by the
 * kernel. Replies and their reports reach the prober; misses count up once a unit is gone
 * and drop to 0 at the first reply; targets keep their state across a new list; a wrong
 * key, garbage, cut and bit-flipped records, replays and superseded replies are dropped and
 * counted, at the responder and at the prober; skew from a unit whose wall clock is off.
 * "The fake unit" is a plain UDP socket the test drives. Every wait has a deadline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/hbnet.h"
#include "lib/clock.h"

#define INTERVAL_MS 50
#define DEADLINE_MS 1500
#define MASTER	    1
#define MASTER_INC  0x1718a1892038162cull
#define FAKE_UNIT   4

static struct auth_key key, other_key;

/* What a responder of the tests reports. */
struct report_cfg {
	enum hb_power power;
	enum crd_unit_status crd_disks;
	int64_t wall_offset_ms; /* != 0: the unit's wall clock is off by this much */
	unsigned calls;
};

/* A unit the test drives by hand: a UDP socket on 127.0.0.1. */
struct fake {
	uv_udp_t udp;
	bool open;
	uint16_t port;
	struct sockaddr_storage from; /* source of the last challenge (the prober) */
	unsigned nchallenges;
	struct hb_challenge challenges[64]; /* the first 64 */
	struct hb_challenge last;
	const struct auth_key *answer_key; /* answer every challenge with this key */
	unsigned nreplies;
	struct hb_reply reply; /* the last reply it got (from a responder) */
	unsigned nother;       /* datagrams that are neither */
	uint8_t rbuf[512];
};

struct fx {
	uv_loop_t loop;
	uv_timer_t guard; /* wakes UV_RUN_ONCE so that deadlines are checked */
	struct hb_responder *resp[3];
	struct report_cfg cfg[3];
	struct hb_prober *prober;
	struct fake fake;
	unsigned changes[HB_UNITS_MAX + 1];
	uint32_t missed_log[64]; /* missed of unit 3 at each change */
	unsigned nmissed_log;
	bool stop_in_change;
	struct hb_target *retarget; /* set by the first change callback (then cleared) */
};

static uint64_t now_ms(void)
{
	return clock_boottime_ns() / NSEC_PER_MSEC;
}

#define WAIT_FOR(f, cond, ms)                                                                      \
	do {                                                                                       \
		uint64_t dl_ = now_ms() + (ms);                                                    \
		while (!(cond) && now_ms() < dl_)                                                  \
			uv_run(&(f)->loop, UV_RUN_ONCE);                                           \
		assert_true(cond);                                                                 \
	} while (0)

static void guard_tick(uv_timer_t *t)
{
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	uv_timer_init(&f->loop, &f->guard);
	uv_timer_start(&f->guard, guard_tick, 5, 5);
	*state = f;
	return 0;
}

static void fake_close(struct fx *f)
{
	if (f->fake.open)
		uv_close((uv_handle_t *)&f->fake.udp, NULL);
	f->fake.open = false;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	hb_prober_stop(f->prober);
	for (int i = 0; i < 3; i++)
		hb_responder_stop(f->resp[i]);
	fake_close(f);
	uv_close((uv_handle_t *)&f->guard, NULL);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0); /* every handle closed */
	free(f);
	return 0;
}

/* ---- helpers ---- */

static void report(void *arg, struct hb_reply *r)
{
	struct report_cfg *c = arg;

	c->calls++;
	r->power = c->power;
	r->system = HB_SYSTEM_RUNNING;
	r->crd_disks = c->crd_disks;
	r->proto_min = 1;
	r->proto_max = 2;
	snprintf(r->sw_version, sizeof(r->sw_version), "secluster 0.1.0-test");
	if (c->wall_offset_ms)
		r->wall_ms =
		    (uint64_t)((int64_t)(clock_wall_ns() / NSEC_PER_MSEC) + c->wall_offset_ms);
}

static void on_change(void *arg, uint32_t unit)
{
	struct fx *f = arg;
	const struct hb_peer *h = hb_prober_peer(f->prober, unit);

	assert_non_null(h);
	f->changes[unit]++;
	if (unit == 3 && f->nmissed_log < 64)
		f->missed_log[f->nmissed_log++] = h->missed;
	if (f->retarget) {
		struct sec_err err;
		assert_int_equal(hb_prober_set_targets(f->prober, f->retarget, 1, &err), 0);
		f->retarget = NULL;
	}
	if (f->stop_in_change) {
		hb_prober_stop(f->prober);
		f->prober = NULL;
	}
}

static void start_responder(struct fx *f, int i, const char *listen, const struct auth_key *k,
			    uint32_t unit, uint64_t inc)
{
	struct sec_err err;
	int r = hb_responder_start(&f->loop, listen, k, unit, inc, report, &f->cfg[i], &f->resp[i],
				   &err);

	if (r < 0)
		fail_msg("hb_responder_start: %s", err.msg);
	assert_int_not_equal(hb_responder_port(f->resp[i]), 0);
}

static void start_prober(struct fx *f, uint32_t interval_ms)
{
	struct sec_err err;

	assert_int_equal(hb_prober_start(&f->loop, &key, MASTER, MASTER_INC, interval_ms, on_change,
					 f, &f->prober, &err),
			 0);
}

static struct hb_target target(uint32_t unit, const char *host, uint16_t port)
{
	struct hb_target t = {.unit = unit};

	snprintf(t.addr, sizeof(t.addr), strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, port);
	return t;
}

static void set_targets(struct fx *f, const struct hb_target *t, size_t n)
{
	struct sec_err err;

	if (hb_prober_set_targets(f->prober, t, n, &err) < 0)
		fail_msg("hb_prober_set_targets: %s", err.msg);
}

static uint64_t total(const struct hb_counters *c)
{
	return c->accepted + c->malformed + c->unauthenticated + c->stale_nonce;
}

/* ---- the fake unit ---- */

static void fake_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct fake *k = h->data;

	*buf = uv_buf_init((char *)k->rbuf, sizeof(k->rbuf));
}

static void fake_answer(struct fake *k, const struct hb_challenge *c)
{
	struct hb_reply r = {.unit = FAKE_UNIT,
			     .incarnation = 44,
			     .seq = c->seq,
			     .power = HB_POWER_ON,
			     .system = HB_SYSTEM_RUNNING,
			     .crd_disks = CRD_UNIT_NORMAL,
			     .proto_min = 1,
			     .proto_max = 1,
			     .wall_ms = clock_wall_ns() / NSEC_PER_MSEC,
			     .sw_version = "fake"};
	uint8_t b[HB_REPLY_SIZE];
	uv_buf_t ub = uv_buf_init((char *)b, sizeof(b));

	memcpy(r.nonce, c->nonce, HB_NONCE_BYTES);
	hb_reply_out(&r, k->answer_key, b);
	assert_int_equal(uv_udp_try_send(&k->udp, &ub, 1, (struct sockaddr *)&k->from),
			 HB_REPLY_SIZE);
}

static void fake_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr,
		      unsigned flags)
{
	struct fake *k = h->data;
	struct hb_msg m;

	if (nread < 0 || !addr)
		return;
	switch (hb_msg_in(buf->base, (size_t)nread, &key, &m)) {
	case HB_CHALLENGE:
		memcpy(&k->from, addr,
		       addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						   : sizeof(struct sockaddr_in));
		if (k->nchallenges < 64)
			k->challenges[k->nchallenges] = m.challenge;
		k->nchallenges++;
		k->last = m.challenge;
		if (k->answer_key)
			fake_answer(k, &m.challenge);
		break;
	case HB_REPLY:
		k->nreplies++;
		k->reply = m.reply;
		break;
	default:
		k->nother++;
	}
}

static void fake_open(struct fx *f)
{
	struct sockaddr_storage sa;
	struct sockaddr_in got;
	int len = sizeof(got);

	assert_int_equal(hb_addr_parse("127.0.0.1:0", true, &sa), 0);
	assert_int_equal(uv_udp_init(&f->loop, &f->fake.udp), 0);
	f->fake.udp.data = &f->fake;
	f->fake.open = true;
	assert_int_equal(uv_udp_bind(&f->fake.udp, (struct sockaddr *)&sa, 0), 0);
	assert_int_equal(uv_udp_recv_start(&f->fake.udp, fake_alloc, fake_recv), 0);
	assert_int_equal(uv_udp_getsockname(&f->fake.udp, (struct sockaddr *)&got, &len), 0);
	f->fake.port = ntohs(got.sin_port);
}

static void fake_send_to(struct fx *f, const void *b, size_t len, const struct sockaddr_storage *to)
{
	uv_buf_t ub = uv_buf_init((char *)b, (unsigned)len);

	assert_int_equal(uv_udp_try_send(&f->fake.udp, &ub, 1, (const struct sockaddr *)to),
			 (int)len);
}

static struct sockaddr_storage responder_addr(struct fx *f, int i)
{
	struct sockaddr_storage sa;
	char s[HB_ADDR_MAX];

	snprintf(s, sizeof(s), "127.0.0.1:%u", hb_responder_port(f->resp[i]));
	assert_int_equal(hb_addr_parse(s, false, &sa), 0);
	return sa;
}

/* Sends b to `to` and waits until counters c have counted one more datagram. */
static void send_counted(struct fx *f, const void *b, size_t len, const struct sockaddr_storage *to,
			 const struct hb_counters *c)
{
	uint64_t before = total(c);

	fake_send_to(f, b, len, to);
	WAIT_FOR(f, total(c) == before + 1, DEADLINE_MS);
}

/* ---- tests ---- */

/* The first probe goes out at start: with a 1 s interval the reply is there long before
 * the second round; the prober sees every field the unit reported. */
static void test_first_reply_and_report(void **state)
{
	struct fx *f = *state;

	f->cfg[0] = (struct report_cfg){.power = HB_POWER_OFF, .crd_disks = CRD_UNIT_WARNING};
	start_responder(f, 0, "127.0.0.1:0", &key, 3, 0xdbaf46b5e94912a1ull);
	start_prober(f, 1000);
	struct hb_target t = target(3, "127.0.0.1", hb_responder_port(f->resp[0]));
	set_targets(f, &t, 1);
	uint64_t t0 = now_ms();
	const struct hb_peer *h = hb_prober_peer(f->prober, 3);
	assert_non_null(h);
	assert_false(h->have_report);
	assert_int_equal(h->last_reply_ms, 0);
	WAIT_FOR(f, hb_prober_peer(f->prober, 3)->have_report, 500);
	assert_true(now_ms() - t0 < 500);
	h = hb_prober_peer(f->prober, 3);
	assert_int_equal(h->unit, 3);
	assert_int_equal(h->missed, 0);
	assert_true(h->last_reply_ms > 0);
	assert_int_equal(h->report_ms, h->last_reply_ms);
	assert_int_equal(h->report.unit, 3);
	assert_int_equal(h->report.incarnation, 0xdbaf46b5e94912a1ull);
	assert_int_equal(h->report.power, HB_POWER_OFF);
	assert_int_equal(h->report.system, HB_SYSTEM_RUNNING);
	assert_int_equal(h->report.crd_disks, CRD_UNIT_WARNING);
	assert_int_equal(h->report.proto_min, 1);
	assert_int_equal(h->report.proto_max, 2);
	assert_string_equal(h->report.sw_version, "secluster 0.1.0-test");
	assert_true(h->rtt_ms < 500);
	assert_true(h->skew_known);
	assert_true(h->skew_ms < 1000);
	assert_int_equal(f->changes[3], 1);
	assert_null(hb_prober_peer(f->prober, 4));
	assert_null(hb_prober_peer(f->prober, 0));
	assert_null(hb_prober_peer(f->prober, 300));

	const struct hb_counters *pc = hb_prober_counters(f->prober);
	const struct hb_counters *rc = hb_responder_counters(f->resp[0]);
	assert_int_equal(pc->sent, 1);
	assert_int_equal(pc->accepted, 1);
	assert_int_equal(pc->malformed + pc->unauthenticated + pc->stale_nonce + pc->send_failed,
			 0);
	assert_int_equal(rc->accepted, 1);
	assert_int_equal(rc->sent, 1);
	assert_int_equal(f->cfg[0].calls, 1);
}

/* The unit goes away: one miss per round (1, 2, 3, ...); a new responder on the same port:
 * missed back to 0 at its first reply, with its new incarnation. */
static void test_misses_then_back(void **state)
{
	struct fx *f = *state;

	start_responder(f, 0, "127.0.0.1:0", &key, 3, 100);
	uint16_t port = hb_responder_port(f->resp[0]);
	char listen[HB_ADDR_MAX];
	snprintf(listen, sizeof(listen), "127.0.0.1:%u", port);
	start_prober(f, INTERVAL_MS);
	struct hb_target t = target(3, "127.0.0.1", port);
	set_targets(f, &t, 1);
	WAIT_FOR(f, hb_prober_peer(f->prober, 3)->have_report, DEADLINE_MS);
	uint64_t first = hb_prober_peer(f->prober, 3)->last_reply_ms;

	hb_responder_stop(f->resp[0]);
	f->resp[0] = NULL;
	f->nmissed_log = 0;
	WAIT_FOR(f, hb_prober_peer(f->prober, 3)->missed >= 3, DEADLINE_MS);
	const struct hb_peer *h = hb_prober_peer(f->prober, 3);
	assert_int_equal(h->last_reply_ms, first); /* the last report is kept, with its age */
	assert_true(h->have_report);
	assert_int_equal(h->report.incarnation, 100);
	/* one change per miss, counting up by one (a reply may have come in between) */
	assert_true(f->nmissed_log >= 3);
	for (unsigned i = 1; i < f->nmissed_log; i++)
		assert_int_equal(f->missed_log[i], f->missed_log[i - 1] + 1);
	assert_int_equal(f->missed_log[f->nmissed_log - 1], h->missed);

	start_responder(f, 0, listen, &key, 3, 200);
	assert_int_equal(hb_responder_port(f->resp[0]), port);
	WAIT_FOR(f, hb_prober_peer(f->prober, 3)->missed == 0, DEADLINE_MS);
	h = hb_prober_peer(f->prober, 3);
	assert_true(h->last_reply_ms > first);
	assert_int_equal(h->report.incarnation, 200);
	assert_int_equal(hb_prober_counters(f->prober)->send_failed, 0);
}

/* A new target list keeps the state of the units still listed, forgets the others and
 * starts new ones from nothing; bad lists are refused whole, naming the culprit. */
static void test_set_targets_keeps_state(void **state)
{
	struct fx *f = *state;
	struct sec_err err;

	start_responder(f, 0, "127.0.0.1:0", &key, 1, 11);
	start_responder(f, 1, "127.0.0.1:0", &key, 2, 22);
	fake_open(f);
	start_prober(f, INTERVAL_MS);
	struct hb_target t[2] = {target(1, "127.0.0.1", hb_responder_port(f->resp[0])),
				 target(2, "127.0.0.1", hb_responder_port(f->resp[1]))};
	set_targets(f, t, 2);
	WAIT_FOR(f,
		 hb_prober_peer(f->prober, 1)->have_report &&
		     hb_prober_peer(f->prober, 2)->have_report,
		 DEADLINE_MS);
	struct hb_peer before = *hb_prober_peer(f->prober, 1);

	struct hb_target t2[2] = {t[0], target(5, "127.0.0.1", f->fake.port)};
	set_targets(f, t2, 2);
	const struct hb_peer *h1 = hb_prober_peer(f->prober, 1), *h5 = hb_prober_peer(f->prober, 5);
	assert_null(hb_prober_peer(f->prober, 2));
	assert_non_null(h1);
	assert_true(h1->have_report);
	assert_int_equal(h1->last_reply_ms, before.last_reply_ms);
	assert_int_equal(h1->report.incarnation, 11);
	assert_non_null(h5);
	assert_false(h5->have_report);
	assert_int_equal(h5->missed, 0);
	assert_int_equal(h5->last_reply_ms, 0);
	/* unit 5 is the fake unit, which does not answer: it misses; unit 1 keeps answering */
	WAIT_FOR(f, hb_prober_peer(f->prober, 5)->missed >= 2, DEADLINE_MS);
	assert_true(f->fake.nchallenges >= 2);
	assert_int_equal(f->fake.last.master_unit, MASTER);
	assert_int_equal(f->fake.last.master_incarnation, MASTER_INC);
	assert_true(f->fake.challenges[1].seq > f->fake.challenges[0].seq);
	WAIT_FOR(f, hb_prober_peer(f->prober, 1)->last_reply_ms > before.last_reply_ms,
		 DEADLINE_MS);

	/* refused whole: the old list stays */
	struct hb_target bad[2] = {t[0], {.unit = 7, .addr = "localhost:7401"}};
	assert_int_equal(hb_prober_set_targets(f->prober, bad, 2, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "'localhost:7401'"));
	assert_non_null(strstr(err.msg, "unit 7"));
	bad[1] = target(1, "127.0.0.1", 9);
	assert_int_equal(hb_prober_set_targets(f->prober, bad, 2, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "unit 1 is listed twice"));
	bad[1] = target(0, "127.0.0.1", 9);
	assert_int_equal(hb_prober_set_targets(f->prober, bad, 2, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "unit id 0"));
	bad[1] = target(7, "127.0.0.1", 0);
	assert_int_equal(hb_prober_set_targets(f->prober, bad, 2, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "'127.0.0.1:0'"));
	memset(bad[1].addr, 'x', sizeof(bad[1].addr)); /* no NUL */
	assert_int_equal(hb_prober_set_targets(f->prober, bad, 2, &err), -EINVAL);
	assert_non_null(hb_prober_peer(f->prober, 5));
	assert_null(hb_prober_peer(f->prober, 7));

	/* an address change keeps the state too; an empty list forgets everything */
	struct hb_peer b1 = *hb_prober_peer(f->prober, 1);
	struct hb_target moved = target(1, "127.0.0.1", f->fake.port);
	set_targets(f, &moved, 1);
	assert_int_equal(hb_prober_peer(f->prober, 1)->last_reply_ms, b1.last_reply_ms);
	assert_int_equal(hb_prober_peer(f->prober, 1)->report.incarnation, 11);
	set_targets(f, NULL, 0);
	assert_null(hb_prober_peer(f->prober, 1));
}

/* A unit with another key: its responder counts the challenges unauthenticated and never
 * answers; a unit answering under another key is counted unauthenticated at the prober,
 * and neither counts as a reply. */
static void test_wrong_key(void **state)
{
	struct fx *f = *state;

	start_responder(f, 0, "127.0.0.1:0", &other_key, 2, 22);
	fake_open(f);
	f->fake.answer_key = &other_key;
	start_prober(f, INTERVAL_MS);
	struct hb_target t[2] = {target(2, "127.0.0.1", hb_responder_port(f->resp[0])),
				 target(FAKE_UNIT, "127.0.0.1", f->fake.port)};
	set_targets(f, t, 2);
	const struct hb_counters *pc = hb_prober_counters(f->prober);
	const struct hb_counters *rc = hb_responder_counters(f->resp[0]);
	WAIT_FOR(f,
		 rc->unauthenticated >= 2 && pc->unauthenticated >= 2 &&
		     hb_prober_peer(f->prober, 2)->missed >= 1 &&
		     hb_prober_peer(f->prober, FAKE_UNIT)->missed >= 1,
		 DEADLINE_MS);
	assert_int_equal(rc->accepted, 0);
	assert_int_equal(rc->sent, 0);
	assert_int_equal(rc->malformed, 0);
	assert_int_equal(pc->accepted, 0);
	assert_int_equal(pc->malformed, 0);
	static const uint32_t units[] = {2, FAKE_UNIT};
	for (size_t i = 0; i < 2; i++) {
		const struct hb_peer *h = hb_prober_peer(f->prober, units[i]);
		assert_int_equal(h->last_reply_ms, 0);
		assert_false(h->have_report);
		assert_false(h->skew_known);
	}
	assert_int_equal(f->cfg[0].calls, 0);
}

/* Random bytes, an empty and an oversized datagram, cut and bit-flipped challenges, a
 * challenge under another key, a REPLY, a replay: dropped and counted, and the responder
 * still answers the next valid challenge — only that one. */
static void test_garbage_at_responder(void **state)
{
	struct fx *f = *state;
	uint8_t rnd[500], b[HB_CHALLENGE_SIZE], r[HB_REPLY_SIZE];
	struct hb_challenge c, c2;

	start_responder(f, 0, "127.0.0.1:0", &key, 2, 22);
	fake_open(f);
	struct sockaddr_storage to = responder_addr(f, 0);
	const struct hb_counters *rc = hb_responder_counters(f->resp[0]);
	uint64_t malformed = 0;

	randombytes_buf(rnd, sizeof(rnd));
	send_counted(f, rnd, HB_CHALLENGE_SIZE, &to, rc);
	send_counted(f, rnd, sizeof(rnd), &to, rc); /* longer than the receive buffer */
	send_counted(f, rnd, 0, &to, rc);
	malformed += 3;
	assert_int_equal(hb_challenge_new(&c, MASTER, MASTER_INC, 10), 0);
	hb_challenge_out(&c, &key, b);
	send_counted(f, b, HB_CHALLENGE_SIZE - 1, &to, rc);
	send_counted(f, b, 17, &to, rc);
	malformed += 2;
	for (size_t i = 0; i < HB_CHALLENGE_SIZE * 8; i++) {
		b[i / 8] ^= (uint8_t)(1u << (i % 8));
		send_counted(f, b, sizeof(b), &to, rc);
		b[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	malformed += HB_CHALLENGE_SIZE * 8;
	struct hb_reply rep = {.unit = 3, .seq = 1, .proto_min = 1, .proto_max = 1};
	hb_reply_out(&rep, &key, r);
	send_counted(f, r, sizeof(r), &to, rc); /* a REPLY is no challenge */
	malformed++;
	uint8_t wrong[HB_CHALLENGE_SIZE];
	hb_challenge_out(&c, &other_key, wrong);
	send_counted(f, wrong, sizeof(wrong), &to, rc);
	assert_int_equal(rc->malformed, malformed);
	assert_int_equal(rc->unauthenticated, 1);
	assert_int_equal(rc->accepted + rc->stale_nonce + rc->sent + rc->send_failed, 0);
	assert_int_equal(f->fake.nreplies + f->fake.nother, 0);

	/* the valid challenge is answered, to its source; its replay is not; the next is */
	send_counted(f, b, sizeof(b), &to, rc);
	send_counted(f, b, sizeof(b), &to, rc);
	assert_int_equal(hb_challenge_new(&c2, MASTER, MASTER_INC, 11), 0);
	hb_challenge_out(&c2, &key, b);
	send_counted(f, b, sizeof(b), &to, rc);
	WAIT_FOR(f, f->fake.nreplies == 2, DEADLINE_MS);
	/* loopback keeps the order: had the replay been answered, c2's reply would be third */
	assert_int_equal(f->fake.reply.seq, 11);
	assert_memory_equal(f->fake.reply.nonce, c2.nonce, HB_NONCE_BYTES);
	assert_int_equal(f->fake.reply.unit, 2);
	assert_int_equal(f->fake.reply.incarnation, 22);
	assert_int_equal(rc->accepted, 2);
	assert_int_equal(rc->stale_nonce, 1);
	assert_int_equal(rc->sent, 2);
	assert_int_equal(rc->malformed, malformed);
	assert_int_equal(f->fake.nother, 0);
}

/* Per master: a new incarnation is answered, a retired one is not; masters are apart. */
static void test_responder_freshness(void **state)
{
	struct fx *f = *state;
	uint8_t b[HB_CHALLENGE_SIZE];
	struct hb_challenge c;

	start_responder(f, 0, "127.0.0.1:0", &key, 2, 22);
	fake_open(f);
	struct sockaddr_storage to = responder_addr(f, 0);
	const struct hb_counters *rc = hb_responder_counters(f->resp[0]);
	static const struct {
		uint32_t master;
		uint64_t inc, seq;
		bool answered;
	} steps[] = {
	    {1, 0xa, 10, true}, {1, 0xa, 10, false}, {1, 0xa, 9, false},
	    {1, 0xb, 1, true},	{1, 0xa, 11, false}, /* 0xa is retired */
	    {1, 0xb, 2, true},	{2, 0xa, 5, true},   /* another master: its own mark */
	    {2, 0xa, 6, true},	{1, 0xb, 2, false},
	};
	unsigned answered = 0;

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		assert_int_equal(hb_challenge_new(&c, steps[i].master, steps[i].inc, steps[i].seq),
				 0);
		hb_challenge_out(&c, &key, b);
		send_counted(f, b, sizeof(b), &to, rc);
		answered += steps[i].answered;
		assert_int_equal(rc->accepted, answered);
		assert_int_equal(rc->stale_nonce, i + 1 - answered);
	}
	WAIT_FOR(f, f->fake.nreplies == answered, DEADLINE_MS);
	assert_int_equal(f->fake.reply.seq, 6);
	assert_int_equal(rc->sent, answered);
}

/* At the prober: garbage, cut and bit-flipped replies, a reply under another key, a
 * CHALLENGE, a reply from a unit that is no target: dropped and counted; the reply to the
 * open challenge is accepted once, its replay is stale. */
static void test_garbage_at_prober(void **state)
{
	struct fx *f = *state;
	uint8_t rnd[500], b[HB_REPLY_SIZE];

	fake_open(f);
	start_prober(f, 60000); /* one round: the first challenge stays open */
	struct hb_target t = target(FAKE_UNIT, "127.0.0.1", f->fake.port);
	set_targets(f, &t, 1);
	WAIT_FOR(f, f->fake.nchallenges == 1, DEADLINE_MS);
	const struct hb_counters *pc = hb_prober_counters(f->prober);
	struct sockaddr_storage to = f->fake.from;
	uint64_t malformed = 0;

	randombytes_buf(rnd, sizeof(rnd));
	send_counted(f, rnd, HB_REPLY_SIZE, &to, pc);
	send_counted(f, rnd, sizeof(rnd), &to, pc);
	send_counted(f, rnd, 0, &to, pc);
	malformed += 3;
	struct hb_reply r = {.unit = FAKE_UNIT,
			     .incarnation = 44,
			     .seq = f->fake.last.seq,
			     .power = HB_POWER_ON,
			     .system = HB_SYSTEM_DOWN,
			     .crd_disks = CRD_UNIT_ERROR,
			     .proto_min = 1,
			     .proto_max = 1,
			     .wall_ms = clock_wall_ns() / NSEC_PER_MSEC,
			     .sw_version = "fake 1"};
	memcpy(r.nonce, f->fake.last.nonce, HB_NONCE_BYTES);
	hb_reply_out(&r, &key, b);
	send_counted(f, b, HB_REPLY_SIZE - 1, &to, pc);
	send_counted(f, b, HB_CHALLENGE_SIZE, &to, pc);
	malformed += 2;
	for (size_t i = 0; i < HB_REPLY_SIZE * 8; i++) {
		b[i / 8] ^= (uint8_t)(1u << (i % 8));
		send_counted(f, b, sizeof(b), &to, pc);
		b[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	malformed += HB_REPLY_SIZE * 8;
	uint8_t c[HB_CHALLENGE_SIZE];
	hb_challenge_out(&f->fake.last, &key, c);
	send_counted(f, c, sizeof(c), &to, pc); /* a CHALLENGE is no reply */
	malformed++;
	uint8_t wrong[HB_REPLY_SIZE];
	hb_reply_out(&r, &other_key, wrong);
	send_counted(f, wrong, sizeof(wrong), &to, pc);
	struct hb_reply other = r;
	other.unit = 9; /* authenticated, but unit 9 is no target */
	uint8_t o[HB_REPLY_SIZE];
	hb_reply_out(&other, &key, o);
	send_counted(f, o, sizeof(o), &to, pc);
	assert_int_equal(pc->malformed, malformed);
	assert_int_equal(pc->unauthenticated, 1);
	assert_int_equal(pc->stale_nonce, 1);
	assert_int_equal(pc->accepted, 0);
	const struct hb_peer *h = hb_prober_peer(f->prober, FAKE_UNIT);
	assert_int_equal(h->last_reply_ms, 0);
	assert_int_equal(f->changes[FAKE_UNIT], 0);

	send_counted(f, b, sizeof(b), &to, pc);
	assert_int_equal(pc->accepted, 1);
	h = hb_prober_peer(f->prober, FAKE_UNIT);
	assert_true(h->have_report);
	assert_int_equal(h->report.system, HB_SYSTEM_DOWN);
	assert_int_equal(h->report.crd_disks, CRD_UNIT_ERROR);
	assert_string_equal(h->report.sw_version, "fake 1");
	assert_int_equal(f->changes[FAKE_UNIT], 1);
	send_counted(f, b, sizeof(b), &to, pc); /* answered already: stale */
	assert_int_equal(pc->accepted, 1);
	assert_int_equal(pc->stale_nonce, 2);
	assert_int_equal(f->changes[FAKE_UNIT], 1);
	assert_int_equal(pc->sent, 1);
}

/* A reply that arrives after its challenge was superseded is stale, not a reply. */
static void test_superseded_reply_is_stale(void **state)
{
	struct fx *f = *state;
	uint8_t b[HB_REPLY_SIZE];

	fake_open(f);
	start_prober(f, INTERVAL_MS);
	struct hb_target t = target(FAKE_UNIT, "127.0.0.1", f->fake.port);
	set_targets(f, &t, 1);
	WAIT_FOR(f, f->fake.nchallenges >= 2, DEADLINE_MS);
	const struct hb_counters *pc = hb_prober_counters(f->prober);
	struct hb_challenge a = f->fake.challenges[0];
	struct hb_reply r = {.unit = FAKE_UNIT,
			     .incarnation = 44,
			     .seq = a.seq,
			     .proto_min = 1,
			     .proto_max = 1,
			     .sw_version = "fake"};
	memcpy(r.nonce, a.nonce, HB_NONCE_BYTES);
	hb_reply_out(&r, &key, b);
	send_counted(f, b, sizeof(b), &f->fake.from, pc);
	assert_int_equal(pc->stale_nonce, 1);
	assert_int_equal(pc->accepted, 0);
	assert_true(hb_prober_peer(f->prober, FAKE_UNIT)->missed >= 1);
	assert_int_equal(hb_prober_peer(f->prober, FAKE_UNIT)->last_reply_ms, 0);

	f->fake.answer_key = &key; /* from now on the fake unit answers */
	WAIT_FOR(f, pc->accepted >= 1, DEADLINE_MS);
	assert_int_equal(hb_prober_peer(f->prober, FAKE_UNIT)->missed, 0);
	assert_true(hb_prober_peer(f->prober, FAKE_UNIT)->last_reply_ms > 0);
}

/* Units whose wall clocks are 5 s ahead and 7 s behind (the report callback sets wall_ms). */
static void test_skew(void **state)
{
	struct fx *f = *state;

	f->cfg[0].wall_offset_ms = 5000;
	f->cfg[1].wall_offset_ms = -7000;
	start_responder(f, 0, "127.0.0.1:0", &key, 2, 22);
	start_responder(f, 1, "127.0.0.1:0", &key, 3, 33);
	start_responder(f, 2, "127.0.0.1:0", &key, 5, 55);
	start_prober(f, INTERVAL_MS);
	struct hb_target t[3] = {target(2, "127.0.0.1", hb_responder_port(f->resp[0])),
				 target(3, "127.0.0.1", hb_responder_port(f->resp[1])),
				 target(5, "127.0.0.1", hb_responder_port(f->resp[2]))};
	set_targets(f, t, 3);
	WAIT_FOR(f,
		 hb_prober_peer(f->prober, 2)->skew_known &&
		     hb_prober_peer(f->prober, 3)->skew_known &&
		     hb_prober_peer(f->prober, 5)->skew_known,
		 DEADLINE_MS);
	const struct hb_peer *h2 = hb_prober_peer(f->prober, 2), *h3 = hb_prober_peer(f->prober, 3),
			     *h5 = hb_prober_peer(f->prober, 5);
	assert_in_range(h2->skew_ms, 5000 - 200, 5000 + 200);
	assert_in_range(h3->skew_ms, 7000 - 200, 7000 + 200);
	assert_in_range(h5->skew_ms, 0, 200);
}

/* IPv6 and IPv4 targets at once (two sockets at the prober). */
static void test_ipv4_and_ipv6(void **state)
{
	struct fx *f = *state;
	struct sec_err err;

	if (hb_responder_start(&f->loop, "[::1]:0", &key, 6, 66, report, &f->cfg[1], &f->resp[1],
			       &err) < 0)
		skip(); /* no IPv6 loopback here */
	start_responder(f, 0, "127.0.0.1:0", &key, 2, 22);
	start_prober(f, INTERVAL_MS);
	struct hb_target t[2] = {target(2, "127.0.0.1", hb_responder_port(f->resp[0])),
				 target(6, "::1", hb_responder_port(f->resp[1]))};
	assert_memory_equal(t[1].addr, "[::1]:", 6);
	set_targets(f, t, 2);
	WAIT_FOR(f,
		 hb_prober_peer(f->prober, 2)->have_report &&
		     hb_prober_peer(f->prober, 6)->have_report,
		 DEADLINE_MS);
	assert_int_equal(hb_prober_peer(f->prober, 6)->report.incarnation, 66);
}

/* A Master MU that lost and regained the lease starts a new prober with the same
 * incarnation: the responders' marks must not silence it. */
static void test_prober_restart_same_incarnation(void **state)
{
	struct fx *f = *state;

	start_responder(f, 0, "127.0.0.1:0", &key, 3, 33);
	struct hb_target t = target(3, "127.0.0.1", hb_responder_port(f->resp[0]));
	for (int round = 0; round < 2; round++) {
		start_prober(f, INTERVAL_MS);
		set_targets(f, &t, 1);
		WAIT_FOR(f, hb_prober_counters(f->prober)->accepted >= 2, DEADLINE_MS);
		hb_prober_stop(f->prober);
		f->prober = NULL;
	}
	assert_int_equal(hb_responder_counters(f->resp[0])->stale_nonce, 0);
}

/* A new interval takes effect at once (SIGHUP): from one round a minute to 50 ms. */
static void test_set_interval(void **state)
{
	struct fx *f = *state;

	fake_open(f);
	start_prober(f, 60000);
	struct hb_target t = target(FAKE_UNIT, "127.0.0.1", f->fake.port);
	set_targets(f, &t, 1);
	WAIT_FOR(f, f->fake.nchallenges == 1, DEADLINE_MS);
	assert_int_equal(hb_prober_set_interval(f->prober, 0), -EINVAL);
	assert_int_equal(hb_prober_set_interval(f->prober, INTERVAL_MS), 0);
	WAIT_FOR(f, hb_prober_peer(f->prober, FAKE_UNIT)->missed >= 2 && f->fake.nchallenges >= 3,
		 DEADLINE_MS);
}

/* The change callback may stop the prober; nothing runs after that. */
static void test_stop_in_change(void **state)
{
	struct fx *f = *state;

	fake_open(f);
	start_prober(f, INTERVAL_MS);
	struct hb_target t[2] = {target(3, "127.0.0.1", f->fake.port),
				 target(FAKE_UNIT, "127.0.0.1", f->fake.port)};
	set_targets(f, t, 2);
	f->stop_in_change = true;
	WAIT_FOR(f, f->prober == NULL, DEADLINE_MS);
	unsigned n = f->changes[3] + f->changes[FAKE_UNIT];
	assert_int_equal(n, 1);
	uv_run(&f->loop, UV_RUN_NOWAIT);
}

/* The change callback may change the targets: a unit dropped by it gets no callback. */
static void test_retarget_in_change(void **state)
{
	struct fx *f = *state;

	fake_open(f);
	start_prober(f, INTERVAL_MS);
	struct hb_target t[2] = {target(3, "127.0.0.1", f->fake.port),
				 target(FAKE_UNIT, "127.0.0.1", f->fake.port)};
	set_targets(f, t, 2);
	f->retarget = &t[0];
	WAIT_FOR(f, f->changes[3] >= 3, DEADLINE_MS);
	assert_int_equal(f->changes[FAKE_UNIT], 0);
	assert_null(hb_prober_peer(f->prober, FAKE_UNIT));
	assert_int_equal(hb_prober_peer(f->prober, 3)->missed, f->changes[3]);
}

/* Addresses and arguments. */
static void test_args(void **state)
{
	struct fx *f = *state;
	struct sockaddr_storage sa;
	struct sec_err err;
	struct hb_responder *r = NULL;
	struct hb_prober *p = NULL;
	static const char *const bad[] = {
	    "127.0.0.1",	"localhost:7401", "[::1]7401",	"::1:7401",
	    "127.0.0.1:65536",	"127.0.0.1:-1",	  "127.0.0.1:", ":7401",
	    "[]:7401",		"[::1:7401",	  "1.2.3:7401", "127.0.0.1:7401 ",
	    "[127.0.0.1]:7401",
	};

	assert_int_equal(hb_addr_parse("127.0.0.1:7401", false, &sa), 0);
	assert_int_equal(sa.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&sa)->sin_port), 7401);
	assert_int_equal(hb_addr_parse("[::1]:7401", false, &sa), 0);
	assert_int_equal(sa.ss_family, AF_INET6);
	assert_int_equal(hb_addr_parse("[fe80::1]:1", false, &sa), 0);
	assert_int_equal(hb_addr_parse("0.0.0.0:0", true, &sa), 0);
	assert_int_equal(hb_addr_parse("0.0.0.0:0", false, &sa), -EINVAL);
	assert_int_equal(hb_addr_parse(NULL, true, &sa), -EINVAL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (hb_addr_parse(bad[i], true, &sa) != -EINVAL)
			fail_msg("'%s' parsed", bad[i]);

	assert_int_equal(
	    hb_responder_start(&f->loop, "localhost:7401", &key, 2, 1, NULL, NULL, &r, &err),
	    -EINVAL);
	assert_non_null(strstr(err.msg, "'localhost:7401'"));
	assert_int_equal(
	    hb_responder_start(&f->loop, "127.0.0.1:0", &key, 0, 1, NULL, NULL, &r, &err), -EINVAL);
	assert_int_equal(
	    hb_responder_start(&f->loop, "127.0.0.1:0", &key, 257, 1, NULL, NULL, &r, &err),
	    -EINVAL);
	assert_null(r);
	/* the port is taken: the error names the address */
	start_responder(f, 0, "127.0.0.1:0", &key, 2, 22);
	char listen[HB_ADDR_MAX];
	snprintf(listen, sizeof(listen), "127.0.0.1:%u", hb_responder_port(f->resp[0]));
	assert_int_equal(hb_responder_start(&f->loop, listen, &key, 3, 1, NULL, NULL, &r, &err),
			 -EADDRINUSE);
	assert_non_null(strstr(err.msg, listen));
	assert_null(r);
	/* the port is free as soon as stop returns */
	hb_responder_stop(f->resp[0]);
	assert_int_equal(
	    hb_responder_start(&f->loop, listen, &key, 3, 1, NULL, NULL, &f->resp[0], &err), 0);

	assert_int_equal(hb_prober_start(&f->loop, &key, 0, 1, 50, NULL, NULL, &p, &err), -EINVAL);
	assert_int_equal(hb_prober_start(&f->loop, &key, 257, 1, 50, NULL, NULL, &p, &err),
			 -EINVAL);
	assert_int_equal(hb_prober_start(&f->loop, &key, 1, 1, 0, NULL, NULL, &p, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "interval"));
	assert_null(p);
	hb_responder_stop(NULL);
	hb_prober_stop(NULL);
}

/* A responder without a report callback says ON, RUNNING, NOT_CONFIGURED, protocol 1. */
static void test_default_report(void **state)
{
	struct fx *f = *state;
	struct sec_err err;

	assert_int_equal(
	    hb_responder_start(&f->loop, "127.0.0.1:0", &key, 8, 88, NULL, NULL, &f->resp[0], &err),
	    0);
	start_prober(f, INTERVAL_MS);
	struct hb_target t = target(8, "127.0.0.1", hb_responder_port(f->resp[0]));
	set_targets(f, &t, 1);
	WAIT_FOR(f, hb_prober_peer(f->prober, 8)->have_report, DEADLINE_MS);
	const struct hb_reply *r = &hb_prober_peer(f->prober, 8)->report;
	assert_int_equal(r->power, HB_POWER_ON);
	assert_int_equal(r->system, HB_SYSTEM_RUNNING);
	assert_int_equal(r->crd_disks, CRD_UNIT_NOT_CONFIGURED);
	assert_int_equal(r->proto_min, 1);
	assert_int_equal(r->proto_max, 1);
	assert_string_equal(r->sw_version, "secluster");
	assert_true(hb_prober_peer(f->prober, 8)->skew_ms < 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_first_reply_and_report, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_misses_then_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_set_targets_keeps_state, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wrong_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_garbage_at_responder, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_responder_freshness, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_garbage_at_prober, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_superseded_reply_is_stale, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_skew, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ipv4_and_ipv6, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_prober_restart_same_incarnation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_set_interval, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stop_in_change, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retarget_in_change, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_args, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_default_report, setup, teardown),
	};

	if (auth_init() < 0 || auth_key_generate(&key) < 0 || auth_key_generate(&other_key) < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
