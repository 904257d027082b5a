/* vm.h — what `sectl vm migrate` (vm.c) and `sectl vm lm-resolve` (vmresolve.c) share. */
#ifndef SEC_SECTL_VM_H
#define SEC_SECTL_VM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "sectl/client.h"

/* A VM index 1..99 as a number, else -1 (a name). */
int sectl_vm_index(const char *vm);
/* The SU that has a VM named vm in GET /api/v1/systems, into buf. A VM index, no SU or
 * more than one: a line on stderr asking for --su. Returns a SECTL_EXIT_ status. */
int sectl_vm_find_source(struct sectl_client *c, const char *vm, char *buf, size_t size);
/* Polls GET path (an LM object {"lm"}) every 250 ms until it is completed or aborted;
 * show: a progress line. *ret: the last LM object (new reference). Gives up after 60 s
 * without an answer. Returns a SECTL_EXIT_ status. */
int sectl_vm_follow(struct sectl_client *c, const char *path, bool show, json_t **ret);
/* The end line of an LM: "completed in X.XX s, pause N ms" (exit 0) or "aborted: REASON"
 * (exit 1); json: the LM object. */
int sectl_vm_finish(const json_t *lm, bool json);
/* Prints s without control characters (server text), then a line break. */
void sectl_vm_put_line(const char *s);

/* `sectl vm lm-resolve` (vmresolve.c) with the arguments after "lm-resolve". */
int sectl_vm_lm_resolve(int argc, char **argv);
/* `sectl vm recover` (vmrecover.c). */
int sectl_vm_recover(int argc, char **argv);
extern const char sectl_vm_recover_usage[];
extern const char sectl_vm_resolve_usage[];

#endif
