/*
 * decodecheck.c - cross-check vmlab's decoder (cpu/decode.c) against capstone,
 * an oracle nobody on the team wrote (DESIGN.md §7).
 *
 * For each mode (16/32/64-bit code) generate N random byte strings -- random
 * legacy/REX prefixes, then an opcode biased towards the rows of cpu/isa.def
 * (with a plausible ModRM and VEX prefix for them), then random bytes -- and
 * decode each with isa_decode() and with capstone.  Both must agree on whether
 * the bytes are an instruction, on its length, and on the mnemonic.
 *
 * Where capstone 4 and the SDM disagree, or the instruction is outside
 * vmlab's ISA (SSE, AVX, MMX, VMX ...), the case is counted under a named,
 * documented exception instead of as a mismatch (see `exceptions` below).
 *
 *   decodecheck [-n N] [-s SEED] [-v]      exit status 1 on any mismatch
 *
 * Build (the lead's Makefile rule does the same):
 *   cc -std=gnu11 -O2 -I. $(pkg-config --cflags capstone) \
 *      tests/decodecheck/decodecheck.c cpu/decode.c cpu/isa.c lib/err.c \
 *      $(pkg-config --libs capstone) -o build/decodecheck
 * It links only the decoder and the table; the handlers are not needed, so
 * the weak aliases' target's callee (cpu_raise) is stubbed here.
 */
#include <capstone/capstone.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/isa.h"

/* isa.c's insn_unimplemented() calls cpu_raise(); nothing runs here. */
void cpu_raise(struct cpu *c, int vector, u32 error_code)
{
	abort();
}

/* ---- a small deterministic PRNG (xorshift64*) ---- */
static u64 rng_state;
static u64 rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}
static unsigned rndn(unsigned n)
{
	return (unsigned)(rnd() >> 33) % n;
}

/* ---- generation ---- */

static const u8 legacy[] = {0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x66, 0x67, 0xF0, 0xF2, 0xF3};

/* Emit the bytes of a random instruction of row f (or something near it). */
static unsigned gen_row(u8 *b, const struct isa_form *f, unsigned code_size)
{
	unsigned n = 0;
	static const u8 pfx_byte[] = {0, 0, 0x66, 0xF3, 0xF2};
	static const u8 pp_of[] = {0, 0, 1, 2, 3};
	u8 modrm = rnd();

	if (f->reg >= 0)
		modrm = (modrm & ~0x38) | f->reg << 3;
	if (f->mod == MR || (f->mod == __ && rndn(3) == 0))
		modrm |= 0xC0;
	else if (f->mod == MM && (modrm >> 6) == 3)
		modrm &= 0x3F | (rndn(3) << 6);
	if (f->rm >= 0)
		modrm = (modrm & ~7) | f->rm;

	if (f->flags & F_VEX) {
		u8 mmmmm = f->map == M0F ? 1 : f->map == M0F38 ? 2 : 3;
		u8 rxb = code_size == 8 ? rndn(8) : 7;
		u8 vvvv = rndn(4) ? rndn(16) : 15;
		u8 l = rndn(8) == 0;
		u8 w = rndn(2);
		if (rndn(2) && mmmmm == 1 && w == 0) {
			b[n++] = 0xC5;
			b[n++] = (rxb & 4) << 5 | vvvv << 3 | l << 2 | pp_of[f->pfx];
		} else {
			b[n++] = 0xC4;
			b[n++] = rxb << 5 | mmmmm;
			b[n++] = w << 7 | vvvv << 3 | l << 2 | pp_of[f->pfx];
		}
		b[n++] = f->opcode;
		b[n++] = modrm;
		return n;
	}
	if (pfx_byte[f->pfx] && rndn(8))
		b[n++] = pfx_byte[f->pfx];
	if (code_size == 8 && rndn(3) == 0)
		b[n++] = 0x40 | rndn(16);
	if (f->map != M1)
		b[n++] = 0x0F;
	if (f->map == M0F38)
		b[n++] = 0x38;
	if (f->map == M0F3A)
		b[n++] = 0x3A;
	b[n] = f->opcode;
	for (int k = 0; k < f->nopnd; k++)
		if (f->opnd[k].kind == OK_Z)
			b[n] += rndn(8);
	n++;
	b[n++] = modrm;
	return n;
}

