/*
 * config.c - the .vmx configuration parser (see config.h for the keys).
 *
 * The syntax follows VMware's .vmx files: `key = "value"` lines, `#`
 * comments, keys compared case-insensitively, and VMware's escape for
 * special characters inside values: `|` followed by two hex digits (`|22`
 * is a double quote, `|7C` a bar).  Everything else is an error reported
 * with the file name and line number, in one line:
 *
 *   my.vmx:7: expected key = "value"
 *
 * A key we do not know is not an error (VMware files carry dozens of them:
 * ethernet0.present, virtualHW.version ...): it is kept and listed by
 * `vmlab run --check-config`.  A known key given twice is an error, since
 * one of the two lines is surely a mistake.
 */
#include "hypervisor/config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/trace.h"

#define CONFIG_MAX_FILE (1 * MiB)

void config_init(struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mem_size = CONFIG_DEFAULT_MEM;
	cfg->ncpus = 1;
	cfg->serial = xstrdup("stdio");
	cfg->append = xstrdup("");
	cfg->block_cache = true;
}

void config_free(struct vm_config *cfg)
{
	free(cfg->path);
	free(cfg->display_name);
	free(cfg->guest_os);
	free(cfg->disk[0]);
	free(cfg->disk[1]);
	free(cfg->serial);
	free(cfg->kernel);
	free(cfg->append);
	for (int i = 0; i < cfg->ninitrd; i++)
		free(cfg->initrd[i]);
	free(cfg->trace);
	free(cfg->trace_file);
	for (int i = 0; i < cfg->nunknown; i++) {
		free(cfg->unknown[i].key);
		free(cfg->unknown[i].value);
	}
	free(cfg->unknown);
	memset(cfg, 0, sizeof(*cfg));
}

void config_set_str(char **slot, const char *value)
{
	char *copy = value ? xstrdup(value) : NULL;

	free(*slot);
	*slot = copy;
}

/* dir + "/" + path for a relative path; a copy of path otherwise. */
static char *resolve(const char *dir, const char *path, size_t len)
{
	char *out;
	size_t n;

	if (!dir || !*dir || path[0] == '/' || len == 0) {
		out = xcalloc(len + 1, 1);
		memcpy(out, path, len);
		return out;
	}
	n = strlen(dir);
	out = xcalloc(n + len + 2, 1);
	memcpy(out, dir, n);
	out[n] = '/';
	memcpy(out + n + 1, path, len);
	return out;
}

/* ---- value parsers (shared with monitor/options.c) ----------------------- */

int config_parse_uint(const char *s, u64 min, u64 max, u64 *out, const char *what, struct err *e)
{
	char *end;
	unsigned long long v;

	/* strtoull accepts "-1" and leading blanks; a count must be digits only. */
	if (!isdigit((unsigned char)s[0]))
		return err_set(e, "%s: expected a number, got \"%s\"", what, s);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end)
		return err_set(e, "%s: expected a number, got \"%s\"", what, s);
	if (errno == ERANGE || v < min || v > max)
		return err_set(e, "%s: %s is out of range (%" PRIu64 "..%" PRIu64 ")", what, s, min,
			       max);
	*out = v;
	return 0;
}

int config_parse_size(const char *s, u64 unit, u64 *out, const char *what, struct err *e)
{
	char *end;
	unsigned long long v;
	u64 mult = unit;

	if (!isdigit((unsigned char)s[0]))
		goto bad;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		goto bad;
	/* Accept "128M", "128MB", "128MiB" and "4096B" alike. */
	if (*end) {
		switch (toupper((unsigned char)*end++)) {
		case 'K': mult = KiB; break;
		case 'M': mult = MiB; break;
		case 'G': mult = GiB; break;
		case 'T': mult = 1024 * GiB; break;
		case 'B': mult = 1; goto suffix_done;
		default: goto bad;
		}
		if (*end == 'i' && toupper((unsigned char)end[1]) == 'B')
			end += 2;
		else if (toupper((unsigned char)*end) == 'B')
			end++;
	}
suffix_done:
	if (*end)
		goto bad;
	if (v > UINT64_MAX / mult)
		return err_set(e, "%s: %s is too large", what, s);
	*out = v * mult;
	return 0;
bad:
	return err_set(e, "%s: expected a size like 128M or 2G, got \"%s\"", what, s);
}

