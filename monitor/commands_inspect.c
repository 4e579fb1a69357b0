/*
 * commands_inspect.c - the monitor's commands that inspect one CPU and its
 * view of memory: registers (SDM Vol 1 §3.4, Vol 3 §2.5 control registers,
 * §3.4.3 segment registers), MSRs, memory dumps (x, xp: gdb's x/FMT),
 * disassembly, backtrace and `info symbol`.  The machine-wide commands
 * (devices, statistics, mode history, tracing) are commands_machine.c.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/system.h"
#include "monitor/repl.h"

/* Print the names of the set bits of v, high to low: "[ IF ZF PF ]". */
static void bits_line(struct monitor *m, u64 v, const char *const names[64])
{
	mon_printf(m, "[");
	for (int b = 63; b >= 0; b--)
		if ((v & BIT(b)) && names[b])
			mon_printf(m, " %s", names[b]);
	mon_printf(m, " ]");
}

static const char *const rflags_names[64] = {
    [0] = "CF",	 [2] = "PF",   [4] = "AF",   [6] = "ZF",  [7] = "SF",  [8] = "TF",
    [9] = "IF",	 [10] = "DF",  [11] = "OF",  [14] = "NT", [16] = "RF", [17] = "VM",
    [18] = "AC", [19] = "VIF", [20] = "VIP", [21] = "ID",
};
static const char *const cr0_names[64] = {
    [0] = "PE",	 [1] = "MP",  [2] = "EM",  [3] = "TS",	[4] = "ET",  [5] = "NE",
    [16] = "WP", [18] = "AM", [29] = "NW", [30] = "CD", [31] = "PG",
};
static const char *const cr4_names[64] = {
    [0] = "VME",	 [1] = "PVI",	 [2] = "TSD",	   [3] = "DE",	  [4] = "PSE",
    [5] = "PAE",	 [6] = "MCE",	 [7] = "PGE",	   [8] = "PCE",	  [9] = "OSFXSR",
    [10] = "OSXMMEXCPT", [11] = "UMIP",	 [12] = "LA57",	   [13] = "VMXE", [14] = "SMXE",
    [16] = "FSGSBASE",	 [17] = "PCIDE", [18] = "OSXSAVE", [20] = "SMEP", [21] = "SMAP",
    [22] = "PKE",
};
static const char *const efer_names[64] = {
    [0] = "SCE",
    [8] = "LME",
    [10] = "LMA",
    [11] = "NXE",
};

static bool cmd_regs(struct monitor *m, int argc, char **argv, const char *rest)
{
	static const char *const names[16] = {"rax", "rbx", "rcx", "rdx", "rsi", "rdi",
					      "rbp", "rsp", "r8",  "r9",  "r10", "r11",
					      "r12", "r13", "r14", "r15"};
	static const int order[16] = {RAX, RBX, RCX, RDX, RSI, RDI, RBP, RSP,
				      R8,  R9,	R10, R11, R12, R13, R14, R15};
	struct cpu *c = mon_cpu(m);
	char label[200];
	u64 fl = cpu_rflags(c);

	for (int i = 0; i < 16; i++)
		mon_printf(m, "%-3s 0x%016llx%s", names[i], (unsigned long long)c->gpr[order[i]],
			   i % 3 == 2 || i == 15 ? "\n" : "   ");
	mon_label(m, c->rip, label, sizeof(label));
	mon_printf(m, "rip %s\n", label);
	mon_printf(m, "rflags 0x%llx ", (unsigned long long)fl);
	bits_line(m, fl, rflags_names);
	mon_printf(m, " IOPL=%llu\n", (unsigned long long)BITS(fl, 13, 12));
	mon_printf(m, "cpl %u  mode %s  cs 0x%04x  ss 0x%04x\n", c->cpl, cpu_mode_name[c->mode],
		   c->seg[SEG_CS].sel, c->seg[SEG_SS].sel);
	return true;
}

