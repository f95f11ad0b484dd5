// SPDX-License-Identifier: GPL-2.0
/* Unit tests of include/ip_vs_syncookie_calc.h (the module's own copy). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "kcompat.h"
#include "ip_vs_syncookie_calc.h"

/* Stand-in for the keyed hash of (tuple, client ISN, slot): any mixing will do. */
static u32 hh(u32 tuple, u32 slot)
{
	u64 x = ((u64)tuple << 32 | slot) * 0x9e3779b97f4a7c15ULL;

	return (u32)(x >> 29) ^ (u32)x;
}

#define h(tuple, slot) hh((tuple) ^ (isn) * 0x85ebca6bu, (slot))

static void roundtrip_every_mss(void **state)
{
	unsigned int idx;

	for (idx = 0; idx <= IP_VS_SC_MSS_MASK; idx++) {
		u32 isn = 0x12345678 + idx * 77777;
		u32 cookie = ip_vs_sc_cookie(isn, h(1, 100), idx);

		/* the ACK: seq = isn + 1, ack_seq = cookie + 1 */
		assert_int_equal(ip_vs_sc_check(isn + 1, cookie + 1, h(1, 100), h(1, 99)), idx);
	}
}

static void slots_and_tuples(void **state)
{
	u32 isn = 1000, cookie = ip_vs_sc_cookie(isn, h(7, 50), 5);

	/* next slot: the cookie's is now the previous one */
	assert_int_equal(ip_vs_sc_check(isn + 1, cookie + 1, h(7, 51), h(7, 50)), 5);
	/* two slots later: rejected (replayed old cookie) */
	assert_int_equal(ip_vs_sc_check(isn + 1, cookie + 1, h(7, 52), h(7, 51)), -1);
	/* another tuple (spoofed ACK): rejected */
	assert_int_equal(ip_vs_sc_check(isn + 1, cookie + 1, h(8, 50), h(8, 49)), -1);
	/* an ACK whose client ISN is not the one the cookie was made for */
	{
		u32 good = isn;

		isn = good + 1;
		assert_int_equal(ip_vs_sc_check(isn + 1, cookie + 1, h(7, 50), h(7, 49)), -1);
		isn = good;
	}

}

/*
 * A client's later segment (its connection gone) acknowledges more than
 * the SYN-ACK: it must not pass as a cookie with another MSS index.
 */
static void later_acks_never_validate(void **state)
{
	u32 isn = 0x7fffff00, k;
	unsigned int idx;

	for (idx = 0; idx <= IP_VS_SC_MSS_MASK; idx++) {
		u32 cookie = ip_vs_sc_cookie(isn, h(3, 10), idx);

		for (k = 1; k < 1u << 16; k++)
			assert_int_equal(ip_vs_sc_check(isn + 1, cookie + 1 + k,
							h(3, 10), h(3, 9)), -1);
	}
}

/*
 * A window probe (the client lost its third ACK) carries seq = ISN, not
 * ISN + 1: the first look (ISN = seq - 1) fails, the module's second look
 * (ISN = seq) validates the same cookie.
 */
static void window_probe_validates_as_isn(void **state)
{
	u32 isn = 0xffffffff, cookie = ip_vs_sc_cookie(isn, h(4, 20), 6);
	u32 seq = isn;

	isn = seq - 1;
	assert_int_equal(ip_vs_sc_check(seq, cookie + 1, h(4, 20), h(4, 19)), -1);
	isn = seq;
	assert_int_equal(ip_vs_sc_check(isn + 1, cookie + 1, h(4, 20), h(4, 19)), 6);
}

/* Guessing: of many random cookies, almost none pass. */
static void forgery_is_rare(void **state)
{
	u32 i, passed = 0, isn = 0;

	for (i = 0; i < 1000000; i++)
		passed += ip_vs_sc_check(1, i * 2654435761u, h(3, 9), h(3, 8)) >= 0;
	assert_true(passed <= 2);
}

