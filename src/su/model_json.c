/* model_json.c — the JSON payload of the SU's CRD region: the whole unit data (model.h). */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "su/iocfg.h"
#include "su/model.h"
#include "su/vmstate.h"

#define SU_FORMAT 1
#define SU_KIND	  "secluster-su"

/* ---- out ---- */

static json_t *res_json(const struct su_model *m)
{
	const struct su_res *r = &m->res;
	json_t *pools = json_array(), *groups = json_array();

	for (unsigned i = 0; i < r->npools; i++)
		json_array_append_new(pools, json_pack("{s:s, s:i}", "name", r->pools[i].name,
						       "cpus", (int)r->pools[i].cpus));
	for (unsigned i = 0; i < r->ngroups; i++)
		json_array_append_new(groups, json_pack("{s:s, s:s}", "name", r->groups[i].name,
							"pool", r->groups[i].pool));
	return json_pack("{s:s, s:s, s:s, s:I, s:I, s:i, s:i, s:i, s:o, s:o, s:s}", "type",
			 su_type_to_string(r->type), "name", r->name, "host_name", r->host_name,
			 "unit", (json_int_t)r->unit_id, "memory_mib", (json_int_t)r->memory_mib,
			 "cpus", (int)r->cpus, "max_vms", (int)r->max_vms, "max_vm_definitions",
			 (int)r->max_defs, "pools", pools, "groups", groups, "mighost",
			 r->mighost_current ? "current" : "ipl");
}

static json_t *io_json(const struct su_iocfg *io)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < io->n; i++) {
		const struct su_iodev *d = &io->dev[i];
		json_array_append_new(
		    a, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "mn", d->mn, "type", d->type,
				 "class", su_dev_class_to_string(d->cls), "connector", d->connector,
				 "unit", d->unit_id, "backing", d->backing));
	}
	return a;
}

static json_t *lm_id_json(uint64_t id)
{
	char s[17];

	snprintf(s, sizeof(s), "%016" PRIx64, id);
	return json_string(s);
}

/* The IPL and LM fields of a VM (optional on input: older unit data has none). */
static int vm_lm_json(json_t *o, const struct su_vm *vm)
{
	json_t *hist = json_array();

	for (unsigned i = 0; hist && i < vm->n_hist && i < SU_LM_HIST_MAX; i++) {
		const struct su_lm_hist *h = &vm->hist[i];
		json_array_append_new(hist, json_pack("{s:i, s:I, s:s, s:s, s:i}", "count",
						      (int)h->count, "ms", (json_int_t)h->ms,
						      "source", h->source, "target", h->target,
						      "index", (int)h->index));
	}
	json_t *add = json_pack("{s:s, s:I, s:i, s:i, s:o}", "ipl_su", vm->ipl_su, "ipl_ms",
				(json_int_t)vm->ipl_ms, "ipl_index", (int)vm->ipl_index,
				"lm_count", (int)vm->lm_count, "lm_history", hist);
	int r = add ? json_object_update(o, add) : -1;

	json_decref(add);
	return r;
}

static json_t *lmjv_json(const struct su_lmjv *jv)
{
	json_t *o = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:I, s:i, s:o, s:I, s:I, s:s}", "name", jv->name,
	    "status", jv->status, "vm", jv->vm, "source", jv->source, "target", jv->target, "phase",
	    (int)jv->phase, "percent", (int)jv->percent, "dirty_rate",
	    (json_int_t)(jv->dirty_rate > INT64_MAX ? INT64_MAX : jv->dirty_rate), "pause_ms",
	    (int)jv->pause_ms, "lm_id", lm_id_json(jv->lm_id), "start_ms", (json_int_t)jv->start_ms,
	    "end_ms", (json_int_t)jv->end_ms, "reason", jv->reason);

	if (o && jv->vm_monjv) /* optional: absent = an LM's MONJV */
		json_object_set_new(o, "kind", json_string("vm"));
	return o;
}

