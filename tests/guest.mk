# tests/guest.mk - whole-guest tests: every sample kernel runs on QEMU (the
# oracle) and on vmlab, and their serial output and exit status must agree.
#
#   make guest-goldens    run each sample under QEMU: $(B)/golden/NAME.serial
#                         and NAME.status (tests/guest/golden.sh, qemu.sh)
#   make guest-test       compare vmlab with the goldens, block cache on and off
#                         (tests/guest/compare.sh): PASS/FAIL guest/NAME lines
#   make guest-selftest   check compare.sh itself against a QEMU-backed fake
#                         vmlab: it must PASS a faithful run and FAIL a broken one
# `make test` builds the goldens (they are in TESTS) and tests/run.sh runs
# tests/suites/guest.sh, which is `guest-test` without make.
GUEST_NAMES   := hello tour
GUEST_GOLDENS := $(GUEST_NAMES:%=$(B)/golden/%.serial)

guest-goldens: $(GUEST_GOLDENS)

$(B)/golden/%.serial: $(B)/samples/%.elf tests/guest/golden.sh tests/guest/qemu.sh | $(TEST_DEPS_STAMP)
	tests/guest/golden.sh $* $< $(B)/golden

guest-test: $(VMLAB) $(GUEST_GOLDENS)
	@B=$(B) VMLAB=$(VMLAB) GUEST_NAMES="$(GUEST_NAMES)" bash tests/suites/guest.sh

guest-selftest: $(GUEST_GOLDENS)
	@fake=tests/guest/fake-vmlab.sh; ok=1; \
	for n in $(GUEST_NAMES); do \
	  tests/guest/compare.sh $$n $(B)/samples/$$n.elf $(B)/golden $$fake >$(B)/golden/selftest.log \
	    || { cat $(B)/golden/selftest.log; ok=0; }; \
	  for b in serial status; do \
	    FAKE_BREAK=$$b tests/guest/compare.sh $$n $(B)/samples/$$n.elf $(B)/golden $$fake \
	      >$(B)/golden/selftest.log && { echo "compare.sh missed a broken $$b ($$n)"; ok=0; }; \
	  done; \
	done; \
	if [ $$ok = 1 ]; then echo "PASS guest/compare-selftest"; \
	else echo "FAIL guest/compare-selftest"; exit 1; fi

TESTS += $(GUEST_GOLDENS)
.PHONY: guest-goldens guest-test guest-selftest
