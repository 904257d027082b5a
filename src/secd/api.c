/* api.c — secd's route table and how it authenticates (docs/api.md; architecture.md §4, §6).
 *
 * People: a session token signed with the token key of the global data (the current key,
 * then the previous one during a rotation), checked on this MU without a master. Units:
 * the unit-call HMAC with the cluster key and a per-sender high-water mark
 * (auth/unitmsg.h). Every MU serves every route; an SU serves the routes between units
 * only (its people routes come with the VM2000 commands). */
#include "auth/token.h"
#include "lib/log.h"
#include "secd/lm.h"
#include "secd/routes.h"

#include <errno.h>
#include <stdio.h>

#define ANY 0u
#define OPERATOR (CLUSTER_ROLE_ADMINISTRATOR | CLUSTER_ROLE_OPERATOR)
#define ADMIN CLUSTER_ROLE_ADMINISTRATOR

static const struct api_route mu_routes[] = {
	{"POST", "/api/v1/login", API_AUTH_LOGIN, ANY, secd_route_login},
	{"POST", "/api/v1/logout", API_AUTH_PERSON, ANY, secd_route_logout},
	{"GET", "/api/v1/cluster/status", API_AUTH_PERSON, ANY, secd_route_status},
	{"GET", "/api/v1/units", API_AUTH_PERSON, ANY, secd_route_units},
	{"GET", "/api/v1/clusters", API_AUTH_PERSON, ANY, secd_route_clusters},
	{"GET", "/api/v1/events", API_AUTH_PERSON, ANY, secd_route_events},
	{"POST", "/api/v1/events/ack", API_AUTH_PERSON, OPERATOR, secd_route_events_ack},
	{"GET", "/api/v1/audit", API_AUTH_PERSON, ADMIN, secd_route_audit},
	{"POST", "/api/v1/cluster/force-master", API_AUTH_PERSON, ADMIN, secd_route_force_master},
	{"POST", "/api/v1/crd/replace", API_AUTH_PERSON, ADMIN, secd_route_crd_replace},
	{"POST", "/api/v1/servers", API_AUTH_PERSON, ADMIN, secd_route_server_add},
	{"DELETE", "/api/v1/servers/{name}", API_AUTH_PERSON, ADMIN, secd_route_server_remove},
	{"POST", "/api/v1/units", API_AUTH_PERSON, ADMIN, secd_route_unit_add},
	{"DELETE", "/api/v1/units/{name}", API_AUTH_PERSON, ADMIN, secd_route_unit_remove},
	{"GET", "/api/v1/suclusters", API_AUTH_PERSON, ANY, secd_route_suclusters},
	{"GET", "/api/v1/suclusters/{name}", API_AUTH_PERSON, ANY, secd_route_sucluster_show},
	{"POST", "/api/v1/suclusters", API_AUTH_PERSON, ADMIN, secd_route_sucluster_create},
	{"POST", "/api/v1/suclusters/{name}/activate", API_AUTH_PERSON, ADMIN,
	 secd_route_sucluster_activate},
	{"POST", "/api/v1/suclusters/{name}/deactivate", API_AUTH_PERSON, ADMIN,
	 secd_route_sucluster_deactivate},
	{"DELETE", "/api/v1/suclusters/{name}", API_AUTH_PERSON, ADMIN,
	 secd_route_sucluster_delete},
	{"POST", "/api/v1/sus/{name}/sdf", API_AUTH_PERSON, OPERATOR, secd_route_sus_sdf},
	{"GET", "/api/v1/sus/{name}/console", API_AUTH_PERSON, ANY, secd_route_sus_console},
	{"GET", "/api/v1/systems", API_AUTH_PERSON, ANY, secd_route_systems},
	{"POST", "/api/v1/sus/{name}/migrations", API_AUTH_PERSON, OPERATOR, secd_route_lm_start},
	{"GET", "/api/v1/sus/{name}/migrations", API_AUTH_PERSON, ANY, secd_route_lm_list},
	{"GET", "/api/v1/sus/{name}/migrations/{lm_id}", API_AUTH_PERSON, ANY, secd_route_lm_show},
	{"POST", "/api/v1/sus/{name}/recover", API_AUTH_PERSON, OPERATOR, secd_route_su_recover},
	{"POST", "/api/v1/sus/{name}/migrations/{lm_id}/resolve", API_AUTH_PERSON, ADMIN,
	 secd_route_lm_resolve},
	{"POST", "/api/v1/internal/snapshot", API_AUTH_UNIT, ANY, secd_route_snapshot_in},
	{"POST", "/api/v1/internal/events/ack", API_AUTH_UNIT, ANY, secd_route_ack_in},
	{"POST", "/api/v1/internal/logbook/pull", API_AUTH_UNIT, ANY, secd_route_logbook_pull},
};

