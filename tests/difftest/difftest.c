/*
 * difftest.c - vmlab-difftest: every instruction form of the ISA table, run
 * on the host CPU and in vmlab from the same random states, compared.
 *
 *   vmlab-difftest [--seed N] [--cases M] [--mode 64|32] [--form NAME]
 *                  [--list-skipped] [--max-report K]
 *
 * Compared: all general registers (the low 32 bits in 32-bit mode), every
 * arithmetic flag the SDM defines for the form plus DF, the data memory, and
 * the exception raised, if any.  Differences in flags the SDM leaves
 * undefined are counted and reported separately: they are not errors, but
 * they are not hidden either.  The last line is always
 *   difftest: F forms, C cases, K mismatches
 * and the exit status is 1 when K > 0.
 */
#include "tests/difftest/difftest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/insn.h"
#include "cpu/isa.h"

static struct dt_case tc;
static struct dt_state nat, vm;

static void usage(void)
{
	fprintf(stderr, "usage: vmlab-difftest [--seed N] [--cases M] [--mode 64|32] [--form NAME] "
			"[--list-skipped] [--max-report K]\n");
	exit(2);
}

static void dump_case(const char *what)
{
	const struct isa_form *f = &isa_forms[tc.form];

	printf("MISMATCH %s (%s) mode %u: %s\n  bytes:", f->name, f->mnem, tc.mode, what);
	for (unsigned k = 0; k < tc.len; k++)
		printf(" %02x", tc.bytes[k]);
	printf("\n  in   rflags=%#llx\n", (unsigned long long)tc.in.rflags);
	for (int r = 0; r < 16; r++)
		printf("  %-4s in=%016llx host=%016llx vmlab=%016llx%s\n",
		       (const char *[]){ "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9",
					 "r10", "r11", "r12", "r13", "r14", "r15" }[r],
		       (unsigned long long)tc.in.gpr[r], (unsigned long long)nat.gpr[r],
		       (unsigned long long)vm.gpr[r], nat.gpr[r] != vm.gpr[r] ? "  <--" : "");
	printf("  rflags host=%#llx vmlab=%#llx; exception host=%d vmlab=%d\n",
	       (unsigned long long)nat.rflags, (unsigned long long)vm.rflags, nat.exc, vm.exc);
}

/* Linux reports #SS and #AC both as SIGBUS. */
static bool same_exception(int host, int ours)
{
	if (host == EXC_SS)
		return ours == EXC_SS || ours == EXC_AC;
	return host == ours;
}

