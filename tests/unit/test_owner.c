/* test_owner.c — VM definition ownership of crd.md §6: reconcile, tombstones, RECOVER, LM
 * decisions, the JSON payload, and randomized invariants (a vm_uuid is never valid on two
 * SUs and never lost unless deleted). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crd/owner.h"

#define SA 1u /* unit ids of the two SUs */
#define SB 2u

static crd_uuid U(unsigned n)
{
	crd_uuid u;
	memset(&u, 0, sizeof(u));
	u.b[0] = 0x40;
	u.b[14] = (uint8_t)(n >> 8);
	u.b[15] = (uint8_t)n;
	return u;
}

static struct crd_vmdef def(unsigned n, const char *name, uint64_t epoch, uint32_t owner)
{
	struct crd_vmdef d;
	memset(&d, 0, sizeof(d));
	d.vm_uuid = U(n);
	snprintf(d.name, sizeof(d.name), "%s", name);
	d.epoch = epoch;
	d.owner = owner;
	return d;
}

static struct crd_owner_region *region(uint32_t unit)
{
	struct crd_owner_region *r = malloc(sizeof(*r));
	assert_non_null(r);
	crd_owner_init(r, unit);
	return r;
}

/* reconcile `r` against `partner` in place; returns the report (static) */
static struct crd_reconcile_report *reconcile(struct crd_owner_region *r,
					      const struct crd_owner_region *partner)
{
	static struct crd_reconcile_report rep;
	struct crd_owner_region *out = malloc(sizeof(*out));
	assert_non_null(out);
	assert_int_equal(crd_owner_reconcile(r, partner, out, &rep), 0);
	memcpy(r, out, sizeof(*r));
	free(out);
	return &rep;
}

static int report_has(const struct crd_reconcile_report *rep, enum crd_reconcile_kind k,
		      unsigned uuid_n)
{
	crd_uuid u = U(uuid_n);
	int n = 0;
	for (uint32_t i = 0; i < rep->n; i++)
		if (rep->items[i].kind == k && memcmp(&rep->items[i].vm_uuid, &u, 16) == 0)
			n++;
	return n;
}

static void test_add_delete(void **state)
{
	struct crd_owner_region *r = region(SA);
	struct crd_vmdef d = def(1, "VM1", 1, SA);
	assert_int_equal(crd_owner_add(r, &d), 0);
	assert_int_equal(crd_owner_add(r, &d), -EEXIST);
	struct crd_vmdef same_name = def(2, "VM1", 1, SA);
	assert_int_equal(crd_owner_add(r, &same_name), -EEXIST);
	struct crd_vmdef noname = def(3, "", 1, SA);
	assert_int_equal(crd_owner_add(r, &noname), -EINVAL);
	struct crd_vmdef nulluuid = def(0, "X", 1, SA);
	memset(&nulluuid.vm_uuid, 0, 16);
	assert_int_equal(crd_owner_add(r, &nulluuid), -EINVAL);
	assert_non_null(crd_owner_find_name(r, "VM1"));

	/* never moved: no tombstone */
	assert_int_equal(crd_owner_delete(r, &d.vm_uuid), 0);
	assert_int_equal(r->ntombs, 0);
	assert_int_equal(crd_owner_delete(r, &d.vm_uuid), -ENOENT);

	/* recovered: tombstone {vm_uuid, epoch, recovered_from}, and it cannot come back */
	struct crd_vmdef rec = def(4, "VM4", 6, SA);
	rec.recovered_from = SB;
	assert_int_equal(crd_owner_add(r, &rec), 0);
	assert_int_equal(crd_owner_delete(r, &rec.vm_uuid), 1);
	const struct crd_tombstone *t = crd_owner_find_tomb(r, &rec.vm_uuid);
	assert_non_null(t);
	assert_true(t->epoch == 6 && t->recovered_from == SB);
	assert_int_equal(crd_owner_add(r, &rec), -ESTALE);
	rec.epoch = 5;
	assert_int_equal(crd_owner_add(r, &rec), -ESTALE);

	/* migrated: tombstone as well */
	struct crd_vmdef mig = def(5, "VM5", 3, SA);
	mig.migrated_from = SB;
	assert_int_equal(crd_owner_add(r, &mig), 0);
	assert_int_equal(crd_owner_delete(r, &mig.vm_uuid), 1);

	/* a CONFLICT copy deleted by the operator leaves none */
	struct crd_vmdef conf = def(6, "VM6", 3, SA);
	conf.recovered_from = SB;
	conf.flags = CRD_VMDEF_CONFLICT;
	assert_int_equal(crd_owner_add(r, &conf), 0);
	assert_int_equal(crd_owner_delete(r, &conf.vm_uuid), 0);
	assert_null(crd_owner_find_tomb(r, &conf.vm_uuid));
	free(r);
}

