/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvs-ext: the SYN-cookie proxy's pure logic: cookie encoding and check,
 * TCP option parsing, option state in the timestamp, sequence translation.
 *
 * No kernel dependencies: compiled into ip_vs_syncookie and into the
 * user-space unit test (tests/unit/test_syncookie_calc.c).  The keyed hash
 * is the caller's (siphash with the netns secret in the kernel), so several
 * directors sharing a secret validate each other's cookies.
 *
 * Cookie (the ISN of our SYN-ACK) = client ISN + (H ^ mss_idx << 29), where H is
 * the keyed hash of (tuple, client ISN, time slot): the top 3 bits carry the
 * MSS index, the 29 others authenticate the tuple, the client's ISN and the
 * slot (IP_VS_SC_SLOT_SECS long; the current and the previous slot are
 * accepted).  When the client sent timestamps, window scale, SACK
 * and ECN ride in the low 6 bits of our TSval, as the kernel's syncookies do.
 */
#ifndef _IP_VS_SYNCOOKIE_CALC_H
#define _IP_VS_SYNCOOKIE_CALC_H

/* User-space builds provide u64 and friends (tests/unit/kcompat.h). */
#ifdef __KERNEL__
#include <linux/types.h>
#endif

#define IP_VS_SC_SLOT_SECS	64
#define IP_VS_SC_MSS_BITS	3
#define IP_VS_SC_MSS_MASK	((1u << IP_VS_SC_MSS_BITS) - 1)
/*
 * The index sits in the top bits: a segment that acknowledges anything
 * beyond our SYN-ACK (cookie + 1 + k, a client's later segment once its
 * connection is gone) changes the low bits and never validates, whereas
 * an index in the low bits would absorb small k as another MSS.
 */
#define IP_VS_SC_MSS_SHIFT	(32 - IP_VS_SC_MSS_BITS)

/* MSS values a cookie can carry: what clients commonly send, ascending. */
static const u16 ip_vs_sc_mss_table[1 << IP_VS_SC_MSS_BITS] = {
	536, 1220, 1300, 1360, 1400, 1440, 1452, 1460,
};

/* The largest table value not above the client's MSS (536 at least). */
static inline unsigned int ip_vs_sc_mss_index(u16 mss)
{
	unsigned int i;

	for (i = IP_VS_SC_MSS_MASK; i > 0; i--)
		if (ip_vs_sc_mss_table[i] <= mss)
			return i;
	return 0;
}

static inline u32 ip_vs_sc_cookie(u32 client_isn, u32 hash, unsigned int mss_idx)
{
	return client_isn +
	       (hash ^ ((u32)(mss_idx & IP_VS_SC_MSS_MASK) << IP_VS_SC_MSS_SHIFT));
}

/*
 * Check the cookie of an ACK: @ack_seq - 1 is our ISN, @seq - 1 the
 * client's.  @hash_now and @hash_prev are H(tuple, seq - 1, slot) for the
 * current and the previous slot.  Returns the MSS index, or -1 if the cookie is invalid.
 */
static inline int ip_vs_sc_check(u32 seq, u32 ack_seq, u32 hash_now,
				 u32 hash_prev)
{
	u32 v = (ack_seq - 1) - (seq - 1);

	if (!((v ^ hash_now) << IP_VS_SC_MSS_BITS))
		return (int)((v ^ hash_now) >> IP_VS_SC_MSS_SHIFT);
	if (!((v ^ hash_prev) << IP_VS_SC_MSS_BITS))
		return (int)((v ^ hash_prev) >> IP_VS_SC_MSS_SHIFT);
	return -1;
}

/* What a SYN offered, and what we answer with. */
struct ip_vs_sc_opts {
	u16	mss;		/* 0: none */
	u8	wscale;		/* valid if has_wscale */
	u8	has_wscale:1,
		sack_ok:1,
		has_ts:1;
	u32	tsval;
	u32	tsecr;
};

#define IP_VS_SC_TS_OPT_BITS	6
#define IP_VS_SC_TS_OPT_MASK	((1u << IP_VS_SC_TS_OPT_BITS) - 1)
#define IP_VS_SC_NO_WSCALE	0xf

/*
 * Parse the TCP options of a segment (@len bytes after the fixed header).
 * Malformed options end the parse with what was read so far: 0 if the
 * options are well formed, -1 otherwise (the caller may still use @o).
 */
static inline int ip_vs_sc_parse_opts(const u8 *p, unsigned int len,
				      struct ip_vs_sc_opts *o)
{
	unsigned int i = 0, olen;

