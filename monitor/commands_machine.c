/*
 * commands_machine.c - the monitor's commands that look at the whole
 * machine rather than one CPU: the board's devices and bus counters, the
 * interrupt controllers (8259 PIC, local and I/O APIC), the VGA text
 * screen, run statistics (instructions, exceptions by SDM Vol 3 §6.3
 * vector, TLB, block cache, I/O, trace events), the mode-switch history
 * and trace control.  The per-CPU commands are commands_inspect.c.
 */
#include <string.h>

#include "cpu/block.h"
#include "devices/vga_text.h"
#include "mmu/tlb.h"
#include "monitor/repl.h"
#include "monitor/trace_text.h"

static void describe(struct monitor *m, const struct device *d)
{
	char buf[1024] = "";

	if (d->ops && d->ops->describe)
		d->ops->describe(d->state, buf, sizeof(buf));
	mon_printf(m, "%-12s %s\n", d->name, buf);
}

static bool cmd_devices(struct monitor *m, int argc, char **argv, const char *rest)
{
	struct board *b = &m->vm->board;
	struct bus *bus = &b->bus;

	for (int i = 0; i < b->ndevices; i++)
		describe(m, &b->devices[i]);
	mon_printf(m, "I/O ports:\n");
	for (int i = 0; i < bus->npio; i++) {
		const struct bus_range *r = &bus->pio[i];

		mon_printf(m, "  0x%04llx-0x%04llx %-12s reads %llu writes %llu\n",
			   (unsigned long long)r->base, (unsigned long long)(r->base + r->size - 1),
			   r->name  ? r->name
			   : r->ops ? r->ops->name
				    : "?",
			   (unsigned long long)r->reads, (unsigned long long)r->writes);
	}
	mon_printf(m, "memory:\n");
	for (int i = 0; i < bus->nmem; i++) {
		const struct bus_range *r = &bus->mem[i];
		static const char *const kind[3] = {"RAM", "ROM", "MMIO"};

		mon_printf(m, "  0x%09llx-0x%09llx %-4s %-12s reads %llu writes %llu\n",
			   (unsigned long long)r->base, (unsigned long long)(r->base + r->size - 1),
			   kind[r->kind],
			   r->name  ? r->name
			   : r->ops ? r->ops->name
				    : "",
			   (unsigned long long)r->reads, (unsigned long long)r->writes);
	}
	return true;
}

static bool show_device(struct monitor *m, const char *prefix, const char *what)
{
	struct board *b = &m->vm->board;
	bool any = false;

	for (int i = 0; i < b->ndevices; i++) {
		if (!strncmp(b->devices[i].name, prefix, strlen(prefix))) {
			describe(m, &b->devices[i]);
			any = true;
		}
	}
	if (!any)
		mon_printf(m, "no %s on this board\n", what);
	return true;
}

static bool cmd_irq(struct monitor *m, int argc, char **argv, const char *rest)
{
	struct board *b = &m->vm->board;

	/* The legacy 8259 pair always; the APICs when the board has them
	 * (SDM Vol 3 §11: one local APIC per CPU, the I/O APIC's redirection
	 * table). */
	show_device(m, "pic", "interrupt controller (8259 PIC)");
	for (int i = 0; i < b->ndevices; i++)
		if (!strncmp(b->devices[i].name, "lapic", 5) ||
		    !strncmp(b->devices[i].name, "ioapic", 6))
			describe(m, &b->devices[i]);
	return true;
}

/* The VGA state, then the text screen as the guest drew it (80x25 cells at
 * 0xB8000 from the CRTC start address): row numbers, trailing blank rows
 * folded into one line, the cursor last. */
static bool cmd_vga(struct monitor *m, int argc, char **argv, const char *rest)
{
	void *vga = board_find_device(&m->vm->board, "vga");
	char screen[(VGA_COLS + 1) * VGA_ROWS + 64];
	char *rows[VGA_ROWS + 1], *p = screen;
	int n = 0, last = -1;

	show_device(m, "vga", "VGA device");
	if (!vga)
		return true;
	vga_text_render(vga, screen, sizeof(screen));
	while (n <= VGA_ROWS && *p) {
		rows[n] = p;
		p += strcspn(p, "\n");
		if (*p)
			*p++ = 0;
		if (n < VGA_ROWS && rows[n][0])
			last = n;
		n++;
	}
	for (int r = 0; r <= last; r++)
		mon_printf(m, "%2d|%s\n", r, rows[r]);
	if (last < VGA_ROWS - 1)
		mon_printf(m, "  (rows %d-%d blank)\n", last + 1, VGA_ROWS - 1);
	if (n > VGA_ROWS)
		mon_printf(m, "%s\n", rows[VGA_ROWS]);
	return true;
}

