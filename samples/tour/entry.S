/*
 * entry.S - samples/tour, part 1: the narrated road from 32-bit protected
 * mode to 64-bit long mode.
 *
 * Follows the Intel SDM Vol. 3A 10.8.5 "Initializing IA-32e Mode", with
 * 2.5 (control registers), 3.4.5 (segment descriptors), 4.5 (4-level
 * paging) and the Multiboot Specification 0.6.96 section 3.2 (the state a
 * multiboot loader leaves us in).  lib/start32.S does the same steps
 * without a word; here each step says what it does on COM1 as it does it.
 * This part is assembly because the C code of the image is 64-bit and we
 * are not there yet.
 *
 * Lines whose text starts with "~" show values that differ between
 * correct machines (the raw CR0 the loader left, CPUID strings ...);
 * tests/guest/compare.sh masks them.  Everything else is deterministic.
 */
#include "samples/lib/boot.h"
#include "samples/lib/exit.h"
#include "samples/lib/multiboot.h"
#include "samples/lib/say32.h"

/* What the loader handed over, for the 64-bit C code (tour_main). */
	.data
	.balign 4
	.globl tour_mb_magic, tour_mb_info
tour_mb_magic:	.long 0
tour_mb_info:	.long 0

	.section .text.boot32, "ax"
	.code32
	.globl _start
_start:
	/* Registers first: almost everything below overwrites them. */
	movl %eax, tour_mb_magic
	movl %ebx, tour_mb_info
	cli
	cld

	/* Clear .bss (page tables, stack, C globals), then take our stack. */
	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	shrl $2, %ecx
	xorl %eax, %eax
	rep stosl
	movl $boot_stack_top, %esp

	call serial32_init
	SAY "\n[tour] Hello from 32-bit protected mode (the multiboot loader put us here).\n"
	SAY "[tour] I am a multiboot v1 kernel: an ELF image the loader copied to "
	SAYHEX $__image_start
	SAY "\n[tour] (1 MiB) before jumping to my entry point _start = "
	SAYHEX $_start
	SAY ".\n"

	/* -- 1. Who started us? ------------------------------------------ */
	movl tour_mb_magic, %eax
	cmpl $MB_BOOTLOADER_MAGIC, %eax
	je 1f
	SAY "[tour] EAX = "
	SAYHEX %eax
	SAY ", but a multiboot loader puts 0x2badb002 there. Giving up.\n"
	movb $EXIT_BAD_MAGIC, %al
	outb %al, $DEBUG_EXIT_PORT
	jmp halt32
1:	SAY "[tour] EAX = 0x2badb002, the multiboot magic; EBX points at the boot information.\n"

	/* -- 2. CR0 as the loader left it -------------------------------- */
	movl %cr0, %ebx
	SAY "[tour] ~ CR0 as the loader left it: "
	SAYHEX %ebx
	SAY "\n[tour] CR0.PE (bit 0) = "
	SAYBIT %ebx, 0
	SAY ": protected mode, segments come from descriptor tables.\n"
	SAY "[tour] CR0.PG (bit 31) = "
	SAYBIT %ebx, 31
	SAY ": paging is off, so every address we use is a physical address.\n"
	pushfl
	popl %ebx
	SAY "[tour] EFLAGS.IF (bit 9) = "
	SAYBIT %ebx, 9
	SAY ": interrupts are masked; we will not enable them.\n"

	/* -- 3. Our own GDT ---------------------------------------------- */
	SAY "[tour] The loader's GDT may be gone already (multiboot spec 3.2), so LGDT loads ours:\n"
	SAY "[tour]   GDTR.base = "
	SAYHEX $boot_gdt
	SAY ", GDTR.limit = "
	movzwl boot_gdtr, %eax  /* the limit: the first 16 bits of the LGDT operand */
	SAYHEX %eax
	SAY " (4 descriptors of 8 bytes, minus 1)\n"
	SAY "[tour]   0x00 "
	SAYQ boot_gdt
	SAY " null: selector 0 means 'no segment'\n"
	SAY "[tour]   0x08 "
	SAYQ boot_gdt+8
	SAY " code, DPL 0, L=1: 64-bit code\n"
	SAY "[tour]   0x10 "
	SAYQ boot_gdt+16
	SAY " data, DPL 0, writable, base 0, limit 4 GiB\n"
	SAY "[tour]   0x18 "
	SAYQ boot_gdt+24
	SAY " code, DPL 0, D=1: 32-bit code, base 0, limit 4 GiB\n"
	lgdt boot_gdtr
	movw $SEL_DATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %fs
	movw %ax, %gs
	movw %ax, %ss
	ljmp $SEL_CODE32, $2f
