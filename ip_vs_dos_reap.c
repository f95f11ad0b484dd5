// SPDX-License-Identifier: GPL-2.0-only
/*
 * ip_vs_dos_reap: watermark-driven adaptive reaping of IPVS connections.
 *
 * Per netns, a work item samples utilisation (memory in use, or IPVS
 * entries against a budget) every reap_interval_ms:
 * - normal (below reap_low): nothing is changed;
 * - reaping (from reap_low, and on the way down until below it): the
 *   timeouts of the embryonic and closing TCP states shrink linearly from
 *   their configured values at low to reap_floor at high, and embryonic
 *   connections at least reap_floor old are expired, oldest first, at a
 *   rate growing with pressure;
 * - refusing (from reap_high until below reap_low): in addition, new
 *   connections to virtual services are refused: IPVS's own drop_packet
 *   path (ip_vs_todrop), armed at rate 1 for the one packet being asked
 *   about; TCP SYNs are answered with a reset if reap_refuse_rst=1.
 * Everything changed is restored on the way back to normal, on unload and
 * at netns exit.  Without virtual services the work sleeps; the first
 * new-connection packet once there are some wakes it.
 *
 * IPVS exports no table walk: a LOCAL_IN hook before IPVS's records the
 * tuples of recent SYNs in a bounded ring, and the work looks them up with
 * ip_vs_conn_in_get to find the oldest embryonic connections.
 */

#define KMSG_COMPONENT "IPVS"
#define pr_fmt(fmt) KMSG_COMPONENT ": " fmt

#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/percpu.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/workqueue.h>
#include <net/genetlink.h>
#include <net/ip_vs.h>
#include <net/netns/generic.h>

#include "include/ip_vs_ext.h"
#include "include/ip_vs_reap_calc.h"

/*
 * SYN tuples kept per netns, oldest first: enough for what a flood creates
 * between two samples.  Allocated (768 KB) once the netns has a virtual
 * service, so that namespaces without IPVS pay nothing.
 */
#define IP_VS_REAP_RING		16384
/* Embryonic connections expired per interval at full pressure. */
#define IP_VS_REAP_MAX_PER_TICK	2048

static const char * const ip_vs_reap_state_names[] = {
	[IPVS_REAP_STATE_NORMAL]	= "normal",
	[IPVS_REAP_STATE_REAPING]	= "reaping",
	[IPVS_REAP_STATE_REFUSING]	= "refusing",
};

/* The TCP states whose timeouts shrink: not completed, or closing. */
static const int ip_vs_reap_tcp_states[] = {
	IP_VS_TCP_S_SYN_SENT, IP_VS_TCP_S_SYN_RECV, IP_VS_TCP_S_SYNACK,
	IP_VS_TCP_S_FIN_WAIT, IP_VS_TCP_S_TIME_WAIT, IP_VS_TCP_S_CLOSE,
	IP_VS_TCP_S_CLOSE_WAIT, IP_VS_TCP_S_LAST_ACK,
};

#define IP_VS_REAP_NSTATES ARRAY_SIZE(ip_vs_reap_tcp_states)

struct ip_vs_reap_tuple {
	union nf_inet_addr	caddr;
	union nf_inet_addr	vaddr;
	__be16			cport;
	__be16			vport;
	u16			af;	/* 0: a hole, taken back (see after_hook) */
	u32			seq;	/* which push wrote it */
	unsigned long		stamp;	/* jiffies of the SYN */
};

struct ip_vs_reap_pcpu {
	/*
	 * The SYN this CPU recorded last, until its next packet: if it gets
	 * to the after-hook, it was not IPVS's, and its tuple is taken back.
	 */
	const struct sk_buff	*push_skb;
	u32	push_slot;
	u32	push_seq;
};

/* ip_vs_reap_net.flags */
enum {
	IP_VS_REAP_KICKED,	/* a sample is queued by a hook */
	IP_VS_REAP_IDLE,	/* no virtual service: the work is not queued */
};

enum ip_vs_reap_metric {
	IP_VS_REAP_METRIC_MEMORY,
	IP_VS_REAP_METRIC_CONNS,
};

static const char * const ip_vs_reap_metric_names[] = {
	[IP_VS_REAP_METRIC_MEMORY]	= "memory",
	[IP_VS_REAP_METRIC_CONNS]	= "conns",
};

struct ip_vs_reap_net {
	struct netns_ipvs	*ipvs;
	struct mutex		lock;	/* serialises watermark updates */
	/* read by the hooks; written by the work only */
	unsigned int		state;
	u32			util;
	struct delayed_work	work;
	unsigned long		flags;	/* IP_VS_REAP_KICKED, IP_VS_REAP_IDLE */
	unsigned long		last_tick;
	/* timeouts (jiffies) as configured, and as the reaper last wrote them */
	int			orig[IP_VS_REAP_NSTATES];
	int			written[IP_VS_REAP_NSTATES];
	/* recent SYN tuples */
	spinlock_t		ring_lock;
	struct ip_vs_reap_ring	ring_idx;
	u32			ring_seq;
	struct ip_vs_reap_tuple	*ring;
	struct ip_vs_reap_pcpu __percpu *pcpu;
	struct ip_vs_ext_stats	stats;
	u64			state_jiffies[__IPVS_REAP_STATE_MAX];
	int			metric;
	int			sysctl_low;		/* percent */
	int			sysctl_high;		/* percent */
	int			sysctl_interval;	/* ms */
	int			sysctl_floor;		/* seconds */
	int			sysctl_conn_budget;	/* connections */
	int			sysctl_cookie_fallback;
	int			sysctl_refuse_rst;
	u64			diverted;	/* SYNs answered with cookies */
	struct ctl_table_header	*sysctl_hdr;
};

