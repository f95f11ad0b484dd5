// SPDX-License-Identifier: GPL-2.0-only
/*
 * ip_vs_syncookie: SYN-cookie proxy for IPVS virtual services.
 *
 * A SYN to a cookie service that has no IPVS connection is answered from
 * the VIP with a SYN-ACK whose ISN is a cookie and whose window is zero;
 * nothing is kept.  An ACK whose cookie validates is rewritten in place
 * into the client's SYN (its ISN, the options the cookie carried) and
 * handed on to IPVS, which schedules it as any SYN (scheduler, persistence,
 * weights) and forwards it to a masquerading real server.  The real
 * server's SYN-ACK is turned into the client's window update, the module
 * ACKs the server itself, and from then on translates sequence numbers,
 * SACK blocks, timestamps and windows in both directions.
 *
 * The per-connection state hangs off the IPVS connection through an IPVS
 * application helper bound to the service's port (cp->app_data): IPVS calls
 * it for every packet of a masquerading connection and frees it with the
 * connection.  See the README's design section for the hooks and their
 * priorities.
 */

#define KMSG_COMPONENT "IPVS"
#define pr_fmt(fmt) KMSG_COMPONENT ": " fmt

#include <linux/hash.h>
#include <linux/icmp.h>
#include <linux/jhash.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/proc_fs.h>
#include <linux/random.h>
#include <linux/seq_file.h>
#include <linux/siphash.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <net/genetlink.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ip6_route.h>
#include <net/ip_vs.h>
#include <net/ipv6.h>
#include <net/netns/generic.h>
#include <net/route.h>
#include <net/tcp.h>

#include "include/ip_vs_ext.h"
#include "include/ip_vs_syncookie_calc.h"

static unsigned int slot_secs = IP_VS_SC_SLOT_SECS;

static int slot_secs_set(const char *val, const struct kernel_param *kp)
{
	unsigned int v;
	int err = kstrtouint(val, 0, &v);

	if (err)
		return err;
	if (v < 1 || v > IP_VS_SC_SLOT_SECS)
		return -EINVAL;
	WRITE_ONCE(slot_secs, v);
	return 0;
}

static const struct kernel_param_ops slot_secs_ops = {
	.set	= slot_secs_set,
	.get	= param_get_uint,
};

module_param_cb(slot_secs, &slot_secs_ops, &slot_secs, 0644);
MODULE_PARM_DESC(slot_secs,
		 "cookie time slot in seconds (1-64, default 64); a cookie is valid in its slot and the next");

/* What /proc/net/stat/ip_vs_syncookie shows, per CPU. */
enum {
	SC_SYN_RECEIVED,	/* SYNs to a cookie service without a connection */
	SC_COOKIES_SENT,
	SC_COOKIES_VALID,
	SC_COOKIES_INVALID,
	SC_PROXIED,		/* real server answered: connection relayed */
	SC_SYN_RETRIES,		/* SYNs sent to a real server again */
	SC_RESETS,		/* clients reset: server refused or silent */
	SC_HELD,		/* client data held until the server answered */
	SC_ACK_DROPPED,		/* client segments dropped before that */
	SC_NONAT,		/* validated, but IPVS chose a non-NAT server */
	SC_NSTATS,
};

struct ip_vs_sc_cpu_stats {
	unsigned int	c[SC_NSTATS];
};

/*
 * A service's counters and its SYNs of the auto window, per CPU: a SYN
 * flood spread over the queues of a NIC must not bounce one cache line
 * between CPUs.  Counters wrap at 2^32 per CPU on 32-bit kernels, as the
 * /proc/net/stat ones do.
 */
struct ip_vs_sc_svc_cpu {
	unsigned long		cnt[IPVS_SYNCOOKIE_STATS_PAD];
	unsigned long		win_start;	/* window these SYNs belong to */
	unsigned int		win_syns;	/* not yet added to the shared count */
};

/*
 * SYNs a CPU counts before adding them to the service's window: engaging
 * is late by at most this many SYNs per CPU, and the shared count is
 * written once per this many.
 */
#define IP_VS_SC_WIN_BATCH	16

struct ip_vs_syncookie_svc {
	struct ip_vs_ext_svc	base;	/* must be first: freed through it */
	u8			mode;
	u16			rs_mss;	/* latest real server's MSS; 0: none */
	/* jiffies until which no timestamps are offered (a server has none) */
	unsigned long		rs_no_ts_until;
	/* auto mode: the one-second window, and the SYNs CPUs added to it */
	unsigned long		win_start;
	atomic_t		win_syns;
	unsigned long		engaged_until;
	struct ip_vs_sc_svc_cpu __percpu *pcpu;
};

struct ip_vs_syncookie_net {
	struct ip_vs_ext_svc_table svcs;
	struct net		*net;
	siphash_key_t		secret;	/* written under svcs.lock */
	struct ip_vs_sc_cpu_stats __percpu *stats;
	struct ip_vs_app	*app;	/* our helper in this netns; svcs.lock */
	unsigned long		*app_ports;	/* ports it is bound to; svcs.lock */
	unsigned int		app_nports;	/* their number; svcs.lock */
	bool			reap_fallback;	/* ip_vs_dos_reap refusing */
	atomic64_t		diverted;	/* SYNs answered for it */
	int			sysctl_threshold;	/* SYNs per second */
	int			sysctl_off_delay;	/* seconds */
	int			sysctl_syn_retries;
	int			sysctl_invalid_rst;
	struct ctl_table_header	*sysctl_hdr;
};

static unsigned int ip_vs_syncookie_net_id __read_mostly;

static struct ip_vs_syncookie_net *ip_vs_syncookie_pernet(struct net *net)
{
	return net_generic(net, ip_vs_syncookie_net_id);
}

static void ip_vs_sc_stat(struct ip_vs_syncookie_net *cn, int what)
{
	this_cpu_inc(cn->stats->c[what]);
}

static void ip_vs_sc_svc_count(struct ip_vs_syncookie_svc *cs, int what)
{
	this_cpu_inc(cs->pcpu->cnt[what]);
}

/*
 * Per proxied connection, in cp->app_data.  The handshake fields are
 * written under @lock while @state is WAIT and read-only once it is EST
 * (published with release/acquire), so relaying needs no lock.
 */
enum {
	IP_VS_SC_WAIT,		/* SYN sent to the real server */
	IP_VS_SC_EST,		/* relaying */
	IP_VS_SC_DEAD,		/* reset: drop the rest */
};

#define IP_VS_SC_MAX_HELD	8
/*
 * Ports our helper may be bound to in a netns.  A binding lasts as long as
 * the netns (below), IPVS allocates it without memory accounting, and it
 * lengthens IPVS's 16-bucket helper table, walked for every new
 * masquerading connection: bounded, far above what a director uses.
 */
#define IP_VS_SC_MAX_PORTS	1024
/* how long a real server answering without timestamps keeps them off */
#define IP_VS_SC_NO_TS_SECS	60

struct ip_vs_sc_conn {
	spinlock_t		lock;		/* handshake fields, state */
	refcount_t		refcnt;		/* the connection's, the timer's */
	struct ip_vs_conn	*cp;		/* NULL once IPVS let it go */
	struct net		*net;
	struct sk_buff		*syn;		/* the rewritten SYN, until IPVS took it */
	struct timer_list	timer;		/* SYN retries */
	struct sk_buff_head	held;
	union nf_inet_addr	caddr, vaddr;
	__be16			cport, vport;
	u16			af;
	u8			state;
	u8			retries;
	u64			claim;		/* its flow's claim until IPVS made a connection */
	u16			client_mss;
	u16			client_win;	/* window field of the client's ACK */
	u8			client_ws;	/* valid if ws_on */
	u8			server_ws;	/* valid if server_ws_on */
	u8			ws_on:1,	/* client offered window scaling */
				server_ws_on:1,
				sack_on:1,
				ts_on:1,	/* client offered timestamps */
				server_ts_on:1;
	u32			client_isn;
	u32			cookie_isn;
	u32			server_isn;
	u32			delta;		/* server ISN - cookie ISN */
	u32			client_tsval;	/* TSval of the client's ACK */
	u32			our_tsval;	/* TSval of our SYN-ACK (echoed) */
	u32			ts_off;		/* server TSval - our TSval */
};

/*
 * The connection being opened on this CPU: set by the LOCAL_IN hook right
 * before IPVS schedules the rewritten SYN, taken by init_conn when IPVS
 * creates the masquerading connection, in the same softirq.  Anything left
 * over at the next packet was not taken (no server, dropped, or non-NAT).
 */
static DEFINE_PER_CPU(struct ip_vs_sc_conn *, ip_vs_sc_pending);

/*
 * Flows whose cookie validated within the last second.  A client whose
 * SYN was sent again answers both SYN-ACKs, and its two ACKs may be
 * validated on two CPUs at once (a busy host stalls one of them for long):
 * both would miss IPVS's lookup and make two connections, relayed to two
 * real servers, for one client flow.  The first claims the flow here; the
 * other goes to the connection if there is one by then, or is dropped as
 * lost.  A claim ends when its relay state goes without a connection, or
 * after a second; a slot another flow holds is left alone (that flow is
 * then opened unclaimed).
 */
#define IP_VS_SC_CLAIM_BITS	12
#define IP_VS_SC_CLAIM_TTL	HZ

struct ip_vs_sc_claim_slot {
	u64		key;	/* 0: none */
	unsigned long	stamp;	/* jiffies */
};

static struct ip_vs_sc_claim_slot ip_vs_sc_claims[1 << IP_VS_SC_CLAIM_BITS];
static DEFINE_SPINLOCK(ip_vs_sc_claims_lock);

/* The flow of an ACK to the VIP, keyed as its relay state will be. */
static u64 ip_vs_sc_flow_key(const struct net *net, int af,
			     const struct ip_vs_iphdr *iph,
			     const struct tcphdr *th)
{
	struct {
		union nf_inet_addr	c, v;
		const struct net	*net;
		__be16			cport, vport;
		u32			af;
	} k;

	memset(&k, 0, sizeof(k));
	ip_vs_addr_copy(af, &k.c, &iph->saddr);
	ip_vs_addr_copy(af, &k.v, &iph->daddr);
	k.net = net;
	k.cport = th->source;
	k.vport = th->dest;
	k.af = af;
	return ((u64)jhash(&k, sizeof(k), 0) << 32 | jhash(&k, sizeof(k), 1)) | 1;
}

