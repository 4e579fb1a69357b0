/*
 * grade_check.c - the lab check file (labs/NN-name/checks.txt) and the
 * evaluation of its assertions against a recorded run (monitor/grade.h).
 *
 * Nothing here runs a machine: grade_vm.c does that and fills a struct
 * grade_run; this file only reads text and compares.  That split lets the
 * unit tests (tests/unit/test_grade.c) feed hand-made runs to the same
 * evaluation the grader uses.
 *
 * Event meanings (a[0..3]) are those of lib/trace.def; mode names are
 * cpu_mode_name[] (cpu/cpu.c), exactly what `--trace=mode` prints.
 */
#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "hypervisor/config.h"
#include "lib/trace.h"
#include "monitor/grade.h"

/* ---- reading the file -------------------------------------------------------- */

struct parser {
	struct grade_lab *lab;
	const char *name;
	int line;
	struct err *e;
};

#define BAD(p, ...) bad(p, __VA_ARGS__)
static int bad(struct parser *p, const char *fmt, ...) PRINTF(2, 3);
static int bad(struct parser *p, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(p->e, "%s:%d: %s", p->name, p->line, msg);
}

/* Split off the first word of *s (advancing *s past it and the blanks that
 * follow); returns NULL at the end of the line. */
static char *word(char **s)
{
	char *w = *s, *end;

	while (*w == ' ' || *w == '\t')
		w++;
	if (!*w)
		return NULL;
	end = w;
	while (*end && *end != ' ' && *end != '\t')
		end++;
	if (*end)
		*end++ = '\0';
	while (*end == ' ' || *end == '\t')
		end++;
	*s = end;
	return w;
}

static int number(struct parser *p, const char *w, const char *what, u64 *out)
{
	char *end;

	if (!w)
		return BAD(p, "%s: a number is missing", what);
	errno = 0;
	*out = strtoull(w, &end, 0);
	if (errno || *end || end == w)
		return BAD(p, "%s: '%s' is not a number", what, w);
	return 0;
}

static int seconds(struct parser *p, const char *w, u64 *ns)
{
	struct err e2;

	if (!w)
		return BAD(p, "timeout: the number of seconds is missing");
	if (config_parse_seconds(w, ns, "timeout", &e2) || !*ns)
		return BAD(p, "timeout: '%s' is not a positive number of seconds", w);
	return 0;
}

static int mode_by_name(const char *w)
{
	for (int m = 0; m < CPU_MODE_COUNT; m++)
		if (cpu_mode_name[m] && !strcmp(cpu_mode_name[m], w))
			return m;
	return -1;
}

static struct grade_assert *new_assert(struct parser *p, struct grade_check *c,
				       enum grade_assert_kind k, const char *text)
{
	struct grade_assert *a;

	if (c->nas == GRADE_MAX_ASSERTS) {
		BAD(p, "too many assertions in check '%s' (max %d)", c->name, GRADE_MAX_ASSERTS);
		return NULL;
	}
	a = &c->as[c->nas++];
	memset(a, 0, sizeof(*a));
	a->kind = k;
	a->line = p->line;
	a->text = xstrdup(text);
	return a;
}

/* "LHS OP RHS" of an expect line. */
static int parse_expect(struct parser *p, struct grade_check *c, char *rest)
{
	static const struct {
		const char *s;
		enum grade_op op;
	} ops[] = {{"==", GOP_EQ}, {"!=", GOP_NE}, {"&", GOP_ALL}, {"!&", GOP_NONE}};
	char copy[256];
	char *lhs, *op, *rhs, *s = copy;
	struct grade_assert *a;

	if (!c->nbrk)
		return BAD(p, "expect before any break: say where to look first");
	snprintf(copy, sizeof(copy), "%s", rest);
	lhs = word(&s);
	op = word(&s);
	rhs = word(&s);
	if (!lhs || !op || !rhs || *s)
		return BAD(p, "expect: want 'LHS OP RHS' (e.g. expect gdtr.limit == 0x1f)");
	if (!(a = new_assert(p, c, GA_EXPECT, rest)))
		return -1;
	a->brk = c->nbrk - 1;
	a->lhs = xstrdup(lhs);
	a->rhs = xstrdup(rhs);
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		if (!strcmp(op, ops[i].s)) {
			a->op = ops[i].op;
			return 0;
		}
	return BAD(p, "expect: unknown operator '%s' (use == != & !&)", op);
}