static json_t *vm_json(const struct su_vm *vm)
{
	char uuid[37];
	json_t *devs = json_array();

	crd_uuid_to_string(&vm->vm_uuid, uuid);
	for (unsigned i = 0; i < vm->ndevs; i++)
		json_array_append_new(
		    devs, json_pack("{s:s, s:s}", "mn", vm->devs[i].mn, "usage",
				    vm->devs[i].usage == SU_USAGE_SHARED ? "SHARED" : "EXCLUSIVE"));
	json_t *rt = json_pack("{s:i, s:I, s:I, s:b, s:b, s:s, s:s, s:I}", "qemu_pid",
			       (int)vm->rt.qemu_pid, "started_ms", (json_int_t)vm->rt.started_ms,
			       "running_ms", (json_int_t)vm->rt.running_ms, "migr", vm->rt.migr,
			       "aterm", vm->rt.aterm, "qemu_ipl", vm->rt.qemu_ipl, "monjv",
			       vm->rt.monjv, "monjv_ms", (json_int_t)vm->rt.monjv_ms);
	json_t *o = json_pack(
	    "{s:s, s:s, s:i, s:b, s:I, s:i, s:s, s:s, s:o, s:s, s:b, s:s, s:o}", "vm_uuid", uuid,
	    "name", vm->name, "index", (int)vm->index, "index_any", vm->index_any, "memory_mib",
	    (json_int_t)vm->memory_mib, "cpus", (int)vm->cpus, "pool", vm->pool, "group",
	    vm->group, "devices", devs, "ipl_unit", vm->ipl_unit, "persistent", vm->persistent,
	    "state", su_vm_state_to_sem(vm->state), "runtime", rt);
	if (o && vm_lm_json(o, vm) < 0)
		o = (json_decref(o), NULL);
	if (o && vm->rt.diff) /* optional: absent = false */
		json_object_set_new(json_object_get(o, "runtime"), "diff", json_true());
	return o;
}

/* Adds "lm_source_io" to o when m has a record (model.h). 0, -1 on out-of-memory. */
static int src_io_json(json_t *o, const struct su_model *m)
{
	const struct su_lm_src_io *r = &m->lm_src_io;
	json_t *mns = json_array();

	if (!r->su[0] || !mns) {
		json_decref(mns);
		return r->su[0] ? -1 : 0;
	}
	for (unsigned i = 0; i < r->n && i < SU_IODEV_MAX; i++)
		json_array_append_new(mns, json_string(r->mn[i]));
	return json_object_set_new(o, "lm_source_io",
				   json_pack("{s:s, s:o}", "su", r->su, "mns", mns));
}

char *su_model_to_json(const struct su_model *m)
{
	json_t *vms = json_array(), *jvs = json_array(), *own = NULL, *o = NULL;
	char *owntxt = crd_owner_to_json(&m->own), *s = NULL;

	if (!vms || !jvs || !owntxt)
		goto out;
	own = json_loads(owntxt, 0, NULL);
	for (unsigned i = 0; i < m->nvms; i++) /* an LM's reservation is no unit data (lmrun.h) */
		if (m->vms[i].state != SU_VM_SETUP_MIGR || crd_owner_find(&m->own, &m->vms[i].vm_uuid))
			json_array_append_new(vms, vm_json(&m->vms[i]));
	for (unsigned i = 0; i < m->n_lmjv && i < SU_LMJV_MAX; i++)
		json_array_append_new(jvs, lmjv_json(&m->lmjv[i]));
	o = json_pack("{s:i, s:s, s:o, s:o, s:s, s:i, s:O, s:O, s:O}", "format", SU_FORMAT,
		      "kind", SU_KIND, "su", res_json(m), "io", io_json(&m->res.io), "server",
		      m->server, "session", (int)m->session, "vms", vms, "ownership", own,
		      "lm_jvs", jvs);
	if (o && src_io_json(o, m) == 0)
		s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
out:
	json_decref(o);
	json_decref(own);
	json_decref(vms);
	json_decref(jvs);
	free(owntxt);
	return s;
}

/* ---- in ---- */

#define BAD(...) sec_errf(reterr, -EINVAL, "bad SU unit data: " __VA_ARGS__)

