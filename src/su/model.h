/* model.h — the SU's VM model (vm2000.md §1–§3, crd.md §6): resources, I/O configuration,
 * VM definitions with their runtime state, and the JSON payload of the SU's CRD region.
 * Pure: no I/O, no clock, no randomness of its own (the caller passes a random callback).
 *
 * Usage (secd, role su):
 *
 *     struct su_res res;  su_res_init(&res, SU_TYPE_X86, "su1", unit_id);
 *     res.memory_mib = 4096; res.cpus = 2;              // from the [su] section
 *     su_iocfg_load(&res.io, path, &err);                // iocfg.h
 *     struct su_model *m = su_model_new(&res);           // or su_model_from_json(region payload)
 *     su_model_set_hooks(m, &hooks);                     // events, randomness, server name
 *     ... su_cmd_plan() / su_cmd_commit() (cmd.h) ...
 *     char *payload = su_model_to_json(m);               // write the SU's CRD region
 *
 * The monitor system (VM index 1, MONITOR, RUNNING) is not stored: lookups by index 1 or
 * name MONITOR return SU_VM_MONITOR, and it can never be created, started or deleted.
 *
 * VM index for *ANY: the lowest index 2..99 not used by any VM definition of this SU
 * (initialized or not), chosen when the definition is created (/CREATE-VM,
 * /CREATE-VM-DEFINITION with VM-INDEX=*ANY); it stays with the definition, and
 * su_vm.index_any remembers the *ANY (an LM may then take another free index, seed
 * 4.1). Decision recorded in docs/messages.md ("VM index *ANY").
 *
 * Ownership (vm_uuid, epoch, migrated_from, recovered_from, tombstones, former records,
 * LM records) lives in the embedded struct crd_owner_region `own` (crd/owner.h), so the
 * reconcile, RECOVER and LM decisions of crd.md §6 apply unchanged; after such a decision
 * changed `own`, call su_model_sync_owner(). */
#ifndef SEC_SU_MODEL_H
#define SEC_SU_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crd/owner.h"
#include "crd/status.h"
#include "lib/err.h"

#define SU_NAME_MAX	    64	/* SU name / host name, bytes */
#define SU_VM_NAME_MAX	    8	/* VM names: <name 1..8> */
#define SU_MN_MAX	    4	/* MN: 2 alphanumerics or 4 hex digits */
#define SU_DEVTYPE_MAX	    16	/* device type, e.g. D3490-30 */
#define SU_CONN_MAX	    8	/* host connector, unit id */
#define SU_PATH_MAX	    256 /* backing file */
#define SU_IODEV_MAX	    256 /* devices in the I/O configuration */
#define SU_VM_DEVS_MAX	    64	/* devices assigned to one VM */
#define SU_POOLS_MAX	    16
#define SU_GROUPS_MAX	    16
#define SU_INDEX_MIN	    2 /* guests: VM index 2..99 */
#define SU_INDEX_MAX	    99
#define SU_MONITOR_INDEX    1
#define SU_MONITOR_NAME	    "MONITOR"
#define SU_VMS_CAP	    CRD_OWNER_DEFS_MAX /* capacity of definitions (limit below is smaller) */
#define SU_MONJV_MAX	    54
#define SU_DEFAULT_MAX_VMS  32
#define SU_DEFAULT_MAX_DEFS 98
#define SU_STDPOOL	    "*STDPOOL"
#define SU_LM_HIST_MAX	    8  /* LM history rows kept per VM (the last ones) */
#define SU_LMJV_MAX	    16 /* MONJVs of LMs (MIGRATE-VM MONJV=) kept per SU */

enum su_type { SU_TYPE_X86 = 1, SU_TYPE_390, SU_TYPE_MAX };

enum su_dev_class {
	SU_DEV_DISK = 1,
	SU_DEV_TAPE,	   /* removable medium (scsi-cd) */
	SU_DEV_LOCAL_DISK, /* removable medium (scsi-hd,removable=on) */
	SU_DEV_CONSOLE,
	SU_DEV_CLASS_MAX
};

enum su_usage { SU_USAGE_EXCLUSIVE = 1, SU_USAGE_SHARED, SU_USAGE_MAX };

