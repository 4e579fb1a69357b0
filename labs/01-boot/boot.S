/*
 * boot.S - lab 01: from the multiboot loader's 32-bit protected mode to
 * 64-bit long mode.  YOU write the parts marked TODO.
 *
 * Follows the Intel SDM Vol. 3A 10.8.5 "Initializing IA-32e Mode" (the order
 * of the steps), 3.4.5 "Segment Descriptors" and 5.2.1 (the GDT entries),
 * 3.5.1 (the LGDT operand), 4.5 "4-Level Paging" (the page tables), 2.5
 * "Control Registers" and 2.2.1 "Extended Feature Enable Register".
 *
 * What the loader gives us (Multiboot 0.6.96 section 3.2): 32-bit protected
 * mode, paging off, interrupts off, EAX = 0x2BADB002, EBX = boot info, and a
 * GDT we must not rely on.  The labels lab01_gdt_done, lab01_tables_done and
 * lab01_paging_done are where the grader stops the machine to look at your
 * registers and memory (labs/01-boot/checks.txt): keep them.
 *
 * Printing from here: SAY "text\n" (samples/lib/say32.h) keeps every register.
 */
#include "samples/lib/boot.h"
#include "samples/lib/exit.h"
#include "samples/lib/say32.h"

	.section .text.boot32, "ax"
	.code32
	.globl _start
_start:
	cli
	cld
	movl %eax, %ebp         /* multiboot magic, kept for lab01_main */
	movl %ebx, %esi         /* boot information address */

	/* Clear .bss: page tables, stack and C globals start at zero. */
	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	shrl $2, %ecx
	xorl %eax, %eax
	rep stosl
	movl $boot_stack_top, %esp
	call serial32_init
	SAY "[lab01] hello from 32-bit protected mode\n"

	/*
	 * Step 1 - our own GDT.  LGDT loads GDTR from the 6-byte operand
	 * lab01_gdtr (below, also yours).  Loading GDTR changes no segment
	 * register: each keeps its hidden descriptor cache until reloaded, so
	 * reload DS, ES, FS, GS, SS with SEL_DATA and CS (a far jump) with
	 * SEL_CODE32.
	 */
	/* BEGIN SOLUTION: LGDT lab01_gdtr; load DS/ES/FS/GS/SS with SEL_DATA; far-jump (ljmp) to SEL_CODE32:lab01_gdt_done */
	lgdt lab01_gdtr
	movw $SEL_DATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %fs
	movw %ax, %gs
	movw %ax, %ss
	ljmp $SEL_CODE32, $lab01_gdt_done
	/* END SOLUTION */
	.globl lab01_gdt_done
lab01_gdt_done:
	SAY "[lab01] step 1: GDT loaded\n"

	/* Long mode exists? (CPUID.80000001H:EDX bit 29) */
	movl $0x80000001, %eax
	cpuid
	btl $CPUID_LM_BIT, %edx
	jnc no_long_mode

	/*
	 * Step 2 - page tables that identity-map 0 .. 1 GiB with 2 MiB pages:
	 * boot_pml4[0] -> boot_pdpt, boot_pdpt[0] -> boot_pd, and
	 * boot_pd[i] = i * 2 MiB | P | RW | PS for i = 0 .. 511.  Each entry is
	 * 8 bytes; the tables are zeroed .bss (samples/lib/boot_data.S).
	 */
	/* BEGIN SOLUTION: fill boot_pml4[0], boot_pdpt[0] and the 512 entries of boot_pd (PTE_P | PTE_RW, and PTE_PS in the PD) */
	movl $boot_pdpt + (PTE_P | PTE_RW), boot_pml4
	movl $boot_pd + (PTE_P | PTE_RW), boot_pdpt
	xorl %ecx, %ecx