static int get_int(json_t *o, const char *path, const char *key, int64_t min, int64_t max,
		   int64_t *ret, struct sec_err *reterr)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return BAD("'%s%s' must be an integer %" PRId64 "..%" PRId64, path, key, min, max);
	*ret = json_integer_value(v);
	return 0;
}

static int get_str(json_t *o, const char *path, const char *key, size_t minlen, char *out,
		   size_t cap, struct sec_err *reterr)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v) || json_string_length(v) < minlen || json_string_length(v) >= cap ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return BAD("'%s%s' must be a string of %zu..%zu characters", path, key, minlen,
			   cap - 1);
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int get_bool(json_t *o, const char *path, const char *key, bool *ret, struct sec_err *reterr)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_boolean(v))
		return BAD("'%s%s' must be true or false", path, key);
	*ret = json_is_true(v);
	return 0;
}

/* Optional members: absent = leave *ret as it is (older unit data). */
static int opt_int(json_t *o, const char *path, const char *key, int64_t min, int64_t max,
		   int64_t *ret, struct sec_err *reterr)
{
	return json_object_get(o, key) ? get_int(o, path, key, min, max, ret, reterr) : 0;
}

static int opt_str(json_t *o, const char *path, const char *key, char *out, size_t cap,
		   struct sec_err *reterr)
{
	return json_object_get(o, key) ? get_str(o, path, key, 0, out, cap, reterr) : 0;
}

static int res_in(json_t *o, struct su_res *r, struct sec_err *reterr)
{
	char t[8];
	int64_t v;

	if (!json_is_object(o))
		return BAD("'su' must be an object");
	if (get_str(o, "su.", "type", 1, t, sizeof(t), reterr) < 0)
		return -EINVAL;
	if (strcmp(t, "x86") && strcmp(t, "390"))
		return BAD("'su.type' must be \"x86\" or \"390\"");
	su_res_init(r, strcmp(t, "x86") == 0 ? SU_TYPE_X86 : SU_TYPE_390, "", 0);
	if (get_str(o, "su.", "name", 1, r->name, sizeof(r->name), reterr) < 0 ||
	    get_str(o, "su.", "host_name", 1, r->host_name, sizeof(r->host_name), reterr) < 0)
		return -EINVAL;
	if (get_int(o, "su.", "unit", 0, UINT32_MAX, &v, reterr) < 0)
		return -EINVAL;
	r->unit_id = (uint32_t)v;
	if (get_int(o, "su.", "memory_mib", 0, INT64_C(1) << 40, &v, reterr) < 0)
		return -EINVAL;
	r->memory_mib = (uint64_t)v;
	if (get_int(o, "su.", "cpus", 0, 4096, &v, reterr) < 0)
		return -EINVAL;
	r->cpus = (unsigned)v;
	if (get_int(o, "su.", "max_vms", 0, SU_INDEX_MAX, &v, reterr) < 0)
		return -EINVAL;
	r->max_vms = (unsigned)v;
	if (get_int(o, "su.", "max_vm_definitions", 0, SU_VMS_CAP, &v, reterr) < 0)
		return -EINVAL;
	r->max_defs = (unsigned)v;
	json_t *pools = json_object_get(o, "pools"), *groups = json_object_get(o, "groups");
	if (!json_is_array(pools) || json_array_size(pools) < 1 ||
	    json_array_size(pools) > SU_POOLS_MAX)
		return BAD("'su.pools' must be an array of 1..%d pools", SU_POOLS_MAX);
	if (!json_is_array(groups) || json_array_size(groups) > SU_GROUPS_MAX)
		return BAD("'su.groups' must be an array of at most %d groups", SU_GROUPS_MAX);
	r->npools = (unsigned)json_array_size(pools);
	for (unsigned i = 0; i < r->npools; i++) {
		char p[32];
		json_t *e = json_array_get(pools, i);
		snprintf(p, sizeof(p), "su.pools[%u].", i);
		if (!json_is_object(e))
			return BAD("'su.pools[%u]' must be an object", i);
		if (get_str(e, p, "name", 1, r->pools[i].name, sizeof(r->pools[i].name), reterr) <
			0 ||
		    get_int(e, p, "cpus", 0, 4096, &v, reterr) < 0)
			return -EINVAL;
		r->pools[i].cpus = (unsigned)v;
	}
	if (strcmp(r->pools[0].name, SU_STDPOOL) != 0)
		return BAD("'su.pools[0].name' must be \"%s\"", SU_STDPOOL);
	char mh[8] = "ipl"; /* optional: absent in older unit data */
	if (opt_str(o, "su.", "mighost", mh, sizeof(mh), reterr) < 0)
		return -EINVAL;
	if (strcmp(mh, "ipl") && strcmp(mh, "current"))
		return BAD("'su.mighost' must be \"ipl\" or \"current\"");
	r->mighost_current = strcmp(mh, "current") == 0;
	r->ngroups = (unsigned)json_array_size(groups);
	for (unsigned i = 0; i < r->ngroups; i++) {
		char p[32];
		json_t *e = json_array_get(groups, i);
		snprintf(p, sizeof(p), "su.groups[%u].", i);
		if (!json_is_object(e))
			return BAD("'su.groups[%u]' must be an object", i);
		if (get_str(e, p, "name", 1, r->groups[i].name, sizeof(r->groups[i].name), reterr) <
			0 ||
		    get_str(e, p, "pool", 1, r->groups[i].pool, sizeof(r->groups[i].pool), reterr) <
			0)
			return -EINVAL;
	}
	return 0;
}

