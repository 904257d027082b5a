/* log.h — the four-verb log API (OpenBSD style).
 *
 * log_warn() appends strerror(errno), log_warnx() does not; log_info() and log_debug()
 * for progress; fatal()/fatalx() log and exit(1). Library code (src/crd, src/lib) logs at
 * debug only: it returns -errno and lets the caller, which decides, log once.
 * Output goes to stderr with the program name set by log_init(); debug lines appear
 * only when the verbosity is >= 1 (log_init or SECLUSTER_DEBUG=1 in the environment).
 */
#ifndef SEC_LOG_H
#define SEC_LOG_H

#include <stdarg.h>

void log_init(const char *progname, int verbose);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