2:	SAY "[tour] Loaded DS, ES, FS, GS, SS with 0x10 and CS with 0x18 (a far jump: MOV cannot load CS).\n"

	/* -- 4. Can this CPU do long mode? ------------------------------- */
	movl $0x80000000, %eax
	cpuid
	cmpl $0x80000001, %eax
	jb no_lm
	movl $0x80000001, %eax
	cpuid
	btl $CPUID_LM_BIT, %edx
	jnc no_lm
	SAY "[tour] CPUID.80000001H:EDX.LM (bit 29) = 1: this CPU can run 64-bit code.\n"

	/* -- 5. Page tables ---------------------------------------------- */
	SAY "[tour] Long mode requires paging. Building 4-level tables that identity-map\n"
	SAY "[tour] the first 1 GiB (linear address = physical address) with 2 MiB pages:\n"
	movl $boot_pdpt + (PTE_P | PTE_RW), boot_pml4
	movl $boot_pd + (PTE_P | PTE_RW), boot_pdpt
	xorl %ecx, %ecx
3:	movl %ecx, %eax
	shll $21, %eax          /* i * 2 MiB */
	orl $(PTE_P | PTE_RW | PTE_PS), %eax
	movl %eax, boot_pd(, %ecx, 8)
	incl %ecx
	cmpl $512, %ecx
	jne 3b
	SAY "[tour]   PML4 at "
	SAYHEX $boot_pml4
	SAY ": PML4[0] = "
	SAYHEX boot_pml4
	SAY " -> PDPT (P, RW)\n[tour]   PDPT at "
	SAYHEX $boot_pdpt
	SAY ": PDPT[0] = "
	SAYHEX boot_pdpt
	SAY " -> PD   (P, RW)\n[tour]   PD   at "
	SAYHEX $boot_pd
	SAY ": PD[0]   = "
	SAYHEX boot_pd
	SAY " -> 2 MiB page at 0 (P, RW, PS)\n"
	SAY "[tour]                       PD[1]   = "
	SAYHEX boot_pd+8
	SAY " -> 2 MiB page at 0x00200000\n"
	SAY "[tour]                       PD[511] = "
	SAYHEX boot_pd+511*8
	SAY " -> 2 MiB page at 0x3fe00000\n"
	SAY "[tour]   Each entry is 8 bytes; the upper halves (bits 63:32) are all 0 here.\n"

	/* -- 6. CR3, CR4.PAE, EFER.LME, CR0.PG: the order of SDM 10.8.5 --- */
	movl $boot_pml4, %eax
	movl %eax, %cr3
	movl %cr3, %eax
	SAY "[tour] MOV CR3: CR3 = "
	SAYHEX %eax
	SAY ", the physical address of the PML4.\n"

	movl $CR4_PAE, %eax
	movl %eax, %cr4
	movl %cr4, %eax
	SAY "[tour] MOV CR4: CR4 = "
	SAYHEX %eax
	SAY " - PAE (bit 5) on: page-table entries are 64 bits wide.\n"

	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr
	rdmsr
	SAY "[tour] WRMSR 0xc0000080: EFER = "
	SAYHEX %eax
	SAY " - LME (bit 8) on: long mode enabled, not yet active.\n"

	SAY "[tour] MOV CR0: setting PG (and PE MP ET NE WP) - paging on, and because EFER.LME = 1,\n"
	SAY "[tour] the CPU enters IA-32e mode.\n"
	movl $(CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG), %eax
	movl %eax, %cr0
	/* From here every address is translated through the page tables; the
	 * identity map makes that invisible.  We still run this 32-bit code
	 * segment: that is compatibility mode. */
	movl %cr0, %ebx
	movl $MSR_EFER, %ecx
	rdmsr
	SAY "[tour] CR0 = "
	SAYHEX %ebx
	SAY ", EFER = "
	SAYHEX %eax
	SAY " - LMA (bit 10) set by the CPU: long mode is active,\n"
	SAY "[tour] but CS still holds a 32-bit segment: we are in compatibility mode.\n"
	SAY "[tour] Far jump to selector 0x08 (L = 1) at "
	SAYHEX $start64
	SAY " ...\n"
	ljmp $SEL_CODE64, $start64

no_lm:
	SAY "[tour] CPUID says: no long mode on this CPU. Giving up (exit 0x13).\n"
	movb $EXIT_NO_FEATURE, %al
	outb %al, $DEBUG_EXIT_PORT
halt32:
	hlt
	jmp halt32

	.code64
start64:
	movl $boot_stack_top, %esp /* writing ESP zero-extends into RSP */
	call tour_main             /* tour/main.c; returns the exit value */
	movl %eax, %edi
	call guest_exit
