/*
 * oracle32.c - the difftest's 32-bit oracle: a static i386 Linux program run
 * under QEMU user-mode emulation (qemu-i386), for hosts whose kernel cannot
 * execute compatibility-mode code natively (native.c's 32-bit path).
 *
 * Built with gcc -m32 -static with host.c (not linked into vmlab-difftest:
 * difftest.mk builds it alone).  It reads struct dt_wire_req records from stdin and
 * answers each with a struct dt_wire_reply on stdout (layout.h).  For every
 * case it does what native.c does for a 64-bit one, in 32-bit protected
 * mode at CPL 3 (a Linux i386 process: CS 0x23, DS/ES/SS 0x2b, flat):
 *   a code page at DT_CODE_VA holds a stub emitted byte by byte: save the
 *   callee-saved registers and ESP; clear FS and GS (glibc's thread
 *   pointer lives in GS; vmlab's side has null FS/GS, as a 64-bit Linux
 *   process has); load EFLAGS and the eight registers; execute the
 *   instruction at DT_INSN_VA; the fall-through or taken block records
 *   where execution continued (layout.h); the epilogue stores the eight
 *   registers and EFLAGS, restores GS and returns.
 * A fault in the instruction arrives as a signal, which is turned back into
 * the vector the (emulated) CPU raised; see vector_of().
 */
#define _GNU_SOURCE
#include "tests/difftest/host.h"
#include "tests/difftest/layout.h"

#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#if !defined(__i386__)
#error "oracle32.c is an i386 program: build it with gcc -m32"
#endif

#define ST_IN	   (DT_STATE_VA + 0x000) /* 8 registers, then EFLAGS */
#define ST_OUT	   (DT_STATE_VA + 0x100) /* 8 registers, EFLAGS, EIP */
#define ST_EFL_IN  (ST_IN + 8 * 4)
#define ST_EFL_OUT (ST_OUT + 8 * 4)
#define ST_EIP	   (ST_OUT + 9 * 4)
#define ST_HOSTESP (DT_STATE_VA + 0x200)
#define ST_GS	   (DT_STATE_VA + 0x204)
#define ST_SCRATCH (DT_STATE_VA + 0xf00) /* a small stack for PUSHFD/POPFD */

static uint8_t *code;
static sigjmp_buf env;
static volatile int sig_no, sig_code, sig_trap;
static volatile uint32_t sig_eip;
static uint16_t host_gs; /* glibc's TLS selector, restored in the handler */

static void on_signal(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	/* The test left GS null; glibc (siglongjmp's pointer guard) needs its
	 * thread pointer back before anything else runs. */
	__asm__ volatile("mov %0, %%gs" ::"r"(host_gs));
	sig_no = sig;
	sig_code = si->si_code;
	sig_trap = uc->uc_mcontext.gregs[REG_TRAPNO];
	sig_eip = uc->uc_mcontext.gregs[REG_EIP];
	siglongjmp(env, 1);
}

/* Machine code is written byte by byte, one instruction per line with its
 * assembly in a comment: keep clang-format away from this part. */
/* clang-format off */
static unsigned pos;
static void e8(uint8_t b) { code[pos++] = b; }
static void e32(uint32_t v) { memcpy(code + pos, &v, 4); pos += 4; }
/* mov r32, [disp32] / mov [disp32], r32 (ModRM mod=00 rm=101). */
static void load32(int r, uint32_t a) { e8(0x8b); e8(0x05 | (r << 3)); e32(a); }
static void store32(int r, uint32_t a) { e8(0x89); e8(0x05 | (r << 3)); e32(a); }

static void jmp_to(uint32_t va)
{
	e8(0xe9);
	e32(va - (uint32_t)(DT_CODE_VA + pos + 4));
}

/* A block of layout.h: mov dword [ST_EIP], va; nop; nop; jmp epilogue --
 * 17 bytes that touch no register or flag, as native.c's 32-bit block. */
static void emit_block(uint32_t va)
{
	unsigned start;

	pos = va - (uint32_t)DT_CODE_VA;
	start = pos;
	e8(0xc7); e8(0x05); e32((uint32_t)ST_EIP); e32(va);
	e8(0x90); e8(0x90);
	jmp_to((uint32_t)DT_EPI_VA);
	if (pos - start != DT_BLOCK_LEN)
		abort();
}

