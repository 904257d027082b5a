/* lmjv.c — the MONJVs of LMs kept in the source SU's model, and their 256 bytes (lm.h;
 * layout in monjv.h, vm2000.md §5 "MONJV of an LM"). */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "su/lm.h"

static const char *const statuses[] = {"$S ", "$R ", "$T ", "$TW", "$AE", "$AF"};

static bool status_valid(const char *s)
{
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (strcmp(s, statuses[i]) == 0)
			return true;
	return false;
}

bool su_lmjv_finished(const struct su_lmjv *jv)
{
	return jv->status[1] == 'T' || jv->status[1] == 'A';
}

const struct su_lmjv *su_model_lmjv_find(const struct su_model *m, const char *name)
{
	for (unsigned i = 0; i < m->n_lmjv && i < SU_LMJV_MAX; i++)
		if (strcasecmp(m->lmjv[i].name, name) == 0)
			return &m->lmjv[i];
	return NULL;
}

int su_model_lmjv_put(struct su_model *m, const struct su_lmjv *jv)
{
	struct su_lmjv *old = (struct su_lmjv *)su_model_lmjv_find(m, jv->name);
	unsigned drop = SU_LMJV_MAX;

	if (!jv->name[0] || !status_valid(jv->status))
		return -EINVAL;
	if (old) {
		*old = *jv;
		return 0;
	}
	if (m->n_lmjv >= SU_LMJV_MAX) {
		for (unsigned i = 0; i < SU_LMJV_MAX; i++)
			if (su_lmjv_finished(&m->lmjv[i]) &&
			    (drop == SU_LMJV_MAX || m->lmjv[i].end_ms < m->lmjv[drop].end_ms))
				drop = i;
		if (drop == SU_LMJV_MAX)
			return -ENOSPC;
		memmove(&m->lmjv[drop], &m->lmjv[drop + 1],
			(SU_LMJV_MAX - drop - 1) * sizeof(m->lmjv[0]));
		m->n_lmjv = SU_LMJV_MAX - 1;
	}
	m->lmjv[m->n_lmjv++] = *jv;
	return 0;
}

/* s into out[from..to] (1-based, inclusive), cut to the width; the rest stays blank. */
static void put(char *out, unsigned from, unsigned to, const char *s)
{
	size_t n = strlen(s), w = to - from + 1;

	memcpy(out + from - 1, s, n < w ? n : w);
}

static void put_time(char *out, unsigned from, int64_t ms)
{
	char buf[32];
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d%H%M%S", &tm);
	put(out, from, from + 15, buf);
}

void su_lm_monjv_build(const struct su_model *m, const struct su_lmjv *jv, char out[SU_MONJV_LEN])
{
	char buf[80], name[SU_VM_NAME_MAX + 1] = "";
	unsigned index = 0;

	if (jv->vm_monjv) {
		struct su_monjv_vm f = {.status = jv->status,
					.guest_state = "NONE ",
					.host = jv->source[0] ? jv->source : m->res.host_name,
					.name = name,
					.session = m->session,
					.start_ms = jv->start_ms,
					.migr = true};
		if (sscanf(jv->vm, "(%u,%8[^)])", &f.index, name) != 2)
			name[0] = '\0';
		su_monjv_vm_fill(&f, out);
		return;
	}
	memset(out, ' ', SU_MONJV_LEN);
	put(out, 1, 3, jv->status);
	out[3] = '0';
	snprintf(buf, sizeof(buf), "%.4s", jv->source[0] ? jv->source : m->res.host_name);
	for (char *s = buf; *s; s++)
		*s = (char)toupper((unsigned char)*s);
	put(out, 9, 12, buf);
	out[16] = 'V';
	snprintf(buf, sizeof(buf), "%03u", m->session % 1000);
	put(out, 18, 20, buf);
	if (jv->start_ms > 0)
		put_time(out, 21, jv->start_ms);
	if (jv->end_ms > 0)
		put_time(out, 37, jv->end_ms);
	if (sscanf(jv->vm, "(%u,%8[^)])", &index, name) == 2) {
		put(out, 71, 78, name);
		snprintf(buf, sizeof(buf), "%03u", index % 1000);
		put(out, 79, 81, buf);
	}
	if (jv->phase >= 1 && jv->phase <= 4) {
		buf[0] = (char)('0' + jv->phase);
		buf[1] = '\0';
		put(out, 82, 82, buf);
	}
	snprintf(buf, sizeof(buf), "%03u", jv->percent > 100 ? 100 : jv->percent);
	put(out, 83, 85, buf);
	snprintf(buf, sizeof(buf), "%016" PRIx64, jv->lm_id);
	put(out, 87, 102, buf);
	snprintf(buf, sizeof(buf), "%012" PRIu64,
		 jv->dirty_rate > UINT64_C(999999999999) ? UINT64_C(999999999999) : jv->dirty_rate);
	put(out, 104, 115, buf);
	snprintf(buf, sizeof(buf), "%08u", jv->pause_ms > 99999999u ? 99999999u : jv->pause_ms);
	put(out, 117, 124, buf);
	put(out, 129, 192, jv->target);
	put(out, 193, 256, jv->reason);
}
