/*
 * trace_text.c - the readable text sink of the trace stream (DESIGN.md §5):
 * one line per event, `[icount] cpuN what`, the icount being the machine's
 * retired-instruction count (its virtual time).  Instructions are shown
 * with their bytes and capstone's disassembly.
 *
 * The meaning of each event's a[0..3] is documented in lib/trace.def; this
 * file is its reader.
 */
#include "monitor/trace_text.h"

#include <capstone/capstone.h>
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
	int which = ev->a[3] == 2 ? 0 : ev->a[3] == 4 ? 1 : 2;
	cs_insn *ci = NULL;

	memcpy(bytes, &ev->a[1], 8);
	memcpy(bytes + 8, &ev->a[2], 8);
	w = snprintf(p, len, "insn 0x%llx:", (unsigned long long)ev->pc);
	for (unsigned i = 0; i < n && w < len; i++)
		w += snprintf(p + w, len - w, " %02x", bytes[i]);
	if (!tt->cs_tried) {
		static const cs_mode modes[3] = {CS_MODE_16, CS_MODE_32, CS_MODE_64};
		tt->cs_tried = true;
		for (int i = 0; i < 3; i++) {
			csh h;
			tt->cs[i] = cs_open(CS_ARCH_X86, modes[i], &h) == CS_ERR_OK ? (size_t)h : 0;
		}
	}
	if (w < len && tt->cs[which] && cs_disasm(tt->cs[which], bytes, n, ev->pc, 1, &ci) == 1) {
		snprintf(p + w, len - w, "%*s%s %s", w < 48 ? 48 - (int)w : 1, "", ci->mnemonic,
			 ci->op_str);
		cs_free(ci, 1);
	}
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
	if (path) {
		if (n >= 5 && !strcmp(path + n - 5, ".json"))
			return err_set(e,
				       "--trace-file: %s: the .json suffix is reserved for the "
				       "Chrome trace format, which is not written yet",
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
	for (int i = 0; i < 3; i++)
		if (tt->cs[i]) {
			csh h = tt->cs[i];
			cs_close(&h);
			tt->cs[i] = 0;
		}
	if (tt->out)
		fflush(tt->out);
	if (tt->close_out && tt->out)
		fclose(tt->out);
	tt->out = NULL;
}
