/*
 * commands_tables.c - the descriptor tables, decoded: `gdt`, `ldt`
 * (segment descriptors, SDM Vol 3 §3.4.5, system descriptors §3.5 and
 * §8.2.3 for the 16-byte ones of IA-32e mode), `idt` (gate descriptors,
 * §6.11 and §6.14.1; the real-mode IVT of §6.1 is 4-byte far pointers) and
 * `tss` (§8.2.1 32-bit TSS, §8.7 64-bit TSS).
 */
#include <string.h>

#include "monitor/repl.h"

static bool rd(struct monitor *m, u64 lin, void *buf, size_t n)
{
	struct err e = {""};

	if (vm_debug_read(m->vm, m->cpu, DBG_LINEAR, lin, buf, n, &e))
		return mon_error(m, "cannot read 0x%llx: %s", (unsigned long long)lin, e.msg);
	return true;
}

static const char *const sys_type[16] = {"reserved",	"TSS16 avail", "LDT",	     "TSS16 busy",
					 "call gate16", "task gate",   "int gate16", "trap gate16",
					 "reserved",	"TSS avail",   "reserved",   "TSS busy",
					 "call gate",	"reserved",    "int gate",   "trap gate"};

/* One descriptor table (GDT or LDT): 8-byte entries, system ones 16 bytes
 * in IA-32e mode. */
static bool dump_descs(struct monitor *m, u64 base, u32 limit)
{
	struct cpu *c = mon_cpu(m);
	bool ia32e = c->efer & EFER_LMA;

	for (u64 off = 0; off + 7 <= limit; off += 8) {
		u64 d, hi = 0, b;
		u32 lim;
		unsigned type, dpl;

		if (!rd(m, base + off, &d, 8))
			return false;
		mon_printf(m, "0x%04llx 0x%016llx ", (unsigned long long)off,
			   (unsigned long long)d);
		if (!d) {
			mon_printf(m, "null\n");
			continue;
		}
		b = BITS(d, 31, 16) | BITS(d, 39, 32) << 16 | BITS(d, 63, 56) << 24;
		lim = (u32)(BITS(d, 15, 0) | BITS(d, 51, 48) << 16);
		if (d & BIT(55))
			lim = lim << 12 | 0xfff;
		type = (unsigned)BITS(d, 43, 40);
		dpl = (unsigned)BITS(d, 46, 45);
		if (d & BIT(44)) {
			mon_printf(m, "%s base=0x%llx limit=0x%x DPL %u%s%s%s%s\n",
				   type & 8 ? (type & 2 ? "code exec/read" : "code exec-only")
					    : (type & 2 ? "data read/write" : "data read-only"),
				   (unsigned long long)b, lim, dpl,
				   d & BIT(47) ? " P" : " not-present",
				   (type & 8) && (d & BIT(53)) ? " L (64-bit)" : "",
				   d & BIT(54) ? ((type & 8) ? " D (32-bit)" : " B (32-bit)") : "",
				   d & BIT(55) ? " G" : "");
			continue;
		}
		if (ia32e && off + 15 <= limit && !rd(m, base + off + 8, &hi, 8))
			return false;
		if (ia32e)
			b |= hi << 32;
		mon_printf(m, "%s base=0x%llx limit=0x%x DPL %u%s\n", sys_type[type],
			   (unsigned long long)b, lim, dpl, d & BIT(47) ? " P" : " not-present");
		if (ia32e) {
			off += 8; /* the upper half of a 16-byte descriptor */
			mon_printf(m, "0x%04llx 0x%016llx (upper half)\n", (unsigned long long)off,
				   (unsigned long long)hi);
		}
	}
	return true;
}

static bool cmd_gdt(struct monitor *m, int argc, char **argv, const char *rest)
{
	struct cpu *c = mon_cpu(m);

	mon_printf(m, "GDT base=0x%llx limit=0x%x\n", (unsigned long long)c->gdtr.base,
		   c->gdtr.limit);
	return dump_descs(m, c->gdtr.base, c->gdtr.limit);
}

static bool cmd_ldt(struct monitor *m, int argc, char **argv, const char *rest)
{
	struct cpu *c = mon_cpu(m);

	if (!(c->ldtr.sel & ~3) || (c->ldtr.attr & SEGA_UNUSABLE)) {
		mon_printf(m, "no LDT (LDTR = 0x%04x)\n", c->ldtr.sel);
		return true;
	}
	mon_printf(m, "LDT sel=0x%04x base=0x%llx limit=0x%x\n", c->ldtr.sel,
		   (unsigned long long)c->ldtr.base, c->ldtr.limit);
	return dump_descs(m, c->ldtr.base, c->ldtr.limit);
}

