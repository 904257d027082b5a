/* secd — the daemon of one unit (architecture.md §2, §4; issue 3 "The daemon secd").
 *
 *   secd --role mu|su --config FILE   run the unit
 *   secd -n --config FILE             check FILE, print it normalised; exit 0, or 2
 *   secd --config-doc                 print the reference of every key (docs/secd-config.md)
 *
 * One libuv loop owns the state: a uv_poll per fd of the unit's CRD runtime (src/crd/unit.h),
 * a uv_timer for its next deadline, uv_signal for SIGTERM/SIGINT (clean shutdown: release
 * the master lease, write LEFT, exit 0) and SIGHUP (reload the configuration; unit id, role,
 * data directory and CRD paths need a restart). The only other threads are the CRD disk
 * threads. Exit status: 0 after a clean shutdown, 1 when the unit cannot start, 2 usage or
 * configuration error. */
#include "crd/timing.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "logbook/logbook.h"
#include "secd/secd.h"
#include "secd/su.h"
#include "su/iocfg.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#define SECD_DRAIN_POLL_MS 50 /* a stopped unit checks this often whether it may exit */

struct secd_opts {
	const char *config;
	const char *role; /* --role, checked against the file */
	bool check;       /* -n */
	bool config_doc;
	bool routes;
};

static struct secd_opts opts;

/* The usage on stderr, exit 2 (a usage error); with --help/-h on stdout, exit 0. */
static _Noreturn void usage_to(FILE *out, int status)
{
	fprintf(out, "usage: secd --role mu|su --config FILE\n"
		     "       secd -n --config FILE\n"
		     "       secd --config-doc\n"
		     "       secd --routes\n"
		     "       secd --version\n");
	exit(status);
}

static _Noreturn void usage(void)
{
	usage_to(stderr, 2);
}

static void secd_parse_args(int argc, char **argv, struct secd_opts *o)
{
	static const struct option longopts[] = {
		{"role", required_argument, NULL, 'r'},
		{"config", required_argument, NULL, 'c'},
		{"config-doc", no_argument, NULL, 'D'},
		{"routes", no_argument, NULL, 'R'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "nc:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'h': usage_to(stdout, 0);
		case 'V': printf("secd %s\n", SECLUSTER_VERSION); exit(0);
		case 'r': o->role = optarg; break;
		case 'c': o->config = optarg; break;
		case 'n': o->check = true; break;
		case 'D': o->config_doc = true; break;
		case 'R': o->routes = true; break;
		default: usage();
		}
	}
	if (o->routes && optind == argc)
		return;
	if (optind != argc || (!o->config_doc && !o->config) ||
	    (!o->config_doc && !o->check && !o->role))
		usage();
	if (o->role && strcmp(o->role, "mu") && strcmp(o->role, "su"))
		usage();
}

/* Reads the configuration; a bad file is exit 2 with the error naming key and line. */
static void secd_load_config(struct secd *d)
{
	struct sec_err err = {0};
	const char *file_role;

	if (secd_config_load(opts.config, &d->cfg, &err) < 0) {
		fprintf(stderr, "secd: %s\n", err.msg);
		exit(2);
	}
	file_role = d->cfg.role == SECD_ROLE_MU ? "mu" : "su";
	if (opts.role && strcmp(opts.role, file_role)) {
		fprintf(stderr, "secd: --role '%s' differs from key 'role' ('%s') in '%s'\n",
			opts.role, file_role, opts.config);
		exit(2);
	}
	snprintf(d->who, sizeof(d->who), "unit '%s' (%s, unit %u)", d->cfg.name,
		 secd_role_to_string((enum secd_role)d->cfg.role), d->cfg.unit_id);
}

/* secd -n of an SU also reads its I/O configuration (docs/su.md), which the SU needs to
 * start: 0 when it parses or does not exist yet (a warning: the SU will not start without
 * it), 2 when it is there but wrong (the error names file:line:field). */
