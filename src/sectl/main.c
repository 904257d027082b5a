/* sectl — the secluster command-line client. */
#include "lib/log.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	log_init("sectl", 0);
	if (argc < 2) {
		fprintf(stderr, "usage: sectl crd format|inspect|verify|replace ...\n");
		return 2;
	}
	fprintf(stderr, "sectl: unknown command '%s'\n", argv[1]);
	return 2;
}
