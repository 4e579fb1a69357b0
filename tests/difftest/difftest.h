/*
 * difftest.h - the host-CPU differential tester's shared definitions.
 *
 * The oracle is the host processor: each instruction form of the ISA table is
 * encoded with random operands, run natively (native.c) and in vmlab
 * (vmside.c) from the same random register and memory state, and every
 * register, the touched memory and every flag the SDM defines must agree.
 * For 32-bit forms on a host that cannot run compatibility-mode code, the
 * oracle is QEMU user mode instead (qemu32.c driving oracle32.c), with its
 * known deviations from the SDM listed in qemu32.known (known.c).
 *
 * The fixed addresses and the code page's layout are in layout.h, which the
 * 32-bit QEMU oracle (oracle32.c, built with gcc -m32) shares.
 */
#ifndef VMLAB_TESTS_DIFFTEST_H
#define VMLAB_TESTS_DIFFTEST_H

#include "lib/common.h"

#include "tests/difftest/layout.h"

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
	bool mem;	  /* the ModRM operand is memory */
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

/* qemu32.c: the 32-bit oracle when the host cannot run compatibility-mode
 * code: oracle32.c under qemu-i386.  Init returns -1 and a reason in why. */
int dt_qemu_init(char *why, size_t n);
void dt_qemu_run(const struct dt_case *tc, struct dt_state *out);

/* known.c: where the QEMU oracle is known to differ from the SDM
 * (tests/difftest/qemu32.known).  Load applies the entries only when
 * active (the QEMU oracle is in use).  Excuse: true when an entry excuses
 * this differing case outright; else *flags / *regs (bit per register)
 * name what an entry says not to compare, 0 when none applies. */
int dt_known_load(const char *path, bool active);
bool dt_known_excuse(const struct dt_case *tc, const struct dt_state *host,
		     const struct dt_state *ours, u64 *flags, u32 *regs);
void dt_known_report(void);

/* vmside.c: run one instruction in vmlab.  32-bit cases run in
 * compatibility mode (long mode, CS.L = 0: what the native oracle runs)
 * or, with legacy32, in 32-bit protected mode without long mode (what
 * qemu-i386 emulates: a Linux i386 process). */
int dt_vm_init(void);
void dt_vm_set_legacy32(bool legacy32);
void dt_vm_run(const struct dt_case *tc, struct dt_state *out);

#endif
