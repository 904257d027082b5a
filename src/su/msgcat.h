/* msgcat.h — the catalogue of the messages the SU's monitor emits (vm2000.md §4): number,
 * text template, meaning, response, and whether the text is VM2000's (from
 * vm2000-facts.md) or ours. docs/messages.md is checked against it by a unit test.
 *
 * Templates use printf conventions; the arguments of each are documented in msgcat.c. */
#ifndef SEC_SU_MSGCAT_H
#define SEC_SU_MSGCAT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct su_msgdef {
	const char *id;	  /* "VMS4013", "CMD0001" */
	const char *text; /* printf template of the message text */
	const char *meaning;
	const char *response; /* what the operator does */
	bool ours;	      /* text written by this project ("our text" in the doc) */
};

/* The entry of id (case-insensitive), or NULL. */
const struct su_msgdef *su_msg_find(const char *id);
/* All entries, sorted by id; *n set. */
const struct su_msgdef *su_msg_all(size_t *n);
#define SU_MSG_TEXT_MAX 624 /* a message's text; "% ID " and it fit SU_MSG_MAX (su/cmd.h) */
/* "% ID text" into out (cap bytes, truncated), the text from id's template and the
 * arguments; "% ID ?" when id is not in the catalogue. Returns as snprintf. */
int su_msg_format(char *out, size_t cap, const char *id, ...);
int su_msg_vformat(char *out, size_t cap, const char *id, va_list ap);
/* The reason a console line gives, for another reason to quote: the text after its
 * "REASON: " (VMS4050, VMS2404, ...), else the line without its "% " prefix. A pointer into
 * line (borrowed); "" for NULL. */
const char *su_msg_reason(const char *line);
/* tmpl with its printf conversions shown as BS2000 inserts "(&00)", "(&01)", ... */
void su_msg_inserts(const char *tmpl, char *out, size_t cap);
/* The /HELP-MSG-INFORMATION output of one entry as lines (malloc'd array of malloc'd
 * strings, *n set; NULL on out-of-memory). */
char **su_msg_help(const struct su_msgdef *d, size_t *n);

/* docs/messages.md as it must read (malloc'd; NULL on out-of-memory). */
char *su_msg_doc_markdown(void);

#endif
