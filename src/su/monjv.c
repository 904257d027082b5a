/* monjv.c — the MONJV of a VM, built from the model (monjv.h). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "su/monjv.h"

static void put(char *out, unsigned from, unsigned to, const char *s)
{
	size_t n = strlen(s), w = to - from + 1;

	memcpy(out + from - 1, s, n < w ? n : w);
}

void su_monjv_vm_fill(const struct su_monjv_vm *f, char out[SU_MONJV_LEN])
{
	char buf[32];

	memset(out, ' ', SU_MONJV_LEN);
	put(out, 1, 3, f->status);
	out[3] = '0';
	snprintf(buf, sizeof(buf), "%.4s", f->host);
	for (char *s = buf; *s; s++)
		*s = (char)toupper((unsigned char)*s);
	put(out, 9, 12, buf);
	out[16] = 'V';
	snprintf(buf, sizeof(buf), "%03u", f->session % 1000);
	put(out, 18, 20, buf);
	time_t t = (time_t)(f->start_ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d%H%M%S", &tm);
	put(out, 21, 36, buf);
	put(out, 71, 78, f->name);
	snprintf(buf, sizeof(buf), "%03u", f->index % 1000);
	put(out, 79, 81, buf);
	put(out, 82, 86, f->guest_state);
	if (f->migr)
		put(out, 87, 94, "MIGR-OUT");
}

void su_monjv_build(const struct su_model *m, const struct su_vm *vm, char out[SU_MONJV_LEN])
{
	struct su_monjv_vm f = {.status = "$T ",
				.guest_state = "NONE ",
				.host = m->res.host_name,
				.name = vm->name,
				.session = m->session,
				.index = vm->index,
				.start_ms = vm->rt.monjv_ms ? vm->rt.monjv_ms : vm->rt.started_ms,
				.migr = vm->rt.migr};

	switch (vm->state) {
	case SU_VM_INIT_ONLY:
		f.status = "$I ";
		break;
	case SU_VM_RUNNING:
		f.status = "$R ";
		f.guest_state = "READY";
		break;
	case SU_VM_IN_HOLD:
		f.status = "$H ";
		f.guest_state = "READY";
		break;
	case SU_VM_DOWN:
		f.status = "$D ";
		f.guest_state = vm->rt.aterm ? "ATERM" : "NTERM";
		break;
	case SU_VM_SETUP_MIGR:
		f.status = "$S ";
		break;
	default:
		break;
	}
	su_monjv_vm_fill(&f, out);
}