static int io_in(json_t *a, struct su_iocfg *io, struct sec_err *reterr)
{
	if (!json_is_array(a) || json_array_size(a) > SU_IODEV_MAX)
		return BAD("'io' must be an array of at most %d devices", SU_IODEV_MAX);
	io->n = 0;
	for (unsigned i = 0; i < json_array_size(a); i++) {
		struct su_iodev *d = &io->dev[i];
		json_t *e = json_array_get(a, i);
		char p[24], cls[16];
		snprintf(p, sizeof(p), "io[%u].", i);
		if (!json_is_object(e))
			return BAD("'io[%u]' must be an object", i);
		memset(d, 0, sizeof(*d));
		if (get_str(e, p, "mn", 2, d->mn, sizeof(d->mn), reterr) < 0 ||
		    get_str(e, p, "type", 1, d->type, sizeof(d->type), reterr) < 0 ||
		    get_str(e, p, "class", 1, cls, sizeof(cls), reterr) < 0 ||
		    get_str(e, p, "connector", 1, d->connector, sizeof(d->connector), reterr) < 0 ||
		    get_str(e, p, "unit", 1, d->unit_id, sizeof(d->unit_id), reterr) < 0 ||
		    get_str(e, p, "backing", 1, d->backing, sizeof(d->backing), reterr) < 0)
			return -EINVAL;
		if (!su_mn_valid(d->mn))
			return BAD("'io[%u].mn' '%s' is not a valid MN", i, d->mn);
		if (su_dev_class_parse(cls, &d->cls) < 0)
			return BAD("'io[%u].class' '%s' is not disk, tape, local-disk or console",
				   i, cls);
		io->n++;
	}
	return 0;
}

static int lm_id_in(json_t *o, const char *path, uint64_t *ret, struct sec_err *reterr)
{
	json_t *v = json_object_get(o, "lm_id");
	const char *t = json_string_value(v);

	if (!t || strlen(t) != 16 || strspn(t, "0123456789abcdefABCDEF") != 16)
		return BAD("'%slm_id' must be 16 hex digits", path);
	*ret = strtoull(t, NULL, 16);
	return 0;
}

