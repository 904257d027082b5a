/* err.h — a reason for the user (style.md "Errors"). Functions whose failure an operator
 * must understand take `struct sec_err *reterr` (may be NULL) and fill it on failure:
 * `code` is the -errno also returned, `msg` a complete sentence naming the thing
 * (a path, a key, a block). */
#ifndef SEC_ERR_H
#define SEC_ERR_H

#include <stdarg.h>

struct sec_err {
	int code;
	char msg[512];
};

/* Fills reterr (if not NULL) and returns code (a negative errno) for `return sec_errf(...)`. */
int sec_errf(struct sec_err *reterr, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
