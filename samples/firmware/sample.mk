# samples/firmware/sample.mk - vmlab's own BIOS: $(B)/samples/firmware/bios.bin,
# a raw 64 KiB ROM image (16-bit real-mode code, GNU as .code16) that vmlab
# maps at 0xF0000 and below 4 GiB, and that QEMU runs with -bios.
include samples/lib/rules.mk
FW_SRC := post video disk services keyboard clock boot
FW_OBJ := $(FW_SRC:%=$(B)/samples/obj/firmware/%.o)
FW_DIR := $(B)/samples/firmware

$(B)/samples/obj/firmware/%.o: samples/firmware/%.S samples/firmware/bios.h
	@mkdir -p $(dir $@)
	$(SAMPLE_CC) -m32 -c -I. -Wa,--noexecstack -o $@ $<

$(FW_DIR)/bios.elf: $(FW_OBJ) samples/firmware/bios.ld
	@mkdir -p $(dir $@)
	ld -m elf_i386 -nostdlib -T samples/firmware/bios.ld -o $@ $(FW_OBJ)

$(FW_DIR)/bios.bin: $(FW_DIR)/bios.elf
	objcopy -O binary $< $@.tmp
	@test $$(stat -c %s $@.tmp) -eq 65536 || { echo "bios.bin: not 64 KiB"; rm -f $@.tmp; exit 1; }
	mv -f $@.tmp $@

SAMPLES += $(FW_DIR)/bios.bin