/* The IPL and LM fields of a VM: all optional (older unit data has none). */
static int vm_lm_in(json_t *e, const char *p, struct su_vm *vm, struct sec_err *reterr)
{
	int64_t v = 0;

	if (opt_str(e, p, "ipl_su", vm->ipl_su, sizeof(vm->ipl_su), reterr) < 0 ||
	    opt_int(e, p, "ipl_ms", 0, INT64_MAX, &vm->ipl_ms, reterr) < 0)
		return -EINVAL;
	if (opt_int(e, p, "ipl_index", 0, SU_INDEX_MAX, &v, reterr) < 0)
		return -EINVAL;
	vm->ipl_index = (unsigned)v;
	v = 0;
	if (opt_int(e, p, "lm_count", 0, INT32_MAX, &v, reterr) < 0)
		return -EINVAL;
	vm->lm_count = (unsigned)v;
	json_t *h = json_object_get(e, "lm_history");
	if (!h)
		return 0;
	if (!json_is_array(h) || json_array_size(h) > SU_LM_HIST_MAX)
		return BAD("'%slm_history' must be an array of at most %d rows", p, SU_LM_HIST_MAX);
	for (unsigned k = 0; k < json_array_size(h); k++) {
		struct su_lm_hist *r = &vm->hist[k];
		json_t *row = json_array_get(h, k);
		char hp[48];
		snprintf(hp, sizeof(hp), "%slm_history[%u].", p, k);
		if (!json_is_object(row))
			return BAD("'%slm_history[%u]' must be an object", p, k);
		if (get_int(row, hp, "count", 1, INT32_MAX, &v, reterr) < 0)
			return -EINVAL;
		r->count = (unsigned)v;
		if (get_int(row, hp, "ms", 0, INT64_MAX, &r->ms, reterr) < 0 ||
		    get_str(row, hp, "source", 1, r->source, sizeof(r->source), reterr) < 0 ||
		    get_str(row, hp, "target", 1, r->target, sizeof(r->target), reterr) < 0 ||
		    get_int(row, hp, "index", SU_INDEX_MIN, SU_INDEX_MAX, &v, reterr) < 0)
			return -EINVAL;
		r->index = (unsigned)v;
		vm->n_hist++;
	}
	return 0;
}

static int lmjv_in(json_t *e, unsigned i, struct su_lmjv *jv, struct sec_err *reterr)
{
	static const char *const statuses[] = {"$S ", "$R ", "$T ", "$TW", "$AE", "$AF"};
	char p[24];
	int64_t v;
	bool ok = false;

	snprintf(p, sizeof(p), "lm_jvs[%u].", i);
	if (!json_is_object(e))
		return BAD("'lm_jvs[%u]' must be an object", i);
	memset(jv, 0, sizeof(*jv));
	if (get_str(e, p, "name", 1, jv->name, sizeof(jv->name), reterr) < 0 ||
	    get_str(e, p, "status", 3, jv->status, sizeof(jv->status), reterr) < 0 ||
	    get_str(e, p, "vm", 0, jv->vm, sizeof(jv->vm), reterr) < 0 ||
	    get_str(e, p, "source", 0, jv->source, sizeof(jv->source), reterr) < 0 ||
	    get_str(e, p, "target", 0, jv->target, sizeof(jv->target), reterr) < 0 ||
	    get_str(e, p, "reason", 0, jv->reason, sizeof(jv->reason), reterr) < 0 ||
	    lm_id_in(e, p, &jv->lm_id, reterr) < 0 ||
	    get_int(e, p, "start_ms", 0, INT64_MAX, &jv->start_ms, reterr) < 0 ||
	    get_int(e, p, "end_ms", 0, INT64_MAX, &jv->end_ms, reterr) < 0)
		return -EINVAL;
	for (size_t k = 0; k < sizeof(statuses) / sizeof(statuses[0]); k++)
		ok |= strcmp(jv->status, statuses[k]) == 0;
	if (!ok)
		return BAD("'lm_jvs[%u].status' '%s' is not $S, $R, $T, $TW, $AE or $AF", i,
			   jv->status);
	if (get_int(e, p, "phase", 0, 4, &v, reterr) < 0)
		return -EINVAL;
	jv->phase = (unsigned)v;
	if (get_int(e, p, "percent", 0, 100, &v, reterr) < 0)
		return -EINVAL;
	jv->percent = (unsigned)v;
	if (get_int(e, p, "dirty_rate", 0, INT64_MAX, &v, reterr) < 0)
		return -EINVAL;
	jv->dirty_rate = (uint64_t)v;
	if (get_int(e, p, "pause_ms", 0, INT32_MAX, &v, reterr) < 0)
		return -EINVAL;
	jv->pause_ms = (unsigned)v;
	json_t *kind = json_object_get(e, "kind");
	if (kind && (!json_is_string(kind) || strcmp(json_string_value(kind), "vm")))
		return BAD("'lm_jvs[%u].kind' must be \"vm\" (or absent: an LM's MONJV)", i);
	jv->vm_monjv = kind != NULL;
	return 0;
}

