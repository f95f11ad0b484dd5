// SPDX-License-Identifier: GPL-2.0
/* Unit tests of include/ip_vs_reap_calc.h (the module's own copy). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kcompat.h"
#include "ip_vs_reap_calc.h"

#define N IPVS_REAP_STATE_NORMAL
#define R IPVS_REAP_STATE_REAPING
#define X IPVS_REAP_STATE_REFUSING

static void up_through_the_marks(void **state)
{
	assert_int_equal(ip_vs_reap_next_state(N, 849, 85, 95), N);
	assert_int_equal(ip_vs_reap_next_state(N, 850, 85, 95), R);
	assert_int_equal(ip_vs_reap_next_state(R, 949, 85, 95), R);
	assert_int_equal(ip_vs_reap_next_state(R, 950, 85, 95), X);
	/* a jump straight past high */
	assert_int_equal(ip_vs_reap_next_state(N, 1000, 85, 95), X);
}

static void down_only_below_low(void **state)
{
	assert_int_equal(ip_vs_reap_next_state(X, 949, 85, 95), X);
	assert_int_equal(ip_vs_reap_next_state(X, 850, 85, 95), X);
	assert_int_equal(ip_vs_reap_next_state(X, 849, 85, 95), N);
	assert_int_equal(ip_vs_reap_next_state(R, 850, 85, 95), R);
	assert_int_equal(ip_vs_reap_next_state(R, 849, 85, 95), N);
}

/* Hovering around high after refusing began never leaves refusing. */
static void hovering_does_not_flap(void **state)
{
	unsigned int s = N;
	u32 walk[] = { 800, 860, 949, 951, 948, 952, 900, 951, 870, 851 };
	unsigned int i, changes = 0, prev = s;

	for (i = 0; i < sizeof(walk) / sizeof(walk[0]); i++) {
		s = ip_vs_reap_next_state(s, walk[i], 85, 95);
		changes += s != prev;
		prev = s;
	}
	/* normal -> reaping -> refusing, then steady */
	assert_int_equal(changes, 2);
	assert_int_equal(s, X);
}

/* The packet path's test agrees with the sample's, watermark by watermark. */
static void at_high_agrees_with_the_sample(void **state)
{
	u64 used, total;
	u32 high, util;

	for (total = 1; total <= 300; total++)
		for (used = 0; used <= total + 2; used++)
			for (high = 1; high <= 100; high++) {
				util = used * 1000 / total;
				if (util > 1000)
					util = 1000;
				assert_int_equal(ip_vs_reap_at_high(used, total, high),
						 ip_vs_reap_next_state(N, util, 0, high) == X);
			}
	assert_false(ip_vs_reap_at_high(5, 0, 80));
	assert_true(ip_vs_reap_at_high(1u << 31, 1u << 31, 100));
}

static void pressure_is_linear(void **state)
{
	assert_int_equal(ip_vs_reap_pressure(800, 85, 95), 0);
	assert_int_equal(ip_vs_reap_pressure(850, 85, 95), 0);
	assert_int_equal(ip_vs_reap_pressure(900, 85, 95), IP_VS_REAP_SCALE / 2);
	assert_int_equal(ip_vs_reap_pressure(950, 85, 95), IP_VS_REAP_SCALE);
	assert_int_equal(ip_vs_reap_pressure(1000, 85, 95), IP_VS_REAP_SCALE);
}

static void timeouts_scale_to_the_floor(void **state)
{
	/* SYN_RECV 60 s, floor 2 s */
	assert_int_equal(ip_vs_reap_scale_timeout(60000, 2000, 0), 60000);
	assert_int_equal(ip_vs_reap_scale_timeout(60000, 2000, IP_VS_REAP_SCALE / 2), 31000);
	assert_int_equal(ip_vs_reap_scale_timeout(60000, 2000, IP_VS_REAP_SCALE), 2000);
	assert_int_equal(ip_vs_reap_scale_timeout(60000, 2000, 5 * IP_VS_REAP_SCALE), 2000);
	/* a configured value under the floor is left alone */
	assert_int_equal(ip_vs_reap_scale_timeout(1000, 2000, IP_VS_REAP_SCALE), 1000);
	/* jiffies of a day do not overflow */
	assert_int_equal(ip_vs_reap_scale_timeout(86400000, 0, IP_VS_REAP_SCALE / 4),
			 64800000);
}

