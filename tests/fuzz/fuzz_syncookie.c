// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the SYN-cookie proxy's pure logic, the same header
 * the module compiles in (include/ip_vs_syncookie_calc.h): TCP option
 * parsing, option translation and stripping, the cookie check.  Beyond
 * "no crash, no out-of-bounds access" (ASan, UBSan) it checks properties:
 *   - translating options and translating back restores every byte;
 *   - stripping keeps a timestamp option readable and never grows options;
 *   - a cookie made for an MSS index checks to that index;
 *   - options we write parse back to what we wrote.
 * Input: 16 bytes of numbers (deltas, ISN, hash), then TCP option bytes.
 *   make fuzz         (10 million runs; tests/fuzz/corpus is the seed corpus)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kcompat.h"
#include "ip_vs_syncookie_calc.h"

#define MAX_OPTS 40

static u32 get32(const uint8_t *p)
{
	return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	u8 opts[MAX_OPTS], orig[MAX_OPTS], mine[IP_VS_SC_OPTS_MAX];
	struct ip_vs_sc_opts o, back;
	u32 a, b, c, isn, hash, cookie;
	unsigned int len, idx, n;
	int ts_before;

	if (size < 16)
		return 0;
	a = get32(data);
	b = get32(data + 4);
	c = get32(data + 8);
	isn = get32(data + 12);
	data += 16;
	size -= 16;
	len = size > MAX_OPTS ? MAX_OPTS : (unsigned int)size;
	memcpy(opts, data, len);
	memcpy(orig, data, len);

	/* parsing never reads past @len (ASan) and reports a sane MSS index */
	ip_vs_sc_parse_opts(opts, len, &o);
	if (ip_vs_sc_mss_index(o.mss) > IP_VS_SC_MSS_MASK)
		abort();
	if (o.has_wscale && o.wscale > 14)
		abort();

	/* translate there and back: every byte as it was */
	ip_vs_sc_xlate_opts(opts, len, a, b, c);
	ip_vs_sc_xlate_opts(opts, len, 0u - a, 0u - b, 0u - c);
	if (memcmp(opts, orig, len))
		abort();

	/* stripping a SYN-ACK's options keeps a well-formed timestamp */
	ts_before = ip_vs_sc_parse_opts(opts, len, &o) == 0 && o.has_ts;
	ip_vs_sc_strip_syn_opts(opts, len);
	if (ts_before) {
		ip_vs_sc_parse_opts(opts, len, &back);
		if (!back.has_ts || back.tsval != o.tsval || back.tsecr != o.tsecr)
			abort();
	}
	ip_vs_sc_parse_opts(opts, len, &back);
	if (back.mss || back.has_wscale || back.sack_ok)
		abort();

	/* cookies: every MSS index survives, and the check is exact */
	hash = a ^ c;
	idx = b & IP_VS_SC_MSS_MASK;
	cookie = ip_vs_sc_cookie(isn, hash, idx);
	if (ip_vs_sc_check(isn + 1, cookie + 1, hash, ~hash) != (int)idx)
		abort();
	if (ip_vs_sc_check(isn + 1, cookie + 1, hash ^ 0x100, hash ^ 0x100) != -1)
		abort();

	/* what we write parses back */
	n = ip_vs_sc_put_opts(mine, (u16)a, b & 1, c, isn, b & 2, (b >> 8) % 15, b & 4);
	if (n > IP_VS_SC_OPTS_MAX || n % 4 || ip_vs_sc_parse_opts(mine, n, &back))
		abort();
	if (back.mss != (u16)a || back.has_ts != (b & 1) ||
	    (back.has_ts && (back.tsval != c || back.tsecr != isn)) ||
	    back.has_wscale != !!(b & 2) || back.sack_ok != !!(b & 4))
		abort();

	/* window rescaling never tells more than the server allows */
	if (((u64)ip_vs_sc_rescale_window((u16)c, b % 15, (b >> 4) % 15) << ((b >> 4) % 15)) >
	    ((u64)(u16)c << (b % 15)))
		abort();
	return 0;
}