int config_parse_seconds(const char *s, u64 *ns, const char *what, struct err *e)
{
	char *end;
	double v;

	if (!isdigit((unsigned char)s[0]) && s[0] != '.')
		goto bad;
	errno = 0;
	v = strtod(s, &end);
	if (*end || errno == ERANGE || !isfinite(v))
		goto bad;
	if (v <= 0 || v > 1e9)
		return err_set(e, "%s: %s is out of range (0..1e9 seconds)", what, s);
	*ns = (u64)(v * 1e9 + 0.5);
	if (*ns == 0)
		*ns = 1;
	return 0;
bad:
	return err_set(e, "%s: expected a number of seconds, got \"%s\"", what, s);
}

int config_set_initrd(struct vm_config *cfg, const char *list, const char *dir, const char *what,
		      struct err *e)
{
	const char *p = list;
	int n = 0;
	char *mods[CONFIG_MAX_MODULES];

	while (*p) {
		size_t len = strcspn(p, ","), plen;
		char *m;

		if (len == 0)
			goto bad_empty;
		if (n == CONFIG_MAX_MODULES) {
			for (int i = 0; i < n; i++)
				free(mods[i]);
			return err_set(e, "%s: too many modules (max %d)", what,
				       CONFIG_MAX_MODULES);
		}
		/* "FILE ARGS": only FILE is a path; ARGS stay part of the module string. */
		plen = strcspn(p, " ,");
		m = resolve(dir, p, plen);
		if (plen < len) {
			size_t ml = strlen(m);
			m = xrealloc(m, ml + (len - plen) + 1);
			memcpy(m + ml, p + plen, len - plen);
			m[ml + len - plen] = 0;
		}
		mods[n++] = m;
		p += len;
		if (*p == ',') {
			p++;
			if (!*p)
				goto bad_empty;
		}
	}
	for (int i = 0; i < cfg->ninitrd; i++)
		free(cfg->initrd[i]);
	memcpy(cfg->initrd, mods, n * sizeof(mods[0]));
	cfg->ninitrd = n;
	return 0;
bad_empty:
	for (int i = 0; i < n; i++)
		free(mods[i]);
	return err_set(e, "%s: empty file name in \"%s\"", what, list);
}

/* ---- the known keys ----------------------------------------------------- */

enum key_kind { K_MEMSIZE, K_NUMVCPUS, K_STRING, K_PATH, K_SERIAL, K_INITRD, K_TRACE, K_VIRT, K_CPU };

struct key_desc {
	const char *key;
	enum key_kind kind;
	size_t field; /* offsetof the char * in struct vm_config (K_STRING/K_PATH) */
};

static const struct key_desc known_keys[] = {
    {"memsize", K_MEMSIZE, 0},
    {"numvcpus", K_NUMVCPUS, 0},
    {"displayName", K_STRING, offsetof(struct vm_config, display_name)},
    {"guestOS", K_STRING, offsetof(struct vm_config, guest_os)},
    {"ide0:0.fileName", K_PATH, offsetof(struct vm_config, disk[0])},
    {"ide0:1.fileName", K_PATH, offsetof(struct vm_config, disk[1])},
    {"serial0.fileName", K_SERIAL, 0},
    {"vmlab.kernel", K_PATH, offsetof(struct vm_config, kernel)},
    {"vmlab.append", K_STRING, offsetof(struct vm_config, append)},
    {"vmlab.initrd", K_INITRD, 0},
    {"vmlab.trace", K_TRACE, 0},
    {"vmlab.virt", K_VIRT, 0},
    {"vmlab.cpu", K_CPU, 0},
};

int config_parse_virt(const char *s, int *virt, const char *what, struct err *e)
{
	if (!strcmp(s, "none"))
		*virt = VIRT_NONE;
	else if (!strcmp(s, "trap"))
		*virt = VIRT_TRAP;
	else
		return err_set(e, "%s: expected none or trap, got \"%s\"", what, s);
	return 0;
}

int config_parse_cpu(const char *s, bool *pg_strict, const char *what, struct err *e)
{
	if (!strcmp(s, "default"))
		*pg_strict = false;
	else if (!strcmp(s, "pg-strict"))
		*pg_strict = true;
	else
		return err_set(e, "%s: expected default or pg-strict, got \"%s\"", what, s);
	return 0;
}

