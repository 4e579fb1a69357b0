/*
 * vmm.h - the trap-and-emulate virtual machine monitor (--virt=trap,
 * DESIGN.md §4; Popek & Goldberg 1974; Adams & Agesen, ASPLOS 2006 §3).
 *
 * The guest kernel runs DEPRIVILEGED on the emulated CPU: ring compression
 * puts guest ring 0 at real ring 1 (guest ring 3 stays at ring 3).  The real
 * CPU runs on the VMM's own GDT (the guest's descriptors shadowed with DPL
 * 0 -> 1 and limits truncated below the VMM's area), the VMM's IDT and TSS,
 * all in a host-reserved region of physical memory above the guest's RAM.
 * The guest's idea of the privileged state lives in struct vcpu.
 *
 * Every privileged instruction the guest kernel executes faults (#GP at
 * CPL 1) and reaches vmm_trap.c through the CPU's hooks.exception -- the one
 * shortcut: the VMM's trap entry is a C callback, not guest-visible code.
 * The VMM decodes the instruction with the same decoder (isa_decode) and
 * emulates it against the vcpu (vmm_emul.c); exceptions the guest causes and
 * interrupts are reflected through the guest's virtual IDT.
 *
 * The holes: PG_CTL/PG_BEH forms (cpu/isa.def) do not trap on x86; each one
 * the guest kernel executes is reported as a `hole` event.  With
 * --cpu=pg-strict they trap too and are emulated: the guest cannot tell.
 *
 * The virtual CPL is re-derived from the real one on every VMM entry (real
 * ring 1 = virtual 0, 3 = 3): a native IRET to ring 3 changes rings without
 * a trap.  INT3/INTO (PG_INNOCUOUS forms) reach the VMM through
 * hooks.intercept, INT n through hooks.sensitive; all three are reflected.
 * samples/vprobe and samples/trap32 (tests/suites/trap.sh) are the proofs;
 * the monitor's `traps` and `vcpu` (monitor/commands_vmm.c) the windows.
 *
 * 32-bit protected-mode guests, without paging or with 32-bit or PAE
 * paging through shadow page tables (vmm_paging.c: hidden/true faults, A/D
 * emulation, CR0.WP = 0, trace writes; shadow_pt.c: shadows cached per
 * guest CR3 and kept coherent by write-protecting ("tracing") the guest's
 * tables; shadow_pae.c: PAE shadows -- the real CPU pages in PAE mode too,
 * for XD -- and the guest's walk, which is the MMU's own walker).
 *
 * The REAL-MODE PHASE (firmware boot, --hda): ring compression needs
 * protected mode -- real mode has no rings to compress, and IN/OUT, CLI,
 * LGDT are all legal there -- so, like VMware's early VMM, which ran real
 * mode in an emulator, vmlab runs the BIOS and the boot sector with
 * --virt=none semantics: native exceptions through the real-mode IVT,
 * the block cache on, no VMM entries.  The VMM only watches CR0: the
 * guest's write that sets CR0.PE (MOV CR0 or LMSW, through
 * hooks.intercept) is performed and then the VMM TAKES OVER on the spot
 * (vmm_trap.c activate()): the virtual CPU starts with the guest's GDTR,
 * IDTR, CR0 and IF; the real CPU gets the VMM's GDT/IDT/TSS; CS keeps its
 * real-mode cache but its RPL becomes 1, so the guest's far jump into its
 * 32-bit code segment (the very next instruction) already runs at ring 1.
 * The other segment registers keep their real-mode caches until the guest
 * reloads them, as on hardware.  A multiboot --kernel starts in protected
 * mode and is taken over at once.
 *
 * The privilege floor (vmm_msr.c): MSRs that name privileged code are
 * virtual.  The real IA32_SYSENTER_CS stays 0, so SYSENTER faults at any
 * ring and is emulated into the guest's handler at ring 1, and SYSEXIT
 * (#GP at CPL 1) back to ring 3; STAR/LSTAR/CSTAR/FMASK/KERNEL_GS_BASE are
 * kept virtual too; FS/GS_BASE writes are re-truncated below the VMM's
 * area, and so are expand-down segments (shadow.c: hidden if they reach
 * it).  The guest's LDT is shadowed like its GDT (vmm_ldt.c).
 *
 * REFUSALS (vmm_refuse): one line "vmlab: vmm: ..." and exit status 10
 * (VM_EXIT_UNSUPPORTED, README), never a fake triple fault: clearing
 * CR0.PE again, long mode (EFER.LME), far transfers to a TSS
 * or task gate (task switches), an access through an expand-down segment
 * that reaches the VMM's area other than a MOV with paging off, and a
 * pg-strict trap the VMM cannot emulate.  Guest ring 3 gets its virtual
 * IOPL and its TSS's I/O permission bitmap (vmm_iopl_allowed).
 * No longer refused (issue 8): guest rings 1 and 2 (compressed to real
 * ring 2, below: vmm_real_ring), call gates and far RET outwards
 * (vmm_gate.c), expand-down segments reaching the VMM's area (shadowed
 * empty, every access emulated: vmm_edseg.c), virtual-8086 mode (entry
 * and exit emulated, the v86 code native at CPL 3: vmm_v86.c), CR0.WP = 0
 * and PAE paging (vmm_paging.c, shadow_pae.c).
 * tests/suites/trap-equiv.sh lists each guest that stops at one.
 *
 * SMP (--smp N, vmm_smp.c): struct vmm keeps ONE struct vcpu (m->v) and
 * ONE reserved area -- the view of the CPU that runs NOW, on which all of
 * the VMM works unchanged -- and a saved WORLD per CPU: its vcpu (virtual
 * IF, halt, CRs, GDTR/IDTR, LDTR/TR, MSRs), whether it is in its real-mode
 * phase or taken over, and the per-CPU parts of the area: the shadow GDT's
 * contents (each CPU has its own guest GDTR), its VMM TSS and TSS
 * descriptor (busy from its take-over), the shadow LDT.  The run loop
 * (vm.c) calls vmm_world_switch before it runs a CPU's slice: the world
 * switch of a real VMM, done where the machine changes CPUs, never inside
 * a VMM entry (the real CPU reads the shadow GDT natively on a segment
 * load).  Each CPU has its own real-mode phase and its own take-over at
 * its own CR0.PE write: the BSP through the BIOS (or at once for a
 * multiboot kernel), each AP after its SIPI in real mode (cpu.wait_for_
 * sipi, vm.c).  An INIT after take-over sends the CPU back to its
 * real-mode phase.  Its virtual IF and HLT gate the interrupt line of its
 * own local APIC (hook_intr_pending asks the machine's line for THAT CPU);
 * the guest's APIC ICR writes (MMIO) are the device model's.
 *
 * SHADOW PAGE TABLES under SMP (shadow_pt.h): the cache is SHARED by the
 * vCPUs, keyed by (guest CR3, CR0.WP, CR4.PSE) -- two CPUs in the same
 * address space page through the same shadow directory -- and each real
 * CPU has its own ACTIVE directory (its real CR3).  A shadow is a cache of
 * the guest's tables, not of anybody's TLB: a traced guest write zaps the
 * shadow entries built from the old value in every cached shadow (shared,
 * so it reaches every vCPU) and flushes the soft TLB of EVERY real CPU
 * whose CR3 holds a zapped directory; a write-protect of a newly traced
 * frame flushes all of them.  INVLPG drops the entry from the shared
 * shadow (over-invalidation is safe) and the own CPU's TLB; a guest TLB
 * shootdown does INVLPG on each CPU anyway.  A directory in some CPU's CR3
 * is never evicted or dropped (a CR0.WP/CR4 change on one CPU drops the
 * others' only when they are idle).  Output equivalence with --virt=none
 * also needs the same round-robin slice order, which emulated instructions
 * respect (they retire in vm->retired).
 *
 * VIRTUAL TIME (issue 8): virtual time is the count of retired guest
 * instructions, so each VMM entry must cost what bare metal pays: an
 * emulated instruction retires once, a hidden #PF nothing, a reflected
 * guest fault one unit of the CPU's slice (cpu_run counts exceptions
 * taken).  A VMM entry ends cpu_run early; the run loop (vm.c run_slice)
 * resumes the same CPU until its slice is spent, so CPUs switch -- and
 * host input is polled -- at the same retired instruction as under
 * --virt=none; its idle test reads the virtual IF.  tests/trap/bisect.sh
 * finds the first event that lands elsewhere.  The block cache ends a
 * slice where the reference interpreter does (cpu_run gives block_run the
 * rest of the slice with the exceptions taken counted), so the block cache
 * on or off gives the same slices too (tests/unit/test_vm_slice.c).
 */
