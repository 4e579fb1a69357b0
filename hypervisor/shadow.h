/*
 * shadow.h - shadow descriptors for ring compression (SDM Vol 3 §3.4.5
 * "Segment Descriptors", §5.5 "Privilege Levels"): the guest's GDT entries
 * as the VMM lets the real CPU see them.
 */
#ifndef VMLAB_HYPERVISOR_SHADOW_H
#define VMLAB_HYPERVISOR_SHADOW_H

#include "lib/common.h"

/* The VMM's reserved region of physical memory, above anything the guest
 * owns: the top 16 MiB of the 4 GiB space, above the I/O APIC (0xFEC00000)
 * and the local APIC (0xFEE00000), which the guest must still reach, and
 * in its own 4 MiB page-directory slot (0x3FC).  Guest segments are
 * truncated below it, so the guest cannot reach it (the classic VMware
 * layout: the VMM lives in the top of every address space).  The price:
 * the guest cannot address the BIOS flash alias at 0xFFFF0000 either. */
#define VMM_AREA_BASE	    0xFF000000ULL
#define VMM_GDT_OFF	    0x0	    /* shadow GDT: 8192 descriptors */
#define VMM_TSS_OFF	    0x10000 /* the VMM's TSS (no I/O bitmap: all ports trap) */
#define VMM_IDT_OFF	    0x11000 /* the VMM's IDT: 256 DPL-0 gates */
#define VMM_SPT_PD_OFF	    0x12000 /* unused since the shadow cache (shadow_pt.h) */
#define VMM_SPT_AREA_PT_OFF 0x13000 /* page table mapping this region itself */
#define VMM_SPT_POOL_OFF    0x14000 /* shadow pages (shadow_pt.h), 4 KiB each */
#define VMM_SPT_POOL_N	    256	    /* directories and tables of every cached shadow */
#define VMM_LDT_OFF	    (VMM_SPT_POOL_OFF + VMM_SPT_POOL_N * 4096) /* shadow LDT */
#define VMM_LDT_SIZE	    0x10000 /* 8192 descriptors, the most a selector names */
#define VMM_AREA_SIZE	    (VMM_LDT_OFF + VMM_LDT_SIZE)
/* The last GDT slot is the VMM's TSS descriptor. */
#define VMM_TSS_SEL 0xfff8

/*
 * The shadow of one guest descriptor d:
 *   - code/data descriptors with DPL 0 get DPL 1 (the guest kernel runs at
 *     ring 1, and must still be allowed to load its own segments);
 *   - the limit of an expand-up segment that would reach `vmm_base` is
 *     truncated below it, so the guest cannot address the VMM's region;
 *   - system descriptors (TSS, LDT, gates) are marked not present: the real
 *     CPU never uses the guest's -- the VMM emulates LTR/LLDT.
 */
u64 shadow_desc(u64 d, u64 vmm_base);

/* Byte-granular limit of a descriptor after truncation (for tests). */
u32 shadow_desc_limit(u64 d);

#endif
