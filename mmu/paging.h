/*
 * paging.h - the page walkers: linear address -> physical address, or a
 * page-fault description (SDM Vol 3 ch. 4 "Paging").
 *
 * mmu/ knows nothing of struct cpu (DESIGN.md §2).  A walk gets
 *   - a paging context (struct pg_ctx): the control registers that select
 *     and shape paging (CR0.PG/WP, CR3, CR4.PSE/PAE/PGE/PCIDE/SMEP/SMAP,
 *     EFER.LMA/NXE), CPL and EFLAGS.AC;
 *   - a way to read and write paging-structure entries by physical address
 *     (struct pg_mem: function pointers + opaque).  For the CPU "physical"
 *     is the bus; for the hypervisor's shadow and nested (2-D) walks it is
 *     guest-physical memory, which may itself need a translation;
 *   - the linear address, the kind of access (read / write / fetch) and
 *     whether it is an implicit supervisor access (descriptor tables, TSS,
 *     IDT: SDM Vol 3 §4.6 "supervisor-mode access ... implicit").
 * It returns a struct pg_walk: the physical address, the page size, the
 * effective rights of the whole walk, the memory-type bits, every entry it
 * visited (the monitor's `pt` command prints them level by level) and the
 * number of paging-structure memory references it made -- or, when the
 * access is not allowed, the page-fault error code (SDM Vol 3 §4.7).
 *
 * Supported: no paging, 32-bit paging (4 KiB; 4 MiB pages with CR4.PSE,
 * including PSE-36 high address bits), PAE paging (4 KiB, 2 MiB) and 4-level
 * paging (4 KiB, 2 MiB, 1 GiB).  Not supported (yet): 5-level paging
 * (CR4.LA57), protection keys (CR4.PKE: the PK error bit is always 0),
 * shadow stacks (SS bit always 0), HLAT.
 *
 * MAXPHYADDR is MMU_MAXPHYADDR (40) unless the context says otherwise: the
 * same value CPUID 80000008H:EAX[7:0] reports (cpu/cpuid.h CPUID_MAXPHYADDR).
 * Address bits at or above it in a paging-structure entry are reserved
 * and fault with RSVD=1.
 */
#ifndef VMLAB_MMU_PAGING_H
#define VMLAB_MMU_PAGING_H

#include "lib/common.h"

/* Physical-address width of the modelled processor (CPUID 80000008H). */
#define MMU_MAXPHYADDR 40

/* The kind of access.  Same values as enum mem_access in cpu/mem.h. */
enum pg_access { PG_READ = 0, PG_WRITE = 1, PG_FETCH = 2 };

/* Page-fault error code bits (SDM Vol 3 §4.7, Figure 4-12). */
enum {
	PFEC_P = BIT(0),    /* 0: not-present page; 1: protection violation */
	PFEC_W = BIT(1),    /* the access was a write */
	PFEC_U = BIT(2),    /* user-mode access (CPL 3, not implicit supervisor) */
	PFEC_RSVD = BIT(3), /* a reserved bit was set in some entry */
	PFEC_I = BIT(4),    /* instruction fetch (only with NXE&PAE or SMEP) */
	PFEC_PK = BIT(5),   /* protection key (never: PKE unsupported) */
	PFEC_SS = BIT(6),   /* shadow-stack access (never) */
};

/* Bits of a paging-structure entry (SDM Vol 3 Tables 4-4 .. 4-20). */
enum {
	PTE_P = BIT(0),
	PTE_RW = BIT(1),
	PTE_US = BIT(2),
	PTE_PWT = BIT(3),
	PTE_PCD = BIT(4),
	PTE_A = BIT(5),
	PTE_D = BIT(6),
	PTE_PS = BIT(7), /* PAT in a 4 KiB PTE */
	PTE_G = BIT(8),
	PTE_PAT_LARGE = BIT(12),
	PTE_XD = BIT(63),
};

/* Which paging mode the control registers select (SDM Vol 3 §4.1.1, Table 4-1). */
enum pg_mode { PG_MODE_NONE, PG_MODE_32, PG_MODE_PAE, PG_MODE_4LEVEL };
extern const char *const pg_mode_name[4];

/*
 * Paging-structure memory.  read() stores the `size`-byte (4 or 8) entry at
 * physical address pa in *val and returns true; false means the entry could
 * not be read at all (e.g. a nested-paging violation in the hypervisor's 2-D
 * walk) and makes the walk fail with PG_WALK_MEMFAULT.  write() stores an
 * entry back (only to set accessed/dirty bits).  Entries are naturally
 * aligned and never cross a page.
 */
struct pg_mem {
	bool (*read)(void *opaque, u64 pa, unsigned size, u64 *val);
	bool (*write)(void *opaque, u64 pa, unsigned size, u64 val);
	void *opaque;
};