static unsigned int ip_vs_reap_net_id __read_mostly;

static struct ip_vs_reap_net *ip_vs_reap_pernet(struct net *net)
{
	return net_generic(net, ip_vs_reap_net_id);
}

/* Utilisation in per mille of the configured metric. */
static u32 ip_vs_reap_util(struct ip_vs_reap_net *rn)
{
	u64 used, total;

	if (READ_ONCE(rn->metric) == IP_VS_REAP_METRIC_CONNS) {
		used = atomic_read(&rn->ipvs->conn_count);
		total = READ_ONCE(rn->sysctl_conn_budget);
	} else {
		total = totalram_pages();
		used = total - min_t(u64, total, si_mem_available());
	}
	return total ? min_t(u64, div64_u64(used * 1000, total), 1000) : 0;
}

static int ip_vs_reap_metric_handler(struct ctl_table *table, int write,
				     void *buffer, size_t *lenp, loff_t *ppos)
{
	int *metric = table->data;
	char name[16];
	struct ctl_table tmp = {
		.data	= name,
		.maxlen	= sizeof(name),
	};
	int err, i;

	strscpy(name, ip_vs_reap_metric_names[READ_ONCE(*metric)], sizeof(name));
	err = proc_dostring(&tmp, write, buffer, lenp, ppos);
	if (err || !write)
		return err;
	i = match_string(ip_vs_reap_metric_names,
			 ARRAY_SIZE(ip_vs_reap_metric_names), strim(name));
	if (i < 0)
		return -EINVAL;
	WRITE_ONCE(*metric, i);
	return 0;
}

/* low and high are checked against each other: low < high, always. */
static int ip_vs_reap_mark_handler(struct ctl_table *table, int write,
				   void *buffer, size_t *lenp, loff_t *ppos)
{
	struct ip_vs_reap_net *rn = table->extra1;
	bool is_low = table->data == &rn->sysctl_low;
	int val = *(int *)table->data;
	struct ctl_table tmp = {
		.data	= &val,
		.maxlen	= sizeof(int),
		.extra1	= SYSCTL_ONE,
		.extra2	= SYSCTL_ONE_HUNDRED,
	};
	int err;

	err = proc_dointvec_minmax(&tmp, write, buffer, lenp, ppos);
	if (err || !write)
		return err;
	mutex_lock(&rn->lock);
	if (is_low ? val >= rn->sysctl_high : val <= rn->sysctl_low)
		err = -EINVAL;
	else
		WRITE_ONCE(*(int *)table->data, val);
	mutex_unlock(&rn->lock);
	return err;
}

/* A new interval applies at once, not after the sample already queued. */
static int ip_vs_reap_interval_handler(struct ctl_table *table, int write,
				       void *buffer, size_t *lenp, loff_t *ppos)
{
	struct ip_vs_reap_net *rn = container_of(table->data,
						 struct ip_vs_reap_net,
						 sysctl_interval);
	int err;

	err = proc_dointvec_minmax(table, write, buffer, lenp, ppos);
	if (!err && write)
		mod_delayed_work(system_power_efficient_wq, &rn->work, 0);
	return err;
}

/* Defaults of the sysctls in every netns, as docs/sysctl.md gives them. */
#define IP_VS_REAP_DEF_LOW		85	/* percent */
#define IP_VS_REAP_DEF_HIGH		95	/* percent */
#define IP_VS_REAP_DEF_INTERVAL		100	/* ms */
#define IP_VS_REAP_DEF_FLOOR		2	/* seconds */
#define IP_VS_REAP_DEF_CONN_BUDGET	1048576	/* connections (2^20) */

static int ip_vs_reap_interval_min = 10;
static int ip_vs_reap_interval_max = 10000;
static int ip_vs_reap_floor_max = 3600;

static const struct ctl_table ip_vs_reap_sysctl_tmpl[] = {
	{
		.procname	= "reap_metric",
		.data		= IP_VS_EXT_SYSCTL_DATA(struct ip_vs_reap_net, metric),
		.maxlen		= 16,
		.mode		= 0644,
		.proc_handler	= ip_vs_reap_metric_handler,
	},
	{
		.procname	= "reap_low",
		.data		= IP_VS_EXT_SYSCTL_DATA(struct ip_vs_reap_net, sysctl_low),
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= ip_vs_reap_mark_handler,
	},
	{
		.procname	= "reap_high",
		.data		= IP_VS_EXT_SYSCTL_DATA(struct ip_vs_reap_net, sysctl_high),
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= ip_vs_reap_mark_handler,
	},
	IP_VS_EXT_SYSCTL_INT("reap_interval_ms", struct ip_vs_reap_net,
			     sysctl_interval, ip_vs_reap_interval_handler,
			     &ip_vs_reap_interval_min,
			     &ip_vs_reap_interval_max),
	IP_VS_EXT_SYSCTL_INT("reap_floor", struct ip_vs_reap_net, sysctl_floor,
			     proc_dointvec_minmax, SYSCTL_ONE,
			     &ip_vs_reap_floor_max),
	IP_VS_EXT_SYSCTL_INT("reap_conn_budget", struct ip_vs_reap_net,
			     sysctl_conn_budget, proc_dointvec_minmax,
			     SYSCTL_ONE, SYSCTL_INT_MAX),
	IP_VS_EXT_SYSCTL_INT("reap_cookie_fallback", struct ip_vs_reap_net,
			     sysctl_cookie_fallback, proc_dointvec_minmax,
			     SYSCTL_ZERO, SYSCTL_ONE),
	IP_VS_EXT_SYSCTL_INT("reap_refuse_rst", struct ip_vs_reap_net,
			     sysctl_refuse_rst, proc_dointvec_minmax,
			     SYSCTL_ZERO, SYSCTL_ONE),
	{ }
};