/* Drop only when the partner holds the same vm_uuid with a higher epoch naming us. */
static void test_reconcile_superseded(void **state)
{
	struct crd_owner_region *a = region(SA), *b = region(SB);
	struct crd_vmdef old = def(1, "VM1", 3, SA);
	assert_int_equal(crd_owner_add(a, &old), 0);
	struct crd_vmdef rec = def(1, "VM1", 4, SB);
	rec.recovered_from = SA;
	rec.flags = CRD_VMDEF_DEFINED_ONLY;
	assert_int_equal(crd_owner_add(b, &rec), 0);

	struct crd_reconcile_report *rep = reconcile(b, a); /* B keeps it: it names A */
	assert_int_equal(rep->n, 0);
	assert_non_null(crd_owner_find(b, &rec.vm_uuid));
	rep = reconcile(a, b);
	assert_int_equal(report_has(rep, CRD_RC_DROPPED_SUPERSEDED, 1), 1);
	assert_null(crd_owner_find(a, &old.vm_uuid));
	assert_null(crd_owner_find_former(a, &old.vm_uuid)); /* no tombstone to acknowledge */
	assert_int_equal(a->ndefs, 0);

	/* migrated_from names us as well */
	struct crd_vmdef m_old = def(2, "VM2", 7, SA), m_new = def(2, "VM2", 8, SB);
	m_new.migrated_from = SA;
	m_new.lm_id = 99;
	crd_owner_add(a, &m_old);
	crd_owner_add(b, &m_new);
	rep = reconcile(a, b);
	assert_int_equal(report_has(rep, CRD_RC_DROPPED_SUPERSEDED, 2), 1);
	free(a);
	free(b);
}

/* A higher epoch that does not name us, or equal epochs: both CONFLICT, neither starts. */
static void test_reconcile_conflicts(void **state)
{
	struct crd_owner_region *a = region(SA), *b = region(SB);
	struct crd_vmdef x = def(1, "VM1", 5, SA), y = def(1, "VM1", 5, SB);
	crd_owner_add(a, &x);
	crd_owner_add(b, &y);
	struct crd_vmdef p = def(2, "VM2", 5, SA), q = def(2, "VM2", 9, SB);
	q.migrated_from = 7; /* names a unit that is not A */
	crd_owner_add(a, &p);
	crd_owner_add(b, &q);

	struct crd_reconcile_report *rep = reconcile(a, b);
	assert_int_equal(report_has(rep, CRD_RC_CONFLICT_EPOCH, 1), 1);
	assert_int_equal(report_has(rep, CRD_RC_CONFLICT_EPOCH, 2), 1);
	rep = reconcile(b, a);
	assert_int_equal(report_has(rep, CRD_RC_CONFLICT_EPOCH, 1), 1);
	assert_int_equal(report_has(rep, CRD_RC_CONFLICT_EPOCH, 2), 1);
	for (unsigned n = 1; n <= 2; n++) {
		crd_uuid u = U(n);
		assert_true(crd_owner_find(a, &u)->flags & CRD_VMDEF_CONFLICT);
		assert_true(crd_owner_find(b, &u)->flags & CRD_VMDEF_CONFLICT);
	}
	/* the operator deletes A's copy of VM1: no tombstone, B's copy is valid again */
	crd_uuid u1 = U(1);
	assert_int_equal(crd_owner_delete(a, &u1), 0);
	rep = reconcile(b, a);
	assert_int_equal(report_has(rep, CRD_RC_CONFLICT_CLEARED, 1), 1);
	assert_false(crd_owner_find(b, &u1)->flags & CRD_VMDEF_CONFLICT);
	free(a);
	free(b);
}

/* Same name, different vm_uuid on both SUs: reported with VMS2346, nothing resolved. */
static void test_reconcile_name_conflict(void **state)
{
	struct crd_owner_region *a = region(SA), *b = region(SB);
	struct crd_vmdef x = def(1, "PROD", 1, SA), y = def(2, "PROD", 1, SB);
	struct crd_vmdef z = def(3, "TEST", 1, SA);
	crd_owner_add(a, &x);
	crd_owner_add(a, &z);
	crd_owner_add(b, &y);
	struct crd_reconcile_report *rep = reconcile(a, b);
	assert_int_equal(rep->n, 1);
	assert_int_equal(rep->items[0].kind, CRD_RC_CONFLICT_NAME);
	assert_string_equal(rep->items[0].msgid, "VMS2346");
	assert_string_equal(rep->items[0].name, "PROD");
	assert_memory_equal(&rep->items[0].other_uuid, &y.vm_uuid, 16);
	assert_int_equal(a->ndefs, 2);
	assert_int_equal(a->defs[0].flags, 0);
	assert_string_equal(crd_reconcile_kind_to_string(CRD_RC_CONFLICT_NAME),
			    "conflict: same name, different vm_uuid (VMS2346)");
	free(a);
	free(b);
}

