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

void su_monjv_build(const struct su_model *m, const struct su_vm *vm, char out[SU_MONJV_LEN])
{
	const char *st = "$T ", *gs = "NONE ";
	char buf[32];

	memset(out, ' ', SU_MONJV_LEN);
	switch (vm->state) {
	case SU_VM_INIT_ONLY:
		st = "$I ";
		gs = "NONE ";
		break;
	case SU_VM_RUNNING:
		st = "$R ";
		gs = "READY";
		break;
	case SU_VM_IN_HOLD:
		st = "$H ";
		gs = "READY";
		break;
	case SU_VM_DOWN:
		st = "$D ";
		gs = vm->rt.aterm ? "ATERM" : "NTERM";
		break;
	case SU_VM_SETUP_MIGR:
		st = "$S ";
		gs = "NONE ";
		break;
	default:
		break;
	}
	put(out, 1, 3, st);
	out[3] = '0';
	snprintf(buf, sizeof(buf), "%.4s", m->res.host_name);
	for (char *s = buf; *s; s++)
		*s = (char)toupper((unsigned char)*s);
	put(out, 9, 12, buf);
	out[16] = 'V';
	snprintf(buf, sizeof(buf), "%03u", m->session % 1000);
	put(out, 18, 20, buf);
	time_t t = (time_t)((vm->rt.monjv_ms ? vm->rt.monjv_ms : vm->rt.started_ms) / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d%H%M%S", &tm);
	put(out, 21, 36, buf);
	put(out, 71, 78, vm->name);
	snprintf(buf, sizeof(buf), "%03u", vm->index % 1000);
	put(out, 79, 81, buf);
	put(out, 82, 86, gs);
	if (vm->rt.migr)
		put(out, 87, 94, "MIGR-OUT");
}
