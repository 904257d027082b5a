/* crd.c — `sectl crd format|inspect|verify|replace` (crd.md §1, §2). Exit status: 0 ok,
 * 1 the operation failed (one line on stderr naming the disk), 2 usage error. */
#include "crd/format.h"
#include "crd/inspect.h"
#include "crd/release.h"
#include "crd/replace.h"
#include "lib/parse.h"
#include "sectl/client.h"
#include "sectl/sectl.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char crd_usage[] =
	"usage: sectl crd format --cluster-id UUID --role internal|external PATH... [--size SIZE]\n"
	"                        [--region0-size SIZE] [--unit-region-size SIZE] [--force]\n"
	"                        [--unsafe-crd-fs]\n"
	"       sectl crd inspect PATH [--json]\n"
	"       sectl crd verify PATH...\n"
	"       sectl crd replace OLD NEW --surviving PATH [--unsafe-crd-fs]   (offline)\n"
	"       sectl crd replace OLD NEW [--json] [--config FILE] [-v]         (running cluster)\n"
	"       sectl crd release-slot --unit-id N PATH [PATH2]\n";

static int usage_error(const char *fmt, const char *arg)
{
	return sectl_usage_error("crd", crd_usage, fmt, arg);
}

static int fail(const struct sec_err *err)
{
	fprintf(stderr, "sectl crd: %s\n", err->msg);
	return SECTL_EXIT_FAIL;
}

static int size_opt(const char *name, const char *arg, uint64_t *ret)
{
	if (parse_size(arg, ret) < 0 || !*ret) {
		fprintf(stderr, "sectl crd: bad %s '%s' (e.g. 1G, 8M, 4096)\n", name, arg);
		return -1;
	}
	return 0;
}

static int cmd_format(int argc, char **argv)
{
	static const struct option opts[] = {
		{"cluster-id", required_argument, NULL, 'c'},
		{"role", required_argument, NULL, 'r'},
		{"size", required_argument, NULL, 's'},
		{"region0-size", required_argument, NULL, '0'},
		{"unit-region-size", required_argument, NULL, 'u'},
		{"force", no_argument, NULL, 'f'},
		{"unsafe-crd-fs", no_argument, NULL, 'U'},
		{0},
	};
	struct crd_format_opts o = {0};
	struct sec_err err;
	bool have_id = false;
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			if (crd_uuid_parse(optarg, &o.cluster_id) < 0)
				return usage_error("bad cluster id '%s' (expected a uuid)", optarg);
			have_id = true;
			break;
		case 'r':
			if (!strcmp(optarg, "internal"))
				o.role = CRD_ROLE_INTERNAL;
			else if (!strcmp(optarg, "external"))
				o.role = CRD_ROLE_EXTERNAL;
			else
				return usage_error("unknown role '%s' (internal or external)", optarg);
			break;
		case 's':
			if (size_opt("size", optarg, &o.size) < 0)
				return SECTL_EXIT_USAGE;
			break;
		case '0':
			if (size_opt("region 0 size", optarg, &o.region0_copy) < 0)
				return SECTL_EXIT_USAGE;
			break;
		case 'u':
			if (size_opt("unit region size", optarg, &o.unit_copy) < 0)
				return SECTL_EXIT_USAGE;
			break;
		case 'f':
			o.force = true;
			break;
		case 'U':
			o.unsafe_fs = true;
			break;
		default:
			return usage_error("%s", "bad option");
		}
	}
	if (!have_id || !o.role)
		return usage_error("%s", "format needs --cluster-id and --role");
	if (optind >= argc)
		return usage_error("%s", "format needs a PATH");
	if (o.role == CRD_ROLE_INTERNAL && argc - optind > 1)
		return usage_error("an internal CRD is one disk ('%s' is a second)", argv[optind + 1]);
	if (argc - optind > (int)CRD_SET_DISKS_MAX)
		return usage_error("a disk set holds at most 2 external disks ('%s' is a third)",
				   argv[optind + 2]);
	for (int i = optind; i < argc; i++)
		o.paths[o.n_paths++] = argv[i];
	if (crd_format(&o, &err) < 0)
		return fail(&err);
	for (unsigned i = 0; i < o.n_paths; i++)
		printf("formatted '%s' (%s)\n", o.paths[i], crd_role_to_string(o.role));
	return SECTL_EXIT_OK;
}

static int cmd_inspect(int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, {0}};
	struct crd_inspect *ins;
	struct sec_err err;
	bool json = false;
	json_t *j;
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'j')
			return usage_error("%s", "bad option");
		json = true;
	}
	if (argc - optind != 1)
		return usage_error("%s", "inspect takes one PATH");
	if (crd_inspect_read(argv[optind], &ins, &err) < 0)
		return fail(&err);
	if (json) {
		j = crd_inspect_to_json(ins);
		if (!j || json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS) < 0) {
			json_decref(j);
			crd_inspect_free(ins);
			fprintf(stderr, "sectl crd: cannot write JSON for '%s'\n", argv[optind]);
			return SECTL_EXIT_FAIL;
		}
		putchar('\n');
		json_decref(j);
	} else {
		crd_inspect_print(ins, stdout);
	}
	ch = ins->sb_valid ? SECTL_EXIT_OK : SECTL_EXIT_FAIL;
	crd_inspect_free(ins);
	return ch;
}

