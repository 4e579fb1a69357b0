/*
 * probe64.S - samples/systest: the probes and the kernel entry points the
 * tests use, in 64-bit assembly so that every faulting instruction has a
 * label (NAME_at) and so has the one after it (NAME_next).
 *
 * A probe is run by run_probe (CPL 0) or run_user (IRETQ to any CS/SS,
 * SDM Vol 2 IRET "RETURN-TO-OUTER-PRIVILEGE-LEVEL").  It ends either by
 * returning (run_probe returns 0) or in an exception: the hook in setup64.c
 * records what was delivered and makes the handler's IRETQ land on
 * probe_recover, which returns 1 from run_probe/run_user on the kernel
 * stack saved at the start.  SDM Vol 3 ch. 6 (exceptions, 64-bit frames),
 * Vol 2 SYSCALL/SYSRET/SYSENTER/SYSEXIT/CALL (call gates)/RET far.
 */
#include "samples/systest/sysdefs.h"

	.text
	.code64

/* int run_probe(void (*fn)(void)) */
	.globl run_probe
run_probe:
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	subq $8, %rsp           /* keep the ABI's 16-byte alignment at the call */
	movq %rsp, probe_rsp(%rip)
	movb $1, probing(%rip)
	call *%rdi
	movb $0, probing(%rip)
	xorl %eax, %eax
	jmp probe_done

/* int run_user(rip, rsp, rflags, cs, ss): IRETQ to the given frame. */
	.globl run_user
run_user:
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	subq $8, %rsp
	movq %rsp, probe_rsp(%rip)
	movb $1, probing(%rip)
	pushq %r8               /* SS */
	pushq %rsi              /* RSP */
	pushq %rdx              /* RFLAGS */
	pushq %rcx              /* CS */
	pushq %rdi              /* RIP */
	xorl %ebx, %ebx         /* the probe starts with known registers */
	xorl %r12d, %r12d
	iretq

/* The handler's IRETQ comes here (setup64.c sets the frame). */
	.globl probe_recover
probe_recover:
	movq probe_rsp(%rip), %rsp
	movl $K_DS, %eax        /* a return to CPL 3 nulled DS/ES (SDM IRET) */
	movl %eax, %ds
	movl %eax, %es
	movl $1, %eax
probe_done:
	addq $8, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	ret

/* PROBE name: a global label for the probe and, in the body, NAME_at and
 * NAME_next around the instruction expected to fault. */
.macro PROBE name
	.globl \name, \name\()_at, \name\()_next
	.balign 16
\name:
.endm

/* ---- CPL 0 probes --------------------------------------------------- */
PROBE p_div0
	xorl %ecx, %ecx
	movl $1, %eax
	xorl %edx, %edx
p_div0_at:
	divq %rcx               /* #DE (gate 0 uses IST2) */
p_div0_next:
	ret

PROBE p_ud2
p_ud2_at:
	ud2
p_ud2_next:
	ret

PROBE p_int3
p_int3_at:
	int3                    /* #BP is a trap: saved RIP = next */
p_int3_next:
	ret

PROBE p_into
p_into_at:
	.byte 0xce              /* INTO is invalid in 64-bit mode: #UD */
p_into_next:
	ret

PROBE p_noncanon
	movabsq $0x8000000000000000, %rax
p_noncanon_at:
	movq (%rax), %rax       /* non-canonical: #GP(0) */
p_noncanon_next:
	ret

PROBE p_noncanon_ss
	pushq %rbp
	movabsq $0x8000000000000000, %rbp
p_noncanon_ss_at:
	movq (%rbp), %rax       /* non-canonical through SS: #SS(0) */
p_noncanon_ss_next:
	popq %rbp
	ret

PROBE p_push_noncanon
	movabsq $0x8000000000000010, %rsp
p_push_noncanon_at:
	pushq %rax              /* #SS(0), delivered on IST1 */
p_push_noncanon_next:
	ret

PROBE p_ds_limit
	movl $GDT_BYTES, %eax
p_ds_limit_at:
	movl %eax, %ds          /* beyond the GDT limit: #GP(sel) */
p_ds_limit_next:
	ret

PROBE p_ds_np
	movl $NP_SEL, %eax
p_ds_np_at:
	movl %eax, %ds          /* not present: #NP(sel) */
p_ds_np_next:
	ret

PROBE p_ss_np
	movl $NP_SEL, %eax
p_ss_np_at:
	movl %eax, %ss          /* not present, for SS: #SS(sel) */
p_ss_np_next:
	ret

PROBE p_ss_rpl
	movl $(U_DS | 3), %eax
p_ss_rpl_at:
	movl %eax, %ss          /* RPL != CPL: #GP(sel) */
p_ss_rpl_next:
	ret

PROBE p_ss_null
	xorl %eax, %eax
p_ss_null_at:
	movl %eax, %ss          /* null SS is allowed at CPL 0 in 64-bit mode */
p_ss_null_next:
	movl %ss, %eax
	movq %rax, probe_val(%rip)
	movl $K_DS, %eax
	movl %eax, %ss
	ret