	o->mss = 0;
	o->wscale = 0;
	o->has_wscale = 0;
	o->sack_ok = 0;
	o->has_ts = 0;
	o->tsval = 0;
	o->tsecr = 0;
	while (i < len) {
		switch (p[i]) {
		case 0:		/* end of options */
			return 0;
		case 1:		/* no-op */
			i++;
			continue;
		}
		if (i + 1 >= len)
			return -1;
		olen = p[i + 1];
		if (olen < 2 || i + olen > len)
			return -1;
		switch (p[i]) {
		case 2:
			if (olen == 4)
				o->mss = (u16)(p[i + 2] << 8 | p[i + 3]);
			break;
		case 3:
			if (olen == 3) {
				o->wscale = p[i + 2] > 14 ? 14 : p[i + 2];
				o->has_wscale = 1;
			}
			break;
		case 4:
			if (olen == 2)
				o->sack_ok = 1;
			break;
		case 8:
			if (olen == 10) {
				o->has_ts = 1;
				o->tsval = (u32)p[i + 2] << 24 | (u32)p[i + 3] << 16 |
					   (u32)p[i + 4] << 8 | p[i + 5];
				o->tsecr = (u32)p[i + 6] << 24 | (u32)p[i + 7] << 16 |
					   (u32)p[i + 8] << 8 | p[i + 9];
			}
			break;
		}
		i += olen;
	}
	return 0;
}

/*
 * Our TSval for the SYN-ACK: the clock with the offered options in its low
 * bits, bits 0-3 the window scale (0xf: none), bit 4 SACK; bit 5 is clear.
 * ECN is not remembered: the SYN to the real server never asks for it.
 */
static inline u32 ip_vs_sc_ts_encode(u32 now, const struct ip_vs_sc_opts *o)
{
	u32 bits = o->has_wscale ? o->wscale : IP_VS_SC_NO_WSCALE;

	bits |= (u32)o->sack_ok << 4;
	return (now & ~IP_VS_SC_TS_OPT_MASK) | bits;
}

/* The options of the SYN back from the TSecr of the ACK. */
static inline void ip_vs_sc_ts_decode(u32 tsecr, struct ip_vs_sc_opts *o)
{
	u32 ws = tsecr & 0xf;

	o->has_wscale = ws != IP_VS_SC_NO_WSCALE;
	o->wscale = o->has_wscale ? (u8)ws : 0;
	o->sack_ok = !!(tsecr & (1u << 4));
}

/*
 * Sequence translation for a proxied connection: the client knows our
 * cookie ISN, the server its own ISN; delta = server ISN - cookie ISN.
 * Server->client sequence numbers lose delta, client->server
 * acknowledgements (and SACK block edges) gain it.  Modular arithmetic:
 * wrap-around needs no special case.
 */
static inline u32 ip_vs_sc_seq_to_client(u32 seq, u32 delta)
{
	return seq - delta;
}

/*
 * The real server's SYN-ACK becomes the client's window update: the SYN
 * it loses took one sequence number, so the update carries the next one
 * (cookie ISN + 1, the client's rcv_nxt).  With the SYN's own number the
 * client would see an old segment (RFC 793 acceptability test, Linux
 * tcp_sequence()), drop it and wait for its zero-window probe timer.
 */
static inline u32 ip_vs_sc_update_seq(u32 synack_seq, u32 delta)
{
	return ip_vs_sc_seq_to_client(synack_seq + 1, delta);
}

static inline u32 ip_vs_sc_ack_to_server(u32 ack, u32 delta)
{
	return ack + delta;
}

/*
 * A window the client is told, in the scale it was promised (@to_ws),
 * from the real server's window in its own scale (@from_ws); never more
 * than the server allows (rounded down), saturated at 16 bits.
 */
static inline u16 ip_vs_sc_rescale_window(u16 win, u8 from_ws, u8 to_ws)
{
	u64 bytes = (u64)win << from_ws;
	u64 scaled = bytes >> to_ws;

	return scaled > 0xffff ? 0xffff : (u16)scaled;
}

/*
 * The window scale we promise every client that offered one: the real
 * server's is unknown when the SYN-ACK leaves, so windows are rescaled from
 * the server's scale to this one for the connection's life.
 */
#define IP_VS_SC_WSCALE		7

static inline void ip_vs_sc_put32(u8 *p, u32 v)
{
	p[0] = (u8)(v >> 24);
	p[1] = (u8)(v >> 16);
	p[2] = (u8)(v >> 8);
	p[3] = (u8)v;
}