/* The hidden part of a segment register, decoded (attr: VMX layout, cpu.h). */
static void seg_line(struct monitor *m, const char *name, const struct segment *s, bool sys)
{
	static const char *const systype[16] = {"reserved",
						"16-bit TSS (available)",
						"LDT",
						"16-bit TSS (busy)",
						"16-bit call gate",
						"task gate",
						"16-bit interrupt gate",
						"16-bit trap gate",
						"reserved",
						"TSS (available)",
						"reserved",
						"TSS (busy)",
						"call gate",
						"reserved",
						"interrupt gate",
						"trap gate"};
	u32 a = s->attr, type = a & SEGA_TYPE;

	mon_printf(m, "%-4s 0x%04x base=0x%016llx limit=0x%08x attr=0x%04x", name, s->sel,
		   (unsigned long long)s->base, s->limit, a & 0xffff);
	if (a & SEGA_UNUSABLE) {
		mon_printf(m, " (unusable)\n");
		return;
	}
	if (!(a & SEGA_S) || sys)
		mon_printf(m, " (%s", systype[type]);
	else if (type & 8)
		mon_printf(m, " (code, %s%s%s", type & 2 ? "exec/read" : "exec-only",
			   type & 4 ? ", conforming" : "", type & 1 ? ", accessed" : "");
	else
		mon_printf(m, " (data, %s%s%s", type & 2 ? "read/write" : "read-only",
			   type & 4 ? ", expand-down" : "", type & 1 ? ", accessed" : "");
	mon_printf(m, ", DPL %u%s%s%s%s)\n", (a >> SEGA_DPL_SHIFT) & 3,
		   a & SEGA_P ? ", P" : ", not present", a & SEGA_L ? ", L" : "",
		   a & SEGA_DB ? ", D/B" : "", a & SEGA_G ? ", G" : "");
}

static bool cmd_sregs(struct monitor *m, int argc, char **argv, const char *rest)
{
	static const char *const sn[SEG_COUNT] = {"es", "cs", "ss", "ds", "fs", "gs"};
	static const int order[SEG_COUNT] = {SEG_CS, SEG_DS, SEG_ES, SEG_SS, SEG_FS, SEG_GS};
	struct cpu *c = mon_cpu(m);

	for (int i = 0; i < SEG_COUNT; i++)
		seg_line(m, sn[order[i]], &c->seg[order[i]], false);
	seg_line(m, "ldtr", &c->ldtr, true);
	seg_line(m, "tr", &c->tr, true);
	mon_printf(m, "gdtr base=0x%016llx limit=0x%04x\n", (unsigned long long)c->gdtr.base,
		   c->gdtr.limit);
	mon_printf(m, "idtr base=0x%016llx limit=0x%04x\n", (unsigned long long)c->idtr.base,
		   c->idtr.limit);
	mon_printf(m, "cr0  0x%016llx ", (unsigned long long)c->cr0);
	bits_line(m, c->cr0, cr0_names);
	mon_printf(m, "\ncr2  0x%016llx\ncr3  0x%016llx\ncr4  0x%016llx ",
		   (unsigned long long)c->cr2, (unsigned long long)c->cr3,
		   (unsigned long long)c->cr4);
	bits_line(m, c->cr4, cr4_names);
	mon_printf(m, "\ncr8  0x%016llx\nefer 0x%016llx ", (unsigned long long)c->cr8,
		   (unsigned long long)c->efer);
	bits_line(m, c->efer, efer_names);
	mon_printf(m, "\n");
	return true;
}

static bool cmd_msr(struct monitor *m, int argc, char **argv, const char *rest)
{
	const char *name;
	u64 idx, v;

	if (argc < 2)
		return mon_error(m, "usage: msr N");
	if (!mon_eval(m, rest, &idx))
		return false;
	if (idx > 0xffffffff || !cpu_msr_read(mon_cpu(m), (u32)idx, &v))
		return mon_error(m, "msr 0x%llx: not implemented (RDMSR would raise #GP)",
				 (unsigned long long)idx);
	name = cpu_msr_name((u32)idx);
	mon_printf(m, "msr 0x%llx%s%s%s = 0x%016llx\n", (unsigned long long)idx, name ? " (" : "",
		   name ? name : "", name ? ")" : "", (unsigned long long)v);
	return true;
}

/* ---- x/FMT and xp/FMT (gdb's syntax) ------------------------------------------ */

struct xfmt {
	u64 count;
	unsigned unit; /* 1 b, 2 h, 4 w, 8 g */
	char fmt;      /* x d u c s i */
};