/* The tombstone handshake: cannot come back; goes when the former owner's record is read. */
static void test_tombstone_lifecycle(void **state)
{
	struct crd_owner_region *a = region(SA), *b = region(SB);
	struct crd_vmdef old = def(1, "VM1", 3, SA);
	crd_owner_add(a, &old); /* A dies with this copy */
	struct crd_vmdef rec = def(1, "VM1", 4, SB);
	rec.recovered_from = SA;
	crd_owner_add(b, &rec);
	assert_int_equal(crd_owner_delete(b, &rec.vm_uuid), 1); /* B deletes it */

	struct crd_reconcile_report *rep = reconcile(b, a); /* A has not acknowledged yet */
	assert_non_null(crd_owner_find_tomb(b, &rec.vm_uuid));
	assert_int_equal(report_has(rep, CRD_RC_TOMBSTONE_REMOVED, 1), 0);

	rep = reconcile(a, b); /* A comes back: its copy is covered */
	assert_int_equal(report_has(rep, CRD_RC_DROPPED_TOMBSTONE, 1), 1);
	assert_null(crd_owner_find(a, &old.vm_uuid));
	const struct crd_former *f = crd_owner_find_former(a, &old.vm_uuid);
	assert_non_null(f);
	assert_true(f->epoch == 4); /* the tombstone's epoch */

	rep = reconcile(b, a);
	assert_int_equal(report_has(rep, CRD_RC_TOMBSTONE_REMOVED, 1), 1);
	assert_null(crd_owner_find_tomb(b, &rec.vm_uuid));
	rep = reconcile(a, b);
	assert_int_equal(report_has(rep, CRD_RC_FORMER_REMOVED, 1), 1);
	assert_int_equal(a->nformers, 0);
	assert_int_equal(b->ntombs, 0);

	/* a copy newer than the tombstone survives */
	struct crd_owner_region *c = region(SA), *d = region(SB);
	struct crd_vmdef newer = def(9, "VM9", 8, SA);
	crd_owner_add(c, &newer);
	d->tombs[d->ntombs++] = (struct crd_tombstone){.vm_uuid = U(9), .epoch = 7,
						       .recovered_from = SA};
	rep = reconcile(c, d);
	assert_non_null(crd_owner_find(c, &newer.vm_uuid));
	assert_int_equal(report_has(rep, CRD_RC_DROPPED_TOMBSTONE, 9), 0);
	/* a tombstone of the same epoch covers the copy */
	struct crd_vmdef same = def(11, "VM11", 5, SA);
	crd_owner_add(c, &same);
	d->tombs[d->ntombs++] = (struct crd_tombstone){.vm_uuid = U(11), .epoch = 5};
	rep = reconcile(c, d);
	assert_int_equal(report_has(rep, CRD_RC_DROPPED_TOMBSTONE, 11), 1);
	/* ...and a partner tombstone of a vm_uuid we never held is acknowledged */
	d->tombs[d->ntombs++] = (struct crd_tombstone){.vm_uuid = U(10), .epoch = 2};
	reconcile(c, d);
	crd_uuid u10 = U(10);
	assert_non_null(crd_owner_find_former(c, &u10));
	reconcile(d, c);
	assert_null(crd_owner_find_tomb(d, &u10));
	free(a);
	free(b);
	free(c);
	free(d);
}

static void test_recover_preconditions(void **state)
{
	struct crd_owner_region *s = region(SA), *t = region(SB);
	struct crd_vmdef d = def(1, "VM1", 3, SA);
	d.flags = CRD_VMDEF_FENCED;
	crd_owner_add(s, &d);
	struct crd_recover_req req = {.name = "VM1", .source = s, .target = t,
				      .source_verdict = {.verdict = CRD_ALIVE_DEAD,
							 .reason = CRD_ALIVE_R_STALE},
				      .target_limit = 2};
	struct crd_vmdef nd;
	struct sec_err err;
	const char *msgid = "x";
	assert_int_equal(crd_owner_recover_check(&req, &nd, &msgid, &err), 0);
	assert_null(msgid);
	assert_true(nd.epoch == 4);
	assert_int_equal(nd.owner, SB);
	assert_int_equal(nd.recovered_from, SA);
	assert_int_equal(nd.migrated_from, 0);
	assert_int_equal(nd.flags, CRD_VMDEF_DEFINED_ONLY);
	assert_memory_equal(&nd.vm_uuid, &d.vm_uuid, 16);
	assert_string_equal(nd.name, "VM1");

	req.source_verdict.verdict = CRD_ALIVE_ALIVE;
	req.operator_confirmed = true; /* never overrides "alive" */
	assert_int_equal(crd_owner_recover_check(&req, &nd, &msgid, &err), -EBUSY);
	assert_string_equal(msgid, "VMS2344");
	assert_string_equal(err.msg, "recover of VM 'VM1': remote SU 1 is running (target 2)");

	req.source_verdict = (struct crd_alive_verdict){.verdict = CRD_ALIVE_UNDETERMINABLE,
							.reason = CRD_ALIVE_R_UNREADABLE};
	req.operator_confirmed = false;
	assert_int_equal(crd_owner_recover_check(&req, &nd, &msgid, &err), -EAGAIN);
	assert_non_null(strstr(err.msg, "remote SU state cannot be determined"));
	req.source_verdict.reason = CRD_ALIVE_R_FENCING_NONE;
	assert_int_equal(crd_owner_recover_check(&req, &nd, &msgid, &err), -EAGAIN);
	assert_non_null(strstr(err.msg, "fencing 'none'"));
	req.source_verdict.verdict = CRD_ALIVE_NEVER_SEEN;
	assert_int_equal(crd_owner_recover_check(&req, &nd, &msgid, &err), -EAGAIN);
	req.operator_confirmed = true;
	assert_int_equal(crd_owner_recover_check(&req, &nd, &msgid, &err), 0);

	req.name = "NOPE";
	assert_int_equal(crd_owner_recover_check(&req, &nd, &msgid, &err), -ENOENT);
	assert_string_equal(msgid, "VMS2300");
	req.name = "VM1";

	struct crd_vmdef clash = def(7, "VM1", 1, SB); /* name used on T */
	crd_owner_add(t, &clash);
	assert_int_equal(crd_owner_recover_check(&req, &nd, &msgid, &err), -EEXIST);
	assert_string_equal(msgid, "VMS4013");
	assert_string_equal(err.msg, "recover of VM 'VM1' from unit 1: the name is in use on unit 2");
	crd_owner_delete(t, &clash.vm_uuid);

	struct crd_vmdef f1 = def(8, "F1", 1, SB), f2 = def(9, "F2", 1, SB);
	crd_owner_add(t, &f1);
	crd_owner_add(t, &f2); /* limit 2 reached */
	assert_int_equal(crd_owner_recover_check(&req, &nd, &msgid, &err), -ENOSPC);
	assert_string_equal(msgid, "VMS2311");
	req.target_limit = 3;
	assert_int_equal(crd_owner_recover_check(&req, &nd, &msgid, &err), 0);

	/* T holds it already (e.g. committed by an LM) */
	struct crd_vmdef have = def(1, "VM1X", 4, SB);
	crd_owner_add(t, &have);
	req.target_limit = 10;
	assert_int_equal(crd_owner_recover_check(&req, &nd, &msgid, &err), -EEXIST);
	/* ...or deleted it (tombstone) */
	have.migrated_from = SA;
	t->defs[t->ndefs - 1].migrated_from = SA;
	assert_int_equal(crd_owner_delete(t, &have.vm_uuid), 1);
	assert_int_equal(crd_owner_recover_check(&req, &nd, &msgid, &err), -ENOENT);

	/* a CONFLICT copy is not recovered */
	struct crd_owner_region *s2 = region(SA), *t2 = region(SB);
	struct crd_vmdef c = def(2, "VM2", 1, SA);
	c.flags = CRD_VMDEF_CONFLICT;
	crd_owner_add(s2, &c);
	req.source = s2;
	req.target = t2;
	req.name = "VM2";
	assert_int_equal(crd_owner_recover_check(&req, &nd, &msgid, &err), -EBUSY);
	free(s);
	free(t);
	free(s2);
	free(t2);
}

