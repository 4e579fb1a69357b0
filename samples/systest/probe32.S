/*
 * probe32.S - samples/systest: the 32-bit kernel's entry, exception stubs,
 * probe runner and the probes themselves (systest32).  Every faulting
 * instruction has a label NAME_at and the one after it NAME_next.
 *
 * A probe runs through run_probe (CPL 0, a near call) or run_user (IRET to
 * any CS/SS, SDM Vol 2 IRET "RETURN-TO-OUTER-PRIVILEGE-LEVEL").  It ends by
 * returning (result 0) or in an exception: trap32() (setup32.c) records the
 * 32-bit frame (SDM Vol 3 §6.12.1) and rewrites it so the stub's IRET lands
 * on probe_recover, which returns 1 on the kernel stack saved at the start.
 * Multiboot 0.6.96 §3.2: we are entered in 32-bit protected mode, paging
 * off, EAX = magic.
 */
#include "samples/lib/exit.h"
#include "samples/systest/sysdefs32.h"

	.section .multiboot, "a"
	.balign 4
	.long 0x1BADB002, 0, -0x1BADB002

	.section .text.boot32, "ax"
	.code32
	.globl _start
_start:
	cli
	cld
	movl %eax, %ebp
	movl $__bss_start, %edi /* zero .bss: not every loader does */
	movl $__bss_end, %ecx
	subl %edi, %ecx
	shrl $2, %ecx
	xorl %eax, %eax
	rep stosl
	movl $boot_stack_top, %esp
	pushl %ebp
	call main32
	pushl %eax
	call guest_exit

	.text
/* ---- exception stubs: push a 0 error code where the CPU pushes none
 * (SDM Vol 3 Table 6-1), then the vector ------------------------------- */
.macro STUB v
	.balign 16
stub_\v:
	.if (\v == 8 || (\v >= 10 && \v <= 14) || \v == 17 || \v == 21)
	.else
	pushl $0
	.endif
	pushl $\v
	jmp trap_common
.endm
	.balign 16
stubs_start:
	.altmacro
.macro STUBS from, to
	STUB %from
	.if \to-\from
	STUBS %(from+1), \to
	.endif
.endm
	STUBS 0, 0x41

trap_common:
	pushal
	pushl %ds
	pushl %es
	movl $K_DS, %eax
	movl %eax, %ds
	movl %eax, %es
	pushl %esp
	call trap32
	addl $4, %esp
	popl %es
	popl %ds
	popal
	addl $8, %esp
	iretl

	.section .rodata
	.balign 4
	.globl trap_stubs32
trap_stubs32:
.macro STUBADDR from, to
	.long stub_\from
	.if \to-\from
	STUBADDR %(from+1), \to
	.endif
.endm
	STUBADDR 0, 0x41
	.noaltmacro

	.text
/* int run_probe(void (*fn)(void)) */
	.globl run_probe
run_probe:
	pushl %ebx
	pushl %esi
	pushl %edi
	pushl %ebp
	movl %esp, probe_esp
	movb $1, probing
	call *20(%esp)
	movb $0, probing
	xorl %eax, %eax
	jmp probe_done

/* int run_user(eip, esp, eflags, cs, ss): IRET to that frame with DS = ES
 * = SS (an outer-level IRET would null data segments more privileged than
 * the new CPL). */
	.globl run_user
run_user:
	pushl %ebx
	pushl %esi
	pushl %edi
	pushl %ebp
	movl %esp, probe_esp
	movb $1, probing
	movl 36(%esp), %eax     /* SS */
	pushl %eax
	pushl 28(%esp)          /* ESP (each push moves the arguments by 4) */
	pushl 36(%esp)          /* EFLAGS */
	pushl 44(%esp)          /* CS */
	pushl 36(%esp)          /* EIP */
	movl %eax, %ds
	movl %eax, %es
	xorl %ebx, %ebx
	xorl %esi, %esi
	iretl

/* int run_v86(eflags): IRET with EFLAGS.VM = 1 (SDM Vol 2 IRET
 * "RETURN-TO-VIRTUAL-8086-MODE"): the frame also holds ES, DS, FS, GS.
 * CS = SS = DS = 0x700, IP = 0, SP = 0xff0. */
	.globl run_v86