static bool cmd_idt(struct monitor *m, int argc, char **argv, const char *rest)
{
	struct cpu *c = mon_cpu(m);
	unsigned size = (c->efer & EFER_LMA) ? 16 : (c->cr0 & CR0_PE) ? 8 : 4;
	char label[200];

	mon_printf(m, "IDT base=0x%llx limit=0x%x (%u-byte %s)\n", (unsigned long long)c->idtr.base,
		   c->idtr.limit, size, size == 4 ? "real-mode vectors" : "gates");
	for (u64 v = 0; (v + 1) * size - 1 <= c->idtr.limit && v < 256; v++) {
		u64 d[2] = {0, 0}, target;
		unsigned type;

		if (!rd(m, c->idtr.base + v * size, d, size))
			return false;
		if (size == 4) {
			mon_printf(m, "%3llu %04llx:%04llx\n", (unsigned long long)v,
				   (unsigned long long)BITS(d[0], 31, 16),
				   (unsigned long long)BITS(d[0], 15, 0));
			continue;
		}
		if (!(d[0] & BIT(47)))
			continue; /* not present: skip, as most tables are sparse */
		type = (unsigned)BITS(d[0], 43, 40);
		target = BITS(d[0], 15, 0) | BITS(d[0], 63, 48) << 16;
		if (size == 16)
			target |= (d[1] & 0xffffffff) << 32;
		mon_label(m, target, label, sizeof(label));
		mon_printf(m, "%3llu %-11s sel=0x%04llx target=%s DPL %llu", (unsigned long long)v,
			   sys_type[type], (unsigned long long)BITS(d[0], 31, 16), label,
			   (unsigned long long)BITS(d[0], 46, 45));
		if (size == 16 && BITS(d[0], 34, 32))
			mon_printf(m, " IST%llu", (unsigned long long)BITS(d[0], 34, 32));
		mon_printf(m, "\n");
	}
	return true;
}

static bool cmd_tss(struct monitor *m, int argc, char **argv, const char *rest)
{
	struct cpu *c = mon_cpu(m);
	u8 t[104];

	if (!(c->tr.sel & ~3) && !c->tr.base) {
		mon_printf(m, "no TSS loaded (TR = 0x%04x)\n", c->tr.sel);
		return true;
	}
	mon_printf(m, "TSS sel=0x%04x base=0x%llx limit=0x%x\n", c->tr.sel,
		   (unsigned long long)c->tr.base, c->tr.limit);
	if (!rd(m, c->tr.base, t, sizeof(t)))
		return false;
	if (c->efer & EFER_LMA) {
		u64 q;
		u16 iomap;
		static const char *const names[] = {"rsp0", "rsp1", "rsp2", NULL,   "ist1", "ist2",
						    "ist3", "ist4", "ist5", "ist6", "ist7"};

		for (int i = 0; i < 11; i++) {
			if (!names[i])
				continue;
			memcpy(&q, t + 4 + i * 8, 8);
			mon_printf(m, "%-4s 0x%016llx\n", names[i], (unsigned long long)q);
		}
		memcpy(&iomap, t + 102, 2);
		mon_printf(m, "iomap base 0x%04x\n", iomap);
	} else {
		u32 d[26];

		memcpy(d, t, sizeof(d));
		mon_printf(m,
			   "link 0x%04x esp0 0x%08x ss0 0x%04x esp1 0x%08x ss1 0x%04x esp2 0x%08x "
			   "ss2 0x%04x\n",
			   d[0] & 0xffff, d[1], d[2] & 0xffff, d[3], d[4] & 0xffff, d[5],
			   d[6] & 0xffff);
		mon_printf(
		    m, "cr3 0x%08x eip 0x%08x eflags 0x%08x esp 0x%08x ldt 0x%04x iomap 0x%04x\n",
		    d[7], d[8], d[9], d[14], d[24] & 0xffff, d[25] >> 16);
	}
	return true;
}

const struct mon_cmd mon_cmds_tables[] = {
    {"gdt", NULL, cmd_gdt, "gdt", "the GDT, decoded"},
    {"ldt", NULL, cmd_ldt, "ldt", "the LDT, decoded"},
    {"idt", NULL, cmd_idt, "idt", "the IDT's present gates (or the real-mode IVT)"},
    {"tss", NULL, cmd_tss, "tss", "the current TSS, decoded"},
    {NULL},
};
