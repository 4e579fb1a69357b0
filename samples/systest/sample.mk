# samples/systest/sample.mk - system-architecture test kernels whose output
# QEMU judges (tests/systest.mk): $(B)/samples/systest64.elf
include samples/lib/rules.mk
$(eval $(call sample_image,systest64,$(SAMPLE_OBJ)/lib/start32.o $(SAMPLE_OBJ)/systest/main64.o \
	$(SAMPLE_OBJ)/systest/setup64.o $(SAMPLE_OBJ)/systest/probe64.o \
	$(SAMPLE_OBJ)/systest/exc64.o $(SAMPLE_OBJ)/systest/ring64.o \
	$(SAMPLE_OBJ)/systest/paging64.o $(SAMPLE_OBJ)/systest/pcid64.o $(SAMPLE_LIB_OBJ)))

# $(B)/samples/systest32.elf: the 32-bit protected-mode twin (main32.c).
# It is built as 32-bit code (-m32) straight into an ELF32 image with its
# own linker script and console (lib32.c): samples/lib is 64-bit code.
SYSTEST32_CFLAGS := $(filter-out -m64 -mcmodel=small,$(SAMPLE_CFLAGS)) -m32 -march=i686
SYSTEST32_OBJ    := $(addprefix $(SAMPLE_OBJ)/systest32/,main32.o setup32.o lib32.o probe32.o \
                    exc32.o seg32.o ring32.o paging32.o v86_32.o)

$(SAMPLE_OBJ)/systest32/%.o: samples/systest/%.c
	@mkdir -p $(dir $@)
	$(SAMPLE_CC) $(SYSTEST32_CFLAGS) -c $< -o $@

$(SAMPLE_OBJ)/systest32/%.o: samples/systest/%.S
	@mkdir -p $(dir $@)
	$(SAMPLE_CC) $(filter-out -m64,$(SAMPLE_ASFLAGS)) -m32 -c $< -o $@

$(B)/samples/systest32.elf: $(SYSTEST32_OBJ) samples/systest/systest32.ld
	$(SAMPLE_CC) -m32 -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=0x1000 \
	  -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments -T samples/systest/systest32.ld -o $@ \
	  $(SYSTEST32_OBJ)
SAMPLES += $(B)/samples/systest32.elf
-include $(wildcard $(SAMPLE_OBJ)/systest32/*.d)