static struct ip_vs_sc_claim_slot *ip_vs_sc_claim_slot(u64 key)
{
	return &ip_vs_sc_claims[hash_64(key, IP_VS_SC_CLAIM_BITS)];
}

static int ip_vs_sc_claim_flow(u64 key)
{
	struct ip_vs_sc_claim_slot *slot = ip_vs_sc_claim_slot(key);
	unsigned long now = jiffies;
	int ret;

	spin_lock_bh(&ip_vs_sc_claims_lock);
	ret = ip_vs_sc_claim(slot->key, slot->stamp, key, now,
			     IP_VS_SC_CLAIM_TTL);
	if (ret == IP_VS_SC_CLAIMED) {
		slot->key = key;
		slot->stamp = now;
	}
	spin_unlock_bh(&ip_vs_sc_claims_lock);
	return ret;
}

static void ip_vs_sc_unclaim_flow(u64 key)
{
	struct ip_vs_sc_claim_slot *slot = ip_vs_sc_claim_slot(key);

	spin_lock_bh(&ip_vs_sc_claims_lock);
	if (slot->key == key)
		slot->key = 0;
	spin_unlock_bh(&ip_vs_sc_claims_lock);
}

static void ip_vs_sc_conn_put(struct ip_vs_sc_conn *sc)
{
	if (refcount_dec_and_test(&sc->refcnt)) {
		/* never a connection: its client may try again at once */
		if (sc->claim)
			ip_vs_sc_unclaim_flow(sc->claim);
		skb_queue_purge(&sc->held);
		kfree(sc);
	}
}

static void ip_vs_sc_reset_client(const struct ip_vs_sc_conn *sc);

/*
 * A validated connection IPVS did not take: it dropped the SYN (its
 * drop_packet defense, the reaper refusing, no memory) or left it to the
 * local stack.  Forget it, as if the ACK had been lost: the client's next
 * segment carries the same cookie and is validated again, so a refusal
 * that has passed lets it in.  IPVS answers the lack of a real server with
 * an ICMP error, which the LOCAL_OUT hook turns into a reset.
 */
static void ip_vs_sc_pending_drop(void)
{
	struct ip_vs_sc_conn *sc = this_cpu_xchg(ip_vs_sc_pending, NULL);

	if (sc)
		ip_vs_sc_conn_put(sc);
}

/* Cookies are keyed by the netns secret, not the host TCP stack's. */
static u32 ip_vs_sc_hash(struct ip_vs_syncookie_net *cn, int af,
			 const union nf_inet_addr *saddr,
			 const union nf_inet_addr *daddr,
			 __be16 sport, __be16 dport, u32 isn, u32 slot)
{
	struct {
		union nf_inet_addr	s, d;
		__be16			sp, dp;
		u32			isn, slot;
	} __aligned(SIPHASH_ALIGNMENT) in;

	memset(&in, 0, sizeof(in));
	if (af == AF_INET6) {
		in.s.in6 = saddr->in6;
		in.d.in6 = daddr->in6;
	} else {
		in.s.ip = saddr->ip;
		in.d.ip = daddr->ip;
	}
	in.sp = sport;
	in.dp = dport;
	in.isn = isn;
	in.slot = slot;
	return (u32)siphash(&in, sizeof(in), &cn->secret);
}

/* Wall clock: directors sharing a secret agree on it (NTP). */
static u32 ip_vs_sc_slot(void)
{
	return (u32)(ktime_get_real_seconds() / READ_ONCE(slot_secs));
}

static u32 ip_vs_sc_now_ms(void)
{
	return (u32)ktime_to_ms(ktime_get_real());
}

/* Reset the client of a connection that will not be relayed. */
static void ip_vs_sc_reset_client(const struct ip_vs_sc_conn *sc)
{
	ip_vs_ext_tcp_send(sc->net, sc->af, &sc->vaddr, &sc->caddr, sc->vport,
			   sc->cport, sc->cookie_isn + 1, sc->client_isn + 1,
			   TCPHDR_RST | TCPHDR_ACK, 0, NULL, 0);
}

/* The client's window, told to the server in the server's scale. */
static u16 ip_vs_sc_client_win(const struct ip_vs_sc_conn *sc, u16 win)
{
	if (sc->ws_on && !sc->server_ws_on)
		return ip_vs_sc_rescale_window(win, sc->client_ws, 0);
	return win;
}

/* The SYN to the real server, sent again: what IPVS's NAT made of ours. */
static void ip_vs_sc_send_syn(const struct ip_vs_sc_conn *sc,
			      const struct ip_vs_conn *cp)
{
	u8 opts[IP_VS_SC_OPTS_MAX];
	unsigned int n;

	n = ip_vs_sc_put_opts(opts, sc->client_mss, sc->ts_on, sc->client_tsval,
			      0, sc->ws_on, sc->client_ws, sc->sack_on);
	ip_vs_ext_tcp_send(sc->net, sc->af, &sc->caddr, &cp->daddr, sc->cport,
			   cp->dport, sc->client_isn, 0, TCPHDR_SYN,
			   ip_vs_sc_rescale_window(sc->client_win,
						   sc->ws_on ? sc->client_ws : 0,
						   0),
			   opts, n);
}

/* The third ACK of the real server's handshake, on the client's behalf. */
static void ip_vs_sc_ack_server(const struct ip_vs_sc_conn *sc,
				const struct ip_vs_conn *cp, u32 server_tsval)
{
	u8 opts[IP_VS_SC_OPTS_MAX];
	unsigned int n;

	n = ip_vs_sc_put_opts(opts, 0, sc->ts_on && sc->server_ts_on,
			      sc->client_tsval, server_tsval, 0, 0, 0);
	ip_vs_ext_tcp_send(sc->net, sc->af, &sc->caddr, &cp->daddr, sc->cport,
			   cp->dport, sc->client_isn + 1, sc->server_isn + 1,
			   TCPHDR_ACK, ip_vs_sc_client_win(sc, sc->client_win),
			   opts, n);
}

static void ip_vs_sc_timer(struct timer_list *t)
{
	struct ip_vs_sc_conn *sc = from_timer(sc, t, timer);
	struct ip_vs_syncookie_net *cn;
	struct ip_vs_conn *cp;
	bool rearmed = false;

	/* IPVS disabled: the netns is going, and our state with it */
	rcu_read_lock();
	spin_lock_bh(&sc->lock);
	cp = sc->cp;
	if (cp && sc->state == IP_VS_SC_WAIT && READ_ONCE(cp->ipvs->enable)) {
		cn = ip_vs_syncookie_pernet(sc->net);
		if (sc->retries < READ_ONCE(cn->sysctl_syn_retries)) {
			sc->retries++;
			ip_vs_sc_send_syn(sc, cp);
			ip_vs_sc_stat(cn, SC_SYN_RETRIES);
			mod_timer(&sc->timer, jiffies + (HZ << sc->retries));
			rearmed = true;
		} else {
			sc->state = IP_VS_SC_DEAD;
			ip_vs_sc_reset_client(sc);
			ip_vs_sc_stat(cn, SC_RESETS);
			/* IPVS frees it (and us) from its own timer */
			mod_timer_pending(&cp->timer, jiffies);
		}
	}
	spin_unlock_bh(&sc->lock);
	rcu_read_unlock();
	if (!rearmed)
		ip_vs_sc_conn_put(sc);
}

/*
 * Incremental checksum updates: pseudohdr false leaves a CHECKSUM_PARTIAL
 * header alone, as it must (the sum there covers the pseudo-header only).
 */
static void ip_vs_sc_set32(struct sk_buff *skb, struct tcphdr *th,
			   __be32 *field, __be32 to)
{
	inet_proto_csum_replace4(&th->check, skb, *field, to, false);
	*field = to;
}

/*
 * Translate the options of a relayed segment; the header up to its end is
 * writable.  The options start 4-byte aligned, so a sum over them is a
 * sum of the header's 16-bit words.
 */
static void ip_vs_sc_mangle_opts(struct sk_buff *skb, struct tcphdr *th,
				 u32 sack_add, u32 tsval_sub, u32 tsecr_add,
				 bool strip)
{
	unsigned int len = th->doff * 4 - sizeof(*th);
	u8 *p = (u8 *)(th + 1);
	__wsum before;

	if (!len)
		return;
	before = csum_partial(p, len, 0);
	if (strip)
		ip_vs_sc_strip_syn_opts(p, len);
	ip_vs_sc_xlate_opts(p, len, sack_add, tsval_sub, tsecr_add);
	inet_proto_csum_replace_by_diff(&th->check, skb,
					csum_sub(csum_partial(p, len, 0), before),
					false, false);
}

/* Client to server, once relaying. */
static void ip_vs_sc_xlate_in(const struct ip_vs_sc_conn *sc,
			      struct sk_buff *skb, struct tcphdr *th)
{
	if (th->ack)
		ip_vs_sc_set32(skb, th, &th->ack_seq,
			       htonl(ip_vs_sc_ack_to_server(ntohl(th->ack_seq),
							    sc->delta)));
	if (sc->ws_on && !sc->server_ws_on && !th->syn) {
		__be16 win = htons(ip_vs_sc_client_win(sc, ntohs(th->window)));

		inet_proto_csum_replace2(&th->check, skb, th->window, win, false);
		th->window = win;
	}
	if (sc->sack_on || sc->ts_on)
		ip_vs_sc_mangle_opts(skb, th, sc->delta, 0, sc->ts_off, false);
}

/*
 * Server to client.  The client was promised IP_VS_SC_WSCALE (or no
 * scaling) before the server's scale was known: windows are rescaled,
 * rounded down, so the client is never told more than the server allows.
 */
