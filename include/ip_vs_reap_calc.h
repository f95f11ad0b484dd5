/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvs-ext: the reaper's watermark state machine and timeout scaling.
 *
 * Pure logic without kernel dependencies: compiled into ip_vs_dos_reap and
 * into the user-space unit test (tests/unit/test_reap_calc.c).
 * Utilisation is in per mille, watermarks in percent.
 */
#ifndef _IP_VS_REAP_CALC_H
#define _IP_VS_REAP_CALC_H

/* User-space builds provide u64 and friends (tests/unit/kcompat.h). */
#ifdef __KERNEL__
#include <linux/types.h>
#endif

#include "uapi/linux/ip_vs_ext.h"

/* Pressure is a fraction in 1/IP_VS_REAP_SCALE. */
#define IP_VS_REAP_SCALE	1024

/*
 * The next state from @state at utilisation @util (per mille):
 * normal -> reaping at low, -> refusing at high; once reaping or refusing,
 * back to normal only below low (hysteresis: a flood hovering around a
 * watermark does not flap); reaping -> refusing at high.
 */
static inline unsigned int ip_vs_reap_next_state(unsigned int state, u32 util,
						 u32 low, u32 high)
{
	u32 lo = low * 10, hi = high * 10;

	if (util >= hi)
		return IPVS_REAP_STATE_REFUSING;
	if (util < lo)
		return IPVS_REAP_STATE_NORMAL;
	/* between the watermarks: keep refusing or reaping on the way down */
	if (state == IPVS_REAP_STATE_NORMAL)
		return IPVS_REAP_STATE_REAPING;
	return state;
}

/*
 * Is @used of @total at the @high watermark (percent)?  The same test as
 * ip_vs_reap_next_state() makes on the sampled utilisation (per mille,
 * rounded down), without its division: cheap enough for every SYN.
 */
static inline bool ip_vs_reap_at_high(u64 used, u64 total, u32 high)
{
	return total && used * 100 >= (u64)high * total;
}

/* 0 at low (or below), IP_VS_REAP_SCALE at high (or above). */
static inline u32 ip_vs_reap_pressure(u32 util, u32 low, u32 high)
{
	u32 lo = low * 10, hi = high * 10;

	if (util <= lo || hi <= lo)
		return util >= hi ? IP_VS_REAP_SCALE : 0;
	if (util >= hi)
		return IP_VS_REAP_SCALE;
	return (u32)(((u64)(util - lo) * IP_VS_REAP_SCALE) / (hi - lo));
}

/*
 * A timeout scaled linearly from @orig at pressure 0 to @floor at full
 * pressure; never above the configured value, never below the floor unless
 * the configured value itself is lower.
 */
static inline u32 ip_vs_reap_scale_timeout(u32 orig, u32 floor, u32 pressure)
{
	if (orig <= floor)
		return orig;
	if (pressure >= IP_VS_REAP_SCALE)
		return floor;
	return orig - (u32)(((u64)(orig - floor) * pressure) / IP_VS_REAP_SCALE);
}

/* Embryonic connections to expire per sampling interval at @pressure. */
static inline u32 ip_vs_reap_budget(u32 pressure, u32 max_per_tick)
{
	u32 n = (u32)(((u64)max_per_tick * pressure) / IP_VS_REAP_SCALE);

	return n ? n : 1;
}

/*
 * The ring of recent SYN tuples, as indices: the tuple slots are the
 * caller's.  Oldest first: a pop returns the oldest tuple held.
 */
struct ip_vs_reap_ring {
	u32	head;	/* slot the next tuple goes to */
	u32	count;	/* tuples held; the oldest is at head - count */
	u32	size;	/* slots, >= 1 */
};

/*
 * Slot for a new tuple, or -1.  A full ring drops its oldest tuple if
 * @overwrite, else refuses the new one.  Overwrite while nothing is
 * reaped (normal state): the ring then always holds the latest SYNs, so
 * that the entries of a flood's ramp are there once reaping starts; keeping
 * the oldest instead froze it on tuples long gone after size SYNs.  While
 * reaping, keep the oldest: they are the ones to expire first, and newer
 * connections already get the shrunk timeouts.
 */
static inline int ip_vs_reap_ring_push(struct ip_vs_reap_ring *r, bool overwrite)
{
	u32 slot;

	if (r->count >= r->size) {
		if (!overwrite)
			return -1;
		r->count = r->size - 1;
	}
	slot = r->head;
	r->head = (r->head + 1) % r->size;
	r->count++;
	return (int)slot;
}

/* Slot of the oldest tuple, left in the ring; -1 if empty. */
static inline int ip_vs_reap_ring_oldest(const struct ip_vs_reap_ring *r)
{
	if (!r->count)
		return -1;
	return (int)((r->head + r->size - r->count) % r->size);
}

/*
 * Is a connection whose SYN came at @stamp at least @min_age old at @now
 * (jiffies, wrapping)?  The reaper expires no younger one: its handshake
 * may be in flight, and the client of a long round trip would be reset.
 */
static inline bool ip_vs_reap_old_enough(unsigned long stamp,
					 unsigned long now,
					 unsigned long min_age)
{
	return now - stamp >= min_age;
}

/* Slot of the oldest tuple, removed from the ring; -1 if empty. */
static inline int ip_vs_reap_ring_pop(struct ip_vs_reap_ring *r)
{
	u32 slot;

	if (!r->count)
		return -1;
	slot = (r->head + r->size - r->count) % r->size;
	r->count--;
	return (int)slot;
}

/* Is @slot one of the tuples held (pushed, not yet popped nor dropped)? */
static inline bool ip_vs_reap_ring_holds(const struct ip_vs_reap_ring *r,
					 u32 slot)
{
	return slot < r->size &&
	       (r->head + r->size - 1 - slot) % r->size < r->count;
}

/* Is @slot the newest tuple held? */
static inline bool ip_vs_reap_ring_is_newest(const struct ip_vs_reap_ring *r,
					     u32 slot)
{
	return r->count && slot == (r->head + r->size - 1) % r->size;
}

/* Take back the newest tuple (pushed for a SYN that made no connection). */
static inline void ip_vs_reap_ring_unpush(struct ip_vs_reap_ring *r)
{
	if (!r->count)
		return;
	r->head = (r->head + r->size - 1) % r->size;
	r->count--;
}

#endif /* _IP_VS_REAP_CALC_H */
