/* cmd_sdf.c — from the SDF parse tree (src/sdf, table su/syntax.c) to a typed struct
 * su_cmd, and su_cmd_plan_text() (cmd.h). Operand names are the full names of syntax.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "su/cmd_priv.h"

#define MEM_MIN_MIB 16u /* QEMU's own lower bound (qemu_argv.h) */
#define MEM_MAX_MIB 1048576u /* 1 TB (vm2000-facts.md §1.2) */

static const struct sdf_operand *op(const struct sdf_cmd *t, const char *name)
{
	return sdf_cmd_operand(t, name);
}

static bool is_kw(const struct sdf_operand *o, const char *kw)
{
	return o && sdf_value_is(&o->val, kw);
}

static void set_vmid(const struct sdf_value *v, struct su_vmid *id)
{
	memset(id, 0, sizeof(*id));
	if (!v->def)
		return;
	if (v->def->type == SDF_T_INTEGER) {
		id->kind = SU_VMID_INDEX;
		id->index = (unsigned)v->num;
	} else if (v->def->type == SDF_T_NAME) {
		id->kind = SU_VMID_NAME;
		snprintf(id->name, sizeof(id->name), "%s", v->text);
	} else if (sdf_value_is(v, "*VM2000") && v->def->sub) {
		id->kind = SU_VMID_VM2000; /* SHUTDOWN-VM *VM2000(...) */
	} else if (sdf_value_is(v, "*VM-GUESTS")) {
		id->kind = SU_VMID_VM_GUESTS;
	} else if (sdf_value_is(v, "*ALL") || sdf_value_is(v, "*VM2000") ||
		   sdf_value_is(v, "*BY-VM-GROUP") || sdf_value_is(v, "*BY-CPU-POOL")) {
		id->kind = SU_VMID_ALL; /* the groups and pools: all VMs (ours) */
	}
	/* *CURRENT: SU_VMID_NONE, the monitor */
}

/* SERVER-UNIT-NAME: "" for *UNIQUE (or not given), else the name as entered. */
static void su_name_in(const struct sdf_cmd *t, char *out, size_t cap)
{
	const struct sdf_operand *o = op(t, "SERVER-UNIT-NAME");

	out[0] = '\0';
	if (o && o->val.def && !is_kw(o, "*UNIQUE") && o->val.text)
		snprintf(out, cap, "%s", o->val.text);
}

static void get_vmid(const struct sdf_cmd *t, const char *name, struct su_vmid *id)
{
	const struct sdf_operand *o = op(t, name);

	memset(id, 0, sizeof(*id));
	if (o)
		set_vmid(&o->val, id);
}

static enum su_usage usage_of(const struct sdf_value *v)
{
	if (sdf_value_is(v, "*SHARED") || sdf_value_is(v, "*SD"))
		return SU_USAGE_SHARED;
	if (sdf_value_is(v, "*EXCLUSIVE") || sdf_value_is(v, "*NONE") || sdf_value_is(v, "*VC"))
		return SU_USAGE_EXCLUSIVE;
	return 0; /* *STD */
}

