/* clstatus.h — the Cluster Manager's status computation (status.md §1–§4; seed 1.2, 1.4,
 * 2.2, 3.3, glossary "Cluster Status", "Power Status").
 *
 * Pure functions over a snapshot: no I/O, no clock reads, no allocation. The caller (the
 * Cluster Manager on the Master MU) fills a struct cls_input with the topology from the CRD
 * global region and what it observed of every unit (heartbeat replies, the CRD alive
 * verdict, the unit's own reports) and gets every status the SEM windows show:
 *
 *     struct cls_input *in = ...;          // topology + observations, times in ms
 *     struct cls_snapshot *out = ...;      // large: allocate, do not put on a small stack
 *     cls_compute(in, out);
 *     printf("%s\n", cls_status_to_string(out->mgmt.status));
 *
 * Index-based topology: units name their SE Server by index into in->server[], SU Clusters
 * name their two SUs by index into in->unit[]. The snapshot copies every name, so two
 * snapshots of different topologies can be compared (clevents.h) without the input.
 * With no Master MU (in->master < 0) every computed status is UNKNOWN and the Management
 * Cluster is ERROR (status.md, preamble). */
#ifndef SEC_CLSTATUS_H
#define SEC_CLSTATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crd/alive.h"
#include "crd/status.h"

#define CLS_NAME_MAX        63  /* bytes of a unit, server or cluster name kept */
#define CLS_VERSION_MAX     31  /* bytes of a software version / operation mode kept */
#define CLS_SERVERS_MAX     16
#define CLS_UNITS_MAX       256
#define CLS_SU_CLUSTERS_MAX 64
#define CLS_DISKS_MAX       CRD_SET_DISKS_MAX

#define CLS_MGMT_NAME "Management Cluster"

/* A cluster / summary status. NORMAL, WARNING, ERROR, INACTIVE are the seed's cluster
 * states (glossary "Cluster Status"); NOT_CONFIGURED for ISL-E with one server and for a
 * unit's CRD without external disks; UNKNOWN with no Master MU. The same enum is the
 * "CRD disks" column (crd.md §7 plus UNKNOWN before any report). */
enum cls_status {
	CLS_NORMAL = 0,
	CLS_WARNING,
	CLS_ERROR,
	CLS_INACTIVE,
	CLS_NOT_CONFIGURED,
	CLS_UNKNOWN,
	CLS_STATUS_MAX
};

enum cls_power { CLS_POWER_ON = 0, CLS_POWER_OFF, CLS_POWER_UNKNOWN, CLS_POWER_MAX };

/* Network heartbeat (status.md §1); UNKNOWN only with no Master MU. */
enum cls_hb { CLS_HB_NORMAL = 0, CLS_HB_NOT_ACCESSIBLE, CLS_HB_UNKNOWN, CLS_HB_MAX };

enum cls_system { CLS_SYSTEM_RUNNING = 0, CLS_SYSTEM_DOWN, CLS_SYSTEM_UNKNOWN, CLS_SYSTEM_MAX };

enum cls_role { CLS_ROLE_MU = 0, CLS_ROLE_SU, CLS_ROLE_MAX };

enum cls_su_type { CLS_SU_NONE = 0, CLS_SU_390, CLS_SU_X86, CLS_SU_TYPE_MAX };

/* Why an SU Cluster is not NORMAL (status.md §3); a bit mask of 1u << reason. */
enum cls_su_reason {
	CLS_SUR_INACTIVE = 0,      /* INACTIVE: deactivated by an administrator */
	CLS_SUR_SU_NOT_ON,         /* ERROR: an SU is not ON */
	CLS_SUR_SU_NOT_ACCESSIBLE, /* ERROR: an SU's network heartbeat is NOT_ACCESSIBLE */
	CLS_SUR_SU_CRD_ERROR,      /* ERROR: an SU's CRD status is ERROR */
	CLS_SUR_MODE_DIFFERS,      /* ERROR: the two SUs run different BS2000 operation modes */
	CLS_SUR_NO_MU_OWN_SERVER,  /* ERROR (SU /390): no MU of an SU's own SE Server available */
	CLS_SUR_SU_CRD_WARNING,    /* WARNING: an SU's CRD status is WARNING */
	CLS_SUR_MU_DOWN,           /* WARNING (SU /390): an MU of either SU's server is down */
	CLS_SUR_VERSION_DIFFERS,   /* WARNING: the two SUs run different software versions */
	CLS_SUR_NO_MASTER,         /* UNKNOWN: no Master MU */
	CLS_SU_REASON_MAX
};

/* ---- input ---- */

struct cls_server {
	char name[CLS_NAME_MAX + 1];
};

