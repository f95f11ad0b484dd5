/* SPDX-License-Identifier: GPL-2.0 */
/* The kernel types the pure-logic headers use, for user-space tests. */
#ifndef _TESTS_KCOMPAT_H
#define _TESTS_KCOMPAT_H
#include <stdbool.h>
#include <stdint.h>
typedef uint64_t u64;
typedef uint32_t u32;
typedef uint16_t u16;
typedef uint8_t u8;
#endif
