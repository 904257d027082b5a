/* log.c — see log.h. One line per call, written with a single write(2) so that lines of
 * concurrent threads do not interleave. */
#include "log.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *log_prog = "secluster";
static _Atomic int log_verbose = -1; /* read by every thread; -1 until log_init() */

static int log_env_verbose(int verbose)
{
	const char *e = getenv("SECLUSTER_DEBUG");

	if (e && *e && *e != '0')
		return verbose > 1 ? verbose : 1;
	return verbose;
}

/* Call once from main() before any thread starts (log_prog is not atomic). */
void log_init(const char *progname, int verbose)
{
	log_prog = progname;
	atomic_store(&log_verbose, log_env_verbose(verbose));
}

static void log_vline(const char *level, const char *fmt, va_list ap, int errnum)
{
	char line[2048];
	int n;

	n = snprintf(line, sizeof(line), "%s: %s", log_prog, level);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if ((size_t)n >= sizeof(line) - 64)
		n = (int)sizeof(line) - 64;
	if (errnum)
		n += snprintf(line + n, sizeof(line) - (size_t)n, ": %s", strerror(errnum));
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* nothing sensible to do when stderr is gone */
	}
}

#define LOG_BODY(level, errnum)                                                                    \
	do {                                                                                       \
		va_list ap;                                                                        \
		va_start(ap, fmt);                                                                 \
		log_vline(level, fmt, ap, errnum);                                                 \
		va_end(ap);                                                                        \
	} while (0)

void log_warn(const char *fmt, ...)
{
	int e = errno;
	LOG_BODY("", e);
}

void log_warnx(const char *fmt, ...)
{
	LOG_BODY("", 0);
}

void log_info(const char *fmt, ...)
{
	LOG_BODY("", 0);
}

void log_debug(const char *fmt, ...)
{
	int v = atomic_load_explicit(&log_verbose, memory_order_relaxed);

	if (v < 0) { /* no log_init(): the environment decides, without touching log_prog */
		int expect = -1;
		v = log_env_verbose(0);
		atomic_compare_exchange_strong(&log_verbose, &expect, v);
	}
	if (v < 1)
		return;
	LOG_BODY("debug: ", 0);
}

void fatal(const char *fmt, ...)
{
	int e = errno;
	LOG_BODY("fatal: ", e);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	LOG_BODY("fatal: ", 0);
	exit(1);
}