static void test_lm_records(void **state)
{
	struct crd_owner_region *s = region(SA), *t = region(SB);
	struct crd_vmdef d = def(1, "VM1", 5, SA);
	crd_owner_add(s, &d);
	const uint64_t lm = 0xfedcba9876543210ull;
	assert_int_equal(crd_owner_lm_add(s, CRD_LM_OUTGOING, lm, &d.vm_uuid, SB), 0);
	assert_int_equal(crd_owner_lm_add(s, CRD_LM_OUTGOING, lm, &d.vm_uuid, SB), -EEXIST);
	assert_int_equal(crd_owner_lm_add(t, CRD_LM_INCOMING, lm, &d.vm_uuid, SA), 0);

	struct crd_lm_source_view v = {.lm_id = lm, .vm_uuid = d.vm_uuid, .source_epoch = 5,
				       .target_read_ok = true, .target = t,
				       .target_verdict = CRD_ALIVE_ALIVE};
	assert_int_equal(crd_lm_source_decide(&v), CRD_LM_WAIT);
	v.target_verdict = CRD_ALIVE_DEAD; /* target dead, no commit of lm_id */
	assert_int_equal(crd_lm_source_decide(&v), CRD_LM_RESUME_SOURCE);
	v.target_verdict = CRD_ALIVE_UNDETERMINABLE;
	assert_int_equal(crd_lm_source_decide(&v), CRD_LM_OPERATOR);
	v.target_read_ok = false;
	v.target_verdict = CRD_ALIVE_DEAD; /* required disks unreadable */
	assert_int_equal(crd_lm_source_decide(&v), CRD_LM_OPERATOR);
	assert_string_equal(crd_lm_decision_to_string(CRD_LM_OPERATOR),
			    "stay paused until the operator decides");
	v.target_read_ok = true;

	/* commit {vm_uuid, epoch + 1, lm_id} */
	assert_int_equal(crd_lm_commit(t, &d, lm), 0);
	const struct crd_vmdef *c = crd_owner_find(t, &d.vm_uuid);
	assert_non_null(c);
	assert_true(c->epoch == 6 && c->lm_id == lm && c->owner == SB && c->migrated_from == SA);
	assert_null(crd_owner_find_lm(t, CRD_LM_INCOMING, lm));
	for (int verdict = 0; verdict < CRD_ALIVE_VERDICT_MAX; verdict++) {
		v.target_verdict = (enum crd_alive_verdict_kind)verdict;
		assert_int_equal(crd_lm_source_decide(&v), CRD_LM_QUIT_SOURCE);
	}
	/* commit in doubt: the target aborts (committed copy removed); the source resumes */
	assert_int_equal(crd_lm_target_abort(t, lm, &d.vm_uuid, SA), 0);
	assert_null(crd_owner_find(t, &d.vm_uuid));
	assert_non_null(crd_owner_find_lm(t, CRD_LM_ABORT, lm));
	v.target_verdict = CRD_ALIVE_ALIVE;
	assert_int_equal(crd_lm_source_decide(&v), CRD_LM_RESUME_SOURCE);
	assert_int_equal(crd_lm_source_resume(s, lm), 0);
	assert_non_null(crd_owner_find(s, &d.vm_uuid));
	/* the abort record goes once the source has no outgoing record */
	struct crd_reconcile_report *rep = reconcile(t, s);
	assert_int_equal(report_has(rep, CRD_RC_ABORT_REMOVED, 1), 1);
	assert_int_equal(t->nlm, 0);

	/* QUIT: the source drops its copy, no tombstone */
	crd_owner_lm_add(s, CRD_LM_OUTGOING, 7, &d.vm_uuid, SB);
	assert_int_equal(crd_lm_source_finish(s, 7), 0);
	assert_null(crd_owner_find(s, &d.vm_uuid));
	assert_int_equal(s->ntombs + s->nlm, 0);
	assert_int_equal(crd_lm_source_finish(s, 7), -ENOENT);

	/* committed, then deleted on the target (tombstone): never resume the older copy */
	struct crd_owner_region *t2 = region(SB);
	t2->tombs[t2->ntombs++] = (struct crd_tombstone){.vm_uuid = d.vm_uuid, .epoch = 6};
	v.target = t2;
	v.target_verdict = CRD_ALIVE_DEAD;
	assert_int_equal(crd_lm_source_decide(&v), CRD_LM_QUIT_SOURCE);
	t2->tombs[0].epoch = 5; /* an older deletion does not count */
	assert_int_equal(crd_lm_source_decide(&v), CRD_LM_RESUME_SOURCE);
	free(t2);

	/* a target restart aborts what it still had incoming */
	crd_owner_lm_add(t, CRD_LM_INCOMING, 11, &d.vm_uuid, SA);
	crd_owner_lm_add(t, CRD_LM_INCOMING, 12, &d.vm_uuid, SA);
	assert_int_equal(crd_lm_target_restart(t), 2);
	assert_non_null(crd_owner_find_lm(t, CRD_LM_ABORT, 11));
	assert_non_null(crd_owner_find_lm(t, CRD_LM_ABORT, 12));
	assert_null(crd_owner_find_lm(t, CRD_LM_INCOMING, 11));
	free(s);
	free(t);
}

