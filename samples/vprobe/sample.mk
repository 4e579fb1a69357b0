# samples/vprobe/sample.mk - vprobe, a 32-bit multiboot guest that probes the
# x86 virtualization holes: $(B)/samples/vprobe.elf (tests/suites/trap.sh).
# Built -m32 (not with samples/lib, which is 64-bit).
VPROBE_CFLAGS := -std=gnu11 -O2 -m32 -ffreestanding -nostdlib -fno-pic -fno-pie \
                 -fno-stack-protector -mgeneral-regs-only -fno-asynchronous-unwind-tables \
                 -fcf-protection=none -Wall -Wextra -Werror
$(B)/samples/vprobe.elf: samples/vprobe/start.S samples/vprobe/main.c samples/vprobe/vprobe.ld
	@mkdir -p $(dir $@)
	$(SAMPLE_CC) $(VPROBE_CFLAGS) -Wl,--build-id=none -Wl,-z,noexecstack \
		-Wl,--no-warn-rwx-segments -static -no-pie -T samples/vprobe/vprobe.ld -o $@ samples/vprobe/start.S samples/vprobe/main.c
SAMPLES += $(B)/samples/vprobe.elf
