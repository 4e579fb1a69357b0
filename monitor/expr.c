/*
 * expr.c - a recursive-descent parser for the monitor's expressions (the
 * grammar is in expr.h).  Every error is a message, never a crash: the
 * input is whatever a person typed.
 */
#include "monitor/expr.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

struct parser {
	const struct expr_env *env;
	const char *s, *p;
	struct err *e;
	int depth;
};

static int parse_cmp(struct parser *ps, u64 *v);

static void skip_ws(struct parser *ps)
{
	while (isspace((unsigned char)*ps->p))
		ps->p++;
}

static bool ident_char(char c, bool first)
{
	return isalpha((unsigned char)c) || c == '_' || c == '.' || c == '$' ||
	       (!first && isdigit((unsigned char)c));
}

static int parse_atom(struct parser *ps, u64 *v)
{
	const char *start = ps->p;

	if (isdigit((unsigned char)*ps->p)) {
		int base = 10;
		u64 n = 0;

		if (ps->p[0] == '0' && (ps->p[1] == 'x' || ps->p[1] == 'X')) {
			base = 16;
			ps->p += 2;
			if (!isxdigit((unsigned char)*ps->p))
				return err_set(ps->e, "bad number '%.*s'", (int)(ps->p - start),
					       start);
		}
		for (;; ps->p++) {
			int c = (unsigned char)*ps->p, d;

			if (isdigit(c))
				d = c - '0';
			else if (base == 16 && isxdigit(c))
				d = tolower(c) - 'a' + 10;
			else
				break;
			if (n > (UINT64_MAX - d) / base)
				return err_set(ps->e, "number too large: '%s'", start);
			n = n * base + d;
		}
		if (ident_char(*ps->p, true))
			return err_set(ps->e, "bad number '%.*s'",
				       (int)strcspn(start, " \t+-*/()<>=!"), start);
		*v = n;
		return 0;
	}
	if (ident_char(*ps->p, true)) {
		char name[128];
		size_t n;

		while (ident_char(*ps->p, ps->p == start))
			ps->p++;
		n = (size_t)(ps->p - start);
		if (n >= sizeof(name))
			return err_set(ps->e, "name too long: '%.*s...'", 20, start);
		memcpy(name, start, n);
		name[n] = 0;
		/* Registers first ($rax or rax), then symbols. */
		if (ps->env->reg &&
		    ps->env->reg(ps->env->opaque, name[0] == '$' ? name + 1 : name, v))
			return 0;
		if (ps->env->sym && ps->env->sym(ps->env->opaque, name, v))
			return 0;
		return err_set(ps->e, "no register or symbol named '%s'", name);
	}
	if (!*ps->p)
		return err_set(ps->e, "expression ends too early: '%s'", ps->s);
	return err_set(ps->e, "unexpected '%c' in '%s'", *ps->p, ps->s);
}

static int parse_unary(struct parser *ps, u64 *v)
{
	int r;

	skip_ws(ps);
	if (++ps->depth > 64)
		return err_set(ps->e, "expression nested too deeply");
	if (*ps->p == '-' || *ps->p == '*') {
		char op = *ps->p++;

		r = parse_unary(ps, v);
		if (r)
			return r;
		if (op == '-') {
			*v = -*v;
		} else {
			u64 addr = *v;

			if (!ps->env->mem)
				return err_set(ps->e, "cannot read memory here");
			if (!ps->env->mem(ps->env->opaque, addr, v, ps->e))
				return -1;
		}
	} else if (*ps->p == '(') {
		ps->p++;
		r = parse_cmp(ps, v);
		if (r)
			return r;
		skip_ws(ps);
		if (*ps->p != ')')
			return err_set(ps->e, "missing ')' in '%s'", ps->s);
		ps->p++;
	} else {
		r = parse_atom(ps, v);
		if (r)
			return r;
	}
	ps->depth--;
	return 0;
}

static int parse_prod(struct parser *ps, u64 *v)
{
	if (parse_unary(ps, v))
		return -1;
	for (;;) {
		char op;
		u64 r;

		skip_ws(ps);
		op = *ps->p;
		if (op != '*' && op != '/')
			return 0;
		ps->p++;
		if (parse_unary(ps, &r))
			return -1;
		if (op == '/' && r == 0)
			return err_set(ps->e, "division by zero in '%s'", ps->s);
		*v = op == '*' ? *v * r : *v / r;
	}
}

static int parse_sum(struct parser *ps, u64 *v)
{
	if (parse_prod(ps, v))
		return -1;
	for (;;) {
		char op;
		u64 r;

		skip_ws(ps);
		op = *ps->p;
		if (op != '+' && op != '-')
			return 0;
		ps->p++;
		if (parse_prod(ps, &r))
			return -1;
		*v = op == '+' ? *v + r : *v - r;
	}
}

static int parse_cmp(struct parser *ps, u64 *v)
{
	static const char *const ops[] = {"==", "!=", "<=", ">=", "<", ">"};
	u64 r;
	int k;

	if (parse_sum(ps, v))
		return -1;
	skip_ws(ps);
	for (k = 0; k < 6; k++)
		if (!strncmp(ps->p, ops[k], strlen(ops[k])))
			break;
	if (k == 6)
		return 0;
	ps->p += strlen(ops[k]);
	if (parse_sum(ps, &r))
		return -1;
	switch (k) {
	case 0: *v = *v == r; break;
	case 1: *v = *v != r; break;
	case 2: *v = *v <= r; break;
	case 3: *v = *v >= r; break;
	case 4: *v = *v < r; break;
	default: *v = *v > r; break;
	}
	return 0;
}

int expr_eval(const struct expr_env *env, const char *s, u64 *out, struct err *e)
{
	struct parser ps = {env, s, s, e, 0};
	u64 v;

	if (parse_cmp(&ps, &v))
		return -1;
	skip_ws(&ps);
	if (*ps.p)
		return err_set(e, "unexpected '%s' after the expression", ps.p);
	*out = v;
	return 0;
}
