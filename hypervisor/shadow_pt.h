/*
 * shadow_pt.h - the trap-and-emulate VMM's cache of shadow page tables for
 * 32-bit guests (SDM Vol 3 §4.3 "32-bit paging"; PAE shadows, §4.4, are
 * shadow_pae.c's, in the same pool and cache; Adams & Agesen,
 * ASPLOS 2006 §2.3 "traces"; the VMware/Xen "shadow cache" design).
 *
 * Vocabulary:
 *   shadow page   a 4 KiB page of the VMM's pool (shadow.h VMM_SPT_POOL_*)
 *                 holding a shadow page DIRECTORY (one per cached address
 *                 space, keyed by the guest's CR3) or a shadow page TABLE
 *                 (one per present slot of a shadow directory);
 *   source frame  the guest-physical frame a shadow page was built from:
 *                 the guest's directory (the CR3 frame) or the guest's page
 *                 table the guest PDE points to;
 *   traced frame  a source frame of at least one shadow page.  Every shadow
 *                 PTE that maps it is read-only, so a guest write to its own
 *                 page tables faults into the VMM, which performs the write
 *                 and zaps the shadow entries built from the old value in
 *                 EVERY cached shadow (a counted `sync`).  That keeps all
 *                 cached shadows coherent, so a CR3 write just switches.
 *
 * shadow_pt.c owns the pool, the cache and the traces; vmm_paging.c owns
 * the guest walk and the faults (hidden / true / trace-write).
 */
#ifndef VMLAB_HYPERVISOR_SHADOW_PT_H
#define VMLAB_HYPERVISOR_SHADOW_PT_H

#include "hypervisor/shadow.h"
#include "lib/common.h"

struct vmm;
struct cpu;

/* 32-bit paging entry bits (SDM Vol 3 Tables 4-5, 4-6). */
#define PTE_P  (1u << 0)
#define PTE_W  (1u << 1)
#define PTE_U  (1u << 2)
#define PTE_A  (1u << 5)
#define PTE_D  (1u << 6)
#define PDE_PS (1u << 7)

/* The shadow directory's slot for the VMM's own region: the guest's
 * truncated segments cannot reach VMM_AREA_BASE and up. */
#define VMM_PDE ((u32)(VMM_AREA_BASE >> 22))

#define SPT_CACHE_MAX 8		  /* cached shadow directories (address spaces) */
#define SPT_MAX_CPUS  64	  /* CONFIG_MAX_CPUS: one active directory each */
#define SPT_NO_FRAME  0xffffffffu /* a shadow PT for a guest 4 MiB page */

/* SPT_PD is the root of a shadow: a 32-bit page directory, or (mode
 * SPT_MODE_PAE) a page holding the 4-entry shadow PDPT at offset 0.  The
 * PAE levels below it (shadow_pae.c) are SPT_PAE_PD (owner: the root, slot:
 * the PDPT index) and SPT_PAE_PT (owner: its SPT_PAE_PD, slot: the PD
 * index), 512 8-byte entries each. */
enum spt_kind { SPT_FREE, SPT_PD, SPT_PT, SPT_PAE_PD, SPT_PAE_PT };

/* TRACE_SHADOW a0 (the event's text names it too; 0 is shadow.c's GDT). */
enum spt_event {
	SPT_EV_FLUSH = 1,  /* every shadow dropped */
	SPT_EV_FILL,	   /* hidden fault: an entry filled */
	SPT_EV_TRUE,	   /* true fault: reflected */
	SPT_EV_HIT,	   /* CR3 switch to a cached shadow */
	SPT_EV_MISS,	   /* CR3 switch: a new shadow */
	SPT_EV_EVICT,	   /* a cached shadow dropped (LRU) */
	SPT_EV_SYNC,	   /* a shadow entry zapped: its guest entry changed */
	SPT_EV_PROTECT,	   /* a newly traced frame lost W in the shadows */
	SPT_EV_TRACE_WRITE /* a guest write to a traced page, performed */
};

/* What the VMM knows about one page of the pool (host memory only: the
 * guest can never see or change this). */
struct spt_page {
	u8 kind;   /* enum spt_kind */
	u32 frame; /* source frame (guest-physical >> 12), or SPT_NO_FRAME */
	u32 cr3;   /* PD: the guest CR3 (page-aligned) it shadows: the cache key */
	u8 mode;   /* PD: ... and the walk rules it was built under (SPT_MODE_*) */
	u16 owner; /* PT: the pool index of its directory */
	u16 slot;  /* PT: its PDE index in that directory */
	u64 used;  /* PD: last switched to (LRU clock) */
};

