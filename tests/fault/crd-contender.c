/* crd-contender — the CRD part of one MU, on real CRD files: its alive message, its own
 * region and the master lease. Used by the fault tier, bench/ and `make demo`
 * (testing.md "Oracles strong enough for the safety claims"); secd will run the same
 * pieces on its event loop.
 *
 *   crd-contender --unit-id N --disk PATH [--disk PATH2] --log FILE [--internal PATH]
 *                 [--profile test|lab|production] [--devcount] [--duration-ms MS]
 *   crd-contender --read-devcount --disk PATH [--disk PATH2]
 *
 * Runs the real lease driver (src/crd/leasedrv.c over the disk threads of io.c), renews its
 * slot every renew_interval (LEFT on SIGTERM), writes its region once at start. It appends
 * to FILE, one line per event, on CLOCK_MONOTONIC (comparable between processes):
 *   B UNIT INCARNATION TERM START_NS UNTIL_NS   belief started or extended (computed expiry)
 *   E UNIT INCARNATION TERM START_NS END_NS     belief ended (expiry or step-down)
 *   A UNIT INCARNATION VALUE                     devcount increment acknowledged
 * A process killed with SIGKILL writes nothing more: the checker closes its last interval at
 * the last UNTIL it logged, which is what the process itself computed. With --devcount the
 * master increments a counter in region 0 once per renewal while it holds the lease.
 * SIGTERM releases the lease (R4) and exits 0. Faults come from SECLUSTER_FAULT_FILE. */
#include "crd/alive.h"
#include "crd/disk.h"
#include "crd/format.h"
#include "crd/io.h"
#include "crd/leasedrv.h"
#include "crd/region.h"
#include "crd/timing.h"
#include "crd/unit.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/parse.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

struct contender {
	uint32_t unit;
	uint64_t incarnation;
	int logfd;
	uint64_t start_mono;
	int64_t boot_to_mono; /* monotonic = boottime + this */
	struct crd_region_disks rd;
	/* the devcount (--devcount): dc_pending on the main loop; the rest on the region
	 * thread only */
	bool dc_pending;
	uint64_t dc_next_ns;
	struct crd_region_writer *r0w; /* the unit's region-0 writer (shared with its resync) */
	uint64_t dc_term, dc_count;
	struct crd_timing timing;
};

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	stop = 1;
}

static void logline(struct contender *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void logline(struct contender *c, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0 && write(c->logfd, buf, (size_t)n) != n)
		fatal("write log");
}

static uint64_t to_mono(const struct contender *c, uint64_t boot_ns)
{
	return (uint64_t)((int64_t)boot_ns + c->boot_to_mono);
}

static void on_belief(void *arg, bool held, uint64_t now, uint64_t until, uint64_t term)
{
	struct contender *c = arg;

	if (held) {
		if (!c->start_mono)
			c->start_mono = to_mono(c, now);
		logline(c, "B %u %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", c->unit,
			c->incarnation, term, c->start_mono, to_mono(c, until));
	} else {
		logline(c, "E %u %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", c->unit,
			c->incarnation, term, c->start_mono, to_mono(c, until));
		c->start_mono = 0;
	}
}

static uint64_t devcount_parse(const struct crd_region_read *r)
{
	const char *p = r->found ? strstr(r->payload, "\"devcount\":") : NULL;

	return p ? strtoull(p + 11, NULL, 10) : 0;
}

/* The devcount (testing.md oracle): while this process believes it is the master, the main
 * loop submits one job per renew_interval to the unit's region thread, which increments a
 * counter in region 0. The job uses the unit's region-0 writer, the one the unit's resync of
 * a returning disk uses too (crd_unit_region_writer), so generations never go back. On each
 * new term it first reads region 0 from every external disk (the master is the only writer
 * of region 0, so afterwards its own last committed value is the truth; decisions.md); each
 * increment is a region-0 write with not_after = the lease validity (R1), acknowledged ("A"
 * line) only when committed. */
struct devcount_job {
	struct crd_rjob job; /* first member */
	struct contender *c;
	uint64_t term, until;
};