/*
 * Record the tuple of a pure SYN (a SYN+ACK opens nothing of a client's).
 * In normal state the ring overwrites its oldest when full, so that it
 * holds the latest SYNs when reaping starts; while reaping it keeps the
 * oldest (ip_vs_reap_ring_push()).
 */
static void ip_vs_reap_ring_record(struct ip_vs_reap_net *rn,
				   struct ip_vs_reap_pcpu *pc,
				   const struct sk_buff *skb, int af,
				   const struct ip_vs_iphdr *iph,
				   const __be16 *ports, bool overwrite)
{
	struct ip_vs_reap_tuple *t;
	int slot;

	spin_lock(&rn->ring_lock);
	slot = rn->ring ? ip_vs_reap_ring_push(&rn->ring_idx, overwrite) : -1;
	if (slot < 0) {
		spin_unlock(&rn->ring_lock);
		return;
	}
	t = &rn->ring[slot];
	ip_vs_addr_copy(af, &t->caddr, &iph->saddr);
	ip_vs_addr_copy(af, &t->vaddr, &iph->daddr);
	t->cport = ports[0];
	t->vport = ports[1];
	t->af = af;
	t->seq = ++rn->ring_seq;
	t->stamp = jiffies;
	pc->push_skb = skb;
	pc->push_slot = slot;
	pc->push_seq = t->seq;
	spin_unlock(&rn->ring_lock);
}

/* Take back the tuple pushed as @slot, @seq, if the ring still holds it. */
static void ip_vs_reap_ring_forget(struct ip_vs_reap_net *rn, u32 slot, u32 seq)
{
	spin_lock(&rn->ring_lock);
	if (rn->ring && ip_vs_reap_ring_holds(&rn->ring_idx, slot) &&
	    rn->ring[slot].seq == seq) {
		/* usually the newest; else a hole that the pop skips */
		if (ip_vs_reap_ring_is_newest(&rn->ring_idx, slot))
			ip_vs_reap_ring_unpush(&rn->ring_idx);
		else
			rn->ring[slot].af = 0;
	}
	spin_unlock(&rn->ring_lock);
}

/* The oldest recorded tuple, removed from the ring; false if empty. */
static bool ip_vs_reap_ring_pop_tuple(struct ip_vs_reap_net *rn,
				      unsigned long min_age,
				      struct ip_vs_reap_tuple *out)
{
	unsigned long now = jiffies;
	int slot;

	spin_lock_bh(&rn->ring_lock);
	for (;;) {
		slot = ip_vs_reap_ring_oldest(&rn->ring_idx);
		if (slot < 0)
			break;
		if (rn->ring[slot].af &&
		    !ip_vs_reap_old_enough(rn->ring[slot].stamp, now, min_age)) {
			/* the rest is younger still */
			slot = -1;
			break;
		}
		ip_vs_reap_ring_pop(&rn->ring_idx);
		if (rn->ring[slot].af)
			break;
	}
	if (slot >= 0)
		*out = rn->ring[slot];
	spin_unlock_bh(&rn->ring_lock);
	return slot >= 0;
}

/*
 * What a packet to this host is, for the reaper: a TCP SYN (any segment
 * with SYN and without RST: IPVS schedules SYN+ACK and SYN+FIN too), the
 * first packet of a UDP or SCTP flow (candidates; IPVS decides whether a
 * virtual service exists), or anything else.  With sloppy_tcp=1 IPVS also
 * schedules other segments; those are not refused.
 */
enum ip_vs_reap_pkt {
	IP_VS_REAP_PKT_OTHER,
	IP_VS_REAP_PKT_SYN,
	IP_VS_REAP_PKT_NEW,	/* UDP or SCTP, new if IPVS has no connection */
};

static enum ip_vs_reap_pkt ip_vs_reap_classify(int af, struct sk_buff *skb,
					       struct ip_vs_iphdr *iph,
					       __be16 *ports, bool *pure_syn)
{
	__be16 _ports[2], *pp;

	*pure_syn = false;

	if (!ip_vs_fill_iph_skb(af, skb, false, iph))
		return IP_VS_REAP_PKT_OTHER;
	/* non-first IPv6 fragments carry no ports (IPv4 arrives reassembled) */
	if ((af == AF_INET && ip_is_fragment(ip_hdr(skb))) || iph->fragoffs)
		return IP_VS_REAP_PKT_OTHER;
	switch (iph->protocol) {
	case IPPROTO_TCP: {
		struct tcphdr _th, *th;

		th = skb_header_pointer(skb, iph->len, sizeof(_th), &_th);
		if (!th || !th->syn || th->rst)
			return IP_VS_REAP_PKT_OTHER;
		ports[0] = th->source;
		ports[1] = th->dest;
		*pure_syn = !th->ack && !th->fin;
		return IP_VS_REAP_PKT_SYN;
	}
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
		pp = skb_header_pointer(skb, iph->len, sizeof(_ports), _ports);
		if (!pp)
			return IP_VS_REAP_PKT_OTHER;
		ports[0] = pp[0];
		ports[1] = pp[1];
		return IP_VS_REAP_PKT_NEW;
	default:
		return IP_VS_REAP_PKT_OTHER;
	}
}

