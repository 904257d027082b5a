/* events.c — `sectl events [filters] [--follow]` and `sectl events ack` (seed 2.3.3 event
 * logging; status.md §5; docs/api.md GET /api/v1/events, POST /api/v1/events/ack).
 *
 * The list is newest first, then "Total: N from M" (N match the filters, M are all events
 * of the MU). --follow prints the newest page oldest first, then polls every second and
 * prints each event it has not shown yet (by id) once, in the order they arrive, until
 * SIGINT or SIGTERM (exit 0). With --json the list is the server's answer; --follow
 * --json prints one event per line (JSON Lines). */
#include "lib/clock.h"
#include "sectl/client.h"
#include "sectl/logq.h"
#include "sectl/sectl.h"
#include "sectl/show.h"
#include "sectl/table.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FOLLOW_POLL_MS 1000
#define FOLLOW_PAGE 100      /* events per request of --follow (or --limit) */
#define FOLLOW_PAGES_MAX 20  /* requests per poll: a burst above pages x page shows in part */
#define EVENT_COLS 5

static const char events_usage[] =
	"usage: sectl events [--current] [--follow] [--weight W] [--unit U] [--component C]\n"
	"                    [--text T] [--from TIME] [--to TIME] [--offset N] [--limit N]\n"
	"                    [--json] [--config FILE] [-v]\n"
	"       sectl events ack [--json] [--config FILE] [-v]\n"
	"TIME: 2026-11-30T02:00:00 (UTC), -10m or -2h (before now), or ms since the epoch\n";

static const char *const event_hdr[EVENT_COLS] = {"Time", "Weight", "Unit", "Component",
						  "Message"};

static int usage_error(const char *fmt, const char *arg)
{
	return sectl_usage_error("events", events_usage, fmt, arg);
}

static void add_event(struct table *t, const json_t *e)
{
	const json_t *ts = json_object_get(e, "ts_ms");
	char when[40];
	const char *time_cell = show_str(e, "time");

	if (json_is_integer(ts))
		time_cell = show_local_time((int64_t)json_integer_value(ts), when, sizeof(when));
	table_add(t, (const char *[]){time_cell, show_str(e, "weight"), show_str(e, "unit"),
				      show_str(e, "component"), show_str(e, "message")});
}

static int show_events(const json_t *ans)
{
	struct table *t = table_new(EVENT_COLS, event_hdr);
	const json_t *e;
	size_t i, n;

	if (!t)
		return SECTL_EXIT_FAIL;
	json_array_foreach(json_object_get(ans, "events"), i, e)
		add_event(t, e);
	table_print(t, stdout);
	n = table_rows(t);
	table_free(t);
	show_page_total(ans, n);
	return fflush(stdout) == EOF ? SECTL_EXIT_FAIL : SECTL_EXIT_OK;
}

/* ---- --follow ---- */

static volatile sig_atomic_t stop_follow;

static void on_stop(int sig)
{
	stop_follow = 1;
}

struct follow {
	struct sectl_client *c;
	const struct logq *q;
	json_t *seen;       /* object: id -> true (a hash set) */
	json_t *batch;      /* the new events of this poll, newest first */
	size_t widths[EVENT_COLS];
	bool json, header_done;
};

/* One page at offset; appends its unseen events to f->batch. Returns how many events the
 * page held, whether it reached a seen one (ret_seen), or -errno. */
static int poll_page(struct follow *f, uint32_t offset, bool *ret_seen, struct sec_err *err)
{
	char *path = logq_path("/api/v1/events", f->q, offset);
	json_t *ans = NULL, *e;
	size_t i;
	int r;

	if (!path)
		return sec_errf(err, -ENOMEM, "out of memory");
	r = sectl_client_call(f->c, "GET", path, NULL, 0, &ans, err);
	free(path);
	if (r < 0)
		return r;
	json_array_foreach(json_object_get(ans, "events"), i, e) {
		const char *id = show_str(e, "id");
		if (!id || json_object_get(f->seen, id)) {
			*ret_seen = true;
			continue;
		}
		json_object_set_new(f->seen, id, json_true());
		json_array_append(f->batch, e);
	}
	r = (int)json_array_size(json_object_get(ans, "events"));
	json_decref(ans);
	return r;
}

/* Every event not shown yet: pages from the newest until one holds a shown event or is not
 * full (the first poll: one page). Returns 0 or -errno. */
static int poll_new(struct follow *f, bool first, struct sec_err *err)
{
	uint32_t page = f->q->has_limit ? f->q->limit : FOLLOW_PAGE;
	bool seen = false;
	int n = 0;

	json_array_clear(f->batch);
	for (int p = 0; p < FOLLOW_PAGES_MAX; p++) {
		if ((n = poll_page(f, (uint32_t)p * page, &seen, err)) < 0)
			return n;
		if (first || seen || (uint32_t)n < page)
			break;
	}
	return 0;
}

