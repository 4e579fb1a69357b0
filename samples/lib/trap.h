/*
 * trap.h - a minimal 64-bit IDT for sample guests: the 32 exception vectors
 * go to one C dispatcher, which a sample can hook.
 */
#ifndef SAMPLES_LIB_TRAP_H
#define SAMPLES_LIB_TRAP_H

#include <stdint.h>

/*
 * What trap64.S saves, lowest address first.  The last five fields are the
 * frame the CPU itself pushes in 64-bit mode (SDM Vol. 3A 6.14.2 "64-Bit
 * Mode Stack Frame"); `error` is the CPU's error code or a 0 we push for
 * vectors without one, so every frame has the same shape.
 */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

/* A hook returns 1 to resume the interrupted code (IRETQ), 0 to die. */
typedef int (*trap_hook)(struct trap_frame *f);

/* Load an IDT with interrupt gates for vectors 0..31 (LIDT). */
void trap_init(void);
void trap_set_hook(trap_hook h);
/* "#UD", "#GP" ... (SDM Vol. 3A Table 6-1), or "#??" */
const char *trap_name(unsigned vector);

/* Called from trap64.S only. */
void trap_dispatch(struct trap_frame *f);

#endif
