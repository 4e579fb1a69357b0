# tests/bench.mk - `make bench`: the benchmark guests (samples/bench/) on
# vmlab (block cache on and off) and on QEMU TCG, one table
# (tests/bench/run.sh says how it measures).  Not part of `make test`:
# benchmarks are measurements, not pass/fail tests.
bench: $(VMLAB) $(B)/samples/bench.elf | $(TEST_DEPS_STAMP)
	tests/bench/run.sh $(VMLAB) $(B)/samples/bench.elf

.PHONY: bench