int main(int argc, char **argv)
{
	u64 seed = 1, cases = 200, rng;
	unsigned mode = 64, max_report = 20;
	const char *only = NULL;
	bool list_skipped = false;
	u64 nforms = 0, ncases = 0, nmis = 0, nundef = 0, nskipped = 0;

	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--seed") && a + 1 < argc)
			seed = strtoull(argv[++a], NULL, 0);
		else if (!strcmp(argv[a], "--cases") && a + 1 < argc)
			cases = strtoull(argv[++a], NULL, 0);
		else if (!strcmp(argv[a], "--mode") && a + 1 < argc)
			mode = atoi(argv[++a]);
		else if (!strcmp(argv[a], "--form") && a + 1 < argc)
			only = argv[++a];
		else if (!strcmp(argv[a], "--max-report") && a + 1 < argc)
			max_report = atoi(argv[++a]);
		else if (!strcmp(argv[a], "--list-skipped"))
			list_skipped = true;
		else
			usage();
	}
	if (mode != 64 && mode != 32)
		usage();
	if (dt_native_init() || dt_vm_init())
		return 2;
	if (mode == 32 && !dt_native_compat_works()) {
		/* No oracle, no verdict: say so plainly and let the caller skip. */
		printf("difftest: this host cannot execute compatibility-mode (32-bit) code: the far\n"
		       "difftest: transfer to the 32-bit user code segment 0x23 faults, so 32-bit forms\n"
		       "difftest: have no native oracle here. Nothing was compared.\n");
		printf("difftest: 0 forms, 0 cases, 0 mismatches (skipped: no 32-bit oracle)\n");
		return 77;
	}

	for (int form = 0; form < FORM_COUNT; form++) {
		const struct isa_form *f = &isa_forms[form];
		const char *why = NULL;
		u64 form_mis = 0;

		if (only && strcmp(only, f->name))
			continue;
		if (!dt_form_testable(form, mode, &why)) {
			nskipped++;
			if (list_skipped || only)
				printf("skip %-16s %s\n", f->name, why);
			continue;
		}
		nforms++;
		rng = seed * 0x9E3779B97F4A7C15ULL + (u64)form * 0x100000001B3ULL + mode;
		if (!rng)
			rng = 1;
		for (u64 k = 0; k < cases; k++) {
			struct insn in;
			int tries = 0, len;
			u64 undef, fmask;
			const char *what = NULL;

			/* Encode until the bytes decode back as this form: a row with
			 * wildcards (0F 18 /r hint NOPs) shares encodings with more
			 * specific rows (PREFETCHT0 is 0F 18 /1), which win. */
			for (;;) {
				memset(&tc, 0, sizeof(tc));
				tc.form = form;
				tc.mode = mode;
				len = -1;
				if (dt_encode(&tc, &rng)) {
					len = isa_decode(&in, tc.bytes, tc.len, mode == 64 ? 8 : 4);
					if (len == (int)tc.len && in.form == form)
						break;
					if (len > 0 && isa_forms[in.form].map == f->map &&
					    isa_forms[in.form].opcode == f->opcode &&
					    in.form != form && tries < 50) {
						tries++;
						continue;
					}
				}
				if (++tries > 50)
					break;
				if (len < 0 && !tc.len)
					continue;
				break;
			}
			if (tries > 50 && !tc.len)
				continue;
			ncases++;
			/* Our decoder must read the bytes back as the same form. */
			if (len != (int)tc.len || in.form != form) {
				nmis++;
				form_mis++;
				if (nmis <= max_report) {
					printf("MISMATCH %s: encoder/decoder disagree: decoded len %d form %s, bytes:",
					       f->name, len, len > 0 ? isa_forms[in.form].name : "-");
					for (unsigned b = 0; b < tc.len; b++)
						printf(" %02x", tc.bytes[b]);
					printf("\n");
				}
				continue;
			}
			dt_native_run(&tc, &nat);
			dt_vm_run(&tc, &vm);

			undef = dt_undefined_flags(form, &tc);
			fmask = (FL_ARITH | FL_DF) & ~undef;
			if (nat.exc != -1 || vm.exc != -1) {
				if (!same_exception(nat.exc, vm.exc))
					what = "different exception";
				else if (memcmp(nat.data, vm.data, DT_DATA_LEN))
					what = "memory differs after the exception";
			} else if (undef & DT_RESULT_UNDEFINED) {
				nundef++; /* the SDM leaves the result undefined */
			} else {
				for (int r = 0; r < (mode == 64 ? 16 : 8); r++) {
					u64 m = mode == 64 ? ~0ULL : 0xffffffffULL;
					if ((nat.gpr[r] ^ vm.gpr[r]) & m)
						what = "register differs";
				}
				if (!what && ((nat.rflags ^ vm.rflags) & fmask))
					what = "defined flag differs";
				if (!what && memcmp(nat.data, vm.data, DT_DATA_LEN))
					what = "memory differs";
				if (!what && ((nat.rflags ^ vm.rflags) & undef & FL_ARITH))
					nundef++;
			}
			if (what) {
				nmis++;
				form_mis++;
				if (nmis <= max_report)
					dump_case(what);
			}
		}
		if (form_mis)
			printf("form %-16s %llu/%llu mismatches\n", f->name, (unsigned long long)form_mis,
			       (unsigned long long)cases);
	}
	printf("difftest: mode %u, seed %llu, %llu forms skipped (--list-skipped), "
	       "%llu cases differ only in SDM-undefined flags or results\n",
	       mode, (unsigned long long)seed, (unsigned long long)nskipped, (unsigned long long)nundef);
	printf("difftest: %llu forms, %llu cases, %llu mismatches\n", (unsigned long long)nforms,
	       (unsigned long long)ncases, (unsigned long long)nmis);
	return nmis ? 1 : 0;
}
