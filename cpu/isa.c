/*
 * isa.c - the ISA table turned into data: isa_forms[], one entry per row of
 * cpu/isa.def (SDM Vol 2 Appendix A opcode maps), the handler of each row,
 * mnemonic spelling, and the `vmlab isa` listing.
 *
 * Handlers are written by the cpu/exec_*.c files, one C function per row,
 * named exactly like the row (ADD_EbGb, SGDT_Ms).  So that the tree always
 * links while those files grow, every handler is declared here as a WEAK
 * alias of insn_unimplemented(): a real definition elsewhere overrides it at
 * link time, and isa_form_implemented() tells the two apart by pointer.
 */
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/isa.h"
#include "cpu/operands.def"

const char *const pg_class_name[PG_CLASS_COUNT] = {
    [PG_INNOCUOUS] = "innocuous",	[PG_PRIV] = "privileged",
    [PG_PRIV_IOPL] = "privileged-iopl", [PG_CTL] = "control-sensitive",
    [PG_BEH] = "behaviour-sensitive",
};

const char *const isa_map_name[4] = {
    [M1] = "", [M0F] = "0F ", [M0F38] = "0F 38 ", [M0F3A] = "0F 3A "};

const char *const isa_feature_name[FEATURE_COUNT] = {
    [BASE] = "base",	 [LM] = "lm",
    [CMOV] = "cmov",	 [CX8] = "cx8",
    [CX16] = "cx16",	 [POPCNT] = "popcnt",
    [LZCNT] = "lzcnt",	 [BMI1] = "bmi1",
    [BMI2] = "bmi2",	 [MOVBE] = "movbe",
    [ADX] = "adx",	 [RDTSCP] = "rdtscp",
    [SSE42] = "sse4.2",	 [FSGSBASE] = "fsgsbase",
    [RDRAND] = "rdrand", [RDSEED] = "rdseed",
    [RDPID] = "rdpid",	 [CLFSH] = "clfsh",
    [SEP] = "sep",	 [MSR] = "msr",
    [TSC] = "tsc",	 [FPU] = "fpu",
    [SSE] = "sse",	 [SSE2] = "sse2",
    [XSAVE] = "xsave",	 [INVPCID] = "invpcid",
    [SMAP_F] = "smap",
};

/* An instruction nobody has implemented yet behaves as an invalid opcode. */
void insn_unimplemented(struct cpu *c, const struct insn *i)
{
	cpu_raise(c, EXC_UD, 0);
}

/* One weak alias per row (see the file comment). */
#define X(name, ...)                                                                               \
	void name(struct cpu *c, const struct insn *i)                                             \
	    __attribute__((weak, alias("insn_unimplemented")));
#include "cpu/isa.def"
#undef X

/* The table.  The field order is struct isa_form's; OPS_x expands to
 * "count, { operands }" (cpu/operands.def). */
