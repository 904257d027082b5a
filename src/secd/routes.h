/* routes.h — the handlers of secd's REST API (docs/api.md); the route table is in api.c.
 * Every handler runs on the loop thread with arg = struct secd. */
#ifndef SEC_SECD_ROUTES_H
#define SEC_SECD_ROUTES_H

#include "api/httpd.h"
#include "secd/secd.h"

/* routes.c: people */
void secd_route_login(struct api_req *r, void *arg);
void secd_route_logout(struct api_req *r, void *arg);
void secd_route_status(struct api_req *r, void *arg);
void secd_route_units(struct api_req *r, void *arg);
void secd_route_clusters(struct api_req *r, void *arg);
void secd_route_events(struct api_req *r, void *arg);
void secd_route_events_ack(struct api_req *r, void *arg);
void secd_route_audit(struct api_req *r, void *arg);
/* force.c, crdrepl.c: people (the Master MU's CRD) */
void secd_route_force_master(struct api_req *r, void *arg);
void secd_route_crd_replace(struct api_req *r, void *arg);
/* routes.c: acknowledge this MU's current events for account (r: the person's request to
 * answer, or NULL for one another MU sent). 0 or -ENOMEM / -ESHUTDOWN. */
int secd_ack_local(struct secd *d, const char *account, struct api_req *r);
/* internal.c: send an acknowledgement to every other MU (best effort). */
void secd_ack_propagate(struct secd *d, const char *account);
/* topology.c: people (administrator), forwarded to the Master MU */
void secd_route_server_add(struct api_req *r, void *arg);
void secd_route_server_remove(struct api_req *r, void *arg);
void secd_route_unit_add(struct api_req *r, void *arg);
void secd_route_unit_remove(struct api_req *r, void *arg);
/* suclusters.c: people; the writes (administrator) forwarded to the Master MU */
void secd_route_suclusters(struct api_req *r, void *arg);
void secd_route_sucluster_show(struct api_req *r, void *arg);
void secd_route_sucluster_create(struct api_req *r, void *arg);
void secd_route_sucluster_delete(struct api_req *r, void *arg);
void secd_route_sucluster_activate(struct api_req *r, void *arg);
void secd_route_sucluster_deactivate(struct api_req *r, void *arg);
/* suroutes.c: people, relayed to the SU named in the path (unit-signed calls) */
void secd_route_sus_sdf(struct api_req *r, void *arg);
void secd_route_sus_console(struct api_req *r, void *arg);
void secd_route_systems(struct api_req *r, void *arg);
/* suroutes.c: the relay for other route files (lmroutes.c).
 * secd_su_find: the SU of the global data named name (any case as stored), or NULL after
 * replying 404 not_found to r (no such unit, or an MU).
 * secd_su_relay_sdf: relays the VM2000 command (1..4096 bytes, no control characters
 * needed) to SU u like POST /sus/{name}/sdf — audited the same way (Start, then OK /
 * Failed) — and replies to r itself on every error (503 su_unreachable, 502 su_error, the
 * SU's own 4xx). The SU's 2xx answer (a JSON object: the SDF result of docs/api.md) goes
 * to answer(r, su, status, j, arg) — su: the SU's name — which owns j and must reply to r
 * (called only while r
 * still waits: a cancelled request gets no call); answer NULL: relayed as it is.
 * secd_su_relay_get: the same for GET path (with its query, already percent-encoded) of
 * the SU's internal API, not audited (a read), 5 s timeout. */
typedef void secd_su_answer_fn(struct api_req *r, const char *su, long status, json_t *j,
			       void *arg);
const struct cluster_unit *secd_su_find(struct secd *d, struct api_req *r, const char *name);
void secd_su_relay_sdf(struct secd *d, struct api_req *r, const struct cluster_unit *u,
		       const char *command, secd_su_answer_fn *answer, void *arg);
/* secd_su_relay_action: POSTs body (not stolen; "user" is set to the caller's account) to
 * path on SU u, audited (Sys-Mgmt) as "Action=<action>; SU=..; Command=<what>" at the start
 * and with its result (a 2xx is OK); the answer as for secd_su_relay_sdf. */
void secd_su_relay_action(struct secd *d, struct api_req *r, const struct cluster_unit *u,
			  const char *path, json_t *body, const char *action, const char *what,
			  secd_su_answer_fn *answer, void *arg);
/* The same with "confirm_down" for the SU (/RECOVER-VM-DEFINITION: the operator confirmed
 * that the remote SU is down; audited so). */
void secd_su_relay_sdf_confirmed(struct secd *d, struct api_req *r, const struct cluster_unit *u,
				 const char *command, bool confirm_down,
				 secd_su_answer_fn *answer, void *arg);
void secd_su_relay_get(struct secd *d, struct api_req *r, const struct cluster_unit *u,
		       const char *path, secd_su_answer_fn *answer, void *arg);
/* lmroutes.c: people, relayed to the source SU (docs/api.md "Live Migration") */
void secd_route_lm_start(struct api_req *r, void *arg);
void secd_route_lm_resolve(struct api_req *r, void *arg);
void secd_route_su_recover(struct api_req *r, void *arg);
void secd_route_lm_list(struct api_req *r, void *arg);
void secd_route_lm_show(struct api_req *r, void *arg);
/* internal.c: units */
void secd_route_ack_in(struct api_req *r, void *arg);
void secd_route_snapshot_in(struct api_req *r, void *arg);
void secd_route_logbook_pull(struct api_req *r, void *arg);
/* suapi.c: an SU's routes between units (VM2000 commands, consoles, systems) */
void secd_route_su_sdf(struct api_req *r, void *arg);
void secd_route_su_console(struct api_req *r, void *arg);
void secd_route_su_systems(struct api_req *r, void *arg);
/* sudefmig.c: the target SU's half of /MIGRATE-VM-DEFINITION (SU -> SU) */
void secd_route_su_defmig(struct api_req *r, void *arg);

#endif
