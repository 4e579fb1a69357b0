# samples/lib/rules.mk - how sample guests are built (included by every
# samples/<name>/sample.mk; the guard makes repeated includes harmless).
#
# Guests are freestanding 64-bit code compiled by the host gcc and linked
# at 1 MiB with samples/lib/sample.ld into an ELF64 image ($(B)/samples/
# <name>.elf64, handy for gdb and objdump), which objcopy converts to the
# ELF32 image that multiboot loaders accept ($(B)/samples/<name>.elf).
# QEMU 7.2's -kernel refuses ELF64 multiboot kernels ("Cannot load x86-64
# image, give a 32bit one"), hence the conversion.
#
# Guests that stay in 32-bit protected mode (pm32.h) are built -m32 into
# ELF32 images directly, with samples/lib/sample32.ld: their objects go to
# $(SAMPLE_OBJ)/m32/, and the library objects they share, built a second
# time -m32, into the archive $(SAMPLE32_LIB) (the linker takes from it
# only what a guest uses).  See sample32_image below.
ifndef SAMPLES_RULES_MK
SAMPLES_RULES_MK := 1

SAMPLE_CC      ?= gcc
SAMPLE_OBJCOPY ?= objcopy
SAMPLE_AR      ?= ar
SAMPLE_CFLAGS  := -std=gnu11 -O2 -g -m64 -ffreestanding -nostdlib -fno-pic -fno-pie \
                  -fno-stack-protector -mno-red-zone -mgeneral-regs-only -mcmodel=small \
                  -fno-asynchronous-unwind-tables -fcf-protection=none \
                  -Wall -Wextra -Werror -I. -MMD -MP
SAMPLE_ASFLAGS := -m64 -g -I. -Wa,--noexecstack -MMD -MP
SAMPLE_LDFLAGS := -m64 -nostdlib -static -no-pie -Wl,--build-id=none \
                  -Wl,-z,max-page-size=0x1000 -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments \
                  -T samples/lib/sample.ld
SAMPLE_OBJ     := $(B)/samples/obj

# The helpers every sample links (not start32.o: the tour has its own entry).
SAMPLE_LIB_OBJ := $(addprefix $(SAMPLE_OBJ)/lib/,boot_data.o serial.o printf.o string.o \
                  exit.o trap.o trap64.o)

$(SAMPLE_OBJ)/%.o: samples/%.c
	@mkdir -p $(dir $@)
	$(SAMPLE_CC) $(SAMPLE_CFLAGS) -c $< -o $@

$(SAMPLE_OBJ)/%.o: samples/%.S
	@mkdir -p $(dir $@)
	$(SAMPLE_CC) $(SAMPLE_ASFLAGS) -c $< -o $@

# ---- 32-bit protected-mode guests ----
SAMPLE32_CFLAGS  := $(filter-out -m64 -mno-red-zone -mcmodel=small,$(SAMPLE_CFLAGS)) -m32
SAMPLE32_ASFLAGS := $(filter-out -m64,$(SAMPLE_ASFLAGS)) -m32
SAMPLE32_LDFLAGS := -m32 -nostdlib -static -no-pie -Wl,--build-id=none \
                    -Wl,-z,max-page-size=0x1000 -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments \
                    -T samples/lib/sample32.ld
SAMPLE32_LIB     := $(SAMPLE_OBJ)/m32/lib32.a
SAMPLE32_LIB_OBJ := $(addprefix $(SAMPLE_OBJ)/m32/lib/,pm32.o isr32.o user32.o serial.o \
                    serial_raw.o check.o exit.o string.o)

$(SAMPLE_OBJ)/m32/%.o: samples/%.c
	@mkdir -p $(dir $@)
	$(SAMPLE_CC) $(SAMPLE32_CFLAGS) -c $< -o $@

$(SAMPLE_OBJ)/m32/%.o: samples/%.S
	@mkdir -p $(dir $@)
	$(SAMPLE_CC) $(SAMPLE32_ASFLAGS) -c $< -o $@

$(SAMPLE32_LIB): $(SAMPLE32_LIB_OBJ)
	rm -f $@
	$(SAMPLE_AR) rcs $@ $^

# $(call sample32_image,NAME,OBJECTS): rules for $(B)/samples/NAME.elf, a
# 32-bit guest: entry32.o (the multiboot entry), OBJECTS, then lib32.a.
define sample32_image
$(B)/samples/$(1).elf: $(SAMPLE_OBJ)/m32/lib/entry32.o $(2) $(SAMPLE32_LIB) samples/lib/sample32.ld
	$$(SAMPLE_CC) $$(SAMPLE32_LDFLAGS) -o $$@ $(SAMPLE_OBJ)/m32/lib/entry32.o $(2) $(SAMPLE32_LIB)
SAMPLES += $(B)/samples/$(1).elf
endef

# $(call sample_image,NAME,OBJECTS): rules for $(B)/samples/NAME.elf
define sample_image
$(B)/samples/$(1).elf64: $(2) samples/lib/sample.ld
	$$(SAMPLE_CC) $$(SAMPLE_LDFLAGS) -o $$@ $(2)
$(B)/samples/$(1).elf: $(B)/samples/$(1).elf64
	$$(SAMPLE_OBJCOPY) -O elf32-i386 $$< $$@
SAMPLES += $(B)/samples/$(1).elf
endef

-include $(wildcard $(SAMPLE_OBJ)/*/*.d $(SAMPLE_OBJ)/m32/*/*.d)
endif
