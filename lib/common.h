/*
 * common.h - fixed-width types and the few macros every vmlab file uses.
 *
 * Kept deliberately tiny: anything bigger than a one-liner belongs in its own
 * lib/ file with its own header.
 */
#ifndef VMLAB_LIB_COMMON_H
#define VMLAB_LIB_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;
typedef unsigned __int128 u128;
typedef __int128 s128;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define likely(x)     __builtin_expect(!!(x), 1)
#define unlikely(x)   __builtin_expect(!!(x), 0)
#define UNUSED	      __attribute__((unused))
#define NORETURN      __attribute__((noreturn))
#define PRINTF(f, a)  __attribute__((format(printf, f, a)))

#define KiB (1024ULL)
#define MiB (1024ULL * KiB)
#define GiB (1024ULL * MiB)

/* Bit helpers named as the SDM draws register layouts: BIT(n), bits hi..lo. */
#define BIT(n)		(1ULL << (n))
#define BITS(v, hi, lo) (((u64)(v) >> (lo)) & ((2ULL << ((hi) - (lo))) - 1))

/* A mask of the low `bytes` bytes (bytes = 1, 2, 4 or 8). */
static inline u64 mask_of(unsigned bytes)
{
	return bytes >= 8 ? ~0ULL : (1ULL << (bytes * 8)) - 1;
}

/* Sign-extend the low `bytes` bytes of v to 64 bits. */
static inline s64 sext(u64 v, unsigned bytes)
{
	unsigned sh = 64 - bytes * 8;
	return bytes >= 8 ? (s64)v : (s64)(v << sh) >> sh;
}

#endif
