/* recover.c — the plan of /RECOVER-VM-DEFINITION (recover.h; seed 5, vm2000-facts.md
 * §1.11, crd.md §6). */
#include "su/recover.h"

#include "crd/owner.h"
#include "su/cmd_priv.h"
#include "su/lmcheck.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The SU Cluster and the partner: 0, or -1 (rejected with the message). */
static int check_partner(struct plan_ctx *x, const struct su_recover_ctx *ctx)
{
	const char *named = x->c->su_name[0] ? x->c->su_name : NULL;

	if (!ctx->in_cluster) {
		plan_msg(x, "VMS2347", x->live->res.name);
		return plan_reject(x, "VMS2347", 64);
	}
	if (named && ctx->named_local) {
		plan_msg(x, "VMS2342", named);
		return plan_reject(x, "VMS2342", 64);
	}
	if (named && !ctx->known) {
		plan_msg(x, "VMS2400", named);
		return plan_reject(x, "VMS2400", 64);
	}
	if (named && !ctx->same_cluster) {
		plan_msg(x, "VMS2343", named, x->live->res.name);
		return plan_reject(x, "VMS2343", 64);
	}
	if (!ctx->partner[0]) {
		plan_msg(x, "VMS2341", x->live->res.name);
		return plan_reject(x, "VMS2341", 64);
	}
	if (!ctx->partner_read) { /* the verdict first: a split site reads neither (crd.md §5) */
		enum crd_alive_verdict_kind v = ctx->verdict.verdict;
		if (v == CRD_ALIVE_ALIVE) {
			plan_msg(x, "VMS2344", ctx->partner);
			return plan_reject(x, "VMS2344", 64);
		}
		if (v != CRD_ALIVE_DEAD && !ctx->confirmed) {
			plan_msg(x, "VMS2349", ctx->partner, x->c->vm.name);
			return plan_reject(x, "VMS2349", 64);
		}
		plan_msg(x, "VMS2345", x->c->vm.name, ctx->partner);
		return plan_reject(x, "VMS2345", 64);
	}
	return 0;
}

/* crd_owner_recover_check()'s verdict as the command's message: 0 or -1 (rejected). */
static int check_owner(struct plan_ctx *x, const struct su_model *partner,
		       const struct su_recover_ctx *ctx, struct crd_vmdef *def)
{
	struct crd_owner_region empty;
	struct sec_err err = {0};
	const char *msgid = NULL, *name = x->c->vm.name;

	if (!partner)
		crd_owner_init(&empty, ctx->partner_unit);
	struct crd_recover_req req = {
		.name = name,
		.source = partner ? &partner->own : &empty,
		.target = &x->live->own,
		.source_verdict = ctx->verdict,
		.operator_confirmed = ctx->confirmed,
		.target_limit = x->live->res.max_defs,
	};
	int r = crd_owner_recover_check(&req, def, &msgid, &err);
	if (r == 0)
		return 0;
	if (r == -EAGAIN) {
		plan_msg(x, "VMS2349", ctx->partner, name);
		return plan_reject(x, "VMS2349", 64);
	}
	if (!msgid || r == -EBUSY) /* CONFLICT on S, or no message given */
		msgid = r == -EBUSY && ctx->verdict.verdict == CRD_ALIVE_ALIVE ? "VMS2344"
									      : "VMS2346";
	if (!strcmp(msgid, "VMS4013")) { /* a different VM of that name: not unique (seed 5) */
		plan_msg(x, "VMS2346", name);
		plan_msg(x, "VMS4013", name);
		return plan_reject(x, "VMS2346", 64);
	}
	if (!strcmp(msgid, "VMS2344"))
		plan_msg(x, msgid, ctx->partner);
	else if (!strcmp(msgid, "VMS2311"))
		plan_msg(x, msgid, x->live->res.max_defs);
	else
		plan_msg(x, msgid, name);
	return plan_reject(x, msgid, 64);
}

struct su_plan *su_cmd_plan_recover(const struct su_model *live, const struct su_cmd *c,
				    const struct su_model *partner,
				    const struct su_recover_ctx *ctx, int64_t now_ms)
{
	struct su_plan *p = calloc(1, sizeof(*p));
	struct plan_ctx x = {.p = p, .live = live, .c = c, .now_ms = now_ms};
	struct su_lm_check *chk = calloc(1, sizeof(*chk));
	struct crd_vmdef def;

	if (!p || !chk) {
		free(chk);
		free(p);
		return NULL;
	}
	p->ok = true;
	p->id = c->id;
	plan_rc(&x, "CMD0001", 0, 0);
	if (check_partner(&x, ctx) < 0 || check_owner(&x, partner, ctx, &def) < 0)
		goto out;
	const struct su_vm *src = su_model_vm_by_uuid(partner, &def.vm_uuid);
	if (!src) { /* an ownership record without its definition: nothing to take */
		plan_msg(&x, "VMS2345", c->vm.name, ctx->partner);
		plan_reject(&x, "VMS2345", 64);
		goto out;
	}
	su_lm_check_target_def(live, src, chk);
	if (chk->n_rows) { /* the first reason decides the return code (seed: one message) */
		for (unsigned i = 0; i < chk->n_rows; i++)
			plan_line(&x, "%s", chk->rows[i].msg);
		plan_reject(&x, chk->rows[0].msgid, 64);
		goto out;
	}
	struct su_model *next = plan_next(&x);
	if (!next)
		goto out;
	if (next->nvms >= SU_VMS_CAP || crd_owner_add(&next->own, &def) < 0) {
		plan_msg(&x, "VMS2346", c->vm.name);
		plan_reject(&x, "VMS2346", 64);
		goto out;
	}
	plan_take_definition(&x, next, src, chk->target_index, &def.vm_uuid, "recovered from",
			     ctx->partner);
	plan_commit_msg(&x, "VMS2340", c->vm.name, ctx->partner);
out:
	free(chk);
	if (x.oom)
		return su_plan_free(p);
	return p;
}

int su_recover_in_doubt(struct su_plan *p, const char *vm_name, const char *partner,
			unsigned write_ms)
{
	struct plan_ctx x = {.p = p};
	char ms[16];

	if (!p || !p->ok || p->finished || p->id != SU_CMD_RECOVER_VM_DEFINITION ||
	    !p->n_commit_msgs)
		return -EINVAL;
	for (size_t i = 0; i < p->n_commit_msgs; i++)
		free(p->commit_msgs[i]);
	p->n_commit_msgs = 0;
	snprintf(ms, sizeof(ms), "%u", write_ms);
	plan_commit_msg(&x, "VMS2348", vm_name ? vm_name : "?", partner ? partner : "?", ms);
	plan_rc(&x, "VMS2348", 0, 2);
	return 0;
}
