/*
 * bus.c - the physical address space and the I/O port space (DESIGN.md §3,
 * devices/bus.h).
 *
 * What a PC's chipset does when the CPU puts an address on the bus: decide
 * who answers.  Here that is a sorted table of memory ranges (RAM windows,
 * ROM copies, device MMIO) and a 64 Ki-entry port table.  Three rules keep
 * the rest of vmlab simple and the host safe:
 *
 *   1. Ranges never overlap: a second claim fails and names both devices.
 *   2. Nobody answering is not an error: reads float to all-ones (as an ISA
 *      bus with pull-ups does), writes vanish; both are counted and, when
 *      asked, reported as TRACE_UNCLAIMED events.
 *   3. A host pointer is only ever formed inside the RAM mapping or a ROM
 *      copy, after checking the whole access lies in the range; the range
 *      itself was checked against the mapping when it was created.
 *
 * Access sizes: a device declares the sizes it understands (io_ops.min/max).
 * Larger accesses are split into `max`-sized little-endian pieces; smaller
 * ones are widened to `min` (reads extract the bytes, writes do a
 * read-modify-write of the containing `min`-sized word).  An access that
 * straddles two ranges (or a range and a hole) is split into single bytes,
 * each routed on its own - real chipsets do something similar, and it is the
 * only answer that needs no special cases.
 */
#include "devices/bus.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Highest physical address width we accept: MAXPHYADDR = 52 (SDM Vol 3 §4.1.4). */
#define BUS_PA_LIMIT (1ULL << 52)

static const char *kind_name(const struct bus_range *r)
{
	if (r->name)
		return r->name;
	if (r->ops && r->ops->name)
		return r->ops->name;
	return "?";
}

/* ---- creation ----------------------------------------------------------- */

int bus_init(struct bus *b, u64 ram_size, struct trace *t, struct err *e)
{
	memset(b, 0, sizeof(*b));
	b->trace = t;
	if (ram_size == 0)
		return 0;
	if (ram_size > BUS_PA_LIMIT || (ram_size & 0xfff))
		return err_set(
		    e, "bus: RAM size 0x%llx is not a whole number of 4 KiB pages below 2^52",
		    (unsigned long long)ram_size);
	/*
	 * MAP_NORESERVE + anonymous: the kernel hands out zeroed pages only when
	 * the guest first touches them, so a 4 GiB guest that uses 50 MiB costs
	 * the host about 50 MiB.  MAP_PRIVATE keeps it out of any shared state.
	 */
	void *p = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return err_errno(e, "bus: cannot map %llu MiB of guest RAM",
				 (unsigned long long)(ram_size / MiB));
	b->ram = p;
	b->ram_size = ram_size;
	return 0;
}

void bus_destroy(struct bus *b)
{
	for (int i = 0; i < b->nmem; i++)
		if (b->mem[i].kind == BUS_ROM)
			free(b->mem[i].host);
	if (b->ram)
		munmap(b->ram, b->ram_size);
	b->ram = NULL;
	b->ram_size = 0;
	b->nmem = 0;
	b->npio = 0;
	memset(b->port_index, 0, sizeof(b->port_index));
}

/* Insert r into the sorted memory map, refusing overlaps. */
static int mem_insert(struct bus *b, const struct bus_range *r, struct err *e)
{
	u64 last = r->base + r->size - 1;
	int i;

	if (r->size == 0 || r->base >= BUS_PA_LIMIT || r->size > BUS_PA_LIMIT - r->base)
		return err_set(e, "bus: %s range 0x%llx+0x%llx is empty or beyond 2^52",
			       kind_name(r), (unsigned long long)r->base,
			       (unsigned long long)r->size);
	for (i = 0; i < b->nmem; i++) {
		const struct bus_range *o = &b->mem[i];
		u64 olast = o->base + o->size - 1;

		if (r->base <= olast && o->base <= last)
			return err_set(e, "bus: %s 0x%llx-0x%llx overlaps %s 0x%llx-0x%llx",
				       kind_name(r), (unsigned long long)r->base,
				       (unsigned long long)last, kind_name(o),
				       (unsigned long long)o->base, (unsigned long long)olast);
	}
	if (b->nmem >= BUS_MAX_RANGES)
		return err_set(e, "bus: too many memory ranges (max %d) adding %s", BUS_MAX_RANGES,
			       kind_name(r));
	for (i = b->nmem; i > 0 && b->mem[i - 1].base > r->base; i--)
		b->mem[i] = b->mem[i - 1];
	b->mem[i] = *r;
	b->nmem++;
	return 0;
}

