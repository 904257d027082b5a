/* secguest entry: Multiboot v1 header, flat GDT, stack, bss clear, interrupt stubs.
 *
 * QEMU's -kernel loader finds the header in the first 8 KiB of the ELF32 file, loads the
 * segments at their physical addresses (1 MiB up) and jumps to _start in 32-bit protected
 * mode with paging off, EAX = 0x2BADB002 and EBX = the Multiboot information. We load our
 * own GDT (the loader's is not to be relied on) and call guest_main(magic, info).
 *
 * Interrupt stubs: 48 stubs of 16 bytes each at isr_stubs (vectors 0..47: CPU exceptions
 * 0..31, PIC IRQs 32..47); each pushes its vector and calls isr_dispatch(vector) with all
 * general registers saved. Exceptions never return (the guest panics and halts), so the
 * error code some of them push does not matter.
 */
	.set MB_MAGIC, 0x1BADB002
	.set MB_FLAGS, 0x00000003	/* page-align modules, memory information */

	.section .multiboot, "a"
	.align 4
	.long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

	.section .text
	.code32
	.global _start
_start:
	cli
	cld
	mov $stack_top, %esp
	mov %eax, %esi
	mov %ebx, %ebp
	lgdt gdt_desc
	ljmp $0x08, $1f
1:	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %fs
	mov %ax, %gs
	mov %ax, %ss
	mov $__bss_start, %edi
	mov $__bss_end, %ecx
	sub %edi, %ecx
	xor %eax, %eax
	rep stosb
	push %ebp
	push %esi
	call guest_main
2:	cli
	hlt
	jmp 2b

	.align 16
	.global isr_stubs
isr_stubs:
	.set vec, 0
	.rept 48
	.align 16
	push $vec
	jmp isr_common
	.set vec, vec + 1
	.endr

isr_common:
	pusha
	cld
	push 32(%esp)
	call isr_dispatch
	add $4, %esp
	popa
	add $4, %esp
	iret

	.section .rodata
	.align 8
gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08: code, flat 4 GiB */
	.quad 0x00cf92000000ffff	/* 0x10: data, flat 4 GiB */
gdt_desc:
	.word gdt_desc - gdt - 1
	.long gdt

	.section .bss
	.align 16
	.space 16384
stack_top:

	.section .note.GNU-stack, "", @progbits