#ifndef VMLAB_HYPERVISOR_VMM_H
#define VMLAB_HYPERVISOR_VMM_H

#include <stdio.h>

#include "cpu/cpu.h"
#include "hypervisor/shadow.h" /* the VMM area layout */
#include "lib/common.h"
#include "lib/err.h"

struct vm;
struct spt;
struct insn;

/* Why the VMM was entered (one counter each, TRACE_TRAP a0). */
#define VMM_TRAPS(X)                                                                               \
	X(PRIV, "priv")	    /* a privileged instruction faulted (#GP at CPL 1) */                  \
	X(IO, "io")	    /* IN/OUT/INS/OUTS at CPL > IOPL */                                    \
	X(STRICT, "strict") /* a PG_CTL/PG_BEH instruction trapped (--cpu=pg-strict) */            \
	X(INTN, "int")	    /* INT n/INT3/INTO: the VMM's IDT gate */                              \
	X(FAULT, "fault")   /* an exception the guest caused: reflected */                         \
	X(INTR, "intr")	    /* an external interrupt: reflected */
enum vmm_trap {
#define X(n, s) VMM_TRAP_##n,
	VMM_TRAPS(X)
#undef X
	    VMM_TRAP_COUNT
};
extern const char *const vmm_trap_name[VMM_TRAP_COUNT];