int bus_map_ram(struct bus *b, u64 base, u64 size, u64 ram_offset, struct err *e)
{
	struct bus_range r = {.base = base, .size = size, .kind = BUS_RAM, .name = "ram"};

	/* The window must lie inside the host mapping: this is the check that
	 * makes every later pointer computation safe. */
	if (ram_offset > b->ram_size || size > b->ram_size - ram_offset)
		return err_set(
		    e, "bus: RAM window 0x%llx+0x%llx at offset 0x%llx exceeds the %llu MiB of RAM",
		    (unsigned long long)base, (unsigned long long)size,
		    (unsigned long long)ram_offset, (unsigned long long)(b->ram_size / MiB));
	r.ram_offset = ram_offset;
	r.host = b->ram + ram_offset;
	return mem_insert(b, &r, e);
}

int bus_map_rom(struct bus *b, const char *name, u64 base, const void *data, u64 size,
		struct err *e)
{
	struct bus_range r = {.base = base, .size = size, .kind = BUS_ROM, .name = name};

	if (size == 0 || size > 256 * MiB)
		return err_set(e, "bus: ROM %s has a bad size (%llu bytes)", name,
			       (unsigned long long)size);
	r.host = xcalloc(1, size);
	memcpy(r.host, data, size);
	if (mem_insert(b, &r, e) < 0) {
		free(r.host);
		return -1;
	}
	return 0;
}

static void check_ops(const struct io_ops *ops)
{
	unsigned mn = ops->min ? ops->min : 1, mx = ops->max ? ops->max : 8;

	if (!ops->read || !ops->write || (mn & (mn - 1)) || (mx & (mx - 1)) || mn > mx || mx > 8)
		panic("bus: device %s has bad io_ops (read/write missing or min %u max %u)",
		      ops->name ? ops->name : "?", ops->min, ops->max);
}

int bus_map_mmio(struct bus *b, u64 base, u64 size, const struct io_ops *ops, void *dev,
		 struct err *e)
{
	struct bus_range r = {.base = base, .size = size, .kind = BUS_MMIO, .ops = ops, .dev = dev};

	check_ops(ops);
	return mem_insert(b, &r, e);
}

int bus_map_pio(struct bus *b, u16 port, u32 count, const struct io_ops *ops, void *dev,
		struct err *e)
{
	struct bus_range r = {
	    .base = port, .size = count, .kind = BUS_MMIO, .ops = ops, .dev = dev};

	check_ops(ops);
	if (count == 0 || port + count > 0x10000)
		return err_set(e, "bus: %s ports 0x%x+%u are empty or beyond 0xffff", ops->name,
			       port, count);
	for (u32 p = port; p < port + count; p++) {
		if (b->port_index[p]) {
			const struct bus_range *o = &b->pio[b->port_index[p] - 1];
			return err_set(e, "bus: %s 0x%x-0x%x overlaps %s 0x%llx-0x%llx",
				       kind_name(&r), port, port + count - 1, kind_name(o),
				       (unsigned long long)o->base,
				       (unsigned long long)(o->base + o->size - 1));
		}
	}
	if (b->npio >= BUS_MAX_PORT_RANGES)
		return err_set(e, "bus: too many port ranges (max %d) adding %s",
			       BUS_MAX_PORT_RANGES, ops->name);
	b->pio[b->npio] = r;
	b->npio++;
	for (u32 p = port; p < port + count; p++)
		b->port_index[p] = (u8)b->npio; /* index + 1 */
	return 0;
}

/* ---- lookup ------------------------------------------------------------- */

/* Index of the last range with base <= pa, or -1. Binary search: the map is
 * sorted and small, but this sits on every slow-path access. */