#define X(name, mnem, map, opcode, reg, mod, rm, pfx, ops, feature, pg, exit, flags)               \
	[FORM_##name] = {#name, mnem,	   map,	    opcode, reg,  mod,	 rm,                       \
			 pfx,	OPS_##ops, feature, pg,	    exit, flags, name},
const struct isa_form isa_forms[FORM_COUNT] = {
#include "cpu/isa.def"
};
#undef X

bool isa_form_implemented(int form)
{
	if (form < 0 || form >= FORM_COUNT)
		return false;
	return isa_forms[form].handler != insn_unimplemented;
}

/* Pick the n-th '|'-separated alternative of s into buf. */
static void pick(char *buf, const char *s, unsigned n)
{
	while (n > 0 && strchr(s, '|')) {
		s = strchr(s, '|') + 1;
		n--;
	}
	size_t len = strcspn(s, "|");
	if (len >= ISA_MNEM_MAX)
		len = ISA_MNEM_MAX - 1;
	memcpy(buf, s, len);
	buf[len] = 0;
}

static unsigned size_index(unsigned bytes)
{
	return bytes == 2 ? 0 : bytes == 4 ? 1 : 2;
}

const char *isa_mnemonic(const struct insn *i, char *buf)
{
	const char *m = isa_forms[i->form].mnem;

	if (m[0] == '@') /* by address size: jcxz|jecxz|jrcxz */
		pick(buf, m + 1, size_index(i->asize));
	else if (m[0] == '#') /* by ModRM.reg: group 1 alias 82 */
		pick(buf, m + 1, i->reg & 7);
	else
		pick(buf, m, strchr(m, '|') ? size_index(i->osize) : 0);

	size_t len = strlen(buf);
	if (len > 0 && buf[len - 1] == '%') {
		/* movs% -> movsw/movsd/movsq, by the size of the string operand
		 * (z-sized for INS/OUTS: at most a doubleword). */
		const struct isa_form *f = &isa_forms[i->form];
		unsigned sz = i->osize;
		for (int n = 0; n < f->nopnd; n++)
			if (f->opnd[n].size == OS_z && sz > 4)
				sz = 4;
		buf[len - 1] = "wdq"[size_index(sz)];
	}
	return buf;
}

/* The encoding column of a listing: "0F 01 /0 mem", "F3 0F AE /2 reg" ... */
static void encoding(char *buf, size_t n, const struct isa_form *f)
{
	static const char *const pfx[] = {"", "", "66 ", "F3 ", "F2 ", ""};
	int k = snprintf(buf, n, "%s%s%s%02X", f->flags & F_VEX ? "VEX " : "", pfx[f->pfx],
			 isa_map_name[f->map], f->opcode);
	for (int j = 0; j < f->nopnd; j++)
		if (f->opnd[j].kind == OK_Z)
			k += snprintf(buf + k, n - k, "+r");
	if (f->reg >= 0)
		k += snprintf(buf + k, n - k, " /%d", f->reg);
	if (f->rm >= 0)
		k += snprintf(buf + k, n - k, " rm=%d", f->rm);
	if (f->mod == MM)
		snprintf(buf + k, n - k, " mem");
	else if (f->mod == MR)
		snprintf(buf + k, n - k, " reg");
}

static void print_row(FILE *out, const struct isa_form *f, int form)
{
	char enc[48], mnem[ISA_MNEM_MAX];
	const char *m = f->mnem + (f->mnem[0] == '@' || f->mnem[0] == '#');

	pick(mnem, m, 0); /* the first spelling: "cbw|cwde|cdqe" -> "cbw" */
	encoding(enc, sizeof enc, f);
	fprintf(out, "%-18s %-10.10s %-26s %-8s %-19s %-4s%s\n", f->name, mnem, enc,
		isa_feature_name[f->feature], pg_class_name[f->pg], f->exit >= 0 ? "exit" : "",
		isa_form_implemented(form) ? "" : "  (not implemented)");
}

void isa_print(FILE *out, bool pg_only)
{
	if (!pg_only) {
		fprintf(out, "%-18s %-10s %-26s %-8s %-19s\n", "FORM", "MNEMONIC", "ENCODING",
			"FEATURE", "POPEK-GOLDBERG");
		for (int form = 0; form < FORM_COUNT; form++)
			print_row(out, &isa_forms[form], form);
		fprintf(out, "%d forms\n", FORM_COUNT);
		return;
	}
	/* Sensitive instructions by class.  The two "hole" classes are Robin
	 * and Irvine's list: sensitive, yet they do not trap at CPL > 0, which
	 * is why classic x86 is not virtualizable by trap-and-emulate alone. */
	static const enum pg_class order[] = {PG_CTL, PG_BEH, PG_PRIV_IOPL, PG_PRIV};
	for (size_t k = 0; k < ARRAY_SIZE(order); k++) {
		int n = 0;
		fprintf(out, "%s%s:\n", k ? "\n" : "", pg_class_name[order[k]]);
		for (int form = 0; form < FORM_COUNT; form++) {
			if (isa_forms[form].pg != order[k])
				continue;
			print_row(out, &isa_forms[form], form);
			n++;
		}
		fprintf(out, "  %d forms%s\n", n,
			order[k] == PG_CTL || order[k] == PG_BEH ? " that do NOT trap at CPL > 0"
								 : "");
	}
}

#undef E
#undef G
#undef M
#undef R
#undef I
#undef Is
#undef J
#undef O
#undef Z
#undef XX
#undef YY
#undef A
#undef B
#undef S
#undef C
#undef D
#undef REG
#undef SEG
#undef ONE