static void sequence_wraps(void **state)
{
	u32 isn = 0xfffffffe, cookie = ip_vs_sc_cookie(isn, h(2, 2), 7);

	assert_int_equal(ip_vs_sc_check(isn + 1, cookie + 1, h(2, 2), h(2, 1)), 7);
	/* server ISN 10, cookie near the top: delta wraps, translation holds */
	u32 delta = 10 - 0xfffffff0u;

	(void)isn;

	assert_int_equal(ip_vs_sc_seq_to_client(10 + 5, delta), 0xfffffff0u + 5);
	assert_int_equal(ip_vs_sc_ack_to_server(0xfffffff0u + 0x20, delta), 10 + 0x20);
}

/*
 * The window update made of the server's SYN-ACK must be acceptable to the
 * client: its sequence number is the client's rcv_nxt (cookie ISN + 1),
 * the first one a zero-length segment passes tcp_sequence() with.
 */
/*
 * A flow is claimed by the first ACK that validates; a second ACK of it
 * within the claim's life is BUSY, another flow's in the same slot OTHER;
 * an old or empty slot is taken, also across the jiffies wrap.
 */
static void flow_claims(void **state)
{
	const unsigned long ttl = 250, wrap = (unsigned long)-100;

	(void)state;
	assert_int_equal(ip_vs_sc_claim(0, 0, 7, 1000, ttl), IP_VS_SC_CLAIMED);
	assert_int_equal(ip_vs_sc_claim(7, 1000, 7, 1000, ttl), IP_VS_SC_CLAIM_BUSY);
	assert_int_equal(ip_vs_sc_claim(7, 1000, 7, 1249, ttl), IP_VS_SC_CLAIM_BUSY);
	assert_int_equal(ip_vs_sc_claim(7, 1000, 7, 1250, ttl), IP_VS_SC_CLAIMED);
	assert_int_equal(ip_vs_sc_claim(7, 1000, 9, 1100, ttl), IP_VS_SC_CLAIM_OTHER);
	assert_int_equal(ip_vs_sc_claim(7, 1000, 9, 1300, ttl), IP_VS_SC_CLAIMED);
	assert_int_equal(ip_vs_sc_claim(7, wrap, 7, wrap + 200, ttl), IP_VS_SC_CLAIM_BUSY);
	assert_int_equal(ip_vs_sc_claim(7, wrap, 7, wrap + 300, ttl), IP_VS_SC_CLAIMED);
}