static int secd_check_io_config(const struct secd *d)
{
	struct su_iocfg *io;
	struct sec_err err = {0};
	int r;

	if (d->cfg.role != SECD_ROLE_SU)
		return 0;
	if (!(io = malloc(sizeof(*io)))) {
		fprintf(stderr, "secd: out of memory\n");
		return 2;
	}
	r = su_iocfg_load(d->cfg.su_io_config, io, &err);
	free(io);
	if (r == -ENOENT) {
		log_warnx("%s: io_config '%s' does not exist yet: the SU does not start without "
			  "its I/O configuration (docs/su.md)", d->who, d->cfg.su_io_config);
		return 0;
	}
	if (r < 0) {
		fprintf(stderr, "secd: %s\n", err.msg);
		return 2;
	}
	return 0;
}

/* An operator who forgot key 'profile' gets the lab's short timings: say so (also for -n). */
static void secd_warn_profile(const struct secd *d)
{
	if (d->cfg.profile_defaulted)
		log_warnx("%s: no 'profile' in [timing] of '%s': using the lab profile "
			  "(fence_timeout %u ms); real hosts need 'profile = production' "
			  "(docs/install.md \"The timing parameters\")",
			  d->who, opts.config, d->cfg.timing.fence_ms);
}

/* The Master MU belief log, DATA_DIR/master.log, one line per belief report on
 * CLOCK_MONOTONIC (comparable between the processes of one host; testing.md oracle, the
 * format of tests/fault/crd-contender.c):
 *   B UNIT INCARNATION TERM START_NS UNTIL_NS   belief started or extended (computed expiry)
 *   E UNIT INCARNATION TERM START_NS END_NS     belief ended (expiry or step-down)
 * Unbuffered write(2): after kill -9 the last line is in the file. At most
 * SECD_MASTER_LOG_MAX bytes (a Master MU writes a line per renewal). */
#define SECD_MASTER_LOG_MAX (1 << 20)
static void secd_belief_log(struct secd *d, bool held, uint64_t now_ns, uint64_t until_ns,
			    uint64_t term)
{
	static int fd = -2;
	static int64_t boot_to_mono;
	static uint64_t start_mono;
	char buf[200];
	int n;

	if (fd == -2) {
		char path[SECD_PATH_MAX + 16];
		snprintf(path, sizeof(path), "%s/master.log", d->cfg.data_dir);
		fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		boot_to_mono = (int64_t)clock_monotonic_ns() - (int64_t)clock_boottime_ns();
	}
	if (fd < 0)
		return;
	if (held && !start_mono)
		start_mono = (uint64_t)((int64_t)now_ns + boot_to_mono);
	n = snprintf(buf, sizeof(buf), "%c %u %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
		     held ? 'B' : 'E', d->cfg.unit_id, d->incarnation, term, start_mono,
		     (uint64_t)((int64_t)until_ns + boot_to_mono));
	/* bounded: past SECD_MASTER_LOG_MAX the file starts again (the next line restates the
	 * belief interval that is open, so the oracle loses only closed intervals) */
	if (lseek(fd, 0, SEEK_END) > SECD_MASTER_LOG_MAX && ftruncate(fd, 0) < 0)
		log_warn("%s: cannot truncate the master log", d->who);
	if (n > 0 && write(fd, buf, (size_t)n) != n)
		log_warn("%s: cannot write the master log", d->who);
	if (!held)
		start_mono = 0;
}

/* Master MU transitions, from the lease driver's belief reports (crd.md §5). */
static void secd_on_belief(void *arg, bool held, uint64_t now_ns, uint64_t until_ns,
			   uint64_t term)
{
	struct secd *d = arg;

	secd_belief_log(d, held, now_ns, until_ns, term);
	if (held && !d->master)
		log_info("%s: Master MU (term %" PRIu64 ")", d->who, term);
	else if (!held && d->master)
		log_info("%s: no longer Master MU (term %" PRIu64 "; the lease ran out %.3f s ago)",
			 d->who, term,
			 now_ns > until_ns ? (double)(now_ns - until_ns) / 1e9 : 0.0);
	if (held && !d->master)
		secd_global_sync(d); /* the Cluster Manager's topology: the newest global data */
	d->master = held;
	d->master_term = term;
	if (d->mgr)
		secd_manager_set_master(d->mgr, held);
}

