/* monjv.h — the MONJV of a VM (vm2000-facts.md §4.1), built in memory from the model.
 *
 * Layout (bytes 1-based, 256 in all, system part 1–128, user part 129–256 blank):
 *   1–3 status `$S ` `$A ` `$I ` `$R ` `$D ` `$H ` `$T `; 4 '0'; 5–8 TSN (blanks);
 *   9–12 catid of the monitor's home pubset (first 4 characters of the host name, upper
 *   case, blank-padded); 13–16 blanks; 17 'V'; 18–20 session number (3 digits);
 *   21–36 monitoring start UTC `yyyy-mm-ddhhmmss`; 37–70 blanks; 71–78 VM name;
 *   79–81 VM index (3 digits); 82–86 guest state `NONE ` `READY` `NTERM` `ATERM`;
 *   87–94 `MIGR-OUT` during an outbound LM (vm2000.md §5), else blanks; 95–256 blanks. */
#ifndef SEC_SU_MONJV_H
#define SEC_SU_MONJV_H

#include "su/model.h"

#define SU_MONJV_LEN 256

/* Fills out (SU_MONJV_LEN bytes, not NUL-terminated) for vm of m. */
void su_monjv_build(const struct su_model *m, const struct su_vm *vm, char out[SU_MONJV_LEN]);

#endif