/* What the Master MU observed of one unit. Times are ms on the master's CLOCK_BOOTTIME
 * (any monotonic base > 0; only differences with cls_input.now_ms are taken). The master
 * fills its own entry as answering (hb_missed 0, last_reply_ms = now_ms) with its own
 * report.
 *
 * Rules applied (status.md §1): Power ON when the unit answers (last_reply_ms != 0 and
 * hb_missed < hb_misses) or alive == ALIVE; OFF when powered_off or alive_reason is
 * CRD_ALIVE_R_LEFT — these win over a heartbeat that has not yet missed hb_misses replies,
 * because the unit announced it; UNKNOWN otherwise. */
struct cls_unit_obs {
	/* network heartbeat: replies missed in a row (0 after a reply) and the time of the
	 * last reply (0 = never). */
	uint32_t hb_missed;
	uint64_t last_reply_ms;
	/* the CRD observer's verdict on the unit's alive message (crd/alive.h) and the time
	 * of the last change of its bytes (0 = never seen). ALIVE = fresh. */
	enum crd_alive_verdict_kind alive;
	enum crd_alive_reason alive_reason; /* CRD_ALIVE_R_LEFT: slot state LEFT */
	uint64_t alive_change_ms;
	enum crd_slot_state alive_state; /* the slot's state as last read; 0 = never decoded */
	uint64_t alive_bound_ms;         /* its advertised dead_bound; 0 = not known */
	bool powered_off; /* an operator powered it off */
	/* the unit's last heartbeat-reply report (kept while it does not answer) */
	bool reported;                   /* some reply carried a report */
	uint64_t report_ms;              /* when that report arrived */
	enum crd_unit_status crd;        /* its "CRD disks" status (crd.md §7) */
	uint32_t n_disks;                /* 0..CLS_DISKS_MAX: its external disks ... */
	enum crd_disk_status disk[CLS_DISKS_MAX];
	char disk_name[CLS_DISKS_MAX][CLS_NAME_MAX + 1]; /* ... and their names */
	enum cls_system system;          /* reported system status */
	char version[CLS_VERSION_MAX + 1];  /* software version, "" = not reported */
	/* |unit wall clock - master wall clock| estimated from the last reply, ms */
	bool skew_known;
	uint32_t skew_ms;
};

struct cls_unit_cfg {
	char name[CLS_NAME_MAX + 1];
	enum cls_role role;
	enum cls_su_type su_type;  /* CLS_SU_NONE for an MU */
	uint32_t server;           /* index into cls_input.server[] */
	char bs2000_mode[CLS_VERSION_MAX + 1]; /* SU: BS2000 operation mode, e.g. "VM2000" */
	struct cls_unit_obs obs;
};

struct cls_su_cluster_cfg {
	char name[CLS_NAME_MAX + 1];
	uint32_t su[2];  /* indexes into cls_input.unit[] (both role SU) */
	bool inactive;   /* deactivated by an administrator */
};

struct cls_input {
	uint64_t now_ms;            /* the master's clock at computation */
	uint32_t hb_misses;         /* status.md §1 (3): NOT_ACCESSIBLE at this many misses */
	uint32_t skew_threshold_ms; /* clock skew above this is a WARNING */
	int32_t master;             /* index of the Master MU in unit[], -1 = none */
	uint32_t n_servers;
	struct cls_server server[CLS_SERVERS_MAX];
	uint32_t n_units;
	struct cls_unit_cfg unit[CLS_UNITS_MAX];
	uint32_t n_su_clusters;
	struct cls_su_cluster_cfg su_cluster[CLS_SU_CLUSTERS_MAX];
};

/* ---- output ----
 *
 * ISL-E (status.md §2), per SE Server over its units that are not OFF: NORMAL when all
 * answer (or there is none), WARNING when some but not all answer, ERROR when none answers
 * while some alive message is fresh (the link is down, the server is not), WARNING when
 * none answers and none is fresh (a link cannot be told from a server that is down). A
 * pair of servers has the worse of its two servers' values. */

struct cls_unit_out {
	char name[CLS_NAME_MAX + 1];
	char server[CLS_NAME_MAX + 1];
	enum cls_role role;
	enum cls_power power;
	enum cls_hb hb;
	enum cls_status crd;         /* "CRD disks": NORMAL/WARNING/ERROR/NOT_CONFIGURED/UNKNOWN */
	uint64_t crd_age_ms;         /* age of the report shown (0 when answering or unknown) */
	uint32_t n_disks;
	enum crd_disk_status disk[CLS_DISKS_MAX];
	char disk_name[CLS_DISKS_MAX][CLS_NAME_MAX + 1];
	uint64_t alive_age_ms;       /* UINT64_MAX when never seen (or not read yet) */
	/* the observer's verdict on the alive message (crd.md §4), its reason, the slot state
	 * as last read (0 = never decoded) and the advertised dead_bound (0 = not known) */
	enum crd_alive_verdict_kind alive;
	enum crd_alive_reason alive_reason;
	enum crd_slot_state alive_state;
	uint64_t dead_bound_ms;
	enum cls_system system;
	enum cls_status summary;     /* NORMAL/WARNING/ERROR (UNKNOWN with no master) */
	bool skew;                   /* clock skew above the threshold */
	uint32_t skew_ms;
	char version[CLS_VERSION_MAX + 1];
};

