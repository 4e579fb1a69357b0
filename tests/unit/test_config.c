/*
 * test_config.c - the .vmx parser (hypervisor/config.c) and the value
 * parsers shared with the command line: good files, every malformed line
 * with its line number, duplicate and unknown keys, relative paths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hypervisor/config.h"

/* Parse text as "t.vmx" in folder dir; returns the parser's result. */
static int parse(struct vm_config *c, const char *text, const char *dir, struct err *e)
{
	config_init(c);
	e->msg[0] = 0;
	return config_parse(c, text, "t.vmx", dir, e);
}

static void test_good_file(void **state)
{
	struct vm_config c;
	struct err e;
	const char *text = "# a VM\n"
			   ".encoding = \"UTF-8\"\n"
			   "\n"
			   "MemSize = \"256\"\n"
			   "numvcpus=\"2\"   # two of them\n"
			   "displayName = \"my |22lab|22 VM\"\r\n"
			   "guestOS = \"other\"\n"
			   "   ide0:0.fileName = \"disk.img\"\n"
			   "IDE0:1.FILENAME = \"/abs/b.img\"\n"
			   "serial0.fileName = \"com1.txt\"\n"
			   "vmlab.kernel = \"k.elf\"\n"
			   "vmlab.append = \"console=ttyS0 quiet\"\n"
			   "vmlab.initrd = \"m1.bin,m2.bin arg1 arg2\"\n"
			   "vmlab.trace = \"mode,io\"\n"
			   "ethernet0.present = \"TRUE\"";

	assert_int_equal(parse(&c, text, "/vm", &e), 0);
	assert_int_equal(c.mem_size, 256 * MiB);
	assert_int_equal(c.ncpus, 2);
	assert_string_equal(c.display_name, "my \"lab\" VM");
	assert_string_equal(c.guest_os, "other");
	assert_string_equal(c.disk[0], "/vm/disk.img");
	assert_string_equal(c.disk[1], "/abs/b.img");
	assert_string_equal(c.serial, "file:/vm/com1.txt");
	assert_string_equal(c.kernel, "/vm/k.elf");
	assert_string_equal(c.append, "console=ttyS0 quiet");
	assert_int_equal(c.ninitrd, 2);
	assert_string_equal(c.initrd[0], "/vm/m1.bin");
	assert_string_equal(c.initrd[1], "/vm/m2.bin arg1 arg2");
	assert_string_equal(c.trace, "mode,io");
	/* Unknown keys are kept, with their line numbers, in file order. */
	assert_int_equal(c.nunknown, 2);
	assert_string_equal(c.unknown[0].key, ".encoding");
	assert_string_equal(c.unknown[0].value, "UTF-8");
	assert_int_equal(c.unknown[0].line, 2);
	assert_string_equal(c.unknown[1].key, "ethernet0.present");
	assert_int_equal(c.unknown[1].line, 15);
	config_free(&c);
}

static void test_defaults(void **state)
{
	struct vm_config c;
	struct err e;

	assert_int_equal(parse(&c, "", NULL, &e), 0);
	assert_int_equal(c.mem_size, 128 * MiB);
	assert_int_equal(c.ncpus, 1);
	assert_string_equal(c.serial, "stdio");
	assert_string_equal(c.append, "");
	assert_null(c.kernel);
	assert_true(c.block_cache);
	assert_int_equal(c.nunknown, 0);
	config_free(&c);
	/* Without a folder, relative paths stay as written. */
	assert_int_equal(parse(&c, "vmlab.kernel = \"k.elf\"\n", NULL, &e), 0);
	assert_string_equal(c.kernel, "k.elf");
	config_free(&c);
}