static int cmd_verify(int argc, char **argv)
{
	int bad;

	if (getopt_long(argc, argv, "", (const struct option[]){{0}}, NULL) != -1)
		return usage_error("%s", "bad option");
	if (optind >= argc)
		return usage_error("%s", "verify needs a PATH");
	bad = crd_verify((const char *const *)argv + optind, (unsigned)(argc - optind), stdout);
	if (bad) {
		fprintf(stderr, "sectl crd: verify found %d problem%s\n", bad, bad == 1 ? "" : "s");
		return SECTL_EXIT_FAIL;
	}
	printf("%d disk%s ok\n", argc - optind, argc - optind == 1 ? "" : "s");
	return SECTL_EXIT_OK;
}

/* With --surviving: the offline form (replace.h; no unit may run). Without: the online form
 * through the running cluster's API (crd_online.c). */
static int cmd_replace(int argc, char **argv)
{
	static const struct option opts[] = {{"surviving", required_argument, NULL, 's'},
					     {"unsafe-crd-fs", no_argument, NULL, 'U'},
					     SECTL_API_LONGOPTS,
					     {0}};
	struct crd_replace_opts o = {.progress = stdout};
	struct sectl_api_opts ao = {0};
	struct crd_replace_result res;
	struct sec_err err;
	bool api = false;
	int ch;

	while ((ch = getopt_long(argc, argv, SECTL_API_SHORTOPTS, opts, NULL)) != -1) {
		if (ch == 'U')
			o.unsafe_fs = true;
		else if (ch == 's')
			o.surviving_path = optarg;
		else if (ch == 'h') {
			fputs(crd_usage, stdout);
			return SECTL_EXIT_OK;
		} else if (sectl_api_opt(&ao, ch, optarg))
			api = true;
		else
			return usage_error("%s", "bad option");
	}
	if (argc - optind != 2)
		return usage_error("%s", "replace takes OLD NEW (and --surviving PATH offline)");
	if (!o.surviving_path && o.unsafe_fs)
		return usage_error("%s", "--unsafe-crd-fs belongs to the offline form (with "
				   "--surviving); a running unit decides by its own configuration");
	if (o.surviving_path && api)
		return usage_error("%s", "--surviving is the offline form; --config, --json and -v "
				   "belong to the online form");
	if (!o.surviving_path)
		return sectl_crd_replace_online(&ao, argv[optind], argv[optind + 1]);
	o.old_path = argv[optind];
	o.new_path = argv[optind + 1];
	if (crd_replace(&o, &res, &err) < 0)
		return fail(&err);
	printf("replaced '%s' by '%s' (disk set generation %llu)\n", o.old_path, o.new_path,
	       (unsigned long long)res.new_generation);
	return SECTL_EXIT_OK;
}

/* `sectl crd release-slot`: a unit whose data directory was lost (release.h). */
static int cmd_release_slot(int argc, char **argv)
{
	static const struct option opts[] = {{"unit-id", required_argument, NULL, 'u'}, {0}};
	struct crd_release_result res;
	struct sec_err err;
	uint64_t id = 0;
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'u' && parse_u64(optarg, &id) == 0 && id >= 1 && id <= 256)
			continue;
		return ch == 'u' ? usage_error("--unit-id '%s': not a unit id 1..256", optarg)
				 : usage_error("%s", "bad option");
	}
	if (!id || argc - optind < 1 || argc - optind > 2)
		return usage_error("%s", "release-slot takes --unit-id N and the 1 or 2 external disks");
	if (crd_release_slot((const char *const *)argv + optind, argc - optind, (uint32_t)id,
			     stdout, &res, &err) < 0)
		return fail(&err);
	if (res.was_empty)
		printf("the slot of unit %llu is empty: nothing to release\n", (unsigned long long)id);
	else
		printf("released the slot of unit %llu (%s); the unit can start with a new data "
		       "directory\n", (unsigned long long)id,
		       res.was_left ? "it had stopped cleanly" : "its alive message had stopped");
	return SECTL_EXIT_OK;
}

int sectl_crd_main(int argc, char **argv)
{
	static const struct sectl_cmd cmds[] = {
		{"format", cmd_format, true},
		{"inspect", cmd_inspect, true},
		{"verify", cmd_verify, true},
		{"replace", cmd_replace, false},
		{"release-slot", cmd_release_slot, true},
	};

	return sectl_dispatch("crd", crd_usage, cmds, sizeof(cmds) / sizeof(cmds[0]), argc, argv);
}
