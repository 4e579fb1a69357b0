# tests/systest.mk - the system-architecture test kernels (samples/systest)
# against QEMU, and the guest fuzzer (tests/fuzz/guestfuzz.c).
#
#   make systest-goldens  QEMU's output for each kernel: $(B)/golden/NAME.serial
#   make guestfuzz        build $(B)/guestfuzz and run GUESTFUZZ_N programs
#
# The goldens need a CPU model with SMEP, SMAP, NX and SYSENTER in 64-bit
# mode: `-cpu max` has SMEP/SMAP (the default qemu64 has neither), and
# vendor=GenuineIntel because QEMU follows AMD (SYSENTER is #UD in long
# mode) when the vendor is AuthenticAMD, which is `max`'s default under TCG.
# vmlab's CPUID is GenuineIntel with SMEP, SMAP, NX, SEP, SYSCALL (and no
# PCID/INVPCID, so those are not tested).  tests/suites/systest.sh compares.
# systest32 is the 32-bit protected-mode kernel (legacy and PAE paging,
# call gates, the TSS I/O bitmap); it uses the same CPU model.
SYSTEST_NAMES   := systest64 systest32
SYSTEST_QEMU    := -cpu max,vendor=GenuineIntel
SYSTEST_GOLDENS := $(SYSTEST_NAMES:%=$(B)/golden/%.serial)

systest-goldens: $(SYSTEST_GOLDENS)

# Like tests/guest/golden.sh, with the -cpu option: only an odd status
# (through debug-exit) makes a golden; files are renamed into place.
$(B)/golden/systest%.serial: $(B)/samples/systest%.elf tests/systest.mk tests/guest/qemu.sh | $(TEST_DEPS_STAMP)
	@mkdir -p $(B)/golden
	@tests/guest/qemu.sh $< $(SYSTEST_QEMU) >$@.tmp 2>$@.err; st=$$?; \
	if [ $$((st % 2)) -ne 1 ]; then \
	  echo "systest: $<: QEMU exited with status $$st, not through debug-exit"; \
	  tail -n 5 $@.tmp $@.err; rm -f $@.tmp $@.err; exit 1; fi; \
	echo $$st >$(B)/golden/systest$*.status.tmp; \
	mv -f $(B)/golden/systest$*.status.tmp $(B)/golden/systest$*.status; \
	mv -f $@.tmp $@; rm -f $@.err

TESTS += $(SYSTEST_GOLDENS)
.PHONY: systest-goldens

# ---- the guest fuzzer (tests/fuzz/guestfuzz.c) ----------------------------
# `make guestfuzz` builds it with ASan + UBSan in build-asan/ and runs
# GUESTFUZZ_N programs; `make test` runs a short plain run
# (tests/suites/guestfuzz.sh).
GUESTFUZZ   := $(B)/guestfuzz
GUESTFUZZ_N ?= 100000

$(GUESTFUZZ): tests/fuzz/guestfuzz.c $(CORE_OBJ) | $(DEPS_STAMP)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(CORE_OBJ) $(PKG_LIBS) -lm

guestfuzz:
	$(MAKE) B=build-asan OPT=-O1 EXTRA_CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer" \
	  EXTRA_LDFLAGS="-fsanitize=address,undefined" build-asan/guestfuzz
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 build-asan/guestfuzz -n $(GUESTFUZZ_N)

TESTS += $(GUESTFUZZ)
.PHONY: guestfuzz
