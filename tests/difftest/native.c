/*
 * native.c - run one instruction on the host CPU: the tester's oracle.
 *
 * A code page at DT_CODE_VA holds a stub we emit byte by byte:
 *   save the host's callee-saved registers and RSP; load RFLAGS and all
 *   sixteen registers from the input image; execute the instruction under
 *   test (at DT_INSN_VA); record where execution continued -- the
 *   fall-through block or, for a branch, the taken block at its target
 *   (difftest.h) -- then store all registers and RFLAGS to the output
 *   image, reset RFLAGS and return.
 * For 32-bit forms the stub far-returns into the Linux 32-bit user code
 * segment (selector 0x23: a compatibility-mode segment) and far-jumps back
 * to 0x33 afterwards, so the instruction really executes in compatibility
 * mode.  A fault in the instruction arrives as a signal (handled on an
 * alternate stack, since RSP is the test's) and is turned back into the
 * exception vector the CPU raised.
 */
#define _GNU_SOURCE
#include "tests/difftest/difftest.h"
#include "tests/difftest/host.h"

#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <ucontext.h>

#include "cpu/cpu.h"
#include "lib/err.h"

#define ST_IN	   (DT_STATE_VA + 0x000) /* 16 registers, then RFLAGS */
#define ST_OUT	   (DT_STATE_VA + 0x100)
#define ST_HOSTRSP (DT_STATE_VA + 0x200)
#define ST_RIP	   (ST_OUT + 17 * 8)
#define ST_SCRATCH (DT_STATE_VA + 0xf00) /* a small stack for PUSHF/POPF */

