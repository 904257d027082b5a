/* linelog.h — a console as a file of lines, read by sequence number (issue 4 "Consoles").
 *
 * Two kinds of console use it:
 *   - the monitor console of an SU (written here): every command and message, one line
 *     each, stored as "2026-11-30T05:01:02.123Z <text>" — the time is part of the file;
 *   - a guest's KVP console (its serial line, written by QEMU into a file): raw lines; the
 *     time of a line is when linelog_refresh() first saw it complete (in memory only).
 *
 *   struct linelog *l;
 *   linelog_open("/d/console/monitor.log", LINELOG_STAMPED, &l, &err);
 *   linelog_append(l, "% VMS3000 ...");               // stamped writer only
 *   linelog_refresh(l);                                // index lines completed since
 *   struct linelog_line ln;
 *   for (uint64_t s = after + 1; linelog_get(l, s, &ln, buf, sizeof(buf)) == 0; s++) ...
 *   l = linelog_free(l);
 *
 * Sequence numbers start at 1 (the first line of the file) and are stable as long as the
 * file only grows. A file that shrank (replaced) is indexed again from the start. A line
 * longer than LINELOG_LINE_MAX bytes is cut into pieces of that size. Not thread-safe:
 * one owner (secd's loop). */
#ifndef SEC_LINELOG_H
#define SEC_LINELOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

#define LINELOG_LINE_MAX 4096 /* bytes of one line, newline excluded */

enum linelog_kind {
	LINELOG_STAMPED = 1, /* lines carry their time: written by linelog_append() */
	LINELOG_RAW,         /* lines written by someone else (QEMU's serial file) */
	LINELOG_KIND_MAX
};

struct linelog_line {
	uint64_t seq;
	int64_t time_ms; /* wall clock ms since the epoch; 0 = unknown */
	size_t len;      /* bytes of text (may exceed the caller's buffer: text is cut) */
};

struct linelog;

/* Opens (creates for LINELOG_STAMPED, 0640) path and indexes its lines. A LINELOG_RAW file
 * that does not exist yet is fine: it is indexed once it appears. Returns 0 and *ret, or
 * -errno with reterr naming the path. */
int linelog_open(const char *path, enum linelog_kind kind, struct linelog **ret,
		 struct sec_err *reterr);
struct linelog *linelog_free(struct linelog *l);

/* Stamped only: appends "<UTC time> <text>\n" (newlines in text become blanks; no fsync:
 * a console is a log, not a commitment). Returns the line's seq, or -errno. */
int64_t linelog_append(struct linelog *l, const char *text);

/* Indexes the lines completed in the file since the last call. Returns the number of new
 * lines, or -errno (the index so far stays). */
int linelog_refresh(struct linelog *l);

/* The last seq indexed (0 = none). */
uint64_t linelog_last(const struct linelog *l);

/* Line seq: its text into buf (size bytes, NUL-terminated, cut to fit; a stamped line's
 * time prefix removed) and *ret. Returns 0, -ENOENT (no such line yet), -ERANGE (seq 0)
 * or -errno (read). */
int linelog_get(struct linelog *l, uint64_t seq, struct linelog_line *ret, char *buf,
		size_t size);

/* "2026-11-30T05:01:02.123Z" of wall-clock ms into buf (at least 32 bytes). */
void linelog_format_time(int64_t time_ms, char *buf, size_t size);

#endif