/* "lm_source_io" (optional: e NULL = no record). */
static int src_io_in(json_t *e, struct su_lm_src_io *r, struct sec_err *reterr)
{
	json_t *mns = json_object_get(e, "mns");

	if (!e)
		return 0;
	if (!json_is_object(e) ||
	    get_str(e, "lm_source_io.", "su", 1, r->su, sizeof(r->su), reterr) < 0)
		return BAD("'lm_source_io' must be an object with 'su' and 'mns'");
	if (!json_is_array(mns) || json_array_size(mns) > SU_IODEV_MAX)
		return BAD("'lm_source_io.mns' must be an array of at most %d MNs", SU_IODEV_MAX);
	for (unsigned i = 0; i < json_array_size(mns); i++) {
		const char *mn = json_string_value(json_array_get(mns, i));
		if (!mn || !su_mn_valid(mn))
			return BAD("'lm_source_io.mns[%u]' must be an MN", i);
		snprintf(r->mn[r->n++], sizeof(r->mn[0]), "%s", mn);
	}
	return 0;
}

static int vm_in(json_t *e, unsigned i, struct su_vm *vm, struct sec_err *reterr)
{
	char p[24], uuid[40], st[24];
	int64_t v;

	snprintf(p, sizeof(p), "vms[%u].", i);
	if (!json_is_object(e))
		return BAD("'vms[%u]' must be an object", i);
	memset(vm, 0, sizeof(*vm));
	if (get_str(e, p, "vm_uuid", 36, uuid, 37, reterr) < 0)
		return -EINVAL;
	if (crd_uuid_parse(uuid, &vm->vm_uuid) < 0)
		return BAD("'vms[%u].vm_uuid' '%s' is not a UUID", i, uuid);
	if (get_str(e, p, "name", 1, vm->name, sizeof(vm->name), reterr) < 0)
		return -EINVAL;
	if (get_int(e, p, "index", SU_INDEX_MIN, SU_INDEX_MAX, &v, reterr) < 0)
		return -EINVAL;
	vm->index = (unsigned)v;
	if (json_object_get(e, "index_any") && /* optional: absent in older unit data */
	    get_bool(e, p, "index_any", &vm->index_any, reterr) < 0)
		return -EINVAL;
	if (get_int(e, p, "memory_mib", 1, INT64_C(1) << 40, &v, reterr) < 0)
		return -EINVAL;
	vm->memory_mib = (uint64_t)v;
	if (get_int(e, p, "cpus", 1, 4096, &v, reterr) < 0)
		return -EINVAL;
	vm->cpus = (unsigned)v;
	if (get_str(e, p, "pool", 1, vm->pool, sizeof(vm->pool), reterr) < 0 ||
	    get_str(e, p, "group", 0, vm->group, sizeof(vm->group), reterr) < 0 ||
	    get_str(e, p, "ipl_unit", 0, vm->ipl_unit, sizeof(vm->ipl_unit), reterr) < 0 ||
	    get_bool(e, p, "persistent", &vm->persistent, reterr) < 0 ||
	    get_str(e, p, "state", 1, st, sizeof(st), reterr) < 0)
		return -EINVAL;
	if (su_vm_state_parse(st, &vm->state) < 0)
		return BAD("'vms[%u].state' '%s' is not a VM state", i, st);
	json_t *devs = json_object_get(e, "devices");
	if (!json_is_array(devs) || json_array_size(devs) > SU_VM_DEVS_MAX)
		return BAD("'vms[%u].devices' must be an array of at most %d devices", i,
			   SU_VM_DEVS_MAX);
	for (unsigned k = 0; k < json_array_size(devs); k++) {
		json_t *d = json_array_get(devs, k);
		char dp[40], us[16];
		snprintf(dp, sizeof(dp), "vms[%u].devices[%u].", i, k);
		if (!json_is_object(d))
			return BAD("'vms[%u].devices[%u]' must be an object", i, k);
		if (get_str(d, dp, "mn", 2, vm->devs[k].mn, sizeof(vm->devs[k].mn), reterr) < 0 ||
		    get_str(d, dp, "usage", 1, us, sizeof(us), reterr) < 0)
			return -EINVAL;
		if (!su_mn_valid(vm->devs[k].mn))
			return BAD("'%smn' '%s' is not a valid MN", dp, vm->devs[k].mn);
		if (strcmp(us, "EXCLUSIVE") == 0)
			vm->devs[k].usage = SU_USAGE_EXCLUSIVE;
		else if (strcmp(us, "SHARED") == 0)
			vm->devs[k].usage = SU_USAGE_SHARED;
		else
			return BAD("'%susage' must be \"EXCLUSIVE\" or \"SHARED\"", dp);
		vm->ndevs++;
	}
	json_t *rt = json_object_get(e, "runtime");
	char rp[32];
	snprintf(rp, sizeof(rp), "vms[%u].runtime.", i);
	if (!json_is_object(rt))
		return BAD("'vms[%u].runtime' must be an object", i);
	if (get_int(rt, rp, "qemu_pid", 0, INT32_MAX, &v, reterr) < 0)
		return -EINVAL;
	vm->rt.qemu_pid = (int32_t)v;
	if (get_int(rt, rp, "started_ms", 0, INT64_MAX, &vm->rt.started_ms, reterr) < 0 ||
	    get_int(rt, rp, "running_ms", 0, INT64_MAX, &vm->rt.running_ms, reterr) < 0 ||
	    get_int(rt, rp, "monjv_ms", 0, INT64_MAX, &vm->rt.monjv_ms, reterr) < 0 ||
	    get_bool(rt, rp, "migr", &vm->rt.migr, reterr) < 0 ||
	    get_bool(rt, rp, "aterm", &vm->rt.aterm, reterr) < 0 ||
	    get_str(rt, rp, "qemu_ipl", 0, vm->rt.qemu_ipl, sizeof(vm->rt.qemu_ipl), reterr) < 0 ||
	    get_str(rt, rp, "monjv", 0, vm->rt.monjv, sizeof(vm->rt.monjv), reterr) < 0)
		return -EINVAL;
	if (json_object_get(rt, "diff") && get_bool(rt, rp, "diff", &vm->rt.diff, reterr) < 0)
		return -EINVAL;
	return vm_lm_in(e, p, vm, reterr);
}

