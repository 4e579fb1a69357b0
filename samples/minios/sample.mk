# samples/minios/sample.mk - minios, our own small teaching OS, as a boot
# disk: $(B)/samples/minios.img, a 4 MiB raw image:
#   LBA 0        boot.S (the boot sector, loads LBA 1.. with INT 13h AH=42h)
#   LBA 1-256    the kernel (32-bit protected mode with paging), at 0x10000
#   LBA 260-267  the boot-time shell script (samples/minios/script.txt)
#   LBA 2048-    scratch sectors the disk tests write
#   vmlab run --hda $(B)/samples/minios.img      (or: make run-minios)
# It is 32-bit code (-m32), unlike the 64-bit multiboot samples.
include samples/lib/rules.mk
MINIOS_SECTORS := 256
MINIOS_OBJDIR  := $(B)/samples/minios-obj
MINIOS_KOBJ    := $(addprefix $(MINIOS_OBJDIR)/,entry.o main.o lib.o console.o trap.o timer.o \
                  kbd.o mm.o ide.o syscall.o shell.o selftest.o user.o \
                  apic.o smp.o trampoline.o)
MINIOS_CFLAGS  := -std=gnu11 -O2 -g -m32 -march=i686 -ffreestanding -nostdlib -fno-pic -fno-pie \
                  -fno-stack-protector -mgeneral-regs-only -fno-asynchronous-unwind-tables \
                  -fcf-protection=none -fno-builtin -Wall -Wextra -Werror -I. -MMD -MP

$(MINIOS_OBJDIR)/%.o: samples/minios/%.c
	@mkdir -p $(dir $@)
	$(SAMPLE_CC) $(MINIOS_CFLAGS) -c $< -o $@

$(MINIOS_OBJDIR)/%.o: samples/minios/%.S
	@mkdir -p $(dir $@)
	$(SAMPLE_CC) -m32 -g -I. -Wa,--noexecstack -DKERNEL_SECTORS=$(MINIOS_SECTORS) -MMD -MP -c $< -o $@

$(B)/samples/minios/boot.elf: $(MINIOS_OBJDIR)/boot.o samples/minios/boot.ld
	@mkdir -p $(dir $@)
	ld -m elf_i386 -nostdlib -T samples/minios/boot.ld -o $@ $<

$(B)/samples/minios/kernel.elf: $(MINIOS_KOBJ) samples/minios/kernel.ld
	@mkdir -p $(dir $@)
	ld -m elf_i386 -nostdlib --no-warn-rwx-segments --defsym KERNEL_SECTORS=$(MINIOS_SECTORS) \
	  -T samples/minios/kernel.ld -o $@ $(MINIOS_KOBJ)

$(B)/samples/minios.img: $(B)/samples/minios/boot.elf $(B)/samples/minios/kernel.elf samples/minios/script.txt
	objcopy -O binary $(B)/samples/minios/boot.elf $@.boot
	objcopy -O binary $(B)/samples/minios/kernel.elf $@.kernel
	@test $$(stat -c %s $@.boot) -eq 512 || { echo "minios: boot sector is not 512 bytes"; exit 1; }
	truncate -s 4M $@.tmp
	dd if=$@.boot of=$@.tmp conv=notrunc status=none
	dd if=$@.kernel of=$@.tmp bs=512 seek=1 conv=notrunc status=none
	dd if=samples/minios/script.txt of=$@.tmp bs=512 seek=260 conv=notrunc status=none
	rm -f $@.boot $@.kernel
	mv -f $@.tmp $@

SAMPLES += $(B)/samples/minios.img
-include $(wildcard $(MINIOS_OBJDIR)/*.d)

run-minios: $(VMLAB) $(B)/samples/minios.img
	$(VMLAB) run --hda $(B)/samples/minios.img
.PHONY: run-minios
