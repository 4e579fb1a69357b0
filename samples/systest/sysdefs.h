/*
 * sysdefs.h - samples/systest: selectors and addresses shared by the C and
 * the assembly of the 64-bit system test kernel (no C in here).
 */
#ifndef SAMPLES_SYSTEST_SYSDEFS_H
#define SAMPLES_SYSTEST_SYSDEFS_H

/*
 * GDT layout (SDM Vol 3 §3.4.5).  The user selectors follow the orders
 * SYSRET and SYSEXIT impose (SDM Vol 2 SYSRET, SYSEXIT):
 *   SYSENTER_CS = 0x08: kernel CS 0x08, SS 0x10; SYSEXIT64 CS 0x28, SS 0x30
 *   STAR[63:48]  = 0x18: SYSRET64 CS 0x18+16 = 0x28, SS 0x18+8 = 0x20
 */
#define K_CS	  0x08 /* 64-bit code, DPL 0 */
#define K_DS	  0x10 /* data, DPL 0 */
#define U_CS32	  0x18 /* 32-bit code, DPL 3 (compatibility mode) */
#define U_DS	  0x20 /* data, DPL 3 */
#define U_CS64	  0x28 /* 64-bit code, DPL 3 */
#define U_DS2	  0x30 /* data, DPL 3 (SYSEXIT's SS) */
#define K_CS32	  0x38 /* 32-bit code, DPL 0 */
#define TSS_SEL	  0x40 /* 64-bit TSS (16 bytes) */
#define CG3_SEL	  0x50 /* 64-bit call gate, DPL 3 -> K_CS:callgate_target */
#define NP_SEL	  0x60 /* data, DPL 0, not present */
#define CG0_SEL	  0x68 /* 64-bit call gate, DPL 0 (16 bytes) */
#define GDT_BYTES 0x78 /* selectors >= this are beyond the limit */

/* Linear layout: 0..1 GiB identity (supervisor, 2 MiB pages); at 1 GiB an
 * alias of physical 0..2 MiB with U = 1 (where user code runs); at 1 GiB +
 * 2 MiB the test page table (4 KiB pages the tests rewrite). */
#define USER_ALIAS 0x40000000
#define TEST_VA	   0x40200000
#define UNMAPPED   0x40400000
#define U(p)	   ((uint64_t)(uintptr_t)(p) + USER_ALIAS)

#define USER_ALIAS_LO 0x40000000

#endif
