/*
 * start32.S - the quiet boot path of a sample kernel: from the multiboot
 * loader's 32-bit protected mode to 64-bit long mode, then into C.
 *
 * Follows the Intel SDM Vol. 3A 10.8.5 "Initializing IA-32e Mode" (the
 * order of steps below), the Multiboot Specification 0.6.96 section 3.2
 * (the machine state we are given) and the System V AMD64 ABI (how we call
 * C: arguments in RDI, RSI; RSP 16-byte aligned at the call).
 *
 * The object file is ELF64 but this part is assembled with .code32: the
 * CPU executes it in 32-bit mode.  samples/tour/entry.S does the same steps
 * and explains each one on the serial port.
 *
 * C side:  int sample_main(uint32_t magic, uint32_t mbi_phys);
 * its return value is written to the debug-exit port (lib/exit.h).
 */
#include "samples/lib/boot.h"
#include "samples/lib/exit.h"

	.section .text.boot32, "ax"
	.code32
	.globl _start
_start:
	cli                     /* the loader left IF = 0; be sure */
	cld                     /* C expects DF = 0 */
	movl %eax, %ebp         /* EAX = multiboot magic: keep it in EBP */
	movl %ebx, %esi         /* EBX = multiboot info address: keep it in
	                           ESI (CPUID below overwrites EBX) */

	/* Zero .bss (page tables, stack, C globals).  The ELF loader should
	 * have done it, but not every loader does; REP STOSL is cheap. */
	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	shrl $2, %ecx
	xorl %eax, %eax
	rep stosl
	movl $boot_stack_top, %esp

	/* Our own GDT: the loader's GDTR may point anywhere (spec 3.2). */
	lgdt boot_gdtr
	movw $SEL_DATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %fs
	movw %ax, %gs
	movw %ax, %ss
	ljmp $SEL_CODE32, $1f   /* reload CS from our GDT */
1:
	/* Long mode needs CPUID.80000001H:EDX.LM; give up cleanly without. */
	movl $0x80000000, %eax
	cpuid
	cmpl $0x80000001, %eax
	jb no_long_mode
	movl $0x80000001, %eax
	cpuid
	btl $CPUID_LM_BIT, %edx
	jnc no_long_mode

	/* Identity map 0 .. 1 GiB: PML4[0] -> PDPT, PDPT[0] -> PD,
	 * PD[i] -> 2 MiB page at i * 2 MiB.  High halves stay 0 (.bss). */
	movl $boot_pdpt + (PTE_P | PTE_RW), boot_pml4
	movl $boot_pd + (PTE_P | PTE_RW), boot_pdpt
	xorl %ecx, %ecx
2:	movl %ecx, %eax
	shll $21, %eax
	orl $(PTE_P | PTE_RW | PTE_PS), %eax
	movl %eax, boot_pd(, %ecx, 8)
	incl %ecx
	cmpl $512, %ecx
	jne 2b

	movl $boot_pml4, %eax   /* CR3: physical address of the PML4 */
	movl %eax, %cr3
	movl $CR4_PAE, %eax     /* CR4.PAE = 1: 64-bit page-table entries */
	movl %eax, %cr4
	movl $MSR_EFER, %ecx    /* EFER.LME = 1: ask for long mode */
	rdmsr
	orl $EFER_LME, %eax
	wrmsr
	/* CR0.PG = 1 with EFER.LME = 1: the CPU sets EFER.LMA, we are in
	 * compatibility mode (still running this 32-bit code segment). */
	movl $(CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG), %eax
	movl %eax, %cr0
	/* A far jump to a code segment with L = 1 enters 64-bit mode. */
	ljmp $SEL_CODE64, $start64

no_long_mode:
	movb $EXIT_NO_FEATURE, %al
	outb %al, $DEBUG_EXIT_PORT
3:	hlt
	jmp 3b

	.code64
start64:
	movl $boot_stack_top, %esp /* writing ESP zero-extends into RSP */
	movl %ebp, %edi         /* arg 1: multiboot magic */
	                        /* arg 2 (ESI): multiboot info address */
	call sample_main
	movl %eax, %edi         /* the return value is the exit value */
	call guest_exit         /* does not return */
