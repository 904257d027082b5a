/* iocfg.h — the SU's I/O configuration (vm2000.md §1): the device table, one line per
 * device, read from the file named by [su] io_config:
 *
 *     # MN  type      class       connector unit backing file
 *     A000  D3490-30  disk        C0        00   /lab/disks/A000.img
 *     T0    TAPE-U4   tape        C1        00   /lab/tapes/T0.img
 *
 * `#` starts a comment, blank lines are ignored, fields are separated by blanks or tabs.
 * MN: 2 alphanumerics (A-Z 0-9 $ # @) or 4 hex digits (vm2000-facts.md §2.5), stored upper
 * case, unique. class: disk | tape | local-disk | console. Backing file: an absolute path
 * (console: "-"). Errors name file:line:field, e.g. "io.conf:7: field 3 (class): 'dsk'
 * is not one of disk, tape, local-disk, console". */
#ifndef SEC_SU_IOCFG_H
#define SEC_SU_IOCFG_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/err.h"
#include "su/model.h"

/* Parses len bytes of text (name: shown in errors). ret is written only on success.
 * Returns 0, -EINVAL (reterr names file:line:field), -E2BIG (more than SU_IODEV_MAX). */
int su_iocfg_parse(const char *name, const char *text, size_t len, struct su_iocfg *ret,
		   struct sec_err *reterr);
/* Reads and parses a file. Also -errno of open/read with reterr naming the path. */
int su_iocfg_load(const char *path, struct su_iocfg *ret, struct sec_err *reterr);
/* Whether s is a valid MN (2 alphanumerics or 4 hex digits; case-insensitive). */
bool su_mn_valid(const char *s);
/* *DEVICE-RANGE(FROM=from,TO=to) (vm2000-facts.md §1.16): 4-hex names ordered
 * hexadecimally, 2-char names alphabetically; FROM and TO of the same class, FROM <= TO.
 * su_mn_range_valid() says whether the range is well-formed; su_mn_in_range() whether mn
 * lies in it (never for a name of the other class). Case-insensitive. */
bool su_mn_range_valid(const char *from, const char *to);
bool su_mn_in_range(const char *from, const char *to, const char *mn);
/* Parses a class name; returns 0 or -EINVAL. */
int su_dev_class_parse(const char *s, enum su_dev_class *ret);

#endif