/* Apply one known key; on error e holds "key: problem" (no file/line). */
static int apply_key(struct vm_config *cfg, const struct key_desc *k, const char *v,
		     const char *dir, struct err *e)
{
	u64 n;
	char **slot;

	switch (k->kind) {
	case K_MEMSIZE:
		if (config_parse_uint(v, CONFIG_MIN_MEM / MiB, CONFIG_MAX_MEM / MiB, &n, k->key, e))
			return -1;
		cfg->mem_size = n * MiB;
		return 0;
	case K_NUMVCPUS:
		if (config_parse_uint(v, 1, CONFIG_MAX_CPUS, &n, k->key, e))
			return -1;
		cfg->ncpus = (int)n;
		return 0;
	case K_STRING: config_set_str((char **)((char *)cfg + k->field), v); return 0;
	case K_PATH:
		if (!*v)
			return err_set(e, "%s: empty file name", k->key);
		slot = (char **)((char *)cfg + k->field);
		free(*slot);
		*slot = resolve(dir, v, strlen(v));
		return 0;
	case K_SERIAL: {
		char *path;

		if (!*v)
			return err_set(e, "%s: empty file name", k->key);
		path = resolve(dir, v, strlen(v));
		free(cfg->serial);
		cfg->serial = xcalloc(strlen(path) + 6, 1);
		memcpy(cfg->serial, "file:", 5);
		memcpy(cfg->serial + 5, path, strlen(path));
		free(path);
		return 0;
	}
	case K_INITRD: return config_set_initrd(cfg, v, dir, k->key, e);
	case K_TRACE: {
		u64 mask;
		struct err te;

		if (trace_parse_list(v, &mask, &te))
			/* te says "--trace: ..."; name the key instead. */
			return err_set(e, "%s: %s", k->key,
				       strncmp(te.msg, "--trace: ", 9) ? te.msg : te.msg + 9);
		config_set_str(&cfg->trace, v);
		return 0;
	}
	case K_VIRT: return config_parse_virt(v, &cfg->virt, k->key, e);
	case K_CPU: return config_parse_cpu(v, &cfg->pg_strict, k->key, e);
	}
	panic("config: key kind %d", k->kind);
}

/* ---- the line parser ---------------------------------------------------- */

static bool is_key_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '.' || ch == ':' || ch == '_' || ch == '-';
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = (char)tolower((unsigned char)ch);
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/*
 * Split one line (NUL-terminated, no newline) into key and value.
 * Returns 1 for a key/value line, 0 for a blank or comment line, -1 when
 * malformed.  key and value point into buffers the caller frees.
 */
static int split_line(const char *s, char **key, char **value)
{
	const char *k0, *k1;
	char *v;
	size_t n = 0;

	while (isspace((unsigned char)*s))
		s++;
	if (!*s || *s == '#')
		return 0;
	k0 = s;
	while (is_key_char(*s))
		s++;
	k1 = s;
	if (k1 == k0)
		return -1;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s++ != '=')
		return -1;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s++ != '"')
		return -1;
	v = xcalloc(strlen(s) + 1, 1);
	while (*s && *s != '"') {
		int hi, lo;

		if (*s == '|' && (hi = hexval(s[1])) >= 0 && (lo = hexval(s[2])) >= 0) {
			v[n++] = (char)(hi << 4 | lo); /* VMware's |HH escape */
			s += 3;
			continue;
		}
		v[n++] = *s++;
	}
	if (*s++ != '"')
		goto bad;
	/* After the value: blanks and an optional comment, nothing else. */
	while (isspace((unsigned char)*s))
		s++;
	if (*s && *s != '#')
		goto bad;
	*key = xcalloc(k1 - k0 + 1, 1);
	memcpy(*key, k0, k1 - k0);
	*value = v;
	return 1;
bad:
	free(v);
	return -1;
}

int config_parse(struct vm_config *cfg, const char *text, const char *name, const char *dir,
		 struct err *e)
{
	int first_line[ARRAY_SIZE(known_keys)] = {0};
	const char *p = text;
	int lineno = 0;

