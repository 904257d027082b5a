/* owner_json.c — the JSON payload of an SU's CRD region (crd.md §2, §6):
 *
 *   {"format": 1, "unit": 3,
 *    "vms": [{"vm_uuid": "...", "name": "VM1", "epoch": 4, "owner": 3, "migrated_from": 0,
 *             "recovered_from": 2, "lm_id": "00000000000000ab", "flags": ["defined_only"]}],
 *    "tombstones": [{"vm_uuid": "...", "epoch": 5, "recovered_from": 2}],
 *    "former": [{"vm_uuid": "...", "epoch": 3}],
 *    "lm": [{"kind": "outgoing", "lm_id": "...", "vm_uuid": "...", "peer": 2}]}
 *
 * lm_id is 16 hex digits (a u64 does not fit a JSON integer everywhere). */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crd/owner.h"

#define OWNER_FORMAT 1

static const char *const flag_names[] = {"conflict", "defined_only", "fenced"};
static const char *const lm_kind_names[CRD_LM_KIND_MAX] = {
	[CRD_LM_OUTGOING] = "outgoing", [CRD_LM_INCOMING] = "incoming", [CRD_LM_ABORT] = "abort"};

/* ---- out ---- */

static json_t *uuid_json(const crd_uuid *u)
{
	char s[37];
	crd_uuid_to_string(u, s);
	return json_string(s);
}

static json_t *lm_id_json(uint64_t id)
{
	char s[17];
	snprintf(s, sizeof(s), "%016" PRIx64, id);
	return json_string(s);
}

static json_t *vmdef_json(const struct crd_vmdef *d)
{
	json_t *flags = json_array();
	for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
		if (d->flags & (1u << i))
			json_array_append_new(flags, json_string(flag_names[i]));
	return json_pack("{s:o, s:s, s:I, s:i, s:i, s:i, s:o, s:o}", "vm_uuid",
			 uuid_json(&d->vm_uuid), "name", d->name, "epoch", (json_int_t)d->epoch,
			 "owner", (int)d->owner, "migrated_from", (int)d->migrated_from,
			 "recovered_from", (int)d->recovered_from, "lm_id", lm_id_json(d->lm_id),
			 "flags", flags);
}

static void append(json_t *a, json_t *v, bool *bad)
{
	if (json_array_append_new(a, v) < 0)
		*bad = true;
}

char *crd_owner_to_json(const struct crd_owner_region *r)
{
	bool bad = false;
	json_t *vms = json_array(), *tombs = json_array(), *former = json_array(),
	       *lm = json_array();
	for (uint32_t i = 0; vms && i < r->ndefs; i++)
		append(vms, vmdef_json(&r->defs[i]), &bad);
	for (uint32_t i = 0; tombs && i < r->ntombs; i++)
		append(tombs, json_pack("{s:o, s:I, s:i}", "vm_uuid", uuid_json(&r->tombs[i].vm_uuid),
					"epoch", (json_int_t)r->tombs[i].epoch, "recovered_from",
					(int)r->tombs[i].recovered_from), &bad);
	for (uint32_t i = 0; former && i < r->nformers; i++)
		append(former, json_pack("{s:o, s:I}", "vm_uuid", uuid_json(&r->formers[i].vm_uuid),
					 "epoch", (json_int_t)r->formers[i].epoch), &bad);
	for (uint32_t i = 0; lm && i < r->nlm; i++) {
		const struct crd_lm_rec *l = &r->lm[i];
		const char *k = (unsigned)l->kind < CRD_LM_KIND_MAX && lm_kind_names[l->kind]
					? lm_kind_names[l->kind]
					: "?";
		append(lm, json_pack("{s:s, s:o, s:o, s:i}", "kind", k, "lm_id", lm_id_json(l->lm_id),
				     "vm_uuid", uuid_json(&l->vm_uuid), "peer", (int)l->peer), &bad);
	}
	/* json_pack "o" steals the references, also on failure */
	json_t *root = json_pack("{s:i, s:i, s:o*, s:o*, s:o*, s:o*}", "format", OWNER_FORMAT,
				 "unit", (int)r->unit, "vms", vms, "tombstones", tombs, "former",
				 former, "lm", lm);
	char *s = NULL;
	if (root && vms && tombs && former && lm && !bad)
		s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(root);
	return s;
}

/* ---- in ---- */

#define BAD(path, what) sec_errf(reterr, -EINVAL, "bad VM ownership data: '%s' %s", path, what)

static int get_u64(json_t *obj, const char *parent, const char *key, uint64_t max,
		   uint64_t *ret, struct sec_err *reterr)
{
	char path[96];
	snprintf(path, sizeof(path), "%s%s%s", parent, *parent ? "." : "", key);
	json_t *v = json_object_get(obj, key);
	if (!v)
		return BAD(path, "is missing");
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max)
		return BAD(path, "must be a non-negative integer in range");
	*ret = (uint64_t)json_integer_value(v);
	return 0;
}

static int get_unit(json_t *obj, const char *parent, const char *key, uint32_t *ret,
		    struct sec_err *reterr)
{
	uint64_t v;
	int r = get_u64(obj, parent, key, CRD_UNITS_MAX, &v, reterr);
	if (r == 0)
		*ret = (uint32_t)v;
	return r;
}

static int get_str(json_t *obj, const char *parent, const char *key, const char **ret,
		   struct sec_err *reterr)
{
	char path[96];
	snprintf(path, sizeof(path), "%s.%s", parent, key);
	json_t *v = json_object_get(obj, key);
	if (!v)
		return BAD(path, "is missing");
	if (!json_is_string(v))
		return BAD(path, "must be a string");
	*ret = json_string_value(v);
	return 0;
}

static int get_uuid(json_t *obj, const char *parent, crd_uuid *ret, struct sec_err *reterr)
{
	const char *s;
	char path[96];
	int r = get_str(obj, parent, "vm_uuid", &s, reterr);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s.vm_uuid", parent);
	if (crd_uuid_parse(s, ret) < 0)
		return BAD(path, "must be a UUID (8-4-4-4-12 hex digits)");
	return 0;
}

static int get_lm_id(json_t *obj, const char *parent, uint64_t *ret, struct sec_err *reterr)
{
	const char *s;
	char path[96];
	int r = get_str(obj, parent, "lm_id", &s, reterr);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s.lm_id", parent);
	uint64_t v = 0;
	if (strlen(s) != 16)
		return BAD(path, "must be 16 hex digits");
	for (size_t i = 0; i < 16; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return BAD(path, "must be 16 hex digits");
		v = v << 4 | (uint64_t)(isdigit((unsigned char)s[i]) ? s[i] - '0'
								 : (tolower((unsigned char)s[i]) - 'a' + 10));
	}
	*ret = v;
	return 0;
}

static json_t *get_list(json_t *root, const char *key, size_t max, int *rc,
			struct sec_err *reterr)
{
	json_t *v = json_object_get(root, key);
	*rc = 0;
	if (!v || !json_is_array(v)) {
		*rc = BAD(key, v ? "must be an array" : "is missing");
		return NULL;
	}
	if (json_array_size(v) > max) {
		*rc = sec_errf(reterr, -E2BIG, "bad VM ownership data: '%s' has %zu entries, at most "
			       "%zu fit", key, json_array_size(v), max);
		return NULL;
	}
	return v;
}

static int vmdef_in(json_t *o, const char *path, struct crd_vmdef *d, struct sec_err *reterr)
{
	const char *name;
	char p[96];
	int r;
	memset(d, 0, sizeof(*d));
	if (!json_is_object(o))
		return BAD(path, "must be an object");
	if ((r = get_uuid(o, path, &d->vm_uuid, reterr)) < 0 ||
	    (r = get_str(o, path, "name", &name, reterr)) < 0)
		return r;
	snprintf(p, sizeof(p), "%s.name", path);
	if (!*name || strlen(name) > CRD_VM_NAME_MAX)
		return BAD(p, "must be 1..64 bytes");
	memcpy(d->name, name, strlen(name) + 1);
	if ((r = get_u64(o, path, "epoch", INT64_MAX, &d->epoch, reterr)) < 0 ||
	    (r = get_unit(o, path, "owner", &d->owner, reterr)) < 0 ||
	    (r = get_unit(o, path, "migrated_from", &d->migrated_from, reterr)) < 0 ||
	    (r = get_unit(o, path, "recovered_from", &d->recovered_from, reterr)) < 0 ||
	    (r = get_lm_id(o, path, &d->lm_id, reterr)) < 0)
		return r;
	json_t *flags = json_object_get(o, "flags");
	snprintf(p, sizeof(p), "%s.flags", path);
	if (!flags || !json_is_array(flags))
		return BAD(p, flags ? "must be an array" : "is missing");
	size_t i;
	json_t *f;
	json_array_foreach(flags, i, f) {
		size_t k, nflags = sizeof(flag_names) / sizeof(flag_names[0]);
		for (k = 0; k < nflags; k++)
			if (json_is_string(f) && strcmp(json_string_value(f), flag_names[k]) == 0)
				break;
		if (k == nflags)
			return BAD(p, "holds an unknown flag (known: conflict, defined_only, fenced)");
		d->flags |= 1u << k;
	}
	return 0;
}

int crd_owner_from_json(const char *buf, size_t len, struct crd_owner_region *ret,
			struct sec_err *reterr)
{
	json_error_t jerr;
	json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	struct crd_owner_region *r = NULL;
	char path[64];
	int rc;

	if (!root)
		return sec_errf(reterr, -EINVAL,
				"bad VM ownership data: invalid JSON at line %d column %d: %s",
				jerr.line, jerr.column, jerr.text);
	r = calloc(1, sizeof(*r));
	if (!r) {
		rc = -ENOMEM;
		goto out;
	}
	uint64_t format;
	if (!json_is_object(root)) {
		rc = sec_errf(reterr, -EINVAL, "bad VM ownership data: the top level must be an object");
		goto out;
	}
	if ((rc = get_u64(root, "", "format", UINT32_MAX, &format, reterr)) < 0)
		goto out;
	if (format != OWNER_FORMAT) {
		rc = sec_errf(reterr, -EINVAL, "bad VM ownership data: 'format' %" PRIu64
			      " is not supported (expected %d)", format, OWNER_FORMAT);
		goto out;
	}
	if ((rc = get_unit(root, "", "unit", &r->unit, reterr)) < 0)
		goto out;

	json_t *a, *o;
	size_t i;
	if (!(a = get_list(root, "vms", CRD_OWNER_DEFS_MAX, &rc, reterr)))
		goto out;
	json_array_foreach(a, i, o) {
		snprintf(path, sizeof(path), "vms[%zu]", i);
		if ((rc = vmdef_in(o, path, &r->defs[i], reterr)) < 0)
			goto out;
		if (crd_owner_find(r, &r->defs[i].vm_uuid) || crd_owner_find_name(r, r->defs[i].name)) {
			rc = BAD(path, "repeats a vm_uuid or name of an earlier entry");
			goto out;
		}
		r->ndefs++;
	}
	if (!(a = get_list(root, "tombstones", CRD_OWNER_TOMBS_MAX, &rc, reterr)))
		goto out;
	json_array_foreach(a, i, o) {
		struct crd_tombstone *t = &r->tombs[i];
		snprintf(path, sizeof(path), "tombstones[%zu]", i);
		if (!json_is_object(o)) {
			rc = BAD(path, "must be an object");
			goto out;
		}
		if ((rc = get_uuid(o, path, &t->vm_uuid, reterr)) < 0 ||
		    (rc = get_u64(o, path, "epoch", INT64_MAX, &t->epoch, reterr)) < 0 ||
		    (rc = get_unit(o, path, "recovered_from", &t->recovered_from, reterr)) < 0)
			goto out;
		r->ntombs++;
	}
	if (!(a = get_list(root, "former", CRD_OWNER_FORMERS_MAX, &rc, reterr)))
		goto out;
	json_array_foreach(a, i, o) {
		struct crd_former *f = &r->formers[i];
		snprintf(path, sizeof(path), "former[%zu]", i);
		if (!json_is_object(o)) {
			rc = BAD(path, "must be an object");
			goto out;
		}
		if ((rc = get_uuid(o, path, &f->vm_uuid, reterr)) < 0 ||
		    (rc = get_u64(o, path, "epoch", INT64_MAX, &f->epoch, reterr)) < 0)
			goto out;
		r->nformers++;
	}
	if (!(a = get_list(root, "lm", CRD_OWNER_LM_MAX, &rc, reterr)))
		goto out;
	json_array_foreach(a, i, o) {
		struct crd_lm_rec *l = &r->lm[i];
		const char *kind;
		snprintf(path, sizeof(path), "lm[%zu]", i);
		if (!json_is_object(o)) {
			rc = BAD(path, "must be an object");
			goto out;
		}
		if ((rc = get_str(o, path, "kind", &kind, reterr)) < 0)
			goto out;
		l->kind = 0;
		for (int k = CRD_LM_OUTGOING; k < CRD_LM_KIND_MAX; k++)
			if (strcmp(kind, lm_kind_names[k]) == 0)
				l->kind = (enum crd_lm_kind)k;
		if (!l->kind) {
			snprintf(path, sizeof(path), "lm[%zu].kind", i);
			rc = BAD(path, "must be 'outgoing', 'incoming' or 'abort'");
			goto out;
		}
		if ((rc = get_lm_id(o, path, &l->lm_id, reterr)) < 0 ||
		    (rc = get_uuid(o, path, &l->vm_uuid, reterr)) < 0 ||
		    (rc = get_unit(o, path, "peer", &l->peer, reterr)) < 0)
			goto out;
		r->nlm++;
	}
	memcpy(ret, r, sizeof(*r));
	rc = 0;
out:
	free(r);
	json_decref(root);
	return rc;
}

char *crd_vmdef_to_json(const struct crd_vmdef *d)
{
	json_t *o = vmdef_json(d);
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	return s;
}

int crd_vmdef_from_json(const char *buf, size_t len, struct crd_vmdef *ret, struct sec_err *reterr)
{
	json_error_t je;
	json_t *o = json_loadb(buf, len, 0, &je);
	struct crd_vmdef d;
	int r;

	if (!o)
		return sec_errf(reterr, -EINVAL, "bad VM ownership data: not JSON (%s)", je.text);
	r = vmdef_in(o, "def", &d, reterr);
	json_decref(o);
	if (r == 0)
		*ret = d;
	return r;
}