struct cls_isl_pair {
	uint32_t a, b;               /* server indexes, a < b */
	enum cls_status status;
};

struct cls_mgmt_out {
	bool present;                /* ≥ 2 SE Servers (status.md §2: else the line is absent) */
	enum cls_status status;      /* NORMAL/WARNING/ERROR */
	enum cls_status isl_e;       /* worst pair; NOT_CONFIGURED with one server */
	uint32_t n_pairs;
	struct cls_isl_pair pair[CLS_SERVERS_MAX * (CLS_SERVERS_MAX - 1) / 2];
	enum cls_status server_net[CLS_SERVERS_MAX]; /* each server's share of ISL-E */
	bool have_master;
	char master[CLS_NAME_MAX + 1];  /* "" with no master */
	enum cls_status master_crd;     /* the master's CRD status */
	bool versions_differ;        /* MUs on more than one software version */
};

struct cls_su_cluster_out {
	char name[CLS_NAME_MAX + 1];
	enum cls_status status;      /* INACTIVE/ERROR/WARNING/NORMAL (UNKNOWN: no master) */
	uint32_t reasons;            /* 1u << enum cls_su_reason */
};

/* The dashboard tile "Cluster" (seed 1.4). */
struct cls_dashboard {
	uint32_t n_clusters;         /* Management Cluster (when present) + SU Clusters */
	enum cls_status worst;       /* NOT_CONFIGURED with no cluster */
	bool mgmt_present;
	enum cls_status mgmt;
	uint32_t n_su;
	enum cls_status su_worst;    /* NOT_CONFIGURED with no SU Cluster */
};

/* One row of the cluster overview (seed 1.4); strings are static. */
struct cls_overview_row {
	const char *name;            /* points into the snapshot */
	const char *type;            /* "SE" | "SU" */
	const char *function;        /* "Management" | "Live migration" */
	enum cls_status status;
};

struct cls_snapshot {
	uint64_t version;            /* set by the publisher; cls_compute leaves it 0 */
	uint64_t computed_ms;        /* in->now_ms */
	uint32_t n_servers;
	char server[CLS_SERVERS_MAX][CLS_NAME_MAX + 1];
	uint32_t n_units;
	struct cls_unit_out unit[CLS_UNITS_MAX];
	struct cls_mgmt_out mgmt;
	uint32_t n_su_clusters;
	struct cls_su_cluster_out su_cluster[CLS_SU_CLUSTERS_MAX];
	struct cls_dashboard dash;
};

/* Computes every status of status.md §1–§4 from in into out (fully overwritten). Returns 0,
 * or -EINVAL when in is inconsistent (counts above the maxima, a unit's server index out
 * of range, master not an MU, an SU Cluster not naming two distinct SUs); out is then
 * zeroed. */
int cls_compute(const struct cls_input *in, struct cls_snapshot *out);

/* The unit column rules alone (status.md §1), for one unit; has_master false → UNKNOWN. */
enum cls_power cls_unit_power(const struct cls_unit_obs *o, uint32_t hb_misses, bool has_master);
enum cls_hb cls_unit_hb(const struct cls_unit_obs *o, uint32_t hb_misses, bool has_master);

/* Overview rows (seed 1.4): the Management Cluster first (when present), then the SU
 * Clusters in topology order. Writes at most max rows to rows (pointing into s) and returns
 * the number of rows that exist. */
size_t cls_overview(const struct cls_snapshot *s, struct cls_overview_row *rows, size_t max);

/* Ranks for "worst": NORMAL = NOT_CONFIGURED < INACTIVE < WARNING < UNKNOWN < ERROR. */
enum cls_status cls_status_worst(enum cls_status a, enum cls_status b);

/* Exact words of the seed: "NORMAL", "WARNING", "ERROR", "INACTIVE", "NOT_CONFIGURED",
 * "UNKNOWN"; "ON", "OFF", "UNKNOWN"; "NORMAL", "NOT_ACCESSIBLE", "UNKNOWN"; "RUNNING",
 * "DOWN", "UNKNOWN"; "MU", "SU"; "", "SU /390", "SU x86". "?" when out of range. */
const char *cls_status_to_string(enum cls_status s);
const char *cls_power_to_string(enum cls_power p);
const char *cls_hb_to_string(enum cls_hb h);
const char *cls_system_to_string(enum cls_system s);
const char *cls_role_to_string(enum cls_role r);
const char *cls_su_type_to_string(enum cls_su_type t);
/* A short lowercase reason, e.g. "an SU is not ON". */
const char *cls_su_reason_to_string(enum cls_su_reason r);
/* The "Verdict" word of an alive-message verdict (crd.md §4) as the API and sectl show
 * it: "alive", "dead", "undeterminable", "never seen"; "?" when out of range. */
const char *cls_alive_to_string(enum crd_alive_verdict_kind v);

#endif
