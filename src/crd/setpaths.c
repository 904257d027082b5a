/* setpaths.c — the disk set paths record (see setpaths.h). */
#include "crd/setpaths.h"

#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#define CRC_OFF (CRD_BLOCK - 4u)

struct crd_setpaths_entry_disk {
	uint8_t disk_id[16];
	uint32_t path_len; /* bytes, without the NUL */
	char path[CRD_SETPATHS_PATH_MAX];
} __attribute__((packed));

struct crd_setpaths_disk {
	uint64_t magic;
	uint32_t version;
	uint32_t count;
	uint8_t set_id[16];
	uint64_t generation;
	struct crd_setpaths_entry_disk e[CRD_SET_DISKS_MAX];
	uint8_t reserved[CRC_OFF - 40 - CRD_SET_DISKS_MAX * 1040];
	uint32_t crc;
} __attribute__((packed));

_Static_assert(sizeof(struct crd_setpaths_entry_disk) == 1040, "setpaths entry");
_Static_assert(offsetof(struct crd_setpaths_disk, set_id) == 16, "setpaths layout");
_Static_assert(offsetof(struct crd_setpaths_disk, generation) == 32, "setpaths layout");
_Static_assert(offsetof(struct crd_setpaths_disk, e) == 40, "setpaths layout");
_Static_assert(offsetof(struct crd_setpaths_disk, crc) == CRC_OFF, "setpaths layout");
_Static_assert(sizeof(struct crd_setpaths_disk) == CRD_BLOCK, "setpaths size");

void crd_setpaths_out(const struct crd_setpaths *p, void *block)
{
	struct crd_setpaths_disk *d = block;

	memset(block, 0, CRD_BLOCK);
	d->magic = htole64(CRD_SETPATHS_MAGIC);
	d->version = htole32(CRD_FORMAT_VERSION);
	d->count = htole32(p->count);
	memcpy(d->set_id, p->set_id.b, 16);
	d->generation = htole64(p->generation);
	for (unsigned i = 0; i < p->count && i < CRD_SET_DISKS_MAX; i++) {
		size_t n = strnlen(p->path[i], CRD_SETPATHS_PATH_MAX - 1);
		memcpy(d->e[i].disk_id, p->disks[i].b, 16);
		d->e[i].path_len = htole32((uint32_t)n);
		memcpy(d->e[i].path, p->path[i], n);
	}
	crd_block_seal(block);
}

int crd_setpaths_in(const void *block, struct crd_setpaths *ret)
{
	const struct crd_setpaths_disk *d = block;
	struct crd_setpaths p;
	int r = crd_block_check(block, CRD_SETPATHS_MAGIC);

	if (r < 0)
		return r;
	memset(&p, 0, sizeof(p));
	p.count = le32toh(d->count);
	memcpy(p.set_id.b, d->set_id, 16);
	p.generation = le64toh(d->generation);
	if (p.count < 1 || p.count > CRD_SET_DISKS_MAX || !p.generation ||
	    crd_uuid_is_null(&p.set_id))
		return -EINVAL;
	for (unsigned i = 0; i < p.count; i++) {
		uint32_t n = le32toh(d->e[i].path_len);
		memcpy(p.disks[i].b, d->e[i].disk_id, 16);
		if (crd_uuid_is_null(&p.disks[i]) || n == 0 || n >= CRD_SETPATHS_PATH_MAX ||
		    memchr(d->e[i].path, '\0', n))
			return -EINVAL;
		memcpy(p.path[i], d->e[i].path, n);
	}
	*ret = p;
	return 0;
}

const char *crd_setpaths_find(const struct crd_setpaths *p, const crd_uuid *id)
{
	for (unsigned i = 0; i < p->count && i < CRD_SET_DISKS_MAX; i++)
		if (crd_uuid_eq(&p->disks[i], id))
			return p->path[i];
	return NULL;
}