PROBE p_ds_code
	movl $K_CS, %eax
p_ds_code_at:
	movl %eax, %ds          /* execute-only? no: K_CS is readable code: OK */
p_ds_code_next:
	movl $K_DS, %eax
	movl %eax, %ds
	ret

PROBE p_ss_code
	movl $K_CS, %eax
p_ss_code_at:
	movl %eax, %ss          /* code segment into SS: #GP(sel) */
p_ss_code_next:
	ret

PROBE p_mov_cs
p_mov_cs_at:
	.byte 0x8e, 0xc8        /* MOV CS, AX: #UD */
p_mov_cs_next:
	ret

PROBE p_int_beyond
p_int_beyond_at:
	int $0x40               /* beyond the IDT limit: #GP(0x40*8 + 2) */
p_int_beyond_next:
	ret

PROBE p_int_np
p_int_np_at:
	int $21                 /* gate 21 not present: #NP(21*8 + 2) */
p_int_np_next:
	ret

PROBE p_rdmsr_bad
	movl $0x4b564d00, %ecx  /* no such MSR */
p_rdmsr_bad_at:
	rdmsr
p_rdmsr_bad_next:
	ret

PROBE p_cr5
p_cr5_at:
	.byte 0x0f, 0x20, 0xe8  /* MOV RAX, CR5: #UD */
p_cr5_next:
	ret

PROBE p_fnop
p_fnop_at:
	fnop                    /* with CR0.TS = 1: #NM */
p_fnop_next:
	ret

PROBE p_ltr_busy
	movl $TSS_SEL, %eax
p_ltr_busy_at:
	ltr %ax                 /* the TSS is busy already: #GP(sel) */
p_ltr_busy_next:
	ret

PROBE p_iret_badcs
	movq %rsp, %rax
	pushq $K_DS
	pushq %rax
	pushq $2
	pushq $GDT_BYTES
	leaq p_iret_badcs_next(%rip), %rax
	pushq %rax
p_iret_badcs_at:
	iretq                   /* CS beyond the GDT: #GP(sel) */
p_iret_badcs_next:
	ret

PROBE p_iret_same
	movq %rsp, %rax
	pushq $K_DS
	pushq %rax
	pushq $0x202 & ~0x200   /* IF stays 0 */
	pushq $K_CS
	leaq p_iret_same_next(%rip), %rax
	pushq %rax
p_iret_same_at:
	iretq                   /* same-privilege IRETQ: pops all five */
p_iret_same_next:
	ret

PROBE p_read
	movq probe_addr(%rip), %rax
p_read_at:
	movq (%rax), %rax
p_read_next:
	movq %rax, probe_val(%rip)
	ret

PROBE p_write
	movq probe_addr(%rip), %rax
p_write_at:
	movq $0x5157, (%rax)
p_write_next:
	ret

PROBE p_exec
	movq probe_addr(%rip), %rax
p_exec_at:
	call *%rax              /* the target is a RET, or it faults */
p_exec_next:
	ret

	.globl p_ret
p_ret:
	ret

PROBE p_stac_read
	movq probe_addr(%rip), %rax
	stac
p_stac_read_at:
	movq (%rax), %rax
p_stac_read_next:
	clac
	movq %rax, probe_val(%rip)
	ret

/* ---- CPL 3 probes (run at their user alias, see sys64.h) ------------- */
PROBE u_int3
	movl %cs, %ebx
	movl %ss, %r12d
u_int3_at:
	int3
u_int3_next:
	ud2

PROBE u_int1
u_int1_at:
	int $1                  /* gate DPL 0 < CPL 3: #GP(1*8 + 2) */
u_int1_next:
	ud2

PROBE u_hlt
u_hlt_at:
	hlt
u_hlt_next:
	ud2

PROBE u_cli
u_cli_at:
	cli                     /* CPL > IOPL: #GP(0) */
u_cli_next:
	int3

PROBE u_in
	movl $0x3f8, %edx
u_in_at:
	inb %dx, %al            /* CPL > IOPL, no I/O bitmap: #GP(0) */
u_in_next:
	int3

PROBE u_rdmsr
	movl $0xc0000080, %ecx
u_rdmsr_at:
	rdmsr
u_rdmsr_next:
	ud2

PROBE u_movcr
u_movcr_at:
	movq %cr0, %rax
u_movcr_next:
	ud2

PROBE u_sysret
u_sysret_at:
	sysretq                 /* CPL 3: #GP(0) */
u_sysret_next:
	ud2

PROBE u_read_k
	movl $0x100000, %eax
u_read_k_at:
	movq (%rax), %rax       /* supervisor page: #PF(U|P) */
u_read_k_next:
	ud2

PROBE u_write_k
	movl $0x100000, %eax
u_write_k_at:
	movq %rax, (%rax)       /* #PF(U|W|P) */
u_write_k_next:
	ud2

PROBE u_exec_k
	leaq u_exec_k_next(%rip), %rax
	subq $USER_ALIAS_LO, %rax    /* the same code at its supervisor address */
u_exec_k_at:
	jmp *%rax               /* the fetch faults: #PF(I|U|P), RIP = target */
