/*
 * cpuid.c - the feature list of vmlab's virtual processor and the CPUID
 * leaves built from it (SDM Vol 2A "CPUID", Tables 3-8 .. 3-20; leaf
 * numbering and bit positions exactly as the SDM gives them).
 *
 * THE RULE: a feature is advertised only when vmlab implements it.  A guest
 * believes CPUID: if we claimed SSE, Linux would execute SSE instructions and
 * die on #UD.  So the table below is the single place where a feature is
 * switched on, and the same `on` column gates the ISA rows (cpu_step raises
 * #UD for a row whose feature is off), so CPUID and behaviour agree.
 *
 * When you implement a feature: flip its `on` column here, and nowhere else.
 * As a safety net, a feature that gates ISA rows is reported only when every
 * one of its rows has a handler (isa_form_implemented()): a half-written
 * extension stays invisible, and its rows stay #UD, instead of lying.
 *
 * What vmlab does NOT have (yet), and says so: x87 (FPU), MMX, SSE*, AVX,
 * XSAVE, RDRAND/RDSEED, virtual-8086 extensions, MTRRs,
 * x2APIC, UMIP.
 */
#include "cpu/cpuid.h"
#include "cpu/isa.h"

/* Which output register a bit lives in. */
enum { R_EAX, R_EBX, R_ECX, R_EDX, R_NONE };

struct feature_bit {
	const char *name; /* as Linux's /proc/cpuinfo spells it */
	u32 leaf;
	u8 reg; /* R_* (subleaf is always 0 for the bits we report) */
	u8 bit;
	bool on;
};

#define ON  true
#define OFF false

/*
 * The feature list.  Indexed by enum isa_feature (features that gate ISA
 * rows) and enum cpu_feature_extra (system features that gate no row).
 */
static const struct feature_bit features[CPUF_COUNT] = {
    [BASE] = {"base", 0, R_NONE, 0, ON}, /* the 8086..P6 integer ISA */

    /* ---- Leaf 1 EDX (Table 3-11) ---- */
    [FPU] = {"fpu", 1, R_EDX, 0, OFF},
    [CPUF_VME] = {"vme", 1, R_EDX, 1, OFF},
    [CPUF_DE] = {"de", 1, R_EDX, 2, OFF},
    [CPUF_PSE] = {"pse", 1, R_EDX, 3, ON},   /* 4 MiB pages, CR4.PSE */
    [TSC] = {"tsc", 1, R_EDX, 4, ON},	     /* RDTSC, from virtual time */
    [MSR] = {"msr", 1, R_EDX, 5, ON},	     /* RDMSR/WRMSR */
    [CPUF_PAE] = {"pae", 1, R_EDX, 6, ON},   /* 64-bit PTEs, CR4.PAE */
    [CX8] = {"cx8", 1, R_EDX, 8, ON},	     /* CMPXCHG8B */
    [CPUF_APIC] = {"apic", 1, R_EDX, 9, ON}, /* local APIC at 0xFEE00000 */
    [SEP] = {"sep", 1, R_EDX, 11, ON},	     /* SYSENTER/SYSEXIT */
    [CPUF_MTRR] = {"mtrr", 1, R_EDX, 12, OFF},
    [CPUF_PGE] = {"pge", 1, R_EDX, 13, ON}, /* global pages, CR4.PGE */
    [CMOV] = {"cmov", 1, R_EDX, 15, ON},    /* CMOVcc */
    [CPUF_PAT] = {"pat", 1, R_EDX, 16, ON}, /* IA32_PAT MSR */
    [CPUF_PSE36] = {"pse36", 1, R_EDX, 17, OFF},
    [CLFSH] = {"clflush", 1, R_EDX, 19, OFF},
    [SSE] = {"sse", 1, R_EDX, 25, OFF},
    [SSE2] = {"sse2", 1, R_EDX, 26, OFF},

    /* ---- Leaf 1 ECX (Table 3-10) ---- */
    [CX16] = {"cx16", 1, R_ECX, 13, ON},      /* CMPXCHG16B */
    [CPUF_PCID] = {"pcid", 1, R_ECX, 17, ON}, /* CR4.PCIDE, tagged TLB */
    [SSE42] = {"sse4_2", 1, R_ECX, 20, OFF},  /* (CRC32 lives here too) */
    [CPUF_X2APIC] = {"x2apic", 1, R_ECX, 21, OFF},
    [MOVBE] = {"movbe", 1, R_ECX, 22, ON},
    [POPCNT] = {"popcnt", 1, R_ECX, 23, ON},
    [XSAVE] = {"xsave", 1, R_ECX, 26, OFF},
    [RDRAND] = {"rdrand", 1, R_ECX, 30, OFF}, /* no entropy source: honest */
    [CPUF_HYPERVISOR] = {"hypervisor", 1, R_ECX, 31, OFF},

    /* ---- Leaf 7 subleaf 0 EBX/ECX (Table 3-8, leaf 07H) ---- */
    [FSGSBASE] = {"fsgsbase", 7, R_EBX, 0, ON}, /* RD/WR FS/GS BASE, CR4.FSGSBASE */
    [CPUF_TSC_ADJUST] = {"tsc_adjust", 7, R_EBX, 1, OFF},
    [BMI1] = {"bmi1", 7, R_EBX, 3, ON}, /* ANDN BEXTR BLSI BLSMSK BLSR TZCNT */
    [CPUF_SMEP] = {"smep", 7, R_EBX, 7, ON},
    [BMI2] = {"bmi2", 7, R_EBX, 8, ON}, /* BZHI MULX PDEP PEXT RORX SARX ... */
    [INVPCID] = {"invpcid", 7, R_EBX, 10, ON},
    [RDSEED] = {"rdseed", 7, R_EBX, 18, OFF},
    [ADX] = {"adx", 7, R_EBX, 19, ON},	   /* ADCX/ADOX */
    [SMAP_F] = {"smap", 7, R_EBX, 20, ON}, /* CR4.SMAP, STAC/CLAC */
    [CPUF_UMIP] = {"umip", 7, R_ECX, 2, OFF},
    [RDPID] = {"rdpid", 7, R_ECX, 22, OFF},

    /* ---- Leaf 80000001H ECX/EDX ---- */
    [CPUF_LAHF_LM] = {"lahf_lm", 0x80000001, R_ECX, 0, ON}, /* LAHF/SAHF in 64-bit mode */
    [LZCNT] = {"abm", 0x80000001, R_ECX, 5, ON},	    /* LZCNT */
    [CPUF_SYSCALL] = {"syscall", 0x80000001, R_EDX, 11, ON},
    [CPUF_NX] = {"nx", 0x80000001, R_EDX, 20, ON},	     /* EFER.NXE, PTE bit 63 */
    [CPUF_PAGE1GB] = {"pdpe1gb", 0x80000001, R_EDX, 26, ON}, /* 1 GiB pages */
    [RDTSCP] = {"rdtscp", 0x80000001, R_EDX, 27, ON},
    [LM] = {"lm", 0x80000001, R_EDX, 29, ON}, /* long mode */

    /* ---- Leaf 80000007H EDX ---- */
    /* Virtual time ticks at a constant rate whatever the "P-state": the TSC
	 * is invariant by construction. */
    [CPUF_INVARIANT_TSC] = {"constant_tsc", 0x80000007, R_EDX, 8, ON},
};