/* A 16-byte buffer: prefixes, then a row's opcode or random bytes. */
static void gen(u8 *b, unsigned code_size)
{
	unsigned n = 0;

	for (unsigned k = 0; k < 16; k++)
		b[k] = rnd();
	/* 0-3 prefixes usually, sometimes a long run to reach the 15-byte limit. */
	unsigned npfx = rndn(4) ? rndn(3) : rndn(15);
	for (unsigned k = 0; k < npfx; k++) {
		if (code_size == 8 && rndn(6) == 0)
			b[n++] = 0x40 | rndn(16);
		else
			b[n++] = legacy[rndn(sizeof legacy)];
	}
	switch (rndn(8)) {
	case 0: /* fully random opcode */ break;
	case 1: /* random two-byte opcode */ b[n] = 0x0F; break;
	default: gen_row(b + n, &isa_forms[rndn(FORM_COUNT)], code_size); break;
	}
}

/* ---- comparison ---- */

enum exc {
	XC_NONE_,
	XC_OUTSIDE,
	XC_PFX_ORDER,
	XC_BRANCH66,
	XC_UD01,
	XC_X87,
	XC_O64,
	XC_HINTNOP,
	XC_LOCKREP,
	XC_NP,
	XC_CS16,
	XC_NEWER,
	XC_MOVCS,
	XC_JCXZ,
	XC_REXW66,
	XC_REXSREG,
	XC_REX67,
	XC_COUNT_
};
/* The documented exception list: why each class is not a decoder bug. */
static const char *const exc_why[XC_COUNT_] = {
    [XC_OUTSIDE] = "outside vmlab's ISA: capstone decodes an SSE/MMX/AVX/x87/VMX/SVM/TSX/"
		   "... instruction, vmlab answers #UD by design",
    [XC_PFX_ORDER] = "prefix order: capstone 4 ignores 66/67/F2/F3 unless they are the last "
		     "prefixes, and lets the last of 66/F2/F3 pick the opcode; SDM Vol 2 "
		     "§2.1: any order, F2/F3 win over 66 (agrees once reordered)",
    [XC_BRANCH66] = "66 on a near branch in 64-bit mode: capstone follows AMD (rel16); "
		    "Intel SDM ignores 66 there (operand size forced to 64, rel32)",
    [XC_UD01] = "UD0 (0F FF) / UD1 (0F B9): capstone 4 reads no ModRM; the SDM gives "
		"both a ModRM (UD0 /r, UD1 /r)",
    [XC_X87] = "x87 escape: vmlab decodes D8-DF for length only; capstone rejects some "
	       "reserved x87 encodings or spells them differently",
    [XC_O64] = "64-bit-only form (SWAPGS, RDFSBASE ...) outside 64-bit mode: capstone "
	       "decodes it, the SDM says #UD",
    [XC_LOCKREP] = "LOCK: capstone 4's legality check is incomplete (with F2/F3 it takes "
		   "XACQUIRE/XRELEASE and skips it; it accepts LOCK on register-destination "
		   "forms such as 0B OR Gv,Ev); SDM Vol 2 LOCK: #UD",
    [XC_NP] = "prefix on an NP/NFx or VEX form (XSETBV, RDRAND, CLAC, ANDN ...): capstone "
	      "ignores 66/F2/F3 (and LOCK) there, the SDM says #UD",
    [XC_CS16] = "capstone 4 CS_MODE_16 bugs: spells 98/99 cwde/cdq whatever the size and "
		"lacks PAUSE/CLFLUSHOPT/POPCNT/TZCNT/LZCNT/CRC32/ADCX/ADOX/INVPCID in 16-bit code",
    [XC_NEWER] = "newer than capstone 4: RDPID (F3 0F C7 /7), which capstone reads as RDSEED",
    [XC_MOVCS] = "MOV CS, r/m (8E /1): capstone decodes it; SDM Vol 2 MOV: #UD",
    [XC_JCXZ] = "67 E3: capstone 4 picks jcxz/jecxz/jrcxz wrongly when 66 or other prefixes "
		"are present; the SDM picks by the address size",
    [XC_REXW66] = "REX.W with 66: capstone 4 sometimes keeps the 16-bit size (POPF, CWD "
		  "...); SDM Vol 2 §2.2.1.2: REX.W wins over 66",
    [XC_REXSREG] = "REX on 8C/8E/90/0F AE: capstone rejects REX.R on MOV Sreg, reads F3 REX.W "
		   "90 as XCHG and REX.W 0F AE /7 as CLFLUSHOPT; vmlab treats the Sreg field "
		   "as 3 bits, F3 90 as PAUSE unless REX.B names r8, REX.W as no-op there",
    [XC_REX67] = "67 with REX in 64-bit mode: capstone 4 mis-sizes (rel16 CALL, 16-bit "
		 "POPF/OUTS, movabs for a 32-bit moffs); SDM: REX.W sets the operand size, "
		 "67 the address size",
    [XC_HINTNOP] = "reserved-NOP space 0F 18-1F: capstone 4 rejects forms that are NOPs "
		   "on hardware (SDM NOP / Table A-3 note)",
};