/* CRD disk status changes of this unit: events of component CRD (status.md §5). */
static void secd_on_crd_event(void *arg, const struct crd_status_event *ev)
{
	struct secd *d = arg;

	secd_event(d, (int)ev->weight, "CRD", "%s", ev->msg);
	secd_force_on_crd_change(d);
}

uint64_t secd_now_ms(void)
{
	return clock_boottime_ns() / NSEC_PER_MSEC;
}

static void secd_start_unit(struct secd *d)
{
	struct sec_err err = {0};
	struct crd_unit_cfg uc = {
		.unit_id = d->cfg.unit_id,
		.role = d->cfg.role == SECD_ROLE_MU ? CRD_UNIT_MU : CRD_UNIT_SU,
		.data_dir = d->cfg.data_dir,
		.internal = d->cfg.internal[0] ? d->cfg.internal : NULL,
		.n_external = (int)d->cfg.n_external,
		.unsafe_fs = d->cfg.unsafe_crd_fs,
		.timing = d->cfg.timing,
		.realtime = true,
		.belief_cb = secd_on_belief,
		.belief_arg = d,
		.name = d->cfg.name,
		/* MUs watch every alive message; SUs too: an LM in doubt needs the partner's
		 * dead verdict (crd.md §6) */
		.observe = true,
		.crd_event_cb = secd_on_crd_event,
		.crd_event_arg = d,
		/* an SU forwards every renewal to its sec-guard (crd.md §4 layer 2) */
		.renew_cb = d->cfg.role == SECD_ROLE_SU ? secd_su_on_renew : NULL,
		.renew_arg = d,
	};

	for (uint32_t i = 0; i < d->cfg.n_external; i++)
		uc.external[i] = d->cfg.external[i];
	if (crd_unit_start(&uc, &d->unit, &err) < 0) {
		log_warnx("%s: cannot start: %s", d->who, err.msg);
		exit(1);
	}
	d->incarnation = crd_unit_incarnation(d->unit);
	log_info("%s: started on %u external CRD disk%s (incarnation %016" PRIx64 ")", d->who,
		 d->cfg.n_external, d->cfg.n_external > 1 ? "s" : "", d->incarnation);
}

/* A unit that cannot run after its CRD runtime started leaves cleanly (slot LEFT), so that
 * nobody waits for it, then exits 1. */
static _Noreturn void secd_start_failed(struct secd *d, const char *what, const char *why)
{
	log_warnx("%s: cannot start: %s: %s", d->who, what, why);
	crd_unit_stop(d->unit, false);
	while (!crd_unit_stopped(d->unit)) {
		uint64_t now = clock_boottime_ns(), next = crd_unit_next_ns(d->unit);
		if (next > now)
			usleep((useconds_t)((next - now) / 1000u < 20000u ? (next - now) / 1000u : 20000u));
		crd_unit_run(d->unit);
	}
	d->unit = crd_unit_free(d->unit);
	exit(1);
}

/* Everything besides the CRD runtime: the global data, the cluster key, the logbook. */
static void secd_start_services(struct secd *d)
{
	struct sec_err err = {0};
	char path[SECD_PATH_MAX + 32];

	if (auth_key_read_file(d->cfg.key_file, &d->cluster_key, &err) < 0)
		secd_start_failed(d, "the cluster key", err.msg);
	if (secd_global_load(d, &err) < 0)
		secd_start_failed(d, "the global data", err.msg);
	snprintf(path, sizeof(path), "%s/logbook.db", d->cfg.data_dir);
	if (lbq_start(path, d->cfg.unit_id, d->incarnation, &d->lbq, &err) < 0)
		secd_start_failed(d, "the logbook", err.msg);
	secd_snapshot_init(d);
}

