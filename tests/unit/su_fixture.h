/* su_fixture.h — a deterministic SU model for the libsu tests: x86 (or /390) SU 'su1' with
 * 4096 MiB and 2 CPUs, the lab's I/O configuration (A000–A00F disks, T0 tape, L0 local
 * disk, C0 console), a counter as randomness and an event recorder. */
#ifndef SU_FIXTURE_H
#define SU_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "su/su.h"

struct fx {
	struct su_model *m;
	unsigned rnd;
	unsigned nev;
	struct su_event ev[64];
};

static int fx_random(void *ctx, void *buf, size_t n)
{
	struct fx *f = ctx;
	unsigned char *b = buf;

	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)(f->rnd * 31 + i);
	f->rnd++;
	return 0;
}

static void fx_event(void *ctx, const struct su_event *ev)
{
	struct fx *f = ctx;

	if (f->nev < 64)
		f->ev[f->nev++] = *ev;
}

static const char fx_io[] = "# the lab's I/O configuration\n"
			    "A000 D3490-30 disk C0 00 /lab/disks/A000.img\n"
			    "A001 D3490-30 disk C0 01 /lab/disks/A001.img\n"
			    "A002 D3490-30 disk C0 02 /lab/disks/A002.img\n"
			    "A003 D3490-30 disk C0 03 /lab/disks/A003.img\n"
			    "A004 D3490-30 disk C0 04 /lab/disks/A004.img\n"
			    "A005 D3490-30 disk C0 05 /lab/disks/A005.img\n"
			    "A00F D3490-30 disk C0 0F /lab/disks/A00F.img\n"
			    "T0 TAPE-U4 tape C1 00 /lab/tapes/T0.img\n"
			    "L0 D3435 local-disk C2 00 /lab/su1/L0.img   # per SU\n"
			    "C0 KVP console C3 00 -\n";

static inline struct fx *fx_new(enum su_type type)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct su_res res;
	struct sec_err err = {0};

	su_res_init(&res, type, "su1", 3);
	res.memory_mib = 4096;
	res.cpus = 2;
	if (type == SU_TYPE_390) {
		res.ngroups = 1;
		snprintf(res.groups[0].name, sizeof(res.groups[0].name), "GRP1");
		snprintf(res.groups[0].pool, sizeof(res.groups[0].pool), "*STDPOOL");
	}
	if (su_iocfg_parse("io.conf", fx_io, strlen(fx_io), &res.io, &err) < 0) {
		fprintf(stderr, "fixture: %s\n", err.msg);
		abort();
	}
	f->m = su_model_new(&res);
	snprintf(f->m->server, sizeof(f->m->server), "srv1");
	struct su_hooks h = {.event = fx_event, .random = fx_random, .ctx = f};
	su_model_set_hooks(f->m, &h);
	return f;
}

static inline void fx_free(struct fx *f)
{
	su_model_free(f->m);
	free(f);
}

/* Plans text; the caller inspects and then commits or aborts. */
static inline struct su_plan *fx_plan(struct fx *f, const char *text)
{
	struct su_plan *p = su_cmd_plan_text(f->m, text, 1796014862000LL);
	if (!p)
		abort();
	return p;
}

/* Plans and, when accepted, carries out every effect (QEMU_START gets pid 1000+index)
 * and commits. Returns the plan (caller frees). */
static inline struct su_plan *fx_run(struct fx *f, const char *text)
{
	struct su_plan *p = fx_plan(f, text);

	if (p->ok) {
		for (size_t i = 0; i < p->n_eff; i++) {
			if (p->eff[i].kind == SU_EFF_QEMU_START)
				p->eff[i].pid = (int32_t)(1000 + p->eff[i].vm_index);
			p->eff[i].done = true;
		}
		if (su_cmd_commit(f->m, p) != 0)
			abort();
	}
	return p;
}

/* Runs text and checks it was accepted; frees the plan. */
static inline void fx_ok(struct fx *f, const char *text)
{
	struct su_plan *p = fx_run(f, text);
	if (!p->ok) {
		fprintf(stderr, "command refused: %s\n", text);
		for (size_t i = 0; i < p->n_msgs; i++)
			fprintf(stderr, "  %s\n", p->msgs[i]);
		abort();
	}
	su_plan_free(p);
}

/* The index of the first message containing s, or -1. */
static inline int fx_find(const struct su_plan *p, const char *s)
{
	for (size_t i = 0; i < p->n_msgs; i++)
		if (strstr(p->msgs[i], s))
			return (int)i;
	return -1;
}

static inline void fx_dump(const struct su_plan *p)
{
	for (size_t i = 0; i < p->n_msgs; i++)
		fprintf(stderr, "  | %s\n", p->msgs[i]);
	fprintf(stderr, "  rc %s %u %u ok=%d\n", p->rc.maincode, p->rc.subcode1, p->rc.subcode2,
		p->ok);
}

#endif
