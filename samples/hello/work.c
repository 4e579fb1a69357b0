/*
 * work.c - integer work for samples/hello: loops, multiplication, division,
 * shifts, carries and string instructions, so a boot exercises the CPU.
 *
 * Instruction semantics per the Intel SDM Vol. 2 (MUL, DIV, IDIV, SAR, ROL,
 * BSF, BSR, BSWAP, ADC, MOVS, STOS, CMPS, SCAS and the REP prefixes).  Where
 * the compiler might pick other instructions than the one we want to
 * exercise, we write the instruction with inline assembly.  main.c checks
 * the results that have a known value (number of primes, the CRC check
 * value, ...) and folds everything into the printed checksum, whose golden
 * value comes from QEMU.
 */
#include "samples/hello/work.h"
#include "samples/lib/string.h"

static uint8_t sieve[100000];

/* Sieve of Eratosthenes: byte stores, nested loops, a multiplication. */
uint64_t work_primes(unsigned limit)
{
	uint64_t count = 0;

	if (limit > sizeof(sieve))
		limit = sizeof(sieve);
	memset(sieve, 1, limit);
	for (unsigned i = 2; i < limit; i++) {
		if (!sieve[i])
			continue;
		count++;
		for (uint64_t j = (uint64_t)i * i; j < limit; j += i)
			sieve[j] = 0;
	}
	return count;
}

/* Collatz chains: data-dependent branches, shifts and LEA-style 3n+1. */
uint64_t work_collatz(unsigned limit, unsigned *steps)
{
	uint64_t best = 1;
	unsigned most = 0;

	for (uint64_t start = 1; start < limit; start++) {
		uint64_t n = start;
		unsigned k = 0;

		while (n != 1) {
			n = (n & 1) ? 3 * n + 1 : n >> 1;
			k++;
		}
		if (k > most) {
			most = k;
			best = start;
		}
	}
	*steps = most;
	return best;
}