static u8 *code;
static sigjmp_buf env;
static volatile int sig_no, sig_code;
static volatile u64 sig_rip;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	sig_no = sig;
	sig_code = si->si_code;
	sig_rip = (u64)((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP];
	if (getenv("DT_DEBUG"))
		fprintf(stderr, "signal %d code %d addr %p rip %llx\n", sig, si->si_code,
			si->si_addr,
			(unsigned long long)((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP]);
	siglongjmp(env, 1);
}

int dt_native_init(void)
{
	code = dt_map_fixed(DT_CODE_VA, 0x1000, PROT_READ | PROT_WRITE | PROT_EXEC);
	if (!code || !dt_map_fixed(DT_DATA_VA, DT_DATA_LEN, PROT_READ | PROT_WRITE) ||
	    !dt_map_fixed(DT_STATE_VA, 0x1000, PROT_READ | PROT_WRITE)) {
		fprintf(stderr, "difftest: cannot map the fixed test pages at 0x%llx\n",
			DT_CODE_VA);
		return -1;
	}
	return dt_catch_faults(on_signal);
}

/* Machine code is written byte by byte, one instruction per line with its
 * assembly in a comment: keep clang-format away from this part. */
/* clang-format off */
/* ---- a tiny emitter ------------------------------------------------------ */
static unsigned pos;
static void e8(u8 b) { code[pos++] = b; }
static void e32(u32 v) { memcpy(code + pos, &v, 4); pos += 4; }

/* mov r64, [abs32] / mov [abs32], r64 (ModRM rm=100, SIB base=101 no index). */
static void load64(int r, u64 a) { e8(0x48 | ((r >> 3) << 2)); e8(0x8b); e8(0x04 | ((r & 7) << 3)); e8(0x25); e32((u32)a); }
static void store64(int r, u64 a) { e8(0x48 | ((r >> 3) << 2)); e8(0x89); e8(0x04 | ((r & 7) << 3)); e8(0x25); e32((u32)a); }
/* 32-bit code: mov r32, [disp32] / mov [disp32], r32 (ModRM mod=00 rm=101). */
static void load32(int r, u64 a) { e8(0x8b); e8(0x05 | (r << 3)); e32((u32)a); }
static void store32(int r, u64 a) { e8(0x89); e8(0x05 | (r << 3)); e32((u32)a); }

static void emit_prologue(void)
{
	e8(0x53); e8(0x55); e8(0x41); e8(0x54); e8(0x41); e8(0x55); e8(0x41); e8(0x56); e8(0x41); e8(0x57);
	store64(RSP, ST_HOSTRSP);
	e8(0x48); e8(0xc7); e8(0xc4); e32((u32)ST_SCRATCH); /* mov rsp, scratch */
}

static void emit_epilogue(void)
{
	/* A known RFLAGS for the C code: DF = 0 as the ABI wants, and no AC, NT
	 * or TF a tested POPF may have left behind. */
	e8(0x68); e32(FL_1 | FL_IF); /* push 0x202 */
	e8(0x9d);                    /* popfq */
	load64(RSP, ST_HOSTRSP);
	e8(0x41); e8(0x5f); e8(0x41); e8(0x5e); e8(0x41); e8(0x5d); e8(0x41); e8(0x5c); e8(0x5d); e8(0x5b);
	e8(0xc3);
}

/* jmp rel32 to an absolute address in the code page. */
static void jmp_to(u64 va)
{
	e8(0xe9);
	e32((u32)(va - (DT_CODE_VA + pos + 4)));
}

/* A block of the layout in difftest.h: record where execution arrived,
 * then go to the epilogue.  Neither instruction touches registers or
 * flags.  64-bit: mov qword [abs32], imm32 (sign-extended: the code page
 * is below 2 GiB); 32-bit: mov dword [disp32], imm32, padded. */
static void emit_block(u64 va, bool is64)
{
	unsigned start;

	pos = (unsigned)(va - DT_CODE_VA);
	start = pos;
	if (is64) {
		e8(0x48); e8(0xc7); e8(0x04); e8(0x25); e32((u32)ST_RIP); e32((u32)va);
	} else {
		e8(0xc7); e8(0x05); e32((u32)ST_RIP); e32((u32)va);
		e8(0x90); e8(0x90);
	}
	jmp_to(DT_EPI_VA);
	if (pos - start != DT_BLOCK_LEN)
		panic("difftest: block is %u bytes", pos - start);
}

/* The instruction, its fall-through block and the branch's taken block. */
static void emit_insn(const struct dt_case *tc, bool is64)
{
	jmp_to(DT_INSN_VA);
	pos = (unsigned)(DT_INSN_VA - DT_CODE_VA);
	memcpy(code + pos, tc->bytes, tc->len);
	emit_block(DT_INSN_VA + tc->len, is64);
	if (tc->target)
		emit_block(tc->target, is64);
	pos = (unsigned)(DT_EPI_VA - DT_CODE_VA);
}

static void build64(const struct dt_case *tc)
{
	memset(code, 0xcc, 0x1000);
	pos = 0;
	emit_prologue();
	e8(0xff); e8(0x34); e8(0x25); e32((u32)(ST_IN + 16 * 8)); /* push qword [rflags] */
	e8(0x9d);                                                  /* popfq */
	for (int r = 0; r < 16; r++)
		load64(r, ST_IN + 8 * r);
	emit_insn(tc, true);
	for (int r = 0; r < 16; r++)
		store64(r, ST_OUT + 8 * r);
	e8(0x48); e8(0xc7); e8(0xc4); e32((u32)ST_SCRATCH);
	e8(0x9c); e8(0x58); /* pushfq; pop rax */
	store64(RAX, ST_OUT + 16 * 8);
	emit_epilogue();
}

static void build32(const struct dt_case *tc)
{
	unsigned fix;

	memset(code, 0xcc, 0x1000);
	pos = 0;
	emit_prologue();
	/* Far return into the compatibility-mode code segment 0x23. */
	e8(0x6a); e8(0x23);                       /* push 0x23 */
	e8(0x68); fix = pos; e32(0);              /* push imm32 (patched) */
	e8(0x48); e8(0xcb);                       /* retfq */
	{ u32 t = (u32)(DT_CODE_VA + pos); memcpy(code + fix, &t, 4); }
	/* -- 32-bit code from here -- */
	e8(0x66); e8(0xb8); e8(0x2b); e8(0x00);   /* mov ax, 0x2b: flat user data */
	e8(0x8e); e8(0xd8); e8(0x8e); e8(0xc0);   /* mov ds, ax; mov es, ax */
	e8(0xff); e8(0x35); e32((u32)(ST_IN + 16 * 8)); /* push dword [rflags] */
	e8(0x9d);                                 /* popfd */
	for (int r = 0; r < 8; r++)
		load32(r, ST_IN + 8 * r);
	emit_insn(tc, false);
	for (int r = 0; r < 8; r++)
		store32(r, ST_OUT + 8 * r);
	e8(0xbc); e32((u32)ST_SCRATCH);           /* mov esp, scratch */
	e8(0x9c); e8(0x58);                       /* pushfd; pop eax */
	store32(RAX, ST_OUT + 16 * 8);
	e8(0xea); e32((u32)(DT_CODE_VA + pos + 6)); e8(0x33); e8(0x00); /* jmp far 0x33:next */
	/* -- 64-bit again -- */
	e8(0x31); e8(0xc0); e8(0x8e); e8(0xd8); e8(0x8e); e8(0xc0); /* ds = es = 0 */
	emit_epilogue();
}

/* clang-format on */

bool dt_native_compat_works(void)
{
	/* A 32-bit form that cannot fail: xor eax, eax.  Some hosts (kernels
	 * running deprivileged under a paravirtual hypervisor, or with IA-32
	 * emulation disabled) refuse to load a compatibility-mode CS at all. */
	struct dt_case probe = {.mode = 32, .bytes = {0x31, 0xc0}, .len = 2, .asize = 4};
	struct dt_state out;

	probe.in.rflags = FL_1 | FL_IF;
	probe.in.gpr[RSP] = DT_DATA_VA + 0x1000;
	dt_native_run(&probe, &out);
	return out.exc == -1;
}

/* The exception a signal stands for (Linux x86 traps.c mapping).  #GP, #BR
 * and #OF all arrive as SIGSEGV with SI_KERNEL; #OF (INTO, 32-bit only) is
 * the trap among them: RIP is past the instruction. */
static int vector_of(int sig, int si_code, u64 rip)
{
	switch (sig) {
	case SIGFPE: return EXC_DE;
	case SIGILL: return EXC_UD;
	case SIGTRAP: return EXC_BP;
	case SIGBUS: return EXC_SS; /* #SS and #AC both arrive as SIGBUS */
	case SIGSEGV:
		if (si_code != SI_KERNEL)
			return EXC_PF;
		return rip == DT_INSN_VA ? EXC_GP : EXC_OF;
	default: return 255;
	}
}

void dt_native_run(const struct dt_case *tc, struct dt_state *out)
{
	u64 *in = (u64 *)DT_STATE_VA, *o = (u64 *)(DT_STATE_VA + 0x100);

	if (tc->mode == 64)
		build64(tc);
	else
		build32(tc);
	__builtin___clear_cache((char *)code, (char *)code + pos);
	memcpy(in, tc->in.gpr, sizeof(tc->in.gpr));
	in[16] = tc->in.rflags;
	memset(o, 0, 18 * 8);
	memcpy((void *)DT_DATA_VA, tc->in.data, DT_DATA_LEN);
	out->exc = -1;
	if (sigsetjmp(env, 1) == 0) {
		((void (*)(void))code)();
	} else {
		out->exc = vector_of(sig_no, sig_code, sig_rip);
		/* Whatever the test left in RFLAGS (DF, AC ...): a clean state. */
		__asm__ volatile("sub $128, %%rsp; pushq $0x202; popfq; add $128, %%rsp" ::
				     : "cc", "memory"); /* past the red zone */
	}
	memcpy(out->gpr, o, sizeof(out->gpr));
	out->rflags = o[16];
	out->rip = o[17];
	memcpy(out->data, (void *)DT_DATA_VA, DT_DATA_LEN);
}