static void window_update_is_rcv_nxt(void **state)
{
	static const u32 isns[][2] = {	/* server ISN, cookie ISN */
		{ 1000, 5000 }, { 10, 0xfffffff0u }, { 0xffffffffu, 7 }, { 42, 42 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(isns) / sizeof(isns[0]); i++) {
		u32 delta = isns[i][0] - isns[i][1];

		assert_int_equal(ip_vs_sc_update_seq(isns[i][0], delta), isns[i][1] + 1);
		/* the server's first data byte follows it */
		assert_int_equal(ip_vs_sc_seq_to_client(isns[i][0] + 1, delta),
				 ip_vs_sc_update_seq(isns[i][0], delta));
	}
}

static void mss_index(void **state)
{
	assert_int_equal(ip_vs_sc_mss_table[ip_vs_sc_mss_index(1460)], 1460);
	assert_int_equal(ip_vs_sc_mss_table[ip_vs_sc_mss_index(9000)], 1460);
	assert_int_equal(ip_vs_sc_mss_table[ip_vs_sc_mss_index(1448)], 1440);
	assert_int_equal(ip_vs_sc_mss_table[ip_vs_sc_mss_index(100)], 536);
}

static void parse_linux_syn(void **state)
{
	/* mss 1460, sackOK, TS 0x01020304/0, nop, wscale 7 */
	const u8 p[] = { 2, 4, 5, 180, 4, 2, 8, 10, 1, 2, 3, 4, 0, 0, 0, 0, 1, 3, 3, 7 };
	struct ip_vs_sc_opts o;

	assert_int_equal(ip_vs_sc_parse_opts(p, sizeof(p), &o), 0);
	assert_int_equal(o.mss, 1460);
	assert_true(o.sack_ok);
	assert_true(o.has_ts);
	assert_int_equal(o.tsval, 0x01020304);
	assert_true(o.has_wscale);
	assert_int_equal(o.wscale, 7);
}

static void parse_malformed(void **state)
{
	struct ip_vs_sc_opts o;
	const u8 zero_len[] = { 2, 4, 1, 0, 99, 0 };
	const u8 too_long[] = { 3, 9, 7 };
	const u8 truncated[] = { 1, 1, 2 };
	const u8 eol[] = { 0, 2, 4, 5, 180 };
	const u8 big_ws[] = { 3, 3, 200 };

	assert_int_equal(ip_vs_sc_parse_opts(zero_len, sizeof(zero_len), &o), -1);
	assert_int_equal(o.mss, 256);	/* what was read before the bad one */
	assert_int_equal(ip_vs_sc_parse_opts(too_long, sizeof(too_long), &o), -1);
	assert_false(o.has_wscale);
	assert_int_equal(ip_vs_sc_parse_opts(truncated, sizeof(truncated), &o), -1);
	assert_int_equal(ip_vs_sc_parse_opts(eol, sizeof(eol), &o), 0);
	assert_int_equal(o.mss, 0);
	assert_int_equal(ip_vs_sc_parse_opts(big_ws, sizeof(big_ws), &o), 0);
	assert_int_equal(o.wscale, 14);
	assert_int_equal(ip_vs_sc_parse_opts(NULL, 0, &o), 0);
}

static void timestamp_carries_options(void **state)
{
	struct ip_vs_sc_opts in = { .has_wscale = 1, .wscale = 9, .sack_ok = 1 };
	struct ip_vs_sc_opts out = { 0 };
	u32 ts = ip_vs_sc_ts_encode(0xabcdef00 | 0x3f, &in);

	assert_int_equal(ts & ~IP_VS_SC_TS_OPT_MASK, 0xabcdef00);
	ip_vs_sc_ts_decode(ts, &out);
	assert_true(out.has_wscale);
	assert_int_equal(out.wscale, 9);
	assert_true(out.sack_ok);

	in.has_wscale = 0;
	in.sack_ok = 0;
	ip_vs_sc_ts_decode(ip_vs_sc_ts_encode(0, &in), &out);
	assert_false(out.has_wscale);
	assert_false(out.sack_ok);
	/* bit 5 stays clear: no option is carried there */
	assert_int_equal(ip_vs_sc_ts_encode(0, &in) & (1u << 5), 0);
}

static void window_rescaling(void **state)
{
	/* server scale 7, client promised 2: 100 << 7 >> 2 = 3200 */
	assert_int_equal(ip_vs_sc_rescale_window(100, 7, 2), 3200);
	/* never more than the server allows: rounds down */
	assert_int_equal(ip_vs_sc_rescale_window(3, 0, 1), 1);
	/* saturates */
	assert_int_equal(ip_vs_sc_rescale_window(0xffff, 14, 0), 0xffff);
}

static void options_written_and_parsed_back(void **state)
{
	u8 p[IP_VS_SC_OPTS_MAX];
	struct ip_vs_sc_opts o;
	unsigned int n;

	n = ip_vs_sc_put_opts(p, 1460, 1, 0x01020304, 0xa0b0c0d0, 1, 7, 1);
	assert_int_equal(n, 24);
	assert_int_equal(ip_vs_sc_parse_opts(p, n, &o), 0);
	assert_int_equal(o.mss, 1460);
	assert_true(o.has_ts && o.has_wscale && o.sack_ok);
	assert_int_equal(o.tsval, 0x01020304);
	assert_int_equal(o.tsecr, 0xa0b0c0d0);
	assert_int_equal(o.wscale, 7);
	/* the server's ACK: timestamp only */
	n = ip_vs_sc_put_opts(p, 0, 1, 5, 6, 0, 0, 0);
	assert_int_equal(n, 12);
	assert_int_equal(ip_vs_sc_parse_opts(p, n, &o), 0);
	assert_true(o.has_ts && !o.mss && !o.has_wscale && !o.sack_ok);
	assert_int_equal(ip_vs_sc_put_opts(p, 536, 0, 0, 0, 0, 0, 0), 4);
}

static void sack_and_timestamps_translated(void **state)
{
	/* NOP NOP TS, NOP NOP SACK with two blocks near the wrap */
	u8 p[] = { 1, 1, 8, 10, 0, 0, 0, 100, 0, 0, 0, 50,
		   1, 1, 5, 18,
		   0xff, 0xff, 0xff, 0xf0, 0xff, 0xff, 0xff, 0xff,
		   0, 0, 0, 16, 0, 0, 0, 32 };
	struct ip_vs_sc_opts o;

	ip_vs_sc_xlate_opts(p, sizeof(p), 0x20, 0, 7);
	assert_int_equal(ip_vs_sc_get32(p + 4), 100);	/* TSval kept */
	assert_int_equal(ip_vs_sc_get32(p + 8), 57);	/* TSecr + ts_off */
	assert_int_equal(ip_vs_sc_get32(p + 16), 0x10);	/* wrapped */
	assert_int_equal(ip_vs_sc_get32(p + 20), 0x1f);
	assert_int_equal(ip_vs_sc_get32(p + 24), 0x30);
	assert_int_equal(ip_vs_sc_get32(p + 28), 0x40);
	/* server to client: TSval loses ts_off (wrapping), SACK untouched */
	ip_vs_sc_xlate_opts(p, sizeof(p), 0, 101, 0);
	assert_int_equal(ip_vs_sc_get32(p + 4), 0xffffffff);
	assert_int_equal(ip_vs_sc_get32(p + 16), 0x10);
	assert_int_equal(ip_vs_sc_parse_opts(p, sizeof(p), &o), 0);
}

static void malformed_options_left_alone(void **state)
{
	u8 p[] = { 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 5, 60, 0, 0 };
	u8 q[sizeof(p)];
	unsigned int i;

	memcpy(q, p, sizeof(p));
	ip_vs_sc_xlate_opts(p, sizeof(p), 1, 0, 0);
	/* the timestamp before the bad SACK length is translated ... */
	assert_int_equal(ip_vs_sc_get32(p + 2), 1);
	/* ... and nothing from the bad option on */
	for (i = 10; i < sizeof(p); i++)
		assert_int_equal(p[i], q[i]);
	/* a length running past the end, or a truncated kind */
	ip_vs_sc_xlate_opts((u8 []){ 5, 250 }, 2, 1, 1, 1);
	ip_vs_sc_xlate_opts((u8 []){ 5 }, 1, 1, 1, 1);
	ip_vs_sc_strip_syn_opts((u8 []){ 2, 0, 3 }, 3);
}

static void synack_options_stripped_to_timestamp(void **state)
{
	u8 p[IP_VS_SC_OPTS_MAX];
	struct ip_vs_sc_opts o;
	unsigned int n, i;

	n = ip_vs_sc_put_opts(p, 1400, 1, 9, 10, 1, 9, 1);
	ip_vs_sc_strip_syn_opts(p, n);
	assert_int_equal(ip_vs_sc_parse_opts(p, n, &o), 0);
	assert_true(o.has_ts && !o.mss && !o.has_wscale && !o.sack_ok);
	assert_int_equal(o.tsval, 9);
	/* no timestamp: all NOPs */
	n = ip_vs_sc_put_opts(p, 1400, 0, 0, 0, 1, 9, 1);
	ip_vs_sc_strip_syn_opts(p, n);
	for (i = 0; i < n; i++)
		assert_int_equal(p[i], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(roundtrip_every_mss),
		cmocka_unit_test(slots_and_tuples),
		cmocka_unit_test(later_acks_never_validate),
		cmocka_unit_test(window_probe_validates_as_isn),
		cmocka_unit_test(forgery_is_rare),
		cmocka_unit_test(sequence_wraps),
		cmocka_unit_test(window_update_is_rcv_nxt),
		cmocka_unit_test(flow_claims),
		cmocka_unit_test(mss_index),
		cmocka_unit_test(parse_linux_syn),
		cmocka_unit_test(parse_malformed),
		cmocka_unit_test(timestamp_carries_options),
		cmocka_unit_test(window_rescaling),
		cmocka_unit_test(options_written_and_parsed_back),
		cmocka_unit_test(sack_and_timestamps_translated),
		cmocka_unit_test(malformed_options_left_alone),
		cmocka_unit_test(synack_options_stripped_to_timestamp),
	};

	return cmocka_run_group_tests_name("syncookie_calc", tests, NULL, NULL);
}