/* One directive inside a check. */
static int parse_in_check(struct parser *p, struct grade_check *c, const char *kw, char *rest)
{
	struct grade_assert *a;
	char *w;

	if (!strcmp(kw, "timeout"))
		return seconds(p, word(&rest), &c->timeout_ns);
	if (!strcmp(kw, "append")) {
		free(c->append);
		c->append = xstrdup(rest);
		return 0;
	}
	if (!strcmp(kw, "seed"))
		return number(p, word(&rest), "seed", &c->seed);
	if (!strcmp(kw, "hint")) {
		free(c->hint);
		c->hint = xstrdup(rest);
		return 0;
	}
	if (!strcmp(kw, "serial") || !strcmp(kw, "forbid")) {
		regex_t re;
		int r;

		if (!*rest)
			return BAD(p, "%s: the regular expression is missing", kw);
		r = regcomp(&re, rest, REG_EXTENDED | REG_NEWLINE | REG_NOSUB);
		if (r) {
			char m[128];

			regerror(r, &re, m, sizeof(m));
			return BAD(p, "%s: bad regular expression: %s", kw, m);
		}
		regfree(&re);
		return new_assert(p, c, kw[0] == 's' ? GA_SERIAL : GA_FORBID, rest) ? 0 : -1;
	}
	if (!strcmp(kw, "mode")) {
		int m;

		w = word(&rest);
		if (!w || (m = mode_by_name(w)) < 0)
			return BAD(p,
				   "mode: '%s' is not a CPU mode (real, protected-32, compat-32, "
				   "long-64 ...)",
				   w ? w : "");
		if (!(a = new_assert(p, c, GA_MODE, w)))
			return -1;
		a->a = (u64)m;
		return 0;
	}
	if (!strcmp(kw, "exc") || !strcmp(kw, "no-exc") || !strcmp(kw, "int")) {
		enum grade_assert_kind k = kw[0] == 'e'	  ? GA_EXC
					   : kw[0] == 'n' ? GA_NO_EXC
							  : GA_INT;
		char text[256];

		snprintf(text, sizeof(text), "%s", rest);
		if (!(a = new_assert(p, c, k, text)))
			return -1;
		w = word(&rest);
		if (k == GA_NO_EXC && w && !strcmp(w, "any"))
			return 0;
		if (number(p, w, kw, &a->a))
			return -1;
		a->has_a = true;
		if (k == GA_INT)
			a->b = 1;
		while ((w = word(&rest))) {
			if (k == GA_EXC && !strcmp(w, "err")) {
				a->has_b = true;
				if (number(p, word(&rest), "exc err", &a->b))
					return -1;
			} else if (k == GA_EXC && !strcmp(w, "cr2")) {
				a->has_c = true;
				if (number(p, word(&rest), "exc cr2", &a->c))
					return -1;
			} else if (k == GA_INT && !strcmp(w, "count")) {
				if (number(p, word(&rest), "int count", &a->b))
					return -1;
			} else {
				return BAD(p, "%s: unexpected '%s'", kw, w);
			}
		}
		return 0;
	}
	if (!strcmp(kw, "io")) {
		char text[256];

		snprintf(text, sizeof(text), "%s", rest);
		w = word(&rest);
		if (!w || strcmp(w, "out"))
			return BAD(p, "io: only 'io out PORT [VALUE]' is supported");
		if (!(a = new_assert(p, c, GA_IO, text)))
			return -1;
		if (number(p, word(&rest), "io port", &a->a))
			return -1;
		if ((w = word(&rest))) {
			a->has_b = true;
			if (number(p, w, "io value", &a->b))
				return -1;
		}
		return 0;
	}
	if (!strcmp(kw, "exit")) {
		if (!(a = new_assert(p, c, GA_EXIT, rest)))
			return -1;
		return number(p, word(&rest), "exit", &a->a);
	}
	if (!strcmp(kw, "break")) {
		if (!(w = word(&rest)))
			return BAD(p, "break: say where (a symbol or an address)");
		if (c->nbrk == GRADE_MAX_BREAKS)
			return BAD(p, "too many breaks (max %d)", GRADE_MAX_BREAKS);
		c->brk[c->nbrk++] = xstrdup(w);
		return 0;
	}
	if (!strcmp(kw, "expect"))
		return parse_expect(p, c, rest);
	return BAD(p, "unknown directive '%s'", kw);
}