/* Features with at least one isa.def row that has no handler yet.  Computed
 * once: the handler table is fixed at link time. */
static bool rows_missing[FEATURE_COUNT];
static bool rows_checked;

static void check_rows(void)
{
	for (int form = 0; form < FORM_COUNT; form++) {
		int f = isa_forms[form].feature;

		if (f != BASE && f < FEATURE_COUNT && !isa_form_implemented(form))
			rows_missing[f] = true;
	}
	rows_checked = true;
}

bool cpu_has_feature(const struct cpu *c, int feature)
{
	(void)c; /* one model for every CPU today; the parameter keeps room for more */
	if (feature < 0 || feature >= CPUF_COUNT || !features[feature].on)
		return false;
	if (feature < FEATURE_COUNT && feature != BASE) {
		if (unlikely(!rows_checked))
			check_rows();
		return !rows_missing[feature];
	}
	return true;
}

const char *cpu_feature_name(int feature)
{
	if (feature < 0 || feature >= CPUF_COUNT || !features[feature].name)
		return "?";
	return features[feature].name;
}

/* OR every enabled feature bit of (leaf, subleaf 0) into r. */
static void add_feature_bits(const struct cpu *c, struct cpuid_regs *r, u32 leaf)
{
	for (int f = 0; f < CPUF_COUNT; f++) {
		const struct feature_bit *b = &features[f];
		u32 m = 1u << b->bit;

		if (!b->name || b->reg == R_NONE || b->leaf != leaf || !cpu_has_feature(c, f))
			continue;
		switch (b->reg) {
		case R_EAX: r->eax |= m; break;
		case R_EBX: r->ebx |= m; break;
		case R_ECX: r->ecx |= m; break;
		case R_EDX: r->edx |= m; break;
		}
	}
}

/* Pack 4 characters of a string little-endian into a register. */
static u32 str4(const char *s)
{
	return (u32)(u8)s[0] | (u32)(u8)s[1] << 8 | (u32)(u8)s[2] << 16 | (u32)(u8)s[3] << 24;
}