/* Bitwise CRC-32 (reflected polynomial 0xEDB88320): shifts, XOR, branches. */
uint32_t work_crc32(const char *s, uint64_t n)
{
	uint32_t crc = 0xFFFFFFFFu;

	while (n--) {
		crc ^= (uint8_t)*s++;
		for (int b = 0; b < 8; b++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
	}
	return ~crc;
}

/* MUL r/m64: RDX:RAX = RAX * src, unsigned. */
static inline uint64_t mul_hi(uint64_t a, uint64_t b, uint64_t *lo)
{
	uint64_t hi;

	__asm__("mulq %3" : "=a"(*lo), "=d"(hi) : "a"(a), "rm"(b) : "cc");
	return hi;
}

uint64_t work_mul(unsigned rounds)
{
	uint64_t x = 0x9E3779B97F4A7C15ull, acc = 0;

	for (unsigned i = 0; i < rounds; i++) {
		uint64_t lo, hi;

		/* xorshift64* step */
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		hi = mul_hi(x, 0x2545F4914F6CDD1Dull, &lo);
		/* IMUL r64, r/m64 (truncating) and the high half of MUL */
		acc = acc * 31 + (lo ^ hi);
	}
	return acc;
}

/* DIV r/m64 with a 128-bit dividend RDX:RAX; #DE if the quotient overflows,
 * so the caller keeps hi < d. */
uint64_t work_div128(uint64_t hi, uint64_t lo, uint64_t d, uint64_t *rem)
{
	uint64_t q;

	__asm__("divq %4" : "=a"(q), "=d"(*rem) : "a"(lo), "d"(hi), "rm"(d) : "cc");
	return q;
}

uint64_t work_div(unsigned rounds)
{
	uint64_t acc = 0, x = 1234567891011ull;

	for (unsigned i = 1; i <= rounds; i++) {
		int64_t sx = (int64_t)(x ^ (uint64_t)i << 40) - (int64_t)(1ull << 62);
		int64_t sd = (int64_t)(i * 7919) * ((i & 1) ? -1 : 1);
		uint32_t ux = (uint32_t)x, ud = i * 13 + 1;

		/* IDIV truncates toward zero; the remainder takes the sign of
		 * the dividend (SDM IDIV, C11 6.5.5). */
		acc += (uint64_t)(sx / sd) + (uint64_t)(sx % sd);
		/* 32-bit DIV */
		acc ^= (uint64_t)(ux / ud) << 7 | ux % ud;
		/* 64-bit DIV */
		acc += x / (i + 3) + x % (i + 5);
		x = x * 6364136223846793005ull + 1442695040888963407ull;
	}
	return acc;
}

/* Population count the Kernighan way: x & (x - 1) clears the lowest set
 * bit.  (gcc's __builtin_popcountll would call libgcc, which we lack.) */
static unsigned popcount(uint64_t x)
{
	unsigned n = 0;

	for (; x; x &= x - 1)
		n++;
	return n;
}

/* Shifts and rotates by variable counts, SAR of negatives, BSF/BSR, BSWAP. */
uint64_t work_bits(unsigned rounds)
{
	uint64_t acc = 0, x = 0xDEADBEEFCAFEF00Dull;

	for (unsigned i = 0; i < rounds; i++) {
		unsigned c = i % 64;
		uint64_t r, f, l;

		__asm__("rolq %%cl, %0" : "=r"(r) : "0"(x), "c"(c) : "cc");
		acc ^= r;
		acc += (uint64_t)((int64_t)x >> c); /* SAR */
		acc -= x << (c & 31) | x >> (63 - c % 63);
		__asm__("bsfq %1, %0" : "=r"(f) : "rm"(x | 1ull << 63) : "cc");
		__asm__("bsrq %1, %0" : "=r"(l) : "rm"(x | 1) : "cc");
		acc += f * 64 + l;
		acc = __builtin_bswap64(acc) + popcount(x);
		x = x * 0x5851F42D4C957F2Dull + i;
	}
	return acc;
}

/* The string instructions, written out so the compiler cannot replace them. */
uint64_t work_strings(void)
{
	static char a[512], b[512];
	static const char text[] = "The quick brown fox jumps over the lazy dog";
	uint64_t acc = 0, n;
	char *d;
	const char *s;
	long cnt;

	/* REP STOSB: fill a with '.', RCX bytes from RDI with AL */
	d = a;
	cnt = sizeof(a);
	__asm__ volatile("rep stosb" : "+D"(d), "+c"(cnt) : "a"('.') : "memory");
	acc += (uint64_t)(d - a);

	/* REP MOVSB: copy text into a and b */
	d = a + 100;
	s = text;
	cnt = sizeof(text);
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(cnt) : : "memory");
	d = b;
	s = a;
	cnt = sizeof(a);
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(cnt) : : "memory");

	/* REPE CMPSB: how far do a and b agree?  Change one byte first. */
	b[300] = '#';
	d = b;
	s = a;
	cnt = sizeof(a);
	__asm__ volatile("repe cmpsb" : "+D"(d), "+S"(s), "+c"(cnt) : : "memory", "cc");
	acc = acc * 1000 + (uint64_t)(s - a); /* one past the first difference: 301 */

	/* REPNE SCASB: strlen the classic way, RCX counts down from -1 */
	d = a + 100;
	cnt = -1;
	__asm__ volatile("repne scasb" : "+D"(d), "+c"(cnt) : "a"(0) : "memory", "cc");
	n = (uint64_t)(-cnt - 2); /* length without the NUL */
	acc = acc * 1000 + n;

	/* Backwards with DF = 1 (STD ... CLD), LODSB-free: a reverse copy. */
	d = b + 399 + sizeof(text) - 1; /* b[399..442] = a[99..142] */
	s = a + 99 + sizeof(text) - 1;
	cnt = sizeof(text);
	__asm__ volatile("std; rep movsb; cld" : "+D"(d), "+S"(s), "+c"(cnt) : : "memory");
	for (unsigned i = 0; i < sizeof(b); i++)
		acc = acc * 33 + (uint8_t)b[i];
	return acc;
}

/* A 256-bit addition as ADD then three ADCs: the carry flag carries. */
uint64_t work_adc(void)
{
	uint64_t a[4] = {~0ull, ~0ull, 0x8000000000000000ull, 1};
	uint64_t b[4] = {1, 0, 0x8000000000000000ull, 2};
	uint64_t carry = 0;

	__asm__(
	    "addq %[b0], %[a0]\n\t"
	    "adcq %[b1], %[a1]\n\t"
	    "adcq %[b2], %[a2]\n\t"
	    "adcq %[b3], %[a3]\n\t"
	    "adcq $0, %[c]"
	    : [a0] "+r"(a[0]), [a1] "+r"(a[1]), [a2] "+r"(a[2]), [a3] "+r"(a[3]), [c] "+r"(carry)
	    : [b0] "rm"(b[0]), [b1] "rm"(b[1]), [b2] "rm"(b[2]), [b3] "rm"(b[3])
	    : "cc");
	/* Expected: 0, 0, 1 (0x8000.. + 0x8000.. + carry in 1 = 1, carry out), 4 */
	return a[0] ^ a[1] << 8 ^ a[2] << 16 ^ a[3] << 24 ^ carry << 32;
}
