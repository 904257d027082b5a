/* secguest main: command line, interrupts and the PIT, boot id, marker disk, report loop.
 *
 * Order at boot: console, command line (copied before anything else touches memory), IDT,
 * PIC (only IRQ 0 unmasked), PIT at TICK_HZ, boot id, working set and fixed region, marker
 * disk and ring, READY. Then the loop: hlt until the next tick, dirty the working set for
 * each tick, and every report_ms check memory, append the ring record, print the line.
 */
#include "guest.h"

#define MB_BOOT_MAGIC 0x2badb002u
#define MB_INFO_MEM (1u << 0)
#define MB_INFO_CMDLINE (1u << 2)
#define MB_INFO_MMAP (1u << 6)
#define CMDLINE_MAX 512
#define MARKER_MAX 20

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
	uint32_t mods_count, mods_addr, syms[4], mmap_length, mmap_addr;
};
struct mb_mmap { uint32_t size; uint64_t base, len; uint32_t type; } __attribute__((packed));

struct idt_entry { uint16_t off_lo, sel; uint8_t zero, type; uint16_t off_hi; } __attribute__((packed));
struct idt_ptr { uint16_t limit; uint32_t base; } __attribute__((packed));

extern const uint8_t isr_stubs[];
void isr_dispatch(uint32_t vec);
void guest_main(uint32_t magic, const struct mb_info *mbi);

volatile uint32_t ticks;
static struct idt_entry idt[48];
static char cmdline[CMDLINE_MAX];

static struct {
	char marker[MARKER_MAX + 1];
	uint32_t dirty_kib, report_ms, ws_kib;
	uint32_t test_corrupt;	/* test hook: before report k of this boot, break memory */
} cfg = { "A001", 256, 500, 1024, 0 };

void isr_dispatch(uint32_t vec)
{
	if (vec < 32) {
		con_puts("GUEST PANIC exception=");
		con_putu(vec);
		con_puts("\n");
		for (;;)
			__asm__ volatile("cli; hlt");
	}
	if (vec == 32)
		ticks++;
	if (vec >= 40)
		outb(0xa0, 0x20);
	outb(0x20, 0x20);
}

static void idt_init(void)
{
	for (uint32_t i = 0; i < 48; i++) {
		uint32_t a = (uint32_t)(isr_stubs + 16 * i);
		idt[i] = (struct idt_entry){ (uint16_t)a, 0x08, 0, 0x8e, (uint16_t)(a >> 16) };
	}
	struct idt_ptr p = { sizeof(idt) - 1, (uint32_t)idt };
	__asm__ volatile("lidt %0" : : "m"(p));
}

static void pic_init(void)
{
	outb(0x20, 0x11); outb(0xa0, 0x11);	/* ICW1: init, ICW4 follows */
	outb(0x21, 0x20); outb(0xa1, 0x28);	/* vectors 32..47 */
	outb(0x21, 0x04); outb(0xa1, 0x02);	/* cascade on IRQ 2 */
	outb(0x21, 0x01); outb(0xa1, 0x01);	/* 8086 mode */
	outb(0x21, 0xfe); outb(0xa1, 0xff);	/* only IRQ 0 (PIT) */
}

static uint16_t pit_read(void)
{
	outb(0x43, 0x00);			/* latch channel 0 */
	uint8_t lo = inb(0x40);
	return (uint16_t)(lo | inb(0x40) << 8);
}

static void pit_init(void)
{
	uint32_t div = 1193182u / TICK_HZ;
	outb(0x43, 0x34);			/* channel 0, lo/hi, rate generator */
	outb(0x40, (uint8_t)div);
	outb(0x40, (uint8_t)(div >> 8));
}

