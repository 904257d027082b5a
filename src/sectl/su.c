/* su.c — `sectl systems`, `sectl sdf SU 'COMMAND'`, `sectl console SU` (issue 4 "API and
 * CLI"; seed 2.3 the global overview through the systems, 4.3 VM2000 commands on the
 * monitor system; vm2000.md §4; docs/api.md "Server Units").
 *
 *   sectl systems                   every SU's systems (the monitor and its guests), one table
 *   sectl sdf SU 'COMMAND'          a VM2000 command on SU's monitor: its messages, then the
 *                                   result line of NBR0740; exit 1 when the command failed
 *   sectl console SU [--vm NAME]    the monitor console (or the guest's KVP console), with
 *                   [--follow]      timestamps; --follow polls for new lines until SIGINT
 *
 * --json prints the server's answer as it is (console --follow: one line object per line
 * of output, JSON Lines). Exit status: 0 ok, 1 failed (the command, or the call), 2 usage. */
#include "sectl/client.h"
#include "sectl/sectl.h"
#include "sectl/show.h"
#include "sectl/table.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SDF_TIMEOUT_MS	70000 /* the MU waits up to 60 s for the SU */
#define CONSOLE_PAGE	1000  /* lines per request (the API's maximum) */
#define CONSOLE_POLL_MS 500
#define COMMAND_MAX	4096
#define SYSTEMS_COLS	8

static const char systems_usage[] = "usage: sectl systems [--json] [--config FILE] [-v]\n";
static const char sdf_usage[] = "usage: sectl sdf SU 'COMMAND' [--json] [--config FILE] [-v]\n"
				"runs a VM2000 command on SU's monitor system, e.g.\n"
				"  sectl sdf su1 '/SHOW-VM-ATTRIBUTES'\n"
				"exit status 0 when the command completed, 1 when it failed\n";
static const char console_usage[] =
    "usage: sectl console SU [--vm NAME] [--follow] [--after SEQ] [--json] [--config FILE] "
    "[-v]\n"
    "the monitor console of SU, or with --vm the KVP console (serial line) of a guest;\n"
    "--after SEQ shows the lines after that sequence number only\n";

/* ---- shared ---- */

/* s percent-encoded (RFC 3986 unreserved stay) into buf[size]; false when it does not fit. */
static bool pct(const char *s, char *buf, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (n + 4 > size)
			return false;
		if (isalnum(*p) || strchr("-._~", *p)) {
			buf[n++] = (char)*p;
		} else {
			buf[n++] = '%';
			buf[n++] = hex[*p >> 4];
			buf[n++] = hex[*p & 15];
		}
	}
	buf[n] = '\0';
	return true;
}

/* --config, -v, --json, -h and positional arguments into args[0..nargs) (exactly nargs). */
static int api_opts(const char *group, const char *usage, int argc, char **argv,
		    const struct option *extra, int (*take)(int ch, const char *arg, void *ctx),
		    void *ctx, struct sectl_api_opts *o, const char **args, int nargs)
{
	struct option opts[16] = {SECTL_API_LONGOPTS};
	size_t n = 4;
	int ch, k = 0, r;

	for (; extra && extra->name && n < 15; extra++)
		opts[n++] = *extra;
	opts[n] = (struct option){0};
	while ((ch = getopt_long(argc, argv, "-" SECTL_API_SHORTOPTS, opts, NULL)) != -1) {
		if (ch == 'h') {
			fputs(usage, stdout);
			return SECTL_EXIT_OK;
		}
		if (ch == 1) { /* a positional argument, in order */
			if (k >= nargs)
				return sectl_usage_error(group, usage, "unexpected argument '%s'",
							 optarg);
			args[k++] = optarg;
			continue;
		}
		if (sectl_api_opt(o, ch, optarg))
			continue;
		if (!take || ch == '?' || (r = take(ch, optarg, ctx)) < 0)
			return sectl_usage_error(group, usage, "%s", "bad option");
		if (r > 0)
			return r;
	}
	for (; optind < argc; optind++) { /* after "--" */
		if (k >= nargs)
			return sectl_usage_error(group, usage, "unexpected argument '%s'",
						 argv[optind]);
		args[k++] = argv[optind];
	}
	if (k < nargs)
		return sectl_usage_error(group, usage, "%s",
					 k == 0 ? "missing SU" : "missing COMMAND");
	return -1;
}