/* One device of the I/O configuration. Strings NUL-terminated. */
struct su_iodev {
	char mn[SU_MN_MAX + 1];	       /* upper case */
	char type[SU_DEVTYPE_MAX + 1]; /* device type */
	enum su_dev_class cls;
	char connector[SU_CONN_MAX + 1]; /* host connector */
	char unit_id[SU_CONN_MAX + 1];
	char backing[SU_PATH_MAX]; /* backing file (absolute path) */
};

struct su_iocfg {
	unsigned n;
	struct su_iodev dev[SU_IODEV_MAX];
};

struct su_pool {
	char name[SU_VM_NAME_MAX + 2]; /* "*STDPOOL" (8) or <name 1..8> */
	unsigned cpus;		       /* real CPUs in the pool */
};

struct su_group { /* VM groups: SU /390 only */
	char name[SU_VM_NAME_MAX + 1];
	char pool[SU_VM_NAME_MAX + 2];
};

/* The SU's resources (vm2000.md §1). */
struct su_res {
	enum su_type type;
	char name[SU_NAME_MAX + 1];	 /* SU name (SE Manager) */
	char host_name[SU_NAME_MAX + 1]; /* host name (VM2000 commands); = name on x86 */
	uint32_t unit_id;		 /* CRD unit id of this SU */
	uint64_t memory_mib;		 /* guest memory, MiB */
	unsigned cpus;			 /* real CPUs for guests */
	unsigned max_vms;		 /* initialized guests at most (32) */
	unsigned max_defs;		 /* VM definitions at most (98) */
	unsigned npools, ngroups;
	bool mighost_current; /* MIGHOST default of the guests (seed 4.5): false = IPL host
			       * data (NSI6231), true = current host data (NSI6232) */
	struct su_pool pools[SU_POOLS_MAX]; /* pools[0] is *STDPOOL, always */
	struct su_group groups[SU_GROUPS_MAX];
	struct su_iocfg io;
};

/* VM states (vm2000.md §3). DEFINED_ONLY = NOT INITIALIZED with a persistent definition. */
enum su_vm_state {
	SU_VM_DEFINED_ONLY = 1,
	SU_VM_INIT_ONLY,
	SU_VM_RUNNING,
	SU_VM_IN_HOLD, /* IN HOLD (WAIT): SU /390 only */
	SU_VM_DOWN,
	SU_VM_SETUP_MIGR, /* LM target (later issue) */
	SU_VM_FENCED,	  /* the guard killed its guest (crd.md §4) */
	SU_VM_CONFLICT,	  /* same vm_uuid valid-looking on two SUs (crd.md §6) */
	SU_VM_STATE_MAX
};

/* A device assigned to a VM (in its definition). */
struct su_vmdev {
	char mn[SU_MN_MAX + 1];
	enum su_usage usage;
};

/* Runtime of an initialized VM (unit data, not a definition attribute). */
struct su_vm_rt {
	int32_t qemu_pid;	      /* 0 = none */
	int64_t started_ms;	      /* wall clock of INIT-ONLY (QEMU start), ms since epoch */
	int64_t running_ms;	      /* wall clock of the last RUNNING, 0 = never */
	bool migr;		      /* "(MIGR)" suffix: an LM of this VM runs */
	bool diff;		      /* sub-status DIFF: migrated (SU /390) from an SU whose I/O
				       * configuration differs; until migrated back or activated
				       * again (seed 4.8) */
	bool aterm;		      /* DOWN because the VM admin/SU killed it (MONJV ATERM) */
	char qemu_ipl[SU_MN_MAX + 1]; /* IPL disk QEMU was started with ("" = none) */
	char monjv[SU_MONJV_MAX + 1]; /* MONJV name given at activation, "" = none */
	int64_t monjv_ms;	      /* monitoring start (MONJV opened) */
};

/* One row of /SHOW-LIVE-MIGRATION-HISTORY (seed 4.5): the LM that made LIVE-MIG-COUNT
 * `count`, when (wall clock, ms since the epoch), from which SU to which (host names), and
 * the VM index on the target. */
struct su_lm_hist {
	unsigned count;
	int64_t ms;
	char source[SU_NAME_MAX + 1];
	char target[SU_NAME_MAX + 1];
	unsigned index;
};