/* Is there an IPVS connection for this packet already? */
static bool ip_vs_reap_has_conn(struct netns_ipvs *ipvs, int af,
				const struct sk_buff *skb,
				const struct ip_vs_iphdr *iph)
{
	struct ip_vs_conn *cp = ip_vs_conn_in_get_proto(ipvs, af, skb, iph);

	if (!cp)
		return false;
	__ip_vs_conn_put(cp);
	return true;
}

/*
 * Refusing: only IPVS knows whether a packet opens a connection to a
 * virtual service, so the reaper asks it: the protocol's conn_schedule,
 * called here with IPVS's drop counter armed (rate 1), drops for a service
 * (ip_vs_todrop comes before scheduling) and passes anything else.  The
 * counter is armed for this call only, under IPVS's droppacket_lock, and
 * put back as found before the lock is released:
 * - no later packet inherits it: armed in the hook and left to IPVS's own
 *   hook (99), it would stay set after a refused SYN, and a cookie ACK
 *   that ip_vs_syncookie turns into a SYN at 97, after the reaper let it
 *   pass (96), would be dropped by IPVS as refused; so would any SYN to a
 *   service after a SYN to one of the director's own sockets;
 * - the defense timer (update_defense_level, which rewrites drop_rate once
 *   a second under the same lock) cannot reset it halfway: refusing is
 *   exact, and whatever the timer set is what is put back;
 * - concurrent refusals cannot save each other's armed value.
 * Armed at rate 1 for a packet with a service, conn_schedule never
 * schedules: the lock is held for one service lookup.  Refusals serialise
 * on it (any arming writes IPVS's shared drop counter per packet anyway).
 * What remains is a cross-CPU window of that lookup's length: a new
 * connection that another CPU lets through (a validated cookie, a packet
 * with sloppy_tcp) and that reaches ip_vs_todrop in IPVS's own hook (99)
 * within it is dropped as refused.  A plain client then retransmits its
 * SYN; ip_vs_syncookie forgets a cookie client's connection as if its ACK
 * had been lost, and the client's next segment validates again.  The
 * lock is taken with softirqs off: a packet reinjected by a task (NFQUEUE)
 * runs this hook with them on.  Arming in the
 * hook and disarming at the next packet would leave the window from 96 to
 * 99 instead, for every refused packet: a large share of a flooded CPU's
 * time.
 */
static unsigned int ip_vs_reap_refuse(struct ip_vs_reap_net *rn,
				      struct net *net, int af,
				      struct sk_buff *skb,
				      struct ip_vs_iphdr *iph, bool pure_syn)
{
	struct netns_ipvs *ipvs = rn->ipvs;
	struct ip_vs_proto_data *pd = ip_vs_proto_data_get(ipvs, iph->protocol);
	struct tcphdr _th, *th = NULL;
	struct ip_vs_conn *cp = NULL;
	__be16 sport = 0, dport = 0;
	int rate, counter, sched;
	int verdict = NF_DROP;
	u32 ack = 0;

	/* where IPVS's own hook would not schedule, neither may we */
	if (!pd || skb->pkt_type != PACKET_HOST || skb->ipvs_property ||
	    sysctl_backup_only(ipvs))
		return NF_ACCEPT;
	/* a reset answers a pure SYN only: read what it needs first */
	if (pure_syn && READ_ONCE(rn->sysctl_refuse_rst)) {
		th = skb_header_pointer(skb, iph->len, sizeof(_th), &_th);
		if (th) {
			sport = th->source;
			dport = th->dest;
			/* RFC 9293: to a segment without ACK, <SEQ=0><ACK=SEG.SEQ+SEG.LEN> */
			ack = ntohl(th->seq) + 1 +
			      max_t(int, skb->len - iph->len - th->doff * 4, 0);
		}
	}
	spin_lock_bh(&ipvs->droppacket_lock);
	rate = ipvs->drop_rate;
	counter = ipvs->drop_counter;
	WRITE_ONCE(ipvs->drop_rate, 1);
	WRITE_ONCE(ipvs->drop_counter, 1);
	sched = pd->pp->conn_schedule(ipvs, af, skb, pd, &verdict, &cp, iph);
	WRITE_ONCE(ipvs->drop_rate, rate);
	WRITE_ONCE(ipvs->drop_counter, counter);
	spin_unlock_bh(&ipvs->droppacket_lock);
	if (sched) {
		/* not for a virtual service (a connection: not at rate 1) */
		if (cp)
			ip_vs_conn_put(cp);
		return NF_ACCEPT;
	}
	if (verdict != NF_DROP)
		return verdict;
	ip_vs_ext_count(&rn->stats, IPVS_REAP_STATS_REFUSED);
	if (th) {
		ip_vs_ext_tcp_send(net, af, &iph->daddr, &iph->saddr, dport,
				   sport, 0, ack, TCPHDR_RST | TCPHDR_ACK, 0,
				   NULL, 0);
		ip_vs_ext_count(&rn->stats, IPVS_REAP_STATS_RESET);
	}
	return NF_DROP;
}

/*
 * With the conns metric, the new connection whose entry brings the table to
 * the high mark has a sample taken a jiffy later (by then IPVS has made the
 * entry; the worker may run on another CPU): under a flood of 100k SYNs a
 * second, waiting for the next periodic one (up to reap_interval_ms) would
 * let thousands more in.  Free memory is too costly to read per packet:
 * the memory metric waits for its sample.
 */