struct spt {
	struct spt_page page[VMM_SPT_POOL_N];
	u32 nframes; /* guest RAM frames */
	u16 *traced; /* [nframes] shadow pages whose source is this frame */
	u8 *wmapped; /* [nframes] some shadow PTE may map it writable */
	int active;  /* pool index of the directory in the CURRENT CPU's real CR3, or -1 */
	/* SMP (vmm.h "SMP"): the cache is SHARED by the vCPUs; each real CPU
	 * has its own active directory.  `active` is the current CPU's (the
	 * world switch saves it in cpu_active[cur] and loads the next one's);
	 * a directory active on any CPU is never evicted or freed, and a zap
	 * in it flushes the soft TLB of every CPU that has it in its CR3. */
	int cur;		      /* the CPU whose directory `active` is */
	int cpu_active[SPT_MAX_CPUS]; /* the other CPUs' (valid for j != cur) */
	unsigned npd;		      /* cached directories */
	u64 clock;
	u32 snap[4][1024]; /* trace writes: the guest tables before the write */
};

/*
 * One linear address seen both ways (the monitor's `pt`): the guest's walk
 * through its own tables and the real CPU's through the shadow, and why
 * they differ.
 */
struct spt_view {
	u32 lin;
	/* The guest's walk (guest-physical addresses). */
	u32 gcr3, gpde_pa, gpde, gpte_pa, gpte;
	bool g_has_pte, g_ok;
	u32 g_pa, g_err; /* the page, or the #PF error code of a read at CPL 0 */
	bool g_w, g_u;	 /* rights the guest grants (PDE & PTE) */
	/* The shadow's walk (real-physical addresses, in the VMM's region). */
	u32 scr3, spde_pa, spde, spte_pa, spte;
	bool s_has_pte, s_ok;
	u32 s_pa;
	/* Where they differ, in words. */
	int differs; /* 0 none, 1 PDE level, 2 PTE level */
	char why[200];
	/* The cache, for the header line. */
	unsigned cached, pool_used;
	bool traced; /* the guest page is a traced page-table frame */
};

/* The walk rules a shadow directory was built under (the cache key with
 * the CR3): CR0.WP and CR4.PSE of the vCPU that switched to it. */
#define SPT_MODE_WP  1
#define SPT_MODE_PSE 2
#define SPT_MODE_PAE 4 /* CR4.PAE: a PAE shadow (shadow_pae.c) */

/* PAE shadows (SDM Vol 3 §4.4): the VMM's region is one 2 MiB slot of the
 * fourth page directory, mapped by a PAE page table of its own (in the
 * area's spare page, VMM_SPT_PD_OFF, unused since the shadow cache). */
#define VMM_SPT_AREA_PAE_PT_OFF VMM_SPT_PD_OFF
#define VMM_PAE_PDPTE		((u32)(VMM_AREA_BASE >> 30))	     /* 3 */
#define VMM_PAE_PDE		((u32)(VMM_AREA_BASE >> 21) & 0x1ff) /* 0x1f8 */
#define PAE_ADDR		0x000ffffffffff000ULL		     /* the frame field */
#define PTE_XD			(1ULL << 63)			     /* PAE: execute-disable */

/*
 * The guest's own walk (shadow_pae.c: the MMU's walker, mmu/paging.c, over
 * guest-physical memory with the virtual CR0/CR3/CR4 and the guest's EFER:
 * 32-bit and PAE paging, PSE, NX, WP, SMEP/SMAP, reserved bits, A/D).
 * (A separate file because mmu/paging.h and cpu/insn.h both name an enum
 * pg_class.)
 */
enum spt_acc { SPT_READ = 0, SPT_WRITE = 1, SPT_FETCH = 2 }; /* = enum pg_access */
struct spt_gwalk {
	u64 pa;				/* guest-physical address of lin */
	bool user, writable, nx, dirty; /* rights of the whole walk; D of the leaf */
	u32 pdf, ptf;			/* source frames: the PAE PD, the PT (SPT_NO_FRAME: none) */
};
/* Walk lin for an access of kind acc, as CPL 3 (user) or supervisor, with
 * EFLAGS.AC = ac; sys: an implicit supervisor access; set_ad: update A/D
 * as the hardware would.  False: a fault, *gerr the #PF error code. */
bool spt_guest_walk(struct vmm *m, u32 lin, enum spt_acc acc, bool user, bool ac, bool sys,
		    bool set_ad, struct spt_gwalk *g, u32 *gerr);

