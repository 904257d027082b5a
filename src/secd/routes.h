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