/* Every malformed line, each at a known line number. */
static void test_malformed(void **state)
{
	static const char *const bad[] = {
	    "memsize \"128\"",	     /* no = */
	    "memsize = 128",	     /* value not quoted */
	    "memsize = \"128",	     /* unterminated */
	    "memsize = \"128\" x",   /* garbage after the value */
	    "= \"128\"",	     /* no key */
	    "mem size = \"128\"",    /* space inside the key */
	    "memsize == \"128\"",    /* two = */
	    "memsize = '128'",	     /* single quotes */
	    "[section]",	     /* not .vmx at all */
	    "memsize = \"1\" \"2\"", /* two values */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vm_config c;
		struct err e;
		char text[256], want[128];

		/* Two good lines and a comment before it: the bad one is line 4. */
		snprintf(text, sizeof(text), "# c\nguestOS = \"x\"\n\n%s\nnumvcpus = \"1\"\n",
			 bad[i]);
		assert_int_equal(parse(&c, text, NULL, &e), -1);
		snprintf(want, sizeof(want), "t.vmx:4: expected key = \"value\"");
		assert_string_equal(e.msg, want);
		config_free(&c);
	}
}

static void test_bad_values(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
	    {"memsize = \"abc\"", "t.vmx:2: memsize: expected a number, got \"abc\""},
	    {"memsize = \"-5\"", "t.vmx:2: memsize: expected a number, got \"-5\""},
	    {"memsize = \"0\"", "t.vmx:2: memsize: 0 is out of range (1..1048576)"},
	    {"numvcpus = \"65\"", "t.vmx:2: numvcpus: 65 is out of range (1..64)"},
	    {"numvcpus = \"2x\"", "t.vmx:2: numvcpus: expected a number, got \"2x\""},
	    {"vmlab.kernel = \"\"", "t.vmx:2: vmlab.kernel: empty file name"},
	    {"vmlab.initrd = \"a,,b\"", "t.vmx:2: vmlab.initrd: empty file name in \"a,,b\""},
	    {"vmlab.trace = \"mode,bogus\"",
	     "t.vmx:2: vmlab.trace: unknown event kind 'bogus' (try: mode,int,exc,io,...)"},
	    {"memsize = \"64\"\nMEMSIZE = \"32\"",
	     "t.vmx:3: duplicate key memsize (first set on line 2)"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vm_config c;
		struct err e;
		char text[256];

		snprintf(text, sizeof(text), "# first\n%s\n", cases[i].text);
		assert_int_equal(parse(&c, text, NULL, &e), -1);
		assert_string_equal(e.msg, cases[i].msg);
		config_free(&c);
	}
}

static void test_load_file(void **state)
{
	char dir[] = "/tmp/vmlab-cfg-XXXXXX", path[128];
	struct vm_config c;
	struct err e;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/my.vmx", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("memsize = \"64\"\nvmlab.kernel = \"sub/k.elf\"\nfoo.bar = \"1\"\nbroken line\n", f);
	fclose(f);

	config_init(&c);
	assert_int_equal(config_load_file(&c, path, &e), -1);
	{
		char want[200];
		snprintf(want, sizeof(want), "%s:4: expected key = \"value\"", path);
		assert_string_equal(e.msg, want);
	}
	config_free(&c);

	f = fopen(path, "w");
	fputs("memsize = \"64\"\nvmlab.kernel = \"sub/k.elf\"\nfoo.bar = \"1\"\n", f);
	fclose(f);
	config_init(&c);
	assert_int_equal(config_load_file(&c, path, &e), 0);
	assert_int_equal(c.mem_size, 64 * MiB);
	{
		char want[200];
		snprintf(want, sizeof(want), "%s/sub/k.elf", dir);
		assert_string_equal(c.kernel, want);
	}
	assert_string_equal(c.path, path);
	assert_int_equal(c.nunknown, 1);
	config_free(&c);
	unlink(path);
	rmdir(dir);

	config_init(&c);
	assert_int_equal(config_load_file(&c, "/nonexistent/x.vmx", &e), -1);
	assert_string_equal(e.msg, "/nonexistent/x.vmx: No such file or directory");
	config_free(&c);
}