/* A VM definition with its state. vm_uuid/epoch/... are in model->own (same vm_uuid). */
struct su_vm {
	crd_uuid vm_uuid;
	char name[SU_VM_NAME_MAX + 1]; /* upper case */
	unsigned index;		       /* 2..99 */
	bool index_any;		       /* VM-INDEX=*ANY: on an LM / definition migration any
					* free index of the target will do (seed 4.1) */
	uint64_t memory_mib;
	unsigned cpus;			/* virtual CPUs, >= 1 */
	char pool[SU_VM_NAME_MAX + 2];	/* CPU pool, "*STDPOOL" */
	char group[SU_VM_NAME_MAX + 1]; /* VM group (/390), "" = none */
	unsigned ndevs;
	struct su_vmdev devs[SU_VM_DEVS_MAX];
	char ipl_unit[SU_MN_MAX + 1]; /* IPL unit last used, "" = none yet */
	bool persistent;
	enum su_vm_state state;
	struct su_vm_rt rt;
	/* The system's IPL and its LMs (seed 4.5; they travel with the definition, su/lm.h):
	 * set by /START-VM (and the initialization of /CREATE-VM, /ACTIVATE-VM-DEFINITION),
	 * never by an LM. ipl_su "" = never initialized since these fields exist. */
	char ipl_su[SU_NAME_MAX + 1]; /* host name of the SU of the last IPL */
	int64_t ipl_ms;		      /* wall clock of the last IPL, ms since the epoch */
	unsigned ipl_index;	      /* VM index at the last IPL */
	unsigned lm_count;	      /* LIVE-MIG-COUNT: LMs since the last IPL */
	unsigned n_hist;	      /* rows in hist, oldest first (the last SU_LM_HIST_MAX) */
	struct su_lm_hist hist[SU_LM_HIST_MAX];
};

/* The MONJV of an LM (/MIGRATE-VM MONJV=name; vm2000.md §5, su/lm.h, monjv.h). Kept by
 * the source SU's model (persisted) and updated by the LM engine.
 * vm_monjv: instead the VM's own MONJV (/CREATE-VM ... MONJV=name) after the VM migrated
 * away (seed 4.8): status "$T ", vm, source (its catid), start_ms (monitoring start),
 * end_ms (the LM's end, for the eviction order), target and lm_id; shown in the VM MONJV
 * layout with MIGR-OUT kept (monjv.h, docs/decisions.md). */
struct su_lmjv {
	bool vm_monjv;
	char name[SU_MONJV_MAX + 1]; /* the JV name as given */
	char status[4];		     /* "$S " "$R " "$T " "$TW" "$AE" "$AF" */
	char vm[16];		     /* "(3,G1)" */
	char source[SU_NAME_MAX + 1];
	char target[SU_NAME_MAX + 1]; /* host names */
	unsigned phase;		      /* 1..4 (vm2000.md §5), 0 = not yet */
	unsigned percent;	      /* memory copied, 0..100 */
	uint64_t dirty_rate;	      /* pages/s */
	unsigned pause_ms;	      /* the real pause STOP -> RESUME, 0 = not yet */
	uint64_t lm_id;
	int64_t start_ms, end_ms; /* wall clock, ms since the epoch; end 0 = running */
	char reason[96];	  /* $AE/$AF: why, "" otherwise */
};

/* The devices generated on the SU the last incoming LM came from (SU /390, seed 4.8): a
 * VM with sub-status DIFF may get only these (su_lm_diff_refuses, su/lm.h). One record per
 * model, not per VM: every incoming LM comes from the one partner SU of the SU Cluster, and
 * the latest list is what the VM must find generated there to migrate back
 * (docs/decisions.md). */
struct su_lm_src_io {
	char su[SU_NAME_MAX + 1]; /* the source SU's name; "" = none recorded */
	unsigned n;
	char mn[SU_IODEV_MAX][SU_MN_MAX + 1]; /* upper case */
};

/* Something that happened, for the logbook (component "Sys-Mgmt"). */
struct su_event {
	enum crd_event_weight weight;
	const char *component; /* "Sys-Mgmt" (static) */
	unsigned vm_index;
	char vm_name[SU_VM_NAME_MAX + 1];
	char msg[256]; /* `VM (3,VM1) state INIT-ONLY -> RUNNING (START-VM)` */
};

/* Caller-supplied hooks. All may be NULL. */
struct su_hooks {
	/* called once per event, in order; return value ignored */
	void (*event)(void *ctx, const struct su_event *ev);
	/* fills n random bytes; returns 0 or -errno (NULL: getrandom(2) via crd_uuid_random) */
	int (*random)(void *ctx, void *buf, size_t n);
	void *ctx;
};

