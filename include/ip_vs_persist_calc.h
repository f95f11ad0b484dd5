/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvs-ext: expiry arithmetic of the persistence-extension modes.
 *
 * Pure logic without kernel dependencies: compiled into ip_vs_persist_ext
 * and into the user-space unit test (tests/unit/test_persist_calc.c).
 * Times are milliseconds of the wall clock, because they travel with the
 * template to a backup director through the IPVS sync daemon, and a
 * backup's jiffies mean nothing on the master.
 */
#ifndef _IP_VS_PERSIST_CALC_H
#define _IP_VS_PERSIST_CALC_H

/* User-space builds provide u64 and friends (tests/unit/kcompat.h). */
#ifdef __KERNEL__
#include <linux/types.h>
#endif

#include "uapi/linux/ip_vs_ext.h"

/* An idle template's timer is re-armed at most this often (ms). */
#define IP_VS_PERSIST_REARM_MS	1000

enum ip_vs_persist_verdict {
	IP_VS_PERSIST_KEEP,	/* affinity holds; template re-armed */
	IP_VS_PERSIST_EXPIRED,	/* ended by the mode's rule */
	IP_VS_PERSIST_CAPPED,	/* ended by the lifetime cap */
};

/*
 * Decide whether a template created at @created, whose client was last
 * active at @last, still binds a new connection at @now; on KEEP, *@remain
 * is how long the template must live from now (its new timer).
 * @timeout is the service's persistence timeout, @max the lifetime cap
 * (0 = none); all in ms.  @controls: the template still controls
 * connections.
 *
 * renew keeps stock semantics (the affinity lasts timeout after the last
 * new connection, and as long as connections it controls exist) without
 * the stock flaw: IPVS keeps a template whose timer fired while it still
 * controlled connections, with a 60 s timeout, so it outlived both.
 * absolute ends timeout after creation; idle ends timeout after the last
 * client packet, whatever connections remain open.
 */
static inline enum ip_vs_persist_verdict
ip_vs_persist_check(unsigned int mode, u64 timeout, u64 max, u64 created,
		    u64 last, u64 now, int controls, u64 *remain)
{
	u64 end;

	/* A clock stepped backwards must not make a template immortal. */
	if (now < created)
		now = created;
	if (now < last)
		now = last;

	switch (mode) {
	case IPVS_PERSIST_MODE_ABSOLUTE:
		end = created + timeout;
		if (now >= end)
			return IP_VS_PERSIST_EXPIRED;
		*remain = end - now;
		return IP_VS_PERSIST_KEEP;
	case IPVS_PERSIST_MODE_IDLE:
		if (now - last >= timeout)
			return IP_VS_PERSIST_EXPIRED;
		break;
	default:
		if (now - last >= timeout && !controls)
			return IP_VS_PERSIST_EXPIRED;
		break;
	}
	*remain = timeout;
	if (max) {
		end = created + max;
		if (now >= end)
			return IP_VS_PERSIST_CAPPED;
		if (end - now < *remain)
			*remain = end - now;
	}
	return IP_VS_PERSIST_KEEP;
}

/*
 * A client packet at @now on a connection of an idle-mode template last
 * re-armed at @armed: should the template's timer be pushed out?  At most
 * once per IP_VS_PERSIST_REARM_MS to keep timer churn low on busy
 * connections, and four times per @timeout so short timeouts still hold.
 */
static inline int ip_vs_persist_should_rearm(u64 armed, u64 now, u64 timeout)
{
	u64 period = timeout / 4 < IP_VS_PERSIST_REARM_MS ?
		     timeout / 4 : IP_VS_PERSIST_REARM_MS;

	return now >= armed + period || now < armed;
}

/* A lifetime cap only makes sense where the affinity can be extended. */
static inline int ip_vs_persist_max_valid(unsigned int mode, u64 max)
{
	if (max > IPVS_PERSIST_MAX_LIMIT)
		return 0;
	return !max || mode != IPVS_PERSIST_MODE_ABSOLUTE;
}

#endif /* _IP_VS_PERSIST_CALC_H */