static void ip_vs_sc_xlate_out(const struct ip_vs_sc_conn *sc,
			       struct sk_buff *skb, struct tcphdr *th,
			       bool synack)
{
	u8 from = synack || !sc->server_ws_on ? 0 : sc->server_ws;
	u8 to = sc->ws_on ? IP_VS_SC_WSCALE : 0;
	__be32 *word = &tcp_flag_word(th);
	u32 seq = ntohl(th->seq);
	__be32 old = *word;

	seq = synack ? ip_vs_sc_update_seq(seq, sc->delta) :
		       ip_vs_sc_seq_to_client(seq, sc->delta);
	ip_vs_sc_set32(skb, th, &th->seq, htonl(seq));
	if (synack)
		th->syn = 0;
	if (from != to)
		th->window = htons(ip_vs_sc_rescale_window(ntohs(th->window),
							   from, to));
	if (*word != old)
		inet_proto_csum_replace4(&th->check, skb, old, *word, false);
	if (sc->ts_on || synack)
		ip_vs_sc_mangle_opts(skb, th, 0, sc->ts_off, 0, synack);
}

/*
 * Recompute the TCP checksum of a linear segment we send ourselves (a
 * held client segment, now addressed to the real server).
 */
static void ip_vs_sc_full_csum(struct sk_buff *skb, int af, unsigned int thoff)
{
	struct tcphdr *th = (struct tcphdr *)(skb->data + thoff);
	unsigned int len = skb->len - thoff;
	__wsum csum;

	th->check = 0;
	csum = skb_checksum(skb, thoff, len, 0);
	if (af == AF_INET6)
		th->check = csum_ipv6_magic(&ipv6_hdr(skb)->saddr,
					    &ipv6_hdr(skb)->daddr, len,
					    IPPROTO_TCP, csum);
	else
		th->check = tcp_v4_check(len, ip_hdr(skb)->saddr,
					 ip_hdr(skb)->daddr, csum);
	skb->ip_summed = CHECKSUM_NONE;
}

/*
 * Keep a copy of client data that came before the real server answered.
 * It is routed again on delivery (no netns references meanwhile).  Its
 * receive time goes, as IPVS clears it when forwarding: fq would read it
 * as a departure time beyond its horizon and drop the segment.  It leaves
 * after NAT, so an ICMP "too big" about it would quote the real server,
 * which the client ignores: it may be fragmented instead.
 */
static void ip_vs_sc_hold(struct ip_vs_syncookie_net *cn,
			  struct ip_vs_sc_conn *sc, const struct sk_buff *skb,
			  unsigned int thoff)
{
	struct sk_buff *copy = skb_copy(skb, GFP_ATOMIC);

	if (!copy)
		return;
	skb_dst_drop(copy);
	nf_reset_ct(copy);
	skb_clear_tstamp(copy);
	copy->ignore_df = 1;
	skb_set_transport_header(copy, thoff);
	__skb_queue_tail(&sc->held, copy);
	ip_vs_sc_stat(cn, SC_HELD);
}

/* Data the client sent before the server answered, now in order. */
static void ip_vs_sc_deliver_held(struct ip_vs_sc_conn *sc,
				  const struct ip_vs_conn *cp,
				  struct sk_buff_head *q)
{
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(q))) {
		unsigned int thoff = skb_transport_offset(skb);
		struct tcphdr *th = (struct tcphdr *)(skb->data + thoff);

		ip_vs_sc_xlate_in(sc, skb, th);
		th->dest = cp->dport;
		if (sc->af == AF_INET6) {
			ipv6_hdr(skb)->daddr = cp->daddr.in6;
		} else {
			ip_hdr(skb)->daddr = cp->daddr.ip;
			ip_send_check(ip_hdr(skb));
		}
		ip_vs_sc_full_csum(skb, sc->af, thoff);
		ip_vs_ext_tcp_xmit(sc->net, sc->af, skb, &sc->caddr, &cp->daddr);
	}
}

/* Learn the real servers' MSS, for the SYN-ACKs of later clients. */
static void ip_vs_sc_learn(struct ip_vs_syncookie_net *cn,
			   const struct ip_vs_sc_conn *sc,
			   const struct ip_vs_conn *cp, u16 mss)
{
	struct ip_vs_dest *dest = cp->dest;
	struct ip_vs_syncookie_svc *cs;
	struct ip_vs_ext_svc_key key;
	struct ip_vs_service *svc;
	struct ip_vs_ext_svc *s;

	if (!dest)
		return;
	svc = rcu_dereference(dest->svc);
	if (!svc)
		return;
	ip_vs_ext_svc_key_of(&key, svc);
	s = ip_vs_ext_svc_find(&cn->svcs, &key);
	if (!s)
		return;
	cs = container_of(s, struct ip_vs_syncookie_svc, base);
	/*
	 * The latest answer wins: one server with a small MSS lowers what
	 * later clients are told only until another answers, not for the
	 * service's life.  A client's segment too big for the way to its
	 * server is IPVS's: it answers "too big" before NAT.
	 */
	if (mss && mss != READ_ONCE(cs->rs_mss))
		WRITE_ONCE(cs->rs_mss, mss);
	/*
	 * Only a client with timestamps tells whether servers use them; once
	 * none is offered, a client a minute later asks again.
	 */
	if (sc->ts_on && !sc->server_ts_on)
		WRITE_ONCE(cs->rs_no_ts_until,
			   jiffies + IP_VS_SC_NO_TS_SECS * HZ);
	else if (sc->ts_on &&
		 time_before(jiffies, READ_ONCE(cs->rs_no_ts_until)))
		WRITE_ONCE(cs->rs_no_ts_until, jiffies);
	ip_vs_sc_svc_count(cs, IPVS_SYNCOOKIE_STATS_PROXIED);
}

/*
 * The real server's SYN-ACK: complete its handshake for the client, send
 * what the client sent meanwhile, and let IPVS pass the segment on as the
 * client's window update.  Called under sc->lock.
 */
static void ip_vs_sc_server_synack(struct ip_vs_sc_conn *sc,
				   struct ip_vs_conn *cp, struct sk_buff *skb,
				   struct tcphdr *th)
{
	struct ip_vs_syncookie_net *cn = ip_vs_syncookie_pernet(sc->net);
	struct ip_vs_sc_opts o;
	struct sk_buff_head q;

	ip_vs_sc_parse_opts((u8 *)(th + 1), th->doff * 4 - sizeof(*th), &o);
	sc->server_isn = ntohl(th->seq);
	sc->delta = sc->server_isn - sc->cookie_isn;
	sc->server_ws_on = o.has_wscale;
	sc->server_ws = o.wscale;
	sc->server_ts_on = o.has_ts;
	sc->ts_off = sc->ts_on && o.has_ts ? o.tsval - sc->our_tsval : 0;
	ip_vs_sc_ack_server(sc, cp, o.tsval);
	__skb_queue_head_init(&q);
	skb_queue_splice_init(&sc->held, &q);
	/* relaying from here: the fields above are final */
	smp_store_release(&sc->state, IP_VS_SC_EST);
	ip_vs_sc_deliver_held(sc, cp, &q);
	ip_vs_sc_learn(cn, sc, cp, o.mss);
	ip_vs_sc_stat(cn, SC_PROXIED);
	ip_vs_sc_xlate_out(sc, skb, th, true);
}

/* Make the TCP header up to its options writable; NULL if malformed. */
static struct tcphdr *ip_vs_sc_writable_th(struct sk_buff *skb,
					   unsigned int thoff)
{
	struct tcphdr *th = (struct tcphdr *)(skb->data + thoff);
	unsigned int hl = th->doff * 4;

	if (hl < sizeof(*th) || skb_ensure_writable(skb, thoff + hl))
		return NULL;
	return (struct tcphdr *)(skb->data + thoff);
}

/* Real server to client (IPVS's output path, before it restores the VIP). */
static int ip_vs_sc_pkt_out(struct ip_vs_app *app, struct ip_vs_conn *cp,
			    struct sk_buff *skb, int *diff,
			    struct ip_vs_iphdr *ipvsh)
{
	struct ip_vs_sc_conn *sc = cp->app_data;
	struct tcphdr *th;
	int ret = 0;

	*diff = 0;
	if (!sc)
		return 1;
	th = ip_vs_sc_writable_th(skb, ipvsh->len);
	if (!th)
		return 0;
	/* pairs with the release in ip_vs_sc_server_synack */
	if (smp_load_acquire(&sc->state) == IP_VS_SC_EST && !th->syn) {
		ip_vs_sc_xlate_out(sc, skb, th, false);
		return 1;
	}

	spin_lock_bh(&sc->lock);
	switch (sc->state) {
	case IP_VS_SC_WAIT:
		if (th->syn && th->ack &&
		    ntohl(th->ack_seq) == sc->client_isn + 1) {
			ip_vs_sc_server_synack(sc, cp, skb, th);
			ret = 1;
		} else if (th->rst) {
			/* refused: reset the client, in its sequence space */
			sc->state = IP_VS_SC_DEAD;
			ip_vs_sc_set32(skb, th, &th->seq, htonl(sc->cookie_isn + 1));
			ip_vs_sc_stat(ip_vs_syncookie_pernet(sc->net), SC_RESETS);
			ret = 1;
		}
		break;
	case IP_VS_SC_EST:
		/* the SYN-ACK again: our ACK was lost */
		if (th->syn && th->ack &&
		    ntohl(th->seq) == sc->server_isn) {
			struct ip_vs_sc_opts o;

			ip_vs_sc_parse_opts((u8 *)(th + 1),
					    th->doff * 4 - sizeof(*th), &o);
			ip_vs_sc_ack_server(sc, cp, o.tsval);
		}
		break;
	}
	spin_unlock_bh(&sc->lock);
	return ret;
}

/* Client to real server (IPVS's input path, before it NATs). */
static int ip_vs_sc_pkt_in(struct ip_vs_app *app, struct ip_vs_conn *cp,
			   struct sk_buff *skb, int *diff,
			   struct ip_vs_iphdr *ipvsh)
{
	struct ip_vs_sc_conn *sc = cp->app_data;
	unsigned int thoff = ipvsh->len;
	struct ip_vs_syncookie_net *cn;
	struct tcphdr *th;
	int ret = 0;

	*diff = 0;
	if (!sc)
		return 1;
	th = ip_vs_sc_writable_th(skb, thoff);
	if (!th)
		return 0;
	/* pairs with the release in ip_vs_sc_server_synack */
	if (smp_load_acquire(&sc->state) == IP_VS_SC_EST) {
		if (th->syn)
			return 0;
		ip_vs_sc_xlate_in(sc, skb, th);
		return 1;
	}

