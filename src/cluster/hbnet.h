/* hbnet.h — the network heartbeat of the Cluster Manager: the UDP transport and the
 * per-unit bookkeeping around the datagrams of hbmsg.h (issue 3 "Master MU and the
 * Cluster Manager"; status.md §1 "Network heartbeat"; architecture.md §4; seed 1.2
 * "Heartbeat"; docs/heartbeat.md).
 *
 * Every unit runs a RESPONDER on its heartbeat address: it answers each valid, fresh
 * CHALLENGE with a REPLY sent to the challenge's source address, and nothing else. The
 * Master MU runs a PROBER: every interval_ms (status.md hb_interval, 1 s) it sends each
 * target unit a CHALLENGE with a fresh nonce. One challenge per unit is open at a time: a
 * challenge still unanswered when the next one goes out counts one miss; a reply that
 * does not answer the open challenge (superseded, replayed, unknown unit) is stale. The
 * caller turns misses into the status: NOT_ACCESSIBLE when missed >= hb_misses (3),
 * NORMAL again at the first reply (missed back to 0).
 *
 *     // every unit
 *     struct hb_responder *resp;
 *     hb_responder_start(loop, "127.0.0.1:7401", &cluster_key, my_unit, my_incarnation,
 *                        fill_report, ctx, &resp, &err);
 *     ...
 *     hb_responder_stop(resp);                      // freed once libuv closed the socket
 *
 *     // the Master MU (while it holds the lease)
 *     struct hb_prober *p;
 *     hb_prober_start(loop, &cluster_key, my_unit, my_incarnation, 1000, on_change, ctx,
 *                     &p, &err);
 *     hb_prober_set_targets(p, targets, n, &err);   // right away: joins the first round
 *     ...in on_change(ctx, unit): const struct hb_peer *h = hb_prober_peer(p, unit);
 *     hb_prober_stop(p);
 *
 * Datagrams from anywhere are read; each is decoded with the cluster key and counted in
 * struct hb_counters (hbmsg.h): malformed, unauthenticated (HMAC), stale, accepted. No
 * datagram, however broken, does anything but move a counter. Sends use uv_udp_try_send()
 * (never block); a failed send is counted (send_failed) and changes nothing else, so a
 * unit that is down never stops the probing of the others.
 *
 * Freshness at the responder: per master unit it keeps the master's incarnation and the
 * highest sequence number answered, and answers only a challenge above that mark (or of a
 * new incarnation; the last HB_RETIRED incarnations per master are refused). A captured
 * challenge replayed — from any source address — gets no answer, so the responder cannot
 * be used as a reflector. The prober's sequence numbers start at CLOCK_BOOTTIME in µs at
 * hb_prober_start(), so a prober restarted in the same process with the same incarnation
 * (a Master MU that lost and regained the lease) stays above the responders' marks.
 *
 * Times: misses, rtt and last_reply_ms use CLOCK_BOOTTIME (lib/clock.h) in ms; the wall
 * clock (CLOCK_REALTIME) is read only for the reply's wall_ms and the skew (status.md §5
 * clock-skew WARNING), never for a decision here. The interval runs on a uv_timer (the
 * loop's monotonic clock).
 *
 * Threading: every function, and both callbacks, run on the thread of the loop the object
 * was started on. Objects stop asynchronously: *_stop() closes the uv handles and the
 * memory is freed in the last close callback, so the loop must run (uv_run) afterwards.
 * After *_stop() the pointer must not be used again. */
#ifndef SEC_CLUSTER_HBNET_H
#define SEC_CLUSTER_HBNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "auth/key.h"
#include "cluster/hbmsg.h"
#include "lib/err.h"

#define HB_ADDR_MAX  64	 /* "[IPv6]:port" with its NUL */
#define HB_RETIRED   8	 /* retired master incarnations remembered per master by a responder */
#define HB_UNITS_MAX 256 /* unit ids are 1..256 (docs/decisions.md) */

/* Parses "IPv4:port" or "[IPv6]:port" (IP literals only, no names) into *ret (written
 * only on success). port 0 is accepted only when allow_port0 (a listen address: "any
 * port"). Returns 0 or -EINVAL. */
int hb_addr_parse(const char *s, bool allow_port0, struct sockaddr_storage *ret);

/* ---- responder: every unit ---- */

struct hb_responder;

/* Fills what the unit reports (status.md §1): power, system, crd_disks, proto_min,
 * proto_max, sw_version. r arrives zeroed; unit, incarnation, seq and nonce are filled by
 * hbnet after the call (whatever the callback wrote there is replaced). wall_ms is the
 * unit's CLOCK_REALTIME in ms unless the callback sets a non-zero value (a test hook for
 * skew). A report that hbmsg would refuse (a status out of range, proto_min > proto_max, a
 * non-printable version) is not sent and counts send_failed. Runs on the loop thread,
 * once per answered challenge; must not block. */
typedef void hb_report_fn(void *arg, struct hb_reply *r);