/* The heartbeat reply of this unit (status.md §1: power, system, CRD disks, versions). */
static void secd_hb_report(void *arg, struct hb_reply *r)
{
	struct secd *d = arg;
	enum crd_disk_status disks[CRD_SET_DISKS_MAX];
	uint32_t n = 0;

	r->power = HB_POWER_ON;
	r->system = d->stopping ? HB_SYSTEM_DOWN : HB_SYSTEM_RUNNING;
	r->crd_disks = crd_unit_crd_status(d->unit, disks, &n);
	r->proto_min = SECD_PROTO_MIN;
	r->proto_max = SECD_PROTO_MAX;
	snprintf(r->sw_version, sizeof(r->sw_version), "%s", SECD_SW_VERSION);
}

static void secd_start_net(struct secd *d)
{
	struct sec_err err = {0};

	if (hb_responder_start(&d->loop, d->cfg.heartbeat_listen, &d->cluster_key, d->cfg.unit_id,
			       d->incarnation, secd_hb_report, d, &d->responder, &err) < 0)
		secd_start_failed(d, "the network heartbeat", err.msg);
	if (httpc_new(&d->loop, d->cfg.unit_id, d->incarnation, &d->cluster_key, &d->httpc, &err) < 0)
		secd_start_failed(d, "the HTTP client", err.msg);
	if (secd_api_start(d, &err) < 0)
		secd_start_failed(d, "the REST API", err.msg);
	if (d->cfg.role == SECD_ROLE_MU) {
		if (secd_manager_new(d, &d->mgr, &err) < 0 || secd_repl_new(d, &d->repl) < 0)
			secd_start_failed(d, "the Cluster Manager", err.msg);
		if (d->master)
			secd_manager_set_master(d->mgr, true);
	}
	secd_event(d, LB_NOTICE, d->cfg.role == SECD_ROLE_MU ? "M2000" : "X2000", "%s activated",
		   d->cfg.role == SECD_ROLE_MU ? "M2000" : "X2000");
}

static void secd_on_lbq(uv_poll_t *p, int status, int events)
{
	struct secd *d = p->data;

	if (d->lbq)
		lbq_dispatch(d->lbq);
}

/* Shutdown order: the logbook first (its queued jobs still reply to API requests and store
 * the last events), then the API, the client (pending calls end with -ECANCELED), the
 * Cluster Manager and replication, the heartbeat. */
static void secd_stop_services(struct secd *d)
{
	d->lbq = lbq_stop(d->lbq);
	uv_close((uv_handle_t *)&d->lbq_poll, NULL);
	if (d->api)
		api_server_stop(d->api, NULL, NULL);
	if (d->httpc)
		httpc_free(d->httpc, NULL, NULL);
	d->api = NULL;
	d->httpc = NULL;
	secd_repl_free(d->repl);
	secd_manager_free(d->mgr);
	secd_global_close(d);
	d->repl = NULL;
	d->mgr = NULL;
	if (d->responder) {
		const struct hb_counters *c = hb_responder_counters(d->responder);
		log_info("%s: network heartbeat: %" PRIu64 " challenges answered, %" PRIu64
			 " datagrams dropped (%" PRIu64 " malformed, %" PRIu64 " unauthenticated, %"
			 PRIu64 " stale)", d->who, c->accepted,
			 c->malformed + c->unauthenticated + c->stale_nonce, c->malformed,
			 c->unauthenticated, c->stale_nonce);
		hb_responder_stop(d->responder);
	}
	d->responder = NULL;
}

static void secd_close_handles(struct secd *d)
{
	secd_stop_services(d);
	for (int i = 0; i < d->npolls; i++)
		uv_close((uv_handle_t *)&d->polls[i], NULL);
	uv_close((uv_handle_t *)&d->timer, NULL);
	uv_close((uv_handle_t *)&d->sigterm, NULL);
	uv_close((uv_handle_t *)&d->sigint, NULL);
	uv_close((uv_handle_t *)&d->sighup, NULL);
}

static void secd_on_timer(uv_timer_t *t);