/* The brand string of leaves 80000002H-80000004H: 48 bytes, NUL-padded. */
static const char brand[48] = "vmlab virtual x86-64 CPU";

static u32 max_basic(const struct cpu *c)
{
	if (c->cpuid_max_leaf && c->cpuid_max_leaf < CPUID_MAX_BASIC)
		return c->cpuid_max_leaf;
	return CPUID_MAX_BASIC;
}

struct cpuid_regs cpuid_query(struct cpu *c, u32 leaf, u32 subleaf)
{
	struct cpuid_regs r = {0, 0, 0, 0};
	u32 top = max_basic(c);

	/* Past the last leaf: Intel returns the highest basic leaf's data
	 * (SDM Vol 2A CPUID, "INPUT EAX = 0: Returns CPUID's Highest Value"). */
	if ((leaf < 0x80000000u && leaf > top) || leaf > CPUID_MAX_EXTENDED)
		leaf = top;

	switch (leaf) {
	case 0:
		/* Highest basic leaf, then the vendor "GenuineIntel" in EBX EDX ECX
		 * order.  vmlab follows Intel's semantics wherever AMD differs (66h
		 * on near branches, SYSENTER in long mode ...), so it says Intel. */
		r.eax = top;
		r.ebx = str4("Genu");
		r.edx = str4("ineI");
		r.ecx = str4("ntel");
		break;
	case 1:
		/* EAX: signature family 6, model 3AH, stepping 9 -- the value
		 * cpu_reset() leaves in EDX (SDM Vol 3 §10.1.2). */
		r.eax = 0x000306a9;
		/* EBX[31:24] initial APIC ID, [23:16] logical processors per
		 * package (meaningful with HTT, which we do not set), [15:8]
		 * CLFLUSH line size in 8-byte units. */
		r.ebx = (u32)(c->index & 0xff) << 24 | 1u << 16;
		if (cpu_has_feature(c, CLFSH))
			r.ebx |= 8u << 8;
		add_feature_bits(c, &r, 1);
		/* CPUID.1:EDX.APIC reads 0 while IA32_APIC_BASE.EN (bit 11) is
		 * clear: the APIC is then invisible (SDM Vol 3 §11.4.3). */
		if (!(c->msr.apic_base & BIT(11)))
			r.edx &= ~(1u << 9);
		/* ECX.OSXSAVE (bit 27) mirrors CR4.OSXSAVE when XSAVE exists. */
		if (cpu_has_feature(c, XSAVE) && (c->cr4 & CR4_OSXSAVE))
			r.ecx |= 1u << 27;
		break;
	case 7:
		/* Subleaf 0: EAX = highest subleaf (0); other subleaves are zero. */
		if (subleaf == 0)
			add_feature_bits(c, &r, 7);
		break;
	case 0xd:
		/* XSAVE state enumeration.  Without XSAVE the leaf is all zeros;
		 * with it, subleaf 0 would list XCR0's supported bits (x87 = bit 0
		 * is architecturally always one) and the save-area sizes. */
		if (cpu_has_feature(c, XSAVE) && subleaf == 0) {
			r.eax = 1;	  /* XCR0 bits supported: x87 */
			r.ebx = 512 + 64; /* legacy area + XSAVE header */
			r.ecx = 512 + 64;
		}
		break;
	case 0x80000000:
		r.eax = CPUID_MAX_EXTENDED; /* EBX ECX EDX reserved (0) on Intel */
		break;
	case 0x80000001: add_feature_bits(c, &r, 0x80000001); break;
	case 0x80000002:
	case 0x80000003:
	case 0x80000004: {
		const char *p = brand + (leaf - 0x80000002) * 16;

		r.eax = str4(p);
		r.ebx = str4(p + 4);
		r.ecx = str4(p + 8);
		r.edx = str4(p + 12);
		break;
	}
	case 0x80000007: add_feature_bits(c, &r, 0x80000007); break;
	case 0x80000008:
		/* EAX[7:0] physical address bits, [15:8] linear address bits. */
		r.eax = CPUID_MAXPHYADDR | CPUID_MAXLINADDR << 8;
		break;
	default:
		/* Leaves 2-6 and 8-0CH (caches, topology, power, performance
		 * monitoring) and 80000005H/6H: vmlab models none of these, and a
		 * zero leaf means "not enumerated" to every consumer. */
		break;
	}
	return r;
}

u64 cpu_tsc(const struct cpu *c)
{
	/* Virtual time (DESIGN.md §3): the machine-wide retired-instruction
	 * count, so every CPU of an SMP guest sees the same, monotonic TSC. */
	u64 n = c->retired ? *c->retired : c->stats.insns;

	return n * CPU_TSC_PER_INSN + c->tsc_offset;
}
