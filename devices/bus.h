/*
 * bus.h - the motherboard's two address spaces (DESIGN.md §3).
 *
 *  - the physical memory space: RAM, ROM and MMIO ranges up to 2^52;
 *  - the I/O port space: 64 Ki byte-addressed ports (IN/OUT).
 *
 * A device is a state struct, an ops struct and one or more ranges on the
 * bus.  Mapping a range that overlaps another fails with a message naming
 * both devices.  Every access is counted per range; an access nobody claims
 * reads as all-ones, is counted, and is reported as a TRACE_UNCLAIMED event.
 *
 * Guest RAM is one host mapping (mmap, MAP_NORESERVE: pages cost host memory
 * only when the guest touches them).  RAM ranges on the bus are windows onto
 * offsets of that mapping.  Nothing here lets a guest address reach host
 * memory outside the mapping: every lookup is bounds-checked.
 */
#ifndef VMLAB_DEVICES_BUS_H
#define VMLAB_DEVICES_BUS_H

#include "lib/common.h"
#include "lib/err.h"
#include "lib/trace.h"

/* How a device is accessed.  `offset` is relative to the start of the range
 * the device mapped.  Accesses wider than `max` are split into `max`-sized
 * pieces (little-endian); narrower than `min` are widened to the containing
 * `min`-sized word (read-modify-write for stores), so a device sees only
 * sizes it declared.  min = max = 0 means 1..8. */
struct io_ops {
	const char *name;
	u64 (*read)(void *dev, u64 offset, unsigned size);
	void (*write)(void *dev, u64 offset, u64 value, unsigned size);
	unsigned min, max;
};

enum bus_kind { BUS_RAM, BUS_ROM, BUS_MMIO };

struct bus_range {
	u64 base, size;
	enum bus_kind kind;
	const struct io_ops *ops; /* MMIO and port ranges */
	void *dev;
	u64 ram_offset; /* RAM/ROM: offset in bus->ram or in rom_data */
	u8 *host;	/* RAM/ROM: host address of the first byte */
	const char *name;
	u64 reads, writes; /* access counters */
};

#define BUS_MAX_RANGES	    64
#define BUS_MAX_PORT_RANGES 128

struct bus {
	/* Guest RAM: one host mapping of ram_size bytes. */
	u8 *ram;
	u64 ram_size;

	/* Physical memory map, sorted by base, non-overlapping. */
	struct bus_range mem[BUS_MAX_RANGES];
	int nmem;

	/* I/O port map: port -> index+1 into pio[] (0 = unclaimed). */
	u8 port_index[65536];
	struct bus_range pio[BUS_MAX_PORT_RANGES];
	int npio;

	u64 unclaimed_mem, unclaimed_pio; /* counters */
	bool log_unclaimed;		  /* also report them as trace events */
	struct trace *trace;

	/* Called after any write that reaches RAM through the bus slow path or
	 * bus_dma_write (device DMA, loaders): lets the CPU invalidate cached
	 * translations/blocks of that code.  May be NULL. */
	void (*ram_written)(void *opaque, u64 pa, u64 len);
	void *ram_written_opaque;
};

/* Create the bus with `ram_size` bytes of (lazily allocated) guest RAM. */
int bus_init(struct bus *b, u64 ram_size, struct trace *t, struct err *e);
void bus_destroy(struct bus *b);

/* Map [base, base+size) of physical space onto RAM at ram_offset. */
int bus_map_ram(struct bus *b, u64 base, u64 size, u64 ram_offset, struct err *e);
/* Map a read-only copy of `data` (writes are ignored and counted). */
int bus_map_rom(struct bus *b, const char *name, u64 base, const void *data, u64 size,
		struct err *e);
int bus_map_mmio(struct bus *b, u64 base, u64 size, const struct io_ops *ops, void *dev,
		 struct err *e);
int bus_map_pio(struct bus *b, u16 port, u32 count, const struct io_ops *ops, void *dev,
		struct err *e);

/* The range holding physical address pa, or NULL. */
struct bus_range *bus_find(struct bus *b, u64 pa);

/*
 * Fast path for the CPU's soft TLB: the host address of physical page
 * `pa & ~0xfff` when the whole page is RAM (writable) or ROM (read-only),
 * else NULL (MMIO, unclaimed, or a page split between ranges).
 */
u8 *bus_page_host(struct bus *b, u64 pa, bool *writable);

/* Slow path memory access of 1, 2, 4 or 8 bytes (may cross ranges). */
u64 bus_mem_read(struct bus *b, u64 pa, unsigned size);
void bus_mem_write(struct bus *b, u64 pa, u64 value, unsigned size);

/* Port I/O of 1, 2 or 4 bytes. */
u64 bus_pio_read(struct bus *b, u16 port, unsigned size);
void bus_pio_write(struct bus *b, u16 port, u64 value, unsigned size);

/* Bulk copies for loaders and DMA-capable devices; fail (return -1) when any
 * byte of the range is not RAM. */
int bus_dma_read(struct bus *b, u64 pa, void *buf, u64 len);
int bus_dma_write(struct bus *b, u64 pa, const void *buf, u64 len);

#endif
