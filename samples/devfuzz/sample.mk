# samples/devfuzz/sample.mk - the device robustness guest: $(B)/samples/devfuzz.elf
# (garbage over every device, then sane guest-visible answers; run by
# tests/suites/guestfuzz.sh with a small --hda, also under ASan).
include samples/lib/rules.mk
$(eval $(call sample_image,devfuzz,$(SAMPLE_OBJ)/lib/start32.o $(SAMPLE_OBJ)/devfuzz/main.o \
	$(SAMPLE_LIB_OBJ)))
