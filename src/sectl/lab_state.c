/* lab_state.c — DIR/lab.json (what `up` started, read by `status` and `down`) and what
 * the CRD shows of a running lab: the Master MU and the alive messages (lab.h). */
#include "sectl/lab.h"

#include "crd/inspect.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

json_t *lab_state_to_json(const struct lab *lab)
{
	json_t *j = json_object(), *units = json_array(), *servers = json_array(), *ns = json_null();
	char name[16], nsname[16], veth[16], addr[16], subnet[24];

	if (!j || !units || !servers)
		goto fail;
	for (int s = 1; s <= lab->n_servers; s++)
		json_array_append_new(servers, json_string(lab_server_name(s, name)));
	if (lab->netns.on) {
		json_t *list = json_array();
		for (int s = 1; s <= lab->n_servers; s++) {
			lab_netns_server(lab, s, nsname, veth, addr);
			json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s}", "server",
							      lab_server_name(s, name), "name",
							      nsname, "veth", veth, "address", addr));
		}
		snprintf(subnet, sizeof(subnet), "10.251.%d.0/24", lab->netns.subnet);
		ns = json_pack("{s:s, s:s, s:s, s:o}", "tag", lab->netns.tag, "subnet", subnet,
			       "bridge", lab->netns.bridge, "namespaces", list);
	}
	for (int i = 0; i < lab->n_units; i++) {
		const struct lab_unit *u = &lab->units[i];
		json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:s}", "name",
				      u->name, "role", u->mu ? "MU" : "SU", "server",
				      lab_server_name(u->server, name), "unit_id",
				      (json_int_t)u->unit_id, "pid", (json_int_t)u->pid, "api",
				      u->api, "heartbeat", u->heartbeat, "config", u->config,
				      "log", u->log);
		if (o && u->sim)
			json_object_set_new(o, "simulated", json_true());
		if (o && !u->mu && !u->sim) {
			json_object_set_new(o, "guard_pid", json_integer(u->guard_pid));
			json_object_set_new(o, "fakewd_pid", json_integer(u->fakewd_pid));
		}
		json_array_append_new(units, o);
	}
	if (json_object_set_new(j, "dir", json_string(lab->dir)) < 0 ||
	    json_object_set_new(j, "profile", json_string(crd_profile_to_string(lab->profile))) < 0 ||
	    json_object_set_new(j, "base_port", json_integer(lab->base_port)) < 0 ||
	    json_object_set_new(j, "mus_per_server", json_integer(lab->mus_per_server)) < 0 ||
	    json_object_set_new(j, "sus_per_server", json_integer(lab->sus_per_server)) < 0 ||
	    json_object_set_new(j, "servers", servers) < 0 ||
	    json_object_set_new(j, "netns", ns ? ns : json_null()) < 0 ||
	    json_object_set_new(j, "faults", json_boolean(lab->faults)) < 0 ||
	    json_object_set_new(j, "no_guard", json_boolean(lab->no_guard)) < 0 ||
	    json_object_set_new(j, "su_type", json_string(lab->su390 ? "390" : "x86")) < 0 ||
	    json_object_set_new(j, "guest_image", json_string(lab->guest_image)) < 0 ||
	    json_object_set_new(j, "units", units) < 0)
		goto fail_set;
	return j;
fail:
	json_decref(units);
	json_decref(servers);
	json_decref(ns);
fail_set:
	json_decref(j);
	return NULL;
}

int lab_state_write(const struct lab *lab, struct sec_err *err)
{
	char path[LAB_PATH_MAX];
	json_t *j = lab_state_to_json(lab);
	char *text = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	int r;

	json_decref(j);
	if (!text)
		return sec_errf(err, -ENOMEM, "out of memory");
	text = realloc(text, strlen(text) + 2); /* a final newline */
	if (!text)
		return sec_errf(err, -ENOMEM, "out of memory");
	strcat(text, "\n");
	r = lab_write_file_atomic(lab_path(lab, "lab.json", path), text, 0644, err);
	free(text);
	return r;
}

/* Copies string field key of o into buf[size]; -EINVAL naming it when missing or long. */
static int get_str(json_t *o, const char *what, const char *key, char *buf, size_t size,
		   const char *path, struct sec_err *err)
{
	const char *v = json_string_value(json_object_get(o, key));

	if (!v || strlen(v) >= size)
		return sec_errf(err, -EINVAL, "'%s': %s.%s is missing or not a string", path,
				what, key);
	memcpy(buf, v, strlen(v) + 1);
	return 0;
}