/* Everything a walk needs to know about the processor. */
struct pg_ctx {
	u64 cr0, cr3, cr4, efer;
	u8 cpl;
	bool ac;       /* EFLAGS.AC (SMAP override for explicit accesses) */
	u8 maxphyaddr; /* 0 = MMU_MAXPHYADDR */
	const struct pg_mem *mem;
	u64 refs;  /* cumulative paging-structure references (reads + A/D writes) */
	u64 walks; /* cumulative number of walks */
};

/* Walk flags. */
enum {
	PG_SYS = BIT(0),   /* implicit supervisor access (GDT/LDT/IDT/TSS) */
	PG_DEBUG = BIT(1), /* no rights check, no A/D update (monitor, debugger) */
};

/*
 * The rights classes of an access.  SMAP makes a supervisor access depend
 * on EFLAGS.AC and on whether the access is explicit, so the class is one of
 * three; the TLB keeps one permission bit per (class, kind) pair.
 */
enum pg_class {
	PG_CLASS_USER = 0,   /* CPL 3, explicit */
	PG_CLASS_SUP_AC = 1, /* CPL < 3, explicit, EFLAGS.AC = 1 */
	PG_CLASS_SUP = 2,    /* CPL < 3 explicit with AC = 0, or any implicit access */
};
/* Permission bit for (class, kind) in a rights mask. */
#define PG_PERM(cls, kind) (1u << ((cls)*3 + (kind)))
#define PG_PERM_ALL	   0x1ffu

/* One paging-structure entry the walk used. */
struct pg_step {
	u8 level; /* SDM numbering: 4 PML4E, 3 PDPTE, 2 PDE, 1 PTE */
	u64 addr; /* physical address of the entry */
	u64 val;  /* its value (after any A/D update) */
};

enum pg_status {
	PG_WALK_OK = 0,
	PG_WALK_FAULT,	  /* page fault: see err */
	PG_WALK_MEMFAULT, /* pg_mem.read failed on steps[nsteps].addr */
};

/* The result of a walk. */
struct pg_walk {
	enum pg_status status;
	enum pg_mode mode;
	u64 lin;
	u64 pa;	       /* physical address of lin (valid when OK) */
	u64 page_size; /* 4 KiB, 2 MiB, 4 MiB or 1 GiB */
	bool user;     /* U/S = 1 at every level: a user-mode page */
	bool writable; /* R/W = 1 at every level */
	bool nx;       /* execute-disable (EFER.NXE and XD at some level) */
	bool global;   /* G in the leaf and CR4.PGE */
	bool dirty;    /* D in the leaf (after this walk's update) */
	u8 memtype;    /* PAT index: PAT << 2 | PCD << 1 | PWT of the leaf */
	u32 err;       /* page-fault error code (PG_WALK_FAULT) */
	unsigned refs; /* paging-structure memory references of this walk */
	int nsteps;
	struct pg_step steps[5];
};

/* The paging mode ctx selects. */
enum pg_mode mmu_mode(const struct pg_ctx *ctx);

/* The rights class of an access. */
enum pg_class mmu_class(const struct pg_ctx *ctx, unsigned flags);

/*
 * The rights mask (PG_PERM bits) of a translation with effective bits
 * user/writable/nx under ctx's CR0.WP, CR4.SMEP/SMAP and EFER.NXE
 * (SDM Vol 3 §4.6.1).  The walker decides with it, and the TLB caches it.
 */
unsigned mmu_rights(const struct pg_ctx *ctx, bool user, bool writable, bool nx);

/*
 * Translate lin for an access of kind acc (flags: PG_SYS, PG_DEBUG).
 * On success sets A in every entry used and D in the leaf for a write
 * (only when the access is allowed, and never with PG_DEBUG).
 * Returns w->status.
 */
enum pg_status mmu_walk(struct pg_ctx *ctx, u64 lin, enum pg_access acc, unsigned flags,
			struct pg_walk *w);

/*
 * PAE paging: check the four PDPTEs that MOV CR3 (or a CR0/CR4 write that
 * enables PAE paging) would load from `cr3` (SDM Vol 3 §4.4.1): false when a
 * present one has a reserved bit set -- the MOV must then raise #GP(0).
 * vmlab does not keep PDPTE registers: the walker re-reads the PDPTEs on
 * every walk (a guest that edits its PDPT without reloading CR3 sees the
 * edit at once, where hardware would keep the old values until the next CR3
 * load; a present PDPTE with reserved bits then faults with RSVD).
 */
bool mmu_pae_pdptes_ok(struct pg_ctx *ctx, u64 cr3);

/* Human-readable flags of an entry for the monitor ("P W U A D PS G XD"). */
void mmu_format_entry(u64 val, int level, enum pg_mode mode, char *buf, size_t len);

#endif