static void print_batch(struct follow *f)
{
	struct table *t;
	size_t n = json_array_size(f->batch);

	if (f->json) {
		for (size_t i = n; i-- > 0;) {
			json_dumpf(json_array_get(f->batch, i), stdout, JSON_COMPACT);
			putchar('\n');
		}
		fflush(stdout);
		return;
	}
	if (!(t = table_new(EVENT_COLS, event_hdr)))
		return;
	for (size_t i = n; i-- > 0;) /* oldest first: the order they arrive in */
		add_event(t, json_array_get(f->batch, i));
	for (size_t c = 0; c < EVENT_COLS; c++)
		table_min_width(t, c, f->widths[c]);
	if (!f->header_done)
		table_print(t, stdout);
	else
		table_print_rows(t, stdout);
	f->header_done = true;
	for (size_t c = 0; c < EVENT_COLS; c++)
		f->widths[c] = table_width(t, c);
	table_free(t);
	fflush(stdout);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L};

	nanosleep(&ts, NULL); /* SIGINT ends it early */
}

static int follow_loop(struct follow *f)
{
	struct sec_err err = {0};
	bool first = true, failing = false;
	int r;

	while (!stop_follow) {
		r = poll_new(f, first, &err);
		if (r == -ECANCELED || stop_follow)
			break;
		if (r == -EACCES)
			return sectl_fail(&err);
		if (r < 0) {
			if (!failing)
				fprintf(stderr, "sectl: %s; still trying every %d ms\n", err.msg,
					FOLLOW_POLL_MS);
			failing = true;
		} else {
			if (failing)
				fprintf(stderr, "sectl: %s answers again\n",
					sectl_client_addr(f->c));
			failing = false;
			first = false;
			print_batch(f);
		}
		sleep_ms(FOLLOW_POLL_MS);
	}
	return SECTL_EXIT_OK;
}

static int follow(const struct sectl_api_opts *o, const struct logq *q)
{
	struct sigaction sa = {.sa_handler = on_stop}; /* no SA_RESTART: the sleep ends */
	struct follow f = {.q = q, .json = o->json};
	int rc;

	if ((rc = sectl_connect(o, true, &f.c)) != SECTL_EXIT_OK)
		return rc;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sectl_client_set_cancel(f.c, &stop_follow);
	f.seen = json_object();
	f.batch = json_array();
	if (!f.seen || !f.batch) {
		fprintf(stderr, "sectl: out of memory\n");
		rc = SECTL_EXIT_FAIL;
	} else {
		rc = follow_loop(&f);
	}
	json_decref(f.seen);
	json_decref(f.batch);
	sectl_client_free(f.c);
	return rc;
}

/* ---- the commands ---- */

static int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		SECTL_API_LONGOPTS,
		LOGQ_LONGOPTS,
		{"current", no_argument, NULL, LOGQ_OPT_CURRENT},
		{"weight", required_argument, NULL, LOGQ_OPT_WEIGHT},
		{"follow", no_argument, NULL, LOGQ_OPT_FOLLOW},
		{0}};
	struct sectl_api_opts o = {0};
	struct logq q = {0};
	struct sec_err err = {0};
	int64_t now_ms = (int64_t)(clock_wall_ns() / 1000000);
	bool follow_on = false;
	char *path;
	int ch, r, rc;

	while ((ch = getopt_long(argc, argv, SECTL_API_SHORTOPTS, opts, NULL)) != -1) {
		if (ch == 'h') {
			fputs(events_usage, stdout);
			return SECTL_EXIT_OK;
		}
		if (sectl_api_opt(&o, ch, optarg))
			continue;
		if (ch == LOGQ_OPT_FOLLOW) {
			follow_on = true;
			continue;
		}
		if ((r = logq_opt(&q, LOGQ_EVENTS, ch, optarg, now_ms, &err)) < 0)
			return usage_error("%s", err.msg);
		if (r == 0)
			return usage_error("%s", "bad option");
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (logq_check(&q, &err) < 0)
		return usage_error("%s", err.msg);
	if (follow_on && q.has_offset)
		return usage_error("%s", "--follow shows the newest events: it takes no --offset");
	if (follow_on)
		return follow(&o, &q);
	if (!(path = logq_path("/api/v1/events", &q, 0))) {
		fprintf(stderr, "sectl: out of memory\n");
		return SECTL_EXIT_FAIL;
	}
	rc = sectl_get_show(&o, path, show_events);
	free(path);
	return rc;
}

static int cmd_ack(int argc, char **argv)
{
	static const struct option opts[] = {SECTL_API_LONGOPTS, {0}};
	struct sectl_api_opts o = {0};
	struct sectl_client *c = NULL;
	struct sec_err err = {0};
	json_t *ans = NULL;
	long long n;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, SECTL_API_SHORTOPTS, opts, NULL)) != -1) {
		if (ch == 'h') {
			fputs(events_usage, stdout);
			return SECTL_EXIT_OK;
		}
		if (!sectl_api_opt(&o, ch, optarg))
			return usage_error("%s", "bad option");
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if ((rc = sectl_connect(&o, true, &c)) != SECTL_EXIT_OK)
		return rc;
	if (sectl_client_call(c, "POST", "/api/v1/events/ack", NULL, 0, &ans, &err) < 0) {
		rc = sectl_fail(&err);
	} else if (o.json) {
		rc = sectl_print_json(ans);
	} else {
		n = json_integer_value(json_object_get(ans, "acknowledged"));
		printf("Acknowledged %lld event%s\n", n, n == 1 ? "" : "s");
	}
	json_decref(ans);
	sectl_client_free(c);
	return rc;
}

int sectl_events_main(int argc, char **argv)
{
	optind = 1;
	if (argc >= 2 && !strcmp(argv[1], "ack"))
		return cmd_ack(argc - 1, argv + 1);
	return cmd_list(argc, argv);
}
