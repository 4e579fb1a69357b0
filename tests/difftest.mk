# tests/difftest.mk - the differential CPU tester (issue: the CPU).
#
#   make difftest     a long run: 2000 (64-bit) / 1000 (32-bit) cases per form, 3 seeds
# `make test` runs a short fixed-seed pass through tests/suites/difftest.sh.
#
# The oracle is the host CPU.  For 32-bit forms on a host that cannot run
# compatibility-mode code it is QEMU user mode (qemu-i386, Debian qemu-user)
# running difftest-oracle32, a static i386 program (gcc -m32: gcc-multilib);
# both packages are in TEST_DEB_PKGS.  The forms where QEMU is known to
# differ from the SDM are listed, with references, in DIFFTEST_KNOWN.

DIFFTEST := $(B)/vmlab-difftest
DIFFTEST_ORACLE32 := $(B)/difftest-oracle32
DIFFTEST_KNOWN := tests/difftest/qemu32.known
# oracle32.c is an i386 program of its own, not part of the tester.
DIFFTEST_SRC := $(filter-out tests/difftest/oracle32.c,$(wildcard tests/difftest/*.c))
DIFFTEST_OBJ := $(DIFFTEST_SRC:%.c=$(B)/obj/%.o)

# Only the processor and the bus: the tester needs no hypervisor or monitor.
DIFFTEST_CORE := $(filter $(B)/obj/lib/% $(B)/obj/devices/% $(B)/obj/mmu/% $(B)/obj/cpu/%,$(CORE_OBJ))

$(DIFFTEST): $(DIFFTEST_OBJ) $(DIFFTEST_CORE)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

# Static, so qemu-i386 needs no i386 libraries; no stack protector, whose
# canary lives in GS, which the stub clears around the instruction.
# host.c (fixed mappings, fault signals, pipe I/O) is built into both.
$(DIFFTEST_ORACLE32): tests/difftest/oracle32.c tests/difftest/host.c tests/difftest/host.h \
		tests/difftest/layout.h | $(TEST_DEPS_STAMP)
	@mkdir -p $(dir $@)
	gcc -m32 -static -std=gnu11 -O2 -g -Wall -Wextra -Werror -fno-stack-protector -fno-pie \
	  -no-pie -I. -o $@ tests/difftest/oracle32.c tests/difftest/host.c

TESTS += $(DIFFTEST) $(DIFFTEST_ORACLE32)

# 64-bit: 2000 cases per form; 32-bit: 1000 (through qemu-i386 a case costs
# ~100x more than on the host CPU).  77 is "no oracle on this host": shown,
# not failed.
DIFFTEST_CASES ?= 2000
DIFFTEST_CASES32 ?= 1000
difftest: $(DIFFTEST) $(DIFFTEST_ORACLE32)
	@for s in 1 2 3; do for m in 64 32; do \
	  n=$(DIFFTEST_CASES); [ $$m = 32 ] && n=$(DIFFTEST_CASES32); \
	  out=$$($(DIFFTEST) --seed $$s --cases $$n --mode $$m --known $(DIFFTEST_KNOWN)); rc=$$?; \
	  echo "$$out" | grep -v '^MISMATCH\|^  ' | tail -n 20; \
	  [ $$rc -eq 0 ] || [ $$rc -eq 77 ] || { echo "$$out" | head -n 60; exit 1; }; done; done

.PHONY: difftest
