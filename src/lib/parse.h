/* parse.h — checked parsers for numbers, sizes and durations given by people (CLI options,
 * config files). Each takes the whole string (no trailing junk, no sign for unsigned,
 * no overflow) and returns 0 or -EINVAL / -ERANGE; the result is written only on success.
 *
 * Sizes: "4096", "64K", "8M", "1G", "1T", optionally with "iB" ("8MiB"); powers of 1024.
 * Durations: "250ms", "0.5s", "2s", "1m", "1h", or a plain number of milliseconds ("300").
 */
#ifndef SEC_PARSE_H
#define SEC_PARSE_H

#include <stdint.h>

int parse_u64(const char *s, uint64_t *ret);
int parse_u32(const char *s, uint32_t *ret);
/* bytes */
int parse_size(const char *s, uint64_t *ret_bytes);
/* milliseconds; fractional inputs are rounded to the nearest millisecond */
int parse_duration_ms(const char *s, uint64_t *ret_ms);

#endif
