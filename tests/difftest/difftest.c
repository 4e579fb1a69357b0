/*
 * difftest.c - vmlab-difftest: every instruction form of the ISA table, run
 * on the host CPU and in vmlab from the same random states, compared.
 *
 *   vmlab-difftest [--seed N] [--cases M] [--mode 64|32] [--form NAME]
 *                  [--list-skipped] [--max-report K]
 *                  [--oracle auto|native|qemu] [--known FILE] [--plant-bug]
 *
 * The oracle is the host CPU (native.c).  32-bit forms need a host that runs
 * compatibility-mode code; where it cannot, --oracle auto (the default) falls
 * back to QEMU user-mode emulation (qemu32.c: oracle32.c under qemu-i386),
 * and vmlab then runs 32-bit cases in legacy protected mode, as a Linux i386
 * process runs.  Where QEMU is known to differ from the SDM, the FILE of
 * --known (tests/difftest/qemu32.known, known.c) names each form with its SDM
 * reference; those differences are counted and shown, not failed (the
 * QEMU oracle loads that file by default, found from the binary's path).
 * --plant-bug flips bit 0 of vmlab's EAX after every case: a run that then
 * reports no mismatch has an oracle that cannot fail (the suite checks).
 *
 * Compared: all general registers (the low 32 bits in 32-bit mode), every
 * arithmetic flag the SDM defines for the form plus DF and the user-visible
 * system flags (TF IF IOPL NT AC ID), where execution continued (RIP: the
 * fall-through, a branch's taken target, or elsewhere), the data memory, and
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
static void (*oracle_run)(const struct dt_case *tc, struct dt_state *out) = dt_native_run;
static const char *oracle_name = "host CPU";

static void usage(void)
{
	fprintf(stderr,
		"usage: vmlab-difftest [--seed N] [--cases M] [--mode 64|32] [--form NAME] "
		"[--list-skipped] [--max-report K] [--oracle auto|native|qemu] [--known FILE] "
		"[--plant-bug]\n");
	exit(2);
}

static void dump_case(const char *what)
{
	const struct isa_form *f = &isa_forms[tc.form];

	printf("MISMATCH %s (%s) mode %u: %s\n  bytes:", f->name, f->mnem, tc.mode, what);
	for (unsigned k = 0; k < tc.len; k++)
		printf(" %02x", tc.bytes[k]);
	printf("\n  in   rflags=%#llx\n", (unsigned long long)tc.in.rflags);
	for (int r = 0; r < (tc.mode == 64 ? 16 : 8); r++)
		printf("  %-4s in=%016llx host=%016llx vmlab=%016llx%s\n",
		       (const char *[]){"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
					"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"}[r],
		       (unsigned long long)tc.in.gpr[r], (unsigned long long)nat.gpr[r],
		       (unsigned long long)vm.gpr[r], nat.gpr[r] != vm.gpr[r] ? "  <--" : "");
	printf("  oracle: %s\n", oracle_name);
	printf("  rflags host=%#llx vmlab=%#llx; exception host=%d vmlab=%d\n",
	       (unsigned long long)nat.rflags, (unsigned long long)vm.rflags, nat.exc, vm.exc);
	for (unsigned k = 0, shown = 0; k < DT_DATA_LEN && shown < 4; k += 8) {
		u64 h, v, was;
		memcpy(&h, nat.data + k, 8);
		memcpy(&v, vm.data + k, 8);
		memcpy(&was, tc.in.data + k, 8);
		if (h != v) {
			printf("  mem %#llx in=%016llx host=%016llx vmlab=%016llx\n",
			       (unsigned long long)(DT_DATA_VA + k), (unsigned long long)was,
			       (unsigned long long)h, (unsigned long long)v);
			shown++;
		}
	}
	printf("  rip host=%#llx vmlab=%#llx (instruction at %#llx, taken target %#llx)\n",
	       (unsigned long long)nat.rip, (unsigned long long)vm.rip,
	       (unsigned long long)DT_INSN_VA, (unsigned long long)tc.target);
}

/* Linux reports #SS and #AC both as SIGBUS, and #GP and #BR both as
 * SIGSEGV with SI_KERNEL (the 32-bit oracles; BOUND is invalid in 64-bit
 * mode, where native.c's #GP is always #GP). */
static bool same_exception(int host, int ours)
{
	if (host == EXC_SS)
		return ours == EXC_SS || ours == EXC_AC;
	if (host == EXC_GP)
		return ours == EXC_GP || ours == EXC_BR;
	return host == ours;
}