	cn = ip_vs_syncookie_pernet(sc->net);
	spin_lock_bh(&sc->lock);
	if (sc->state == IP_VS_SC_WAIT) {
		if (th->syn && !th->ack && ntohl(th->seq) == sc->client_isn) {
			/* our SYN on its way to the server */
			ret = 1;
		} else if (th->rst) {
			sc->state = IP_VS_SC_DEAD;
			ret = 1;
		} else if (skb->len > thoff + th->doff * 4 && !skb_is_gso(skb) &&
			   skb_queue_len(&sc->held) < IP_VS_SC_MAX_HELD) {
			ip_vs_sc_hold(cn, sc, skb, thoff);
		} else {
			ip_vs_sc_stat(cn, SC_ACK_DROPPED);
		}
	} else if (sc->state == IP_VS_SC_EST) {
		if (!th->syn) {
			ip_vs_sc_xlate_in(sc, skb, th);
			ret = 1;
		}
	}
	spin_unlock_bh(&sc->lock);
	return ret;
}

static bool ip_vs_sc_tuple_eq(const struct ip_vs_sc_conn *sc,
			      const struct ip_vs_conn *cp)
{
	return sc->net == cp->ipvs->net && sc->af == cp->af &&
	       sc->cport == cp->cport && sc->vport == cp->vport &&
	       ip_vs_addr_equal(sc->af, &sc->caddr, &cp->caddr) &&
	       ip_vs_addr_equal(sc->af, &sc->vaddr, &cp->vaddr);
}

/*
 * IPVS made a masquerading connection on one of our ports: if it is the
 * one the LOCAL_IN hook just validated, it is proxied.
 */
static int ip_vs_sc_init_conn(struct ip_vs_app *app, struct ip_vs_conn *cp)
{
	struct ip_vs_sc_conn *sc;

	/* connections from the sync daemon are made in process context */
	if (!in_softirq())
		return 0;
	sc = this_cpu_read(ip_vs_sc_pending);
	if (!sc || !ip_vs_sc_tuple_eq(sc, cp))
		return 0;
	this_cpu_write(ip_vs_sc_pending, NULL);
	sc->syn = NULL;
	sc->cp = cp;
	sc->claim = 0;	/* the claim now ends with its time */
	cp->app_data = sc;
	/* the pending reference becomes the connection's; one for the timer */
	refcount_inc(&sc->refcnt);
	mod_timer(&sc->timer, jiffies + HZ);
	return 0;
}

static int ip_vs_sc_done_conn(struct ip_vs_app *app, struct ip_vs_conn *cp)
{
	struct ip_vs_sc_conn *sc = cp->app_data;

	if (!sc)
		return 0;
	cp->app_data = NULL;
	spin_lock_bh(&sc->lock);
	sc->cp = NULL;
	spin_unlock_bh(&sc->lock);
	if (del_timer_sync(&sc->timer))
		ip_vs_sc_conn_put(sc);
	ip_vs_sc_conn_put(sc);
	return 0;
}

static struct ip_vs_app ip_vs_sc_app = {
	.name		= "syncookie",
	.type		= 0,
	.protocol	= IPPROTO_TCP,
	.module		= THIS_MODULE,
	.incs_list	= LIST_HEAD_INIT(ip_vs_sc_app.incs_list),
	.init_conn	= ip_vs_sc_init_conn,
	.done_conn	= ip_vs_sc_done_conn,
	.pkt_out	= ip_vs_sc_pkt_out,
	.pkt_in		= ip_vs_sc_pkt_in,
};

/* auto: engaged while SYNs without a connection exceed the threshold. */
static bool ip_vs_sc_engaged(struct ip_vs_syncookie_net *cn,
			     struct ip_vs_syncookie_svc *cs, bool count)
{
	unsigned long now = jiffies, start, until;
	struct ip_vs_sc_svc_cpu *c;
	unsigned int n;

	if (!count)
		return time_before(now, READ_ONCE(cs->engaged_until));
	start = READ_ONCE(cs->win_start);
	if (time_after_eq(now, start + HZ)) {
		/* the first CPU to see the window over starts the next */
		if (cmpxchg(&cs->win_start, start, now) == start)
			atomic_set(&cs->win_syns, 0);
		start = READ_ONCE(cs->win_start);
	}
	/* preemptible when reinjected from NFQUEUE: a lost count is harmless */
	c = get_cpu_ptr(cs->pcpu);
	if (c->win_start != start) {
		c->win_start = start;
		c->win_syns = 0;
	}
	n = ++c->win_syns;
	if (n == IP_VS_SC_WIN_BATCH)
		c->win_syns = 0;
	put_cpu_ptr(cs->pcpu);
	if (n == IP_VS_SC_WIN_BATCH)
		n = atomic_add_return(n, &cs->win_syns);
	else
		n += atomic_read(&cs->win_syns);
	if (n > READ_ONCE(cn->sysctl_threshold)) {
		/* written once per jiffy at most, not once per SYN */
		until = now + READ_ONCE(cn->sysctl_off_delay) * HZ;
		if (READ_ONCE(cs->engaged_until) != until)
			WRITE_ONCE(cs->engaged_until, until);
	}
	return time_before(now, READ_ONCE(cs->engaged_until));
}

static u16 ip_vs_sc_our_mss(int af, const struct ip_vs_syncookie_svc *cs)
{
	u16 mss = READ_ONCE(cs->rs_mss);

	if (mss)
		return mss;
	return af == AF_INET6 ? 1440 : 1460;
}

/* Answer a SYN with a cookie; nothing is kept. */
static unsigned int ip_vs_sc_syn(struct ip_vs_syncookie_net *cn,
				 struct ip_vs_syncookie_svc *cs, int af,
				 struct sk_buff *skb,
				 const struct ip_vs_iphdr *iph,
				 const struct tcphdr *th, const u8 *rawopts)
{
	u32 isn = ntohl(th->seq), cookie, tsval = 0;
	u8 opts[IP_VS_SC_OPTS_MAX];
	struct ip_vs_sc_opts o;
	unsigned int n;

	ip_vs_sc_parse_opts(rawopts, th->doff * 4 - sizeof(*th), &o);
	cookie = ip_vs_sc_cookie(isn, ip_vs_sc_hash(cn, af, &iph->saddr,
						    &iph->daddr, th->source,
						    th->dest, isn,
						    ip_vs_sc_slot()),
				 ip_vs_sc_mss_index(o.mss ? o.mss : 536));
	/*
	 * Timestamps are promised only while the real servers use them: a
	 * server without them would send the client segments without the
	 * option it negotiated, which RFC 7323 (3.2) lets a client drop.
	 * Without timestamps, scaling and SACK cannot be remembered.
	 */
	if (time_before(jiffies, READ_ONCE(cs->rs_no_ts_until)))
		o.has_ts = 0;
	if (!o.has_ts) {
		o.has_wscale = 0;
		o.sack_ok = 0;
	}
	if (o.has_ts)
		tsval = ip_vs_sc_ts_encode(ip_vs_sc_now_ms(), &o);
	n = ip_vs_sc_put_opts(opts, ip_vs_sc_our_mss(af, cs), o.has_ts, tsval,
			      o.tsval, o.has_wscale, IP_VS_SC_WSCALE, o.sack_ok);
	/* window 0: the client waits for the real server's window */
	ip_vs_ext_tcp_send(cn->net, af, &iph->daddr, &iph->saddr, th->dest,
			   th->source, cookie, isn + 1, TCPHDR_SYN | TCPHDR_ACK,
			   0, opts, n);
	ip_vs_sc_stat(cn, SC_COOKIES_SENT);
	ip_vs_sc_svc_count(cs, IPVS_SYNCOOKIE_STATS_SENT);
	consume_skb(skb);
	return NF_STOLEN;
}

/*
 * Rewrite a validated ACK in place into the client's SYN: its ISN, the
 * options the cookie and the timestamp carried, no payload (held apart).
 */
static int ip_vs_sc_make_syn(struct sk_buff *skb, int af, unsigned int thoff,
			     const struct ip_vs_sc_conn *sc)
{
	u8 opts[IP_VS_SC_OPTS_MAX];
	unsigned int n, tcplen;
	struct tcphdr *th;
	__wsum csum;

	if (skb_unclone(skb, GFP_ATOMIC))
		return -ENOMEM;
	n = ip_vs_sc_put_opts(opts, sc->client_mss, sc->ts_on, sc->client_tsval,
			      0, sc->ws_on, sc->client_ws, sc->sack_on);
	tcplen = sizeof(*th) + n;
	if (pskb_trim(skb, thoff) || skb_linearize(skb))
		return -ENOMEM;
	if (skb_tailroom(skb) < tcplen &&
	    pskb_expand_head(skb, 0, tcplen - skb_tailroom(skb), GFP_ATOMIC))
		return -ENOMEM;
	skb_gso_reset(skb);
	skb_set_transport_header(skb, thoff);
	th = skb_put_zero(skb, tcplen);
	th->source = sc->cport;
	th->dest = sc->vport;
	th->seq = htonl(sc->client_isn);
	th->syn = 1;
	th->doff = tcplen / 4;
	th->window = htons(ip_vs_sc_rescale_window(sc->client_win,
						   sc->ws_on ? sc->client_ws : 0,
						   0));
	memcpy(th + 1, opts, n);
	csum = csum_partial(th, tcplen, 0);
	if (af == AF_INET6) {
		struct ipv6hdr *ip6h = ipv6_hdr(skb);

		ip6h->payload_len = htons(skb->len - skb_network_offset(skb) -
					  sizeof(*ip6h));
		th->check = csum_ipv6_magic(&ip6h->saddr, &ip6h->daddr, tcplen,
					    IPPROTO_TCP, csum);
	} else {
		struct iphdr *iph = ip_hdr(skb);

		iph->tot_len = htons(skb->len - skb_network_offset(skb));
		ip_send_check(iph);
		th->check = tcp_v4_check(tcplen, iph->saddr, iph->daddr, csum);
	}
	skb->ip_summed = CHECKSUM_NONE;
	return 0;
}

