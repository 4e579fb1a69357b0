# samples/trap32/sample.mk - trap32, a small 32-bit protected-mode kernel
# (GDT, IDT, PIC, PIT, TSS, a ring-3 task with int 0x80 system calls,
# exceptions, UART I/O) whose serial output must be the same bare, under
# --virt=trap --cpu=pg-strict and under QEMU: $(B)/samples/trap32.elf
# (tests/suites/trap.sh).  Built -m32 (not with samples/lib, which is 64-bit).
TRAP32_CFLAGS := -std=gnu11 -O2 -m32 -ffreestanding -nostdlib -fno-pic -fno-pie \
                 -fno-stack-protector -mgeneral-regs-only -fno-asynchronous-unwind-tables \
                 -fcf-protection=none -Wall -Wextra -Werror
TRAP32_SRC := samples/trap32/start.S samples/trap32/main.c
$(B)/samples/trap32.elf: $(TRAP32_SRC) samples/trap32/trap32.ld
	@mkdir -p $(dir $@)
	$(SAMPLE_CC) $(TRAP32_CFLAGS) -Wl,--build-id=none -Wl,-z,noexecstack \
		-Wl,--no-warn-rwx-segments -static -no-pie -T samples/trap32/trap32.ld -o $@ $(TRAP32_SRC)
SAMPLES += $(B)/samples/trap32.elf
