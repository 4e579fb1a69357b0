/*
 * gdb_xml.c - the register file the gdb stub shows, and the target
 * description (GDB manual, Appendix G "Target Descriptions", and §G.5.9
 * "i386 Features") generated from it.
 *
 * One table per view (i386 / x86-64) lists every register gdb sees, in the
 * order of the `g` packet: its name, its width, its gdb type and where its
 * value lives in struct cpu.  The same table produces the XML that
 * qXfer:features:read:target.xml returns, the `g`/`p` replies and the
 * `G`/`P` writes, so the description and the packets can never disagree.
 *
 * gdb's i386/amd64 support requires the feature "org.gnu.gdb.i386.core" to
 * hold the general registers, rip/eip, eflags, the six selectors and the
 * sixteen x87 registers (st0..st7, fctrl..fop), in that order of names.
 * Like QEMU we add fs_base, gs_base, k_gs_base, the control registers and
 * EFER to the same feature: gdb shows extra registers it does not know by
 * name in `info registers`.  vmlab's CPU has no x87/SSE unit (CPUID says
 * so), so the x87 registers read as the state FNINIT leaves (FCW = 0x37F,
 * all tags empty) and writes to them are ignored; no SSE feature is offered.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/mem.h"
#include "monitor/gdbstub.h"

/* Where a register's value lives. */
enum reg_kind {
	R_GPR,	   /* c->gpr[idx] */
	R_RIP,	   /* c->rip */
	R_EFLAGS,  /* cpu_rflags() */
	R_SEL,	   /* c->seg[idx].sel */
	R_FSBASE,  /* c->seg[SEG_FS].base */
	R_GSBASE,  /* c->seg[SEG_GS].base */
	R_KGSBASE, /* IA32_KERNEL_GS_BASE (SDM Vol 4 Table 2-2, MSR C000_0102H) */
	R_CR,	   /* c->cr<idx> */
	R_EFER,	   /* IA32_EFER */
	R_X87,	   /* no x87 unit: a constant (idx = value) */
};

struct gdb_reg {
	const char *name;
	u8 bits;
	const char *type; /* gdb type name or one of our <flags> ids */
	enum reg_kind kind;
	u32 idx;
};

#define X87_REGS(ctl_type)                                                                         \
	{"st0", 80, "i387_ext", R_X87, 0}, {"st1", 80, "i387_ext", R_X87, 0},                      \
	    {"st2", 80, "i387_ext", R_X87, 0}, {"st3", 80, "i387_ext", R_X87, 0},                  \
	    {"st4", 80, "i387_ext", R_X87, 0}, {"st5", 80, "i387_ext", R_X87, 0},                  \
	    {"st6", 80, "i387_ext", R_X87, 0}, {"st7", 80, "i387_ext", R_X87, 0},                  \
	    {"fctrl", 32, ctl_type, R_X87, 0x37f}, {"fstat", 32, ctl_type, R_X87, 0},              \
	    {"ftag", 32, ctl_type, R_X87, 0xffff}, {"fiseg", 32, ctl_type, R_X87, 0},              \
	    {"fioff", 32, ctl_type, R_X87, 0}, {"foseg", 32, ctl_type, R_X87, 0},                  \
	    {"fooff", 32, ctl_type, R_X87, 0},                                                     \
	{                                                                                          \
		"fop", 32, ctl_type, R_X87, 0                                                      \
	}

/* The x86-64 view: gdb's amd64 register order (rax rbx rcx rdx rsi rdi rbp
 * rsp, not the ModRM order). */