/* ---- JSON ---- */

static void fill_region(struct crd_owner_region *r)
{
	struct crd_vmdef a = def(1, "VM1", 1, SA), b = def(2, "", 77, SA);
	memset(b.name, 'N', CRD_VM_NAME_MAX);
	b.name[CRD_VM_NAME_MAX] = '\0';
	b.migrated_from = SB;
	b.recovered_from = 256;
	b.lm_id = UINT64_MAX;
	b.flags = CRD_VMDEF_FLAGS_ALL;
	assert_int_equal(crd_owner_add(r, &a), 0);
	assert_int_equal(crd_owner_add(r, &b), 0);
	r->tombs[r->ntombs++] = (struct crd_tombstone){.vm_uuid = U(3), .epoch = 9,
						       .recovered_from = SB};
	r->formers[r->nformers++] = (struct crd_former){.vm_uuid = U(4), .epoch = 2};
	crd_owner_lm_add(r, CRD_LM_OUTGOING, 1ull << 63, &a.vm_uuid, SB);
	crd_owner_lm_add(r, CRD_LM_INCOMING, 5, &b.vm_uuid, SB);
	crd_owner_lm_add(r, CRD_LM_ABORT, 6, &b.vm_uuid, SB);
}

static void test_json_round_trip(void **state)
{
	struct crd_owner_region *r = region(SA), *back = region(0);
	fill_region(r);
	char *s = crd_owner_to_json(r);
	assert_non_null(s);
	struct sec_err err;
	assert_int_equal(crd_owner_from_json(s, strlen(s), back, &err), 0);
	char *s2 = crd_owner_to_json(back);
	assert_string_equal(s, s2);
	assert_int_equal(back->unit, SA);
	assert_int_equal(back->ndefs, 2);
	assert_true(back->defs[1].lm_id == UINT64_MAX);
	assert_int_equal(back->defs[1].flags, CRD_VMDEF_FLAGS_ALL);
	assert_int_equal(strlen(back->defs[1].name), CRD_VM_NAME_MAX);
	assert_memory_equal(&back->defs[1].vm_uuid, &r->defs[1].vm_uuid, 16);
	assert_true(back->tombs[0].epoch == 9 && back->tombs[0].recovered_from == SB);
	assert_true(back->formers[0].epoch == 2);
	assert_int_equal(back->nlm, 3);
	assert_int_equal(back->lm[2].kind, CRD_LM_ABORT);
	assert_true(back->lm[0].lm_id == 1ull << 63);
	assert_non_null(strstr(s, "\"vm_uuid\":\"40000000-0000-0000-0000-000000000001\""));
	free(s);
	free(s2);

	crd_owner_init(r, 5); /* an empty region round-trips too */
	s = crd_owner_to_json(r);
	assert_string_equal(s, "{\"format\":1,\"unit\":5,\"vms\":[],\"tombstones\":[],"
			       "\"former\":[],\"lm\":[]}");
	assert_int_equal(crd_owner_from_json(s, strlen(s), back, &err), 0);
	assert_int_equal(back->unit, 5);
	assert_int_equal(back->ndefs + back->ntombs + back->nformers + back->nlm, 0);
	free(s);
	free(r);
	free(back);
}

static void expect_bad(const char *json, int code, const char *msg)
{
	struct crd_owner_region *r = region(0);
	struct sec_err err;
	memset(&err, 0, sizeof(err));
	r->unit = 42;
	int rc = crd_owner_from_json(json, strlen(json), r, &err);
	if (rc != code || strcmp(err.msg, msg) != 0)
		fail_msg("json %s: got %d '%s', want %d '%s'", json, rc, err.msg, code, msg);
	assert_int_equal(r->unit, 42); /* untouched on error */
	free(r);
}

#define UU "\"40000000-0000-0000-0000-000000000001\""
#define VM(extra) "{\"vm_uuid\":" UU ",\"name\":\"VM1\",\"epoch\":1,\"owner\":1," \
	"\"migrated_from\":0,\"recovered_from\":0,\"lm_id\":\"0000000000000000\"," extra "}"
#define TOP(vms) "{\"format\":1,\"unit\":1,\"vms\":[" vms "],\"tombstones\":[],\"former\":[],\"lm\":[]}"

