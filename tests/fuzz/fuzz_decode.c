/*
 * fuzz_decode.c - libFuzzer target for the decoder (cpu/decode.c): every
 * input is decoded as 16-, 32- and 64-bit code, at every available length.
 * The decoder must never read beyond `avail` (ASan catches it: the input is
 * copied to an exactly-sized heap buffer), must return a length 1..avail or
 * a DECODE_* code, and must agree with itself when given more bytes.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. tests/fuzz/fuzz_decode.c \
 *         cpu/decode.c cpu/isa.c lib/err.c -o build/fuzz_decode
 */
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/isa.h"

/* isa.c's default handler refers to cpu_raise; nothing executes here. */
void cpu_raise(struct cpu *c, int vector, u32 error_code)
{
	abort();
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);
int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static const unsigned modes[] = {2, 4, 8};
	unsigned n = size > 15 ? 15 : size;

	for (int m = 0; m < 3; m++) {
		struct insn full;
		int whole = -100;
		for (unsigned avail = n; avail + 1 > 0 && avail <= n; avail--) {
			u8 *buf = malloc(avail ? avail : 1);
			memcpy(buf, data, avail);
			struct insn in;
			int r = isa_decode(&in, buf, avail, modes[m]);
			free(buf);
			if (r > (int)avail || r == 0 || r < DECODE_SHORT)
				abort();
			if (r > 0 && (in.len != r || in.form >= FORM_COUNT))
				abort();
			if (avail == n) {
				whole = r;
				full = in;
			} else if (whole > 0 && (unsigned)whole <= avail) {
				/* A decodable prefix of the bytes decodes the same. */
				if (r != whole || in.form != full.form)
					abort();
			}
			if (avail == 0)
				break;
		}
	}
	return 0;
}
