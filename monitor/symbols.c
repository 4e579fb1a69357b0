/*
 * symbols.c - reading guest symbols with libelf (ELF gABI ch. 4, "Symbol
 * Table") and turning addresses into "name+off" (see symbols.h).
 *
 * Which symbols count: STT_FUNC, STT_OBJECT and STT_NOTYPE ones that are
 * defined (st_shndx != SHN_UNDEF) and have a name; section and file
 * symbols are left out, so are assembler locals (".L...").  Untyped labels
 * matter here: `_start` and the 32-bit boot code of our samples are plain
 * labels in .S files.
 */
#include "monitor/symbols.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int by_addr(const void *a, const void *b)
{
	const struct symbol *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* Same address: functions first, then by name, for stable output. */
	if (x->func != y->func)
		return x->func ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void push(struct symtab *t, const char *name, u64 addr, u64 size, bool func)
{
	t->v = xrealloc(t->v, (t->n + 1) * sizeof(*t->v));
	t->v[t->n++] = (struct symbol){addr, size, xstrdup(name), func};
}

void symtab_add(struct symtab *t, const char *name, u64 addr, u64 size, bool func)
{
	push(t, name, addr, size, func);
	qsort(t->v, t->n, sizeof(*t->v), by_addr);
}

int symtab_load(struct symtab *t, const char *path, struct err *e)
{
	Elf *elf = NULL;
	Elf_Scn *scn = NULL;
	size_t before = t->n;
	int fd, r = -1;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return err_set(e, "%s: libelf is unusable", path);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return err_errno(e, "%s", path);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		err_set(e, "%s: not an ELF file", path);
		goto out;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym s;
			const char *name;
			int type;

			if (!gelf_getsym(data, (int)i, &s))
				break;
			type = GELF_ST_TYPE(s.st_info);
			if (s.st_shndx == SHN_UNDEF || s.st_shndx == SHN_ABS ||
			    (type != STT_FUNC && type != STT_OBJECT && type != STT_NOTYPE))
				continue;
			name = elf_strptr(elf, sh.sh_link, s.st_name);
			if (!name || !*name || name[0] == '.' || strchr(name, '$'))
				continue;
			push(t, name, s.st_value, s.st_size, type == STT_FUNC);
		}
	}
	if (t->n == before) {
		err_set(e, "%s: no symbol table (stripped?)", path);
		goto out;
	}
	qsort(t->v, t->n, sizeof(*t->v), by_addr);
	r = 0;
out:
	if (elf)
		elf_end(elf);
	close(fd);
	return r;
}

void symtab_free(struct symtab *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].name);
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

bool symtab_lookup(const struct symtab *t, const char *name, u64 *addr)
{
	for (size_t i = 0; i < t->n; i++) {
		if (!strcmp(t->v[i].name, name)) {
			*addr = t->v[i].addr;
			return true;
		}
	}
	return false;
}

const struct symbol *symtab_find(const struct symtab *t, u64 addr, u64 *off)
{
	size_t lo = 0, hi = t->n;
	const struct symbol *s;

	/* The last symbol with s->addr <= addr (binary search). */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (t->v[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	s = &t->v[lo - 1];
	/* Prefer the first (function) symbol at that address. */
	while (s > t->v && s[-1].addr == s->addr)
		s--;
	/* A sized symbol must contain addr; an unsized label covers up to the
	 * next symbol, but not more than 64 KiB (past the end of the image an
	 * address belongs to nobody). */
	if (s->size ? addr - s->addr >= s->size : addr - s->addr >= 0x10000)
		return NULL;
	*off = addr - s->addr;
	return s;
}

bool symtab_format(const struct symtab *t, u64 addr, char *buf, size_t len)
{
	u64 off;
	const struct symbol *s = symtab_find(t, addr, &off);

	if (!s) {
		if (len)
			buf[0] = 0;
		return false;
	}
	if (off)
		snprintf(buf, len, "%s+0x%llx", s->name, (unsigned long long)off);
	else
		snprintf(buf, len, "%s", s->name);
	return true;
}
