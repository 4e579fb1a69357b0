# tests/difftest.mk - the host-CPU differential tester (issue: the CPU).
#
#   make difftest     a long run: 2000 cases per form, both modes, 3 seeds
# `make test` runs a short fixed-seed pass through tests/suites/difftest.sh.

DIFFTEST := $(B)/vmlab-difftest
DIFFTEST_SRC := $(wildcard tests/difftest/*.c)
DIFFTEST_OBJ := $(DIFFTEST_SRC:%.c=$(B)/obj/%.o)

# Only the processor and the bus: the tester needs no hypervisor or monitor.
DIFFTEST_CORE := $(filter $(B)/obj/lib/% $(B)/obj/devices/% $(B)/obj/mmu/% $(B)/obj/cpu/%,$(CORE_OBJ))

$(DIFFTEST): $(DIFFTEST_OBJ) $(DIFFTEST_CORE)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

TESTS += $(DIFFTEST)

difftest: $(DIFFTEST)
	@for s in 1 2 3; do for m in 64 32; do $(DIFFTEST) --seed $$s --cases 2000 --mode $$m | tail -n 3 || exit 1; done; done

.PHONY: difftest
