/* hb-sim — many simulated units answering the network heartbeat (bench/cm-cpu; issue 3
 * "What it must show": the Cluster Manager's CPU use with 64 simulated units at 1 Hz).
 *
 *   hb-sim --lab DIR [--sw-version V] [--duration S]
 *   hb-sim --key FILE --unit ID=ADDR [--unit ID=ADDR ...] [--sw-version V] [--duration S]
 *
 * Runs one heartbeat responder (cluster/hbnet.h) per unit on one libuv loop: with --lab,
 * every unit of DIR/lab.json marked "simulated" (`sectl lab up --sim-units N`) with the
 * lab's cluster key; else the units given. Each answers the Master MU's challenges as a
 * healthy unit would: power ON, system RUNNING, CRD disks NORMAL, protocol 1..1, software
 * version V (default: secd's, "0.2.0"). Prints "hb-sim: N responders ready" once every
 * socket is bound, runs until SIGTERM or SIGINT (or S seconds), then prints the summed
 * counters of hbmsg.h. Exit 0, 1 (a socket, the key, lab.json), 2 usage. By hand only. */
#include "cluster/hbnet.h"
#include "sectl/lab.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIM_MAX HB_UNITS_MAX

struct sim_unit {
	uint32_t id;
	char addr[HB_ADDR_MAX];
	struct hb_responder *resp;
};

struct sim {
	uv_loop_t loop;
	uv_signal_t sigterm, sigint;
	uv_timer_t timer;
	struct auth_key key;
	char sw_version[HB_SW_VERSION_BYTES + 1];
	unsigned n;
	struct sim_unit units[SIM_MAX];
	struct hb_counters sum; /* of every responder, taken when they stop */
};

static void report(void *arg, struct hb_reply *r)
{
	const struct sim *s = arg;

	r->power = HB_POWER_ON;
	r->system = HB_SYSTEM_RUNNING;
	r->crd_disks = CRD_UNIT_NORMAL;
	r->proto_min = 1;
	r->proto_max = 1;
	snprintf(r->sw_version, sizeof(r->sw_version), "%s", s->sw_version);
}

static int usage(void)
{
	fprintf(stderr, "usage: hb-sim --lab DIR [--sw-version V] [--duration S]\n"
			"       hb-sim --key FILE --unit ID=ADDR [--unit ID=ADDR ...] "
			"[--sw-version V] [--duration S]\n");
	return 2;
}

/* "17=127.0.0.1:20417" into the next unit. */
static int add_unit(struct sim *s, const char *arg)
{
	char *end;
	unsigned long id = strtoul(arg, &end, 10);

	if (end == arg || *end != '=' || id < 1 || id > HB_UNITS_MAX || s->n >= SIM_MAX ||
	    strlen(end + 1) >= HB_ADDR_MAX) {
		fprintf(stderr, "hb-sim: --unit '%s' is not ID=ADDR (ID 1..%d)\n", arg,
			HB_UNITS_MAX);
		return -EINVAL;
	}
	s->units[s->n].id = (uint32_t)id;
	snprintf(s->units[s->n].addr, HB_ADDR_MAX, "%s", end + 1);
	s->n++;
	return 0;
}

/* The simulated units of the lab in dir and its cluster key. */
static int from_lab(struct sim *s, const char *dir, struct sec_err *err)
{
	struct lab *lab = lab_new();
	char path[LAB_PATH_MAX];
	int r;

	if (!lab)
		return sec_errf(err, -ENOMEM, "out of memory");
	if ((r = lab_state_read(dir, lab, err)) < 0)
		goto out;
	for (int i = 0; i < lab->n_units && s->n < SIM_MAX; i++)
		if (lab->units[i].sim) {
			s->units[s->n].id = lab->units[i].unit_id;
			snprintf(s->units[s->n].addr, HB_ADDR_MAX, "%s", lab->units[i].heartbeat);
			s->n++;
		}
	if (!s->n)
		r = sec_errf(err, -ENOENT,
			     "the lab in '%s' has no simulated unit (sectl lab up "
			     "--sim-units N)",
			     dir);
	else
		r = auth_key_read_file(lab_path(lab, "cluster.key", path), &s->key, err);
out:
	lab_free(lab);
	return r;
}