/* ---- sectl systems ---- */

static int show_systems(const json_t *ans)
{
	static const char *const hdr[SYSTEMS_COLS] = {
	    "Name",   "Host name", "Type",	  "Operating system",
	    "Server", "Unit",	   "Description", "Status"};
	struct table *t = table_new(SYSTEMS_COLS, hdr);
	const json_t *s;
	char status[96], migr[160];
	size_t i, n, down = 0;

	if (!t)
		return SECTL_EXIT_FAIL;
	json_array_foreach(json_object_get(ans, "systems"), i, s)
	{
		const char *st = show_str(s, "status");
		const char *sub = show_str(s, "substatus"), *to = show_str(s, "migration_target");
		if (sub && *sub) { /* "RUNNING (MIGRATING to su2)" */
			snprintf(migr, sizeof(migr), "%.32s (%.16s%s%.64s)", st ? st : "?", sub,
				 to && *to ? " to " : "", to && *to ? to : "");
			st = migr;
		}
		if (json_is_false(json_object_get(s, "reachable"))) {
			snprintf(status, sizeof(status), "%.64s (SU not answering)",
				 st ? st : "UNKNOWN");
			st = status;
			down++;
		}
		table_add(t, (const char *[]){show_str(s, "name"), show_str(s, "host_name"),
					      show_str(s, "type"), show_str(s, "os"),
					      show_str(s, "server"), show_str(s, "unit"),
					      show_str(s, "description"), st});
	}
	table_print(t, stdout);
	n = table_rows(t);
	table_free(t);
	printf("Total: %zu\n", n);
	if (down)
		printf("%zu SU%s did not answer: %s shown from the status snapshot\n", down,
		       down == 1 ? "" : "s", down == 1 ? "its monitor is" : "their monitors are");
	return fflush(stdout) == EOF ? SECTL_EXIT_FAIL : SECTL_EXIT_OK;
}

int sectl_systems_main(int argc, char **argv)
{
	struct sectl_api_opts o = {0};
	int rc = api_opts("systems", systems_usage, argc, argv, NULL, NULL, NULL, &o, NULL, 0);

	return rc >= 0 ? rc : sectl_get_show(&o, "/api/v1/systems", show_systems);
}

/* ---- sectl sdf SU 'COMMAND' ---- */

/* The command's name: "START-VM" of "/start-vm vm-name=g1" (upper case), into buf. */
static const char *command_name(const char *cmd, char *buf, size_t size)
{
	size_t n = 0;

	cmd += strspn(cmd, " \t");
	if (*cmd == '/')
		cmd++;
	while (*cmd && !isspace((unsigned char)*cmd) && *cmd != ',' && n + 1 < size)
		buf[n++] = (char)toupper((unsigned char)*cmd++);
	buf[n] = '\0';
	if (!n) /* as the SU's console line (secd/sucmd.c) */
		snprintf(buf, size, "/");
	return buf;
}