run_v86:
	pushl %ebx
	pushl %esi
	pushl %edi
	pushl %ebp
	movl %esp, probe_esp
	movb $1, probing
	movl 20(%esp), %eax     /* EFLAGS */
	pushl $0                /* GS */
	pushl $0                /* FS */
	pushl $0x700            /* DS */
	pushl $0                /* ES */
	pushl $0x700            /* SS */
	pushl $0xff0            /* ESP */
	orl $0x20000, %eax
	pushl %eax              /* EFLAGS with VM */
	pushl $0x700            /* CS */
	pushl $0                /* EIP */
	iretl

	.globl probe_recover
probe_recover:
	movl $K_DS, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl probe_esp, %esp
	movl $1, %eax
probe_done:
	popl %ebp
	popl %edi
	popl %esi
	popl %ebx
	ret

/* ---- kernel entry points for the call gate and SYSENTER ---------------- */

/* Through CG3_SEL from CPL 3: the CPU switched to SS0:ESP0 and copied two
 * parameter dwords (SDM Vol 3 §5.8.5, Figure 5-13).  Record and go back
 * with RET 8 (far, to the outer level: pops the parameters off both
 * stacks, §5.8.6).  ES is loaded with a DPL 0 selector: the return to CPL
 * 3 must null it. */
	.globl cg_target
cg_target:
	movl %esp, cg_esp
	movl 0(%esp), %eax
	movl %eax, cg_frame
	movl 4(%esp), %eax
	movl %eax, cg_frame+4
	movl 8(%esp), %eax
	movl %eax, cg_frame+8
	movl 12(%esp), %eax
	movl %eax, cg_frame+12
	movl 16(%esp), %eax
	movl %eax, cg_frame+16
	movl 20(%esp), %eax
	movl %eax, cg_frame+20
	movl %cs, %eax
	movl %eax, cg_cs
	movl %ss, %eax
	movl %eax, cg_ss
	movl $K_DS, %eax
	movl %eax, %es
	lret $8

/* SYSENTER: CS = SYSENTER_CS, SS = +8, ESP and EIP from the MSRs, IF and
 * VM cleared (SDM Vol 2 SYSENTER).  SYSEXIT returns to EDX with ESP = ECX. */
	.globl sysenter_entry
sysenter_entry:
	movl %esp, se_esp
	pushfl
	popl se_eflags
	movl %cs, %eax
	movl %eax, se_cs
	movl %ss, %eax
	movl %eax, se_ss
	sysexit

	.data
	.balign 4
	.globl probe_esp, probing, cg_esp, cg_frame, cg_cs, cg_ss, se_esp, se_eflags, se_cs, se_ss
	.globl probe_val
probe_esp:	.long 0
cg_esp:		.long 0
cg_frame:	.long 0, 0, 0, 0, 0, 0
cg_cs:		.long 0
cg_ss:		.long 0
se_esp:		.long 0
se_eflags:	.long 0
se_cs:		.long 0
se_ss:		.long 0
probe_val:	.long 0
bounds:		.long 0, 10
bounds16:	.word -2, 3
scratch:	.long 0
probing:	.byte 0

	.bss
	.balign 16
	.space 16384
boot_stack_top:

	.text
.macro PROBE name
	.globl \name, \name\()_at, \name\()_next
	.balign 16
\name:
.endm
/* A probe whose body is one instruction. */
.macro ONE name, insn:vararg
PROBE \name
\name\()_at:
	\insn
\name\()_next:
	ret
.endm
/* Load a selector into a segment register, as a one-instruction probe
 * (the register is restored if the load succeeds). */
.macro LOADSEG name, sel, sreg
PROBE \name
	movl $\sel, %eax
\name\()_at:
	movl %eax, %\sreg
\name\()_next:
	movl $K_DS, %eax
	movl %eax, %\sreg
	ret
.endm

/* ---- CPL 0: exceptions ------------------------------------------------- */
PROBE p_div0
	xorl %ecx, %ecx
	movl $1, %eax
	xorl %edx, %edx
p_div0_at:
	divl %ecx               /* #DE, a fault */
p_div0_next:
	ret

ONE p_ud2, ud2
ONE p_int3, int3                /* #BP is a trap: saved EIP = next */
ONE p_cr5, movl %cr5, %eax      /* CR5 is reserved: #UD */
ONE p_fnop, fnop                /* CR0.TS = 1: #NM */

PROBE p_into
	movl $0x7fffffff, %eax
	addl $1, %eax           /* OF = 1 */
p_into_at:
	into                    /* #OF, a trap */
p_into_next:
	ret

PROBE p_into_nof
	xorl %eax, %eax         /* OF = 0 */
p_into_nof_at:
	into
p_into_nof_next:
	ret