static int model_in(json_t *root, struct su_model *m, struct sec_err *reterr)
{
	int64_t v;
	int r;

	if (!json_is_object(root))
		return BAD("the payload must be a JSON object");
	json_t *kind = json_object_get(root, "kind");
	if (!json_is_string(kind) || strcmp(json_string_value(kind), SU_KIND) != 0)
		return BAD("'kind' must be \"%s\" (foreign or damaged region)", SU_KIND);
	if (get_int(root, "", "format", 1, INT32_MAX, &v, reterr) < 0)
		return -EINVAL;
	if (v > SU_FORMAT)
		return BAD("'format' %" PRId64 " is newer than this secd understands (%d)", v,
			   SU_FORMAT);
	r = res_in(json_object_get(root, "su"), &m->res, reterr);
	if (r < 0)
		return r;
	r = io_in(json_object_get(root, "io"), &m->res.io, reterr);
	if (r < 0)
		return r;
	if (get_str(root, "", "server", 0, m->server, sizeof(m->server), reterr) < 0)
		return -EINVAL;
	if (get_int(root, "", "session", 1, 999, &v, reterr) < 0)
		return -EINVAL;
	m->session = (unsigned)v;
	json_t *own = json_object_get(root, "ownership");
	if (!json_is_object(own))
		return BAD("'ownership' must be an object");
	char *owntxt = json_dumps(own, JSON_COMPACT);
	if (!owntxt)
		return sec_errf(reterr, -ENOMEM, "out of memory");
	r = crd_owner_from_json(owntxt, strlen(owntxt), &m->own, reterr);
	free(owntxt);
	if (r < 0)
		return r;
	json_t *vms = json_object_get(root, "vms");
	if (!json_is_array(vms) || json_array_size(vms) > SU_VMS_CAP)
		return BAD("'vms' must be an array of at most %d VM definitions", SU_VMS_CAP);
	for (unsigned i = 0; i < json_array_size(vms); i++) {
		struct su_vm *vm = &m->vms[i];
		r = vm_in(json_array_get(vms, i), i, vm, reterr);
		if (r < 0)
			return r;
		for (unsigned k = 0; k < i; k++) {
			if (m->vms[k].index == vm->index)
				return BAD("'vms[%u].index' %u is also the index of 'vms[%u]'", i,
					   vm->index, k);
			if (strcasecmp(m->vms[k].name, vm->name) == 0)
				return BAD("'vms[%u].name' '%s' is also the name of 'vms[%u]'", i,
					   vm->name, k);
			if (crd_uuid_eq(&m->vms[k].vm_uuid, &vm->vm_uuid))
				return BAD("'vms[%u].vm_uuid' is also the vm_uuid of 'vms[%u]'", i,
					   k);
		}
		if (!crd_owner_find(&m->own, &vm->vm_uuid))
			return BAD("'vms[%u].vm_uuid' is missing from 'ownership.vms'", i);
		m->nvms++;
	}
	for (unsigned i = 0; i < m->own.ndefs; i++)
		if (!su_model_vm_by_uuid(m, &m->own.defs[i].vm_uuid))
			return BAD("'ownership.vms[%u]' has no VM definition in 'vms'", i);
	json_t *jvs = json_object_get(root, "lm_jvs"); /* optional: absent in older data */
	if (jvs && (!json_is_array(jvs) || json_array_size(jvs) > SU_LMJV_MAX))
		return BAD("'lm_jvs' must be an array of at most %d MONJVs", SU_LMJV_MAX);
	for (unsigned i = 0; jvs && i < json_array_size(jvs); i++) {
		r = lmjv_in(json_array_get(jvs, i), i, &m->lmjv[i], reterr);
		if (r < 0)
			return r;
		m->n_lmjv++;
	}
	return src_io_in(json_object_get(root, "lm_source_io"), &m->lm_src_io, reterr);
}