static bool parse_fmt(struct monitor *m, const char *word, struct xfmt *f)
{
	const char *p = strchr(word, '/');

	*f = (struct xfmt){1, 4, 'x'};
	if (!p)
		return true;
	p++;
	if (isdigit((unsigned char)*p))
		f->count = strtoull(p, (char **)&p, 10);
	for (; *p; p++) {
		switch (*p) {
		case 'b': f->unit = 1; break;
		case 'h': f->unit = 2; break;
		case 'w': f->unit = 4; break;
		case 'g': f->unit = 8; break;
		case 'x':
		case 'd':
		case 'u':
		case 'c':
		case 's':
		case 'i': f->fmt = *p; break;
		default:
			return mon_error(
			    m, "bad format letter '%c' (use count, b/h/w/g, x/d/u/c/s/i)", *p);
		}
	}
	if (f->fmt == 'c')
		f->unit = 1;
	if (f->count == 0 || f->count > 4096)
		return mon_error(m, "count must be 1..4096");
	return true;
}

static bool examine(struct monitor *m, int argc, char **argv, const char *rest, enum dbg_space sp)
{
	struct xfmt f;
	struct err e = {""};
	char label[200];
	u64 addr;
	unsigned per_line;

	if (!parse_fmt(m, argv[0], &f))
		return false;
	if (argc < 2)
		return mon_error(m, "usage: %s/FMT ADDR", sp == DBG_PHYS ? "xp" : "x");
	if (!mon_eval(m, rest, &addr))
		return false;
	if (f.fmt == 'i') {
		if (sp == DBG_PHYS)
			return mon_error(m, "xp/i: disassemble a virtual address with x/i");
		return mon_disas(m, addr, (int)f.count, true);
	}
	if (f.fmt == 's') {
		for (u64 k = 0; k < f.count; k++) {
			char s[256];
			size_t n = 0;
			u8 ch = 1;

			while (n < sizeof(s) - 1 && ch) {
				if (vm_debug_read(m->vm, m->cpu, sp, addr + n, &ch, 1, &e))
					return mon_error(m, "cannot read 0x%llx: %s",
							 (unsigned long long)(addr + n), e.msg);
				s[n++] = (char)ch;
			}
			s[n] = 0;
			mon_label(m, addr, label, sizeof(label));
			mon_printf(m, "%s:\t\"", label);
			for (const char *q = s; *q; q++)
				mon_printf(m, isprint((unsigned char)*q) ? "%c" : "\\x%02x",
					   (unsigned char)*q);
			mon_printf(m, "\"\n");
			addr += n;
		}
		return true;
	}
	per_line = f.fmt == 'c' ? 8 : f.unit == 8 ? 2 : f.unit == 4 ? 4 : 8;
	for (u64 k = 0; k < f.count; k++) {
		u64 a = addr + k * f.unit, v = 0;

		if (vm_debug_read(m->vm, m->cpu, sp, a, &v, f.unit, &e)) {
			if (k % per_line)
				mon_printf(m, "\n");
			return mon_error(m, "cannot read 0x%llx: %s", (unsigned long long)a, e.msg);
		}
		if (k % per_line == 0) {
			if (sp == DBG_PHYS)
				snprintf(label, sizeof(label), "0x%llx", (unsigned long long)a);
			else
				mon_label(m, a, label, sizeof(label));
			mon_printf(m, "%s:", label);
		}
		switch (f.fmt) {
		case 'x': mon_printf(m, "\t0x%0*llx", f.unit * 2, (unsigned long long)v); break;
		case 'd': mon_printf(m, "\t%lld", (long long)sext(v, f.unit)); break;
		case 'u': mon_printf(m, "\t%llu", (unsigned long long)v); break;
		case 'c':
			if (isprint((int)v))
				mon_printf(m, "\t%llu '%c'", (unsigned long long)v, (int)v);
			else
				mon_printf(m, "\t%llu '\\x%02x'", (unsigned long long)v,
					   (unsigned)v);
			break;
		}
		if (k % per_line == per_line - 1 || k == f.count - 1)
			mon_printf(m, "\n");
	}
	return true;
}

static bool cmd_x(struct monitor *m, int argc, char **argv, const char *rest)
{
	return examine(m, argc, argv, rest, DBG_VIRT);
}

static bool cmd_xp(struct monitor *m, int argc, char **argv, const char *rest)
{
	return examine(m, argc, argv, rest, DBG_PHYS);
}

static bool cmd_disas(struct monitor *m, int argc, char **argv, const char *rest)
{
	u64 addr = mon_cpu(m)->rip, n = 8;

	if (argc > 1 && !mon_eval(m, argv[1], &addr))
		return false;
	if (argc > 2 && !mon_eval(m, argv[2], &n))
		return false;
	if (n == 0 || n > 1000)
		return mon_error(m, "disas: count must be 1..1000");
	return mon_disas(m, addr, (int)n, true);
}