static const struct api_route su_routes[] = {
	{"POST", "/api/v1/internal/logbook/pull", API_AUTH_UNIT, ANY, secd_route_logbook_pull},
	{"POST", "/api/v1/internal/sdf", API_AUTH_UNIT, ANY, secd_route_su_sdf},
	{"GET", "/api/v1/internal/console", API_AUTH_UNIT, ANY, secd_route_su_console},
	{"GET", "/api/v1/internal/systems", API_AUTH_UNIT, ANY, secd_route_su_systems},
	{"GET", "/api/v1/internal/lmstat", API_AUTH_UNIT, ANY, secd_route_su_lmstat},
	{"POST", "/api/v1/internal/lm/prepare", API_AUTH_UNIT, ANY, secd_route_su_lm_prepare},
	{"POST", "/api/v1/internal/lm/commit", API_AUTH_UNIT, ANY, secd_route_su_lm_commit},
	{"POST", "/api/v1/internal/lm/abort", API_AUTH_UNIT, ANY, secd_route_su_lm_abort},
	{"GET", "/api/v1/internal/lm/{lm_id}", API_AUTH_UNIT, ANY, secd_route_su_lm_get},
	{"POST", "/api/v1/internal/lm/{lm_id}/resolve", API_AUTH_UNIT, ANY,
	 secd_route_su_lm_resolve},
	{"POST", "/api/v1/internal/su/defmig", API_AUTH_UNIT, ANY, secd_route_su_defmig},
};

static int check_person(void *arg, const char *token, struct auth_token_claims *ret)
{
	struct secd *d = arg;
	struct auth_key keys[2];
	size_t n = 0;
	int r;

	if (!d->global || !d->global->has_token_key)
		return -EKEYREJECTED;
	keys[n++] = d->global->token_key;
	if (d->global->has_token_key_previous)
		keys[n++] = d->global->token_key_previous;
	r = auth_token_verify(token, keys, n, AUTH_TOKEN_SKEW_DEFAULT_S, ret);
	auth_key_wipe(&keys[0]);
	auth_key_wipe(&keys[1]);
	return r < 0 ? r : 0;
}

static int check_unit(void *arg, const char *method, const char *path, const void *body,
		      size_t len, const char *hdr_unit, const char *hdr_auth,
		      struct auth_unitmsg_from *ret)
{
	struct secd *d = arg;

	return auth_unitmsg_accept(d->peers, &d->cluster_key, method, path, body, len, hdr_unit,
				   hdr_auth, 0, ret);
}

static const struct api_auth_ops auth_ops = {
	.person = check_person,
	.unit = check_unit,
};

void secd_api_print_routes(FILE *out)
{
	static const char *const auth[] = {"login", "person", "unit"};

	for (size_t i = 0; i < sizeof(mu_routes) / sizeof(mu_routes[0]); i++)
		fprintf(out, "%s %s %s\n", mu_routes[i].method, mu_routes[i].path,
			auth[mu_routes[i].auth]);
}

int secd_api_start(struct secd *d, struct sec_err *reterr)
{
	bool mu = d->cfg.role == SECD_ROLE_MU;
	int r;

	if (!(d->peers = auth_unitmsg_peers_new(d->cfg.unit_id)))
		return sec_errf(reterr, -ENOMEM, "out of memory");
	r = api_server_start(&d->loop, d->cfg.api_listen, mu ? mu_routes : su_routes,
			     mu ? sizeof(mu_routes) / sizeof(mu_routes[0])
				: sizeof(su_routes) / sizeof(su_routes[0]),
			     &auth_ops, d, &d->api, reterr);
	if (r == 0)
		log_info("%s: REST API on %s", d->who, d->cfg.api_listen);
	return r;
}
