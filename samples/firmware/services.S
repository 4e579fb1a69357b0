/*
 * services.S - vmlab's BIOS: memory sizing and the system services INT 11h
 * (equipment), INT 12h (conventional memory) and INT 15h (E820 memory map,
 * E801h/88h extended memory size, the A20 gate).
 *
 * Memory size comes from the CMOS (IBM PC/AT layout, the values QEMU and
 * vmlab's devices/cmos_rtc.c store): 0x34/0x35 = RAM above 16 MiB in
 * 64 KiB units, or when that is zero 0x30/0x31 = RAM above 1 MiB in KiB;
 * 0x5B-0x5D = RAM above 4 GiB in 64 KiB units.
 *
 * The E820 map (ACPI 6.x §15, "System Address Map Interfaces") follows the
 * same policy as vmlab's multiboot loader (hypervisor/multiboot.c), so a
 * kernel sees the same machine either way:
 *   0          - 0x9FC00    usable          conventional memory
 *   0x9FC00    - 0xA0000    reserved        the EBDA
 *   0xF0000    - 0x100000   reserved        this BIOS
 *   1 MiB      - top-128K   usable          extended memory
 *   top-128K   - top        reserved        firmware tables (MP, later ACPI)
 *   0xFFFF0000 - 4 GiB      reserved        this BIOS again (the reset copy)
 *   4 GiB      - ...        usable          RAM above the 32-bit hole
 * (the 128 KiB are reserved only when there is more than 256 KiB above 1 MiB).
 */
#include "samples/firmware/bios.h"

	.code16
	.text

/* AL = CMOS register AL (NMI stays enabled: bit 7 clear). */
	.globl cmos_read
cmos_read:
	andb $0x7F, %al
	outb %al, $CMOS_ADDR
	inb $CMOS_DATA, %al
	ret

/* POST: EBDA_RAM_TOP and EBDA_RAM_HIGH from the CMOS. */
	.globl mem_size_from_cmos
mem_size_from_cmos:
	pushw %fs
	movw $EBDA_SEG, %ax
	movw %ax, %fs
	movb $0x35, %al
	call cmos_read
	movb %al, %ah
	movb $0x34, %al
	call cmos_read    /* AX = 64 KiB units above 16 MiB */
	movzwl %ax, %eax
	testl %eax, %eax
	jz 1f
	shll $16, %eax
	addl $16 * 1024 * 1024, %eax
	jmp 2f
1:	movb $0x31, %al
	call cmos_read
	movb %al, %ah
	movb $0x30, %al
	call cmos_read    /* AX = KiB above 1 MiB */
	movzwl %ax, %eax
	shll $10, %eax
	addl $0x100000, %eax
2:	movl %eax, %fs:EBDA_RAM_TOP
	movb $0x5D, %al
	call cmos_read
	movzbl %al, %edx
	shll $16, %edx
	movb $0x5C, %al
	call cmos_read
	movb %al, %dh
	movb $0x5B, %al
	call cmos_read
	movb %al, %dl
	movl %edx, %fs:EBDA_RAM_HIGH
	popw %fs
	ret

/* EAX = the end of the usable RAM that starts at 1 MiB (below 4 GiB), i.e.
 * the top minus the firmware's 128 KiB when there is room for them (FS =
 * EBDA). */
usable_top:
	movl %fs:EBDA_RAM_TOP, %eax
	cmpl $0x100000 + 2 * FW_RESERVED, %eax
	jbe 1f
	subl $FW_RESERVED, %eax
1:	ret

/* Append the entry base EDX:EAX (EDX = high dword), length ECX:ESI
 * (ECX = high), type BX to the map (ES:DI = next slot; ES = EBDA). */
e820_add:
	movl %eax, %es:0(%di)
	movl %edx, %es:4(%di)
	movl %esi, %es:8(%di)
	movl %ecx, %es:12(%di)
	movzwl %bx, %ebx
	movl %ebx, %es:16(%di)
	addw $E820_ENTRY, %di
	incw %es:EBDA_E820_N
	ret

	.globl e820_build
e820_build:
	pushw %es
	pushw %fs
	movw $EBDA_SEG, %ax
	movw %ax, %es
	movw %ax, %fs
	movw $EBDA_E820, %di
	movw $0, %es:EBDA_E820_N
	xorl %edx, %edx
	xorl %ecx, %ecx
	movw $1, %bx
	xorl %eax, %eax                 /* conventional memory */
	movl $LOW_RAM_AVAIL, %esi
	call e820_add
	movw $2, %bx
	movl $LOW_RAM_AVAIL, %eax       /* the EBDA */
	movl $0xA0000 - LOW_RAM_AVAIL, %esi
	call e820_add
	movl $0xF0000, %eax             /* the BIOS */
	movl $0x10000, %esi
	call e820_add
	movl %fs:EBDA_RAM_TOP, %esi     /* extended memory */
	subl $0x100000, %esi
	jbe 2f
	call usable_top
	pushl %eax
	movl %eax, %esi
	subl $0x100000, %esi
	movl $0x100000, %eax
	movw $1, %bx
	call e820_add
	popl %eax                       /* the reserved top, if any */
	movl %fs:EBDA_RAM_TOP, %esi
	subl %eax, %esi
	jz 2f
	movw $2, %bx
	call e820_add