/* Opens a UDP socket on listen ("127.0.0.1:7401", "[::1]:7401"; port 0 = an ephemeral
 * port, see hb_responder_port()) and answers challenges as unit `unit` (1..256) of
 * incarnation `incarnation`. key is copied (wiped when freed). report may be NULL: then
 * the reply says ON, RUNNING, CRD disks NOT_CONFIGURED, protocol 1..1, sw_version
 * "secluster". Returns 0 and *ret, or -EINVAL (bad address or unit; message names it),
 * -EIO (libsodium), -ENOMEM, or the -errno of bind (message names the address; what was
 * allocated is freed when the loop runs next). */
int hb_responder_start(uv_loop_t *loop, const char *listen, const struct auth_key *key,
		       uint32_t unit, uint64_t incarnation, hb_report_fn *report, void *arg,
		       struct hb_responder **ret, struct sec_err *reterr);
/* The bound UDP port (host order); 0 if unknown. */
uint16_t hb_responder_port(const struct hb_responder *r);
/* accepted: challenges answered (or whose answer failed to send: send_failed); malformed,
 * unauthenticated: dropped datagrams; stale_nonce: authenticated challenges at or below a
 * master's mark (replays), not answered; sent: replies sent. Valid until stop. */
const struct hb_counters *hb_responder_counters(const struct hb_responder *r);
/* Closes the socket — the port is free again when this returns, so a responder on the
 * same address may start right away (SIGHUP with a new heartbeat_listen) — and frees the
 * object once libuv has run the close callback. NULL is accepted. */
void hb_responder_stop(struct hb_responder *r);

/* ---- prober: the Master MU ---- */

struct hb_prober;

struct hb_target {
	uint32_t unit;		/* 1..256, unique within a target list */
	char addr[HB_ADDR_MAX]; /* the unit's heartbeat address, "IPv4:port" or "[IPv6]:port" */
};

/* What the Master MU knows of one unit. Times are CLOCK_BOOTTIME ms. */
struct hb_peer {
	uint32_t unit;
	uint32_t missed;	/* challenges missed in a row (0 after a reply) */
	uint64_t last_reply_ms; /* 0 = never */
	bool have_report;	/* report holds the unit's last reply (kept while it misses) */
	struct hb_reply report;
	uint64_t report_ms; /* when report arrived */
	bool skew_known;
	uint32_t skew_ms; /* |unit wall - master wall at the midpoint of send and receive| */
	uint32_t rtt_ms;  /* of the last reply */
};

/* A reply arrived for unit (missed is 0), or unit's missed count went up. Called after
 * the state changed; the callback may call hb_prober_peer(), hb_prober_set_targets() and
 * hb_prober_stop(). */
typedef void hb_change_fn(void *arg, uint32_t unit);

/* Starts probing as master unit master_unit (1..256) of incarnation master_incarnation:
 * a round of challenges every interval_ms (>= 1), the first on the next loop iteration
 * (not after one interval). There are no targets yet: set them with
 * hb_prober_set_targets() before the loop runs again to have them in the first round.
 * key is copied (wiped when freed). change may be NULL. Returns 0 and *ret, -EINVAL (unit,
 * interval), -EIO (libsodium), -ENOMEM. Sockets are opened by hb_prober_set_targets(). */
int hb_prober_start(uv_loop_t *loop, const struct auth_key *key, uint32_t master_unit,
		    uint64_t master_incarnation, uint32_t interval_ms, hb_change_fn *change,
		    void *arg, struct hb_prober **ret, struct sec_err *reterr);

/* Replaces the target list with t[0..n-1] (n may be 0). A unit listed before keeps its
 * state (missed, last reply, report, its open challenge) even when its address changed;
 * a new unit starts with nothing and gets its first challenge in the next round; a unit
 * no longer listed is forgotten. Opens the prober's socket for the address family of the
 * targets on first need (one per family, bound to the wildcard address, ephemeral port).
 * All or nothing: on error the old list stays. Returns 0, -EINVAL (a bad address, a unit
 * outside 1..256 or listed twice, n > 256; the message names the unit and the address),
 * -ENOMEM, or the -errno of opening the socket. */
int hb_prober_set_targets(struct hb_prober *p, const struct hb_target *t, size_t n,
			  struct sec_err *reterr);
/* Changes the interval (>= 1 ms, else -EINVAL): the next round goes out interval_ms from
 * now; challenges open now stay open until then (SIGHUP with a new hb_interval). */
int hb_prober_set_interval(struct hb_prober *p, uint32_t interval_ms);
/* The state of unit, NULL if unit is not a target. Valid until the next
 * hb_prober_set_targets() or hb_prober_stop(). */
const struct hb_peer *hb_prober_peer(const struct hb_prober *p, uint32_t unit);
/* accepted: replies that answered the open challenge; malformed, unauthenticated: dropped
 * datagrams; stale_nonce: authenticated replies that answer no open challenge (late,
 * replayed, unknown unit); sent, send_failed: challenges. Valid until stop. */
const struct hb_counters *hb_prober_counters(const struct hb_prober *p);
/* Stops the timer, closes the sockets; frees once libuv has closed them. NULL is
 * accepted. No callback runs after it returns. */
void hb_prober_stop(struct hb_prober *p);

#endif
