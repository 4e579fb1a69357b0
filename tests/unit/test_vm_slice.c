/*
 * test_vm_slice.c - virtual time under the trap-and-emulate VMM: the run
 * loop's round robin (hypervisor/vm.c run_slice, guest_if) must end every
 * slice at the same retired instruction as on bare metal (issue 8; vmm.h
 * "SMP": output equivalence needs the same slice order).
 *
 * The oracle is --virt=none with the block cache off (the reference
 * interpreter, DESIGN.md §2).  A tiny multiboot kernel, generated here,
 * runs a loop in which every iteration has a privileged instruction (CLI:
 * emulated by the VMM, one retired instruction) and a guest fault (UD2:
 * reflected through the guest's IDT, one exception taken, as bare metal
 * takes it), then halts with IF = 0.  We record the retired count at
 * every host-input poll (the run loop polls every 16 rounds, so the poll
 * points are round boundaries) and the stop reason:
 *
 *   - before the fix, each VMM entry ended the CPU's slice early: many
 *     more rounds, polls at other instructions (console input reached the
 *     guest elsewhere: minios's `~ ticks` line drifted);
 *   - a slice that did not count the reflected fault would retire 6/5 as
 *     much per round;
 *   - the final HLT with the virtual IF clear must stop the run as "halted
 *     with interrupts disabled" (the real IF is 1 under the VMM).
 */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hypervisor/config.h"
#include "hypervisor/vm.h"

#define LOAD	   0x100000u
#define ITERATIONS 1000000u
#define MAX_POLLS  64

/* The kernel image at LOAD (32-bit code, see the comment of each line). */
static void kernel_image(u8 *p, size_t len)
{
	static const u8 code[] = {
	    0xbc, 0x00, 0x00, 0x09, 0x00,	      /* 0x10 mov esp, 0x90000 */
	    0x0f, 0x01, 0x1d, 0x40, 0x01, 0x10, 0x00, /* 0x15 lidt [0x100140] */
	    0xb9, 0,	0,    0,    0,		      /* 0x1c mov ecx, ITERATIONS */
	    0xfa,				      /* 0x21 L: cli (privileged) */
	    0x0f, 0x0b,				      /* 0x22 ud2 (#UD: reflected) */
	    0x49,				      /* 0x24 dec ecx */
	    0x75, 0xfa,				      /* 0x25 jnz L */
	    0xf4,				      /* 0x27 hlt (IF = 0) */
	    0xeb, 0xfd,				      /* 0x28 jmp 0x27 */
	};
	static const u8 handler[] = {
	    0x83, 0x04, 0x24, 0x02, /* 0x30 add dword [esp], 2: skip UD2 */
	    0xcf,		    /* 0x34 iret */
	};
	u32 mb[3] = {0x1badb002, 0, -0x1badb002u}; /* multiboot header, flags 0 */
	u32 n = ITERATIONS;
	u64 gate = 0x0030 | (0x08ULL << 16) | (0x8eULL << 40) | (0x0010ULL << 48);
	u16 lim = 8 * 8 - 1;
	u32 base = LOAD + 0x100;

	memset(p, 0, len);
	memcpy(p, mb, sizeof(mb));
	memcpy(p + 0x10, code, sizeof(code));
	memcpy(p + 0x1d, &n, 4);
	memcpy(p + 0x30, handler, sizeof(handler));
	memcpy(p + 0x100 + 6 * 8, &gate, 8); /* IDT[6] = #UD, interrupt gate */
	memcpy(p + 0x140, &lim, 2);	     /* the IDTR operand */
	memcpy(p + 0x142, &base, 4);
}

/* A one-segment ELF32 multiboot kernel in a temporary file. */
static void write_kernel(char *path)
{
	u8 img[0x148];
	Elf32_Ehdr eh = {.e_type = ET_EXEC,
			 .e_machine = EM_386,
			 .e_version = EV_CURRENT,
			 .e_entry = LOAD + 0x10,
			 .e_phoff = sizeof(Elf32_Ehdr),
			 .e_ehsize = sizeof(Elf32_Ehdr),
			 .e_phentsize = sizeof(Elf32_Phdr),
			 .e_phnum = 1};
	Elf32_Phdr ph = {.p_type = PT_LOAD,
			 .p_offset = sizeof(eh) + sizeof(ph),
			 .p_vaddr = LOAD,
			 .p_paddr = LOAD,
			 .p_filesz = sizeof(img),
			 .p_memsz = sizeof(img),
			 .p_flags = PF_R | PF_W | PF_X,
			 .p_align = 4};
	int fd = mkstemp(path);
	FILE *f;

	assert_true(fd >= 0);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS32;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	kernel_image(img, sizeof(img));
	f = fdopen(fd, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(&eh, sizeof(eh), 1, f), 1);
	assert_int_equal(fwrite(&ph, sizeof(ph), 1, f), 1);
	assert_int_equal(fwrite(img, sizeof(img), 1, f), 1);
	fclose(f);
}

