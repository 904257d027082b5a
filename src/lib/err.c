#include "err.h"

#include <stdio.h>

int sec_errf(struct sec_err *reterr, int code, const char *fmt, ...)
{
	va_list ap;

	if (reterr) {
		reterr->code = code;
		va_start(ap, fmt);
		vsnprintf(reterr->msg, sizeof(reterr->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}