int grade_parse(struct grade_lab *lab, const char *text, const char *name, struct err *e)
{
	struct parser p = {lab, name, 0, e};
	struct grade_check *cur = NULL;
	const char *s = text;

	memset(lab, 0, sizeof(*lab));
	lab->timeout_ns = 500000000ULL; /* 0.5 s of virtual time */
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		char buf[1024], *rest = buf, *kw, *hash;

		p.line++;
		if (n >= sizeof(buf))
			return BAD(&p, "line too long");
		memcpy(buf, s, n);
		buf[n] = '\0';
		s += n + (nl != NULL);
		/* A comment is a '#' at the start of the line or a " # " later
		 * ("#GP" in a hint, '#' in a regex are kept). */
		for (hash = buf; (hash = strchr(hash, '#')); hash++)
			if (hash == buf + strspn(buf, " \t") ||
			    ((hash[-1] == ' ' || hash[-1] == '\t') &&
			     (hash[1] == ' ' || hash[1] == '\t' || !hash[1]))) {
				*hash = '\0';
				break;
			}
		for (size_t k = strlen(buf); k && isspace((unsigned char)buf[k - 1]);)
			buf[--k] = '\0';
		if (!(kw = word(&rest)))
			continue;
		if (!strcmp(kw, "check")) {
			char *nm = word(&rest), *pts = word(&rest);
			u64 v;

			if (!nm || !pts || *rest)
				return BAD(&p, "want 'check NAME POINTS'");
			if (lab->nchecks == GRADE_MAX_CHECKS)
				return BAD(&p, "too many checks (max %d)", GRADE_MAX_CHECKS);
			for (int i = 0; i < lab->nchecks; i++)
				if (!strcmp(lab->checks[i].name, nm))
					return BAD(&p, "check '%s' is defined twice", nm);
			if (number(&p, pts, "points", &v))
				return -1;
			cur = &lab->checks[lab->nchecks++];
			cur->name = xstrdup(nm);
			cur->points = (int)v;
			continue;
		}
		if (cur) {
			if (parse_in_check(&p, cur, kw, rest))
				return -1;
			continue;
		}
		if (!strcmp(kw, "lab") || !strcmp(kw, "kernel")) {
			char **slot = kw[0] == 'l' ? &lab->name : &lab->kernel;

			if (!*rest)
				return BAD(&p, "%s: the value is missing", kw);
			free(*slot);
			*slot = xstrdup(rest);
		} else if (!strcmp(kw, "timeout")) {
			if (seconds(&p, word(&rest), &lab->timeout_ns))
				return -1;
		} else {
			return BAD(&p,
				   "'%s' before the first 'check' (only lab, kernel, timeout "
				   "go there)",
				   kw);
		}
	}
	if (!lab->nchecks)
		return err_set(e, "%s: no checks", name);
	if (!lab->kernel)
		return err_set(e, "%s: no 'kernel' line", name);
	return 0;
}

int grade_load(struct grade_lab *lab, const char *path, struct err *e)
{
	FILE *f = fopen(path, "r");
	char *text;
	long n;
	int r;

	memset(lab, 0, sizeof(*lab));
	if (!f)
		return err_errno(e, "%s", path);
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return err_errno(e, "%s", path);
	}
	text = xcalloc((size_t)n + 1, 1);
	if (fread(text, 1, (size_t)n, f) != (size_t)n) {
		free(text);
		fclose(f);
		return err_set(e, "%s: read error", path);
	}
	fclose(f);
	r = grade_parse(lab, text, path, e);
	free(text);
	return r;
}