/* Compare the host's and vmlab's results of one case; NULL when they
 * agree.  *undef_seen: they differ only where the SDM leaves it undefined. */
static const char *compare(struct dt_case *c, unsigned mode, u64 undef, u32 skip_regs,
			   bool *undef_seen)
{
	/* Besides the arithmetic flags and DF, the system flags a user-mode
	 * POPF may or may not change. */
	u64 fmask = (FL_ARITH | FL_DF | FL_TF | FL_IF | FL_IOPL | FL_NT | FL_AC | FL_ID) & ~undef;

	*undef_seen = false;
	if (nat.exc != -1 || vm.exc != -1) {
		if (!same_exception(nat.exc, vm.exc))
			return "different exception";
		if (memcmp(nat.data, vm.data, DT_DATA_LEN))
			return "memory differs after the exception";
		return NULL;
	}
	if (undef & DT_RESULT_UNDEFINED) {
		*undef_seen = true; /* the SDM leaves the result undefined */
		return NULL;
	}
	dt_mask_memory(c, &nat, &vm); /* implementation-defined bytes */
	for (int r = 0; r < (mode == 64 ? 16 : 8); r++) {
		u64 m = mode == 64 ? ~0ULL : 0xffffffffULL;
		if (skip_regs & (1u << r))
			continue;
		if ((nat.gpr[r] ^ vm.gpr[r]) & m)
			return "register differs";
	}
	if (nat.rip != vm.rip)
		return "RIP differs (branch or instruction length)";
	if ((nat.rflags ^ vm.rflags) & fmask)
		return "defined flag differs";
	if (memcmp(nat.data, vm.data, DT_DATA_LEN))
		return "memory differs";
	*undef_seen = ((nat.rflags ^ vm.rflags) & undef & FL_ARITH) != 0;
	return NULL;
}