static void devcount_run(struct crd_rjob *j, const struct crd_region_disks *rd)
{
	struct devcount_job *dj = (struct devcount_job *)j;
	struct contender *c = dj->c;
	char payload[64];
	int n;

	if (clock_boottime_ns() >= dj->until)
		return;
	if (dj->term != c->dc_term) {
		struct crd_region_read r;
		bool all = crd_region_read(rd, 0, &r, NULL) == 0 && !r.internal_only;
		for (int i = 0; all && i < rd->next; i++)
			all = r.disk_result[rd->ext[i]] == 0;
		if (all) {
			c->dc_count = devcount_parse(&r);
			crd_region_writer_init(c->r0w, 0, c->unit, c->incarnation,
					       r.found ? r.hdr.generation : 0);
			crd_region_writer_order_from(c->r0w, &r);
			c->dc_term = dj->term;
		}
		crd_region_read_release(&r);
		if (!all)
			return;
	}
	n = snprintf(payload, sizeof(payload), "{\"devcount\":%" PRIu64 "}", c->dc_count + 1);
	if (crd_region_write(rd, c->r0w, dj->term, payload, (size_t)n, dj->until, NULL, NULL) == 0) {
		c->dc_count++;
		logline(c, "A %u %" PRIu64 " %" PRIu64 "\n", c->unit, c->incarnation, c->dc_count);
	}
}

static void devcount_done(struct crd_rjob *j)
{
	struct devcount_job *dj = (struct devcount_job *)j;

	dj->c->dc_pending = false;
	free(dj);
}

/* Main loop: the next increment while the master lease is held. */
static void devcount_tick(struct contender *c, struct crd_unit *u)
{
	struct crd_unit_master m = crd_unit_master(u);
	uint64_t now = clock_boottime_ns();
	struct devcount_job *dj;

	if (c->dc_pending || !m.held || now >= m.valid_until || now < c->dc_next_ns)
		return;
	dj = calloc(1, sizeof(*dj));
	if (!dj)
		return;
	*dj = (struct devcount_job){.job = {.run = devcount_run, .done = devcount_done}, .c = c,
				    .term = m.term, .until = m.valid_until};
	if (crd_unit_region_submit(u, &dj->job) < 0) {
		free(dj);
		return;
	}
	c->dc_pending = true;
	c->dc_next_ns = now + (uint64_t)c->timing.renew_ms * NSEC_PER_MSEC;
}

/* --read-devcount: prints the devcount of region 0 (highest copy on the given disks). */
static int devcount_print(struct contender *c)
{
	struct crd_region_read r;
	struct sec_err err = {0};

	if (crd_region_read(&c->rd, 0, &r, &err) < 0)
		fatalx("%s", err.msg);
	printf("%" PRIu64 "\n", devcount_parse(&r));
	crd_region_read_release(&r);
	return 0;
}

/* Writes this unit's own region once at start (the data of unit k lives in region k). */
static void own_region_write(struct contender *c)
{
	struct crd_region_writer w;
	struct crd_region_read r;
	char payload[128];
	int n;

	if (crd_region_read(&c->rd, c->unit, &r, NULL) < 0)
		return;
	crd_region_writer_init(&w, c->unit, c->unit, c->incarnation, r.found ? r.hdr.generation : 0);
	crd_region_read_release(&r);
	n = snprintf(payload, sizeof(payload),
		     "{\"unit\":%u,\"name\":\"mu%u\",\"role\":\"MU\",\"started\":%" PRIu64 "}",
		     c->unit, c->unit, (uint64_t)(clock_wall_ns() / NSEC_PER_SEC));
	crd_region_write(&c->rd, &w, 0, payload, (size_t)n, 0, NULL, NULL);
}

static _Noreturn void usage(void)
{
	fprintf(stderr, "usage: crd-contender --unit-id N --disk PATH [--disk PATH2] --log FILE "
			"[--internal PATH] [--profile P] [--devcount] [--duration-ms MS]\n"
			"       crd-contender --read-devcount --disk PATH [--disk PATH2]\n");
	exit(2);
}


/* --read-devcount: opens the external disks for reading region 0 only (no slot, no lease). */
static void devcount_open(struct contender *c, const char **paths, int ndisks)
{
	struct crd_disk *disks[CRD_SET_DISKS_MAX] = {NULL};
	struct crd_io *io = NULL;
	struct crd_sb sb;
	struct sec_err err = {0};

	for (int i = 0; i < ndisks; i++)
		if (crd_disk_open_check(paths[i], NULL, &sb, &err) < 0 ||
		    crd_disk_open(paths[i], &disks[i], &err) < 0)
			fatalx("%s", err.msg);
	struct crd_io_cfg iocfg = {.io_timeout_ms = 1000};
	if (crd_io_new(&iocfg, disks, ndisks, &io) < 0)
		fatalx("cannot start the disk threads");
	c->rd = (struct crd_region_disks){.io = io, .geo = sb.geo, .next = ndisks, .internal = -1};
	for (int i = 0; i < ndisks; i++)
		c->rd.ext[i] = i;
}

/* The contender's unit identity is fixed per unit id, so that a restarted contender is the
 * same unit (its previous incarnation), as secd's identity file makes it. */