static const struct gdb_reg regs64[] = {
    {"rax", 64, "int64", R_GPR, RAX},
    {"rbx", 64, "int64", R_GPR, RBX},
    {"rcx", 64, "int64", R_GPR, RCX},
    {"rdx", 64, "int64", R_GPR, RDX},
    {"rsi", 64, "int64", R_GPR, RSI},
    {"rdi", 64, "int64", R_GPR, RDI},
    {"rbp", 64, "data_ptr", R_GPR, RBP},
    {"rsp", 64, "data_ptr", R_GPR, RSP},
    {"r8", 64, "int64", R_GPR, R8},
    {"r9", 64, "int64", R_GPR, R9},
    {"r10", 64, "int64", R_GPR, R10},
    {"r11", 64, "int64", R_GPR, R11},
    {"r12", 64, "int64", R_GPR, R12},
    {"r13", 64, "int64", R_GPR, R13},
    {"r14", 64, "int64", R_GPR, R14},
    {"r15", 64, "int64", R_GPR, R15},
    {"rip", 64, "code_ptr", R_RIP, 0},
    {"eflags", 32, "vmlab_eflags", R_EFLAGS, 0},
    {"cs", 32, "int32", R_SEL, SEG_CS},
    {"ss", 32, "int32", R_SEL, SEG_SS},
    {"ds", 32, "int32", R_SEL, SEG_DS},
    {"es", 32, "int32", R_SEL, SEG_ES},
    {"fs", 32, "int32", R_SEL, SEG_FS},
    {"gs", 32, "int32", R_SEL, SEG_GS},
    {"fs_base", 64, "int64", R_FSBASE, 0},
    {"gs_base", 64, "int64", R_GSBASE, 0},
    {"k_gs_base", 64, "int64", R_KGSBASE, 0},
    {"cr0", 64, "vmlab_cr0", R_CR, 0},
    {"cr2", 64, "int64", R_CR, 2},
    {"cr3", 64, "int64", R_CR, 3},
    {"cr4", 64, "vmlab_cr4", R_CR, 4},
    {"cr8", 64, "int64", R_CR, 8},
    {"efer", 64, "vmlab_efer", R_EFER, 0},
    X87_REGS("int"),
};

/* The i386 view: gdb's i386 order is the ModRM order (eax ecx edx ebx esp
 * ebp esi edi), SDM Vol 2 §2.1.5. */
static const struct gdb_reg regs32[] = {
    {"eax", 32, "int32", R_GPR, RAX},
    {"ecx", 32, "int32", R_GPR, RCX},
    {"edx", 32, "int32", R_GPR, RDX},
    {"ebx", 32, "int32", R_GPR, RBX},
    {"esp", 32, "data_ptr", R_GPR, RSP},
    {"ebp", 32, "data_ptr", R_GPR, RBP},
    {"esi", 32, "int32", R_GPR, RSI},
    {"edi", 32, "int32", R_GPR, RDI},
    {"eip", 32, "code_ptr", R_RIP, 0},
    {"eflags", 32, "vmlab_eflags", R_EFLAGS, 0},
    {"cs", 32, "int32", R_SEL, SEG_CS},
    {"ss", 32, "int32", R_SEL, SEG_SS},
    {"ds", 32, "int32", R_SEL, SEG_DS},
    {"es", 32, "int32", R_SEL, SEG_ES},
    {"fs", 32, "int32", R_SEL, SEG_FS},
    {"gs", 32, "int32", R_SEL, SEG_GS},
    {"fs_base", 32, "int32", R_FSBASE, 0},
    {"gs_base", 32, "int32", R_GSBASE, 0},
    {"k_gs_base", 32, "int32", R_KGSBASE, 0},
    {"cr0", 32, "vmlab_cr0", R_CR, 0},
    {"cr2", 32, "int32", R_CR, 2},
    {"cr3", 32, "int32", R_CR, 3},
    {"cr4", 32, "vmlab_cr4", R_CR, 4},
    {"cr8", 32, "int32", R_CR, 8},
    {"efer", 32, "vmlab_efer", R_EFER, 0},
    X87_REGS("int"),
};

static const struct gdb_reg *table(enum gdb_arch a, int *n)
{
	if (a == GDB_ARCH_X86_64) {
		*n = (int)ARRAY_SIZE(regs64);
		return regs64;
	}
	*n = (int)ARRAY_SIZE(regs32);
	return regs32;
}

enum gdb_arch gdb_arch_for(const struct cpu *c)
{
	/*
	 * gdb reads the description once, at attach, and cannot switch when
	 * the guest later enters long mode (SDM Vol 3 §10.8.5).  So: a CPU
	 * still in the 16-bit world (real mode, virtual-8086, 16-bit protected
	 * mode: a BIOS boot at the reset vector, where gdb users say `set
	 * architecture i8086`) gets the i386 view; from 32-bit protected mode
	 * on (a multiboot kernel's entry, on its way to long mode) it gets the
	 * x86-64 view, as QEMU's x86-64 target always does.  A 32-bit value
	 * reads zero-extended in a 64-bit register.
	 */
	switch (c->mode) {
	case CPU_MODE_REAL:
	case CPU_MODE_VM86:
	case CPU_MODE_PROT16: return GDB_ARCH_I386;
	default: return GDB_ARCH_X86_64;
	}
}

int gdb_reg_count(enum gdb_arch a)
{
	int n;

	table(a, &n);
	return n;
}