/* Runs the unit, then re-arms the timer for its next deadline, or ends the loop once a
 * clean shutdown is complete. */
void secd_step(struct secd *d)
{
	uint64_t now, next;

	if (d->closed)
		return;
	crd_unit_run(d->unit);
	secd_force_poll(d);
	if (d->stopping && crd_unit_stopped(d->unit)) {
		if (!d->drain.crd_stopped && crd_unit_stop_result(d->unit) == 0)
			log_info("%s: stopped (%s)", d->who,
				 d->drain.restarting ? "slot RESTARTING: its guests keep running under "
						       "sec-guard until fence_timeout"
				 : d->cfg.role == SECD_ROLE_MU ? "slot LEFT, master lease released"
							       : "slot LEFT");
		else if (!d->drain.crd_stopped)
			log_warnx("%s: stopped after 2 x io_timeout (%u ms) before the lease release "
				  "and the last slot write had completed", d->who,
				  2 * d->cfg.timing.io_ms);
		d->drain.crd_stopped = true;
		if (!secd_drain_done(d)) { /* its last events are still to be pulled */
			uv_timer_start(&d->timer, secd_on_timer, SECD_DRAIN_POLL_MS, 0);
			return;
		}
		secd_close_handles(d);
		d->closed = true;
		return;
	}
	now = clock_boottime_ns();
	next = crd_unit_next_ns(d->unit);
	uv_timer_start(&d->timer, secd_on_timer,
		       next <= now ? 0 : (next - now + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC, 0);
}

static void secd_on_timer(uv_timer_t *t)
{
	secd_step(t->data);
}

static void secd_on_poll(uv_poll_t *p, int status, int events)
{
	secd_step(p->data);
}

void secd_stop(struct secd *d, const char *why)
{
	if (d->stopping || d->closed)
		return;
	log_info("%s: %s: stopping", d->who, why);
	d->stopping = true;
	secd_drain_start(d);
	secd_event(d, LB_NOTICE, d->cfg.role == SECD_ROLE_MU ? "M2000" : "X2000", "%s deactivated",
		   d->cfg.role == SECD_ROLE_MU ? "M2000" : "X2000");
	/* an SU whose guard still runs guests writes RESTARTING, never LEFT (crd.md §4) */
	d->drain.restarting = secd_su_has_guests(d);
	crd_unit_stop(d->unit, d->drain.restarting);
	secd_su_stop(d);
	uv_timer_start(&d->timer, secd_on_timer, 0, 0); /* not secd_step(): we may be inside it */
}

static void secd_on_term(uv_signal_t *s, int signum)
{
	secd_stop(s->data, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

/* SIGHUP: reload; restart-only keys keep their old value; new timings go to the unit,
 * which advertises them before it runs under them (crd.md §4). */
static void secd_on_hup(uv_signal_t *s, int signum)
{
	struct secd *d = s->data;
	struct secd_config n;
	struct sec_err err = {0};
	const struct secd_option *table;
	size_t nopts;
	char a[2 * SECD_PATH_MAX + 2], b[2 * SECD_PATH_MAX + 2];

	if (d->stopping || d->closed)
		return;
	if (secd_config_load(d->config_path, &n, &err) < 0) {
		log_warnx("%s: reload: %s; keeping the running configuration", d->who, err.msg);
		return;
	}
	/* timings first: refused ones keep their running values and are not logged as changed */
	if (crd_timing_validate(&n.timing, &err) < 0 ||
	    crd_unit_set_timing(d->unit, &n.timing, &err) < 0) {
		log_warnx("%s: reload: timings: %s; keeping the running timings", d->who, err.msg);
		n.timing = d->cfg.timing;
		n.profile = d->cfg.profile;
	}
	table = secd_config_options(&nopts);
	for (size_t i = 0; i < nopts; i++) {
		const struct secd_option *o = &table[i];
		if (secd_config_value(&d->cfg, o, a, sizeof(a)) < 0 ||
		    secd_config_value(&n, o, b, sizeof(b)) < 0 || !strcmp(a, b))
			continue;
		if (o->flags & SECD_OPT_RESTART) {
			log_warnx("%s: reload: key '%s' changed from '%s' to '%s': needs a restart; "
				  "keeping '%s'", d->who, o->key, a, b, a);
			secd_config_copy_option(&n, &d->cfg, o);
		} else {
			log_info("%s: reload: key '%s' is now '%s' (was '%s')", d->who, o->key, b, a);
		}
	}
	if (n.hb_interval_ms != d->cfg.hb_interval_ms && d->mgr)
		secd_manager_set_interval(d->mgr, n.hb_interval_ms);
	d->cfg = n;
	snprintf(d->who, sizeof(d->who), "unit '%s' (%s, unit %u)", d->cfg.name,
		 secd_role_to_string((enum secd_role)d->cfg.role), d->cfg.unit_id);
	secd_step(d);
}

static void secd_start_loop(struct secd *d)
{
	struct sec_err err = {0};
	int fds[CRD_UNIT_FDS_MAX];

	if (uv_loop_init(&d->loop) < 0)
		fatalx("cannot start the event loop");
	d->npolls = crd_unit_fds(d->unit, fds);
	for (int i = 0; i < d->npolls; i++) {
		uv_poll_init(&d->loop, &d->polls[i], fds[i]);
		d->polls[i].data = d;
		uv_poll_start(&d->polls[i], UV_READABLE, secd_on_poll);
	}
	uv_timer_init(&d->loop, &d->timer);
	d->timer.data = d;
	uv_signal_init(&d->loop, &d->sigterm);
	uv_signal_init(&d->loop, &d->sigint);
	uv_signal_init(&d->loop, &d->sighup);
	d->sigterm.data = d->sigint.data = d->sighup.data = d;
	uv_signal_start(&d->sigterm, secd_on_term, SIGTERM);
	uv_signal_start(&d->sigint, secd_on_term, SIGINT);
	uv_signal_start(&d->sighup, secd_on_hup, SIGHUP);
	uv_poll_init(&d->loop, &d->lbq_poll, lbq_fd(d->lbq));
	d->lbq_poll.data = d;
	uv_poll_start(&d->lbq_poll, UV_READABLE, secd_on_lbq);
	if (secd_global_sync_start(d, &err) < 0)
		secd_start_failed(d, "the global data", err.msg);
	if (d->cfg.role == SECD_ROLE_SU && secd_su_start(d, &err) < 0)
		secd_start_failed(d, "the Server Unit", err.msg);
	secd_start_net(d);
	secd_step(d);
}

static void secd_finish(struct secd *d)
{
	uv_loop_close(&d->loop);
	d->unit = crd_unit_free(d->unit);
	secd_su_free(d); /* after the unit: its cancelled region jobs still use it */
	secd_force_free(d);
	secd_global_free(d);
	secd_snapshot_free(d);
	d->global = cluster_global_free(d->global);
	auth_key_wipe(&d->cluster_key);
}

int main(int argc, char **argv)
{
	static struct secd d;
	sigset_t sigs;

	secd_parse_args(argc, argv, &opts);
	if (opts.routes) {
		secd_api_print_routes(stdout);
		return 0;
	}
	if (opts.config_doc) {
		secd_config_doc(stdout);
		return 0;
	}
	secd_load_config(&d);
	log_init("secd", 0);
	secd_warn_profile(&d);
	if (opts.check) {
		secd_config_print(&d.cfg, stdout);
		return secd_check_io_config(&d);
	}
	/* SIGTERM/SIGINT/SIGHUP wait (pending) until the loop handles them: a stop asked for
	 * during the start still ends with the lease released and the slot LEFT */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	d.config_path = opts.config;
	secd_start_unit(&d);
	secd_start_services(&d);
	secd_start_loop(&d);
	sigprocmask(SIG_UNBLOCK, &sigs, NULL);
	uv_run(&d.loop, UV_RUN_DEFAULT);
	secd_finish(&d);
	return 0;
}