static void ip_vs_reap_check_high(struct ip_vs_reap_net *rn)
{
	/* the bit stays set until the sample runs: at most one per jiffy */
	if (READ_ONCE(rn->metric) != IP_VS_REAP_METRIC_CONNS ||
	    !ip_vs_reap_at_high(atomic_read(&rn->ipvs->conn_count) + 1,
				READ_ONCE(rn->sysctl_conn_budget),
				READ_ONCE(rn->sysctl_high)) ||
	    test_and_set_bit(IP_VS_REAP_KICKED, &rn->flags))
		return;
	ip_vs_ext_count(&rn->stats, IPVS_REAP_STATS_KICKED);
	mod_delayed_work(system_power_efficient_wq, &rn->work, 1);
}

/* Does the netns have a virtual service?  (IPVS counts them per family.) */
static bool ip_vs_reap_has_services(struct netns_ipvs *ipvs)
{
	return READ_ONCE(ipvs->num_services) || READ_ONCE(ipvs->num_services6);
}

/*
 * The work sleeps while the netns has no virtual service: a new-connection
 * packet once there is one wakes it (one packet wins the bit).
 */
static void ip_vs_reap_wake(struct ip_vs_reap_net *rn)
{
	if (ip_vs_reap_has_services(rn->ipvs) &&
	    test_and_clear_bit(IP_VS_REAP_IDLE, &rn->flags))
		mod_delayed_work(system_power_efficient_wq, &rn->work, 0);
}

/*
 * Before IPVS (LOCAL_IN 96): record pure SYNs for the reaping work; when
 * refusing, have IPVS drop a new connection to a virtual service
 * (ip_vs_reap_refuse()).
 */
static unsigned int ip_vs_reap_in_hook(void *priv, struct sk_buff *skb,
				       const struct nf_hook_state *state)
{
	struct ip_vs_reap_net *rn = ip_vs_reap_pernet(state->net);
	int af = state->pf == NFPROTO_IPV6 ? AF_INET6 : AF_INET;
	unsigned int st = READ_ONCE(rn->state);
	struct netns_ipvs *ipvs = rn->ipvs;
	struct ip_vs_reap_pcpu *pc;
	enum ip_vs_reap_pkt kind;
	struct ip_vs_iphdr iph;
	__be16 ports[2];
	bool pure_syn;

	if (unlikely(!ipvs->enable))
		return NF_ACCEPT;
	/* the SYN this CPU recorded last is past the after-hook by now */
	pc = this_cpu_ptr(rn->pcpu);
	if (unlikely(pc->push_skb))
		pc->push_skb = NULL;
	kind = ip_vs_reap_classify(af, skb, &iph, ports, &pure_syn);
	if (kind == IP_VS_REAP_PKT_OTHER)
		return NF_ACCEPT;
	if (unlikely(test_bit(IP_VS_REAP_IDLE, &rn->flags)))
		ip_vs_reap_wake(rn);
	if (st != IPVS_REAP_STATE_REFUSING) {
		ip_vs_reap_check_high(rn);
		if (!pure_syn)
			return NF_ACCEPT;
		/* in normal state no lookup on the fast path: just record */
		if (st != IPVS_REAP_STATE_NORMAL &&
		    ip_vs_reap_has_conn(ipvs, af, skb, &iph))
			return NF_ACCEPT;
		ip_vs_reap_ring_record(rn, pc, skb, af, &iph, ports,
				       st == IPVS_REAP_STATE_NORMAL);
		return NF_ACCEPT;
	}
	if (ip_vs_reap_has_conn(ipvs, af, skb, &iph))
		return NF_ACCEPT;
	return ip_vs_reap_refuse(rn, state->net, af, skb, &iph, pure_syn);
}

/*
 * After IPVS (LOCAL_IN 100): IPVS steals or drops what it schedules, so a
 * SYN recorded at 96 that gets here went to one of the director's own
 * sockets or nowhere, and its tuple is taken back (unless IPVS made a
 * connection and accepted the packet on: a local real server).  Between
 * the two hooks this CPU handled no other packet of the netns (the in-hook
 * forgets the SYN at the next one), so the pointer is this packet's; the
 * push sequence number makes sure the slot still holds its tuple.
 */
static unsigned int ip_vs_reap_after_hook(void *priv, struct sk_buff *skb,
					  const struct nf_hook_state *state)
{
	struct ip_vs_reap_net *rn = ip_vs_reap_pernet(state->net);
	int af = state->pf == NFPROTO_IPV6 ? AF_INET6 : AF_INET;
	struct ip_vs_reap_pcpu *pc = this_cpu_ptr(rn->pcpu);
	struct ip_vs_iphdr iph;

	if (likely(pc->push_skb != skb))
		return NF_ACCEPT;
	pc->push_skb = NULL;
	if (!ip_vs_fill_iph_skb(af, skb, false, &iph) ||
	    ip_vs_reap_has_conn(rn->ipvs, af, skb, &iph))
		return NF_ACCEPT;
	ip_vs_reap_ring_forget(rn, pc->push_slot, pc->push_seq);
	return NF_ACCEPT;
}

static const struct nf_hook_ops ip_vs_reap_ops[] = {
	IP_VS_EXT_HOOK(ip_vs_reap_in_hook, NF_INET_LOCAL_IN,
		       IP_VS_EXT_PRI_REAP),
	IP_VS_EXT_HOOK(ip_vs_reap_after_hook, NF_INET_LOCAL_IN,
		       IP_VS_EXT_PRI_REAP_AFTER),
};

/*
 * Scale the TCP timeouts to @pressure.  A value that differs from what we
 * wrote last was set by the administrator meanwhile (ipvsadm --set): it
 * becomes the configured value we scale from and restore.
 */