static int get_int(json_t *o, const char *what, const char *key, json_int_t min,
		   json_int_t max, json_int_t *ret, const char *path, struct sec_err *err)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return sec_errf(err, -EINVAL, "'%s': %s.%s is missing or out of range", path, what,
				key);
	*ret = json_integer_value(v);
	return 0;
}

static int read_unit(json_t *o, int i, struct lab_unit *u, const char *path,
		     struct sec_err *err)
{
	char what[32], role[4], server[16];
	json_int_t id, pid;
	int r;

	snprintf(what, sizeof(what), "units[%d]", i);
	if ((r = get_str(o, what, "name", u->name, sizeof(u->name), path, err)) < 0 ||
	    (r = get_str(o, what, "role", role, sizeof(role), path, err)) < 0 ||
	    (r = get_str(o, what, "server", server, sizeof(server), path, err)) < 0 ||
	    (r = get_int(o, what, "unit_id", 1, CRD_UNITS_MAX, &id, path, err)) < 0 ||
	    (r = get_int(o, what, "pid", 0, INT32_MAX, &pid, path, err)) < 0 ||
	    (r = get_str(o, what, "api", u->api, sizeof(u->api), path, err)) < 0 ||
	    (r = get_str(o, what, "heartbeat", u->heartbeat, sizeof(u->heartbeat), path, err)) < 0 ||
	    (r = get_str(o, what, "config", u->config, sizeof(u->config), path, err)) < 0 ||
	    (r = get_str(o, what, "log", u->log, sizeof(u->log), path, err)) < 0)
		return r;
	u->mu = !strcmp(role, "MU");
	u->sim = json_is_true(json_object_get(o, "simulated"));
	if (u->sim && pid)
		return sec_errf(err, -EINVAL, "'%s': %s is simulated but has a pid", path, what);
	if (sscanf(server, "server%d", &u->server) != 1 || u->server < 1 ||
	    u->server > LAB_SERVERS_MAX)
		return sec_errf(err, -EINVAL, "'%s': %s.server '%s' is not a lab server", path,
				what, server);
	u->unit_id = (uint32_t)id;
	u->pid = (pid_t)pid;
	/* an SU's guard and fake watchdog (issue 4; absent in an older lab.json: none) */
	if (json_object_get(o, "guard_pid") &&
	    ((r = get_int(o, what, "guard_pid", 0, INT32_MAX, &pid, path, err)) < 0))
		return r;
	u->guard_pid = json_object_get(o, "guard_pid") ? (pid_t)pid : 0;
	if (json_object_get(o, "fakewd_pid") &&
	    ((r = get_int(o, what, "fakewd_pid", 0, INT32_MAX, &pid, path, err)) < 0))
		return r;
	u->fakewd_pid = json_object_get(o, "fakewd_pid") ? (pid_t)pid : 0;
	return 0;
}

static int read_netns(json_t *ns, struct lab *lab, const char *path, struct sec_err *err)
{
	char subnet[24];
	int r;

	lab->netns.on = json_is_object(ns);
	if (!lab->netns.on)
		return 0;
	if ((r = get_str(ns, "netns", "tag", lab->netns.tag, sizeof(lab->netns.tag), path,
			 err)) < 0 ||
	    (r = get_str(ns, "netns", "bridge", lab->netns.bridge, sizeof(lab->netns.bridge),
			 path, err)) < 0 ||
	    (r = get_str(ns, "netns", "subnet", subnet, sizeof(subnet), path, err)) < 0)
		return r;
	if (sscanf(subnet, "10.251.%d.0/24", &lab->netns.subnet) != 1 || lab->netns.subnet < 0 ||
	    lab->netns.subnet > 255)
		return sec_errf(err, -EINVAL, "'%s': netns.subnet '%s' is not 10.251.x.0/24", path,
				subnet);
	return 0;
}