static void test_sizes(void **state)
{
	struct err e;
	u64 v;

	assert_int_equal(config_parse_size("128M", MiB, &v, "--mem", &e), 0);
	assert_int_equal(v, 128 * MiB);
	assert_int_equal(config_parse_size("2G", MiB, &v, "--mem", &e), 0);
	assert_int_equal(v, 2 * GiB);
	assert_int_equal(config_parse_size("512k", MiB, &v, "--mem", &e), 0);
	assert_int_equal(v, 512 * KiB);
	assert_int_equal(config_parse_size("64", MiB, &v, "--mem", &e), 0);
	assert_int_equal(v, 64 * MiB);
	assert_int_equal(config_parse_size("64MiB", MiB, &v, "--mem", &e), 0);
	assert_int_equal(v, 64 * MiB);
	assert_int_equal(config_parse_size("64MB", MiB, &v, "--mem", &e), 0);
	assert_int_equal(v, 64 * MiB);
	assert_int_equal(config_parse_size("8192B", MiB, &v, "--mem", &e), 0);
	assert_int_equal(v, 8192);
	assert_int_equal(config_parse_size("12X", MiB, &v, "--mem", &e), -1);
	assert_string_equal(e.msg, "--mem: expected a size like 128M or 2G, got \"12X\"");
	assert_int_equal(config_parse_size("-1M", MiB, &v, "--mem", &e), -1);
	assert_int_equal(config_parse_size("M", MiB, &v, "--mem", &e), -1);
	assert_int_equal(config_parse_size("1Mi", MiB, &v, "--mem", &e), -1);
	assert_int_equal(config_parse_size("99999999999999999999G", MiB, &v, "--mem", &e), -1);
	assert_int_equal(config_parse_size("20000000000G", MiB, &v, "--mem", &e), -1);
	assert_string_equal(e.msg, "--mem: 20000000000G is too large");

	assert_int_equal(config_parse_seconds("2", &v, "--timeout", &e), 0);
	assert_int_equal(v, 2000000000ULL);
	assert_int_equal(config_parse_seconds("0.25", &v, "--timeout", &e), 0);
	assert_int_equal(v, 250000000ULL);
	assert_int_equal(config_parse_seconds("0", &v, "--timeout", &e), -1);
	assert_int_equal(config_parse_seconds("1s", &v, "--timeout", &e), -1);
	assert_string_equal(e.msg, "--timeout: expected a number of seconds, got \"1s\"");
	assert_int_equal(config_parse_seconds("nan", &v, "--timeout", &e), -1);
}

static void test_initrd_list(void **state)
{
	struct vm_config c;
	struct err e;

	config_init(&c);
	assert_int_equal(config_set_initrd(&c, "a.bin,b.bin x=1", NULL, "--initrd", &e), 0);
	assert_int_equal(c.ninitrd, 2);
	assert_string_equal(c.initrd[1], "b.bin x=1");
	/* Replacing the list frees the old one and takes the new. */
	assert_int_equal(config_set_initrd(&c, "c.bin", "/d", "--initrd", &e), 0);
	assert_int_equal(c.ninitrd, 1);
	assert_string_equal(c.initrd[0], "/d/c.bin");
	assert_int_equal(config_set_initrd(&c, "a,", NULL, "--initrd", &e), -1);
	assert_string_equal(e.msg, "--initrd: empty file name in \"a,\"");
	assert_int_equal(c.ninitrd, 1); /* unchanged on error */
	config_free(&c);
}

static void test_print_unknown(void **state)
{
	struct vm_config c;
	struct err e;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	assert_int_equal(parse(&c, "foo = \"1\"\nmemsize = \"32\"\nBar.baz = \"two\"\n", NULL, &e),
			 0);
	f = open_memstream(&buf, &len);
	config_print(&c, f);
	fclose(f);
	assert_non_null(strstr(buf, "memory:       32 MiB\n"));
	assert_non_null(strstr(buf, "unknown keys: 2 (kept, not used by vmlab)\n"));
	assert_non_null(strstr(buf, "(none):1: foo = \"1\"\n"));
	assert_non_null(strstr(buf, "(none):3: Bar.baz = \"two\"\n"));
	free(buf);
	config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_file),	cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_malformed),	cmocka_unit_test(test_bad_values),
	    cmocka_unit_test(test_load_file),	cmocka_unit_test(test_sizes),
	    cmocka_unit_test(test_initrd_list), cmocka_unit_test(test_print_unknown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
