# samples/nanobench/sample.mk - nanobench, Adams & Agesen's nanobenchmarks
# as a 32-bit paging kernel that marks its phases on vmlab's phase-marker
# port: $(B)/samples/nanobench.elf (tests/suites/nanobench.sh, `make
# nanobench`).  Built -m32 (not with samples/lib, which is 64-bit).
NANOBENCH_CFLAGS := -std=gnu11 -O2 -m32 -ffreestanding -nostdlib -fno-pic -fno-pie \
                    -fno-stack-protector -mgeneral-regs-only -fno-asynchronous-unwind-tables \
                    -fcf-protection=none -Wall -Wextra -Werror
NANOBENCH_SRC := samples/nanobench/start.S samples/nanobench/bench.S samples/nanobench/main.c
$(B)/samples/nanobench.elf: $(NANOBENCH_SRC) samples/nanobench/nanobench.ld
	@mkdir -p $(dir $@)
	$(SAMPLE_CC) $(NANOBENCH_CFLAGS) -Wl,--build-id=none -Wl,-z,noexecstack \
		-Wl,--no-warn-rwx-segments -static -no-pie -T samples/nanobench/nanobench.ld \
		-o $@ $(NANOBENCH_SRC)
SAMPLES += $(B)/samples/nanobench.elf
