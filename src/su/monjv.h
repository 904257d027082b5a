/* monjv.h — the MONJV of a VM (vm2000-facts.md §4.1), built in memory from the model.
 *
 * Layout (bytes 1-based, 256 in all, system part 1–128, user part 129–256 blank):
 *   1–3 status `$S ` `$A ` `$I ` `$R ` `$D ` `$H ` `$T `; 4 '0'; 5–8 TSN (blanks);
 *   9–12 catid of the monitor's home pubset (first 4 characters of the host name, upper
 *   case, blank-padded); 13–16 blanks; 17 'V'; 18–20 session number (3 digits);
 *   21–36 monitoring start UTC `yyyy-mm-ddhhmmss`; 37–70 blanks; 71–78 VM name;
 *   79–81 VM index (3 digits); 82–86 guest state `NONE ` `READY` `NTERM` `ATERM`;
 *   87–94 `MIGR-OUT` during an outbound LM (vm2000.md §5), else blanks; 95–256 blanks.
 *
 * The MONJV of an LM (/MIGRATE-VM MONJV=; su_lm_monjv_build() in su/lm.h). Bytes 1–3 are
 * VM2000's (seed 4.3), 4–36 follow the job-monitoring convention (vm2000-facts.md §4.3),
 * the rest is ours (the VM2000 table was not found, §4.2). Numbers are decimal, right-
 * justified, zero-padded; texts left-justified, blank-padded, cut to the width:
 *   1–3 status `$S ` accepted, `$R ` running, `$T ` terminated normally, `$TW` with
 *   warnings, `$AE` aborted with errors, `$AF` rejected; 4 '0'; 5–8 blanks;
 *   9–12 first 4 characters of the source SU's host name (upper case); 13–16 blanks;
 *   17 'V'; 18–20 session number of the source SU; 21–36 LM start UTC `yyyy-mm-ddhhmmss`;
 *   37–52 LM end UTC (blanks while it runs); 53–70 blanks; 71–78 VM name; 79–81 VM index
 *   (on the source); 82 phase `1`..`4` (blank before phase 1); 83–85 percent of the memory
 *   copied (000..100); 86 blank; 87–102 lm_id (16 hex digits); 103 blank; 104–115 dirty
 *   rate, pages/s; 116 blank; 117–124 the real pause STOP -> RESUME, ms (0 until known);
 *   125–128 blanks; 129–192 target SU host name; 193–256 the reason of `$AE`/`$AF` (its
 *   first 64 characters), blanks otherwise. There is no user part. */
#ifndef SEC_SU_MONJV_H
#define SEC_SU_MONJV_H

#include "su/model.h"

#define SU_MONJV_LEN 256

/* Fills out (SU_MONJV_LEN bytes, not NUL-terminated) for vm of m. */
void su_monjv_build(const struct su_model *m, const struct su_vm *vm, char out[SU_MONJV_LEN]);

/* The fields of a VM's MONJV (layout above; strings NUL-terminated, cut to their width):
 * status `$R ` etc., guest state `READY` etc., host the SU's host name (its first 4
 * characters, upper case, are the catid), session the system session number, start_ms the
 * monitoring start (wall clock, ms since the epoch), name/index the VM, migr MIGR-OUT. */
struct su_monjv_vm {
	const char *status, *guest_state, *host, *name;
	unsigned session, index;
	int64_t start_ms;
	bool migr;
};

/* Fills out (SU_MONJV_LEN bytes, not NUL-terminated) from f: su_monjv_build() for a VM of
 * the model, su_lm_monjv_build() (su/lm.h) for the `$T ` MONJV of a VM that migrated away
 * (seed 4.8). */
void su_monjv_vm_fill(const struct su_monjv_vm *f, char out[SU_MONJV_LEN]);

#endif