void grade_lab_free(struct grade_lab *lab)
{
	for (int i = 0; i < lab->nchecks; i++) {
		struct grade_check *c = &lab->checks[i];

		for (int j = 0; j < c->nas; j++) {
			free(c->as[j].text);
			free(c->as[j].lhs);
			free(c->as[j].rhs);
		}
		for (int j = 0; j < c->nbrk; j++)
			free(c->brk[j]);
		free(c->name);
		free(c->append);
		free(c->hint);
	}
	free(lab->name);
	free(lab->kernel);
	memset(lab, 0, sizeof(*lab));
}

/* ---- what a run recorded ------------------------------------------------------ */

void grade_run_serial(struct grade_run *r, const u8 *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\r')
			continue; /* the guests send "\r\n"; regexes see "\n" */
		if (r->serial_len + 2 > r->serial_cap) {
			if (r->serial_cap >= 4 * MiB)
				return; /* enough to judge; a runaway guest stops here */
			r->serial_cap = r->serial_cap ? 2 * r->serial_cap : 4096;
			r->serial = xrealloc(r->serial, r->serial_cap);
		}
		r->serial[r->serial_len++] = (char)buf[i];
		r->serial[r->serial_len] = '\0';
	}
}

void grade_run_event(struct grade_run *r, unsigned kind, u64 pc, const u64 a[4])
{
	struct grade_event *ev;

	if (r->nev == r->evcap) {
		if (r->evcap >= (1u << 22))
			return;
		r->evcap = r->evcap ? 2 * r->evcap : 256;
		r->ev = xrealloc(r->ev, r->evcap * sizeof(*r->ev));
	}
	ev = &r->ev[r->nev++];
	ev->kind = (u8)kind;
	ev->pc = pc;
	memcpy(ev->a, a, sizeof(ev->a));
}

void grade_run_free(struct grade_run *r)
{
	free(r->serial);
	free(r->ev);
	for (int i = 0; i < GRADE_MAX_ASSERTS; i++)
		free(r->expect_msg[i]);
	memset(r, 0, sizeof(*r));
}

/* ---- deciding ----------------------------------------------------------------- */

/* Does some line of the serial output match?  When it does and `line` is
 * given, that whole line is copied there (for the failure message). */
static bool serial_matches(const struct grade_run *r, const char *pattern, char *line, size_t len)
{
	const char *text = r->serial ? r->serial : "";
	regmatch_t m;
	regex_t re;
	bool hit;

	if (regcomp(&re, pattern, REG_EXTENDED | REG_NEWLINE))
		return false; /* grade_parse compiled it once already */
	hit = regexec(&re, text, 1, &m, 0) == 0;
	regfree(&re);
	if (hit && line) {
		const char *b = text + m.rm_so, *e = text + m.rm_eo;

		while (b > text && b[-1] != '\n')
			b--;
		while (*e && *e != '\n')
			e++;
		snprintf(line, len, "%.*s", (int)(e - b), b);
	}
	return hit;
}

static const char *exc_name(u64 v)
{
	static const char *const n[32] = {
	    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#9",  "#TS",
	    "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
	};
	return v < 32 && n[v] ? n[v] : "vector";
}

/* The modes the CPU went through, for a failure message. */
static void modes_seen(const struct grade_run *r, char *buf, size_t len)
{
	size_t w = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < r->nev && w < len; i++)
		if (r->ev[i].kind == TRACE_MODE && r->ev[i].a[1] < CPU_MODE_COUNT)
			w += snprintf(buf + w, len - w, "%s%s", w ? " -> " : "",
				      cpu_mode_name[r->ev[i].a[1]]);
	if (!buf[0])
		snprintf(buf, len, "no mode switch at all");
}

#define SAY(...) (out ? fprintf(out, "   " __VA_ARGS__) : 0)