static void test_json_errors(void **state)
{
	const char *p = "bad VM ownership data: ";
	char want[256];
	(void)p;
	expect_bad("{\"format\":1,", -EINVAL,
		   "bad VM ownership data: invalid JSON at line 1 column 12: string or '}' expected "
		   "near end of file");
	expect_bad("[]", -EINVAL, "bad VM ownership data: the top level must be an object");
	expect_bad("{\"unit\":1}", -EINVAL, "bad VM ownership data: 'format' is missing");
	expect_bad("{\"format\":2,\"unit\":1}", -EINVAL,
		   "bad VM ownership data: 'format' 2 is not supported (expected 1)");
	expect_bad("{\"format\":1,\"unit\":999}", -EINVAL,
		   "bad VM ownership data: 'unit' must be a non-negative integer in range");
	expect_bad("{\"format\":1,\"unit\":1}", -EINVAL, "bad VM ownership data: 'vms' is missing");
	expect_bad(TOP(VM("\"flags\":[]") "," "{\"vm_uuid\":" UU ",\"name\":\"VM2\",\"epoch\":\"1\"}"),
		   -EINVAL, "bad VM ownership data: 'vms[1].epoch' must be a non-negative integer in range");
	expect_bad(TOP(VM("\"flags\":[]") "," VM("\"flags\":[]")), -EINVAL,
		   "bad VM ownership data: 'vms[1]' repeats a vm_uuid or name of an earlier entry");
	expect_bad(TOP(VM("\"flags\":[\"sleepy\"]")), -EINVAL,
		   "bad VM ownership data: 'vms[0].flags' holds an unknown flag (known: conflict, "
		   "defined_only, fenced)");
	expect_bad(TOP(VM("\"flags\":{}")), -EINVAL,
		   "bad VM ownership data: 'vms[0].flags' must be an array");
	expect_bad(TOP("{\"vm_uuid\":\"not-a-uuid\"}"), -EINVAL,
		   "bad VM ownership data: 'vms[0].vm_uuid' must be a UUID (8-4-4-4-12 hex digits)");
	expect_bad(TOP("{\"vm_uuid\":" UU ",\"name\":\"\"}"), -EINVAL,
		   "bad VM ownership data: 'vms[0].name' must be 1..64 bytes");
	expect_bad(TOP("{\"vm_uuid\":" UU ",\"name\":\"A\",\"epoch\":1,\"owner\":1,"
		       "\"migrated_from\":0,\"recovered_from\":0,\"lm_id\":\"12\",\"flags\":[]}"),
		   -EINVAL, "bad VM ownership data: 'vms[0].lm_id' must be 16 hex digits");
	expect_bad("{\"format\":1,\"unit\":1,\"vms\":[],\"tombstones\":[{\"vm_uuid\":" UU
		   ",\"epoch\":-1}],\"former\":[],\"lm\":[]}",
		   -EINVAL,
		   "bad VM ownership data: 'tombstones[0].epoch' must be a non-negative integer in "
		   "range");
	expect_bad("{\"format\":1,\"unit\":1,\"vms\":[],\"tombstones\":[],\"former\":[{}],\"lm\":[]}",
		   -EINVAL, "bad VM ownership data: 'former[0].vm_uuid' is missing");
	expect_bad("{\"format\":1,\"unit\":1,\"vms\":[],\"tombstones\":[],\"former\":[],\"lm\":"
		   "[{\"kind\":\"sideways\"}]}",
		   -EINVAL,
		   "bad VM ownership data: 'lm[0].kind' must be 'outgoing', 'incoming' or 'abort'");

	/* more entries than fit */
	size_t cap = 64 + (CRD_OWNER_LM_MAX + 1) * 8;
	char *big = malloc(cap);
	strcpy(big, "{\"format\":1,\"unit\":1,\"vms\":[],\"tombstones\":[],\"former\":[],\"lm\":[");
	for (unsigned i = 0; i <= CRD_OWNER_LM_MAX; i++)
		strcat(big, i ? ",{}" : "{}");
	strcat(big, "]}");
	snprintf(want, sizeof(want), "bad VM ownership data: 'lm' has %u entries, at most %u fit",
		 CRD_OWNER_LM_MAX + 1, CRD_OWNER_LM_MAX);
	expect_bad(big, -E2BIG, want);
	free(big);
}

/* ---- randomized invariants ----
 * Two SUs run random sequences of create / delete / LM (with crashes at every step of
 * it) / kill / restart / RECOVER / reconcile. After every step:
 *  1. no vm_uuid is valid on two SUs (valid: SU serving, copy present, not CONFLICT, no
 *     outgoing LM record for it);
 *  2. no vm_uuid that was not deleted is lost (held by no SU's region);
 *  3. a deleted vm_uuid is valid nowhere;
 *  4. no CONFLICT ever appears (this model never produces one legitimately). */

#define LIMIT 6
#define VMS_MAX 64

struct msu {
	struct crd_owner_region reg;
	bool alive, serving;
};

struct model {
	struct msu su[2];
	unsigned nvms;
	bool deleted[VMS_MAX];
	uint64_t rng, next_lm;
	unsigned seed, step;
	const char *op;
};

static uint32_t rnd(struct model *m, uint32_t n)
{
	m->rng ^= m->rng << 13;
	m->rng ^= m->rng >> 7;
	m->rng ^= m->rng << 17;
	return (uint32_t)(m->rng % n);
}

static bool has_outgoing(const struct crd_owner_region *r, const crd_uuid *u)
{
	for (uint32_t i = 0; i < r->nlm; i++)
		if (r->lm[i].kind == CRD_LM_OUTGOING && memcmp(&r->lm[i].vm_uuid, u, 16) == 0)
			return true;
	return false;
}

static bool usable(const struct msu *s, const crd_uuid *u)
{
	const struct crd_vmdef *d = crd_owner_find(&s->reg, u);
	return s->serving && d && !(d->flags & CRD_VMDEF_CONFLICT) && !has_outgoing(&s->reg, u);
}

