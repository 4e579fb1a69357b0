# labs/labs.mk - graded lab exercises (DESIGN.md §6), included by the top
# Makefile.  Each labs/NN-name/lab.mk adds its guest kernel with lab_image;
# guests are built exactly like samples (samples/lib/rules.mk: the same
# freestanding flags, linker script and ELF64 -> ELF32 conversion), into
# $(B)/labs/NN-name.elf, so QEMU's -kernel boots them too.
#
#   make labs                          build every lab kernel
#   make grade LAB=01                  build, then vmlab grade labs/01-*
#   make handout LAB=01 OUT=DIR        the student tree: solutions removed
#                                      (labs/handout.sh)
include samples/lib/rules.mk

LAB_OBJ    := $(B)/labs/obj
LAB_IMAGES :=

$(LAB_OBJ)/%.o: labs/%.c
	@mkdir -p $(dir $@)
	$(SAMPLE_CC) $(SAMPLE_CFLAGS) -c $< -o $@

$(LAB_OBJ)/%.o: labs/%.S
	@mkdir -p $(dir $@)
	$(SAMPLE_CC) $(SAMPLE_ASFLAGS) -c $< -o $@

# $(call lab_image,NAME,OBJECTS): rules for $(B)/labs/NAME.elf
define lab_image
$(B)/labs/$(1).elf64: $(2) samples/lib/sample.ld
	$$(SAMPLE_CC) $$(SAMPLE_LDFLAGS) -o $$@ $(2)
$(B)/labs/$(1).elf: $(B)/labs/$(1).elf64
	$$(SAMPLE_OBJCOPY) -O elf32-i386 $$< $$@
LAB_IMAGES += $(B)/labs/$(1).elf
endef

include $(wildcard labs/*/lab.mk)
-include $(wildcard $(LAB_OBJ)/*/*.d)

# The lab kernels are part of `make all` and of `make test`.
SAMPLES += $(LAB_IMAGES)

labs: $(LAB_IMAGES)

LAB_DIR = $(firstword $(wildcard labs/$(LAB)-*/))
grade: $(VMLAB) $(LAB_IMAGES)
	@[ -n "$(LAB)" ] || { echo "usage: make grade LAB=NN (one of: $(notdir $(patsubst %/,%,$(wildcard labs/[0-9]*/))))"; exit 2; }
	@[ -n "$(LAB_DIR)" ] || { echo "make grade: no lab labs/$(LAB)-*"; exit 2; }
	$(VMLAB) grade --build $(B) $(LAB_DIR)

handout:
	@[ -n "$(LAB)" ] && [ -n "$(OUT)" ] || { echo "usage: make handout LAB=NN OUT=DIR"; exit 2; }
	labs/handout.sh $(LAB) $(OUT)

# The book's transcripts, run and compared (tests/suites/book.sh).
book-check: $(VMLAB) samples
	@B=$(B) VMLAB=$(VMLAB) bash tests/suites/book.sh

.PHONY: labs grade handout book-check