1:	movl %ecx, %eax
	shll $21, %eax
	orl $(PTE_P | PTE_RW | PTE_PS), %eax
	movl %eax, boot_pd(, %ecx, 8)
	incl %ecx
	cmpl $512, %ecx
	jne 1b
	/* END SOLUTION */
	.globl lab01_tables_done
lab01_tables_done:
	SAY "[lab01] step 2: page tables built\n"

	/*
	 * Step 3 - turn it on, in the SDM's order: CR3 = the PML4's physical
	 * address; CR4.PAE = 1; EFER.LME = 1 (MSR_EFER with RDMSR/WRMSR: ECX =
	 * the MSR number, EDX:EAX the value); and only then CR0.PG = 1.  The
	 * CPU answers by setting EFER.LMA: IA-32e mode, still running this
	 * 32-bit code segment ("compatibility mode").
	 */
	/* BEGIN SOLUTION: CR3 = boot_pml4; CR4.PAE; EFER.LME (rdmsr/wrmsr); then CR0.PG (keep CR0.PE) */
	movl $boot_pml4, %eax
	movl %eax, %cr3
	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr
	movl %cr0, %eax
	orl $(CR0_PG | CR0_PE), %eax
	movl %eax, %cr0
	/* END SOLUTION */
	.globl lab01_paging_done
lab01_paging_done:
	SAY "[lab01] step 3: paging on, EFER.LMA = "
	movl $MSR_EFER, %ecx
	rdmsr
	SAYBIT %eax, 10
	SAY "\n"

	/*
	 * Step 4 - a far jump to a code segment whose descriptor has L = 1
	 * (your GDT entry 1, selector SEL_CODE64) switches to 64-bit mode.
	 */
	/* BEGIN SOLUTION: ljmp to SEL_CODE64:lab01_start64 */
	ljmp $SEL_CODE64, $lab01_start64
	/* END SOLUTION */
	SAY "[lab01] still running 32-bit code after step 4: no far jump to a 64-bit segment\n"
	movb $EXIT_FAIL, %al
	outb %al, $DEBUG_EXIT_PORT
2:	hlt
	jmp 2b

no_long_mode:
	SAY "[lab01] this CPU has no long mode\n"
	movb $EXIT_NO_FEATURE, %al
	outb %al, $DEBUG_EXIT_PORT
3:	hlt
	jmp 3b

	.code64
lab01_start64:
	movl $boot_stack_top, %esp
	movl %ebp, %edi         /* arg 1: multiboot magic */
				/* arg 2 (ESI): boot information */
	call lab01_main
	movl %eax, %edi
	call guest_exit

/*
 * The GDT (SDM Vol. 3A Figure 3-8).  In 64-bit mode base and limit of code
 * and data segments are ignored; what counts is P, S, the type, DPL and,
 * for code, L = 1 with D = 0 (SDM 5.2.1).
 */
	.section .rodata.lab01, "a"
	.balign 16
	.globl lab01_gdt, lab01_gdtr
lab01_gdt:
	.quad 0                     /* 0x00: the null descriptor */
	/* BEGIN SOLUTION: 0x08: a 64-bit code descriptor: P = 1, S = 1, type 0xA (execute/read), DPL 0, L = 1, D = 0, G = 1, limit 0xFFFFF */
	.quad 0x00AF9A000000FFFF
	/* HANDOUT: .quad 0 */
	/* END SOLUTION */
	.quad 0x00CF92000000FFFF    /* 0x10: data, read/write, 4 GiB */
	.quad 0x00CF9A000000FFFF    /* 0x18: 32-bit code (D = 1), 4 GiB */
lab01_gdt_end:

	.balign 8
	.word 0                     /* so that the base below is 4-aligned */
lab01_gdtr:
	/* BEGIN SOLUTION: the LGDT operand: .word LIMIT (the GDT's size in bytes minus 1), then .long BASE */
	.word lab01_gdt_end - lab01_gdt - 1
	.long lab01_gdt
	/* HANDOUT: .word 0 */
	/* HANDOUT: .long 0 */
	/* END SOLUTION */
