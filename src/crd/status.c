/* status.c — "CRD disks" statuses and their events (crd.md §7, status.md §5). */
#include "crd/status.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

const char *crd_disk_status_to_string(enum crd_disk_status s)
{
	static const char *const names[CRD_DISK_STATUS_MAX] = {
		[CRD_DISK_NORMAL] = "NORMAL",
		[CRD_DISK_NOT_ACCESSIBLE] = "NOT_ACCESSIBLE",
		[CRD_DISK_STALE] = "STALE",
		[CRD_DISK_INVALID] = "INVALID",
		[CRD_DISK_NOT_CONFIGURED] = "NOT_CONFIGURED",
	};
	return (unsigned)s < CRD_DISK_STATUS_MAX ? names[s] : "?";
}

const char *crd_unit_status_to_string(enum crd_unit_status s)
{
	static const char *const names[CRD_UNIT_STATUS_MAX] = {
		[CRD_UNIT_NORMAL] = "NORMAL",
		[CRD_UNIT_WARNING] = "WARNING",
		[CRD_UNIT_ERROR] = "ERROR",
		[CRD_UNIT_NOT_CONFIGURED] = "NOT_CONFIGURED",
	};
	return (unsigned)s < CRD_UNIT_STATUS_MAX ? names[s] : "?";
}

const char *crd_event_weight_to_string(enum crd_event_weight w)
{
	static const char *const names[CRD_WEIGHT_MAX] = {
		"DEBUG", "INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL", "EMERGENCY",
	};
	return (unsigned)w < CRD_WEIGHT_MAX ? names[w] : "?";
}

/* Reachable and of the newest set: counts for §5's keep / commit / acquire columns. */
static bool disk_usable(enum crd_disk_status s)
{
	return s == CRD_DISK_NORMAL || s == CRD_DISK_STALE;
}

enum crd_unit_status crd_status_unit(uint32_t n, const enum crd_disk_status *disks)
{
	if (n == 0)
		return CRD_UNIT_NOT_CONFIGURED;
	if (n > CRD_SET_DISKS_MAX)
		return CRD_UNIT_ERROR;
	uint32_t normal = 0, usable = 0;
	for (uint32_t i = 0; i < n; i++) {
		if ((unsigned)disks[i] >= CRD_DISK_STATUS_MAX)
			return CRD_UNIT_ERROR;
		normal += disks[i] == CRD_DISK_NORMAL;
		usable += disk_usable(disks[i]);
	}
	if (normal == n)
		return CRD_UNIT_NORMAL;
	/* keep and commit (§5): N = 1 needs D1, N = 2 needs at least one disk */
	bool keep_commit = n == 1 ? usable == 1 : usable >= 1;
	return keep_commit ? CRD_UNIT_WARNING : CRD_UNIT_ERROR;
}

static void name_copy(char *dst, const char *src)
{
	snprintf(dst, CRD_STATUS_NAME_MAX + 1, "%s", src ? src : "");
}

int crd_status_init(struct crd_status *st, const char *unit, uint32_t n, const char *const *names)
{
	if (n > CRD_SET_DISKS_MAX)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	st->n = n;
	name_copy(st->unit, unit);
	for (uint32_t i = 0; i < n; i++) {
		st->disk[i] = CRD_DISK_NORMAL;
		name_copy(st->disk_name[i], names ? names[i] : NULL);
	}
	return 0;
}

int crd_status_rename_disk(struct crd_status *st, uint32_t disk, const char *name)
{
	if (disk >= st->n)
		return -EINVAL;
	name_copy(st->disk_name[disk], name);
	return 0;
}

int crd_status_set_disk(struct crd_status *st, uint32_t disk, enum crd_disk_status old,
			enum crd_disk_status new_status, struct crd_status_event *ret_ev)
{
	if (disk >= st->n || (unsigned)old >= CRD_DISK_STATUS_MAX ||
	    (unsigned)new_status >= CRD_DISK_STATUS_MAX)
		return -EINVAL;
	if (st->disk[disk] != old)
		return -ESTALE;
	if (old == new_status)
		return 0;
	st->disk[disk] = new_status;
	if (ret_ev) {
		ret_ev->weight = new_status == CRD_DISK_NORMAL ? CRD_WEIGHT_NOTICE : CRD_WEIGHT_WARNING;
		ret_ev->component = "CRD";
		snprintf(ret_ev->msg, sizeof(ret_ev->msg),
			 "CRD disk '%s' of unit '%s' changed from '%s' to '%s'", st->disk_name[disk],
			 st->unit, crd_disk_status_to_string(old),
			 crd_disk_status_to_string(new_status));
	}
	return 1;
}

enum crd_unit_status crd_status_get_unit(const struct crd_status *st)
{
	return crd_status_unit(st->n, st->disk);
}
