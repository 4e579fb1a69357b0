/*
 * grade.c - `vmlab grade LABDIR`: run a lab's checks and score them
 * (DESIGN.md §6; the check file is described in monitor/grade.h and
 * labs/README.md).  This file is the command: its options, the checks in
 * order, the score and the files it leaves; grade_vm.c runs one check on a
 * machine and grade_check.c reads the check file and judges a run.
 *
 * For every check, in this process and in order:
 *   1-4. grade_vm.c: build a fresh virtual machine, record its serial output
 *      and trace events, stop at the check's breakpoints to evaluate its
 *      `expect` lines, run until the guest ends or the budget is spent;
 *   5. evaluate the assertions (grade_check.c) and print one line
 *          == NAME ... OK (0.004 s)          or FAIL, with the reasons
 *      where the time is virtual, so the same kernel always prints the same.
 * At the end: "Score: x/y", a JSON file OUT/result.json, and for every
 * failed check its serial transcript and trace in OUT/NAME.serial and
 * OUT/NAME.trace.  Exit status 0 on full marks, 1 otherwise, 2 when the
 * lab could not be graded at all (missing kernel, bad check file).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/err.h"
#include "monitor/grade_int.h"

/* ---- files ---------------------------------------------------------------------- */

static int mkdir_p(const char *path, struct err *e)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0777) && errno != EEXIST)
			return err_errno(e, "%s", buf);
		*p = '/';
	}
	if (mkdir(buf, 0777) && errno != EEXIST)
		return err_errno(e, "%s", buf);
	return 0;
}

/* Write a whole file atomically: a temporary beside it, fsync, rename. */
static int write_file(const char *path, const char *data, size_t len, struct err *e)
{
	char tmp[4200];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid());
	if (!(f = fopen(tmp, "w")))
		return err_errno(e, "%s", tmp);
	if ((len && fwrite(data, 1, len, f) != len) || fflush(f) || fsync(fileno(f))) {
		fclose(f);
		unlink(tmp);
		return err_errno(e, "%s", tmp);
	}
	fclose(f);
	if (rename(tmp, path)) {
		unlink(tmp);
		return err_errno(e, "%s", path);
	}
	return 0;
}

/* JSON string: quotes, backslashes and control characters escaped. */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

/* ---- the command ---------------------------------------------------------------- */

struct result {
	bool ok;
	double vsec, hsec;
	char *msgs; /* the failure lines */
};

static void usage(FILE *out)
{
	fprintf(out, "usage: vmlab grade [options] LABDIR\n\n"
		     "Run the checks of a lab (LABDIR/checks.txt) and print a score.\n\n"
		     "  --build DIR        where `make` put the lab kernels (default $VMLAB_BUILD\n"
		     "                     or build): the kernel is DIR/labs/NAME\n"
		     "  --kernel FILE      grade this kernel image instead\n"
		     "  --out DIR          results (default BUILD/grade/LAB): result.json, and\n"
		     "                     CHECK.serial + CHECK.trace for every failed check\n"
		     "  --check NAME       run only this check\n"
		     "  --no-block-cache   interpret one instruction at a time\n\n"
		     "Exit status: 0 full marks, 1 a partial score, 2 the lab cannot be graded.\n");
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *path_join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *p = xcalloc(n, 1);

	snprintf(p, n, "%s/%s", a, b);
	return p;
}

/* Grade one check: run, judge, print, save the evidence of a failure. */
static int grade_one(struct grader *g, const struct grade_check *c, struct result *res,
		     struct err *e)
{
	struct grade_run run = {0};
	struct recorder rec = {&run};
	char *buf = NULL;
	size_t blen = 0;
	FILE *msgs = open_memstream(&buf, &blen);
	double t0 = now_s();
	int rc = 0;

	for (int i = 0; i < GRADE_MAX_ASSERTS; i++)
		run.expect_ok[i] = -1;
	printf("== %s ... ", c->name);
	fflush(stdout);
	if (grader_run_check(g, c, &run, &rec, e)) {
		rc = -1;
		goto out;
	}
	res->hsec = now_s() - t0;
	res->vsec = run.virtual_ns / 1e9;
	res->ok = grade_evaluate(c, &run, msgs);
	if (!res->ok && run.why[0])
		fprintf(msgs, "   the run ended: %s\n", run.why);
	fclose(msgs);
	msgs = NULL;
	res->msgs = buf;
	buf = NULL;
	printf("%s (%.6f s)\n", res->ok ? "OK" : "FAIL", res->vsec);
	if (res->ok)
		goto out;
	fputs(res->msgs, stdout);
	if (c->hint)
		printf("   hint: %s\n", c->hint);
	{
		char name[300];
		char *sp, *tp;

		snprintf(name, sizeof(name), "%s.serial", c->name);
		sp = path_join(g->out, name);
		snprintf(name, sizeof(name), "%s.trace", c->name);
		tp = path_join(g->out, name);
		if (rec.truncated && rec.text)
			strcpy(rec.text + rec.len - (rec.len > 20 ? 20 : 0),
			       "\n(trace truncated)\n");
		if (!write_file(sp, run.serial ? run.serial : "", run.serial_len, e) &&
		    !write_file(tp, rec.text ? rec.text : "", rec.text ? strlen(rec.text) : 0, e))
			printf("   transcript: %s  trace: %s\n", sp, tp);
		else
			printf("   (could not save the transcript: %s)\n", e->msg);
		free(sp);
		free(tp);
	}
out:
	if (msgs)
		fclose(msgs);
	free(buf);
	free(rec.text);
	grade_run_free(&run);
	return rc;
}

