/* status.h — the "CRD disks" status of crd.md §7 and its events (status.md §1, §5).
 *
 * Each unit knows a status per external disk of its disk set (enum crd_disk_status) and
 * derives its own "CRD disks" column from N and those statuses (crd_status_unit): NORMAL
 * when every disk of the set is NORMAL, WARNING when the unit still meets §5's keep and
 * commit columns (but not acquire, or a disk is being resynced), ERROR when it does not,
 * NOT_CONFIGURED with no external disk. A disk counts as usable for §5's columns when it
 * is NORMAL or STALE (reachable and of the newest set; STALE only means "being resynced").
 *
 * Transitions go through one compare-and-set function, crd_status_set_disk(), which
 * returns whether an event is due and fills it (component CRD, status.md §5):
 *
 *     struct crd_status st;
 *     crd_status_init(&st, "su1", 2, (const char *[]){"/dev/sdb", "/dev/sdc"});
 *     struct crd_status_event ev;
 *     if (crd_status_set_disk(&st, 0, CRD_DISK_NORMAL, CRD_DISK_NOT_ACCESSIBLE, &ev) > 0)
 *             emit(ev.weight, ev.msg);
 *
 * Pure logic: no I/O, no clock, no allocation. */
#ifndef SEC_CRD_STATUS_H
#define SEC_CRD_STATUS_H

#include <stdint.h>

#include "crd/ondisk.h"

enum crd_disk_status {
	CRD_DISK_NORMAL = 0,
	CRD_DISK_NOT_ACCESSIBLE,
	CRD_DISK_STALE,          /* being resynced (crd.md §3) */
	CRD_DISK_INVALID,        /* wrong cluster, set or format */
	CRD_DISK_NOT_CONFIGURED,
	CRD_DISK_STATUS_MAX
};

/* The unit's "CRD disks" column (status.md §1). */
enum crd_unit_status {
	CRD_UNIT_NORMAL = 0,
	CRD_UNIT_WARNING,
	CRD_UNIT_ERROR,
	CRD_UNIT_NOT_CONFIGURED,
	CRD_UNIT_STATUS_MAX
};

/* Event weights of status.md §5, lowest first. Kept here until the logbook module owns
 * them; the values only need to keep this order. */
enum crd_event_weight {
	CRD_WEIGHT_DEBUG = 0,
	CRD_WEIGHT_INFO,
	CRD_WEIGHT_NOTICE,
	CRD_WEIGHT_WARNING,
	CRD_WEIGHT_ERROR,
	CRD_WEIGHT_CRITICAL,
	CRD_WEIGHT_EMERGENCY,
	CRD_WEIGHT_MAX
};

#define CRD_STATUS_NAME_MAX 255 /* bytes of a unit or disk name kept (longer ones are cut) */

struct crd_status {
	uint32_t n; /* external disks in the set: 0, 1 or 2 */
	enum crd_disk_status disk[CRD_SET_DISKS_MAX];
	char unit[CRD_STATUS_NAME_MAX + 1];
	char disk_name[CRD_SET_DISKS_MAX][CRD_STATUS_NAME_MAX + 1];
};

struct crd_status_event {
	enum crd_event_weight weight;
	const char *component; /* "CRD" (static) */
	char msg[2 * CRD_STATUS_NAME_MAX + 96];
};

/* "NORMAL", "NOT_ACCESSIBLE", "STALE", "INVALID", "NOT_CONFIGURED"; "?" when out of range. */
const char *crd_disk_status_to_string(enum crd_disk_status s);
/* "NORMAL", "WARNING", "ERROR", "NOT_CONFIGURED"; "?" when out of range. */
const char *crd_unit_status_to_string(enum crd_unit_status s);
/* "DEBUG" ... "EMERGENCY"; "?" when out of range. */
const char *crd_event_weight_to_string(enum crd_event_weight w);

/* The unit's "CRD disks" status (crd.md §7) from n (0..2) and disks[0..n-1].
 * n == 0 → NOT_CONFIGURED; n > 2 or an out-of-range disk status counts as ERROR. */
enum crd_unit_status crd_status_unit(uint32_t n, const enum crd_disk_status *disks);

/* Initialises st for unit `unit` with n (0..2) disks named names[0..n-1] (paths or disk
 * UUIDs, copied); every disk starts NORMAL. Returns 0, or -EINVAL when n > 2. */
int crd_status_init(struct crd_status *st, const char *unit, uint32_t n, const char *const *names);

/* Disk `disk` (0..n-1) is another disk now (online replace): its name in later events.
 * 0 or -EINVAL. */
int crd_status_rename_disk(struct crd_status *st, uint32_t disk, const char *name);

/* Compare-and-set of disk `disk` (0..n-1) from old to new. Returns 1 when the status
 * changed and an event is due (ret_ev filled when not NULL: weight NOTICE when new is
 * NORMAL, WARNING otherwise; msg "CRD disk 'DISK' of unit 'UNIT' changed from 'OLD' to
 * 'NEW'"), 0 when old == new == current (no event), -ESTALE when the current status is
 * not old (nothing changed), -EINVAL for a bad disk index or status. */
int crd_status_set_disk(struct crd_status *st, uint32_t disk, enum crd_disk_status old,
			enum crd_disk_status new_status, struct crd_status_event *ret_ev);

/* crd_status_unit() of st's current disks. */
enum crd_unit_status crd_status_get_unit(const struct crd_status *st);

#endif