static void build(const struct dt_wire_req *rq)
{
	memset(code, 0xcc, 0x1000);
	pos = 0;
	/* -- the stub -- */
	e8(0x53); e8(0x55); e8(0x56); e8(0x57);     /* push ebx, ebp, esi, edi */
	store32(4, (uint32_t)ST_HOSTESP);            /* mov [hostesp], esp */
	e8(0x8c); e8(0x2d); e32((uint32_t)ST_GS);    /* mov [gs save], gs */
	e8(0x31); e8(0xc0);                          /* xor eax, eax */
	e8(0x8e); e8(0xe0); e8(0x8e); e8(0xe8);      /* mov fs, ax; mov gs, ax */
	e8(0xbc); e32((uint32_t)ST_SCRATCH);         /* mov esp, scratch */
	e8(0xff); e8(0x35); e32((uint32_t)ST_EFL_IN); /* push dword [eflags in] */
	e8(0x9d);                                    /* popfd */
	for (int r = 0; r < 8; r++)
		load32(r, (uint32_t)ST_IN + 4 * r);
	jmp_to((uint32_t)DT_INSN_VA);
	/* -- the instruction and its blocks -- */
	pos = (unsigned)(DT_INSN_VA - DT_CODE_VA);
	memcpy(code + pos, rq->bytes, rq->len);
	emit_block((uint32_t)DT_INSN_VA + rq->len);
	if (rq->target)
		emit_block(rq->target);
	/* -- the epilogue -- */
	pos = (unsigned)(DT_EPI_VA - DT_CODE_VA);
	for (int r = 0; r < 8; r++)
		store32(r, (uint32_t)ST_OUT + 4 * r);
	e8(0xbc); e32((uint32_t)ST_SCRATCH);         /* mov esp, scratch */
	e8(0x9c); e8(0x58);                          /* pushfd; pop eax */
	store32(0, (uint32_t)ST_EFL_OUT);            /* mov [eflags out], eax */
	/* A known EFLAGS for the C code: DF = 0 as the ABI wants. */
	e8(0x68); e32(0x202);                        /* push 0x202 */
	e8(0x9d);                                    /* popfd */
	e8(0x8e); e8(0x2d); e32((uint32_t)ST_GS);    /* mov gs, [gs save] */
	load32(4, (uint32_t)ST_HOSTESP);             /* mov esp, [hostesp] */
	e8(0x5f); e8(0x5e); e8(0x5d); e8(0x5b);      /* pop edi, esi, ebp, ebx */
	e8(0xc3);                                    /* ret */
}
/* clang-format on */

/*
 * The vector a signal stands for, as Linux i386 reports them
 * (arch/x86/kernel/traps.c) and qemu-i386 imitates: #DE SIGFPE, #UD SIGILL,
 * #BP SIGTRAP, #SS and #AC SIGBUS, #PF SIGSEGV with SEGV_MAPERR/ACCERR, and
 * #GP, #BR and #OF all SIGSEGV with SI_KERNEL.  The signal frame's trap
 * number would tell those three apart, but QEMU leaves it -1; #OF is a trap
 * (EIP past INTO), #GP and #BR are faults (EIP on the instruction), so only
 * #GP and #BR stay ambiguous: reported as #GP, which difftest.c's
 * same_exception() lets match either.
 */
static int vector_of(int sig, int si_code, uint32_t eip)
{
	switch (sig) {
	case SIGFPE: return 0;
	case SIGILL: return 6;
	case SIGTRAP: return 3;
	case SIGBUS: return 12;
	case SIGSEGV:
		if (si_code != SI_KERNEL)
			return 14;
		return eip == (uint32_t)DT_INSN_VA ? 13 : 4;
	default: return 255;
	}
}

static void run(const struct dt_wire_req *rq, struct dt_wire_reply *rp)
{
	uint32_t *in = (uint32_t *)(uintptr_t)ST_IN, *out = (uint32_t *)(uintptr_t)ST_OUT;

	build(rq);
	__builtin___clear_cache((char *)code, (char *)code + 0x1000);
	memcpy(in, rq->gpr, sizeof(rq->gpr));
	in[8] = rq->eflags;
	memset(out, 0, 10 * 4);
	memcpy((void *)(uintptr_t)DT_DATA_VA, rq->data, DT_DATA_LEN);
	rp->exc = -1;
	rp->signo = rp->trapno = 0;
	if (sigsetjmp(env, 1) == 0) {
		((void (*)(void))code)();
	} else {
		rp->exc = vector_of(sig_no, sig_code, sig_eip);
		rp->signo = sig_no;
		rp->trapno = sig_trap;
		/* Whatever the test left in EFLAGS (DF, AC ...): a clean state. */
		__asm__ volatile("pushl $0x202; popfl" ::: "cc", "memory");
	}
	rp->magic = DT_WIRE_MAGIC;
	memcpy(rp->gpr, out, sizeof(rp->gpr));
	rp->eflags = out[8];
	rp->eip = out[9];
	memcpy(rp->data, (void *)(uintptr_t)DT_DATA_VA, DT_DATA_LEN);
}

int main(void)
{
	static struct dt_wire_req rq;
	static struct dt_wire_reply rp;
	uint16_t gs;

	__asm__ volatile("mov %%gs, %0" : "=r"(gs));
	host_gs = gs;
	code = dt_map_fixed((uint32_t)DT_CODE_VA, 0x1000, PROT_READ | PROT_WRITE | PROT_EXEC);
	if (!code || !dt_map_fixed((uint32_t)DT_DATA_VA, DT_DATA_LEN, PROT_READ | PROT_WRITE) ||
	    !dt_map_fixed((uint32_t)DT_STATE_VA, 0x1000, PROT_READ | PROT_WRITE)) {
		fprintf(stderr, "difftest-oracle32: cannot map the fixed test pages at %#x\n",
			(unsigned)DT_CODE_VA);
		return 1;
	}
	if (dt_catch_faults(on_signal))
		return 1;
	for (;;) {
		if (dt_xfer(0, &rq, sizeof(rq), 0))
			return 0; /* the tester closed the pipe: done */
		if (rq.magic != DT_WIRE_MAGIC || rq.len == 0 || rq.len > 15) {
			fprintf(stderr, "difftest-oracle32: bad request\n");
			return 1;
		}
		run(&rq, &rp);
		if (dt_xfer(1, &rp, sizeof(rp), 1))
			return 1;
	}
}