static int units_in(const struct sdf_operand *o, struct su_cmd *c, struct sec_err *reterr)
{
	const struct sdf_value *items = o->val.is_list ? o->val.items : &o->val;
	size_t n = o->val.is_list ? o->val.n_items : 1;

	c->n_units = 0;
	for (size_t i = 0; i < n; i++) {
		const struct sdf_value *v = &items[i];
		struct su_units_item *it;
		if (sdf_value_is(v, "*ALL")) {
			c->units_all = true;
			const struct sdf_operand *chk = sdf_value_operand(v, "CHECK-VM-STATE");
			if (chk && sdf_value_is(&chk->val, "*NO"))
				c->check_state_no = true;
			continue;
		}
		if (sdf_value_is(v, "*PUBSET-DEVICES"))
			return sec_errf(reterr, -EINVAL,
					"UNITS=*PUBSET-DEVICES is not supported by this SU; name "
					"the devices or a *DEVICE-RANGE");
		if (c->n_units >= SU_UNITS_MAX)
			return sec_errf(reterr, -EINVAL, "UNITS: more than %d elements",
					SU_UNITS_MAX);
		it = &c->units[c->n_units++];
		memset(it, 0, sizeof(*it));
		if (sdf_value_is(v, "*DEVICE-RANGE")) {
			const struct sdf_operand *f = sdf_value_operand(v, "FROM");
			const struct sdf_operand *to = sdf_value_operand(v, "TO");
			const struct sdf_operand *u = sdf_value_operand(v, "USAGE");
			if (!f || !to)
				return sec_errf(reterr, -EINVAL, "*DEVICE-RANGE needs FROM and TO");
			snprintf(it->from, sizeof(it->from), "%.*s", (int)sizeof(it->from) - 1, f->val.text);
			snprintf(it->to, sizeof(it->to), "%.*s", (int)sizeof(it->to) - 1, to->val.text);
			if (u)
				it->usage = usage_of(&u->val);
			continue;
		}
		if (!v->text || !v->text[0] || strlen(v->text) >= sizeof(it->pattern))
			return sec_errf(reterr, -EINVAL, "UNITS: bad device name");
		if (strpbrk(v->text, "*/"))
			snprintf(it->pattern, sizeof(it->pattern), "%s", v->text);
		else if (strlen(v->text) == 2 || strlen(v->text) == 4)
			snprintf(it->from, sizeof(it->from), "%.*s", (int)sizeof(it->from) - 1, v->text);
		else
			return sec_errf(
			    reterr, -EINVAL,
			    "UNITS: '%s' is not an MN (2 alphanumerics or 4 hex digits)", v->text);
	}
	return 0;
}

static int memory_in(const struct sdf_operand *o, struct su_cmd *c, struct sec_err *reterr)
{
	if (!o || !o->val.def || o->val.def->type != SDF_T_INTEGER)
		return 0; /* *UNCHANGED */
	uint64_t mib = (uint64_t)o->val.num;
	const struct sdf_operand *d = sdf_value_operand(&o->val, "DIMENSION");
	if (d && sdf_value_is(&d->val, "*GIGABYTE"))
		mib *= 1024;
	if (mib < MEM_MIN_MIB || mib > MEM_MAX_MIB) /* what a QEMU guest can have */
		return sec_errf(reterr, -EINVAL, "MEMORY-SIZE %llu MB: a VM has %u MB to %u MB "
				"(1 TB)", (unsigned long long)mib, MEM_MIN_MIB, MEM_MAX_MIB);
	c->memory_mib = mib;
	return 0;
}

static void processor_in(const struct sdf_operand *o, struct su_cmd *c)
{
	if (!o)
		return;
	if (sdf_value_is(&o->val, "*MONO"))
		c->cpus = 1;
	else if (sdf_value_is(&o->val, "*MULTI")) {
		const struct sdf_operand *n = sdf_value_operand(&o->val, "CPU-NUMBER");
		c->cpus = n ? (unsigned)n->val.num : 1;
	}
}

static void name_in(const struct sdf_operand *o, char *out, size_t cap)
{
	if (!o || !o->val.def)
		return;
	if (o->val.def->type == SDF_T_KEYWORD) {
		if (sdf_value_is(&o->val, "*UNCHANGED"))
			return;
		snprintf(out, cap, "%s", o->val.text);
	} else {
		snprintf(out, cap, "%s", o->val.text);
	}
}

static int persistent_in(const struct sdf_operand *o)
{
	if (is_kw(o, "*YES"))
		return 1;
	if (is_kw(o, "*NO"))
		return 0;
	return -1;
}

static void monjv_in(const struct sdf_operand *o, struct su_cmd *c)
{
	if (o && o->val.def && o->val.def->type == SDF_T_FILENAME)
		snprintf(c->monjv, sizeof(c->monjv), "%s", o->val.text);
}

static enum su_info info_in(const struct sdf_operand *o)
{
	static const struct {
		const char *kw;
		enum su_info info;
	} t[] = {{"*STD", SU_INFO_STD},	      {"*CPU", SU_INFO_CPU},
		 {"*MEMORY", SU_INFO_MEMORY}, {"*PRIVILEGES", SU_INFO_PRIVILEGES},
		 {"*IPL", SU_INFO_IPL},	      {"*UNITS", SU_INFO_UNITS},
		 {"*MONJV", SU_INFO_MONJV},   {"*CONFIGURATION", SU_INFO_CONFIGURATION},
		 {"*ALL", SU_INFO_ALL}};
	for (size_t i = 0; o && i < sizeof(t) / sizeof(t[0]); i++)
		if (sdf_value_is(&o->val, t[i].kw))
			return t[i].info;
	return SU_INFO_STD;
}

