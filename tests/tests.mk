# tests/tests.mk - how `make test` is built and run (DESIGN.md §7).
#
# Unit tests: every tests/unit/test_*.c is one cmocka program linked against
# the core objects.  tests/run.sh runs every suite it finds (unit programs,
# CLI scripts, the decoder/capstone check, the host-CPU differential test,
# whole-guest comparisons against QEMU) and ends with "N passed, N failed".

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/unit/%)

$(B)/tests/unit/%: tests/unit/%.c $(CORE_OBJ) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(CORE_OBJ) $(PKG_LIBS) $(CMOCKA_LIBS) -lm

TEST_BINS := $(VMLAB) $(UNIT_BIN)

test-build: $(TEST_BINS) $(TESTS) samples | $(TEST_DEPS_STAMP)

test: test-build
	@B=$(B) bash tests/run.sh

.PHONY: test test-build
