/* dispatch.c — what every verb group of sectl shares: its subcommand table and its usage
 * errors (sectl.h). */
#include "sectl/sectl.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

int sectl_usage_error(const char *group, const char *usage, const char *fmt, const char *arg)
{
	fprintf(stderr, "sectl %s: ", group);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s", usage);
	return SECTL_EXIT_USAGE;
}

int sectl_dispatch(const char *group, const char *usage, const struct sectl_cmd *cmds, size_t n,
		   int argc, char **argv)
{
	if (argc < 2)
		return sectl_usage_error(group, usage, "%s", "missing subcommand");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, stdout);
		return SECTL_EXIT_OK;
	}
	for (size_t i = 0; i < n; i++)
		if (!strcmp(argv[1], cmds[i].name)) {
			for (int k = 2; cmds[i].group_help && k < argc; k++)
				if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h")) {
					fputs(usage, stdout);
					return SECTL_EXIT_OK;
				}
			optind = 1;
			opterr = 1;
			return cmds[i].run(argc - 1, argv + 1);
		}
	return sectl_usage_error(group, usage, "unknown subcommand '%s'", argv[1]);
}