/* The MSS index of the cookie @ack - 1 if @isn was its client's ISN, or -1. */
static int ip_vs_sc_ack_cookie(struct ip_vs_syncookie_net *cn, int af,
			       const struct ip_vs_iphdr *iph,
			       const struct tcphdr *th, u32 isn, u32 ack)
{
	u32 slot = ip_vs_sc_slot();

	return ip_vs_sc_check(isn + 1, ack,
			      ip_vs_sc_hash(cn, af, &iph->saddr, &iph->daddr,
					    th->source, th->dest, isn, slot),
			      ip_vs_sc_hash(cn, af, &iph->saddr, &iph->daddr,
					    th->source, th->dest, isn,
					    slot - 1));
}

/* An ACK without a connection: a cookie, or nothing of ours. */
/*
 * The relay state of a connection whose cookie validated: the client's
 * ISN, and the MSS and options its SYN offered, as the cookie and the
 * timestamp echoed in @th carry them.
 */
static struct ip_vs_sc_conn *
ip_vs_sc_conn_new(struct ip_vs_syncookie_net *cn, int af,
		  const struct ip_vs_iphdr *iph, const struct tcphdr *th,
		  const u8 *rawopts, u32 isn, int mss_idx)
{
	struct ip_vs_sc_conn *sc;
	struct ip_vs_sc_opts o;

	sc = kzalloc(sizeof(*sc), GFP_ATOMIC);
	if (!sc)
		return NULL;
	spin_lock_init(&sc->lock);
	refcount_set(&sc->refcnt, 1);
	timer_setup(&sc->timer, ip_vs_sc_timer, 0);
	skb_queue_head_init(&sc->held);
	sc->net = cn->net;
	sc->af = af;
	ip_vs_addr_copy(af, &sc->caddr, &iph->saddr);
	ip_vs_addr_copy(af, &sc->vaddr, &iph->daddr);
	sc->cport = th->source;
	sc->vport = th->dest;
	sc->state = IP_VS_SC_WAIT;
	sc->client_isn = isn;
	sc->cookie_isn = ntohl(th->ack_seq) - 1;
	sc->client_mss = ip_vs_sc_mss_table[mss_idx];
	sc->client_win = ntohs(th->window);
	ip_vs_sc_parse_opts(rawopts, th->doff * 4 - sizeof(*th), &o);
	if (o.has_ts) {
		struct ip_vs_sc_opts from_ts;

		ip_vs_sc_ts_decode(o.tsecr, &from_ts);
		sc->ts_on = 1;
		sc->client_tsval = o.tsval;
		sc->our_tsval = o.tsecr;
		sc->ws_on = from_ts.has_wscale;
		sc->client_ws = from_ts.wscale;
		sc->sack_on = from_ts.sack_ok;
	}
	return sc;
}

/*
 * Another CPU is opening this ACK's flow: the ACK goes to the connection
 * if IPVS has made it by now, and is dropped as lost otherwise.
 */
static unsigned int ip_vs_sc_busy_flow(struct ip_vs_syncookie_net *cn, int af,
				       struct sk_buff *skb,
				       const struct ip_vs_iphdr *iph)
{
	struct ip_vs_conn *cp;

	cp = ip_vs_conn_in_get_proto(net_ipvs(cn->net), af, skb, iph);
	if (cp) {
		__ip_vs_conn_put(cp);
		return NF_ACCEPT;
	}
	ip_vs_sc_stat(cn, SC_ACK_DROPPED);
	return NF_DROP;
}

static unsigned int ip_vs_sc_ack(struct ip_vs_syncookie_net *cn,
				 struct ip_vs_syncookie_svc *cs, int af,
				 struct sk_buff *skb,
				 const struct ip_vs_iphdr *iph,
				 const struct tcphdr *th, const u8 *rawopts,
				 bool engaged)
{
	u32 seq = ntohl(th->seq), ack = ntohl(th->ack_seq), isn = seq - 1;
	unsigned int thoff = iph->len, hl = th->doff * 4;
	struct ip_vs_sc_conn *sc;
	int idx, claim;
	u64 key;

	idx = ip_vs_sc_ack_cookie(cn, af, iph, th, isn, ack);
	/*
	 * A client whose third ACK was lost has its first data queued behind
	 * our zero window and sends window probes, which carry snd_una - 1:
	 * its ISN itself (tcp_xmit_probe_skb).  Without this second look the
	 * connection would hang until the client gave up.
	 */
	if (idx < 0 && skb->len == thoff + hl) {
		isn = seq;
		idx = ip_vs_sc_ack_cookie(cn, af, iph, th, isn, ack);
	}
	if (idx < 0) {
		/* auto, idle: a stray ACK is none of our business */
		if (!engaged)
			return NF_ACCEPT;
		ip_vs_sc_stat(cn, SC_COOKIES_INVALID);
		ip_vs_sc_svc_count(cs, IPVS_SYNCOOKIE_STATS_INVALID);
		if (READ_ONCE(cn->sysctl_invalid_rst))
			ip_vs_ext_tcp_send(cn->net, af, &iph->daddr,
					   &iph->saddr, th->dest, th->source,
					   ack, 0, TCPHDR_RST, 0, NULL, 0);
		return NF_DROP;
	}
	/*
	 * Unlike IPVS's NAT handlers, we rewrite this segment with a full
	 * checksum and may hold its payload: a corrupted one must not
	 * become valid on the way.
	 */
	if (nf_checksum(skb, NF_INET_LOCAL_IN, thoff, IPPROTO_TCP,
			af == AF_INET6 ? NFPROTO_IPV6 : NFPROTO_IPV4))
		return NF_DROP;
	/*
	 * The pending slot is per CPU and lives until IPVS forwarded the SYN,
	 * with softirqs off.  A packet reinjected by a task (NFQUEUE verdict)
	 * runs the hooks with them on: treat its ACK as lost.
	 */
	if (!in_softirq())
		return NF_DROP;
	ip_vs_sc_stat(cn, SC_COOKIES_VALID);
	ip_vs_sc_svc_count(cs, IPVS_SYNCOOKIE_STATS_VALID);

	key = ip_vs_sc_flow_key(cn->net, af, iph, th);
	claim = ip_vs_sc_claim_flow(key);
	if (claim == IP_VS_SC_CLAIM_BUSY)
		return ip_vs_sc_busy_flow(cn, af, skb, iph);
	sc = ip_vs_sc_conn_new(cn, af, iph, th, rawopts, isn, idx);
	if (!sc) {
		if (claim == IP_VS_SC_CLAIMED)
			ip_vs_sc_unclaim_flow(key);
		return NF_DROP;
	}
	if (claim == IP_VS_SC_CLAIMED)
		sc->claim = key;
	/* data with the third ACK waits for the server, like later data */
	if (skb->len > thoff + hl && !skb_is_gso(skb))
		ip_vs_sc_hold(cn, sc, skb, thoff);
	if (ip_vs_sc_make_syn(skb, af, thoff, sc)) {
		ip_vs_sc_conn_put(sc);
		return NF_DROP;
	}
	sc->syn = skb;
	ip_vs_sc_pending_drop();
	this_cpu_write(ip_vs_sc_pending, sc);
	return NF_ACCEPT;
}

/*
 * An ICMP error to the VIP about a segment we relayed to a client carries
 * that segment's sequence number in the client's space; the real server
 * ignores errors whose sequence number is outside its window (tcp_v4_err,
 * tcp_v6_err), which would break path MTU discovery.  IPVS forwards the
 * error to the real server with the addresses translated; the sequence
 * number is ours to translate, before it does.
 */
static void ip_vs_sc_icmp(struct ip_vs_syncookie_net *cn, int af,
			  struct sk_buff *skb, const struct ip_vs_iphdr *iph)
{
	unsigned int inner = iph->len + 8, tcpoff;
	union nf_inet_addr caddr, vaddr;
	struct ip_vs_conn_param p;
	struct ip_vs_sc_conn *sc;
	struct ip_vs_conn *cp;
	const __be16 *ports;
	__be16 _ports[2];
	u8 type, _type;
	const u8 *tp;

	tp = skb_header_pointer(skb, iph->len, 1, &_type);
	if (!tp)
		return;
	type = *tp;
	if (af == AF_INET6) {
		struct ipv6hdr _ip6h;
		const struct ipv6hdr *ip6h;

		/* errors are types 1-4; only TCP right after the header */
		if (type < ICMPV6_DEST_UNREACH || type > ICMPV6_PARAMPROB)
			return;
		ip6h = skb_header_pointer(skb, inner, sizeof(_ip6h), &_ip6h);
		if (!ip6h || ip6h->nexthdr != IPPROTO_TCP)
			return;
		vaddr.in6 = ip6h->saddr;
		caddr.in6 = ip6h->daddr;
		tcpoff = inner + sizeof(*ip6h);
	} else {
		struct iphdr _ih;
		const struct iphdr *ih;

		if (type != ICMP_DEST_UNREACH && type != ICMP_TIME_EXCEEDED &&
		    type != ICMP_PARAMETERPROB)
			return;
		ih = skb_header_pointer(skb, inner, sizeof(_ih), &_ih);
		if (!ih || ih->protocol != IPPROTO_TCP || ih->ihl < 5 ||
		    ih->frag_off & htons(IP_OFFSET))
			return;
		vaddr.ip = ih->saddr;
		caddr.ip = ih->daddr;
		tcpoff = inner + ih->ihl * 4;
	}
	ports = skb_header_pointer(skb, tcpoff, sizeof(_ports), _ports);
	if (!ports)
		return;
	ip_vs_conn_fill_param(net_ipvs(cn->net), af, IPPROTO_TCP, &caddr,
			      ports[1], &vaddr, ports[0], &p);
	cp = ip_vs_conn_in_get(&p);
	if (!cp)
		return;
	sc = cp->app && cp->app->init_conn == ip_vs_sc_init_conn ?
	     cp->app_data : NULL;
	/* pairs with the release in ip_vs_sc_server_synack */
	if (sc && smp_load_acquire(&sc->state) == IP_VS_SC_EST &&
	    !skb_ensure_writable(skb, tcpoff + 8)) {
		__be32 *seq = (__be32 *)(skb->data + tcpoff + 4);
		__sum16 *check = (__sum16 *)(skb->data + iph->len + 2);
		__be32 to = htonl(ntohl(*seq) + sc->delta);

		/* the message's sum stays the same: a COMPLETE csum holds */
		csum_replace4(check, *seq, to);
		*seq = to;
	}
	__ip_vs_conn_put(cp);
}

