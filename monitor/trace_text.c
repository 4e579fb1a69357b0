/*
 * trace_text.c - the readable text sink of the trace stream (DESIGN.md §5):
 * one line per event, `[icount] cpuN what`, the icount being the machine's
 * retired-instruction count (its virtual time).  Instructions are shown
 * with their bytes, a symbol label and capstone's disassembly (disas.c);
 * with `regdiff`, each is followed by the registers it changed, compared
 * at the CPU's next instruction (SDM Vol 1 §3.4: the general-purpose
 * registers and RFLAGS; Vol 3 §2.5: control registers and EFER).
 *
 * The meaning of each event's a[0..3] is documented in lib/trace.def; this
 * file is its reader.
 */
#include "monitor/trace_text.h"

#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"

/* Exception mnemonics (SDM Vol 3 Table 6-1). */
static const char *const exc_name[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#CSO", "#TS",
    "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE",  "#CP",
};

static const char *mode_name(u64 m)
{
	return m < CPU_MODE_COUNT && cpu_mode_name[m] ? cpu_mode_name[m] : "?";
}

static void fmt_insn(struct trace_text *tt, const struct trace_event *ev, char *p, size_t len)
{
	u8 bytes[16];
	unsigned n = ev->a[0] > 16 ? 16 : (unsigned)ev->a[0], w = 0;
	int bits = ev->a[3] == 2 ? 16 : ev->a[3] == 4 ? 32 : 64;
	char sym[160], text[200];

	memcpy(bytes, &ev->a[1], 8);
	memcpy(bytes + 8, &ev->a[2], 8);
	if (symtab_format(&tt->syms, ev->pc, sym, sizeof(sym)))
		w = snprintf(p, len, "insn 0x%llx <%s>:", (unsigned long long)ev->pc, sym);
	else
		w = snprintf(p, len, "insn 0x%llx:", (unsigned long long)ev->pc);
	for (unsigned i = 0; i < n && w < len; i++)
		w += snprintf(p + w, len - w, " %02x", bytes[i]);
	if (!tt->cs_tried) {
		struct err ignore;

		/* No capstone: lines keep their bytes, without the mnemonic. */
		tt->cs_tried = true;
		tt->dis_open = disas_open(&tt->dis, &tt->syms, &ignore) == 0;
	}
	if (w < len && tt->dis_open &&
	    disas_one(&tt->dis, bits, bytes, n, ev->pc, text, sizeof(text)))
		snprintf(p + w, len - w, "%*s%s", w < 64 ? 64 - (int)w : 1, "", text);
}

/* ---- regdiff ---------------------------------------------------------------- */

static void regs_take(struct cpu *c, struct trace_regs *r)
{
	memcpy(r->gpr, c->gpr, sizeof(r->gpr));
	r->rflags = cpu_rflags(c);
	r->cr0 = c->cr0;
	r->cr2 = c->cr2;
	r->cr3 = c->cr3;
	r->cr4 = c->cr4;
	r->efer = c->efer;
	for (int s = 0; s < SEG_COUNT && s < 6; s++)
		r->sel[s] = c->seg[s].sel;
	r->valid = true;
}