2:	movw $2, %bx                    /* the reset copy of the BIOS */
	movl $0xFFFF0000, %eax
	movl $0x10000, %esi
	call e820_add
	movl %fs:EBDA_RAM_HIGH, %esi    /* RAM above 4 GiB: 64 KiB units */
	testl %esi, %esi
	jz 3f
	movl %esi, %ecx
	shrl $16, %ecx
	shll $16, %esi
	xorl %eax, %eax
	movl $1, %edx
	movw $1, %bx
	call e820_add
3:	popw %fs
	popw %es
	ret

/* ---- INT 11h, INT 12h ------------------------------------------------------- */

	.globl int11_equipment, int12_memory
int11_equipment:
	pushw %ds
	movw $BDA_SEG, %ax
	movw %ax, %ds
	movw BDA_EQUIPMENT, %ax
	popw %ds
	iret

int12_memory:
	pushw %ds
	movw $BDA_SEG, %ax
	movw %ax, %ds
	movw BDA_MEM_KB, %ax
	popw %ds
	iret

/* ---- INT 15h ------------------------------------------------------------------ */

	.globl int15_system
int15_system:
	BIOS_ENTER
	sti
	cld
	movw $EBDA_SEG, %ax
	movw %ax, %fs
	movw F_EAX(%bp), %ax
	cmpw $0xE820, %ax
	je s_e820
	cmpw $0xE801, %ax
	je s_e801
	cmpw $0x2400, %ax
	je s_a20_off
	cmpw $0x2401, %ax
	je s_a20_on
	cmpw $0x2402, %ax
	je s_a20_status
	cmpw $0x2403, %ax
	je s_a20_support
	cmpb $0x88, %ah
	je s_88
s_unsupported:
	movb $0x86, F_AH(%bp) /* "function not supported" */
	jmp bios_iret_err

/* EAX = E820h, EDX = 'SMAP', EBX = continuation (0 first), ECX = buffer size
 * (>= 20), ES:DI = buffer.  Returns EAX = 'SMAP', ECX = 20, EBX = the next
 * continuation value (0 after the last entry). */
s_e820:
	cmpl $0x534D4150, F_EDX(%bp)
	jne s_unsupported
	cmpl $E820_ENTRY, F_ECX(%bp)
	jb s_unsupported
	movl F_EBX(%bp), %ebx
	movzwl %fs:EBDA_E820_N, %eax
	cmpl %eax, %ebx
	jae s_unsupported
	movw $E820_ENTRY, %ax
	mulw %bx
	addw $EBDA_E820, %ax
	movw %ax, %si
	movw F_ES(%bp), %es
	movw F_EDI(%bp), %di
	pushw %ds
	pushw %fs
	popw %ds
	movw $E820_ENTRY, %cx
	rep movsb
	popw %ds
	incl %ebx
	cmpw %fs:EBDA_E820_N, %bx
	jb 1f
	xorl %ebx, %ebx
1:	movl %ebx, F_EBX(%bp)
	movl $0x534D4150, F_EAX(%bp)
	movl $E820_ENTRY, F_ECX(%bp)
	jmp bios_iret_ok

/* E801h: AX = CX = KiB between 1 and 16 MiB (at most 15 MiB), BX = DX =
 * 64 KiB blocks above 16 MiB (below 4 GiB). */
s_e801:
	call usable_top
	subl $0x100000, %eax
	jae 1f
	xorl %eax, %eax
1:	movl %eax, %edx
	cmpl $15 * 1024 * 1024, %eax
	jbe 2f
	movl $15 * 1024 * 1024, %eax
2:	shrl $10, %eax
	movw %ax, F_EAX(%bp)
	movw %ax, F_ECX(%bp)
	subl $15 * 1024 * 1024, %edx
	jae 3f
	xorl %edx, %edx
3:	shrl $16, %edx
	movw %dx, F_EBX(%bp)
	movw %dx, F_EDX(%bp)
	jmp bios_iret_ok

/* AH=88h: AX = KiB above 1 MiB (saturating at FFFFh). */
s_88:
	call usable_top
	subl $0x100000, %eax
	jae 1f
	xorl %eax, %eax
1:	shrl $10, %eax
	cmpl $0xFFFF, %eax
	jbe 2f
	movw $0xFFFF, %ax
2:	movw %ax, F_EAX(%bp)
	jmp bios_iret_ok

/* The A20 gate through the "fast A20" bit (port 0x92 bit 1). */
s_a20_off:
	inb $PORT_A20, %al
	andb $0xFC, %al
	jmp 1f
s_a20_on:
	inb $PORT_A20, %al
	orb $0x02, %al
	andb $0xFE, %al
1:	outb %al, $PORT_A20
	movb $0, F_AH(%bp)
	jmp bios_iret_ok
s_a20_status:
	inb $PORT_A20, %al
	shrb $1, %al
	andb $1, %al
	movb %al, F_AL(%bp)
	movb $0, F_AH(%bp)
	jmp bios_iret_ok
s_a20_support:
	movw $0x0002, F_EBX(%bp) /* bit 1: port 0x92 */
	movb $0, F_AH(%bp)
	jmp bios_iret_ok
