/*
 * sysdefs32.h - samples/systest: selectors and addresses shared by the C
 * and the assembly of the 32-bit system test kernel (systest32; no C here).
 *
 * GDT layout (SDM Vol 3 §3.4.5).  SYSENTER/SYSEXIT fix the order of the
 * first four (SDM Vol 2 SYSENTER, SYSEXIT with SYSENTER_CS = 0x08):
 *   SYSENTER: CS = 0x08, SS = 0x10;  SYSEXIT: CS = 0x18|3, SS = 0x20|3.
 */
#ifndef SAMPLES_SYSTEST_SYSDEFS32_H
#define SAMPLES_SYSTEST_SYSDEFS32_H

#define K_CS	  0x08 /* 32-bit code, DPL 0, flat */
#define K_DS	  0x10 /* data, DPL 0, flat */
#define U_CS	  0x18 /* 32-bit code, DPL 3, flat */
#define U_DS	  0x20 /* data, DPL 3, flat */
#define TSS_SEL	  0x28 /* 32-bit TSS with an I/O permission bitmap */
#define CG3_SEL	  0x30 /* 32-bit call gate, DPL 3, 2 parameters -> K_CS:cg_target */
#define NP_SEL	  0x38 /* data, DPL 0, not present */
#define ED_SEL	  0x40 /* expand-down data, DPL 0, B = 1, limit 0xfff */
#define LIM_SEL	  0x48 /* data, DPL 0, byte-granular limit 0xfff */
#define LDT_SEL	  0x50 /* LDT descriptor (type 2), DPL 0 */
#define K1_CS	  0x58 /* 32-bit code, DPL 1 */
#define K1_DS	  0x60 /* data, DPL 1 */
#define XO_CS	  0x68 /* execute-only code, DPL 0 */
#define CF_CS	  0x70 /* conforming execute/read code, DPL 0 */
#define RO_DS	  0x78 /* read-only data, DPL 3 */
#define CG0_SEL	  0x80 /* 32-bit call gate, DPL 0 */
#define EDS_SEL	  0x88 /* expand-down data, DPL 0, B = 0 (upper bound 0xffff) */
#define ITG_SEL	  0x90 /* 32-bit interrupt gate in the GDT (LAR: type 0xE) */
#define GDT_BYTES 0x98 /* selectors >= this are beyond the limit */

/* LDT selectors (TI = 1). */
#define LDT_DS 0x04 /* LDT entry 0: data, DPL 0, base 0x1000 */
#define LDT_U  0x0f /* LDT entry 1: data, DPL 3, flat (RPL 3) */

/* Vectors the tests install beyond the exceptions. */
#define VEC_U3	0x40 /* interrupt gate DPL 3 */
#define VEC_U0	0x41 /* interrupt gate DPL 0: INT 0x41 at CPL 3 is #GP */
#define IDT_LEN 0x42

/* Linear layout with paging on: 0..64 MiB identity (supervisor, 4 MiB
 * pages), at 1 GiB a user alias of 0..4 MiB, at 1 GiB + 4 MiB the test page
 * table (4 KiB pages the tests rewrite). */
#define USER_ALIAS 0x40000000
#define TEST_VA	   0x40400000
#define UNMAPPED   0x40800000

#endif
