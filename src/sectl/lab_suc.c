/* lab_suc.c — `sectl lab up --su-cluster`: SU Cluster SUC1 in the lab (issue 5 "SU
 * Clusters"; README "The local lab"), made through the API as an operator would
 * (`sectl sucluster create SUC1 --units su1,su2`), so `make demo` and the LM tests have
 * one. */
#include "lib/clock.h"
#include "sectl/client.h"
#include "sectl/lab.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define SUC_NAME "SUC1"

int lab_su_cluster_pick(const struct lab *lab, int *a, int *b, struct sec_err *reterr)
{
	int first[2] = {-1, -1}, n = 0;

	for (int i = 0; i < lab->n_units && n < 2; i++) {
		const struct lab_unit *u = &lab->units[i];
		if (u->mu || u->sim)
			continue;
		if (lab->n_servers > 1 ? u->server == n + 1 : true)
			first[n++] = i;
	}
	if (n < 2)
		return sec_errf(reterr, -EINVAL, "--su-cluster needs two SUs: one in server1 and "
				"one in server2 (--sus-per-server 1 or more), or two in the one "
				"server (--sus-per-server 2)");
	*a = first[0];
	*b = first[1];
	return 0;
}

/* Waits (until the deadline) until the MU's status names a Master MU: a POST before that
 * is answered 503 "no Master MU is known" and audited as failed, once per retry. */
static void wait_master(struct sectl_client *c, uint64_t deadline)
{
	struct timespec ts = {.tv_nsec = 200 * 1000000L};
	struct sec_err err = {0};

	for (;;) {
		json_t *ans = NULL;
		int r = sectl_client_call(c, "GET", "/api/v1/cluster/status", NULL, 0, &ans, &err);
		bool known = r >= 0 && json_is_string(json_object_get(ans, "master_mu"));

		json_decref(ans);
		if (known || clock_monotonic_ns() >= deadline)
			return;
		nanosleep(&ts, NULL);
	}
}

/* POST, retried while no Master MU answers (503) until the deadline. */
static int create(const struct lab *lab, struct sectl_client *c, const json_t *body,
		  uint64_t deadline, struct sec_err *err)
{
	struct timespec ts = {.tv_nsec = 200 * 1000000L};
	json_t *ans = NULL;
	int r;

	(void)lab;
	while ((r = sectl_client_call(c, "POST", "/api/v1/suclusters", body, 0, &ans, err)) < 0 &&
	       sectl_client_http_status(c) == 503 && clock_monotonic_ns() < deadline)
		nanosleep(&ts, NULL);
	json_decref(ans);
	return r;
}

/* Waits until GET shows a computed status (not UNKNOWN) into status. */
static int wait_status(struct sectl_client *c, uint64_t deadline, char *status, size_t size,
		       struct sec_err *err)
{
	struct timespec ts = {.tv_nsec = 200 * 1000000L};
	const char *s;
	json_t *ans;
	int r;

	for (;;) {
		ans = NULL;
		r = sectl_client_call(c, "GET", "/api/v1/suclusters/" SUC_NAME, NULL, 0, &ans, err);
		s = r < 0 ? NULL
			  : json_string_value(json_object_get(json_object_get(ans, "su_cluster"),
								"status"));
		snprintf(status, size, "%s", s ? s : "UNKNOWN");
		json_decref(ans);
		if (r >= 0 && strcmp(status, "UNKNOWN") && strcmp(status, "ERROR"))
			return 0;
		if (clock_monotonic_ns() >= deadline)
			return r < 0 ? r : 0; /* shown as it is */
		nanosleep(&ts, NULL);
	}
}

int lab_su_cluster_up(const struct lab *lab, struct sec_err *reterr)
{
	unsigned limit_s = lab->profile == CRD_PROFILE_TEST ? 15 : 30;
	uint64_t deadline = clock_monotonic_ns() + limit_s * NSEC_PER_SEC;
	struct sectl_client *c = NULL;
	char status[32];
	json_t *body;
	int a, b, r;

	if ((r = lab_su_cluster_pick(lab, &a, &b, reterr)) < 0)
		return r;
	if ((r = lab_api_client(lab, &c, reterr)) < 0)
		return r;
	body = json_pack("{s:s, s:[s, s]}", "name", SUC_NAME, "units", lab->units[a].name,
			 lab->units[b].name);
	if (body)
		wait_master(c, deadline);
	r = body ? create(lab, c, body, deadline, reterr)
		 : sec_errf(reterr, -ENOMEM, "out of memory");
	json_decref(body);
	if (r >= 0)
		r = wait_status(c, deadline, status, sizeof(status), reterr);
	if (r >= 0)
		printf("SU Cluster '%s' of the SUs '%s' and '%s': %s\n", SUC_NAME,
		       lab->units[a].name, lab->units[b].name, status);
	sectl_client_free(c);
	return r;
}