/* One line per register that differs between the snapshot and now. */
static void regs_diff(struct trace_text *tt, int cpu, u64 icount)
{
	static const char *const gpr[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
					    "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
	static const char *const seg[6] = {"es", "cs", "ss", "ds", "fs", "gs"};
	struct trace_regs now, *old = &tt->snap[cpu];
	const char *names[7] = {"rflags", "cr0", "cr2", "cr3", "cr4", "efer"};
	u64 a[6], b[6];

	if (!old->valid)
		return;
	regs_take(&tt->cpus[cpu], &now);
	for (int i = 0; i < 16; i++)
		if (old->gpr[i] != now.gpr[i])
			fprintf(tt->out, "[%llu] cpu%d     %s 0x%llx -> 0x%llx\n",
				(unsigned long long)icount, cpu, gpr[i],
				(unsigned long long)old->gpr[i], (unsigned long long)now.gpr[i]);
	a[0] = old->rflags, b[0] = now.rflags;
	a[1] = old->cr0, b[1] = now.cr0;
	a[2] = old->cr2, b[2] = now.cr2;
	a[3] = old->cr3, b[3] = now.cr3;
	a[4] = old->cr4, b[4] = now.cr4;
	a[5] = old->efer, b[5] = now.efer;
	for (int i = 0; i < 6; i++)
		if (a[i] != b[i])
			fprintf(tt->out, "[%llu] cpu%d     %s 0x%llx -> 0x%llx\n",
				(unsigned long long)icount, cpu, names[i], (unsigned long long)a[i],
				(unsigned long long)b[i]);
	for (int i = 0; i < 6; i++)
		if (old->sel[i] != now.sel[i])
			fprintf(tt->out, "[%llu] cpu%d     %s 0x%x -> 0x%x\n",
				(unsigned long long)icount, cpu, seg[i], old->sel[i], now.sel[i]);
	old->valid = false;
}

void trace_text_set_cpus(struct trace_text *tt, struct cpu *cpus, int ncpus)
{
	free(tt->snap);
	tt->snap = cpus && ncpus > 0 ? xcalloc((size_t)ncpus, sizeof(*tt->snap)) : NULL;
	tt->cpus = tt->snap ? cpus : NULL;
	tt->ncpus = tt->snap ? ncpus : 0;
}

void trace_text_flush(struct trace_text *tt)
{
	if (!tt || !tt->out || !tt->snap)
		return;
	for (int i = 0; i < tt->ncpus; i++) {
		if (tt->regdiff)
			regs_diff(tt, i, tt->trace && tt->trace->icount ? *tt->trace->icount : 0);
		tt->snap[i].valid = false;
	}
}

int trace_text_parse(const char *list, u64 *mask, bool *regdiff, struct err *e)
{
	char buf[512], *w, *save = NULL, rest[512] = "";
	size_t n = 0;

	*regdiff = false;
	snprintf(buf, sizeof(buf), "%s", list);
	for (w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (!strcmp(w, "regdiff")) {
			*regdiff = true;
			continue;
		}
		n += snprintf(rest + n, sizeof(rest) - n, "%s%s", n ? "," : "", w);
		if (n >= sizeof(rest))
			return err_set(e, "--trace: list too long");
	}
	if (trace_parse_list(rest, mask, e))
		return -1;
	if (*regdiff)
		*mask |= BIT(TRACE_INSN);
	return 0;
}

int trace_text_symbols(struct trace_text *tt, const char *path, struct err *e)
{
	return symtab_load(&tt->syms, path, e);
}

void trace_text_format(struct trace_text *tt, const struct trace_event *ev, char *buf, size_t len)
{
	const u64 *a = ev->a;
	size_t w;
	char *p;

	if (ev->cpu >= 0)
		w = snprintf(buf, len, "[%llu] cpu%d ", (unsigned long long)ev->icount, ev->cpu);
	else
		w = snprintf(buf, len, "[%llu] board ", (unsigned long long)ev->icount);
	if (w >= len)
		return;
	p = buf + w;
	len -= w;
	switch (ev->kind) {
	case TRACE_INSN: fmt_insn(tt, ev, p, len); break;
	case TRACE_MODE:
		snprintf(p, len, "mode %s -> %s at rip=0x%llx", mode_name(a[0]), mode_name(a[1]),
			 (unsigned long long)ev->pc);
		break;
	case TRACE_INT:
		snprintf(p, len, "int 0x%02llx (%s) at 0x%llx", (unsigned long long)a[0],
			 a[1] == 0   ? "external"
			 : a[1] == 1 ? "INT n"
				     : "NMI",
			 (unsigned long long)ev->pc);
		break;
	case TRACE_EXC: {
		char code[48] = "", cr2[40] = "";
		const char *nm = a[0] < 32 && exc_name[a[0]] ? exc_name[a[0]] : "#?";

		if (a[2])
			snprintf(code, sizeof(code), "(0x%llx)", (unsigned long long)a[1]);
		if (a[0] == EXC_PF)
			snprintf(cr2, sizeof(cr2), " cr2=0x%llx", (unsigned long long)a[3]);
		snprintf(p, len, "exc %s%s%s at 0x%llx", nm, code, cr2, (unsigned long long)ev->pc);
		break;
	}
	case TRACE_IO:
		snprintf(p, len, "io %s 0x%llx %s 0x%llx (%llu)", a[3] ? "out" : "in",
			 (unsigned long long)a[0], a[3] ? "<-" : "->", (unsigned long long)a[1],
			 (unsigned long long)a[2]);
		break;
	case TRACE_MMIO:
		snprintf(p, len, "mmio %s 0x%llx %s 0x%llx (%llu)", a[3] ? "write" : "read",
			 (unsigned long long)a[0], a[3] ? "<-" : "->", (unsigned long long)a[1],
			 (unsigned long long)a[2]);
		break;
	case TRACE_CR:
		snprintf(p, len, "cr%llu 0x%llx -> 0x%llx at 0x%llx", (unsigned long long)a[0],
			 (unsigned long long)a[1], (unsigned long long)a[2],
			 (unsigned long long)ev->pc);
		break;
	case TRACE_MSR:
		snprintf(p, len, "%s 0x%llx %s 0x%llx", a[2] ? "wrmsr" : "rdmsr",
			 (unsigned long long)a[0], a[2] ? "<-" : "->", (unsigned long long)a[1]);
		break;
	case TRACE_BLOCK:
		snprintf(p, len, "block 0x%llx (%llu insns)", (unsigned long long)a[0],
			 (unsigned long long)a[1]);
		break;
	case TRACE_SHUTDOWN:
		snprintf(p, len, "shutdown (triple fault) at 0x%llx", (unsigned long long)ev->pc);
		break;
	case TRACE_EXIT:
		snprintf(p, len, "exit status %llu (guest value 0x%llx)", (unsigned long long)a[1],
			 (unsigned long long)a[0]);
		break;
	case TRACE_UNCLAIMED:
		snprintf(p, len, "unclaimed %s %s 0x%llx (%llu)", a[3] ? "port" : "memory",
			 a[2] ? "write" : "read", (unsigned long long)a[0],
			 (unsigned long long)a[1]);
		break;
	default:
		/* Kinds without a dedicated layout yet: name and raw arguments. */
		snprintf(p, len, "%s 0x%llx 0x%llx 0x%llx 0x%llx", trace_kind_name[ev->kind],
			 (unsigned long long)a[0], (unsigned long long)a[1],
			 (unsigned long long)a[2], (unsigned long long)a[3]);
		break;
	}
	if (ev->text && ev->kind != TRACE_EXIT) {
		w = strlen(buf);
		snprintf(buf + w, len + (p - buf) - w, " (%s)", ev->text);
	}
}

static void trace_text_event(void *opaque, const struct trace_event *ev)
{
	struct trace_text *tt = opaque;
	char line[512];

	if (ev->kind == TRACE_INSN && tt->snap && ev->cpu >= 0 && ev->cpu < tt->ncpus) {
		/* The changes of the CPU's previous instruction, then this one. */
		if (tt->regdiff)
			regs_diff(tt, ev->cpu, ev->icount);
		regs_take(&tt->cpus[ev->cpu], &tt->snap[ev->cpu]);
	}
	trace_text_format(tt, ev, line, sizeof(line));
	fprintf(tt->out, "%s\n", line);
}

int trace_text_open(struct trace_text *tt, struct trace *t, u64 mask, const char *path,
		    struct err *e)
{
	struct trace_sink s = {trace_text_event, tt, mask};
	size_t n = path ? strlen(path) : 0;

	memset(tt, 0, sizeof(*tt));
	tt->out = stderr;
	tt->trace = t;
	if (path) {
		if (n >= 5 && !strcmp(path + n - 5, ".json"))
			return err_set(e,
				       "--trace-file: %s: the .json suffix is reserved for the "
				       "Chrome trace format (monitor/trace_json.c)",
				       path);
		tt->out = fopen(path, "w");
		if (!tt->out)
			return err_errno(e, "--trace-file: %s", path);
		tt->close_out = true;
	}
	if (trace_add_sink(t, &s, e) < 0) {
		trace_text_close(tt);
		return -1;
	}
	return 0;
}

void trace_text_close(struct trace_text *tt)
{
	if (tt->dis_open)
		disas_close(&tt->dis);
	tt->dis_open = false;
	symtab_free(&tt->syms);
	free(tt->snap);
	tt->snap = NULL;
	tt->cpus = NULL;
	if (tt->out)
		fflush(tt->out);
	if (tt->close_out && tt->out)
		fclose(tt->out);
	tt->out = NULL;
}
