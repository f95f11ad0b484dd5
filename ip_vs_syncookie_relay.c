// SPDX-License-Identifier: GPL-2.0-only
/*
 * ip_vs_syncookie: the relay of a proxied connection, through the IPVS
 * application helper bound to the cookie services' ports: the handshake
 * with the real server completed on the client's behalf, then sequence
 * numbers, SACK, timestamps and windows translated in both directions.
 */
#define KMSG_COMPONENT "IPVS"
#define pr_fmt(fmt) KMSG_COMPONENT ": " fmt

#include <linux/hash.h>
#include <linux/icmp.h>
#include <linux/jhash.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/netfilter.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ip_vs.h>
#include <net/ipv6.h>
#include <net/tcp.h>
#include "include/ip_vs_syncookie_int.h"

DEFINE_PER_CPU(struct ip_vs_sc_conn *, ip_vs_sc_pending);

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
u64 ip_vs_sc_flow_key(const struct net *net, int af,
		      const struct ip_vs_iphdr *iph, const struct tcphdr *th)
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

int ip_vs_sc_claim_flow(u64 key)
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

void ip_vs_sc_unclaim_flow(u64 key)
{
	struct ip_vs_sc_claim_slot *slot = ip_vs_sc_claim_slot(key);

	spin_lock_bh(&ip_vs_sc_claims_lock);
	if (slot->key == key)
		slot->key = 0;
	spin_unlock_bh(&ip_vs_sc_claims_lock);
}

void ip_vs_sc_conn_put(struct ip_vs_sc_conn *sc)
{
	if (refcount_dec_and_test(&sc->refcnt)) {
		/* never a connection: its client may try again at once */
		if (sc->claim)
			ip_vs_sc_unclaim_flow(sc->claim);
		skb_queue_purge(&sc->held);
		kfree(sc);
	}
}

/*
 * A validated connection IPVS did not take: it dropped the SYN (its
 * drop_packet defense, the reaper refusing, no memory) or left it to the
 * local stack.  Forget it, as if the ACK had been lost: the client's next
 * segment carries the same cookie and is validated again, so a refusal
 * that has passed lets it in.  IPVS answers the lack of a real server with
 * an ICMP error, which the LOCAL_OUT hook turns into a reset.
 */
void ip_vs_sc_pending_drop(void)
{
	struct ip_vs_sc_conn *sc = this_cpu_xchg(ip_vs_sc_pending, NULL);

	if (sc)
		ip_vs_sc_conn_put(sc);
}

/* Reset the client of a connection that will not be relayed. */
void ip_vs_sc_reset_client(const struct ip_vs_sc_conn *sc)
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

/*
 * The real server answered our SYN with a bare ACK: the tuple still has an
 * old incarnation there (TIME_WAIT, or a connection it never saw close),
 * whose sequence space our SYN fell outside of.  Do what a client's stack
 * does in SYN-SENT (RFC 9293 3.10.7.3): reset at SEG.ACK, which ends that
 * incarnation, and send the SYN again.  At once, and once: a server that
 * keeps its TIME_WAIT against resets (tcp_rfc1337) gets the timer's retries.
 */
static void ip_vs_sc_stale_ack(struct ip_vs_sc_conn *sc,
			       const struct ip_vs_conn *cp,
			       const struct tcphdr *th)
{
	ip_vs_ext_tcp_send(sc->net, sc->af, &sc->caddr, &cp->daddr, sc->cport,
			   cp->dport, ntohl(th->ack_seq), 0, TCPHDR_RST, 0,
			   NULL, 0);
	if (!sc->stale_reset) {
		sc->stale_reset = 1;
		ip_vs_sc_send_syn(sc, cp);
		ip_vs_sc_conn_stat(sc, IPVS_SYNCOOKIE_STATS_SYN_RETRIES);
	}
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

void ip_vs_sc_timer(struct timer_list *t)
{
	struct ip_vs_sc_conn *sc = from_timer(sc, t, timer);
	struct ip_vs_sc_net *cn;
	struct ip_vs_conn *cp;
	bool rearmed = false;

	/* IPVS disabled: the netns is going, and our state with it */
	rcu_read_lock();
	spin_lock_bh(&sc->lock);
	cp = sc->cp;
	if (cp && sc->state == IP_VS_SC_WAIT && READ_ONCE(cp->ipvs->enable)) {
		cn = ip_vs_sc_pernet(sc->net);
		if (sc->retries < READ_ONCE(cn->sysctl_syn_retries)) {
			sc->retries++;
			ip_vs_sc_send_syn(sc, cp);
			ip_vs_sc_stat(cn, IPVS_SYNCOOKIE_STATS_SYN_RETRIES);
			mod_timer(&sc->timer, jiffies + (HZ << sc->retries));
			rearmed = true;
		} else {
			sc->state = IP_VS_SC_DEAD;
			ip_vs_sc_reset_client(sc);
			ip_vs_sc_stat(cn, IPVS_SYNCOOKIE_STATS_RESETS);
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
void ip_vs_sc_hold(struct ip_vs_sc_net *cn, struct ip_vs_sc_conn *sc,
		   const struct sk_buff *skb, unsigned int thoff)
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
	ip_vs_sc_stat(cn, IPVS_SYNCOOKIE_STATS_HELD);
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

/* The cookie service of a connection, if it still has settings. */
static struct ip_vs_sc_svc *
ip_vs_sc_svc_of(struct ip_vs_sc_net *cn, const struct ip_vs_conn *cp)
{
	struct ip_vs_dest *dest = cp->dest;
	struct ip_vs_ext_svc_key key;
	struct ip_vs_service *svc;
	struct ip_vs_ext_svc *s;

	if (!dest)
		return NULL;
	svc = rcu_dereference(dest->svc);
	if (!svc)
		return NULL;
	ip_vs_ext_svc_key_of(&key, svc);
	s = ip_vs_ext_svc_find(&cn->svcs, &key);
	return s ? container_of(s, struct ip_vs_sc_svc, base) : NULL;
}

/* Learn the real servers' MSS, for the SYN-ACKs of later clients. */
static void ip_vs_sc_learn(struct ip_vs_sc_svc *cs,
			   const struct ip_vs_sc_conn *sc, u16 mss)
{
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
	struct ip_vs_sc_net *cn = ip_vs_sc_pernet(sc->net);
	struct ip_vs_sc_svc *cs;
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
	cs = ip_vs_sc_svc_of(cn, cp);
	if (cs) {
		ip_vs_sc_learn(cs, sc, o.mss);
		ip_vs_sc_svc_count(cs, IPVS_SYNCOOKIE_STATS_PROXIED);
	} else {
		ip_vs_sc_stat(cn, IPVS_SYNCOOKIE_STATS_PROXIED);
	}
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
			ip_vs_sc_conn_stat(sc, IPVS_SYNCOOKIE_STATS_RESETS);
			ret = 1;
		} else if (th->ack && !th->syn) {
			ip_vs_sc_stale_ack(sc, cp, th);
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
	struct ip_vs_sc_net *cn;
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

	cn = ip_vs_sc_pernet(sc->net);
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
			ip_vs_sc_stat(cn, IPVS_SYNCOOKIE_STATS_ACK_DROPPED);
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
int ip_vs_sc_init_conn(struct ip_vs_app *app, struct ip_vs_conn *cp)
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

struct ip_vs_app ip_vs_sc_app = {
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