/* What one run looked like from the run loop. */
struct run {
	struct vm *vm;
	u64 at[MAX_POLLS]; /* vm->retired at each non-blocking poll */
	int npolls;
	u64 retired;
	int status;
	char why[200];
};

static bool count_poll(void *opaque, int timeout_ms)
{
	struct run *r = opaque;

	if (timeout_ms < 0)
		return false; /* (would wait for input: there is none) */
	if (r->npolls < MAX_POLLS)
		r->at[r->npolls] = r->vm->retired;
	r->npolls++;
	return true;
}

static void run_kernel(const char *path, int virt, bool block_cache, struct run *r)
{
	static struct vm vm;
	struct vm_config cfg;
	struct chardev com1;
	struct err e;

	memset(r, 0, sizeof(*r));
	memset(&com1, 0, sizeof(com1));
	config_init(&cfg);
	free(cfg.kernel);
	cfg.kernel = strdup(path);
	cfg.virt = virt;
	cfg.pg_strict = virt == VIRT_TRAP;
	cfg.block_cache = block_cache;
	cfg.max_insns = 50ULL * ITERATIONS;
	vm_init(&vm);
	assert_int_equal(vm_create(&vm, &cfg, &com1, &e), 0);
	r->vm = &vm;
	vm.host_poll = count_poll;
	vm.host_opaque = r;
	r->status = vm_run(&vm, r->why, sizeof(r->why));
	r->retired = vm.retired;
	vm_destroy(&vm);
	config_free(&cfg);
}

static void slices_end_where_bare_metal_ends_them(void **state)
{
	char path[] = "/tmp/vmlab-slice-XXXXXX";
	struct run none, trap;

	(void)state;
	write_kernel(path);
	run_kernel(path, VIRT_NONE, false, &none); /* the reference interpreter */
	run_kernel(path, VIRT_TRAP, false, &trap);
	unlink(path);

	/* The oracle ran the loop: 5 instructions per iteration (cli, dec,
	 * jnz, the handler's add and iret) and halted with IF = 0. */
	assert_true(none.retired > 5ULL * ITERATIONS);
	assert_non_null(strstr(none.why, "halted with interrupts disabled"));
	assert_true(none.npolls >= 4); /* enough rounds to compare */

	/* The VMM: the same instructions, rounds and stop. */
	assert_int_equal(trap.retired, none.retired);
	assert_int_equal(trap.npolls, none.npolls);
	for (int k = 0; k < none.npolls && k < MAX_POLLS; k++)
		assert_int_equal(trap.at[k], none.at[k]);
	assert_int_equal(trap.status, none.status);
	assert_string_equal(trap.why, none.why);
}

/* The block cache must end every slice where the reference interpreter
 * ends it: cpu_run hands block_run the rest of the slice with the
 * exceptions taken counted, as its own loop counts them (before, a slice
 * with a fault in it ran up to one block longer: polls moved). */
static void block_cache_ends_slices_where_the_interpreter_does(void **state)
{
	char path[] = "/tmp/vmlab-slice-XXXXXX";
	struct run ref, bc;

	(void)state;
	write_kernel(path);
	run_kernel(path, VIRT_NONE, false, &ref);
	run_kernel(path, VIRT_NONE, true, &bc);
	unlink(path);
	assert_int_equal(bc.retired, ref.retired);
	assert_int_equal(bc.npolls, ref.npolls);
	for (int k = 0; k < ref.npolls && k < MAX_POLLS; k++)
		assert_int_equal(bc.at[k], ref.at[k]);
	assert_string_equal(bc.why, ref.why);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(slices_end_where_bare_metal_ends_them),
	    cmocka_unit_test(block_cache_ends_slices_where_the_interpreter_does),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