static int write_json(struct grader *g, struct result *res, int score, int max, struct err *e)
{
	char *buf = NULL, *path;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int r;

	fprintf(f, "{\n  \"lab\": ");
	json_str(f, g->lab.name ? g->lab.name : g->labdir);
	fprintf(f, ",\n  \"kernel\": ");
	json_str(f, g->kernel);
	fprintf(f, ",\n  \"score\": %d,\n  \"max\": %d,\n  \"checks\": [", score, max);
	for (int i = 0, first = 1; i < g->lab.nchecks; i++) {
		const struct grade_check *c = &g->lab.checks[i];

		if (g->only && strcmp(g->only, c->name))
			continue;
		fprintf(f, "%s\n    {\"name\": ", first ? "" : ",");
		first = 0;
		json_str(f, c->name);
		fprintf(f,
			", \"points\": %d, \"passed\": %s, \"virtual_s\": %.6f, \"host_s\": %.3f",
			c->points, res[i].ok ? "true" : "false", res[i].vsec, res[i].hsec);
		fprintf(f, ", \"messages\": ");
		json_str(f, res[i].msgs ? res[i].msgs : "");
		fprintf(f, "}");
	}
	fprintf(f, "\n  ]\n}\n");
	fclose(f);
	path = path_join(g->out, "result.json");
	r = write_file(path, buf, len, e);
	free(path);
	free(buf);
	return r;
}

int grade_main(int argc, char **argv)
{
	struct grader g = {.block_cache = true};
	struct result res[GRADE_MAX_CHECKS] = {0};
	struct err e = {""};
	const char *build = getenv("VMLAB_BUILD"), *kernel = NULL, *out = NULL;
	char *checks = NULL;
	struct stat sb;
	int score = 0, max = 0, status = 2, ran = 0;

	if (!build || !*build)
		build = "build";
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		bool more = i + 1 < argc;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--build") && more) {
			build = argv[++i];
		} else if (!strcmp(a, "--kernel") && more) {
			kernel = argv[++i];
		} else if (!strcmp(a, "--out") && more) {
			out = argv[++i];
		} else if (!strcmp(a, "--check") && more) {
			g.only = argv[++i];
		} else if (!strcmp(a, "--no-block-cache")) {
			g.block_cache = false;
		} else if (a[0] == '-') {
			fprintf(stderr, "vmlab: grade: unknown option or missing value: %s\n", a);
			usage(stderr);
			return 2;
		} else if (g.labdir) {
			fprintf(stderr, "vmlab: grade: one lab at a time (%s and %s)\n", g.labdir,
				a);
			return 2;
		} else {
			g.labdir = a;
		}
	}
	if (!g.labdir) {
		usage(stderr);
		return 2;
	}
	/* LABDIR is a folder holding checks.txt, or the check file itself. */
	if (!stat(g.labdir, &sb) && S_ISDIR(sb.st_mode))
		checks = path_join(g.labdir, "checks.txt");
	else
		checks = xstrdup(g.labdir);
	if (grade_load(&g.lab, checks, &e))
		goto fail;
	if (g.only) {
		bool found = false;

		for (int i = 0; i < g.lab.nchecks; i++)
			found |= !strcmp(g.lab.checks[i].name, g.only);
		if (!found) {
			err_set(&e, "%s: no check named '%s'", checks, g.only);
			goto fail;
		}
	}
	if (kernel) {
		g.kernel = xstrdup(kernel);
	} else if (g.lab.kernel[0] == '/') {
		g.kernel = xstrdup(g.lab.kernel);
	} else {
		char *labs = path_join(build, "labs");

		g.kernel = path_join(labs, g.lab.kernel);
		free(labs);
	}
	if (access(g.kernel, R_OK)) {
		err_errno(&e, "%s (build it first: make grade LAB=NN, or give --build DIR)",
			  g.kernel);
		goto fail;
	}
	if (symtab_load(&g.syms, g.kernel, &e))
		goto fail;
	if (out) {
		g.out = xstrdup(out);
	} else {
		char *d = path_join(build, "grade");

		g.out = path_join(d, g.lab.name ? g.lab.name : "lab");
		free(d);
	}
	if (mkdir_p(g.out, &e))
		goto fail;

	for (int i = 0; i < g.lab.nchecks; i++) {
		const struct grade_check *c = &g.lab.checks[i];

		if (g.only && strcmp(g.only, c->name))
			continue;
		max += c->points;
		ran++;
		if (grade_one(&g, c, &res[i], &e)) {
			printf("ERROR\n");
			goto fail;
		}
		if (res[i].ok)
			score += c->points;
	}
	printf("Score: %d/%d\n", score, max);
	if (write_json(&g, res, score, max, &e))
		goto fail;
	status = score == max && ran ? 0 : 1;
	goto done;
fail:
	fflush(stdout);
	fprintf(stderr, "vmlab: grade: %s\n", e.msg);
	status = 2;
done:
	for (int i = 0; i < GRADE_MAX_CHECKS; i++)
		free(res[i].msgs);
	symtab_free(&g.syms);
	grade_lab_free(&g.lab);
	free(g.kernel);
	free(g.out);
	free(checks);
	return status;
}