int gdb_reg_size(enum gdb_arch a, int regno)
{
	int n;
	const struct gdb_reg *t = table(a, &n);

	return regno >= 0 && regno < n ? t[regno].bits / 8 : -1;
}

int gdb_regs_size(enum gdb_arch a)
{
	int n, total = 0;
	const struct gdb_reg *t = table(a, &n);

	for (int i = 0; i < n; i++)
		total += t[i].bits / 8;
	return total;
}

static u64 reg_value(struct cpu *c, const struct gdb_reg *r)
{
	switch (r->kind) {
	case R_GPR: return c->gpr[r->idx];
	case R_RIP: return c->rip;
	case R_EFLAGS: return cpu_rflags(c);
	case R_SEL: return c->seg[r->idx].sel;
	case R_FSBASE: return c->seg[SEG_FS].base;
	case R_GSBASE: return c->seg[SEG_GS].base;
	case R_KGSBASE: return c->msr.kernel_gs_base;
	case R_CR:
		switch (r->idx) {
		case 0: return c->cr0;
		case 2: return c->cr2;
		case 3: return c->cr3;
		case 4: return c->cr4;
		default: return c->cr8;
		}
	case R_EFER: return c->efer;
	case R_X87: return r->idx;
	}
	panic("gdb_xml: register kind %d", r->kind);
}

int gdb_reg_read(struct cpu *c, enum gdb_arch a, int regno, u8 *buf)
{
	int n;
	const struct gdb_reg *t = table(a, &n);

	if (regno < 0 || regno >= n)
		return -1;
	const struct gdb_reg *r = &t[regno];
	unsigned size = r->bits / 8;
	u64 v = reg_value(c, r);

	/* gdb wants target byte order: little-endian; st0..7 are 10 bytes. */
	memset(buf, 0, size);
	for (unsigned i = 0; i < size && i < 8; i++)
		buf[i] = (u8)(v >> (8 * i));
	return (int)size;
}

int gdb_reg_write(struct cpu *c, enum gdb_arch a, int regno, const u8 *buf, size_t len)
{
	int n;
	const struct gdb_reg *t = table(a, &n);

	if (regno < 0 || regno >= n || len != t[regno].bits / 8u)
		return -1;
	const struct gdb_reg *r = &t[regno];
	u64 v = 0;
	for (unsigned i = 0; i < len && i < 8; i++)
		v |= (u64)buf[i] << (8 * i);
	if (r->kind == R_X87)
		return 0; /* no x87 unit: ignored */
	if (v == (reg_value(c, r) & mask_of(len)))
		return 0; /* unchanged (a `G` rewriting everything) */

	switch (r->kind) {
	case R_GPR:
		/* A 32-bit view writes like a 32-bit MOV: zero-extends. */
		c->gpr[r->idx] = v;
		return 0;
	case R_RIP: c->rip = v; return 0;
	case R_EFLAGS:
		/* Keep the bits gdb cannot see (32-bit register) and the fixed bit 1. */
		cpu_set_rflags(c, (v & 0xffffffffu) | FL_1);
		cpu_update_mode(c); /* EFLAGS.VM changes the mode */
		return 0;
	case R_FSBASE: c->seg[SEG_FS].base = v; return 0;
	case R_GSBASE: c->seg[SEG_GS].base = v; return 0;
	case R_KGSBASE: c->msr.kernel_gs_base = v; return 0;
	case R_CR:
		if (r->idx == 2) {
			c->cr2 = v;
			return 0;
		}
		if (r->idx == 8) {
			c->cr8 = v & 0xf;
			return 0;
		}
		if (r->idx == 3) {
			c->cr3 = v & ~BIT(63);
			cpu_tlb_mov_cr3(c, v);
			return 0;
		}
		return -1;
	case R_SEL:
		/* Loading a selector means loading a descriptor; only the
		 * real-mode rule (base = selector << 4) is safe from here. */
		if (c->mode != CPU_MODE_REAL)
			return -1;
		cpu_load_seg_real(c, (enum sreg)r->idx, (u16)v);
		return 0;
	default:
		/* CR0, CR4, EFER change the mode and the paging structures:
		 * only the guest may change them (MOV CR / WRMSR checks). */
		return -1;
	}
}

/* ---- the target description ------------------------------------------ */

struct flag_bit {
	const char *name;
	u8 start, end;
};