/*
 * The cookie service of a SYN (@syn) or a pure ACK (!@syn) that has no IPVS
 * connection, or NULL: packets of existing connections go on to IPVS (and
 * to our helper), everything else is none of ours.
 */
static struct ip_vs_syncookie_svc *
ip_vs_sc_lookup(struct ip_vs_syncookie_net *cn, int af, struct sk_buff *skb,
		struct ip_vs_iphdr *iph, struct tcphdr *_th,
		const struct tcphdr **thp, bool syn)
{
	struct netns_ipvs *ipvs = net_ipvs(cn->net);
	struct ip_vs_syncookie_svc *cs;
	const struct tcphdr *th;
	struct ip_vs_ext_svc *s;
	struct ip_vs_conn *cp;

	if (!READ_ONCE(cn->svcs.count))
		return NULL;
	if (unlikely(!ipvs || !ipvs->enable) || skb->pkt_type != PACKET_HOST)
		return NULL;
	if (!ip_vs_fill_iph_skb(af, skb, false, iph))
		return NULL;
	if ((af == AF_INET && ip_is_fragment(ip_hdr(skb))) || iph->fragoffs)
		return NULL;
	if (iph->protocol == (af == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP)) {
		if (!syn && READ_ONCE(cn->app))
			ip_vs_sc_icmp(cn, af, skb, iph);
		return NULL;
	}
	if (iph->protocol != IPPROTO_TCP)
		return NULL;
	th = skb_header_pointer(skb, iph->len, sizeof(*_th), _th);
	/*
	 * SYN+ACK is the SYN hook's: IPVS would schedule it like a SYN; a
	 * segment with neither SYN nor ACK is the ACK hook's: IPVS schedules
	 * it with sloppy_tcp=1.
	 */
	if (!th || th->rst || th->syn != syn)
		return NULL;
	s = ip_vs_ext_svc_find_pkt(&cn->svcs, af, skb->mark, IPPROTO_TCP,
				   &iph->daddr, th->dest);
	if (!s)
		return NULL;
	cs = container_of(s, struct ip_vs_syncookie_svc, base);
	if (READ_ONCE(cs->mode) == IPVS_SYNCOOKIE_MODE_OFF)
		return NULL;
	cp = ip_vs_conn_in_get_proto(ipvs, af, skb, iph);
	if (cp) {
		__ip_vs_conn_put(cp);
		return NULL;
	}
	*thp = th;
	return cs;
}

/* The options of @th, or NULL if the header is malformed. */
static const u8 *ip_vs_sc_opts(struct sk_buff *skb,
			       const struct ip_vs_iphdr *iph,
			       const struct tcphdr *th, u8 *buf)
{
	if (th->doff * 4 < sizeof(*th))
		return NULL;
	return skb_header_pointer(skb, iph->len + sizeof(*th),
				  th->doff * 4 - sizeof(*th), buf);
}

/*
 * LOCAL_IN 95 (@syn) and 97 (!@syn).  At 95, before the reaper and IPVS, a
 * SYN to a cookie service is answered, so the reaper never refuses it (its
 * cookie fallback).  At 97, after the reaper's decision (96) and before
 * IPVS schedules (99), an ACK without a connection is checked for a
 * cookie, so that the SYN made of it is not refused by the reaper.
 * ip_vs_persist_ext's hook shares 97: it acts on packets of existing
 * connections only.
 */
static unsigned int ip_vs_sc_hook(const struct nf_hook_state *state,
				  struct sk_buff *skb, bool syn)
{
	struct ip_vs_syncookie_net *cn = ip_vs_syncookie_pernet(state->net);
	int af = state->pf == NFPROTO_IPV6 ? AF_INET6 : AF_INET;
	u8 _opts[MAX_TCP_OPTION_SPACE];
	struct ip_vs_syncookie_svc *cs;
	const struct tcphdr *th;
	struct ip_vs_iphdr iph;
	struct tcphdr _th;
	const u8 *opts;
	bool engaged;

	cs = ip_vs_sc_lookup(cn, af, skb, &iph, &_th, &th, syn);
	if (!cs)
		return NF_ACCEPT;
	opts = ip_vs_sc_opts(skb, &iph, th, _opts);
	/* no client sends these first: a flood of them must not open entries */
	if (!opts || (syn && (th->fin || th->ack)) || (!syn && !th->ack))
		return NF_DROP;
	/*
	 * With sloppy_tcp, IPVS opens an entry for an ACK without one too:
	 * such ACKs count like SYNs, or a flood of spoofed ones would make
	 * state per packet and never engage the cookies that drop them.
	 */
	engaged = READ_ONCE(cs->mode) == IPVS_SYNCOOKIE_MODE_ON ||
		  ip_vs_sc_engaged(cn, cs, syn ||
				   sysctl_sloppy_tcp(net_ipvs(state->net)));
	if (!syn) {
		/* cookies of an auto service stay valid after it disengaged */
		return ip_vs_sc_ack(cn, cs, af, skb, &iph, th, opts,
				    engaged || READ_ONCE(cn->reap_fallback));
	}
	ip_vs_sc_stat(cn, SC_SYN_RECEIVED);
	ip_vs_sc_svc_count(cs, IPVS_SYNCOOKIE_STATS_SYN);
	if (!engaged) {
		if (!READ_ONCE(cn->reap_fallback))
			return NF_ACCEPT;
		atomic64_inc(&cn->diverted);
	}
	return ip_vs_sc_syn(cn, cs, af, skb, &iph, th, opts);
}

static unsigned int ip_vs_sc_syn_hook(void *priv, struct sk_buff *skb,
				      const struct nf_hook_state *state)
{
	return ip_vs_sc_hook(state, skb, true);
}

static unsigned int ip_vs_sc_ack_hook(void *priv, struct sk_buff *skb,
				      const struct nf_hook_state *state)
{
	return ip_vs_sc_hook(state, skb, false);
}

/* Is @skb IPVS's ICMP "unreachable" to the client of @sc? */
static bool ip_vs_sc_unreach_to(const struct ip_vs_sc_conn *sc,
				struct sk_buff *skb)
{
	unsigned int off;
	const u8 *type;
	u8 _type;

	if (sc->af == AF_INET6) {
		const struct ipv6hdr *ip6h = ipv6_hdr(skb);

		if (ip6h->nexthdr != IPPROTO_ICMPV6 ||
		    !ipv6_addr_equal(&ip6h->daddr, &sc->caddr.in6))
			return false;
		off = sizeof(*ip6h);
	} else {
		const struct iphdr *iph = ip_hdr(skb);

		if (iph->protocol != IPPROTO_ICMP || iph->daddr != sc->caddr.ip)
			return false;
		off = iph->ihl * 4;
	}
	type = skb_header_pointer(skb, skb_network_offset(skb) + off, 1, &_type);
	return type && *type == (sc->af == AF_INET6 ? ICMPV6_DEST_UNREACH :
						       ICMP_DEST_UNREACH);
}

/*
 * Is @skb, leaving, the SYN made for @sc, still addressed to the virtual
 * service (a direct-routing server, or the inner header of a tunnel)?  A
 * masquerading connection made of it by another CPU (the same client's ACK
 * validated twice) has it addressed to the real server.  Its content is
 * compared, not only its address: IPVS may have freed that SYN, and the
 * same memory may carry another packet now.
 */
static bool ip_vs_sc_is_our_syn(const struct ip_vs_sc_conn *sc,
				struct sk_buff *skb)
{
	unsigned int nhoff, thoff;
	const struct tcphdr *th;
	struct tcphdr _th;

	if (sc->syn != skb || !skb->ipvs_property)
		return false;
	nhoff = skb->encapsulation ? skb_inner_network_offset(skb) :
				     skb_network_offset(skb);
	if (sc->af == AF_INET6) {
		struct ipv6hdr _ip6h;
		const struct ipv6hdr *ip6h;

		ip6h = skb_header_pointer(skb, nhoff, sizeof(_ip6h), &_ip6h);
		if (!ip6h || ip6h->nexthdr != IPPROTO_TCP ||
		    !ipv6_addr_equal(&ip6h->daddr, &sc->vaddr.in6))
			return false;
		thoff = nhoff + sizeof(*ip6h);
	} else {
		struct iphdr _iph;
		const struct iphdr *iph;

		iph = skb_header_pointer(skb, nhoff, sizeof(_iph), &_iph);
		if (!iph || iph->protocol != IPPROTO_TCP ||
		    iph->daddr != sc->vaddr.ip)
			return false;
		thoff = nhoff + iph->ihl * 4;
	}
	th = skb_header_pointer(skb, thoff, sizeof(_th), &_th);
	return th && th->syn && !th->ack && th->source == sc->cport &&
	       th->dest == sc->vport && ntohl(th->seq) == sc->client_isn;
}

/*
 * LOCAL_OUT, last: what became of the SYN made of a validated ACK, when
 * IPVS did not make a masquerading connection of it (which takes the
 * pending slot).  Leaving for a direct-routing or tunnel server, whose
 * replies bypass us, it is dropped; with no real server available, IPVS
 * answers it with an ICMP unreachable, which the client (established, as
 * far as it knows) would ignore.  Either way the client is reset rather
 * than left hanging.  The slot is only meaningful with softirqs off, where
 * IPVS forwards that SYN: a task sending with them on (tcp_sendmsg) may be
 * interrupted by one that frees the slot's entry.
 */
static unsigned int ip_vs_sc_out_hook(void *priv, struct sk_buff *skb,
				      const struct nf_hook_state *state)
{
	struct ip_vs_sc_conn *sc;
	int what;

	if (!in_softirq())
		return NF_ACCEPT;
	sc = this_cpu_read(ip_vs_sc_pending);
	if (likely(!sc) || sc->net != state->net)
		return NF_ACCEPT;
	if (ip_vs_sc_is_our_syn(sc, skb))
		what = SC_NONAT;
	else if (ip_vs_sc_unreach_to(sc, skb))
		what = SC_RESETS;
	else
		return NF_ACCEPT;
	this_cpu_write(ip_vs_sc_pending, NULL);
	ip_vs_sc_reset_client(sc);
	ip_vs_sc_stat(ip_vs_syncookie_pernet(sc->net), what);
	ip_vs_sc_conn_put(sc);
	return NF_DROP;
}

