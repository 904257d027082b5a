/* sectl.h — the verb groups of the sectl command table (main.c). Each takes the arguments
 * after the group name (argv[0] is the group) and returns the exit status: 0 success,
 * 1 the operation failed (one line on stderr naming the thing), 2 usage error. */
#ifndef SEC_SECTL_H
#define SEC_SECTL_H

#define SECTL_EXIT_OK 0
#define SECTL_EXIT_FAIL 1
#define SECTL_EXIT_USAGE 2

/* `sectl crd format|inspect|verify|replace` (src/sectl/crd.c). */
int sectl_crd_main(int argc, char **argv);
/* `sectl cluster init|show` (src/sectl/cluster.c). */
int sectl_cluster_main(int argc, char **argv);

#endif