/* DEVICES = *NONE / *PARAMETERS(UNITS, USAGE) / *ADD(UNITS, USAGE) / *REMOVE(UNITS) */
static int devices_in(const struct sdf_operand *o, struct su_cmd *c, struct sec_err *reterr)
{
	if (!o || is_kw(o, "*NONE") || is_kw(o, "*UNCHANGED"))
		return 0;
	c->devop = is_kw(o, "*REMOVE") ? SU_DEVOP_REMOVE : SU_DEVOP_ADD;
	const struct sdf_operand *u = sdf_value_operand(&o->val, "UNITS");
	const struct sdf_operand *us = sdf_value_operand(&o->val, "USAGE");
	if (us)
		c->usage = usage_of(&us->val);
	return u ? units_in(u, c, reterr) : 0;
}

int su_cmd_from_sdf(const struct sdf_cmd *t, const char *text, struct su_cmd *c,
		    struct sec_err *reterr)
{
	struct su_cmd w;
	int r = 0;

	memset(&w, 0, sizeof(w));
	w.id = (enum su_cmd_id)t->def->id;
	w.text = text;
	w.vm_index = -1;
	w.persistent = -1;
	switch (w.id) {
	case SU_CMD_CREATE_VM:
	case SU_CMD_CREATE_VM_DEFINITION:
	case SU_CMD_MODIFY_VM_DEFINITION:
		get_vmid(t, "VM-NAME", &w.vm);
		if (is_kw(op(t, "VM-INDEX"), "*ANY"))
			w.vm_index = 0;
		else if (op(t, "VM-INDEX") && op(t, "VM-INDEX")->val.def &&
			 op(t, "VM-INDEX")->val.def->type == SDF_T_INTEGER)
			w.vm_index = (int)op(t, "VM-INDEX")->val.num;
		r = memory_in(op(t, "MEMORY-SIZE"), &w, reterr);
		processor_in(op(t, "PROCESSOR"), &w);
		name_in(op(t, "CPU-POOL-NAME"), w.pool, sizeof(w.pool));
		name_in(op(t, "VM-GROUP-NAME"), w.group, sizeof(w.group));
		if (w.id != SU_CMD_MODIFY_VM_DEFINITION && strcmp(w.group, "*NONE") == 0)
			w.group[0] = '\0';
		if (w.id != SU_CMD_MODIFY_VM_DEFINITION && strcmp(w.pool, SU_STDPOOL) == 0)
			w.pool[0] = '\0';
		if (r == 0)
			r = devices_in(op(t, "DEVICES"), &w, reterr);
		if (op(t, "PERSISTENT"))
			w.persistent = persistent_in(op(t, "PERSISTENT"));
		monjv_in(op(t, "MONJV"), &w);
		break;
	case SU_CMD_ACTIVATE_VM_DEFINITION:
		get_vmid(t, "VM-NAME", &w.vm);
		monjv_in(op(t, "MONJV"), &w);
		break;
	case SU_CMD_DELETE_VM_DEFINITION:
	case SU_CMD_MIGRATE_VM_DEFINITION:
	case SU_CMD_RECOVER_VM_DEFINITION:
	case SU_CMD_SHOW_VM_DEFINITION:
		get_vmid(t, "VM-NAME", &w.vm);
		w.info = info_in(op(t, "INFORMATION"));
		su_name_in(t, w.su_name, sizeof(w.su_name));
		break;
	case SU_CMD_START_VM:
		get_vmid(t, "VM-IDENTIFICATION", &w.vm);
		if (op(t, "IPL-UNIT") && !is_kw(op(t, "IPL-UNIT"), "*STD"))
			snprintf(w.ipl_unit, sizeof(w.ipl_unit), "%s", op(t, "IPL-UNIT")->val.text);
		w.hold = is_kw(op(t, "HOLD"), "*YES");
		w.check_state_no = is_kw(op(t, "CHECK-VM-STATE"), "*NO");
		break;
	case SU_CMD_SHUTDOWN_VM:
	case SU_CMD_HOLD_VM:
	case SU_CMD_RESUME_VM:
	case SU_CMD_CHECK_VM_MIGRATION:
	case SU_CMD_MIGRATE_VM:
		get_vmid(t, "VM-IDENTIFICATION", &w.vm);
		su_name_in(t, w.su_name, sizeof(w.su_name));
		monjv_in(op(t, "MONJV"), &w);
		break;
	case SU_CMD_SHOW_SYSTEM_INFORMATION:
		get_vmid(t, "VM-IDENTIFICATION", &w.vm);
		w.server_unit = is_kw(op(t, "SERVER-UNIT"), "*IPL")	  ? SU_SERVER_UNIT_IPL
				: is_kw(op(t, "SERVER-UNIT"), "*CURRENT") ? SU_SERVER_UNIT_CURRENT
									  : SU_SERVER_UNIT_STD;
		break;
	case SU_CMD_SHOW_LIVE_MIGRATION_HISTORY:
		get_vmid(t, "VM-IDENTIFICATION", &w.vm);
		break;
	case SU_CMD_DELETE_VM:
		get_vmid(t, "VM-IDENTIFICATION", &w.vm);
		w.check_state_no = is_kw(op(t, "CHECK-VM-STATE"), "*NO");
		break;
	case SU_CMD_ADD_VM_DEVICES:
		get_vmid(t, "VM-IDENTIFICATION", &w.vm);
		w.usage = is_kw(op(t, "TYPE"), "*SD") ? SU_USAGE_SHARED : SU_USAGE_EXCLUSIVE;
		r = op(t, "UNITS") ? units_in(op(t, "UNITS"), &w, reterr) : 0;
		break;
	case SU_CMD_REMOVE_VM_DEVICES:
		get_vmid(t, "VM-IDENTIFICATION", &w.vm);
		r = op(t, "UNITS") ? units_in(op(t, "UNITS"), &w, reterr) : 0;
		break;
	case SU_CMD_MODIFY_VM_ATTRIBUTES:
		get_vmid(t, "VM-IDENTIFICATION", &w.vm);
		w.persistent = persistent_in(op(t, "PERSISTENT"));
		break;
	case SU_CMD_SHOW_VM_RESOURCES:
		w.info = info_in(op(t, "INFORMATION"));
		break;
	case SU_CMD_SHOW_VM_ATTRIBUTES:
		get_vmid(t, "VM-IDENTIFICATION", &w.vm);
		w.info = info_in(op(t, "INFORMATION"));
		break;
	case SU_CMD_SHOW_JV:
		if (op(t, "JV-NAME"))
			snprintf(w.jv_name, sizeof(w.jv_name), "%s", op(t, "JV-NAME")->val.text);
		break;
	case SU_CMD_HELP_MSG_INFORMATION:
		if (op(t, "MSG-IDENTIFICATION"))
			snprintf(w.msg_id, sizeof(w.msg_id), "%s",
				 op(t, "MSG-IDENTIFICATION")->val.text);
		break;
	default:
		return sec_errf(reterr, -EINVAL, "command number %d is not known to the SU",
				t->def->id);
	}
	if (r < 0)
		return r;
	*c = w;
	return 0;
}

struct su_plan *su_cmd_plan_text(const struct su_model *live, const char *text, int64_t now_ms)
{
	struct sdf_cmd *t = NULL;
	struct sdf_error e = {0};
	struct sec_err err = {0};
	struct su_cmd c;
	char why[600];

	int r = sdf_parse(su_syntax, su_syntax_n, text, &t, &e);
	if (r == 0) {
		r = su_cmd_from_sdf(t, text, &c, &err);
		t = sdf_cmd_free(t);
		if (r == 0)
			return su_cmd_plan(live, &c, now_ms);
		snprintf(why, sizeof(why), "%s", err.msg);
	} else if (r == -ENOMEM) {
		return NULL;
	} else {
		snprintf(why, sizeof(why), "position %zu: %s", e.pos, e.msg);
	}
	struct su_plan *p = calloc(1, sizeof(*p));
	struct plan_ctx x = {.p = p, .live = live};
	if (!p)
		return NULL;
	p->id = 0;
	plan_msg(&x, "CMD0202", why);
	plan_reject(&x, "CMD0202", 1);
	if (x.oom)
		return su_plan_free(p);
	return p;
}
