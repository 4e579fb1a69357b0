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

#define DT_CODE_VA  0x20000000ULL /* the test instruction and the stub */
#define DT_DATA_VA  0x20010000ULL /* memory operands point here */
#define DT_DATA_LEN 0x2000ULL     /* two pages: accesses may cross */
#define DT_STATE_VA 0x20020000ULL /* register images in/out, host rsp */
#define DT_GUEST_RAM (0x20100000ULL) /* guest RAM covers all of the above */

struct dt_state {
	u64 gpr[16];
	u64 rflags;
	int exc;      /* -1 none, else the exception vector */
	u8 data[DT_DATA_LEN];
};

/* One encoded test case. */
struct dt_case {
	int form;
	unsigned mode; /* 64 or 32 */
	u8 bytes[15];
	unsigned len;
	unsigned osize; /* operand size the bytes select (1 for byte forms) */
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

/* native.c: run on the host; out gets registers, flags, memory, exception. */
int dt_native_init(void);
void dt_native_run(const struct dt_case *tc, struct dt_state *out);
/* Can this host run code in a compatibility-mode segment (selector 0x23)? */
bool dt_native_compat_works(void);

/* vmside.c: run one instruction in vmlab. */
int dt_vm_init(void);
void dt_vm_run(const struct dt_case *tc, struct dt_state *out);

#endif