static void budget_grows_with_pressure(void **state)
{
	assert_int_equal(ip_vs_reap_budget(0, 256), 1);
	assert_int_equal(ip_vs_reap_budget(IP_VS_REAP_SCALE / 2, 256), 128);
	assert_int_equal(ip_vs_reap_budget(IP_VS_REAP_SCALE, 256), 256);
}

/*
 * The ring's slots hold what a test pushes: the value pushed, so that a pop
 * shows which push it returns.
 */
#define RING 8

static int ring_push(struct ip_vs_reap_ring *r, u32 *slots, u32 v, bool overwrite)
{
	int slot = ip_vs_reap_ring_push(r, overwrite);

	if (slot >= 0)
		slots[slot] = v;
	return slot;
}

static u32 ring_pop(struct ip_vs_reap_ring *r, const u32 *slots)
{
	int slot = ip_vs_reap_ring_pop(r);

	assert_true(slot >= 0);
	return slots[slot];
}

/*
 * Pushed in normal state without pops, the ring holds the latest SYNs
 * (the reaper's ring kept the first ones forever, and the entries of a
 * flood's ramp were never reaped), and pops them oldest first.
 */
static void ring_normal_keeps_the_latest(void **state)
{
	struct ip_vs_reap_ring r = { .size = RING };
	u32 slots[RING], v;

	for (v = 0; v < 3 * RING + 3; v++)
		assert_true(ring_push(&r, slots, v, true) >= 0);
	assert_int_equal(r.count, RING);
	for (v = 2 * RING + 3; v < 3 * RING + 3; v++)
		assert_int_equal(ring_pop(&r, slots), v);
	assert_int_equal(ip_vs_reap_ring_pop(&r), -1);
}

/* While reaping, a full ring keeps its oldest, which go first. */
static void ring_reaping_keeps_the_oldest(void **state)
{
	struct ip_vs_reap_ring r = { .size = RING };
	u32 slots[RING], v;

	for (v = 0; v < RING; v++)
		assert_true(ring_push(&r, slots, v, false) >= 0);
	assert_int_equal(ring_push(&r, slots, 99, false), -1);
	assert_int_equal(ring_pop(&r, slots), 0);
	assert_int_equal(ring_pop(&r, slots), 1);
	/* room again: the newest goes behind the rest */
	assert_true(ring_push(&r, slots, 100, false) >= 0);
	for (v = 2; v < RING; v++)
		assert_int_equal(ring_pop(&r, slots), v);
	assert_int_equal(ring_pop(&r, slots), 100);
	assert_int_equal(r.count, 0);
}

/* The oldest is seen without being taken; an empty ring has none. */
static void ring_oldest_peeks(void **state)
{
	struct ip_vs_reap_ring r = { .size = RING };
	u32 slots[RING], v;

	assert_int_equal(ip_vs_reap_ring_oldest(&r), -1);
	for (v = 0; v < RING + 2; v++)
		assert_true(ring_push(&r, slots, v, true) >= 0);
	assert_int_equal(slots[ip_vs_reap_ring_oldest(&r)], 2);
	assert_int_equal(r.count, RING);
	assert_int_equal(ring_pop(&r, slots), 2);
	assert_int_equal(slots[ip_vs_reap_ring_oldest(&r)], 3);
}

/*
 * A connection younger than the least age stays, also across the wrap of
 * jiffies; the reaper reset clients whose handshake was in flight.
 */
