/*
 * test_grade.c - the lab grader's check file and its evaluation
 * (monitor/grade.h, monitor/grade_check.c), on hand-made runs: each
 * assertion must pass on the run that satisfies it and fail on one that
 * does not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cpu/cpu.h"
#include "lib/trace.h"
#include "monitor/grade.h"

static const char *lab_text = "# a lab\n"
			      "lab demo\n"
			      "kernel demo.elf\n"
			      "timeout 0.25\n"
			      "check one 10\n"
			      "  serial ^hello$   # a comment\n"
			      "  forbid oops\n"
			      "  mode long-64\n"
			      "  exc 14 err 2 cr2 0x1000\n"
			      "  no-exc 13\n"
			      "  int 0x20 count 2\n"
			      "  io out 0xf4 0x10\n"
			      "  exit 33\n"
			      "  hint the #GP is not a comment\n"
			      "check two 5\n"
			      "  append pf\n"
			      "  seed 3\n"
			      "  break main\n"
			      "  expect gdtr.limit == 0x1f\n";

static void test_parse(void **state)
{
	struct grade_lab lab;
	struct err e = {""};

	assert_int_equal(grade_parse(&lab, lab_text, "t", &e), 0);
	assert_string_equal(lab.name, "demo");
	assert_string_equal(lab.kernel, "demo.elf");
	assert_int_equal(lab.timeout_ns, 250000000);
	assert_int_equal(lab.nchecks, 2);
	assert_int_equal(lab.checks[0].points, 10);
	assert_int_equal(lab.checks[0].nas, 8);
	assert_string_equal(lab.checks[0].as[0].text, "^hello$");
	assert_string_equal(lab.checks[0].hint, "the #GP is not a comment");
	assert_int_equal(lab.checks[0].as[2].a, CPU_MODE_LONG64);
	assert_true(lab.checks[0].as[3].has_b && lab.checks[0].as[3].has_c);
	assert_int_equal(lab.checks[1].seed, 3);
	assert_string_equal(lab.checks[1].append, "pf");
	assert_int_equal(lab.checks[1].nbrk, 1);
	assert_int_equal(lab.checks[1].as[0].kind, GA_EXPECT);
	assert_string_equal(lab.checks[1].as[0].lhs, "gdtr.limit");
	grade_lab_free(&lab);
}

static void test_parse_errors(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
	    {"kernel k\ncheck a 1\n  frob x\n", "t:3: unknown directive 'frob'"},
	    {"kernel k\ncheck a x\n", "t:2: points: 'x' is not a number"},
	    {"kernel k\ncheck a 1\n  mode long-65\n", "t:3: mode: 'long-65' is not a CPU mode"},
	    {"kernel k\ncheck a 1\n  expect rax == 1\n", "t:3: expect before any break"},
	    {"kernel k\ncheck a 1\n  serial (\n", "t:3: serial: bad regular expression"},
	    {"kernel k\ncheck a 1\ncheck a 2\n", "t:3: check 'a' is defined twice"},
	    {"kernel k\n", "t: no checks"},
	    {"check a 1\n", "t: no 'kernel' line"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct grade_lab lab;
		struct err e = {""};

		assert_int_equal(grade_parse(&lab, cases[i].text, "t", &e), -1);
		if (strncmp(e.msg, cases[i].msg, strlen(cases[i].msg)))
			fail_msg("case %zu: got '%s', want '%s...'", i, e.msg, cases[i].msg);
		grade_lab_free(&lab);
	}
}

static void ev(struct grade_run *r, unsigned kind, u64 a0, u64 a1, u64 a2, u64 a3)
{
	u64 a[4] = {a0, a1, a2, a3};

	grade_run_event(r, kind, 0x1000, a);
}

/* A run that satisfies every assertion of check "one". */
static void good_run(struct grade_run *r)
{
	memset(r, 0, sizeof(*r));
	grade_run_serial(r, (const u8 *)"boot\r\nhello\r\n", 13);
	ev(r, TRACE_MODE, CPU_MODE_PROT32, CPU_MODE_LONG64, 0, 0);
	ev(r, TRACE_EXC, 14, 2, 1, 0x1000);
	ev(r, TRACE_INT, 0x20, 0, 0, 0);
	ev(r, TRACE_INT, 0x20, 0, 0, 0);
	ev(r, TRACE_IO, 0xf4, 0x10, 1, 1);
	r->status = 33;
}

static void test_evaluate(void **state)
{
	struct grade_lab lab;
	struct grade_run r;
	struct err e = {""};
	const struct grade_check *c;

	assert_int_equal(grade_parse(&lab, lab_text, "t", &e), 0);
	c = &lab.checks[0];
	good_run(&r);
	assert_true(grade_evaluate(c, &r, NULL));
	grade_run_free(&r);

	/* Break each assertion in turn: the check must fail. */
	for (int i = 0; i < 8; i++) {
		good_run(&r);
		switch (i) {
		case 0: r.serial[6] = 'j'; break; /* "jello" */
		case 1: grade_run_serial(&r, (const u8 *)"oops\n", 5); break;
		case 2: r.ev[0].a[1] = CPU_MODE_COMPAT32; break;
		case 3: r.ev[1].a[1] = 3; break;	       /* error code 3, not 2 */
		case 4: ev(&r, TRACE_EXC, 13, 0, 1, 0); break; /* a #GP */
		case 5: r.ev[3].kind = TRACE_IO; break;	       /* one tick only */
		case 6: r.ev[4].a[3] = 0; break;	       /* a read, not a write */
		case 7: r.status = 4; break;
		}
		if (grade_evaluate(c, &r, NULL))
			fail_msg("breaking assertion %d went unnoticed", i);
		grade_run_free(&r);
	}

	/* An expect never evaluated (the break was not reached) fails. */
	memset(&r, 0, sizeof(r));
	r.expect_ok[0] = -1;
	assert_false(grade_evaluate(&lab.checks[1], &r, NULL));
	r.expect_ok[0] = 1;
	assert_true(grade_evaluate(&lab.checks[1], &r, NULL));
	grade_run_free(&r);
	grade_lab_free(&lab);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_evaluate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