static void stop_all(struct sim *s)
{
	for (unsigned i = 0; i < s->n; i++) {
		const struct hb_counters *c = hb_responder_counters(s->units[i].resp);
		s->sum.accepted += c->accepted;
		s->sum.sent += c->sent;
		s->sum.send_failed += c->send_failed;
		s->sum.malformed += c->malformed;
		s->sum.unauthenticated += c->unauthenticated;
		s->sum.stale_nonce += c->stale_nonce;
		hb_responder_stop(s->units[i].resp);
		s->units[i].resp = NULL;
	}
	uv_close((uv_handle_t *)&s->sigterm, NULL);
	uv_close((uv_handle_t *)&s->sigint, NULL);
	uv_close((uv_handle_t *)&s->timer, NULL);
}

static void on_signal(uv_signal_t *h, int sig)
{
	stop_all(h->data);
}

static void on_timer(uv_timer_t *t)
{
	stop_all(t->data);
}

static void print_counters(const struct hb_counters *c)
{
	printf("hb-sim: challenges answered %" PRIu64 ", replies sent %" PRIu64
	       ", send failed %" PRIu64 ", malformed %" PRIu64 ", unauthenticated %" PRIu64
	       ", stale %" PRIu64 "\n",
	       c->accepted, c->sent, c->send_failed, c->malformed, c->unauthenticated,
	       c->stale_nonce);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"lab", required_argument, NULL, 'l'},
					     {"key", required_argument, NULL, 'k'},
					     {"unit", required_argument, NULL, 'u'},
					     {"sw-version", required_argument, NULL, 'v'},
					     {"duration", required_argument, NULL, 'd'},
					     {0}};
	static struct sim s; /* ~20 KiB: not on the stack */
	const char *lab_dir = NULL, *key_file = NULL;
	struct sec_err err = {0};
	unsigned long duration_s = 0;
	uint64_t incarnation;
	int ch;

	snprintf(s.sw_version, sizeof(s.sw_version), "0.2.0"); /* SECD_SW_VERSION */
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'l':
			lab_dir = optarg;
			break;
		case 'k':
			key_file = optarg;
			break;
		case 'u':
			if (add_unit(&s, optarg) < 0)
				return 2;
			break;
		case 'v':
			snprintf(s.sw_version, sizeof(s.sw_version), "%s", optarg);
			break;
		case 'd':
			duration_s = strtoul(optarg, NULL, 10);
			break;
		default:
			return usage();
		}
	}
	if (optind < argc || !!lab_dir == !!key_file || (key_file && !s.n) || (lab_dir && s.n))
		return usage();
	if (sodium_init() < 0) {
		fprintf(stderr, "hb-sim: cannot initialise libsodium\n");
		return 1;
	}
	if ((lab_dir ? from_lab(&s, lab_dir, &err) : auth_key_read_file(key_file, &s.key, &err)) <
	    0) {
		fprintf(stderr, "hb-sim: %s\n", err.msg);
		return 1;
	}
	uv_loop_init(&s.loop);
	randombytes_buf(&incarnation, sizeof(incarnation));
	for (unsigned i = 0; i < s.n; i++)
		if (hb_responder_start(&s.loop, s.units[i].addr, &s.key, s.units[i].id,
				       incarnation + i, report, &s, &s.units[i].resp, &err) < 0) {
			fprintf(stderr, "hb-sim: unit %u: %s\n", s.units[i].id, err.msg);
			for (unsigned k = 0; k < i; k++)
				hb_responder_stop(s.units[k].resp);
			uv_run(&s.loop, UV_RUN_DEFAULT);
			return 1;
		}
	uv_signal_init(&s.loop, &s.sigterm);
	uv_signal_init(&s.loop, &s.sigint);
	uv_timer_init(&s.loop, &s.timer);
	s.sigterm.data = s.sigint.data = s.timer.data = &s;
	uv_signal_start(&s.sigterm, on_signal, SIGTERM);
	uv_signal_start(&s.sigint, on_signal, SIGINT);
	if (duration_s)
		uv_timer_start(&s.timer, on_timer, duration_s * 1000, 0);
	printf("hb-sim: %u responders ready\n", s.n);
	fflush(stdout);
	uv_run(&s.loop, UV_RUN_DEFAULT);
	print_counters(&s.sum);
	uv_loop_close(&s.loop);
	auth_key_wipe(&s.key);
	return 0;
}
