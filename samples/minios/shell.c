/*
 * shell.c - minios's command interpreter.  Lines come first from the
 * boot-time script on the disk (sector SCRIPT_LBA, a text that starts with
 * "#!minios-script" and ends at a NUL byte), then from the console: COM1
 * and the keyboard.  The script lets tests drive the shell without a
 * terminal (and feed "typed" input before vmlab has a host keyboard path).
 */
#include "samples/minios/kernel.h"

static void cmd_help(void)
{
	static const char *const lines[] = {
	    "help            this list",
	    "echo TEXT       print TEXT",
	    "ticks           timer ticks since boot",
	    "mem             free frames and heap",
	    "disk [N]        write, read back and verify N scratch sectors",
	    "run N           run ring-3 program N (0 good, 1-3 misbehaving)",
	    "smp             work, a spinlock and IPIs on every CPU",
	    "ioapic, pic     route the ISA IRQs through the I/O APIC / the 8259",
	    "selftest        the whole in-guest test suite",
	    "exit            power off (status 33 if no test failed)",
	};
	kprintf("commands:\n");
	for (unsigned i = 0; i < sizeof lines / sizeof lines[0]; i++)
		kprintf("  %s\n", lines[i]);
}

static u32 atou(const char *s, u32 dflt)
{
	u32 v = 0;
	if (*s < '0' || *s > '9')
		return dflt;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (u32)(*s++ - '0');
	return v;
}

static void execute(char *line)
{
	char *arg = line;
	while (*arg && *arg != ' ')
		arg++;
	if (*arg)
		*arg++ = 0;
	while (*arg == ' ')
		arg++;
	if (!strcmp(line, "help"))
		cmd_help();
	else if (!strcmp(line, "echo"))
		kprintf("%s\n", arg);
	else if (!strcmp(line, "ticks"))
		kprintf("~ ticks: %u (%u.%02u s at %u Hz)\n", ticks, ticks / HZ, ticks % HZ, HZ);
	else if (!strcmp(line, "mem"))
		kprintf("mem: %u free frames, %u bytes free heap, %u demand faults\n",
			frame_free_count(), (u32)kheap_free_bytes(), demand_faults);
	else if (!strcmp(line, "disk")) {
		int n = (int)atou(arg, 64);
		kprintf("disk: %d sectors from LBA %u: %s\n", n, SCRATCH_LBA,
			disk_test(n) ? "FAILED" : "ok");
	} else if (!strcmp(line, "run")) {
		int r = user_run((int)atou(arg, 0));
		kprintf("run: program ended with %d\n", r);
	} else if (!strcmp(line, "ioapic") || !strcmp(line, "pic")) {
		if (line[0] == 'i' && ioapic_ready && !irq_via_ioapic)
			irq_use_ioapic();
		else if (line[0] == 'p' && irq_via_ioapic)
			irq_use_pic();
		kprintf("~ interrupts: %s\n", irq_via_ioapic ? "I/O APIC" : "8259 PIC");
	} else if (!strcmp(line, "smp")) {
		kprintf("smp: %s\n", smp_run(1) ? "FAILED" : "ok");
	} else if (!strcmp(line, "selftest"))
		selftest_run();
	else if (!strcmp(line, "exit")) {
		kprintf("minios: power off (%d self-test failures)\n", selftest_failures);
		machine_exit(selftest_failures ? 0x20 : 0x10);
	} else
		kprintf("%s: unknown command (try help)\n", line);
}

static void run_script(void)
{
	static char buf[4096];
	if (ide_read(SCRIPT_LBA, 8, buf) < 0) {
		kprintf("shell: cannot read the script sectors\n");
		return;
	}
	buf[sizeof buf - 1] = 0;
	if (strncmp(buf, "#!minios-script\n", 16))
		return;
	kprintf("shell: running the boot script from LBA %u\n", SCRIPT_LBA);
	char *p = buf + 16;
	while (*p) {
		char *line = p;
		while (*p && *p != '\n')
			p++;
		if (*p)
			*p++ = 0;
		if (!*line || *line == '#')
			continue;
		kprintf("minios> %s\n", line);
		execute(line);
	}
}

/* Read one line with echo; \r or \n ends it, backspace edits. */
static int read_line(char *buf, int max)
{
	int n = 0;
	for (;;) {
		int c = console_getc();
		if (c == '\r' || c == '\n') {
			if (!n)
				continue; /* "\r\n" and empty lines: wait for more */
			console_putc('\n');
			buf[n] = 0;
			return n;
		}
		if ((c == '\b' || c == 0x7f) && n) {
			n--;
			console_write("\b \b", 3);
		} else if (c >= ' ' && c < 0x7f && n < max - 1) {
			buf[n++] = (char)c;
			console_putc((char)c);
		}
	}
}

void shell_run(void)
{
	static char line[128];
	run_script();
	for (;;) {
		kprintf("minios> ");
		read_line(line, sizeof line);
		execute(line);
	}
}