/* Strip capstone's prefix words from its mnemonic: "rep movsb" -> "movsb". */
static const char *bare(const char *m)
{
	static const char *const words[] = {"lock ", "rep ",	 "repe ",     "repne ",
					    "repz ", "repnz ",	 "xacquire ", "xrelease ",
					    "bnd ",  "notrack ", "data16 "};
again:
	for (size_t k = 0; k < ARRAY_SIZE(words); k++)
		if (!strncmp(m, words[k], strlen(words[k]))) {
			m += strlen(words[k]);
			goto again;
		}
	return m;
}

/* Is `m` a mnemonic any row of ours can produce? */
static bool known_mnemonic(const char *m)
{
	for (int f = 0; f < FORM_COUNT; f++) {
		const char *s = isa_forms[f].mnem;
		if (*s == '@' || *s == '#')
			s++;
		for (;;) {
			size_t len = strcspn(s, "|");
			if (len && s[len - 1] == '%') {
				if (strlen(m) == len && !strncmp(m, s, len - 1) &&
				    strchr("bwdq", m[len - 1]))
					return true;
			} else if (strlen(m) == len && !strncmp(m, s, len))
				return true;
			if (!s[len])
				break;
			s += len + 1;
		}
	}
	return false;
}

static bool has_prefix(const u8 *b, u8 p, unsigned code_size)
{
	for (unsigned k = 0; k < 15; k++) {
		u8 x = b[k];
		if (x == p)
			return true;
		if (!(x == 0x26 || x == 0x2E || x == 0x36 || x == 0x3E || x == 0x64 || x == 0x65 ||
		      x == 0x66 || x == 0x67 || x == 0xF0 || x == 0xF2 || x == 0xF3 ||
		      (code_size == 8 && (x & 0xF0) == 0x40)))
			return false;
	}
	return false;
}

/* Find the opcode position (after prefixes) for classifying. */
static const u8 *opcode_at(const u8 *b, unsigned code_size)
{
	unsigned k = 0;
	while (k < 15) {
		u8 x = b[k];
		if (x == 0x26 || x == 0x2E || x == 0x36 || x == 0x3E || x == 0x64 || x == 0x65 ||
		    x == 0x66 || x == 0x67 || x == 0xF0 || x == 0xF2 || x == 0xF3 ||
		    (code_size == 8 && (x & 0xF0) == 0x40))
			k++;
		else
			break;
	}
	return b + k;
}

/*
 * Capstone 4 only honours 66, 67, F2 and F3 when no other prefix follows
 * them, and lets the last of 66/F2/F3 choose the opcode; hardware takes
 * prefixes in any order (SDM Vol 2 §2.1.1).  canonical() rewrites the prefix
 * run in the order capstone understands -- segment/LOCK, 67, 66, F2/F3 (in
 * their order), REX -- which means the same to the SDM.
 */