/* The guest's virtual CPU: the privileged state it believes it has. */
struct vcpu {
	u8 cpl;	  /* virtual CPL: 0 or 3 */
	bool vif; /* virtual RFLAGS.IF */
	u8 iopl;  /* virtual RFLAGS.IOPL */
	u64 cr0, cr2, cr3, cr4;
	struct dtr gdtr, idtr;
	u16 ldtr, tr; /* selectors the guest loaded (LLDT/LTR) */
	u32 tss_base; /* the guest TSS (ring-0 stack for reflection) */
	u32 tss_limit;
	u32 ldt_base, ldt_limit; /* the virtual LDTR's hidden part (vmm_ldt.c) */
	/* The MSRs that name privileged code (vmm_msr.c): virtual only. */
	u64 sysenter_cs, sysenter_esp, sysenter_eip;
	u64 star, lstar, cstar, sfmask, kernel_gs_base;
	bool halted; /* guest HLT: waiting for a virtual interrupt */
};

struct vmm_stats {
	u64 traps[VMM_TRAP_COUNT];
	u64 *by_form; /* [FORM_COUNT] emulated instructions, by ISA form */
	u64 *holes;   /* [FORM_COUNT] holes executed, by ISA form */
	/* Holes whose result differed from what a ring-0 kernel would get
	 * (saw != should): [FORM_COUNT] count, and the first one's RIP, saw
	 * and should -- the hole report vmm_destroy prints. */
	u64 *hole_visible, *hole_rip, *hole_saw, *hole_should;
	u64 reflect[256]; /* reflections, by vector */
	u64 shadow_syncs; /* shadow GDT rebuilds */
	u64 pf_hidden;	  /* #PF the shadow caused: filled, not seen by the guest */
	u64 pf_true;	  /* #PF the guest's tables caused: reflected */
	u64 spt_flushes;  /* whole-shadow drops (CR3 writes, pool exhausted) */
	u64 spt_invlpg;	  /* shadow entries dropped by INVLPG */
	/* The shadow cache (shadow_pt.h, issue 8): CR3 switches that found
	 * their shadow (hits) or built a new one (misses), shadows evicted,
	 * guest writes to traced page tables, shadow entries zapped by them,
	 * write-protect scans of newly traced frames. */
	u64 spt_hits, spt_misses, spt_evictions;
	u64 spt_trace_writes, spt_syncs, spt_protects;
	u64 hole_total, reflect_total;
	u64 edseg_emulated; /* accesses through expand-down segments (vmm_edseg.c) */
};

