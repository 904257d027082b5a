/* cmd_lmshow.c — /SHOW-SYSTEM-INFORMATION and /SHOW-LIVE-MIGRATION-HISTORY of a VM (seed
 * 4.5): the IPL data, LIVE-MIG-COUNT and the LM history that travel with its definition
 * (model.h, su/lm.h). These are BS2000 commands of the guest system; the monitor offers them
 * with a VM-IDENTIFICATION (VM-ID=*CURRENT: the monitor system itself). The layout follows
 * the seed's examples; CONFIGURATION is the SU's host name, times are UTC
 * (docs/messages.md "Decisions"). */
#include <stdio.h>
#include <time.h>

#include "su/cmd_priv.h"
#include "su/lm.h"

/* The VM of c->vm (any VM definition: its history is kept while it is not initialized),
 * *monitor = true for the monitor system; NULL with VMS4000 when there is none. */
static const struct su_vm *vm_of(struct plan_ctx *x, bool *monitor)
{
	char b[VMSTR_MAX];
	const struct su_vm *vm = NULL;

	*monitor = su_vmid_is_monitor(&x->c->vm);
	if (*monitor)
		return NULL;
	vm = su_vmid_find(x->live, &x->c->vm);
	if (!vm) {
		plan_msg(x, "VMS4000", su_vmid_str(&x->c->vm, b));
		plan_reject(x, "VMS4000", 64);
	}
	return vm;
}

/* "yyyy-mm-dd,hh:mm:ss" (comma) or "yyyy-mm-dd   hh:mm:ss" of ms (UTC); "*NONE" for 0. */
static const char *utc(int64_t ms, bool comma, char out[40])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0) {
		snprintf(out, 40, "*NONE");
		return out;
	}
	gmtime_r(&t, &tm);
	if (comma)
		strftime(out, 40, "%Y-%m-%d,%H:%M:%S", &tm);
	else
		strftime(out, 40, "%Y-%m-%d   %H:%M:%S", &tm);
	return out;
}

int cmd_show_sysinfo(struct plan_ctx *x)
{
	const struct su_res *r = &x->live->res;
	bool monitor;
	const struct su_vm *vm = vm_of(x, &monitor);
	char t[40];

	if (!vm && !monitor)
		return -1;
	const char *here = r->host_name, *data_su = here;
	unsigned index = monitor ? SU_MONITOR_INDEX : vm->index;
	bool migrated = !monitor && vm->lm_count > 0;
	enum su_server_unit su = x->c->server_unit;
	bool ipl_data =
	    su == SU_SERVER_UNIT_IPL || (su == SU_SERVER_UNIT_STD && !r->mighost_current);

	if (migrated && su == SU_SERVER_UNIT_STD)
		plan_msg(x, r->mighost_current ? "NSI6232" : "NSI6231");
	if (!monitor && ipl_data && vm->ipl_su[0]) {
		data_su = vm->ipl_su;
		index = vm->ipl_index ? vm->ipl_index : vm->index;
	}
	plan_line(x, "%%CONFIGURATION         = %s", data_su);
	plan_line(x, "%%CURRENT-CONFIGURATION = %s", here);
	plan_line(x, "%%HSI-ATT : TYPE           = %s", r->type == SU_TYPE_X86 ? "X86" : "/390");
	plan_line(x, "%%          OPERATION-MODE = VM2000");
	if (!monitor) {
		plan_line(x, "%%MEMORY-SIZE           = %llu MB",
			  (unsigned long long)vm->memory_mib);
		plan_line(x, "%%IPL-TIME              = %s", utc(vm->ipl_ms, true, t));
	}
	plan_line(x, "%%SYSTEM-CONF : VM-INDEX       = %u", index);
	plan_line(x, "%%              VM-NAME        = %s", monitor ? SU_MONITOR_NAME : vm->name);
	plan_line(x, "%%              LIVE-MIG-COUNT = %u", monitor ? 0 : vm->lm_count);
	plan_line(x, "%%VM2000-MONITOR : SYSTEM : HOST-NAME = %s", data_su);
	return 0;
}

int cmd_show_lm_history(struct plan_ctx *x)
{
	bool monitor;
	const struct su_vm *vm = vm_of(x, &monitor);
	char t[40];

	if (!vm && !monitor)
		return -1;
	plan_line(x, "LM-COUNT    DATE         TIME      CONFIGURATION     VM");
	if (monitor || !vm->ipl_su[0])
		return 0; /* the monitor never migrates; a VM never initialized has no IPL row */
	plan_line(x, "%08u    %-21s  %-16s  %u", 0u, utc(vm->ipl_ms, false, t), vm->ipl_su,
		  vm->ipl_index ? vm->ipl_index : vm->index);
	for (unsigned i = 0; i < vm->n_hist && i < SU_LM_HIST_MAX; i++)
		plan_line(x, "%08u    %-21s  %-16s  %u", vm->hist[i].count,
			  utc(vm->hist[i].ms, false, t), vm->hist[i].target, vm->hist[i].index);
	return 0;
}