/* Create/destroy the cache for a guest of mem_size bytes. */
struct spt *spt_create(u64 mem_size);
void spt_destroy(struct spt *s);

/* The host view and the real-physical address of pool page k. */
u32 *spt_table(struct vmm *m, int k);
u32 spt_page_pa(int k);
/* The pool page a shadow PDE points to, or -1. */
int spt_page_of(u32 spde);

/* The world switch (vmm_smp.c): CPU `cpu` becomes the current one. */
void spt_cpu_switch(struct spt *s, int cpu);
/* CPU `cpu` stops paging through the cache (INIT, CR0.PG = 0). */
void spt_cpu_release(struct spt *s, int cpu);
/* Drop every shadow page no other CPU is using (CR0.PG/WP, CR4.PSE/PGE
 * changes, enable); the others' directories stay, coherent by traces. */
void spt_drop_all(struct vmm *m, struct cpu *c);
/* Make the shadow of guest CR3 `cr3` the real CR3: a cached one (hit) or a
 * new, empty one (miss; the least recently used is evicted when full). */
void spt_switch(struct vmm *m, struct cpu *c, u32 cr3);
/* The active shadow's page table for lin, built from guest frame `frame`
 * (SPT_NO_FRAME for a 4 MiB guest page) with a new one made if needed. */
u32 *spt_pt_for(struct vmm *m, struct cpu *c, u32 lin, u32 frame);
/* Is guest frame f traced (holds a guest table some shadow is built from)? */
bool spt_is_traced(const struct vmm *m, u32 f);
/* Note that a shadow PTE maps guest frame f writable. */
void spt_note_writable(struct vmm *m, u32 f);
/*
 * The guest entry at guest-physical pa (4-aligned, in a traced frame)
 * changed from old to val: zap the shadow entries built from the old value
 * in every cached shadow (a PDE: its shadow page table; a PTE: the entry).
 * A change that only sets A or D keeps them (a shadow entry never grants
 * more than the guest's; A/D are set by the VMM as the walk goes).
 */
void spt_entry_written(struct vmm *m, struct cpu *c, u32 pa, u32 old, u32 val);
/*
 * One shadow leaf entry for lin in the active shadow, either format (a
 * 32-bit PTE widened, or a PAE PTE): false when no shadow page table holds
 * it.  spt_leaf_set stores back into the same slot (which must exist).
 */
bool spt_leaf_get(struct vmm *m, u32 lin, u64 *e);
void spt_leaf_set(struct vmm *m, u32 lin, u64 e);
/* Is the active shadow a PAE one? */
bool spt_active_pae(const struct vmm *m);

/* ---- shared by shadow_pt.c and shadow_pae.c (not for other callers) ---- */
int spt_page_alloc(struct vmm *m, struct cpu *c);
void spt_page_free(struct vmm *m, int k);
void spt_trace_add(struct vmm *m, struct cpu *c, u32 f);
void spt_trace_del(struct vmm *m, u32 f);
void spt_flush_users(struct vmm *m, int pdk, u32 lin, bool all_);
void spt_ev(struct vmm *m, struct cpu *c, u64 addr, int kind, u64 val, const char *what);

/* shadow_pae.c: the PAE shadow of guest CR3 (root pool page k, just made):
 * its PDPT and the fourth PD with the VMM's slot. */
void spt_pae_root_init(struct vmm *m, struct cpu *c, int k);
/* Drop everything below root k but the VMM's slot (a pool flush). */
void spt_pae_root_clear(struct vmm *m, int k);
/* The active PAE shadow's page table for lin: built from guest PD frame
 * pdf and guest PT frame ptf (SPT_NO_FRAME: a 2 MiB guest page). */
u64 *spt_pae_pt_for(struct vmm *m, struct cpu *c, u32 lin, u32 pdf, u32 ptf);
/* Guest entry at pa (a dword of a PAE entry) in traced frame f changed:
 * zap what PAE shadow page k built from it (spt_entry_written's part). */
void spt_pae_entry_written(struct vmm *m, struct cpu *c, int k, u32 pa, u32 val);
/* Drop every writable shadow mapping of frame f from the PAE tables. */
bool spt_pae_unmap_writable(struct vmm *m, u32 f);
/* The active PAE shadow's leaf slot for lin, or NULL. */
u64 *spt_pae_leaf(struct vmm *m, u32 lin);

/* Both walks of lin and why they differ (no side effects). */
void spt_view(struct vmm *m, u32 lin, struct spt_view *v);

#endif
