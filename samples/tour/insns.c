/*
 * insns.c - samples/tour, part 3: a few instructions, executed and explained.
 *
 * Each step runs one instruction (inline assembly, so the compiler cannot
 * choose another) and prints its inputs, its outputs and the flags it set.
 * Semantics per the Intel SDM Vol. 2 (ADD, SUB, MUL, DIV, LEA, PUSH, POP,
 * XCHG, BSWAP, MOVS with REP, SGDT, SIDT) and Vol. 1 3.4.3 (EFLAGS).
 */
#include "samples/tour/tour.h"
#include "samples/lib/printf.h"

#define say(...) printf("[tour] " __VA_ARGS__)

/* The six arithmetic flags of RFLAGS, spelled out (SDM Vol. 1 Figure 3-8). */
static void show_flags(uint64_t rf)
{
	printf("CF=%lu PF=%lu AF=%lu ZF=%lu SF=%lu OF=%lu", rf & 1, rf >> 2 & 1, rf >> 4 & 1,
	       rf >> 6 & 1, rf >> 7 & 1, rf >> 11 & 1);
}

static void add_sub(void)
{
	uint64_t a = ~0ull, rf;

	/* PUSHFQ; POP copies RFLAGS into a register right after the ADD. */
	__asm__ volatile("addq $1, %0; pushfq; popq %1" : "+r"(a), "=r"(rf) : : "cc");
	say("ADD: 0xffffffffffffffff + 1 = 0x%lx, RFLAGS = 0x%lx: ", a, rf);
	show_flags(rf);
	printf("\n");
	say("     the result wrapped to 0 (ZF) and the carry out of bit 63 went to CF.\n");

	a = 0x7fffffffffffffffull;
	__asm__ volatile("addq $1, %0; pushfq; popq %1" : "+r"(a), "=r"(rf) : : "cc");
	say("ADD: 0x7fffffffffffffff + 1 = 0x%lx: ", a);
	show_flags(rf);
	printf("\n");
	say("     signed overflow: two positives gave a negative (OF, SF); no carry (CF=0).\n");

	a = 5;
	__asm__ volatile("subq $7, %0; pushfq; popq %1" : "+r"(a), "=r"(rf) : : "cc");
	say("SUB: 5 - 7 = 0x%lx (= %ld): ", a, (int64_t)a);
	show_flags(rf);
	printf("\n");
	say("     CF is the borrow of unsigned subtraction, so JB after CMP 5, 7 jumps.\n");
}

static void mul_div(void)
{
	uint64_t lo = 0x100000001ull, hi, q, r;

	__asm__ volatile("mulq %2" : "+a"(lo), "=d"(hi) : "r"(0x100000001ull) : "cc");
	say("MUL: 0x100000001 * 0x100000001 = RDX:RAX = 0x%lx:%016lx\n", hi, lo);
	say("     (2^32 + 1)^2 = 2^64 + 2^33 + 1: MUL r64 returns all 128 bits in RDX:RAX.\n");

	__asm__ volatile("divq %4"
			 : "=a"(q), "=d"(r)
			 : "a"(1000003ull), "d"(0ull), "r"(17ull)
			 : "cc");
	say("DIV: RDX:RAX = 1000003, divided by 17: quotient RAX = %lu, remainder RDX = %lu\n", q,
	    r);
}

static void lea_push_pop(void)
{
	uint64_t base = 0x1000, index = 3, ea, sp0, sp1, sp2, v;

	__asm__ volatile("leaq 8(%1,%2,4), %0" : "=r"(ea) : "r"(base), "r"(index));
	say("LEA 8(RBX,RCX,4) with RBX = 0x1000, RCX = 3: 0x%lx - address arithmetic,\n", ea);
	say("     no memory access: base + index*scale + displacement.\n");

	__asm__ volatile("movq %%rsp, %0\n\t"
			 "pushq $0x1234\n\t"
			 "movq %%rsp, %1\n\t"
			 "popq %3\n\t"
			 "movq %%rsp, %2"
			 : "=r"(sp0), "=r"(sp1), "=r"(sp2), "=r"(v)
			 :
			 : "memory");
	say("PUSH 0x1234: RSP 0x%lx -> 0x%lx (down by 8); POP: RSP back to 0x%lx, value 0x%lx\n",
	    sp0, sp1, sp2, v);
}

static void xchg_bswap(void)
{
	uint64_t a = 0x1122334455667788ull, b = 0xAA;

	__asm__ volatile("xchgq %0, %1" : "+r"(a), "+r"(b));
	say("XCHG: swapped the two registers: now 0x%lx and 0x%lx\n", a, b);
	__asm__ volatile("bswapq %0" : "+r"(b));
	say("BSWAP: 0x1122334455667788 byte-reversed is 0x%lx (little <-> big endian)\n", b);
}

static void rep_movsb(void)
{
	static const char src[] = "copied by REP MOVSB";
	static char dst[32];
	const char *s = src;
	char *d = dst;
	long n = sizeof(src);

	__asm__ volatile("rep movsb" : "+S"(s), "+D"(d), "+c"(n) : : "memory");
	say("REP MOVSB: RCX times [RDI] <- [RSI], both advance (DF = 0): \"%s\"\n", dst);
	say("     afterwards RCX = %ld, RSI moved by %ld, RDI moved by %ld\n", n, (long)(s - src),
	    (long)(d - dst));
}

static void tables(void)
{
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} g, i;

	__asm__ volatile("sgdt %0; sidt %1" : "=m"(g), "=m"(i));
	say("SGDT: GDTR base 0x%lx limit 0x%x; SIDT: IDTR base 0x%lx limit 0x%x\n", g.base, g.limit,
	    i.base, i.limit);
	say("     (any program may run SGDT and SIDT, even at CPL 3 unless CR4.UMIP is set -\n");
	say("     one of the x86 'virtualization holes' vmlab's trap mode will show)\n");
}

void tour_instructions(void)
{
	say("Now a few instructions, one at a time:\n");
	add_sub();
	mul_div();
	lea_push_pop();
	xchg_bswap();
	rep_movsb();
	tables();
}