struct su_model *su_model_from_json(const char *buf, size_t len, struct sec_err *reterr)
{
	json_error_t jerr;
	json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	struct su_model *m = NULL;

	if (!root) {
		BAD("not JSON: %s at line %d column %d", jerr.text, jerr.line, jerr.column);
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		sec_errf(reterr, -ENOMEM, "out of memory");
		goto out;
	}
	if (model_in(root, m, reterr) < 0)
		m = su_model_free(m);
out:
	json_decref(root);
	return m;
}

/* ---- one VM definition alone (LM and definition migration bodies) ---- */

char *su_vm_to_json(const struct su_vm *vm)
{
	json_t *o = vm_json(vm);
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	return s;
}

int su_vm_from_json(const char *buf, size_t len, struct su_vm *ret, struct sec_err *reterr)
{
	json_error_t je;
	json_t *o = json_loadb(buf, len, 0, &je);
	struct su_vm vm;
	int r;

	if (!o)
		return sec_errf(reterr, -EINVAL, "bad VM definition: not JSON (%s)", je.text);
	r = vm_in(o, 0, &vm, reterr);
	json_decref(o);
	if (r == 0)
		*ret = vm;
	return r;
}

char *su_iocfg_to_json(const struct su_iocfg *io)
{
	json_t *a = io_json(io);
	char *s = a ? json_dumps(a, JSON_COMPACT) : NULL;

	json_decref(a);
	return s;
}

int su_iocfg_from_json(const char *buf, size_t len, struct su_iocfg *ret, struct sec_err *reterr)
{
	json_error_t je;
	json_t *a = json_loadb(buf, len, 0, &je);
	int r;

	if (!a)
		return sec_errf(reterr, -EINVAL, "bad I/O configuration: not JSON (%s)", je.text);
	r = io_in(a, ret, reterr);
	json_decref(a);
	return r;
}