static uint8_t cmos(uint8_t reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

/* RDTSC, the CMOS clock and the PIT counter, mixed: differs between boots and guests.
 * Under TCG the TSC follows the host's clock, so the TSC read after each emulated port
 * access adds host timing jitter to the RTC's seconds. */
static uint64_t boot_id_make(void)
{
	uint64_t x = rdtsc();
	uint32_t rtc = 0;
	static const uint8_t regs[] = { 0x00, 0x02, 0x04, 0x07, 0x08, 0x09 };
	for (size_t i = 0; i < sizeof(regs); i++)
		rtc = rtc << 5 ^ cmos(regs[i]);
	x = mix64(x ^ ((uint64_t)rtc << 32));
	for (int i = 0; i < 32; i++)
		x = mix64(x ^ rdtsc() ^ ((uint64_t)pit_read() << 48));
	return x ? x : 1;
}

/* parses a decimal in [min, max]; -1 when it is not one */
static int64_t parse_u32(const char *s, size_t n, uint32_t min, uint32_t max)
{
	uint64_t v = 0;
	if (n == 0 || n > 10)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	return v < min || v > max ? -1 : (int64_t)v;
}

static void warn_bad(const char *w, size_t n)
{
	con_puts("GUEST WARN bad value '");
	for (size_t i = 0; i < n; i++) {
		char c[2] = { w[i], 0 };
		con_puts(c);
	}
	con_puts("'\n");
}

static void cmdline_parse(const char *s)
{
	while (*s) {
		while (*s == ' ')
			s++;
		const char *w = s;
		while (*s && *s != ' ')
			s++;
		size_t n = (size_t)(s - w), k = 0;
		while (k < n && w[k] != '=')
			k++;
		if (k == n)
			continue;			/* not key=value (the kernel path QEMU puts first) */
		const char *v = w + k + 1;
		size_t vn = n - k - 1;
		uint32_t *num = NULL, min = 0, max = 0;
		if (k == 6 && memcmp(w, "marker", 6) == 0) {
			if (vn == 0 || vn > MARKER_MAX) {
				warn_bad(w, n);
				continue;
			}
			memcpy(cfg.marker, v, vn);
			cfg.marker[vn] = 0;
			continue;
		} else if (k == 9 && memcmp(w, "dirty_kib", 9) == 0) {
			num = &cfg.dirty_kib, min = 0, max = 65536;
		} else if (k == 9 && memcmp(w, "report_ms", 9) == 0) {
			num = &cfg.report_ms, min = 10, max = 60000;
		} else if (k == 6 && memcmp(w, "ws_kib", 6) == 0) {
			num = &cfg.ws_kib, min = 64, max = 32768;
		} else if (k == 12 && memcmp(w, "test_corrupt", 12) == 0) {
			num = &cfg.test_corrupt, min = 1, max = 0xffffffffu;
		} else {
			continue;			/* a key for someone else */
		}
		int64_t x = parse_u32(v, vn, min, max);
		if (x < 0)
			warn_bad(w, n);
		else
			*num = (uint32_t)x;
	}
}

static void report(uint64_t boot_id, uint32_t n, bool disk)
{
	struct mem_check mc;
	mem_check(&mc);
	bool ok = mc.ws_bad == 0 && mc.fixed_bad == 0;
	enum ring_state rs = disk ? ring_append(boot_id, n, ok) : RING_OK;
	con_puts("GUEST n=");
	con_putu(n);
	if (ok && rs == RING_OK) {
		con_puts(" check=ok\n");
		return;
	}
	con_puts(" check=BAD ws=");
	con_putu(mc.ws_bad);
	con_puts(" fixed=");
	con_putu(mc.fixed_bad);
	con_puts(rs == RING_OK ? " ring=ok\n" : rs == RING_FOREIGN ? " ring=foreign\n" : " ring=ioerr\n");
}

/* RAM in MiB: the available regions of the memory map, rounded up (the BIOS keeps a few
 * hundred KiB below 1 MiB and at the top), else mem_upper (which stops at the PCI hole
 * below 4 GiB); 0 when the loader said nothing. */
static uint32_t mem_mib_get(const struct mb_info *mbi)
{
	if (mbi->flags & MB_INFO_MMAP) {
		uint64_t total = 0;
		for (uint32_t off = 0; off + sizeof(struct mb_mmap) <= mbi->mmap_length;) {
			const struct mb_mmap *e = (const struct mb_mmap *)(mbi->mmap_addr + off);
			if (e->type == 1)
				total += e->len;
			off += e->size + 4;
		}
		if (total)
			return (uint32_t)((total + (1u << 20) - 1) >> 20);
	}
	if (mbi->flags & MB_INFO_MEM)
		return (mbi->mem_upper + 1024u + 512u) / 1024u;
	return 0;
}

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
	con_init();
	uint32_t mem_mib = 0;
	if (magic != MB_BOOT_MAGIC) {
		con_puts("GUEST WARN not booted by a Multiboot loader\n");
	} else {
		mem_mib = mem_mib_get(mbi);
		if (mbi->flags & MB_INFO_CMDLINE) {
			const char *c = (const char *)mbi->cmdline;
			size_t i = 0;
			for (; c[i] && i < CMDLINE_MAX - 1; i++)
				cmdline[i] = c[i];
			cmdline[i] = 0;
		}
	}
	cmdline_parse(cmdline);
	crc32c_init();
	idt_init();
	pic_init();
	uint64_t boot_id = boot_id_make();
	pit_init();
	__asm__ volatile("sti");

	uint32_t ws_max = mem_mib > 8 ? (mem_mib - 8) * 1024u : 0;
	if (cfg.ws_kib > ws_max) {
		con_puts("GUEST WARN ws_kib reduced to ");
		con_putu(ws_max);
		con_puts("\n");
		cfg.ws_kib = ws_max;
	}
	mem_init(boot_id, cfg.ws_kib);

	bool disk = false;
	uint32_t n = 1;
	uint64_t sectors = 0;
	if (memcmp(cfg.marker, "none", 5) != 0 && vblk_find(cfg.marker, &sectors) == 0) {
		if (sectors < RING_FIRST + RING_LEN) {
			con_puts("GUEST WARN marker disk too small\n");
		} else if ((n = ring_open(boot_id)) == 0) {
			con_puts("GUEST WARN marker disk i/o error\n");
			n = 1;
		} else {
			disk = true;
		}
	}
	con_puts("GUEST READY boot=");
	con_puthex64(boot_id);
	con_puts(" mem=");
	con_putu(mem_mib);
	con_puts(" marker=");
	con_puts(disk ? cfg.marker : "none");
	con_puts("\n");

	uint32_t every = cfg.report_ms * TICK_HZ / 1000u;
	if (every == 0)
		every = 1;
	uint32_t done = ticks, since = 0, nrep = 0;
	for (;;) {
		__asm__ volatile("cli");
		if (done == ticks)
			__asm__ volatile("sti; hlt" : : : "memory");
		else
			__asm__ volatile("sti");
		while (done != ticks) {
			done++;
			mem_dirty_tick(cfg.dirty_kib);
			if (++since >= every) {
				since = 0;
				if (++nrep == cfg.test_corrupt)
					mem_corrupt();
				report(boot_id, n++, disk);
			}
		}
	}
}
