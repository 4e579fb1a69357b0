/*
 * lab02.h - lab 02 (traps): what the lab's files share.
 *
 * The kernel boots like samples/hello (samples/lib/start32.S takes it to
 * 64-bit mode and calls sample_main in main.c).  Vectors 0-31 are the
 * CPU's exceptions, 32-47 the two 8259 PICs' IRQ 0-15 after remapping,
 * 128 (0x80) the system call.  Intel SDM Vol. 3A chapter 6 throughout.
 */
#ifndef LABS_02_TRAPS_LAB02_H
#define LABS_02_TRAPS_LAB02_H

#include <stdint.h>

#define VEC_IRQ0    0x20 /* PIC master: IRQ 0-7 -> vectors 0x20-0x27 */
#define VEC_IRQ8    0x28 /* PIC slave: IRQ 8-15 -> vectors 0x28-0x2f */
#define VEC_SYSCALL 0x80

/* Selectors of the GDT built in user.c (index * 8 | RPL). */
#define KERNEL_CS 0x08
#define KERNEL_DS 0x10
#define USER_DS	  0x1b /* 0x18 | RPL 3 */
#define USER_CS	  0x23 /* 0x20 | RPL 3 */
#define TSS_SEL	  0x28

/* System call numbers (RAX at INT 0x80; arguments in RDI, RSI). */
#define SYS_WRITE  1 /* write(buf, len): print len bytes */
#define SYS_EXIT   2 /* exit(status): back to the kernel for good */
#define SYS_GETCPL 3 /* getcpl(): the privilege level of the caller */

/*
 * The stack frame stubs.S builds, lowest address first: the registers it
 * saves, the vector, the error code (0 when the CPU pushes none), then the
 * five words the CPU pushes in 64-bit mode (SDM 6.14.2).  A handler may
 * change any field; IRETQ resumes from the result.
 */
struct frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

/* stubs.S */
extern const uint64_t lab02_stubs[256]; /* entry address per vector, 0 = none */
/* Run entry(…) at CPL 3 on user_rsp; returns the status given to
 * user_return (called by the kernel at SYS_EXIT). */
int enter_user(void (*entry)(void), uint64_t user_rsp);
void user_return(int status) __attribute__((noreturn));

/* idt.c */
void idt_set_gate(int vector, uint64_t handler, int dpl);
void idt_init(void);

/* pic.c */
void pic_init(void);
void pit_init(unsigned hz);
void pic_eoi(int irq);

/* traps.c */
void lab02_trap(struct frame *f); /* called by stubs.S */
extern volatile unsigned timer_ticks, timer_vector;
extern volatile uint64_t fault_rip, resume_rip; /* set by the tests */
extern volatile unsigned faults_seen;

/* user.c */
void user_init(void);
int user_run(void);

#endif
