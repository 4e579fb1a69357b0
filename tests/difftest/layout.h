/*
 * layout.h - the difftest's fixed addresses and code-page layout.
 *
 * Shared by the tester (64-bit, difftest.h) and by the 32-bit oracle program
 * that runs under qemu-i386 (oracle32.c): plain C, no vmlab types, so that
 * it also compiles with gcc -m32.  The pages are mapped at these addresses
 * (MAP_FIXED_NOREPLACE) in the host process and in the oracle, and
 * identity-mapped in the guest's page tables, so that pointers in registers
 * mean the same on every side.
 */
#ifndef VMLAB_TESTS_DIFFTEST_LAYOUT_H
#define VMLAB_TESTS_DIFFTEST_LAYOUT_H

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

/*
 * The 32-bit oracle's wire protocol (qemu32.c <-> oracle32.c over a pair of
 * pipes): one request per case, one reply per request, fixed-size
 * little-endian records of 32-bit fields, so both compilers lay them out
 * alike.  The register order is the SDM's register numbering (EAX ECX EDX
 * EBX ESP EBP ESI EDI).
 */
#include <stdint.h>

#define DT_WIRE_MAGIC 0x33325444u /* "DT23" */

struct dt_wire_req {
	uint32_t magic;
	uint32_t len;	   /* instruction length, 1..15 */
	uint8_t bytes[16]; /* the instruction */
	uint32_t target;   /* a branch's taken target, 0 when none */
	uint32_t gpr[8];
	uint32_t eflags;
	uint8_t data[DT_DATA_LEN];
};

struct dt_wire_reply {
	uint32_t magic;
	uint32_t gpr[8];
	uint32_t eflags;
	uint32_t eip;	 /* where execution continued */
	int32_t exc;	 /* -1 none, else the exception vector */
	uint32_t signo;	 /* the signal that reported it (0 none) */
	uint32_t trapno; /* the trap number in the signal frame */
	uint8_t data[DT_DATA_LEN];
};

#endif