/* BOUND (SDM Vol 2): signed index within [lower, upper] or #BR, a fault. */
.macro BOUNDP name, val
PROBE \name
	movl $\val, %eax
\name\()_at:
	boundl %eax, bounds
\name\()_next:
	ret
.endm
	BOUNDP p_bound_in, 5
	BOUNDP p_bound_hi, 10
	BOUNDP p_bound_over, 11
	BOUNDP p_bound_neg, -1
PROBE p_bound16
	movl $0xffff, %eax      /* -1 in [-2, 3] */
p_bound16_at:
	boundw %ax, bounds16
p_bound16_next:
	ret
PROBE p_bound16_out
	movl $0x0004, %eax
p_bound16_out_at:
	boundw %ax, bounds16
p_bound16_out_next:
	ret

ONE p_int_beyond, int $0x50     /* beyond the IDT limit: #GP(0x50*8+2) */
ONE p_int_np, int $21           /* gate not present: #NP(21*8+2) */

/* ---- CPL 0: segment loads (SDM Vol 2 MOV Sreg, Vol 3 §5.5-5.7) ------- */
	LOADSEG p_ds_limit, GDT_BYTES, ds
	LOADSEG p_ds_np, NP_SEL, ds
	LOADSEG p_ss_np, NP_SEL, ss
	LOADSEG p_ss_rpl, K_DS|3, ss
	LOADSEG p_ss_null, 0, ss
	LOADSEG p_ss_dpl3, U_DS|3, ss
	LOADSEG p_ss_ro, RO_DS, ss
	LOADSEG p_ss_code, CF_CS, ss
	LOADSEG p_ds_xo, XO_CS, ds
	LOADSEG p_ds_conf, CF_CS, ds
	LOADSEG p_ds_rpl3, K_DS|3, ds
	LOADSEG p_ds_tss, TSS_SEL, ds
	LOADSEG p_ds_gate, CG3_SEL, ds
	LOADSEG p_ds_ldt, LDT_DS, ds
	LOADSEG p_ds_ldt_u, LDT_U, ds
	LOADSEG p_ds_ldt_beyond, 0x14, ds
	LOADSEG p_fs_null, 0, fs

PROBE p_mov_cs
	movl %cs, %eax
p_mov_cs_at:
	.byte 0x8e, 0xc8        /* mov %eax, %cs: #UD */
p_mov_cs_next:
	ret

/* Limit checks on data references (SDM Vol 3 §5.3). */
.macro MEMSEG name, sel, insn:vararg
PROBE \name
	movl $\sel, %eax
	movl %eax, %es
\name\()_at:
	\insn
\name\()_next:
	movl $K_DS, %eax
	movl %eax, %es
	ret
.endm
	MEMSEG p_lim_ok, LIM_SEL, movl %es:0xffc, %eax
	MEMSEG p_lim_over, LIM_SEL, movl %es:0xffe, %eax
	MEMSEG p_lim_byte, LIM_SEL, movb %es:0x1000, %al
	MEMSEG p_ed_low, ED_SEL, movl %es:0x800, %eax
	MEMSEG p_ed_edge, ED_SEL, movl %es:0xffe, %eax
	MEMSEG p_ed_ok, ED_SEL, movl %es:0x1000, %eax
	MEMSEG p_ed_top, ED_SEL, movl %es:0xfffffffc, %eax
	MEMSEG p_eds_ok, EDS_SEL, movl %es:0xfffc, %eax
	MEMSEG p_eds_high, EDS_SEL, movl %es:0xfffe, %eax
	MEMSEG p_eds_64k, EDS_SEL, movb %es:0x10000, %al
	MEMSEG p_ro_write, RO_DS, movl %eax, %es:scratch
	MEMSEG p_ro_read, RO_DS, movl %es:scratch, %eax
	MEMSEG p_null_read, 0, movl %es:scratch, %eax

/* Descriptor-table instructions. */
PROBE p_lldt_data
	movl $K_DS, %eax
p_lldt_data_at:
	lldt %ax                /* not an LDT descriptor: #GP(sel) */
p_lldt_data_next:
	ret
PROBE p_lldt_gdt_only
	movl $LDT_DS, %eax      /* TI = 1: #GP(sel) */
p_lldt_gdt_only_at:
	lldt %ax
p_lldt_gdt_only_next:
	ret
PROBE p_ltr_busy
	movl $TSS_SEL, %eax
p_ltr_busy_at:
	ltr %ax                 /* already busy: #GP(sel) */
p_ltr_busy_next:
	ret
