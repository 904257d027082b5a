/* show.h — what the API commands of sectl share to show the JSON of docs/api.md to people:
 * fields read without crashing on a missing or mistyped one, ages and times. */
#ifndef SEC_SECTL_SHOW_H
#define SEC_SECTL_SHOW_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* The string o[key], or NULL (the table prints "-") when it is missing or not a string. */
const char *show_str(const json_t *o, const char *key);
/* An age in ms for people: "0.1 s", "12 s", "5 min", "3 h", "2 d" (negative: "0 s").
 * Returns buf. */
char *show_age(long long ms, char *buf, size_t size);
/* The age o[key] (ms) with show_age() and " ago"; "never" when it is null; NULL when the
 * key is missing or not a number. Returns buf or NULL. */
const char *show_age_field(const json_t *o, const char *key, char *buf, size_t size);
/* The "Alive msg" cell of a unit of the status snapshot (docs/api.md alive_*): "0.4 s ago";
 * "never" when its slot is empty (verdict "never seen", or a snapshot without a verdict);
 * "not yet read" when the observing MU has not read it yet. NULL when alive_age_ms is
 * missing. Returns buf, a literal or NULL. crd.md §4, status.md §1. */
const char *show_alive_age(const json_t *u, char *buf, size_t size);
/* The "Verdict" cell: "alive", "alive (RESTARTING)", "dead", "dead (LEFT)", "never seen",
 * "undeterminable: REASON"; NULL when alive_verdict is missing. Returns buf or NULL. */
const char *show_alive_verdict(const json_t *u, char *buf, size_t size);
/* Local time of ms since the epoch, ISO 8601 to the second: "2026-11-30 03:13:20". */
char *show_local_time(int64_t ms, char *buf, size_t size);
/* "as of 0.1 s ago, version 812" from a snapshot's age_ms and version (either may be
 * missing: "as of ? ago"); version 0 (no snapshot published yet): "not known yet: no
 * status from the Master MU so far" (51 bytes: size ≥ 64). Returns buf. */
char *show_snapshot_age(const json_t *snap, char *buf, size_t size);
/* Prints "Total: N from M" of an events or audit page (total, all; seed 2.3.2, 2.3.3), and
 * " (showing 51-100)" when the page shows only some of them (shown: rows on the page). */
void show_page_total(const json_t *page, size_t shown);

#endif
