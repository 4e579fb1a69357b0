# samples/ptswitch/sample.mk - ptswitch, a 32-bit paging kernel that switches
# between two address spaces many times and rewrites its own page tables
# while running; its serial output must be the same bare, under --virt=trap
# (with and without --cpu=pg-strict) and under QEMU: $(B)/samples/ptswitch.elf
# (tests/suites/trap.sh, issue 8).  Built -m32 like samples/trap32.
PTSWITCH_CFLAGS := -std=gnu11 -O2 -m32 -ffreestanding -nostdlib -fno-pic -fno-pie \
                 -fno-stack-protector -mgeneral-regs-only -fno-asynchronous-unwind-tables \
                 -fcf-protection=none -Wall -Wextra -Werror
PTSWITCH_SRC := samples/ptswitch/start.S samples/ptswitch/main.c
$(B)/samples/ptswitch.elf: $(PTSWITCH_SRC) samples/ptswitch/ptswitch.ld
	@mkdir -p $(dir $@)
	$(SAMPLE_CC) $(PTSWITCH_CFLAGS) -Wl,--build-id=none -Wl,-z,noexecstack \
		-Wl,--no-warn-rwx-segments -static -no-pie -T samples/ptswitch/ptswitch.ld -o $@ $(PTSWITCH_SRC)
SAMPLES += $(B)/samples/ptswitch.elf