/* With the LDT loaded: read LDT_DS:0 (base = &ldt_target). */
PROBE p_ldt_read
	movl $LDT_DS, %eax
	movl %eax, %es
p_ldt_read_at:
	movl %es:0, %eax
p_ldt_read_next:
	movl %eax, probe_val
	movl $K_DS, %eax
	movl %eax, %es
	ret

/* ---- CPL 3 / CPL 1 probes (entered by IRET; end in an exception) ------ */
.macro USER name, insn:vararg
PROBE \name
	movl %cs, %ebx
	movl %ss, %esi
\name\()_at:
	\insn
\name\()_next:
	int3
.endm
	USER u_int3, int3
	USER u_hlt, hlt
	USER u_cli, cli
	USER u_sti, sti
	USER u_int40, int $0x40
	USER u_int41, int $0x41
	USER u_int_np, int $21
	USER u_int1, .byte 0xf1
	USER u_into, into
	USER u_in80, inb $0x80, %al
	USER u_in81, inb $0x81, %al
	USER u_inw80, inw $0x80, %ax
	USER u_in7f, inb $0x7f, %al
	USER u_out80, outb %al, $0x80
	USER u_rdmsr, rdmsr
	USER u_movcr, movl %cr0, %eax
	USER u_lldt, lldt %ax
	USER u_sysexit, sysexit
	USER u_clts, clts
PROBE u_ds_k
	movl $K_DS, %eax
u_ds_k_at:
	movl %eax, %ds          /* DPL 0 < CPL 3: #GP(sel) */
u_ds_k_next:
	int3
	USER u_callgate0, lcall $CG0_SEL, $0
	USER u_rdpmc, rdpmc

PROBE u_in_dx
	movl $0x80, %edx
u_in_dx_at:
	inb %dx, %al
u_in_dx_next:
	int3

/* PUSHF/POPF (SDM Vol 2 POPF): try to set IF and IOPL 3 and see what
 * stuck.  CPL > IOPL: IF unchanged, no fault; CPL > 0: IOPL unchanged. */
PROBE u_popf
	pushfl
	orl $0x3200, (%esp)
	popfl
	pushfl
	popl %ebx
u_popf_at:
	int3
u_popf_next:
	int3

/* #AC: CR0.AM = EFLAGS.AC = 1, CPL 3, a misaligned 4-byte read. */
PROBE u_ac
	movl %esp, %eax
	addl $-7, %eax
u_ac_at:
	movl (%eax), %eax
u_ac_next:
	int3

/* A stack limit fault at CPL 3: SS = expand-down, lowest valid 0x1000. */
PROBE u_ss_ed
	movl $ED_SEL|3, %eax
	movl %eax, %ss
	movl $0x1008, %esp
	pushl %eax
	pushl %eax
u_ss_ed_at:
	pushl %eax              /* ESP 0xffc < limit + 1: #SS(0) on ESP0 */
u_ss_ed_next:
	int3

/* The call gate with two parameters, and RET 8 back (cg_target). */
PROBE u_callgate
	pushl $0x1111
	pushl $0x2222
u_callgate_at:
	lcall $CG3_SEL, $0
u_callgate_next:
	movl %cs, %ebx
	movl %es, %esi
	int3

/* SYSENTER and back by SYSEXIT to EDX/ECX (ubase = 0 here). */
PROBE u_sysenter
	movl %esp, %ecx
	movl $u_sysenter_next, %edx
u_sysenter_at:
	sysenter
u_sysenter_next:
	movl %cs, %ebx
	movl %ss, %esi
	int3

/* ---- paging probes --------------------------------------------------- */
.macro PGP name, insn:vararg
PROBE \name
	movl probe_addr, %eax
\name\()_at:
	\insn
\name\()_next:
	ret
.endm
	.data
	.globl probe_addr
probe_addr: .long 0
	.text
	PGP p_read, movl (%eax), %eax
	PGP p_write, movl %eax, (%eax)
	PGP p_exec, call *%eax
PROBE p_read_ac
	movl probe_addr, %eax
	stac                    /* EFLAGS.AC = 1: SMAP allows the access */
p_read_ac_at:
	movl (%eax), %eax
p_read_ac_next:
	clac
	ret

.macro UPGP name, insn:vararg
PROBE \name
	movl %cs, %ebx
	movl %ss, %esi
	movl probe_addr + USER_ALIAS, %eax
\name\()_at:
	\insn
\name\()_next:
	int3
.endm
	UPGP u_read, movl (%eax), %eax
	UPGP u_write, movl %eax, (%eax)
	UPGP u_exec, call *%eax