static void ip_vs_reap_scale(struct ip_vs_reap_net *rn, u32 pressure,
			     bool entering)
{
	struct ip_vs_proto_data *pd = ip_vs_proto_data_get(rn->ipvs, IPPROTO_TCP);
	u32 floor = READ_ONCE(rn->sysctl_floor) * HZ;
	int i, cur, val;

	if (!pd)
		return;
	for (i = 0; i < IP_VS_REAP_NSTATES; i++) {
		cur = READ_ONCE(pd->timeout_table[ip_vs_reap_tcp_states[i]]);
		if (entering || cur != rn->written[i])
			rn->orig[i] = cur;
		val = ip_vs_reap_scale_timeout(max(rn->orig[i], 0), floor, pressure);
		WRITE_ONCE(pd->timeout_table[ip_vs_reap_tcp_states[i]], val);
		rn->written[i] = val;
	}
}

static void ip_vs_reap_restore(struct ip_vs_reap_net *rn)
{
	struct ip_vs_proto_data *pd = ip_vs_proto_data_get(rn->ipvs, IPPROTO_TCP);
	int i, *slot;

	if (!pd)
		return;
	for (i = 0; i < IP_VS_REAP_NSTATES; i++) {
		slot = &pd->timeout_table[ip_vs_reap_tcp_states[i]];
		/* leave a value the administrator set meanwhile */
		if (READ_ONCE(*slot) == rn->written[i])
			WRITE_ONCE(*slot, rn->orig[i]);
	}
}

/*
 * Expire up to @budget of the oldest recorded embryonic connections, none
 * younger than reap_floor: a client's handshake takes its round trip, and
 * one expired in flight is reset when its ACK comes (the floor is what the
 * administrator gives a handshake at full pressure).
 */
static void ip_vs_reap_expire(struct ip_vs_reap_net *rn, u32 budget)
{
	unsigned long min_age = READ_ONCE(rn->sysctl_floor) * HZ;
	struct ip_vs_conn_param p;
	struct ip_vs_reap_tuple t;
	struct ip_vs_conn *cp;
	bool embryonic;

	rcu_read_lock();
	while (budget && ip_vs_reap_ring_pop_tuple(rn, min_age, &t)) {
		ip_vs_conn_fill_param(rn->ipvs, t.af, IPPROTO_TCP, &t.caddr,
				      t.cport, &t.vaddr, t.vport, &p);
		cp = ip_vs_conn_in_get(&p);
		if (!cp)
			continue;
		/* never established: templates and live connections stay */
		embryonic = !(cp->flags & IP_VS_CONN_F_TEMPLATE) &&
			    (cp->state == IP_VS_TCP_S_SYN_RECV ||
			     cp->state == IP_VS_TCP_S_SYNACK);
		__ip_vs_conn_put(cp);
		/* without our reference IPVS frees it at once; RCU keeps cp */
		if (embryonic && mod_timer_pending(&cp->timer, jiffies)) {
			ip_vs_ext_count(&rn->stats, IPVS_REAP_STATS_REAPED);
			budget--;
		}
	}
	rcu_read_unlock();
}

/*
 * IPVS's drop rate needs nothing here: refusing arms it for one call and
 * puts it back at once (ip_vs_reap_refuse()), so it is never left changed.
 */
static void ip_vs_reap_transition(struct ip_vs_reap_net *rn, unsigned int from,
				  unsigned int to)
{
	WRITE_ONCE(rn->state, to);
	if (to == IPVS_REAP_STATE_NORMAL)
		ip_vs_reap_restore(rn);
	ip_vs_ext_count(&rn->stats, IPVS_REAP_STATS_TRANSITIONS);
	pr_info_ratelimited("reaper: %s -> %s at %u.%u%% of %s (netns %u)\n",
			    ip_vs_reap_state_names[from], ip_vs_reap_state_names[to],
			    rn->util / 10, rn->util % 10,
			    ip_vs_reap_metric_names[READ_ONCE(rn->metric)],
			    rn->ipvs->net->ns.inum);
}

/*
 * While refusing with reap_cookie_fallback=1, ip_vs_syncookie (if loaded)
 * answers the SYNs of its auto services with cookies instead: legitimate
 * clients still get in, the flood holds no memory.  It registers with the
 * core, so that neither module needs the other.
 */
static void ip_vs_reap_cookie_fallback(struct ip_vs_reap_net *rn, bool on)
{
	u64 diverted;

	if (!ip_vs_ext_cookie_fallback(rn->ipvs->net, on, &diverted))
		WRITE_ONCE(rn->diverted, diverted);
}