/* Backtrace along the RBP chain: [rbp] = caller's rbp, [rbp+w] = return
 * address (the frame `push rbp; mov rbp, rsp` builds, System V ABI §3.2.2).
 * Code built with -fomit-frame-pointer has no chain: the walk stops when
 * the next frame pointer does not go up the stack.
 *
 * The innermost frame may not be built yet: on the first instruction of a
 * function (a breakpoint on its symbol) the return address is at [rsp] and
 * RBP still belongs to the caller; after the `push rbp` it is at [rsp+w].
 * Without that check bt would skip the caller (gdb does the same prologue
 * analysis, more generally). */
static int frame_state(struct monitor *m, u64 pc, u64 *ret_slot)
{
	struct cpu *c = mon_cpu(m);
	const struct symbol *s;
	u64 off, rsp = c->gpr[RSP];
	u8 code[4] = {0};

	s = symtab_find(&m->syms, pc, &off);
	if (!s || !s->func || off > 1)
		return 0;
	if (vm_debug_read(m->vm, m->cpu, DBG_VIRT, s->addr, code, 4, NULL))
		return 0;
	if (code[0] != 0x55) /* push rbp: no frame-pointer prologue */
		return 0;
	*ret_slot = off == 0 ? rsp : rsp + c->code_size;
	return 1;
}

static bool cmd_bt(struct monitor *m, int argc, char **argv, const char *rest)
{
	struct cpu *c = mon_cpu(m);
	unsigned w = c->code_size;
	u64 rbp = c->gpr[RBP], pc = c->rip, slot;
	char label[200];
	int depth = 0;

	if (frame_state(m, pc, &slot)) {
		u64 ret = 0;

		mon_label(m, pc, label, sizeof(label));
		mon_printf(m, "#%-2d %s\n", depth++, label);
		if (vm_debug_read(m->vm, m->cpu, DBG_VIRT, slot, &ret, w, NULL) || !ret)
			return true;
		pc = ret;
	}
	for (; depth < 64; depth++) {
		u64 next = 0, ret = 0;

		mon_label(m, pc, label, sizeof(label));
		mon_printf(m, "#%-2d %s\n", depth, label);
		if (!rbp || vm_debug_read(m->vm, m->cpu, DBG_VIRT, rbp, &next, w, NULL) ||
		    vm_debug_read(m->vm, m->cpu, DBG_VIRT, rbp + w, &ret, w, NULL) || !ret)
			break;
		pc = ret;
		if (next <= rbp) {
			mon_label(m, pc, label, sizeof(label));
			mon_printf(m, "#%-2d %s\n", depth + 1, label);
			break;
		}
		rbp = next;
	}
	return true;
}

/* `info symbol ADDR` (commands_exec.c's `info` calls this). */
bool mon_info_symbol(struct monitor *m, int argc, char **argv, const char *rest)
{
	char sym[160];
	u64 addr;

	if (argc < 2)
		return mon_error(m, "usage: info symbol ADDR");
	if (!mon_eval(m, rest, &addr))
		return false;
	if (!symtab_format(&m->syms, addr, sym, sizeof(sym)))
		return mon_error(m, "no symbol matches 0x%llx", (unsigned long long)addr);
	mon_printf(m, "0x%llx is %s\n", (unsigned long long)addr, sym);
	return true;
}

const struct mon_cmd mon_cmds_inspect[] = {
    {"regs", "r", cmd_regs, "regs", "general registers, RIP, RFLAGS, CPL, mode"},
    {"sregs", NULL, cmd_sregs, "sregs", "segments, GDTR/IDTR/LDTR/TR, CR0-CR8, EFER"},
    {"msr", NULL, cmd_msr, "msr N", "read model-specific register N"},
    {"x", NULL, cmd_x, "x/FMT ADDR", "examine virtual memory: /[count][bhwg][xducsi]"},
    {"xp", NULL, cmd_xp, "xp/FMT PADDR", "examine physical memory"},
    {"disas", NULL, cmd_disas, "disas [ADDR] [N]", "disassemble N instructions (default 8)"},
    {"bt", NULL, cmd_bt, "bt", "backtrace along the RBP chain"},
    {NULL},
};
