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
 * connection.
 *
 * This file: the module, its parameter and the packet path (the cookie
 * SYN-ACK, the ACK that becomes a SYN, the LOCAL_OUT watch); the relay is
 * ip_vs_syncookie_relay.c, the control path ip_vs_syncookie_ctl.c.
 */
#define KMSG_COMPONENT "IPVS"
#define pr_fmt(fmt) KMSG_COMPONENT ": " fmt

#include <linux/icmp.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/siphash.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ip_vs.h>
#include <net/ipv6.h>
#include <net/tcp.h>
#include "include/ip_vs_syncookie_int.h"

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

/* Cookies are keyed by the netns secret, not the host TCP stack's. */
static u32 ip_vs_sc_hash(struct ip_vs_sc_net *cn, int af,
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

/* auto: engaged while SYNs without a connection exceed the threshold. */
static bool ip_vs_sc_engaged(struct ip_vs_sc_net *cn,
			     struct ip_vs_sc_svc *cs, bool count)
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

static u16 ip_vs_sc_our_mss(int af, const struct ip_vs_sc_svc *cs)
{
	u16 mss = READ_ONCE(cs->rs_mss);

	if (mss)
		return mss;
	return af == AF_INET6 ? 1440 : 1460;
}

/* Answer a SYN with a cookie; nothing is kept. */
static unsigned int ip_vs_sc_syn(struct ip_vs_sc_net *cn,
				 struct ip_vs_sc_svc *cs, int af,
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
static int ip_vs_sc_ack_cookie(struct ip_vs_sc_net *cn, int af,
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

/*
 * The relay state of a connection whose cookie validated: the client's
 * ISN, and the MSS and options its SYN offered, as the cookie and the
 * timestamp echoed in @th carry them.
 */
static struct ip_vs_sc_conn *
ip_vs_sc_conn_new(struct ip_vs_sc_net *cn, int af,
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
static unsigned int ip_vs_sc_busy_flow(struct ip_vs_sc_net *cn, int af,
				       struct sk_buff *skb,
				       const struct ip_vs_iphdr *iph)
{
	struct ip_vs_conn *cp;

	cp = ip_vs_conn_in_get_proto(net_ipvs(cn->net), af, skb, iph);
	if (cp) {
		__ip_vs_conn_put(cp);
		return NF_ACCEPT;
	}
	ip_vs_sc_stat(cn, IPVS_SYNCOOKIE_STATS_ACK_DROPPED);
	return NF_DROP;
}

/* An ACK without a connection: a cookie, or nothing of ours. */
static unsigned int ip_vs_sc_ack(struct ip_vs_sc_net *cn,
				 struct ip_vs_sc_svc *cs, int af,
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
static void ip_vs_sc_icmp(struct ip_vs_sc_net *cn, int af,
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
static struct ip_vs_sc_svc *
ip_vs_sc_lookup(struct ip_vs_sc_net *cn, int af, struct sk_buff *skb,
		struct ip_vs_iphdr *iph, struct tcphdr *_th,
		const struct tcphdr **thp, bool syn)
{
	struct netns_ipvs *ipvs = net_ipvs(cn->net);
	struct ip_vs_sc_svc *cs;
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
	cs = container_of(s, struct ip_vs_sc_svc, base);
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
	struct ip_vs_sc_net *cn = ip_vs_sc_pernet(state->net);
	int af = state->pf == NFPROTO_IPV6 ? AF_INET6 : AF_INET;
	u8 _opts[MAX_TCP_OPTION_SPACE];
	struct ip_vs_sc_svc *cs;
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
	ip_vs_sc_svc_count(cs, IPVS_SYNCOOKIE_STATS_SYN);
	if (!engaged) {
		if (!READ_ONCE(cn->reap_fallback))
			return NF_ACCEPT;
		ip_vs_sc_stat(cn, IPVS_SYNCOOKIE_STATS_DIVERTED);
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
	if (likely(!sc) || sc->net != state->net ||
	    sc->af != (state->pf == NFPROTO_IPV6 ? AF_INET6 : AF_INET))
		return NF_ACCEPT;
	if (ip_vs_sc_is_our_syn(sc, skb))
		what = IPVS_SYNCOOKIE_STATS_NONAT;
	else if (ip_vs_sc_unreach_to(sc, skb))
		what = IPVS_SYNCOOKIE_STATS_RESETS;
	else
		return NF_ACCEPT;
	this_cpu_write(ip_vs_sc_pending, NULL);
	ip_vs_sc_reset_client(sc);
	ip_vs_sc_conn_stat(sc, what);
	ip_vs_sc_conn_put(sc);
	return NF_DROP;
}

static const struct nf_hook_ops ip_vs_sc_ops[] = {
	IP_VS_EXT_HOOK(ip_vs_sc_syn_hook, NF_INET_LOCAL_IN,
		       IP_VS_EXT_PRI_SC_SYN),
	IP_VS_EXT_HOOK(ip_vs_sc_ack_hook, NF_INET_LOCAL_IN,
		       IP_VS_EXT_PRI_SC_ACK),
	IP_VS_EXT_HOOK(ip_vs_sc_out_hook, NF_INET_LOCAL_OUT,
		       IP_VS_EXT_PRI_SC_OUT),
};

int ip_vs_sc_hooks_register(struct net *net)
{
	return nf_register_net_hooks(net, ip_vs_sc_ops, ARRAY_SIZE(ip_vs_sc_ops));
}

void ip_vs_sc_hooks_unregister(struct net *net)
{
	nf_unregister_net_hooks(net, ip_vs_sc_ops, ARRAY_SIZE(ip_vs_sc_ops));
}

static int __init ip_vs_sc_init(void)
{
	return ip_vs_ext_register_feature(&ip_vs_sc_family,
					  &ip_vs_sc_net_ops);
}

static void __exit ip_vs_sc_exit(void)
{
	unsigned int cpu;

	WRITE_ONCE(ip_vs_sc_unloading, true);
	ip_vs_ext_unregister_feature(&ip_vs_sc_family,
				     &ip_vs_sc_net_ops);
	/* the hooks are gone: no CPU sets a pending connection any more */
	synchronize_net();
	for_each_possible_cpu(cpu) {
		struct ip_vs_sc_conn *sc = per_cpu(ip_vs_sc_pending, cpu);

		per_cpu(ip_vs_sc_pending, cpu) = NULL;
		if (sc)
			ip_vs_sc_conn_put(sc);
	}
	/*
	 * settings are freed by the core's RCU callback, which calls this
	 * module's destroy
	 */
	rcu_barrier();
}

module_init(ip_vs_sc_init);
module_exit(ip_vs_sc_exit);
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(IP_VS_EXT);
MODULE_DESCRIPTION("IPVS SYN-cookie proxy");
MODULE_ALIAS_GENL_FAMILY(IPVS_SYNCOOKIE_GENL_NAME);