static inline u32 ip_vs_sc_get32(const u8 *p)
{
	return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

#define IP_VS_SC_OPTS_MAX	24

/*
 * Write the options of a segment we originate (SYN-ACK to the client, SYN
 * and ACK to the server) in Linux's layout: MSS, NOP NOP TS, NOP WS,
 * NOP NOP SACK-permitted.  @mss 0: none.  Returns the length, a multiple
 * of 4 and at most IP_VS_SC_OPTS_MAX.
 */
static inline unsigned int ip_vs_sc_put_opts(u8 *p, u16 mss, int ts, u32 tsval,
					     u32 tsecr, int ws, u8 wscale,
					     int sack)
{
	unsigned int n = 0;

	if (mss) {
		p[n++] = 2;
		p[n++] = 4;
		p[n++] = (u8)(mss >> 8);
		p[n++] = (u8)mss;
	}
	if (ts) {
		p[n++] = 1;
		p[n++] = 1;
		p[n++] = 8;
		p[n++] = 10;
		ip_vs_sc_put32(p + n, tsval);
		ip_vs_sc_put32(p + n + 4, tsecr);
		n += 8;
	}
	if (ws) {
		p[n++] = 1;
		p[n++] = 3;
		p[n++] = 3;
		p[n++] = wscale;
	}
	if (sack) {
		p[n++] = 1;
		p[n++] = 1;
		p[n++] = 4;
		p[n++] = 2;
	}
	return n;
}

/*
 * Translate the options of a relayed segment in place: SACK block edges
 * gain @sack_add, TSval loses @tsval_sub, TSecr gains @tsecr_add.  From the
 * client: (delta, 0, ts_off); from the server: (0, ts_off, 0): the server's
 * SACK blocks are in the client's sequence space already.  Malformed
 * options are left as they are from the first bad one on.
 */
static inline void ip_vs_sc_xlate_opts(u8 *p, unsigned int len, u32 sack_add,
				       u32 tsval_sub, u32 tsecr_add)
{
	unsigned int i = 0, olen, j;

	while (i < len) {
		if (p[i] == 0)
			return;
		if (p[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len)
			return;
		olen = p[i + 1];
		if (olen < 2 || i + olen > len)
			return;
		if (p[i] == 5 && sack_add && (olen - 2) % 8 == 0) {
			for (j = i + 2; j < i + olen; j += 4)
				ip_vs_sc_put32(p + j, ip_vs_sc_get32(p + j) + sack_add);
		} else if (p[i] == 8 && olen == 10) {
			ip_vs_sc_put32(p + i + 2, ip_vs_sc_get32(p + i + 2) - tsval_sub);
			ip_vs_sc_put32(p + i + 6, ip_vs_sc_get32(p + i + 6) + tsecr_add);
		}
		i += olen;
	}
}

/*
 * The real server's SYN-ACK becomes the client's window update: every
 * option but the timestamp turns into NOPs (MSS, window scale and
 * SACK-permitted were negotiated with the client already).
 */
static inline void ip_vs_sc_strip_syn_opts(u8 *p, unsigned int len)
{
	unsigned int i = 0, olen;

	while (i < len) {
		if (p[i] == 0) {
			for (; i < len; i++)
				p[i] = 1;
			return;
		}
		if (p[i] == 1) {
			i++;
			continue;
		}
		olen = i + 1 < len ? p[i + 1] : 0;
		if (olen < 2 || i + olen > len) {
			for (; i < len; i++)
				p[i] = 1;
			return;
		}
		if (!(p[i] == 8 && olen == 10)) {
			unsigned int j;

			for (j = i; j < i + olen; j++)
				p[j] = 1;
		}
		i += olen;
	}
}

/*
 * Claims on flows whose cookie validated: a slot holds the key of a flow
 * (0: none) and when it was claimed.  A claim younger than @ttl is the
 * flow's (BUSY for another ACK of it) or another flow's (OTHER: the caller
 * goes on unclaimed); an older one is free to take.
 */
enum {
	IP_VS_SC_CLAIMED,
	IP_VS_SC_CLAIM_BUSY,
	IP_VS_SC_CLAIM_OTHER,
};

static inline int ip_vs_sc_claim(u64 slot_key, unsigned long slot_stamp,
				 u64 key, unsigned long now, unsigned long ttl)
{
	if (!slot_key || (long)(now - slot_stamp) >= (long)ttl)
		return IP_VS_SC_CLAIMED;
	return slot_key == key ? IP_VS_SC_CLAIM_BUSY : IP_VS_SC_CLAIM_OTHER;
}

#endif /* _IP_VS_SYNCOOKIE_CALC_H */
