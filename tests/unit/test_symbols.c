/*
 * test_symbols.c - monitor/symbols.c (libelf symbol loading, "name+off"
 * labels, nearest-symbol search) against binutils' nm, the oracle.
 *
 * The sample kernels are ELF32 files that wrap 64-bit code (objcopy -O
 * elf32-i386, see samples/lib/rules.mk): exactly what --symbols and the
 * multiboot loader read.  The build folder is found from argv[0]
 * ($B/tests/unit/test_symbols), so the test runs from any B.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "monitor/symbols.h"

static char build_dir[4096] = "build";

struct nm_sym {
	u64 addr, size;
	char type;
	char name[128];
};

/* `nm -S -n FILE`: address [size] type name, sorted by address. */
static int nm_read(const char *file, struct nm_sym *v, int max)
{
	char cmd[4600], line[512];
	FILE *p;
	int n = 0;

	snprintf(cmd, sizeof(cmd), "nm -S -n '%s'", file);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (n < max && fgets(line, sizeof(line), p)) {
		char w[4][128];
		int k = sscanf(line, "%127s %127s %127s %127s", w[0], w[1], w[2], w[3]);

		/* "addr size type name" or "addr type name" (no size). */
		if (k == 4)
			v[n] = (struct nm_sym){strtoull(w[0], NULL, 16), strtoull(w[1], NULL, 16),
					       w[2][0], ""};
		else if (k == 3)
			v[n] = (struct nm_sym){strtoull(w[0], NULL, 16), 0, w[1][0], ""};
		else
			continue;
		snprintf(v[n].name, sizeof(v[n].name), "%s", w[k - 1]);
		n++;
	}
	assert_int_equal(pclose(p), 0);
	return n;
}

/* The symbols symbols.c keeps: defined, in a section, not a local label. */
static bool kept(const struct nm_sym *s)
{
	return strchr("TtDdBbRr", s->type) && s->name[0] != '.' && !strchr(s->name, '$');
}

static int name_count(const struct nm_sym *v, int n, const char *name)
{
	int k = 0;

	for (int i = 0; i < n; i++)
		k += kept(&v[i]) && !strcmp(v[i].name, name);
	return k;
}

static void sample(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/samples/%s", build_dir, name);
	if (access(buf, R_OK))
		fail_msg("%s: missing (make samples first)", buf);
}

/* Every name nm shows resolves to nm's address, and every address nm
 * shows formats as a name that nm lists there. */
static void test_tour_matches_nm(void **state)
{
	static struct nm_sym v[4096];
	struct symtab t = {0};
	struct err e = {""};
	char path[4200];
	int n, checked = 0;

	sample(path, sizeof(path), "tour.elf");
	n = nm_read(path, v, 4096);
	assert_true(n > 20);
	assert_int_equal(symtab_load(&t, path, &e), 0);
	for (int i = 0; i < n; i++) {
		char buf[200];
		u64 a;
		bool same_addr = false;

		if (!kept(&v[i]) || name_count(v, n, v[i].name) != 1)
			continue;
		if (!symtab_lookup(&t, v[i].name, &a))
			fail_msg("nm has %s, symbols.c does not", v[i].name);
		assert_int_equal(a, v[i].addr);
		/* The label at the address is one of the names nm has there. */
		assert_true(symtab_format(&t, v[i].addr, buf, sizeof(buf)));
		for (int j = 0; j < n; j++)
			same_addr |=
			    kept(&v[j]) && v[j].addr == v[i].addr && !strcmp(v[j].name, buf);
		assert_true(same_addr);
		checked++;
	}
	assert_true(checked > 20);
	symtab_free(&t);
}

/* Inside a sized function: "name+0xoff" up to its last byte (when no
 * other symbol starts inside it), as nm -S gives the size. */
static void test_tour_offsets(void **state)
{
	static struct nm_sym v[4096];
	struct symtab t = {0};
	struct err e = {""};
	char path[4200];
	int n, checked = 0;

	sample(path, sizeof(path), "tour.elf");
	n = nm_read(path, v, 4096);
	assert_int_equal(symtab_load(&t, path, &e), 0);
	for (int i = 0; i + 1 < n; i++) {
		char buf[200], want[200];
		u64 off;

		if (!kept(&v[i]) || (v[i].type != 'T' && v[i].type != 't') || v[i].size < 2 ||
		    v[i + 1].addr < v[i].addr + v[i].size || name_count(v, n, v[i].name) != 1 ||
		    (i > 0 && v[i - 1].addr == v[i].addr))
			continue;
		off = v[i].size - 1;
		snprintf(want, sizeof(want), "%s+0x%llx", v[i].name, (unsigned long long)off);
		assert_true(symtab_format(&t, v[i].addr + off, buf, sizeof(buf)));
		assert_string_equal(buf, want);
		checked++;
	}
	assert_true(checked > 10);
	symtab_free(&t);
}