static void ip_vs_reap_work(struct work_struct *work)
{
	struct ip_vs_reap_net *rn = container_of(to_delayed_work(work),
						 struct ip_vs_reap_net, work);
	unsigned int state = rn->state, next;
	u32 low, high, pressure;
	unsigned long delay;

	/* a hook may ask again once this sample is under way */
	clear_bit(IP_VS_REAP_KICKED, &rn->flags);
	clear_bit(IP_VS_REAP_IDLE, &rn->flags);

	rn->state_jiffies[state] += jiffies - rn->last_tick;
	rn->last_tick = jiffies;
	/*
	 * Nothing to protect without a virtual service: no sample, no ring,
	 * and the work sleeps until a new-connection packet finds a service
	 * (ip_vs_reap_wake()), rather than run every 250 ms in every netns.
	 * A netns still reaping or refusing samples on until normal.
	 */
	if (state == IPVS_REAP_STATE_NORMAL &&
	    !ip_vs_reap_has_services(rn->ipvs)) {
		set_bit(IP_VS_REAP_IDLE, &rn->flags);
		/*
		 * A service added meanwhile, whose packet found the bit clear:
		 * see it here (or its next packet wakes the work).
		 */
		smp_mb__after_atomic();
		if (!ip_vs_reap_has_services(rn->ipvs) ||
		    !test_and_clear_bit(IP_VS_REAP_IDLE, &rn->flags))
			return;
	}
	if (!rn->ring) {
		struct ip_vs_reap_tuple *ring;

		ring = kvcalloc(IP_VS_REAP_RING, sizeof(*ring), GFP_KERNEL_ACCOUNT);
		spin_lock_bh(&rn->ring_lock);
		rn->ring = ring;	/* NULL: try again at the next sample */
		spin_unlock_bh(&rn->ring_lock);
	}
	mutex_lock(&rn->lock);
	low = rn->sysctl_low;
	high = rn->sysctl_high;
	mutex_unlock(&rn->lock);

	ip_vs_ext_count(&rn->stats, IPVS_REAP_STATS_SAMPLES);
	WRITE_ONCE(rn->util, ip_vs_reap_util(rn));
	next = ip_vs_reap_next_state(state, rn->util, low, high);
	if (next != state)
		ip_vs_reap_transition(rn, state, next);
	if (next != IPVS_REAP_STATE_NORMAL) {
		pressure = ip_vs_reap_pressure(rn->util, low, high);
		ip_vs_reap_scale(rn, pressure, state == IPVS_REAP_STATE_NORMAL);
		ip_vs_reap_expire(rn, ip_vs_reap_budget(pressure,
							IP_VS_REAP_MAX_PER_TICK));
	}
	ip_vs_reap_cookie_fallback(rn, next == IPVS_REAP_STATE_REFUSING &&
				   READ_ONCE(rn->sysctl_cookie_fallback));
	delay = msecs_to_jiffies(READ_ONCE(rn->sysctl_interval));
	queue_delayed_work(system_power_efficient_wq, &rn->work, delay);
}

/*
 * /proc/net/ip_vs_reap: the state.  The counters are in
 * /proc/net/stat/ip_vs_dos_reap, by attribute of the stats nest; diverted
 * SYNs are counted by ip_vs_syncookie, which answered them.
 */
static const char * const ip_vs_reap_stat_names[] = {
	[IPVS_REAP_STATS_REAPED] = "reaped", [IPVS_REAP_STATS_REFUSED] = "refused",
	[IPVS_REAP_STATS_TRANSITIONS] = "transitions",
	[IPVS_REAP_STATS_RESET] = "reset", [IPVS_REAP_STATS_SAMPLES] = "samples",
	[IPVS_REAP_STATS_KICKED] = "kicked",
};

static int ip_vs_reap_proc_show(struct seq_file *seq, void *v)
{
	struct ip_vs_reap_net *rn = ip_vs_reap_pernet(seq_file_single_net(seq));
	unsigned int st = READ_ONCE(rn->state);
	u32 util = READ_ONCE(rn->util);
	int i;

	seq_printf(seq, "state %s\n", ip_vs_reap_state_names[st]);
	seq_printf(seq, "metric %s\n", ip_vs_reap_metric_names[READ_ONCE(rn->metric)]);
	seq_printf(seq, "utilisation %u.%u%%\n", util / 10, util % 10);
	seq_printf(seq, "low %d%%\nhigh %d%%\n", READ_ONCE(rn->sysctl_low),
		   READ_ONCE(rn->sysctl_high));
	seq_printf(seq, "recorded %u\n", READ_ONCE(rn->ring_idx.count));
	for (i = 0; i < __IPVS_REAP_STATE_MAX; i++)
		seq_printf(seq, "time_%s_ms %u\n", ip_vs_reap_state_names[i],
			   jiffies_to_msecs(READ_ONCE(rn->state_jiffies[i])));
	return 0;
}

/* Generic netlink family "IPVS_REAP". */
static const struct nla_policy ip_vs_reap_policy[IPVS_REAP_ATTR_MAXNR + 1] = {
	[IPVS_REAP_ATTR_STATE]	= { .type = NLA_REJECT },
	[IPVS_REAP_ATTR_UTIL]	= { .type = NLA_REJECT },
	[IPVS_REAP_ATTR_LOW]	= { .type = NLA_REJECT },
	[IPVS_REAP_ATTR_HIGH]	= { .type = NLA_REJECT },
	[IPVS_REAP_ATTR_STATS]	= { .type = NLA_REJECT },
};

static int ip_vs_reap_info(struct sk_buff *msg, void *pernet)
{
	struct ip_vs_reap_net *rn = pernet;
	u64 v[IPVS_REAP_STATS_MAX + 1];

	if (nla_put_u8(msg, IPVS_REAP_ATTR_STATE, READ_ONCE(rn->state)) ||
	    nla_put_u32(msg, IPVS_REAP_ATTR_UTIL, READ_ONCE(rn->util)) ||
	    nla_put_u32(msg, IPVS_REAP_ATTR_LOW, READ_ONCE(rn->sysctl_low)) ||
	    nla_put_u32(msg, IPVS_REAP_ATTR_HIGH, READ_ONCE(rn->sysctl_high)))
		return -EMSGSIZE;
	BUILD_BUG_ON(ARRAY_SIZE(ip_vs_reap_stat_names) != ARRAY_SIZE(v));
	ip_vs_ext_stats_sum(&rn->stats, v);
	v[IPVS_REAP_STATS_DIVERTED] = READ_ONCE(rn->diverted);
	return ip_vs_ext_nl_put_stats(msg, IPVS_REAP_ATTR_STATS, v,
				      ARRAY_SIZE(v), IPVS_REAP_STATS_PAD);
}

