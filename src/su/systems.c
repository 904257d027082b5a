/* systems.c — the systems overview rows of seed 2.3 (model.h su_systems_json()). */
#include <jansson.h>
#include <stdlib.h>

#include "su/model.h"
#include "su/vmstate.h"

static json_t *row(const struct su_model *m, const char *name, unsigned index, const char *host,
		   const char *type, const char *os, const char *status, const char *state,
		   const char *substatus)
{
	return json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "name", name,
			 "vm_index", (int)index, "host_name", host, "type", type, "os", os,
			 "server", m->server, "unit", m->res.name, "description", "", "status",
			 status, "state", state, "substatus", substatus);
}

char *su_systems_json(const struct su_model *m)
{
	json_t *a = json_array(), *o;
	char *s;

	if (!a)
		return NULL;
	json_array_append_new(a, row(m, SU_MONITOR_NAME, SU_MONITOR_INDEX, m->res.host_name,
				     "BS2000 (monitor)", "VM2000", "RUNNING", "RUNNING", ""));
	for (unsigned idx = SU_INDEX_MIN; idx <= SU_INDEX_MAX; idx++) {
		const struct su_vm *vm = su_model_vm_by_index(m, idx);
		char st[24];
		if (!vm || vm->state == SU_VM_SETUP_MIGR) /* an LM target's: not shown (seed 4.4) */
			continue;
		json_array_append_new(a,
				      row(m, vm->name, vm->index, "", "VM", "BS2000",
					  su_vm_state_to_sem(vm->state), su_vm_state_show(vm, st),
					  vm->rt.migr ? "MIGRATING" : vm->rt.diff ? "DIFF" : ""));
	}
	o = json_pack("{s:s, s:o}", "su", m->res.name, "systems", a);
	if (!o)
		return NULL;
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}