/* Nearest symbol below: an unsized label (_start, from a .S file) covers
 * the addresses up to the next symbol. */
static void test_nearest_label(void **state)
{
	static struct nm_sym v[4096];
	struct symtab t = {0};
	struct err e = {""};
	char path[4200], buf[200];
	const struct symbol *s;
	int n;
	u64 off, start = 0, next = 0;

	sample(path, sizeof(path), "tour.elf");
	n = nm_read(path, v, 4096);
	for (int i = 0; i + 1 < n; i++)
		if (!strcmp(v[i].name, "_start")) {
			start = v[i].addr;
			for (int j = i + 1; j < n && !next; j++)
				if (kept(&v[j]) && v[j].addr > start)
					next = v[j].addr;
		}
	assert_true(start && next > start + 5);
	assert_int_equal(symtab_load(&t, path, &e), 0);
	s = symtab_find(&t, next - 1, &off);
	assert_non_null(s);
	assert_string_equal(s->name, "_start");
	assert_int_equal(off, next - 1 - start);
	assert_true(symtab_format(&t, start + 5, buf, sizeof(buf)));
	assert_string_equal(buf, "_start+0x5");
	/* Below the first symbol: nobody. */
	assert_false(symtab_format(&t, v[0].addr - 1, buf, sizeof(buf)));
	assert_string_equal(buf, "");
	symtab_free(&t);
}

/* The file --symbols names: other samples load too, and add up. */
static void test_two_files(void **state)
{
	struct symtab t = {0};
	struct err e = {""};
	char path[4200];
	u64 a;

	sample(path, sizeof(path), "btdemo.elf");
	assert_int_equal(symtab_load(&t, path, &e), 0);
	assert_true(symtab_lookup(&t, "bt_leaf", &a));
	assert_false(symtab_lookup(&t, "tour_main", &a));
	sample(path, sizeof(path), "tour.elf");
	assert_int_equal(symtab_load(&t, path, &e), 0);
	assert_true(symtab_lookup(&t, "tour_main", &a));
	assert_true(symtab_lookup(&t, "bt_leaf", &a));
	symtab_free(&t);
}

static void test_errors(void **state)
{
	struct symtab t = {0};
	struct err e = {""};
	char path[4200], stripped[] = "/tmp/vmlab-test-symbols-XXXXXX", cmd[9000];
	int fd;

	assert_int_equal(symtab_load(&t, "/nonexistent/kernel.elf", &e), -1);
	assert_non_null(strstr(e.msg, "/nonexistent/kernel.elf"));
	/* Not ELF: this very test's source is text. */
	assert_int_equal(symtab_load(&t, "tests/unit/test_symbols.c", &e), -1);
	assert_non_null(strstr(e.msg, "not an ELF file"));
	/* Stripped: objcopy --strip-all of a sample. */
	sample(path, sizeof(path), "tour.elf");
	fd = mkstemp(stripped);
	assert_true(fd >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "objcopy --strip-all '%s' '%s'", path, stripped);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(symtab_load(&t, stripped, &e), -1);
	assert_non_null(strstr(e.msg, "no symbol table"));
	unlink(stripped);
	assert_int_equal(t.n, 0);
}

/* symtab_add keeps the table sorted; the first function wins a tie. */
static void test_add_order(void **state)
{
	struct symtab t = {0};
	const struct symbol *s;
	u64 off;

	symtab_add(&t, "b_data", 0x2000, 0, false);
	symtab_add(&t, "a_func", 0x1000, 0x10, true);
	symtab_add(&t, "z_alias", 0x1000, 0, false);
	s = symtab_find(&t, 0x1004, &off);
	assert_non_null(s);
	assert_string_equal(s->name, "a_func");
	assert_int_equal(off, 4);
	assert_null(symtab_find(&t, 0x1010, &off)); /* past a_func's size */
	s = symtab_find(&t, 0x2fff, &off);
	assert_non_null(s);
	assert_string_equal(s->name, "b_data");
	assert_null(symtab_find(&t, 0x2000 + 0x10000, &off));
	symtab_free(&t);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tour_matches_nm), cmocka_unit_test(test_tour_offsets),
	    cmocka_unit_test(test_nearest_label),   cmocka_unit_test(test_two_files),
	    cmocka_unit_test(test_errors),	    cmocka_unit_test(test_add_order),
	};
	const char *tail = "/tests/unit/test_symbols";
	size_t n = strlen(argv[0]), k = strlen(tail);

	(void)argc;
	if (getenv("B"))
		snprintf(build_dir, sizeof(build_dir), "%s", getenv("B"));
	else if (n > k && !strcmp(argv[0] + n - k, tail))
		snprintf(build_dir, sizeof(build_dir), "%.*s", (int)(n - k), argv[0]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
