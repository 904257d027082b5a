/* proccpu.h — the CPU time a process has used so far, read from /proc (Linux). Used by the
 * target SU to see when a QEMU it just started has finished starting (secd/lmtgt.c "settle";
 * docs/lm.md). */
#ifndef SEC_PROCCPU_H
#define SEC_PROCCPU_H

#include <stdbool.h>
#include <stdint.h>

/* The CPU time, ns, that every thread of process pid has run so far: the sum of the first
 * field of /proc/<pid>/task/<tid>/schedstat (threads that ended are not counted). Returns
 * it (>= 0), or -errno: -ESRCH no such process, -ENOENT a kernel without schedstat (or
 * a process that ended while it was read), -EINVAL pid <= 0. Reads only; no allocation survives the call. */
int64_t proc_cpu_ns(int pid);

/* True while process pid exists and is not a zombie (/proc/<pid>/stat; pid <= 0: false).
 * For a process that is not our child: its end shows here once its parent reaped it or
 * it became a zombie. */
bool proc_alive(int pid);

#endif
