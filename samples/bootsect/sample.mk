# samples/bootsect/sample.mk - the test boot disk: $(B)/samples/bootsect.img,
# a 4 MiB raw disk image whose sector 0 is a boot sector (samples/bootsect:
# stage 1 loads stage 2, which exercises the BIOS services).  Marker strings
# "LBA <n>" are written at sectors 1000, 1001 and 8100 for the read tests.
#   vmlab run --hda $(B)/samples/bootsect.img      (or: make run-disk)
include samples/lib/rules.mk
BS_OBJ := $(addprefix $(B)/samples/obj/bootsect/,boot.o tests.o)

$(B)/samples/obj/bootsect/%.o: samples/bootsect/%.S
	@mkdir -p $(dir $@)
	$(SAMPLE_CC) -m32 -c -I. -Wa,--noexecstack -o $@ $<

$(B)/samples/bootsect.elf: $(BS_OBJ) samples/bootsect/bootsect.ld
	ld -m elf_i386 -nostdlib -T samples/bootsect/bootsect.ld -o $@ $(BS_OBJ)

$(B)/samples/bootsect.img: $(B)/samples/bootsect.elf
	objcopy -O binary $< $@.tmp
	truncate -s 4M $@.tmp
	for n in 1000 1001 8100; do \
	  printf 'LBA %d marker' $$n | dd of=$@.tmp bs=512 seek=$$n conv=notrunc status=none; \
	done
	mv -f $@.tmp $@

SAMPLES += $(B)/samples/bootsect.img

# Boot the test disk through our BIOS (the firmware boot path).
run-disk: $(VMLAB) samples
	$(VMLAB) run --hda $(B)/samples/bootsect.img
.PHONY: run-disk