static void canonical(const u8 *b, u8 *c, unsigned code_size, bool rep_first)
{
	const u8 *op = opcode_at(b, code_size);
	unsigned n = 0, np = op - b;
	u8 rex = np && code_size == 8 && (op[-1] & 0xF0) == 0x40 ? op[-1] : 0;

	/* Dropped (ignored) REX bytes become DS overrides, keeping the length. */
	for (unsigned k = 0; k < np; k++)
		if ((b[k] & 0xF0) == 0x40 && code_size == 8 && !(rex && k == np - 1))
			c[n++] = 0x3E;
	for (unsigned k = 0; k < np; k++)
		if (b[k] != 0x66 && b[k] != 0x67 && b[k] != 0xF2 && b[k] != 0xF3 &&
		    !((b[k] & 0xF0) == 0x40 && code_size == 8))
			c[n++] = b[k];
	for (unsigned k = 0; k < np && rep_first; k++)
		if (b[k] == 0xF2 || b[k] == 0xF3)
			c[n++] = b[k];
	for (unsigned k = 0; k < np; k++)
		if (b[k] == 0x67)
			c[n++] = b[k];
	for (unsigned k = 0; k < np; k++)
		if (b[k] == 0x66)
			c[n++] = b[k];
	for (unsigned k = 0; k < np && !rep_first; k++)
		if (b[k] == 0xF2 || b[k] == 0xF3)
			c[n++] = b[k];
	if (rex)
		c[n++] = rex;
	memcpy(c + n, op, 16 - np);
}

static csh cs_handle;
static cs_insn *cs_scratch;

/* Capstone's verdict on 16 bytes: length (0 = invalid) and bare mnemonic. */
static int cs_decode(const u8 *b, const char **mnem)
{
	const u8 *code = b;
	size_t csz = 16;
	u64 addr = 0;
	int len =
	    cs_disasm_iter(cs_handle, &code, &csz, &addr, cs_scratch) ? (int)cs_scratch->size : 0;
	*mnem = len ? bare(cs_scratch->mnemonic) : "";
	return len;
}

/* Capstone 4's CS_MODE_16 misspellings (see XC_CS16). */
static bool cs16_alias(const char *ours, const char *cs)
{
	return (!strcmp(cs, "cwde") && !strcmp(ours, "cbw")) ||
	       (!strcmp(cs, "cdq") && !strcmp(ours, "cwd")) ||
	       (!strcmp(cs, "cwde") && !strcmp(ours, "cwde")) ||
	       (!strcmp(cs, "nop") && !strcmp(ours, "pause"));
}

/* Decode again with the prefix bytes matching `pred` replaced by a DS
 * override (harmless for length and mnemonic): does it then agree? */
static bool agrees_without(const u8 *b, unsigned code_size, bool (*pred)(u8), const char *csm,
			   int cslen)
{
	u8 c[16];
	struct insn in;
	char mn[ISA_MNEM_MAX];

	u8 cc[16];
	memcpy(cc, b, 16);
	for (u8 *p = cc; p < opcode_at(cc, code_size); p++)
		if (pred(*p))
			*p = 0x3E;
	for (int order = 0; order < 2; order++) {
		canonical(cc, c, code_size, order);
		cslen = cs_decode(c, &csm);
		int r = isa_decode(&in, c, 16, code_size);
		if (r <= 0 || r != cslen)
			continue;
		isa_mnemonic(&in, mn);
		if (!strcmp(mn, csm) || (code_size == 2 && cs16_alias(mn, csm)))
			return true;
	}
	return false;
}
static bool is_lock(u8 x)
{
	return x == 0xF0;
}
static bool is_mp(u8 x)
{
	return x == 0x66 || x == 0xF2 || x == 0xF3;
}
static bool is_lock_or_mp(u8 x)
{
	return is_lock(x) || is_mp(x);
}