static void check(struct model *m)
{
	for (unsigned v = 1; v <= m->nvms; v++) {
		crd_uuid u = U(v);
		int valid = usable(&m->su[0], &u) + usable(&m->su[1], &u);
		int held = !!crd_owner_find(&m->su[0].reg, &u) + !!crd_owner_find(&m->su[1].reg, &u);
		if (valid > 1)
			fail_msg("seed %u step %u (%s): VM%u valid on both SUs", m->seed, m->step,
				 m->op, v);
		if (!m->deleted[v - 1] && held == 0)
			fail_msg("seed %u step %u (%s): VM%u lost", m->seed, m->step, m->op, v);
		if (m->deleted[v - 1] && valid)
			fail_msg("seed %u step %u (%s): deleted VM%u came back", m->seed, m->step,
				 m->op, v);
		for (int i = 0; i < 2; i++) {
			const struct crd_vmdef *d = crd_owner_find(&m->su[i].reg, &u);
			if (d && (d->flags & CRD_VMDEF_CONFLICT))
				fail_msg("seed %u step %u (%s): VM%u CONFLICT on SU %d", m->seed,
					 m->step, m->op, v, i + 1);
		}
	}
}

static void m_reconcile(struct model *m, int i)
{
	static struct crd_owner_region out;
	assert_int_equal(crd_owner_reconcile(&m->su[i].reg, &m->su[!i].reg, &out, NULL), 0);
	m->su[i].reg = out;
}

static enum crd_alive_verdict_kind verdict_of(const struct model *m, int i)
{
	return m->su[i].alive ? CRD_ALIVE_ALIVE : CRD_ALIVE_DEAD;
}

/* a restarted SU: abort incoming LMs, resolve outgoing ones, then reconcile and serve */
static void m_progress(struct model *m, int i)
{
	struct msu *s = &m->su[i];
	if (!s->alive || s->serving)
		return;
	assert_true(crd_lm_target_restart(&s->reg) >= 0);
	for (uint32_t k = 0; k < s->reg.nlm;) {
		struct crd_lm_rec l = s->reg.lm[k];
		if (l.kind != CRD_LM_OUTGOING) {
			k++;
			continue;
		}
		const struct crd_vmdef *d = crd_owner_find(&s->reg, &l.vm_uuid);
		struct crd_lm_source_view v = {.lm_id = l.lm_id, .vm_uuid = l.vm_uuid,
					       .source_epoch = d ? d->epoch : 0,
					       .target_read_ok = true, .target = &m->su[!i].reg,
					       .target_verdict = verdict_of(m, !i)};
		enum crd_lm_decision dec = crd_lm_source_decide(&v);
		if (dec == CRD_LM_QUIT_SOURCE)
			assert_int_equal(crd_lm_source_finish(&s->reg, l.lm_id), 0);
		else if (dec == CRD_LM_RESUME_SOURCE)
			assert_int_equal(crd_lm_source_resume(&s->reg, l.lm_id), 0);
		else
			return; /* WAIT: not serving yet */
		k = 0;
	}
	m_reconcile(m, i);
	s->serving = true;
}

static void m_kill(struct model *m, int i)
{
	m->su[i].alive = m->su[i].serving = false;
}

static const struct crd_vmdef *pick_usable(struct model *m, int i)
{
	struct msu *s = &m->su[i];
	if (!s->serving || s->reg.ndefs == 0)
		return NULL;
	const struct crd_vmdef *d = &s->reg.defs[rnd(m, s->reg.ndefs)];
	return usable(s, &d->vm_uuid) ? d : NULL;
}

static void m_lm(struct model *m, int src)
{
	int tgt = !src;
	struct msu *S = &m->su[src], *T = &m->su[tgt];
	const struct crd_vmdef *dp = pick_usable(m, src);
	if (!dp || !T->serving || T->reg.ndefs >= LIMIT || crd_owner_find_name(&T->reg, dp->name) ||
	    crd_owner_find(&T->reg, &dp->vm_uuid))
		return;
	struct crd_vmdef d = *dp;
	uint64_t lm = ++m->next_lm;
	assert_int_equal(crd_owner_lm_add(&S->reg, CRD_LM_OUTGOING, lm, &d.vm_uuid, T->reg.unit), 0);
	assert_int_equal(crd_owner_lm_add(&T->reg, CRD_LM_INCOMING, lm, &d.vm_uuid, S->reg.unit), 0);
	struct crd_lm_source_view v = {.lm_id = lm, .vm_uuid = d.vm_uuid, .source_epoch = d.epoch,
				       .target_read_ok = true, .target = &T->reg};
	switch (rnd(m, 6)) {
	case 0: /* success */
		m->op = "lm ok";
		assert_int_equal(crd_lm_commit(&T->reg, &d, lm), 0);
		assert_int_equal(crd_lm_source_finish(&S->reg, lm), 0);
		break;
	case 1: /* target dies before the commit */
		m->op = "lm target dies";
		m_kill(m, tgt);
		v.target_verdict = CRD_ALIVE_DEAD;
		assert_int_equal(crd_lm_source_decide(&v), CRD_LM_RESUME_SOURCE);
		crd_lm_source_resume(&S->reg, lm);
		break;
	case 2: /* commit in doubt (landed or not): target aborts, source resumes */
		m->op = "lm commit in doubt";
		if (rnd(m, 2))
			assert_int_equal(crd_lm_commit(&T->reg, &d, lm), 0);
		assert_int_equal(crd_lm_target_abort(&T->reg, lm, &d.vm_uuid, S->reg.unit), 0);
		v.target_verdict = CRD_ALIVE_ALIVE;
		assert_int_equal(crd_lm_source_decide(&v), CRD_LM_RESUME_SOURCE);
		crd_lm_source_resume(&S->reg, lm);
		break;
	case 3: /* source dies after the commit */
		m->op = "lm source dies after commit";
		assert_int_equal(crd_lm_commit(&T->reg, &d, lm), 0);
		m_kill(m, src);
		break;
	case 4: /* source dies before the commit: the target gives up */
		m->op = "lm source dies before commit";
		m_kill(m, src);
		assert_int_equal(crd_lm_target_abort(&T->reg, lm, &d.vm_uuid, S->reg.unit), 0);
		break;
	default: /* target dies after the commit */
		m->op = "lm target dies after commit";
		assert_int_equal(crd_lm_commit(&T->reg, &d, lm), 0);
		m_kill(m, tgt);
		v.target_verdict = CRD_ALIVE_DEAD;
		assert_int_equal(crd_lm_source_decide(&v), CRD_LM_QUIT_SOURCE);
		assert_int_equal(crd_lm_source_finish(&S->reg, lm), 0);
		break;
	}
}