static void young_connections_stay(void **state)
{
	unsigned long hz = 250, wrap = (unsigned long)-1;

	assert_false(ip_vs_reap_old_enough(1000, 1000, 2 * hz));
	assert_false(ip_vs_reap_old_enough(1000, 1000 + 2 * hz - 1, 2 * hz));
	assert_true(ip_vs_reap_old_enough(1000, 1000 + 2 * hz, 2 * hz));
	assert_false(ip_vs_reap_old_enough(wrap - 10, 100, 2 * hz));
	assert_true(ip_vs_reap_old_enough(wrap - 10, 2 * hz, 2 * hz));
	assert_true(ip_vs_reap_old_enough(1000, 1000, 0));
}

/* A SYN that made no connection is taken back; the order stays. */
static void ring_unpush_and_holds(void **state)
{
	struct ip_vs_reap_ring r = { .size = RING };
	u32 slots[RING];
	int a, b, c;

	a = ring_push(&r, slots, 1, true);
	b = ring_push(&r, slots, 2, true);
	assert_true(ip_vs_reap_ring_holds(&r, a));
	assert_true(ip_vs_reap_ring_is_newest(&r, b));
	assert_false(ip_vs_reap_ring_is_newest(&r, a));
	ip_vs_reap_ring_unpush(&r);
	assert_false(ip_vs_reap_ring_holds(&r, b));
	assert_true(ip_vs_reap_ring_is_newest(&r, a));
	c = ring_push(&r, slots, 3, true);
	assert_int_equal(c, b);	/* the slot is reused */
	assert_int_equal(ring_pop(&r, slots), 1);
	assert_false(ip_vs_reap_ring_holds(&r, a));
	assert_true(ip_vs_reap_ring_holds(&r, c));
	assert_int_equal(ring_pop(&r, slots), 3);
	ip_vs_reap_ring_unpush(&r);	/* empty: nothing happens */
	assert_int_equal(r.count, 0);
	assert_false(ip_vs_reap_ring_holds(&r, RING));
}

/* Against a model (an array in push order), over many random operations. */
static void ring_agrees_with_a_model(void **state)
{
	struct ip_vs_reap_ring r = { .size = RING };
	u32 slots[RING], model[4096], lo = 0, hi = 0, v = 0, seed = 1;
	int i, slot;

	for (i = 0; i < 100000; i++) {
		seed = seed * 1103515245 + 12345;
		switch ((seed >> 16) % 5) {
		case 0:
		case 1:	/* push, overwriting */
			assert_true(ring_push(&r, slots, v, true) >= 0);
			if (hi - lo == RING)
				lo++;
			model[hi++ % 4096] = v++;
			break;
		case 2:	/* push, keeping the oldest */
			slot = ring_push(&r, slots, v, false);
			assert_int_equal(slot < 0, hi - lo == RING);
			if (slot >= 0)
				model[hi++ % 4096] = v;
			v++;
			break;
		case 3:	/* pop */
			slot = ip_vs_reap_ring_pop(&r);
			assert_int_equal(slot < 0, hi == lo);
			if (slot >= 0)
				assert_int_equal(slots[slot], model[lo++ % 4096]);
			break;
		case 4:	/* take back the newest */
			ip_vs_reap_ring_unpush(&r);
			if (hi > lo)
				hi--;
			break;
		}
		assert_int_equal(r.count, hi - lo);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(up_through_the_marks),
		cmocka_unit_test(down_only_below_low),
		cmocka_unit_test(hovering_does_not_flap),
		cmocka_unit_test(at_high_agrees_with_the_sample),
		cmocka_unit_test(pressure_is_linear),
		cmocka_unit_test(timeouts_scale_to_the_floor),
		cmocka_unit_test(budget_grows_with_pressure),
		cmocka_unit_test(ring_normal_keeps_the_latest),
		cmocka_unit_test(ring_reaping_keeps_the_oldest),
		cmocka_unit_test(ring_oldest_peeks),
		cmocka_unit_test(young_connections_stay),
		cmocka_unit_test(ring_unpush_and_holds),
		cmocka_unit_test(ring_agrees_with_a_model),
	};

	return cmocka_run_group_tests_name("reap_calc", tests, NULL, NULL);
}
