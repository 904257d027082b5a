/* policy.c — the fence and pet decision (policy.h). */
#include "guard/policy.h"

struct guard_decision guard_decide(uint64_t now_ns, const struct guard_policy_in *in)
{
	struct guard_decision d = {0};

	if (in->renewed) {
		uint64_t age = now_ns > in->last_issue_ns ? now_ns - in->last_issue_ns : 0;
		d.fresh = age < in->fence_timeout_ns;
		d.deadline_ns = in->last_issue_ns + in->fence_timeout_ns;
	}
	d.fence = in->renewed && !d.fresh && in->alive > 0;
	d.pet = d.fresh || in->unreaped == 0;
	return d;
}