u_exec_k_next:
	ud2

PROBE u_write_t
	movl $(TEST_VA + 0x4000), %eax
u_write_t_at:
	movq %rax, (%rax)       /* read-only user page: #PF(U|W|P) */
u_write_t_next:
	int3

PROBE u_read_np
	movl $UNMAPPED, %eax
u_read_np_at:
	movq (%rax), %rax       /* not present: #PF(U) */
u_read_np_next:
	int3

PROBE u_ac
u_ac_at:
	movl 1(%rsp), %eax      /* CR0.AM = RFLAGS.AC = 1 at CPL 3: #AC(0) */
u_ac_next:
	int3

PROBE u_gate0
	subq $8, %rsp
	movl $0, (%rsp)
	movw $(CG0_SEL | 3), 4(%rsp)
u_gate0_at:
	lcall *(%rsp)           /* call gate DPL 0 < CPL 3: #GP(sel) */
u_gate0_next:
	ud2

PROBE u_callgate
	subq $8, %rsp
	movl $0, (%rsp)
	movw $(CG3_SEL | 3), 4(%rsp)
u_callgate_at:
	lcall *(%rsp)           /* through the gate to CPL 0 and back */
u_callgate_next:
	addq $8, %rsp
	movl %cs, %ebx
	movl %ss, %r12d
	int3

PROBE u_syscall
	movl $0x11, %eax
u_syscall_at:
	syscall
u_syscall_next:
	movl %cs, %ebx
	movl %ss, %r12d
	int3

PROBE u_sysenter
	leaq u_sysenter_next(%rip), %rdx
	movq %rsp, %rcx
u_sysenter_at:
	sysenter
u_sysenter_next:
	movl %cs, %ebx
	movl %ss, %r12d
	int3

/* Compatibility mode (CS.L = 0, CS.D = 1) at CPL 3, entered by IRETQ. */
	.code32
PROBE u_compat_int3
	movl %cs, %ebx          /* the upper halves are undefined after
	                           compatibility mode: only EBX is shown */
u_compat_int3_at:
	int3
u_compat_int3_next:
	ud2

PROBE u_compat_into
	movl $0x7fffffff, %eax
	addl $1, %eax           /* OF = 1 */
u_compat_into_at:
	into                    /* #OF, a trap; valid outside 64-bit mode */
u_compat_into_next:
	ud2
	.code64

/* ---- kernel entry points of the fast system calls and the call gate -- */
	.globl syscall_entry
syscall_entry:
	movq %rsp, sc_user_rsp(%rip) /* SYSCALL does not switch stacks */
	leaq sc_stack_top(%rip), %rsp
	movq %rcx, sc_rcx(%rip)
	movq %r11, sc_r11(%rip)
	movl %cs, %eax
	movq %rax, sc_cs(%rip)
	movl %ss, %eax
	movq %rax, sc_ss(%rip)
	pushfq
	popq sc_rflags(%rip)
	movq sc_user_rsp(%rip), %rsp
	sysretq

	.globl sysenter_entry
sysenter_entry:
	movq %rsp, se_rsp(%rip)
	movl %cs, %eax
	movq %rax, se_cs(%rip)
	movl %ss, %eax
	movq %rax, se_ss(%rip)
	pushfq
	popq se_rflags(%rip)
	sysexitq                /* REX.W: back to 64-bit CPL 3 */

	.globl callgate_target
callgate_target:
	movq %rsp, cg_rsp(%rip)
	movq 0(%rsp), %rax
	movq %rax, cg_frame + 0(%rip)  /* RIP */
	movq 8(%rsp), %rax
	movq %rax, cg_frame + 8(%rip)  /* CS */
	movq 16(%rsp), %rax
	movq %rax, cg_frame + 16(%rip) /* RSP */
	movq 24(%rsp), %rax
	movq %rax, cg_frame + 24(%rip) /* SS */
	movl %ss, %eax
	movq %rax, cg_ss(%rip)
	movl %cs, %eax
	movq %rax, cg_cs(%rip)
	lretq                   /* RET far to CPL 3: pops RIP, CS, RSP, SS */

	.data
	.balign 8
	.globl probe_rsp, probe_addr, probe_val, probing
	.globl sc_rcx, sc_r11, sc_cs, sc_ss, sc_rflags, se_rsp, se_cs, se_ss, se_rflags
	.globl cg_rsp, cg_frame, cg_ss, cg_cs
probe_rsp:	.quad 0
probe_addr:	.quad 0
probe_val:	.quad 0
sc_user_rsp:	.quad 0
sc_rcx:		.quad 0
sc_r11:		.quad 0
sc_cs:		.quad 0
sc_ss:		.quad 0
sc_rflags:	.quad 0
se_rsp:		.quad 0
se_cs:		.quad 0
se_ss:		.quad 0
se_rflags:	.quad 0
cg_rsp:		.quad 0
cg_frame:	.quad 0, 0, 0, 0
cg_ss:		.quad 0
cg_cs:		.quad 0
probing:	.byte 0

	.bss
	.balign 16
	.skip 4096
sc_stack_top:
