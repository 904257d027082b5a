/* global.h — the global data of the cluster, kept in CRD region 0 (architecture.md §3
 * "topology ... accounts, roles" in the CRD global region; issue 3 "The daemon secd" and
 * "API and CLI"; docs/topology.md has the JSON of both documents below).
 *
 * One typed struct, two JSON documents:
 *  - the topology file that `sectl cluster init --topology FILE` reads: cluster name, SE
 *    Servers, units, optionally the Management Cluster (CLUSTER_GLOBAL_TOPOLOGY);
 *  - the region-0 document: the same plus the format version, the cluster id, the accounts
 *    (argon2id hashes) and the session-token signing key (hex; docs/security.md).
 *
 *     struct cluster_global *g = cluster_global_new();
 *     if (cluster_global_from_json(text, len, CLUSTER_GLOBAL_TOPOLOGY, g, &err) < 0)
 *             -> err.msg names the field path: "units[2].unit_id: 300 is out of range 1..256"
 *     ... fill cluster_id, accounts, token key ...
 *     cluster_global_validate(g, 0, &err);
 *     char *payload = cluster_global_to_string(g, 0);       // region-0 payload, free()
 *     json_t *shown = cluster_global_to_json(g, CLUSTER_GLOBAL_REDACT);  // for people
 *     cluster_global_free(g);                               // wipes hashes and keys
 *
 * Secrets: password hashes and token keys are written only into the region-0 payload;
 * CLUSTER_GLOBAL_REDACT replaces each by "(set)". No message of struct sec_err contains a
 * hash or a key (a bad one is named by its field path only). Nothing here logs. */
#ifndef SEC_CLUSTER_GLOBAL_H
#define SEC_CLUSTER_GLOBAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/key.h"
#include "auth/password.h"
#include "crd/ondisk.h"
#include "lib/err.h"

#define CLUSTER_GLOBAL_FORMAT 1     /* the version of the region-0 document */
#define CLUSTER_NAME_MAX 64         /* bytes of a name with its NUL */
#define CLUSTER_TEXT_MAX 128        /* bytes of a model, location or cluster name with NUL */
#define CLUSTER_ADDR_MAX 64         /* "IPv4:port" or "[IPv6]:port" with NUL */
#define CLUSTER_SERVERS_MAX 64
#define CLUSTER_ACCOUNTS_MAX 64
#define CLUSTER_GLOBAL_JSON_MAX (4u << 20) /* bytes of a document we accept */
#define CLUSTER_SU_CLUSTERS_MAX 64  /* SU Clusters (= CLS_SU_CLUSTERS_MAX) */
#define CLUSTER_SUC_NAME_MAX 33     /* bytes of an SU Cluster name with its NUL (1..32) */

/* Flags of from_json/validate/to_json. */
enum cluster_global_flags {
	/* a topology file: no format, cluster_id, accounts or token keys (refused if
	 * present); validate() does not ask for them */
	CLUSTER_GLOBAL_TOPOLOGY = 1u << 0,
	/* to_json: password hashes and keys as "(set)" (sectl cluster show) */
	CLUSTER_GLOBAL_REDACT = 1u << 1,
	/* another cluster's region-0 document that joins this one (the "global_data" of
	 * POST /api/v1/servers, gedit.h): from_json refuses token keys (they are never sent
	 * around), validate() does not ask for them */
	CLUSTER_GLOBAL_FOREIGN = 1u << 2,
};

enum cluster_su_type {
	CLUSTER_SU_NONE = 0, /* an MU */
	CLUSTER_SU_X86,
	CLUSTER_SU_390,
	CLUSTER_SU_TYPE_MAX
};

/* Account roles: the same bits as session tokens (auth/token.h AUTH_ROLE_*). */
#define CLUSTER_ROLE_ADMINISTRATOR (1u << 0)
#define CLUSTER_ROLE_OPERATOR (1u << 1)
#define CLUSTER_ROLE_READER (1u << 2)

struct cluster_server {
	char name[CLUSTER_NAME_MAX];
	char model[CLUSTER_TEXT_MAX];    /* may be empty */
	char location[CLUSTER_TEXT_MAX]; /* may be empty */
};

struct cluster_unit {
	char name[CLUSTER_NAME_MAX];
	uint32_t unit_id;                /* 1..256: its CRD slot and region */
	enum crd_unit_role role;         /* CRD_UNIT_MU or CRD_UNIT_SU */
	enum cluster_su_type su_type;    /* SU: X86 or 390; MU: NONE */
	char server[CLUSTER_NAME_MAX];   /* the SE Server's name */
	char api[CLUSTER_ADDR_MAX];      /* REST API address:port */
	char heartbeat[CLUSTER_ADDR_MAX]; /* UDP heartbeat address:port */
};

struct cluster_account {
	char name[CLUSTER_NAME_MAX];
	char password_hash[AUTH_PASSWORD_HASH_MAX]; /* argon2id string, secret */
	uint32_t roles;                  /* CLUSTER_ROLE_* bits, not 0 */
};

/* What a cluster does with an SU that does not answer (issue 7 uses it). */
enum cluster_fencing {
	CLUSTER_FENCING_SELF = 0, /* "self": the default */
	CLUSTER_FENCING_NONE,     /* "none" */
	CLUSTER_FENCING_MAX
};

/* An SU Cluster (seed 3.1; docs/topology.md "SU Clusters"): the two SUs between which Live
 * Migration is possible. Rules (cluster_global_validate): name 1..32 of [A-Za-z0-9_-],
 * unique; exactly two distinct SUs of the cluster, of the same SU type; an SU in at most
 * one SU Cluster; SU /390: each SU's SE Server is in the Management Cluster (has an MU).
 * Two SUs x86 may be in the same SE Server. */
struct cluster_su_cluster {
	char name[CLUSTER_SUC_NAME_MAX];
	char units[2][CLUSTER_NAME_MAX];  /* the two SUs' unit names */
	bool active;                      /* false: INACTIVE (no LM) */
	enum cluster_fencing fencing;
};

struct cluster_global {
	uint32_t format;                 /* CLUSTER_GLOBAL_FORMAT */
	crd_uuid cluster_id;             /* the CRD superblock's cluster id */
	char name[CLUSTER_TEXT_MAX];     /* the cluster's name */
	unsigned n_servers;
	struct cluster_server servers[CLUSTER_SERVERS_MAX];
	unsigned n_units;
	struct cluster_unit units[CRD_UNITS_MAX];
	char mc_name[CLUSTER_TEXT_MAX];  /* the Management Cluster */
	unsigned n_mc_servers;
	char mc_servers[CLUSTER_SERVERS_MAX][CLUSTER_NAME_MAX];
	unsigned n_accounts;
	struct cluster_account accounts[CLUSTER_ACCOUNTS_MAX];
	bool has_token_key;
	struct auth_key token_key;       /* current session-token key, secret */
	bool has_token_key_previous;
	struct auth_key token_key_previous; /* during a rotation (docs/security.md) */
	unsigned n_su_clusters;
	struct cluster_su_cluster su_clusters[CLUSTER_SU_CLUSTERS_MAX];
};

/* A zeroed struct (format = CLUSTER_GLOBAL_FORMAT), or NULL (ENOMEM). */
struct cluster_global *cluster_global_new(void);
/* Wipes the hashes and keys and frees; accepts NULL; returns NULL. */
struct cluster_global *cluster_global_free(struct cluster_global *g);

/* Parses len bytes of JSON (not necessarily NUL-terminated) into *ret (overwritten) and
 * validates it (cluster_global_validate() with the same flags). A topology without
 * "management_cluster" gets one named "Management Cluster" with every server that holds
 * an MU. Returns 0, -EINVAL (reterr: "line L column C: ..." for bad JSON, else the field
 * path and the rule: "units[2].unit_id: 300 is out of range 1..256", "servers[1].name:
 * 'se1' is a duplicate of servers[0]", "units[0].adress: unknown key"), or -E2BIG (more
 * than CLUSTER_GLOBAL_JSON_MAX bytes or more entries than the arrays hold). */
int cluster_global_from_json(const char *text, size_t len, unsigned flags,
			     struct cluster_global *ret, struct sec_err *reterr);

/* Checks every rule of docs/topology.md: names (1..63 of [A-Za-z0-9._-], starting with a
 * letter or digit) unique per kind; unit ids 1..256, unique; MU without, SU with an SU
 * type; each unit on a known server; addresses "IPv4:port" / "[IPv6]:port", port 1..65535,
 * unique per kind; at least one server and one MU; the Management Cluster: known servers,
 * each with an MU, and every MU's server in it. Without CLUSTER_GLOBAL_TOPOLOGY also: the
 * format version, a non-null cluster id, argon2id hashes, known roles, an account with the
 * role administrator, a token key. Returns 0 or -EINVAL with the field path in reterr. */
int cluster_global_validate(const struct cluster_global *g, unsigned flags,
			    struct sec_err *reterr);

/* One SE Server / one unit checked alone: the rules of cluster_global_validate() that do
 * not need the rest of the cluster (name, model and location; unit id range, role and SU
 * type, the server's name, both addresses). path names it in the message ("units[2]",
 * "unit"): "unit.api: '1.2.3' is not an address (IPv4:port or [IPv6]:port)". Returns 0 or
 * -EINVAL. */
int cluster_server_check(const struct cluster_server *s, const char *path,
			 struct sec_err *reterr);
int cluster_unit_check(const struct cluster_unit *u, const char *path, struct sec_err *reterr);
/* One SE Server ({"name", "model"?, "location"?}) / one unit ({"name", "unit_id", "role",
 * "su_type"?, "server", "api", "heartbeat"}) from its JSON object, as in the topology file
 * (unknown keys refused), then checked as above. *ret is overwritten. Returns 0 or -EINVAL
 * with the field path under path. */
int cluster_server_from_json(json_t *j, const char *path, struct cluster_server *ret,
			     struct sec_err *reterr);
int cluster_unit_from_json(json_t *j, const char *path, struct cluster_unit *ret,
			   struct sec_err *reterr);

/* The document as a new JSON object (keys in a fixed order), or NULL (ENOMEM).
 * CLUSTER_GLOBAL_REDACT shows secrets as "(set)"; CLUSTER_GLOBAL_TOPOLOGY leaves out
 * format, cluster_id, accounts and keys. */
json_t *cluster_global_to_json(const struct cluster_global *g, unsigned flags);
/* cluster_global_to_json() as compact text (the region-0 payload); free() it — wipe it
 * first with auth_password_wipe() when it holds secrets. NULL on ENOMEM. */
char *cluster_global_to_string(const struct cluster_global *g, unsigned flags);

/* ---- SU Clusters (global_suc.c) ----
 *
 * JSON (region 0 and topology file; the key is left out when there is none):
 *   "su_clusters": [{"name": "SUC1", "units": ["su1", "su2"], "active": true,
 *                    "fencing": "self"}]
 * "active" defaults to true and "fencing" to "self" on input. */

/* The SU Cluster that the unit unit_name belongs to, or NULL (no such unit, an MU, or an SU
 * in no SU Cluster). When partner is not NULL it gets the other SU's name (pointing into
 * g). This is how an SU's secd learns its LM partner and whether LM is allowed
 * (->active), from the global data it re-reads every few seconds (secd_global_sync). */
const struct cluster_su_cluster *cluster_su_cluster_of(const struct cluster_global *g,
						       const char *unit_name,
						       const char **partner);
/* The index of the SU Cluster named name, or -1. */
int cluster_global_find_su_cluster(const struct cluster_global *g, const char *name);
/* The rules of struct cluster_su_cluster for one SU Cluster c against g (against g's SU
 * Clusters before index self; all of them when self is -1; none when self is 0: the rules
 * of c alone). path names it in the
 * message ("su_clusters[1]", "su_cluster"): "su_cluster.units[1]: 'mu1' is an MU, not an
 * SU". Returns 0 or -EINVAL. */
int cluster_su_cluster_check(const struct cluster_global *g, const struct cluster_su_cluster *c,
			     int self, const char *path, struct sec_err *reterr);
/* Every SU Cluster of g (cluster_global_validate calls it). 0 or -EINVAL. */
int cluster_global_validate_su_clusters(const struct cluster_global *g, struct sec_err *reterr);
/* One SU Cluster ({"name", "units", "active"?, "fencing"?}, unknown keys refused) into
 * *ret (overwritten); only the JSON shapes and the name are checked here. Returns 0 or
 * -EINVAL naming the field under path. */
int cluster_su_cluster_from_json(json_t *j, const char *path, struct cluster_su_cluster *ret,
				 struct sec_err *reterr);
/* The SU Cluster as a new JSON object, or NULL (ENOMEM). */
json_t *cluster_su_cluster_to_json(const struct cluster_su_cluster *c);
/* "self", "none"; "?" out of range. Parse: 0, or -EINVAL for another word. */
const char *cluster_fencing_to_string(enum cluster_fencing f);
int cluster_fencing_parse(const char *s, enum cluster_fencing *ret);

/* Helpers for callers. */
const char *cluster_su_type_to_string(enum cluster_su_type t); /* "x86", "390", "" */
/* The index of the unit/server/account named name, or -1. */
int cluster_global_find_server(const struct cluster_global *g, const char *name);
int cluster_global_find_unit(const struct cluster_global *g, const char *name);
int cluster_global_find_account(const struct cluster_global *g, const char *name);
/* The roles bits as "administrator,operator" into buf; returns buf. */
const char *cluster_roles_to_string(uint32_t roles, char *buf, size_t size);

#endif