static bool cmd_stats(struct monitor *m, int argc, char **argv, const char *rest)
{
	static const char *const exc[32] = {"#DE", "#DB",  "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
					    "#DF", "#CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "#15",
					    "#MF", "#AC",  "#MC", "#XM", "#VE", "#CP"};
	struct vm *vm = m->vm;
	struct bus *bus = &vm->board.bus;

	mon_printf(m, "instructions retired: %llu\n", (unsigned long long)vm->retired);
	for (int i = 0; i < vm->ncpus; i++) {
		struct cpu *c = &vm->cpus[i];

		mon_printf(m, "cpu%d: %llu instructions, %llu external interrupts\n", i,
			   (unsigned long long)c->stats.insns,
			   (unsigned long long)c->stats.interrupts);
		for (int v = 0; v < 32; v++)
			if (c->stats.exceptions[v])
				mon_printf(m, "  exception %2d %-4s %llu\n", v,
					   exc[v] ? exc[v] : "",
					   (unsigned long long)c->stats.exceptions[v]);
		if (c->tlb)
			mon_printf(m, "  tlb: %llu hits, %llu misses, %llu walks (%llu refs)\n",
				   (unsigned long long)c->tlb->stats.hits,
				   (unsigned long long)c->tlb->stats.misses,
				   (unsigned long long)c->tlb->stats.walks,
				   (unsigned long long)c->tlb->stats.walk_refs);
	}
	/* The basic-block cache is shared by the CPUs of the machine. */
	if (vm->ncpus > 0 && vm->cpus[0].bc) {
		const struct block_stats *bs = block_cache_stats(vm->cpus[0].bc);

		mon_printf(m,
			   "blocks: %llu built, %llu run (%llu instructions; %llu chained, "
			   "%llu ibtc hits), %llu invalidated, %llu flushes, %llu fallbacks to "
			   "cpu_step\n",
			   (unsigned long long)bs->built, (unsigned long long)bs->runs,
			   (unsigned long long)bs->insns, (unsigned long long)bs->chained,
			   (unsigned long long)bs->ibtc_hits, (unsigned long long)bs->invalidated,
			   (unsigned long long)bs->flushes, (unsigned long long)bs->fallbacks);
	}
	mon_printf(m, "I/O by device:\n");
	for (int i = 0; i < bus->npio; i++)
		if (bus->pio[i].reads || bus->pio[i].writes)
			mon_printf(m, "  %-12s reads %llu writes %llu\n",
				   bus->pio[i].name  ? bus->pio[i].name
				   : bus->pio[i].ops ? bus->pio[i].ops->name
						     : "?",
				   (unsigned long long)bus->pio[i].reads,
				   (unsigned long long)bus->pio[i].writes);
	mon_printf(m, "trace events:\n");
	for (int k = 0; k < TRACE_KIND_COUNT; k++)
		if (vm->trace.count[k])
			mon_printf(m, "  %-10s %llu\n", trace_kind_name[k],
				   (unsigned long long)vm->trace.count[k]);
	return true;
}

static bool cmd_history(struct monitor *m, int argc, char **argv, const char *rest)
{
	if (argc < 2 || strcmp(argv[1], "mode"))
		return mon_error(m, "usage: history mode");
	if (!m->nhist)
		mon_printf(m, "no mode switch yet (cpu0 is in %s mode)\n",
			   cpu_mode_name[m->vm->cpus[0].mode]);
	for (size_t i = 0; i < m->nhist; i++) {
		const struct mode_switch *h = &m->hist[i];
		char label[200];

		mon_label(m, h->pc, label, sizeof(label));
		mon_printf(m, "[%llu] cpu%d %s -> %s at %s\n", (unsigned long long)h->icount,
			   h->cpu, h->from < CPU_MODE_COUNT ? cpu_mode_name[h->from] : "?",
			   h->to < CPU_MODE_COUNT ? cpu_mode_name[h->to] : "?", label);
	}
	return true;
}

static bool cmd_trace(struct monitor *m, int argc, char **argv, const char *rest)
{
	struct err e = {""};
	u64 mask, cur;
	bool on, regdiff;

	if (argc != 3 || (strcmp(argv[1], "on") && strcmp(argv[1], "off")))
		return mon_error(m, "usage: trace on|off KIND[,KIND...]");
	if (m->tt_sink < 0)
		return mon_error(m, "trace: no trace sink (all trace sink slots are taken)");
	if (trace_text_parse(argv[2], &mask, &regdiff, &e))
		return mon_error(m, "%s", e.msg);
	on = !strcmp(argv[1], "on");
	/* regdiff: `trace on regdiff` adds insn; `trace off regdiff` keeps insn. */
	if (regdiff) {
		m->tt->regdiff = on;
		if (!on)
			mask &= ~BIT(TRACE_INSN);
	}
	cur = m->vm->trace.sinks[m->tt_sink].mask;
	trace_set_mask(&m->vm->trace, m->tt_sink, on ? cur | mask : cur & ~mask);
	mon_printf(m, "tracing %s: %s\n", on ? "on" : "off", argv[2]);
	return true;
}

const struct mon_cmd mon_cmds_machine[] = {
    {"devices", NULL, cmd_devices, "devices", "board devices and bus access counters"},
    {"irq", NULL, cmd_irq, "irq", "interrupt controllers: 8259 PIC, local APIC, I/O APIC"},
    {"vga", NULL, cmd_vga, "vga", "the VGA text screen, if there is a VGA device"},
    {"stats", NULL, cmd_stats, "stats", "instructions, exceptions, TLB, I/O, trace counters"},
    {"history", NULL, cmd_history, "history mode", "the mode switches of the run"},
    {"trace", NULL, cmd_trace, "trace on|off KIND",
     "trace events (mode,int,exc,io,insn,regdiff,...)"},
    {NULL},
};