/* One CPU's share of the VMM's work (vmm_cpu_stats; `--stats`, `traps`). */
struct vmm_cpu_stats {
	u64 traps[VMM_TRAP_COUNT];
	u64 reflect, pf_hidden, pf_true, holes, trace_writes;
	u64 switches; /* world switches to this CPU */
};

struct vmm_world; /* one CPU's saved VMM state (vmm_smp.c) */

struct vmm {
	struct vm *vm;
	struct vcpu v; /* the CURRENT CPU's (m->cur) virtual CPU */
	bool pg_strict;
	bool active; /* taken over (protected mode); false in the real-mode phase */
	/* The machine's own interrupt line (vm.c: PIC/local APIC), which the
	 * VMM gates with the virtual IF. */
	bool (*line_pending)(void *opaque, struct cpu *c);
	int (*line_ack)(void *opaque, struct cpu *c);
	u8 *area;		   /* host view of the reserved region */
	unsigned shadow_gdt_slots; /* guest GDT slots the shadow GDT holds */
	unsigned spt_used;	   /* shadow page tables taken from the pool */
	struct spt *spt;	   /* shadow page-table cache (shadow_pt.h), or NULL */
	struct vmm_stats stats;
	int cur;		  /* the CPU whose world is loaded (vmm_smp.c) */
	struct vmm_world *worlds; /* [vm->ncpus]; NULL in unit tests: one CPU */
	char fatal[160];	  /* why the VMM stopped the VM, or "" */
	bool refused;		  /* ... a refusal (vmm_refuse), not a guest shutdown */
	void *edseg_abort;	  /* vmm_edseg.c: the jmp_buf its memory watch aborts to */
};

/* Create the VMM for vm's CPU 0 (after the boot path loaded the kernel):
 * maps the reserved region, builds GDT/IDT/TSS, compresses the boot CPU
 * state to ring 1 and installs the hooks -- at once for a multiboot
 * kernel, at the guest's CR0.PE write for the firmware path (above). */
int vmm_create(struct vm *vm, struct err *e);
/* SMP (vmm_smp.c): the world switch the run loop calls before running c;
 * the vcpu and take-over state of any CPU; its share of the VMM's work. */
void vmm_world_switch(struct vmm *m, struct cpu *c);
struct vcpu *vmm_vcpu_of(struct vmm *m, int cpu);
bool vmm_cpu_active(const struct vmm *m, int cpu);
void vmm_cpu_stats(const struct vmm *m, int cpu, struct vmm_cpu_stats *out);
void vmm_smp_init(struct vmm *m);
void vmm_smp_free(struct vmm *m);
/* Frees the VMM; first prints the hole report on stderr when a hole
 * changed what the guest saw (plain --virt=trap: where it may break). */
void vmm_destroy(struct vmm *m);
/* The hole report alone: one line per form whose hole was visible. */
void vmm_print_holes(const struct vmm *m, FILE *out);
/* Traps by reason and class, holes, reflections (`--stats`, `traps`). */
void vmm_print_stats(const struct vmm *m, FILE *out);

/* ---- inside the VMM (vmm_trap.c, vmm_emul.c, shadow.c) ---- */

