/*
 * test_expr.c - the monitor's expression parser (monitor/expr.h): numbers,
 * registers, symbols, memory dereference, precedence, comparisons and the
 * error messages for bad input.  The expected values are C's own u64
 * arithmetic on the same operands (the oracle), not re-typed results.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "monitor/expr.h"

static bool reg(void *o, const char *name, u64 *v)
{
	if (!strcmp(name, "rax")) {
		*v = 3;
		return true;
	}
	if (!strcmp(name, "rsp")) {
		*v = 0x1000;
		return true;
	}
	return false;
}

static bool sym(void *o, const char *name, u64 *v)
{
	if (!strcmp(name, "tour_main")) {
		*v = 0x1005e0;
		return true;
	}
	return false;
}

/* Memory: 8 bytes at 0x1000 hold 0x1122334455667788; elsewhere unmapped. */
static bool mem(void *o, u64 addr, u64 *v, struct err *e)
{
	if (addr != 0x1000)
		return err_set(e, "0x%llx is not mapped", (unsigned long long)addr) == 0;
	*v = 0x1122334455667788ULL;
	return true;
}

static const struct expr_env env = {reg, sym, mem, NULL};

static u64 ev(const char *s)
{
	struct err e = {""};
	u64 v = 0xdead;

	assert_int_equal(expr_eval(&env, s, &v, &e), 0);
	return v;
}

static void bad(const char *s, const char *msg_part)
{
	struct err e = {""};
	u64 v;

	assert_int_equal(expr_eval(&env, s, &v, &e), -1);
	if (!strstr(e.msg, msg_part))
		fail_msg("'%s': message '%s' lacks '%s'", s, e.msg, msg_part);
}

static void test_numbers(void **state)
{
	assert_int_equal(ev("0x1f"), 0x1f);
	assert_int_equal(ev("31"), 31);
	assert_int_equal(ev("0xFFFFFFFFFFFFFFFF"), UINT64_MAX);
	assert_int_equal(ev("  42  "), 42);
}

static void test_precedence(void **state)
{
	assert_int_equal(ev("1 + 2 * 3"), 1 + 2 * 3);
	assert_int_equal(ev("(1 + 2) * 3"), (1 + 2) * 3);
	assert_int_equal(ev("10 - 4 - 3"), 10 - 4 - 3);
	assert_int_equal(ev("100 / 7 * 7"), 100 / 7 * 7);
	assert_int_equal(ev("-1"), (u64)-1);
	assert_int_equal(ev("0 - 1"), (u64)0 - 1);
}

static void test_names(void **state)
{
	assert_int_equal(ev("rax"), 3);
	assert_int_equal(ev("$rax + 1"), 4);
	assert_int_equal(ev("tour_main+0x10"), 0x1005e0 + 0x10);
	assert_int_equal(ev("*rsp"), 0x1122334455667788ULL);
	assert_int_equal(ev("*(rsp) + 2 * rax"), 0x1122334455667788ULL + 6);
	assert_int_equal(ev("rax * *rsp"), 3 * 0x1122334455667788ULL);
}

static void test_compare(void **state)
{
	assert_int_equal(ev("rax == 3"), 1);
	assert_int_equal(ev("rax != 3"), 0);
	assert_int_equal(ev("rax < 4"), 1);
	assert_int_equal(ev("rax > 4"), 0);
	assert_int_equal(ev("rax <= 3"), 1);
	assert_int_equal(ev("rax >= 4"), 0);
	assert_int_equal(ev("-1 > 0"), 1); /* unsigned, as documented */
}

static void test_errors(void **state)
{
	bad("", "ends too early");
	bad("0x", "bad number");
	bad("12ab", "bad number");
	bad("nosuch", "no register or symbol named 'nosuch'");
	bad("(1 + 2", "missing ')'");
	bad("1 / 0", "division by zero");
	bad("1 2", "unexpected");
	bad("*0x2000", "not mapped");
	bad("99999999999999999999999", "too large");
	bad("#", "unexpected '#'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_numbers), cmocka_unit_test(test_precedence),
	    cmocka_unit_test(test_names),   cmocka_unit_test(test_compare),
	    cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