static int mem_floor(const struct bus *b, u64 pa)
{
	int lo = 0, hi = b->nmem - 1, found = -1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		if (b->mem[mid].base <= pa) {
			found = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	return found;
}

struct bus_range *bus_find(struct bus *b, u64 pa)
{
	int i = mem_floor(b, pa);

	if (i >= 0 && pa - b->mem[i].base < b->mem[i].size)
		return &b->mem[i];
	return NULL;
}

/* Is [pa, pa+size) entirely inside r?  (Written to avoid overflow.) */
static bool range_holds(const struct bus_range *r, u64 pa, u64 size)
{
	return pa >= r->base && pa - r->base < r->size && size <= r->size - (pa - r->base);
}

u8 *bus_page_host(struct bus *b, u64 pa, bool *writable)
{
	u64 page = pa & ~0xfffULL;
	struct bus_range *r = bus_find(b, page);

	if (!r || r->kind == BUS_MMIO || !range_holds(r, page, 4096))
		return NULL;
	if (writable)
		*writable = r->kind == BUS_RAM;
	return r->host + (page - r->base);
}

/* ---- device accesses with size adaptation ------------------------------- */

static u64 dev_read(const struct io_ops *ops, void *dev, u64 off, unsigned size)
{
	unsigned mn = ops->min ? ops->min : 1, mx = ops->max ? ops->max : 8;
	u64 v = 0;

	if (size >= mn && size <= mx)
		return ops->read(dev, off, size) & mask_of(size);
	if (size > mx) {
		/* Too wide: max-sized pieces, lowest address first (little-endian). */
		for (unsigned i = 0; i < size; i += mx)
			v |= (ops->read(dev, off + i, mx) & mask_of(mx)) << (i * 8);
		return v;
	}
	/* Too narrow: read the containing min-sized word and pick our bytes;
	 * an access straddling two such words goes byte by byte. */
	if ((off & (mn - 1)) + size > mn) {
		for (unsigned i = 0; i < size; i++)
			v |= dev_read(ops, dev, off + i, 1) << (i * 8);
		return v;
	}
	v = ops->read(dev, off & ~(u64)(mn - 1), mn);
	return (v >> ((off & (mn - 1)) * 8)) & mask_of(size);
}

static void dev_write(const struct io_ops *ops, void *dev, u64 off, u64 val, unsigned size)
{
	unsigned mn = ops->min ? ops->min : 1, mx = ops->max ? ops->max : 8;

	val &= mask_of(size);
	if (size >= mn && size <= mx) {
		ops->write(dev, off, val, size);
		return;
	}
	if (size > mx) {
		for (unsigned i = 0; i < size; i += mx)
			ops->write(dev, off + i, (val >> (i * 8)) & mask_of(mx), mx);
		return;
	}
	if ((off & (mn - 1)) + size > mn) {
		for (unsigned i = 0; i < size; i++)
			dev_write(ops, dev, off + i, val >> (i * 8), 1);
		return;
	}
	/* Read-modify-write of the containing word.  Caveat: a device whose
	 * reads have side effects sees one extra read; declare min = 1 if that
	 * matters. */
	u64 base = off & ~(u64)(mn - 1);
	unsigned sh = (off & (mn - 1)) * 8;
	u64 old = ops->read(dev, base, mn);
	old = (old & ~(mask_of(size) << sh)) | (val << sh);
	ops->write(dev, base, old & mask_of(mn), mn);
}

static void unclaimed(struct bus *b, u64 addr, unsigned size, bool write, bool port)
{
	if (port)
		b->unclaimed_pio++;
	else
		b->unclaimed_mem++;
	if (b->log_unclaimed)
		trace_emit(b->trace, TRACE_UNCLAIMED, -1, 0, addr, size, write, port, NULL);
}

/* ---- memory space ------------------------------------------------------- */

/* True when no range claims any byte of [pa, pa+size). */
static bool mem_hole(const struct bus *b, u64 pa, unsigned size)
{
	for (unsigned i = 0; i < size; i++)
		if (bus_find((struct bus *)b, pa + i))
			return false;
	return true;
}

u64 bus_mem_read(struct bus *b, u64 pa, unsigned size)
{
	struct bus_range *r = bus_find(b, pa);
	u64 v = 0;

	if (r && range_holds(r, pa, size)) {
		r->reads++;
		if (r->kind == BUS_MMIO)
			return dev_read(r->ops, r->dev, pa - r->base, size);
		memcpy(&v, r->host + (pa - r->base), size); /* x86 host: little-endian */
		return v;
	}
	if (mem_hole(b, pa, size)) {
		unclaimed(b, pa, size, false, false);
		return mask_of(size);
	}
	for (unsigned i = 0; i < size; i++)
		v |= bus_mem_read(b, pa + i, 1) << (i * 8);
	return v;
}

void bus_mem_write(struct bus *b, u64 pa, u64 value, unsigned size)
{
	struct bus_range *r = bus_find(b, pa);

	if (r && range_holds(r, pa, size)) {
		r->writes++;
		switch (r->kind) {
		case BUS_MMIO: dev_write(r->ops, r->dev, pa - r->base, value, size); break;
		case BUS_RAM:
			memcpy(r->host + (pa - r->base), &value, size);
			if (b->ram_written)
				b->ram_written(b->ram_written_opaque, pa, size);
			break;
		case BUS_ROM: break; /* ROM ignores writes; r->writes counted them */
		}
		return;
	}
	if (mem_hole(b, pa, size)) {
		unclaimed(b, pa, size, true, false);
		return;
	}
	for (unsigned i = 0; i < size; i++)
		bus_mem_write(b, pa + i, value >> (i * 8), 1);
}

/* ---- port space --------------------------------------------------------- */

static struct bus_range *pio_find(struct bus *b, u16 port)
{
	return b->port_index[port] ? &b->pio[b->port_index[port] - 1] : NULL;
}

static bool pio_hole(struct bus *b, u16 port, unsigned size)
{
	for (unsigned i = 0; i < size; i++)
		if (b->port_index[(u16)(port + i)])
			return false;
	return true;
}

u64 bus_pio_read(struct bus *b, u16 port, unsigned size)
{
	struct bus_range *r = pio_find(b, port);
	u64 v = 0;

	if (r && port - r->base + size <= r->size) {
		r->reads++;
		return dev_read(r->ops, r->dev, port - r->base, size);
	}
	if (pio_hole(b, port, size)) {
		unclaimed(b, port, size, false, true);
		return mask_of(size);
	}
	/* Straddles two devices (or a device and a hole): byte by byte.  The
	 * port number wraps at 0xffff like the 16-bit address it is. */
	for (unsigned i = 0; i < size; i++)
		v |= bus_pio_read(b, (u16)(port + i), 1) << (i * 8);
	return v;
}

void bus_pio_write(struct bus *b, u16 port, u64 value, unsigned size)
{
	struct bus_range *r = pio_find(b, port);

	if (r && port - r->base + size <= r->size) {
		r->writes++;
		dev_write(r->ops, r->dev, port - r->base, value, size);
		return;
	}
	if (pio_hole(b, port, size)) {
		unclaimed(b, port, size, true, true);
		return;
	}
	for (unsigned i = 0; i < size; i++)
		bus_pio_write(b, (u16)(port + i), value >> (i * 8), 1);
}

/* ---- bulk copies (loaders, DMA) ----------------------------------------- */

/*
 * Walk [pa, pa+len) range by range; every byte must be RAM (reads also
 * accept ROM).  Nothing is copied unless the whole span is valid, so a
 * failed DMA leaves guest memory untouched.
 */
static int dma_check(struct bus *b, u64 pa, u64 len, bool write)
{
	if (len > BUS_PA_LIMIT || pa > BUS_PA_LIMIT - len)
		return -1;
	while (len) {
		struct bus_range *r = bus_find(b, pa);
		if (!r || r->kind == BUS_MMIO || (write && r->kind == BUS_ROM))
			return -1;
		u64 n = r->size - (pa - r->base);
		if (n > len)
			n = len;
		pa += n;
		len -= n;
	}
	return 0;
}

static int dma_copy(struct bus *b, u64 pa, u8 *buf, const u8 *src, u64 len)
{
	bool write = src != NULL;

	if (dma_check(b, pa, len, write) < 0)
		return -1;
	while (len) {
		struct bus_range *r = bus_find(b, pa);
		u64 off = pa - r->base, n = r->size - off;
		if (n > len)
			n = len;
		if (write) {
			memcpy(r->host + off, src, n);
			if (b->ram_written)
				b->ram_written(b->ram_written_opaque, pa, n);
			src += n;
		} else {
			memcpy(buf, r->host + off, n);
			buf += n;
		}
		pa += n;
		len -= n;
	}
	return 0;
}

int bus_dma_read(struct bus *b, u64 pa, void *buf, u64 len)
{
	return dma_copy(b, pa, buf, NULL, len);
}

int bus_dma_write(struct bus *b, u64 pa, const void *buf, u64 len)
{
	return len ? dma_copy(b, pa, NULL, buf, len) : 0;
}