/* Emulate the privileged/sensitive instruction at CS:EIP (decoded in i)
 * against the vcpu; returns false when the VMM cannot (it is then reflected
 * as #GP(0) to the guest). */
bool vmm_emulate(struct vmm *m, struct cpu *c, const struct insn *i);
/* Guest ring 3 may run this IOPL-sensitive instruction (virtual IOPL, the
 * guest TSS's I/O bitmap): emulate instead of reflecting #GP. */
bool vmm_iopl_allowed(struct vmm *m, struct cpu *c, const struct insn *i);
/* Reflect an event through the guest's virtual IDT (32-bit gates):
 * frame on the guest's stack, ring switch through the guest TSS, virtual
 * IF.  `ret` is the EIP to push. */
void vmm_reflect(struct vmm *m, struct cpu *c, int vector, bool has_error, u32 error, u32 ret,
		 bool soft);
/* Rebuild the shadow GDT from the guest's GDT (shadow.c). */
void vmm_shadow_gdt(struct vmm *m);
/* The shadow LDT (vmm_ldt.c): rebuild it, emulate LLDT, the guest's own
 * descriptor for a GDT or LDT selector, the shadow one the CPU uses. */
void vmm_shadow_ldt(struct vmm *m);
void vmm_lldt(struct vmm *m, struct cpu *c, u16 sel);
bool vmm_guest_desc(struct vmm *m, u16 sel, u64 *d);
u64 vmm_shadow_desc_of(const struct vmm *m, u16 sel);
/* Load real segment register s from the guest selector gsel (virtual RPL),
 * compressing ring 0 to 1. */
void vmm_load_seg(struct vmm *m, struct cpu *c, enum sreg s, u16 gsel);
/* Guest LINEAR memory, as the guest kernel sees it (through its own page
 * tables when it pages, setting A/D): false when unmapped or outside RAM. */
bool vmm_read(struct vmm *m, u64 lin, void *buf, unsigned len);
bool vmm_write(struct vmm *m, u64 lin, const void *buf, unsigned len);
/* Guest-physical memory: false when outside RAM. */
bool vmm_phys_read(struct vmm *m, u64 pa, void *buf, unsigned len);
bool vmm_phys_write(struct vmm *m, u64 pa, const void *buf, unsigned len);

/* Shadow paging (vmm_paging.c), 32-bit non-PAE guests. */
bool vmm_guest_walk(struct vmm *m, u32 lin, bool write, bool user, bool set_ad, u32 *pa, bool *w,
		    u32 *gerr);
void vmm_spt_enable(struct vmm *m, struct cpu *c);
void vmm_spt_disable(struct vmm *m, struct cpu *c);
void vmm_spt_flush(struct vmm *m, struct cpu *c);
void vmm_spt_invlpg(struct vmm *m, struct cpu *c, u32 lin);
bool vmm_spt_fault(struct vmm *m, struct cpu *c, u32 *err);
/* MOV to CR3: switch to the (cached) shadow of the new v.cr3. */
void vmm_spt_set_cr3(struct vmm *m, struct cpu *c);
/* The real CR4's PAE/SMEP/SMAP follow the guest's while it pages. */
void vmm_spt_sync_cr4(struct vmm *m, struct cpu *c);
/* vmm_phys_write's helper: false when [pa, pa+len) holds no traced guest
 * page table (the caller writes); else written and the shadows synced. */
bool vmm_spt_write_traced(struct vmm *m, u64 pa, const void *buf, unsigned len);
void vmm_spt_free(struct vmm *m);
void vmm_spt_print_stats(const struct vmm *m, FILE *out);
/* The guest made the virtual CPU shut down (an unusable IDT): stop the
 * VM with a message, as a triple fault (status 4). */
void vmm_fail(struct vmm *m, const char *fmt, ...) PRINTF(2, 3);
/* The guest needs a feature the VMM does not virtualize: stop the VM with
 * this one line as the reason, status 10 (VM_EXIT_UNSUPPORTED, vm.c). */
