/*
 * setup32.c - samples/systest: the machine the 32-bit tests run on.
 *
 * Builds the GDT and an LDT (SDM Vol 3 §3.4.5, §3.5.1 system descriptors,
 * §5.8.3 32-bit call gates), the 32-bit TSS with SS0:ESP0 and an I/O
 * permission bitmap (§7.2.1, Vol 1 §19.5.2), an IDT of 32-bit interrupt
 * gates (§6.11), masks the 8259s, and the exception hook that records what
 * the CPU delivered and resumes the kernel (probe32.S).
 */
#include "samples/lib/io.h"
#include "samples/lib/exit.h"
#include "samples/systest/sys32.h"

struct probe_result last;
uint32_t ubase;

uint8_t kstack0[8192] __attribute__((aligned(16)));
static uint8_t ustack[4096] __attribute__((aligned(16)));
uint8_t sestack[4096] __attribute__((aligned(16)));
uint32_t ldt_target = 0x1da7a5e6; /* what LDT_DS:0 reads */

uint32_t user_stack_top(void)
{
	return U(ustack + sizeof(ustack));
}

/* The 32-bit TSS (SDM Vol 3 Figure 7-2), then the I/O permission bitmap
 * and the byte of 0xFF the CPU may read past its end (Vol 1 §19.5.2). */
struct tss32 {
	uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
	uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
	uint32_t es, cs, ss, ds, fs, gs, ldt;
	uint16_t trap, iomap_base;
	uint8_t iomap[8192 + 1];
} __attribute__((packed));
static struct tss32 tss __attribute__((aligned(16)));

uint64_t gdt[GDT_BYTES / 8] __attribute__((aligned(16)));
static uint64_t ldt[2] __attribute__((aligned(16)));
static uint64_t idt[IDT_LEN] __attribute__((aligned(16)));

struct dtr {
	uint16_t pad;
	uint16_t limit;
	uint32_t base;
} __attribute__((packed, aligned(4)));

extern const uint32_t trap_stubs32[IDT_LEN];
extern void probe_recover(void), cg_target(void), sysenter_entry(void);
extern uint32_t probe_esp;
extern uint8_t probing;

/* A code/data/system segment descriptor: access byte (P, DPL, S, type) and
 * the flags nibble (G, D/B, L, AVL). */
static uint64_t seg(uint32_t base, uint32_t limit, unsigned access, unsigned flags)
{
	return (limit & 0xffff) | (uint64_t)(base & 0xffffff) << 16 | (uint64_t)access << 40 |
	       (uint64_t)(limit >> 16 & 0xf) << 48 | (uint64_t)flags << 52 |
	       (uint64_t)(base >> 24) << 56;
}

/* A gate (SDM Vol 3 Figure 5-8, 6-2): offset, selector, type, DPL, and the
 * parameter count of a call gate. */
static uint64_t gate(void (*target)(void), unsigned type, unsigned dpl, unsigned params)
{
	uint32_t a = (uint32_t)(uintptr_t)target;

	return (a & 0xffff) | (uint64_t)K_CS << 16 | (uint64_t)params << 32 |
	       (uint64_t)(0x80 | dpl << 5 | type) << 40 | (uint64_t)(a >> 16) << 48;
}

void idt_set(unsigned vec, unsigned dpl, int present)
{
	idt[vec] = gate((void (*)(void))(uintptr_t)trap_stubs32[vec], 0xe, dpl, 0);
	if (!present)
		idt[vec] &= ~(1ull << 47);
}

void tss_set_io(unsigned port, int allowed)
{
	if (allowed)
		tss.iomap[port / 8] &= (uint8_t) ~(1u << port % 8);
	else
		tss.iomap[port / 8] |= (uint8_t)(1u << port % 8);
}

static const char *trap_name(uint32_t v)
{
	static const char *const names[32] = {
	    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#09", "#TS",
	    "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
	};
	if (v == VEC_U3)
		return "INT40";
	return v < 22 ? names[v] : "#??";
}

/* The C side of every exception (probe32.S: trap_common). */
struct frame32 {
	uint32_t es, ds, edi, esi, ebp, esp_pusha, ebx, edx, ecx, eax;
	uint32_t vector, error, eip, cs, eflags, esp, ss;
	uint32_t v86_es, v86_ds, v86_fs, v86_gs; /* only from virtual-8086 mode */
};

void trap32(struct frame32 *f);
void trap32(struct frame32 *f)
{
	if (!probing) {
		printf("unexpected %s err=0x%x eip=0x%x cs=0x%x\n", trap_name(f->vector), f->error,
		       f->eip, f->cs);
		guest_exit(EXIT_EXCEPTION);
	}
	probing = 0;
	last.vector = f->vector;
	last.error = f->error;
	last.eip = f->eip;
	last.cs = f->cs;
	last.eflags = f->eflags;
	/* SS:ESP are in the frame only when the privilege level changed. */
	last.esp = (f->cs & 3) || (f->eflags & EFL_VM) ? f->esp : 0;
	last.ss = (f->cs & 3) || (f->eflags & EFL_VM) ? f->ss : 0;
	last.v86_ds = (f->eflags & EFL_VM) ? f->v86_ds : 0;
	last.frame = (uint32_t)(uintptr_t)&f->eip;
	last.ebx = f->ebx;
	last.esi = f->esi;
	last.cr2 = 0;
	if (f->vector == 14)
		__asm__ volatile("mov %%cr2, %0" : "=r"(last.cr2));
	/* Return to probe_recover at CPL 0 (a same-level IRET). */
	f->eip = (uint32_t)(uintptr_t)probe_recover;
	f->cs = K_CS;
	f->eflags = 2;
}

