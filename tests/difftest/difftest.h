/*
 * difftest.h - the host-CPU differential tester's shared definitions.
 *
 * The oracle is the host processor: each instruction form of the ISA table is
 * encoded with random operands, run natively (native.c) and in vmlab
 * (vmside.c) from the same random register and memory state, and every
 * register, the touched memory and every flag the SDM defines must agree.
 *
 * Fixed host addresses (mapped MAP_FIXED_NOREPLACE, identity-mapped in the
 * guest's page tables) so that pointers in registers mean the same on both:
 */
#ifndef VMLAB_TESTS_DIFFTEST_H
#define VMLAB_TESTS_DIFFTEST_H

#include "lib/common.h"

#define DT_CODE_VA   0x20000000ULL   /* the test instruction and the stub */
#define DT_DATA_VA   0x20010000ULL   /* memory operands point here */
#define DT_DATA_LEN  0x2000ULL	     /* two pages: accesses may cross */
#define DT_STATE_VA  0x20020000ULL   /* register images in/out, host rsp */
#define DT_GUEST_RAM (0x20100000ULL) /* guest RAM covers all of the above */

/* Layout of the code page (native.c builds it, vmside.c places the
 * instruction at the same address so that pushed return addresses and
 * RIP agree):
 *   +0x000  stub: load the state, jump to the instruction
 *   +0x400  the instruction under test (DT_INSN_VA)
 *   next    "fall-through" block: record RIP = next, jump to the epilogue
 *   target  "taken" block (branches only): record RIP = target, same jump
 *   +0x800  epilogue: store registers and RFLAGS
 * A block is DT_BLOCK_LEN bytes; the rest of the page is INT3, so a branch
 * that lands anywhere else shows up as #BP. */
#define DT_INSN_VA   (DT_CODE_VA + 0x400)
#define DT_EPI_VA    (DT_CODE_VA + 0x800)
#define DT_BLOCK_LEN 17u

struct dt_state {
	u64 gpr[16];
	u64 rflags;
	u64 rip; /* where execution continued (absolute) */
	int exc; /* -1 none, else the exception vector */
	u8 data[DT_DATA_LEN];
};

/* One encoded test case. */
struct dt_case {
	int form;
	unsigned mode; /* 64 or 32 */
	u8 bytes[15];
	unsigned len;
	unsigned osize;	  /* operand size the bytes select (1 for byte forms) */
	unsigned asize;	  /* address size the bytes select (4 with a 67 prefix) */
	u64 target;	  /* a branch's taken target (absolute), 0 when none */
	unsigned imm_off; /* offset of the first immediate byte in bytes[] */
	bool rep;	  /* an F2/F3 prefix is present */
	struct dt_state in;
};

/* encode.c */
bool dt_form_testable(int form, unsigned mode, const char **why);
bool dt_encode(struct dt_case *tc, u64 *rng);
u64 dt_rand(u64 *rng);
/* Flags the SDM leaves undefined after this form (mask of FL_*); with
 * DT_RESULT_UNDEFINED the destination's value is undefined too. */
#define DT_RESULT_UNDEFINED BIT(63)
u64 dt_undefined_flags(int form, const struct dt_case *tc);
bool dt_mask_memory(const struct dt_case *tc, const struct dt_state *host, struct dt_state *ours);

/* setup.c: per-form starting state (pointers into the data area, branch
 * targets, stack contents); called by dt_encode once the bytes are known. */
bool dt_setup(struct dt_case *tc, u64 *rng, int rm, bool mem, u64 ea);
u64 dt_interesting(u64 *rng);
bool dt_form_has(int form, int kind);

/* native.c: run on the host; out gets registers, flags, memory, exception. */
int dt_native_init(void);
void dt_native_run(const struct dt_case *tc, struct dt_state *out);
/* Can this host run code in a compatibility-mode segment (selector 0x23)? */
bool dt_native_compat_works(void);

/* vmside.c: run one instruction in vmlab. */
int dt_vm_init(void);
void dt_vm_run(const struct dt_case *tc, struct dt_state *out);

#endif