struct su_model {
	struct su_res res;
	char server[SU_NAME_MAX + 1]; /* the SE server of this SU (systems overview) */
	unsigned session;	      /* system session number 1..999 (MONJV bytes 18–20) */
	unsigned nvms;
	struct su_vm vms[SU_VMS_CAP]; /* VM definitions, no monitor; unordered */
	struct crd_owner_region own;  /* ownership of the same vm_uuids (crd.md §6) */
	unsigned n_lmjv;
	struct su_lmjv lmjv[SU_LMJV_MAX]; /* MONJVs of LMs from this SU and the $T MONJVs of
					   * VMs that migrated away (su/lm.h) */
	struct su_lm_src_io lm_src_io;	  /* what DIFF VMs may get (su/lm.h) */
	struct su_hooks hooks;	      /* not serialized, not copied by su_model_copy */
};

/* Resources with defaults: *STDPOOL with all CPUs, max_vms 32, max_defs 98, host name =
 * name (also on /390 until set), empty I/O configuration, memory 0. */
void su_res_init(struct su_res *res, enum su_type type, const char *name, uint32_t unit_id);

/* A new model with these resources and no VM. NULL on out-of-memory. Free with
 * su_model_free() (accepts NULL, returns NULL). */
struct su_model *su_model_new(const struct su_res *res);
struct su_model *su_model_free(struct su_model *m);
/* A deep copy (hooks not copied: the copy has none). NULL on out-of-memory. */
struct su_model *su_model_copy(const struct su_model *m);
void su_model_set_hooks(struct su_model *m, const struct su_hooks *h);

/* Replaces the resources (config reload); the VMs stay. Assigned devices that are no longer
 * in the I/O configuration are kept and shown by /SHOW-VM-DEFINITION as "NOT GENERATED". */
void su_model_set_res(struct su_model *m, const struct su_res *res);

/* Lookups (pointers into m; NULL = not found). Index 1 / name MONITOR never match. */
struct su_vm *su_model_vm_by_index(const struct su_model *m, unsigned index);
struct su_vm *su_model_vm_by_name(const struct su_model *m, const char *name);
struct su_vm *su_model_vm_by_uuid(const struct su_model *m, const crd_uuid *u);
const struct su_iodev *su_model_iodev(const struct su_model *m, const char *mn);

/* The lowest free VM index 2..99, or 0 when none is free. */
unsigned su_model_free_index(const struct su_model *m);
/* Initialized guests (INIT-ONLY, RUNNING, IN HOLD, DOWN, SETUP(MIGR)). */
unsigned su_model_nvms_initialized(const struct su_model *m);
/* Guest memory reserved by initialized VMs, MiB, and what is left of res.memory_mib. */
uint64_t su_model_mem_used(const struct su_model *m);
uint64_t su_model_mem_free(const struct su_model *m);
bool su_vm_state_initialized(enum su_vm_state s);

/* Adds a new definition (copied from *vm; vm_uuid is made here from the random hook,
 * epoch 1, owner res.unit_id). Returns the stored VM, or NULL with reterr on: name or
 * index in use, no room (caller checks the limits before, with the right messages). */
struct su_vm *su_model_add_vm(struct su_model *m, const struct su_vm *vm, struct sec_err *reterr);
/* Removes the definition (and its ownership entry: a tombstone may stay, crd.md §6).
 * Returns 0, -ENOENT, -ENOSPC (tombstone does not fit: nothing removed). */
int su_model_remove_vm(struct su_model *m, const crd_uuid *u);
/* After crd_owner_reconcile()/crd_lm_*() changed m->own: drops VMs whose vm_uuid is no
 * longer owned (an event each), marks CONFLICT copies. Returns the number dropped. */
int su_model_sync_owner(struct su_model *m);

/* Emits one event about vm (component "Sys-Mgmt") through m's event hook: used for the
 * events that are not state changes ("VM definition (3,VM1) created"). */
void su_model_emit(struct su_model *m, const struct su_vm *vm, enum crd_event_weight w,
		   const char *msg);

/* "x86" / "390". */
const char *su_type_to_string(enum su_type t);
/* "disk", "tape", "local-disk", "console". */
const char *su_dev_class_to_string(enum su_dev_class c);
/* "*EXCLUSIVE" / "*SHARED". */
const char *su_usage_to_string(enum su_usage u);

/* ---- JSON payload of the SU's CRD region (the whole unit data) ----
 *   {"format": 1, "kind": "secluster-su",
 *    "su": {"type": "x86", "name", "host_name", "unit", "memory_mib", "cpus", "max_vms",
 *           "max_vm_definitions", "pools": [{"name", "cpus"}], "groups": [{"name", "pool"}],
 *           "mighost": "ipl" | "current" (optional, default "ipl")},
 *    "io": [{"mn", "type", "class", "connector", "unit", "backing"}],
 *    "server": "srv1", "session": 1,
 *    "vms": [{"vm_uuid", "name", "index", "index_any" (optional, default false),
 *             "memory_mib", "cpus", "pool", "group",
 *             "devices": [{"mn", "usage": "EXCLUSIVE"}], "ipl_unit", "persistent",
 *             "state": "RUNNING", "runtime": {"qemu_pid", "started_ms", "running_ms",
 *             "migr", "aterm", "qemu_ipl", "monjv", "monjv_ms",
 *             "diff" (optional, default false)},
 *             optional (older unit data has none; defaults "" / 0 / []):
 *             "ipl_su", "ipl_ms", "ipl_index", "lm_count",
 *             "lm_history": [{"count", "ms", "source", "target", "index"}]}],
 *    "ownership": { crd_owner_to_json() },
 *    "lm_jvs" (optional, default []): [{"name", "status": "$R ", "vm": "(3,G1)", "source",
 *             "target", "phase", "percent", "dirty_rate", "pause_ms",
 *             "lm_id": "16 hex digits", "start_ms", "end_ms", "reason",
 *             "kind": "vm" (optional: only for a VM's own MONJV, su_lmjv.vm_monjv)}],
 *    "lm_source_io" (optional, absent = none recorded): {"su": "su1", "mns": ["A000", ...]}
 *             (su_lm_src_io)}
 * su_model_to_json: malloc'd text; NULL on out-of-memory.
 * su_model_from_json: len bytes; returns a new model or NULL with reterr naming the field
 * ("bad SU unit data: 'vms[2].index' must be an integer 2..99"); -EINVAL for damaged or
 * foreign data (wrong "kind", "format" newer than this build), never a crash. Every VM's
 * vm_uuid must be in "ownership" and vice versa. */
char *su_model_to_json(const struct su_model *m);
struct su_model *su_model_from_json(const char *buf, size_t len, struct sec_err *reterr);

/* The systems overview of seed 2.3 for GET /api/v1/internal/systems:
 *   {"su": NAME, "systems": [{"name", "vm_index", "host_name", "type", "os", "server",
 *    "unit", "description", "status", "state", "substatus"}]}, the monitor first, then by
 * VM index. "status" is the SE Manager spelling (INIT_ONLY), "state" the VM2000 one
 * (INIT-ONLY, RUNNING(MIGR)), "substatus" "MIGRATING" while an outgoing LM runs, else "".
 * An LM target's reserved VM (SETUP(MIGR)) is not shown (seed 4.4).
 * The monitor row: host_name = the SU's host name, type "BS2000 (monitor)", os "VM2000";
 * a guest row: host_name "" (the guest's own host name is not known to the SU), type
 * "VM", os "BS2000".
 * malloc'd text; NULL on out-of-memory. */
char *su_systems_json(const struct su_model *m);

/* One VM definition alone, as an element of "vms" above (the LM's prepare body, the
 * definition migration): to_json malloc'd text (NULL on out-of-memory); from_json 0 and
 * *ret, or -EINVAL with reterr naming the field (as 'vms[0].x'). */
char *su_vm_to_json(const struct su_vm *vm);
/* An I/O configuration alone, as the "io" list above (the LM's prepare body): to_json
 * malloc'd text (NULL on out-of-memory); from_json 0 and *ret, or -EINVAL with reterr. */
char *su_iocfg_to_json(const struct su_iocfg *io);
int su_iocfg_from_json(const char *buf, size_t len, struct su_iocfg *ret, struct sec_err *reterr);
/* True when a and b generate the same devices (MN, type, class, connector, unit id), in
 * any order; the backing files do not count. */
bool su_iocfg_same(const struct su_iocfg *a, const struct su_iocfg *b);
int su_vm_from_json(const char *buf, size_t len, struct su_vm *ret, struct sec_err *reterr);

#endif
