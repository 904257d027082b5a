/* vm.c — `sectl vm migrate`: check or start the Live Migration of a VM to the other SU of
 * its SU Cluster and follow it (issue 5 "Checks", "Migration"; seed 4.2 the SE Manager's
 * LM dialog, 4.3 /CHECK-VM-MIGRATION and /MIGRATE-VM; vm2000.md §5; docs/api.md "Live
 * Migration", docs/lm.md).
 *
 *   sectl vm migrate VM [--su SU] [--to SU] --check
 *       the check only: a table of the conflicts and warnings (Resource, Resource name,
 *       Message), then the VMS messages; exit 0 when the LM is possible, 1 when not
 *   sectl vm migrate VM [--su SU] [--to SU] [--monjv NAME]
 *       starts it (the SU's messages), then polls its status every 250 ms: on a terminal
 *       one progress line (phase, percent, dirty rate), else a plain line per phase and per
 *       10 %; ends "completed in X.XX s, pause N ms" (exit 0; "no pause" when the VM was
 *       not running: pause_ms -1) or "aborted: REASON" (exit 1)
 *
 * VM: a VM name or a VM index 1..99. --su: the source SU; without it the SU that has a VM
 * of that name in `sectl systems` (GET /api/v1/systems) — a VM index, or a name on more
 * than one SU, needs --su. --to: the target SU; default *UNIQUE (the other SU of the SU
 * Cluster). --json: the API's answer of the check, or the final LM object. */
#include "sectl/client.h"
#include "sectl/sectl.h"
#include "sectl/show.h"
#include "sectl/table.h"
#include "sectl/vm.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define LM_CALL_TIMEOUT_MS 70000 /* the MU waits up to 60 s for the SU's check */
#define LM_POLL_MS	   250
#define LM_LOST_MS	   60000 /* the source SU unanswered this long: stop watching */
#define LM_BAR_WIDTH	   20

static const char vm_usage[] =
    "usage: sectl vm migrate VM [--su SU] [--to SU] [--check] [--monjv NAME] [--json]\n"
    "                           [--config FILE] [-v]\n"
    "live-migrates VM (a name or an index 1..99) from SU --su to the SU --to of its SU\n"
    "Cluster (default: the other SU of the SU Cluster); without --su, the SU that has a VM\n"
    "of that name (sectl systems). --check only checks: a table of the conflicts and the\n"
    "VMS messages, exit 0 possible / 1 not possible. Without --check it follows the LM with\n"
    "a progress line until it completed (exit 0) or aborted (exit 1).\n"
    "   or: sectl vm lm-resolve VM [--su SU] --resume-source|--discard-source --i-understand\n"
    "decides a live migration in doubt (sectl vm lm-resolve --help).\n"
    "   or: sectl vm recover VM --from SU [--on SU] [--confirm-down]\n"
    "takes a VM definition over from a failed SU (sectl vm recover --help).\n";

enum { OPT_SU = SECTL_OPT_FIRST_FREE, OPT_TO, OPT_CHECK, OPT_MONJV };

struct migrate {
	const char *vm, *su, *to, *monjv;
	bool check;
	struct sectl_api_opts o;
};

static int migrate_args(int argc, char **argv, struct migrate *m)
{
	static const struct option opts[] = {SECTL_API_LONGOPTS,
					     {"su", required_argument, NULL, OPT_SU},
					     {"to", required_argument, NULL, OPT_TO},
					     {"check", no_argument, NULL, OPT_CHECK},
					     {"monjv", required_argument, NULL, OPT_MONJV},
					     {0}};
	int ch;

	while ((ch = getopt_long(argc, argv, "-" SECTL_API_SHORTOPTS, opts, NULL)) != -1) {
		if (ch == 'h') {
			fputs(vm_usage, stdout);
			return SECTL_EXIT_OK;
		}
		if (sectl_api_opt(&m->o, ch, optarg))
			continue;
		switch (ch) {
		case 1:
			if (m->vm)
				return sectl_usage_error("vm", vm_usage, "unexpected argument '%s'",
							 optarg);
			m->vm = optarg;
			break;
		case OPT_SU:
			m->su = optarg;
			break;
		case OPT_TO:
			m->to = optarg;
			break;
		case OPT_CHECK:
			m->check = true;
			break;
		case OPT_MONJV:
			m->monjv = optarg;
			break;
		default:
			return sectl_usage_error("vm", vm_usage, "%s", "bad option");
		}
	}
	if (optind < argc && !m->vm)
		m->vm = argv[optind++];
	if (optind < argc)
		return sectl_usage_error("vm", vm_usage, "unexpected argument '%s'", argv[optind]);
	if (!m->vm || !*m->vm)
		return sectl_usage_error("vm", vm_usage, "%s", "missing VM");
	if (m->check && m->monjv)
		return sectl_usage_error("vm", vm_usage, "%s", "--monjv is for a migration, not "
					 "for --check");
	return -1;
}