void vmm_refuse(struct vmm *m, const char *fmt, ...) PRINTF(2, 3);
/* Fetch (through the guest's view of memory) and decode the instruction at
 * CS:EIP, as a VMM decodes the instruction that trapped. */
bool vmm_fetch(struct vmm *m, struct cpu *c, struct insn *i);

/*
 * Ring compression, both directions (vmm_gate.c has the reasoning): guest
 * ring 0 runs at real ring 1, guest ring 1 at real ring 2, guest ring 2
 * SHARES real ring 2 (there is no room left: ring 3 must stay ring 3 for
 * paging's user/supervisor check) and ring 3 stays 3.  Descriptor DPLs and
 * selector RPLs are mapped the same way; back to the guest, real 2 reads
 * as guest 1 unless the virtual CPU is at ring 2 (the hole: a guest ring-2
 * task can load guest-DPL-1 data, and its selectors read back RPL 1).
 */
static inline unsigned vmm_real_ring(unsigned g)
{
	return g == 0 ? 1 : g == 1 ? 2 : g;
}
static inline u16 vmm_real_sel(u16 sel)
{
	return (sel & ~3) ? (u16)((sel & ~3) | vmm_real_ring(sel & 3)) : sel;
}
static inline unsigned vmm_guest_ring(unsigned r, unsigned vcpl)
{
	return r == 1 ? 0 : r == 2 ? (vcpl == 2 ? 2 : 1) : r;
}
static inline u16 vmm_guest_sel(u16 sel, unsigned vcpl)
{
	return (u16)((sel & ~3) | vmm_guest_ring(sel & 3, vcpl));
}

/* Far transfers of the guest (vmm_gate.c, SDM Vol 3 §5.8): far JMP/CALL
 * to sel:off directly or through a call gate, far RET [n] to the same or
 * an outer ring; DS/ES/FS/GS nulled after a return outwards; the hole
 * event of a guest entering ring 2 (form: the instruction that did). */
void vmm_far_transfer(struct vmm *m, struct cpu *c, u16 sel, u32 off, unsigned size, bool call);
void vmm_far_return(struct vmm *m, struct cpu *c, unsigned size, u16 n);
void vmm_null_inner_segs(struct vmm *m, struct cpu *c);
void vmm_ring2_hole(struct vmm *m, struct cpu *c, unsigned form);
/* Virtual-8086 mode (vmm_v86.c): IRET with EFLAGS.VM from the virtual
 * kernel (the frame is popped up to EFLAGS); the exit is a reflection. */
void vmm_v86_enter(struct vmm *m, struct cpu *c, u32 eip, u32 cs, u32 eflags);
void vmm_v86_iopl_check(struct vmm *m, struct cpu *c);

/* Expand-down segments reaching the VMM's area (vmm_edseg.c): their shadow
 * is empty, so each access faults (#GP(0)/#SS(0)); this runs the faulting
 * instruction on the guest's true segment cache.  NONE: not such an access
 * (reflect *vec as usual); DONE: performed (or refused); FAULT: the
 * instruction's own fault, now in *vec and *err, to reflect. */
enum vmm_edseg { VMM_EDSEG_NONE, VMM_EDSEG_DONE, VMM_EDSEG_FAULT };
enum vmm_edseg vmm_edseg_fault(struct vmm *m, struct cpu *c, int *vec, u32 *err);

/* Model-specific registers and fast system calls (vmm_msr.c). */
void vmm_msr_takeover(struct vmm *m, struct cpu *c);
bool vmm_rdmsr(struct vmm *m, struct cpu *c, u32 idx, u64 *val);
bool vmm_wrmsr(struct vmm *m, struct cpu *c, u32 idx, u64 val);
void vmm_sysenter(struct vmm *m, struct cpu *c);
void vmm_sysexit(struct vmm *m, struct cpu *c);
/* Refresh the real EFLAGS from the virtual ones after an emulation. */
u32 vmm_guest_eflags(struct vmm *m, struct cpu *c);

#endif
