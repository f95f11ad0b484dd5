/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvs-ext: TCP segments the director sends on its own (cookie SYN-ACKs,
 * resets, the proxy's SYN and ACK to a real server).  Like ip_vs_ext.h,
 * every module that needs them compiles in its own copy, so that each
 * loads alone.  Not nf_send_reset(): it needs nf_reject, which a kernel
 * may lack (the lab's debug kernel does), and sends resets only.
 */
#ifndef _IP_VS_EXT_TCP_H
#define _IP_VS_EXT_TCP_H

#include <linux/netfilter.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/route.h>
#include <net/tcp.h>

/*
 * A TCP segment the director originates, e.g. a SYN-ACK or a reset to a
 * client (from the VIP), or a SYN to a real server from the client's
 * address, as IPVS's masquerading would have sent it.
 */
static inline struct sk_buff *
ip_vs_ext_tcp_build(struct net *net, int af, const union nf_inet_addr *saddr,
		    const union nf_inet_addr *daddr, __be16 sport, __be16 dport,
		    u32 seq, u32 ack, u8 flags, u16 win, const u8 *opts,
		    unsigned int optlen)
{
	unsigned int nhlen = af == AF_INET6 ? sizeof(struct ipv6hdr) :
					       sizeof(struct iphdr);
	unsigned int tcplen = sizeof(struct tcphdr) + optlen;
	struct sk_buff *skb;
	struct tcphdr *th;
	__wsum csum;

	skb = alloc_skb(LL_MAX_HEADER + nhlen + tcplen, GFP_ATOMIC);
	if (!skb)
		return NULL;
	skb_reserve(skb, LL_MAX_HEADER);
	skb_reset_network_header(skb);
	if (af == AF_INET6) {
		struct ipv6hdr *ip6h = skb_put(skb, nhlen);

		ip6_flow_hdr(ip6h, 0, 0);
		ip6h->payload_len = htons(tcplen);
		ip6h->nexthdr = IPPROTO_TCP;
		ip6h->hop_limit = READ_ONCE(net->ipv6.devconf_all->hop_limit);
		ip6h->saddr = saddr->in6;
		ip6h->daddr = daddr->in6;
		skb->protocol = htons(ETH_P_IPV6);
	} else {
		struct iphdr *iph = skb_put(skb, nhlen);

		iph->version = 4;
		iph->ihl = nhlen / 4;
		iph->tos = 0;
		iph->tot_len = htons(nhlen + tcplen);
		iph->id = 0;
		iph->frag_off = htons(IP_DF);
		iph->ttl = READ_ONCE(net->ipv4.sysctl_ip_default_ttl);
		iph->protocol = IPPROTO_TCP;
		iph->saddr = saddr->ip;
		iph->daddr = daddr->ip;
		ip_send_check(iph);
		skb->protocol = htons(ETH_P_IP);
	}
	skb_set_transport_header(skb, nhlen);
	th = skb_put_zero(skb, tcplen);
	th->source = sport;
	th->dest = dport;
	th->seq = htonl(seq);
	th->ack_seq = htonl(ack);
	tcp_flag_byte(th) = flags;
	th->doff = tcplen / 4;
	th->window = htons(win);
	memcpy(th + 1, opts, optlen);
	csum = csum_partial(th, tcplen, 0);
	if (af == AF_INET6)
		th->check = csum_ipv6_magic(&saddr->in6, &daddr->in6, tcplen,
					    IPPROTO_TCP, csum);
	else
		th->check = tcp_v4_check(tcplen, saddr->ip, daddr->ip, csum);
	skb->ip_summed = CHECKSUM_NONE;
	return skb;
}

/* Route and send; a non-local source is the client's (see above). */
static inline void ip_vs_ext_tcp_xmit(struct net *net, int af,
				      struct sk_buff *skb,
				      const union nf_inet_addr *saddr,
				      const union nf_inet_addr *daddr)
{
	skb_dst_drop(skb);
	if (af == AF_INET6) {
		struct flowi6 fl6 = {
			.daddr		= daddr->in6,
			.saddr		= saddr->in6,
			.flowi6_proto	= IPPROTO_TCP,
			.flowi6_flags	= FLOWI_FLAG_ANYSRC,
		};
		struct dst_entry *dst = ip6_route_output(net, NULL, &fl6);

		if (dst->error) {
			dst_release(dst);
			kfree_skb(skb);
			return;
		}
		skb_dst_set(skb, dst);
		ip6_local_out(net, NULL, skb);
	} else {
		struct flowi4 fl4 = {
			.daddr		= daddr->ip,
			.saddr		= saddr->ip,
			.flowi4_proto	= IPPROTO_TCP,
			.flowi4_flags	= FLOWI_FLAG_ANYSRC,
		};
		struct rtable *rt = ip_route_output_key(net, &fl4);

		if (IS_ERR(rt)) {
			kfree_skb(skb);
			return;
		}
		skb_dst_set(skb, &rt->dst);
		ip_local_out(net, NULL, skb);
	}
}

static inline void ip_vs_ext_tcp_send(struct net *net, int af,
				      const union nf_inet_addr *saddr,
				      const union nf_inet_addr *daddr,
				      __be16 sport, __be16 dport, u32 seq,
				      u32 ack, u8 flags, u16 win,
				      const u8 *opts, unsigned int optlen)
{
	struct sk_buff *skb;

	skb = ip_vs_ext_tcp_build(net, af, saddr, daddr, sport, dport, seq, ack,
				  flags, win, opts, optlen);

	if (skb)
		ip_vs_ext_tcp_xmit(net, af, skb, saddr, daddr);
}

#endif /* _IP_VS_EXT_TCP_H */