static bool eval_one(const struct grade_check *c, const struct grade_assert *a, int idx,
		     const struct grade_run *r, FILE *out)
{
	u64 count = 0;
	const struct grade_event *first = NULL;
	char seen[256];

	for (size_t i = 0; i < r->nev; i++) {
		const struct grade_event *ev = &r->ev[i];
		bool m = false;

		switch (a->kind) {
		case GA_MODE: m = ev->kind == TRACE_MODE && ev->a[1] == a->a; break;
		case GA_EXC:
			m = ev->kind == TRACE_EXC && ev->a[0] == a->a &&
			    (!a->has_b || (ev->a[2] && ev->a[1] == a->b)) &&
			    (!a->has_c || ev->a[3] == a->c);
			break;
		case GA_NO_EXC: m = ev->kind == TRACE_EXC && (!a->has_a || ev->a[0] == a->a); break;
		case GA_INT: m = ev->kind == TRACE_INT && ev->a[0] == a->a; break;
		case GA_IO:
			m = ev->kind == TRACE_IO && ev->a[3] && ev->a[0] == a->a &&
			    (!a->has_b || ev->a[1] == a->b);
			break;
		default: break;
		}
		if (m) {
			count++;
			if (!first)
				first = ev;
		}
	}

	switch (a->kind) {
	case GA_SERIAL:
		if (serial_matches(r, a->text, NULL, 0))
			return true;
		SAY("serial: no line matches /%s/\n", a->text);
		return false;
	case GA_FORBID:
		if (!serial_matches(r, a->text, seen, sizeof(seen)))
			return true;
		SAY("serial: a line matches the forbidden /%s/:\n", a->text);
		SAY("     %s\n", seen);
		return false;
	case GA_MODE:
		if (count)
			return true;
		modes_seen(r, seen, sizeof(seen));
		SAY("mode: the CPU never entered %s (modes: %s)\n", a->text, seen);
		return false;
	case GA_EXC:
		if (count)
			return true;
		SAY("exc: no %s (vector %llu) matching 'exc %s'\n", exc_name(a->a),
		    (unsigned long long)a->a, a->text);
		for (size_t i = 0; i < r->nev; i++)
			if (r->ev[i].kind == TRACE_EXC && r->ev[i].a[0] == a->a) {
				SAY("     (saw one with error code 0x%llx, cr2=0x%llx at "
				    "rip=0x%llx)\n",
				    (unsigned long long)r->ev[i].a[1],
				    (unsigned long long)r->ev[i].a[3],
				    (unsigned long long)r->ev[i].pc);
				break;
			}
		return false;
	case GA_NO_EXC:
		if (!count)
			return true;
		SAY("exc: %s (vector %llu) error code 0x%llx at rip=0x%llx, expected none\n",
		    exc_name(first->a[0]), (unsigned long long)first->a[0],
		    (unsigned long long)first->a[1], (unsigned long long)first->pc);
		return false;
	case GA_INT:
		if (count >= a->b)
			return true;
		SAY("int: vector 0x%llx was delivered %llu time(s), expected at least %llu\n",
		    (unsigned long long)a->a, (unsigned long long)count, (unsigned long long)a->b);
		return false;
	case GA_IO:
		if (count)
			return true;
		SAY("io: the guest never wrote %s\n", a->text);
		return false;
	case GA_EXIT:
		if ((u64)r->status == a->a)
			return true;
		SAY("exit: status %d, expected %llu\n", r->status, (unsigned long long)a->a);
		return false;
	case GA_EXPECT:
		if (r->expect_ok[idx] == 1)
			return true;
		if (r->expect_ok[idx] == 0)
			SAY("%s\n", r->expect_msg[idx] ? r->expect_msg[idx] : a->text);
		else
			SAY("break: the guest never reached %s (so: %s not checked)\n",
			    c->brk[a->brk], a->text);
		return false;
	}
	return false;
}

bool grade_evaluate(const struct grade_check *c, const struct grade_run *r, FILE *out)
{
	bool ok = true;

	for (int i = 0; i < c->nas; i++)
		if (!eval_one(c, &c->as[i], i, r, out))
			ok = false;
	return ok;
}