static enum exc classify(const u8 *b, unsigned code_size, int ours, const struct insn *in,
			 const char *csm, const char *csops, int cslen)
{
	const u8 *op = opcode_at(b, code_size);

	if (ours > 0 && (isa_forms[in->form].flags & F_ESC))
		return XC_X87;
	if (ours <= 0 && op[0] >= 0xD8 && op[0] <= 0xDF)
		return XC_X87;
	if (op[0] == 0x0F && (op[1] == 0xFF || op[1] == 0xB9))
		return XC_UD01;
	if (op[0] == 0x0F && op[1] >= 0x18 && op[1] <= 0x1F)
		return XC_HINTNOP;
	if (code_size == 8 && has_prefix(b, 0x66, code_size) &&
	    (op[0] == 0xE8 || op[0] == 0xE9 || op[0] == 0xEB || (op[0] >= 0x70 && op[0] <= 0x7F) ||
	     (op[0] >= 0xE0 && op[0] <= 0xE3) || op[0] == 0xC2 || op[0] == 0xC3 ||
	     (op[0] == 0x0F && op[1] >= 0x80 && op[1] <= 0x8F) ||
	     (op[0] == 0xFF && (((op[1] >> 3) & 7) == 2 || ((op[1] >> 3) & 7) == 4))))
		return XC_BRANCH66;
	for (int order = 0; order < 2; order++) {
		u8 c[16];
		struct insn ci;
		char a[ISA_MNEM_MAX];
		const char *cm;
		canonical(b, c, code_size, order);
		int cl = cs_decode(c, &cm);
		int r = isa_decode(&ci, c, 16, code_size);
		if (r == ours && ((r <= 0 && cl == 0) || (r > 0 && r == cl &&
							  (!strcmp(isa_mnemonic(&ci, a), cm) ||
							   (code_size == 2 && cs16_alias(a, cm))))))
			return XC_PFX_ORDER;
	}
	if (ours == DECODE_UD && cslen > 0 && has_prefix(b, 0xF0, code_size) &&
	    agrees_without(b, code_size, is_lock, csm, cslen))
		return XC_LOCKREP;
	if (ours == DECODE_UD && cslen > 0 && agrees_without(b, code_size, is_mp, csm, cslen))
		return XC_NP;
	if (ours == DECODE_UD && cslen > 0 &&
	    agrees_without(b, code_size, is_lock_or_mp, csm, cslen))
		return XC_NP;
	if (ours == DECODE_UD && cslen > 0 && op[0] == 0x8E && ((op[1] >> 3) & 7) == SEG_CS)
		return XC_MOVCS;
	if (ours > 0 && in->form == FORM_RDPID_Ry)
		return XC_NEWER;
	if (code_size == 2 && ours > 0) {
		static const char *const m16[] = {"cbw",    "cwd",   "cwde",	  "cdq",  "tzcnt",
						  "lzcnt",  "crc32", "adcx",	  "adox", "invpcid",
						  "popcnt", "pause", "clflushopt"};
		char mn[ISA_MNEM_MAX];
		isa_mnemonic(in, mn);
		for (size_t k = 0; k < ARRAY_SIZE(m16); k++)
			if (!strcmp(mn, m16[k]))
				return XC_CS16;
	}
	if (ours > 0 && in->rex && (in->rex & 8) && in->opsize_prefix && cslen == ours)
		return XC_REXW66;
	if (code_size == 8 &&
	    (op[0] == 0x8C || op[0] == 0x8E || op[0] == 0x90 || (op[0] == 0x0F && op[1] == 0xAE)) &&
	    opcode_at(b, code_size) > b && (op[-1] & 0xF0) == 0x40)
		return XC_REXSREG;
	if (code_size == 8 && has_prefix(b, 0x67, code_size) &&
	    ((op[0] >= 0xA0 && op[0] <= 0xA3) ||
	     (opcode_at(b, code_size) > b && (op[-1] & 0xF0) == 0x40)))
		return XC_REX67;
	if (op[0] == 0xE3 && has_prefix(b, 0x67, code_size))
		return XC_JCXZ;
	if (ours == DECODE_UD && cslen > 0 && (!known_mnemonic(csm) || strstr(csops, "mm")))
		return XC_OUTSIDE;
	if (ours == DECODE_UD && code_size != 8 && cslen > 0 &&
	    (!strcmp(csm, "swapgs") || strstr(csm, "fsbase") || strstr(csm, "gsbase")))
		return XC_O64;
	return XC_NONE_;
}