static const struct nf_hook_ops ip_vs_sc_ops[] = {
	{
		.hook		= ip_vs_sc_syn_hook,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_LOCAL_IN,
		.priority	= IP_VS_EXT_PRI_SC_SYN,
	},
	{
		.hook		= ip_vs_sc_ack_hook,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_LOCAL_IN,
		.priority	= IP_VS_EXT_PRI_SC_ACK,
	},
	{
		.hook		= ip_vs_sc_out_hook,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_LOCAL_OUT,
		.priority	= IP_VS_EXT_PRI_SC_OUT,
	},
#if IS_ENABLED(CONFIG_IPV6)
	{
		.hook		= ip_vs_sc_syn_hook,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_LOCAL_IN,
		.priority	= IP_VS_EXT_PRI_SC_SYN,
	},
	{
		.hook		= ip_vs_sc_ack_hook,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_LOCAL_IN,
		.priority	= IP_VS_EXT_PRI_SC_ACK,
	},
	{
		.hook		= ip_vs_sc_out_hook,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_LOCAL_OUT,
		.priority	= IP_VS_EXT_PRI_SC_OUT,
	},
#endif
};

/*
 * ip_vs_dos_reap, while refusing with reap_cookie_fallback=1, has the SYNs
 * of every auto service answered with cookies instead of refused, through
 * the core, so that neither module needs the other.  Returns how many SYNs
 * were answered so far because of it.
 */
static u64 ip_vs_sc_reap_fallback(struct net *net, bool on)
{
	struct ip_vs_syncookie_net *cn = ip_vs_syncookie_pernet(net);

	WRITE_ONCE(cn->reap_fallback, on);
	return atomic64_read(&cn->diverted);
}

static const struct ip_vs_ext_cookie_fallback ip_vs_sc_fallback = {
	.set	= ip_vs_sc_reap_fallback,
};

static const char * const ip_vs_sc_stat_names[] = {
	"syn_received", "cookies_sent", "cookies_valid", "cookies_invalid",
	"proxied", "syn_retries", "resets", "held", "ack_dropped", "nonat",
};

/* /proc/net/stat convention: names, then one line of hex per CPU. */
static int ip_vs_sc_stat_show(struct seq_file *seq, void *v)
{
	struct ip_vs_syncookie_net *cn =
		ip_vs_syncookie_pernet(seq_file_single_net(seq));
	unsigned int i, cpu;

	BUILD_BUG_ON(ARRAY_SIZE(ip_vs_sc_stat_names) != SC_NSTATS);
	for (i = 0; i < ARRAY_SIZE(ip_vs_sc_stat_names); i++)
		seq_printf(seq, "%s%s", i ? " " : "", ip_vs_sc_stat_names[i]);
	seq_putc(seq, '\n');
	for_each_possible_cpu(cpu) {
		const struct ip_vs_sc_cpu_stats *st = per_cpu_ptr(cn->stats, cpu);

		for (i = 0; i < SC_NSTATS; i++)
			seq_printf(seq, "%s%08x", i ? " " : "", st->c[i]);
		seq_putc(seq, '\n');
	}
	return 0;
}

/* Defaults of the sysctls in every netns, as docs/sysctl.md gives them. */
#define IP_VS_SC_DEF_THRESHOLD		1000	/* SYNs per second */
#define IP_VS_SC_DEF_OFF_DELAY		30	/* seconds */
#define IP_VS_SC_DEF_SYN_RETRIES	3

static int ip_vs_syncookie_threshold_max = 10000000;
static int ip_vs_syncookie_off_delay_max = 3600;
static int ip_vs_syncookie_syn_retries_max = 10;

static const struct ctl_table ip_vs_syncookie_sysctl_tmpl[] = {
	{
		.procname	= "syncookie_threshold",
		.data		= IP_VS_EXT_SYSCTL_DATA(struct ip_vs_syncookie_net,
							sysctl_threshold),
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ONE,
		.extra2		= &ip_vs_syncookie_threshold_max,
	},
	{
		.procname	= "syncookie_off_delay",
		.data		= IP_VS_EXT_SYSCTL_DATA(struct ip_vs_syncookie_net,
							sysctl_off_delay),
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ONE,
		.extra2		= &ip_vs_syncookie_off_delay_max,
	},
	{
		.procname	= "syncookie_syn_retries",
		.data		= IP_VS_EXT_SYSCTL_DATA(struct ip_vs_syncookie_net,
							sysctl_syn_retries),
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ZERO,
		.extra2		= &ip_vs_syncookie_syn_retries_max,
	},
	{
		.procname	= "syncookie_invalid_rst",
		.data		= IP_VS_EXT_SYSCTL_DATA(struct ip_vs_syncookie_net,
							sysctl_invalid_rst),
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ZERO,
		.extra2		= SYSCTL_ONE,
	},
	{ }
};

/* Generic netlink family "IPVS_SYNCOOKIE". */
static struct ip_vs_ext_family ip_vs_syncookie_family;

static const struct nla_policy ip_vs_syncookie_policy[IPVS_SYNCOOKIE_ATTR_MAXNR + 1] = {
	[IPVS_SYNCOOKIE_ATTR_SERVICE]	= NLA_POLICY_NESTED(ip_vs_ext_svc_policy),
	[IPVS_SYNCOOKIE_ATTR_MODE]	= NLA_POLICY_MAX(NLA_U8, IPVS_SYNCOOKIE_MODE_MAX),
	[IPVS_SYNCOOKIE_ATTR_STATS]	= { .type = NLA_REJECT },
	[IPVS_SYNCOOKIE_ATTR_SECRET]	= NLA_POLICY_EXACT_LEN(IPVS_SYNCOOKIE_SECRET_LEN),
};

static int ip_vs_syncookie_put_stats(struct sk_buff *skb,
				     const struct ip_vs_syncookie_svc *cs)
{
	struct nlattr *nest = nla_nest_start(skb, IPVS_SYNCOOKIE_ATTR_STATS);
	int i;

	if (!nest)
		return -EMSGSIZE;
	for (i = IPVS_SYNCOOKIE_STATS_SYN; i < IPVS_SYNCOOKIE_STATS_PAD; i++) {
		u64 sum = 0;
		int cpu;

		for_each_possible_cpu(cpu)
			sum += per_cpu_ptr(cs->pcpu, cpu)->cnt[i];
		if (nla_put_u64_64bit(skb, i, sum, IPVS_SYNCOOKIE_STATS_PAD)) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int ip_vs_syncookie_fill_svc(struct sk_buff *skb, u32 portid, u32 seq,
				    int flags, const struct ip_vs_ext_svc *s)
{
	const struct ip_vs_syncookie_svc *cs =
		container_of(s, struct ip_vs_syncookie_svc, base);
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &ip_vs_syncookie_family.genl, flags,
			  IPVS_EXT_CMD_GET_SERVICE);
	if (!hdr)
		return -EMSGSIZE;
	if (ip_vs_ext_svc_key_put(skb, &s->key) ||
	    nla_put_u8(skb, IPVS_SYNCOOKIE_ATTR_MODE, READ_ONCE(cs->mode)) ||
	    ip_vs_syncookie_put_stats(skb, cs)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/*
 * Bind our helper to the service's port: IPVS then calls it for every
 * masquerading connection to that port.  IPVS exports no way to unbind one
 * port, and connections hold the helper, so a port stays bound until the
 * netns goes (connections of services without cookies pass untouched).
 * Called under cn->svcs.lock.
 */
static int ip_vs_syncookie_bind_port(struct ip_vs_syncookie_net *cn,
				     struct genl_info *info, __be16 port)
{
	struct netns_ipvs *ipvs = net_ipvs(cn->net);
	u16 p = ntohs(port);
	int err;

	if (!cn->app_ports) {
		cn->app_ports = bitmap_zalloc(65536, GFP_KERNEL_ACCOUNT);
		if (!cn->app_ports)
			return -ENOMEM;
	}
	if (test_bit(p, cn->app_ports))
		return 0;
	if (cn->app_nports >= IP_VS_SC_MAX_PORTS) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[IPVS_EXT_ATTR_SERVICE],
				    "SYN cookies are on 1024 ports of this netns already (a port stays bound until the netns goes)");
		return -ENOSPC;
	}
	if (!cn->app) {
		struct ip_vs_app *app = register_ip_vs_app(ipvs, &ip_vs_sc_app);

		if (IS_ERR(app)) {
			NL_SET_ERR_MSG(info->extack,
				       "cannot register the IPVS application helper");
			return PTR_ERR(app);
		}
		cn->app = app;
	}
	err = register_ip_vs_app_inc(ipvs, cn->app, IPPROTO_TCP, p);
	if (err == -EEXIST) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[IPVS_EXT_ATTR_SERVICE],
				    "another IPVS application helper (ip_vs_ftp?) owns this port");
		return err;
	}
	if (err)
		return err;
	set_bit(p, cn->app_ports);
	cn->app_nports++;
	return 0;
}

/* After a grace period: no packet counts on it any more. */
static void ip_vs_sc_svc_destroy(struct ip_vs_ext_svc *s)
{
	struct ip_vs_syncookie_svc *cs =
		container_of(s, struct ip_vs_syncookie_svc, base);

	free_percpu(cs->pcpu);
	kfree(cs);
}

static struct ip_vs_syncookie_svc *
ip_vs_sc_svc_alloc(const struct ip_vs_ext_svc_key *key, u8 mode)
{
	struct ip_vs_syncookie_svc *cs;

	cs = kzalloc(sizeof(*cs), GFP_KERNEL_ACCOUNT);
	if (!cs)
		goto err_cs;
	cs->pcpu = alloc_percpu_gfp(struct ip_vs_sc_svc_cpu, GFP_KERNEL_ACCOUNT);
	if (!cs->pcpu)
		goto err_pcpu;
	cs->base.key = *key;
	cs->base.destroy = ip_vs_sc_svc_destroy;
	cs->mode = mode;
	cs->win_start = jiffies;
	cs->engaged_until = jiffies;
	cs->rs_no_ts_until = jiffies;
	return cs;

err_pcpu:
	kfree(cs);
err_cs:
	return NULL;
}