static crd_uuid contender_identity(uint32_t unit)
{
	crd_uuid id = {{0x5e, 0xc0, 0xc0, 0x47, 0xe4, 0xde, 0x40, 0x00, 0x80, 0x00}};

	id.b[14] = (uint8_t)(unit >> 8);
	id.b[15] = (uint8_t)unit;
	return id;
}

/* One poll() round over the unit's fds until its next deadline (at most 1 s). */
static void contender_poll(struct crd_unit *u)
{
	struct pollfd pfd[CRD_UNIT_FDS_MAX];
	int fds[CRD_UNIT_FDS_MAX], n = crd_unit_fds(u, fds);
	uint64_t now = clock_boottime_ns(), next = crd_unit_next_ns(u);
	int timeout = next <= now ? 0 : (int)((next - now) / NSEC_PER_MSEC) + 1;

	for (int i = 0; i < n; i++)
		pfd[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
	poll(pfd, (nfds_t)n, timeout > 1000 ? 1000 : timeout);
	crd_unit_run(u);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"unit-id", required_argument, NULL, 'u'}, {"disk", required_argument, NULL, 'd'},
		{"log", required_argument, NULL, 'l'},     {"profile", required_argument, NULL, 'p'},
		{"devcount", no_argument, NULL, 'c'},      {"read-devcount", no_argument, NULL, 'r'},
		{"internal", required_argument, NULL, 'i'}, {"duration-ms", required_argument, NULL, 't'},
		{NULL, 0, NULL, 0},
	};
	struct contender c = {.logfd = -1};
	const char *paths[CRD_SET_DISKS_MAX] = {NULL}, *logpath = NULL, *internal = NULL;
	enum crd_profile prof = CRD_PROFILE_TEST;
	struct crd_unit *u = NULL;
	struct sec_err err = {0};
	uint64_t duration_ms = 0, deadline = UINT64_MAX;
	int ndisks = 0, opt;
	bool devcount = false, read_devcount = false;

	log_init("crd-contender", 0);
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'u': if (parse_u32(optarg, &c.unit) < 0 || !c.unit || c.unit > CRD_UNITS_MAX) usage(); break;
		case 'd': if (ndisks == (int)CRD_SET_DISKS_MAX) usage(); paths[ndisks++] = optarg; break;
		case 'l': logpath = optarg; break;
		case 'p': if (crd_profile_from_string(optarg, &prof) < 0) usage(); break;
		case 'c': devcount = true; break;
		case 'r': read_devcount = true; break;
		case 'i': internal = optarg; break;
		case 't': if (parse_u64(optarg, &duration_ms) < 0) usage(); break;
		default: usage();
		}
	}
	if (read_devcount && ndisks) {
		devcount_open(&c, paths, ndisks);
		return devcount_print(&c);
	}
	if (!c.unit || !ndisks || !logpath)
		usage();
	c.logfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (c.logfd < 0)
		fatal("open '%s'", logpath);
	c.boot_to_mono = (int64_t)clock_monotonic_ns() - (int64_t)clock_boottime_ns();
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);

	/* the CRD part of an MU: disks checked, slot, lease (src/crd/unit.c) */
	struct crd_unit_cfg cfg = {
		.unit_id = c.unit, .role = CRD_UNIT_MU, .identity = contender_identity(c.unit),
		.internal = internal, .n_external = ndisks, .unsafe_fs = true,
		.timing = crd_timing_profile(prof), .realtime = true,
		.belief_cb = on_belief, .belief_arg = &c,
	};
	for (int i = 0; i < ndisks; i++)
		cfg.external[i] = paths[i];
	if (crd_unit_start(&cfg, &u, &err) < 0)
		fatalx("%s", err.msg);
	c.incarnation = crd_unit_incarnation(u);
	c.timing = cfg.timing;
	c.rd = *crd_unit_region_disks(u);
	own_region_write(&c);
	c.r0w = crd_unit_region_writer(u, 0);
	if (duration_ms)
		deadline = clock_boottime_ns() + duration_ms * NSEC_PER_MSEC;

	while (!stop && clock_boottime_ns() < deadline) {
		contender_poll(u);
		if (devcount)
			devcount_tick(&c, u);
	}
	stop = 1;
	while (c.dc_pending) /* no region-0 write after the release */
		contender_poll(u);
	/* R4: release, and say LEFT (crd.md §4), bounded by 2 x io_timeout */
	crd_unit_stop(u, false);
	while (!crd_unit_stopped(u))
		contender_poll(u);
	u = crd_unit_free(u);
	close(c.logfd);
	return 0;
}