int sectl_vm_index(const char *vm)
{
	char *end;
	long v = strtol(vm, &end, 10);

	return isdigit((unsigned char)*vm) && !*end && v >= 1 && v <= 99 ? (int)v : -1;
}

int sectl_vm_find_source(struct sectl_client *c, const char *vm, char *buf, size_t size)
{
	struct sec_err err = {0};
	json_t *ans = NULL, *s;
	char names[256] = "";
	size_t i, n = 0;

	if (sectl_vm_index(vm) > 0) {
		fprintf(stderr, "sectl: VM index %s: name the source SU with --su\n", vm);
		return SECTL_EXIT_USAGE;
	}
	if (sectl_client_call(c, "GET", "/api/v1/systems", NULL, 0, &ans, &err) < 0)
		return sectl_fail(&err);
	json_array_foreach(json_object_get(ans, "systems"), i, s)
	{
		const char *name = show_str(s, "name"), *unit = show_str(s, "unit");
		json_t *idx = json_object_get(s, "vm_index");
		if (!name || !unit || strcasecmp(name, vm) ||
		    (json_is_integer(idx) && json_integer_value(idx) == 1))
			continue;
		if (n++ == 0)
			snprintf(buf, size, "%s", unit);
		size_t l = strlen(names);
		snprintf(names + l, sizeof(names) - l, "%s%s", l ? ", " : "", unit);
	}
	json_decref(ans);
	if (n == 1)
		return SECTL_EXIT_OK;
	if (n == 0)
		fprintf(stderr, "sectl: no SU has a VM '%s' (sectl systems); name it with --su\n",
			vm);
	else
		fprintf(stderr, "sectl: VM '%s' is on the SUs %s: name the source with --su\n",
			vm, names);
	return SECTL_EXIT_FAIL;
}

void sectl_vm_put_line(const char *s)
{
	for (const char *p = s ? s : ""; *p; p++)
		putchar((unsigned char)*p < ' ' && *p != '\t' ? '?' : *p);
	putchar('\n');
}

static void print_messages(const json_t *msgs)
{
	const json_t *m;
	size_t i;

	json_array_foreach(msgs, i, m)
		sectl_vm_put_line(json_string_value(m));
}

/* The check's rows as a table (Resource, Resource name, Message), then the messages. */
static void print_check(const json_t *ans)
{
	static const char *const hdr[3] = {"Resource", "Resource name", "Message"};
	const json_t *chk = json_object_get(ans, "check"), *row;
	struct table *t = json_array_size(json_object_get(chk, "rows")) ? table_new(3, hdr) : NULL;
	size_t i;

	json_array_foreach(json_object_get(chk, "rows"), i, row)
	{
		char msg[256];
		const char *sev = show_str(row, "severity"), *text = show_str(row, "message");
		snprintf(msg, sizeof(msg), "%s%s", sev && !strcmp(sev, "warning") ? "warning: " : "",
			 text ? text : "");
		for (char *p = msg; *p; p++)
			if ((unsigned char)*p < ' ')
				*p = '?';
		if (t)
			table_add(t, (const char *[]){show_str(row, "resource"),
						      show_str(row, "name"), msg});
	}
	if (t) {
		table_print(t, stdout);
		putchar('\n');
		table_free(t);
	}
	print_messages(json_object_get(ans, "messages"));
}

/* ---- following a started LM ---- */

static volatile sig_atomic_t stop_watch;

static void on_stop(int sig)
{
	stop_watch = 1;
	(void)sig;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L};

	nanosleep(&ts, NULL); /* SIGINT ends it early */
}

