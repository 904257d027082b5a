/* secguest: the marker disk over legacy (transitional) virtio-blk-pci, polled.
 *
 * PCI configuration mechanism 1 on bus 0 (pc-i440fx has no bridges by default; SeaBIOS has
 * assigned the BARs). A device 1af4:1001 is initialised (reset, ACKNOWLEDGE, DRIVER, no
 * features, queue 0, DRIVER_OK) and asked for its serial with VIRTIO_BLK_T_GET_ID; a device
 * whose serial is not the marker is reset again and never sees another request. Requests
 * use descriptors 0..2 (header, data, status) and wait on the used ring with a deadline;
 * interrupts stay masked at the PIC.
 */
#include "guest.h"

#define VIRTIO_VENDOR 0x1af4
#define VIRTIO_BLK_LEGACY 0x1001

/* legacy virtio-pci I/O registers */
#define VP_HOST_FEATURES 0x00
#define VP_GUEST_FEATURES 0x04
#define VP_QUEUE_PFN 0x08
#define VP_QUEUE_SIZE 0x0c
#define VP_QUEUE_SEL 0x0e
#define VP_QUEUE_NOTIFY 0x10
#define VP_STATUS 0x12
#define VP_CONFIG 0x14		/* device config without MSI-X: virtio-blk capacity (u64) */

#define ST_ACK 1
#define ST_DRIVER 2
#define ST_DRIVER_OK 4

#define T_IN 0
#define T_OUT 1
#define T_GET_ID 8
#define ID_BYTES 20

#define DESC_F_NEXT 1
#define DESC_F_WRITE 2

#define QMEM_PAGES 8
#define REQ_TIMEOUT_TICKS (10 * TICK_HZ)

struct vq_desc { uint64_t addr; uint32_t len; uint16_t flags; uint16_t next; };
struct vq_used_elem { uint32_t id; uint32_t len; };
struct blk_req { uint32_t type; uint32_t ioprio; uint64_t sector; };

static uint8_t qmem[QMEM_PAGES * 4096] __attribute__((aligned(4096)));
static struct blk_req req;
static volatile uint8_t req_status;
static char id_buf[ID_BYTES] __attribute__((aligned(4)));

static uint16_t iobase;		/* the marker disk's BAR0, 0 = none */
static uint16_t qsize, avail_idx, used_seen;
static struct vq_desc *desc;
static volatile uint16_t *avail;	/* flags, idx, ring[qsize] */
static volatile uint16_t *used_idx;

static uint32_t pci_read(uint32_t dev, uint32_t off)
{
	outl(0xcf8, 0x80000000u | (dev << 11) | (off & 0xfc));
	return inl(0xcfc);
}

static void pci_write(uint32_t dev, uint32_t off, uint32_t v)
{
	outl(0xcf8, 0x80000000u | (dev << 11) | (off & 0xfc));
	outl(0xcfc, v);
}

static int vq_setup(uint16_t io)
{
	outb(io + VP_STATUS, 0);
	outb(io + VP_STATUS, ST_ACK);
	outb(io + VP_STATUS, ST_ACK | ST_DRIVER);
	(void)inl(io + VP_HOST_FEATURES);
	outl(io + VP_GUEST_FEATURES, 0);
	outw(io + VP_QUEUE_SEL, 0);
	uint16_t n = inw(io + VP_QUEUE_SIZE);
	uint32_t avail_off = 16u * n;
	uint32_t used_off = (avail_off + 6u + 2u * n + 4095u) & ~4095u;
	if (n < 3 || used_off + 6u + 8u * n > sizeof(qmem)) {
		outb(io + VP_STATUS, 0);
		return -1;
	}
	memset(qmem, 0, sizeof(qmem));
	qsize = n;
	avail_idx = used_seen = 0;
	desc = (struct vq_desc *)qmem;
	avail = (volatile uint16_t *)(qmem + avail_off);
	used_idx = (volatile uint16_t *)(qmem + used_off + 2);
	avail[0] = 1;		/* VRING_AVAIL_F_NO_INTERRUPT: we poll */
	outl(io + VP_QUEUE_PFN, (uint32_t)qmem >> 12);
	outb(io + VP_STATUS, ST_ACK | ST_DRIVER | ST_DRIVER_OK);
	iobase = io;
	return 0;
}

static void vq_reset(void)
{
	if (iobase)
		outb(iobase + VP_STATUS, 0);
	iobase = 0;
}

/* One request: header, data (len bytes at buf; device-writable when dev_writes), status. */
static int vq_request(uint32_t type, uint64_t sector, void *buf, uint32_t len, bool dev_writes)
{
	if (!iobase)
		return -1;
	req.type = type;
	req.ioprio = 0;
	req.sector = sector;
	req_status = 0xff;
	desc[0] = (struct vq_desc){ (uint32_t)&req, sizeof(req), DESC_F_NEXT, 1 };
	desc[1] = (struct vq_desc){ (uint32_t)buf, len, (uint16_t)(DESC_F_NEXT | (dev_writes ? DESC_F_WRITE : 0)), 2 };
	desc[2] = (struct vq_desc){ (uint32_t)&req_status, 1, DESC_F_WRITE, 0 };
	avail[2 + avail_idx % qsize] = 0;
	barrier();
	avail_idx++;
	avail[1] = avail_idx;
	barrier();
	outw(iobase + VP_QUEUE_NOTIFY, 0);
	uint32_t t0 = ticks;
	while (*used_idx == used_seen) {
		if (ticks - t0 > REQ_TIMEOUT_TICKS) {
			vq_reset();	/* a late completion must not confuse the next request */
			return -1;
		}
		cpu_relax();
	}
	barrier();
	used_seen++;
	return req_status == 0 ? 0 : -1;
}

int vblk_find(const char *marker, uint64_t *ret_sectors)
{
	size_t mlen = strlen(marker);
	if (mlen == 0 || mlen > ID_BYTES)
		return -1;
	for (uint32_t dev = 0; dev < 32; dev++) {
		uint32_t id = pci_read(dev, 0);
		if ((id & 0xffff) != VIRTIO_VENDOR || (id >> 16) != VIRTIO_BLK_LEGACY)
			continue;
		uint32_t bar = pci_read(dev, 0x10);
		if (!(bar & 1))
			continue;
		pci_write(dev, 0x04, pci_read(dev, 0x04) | 0x5);	/* I/O space, bus master */
		if (vq_setup((uint16_t)(bar & ~3u)) < 0)
			continue;
		memset(id_buf, 0, sizeof(id_buf));
		if (vq_request(T_GET_ID, 0, id_buf, ID_BYTES, true) == 0 &&
		    memcmp(id_buf, marker, mlen) == 0 && (mlen == ID_BYTES || id_buf[mlen] == 0)) {
			*ret_sectors = (uint64_t)inl(iobase + VP_CONFIG) |
				       ((uint64_t)inl(iobase + VP_CONFIG + 4) << 32);
			return 0;
		}
		vq_reset();
	}
	return -1;
}

int vblk_read(uint64_t sector, void *buf, uint32_t n)
{
	return vq_request(T_IN, sector, buf, n * SECTOR, true);
}

int vblk_write(uint64_t sector, const void *buf, uint32_t n)
{
	return vq_request(T_OUT, sector, (void *)buf, n * SECTOR, false);
}
