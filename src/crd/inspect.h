/* inspect.h — reading one CRD disk completely, for `sectl crd inspect` and `verify`.
 *
 *   struct crd_inspect *ins;
 *   if (crd_inspect_read("d1.crd", &ins, &err) == 0) {
 *           crd_inspect_print(ins, stdout);            // or crd_inspect_to_json(ins)
 *           crd_inspect_free(ins);
 *   }
 *
 * Reads with plain pread through sys_ops; writes nothing. A block that fails its checks is
 * reported with the decoder's reason (crd_decode_strerror), never shown as data. The layout
 * comes from the valid superblock; without one only the superblock states are filled. */
#ifndef SEC_CRD_INSPECT_H
#define SEC_CRD_INSPECT_H

#include "crd/ondisk.h"
#include "crd/setpaths.h"
#include "lib/err.h"

#include <jansson.h>
#include <stdio.h>

enum crd_copy_state {
	CRD_COPY_EMPTY = 0,       /* header block all zero: never written */
	CRD_COPY_OK,              /* header valid, payload CRC matches */
	CRD_COPY_HDR_DAMAGED,     /* header fails its checks (err says why) */
	CRD_COPY_PAYLOAD_BAD,     /* header valid, payload CRC mismatch */
	CRD_COPY_STATE_MAX
};

struct crd_inspect_copy {
	enum crd_copy_state state;
	int err; /* the header decoder's result (0, -ENODATA, -EBADMSG, ...) */
	struct crd_region_hdr hdr; /* valid for OK and PAYLOAD_BAD */
};

struct crd_inspect_region {
	uint32_t region;
	struct crd_inspect_copy copy[2]; /* A, B */
	int current; /* 0 = A, 1 = B: the valid copy with the highest (term, generation); -1 */
};

struct crd_inspect_slot {
	uint32_t unit_id; /* the slot's position, 1..256 */
	int err;          /* crd_slot_in() result; the slot is shown only when != -ENODATA */
	struct crd_slot slot;
	uint64_t dead_bound_ms; /* derived from the advertised timing (crd.md §4) */
};

struct crd_inspect {
	char *path;
	uint64_t file_size; /* bytes */
	int sb_err[2];      /* crd_sb_in() result of copy A, copy B */
	bool sb_valid;      /* sb holds the copy crd_sb_read() chose */
	bool sb_copies_differ;
	struct crd_sb sb;
	int lease_err; /* crd_lease_in(); -ENODATA: never held */
	struct crd_lease_rec lease;
	int paths_err; /* crd_setpaths_in(); -ENODATA: no online replace wrote one */
	struct crd_setpaths paths;
	unsigned n_slots; /* slots that are not empty (valid or damaged) */
	struct crd_inspect_slot slots[CRD_UNITS_MAX];
	unsigned n_regions; /* regions with at least one non-empty copy */
	struct crd_inspect_region regions[CRD_REGIONS_MAX];
};

/* Reads path; returns 0 and a new *ret (free with crd_inspect_free), or -errno when the disk
 * cannot be opened or read (reterr names the path and offset). A damaged disk is not an
 * error here: see the states in *ret. */
int crd_inspect_read(const char *path, struct crd_inspect **ret, struct sec_err *reterr);
/* crd_inspect_read() without the regions (n_regions stays 0): the superblock, the master
 * lease and the slots, about 1 MiB of reads — what `sectl lab` polls to see the Master MU
 * and the alive messages of a running cluster. */
int crd_inspect_read_live(const char *path, struct crd_inspect **ret, struct sec_err *reterr);
/* Accepts NULL; returns NULL. */
struct crd_inspect *crd_inspect_free(struct crd_inspect *ins);

const char *crd_copy_state_to_string(enum crd_copy_state s);
/* A new JSON object (caller json_decref()s it), or NULL on out-of-memory. The shape is
 * documented in docs/crd-inspect.md. */
json_t *crd_inspect_to_json(const struct crd_inspect *ins);
/* The human table of `sectl crd inspect`. */
void crd_inspect_print(const struct crd_inspect *ins, FILE *out);

/* `sectl crd verify`: reads every path, prints one line per problem to out
 * ("PATH: block B (offset O): reason"), and checks that the disks belong to one cluster and
 * one disk set of the newest generation. Returns the number of problems (0 = clean). */
int crd_verify(const char *const *paths, unsigned n_paths, FILE *out);

#endif