static double num(const json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

/* One progress line of lm (no line break). */
static void progress_text(const json_t *lm, char *buf, size_t size)
{
	const char *state = show_str(lm, "state");
	int pct = (int)num(lm, "percent"), fill;
	char bar[LM_BAR_WIDTH + 1];

	pct = pct < 0 ? 0 : pct > 100 ? 100 : pct;
	fill = pct * LM_BAR_WIDTH / 100;
	memset(bar, '#', (size_t)fill);
	memset(bar + fill, '.', (size_t)(LM_BAR_WIDTH - fill));
	bar[LM_BAR_WIDTH] = '\0';
	snprintf(buf, size, "phase %d/4 %-10s [%s] %3d%%  dirty %.0f pages/s  %.0f Mbit/s",
		 (int)num(lm, "phase"), state ? state : "?", bar, pct, num(lm, "dirty_rate"),
		 num(lm, "mbps"));
}

static bool terminal(const json_t *lm)
{
	const char *st = show_str(lm, "state");

	return st && (!strcmp(st, "completed") || !strcmp(st, "aborted"));
}

/* Shows lm: on a TTY the line again in place; else a line per phase and per 10 %. */
static void progress_show(const json_t *lm, bool tty, int *last_key)
{
	char line[200];
	const char *st = show_str(lm, "state");
	int key = (int)num(lm, "phase") * 1000 + (int)num(lm, "percent") / 10 * 10 +
		  (st && !strcmp(st, "post") ? 500 : 0);

	progress_text(lm, line, sizeof(line));
	if (tty) {
		printf("\r%s\033[K", line);
	} else if (key != *last_key) {
		puts(line);
		*last_key = key;
	}
	fflush(stdout);
}

int sectl_vm_follow(struct sectl_client *c, const char *path, bool show, json_t **ret)
{
	struct sigaction sa = {.sa_handler = on_stop}; /* no SA_RESTART: the sleep ends */
	bool tty = show && isatty(STDOUT_FILENO), failing = false;
	struct sec_err err = {0};
	json_t *ans = NULL;
	int last_key = -1, r;
	unsigned failed_ms = 0;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sectl_client_set_cancel(c, &stop_watch);
	while (!stop_watch) {
		r = sectl_client_call(c, "GET", path, NULL, 0, &ans, &err);
		if (r == -ECANCELED || stop_watch)
			break;
		if (r == -EACCES || (r < 0 && sectl_client_http_status(c) / 100 == 4)) {
			if (tty)
				putchar('\n');
			return sectl_fail(&err);
		}
		if (r < 0) {
			if (!failing)
				fprintf(stderr, "sectl: %s; still trying every %d ms for %d s\n",
					err.msg, LM_POLL_MS, LM_LOST_MS / 1000);
			failing = true;
			if ((failed_ms += LM_POLL_MS) >= LM_LOST_MS) {
				if (tty)
					putchar('\n');
				fprintf(stderr, "sectl: the source SU does not answer; its outcome is "
					"on the consoles of both SUs (sectl console SU) and, once the "
					"source is back, at GET %s\n", path);
				return SECTL_EXIT_FAIL;
			}
		} else {
			json_t *lm = json_object_get(ans, "lm");
			failing = false;
			failed_ms = 0;
			if (show)
				progress_show(lm, tty, &last_key);
			if (terminal(lm)) {
				if (tty)
					putchar('\n');
				*ret = json_incref(lm);
				json_decref(ans);
				return SECTL_EXIT_OK;
			}
			ans = (json_decref(ans), NULL);
		}
		sleep_ms(LM_POLL_MS);
	}
	if (tty)
		putchar('\n');
	fprintf(stderr, "sectl: stopped watching; the live migration goes on (GET %s)\n", path);
	return SECTL_EXIT_FAIL;
}

int sectl_vm_finish(const json_t *lm, bool json)
{
	const char *st = show_str(lm, "state"), *why = show_str(lm, "reason");
	bool ok = st && !strcmp(st, "completed");

	if (json)
		return sectl_print_json(lm) == SECTL_EXIT_OK && ok ? SECTL_EXIT_OK : SECTL_EXIT_FAIL;
	if (ok && num(lm, "pause_ms") >= 0) {
		printf("completed in %.2f s, pause %.0f ms\n", num(lm, "total_ms") / 1000.0,
		       num(lm, "pause_ms"));
	} else if (ok) { /* pause_ms -1: the guest did not run, nothing paused */
		printf("completed in %.2f s, no pause (the VM was not running)\n",
		       num(lm, "total_ms") / 1000.0);
	} else {
		const char *res = show_str(lm, "result");
		printf("aborted: ");
		sectl_vm_put_line(why && *why ? why : res ? res : "no reason given");
	}
	return fflush(stdout) == EOF || !ok ? SECTL_EXIT_FAIL : SECTL_EXIT_OK;
}

/* POST .../migrations; then (not a check) follow the LM. */
static int run(struct sectl_client *c, const struct migrate *m, const char *su)
{
	struct sec_err err = {0};
	char path[256], id[17];
	int idx = sectl_vm_index(m->vm), rc;
	json_t *ans = NULL, *lm = NULL;
	json_t *body = json_pack("{s:o, s:b}", "vm", idx > 0 ? json_integer(idx)
							      : json_string(m->vm), "check",
				 m->check);

	if (!body || (m->to && json_object_set_new(body, "to", json_string(m->to)) < 0) ||
	    (m->monjv && json_object_set_new(body, "monjv", json_string(m->monjv)) < 0)) {
		json_decref(body);
		fprintf(stderr, "sectl: out of memory\n");
		return SECTL_EXIT_FAIL;
	}
	snprintf(path, sizeof(path), "/api/v1/sus/%s/migrations", su);
	rc = sectl_client_call(c, "POST", path, body, SECTL_CALL_ERROR_BODY, &ans, &err);
	json_decref(body);
	if (rc < 0) {
		const json_t *res = json_object_get(ans, "result");
		if (!res) {
			rc = sectl_fail(&err);
		} else { /* rejected (409): the SU's messages say why */
			if (m->o.json)
				sectl_print_json(res);
			else
				print_messages(json_object_get(res, "messages"));
			fprintf(stderr, "sectl: live migration of VM '%s' rejected (%s)\n", m->vm,
				show_str(json_object_get(res, "rc"), "maincode"));
			rc = SECTL_EXIT_FAIL;
		}
		goto out;
	}
	if (m->check) {
		const json_t *chk = json_object_get(ans, "check");
		rc = json_is_true(json_object_get(chk, "possible")) ? SECTL_EXIT_OK
								    : SECTL_EXIT_FAIL;
		if (m->o.json && sectl_print_json(ans) != SECTL_EXIT_OK)
			rc = SECTL_EXIT_FAIL;
		else if (!m->o.json)
			print_check(ans);
		goto out;
	}
	snprintf(id, sizeof(id), "%s", show_str(json_object_get(ans, "lm"), "lm_id"));
	if (!m->o.json) {
		print_messages(json_object_get(ans, "messages"));
		printf("live migration %s of VM '%s' from SU '%s' started\n", id, m->vm, su);
	}
	snprintf(path, sizeof(path), "/api/v1/sus/%s/migrations/%s", su, id);
	if ((rc = sectl_vm_follow(c, path, !m->o.json, &lm)) == SECTL_EXIT_OK)
		rc = sectl_vm_finish(lm, m->o.json);
out:
	json_decref(ans);
	json_decref(lm);
	return rc;
}

static int vm_migrate(int argc, char **argv)
{
	struct migrate m = {0};
	struct sectl_client *c = NULL;
	char su[128];
	int rc = migrate_args(argc, argv, &m);

	if (rc >= 0)
		return rc;
	if (m.su && (!*m.su || strspn(m.su, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					    "0123456789$#@_-") != strlen(m.su) ||
		     strlen(m.su) >= sizeof(su)))
		return sectl_usage_error("vm", vm_usage, "bad SU name '%s'", m.su);
	if ((rc = sectl_connect(&m.o, true, &c)) != SECTL_EXIT_OK)
		return rc;
	sectl_client_set_timeout(c, LM_CALL_TIMEOUT_MS);
	if (m.su)
		snprintf(su, sizeof(su), "%s", m.su);
	else if ((rc = sectl_vm_find_source(c, m.vm, su, sizeof(su))) != SECTL_EXIT_OK)
		goto out;
	rc = run(c, &m, su);
out:
	sectl_client_free(c);
	return rc;
}

int sectl_vm_main(int argc, char **argv)
{
	static const struct sectl_cmd cmds[] = {{"migrate", vm_migrate, false},
						{"lm-resolve", sectl_vm_lm_resolve, false},
						{"recover", sectl_vm_recover, false}};

	return sectl_dispatch("vm", vm_usage, cmds, sizeof(cmds) / sizeof(cmds[0]), argc, argv);
}