int main(int argc, char **argv)
{
	u64 seed = 1, cases = 200, rng;
	unsigned mode = 64, max_report = 20;
	const char *only = NULL, *oracle = "auto", *known = NULL;
	bool list_skipped = false, plant = false;
	u64 nforms = 0, ncases = 0, nmis = 0, nundef = 0, nskipped = 0, nsizes = 0, nknown = 0;

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
		else if (!strcmp(argv[a], "--oracle") && a + 1 < argc)
			oracle = argv[++a];
		else if (!strcmp(argv[a], "--known") && a + 1 < argc)
			known = argv[++a];
		else if (!strcmp(argv[a], "--plant-bug"))
			plant = true;
		else
			usage();
	}
	if (mode != 64 && mode != 32)
		usage();
	if (strcmp(oracle, "auto") && strcmp(oracle, "native") && strcmp(oracle, "qemu"))
		usage();
	if (dt_native_init() || dt_vm_init())
		return 2;
	if (mode == 64 && !strcmp(oracle, "qemu"))
		usage(); /* qemu-i386 is a 32-bit oracle only */
	if (mode == 32 &&
	    (!strcmp(oracle, "qemu") || (!strcmp(oracle, "auto") && !dt_native_compat_works()))) {
		char why[256];

		if (!strcmp(oracle, "auto"))
			printf("difftest: this host cannot execute compatibility-mode (32-bit) "
			       "code (the far\n"
			       "difftest: transfer to the 32-bit user code segment 0x23 faults): "
			       "the oracle is qemu-i386\n");
		if (dt_qemu_init(why, sizeof(why))) {
			/* No oracle, no verdict: say so plainly and let the caller skip. */
			printf("difftest: no 32-bit oracle: %s. Nothing was compared.\n", why);
			printf("difftest: 0 forms, 0 cases, 0 mismatches (skipped: no 32-bit "
			       "oracle)\n");
			return 77;
		}
		oracle_run = dt_qemu_run;
		oracle_name = "qemu-i386 (QEMU TCG, user mode)";
		dt_vm_set_legacy32(true);
	} else if (mode == 32 && !dt_native_compat_works()) {
		printf("difftest: this host cannot execute compatibility-mode (32-bit) code: "
		       "--oracle native has nothing to run on. Nothing was compared.\n");
		printf("difftest: 0 forms, 0 cases, 0 mismatches (skipped: no 32-bit oracle)\n");
		return 77;
	}
	/* The QEMU oracle without its list of deviations would report QEMU's
	 * bugs as vmlab's: use the list next to the sources by default (the
	 * binary lives in build/, the list in tests/difftest/). */
	static char known_path[4096 + 64];
	if (!known && oracle_run == dt_qemu_run) {
		char *slash;
		FILE *f;

		if (realpath("/proc/self/exe", known_path) && (slash = strrchr(known_path, '/'))) {
			strcpy(slash, "/../tests/difftest/qemu32.known");
			if ((f = fopen(known_path, "r"))) {
				fclose(f);
				known = known_path;
			}
		}
		if (!known && (f = fopen("tests/difftest/qemu32.known", "r"))) {
			fclose(f);
			known = "tests/difftest/qemu32.known";
		}
		printf("difftest: known QEMU deviations from %s\n",
		       known ? known
			     : "nowhere (tests/difftest/qemu32.known not found: use --known)");
	}
	if (known && dt_known_load(known, oracle_run == dt_qemu_run))
		return 2;

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
		unsigned sizes_seen = 0; /* bit per operand size exercised: 1, 2, 4, 8 */
		rng = seed * 0x9E3779B97F4A7C15ULL + (u64)form * 0x100000001B3ULL + mode;
		if (!rng)
			rng = 1;
		for (u64 k = 0; k < cases; k++) {
			struct insn in;
			int tries = 0, len;
			u64 undef;
			const char *what = NULL;
			bool nundef_case;

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
					/* Our decoder says #UD (LOCK on a register
					 * operand, ...): the host must agree. */
					if (len == DECODE_UD)
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
			if (len != DECODE_UD && (len != (int)tc.len || in.form != form)) {
				nmis++;
				form_mis++;
				if (nmis <= max_report) {
					printf("MISMATCH %s: encoder/decoder disagree: decoded len "
					       "%d form %s, bytes:",
					       f->name, len,
					       len > 0 ? isa_forms[in.form].name : "-");
					for (unsigned b = 0; b < tc.len; b++)
						printf(" %02x", tc.bytes[b]);
					printf("\n");
				}
				continue;
			}
			sizes_seen |= tc.osize & 15;
			dt_vm_run(&tc, &vm);
			if (plant)
				vm.gpr[RAX] ^= 1; /* a bug the oracle must see */
			undef = dt_undefined_flags(form, &tc);
			/* The host is the oracle, but a noisy one: an interrupt
			 * between the instruction and the stub's PUSHFQ can lose
			 * NT under some hypervisors.  A difference must show on
			 * two native runs before it is reported. */
			for (int run = 0; run < 2; run++) {
				oracle_run(&tc, &nat);
				what = compare(&tc, mode, undef, 0, &nundef_case);
				if (!what)
					break;
			}
			/* A difference the known-deviation file explains
			 * (QEMU oracle only): counted, shown at the end. */
			if (what) {
				u64 kf;
				u32 kr;
				if (dt_known_excuse(&tc, &nat, &vm, &kf, &kr))
					what = NULL;
				else if ((kf || kr) &&
					 !compare(&tc, mode, undef | kf, kr, &nundef_case))
					what = NULL;
				nknown += !what;
			}
			nundef += nundef_case;
			if (what) {
				nmis++;
				form_mis++;
				if (nmis <= max_report)
					dump_case(what);
			}
		}
		nsizes += __builtin_popcount(sizes_seen);
		if (form_mis)
			printf("form %-16s %llu/%llu mismatches\n", f->name,
			       (unsigned long long)form_mis, (unsigned long long)cases);
	}
	dt_known_report();
	printf("difftest: mode %u, oracle %s, seed %llu, %llu forms skipped (--list-skipped)\n",
	       mode, oracle_name, (unsigned long long)seed, (unsigned long long)nskipped);
	printf("difftest: %llu cases differ only in SDM-undefined flags or results, %llu only "
	       "as known oracle deviations (listed above)\n",
	       (unsigned long long)nundef, (unsigned long long)nknown);
	/* The SDM's opcode tables list each operand size as its own form
	 * (ADD r/m16, r16 / ADD r/m32, r32 / ADD r/m64, r64); our table has one
	 * row for all three.  The last line counts SDM forms (row x operand
	 * size); the line before it says how many table rows they came from. */
	printf("difftest: %llu SDM forms (operand sizes) from %llu table rows\n",
	       (unsigned long long)nsizes, (unsigned long long)nforms);
	printf("difftest: %llu forms, %llu cases, %llu mismatches\n", (unsigned long long)nsizes,
	       (unsigned long long)ncases, (unsigned long long)nmis);
	return nmis ? 1 : 0;
}