/* RFLAGS (SDM Vol 1 §3.4.3), CR0 and CR4 (Vol 3 §2.5), IA32_EFER (Vol 3 §2.2.1). */
static const struct flag_bit eflags_bits[] = {
    {"CF", 0, 0},    {"", 1, 1},     {"PF", 2, 2},   {"AF", 4, 4},   {"ZF", 6, 6},
    {"SF", 7, 7},    {"TF", 8, 8},   {"IF", 9, 9},   {"DF", 10, 10}, {"OF", 11, 11},
    {"NT", 14, 14},  {"RF", 16, 16}, {"VM", 17, 17}, {"AC", 18, 18}, {"VIF", 19, 19},
    {"VIP", 20, 20}, {"ID", 21, 21},
};
static const struct flag_bit cr0_bits[] = {
    {"PE", 0, 0},   {"MP", 1, 1},   {"EM", 2, 2},   {"TS", 3, 3},   {"ET", 4, 4},   {"NE", 5, 5},
    {"WP", 16, 16}, {"AM", 18, 18}, {"NW", 29, 29}, {"CD", 30, 30}, {"PG", 31, 31},
};
static const struct flag_bit cr4_bits[] = {
    {"VME", 0, 0},    {"PVI", 1, 1},	    {"TSD", 2, 2},	    {"DE", 3, 3},
    {"PSE", 4, 4},    {"PAE", 5, 5},	    {"MCE", 6, 6},	    {"PGE", 7, 7},
    {"PCE", 8, 8},    {"OSFXSR", 9, 9},	    {"OSXMMEXCPT", 10, 10}, {"UMIP", 11, 11},
    {"LA57", 12, 12}, {"FSGSBASE", 16, 16}, {"PCIDE", 17, 17},	    {"OSXSAVE", 18, 18},
    {"SMEP", 20, 20}, {"SMAP", 21, 21},
};
static const struct flag_bit efer_bits[] = {
    {"SCE", 0, 0},
    {"LME", 8, 8},
    {"LMA", 10, 10},
    {"NXE", 11, 11},
};

struct sbuf {
	char *p;
	size_t len, cap;
};

static void put(struct sbuf *s, const char *fmt, ...) PRINTF(2, 3);

static void put(struct sbuf *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(s->p + s->len, s->cap - s->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= s->cap - s->len)
		panic("gdb_xml: target description larger than %zu bytes", s->cap);
	s->len += (size_t)n;
}

static void put_flags(struct sbuf *s, const char *id, unsigned size, const struct flag_bit *b,
		      size_t n)
{
	put(s, "  <flags id=\"%s\" size=\"%u\">\n", id, size);
	for (size_t i = 0; i < n; i++)
		put(s, "    <field name=\"%s\" start=\"%u\" end=\"%u\"/>\n", b[i].name, b[i].start,
		    b[i].end);
	put(s, "  </flags>\n");
}

const char *gdb_target_xml(enum gdb_arch a, size_t *len)
{
	static char text[2][8192];
	static size_t tlen[2];
	int n, w = a == GDB_ARCH_X86_64 ? 1 : 0;
	unsigned fs = a == GDB_ARCH_X86_64 ? 8 : 4; /* size of the CR/EFER flag types */
	const struct gdb_reg *t = table(a, &n);

	if (!tlen[w]) {
		struct sbuf s = {text[w], 0, sizeof(text[w])};

		put(&s,
		    "<?xml version=\"1.0\"?>\n"
		    "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
		    "<!-- vmlab %s registers, generated from monitor/gdb_xml.c -->\n"
		    "<target version=\"1.0\">\n"
		    "<architecture>%s</architecture>\n"
		    "<feature name=\"org.gnu.gdb.i386.core\">\n",
		    w ? "x86-64" : "i386", w ? "i386:x86-64" : "i386");
		put_flags(&s, "vmlab_eflags", 4, eflags_bits, ARRAY_SIZE(eflags_bits));
		put_flags(&s, "vmlab_cr0", fs, cr0_bits, ARRAY_SIZE(cr0_bits));
		put_flags(&s, "vmlab_cr4", fs, cr4_bits, ARRAY_SIZE(cr4_bits));
		put_flags(&s, "vmlab_efer", fs, efer_bits, ARRAY_SIZE(efer_bits));
		for (int i = 0; i < n; i++)
			put(&s, "  <reg name=\"%s\" bitsize=\"%u\" type=\"%s\" regnum=\"%d\"%s/>\n",
			    t[i].name, t[i].bits, t[i].type, i,
			    t[i].kind == R_X87 && t[i].bits == 32 ? " group=\"float\"" : "");
		put(&s, "</feature>\n</target>\n");
		tlen[w] = s.len;
	}
	*len = tlen[w];
	return text[w];
}