	while (*p) {
		size_t len = strcspn(p, "\n");
		char *line = xcalloc(len + 1, 1), *key = NULL, *value = NULL;
		const struct key_desc *k = NULL;
		int r;

		memcpy(line, p, len);
		p += len;
		if (*p == '\n')
			p++;
		lineno++;
		if (len && line[len - 1] == '\r') /* files written on Windows */
			line[len - 1] = 0;
		r = split_line(line, &key, &value);
		free(line);
		if (r == 0)
			continue;
		if (r < 0)
			return err_set(e, "%s:%d: expected key = \"value\"", name, lineno);

		for (size_t i = 0; i < ARRAY_SIZE(known_keys); i++) {
			if (strcasecmp(key, known_keys[i].key))
				continue;
			k = &known_keys[i];
			if (first_line[i]) {
				err_set(e, "%s:%d: duplicate key %s (first set on line %d)", name,
					lineno, known_keys[i].key, first_line[i]);
				free(key);
				free(value);
				return -1;
			}
			first_line[i] = lineno;
		}
		if (k) {
			struct err ke;

			r = apply_key(cfg, k, value, dir, &ke);
			free(key);
			free(value);
			if (r)
				return err_set(e, "%s:%d: %s", name, lineno, ke.msg);
			continue;
		}
		/* Unknown: keep it for --check-config. */
		cfg->unknown = xrealloc(cfg->unknown, (cfg->nunknown + 1) * sizeof(*cfg->unknown));
		cfg->unknown[cfg->nunknown++] = (struct config_kv){key, value, lineno};
	}
	return 0;
}

int config_load_file(struct vm_config *cfg, const char *path, struct err *e)
{
	FILE *f = fopen(path, "rb");
	char *text, *dir = NULL, *slash;
	size_t n;
	int r;

	if (!f)
		return err_errno(e, "%s", path);
	text = xcalloc(CONFIG_MAX_FILE + 1, 1);
	n = fread(text, 1, CONFIG_MAX_FILE + 1, f);
	if (ferror(f)) {
		r = err_errno(e, "%s", path);
		goto out;
	}
	if (n > CONFIG_MAX_FILE) {
		r = err_set(e, "%s: too large for a config file (over %llu bytes)", path,
			    (unsigned long long)CONFIG_MAX_FILE);
		goto out;
	}
	if (memchr(text, 0, n)) {
		r = err_set(e, "%s: not a text file (contains NUL bytes)", path);
		goto out;
	}
	/* Relative paths inside are relative to the file's own folder. */
	slash = strrchr(path, '/');
	if (slash) {
		dir = xcalloc(slash - path + 2, 1);
		memcpy(dir, path, slash == path ? 1 : (size_t)(slash - path));
	}
	r = config_parse(cfg, text, path, dir, e);
	if (!r)
		config_set_str(&cfg->path, path);
out:
	free(dir);
	free(text);
	fclose(f);
	return r;
}

/* ---- --check-config ----------------------------------------------------- */

static const char *or_none(const char *s)
{
	return s && *s ? s : "(none)";
}

void config_print(const struct vm_config *cfg, FILE *out)
{
	fprintf(out, "config:       %s\n", or_none(cfg->path));
	fprintf(out, "displayName:  %s\n", or_none(cfg->display_name));
	fprintf(out, "guestOS:      %s\n", or_none(cfg->guest_os));
	fprintf(out, "memory:       %llu MiB%s\n", (unsigned long long)(cfg->mem_size / MiB),
		cfg->mem_size % MiB ? " (and a fraction)" : "");
	fprintf(out, "cpus:         %d\n", cfg->ncpus);
	fprintf(out, "kernel:       %s\n", or_none(cfg->kernel));
	fprintf(out, "append:       \"%s\"\n", cfg->append ? cfg->append : "");
	for (int i = 0; i < cfg->ninitrd; i++)
		fprintf(out, "module %-6d %s\n", i, cfg->initrd[i]);
	fprintf(out, "ide0:0:       %s\n", or_none(cfg->disk[0]));
	fprintf(out, "ide0:1:       %s\n", or_none(cfg->disk[1]));
	fprintf(out, "serial:       %s\n", or_none(cfg->serial));
	fprintf(out, "trace:        %s\n", or_none(cfg->trace));
	fprintf(out, "trace file:   %s\n", cfg->trace_file ? cfg->trace_file : "(stderr)");
	if (cfg->max_insns)
		fprintf(out, "max insns:    %llu\n", (unsigned long long)cfg->max_insns);
	if (cfg->timeout_ns)
		fprintf(out, "timeout:      %.9g s (virtual)\n", cfg->timeout_ns / 1e9);
	fprintf(out, "block cache:  %s\n", cfg->block_cache ? "on" : "off");
	if (!cfg->nunknown) {
		fprintf(out, "unknown keys: none\n");
		return;
	}
	fprintf(out, "unknown keys: %d (kept, not used by vmlab)\n", cfg->nunknown);
	for (int i = 0; i < cfg->nunknown; i++)
		fprintf(out, "  %s:%d: %s = \"%s\"\n", or_none(cfg->path), cfg->unknown[i].line,
			cfg->unknown[i].key, cfg->unknown[i].value);
}
