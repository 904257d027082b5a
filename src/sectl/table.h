/* table.h — the one table printer of sectl: every command that shows rows to people uses it
 * (architecture.md §6 "sectl prints tables for people").
 *
 * Columns are as wide as their widest cell (header included, counted in UTF-8 characters),
 * separated by two spaces; the last column is not padded, so no line ends in a space. A
 * NULL cell prints as "-". Control characters in cells (a message from the server could
 * carry an escape sequence) print as '?'.
 *
 *     struct table *t = table_new(3, (const char *[]){"Name", "Type", "Status"});
 *     table_add(t, (const char *[]){"Management Cluster", "SE", "NORMAL"});
 *     table_print(t, stdout);
 *     t = table_free(t);
 *
 * A table without a header (headers NULL) prints rows only: the "key  value" blocks.
 * `sectl events --follow` prints each new batch as its own table and keeps the columns of
 * the earlier batches with table_min_width()/table_width(). */
#ifndef SEC_SECTL_TABLE_H
#define SEC_SECTL_TABLE_H

#include <stddef.h>
#include <stdio.h>

struct table;

/* A table of ncols (1..32) columns; headers: ncols strings (copied), or NULL for none.
 * Returns NULL when out of memory or ncols is out of range. Free with table_free(). */
struct table *table_new(size_t ncols, const char *const *headers);
/* Accepts NULL; returns NULL. */
struct table *table_free(struct table *t);
/* Appends a row of exactly ncols cells (copied; NULL prints "-"). Returns 0 or -ENOMEM. */
int table_add(struct table *t, const char *const *cells);
/* Number of rows added. */
size_t table_rows(const struct table *t);
/* Column col is at least width characters wide (a --follow batch keeps earlier widths). */
void table_min_width(struct table *t, size_t col, size_t width);
/* The printed width of column col (characters): max of header, cells and min width. */
size_t table_width(const struct table *t, size_t col);
/* Prints the header (if any) and the rows to out. */
void table_print(const struct table *t, FILE *out);
/* Prints only the rows (a --follow batch after the first). */
void table_print_rows(const struct table *t, FILE *out);

#endif