static long long rc_int(const json_t *rc, const char *key)
{
	const json_t *v = json_object_get(rc, key);

	return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

/* The messages, then NBR0740 (unless the SU sent it among its messages). */
static void print_sdf(const json_t *ans, const char *cmd)
{
	const json_t *rc = json_object_get(ans, "rc"), *m;
	const char *mc = show_str(rc, "maincode");
	bool ok = json_is_true(json_object_get(ans, "ok")), nbr = false;
	char name[64];
	size_t i;

	json_array_foreach(json_object_get(ans, "messages"), i, m)
	{
		const char *s = json_string_value(m);
		if (!s)
			continue;
		for (const char *p = s; *p; p++) /* no escape sequence from the server */
			putchar((unsigned char)*p < ' ' && *p != '\t' ? '?' : *p);
		putchar('\n');
		nbr |= strstr(s, "NBR0740") != NULL;
	}
	if (!nbr)
		printf("%% NBR0740 COMMAND %s '%s'; (RESULT: SC2=%03lld, SC1=%03lld, MC=%s)\n",
		       ok ? "COMPLETED" : "TERMINATED WITH ERROR",
		       command_name(cmd, name, sizeof(name)), rc_int(rc, "subcode2"),
		       rc_int(rc, "subcode1"), mc ? mc : "?");
}

int sectl_sdf_main(int argc, char **argv)
{
	struct sectl_api_opts o = {0};
	struct sectl_client *c = NULL;
	struct sec_err err = {0};
	const char *args[2] = {NULL, NULL};
	char su[256], path[320];
	json_t *body = NULL, *ans = NULL;
	int rc = api_opts("sdf", sdf_usage, argc, argv, NULL, NULL, NULL, &o, args, 2);

	if (rc >= 0)
		return rc;
	if (!args[1][strspn(args[1], " \t")] || strlen(args[1]) > COMMAND_MAX)
		return sectl_usage_error(
		    "sdf", sdf_usage, "%s",
		    "COMMAND must be 1..4096 characters, e.g. '/SHOW-VM-ATTRIBUTES'");
	if (!*args[0] || !pct(args[0], su, sizeof(su)))
		return sectl_usage_error("sdf", sdf_usage, "bad SU name '%s'", args[0]);
	snprintf(path, sizeof(path), "/api/v1/sus/%s/sdf", su);
	if ((rc = sectl_connect(&o, true, &c)) != SECTL_EXIT_OK)
		return rc;
	sectl_client_set_timeout(c, SDF_TIMEOUT_MS);
	if (!(body = json_pack("{s:s}", "command", args[1]))) {
		fprintf(stderr, "sectl: out of memory\n");
		rc = SECTL_EXIT_FAIL;
	} else if (sectl_client_call(c, "POST", path, body, 0, &ans, &err) < 0) {
		rc = sectl_fail(&err);
	} else {
		rc = json_is_true(json_object_get(ans, "ok")) ? SECTL_EXIT_OK : SECTL_EXIT_FAIL;
		if (o.json) {
			if (sectl_print_json(ans) != SECTL_EXIT_OK)
				rc = SECTL_EXIT_FAIL;
		} else {
			print_sdf(ans, args[1]);
			if (fflush(stdout) == EOF)
				rc = SECTL_EXIT_FAIL;
		}
	}
	json_decref(body);
	json_decref(ans);
	sectl_client_free(c);
	return rc;
}

/* ---- sectl console SU [--vm NAME] [--follow] ---- */

enum { OPT_VM = SECTL_OPT_FIRST_FREE, OPT_FOLLOW, OPT_AFTER };

struct console {
	const char *vm;
	bool follow;
	long long after;
	bool json;
};

static int console_take(int ch, const char *arg, void *ctx)
{
	struct console *k = ctx;
	char *end;

	switch (ch) {
	case OPT_VM:
		k->vm = arg;
		return 0;
	case OPT_FOLLOW:
		k->follow = true;
		return 0;
	case OPT_AFTER:
		errno = 0;
		k->after = strtoll(arg, &end, 10);
		if (!*arg || *end || errno || k->after < 0)
			return sectl_usage_error("console", console_usage,
						 "--after '%s': a line sequence number >= 0", arg);
		return 0;
	}
	return -1;
}

static volatile sig_atomic_t stop_follow;

static void on_stop(int sig)
{
	stop_follow = 1;
}

static void print_line(const json_t *l, bool json)
{
	const char *text = show_str(l, "text"), *when = show_str(l, "time");

	if (json) {
		json_dumpf(l, stdout, JSON_COMPACT);
		putchar('\n');
		return;
	}
	printf("%s  ", when ? when : "-");
	for (const char *p = text ? text : ""; *p; p++)
		putchar((unsigned char)*p < ' ' && *p != '\t' ? '?' : *p);
	putchar('\n');
}

/* One page after k->after: printed (or, collect != NULL, appended to it), k->after
 * advanced. Returns the lines of the page or -errno. */
static int console_page(struct sectl_client *c, const char *base, struct console *k,
			json_t *collect, struct sec_err *err)
{
	char path[512];
	json_t *ans = NULL, *l, *next;
	size_t i;
	int n;

	snprintf(path, sizeof(path), "%s%safter=%lld&limit=%d", base, strchr(base, '?') ? "&" : "?",
		 k->after, CONSOLE_PAGE);
	if ((n = sectl_client_call(c, "GET", path, NULL, 0, &ans, err)) < 0)
		return n;
	json_array_foreach(json_object_get(ans, "lines"), i, l)
	{
		if (collect)
			json_array_append(collect, l);
		else
			print_line(l, k->json);
	}
	n = (int)json_array_size(json_object_get(ans, "lines"));
	next = json_object_get(ans, "next");
	if (json_is_integer(next) && json_integer_value(next) > 0)
		k->after = (long long)json_integer_value(next) - 1;
	else if (n > 0 && json_is_integer(json_object_get(
			      json_array_get(json_object_get(ans, "lines"), (size_t)n - 1), "seq")))
		k->after = (long long)json_integer_value(json_object_get(
		    json_array_get(json_object_get(ans, "lines"), (size_t)n - 1), "seq"));
	json_decref(ans);
	fflush(stdout);
	return n;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L};

	nanosleep(&ts, NULL); /* SIGINT ends it early */
}

