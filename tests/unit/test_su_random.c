/* test_su_random.c — random command sequences against the command processor, with random
 * effect failures (abort) and random QEMU exits, checking after every step the invariants a
 * user relies on: names and VM indices unique, the monitor never stored, every definition
 * owned (model.vms and model.own hold the same vm_uuids), reserved memory within the SU's,
 * initialized VMs within max_vms, no exclusive device on two initialized VMs, an aborted or
 * rejected command leaves the model byte-for-byte unchanged, and the region JSON round
 * trips. Seeded (SU_RANDOM_SEED, default 1) so a failure can be replayed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>

#include "su_fixture.h"

static unsigned long long rng;

static unsigned rnd(unsigned n)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)((rng >> 33) % n);
}

static void check_invariants(const struct su_model *m)
{
	uint64_t mem = 0;
	unsigned init = 0;

	assert_int_equal(m->nvms, m->own.ndefs);
	for (unsigned i = 0; i < m->nvms; i++) {
		const struct su_vm *a = &m->vms[i];
		assert_true(a->index >= SU_INDEX_MIN && a->index <= SU_INDEX_MAX);
		assert_true(strcmp(a->name, SU_MONITOR_NAME) != 0);
		assert_non_null(crd_owner_find(&m->own, &a->vm_uuid));
		if (su_vm_state_initialized(a->state)) {
			mem += a->memory_mib;
			init++;
		} else {
			assert_int_equal(a->rt.qemu_pid, 0);
		}
		for (unsigned k = i + 1; k < m->nvms; k++) {
			const struct su_vm *b = &m->vms[k];
			assert_true(a->index != b->index);
			assert_true(strcmp(a->name, b->name) != 0);
			if (!su_vm_state_initialized(a->state) ||
			    !su_vm_state_initialized(b->state))
				continue;
			for (unsigned x = 0; x < a->ndevs; x++)
				for (unsigned y = 0; y < b->ndevs; y++)
					if (strcmp(a->devs[x].mn, b->devs[y].mn) == 0)
						assert_true(a->devs[x].usage == SU_USAGE_SHARED &&
							    b->devs[y].usage == SU_USAGE_SHARED);
		}
	}
	assert_true(mem <= m->res.memory_mib);
	assert_true(init <= m->res.max_vms);
	assert_true(m->nvms <= m->res.max_defs);
}

static void random_command(char *out, size_t cap)
{
	static const char *const names[] = {"VM1", "VM2", "VM3", "VM4", "VM5", "MONITOR"};
	static const char *const units[] = {
	    "A000", "A001", "A002", "(A000,A001)", "T0", "L0", "*DEVICE-RANGE(FROM=A000,TO=A003)",
	    "A00*", "B000"};
	const char *n = names[rnd(6)], *u = units[rnd(9)];
	unsigned mem = 256u << rnd(4);
	char idx[8];

	snprintf(idx, sizeof(idx), "%s", rnd(2) ? "*ANY" : "");
	if (!idx[0])
		snprintf(idx, sizeof(idx), "%u", 2 + rnd(7));

	switch (rnd(14)) {
	case 0:
		snprintf(out, cap,
			 "/CREATE-VM VM-NAME=%s,VM-INDEX=%s,MEMORY-SIZE=%u,PERSISTENT=%s,"
			 "DEVICES=*PARAMETERS(UNITS=%s,USAGE=%s)",
			 n, idx, mem, rnd(2) ? "*YES" : "*NO", u,
			 rnd(3) ? "*EXCLUSIVE" : "*SHARED");
		break;
	case 1:
		snprintf(out, cap,
			 "/CREATE-VM-DEFINITION VM-NAME=%s,MEMORY-SIZE=%u,"
			 "DEVICES=*PARAMETERS(UNITS=%s,USAGE=%s)",
			 n, mem, u, rnd(3) ? "*EXCLUSIVE" : "*SHARED");
		break;
	case 2:
		snprintf(out, cap, "/ACTIVATE-VM-DEFINITION VM-NAME=%s", n);
		break;
	case 3:
		snprintf(out, cap, "/START-VM VM-ID=%s,IPL-UNIT=%s", n,
			 rnd(3) ? "A000" : (rnd(2) ? "A001" : "*STD"));
		break;
	case 4:
		snprintf(out, cap, "/SHUTDOWN-VM VM-ID=%s", n);
		break;
	case 5:
		snprintf(out, cap, "/DELETE-VM VM-ID=%s,CHECK-VM-STATE=%s", n,
			 rnd(2) ? "*YES" : "*NO");
		break;
	case 6:
		snprintf(out, cap, "/DELETE-VM-DEFINITION VM-NAME=%s", n);
		break;
	case 7:
		snprintf(out, cap, "/ADD-VM-DEVICES UNITS=%s,VM-ID=%s,TYPE=%s", u, n,
			 rnd(2) ? "*NONE" : "*SD");
		break;
	case 8:
		snprintf(out, cap, "/REMOVE-VM-DEVICES UNITS=%s,VM-ID=%s", u, n);
		break;
	case 9:
		snprintf(out, cap,
			 "/MODIFY-VM-DEFINITION VM-NAME=%s,VM-INDEX=%s,MEMORY-SIZE=%u,"
			 "DEVICES=*%s(UNITS=%s)",
			 n, rnd(2) ? "*ANY" : "*UNCHANGED", mem, rnd(2) ? "ADD" : "REMOVE", u);
		break;
	case 10:
		snprintf(out, cap, "/DELETE-VM VM-ID=*ALL,CHECK-VM-STATE=*NO");
		break;
	case 11:
		snprintf(out, cap, "/SHUTDOWN-VM VM-ID=*VM-GUESTS");
		break;
	case 12:
		snprintf(out, cap, "/SHOW-VM-DEFINITION INFORMATION=*ALL");
		break;
	default:
		snprintf(out, cap, "/MODIFY-VM-ATTRIBUTES VM-ID=%s,PERSISTENT=*YES", n);
		break;
	}
}

static void test_random_sequences(void **state)
{
	const char *seed = getenv("SU_RANDOM_SEED");
	unsigned accepted = 0, aborted = 0, rejected = 0;

	rng = seed ? strtoull(seed, NULL, 10) : 1;
	for (int run = 0; run < 40; run++) {
		struct fx *f = fx_new(run % 2 ? SU_TYPE_X86 : SU_TYPE_390);
		f->m->res.memory_mib = 1024 + 512 * (unsigned)rnd(4);
		f->m->res.max_vms = 2 + rnd(3);
		f->m->res.max_defs = 3 + rnd(3);
		for (int step = 0; step < 150; step++) {
			char cmd[300];
			random_command(cmd, sizeof(cmd));
			char *before = su_model_to_json(f->m);
			struct su_plan *p = fx_plan(f, cmd);
			if (!p->ok) {
				rejected++;
			} else if (p->n_eff && rnd(5) == 0) {
				assert_int_equal(
				    su_cmd_abort(p, (int)rnd((unsigned)p->n_eff), "fault"), 0);
				aborted++;
			} else {
				for (size_t i = 0; i < p->n_eff; i++)
					if (p->eff[i].kind == SU_EFF_QEMU_START)
						p->eff[i].pid = (int32_t)(100 + step);
				assert_int_equal(su_cmd_commit(f->m, p), 0);
				accepted++;
			}
			char *after = su_model_to_json(f->m);
			if (!p->ok && strcmp(before, after) != 0)
				fail_msg("refused or aborted '%s' changed the model", cmd);
			su_plan_free(p);
			/* now and then a guest goes down or a QEMU dies */
			if (rnd(10) == 0 && f->m->nvms) {
				struct su_vm *vm = &f->m->vms[rnd(f->m->nvms)];
				if (rnd(2))
					su_vm_guest_down(f->m, vm->index, "random", NULL);
				else
					su_vm_qemu_gone(f->m, vm->index, rnd(4) == 0, "random",
							NULL);
			}
			check_invariants(f->m);
			struct sec_err err = {0};
			struct su_model *m2 = su_model_from_json(after, strlen(after), &err);
			if (!m2)
				fail_msg("round trip after '%s': %s", cmd, err.msg);
			su_model_free(m2);
			free(before);
			free(after);
		}
		fx_free(f);
	}
	print_message("accepted %u, aborted %u, rejected %u\n", accepted, aborted, rejected);
	/* the generator reaches all three outcomes often */
	assert_true(accepted > 300 && aborted > 50 && rejected > 300);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_random_sequences),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
