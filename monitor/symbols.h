/*
 * symbols.h - guest symbols for the monitor: the symbol table (.symtab,
 * ELF gABI "Symbol Table") of the kernel ELF or of `--symbols FILE`, read
 * with libelf, sorted by address so that an address becomes "name+off".
 */
#ifndef VMLAB_MONITOR_SYMBOLS_H
#define VMLAB_MONITOR_SYMBOLS_H

#include "lib/common.h"
#include "lib/err.h"

struct symbol {
	u64 addr, size;
	char *name;
	bool func; /* STT_FUNC */
};

struct symtab {
	struct symbol *v; /* sorted by addr, then name */
	size_t n;
};

/* Add the function, object and untyped symbols of an ELF32/ELF64 file;
 * -1 with "FILE: ..." when it cannot be read or has no symbol table. */
int symtab_load(struct symtab *t, const char *path, struct err *e);
/* Add one symbol by hand (tests, future sources); keeps the order. */
void symtab_add(struct symtab *t, const char *name, u64 addr, u64 size, bool func);
void symtab_free(struct symtab *t);

/* Address of symbol `name`; false if unknown. */
bool symtab_lookup(const struct symtab *t, const char *name, u64 *addr);
/* The symbol containing addr (within its size, or the closest one below
 * when sizes are 0), or NULL; *off = addr - symbol. */
const struct symbol *symtab_find(const struct symtab *t, u64 addr, u64 *off);
/* "name" or "name+0x1c" into buf; returns false (buf = "") when unknown. */
bool symtab_format(const struct symtab *t, u64 addr, char *buf, size_t len);

#endif