static int console_follow(struct sectl_client *c, const char *base, struct console *k)
{
	struct sigaction sa = {.sa_handler = on_stop}; /* no SA_RESTART: the sleep ends */
	struct sec_err err = {0};
	bool failing = false;
	int n;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sectl_client_set_cancel(c, &stop_follow);
	while (!stop_follow) {
		n = console_page(c, base, k, NULL, &err);
		if (n == -ECANCELED || stop_follow)
			break;
		if (n == -EACCES || (n < 0 && sectl_client_http_status(c) / 100 == 4))
			return sectl_fail(&err); /* not logged in, no such SU or VM */
		if (n < 0) {
			if (!failing)
				fprintf(stderr, "sectl: %s; still trying every %d ms\n", err.msg,
					CONSOLE_POLL_MS);
			failing = true;
		} else {
			if (failing)
				fprintf(stderr, "sectl: the console answers again\n");
			failing = false;
			if (n == CONSOLE_PAGE)
				continue; /* more at once */
		}
		sleep_ms(CONSOLE_POLL_MS);
	}
	return SECTL_EXIT_OK;
}

int sectl_console_main(int argc, char **argv)
{
	static const struct option extra[] = {{"vm", required_argument, NULL, OPT_VM},
					      {"follow", no_argument, NULL, OPT_FOLLOW},
					      {"after", required_argument, NULL, OPT_AFTER},
					      {0}};
	struct sectl_api_opts o = {0};
	struct console k = {0};
	struct sectl_client *c = NULL;
	struct sec_err err = {0};
	const char *args[1] = {NULL};
	char su[256], vm[64], base[400];
	json_t *lines = NULL;
	int rc = api_opts("console", console_usage, argc, argv, extra, console_take, &k, &o, args,
			  1),
	    n;

	if (rc >= 0)
		return rc;
	k.json = o.json;
	if (!*args[0] || !pct(args[0], su, sizeof(su)))
		return sectl_usage_error("console", console_usage, "bad SU name '%s'", args[0]);
	if (k.vm && (!*k.vm || !pct(k.vm, vm, sizeof(vm))))
		return sectl_usage_error("console", console_usage, "bad VM name '%s'", k.vm);
	snprintf(base, sizeof(base), "/api/v1/sus/%s/console%s%s", su, k.vm ? "?vm=" : "",
		 k.vm ? vm : "");
	if ((rc = sectl_connect(&o, true, &c)) != SECTL_EXIT_OK)
		return rc;
	if (k.follow) {
		rc = console_follow(c, base, &k);
		goto out;
	}
	if (o.json && !(lines = json_array())) {
		rc = SECTL_EXIT_FAIL;
		goto out;
	}
	while ((n = console_page(c, base, &k, lines, &err)) == CONSOLE_PAGE)
		;
	if (n < 0) {
		rc = sectl_fail(&err);
	} else if (o.json) {
		json_t *j = json_pack("{s:s, s:s?, s:O, s:I}", "su", args[0], "vm", k.vm, "lines",
				      lines, "next", (json_int_t)k.after + 1);
		rc = j ? sectl_print_json(j) : SECTL_EXIT_FAIL;
		json_decref(j);
	}
out:
	json_decref(lines);
	sectl_client_free(c);
	return rc;
}