int lab_state_read(const char *dir, struct lab *lab, struct sec_err *err)
{
	char path[LAB_PATH_MAX], profile[16];
	json_error_t je;
	json_t *j, *units;
	json_int_t v;
	int r;

	memset(lab, 0, sizeof(*lab));
	snprintf(lab->dir, sizeof(lab->dir), "%s", dir);
	lab_path(lab, "lab.json", path);
	j = json_load_file(path, 0, &je);
	if (!j) {
		if (je.position == 0 && access(path, F_OK) < 0)
			return sec_errf(err, -ENOENT, "no lab in '%s' (no lab.json)", dir);
		return sec_errf(err, -EINVAL, "'%s': line %d: %s", path, je.line, je.text);
	}
	units = json_object_get(j, "units");
	if ((r = get_str(j, "lab", "profile", profile, sizeof(profile), path, err)) < 0)
		goto out;
	if (crd_profile_from_string(profile, &lab->profile) < 0) {
		r = sec_errf(err, -EINVAL, "'%s': profile '%s' is unknown", path, profile);
		goto out;
	}
	if ((r = get_int(j, "lab", "base_port", 1, 65535, &v, path, err)) < 0)
		goto out;
	lab->base_port = (unsigned)v;
	if (get_int(j, "lab", "mus_per_server", 1, LAB_MUS_PER_SERVER_MAX, &v, path, err) == 0)
		lab->mus_per_server = (int)v;
	if (get_int(j, "lab", "sus_per_server", 0, LAB_SUS_PER_SERVER_MAX, &v, path, err) == 0)
		lab->sus_per_server = (int)v;
	r = json_array_size(json_object_get(j, "servers"));
	if (r < 1 || r > LAB_SERVERS_MAX) {
		r = sec_errf(err, -EINVAL, "'%s': servers is not a list of 1..%d", path,
			     LAB_SERVERS_MAX);
		goto out;
	}
	lab->n_servers = r;
	for (size_t i = 0; i < json_array_size(units); i++)
		lab->sim_units += json_is_true(json_object_get(json_array_get(units, i), "simulated"));
	if (!json_is_array(units) || json_array_size(units) > LAB_UNITS_MAX) {
		r = sec_errf(err, -EINVAL, "'%s': units is not a list of at most %d", path,
			     LAB_UNITS_MAX);
		goto out;
	}
	if ((r = read_netns(json_object_get(j, "netns"), lab, path, err)) < 0)
		goto out;
	lab->faults = json_is_true(json_object_get(j, "faults"));
	lab->no_guard = json_is_true(json_object_get(j, "no_guard"));
	lab->su390 = json_is_string(json_object_get(j, "su_type")) && /* older labs: x86 */
		     !strcmp(json_string_value(json_object_get(j, "su_type")), "390");
	if (json_is_string(json_object_get(j, "guest_image")))
		snprintf(lab->guest_image, sizeof(lab->guest_image), "%s",
			 json_string_value(json_object_get(j, "guest_image")));
	for (size_t i = 0; i < json_array_size(units); i++) {
		if ((r = read_unit(json_array_get(units, i), (int)i, &lab->units[i], path, err)) < 0)
			goto out;
		lab->n_units++;
	}
	r = 0;
out:
	json_decref(j);
	return r;
}

/* The lease record of the disk with the higher (term, counter); false when neither. */
static bool newest_lease(struct crd_inspect *ins[2], const struct crd_lease_rec **ret)
{
	*ret = NULL;
	for (int d = 0; d < 2; d++) {
		if (!ins[d] || !ins[d]->sb_valid || ins[d]->lease_err != 0)
			continue;
		const struct crd_lease_rec *l = &ins[d]->lease;
		if (!*ret || l->term > (*ret)->term ||
		    (l->term == (*ret)->term && l->counter > (*ret)->counter))
			*ret = l;
	}
	return *ret != NULL;
}

void lab_observe(const struct lab *lab, struct lab_view *v)
{
	char path[LAB_PATH_MAX];
	struct crd_inspect *ins[2] = {NULL, NULL};
	const struct crd_lease_rec *l;
	struct sec_err err;

	memset(v, 0, sizeof(*v));
	v->master = -1;
	v->read_err = -EIO;
	for (int d = 0; d < 2; d++) {
		lab_path(lab, d ? "crd/ext2" : "crd/ext1", path);
		if (crd_inspect_read_live(path, &ins[d], &err) == 0)
			v->read_err = 0;
	}
	for (int i = 0; i < lab->n_units; i++)
		for (int d = 0; d < 2 && !v->alive[i]; d++)
			for (unsigned k = 0; ins[d] && ins[d]->sb_valid && k < ins[d]->n_slots; k++) {
				const struct crd_inspect_slot *s = &ins[d]->slots[k];
				if (s->err == 0 && s->unit_id == lab->units[i].unit_id &&
				    s->slot.state == CRD_SLOT_RUNNING) {
					v->alive[i] = true;
					v->incarnation[i] = s->slot.incarnation;
				}
			}
	if (newest_lease(ins, &l) && l->holder && !(l->flags & CRD_LEASE_RELEASED))
		for (int i = 0; i < lab->n_units; i++)
			if (lab->units[i].unit_id == l->holder && lab->units[i].mu &&
			    lab_unit_running(&lab->units[i])) {
				v->master = i;
				v->term = l->term;
			}
	crd_inspect_free(ins[0]);
	crd_inspect_free(ins[1]);
}