int main(int argc, char **argv)
{
	unsigned long n = 1000000, shown = 0, max_show = 40;
	u64 seed = 1;
	bool verbose = false;

	for (int k = 1; k < argc; k++) {
		if (!strcmp(argv[k], "-n") && k + 1 < argc)
			n = strtoul(argv[++k], NULL, 0);
		else if (!strcmp(argv[k], "-s") && k + 1 < argc)
			seed = strtoull(argv[++k], NULL, 0);
		else if (!strcmp(argv[k], "-v"))
			verbose = true, max_show = 100000;
		else {
			fprintf(stderr, "usage: decodecheck [-n N] [-s SEED] [-v]\n");
			return 2;
		}
	}

	unsigned long total = 0, mismatches = 0, agreed_valid = 0, excepted[XC_COUNT_] = {0};
	static const unsigned sizes[] = {2, 4, 8};
	static const cs_mode modes[] = {CS_MODE_16, CS_MODE_32, CS_MODE_64};

	for (int mi = 0; mi < 3; mi++) {
		csh h;
		if (cs_open(CS_ARCH_X86, modes[mi], &cs_handle) != CS_ERR_OK) {
			fprintf(stderr, "decodecheck: cs_open failed\n");
			return 2;
		}
		h = cs_handle;
		cs_insn *ci = cs_malloc(h);
		cs_scratch = cs_malloc(h);
		rng_state = seed * 0x9E3779B97F4A7C15ULL + mi + 1;
		for (unsigned long t = 0; t < n; t++) {
			u8 b[16];
			struct insn in;
			gen(b, sizes[mi]);
			int ours = isa_decode(&in, b, 16, sizes[mi]);

			const u8 *code = b;
			size_t csz = 16;
			u64 addr = 0;
			int cslen = cs_disasm_iter(h, &code, &csz, &addr, ci) ? (int)ci->size : 0;
			const char *csm = cslen ? bare(ci->mnemonic) : "";
			total++;

			char mn[ISA_MNEM_MAX] = "";
			bool ok;
			if (ours <= 0 || cslen == 0)
				ok = (ours <= 0) == (cslen == 0);
			else if (ours != cslen)
				ok = false;
			else
				ok = (isa_forms[in.form].flags & F_ESC) ||
				     !strcmp(isa_mnemonic(&in, mn), csm);
			if (ok) {
				agreed_valid += ours > 0;
				continue;
			}
			enum exc e =
			    classify(b, sizes[mi], ours, &in, csm, cslen ? ci->op_str : "", cslen);
			if (e != XC_NONE_) {
				excepted[e]++;
				continue;
			}
			mismatches++;
			if (shown++ < max_show) {
				printf("mode %-2u ", sizes[mi] * 8);
				for (int k = 0; k < 15; k++)
					printf("%02x", b[k]);
				if (ours > 0)
					printf("  ours: %d %s (%s)", ours, isa_mnemonic(&in, mn),
					       isa_forms[in.form].name);
				else
					printf("  ours: %s", ours == DECODE_UD	       ? "#UD"
							     : ours == DECODE_TOO_LONG ? "too long"
										       : "short");
				if (cslen)
					printf("  capstone: %d %s %s\n", cslen, ci->mnemonic,
					       ci->op_str);
				else
					printf("  capstone: invalid\n");
			}
		}
		cs_free(ci, 1);
		cs_free(cs_scratch, 1);
		cs_close(&h);
	}
	for (int e = 1; e < XC_COUNT_; e++)
		if (excepted[e] || verbose)
			printf("  exception %-8lu %s\n", excepted[e], exc_why[e]);
	printf("  %lu agreed valid instructions\n", agreed_valid);
	printf("decodecheck: %lu strings, %lu mismatches\n", total, mismatches);
	return mismatches ? 1 : 0;
}