static const char *stack_name(uint32_t frame)
{
	if (frame == (uint32_t)(uintptr_t)(kstack0 + sizeof(kstack0)) - 20)
		return "esp0";
	return "same";
}

void report(const char *name, int raised, uint32_t at, uint32_t next)
{
	printf("%-16s ", name);
	if (!raised) {
		printf("no exception\n");
		return;
	}
	printf("%s err=0x%x", trap_name(last.vector), last.error);
	if (last.vector == 8) { /* the saved CS:EIP of #DF are undefined */
		printf(" stack=%s\n", stack_name(last.frame));
		return;
	}
	if (last.eip == at)
		printf(" eip=at");
	else if (last.eip == next)
		printf(" eip=next");
	else if (last.vector == 14 && last.eip == last.cr2)
		printf(" eip=cr2"); /* an instruction fetch faulted */
	else
		printf(" eip=at+%d", (int)(last.eip - at));
	printf(" cs=0x%x", last.cs);
	if ((last.cs & 3) || (last.eflags & EFL_VM))
		printf(" ss=0x%x", last.ss);
	printf(" stack=%s", stack_name(last.frame));
	if (last.vector == 14)
		printf(" cr2=0x%x", last.cr2);
	printf("\n");
}

void setup32(void)
{
	struct dtr d;
	uint32_t t = (uint32_t)(uintptr_t)&tss;

	/* --- GDT (access bytes: 0x9A code DPL 0, 0x92 data DPL 0, ...) --- */
	gdt[K_CS / 8] = seg(0, 0xfffff, 0x9a, 0xc);
	gdt[K_DS / 8] = seg(0, 0xfffff, 0x92, 0xc);
	gdt[U_CS / 8] = seg(0, 0xfffff, 0xfa, 0xc);
	gdt[U_DS / 8] = seg(0, 0xfffff, 0xf2, 0xc);
	gdt[TSS_SEL / 8] = seg(t, sizeof(tss) - 1, 0x89, 0); /* available 32-bit TSS */
	gdt[CG3_SEL / 8] = gate(cg_target, 0xc, 3, 2);	     /* 2 dwords copied */
	gdt[NP_SEL / 8] = seg(0, 0xfffff, 0x12, 0xc);	     /* P = 0 */
	gdt[ED_SEL / 8] = seg(0, 0xfff, 0xf6, 0x4);	     /* expand-down, B, DPL 3 */
	gdt[LIM_SEL / 8] = seg(0, 0xfff, 0x92, 0x4);
	gdt[LDT_SEL / 8] = seg((uint32_t)(uintptr_t)ldt, sizeof(ldt) - 1, 0x82, 0);
	gdt[K1_CS / 8] = seg(0, 0xfffff, 0xba, 0xc);
	gdt[K1_DS / 8] = seg(0, 0xfffff, 0xb2, 0xc);
	gdt[XO_CS / 8] = seg(0, 0xfffff, 0x98, 0xc);
	gdt[CF_CS / 8] = seg(0, 0xfffff, 0x9e, 0xc);
	gdt[RO_DS / 8] = seg(0, 0xfffff, 0xf0, 0xc);
	gdt[CG0_SEL / 8] = gate(cg_target, 0xc, 0, 0);
	gdt[EDS_SEL / 8] = seg(0, 0xfff, 0x96, 0x0); /* expand-down, B = 0 */
	gdt[ITG_SEL / 8] = gate(cg_target, 0xe, 0, 0);
	ldt[0] = seg((uint32_t)(uintptr_t)&ldt_target, 0xfff, 0x92, 0x4);
	ldt[1] = seg(0, 0xfffff, 0xf2, 0xc);

	tss.ss0 = K_DS;
	tss.esp0 = (uint32_t)(uintptr_t)(kstack0 + sizeof(kstack0));
	tss.iomap_base = (uint16_t) __builtin_offsetof(struct tss32, iomap);
	for (unsigned i = 0; i < sizeof(tss.iomap); i++)
		tss.iomap[i] = 0xff; /* every port denied ... */
	tss_set_io(0x80, 1);	     /* ... but the POST port */

	d.limit = sizeof(gdt) - 1;
	d.base = (uint32_t)(uintptr_t)gdt;
	__asm__ volatile("lgdt (%0)" : : "r"(&d.limit) : "memory");
	__asm__ volatile("ljmp %0, $1f; 1:\n\t"
			 "movl %1, %%eax; movl %%eax, %%ds; movl %%eax, %%es; movl %%eax, %%ss\n\t"
			 "movl %%eax, %%fs; movl %%eax, %%gs\n\t"
			 "movl %2, %%eax; ltr %%ax; xorl %%eax, %%eax; lldt %%ax"
			 :
			 : "i"(K_CS), "i"(K_DS), "i"(TSS_SEL)
			 : "eax", "memory");

	/* --- IDT: interrupt gates, DPL 0 except #BP, #OF, #BR and VEC_U3
	 * (DPL 3); vector 21 not present. --- */
	for (unsigned v = 0; v < IDT_LEN; v++)
		idt_set(v, (v == 3 || v == 4 || v == 5 || v == VEC_U3) ? 3 : 0, v != 21);
	d.limit = sizeof(idt) - 1;
	d.base = (uint32_t)(uintptr_t)idt;
	__asm__ volatile("lidt (%0)" : : "r"(&d.limit) : "memory");

	/* No device interrupts: the tests set IF at CPL 3. */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);

	/* --- SYSENTER (SDM Vol 2 SYSENTER): CS, ESP, EIP MSRs --- */
	wrmsr32(0x174, K_CS);
	wrmsr32(0x175, (uint32_t)(uintptr_t)(sestack + sizeof(sestack)));
	wrmsr32(0x176, (uint32_t)(uintptr_t)sysenter_entry);
}