static int ip_vs_syncookie_nl_set(struct sk_buff *skb, struct genl_info *info)
{
	struct ip_vs_syncookie_net *cn = ip_vs_syncookie_pernet(genl_info_net(info));
	struct nlattr *mode_attr = info->attrs[IPVS_SYNCOOKIE_ATTR_MODE];
	struct ip_vs_syncookie_svc *cs;
	struct ip_vs_ext_svc_key key;
	struct ip_vs_ext_svc *s;
	u8 mode;
	int err;

	if (!mode_attr) {
		NL_SET_ERR_MSG(info->extack, "SYN-cookie mode is missing");
		return -EINVAL;
	}
	mode = nla_get_u8(mode_attr);
	err = ip_vs_ext_nl_lock_svc(&cn->svcs, info, &key, &s);
	if (err)
		return err;
	if (key.protocol != IPPROTO_TCP && !key.fwmark) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[IPVS_EXT_ATTR_SERVICE],
				    "SYN cookies apply to TCP services only");
		err = -EINVAL;
		goto out;
	}
	if (mode != IPVS_SYNCOOKIE_MODE_OFF) {
		/* the helper that relays is bound by port */
		if (key.fwmark || !key.port) {
			NL_SET_ERR_MSG_ATTR(info->extack,
					    info->attrs[IPVS_EXT_ATTR_SERVICE],
					    "SYN cookies need an address:port service (not fwmark or port 0)");
			err = -EOPNOTSUPP;
			goto out;
		}
		/* a full table must not leave a port bound */
		err = s ? 0 : ip_vs_ext_nl_check_room(&cn->svcs, info);
		if (!err)
			err = ip_vs_syncookie_bind_port(cn, info, key.port);
		if (err)
			goto out;
	}
	if (s) {
		cs = container_of(s, struct ip_vs_syncookie_svc, base);
		WRITE_ONCE(cs->mode, mode);
		goto out;
	}
	err = ip_vs_ext_nl_check_room(&cn->svcs, info);
	if (err)
		goto out;
	cs = ip_vs_sc_svc_alloc(&key, mode);
	if (!cs) {
		err = -ENOMEM;
		goto out;
	}
	ip_vs_ext_svc_insert(&cn->svcs, &cs->base);
out:
	mutex_unlock(&cn->svcs.lock);
	return err;
}

static int ip_vs_syncookie_nl_secret(struct sk_buff *skb, struct genl_info *info)
{
	struct ip_vs_syncookie_net *cn = ip_vs_syncookie_pernet(genl_info_net(info));
	struct nlattr *a = info->attrs[IPVS_SYNCOOKIE_ATTR_SECRET];

	if (!a) {
		NL_SET_ERR_MSG(info->extack, "cookie secret is missing");
		return -EINVAL;
	}
	BUILD_BUG_ON(sizeof(cn->secret) != IPVS_SYNCOOKIE_SECRET_LEN);
	mutex_lock(&cn->svcs.lock);
	memcpy(&cn->secret, nla_data(a), sizeof(cn->secret));
	mutex_unlock(&cn->svcs.lock);
	return 0;
}

static const struct genl_small_ops ip_vs_syncookie_genl_ops[] = {
	{
		.cmd	= IPVS_EXT_CMD_SET_SERVICE,
		.flags	= GENL_ADMIN_PERM,
		.doit	= ip_vs_syncookie_nl_set,
	},
	{
		.cmd	= IPVS_EXT_CMD_GET_SERVICE,
		.flags	= GENL_ADMIN_PERM,
		.doit	= ip_vs_ext_nl_get_op,
		.dumpit	= ip_vs_ext_nl_dump_op,
	},
	{
		.cmd	= IPVS_EXT_CMD_DEL_SERVICE,
		.flags	= GENL_ADMIN_PERM,
		.doit	= ip_vs_ext_nl_del_op,
	},
	{
		.cmd	= IPVS_EXT_CMD_FLUSH,
		.flags	= GENL_ADMIN_PERM,
		.doit	= ip_vs_ext_nl_flush_op,
	},
	{
		.cmd	= IPVS_SYNCOOKIE_CMD_SET_SECRET,
		.flags	= GENL_ADMIN_PERM,
		.doit	= ip_vs_syncookie_nl_secret,
	},
};

static struct ip_vs_ext_family ip_vs_syncookie_family __ro_after_init = {
	.genl = {
		.name		= IPVS_SYNCOOKIE_GENL_NAME,
		.version	= IPVS_EXT_GENL_VERSION,
		.maxattr	= IPVS_SYNCOOKIE_ATTR_MAXNR,
		.policy		= ip_vs_syncookie_policy,
		.netnsok	= true,
		.module		= THIS_MODULE,
		.small_ops	= ip_vs_syncookie_genl_ops,
		.n_small_ops	= ARRAY_SIZE(ip_vs_syncookie_genl_ops),
	},
	.net_id	= &ip_vs_syncookie_net_id,
	.svcs	= offsetof(struct ip_vs_syncookie_net, svcs),
	.fill	= ip_vs_syncookie_fill_svc,
	.none	= "service has no SYN-cookie settings",
};

static int __net_init ip_vs_syncookie_net_init(struct net *net)
{
	struct ip_vs_syncookie_net *cn = ip_vs_syncookie_pernet(net);
	int err = -ENOMEM;

	if (!net_ipvs(net))
		return -ENOENT;
	cn->net = net;
	ip_vs_ext_svc_table_init(&cn->svcs);
	/* Random per boot unless an administrator shares one. */
	get_random_bytes(&cn->secret, sizeof(cn->secret));
	cn->sysctl_threshold = IP_VS_SC_DEF_THRESHOLD;
	cn->sysctl_off_delay = IP_VS_SC_DEF_OFF_DELAY;
	cn->sysctl_syn_retries = IP_VS_SC_DEF_SYN_RETRIES;
	cn->sysctl_invalid_rst = 0;	/* invalid ACKs are dropped silently */
	cn->stats = alloc_percpu(struct ip_vs_sc_cpu_stats);
	if (!cn->stats)
		goto err;
	if (!proc_create_net_single("ip_vs_syncookie", 0444, net->proc_net_stat,
				    ip_vs_sc_stat_show, NULL))
		goto err_stats;
	cn->sysctl_hdr = ip_vs_ext_sysctl_register(net, ip_vs_syncookie_sysctl_tmpl,
						   sizeof(ip_vs_syncookie_sysctl_tmpl),
						   cn, NULL);
	if (!cn->sysctl_hdr)
		goto err_proc;
	err = nf_register_net_hooks(net, ip_vs_sc_ops, ARRAY_SIZE(ip_vs_sc_ops));
	if (err)
		goto err_sysctl;
	return 0;

err_sysctl:
	ip_vs_ext_sysctl_unregister(cn->sysctl_hdr);
err_proc:
	remove_proc_entry("ip_vs_syncookie", net->proc_net_stat);
err_stats:
	free_percpu(cn->stats);
err:
	return err;
}

/* Set while the module goes: see ip_vs_syncookie_net_exit. */
static bool ip_vs_syncookie_unloading;

static void __net_exit ip_vs_syncookie_net_exit(struct net *net)
{
	struct ip_vs_syncookie_net *cn = ip_vs_syncookie_pernet(net);

	nf_unregister_net_hooks(net, ip_vs_sc_ops, ARRAY_SIZE(ip_vs_sc_ops));
	ip_vs_ext_sysctl_unregister(cn->sysctl_hdr);
	remove_proc_entry("ip_vs_syncookie", net->proc_net_stat);
	/*
	 * Connections bound to the helper pin this module, so on unload none
	 * is left and the helper goes with us.  When only the netns goes,
	 * IPVS flushes its connections after this and then unregisters every
	 * helper itself: doing it here would free what they still point to.
	 */
	if (cn->app && READ_ONCE(ip_vs_syncookie_unloading))
		unregister_ip_vs_app(net_ipvs(net), cn->app);
	bitmap_free(cn->app_ports);
	/* a SYN-retry timer that saw IPVS enabled may still count */
	if (cn->app)
		synchronize_rcu();
	free_percpu(cn->stats);
	ip_vs_ext_svc_flush(&cn->svcs);
	memzero_explicit(&cn->secret, sizeof(cn->secret));
}

static struct pernet_operations ip_vs_syncookie_net_ops = {
	.init	= ip_vs_syncookie_net_init,
	.exit	= ip_vs_syncookie_net_exit,
	.id	= &ip_vs_syncookie_net_id,
	.size	= sizeof(struct ip_vs_syncookie_net),
};

static int __init ip_vs_syncookie_init(void)
{
	int err;

	err = ip_vs_ext_register_feature(&ip_vs_syncookie_family,
					 &ip_vs_syncookie_net_ops);
	if (err)
		return err;
	err = ip_vs_ext_register_cookie_fallback(&ip_vs_sc_fallback);
	if (err)
		goto err_feature;
	return 0;

err_feature:
	ip_vs_ext_unregister_feature(&ip_vs_syncookie_family,
				     &ip_vs_syncookie_net_ops);
	return err;
}

static void __exit ip_vs_syncookie_exit(void)
{
	unsigned int cpu;

	WRITE_ONCE(ip_vs_syncookie_unloading, true);
	ip_vs_ext_unregister_cookie_fallback(&ip_vs_sc_fallback);
	ip_vs_ext_unregister_feature(&ip_vs_syncookie_family,
				     &ip_vs_syncookie_net_ops);
	/* the hooks are gone: no CPU sets a pending connection any more */
	synchronize_net();
	for_each_possible_cpu(cpu) {
		struct ip_vs_sc_conn *sc = per_cpu(ip_vs_sc_pending, cpu);

		per_cpu(ip_vs_sc_pending, cpu) = NULL;
		if (sc)
			ip_vs_sc_conn_put(sc);
	}
	/* settings are freed by RCU callbacks of this module */
	rcu_barrier();
}

module_init(ip_vs_syncookie_init);
module_exit(ip_vs_syncookie_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("IPVS SYN-cookie proxy");
MODULE_ALIAS_GENL_FAMILY(IPVS_SYNCOOKIE_GENL_NAME);