static void m_step(struct model *m)
{
	int i = (int)rnd(m, 2);
	struct msu *s = &m->su[i];
	switch (rnd(m, 9)) {
	case 0: /* create */
		m->op = "create";
		if (s->serving && s->reg.ndefs < LIMIT && m->nvms < VMS_MAX) {
			char name[16];
			snprintf(name, sizeof(name), "VM%u", m->nvms + 1);
			struct crd_vmdef d = def(m->nvms + 1, name, 1, s->reg.unit);
			assert_int_equal(crd_owner_add(&s->reg, &d), 0);
			m->nvms++;
		}
		break;
	case 1: { /* delete */
		m->op = "delete";
		const struct crd_vmdef *d = pick_usable(m, i);
		if (d) {
			unsigned v = d->vm_uuid.b[15] | (unsigned)d->vm_uuid.b[14] << 8;
			crd_uuid u = d->vm_uuid;
			assert_true(crd_owner_delete(&s->reg, &u) >= 0);
			m->deleted[v - 1] = true;
		}
		break;
	}
	case 2:
		m->op = "lm";
		m_lm(m, i);
		break;
	case 3:
		m->op = "kill";
		m_kill(m, i);
		break;
	case 4:
	case 5:
		m->op = "restart";
		if (!s->alive)
			s->alive = true;
		m_progress(m, i);
		break;
	case 6: { /* recover a definition of the dead partner */
		m->op = "recover";
		struct msu *p = &m->su[!i];
		if (!s->serving || p->alive || p->reg.ndefs == 0)
			break;
		const struct crd_vmdef *d = &p->reg.defs[rnd(m, p->reg.ndefs)];
		struct crd_recover_req req = {.name = d->name, .source = &p->reg, .target = &s->reg,
					      .source_verdict = {.verdict = CRD_ALIVE_DEAD},
					      .target_limit = LIMIT};
		struct crd_vmdef nd;
		if (crd_owner_recover_check(&req, &nd, NULL, NULL) == 0)
			assert_int_equal(crd_owner_add(&s->reg, &nd), 0);
		break;
	}
	default:
		m->op = "reconcile";
		if (s->serving)
			m_reconcile(m, i);
		break;
	}
}

static void test_random_invariants(void **state)
{
	struct model *m = calloc(1, sizeof(*m));
	assert_non_null(m);
	unsigned served = 0, recovered_ops = 0;
	for (unsigned seed = 1; seed <= 2000; seed++) {
		memset(m, 0, sizeof(*m));
		m->seed = seed;
		m->rng = 0x9e3779b97f4a7c15ull * seed;
		for (int i = 0; i < 2; i++) {
			crd_owner_init(&m->su[i].reg, SA + (uint32_t)i);
			m->su[i].alive = m->su[i].serving = true;
		}
		for (m->step = 0; m->step < 150; m->step++) {
			m_step(m);
			check(m);
		}
		/* everyone comes back and settles: no tombstone or former record leaks */
		for (int round = 0; round < 4; round++)
			for (int i = 0; i < 2; i++) {
				m->su[i].alive = true;
				m_progress(m, i);
				if (m->su[i].serving)
					m_reconcile(m, i);
				check(m);
			}
		for (int i = 0; i < 2; i++) {
			if (!m->su[i].serving)
				fail_msg("seed %u: SU %d never serves again", seed, i + 1);
			if (m->su[i].reg.ntombs || m->su[i].reg.nformers || m->su[i].reg.nlm)
				fail_msg("seed %u: SU %d keeps %u tombstones, %u former records, %u LM "
					 "records", seed, i + 1, m->su[i].reg.ntombs,
					 m->su[i].reg.nformers, m->su[i].reg.nlm);
		}
		served += m->nvms;
		recovered_ops += (unsigned)m->next_lm;
	}
	assert_true(served > 400 && recovered_ops > 400); /* the model did something */
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_delete),
		cmocka_unit_test(test_reconcile_superseded),
		cmocka_unit_test(test_reconcile_conflicts),
		cmocka_unit_test(test_reconcile_name_conflict),
		cmocka_unit_test(test_tombstone_lifecycle),
		cmocka_unit_test(test_recover_preconditions),
		cmocka_unit_test(test_lm_records),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_json_errors),
		cmocka_unit_test(test_random_invariants),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
