/* proccpu.h — a process as /proc shows it (Linux): the CPU time it has used so far (the
 * target SU's settle step, secd/lmtgt.c, docs/lm.md) and whether it still runs (secd's
 * QEMUs of a lost guard, sectl lab's waits). */
#ifndef SEC_PROCCPU_H
#define SEC_PROCCPU_H

#include <stdbool.h>
#include <stdint.h>

/* The CPU time, ns, that every thread of process pid has run so far: the sum of the first
 * field of /proc/<pid>/task/<tid>/schedstat (threads that ended are not counted). Returns
 * it (>= 0), or -errno: -ESRCH no such process, -ENOENT a kernel without schedstat (or
 * a process that ended while it was read), -EINVAL pid <= 0. Reads only. */
int64_t proc_cpu_ns(int pid);

/* True while process pid exists, is not a zombie and is no kernel thread (a pid the kernel
 * recycled is not the process we knew); /proc/<pid>/stat, pid <= 0: false. A process that
 * is not our child shows its end here once it is a zombie or reaped. */
bool proc_alive(int pid);

#endif