static const struct genl_small_ops ip_vs_reap_genl_ops[] = {
	IP_VS_EXT_GENL_OP(IPVS_EXT_CMD_GET_INFO, ip_vs_ext_nl_info_op),
};

static struct ip_vs_ext_family ip_vs_reap_family __ro_after_init = {
	.genl = IP_VS_EXT_GENL_FAMILY(IPVS_REAP_GENL_NAME,
				      IPVS_REAP_ATTR_MAXNR,
				      ip_vs_reap_policy,
				      ip_vs_reap_genl_ops),
	.net_id	= &ip_vs_reap_net_id,
	.info	= ip_vs_reap_info,
};

static int __net_init ip_vs_reap_net_init(struct net *net)
{
	struct ip_vs_reap_net *rn = ip_vs_reap_pernet(net);
	int err;

	rn->ipvs = net_ipvs(net);
	if (!rn->ipvs)
		return -ENOENT;
	mutex_init(&rn->lock);
	spin_lock_init(&rn->ring_lock);
	rn->ring_idx.size = IP_VS_REAP_RING;
	INIT_DELAYED_WORK(&rn->work, ip_vs_reap_work);
	rn->state = IPVS_REAP_STATE_NORMAL;
	rn->metric = IP_VS_REAP_METRIC_MEMORY;
	rn->sysctl_low = IP_VS_REAP_DEF_LOW;
	rn->sysctl_high = IP_VS_REAP_DEF_HIGH;
	rn->sysctl_interval = IP_VS_REAP_DEF_INTERVAL;
	rn->sysctl_floor = IP_VS_REAP_DEF_FLOOR;
	rn->sysctl_conn_budget = IP_VS_REAP_DEF_CONN_BUDGET;
	rn->pcpu = alloc_percpu(struct ip_vs_reap_pcpu);
	if (!rn->pcpu)
		return -ENOMEM;
	err = ip_vs_ext_stats_init(net, &rn->stats, "ip_vs_dos_reap",
				   ip_vs_reap_stat_names,
				   ARRAY_SIZE(ip_vs_reap_stat_names), NULL, NULL);
	if (err)
		goto err_pcpu;
	rn->stats.entries = &rn->ring_idx.count;
	rn->sysctl_hdr = ip_vs_ext_sysctl_register(net, ip_vs_reap_sysctl_tmpl,
						   sizeof(ip_vs_reap_sysctl_tmpl),
						   rn, ip_vs_reap_mark_handler);
	if (!rn->sysctl_hdr) {
		err = -ENOMEM;
		goto err_stats;
	}
	if (!proc_create_net_single("ip_vs_reap", 0444, net->proc_net,
				    ip_vs_reap_proc_show, NULL)) {
		err = -ENOMEM;
		goto err_sysctl;
	}
	err = nf_register_net_hooks(net, ip_vs_reap_ops, ARRAY_SIZE(ip_vs_reap_ops));
	if (err)
		goto err_proc;
	rn->last_tick = jiffies;
	queue_delayed_work(system_power_efficient_wq, &rn->work,
			   msecs_to_jiffies(rn->sysctl_interval));
	return 0;

err_proc:
	remove_proc_entry("ip_vs_reap", net->proc_net);
err_sysctl:
	ip_vs_ext_sysctl_unregister(rn->sysctl_hdr);
	/* a write to reap_interval_ms may have queued it */
	cancel_delayed_work_sync(&rn->work);
err_stats:
	ip_vs_ext_stats_exit(net, &rn->stats, "ip_vs_dos_reap");
err_pcpu:
	free_percpu(rn->pcpu);
	return err;
}

/* Leave IPVS as stock: timeouts and drop rate back to what we found. */
static void __net_exit ip_vs_reap_net_exit(struct net *net)
{
	struct ip_vs_reap_net *rn = ip_vs_reap_pernet(net);

	/* first the hooks and the sysctls: they may queue the work */
	nf_unregister_net_hooks(net, ip_vs_reap_ops, ARRAY_SIZE(ip_vs_reap_ops));
	ip_vs_ext_sysctl_unregister(rn->sysctl_hdr);
	cancel_delayed_work_sync(&rn->work);
	ip_vs_reap_cookie_fallback(rn, false);
	if (rn->state != IPVS_REAP_STATE_NORMAL)
		ip_vs_reap_transition(rn, rn->state, IPVS_REAP_STATE_NORMAL);
	remove_proc_entry("ip_vs_reap", net->proc_net);
	ip_vs_ext_stats_exit(net, &rn->stats, "ip_vs_dos_reap");
	free_percpu(rn->pcpu);
	kvfree(rn->ring);
}

static struct pernet_operations ip_vs_reap_net_ops = {
	.init	= ip_vs_reap_net_init,
	.exit	= ip_vs_reap_net_exit,
	.id	= &ip_vs_reap_net_id,
	.size	= sizeof(struct ip_vs_reap_net),
};

static int __init ip_vs_reap_init(void)
{
	return ip_vs_ext_register_feature(&ip_vs_reap_family, &ip_vs_reap_net_ops);
}

static void __exit ip_vs_reap_exit(void)
{
	ip_vs_ext_unregister_feature(&ip_vs_reap_family, &ip_vs_reap_net_ops);
}

module_init(ip_vs_reap_init);
module_exit(ip_vs_reap_exit);
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(IP_VS_EXT);
MODULE_DESCRIPTION("IPVS watermark-driven adaptive reaping");
MODULE_ALIAS_GENL_FAMILY(IPVS_REAP_GENL_NAME);
