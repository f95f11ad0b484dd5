/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ip_vs_syncookie: what its three files share (not an interface of the
 * module: see include/uapi/linux/ip_vs_ext.h for that).
 */
#ifndef _IP_VS_SYNCOOKIE_INT_H
#define _IP_VS_SYNCOOKIE_INT_H

#include <linux/netdevice.h>
#include <linux/percpu.h>
#include <linux/siphash.h>
#include <linux/skbuff.h>
#include <linux/timer.h>
#include <net/ip_vs.h>
#include <net/netns/generic.h>

#include "ip_vs_ext.h"
#include "ip_vs_syncookie_calc.h"

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

struct ip_vs_sc_svc {
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

struct ip_vs_sc_net {
	struct ip_vs_ext_svc_table svcs;
	struct net		*net;
	siphash_key_t		secret;	/* written under svcs.lock */
	struct ip_vs_ext_stats	stats;
	struct ip_vs_app	*app;	/* our helper in this netns; svcs.lock */
	unsigned long		*app_ports;	/* ports it is bound to; svcs.lock */
	unsigned int		app_nports;	/* their number; svcs.lock */
	bool			reap_fallback;	/* ip_vs_dos_reap refusing */
	/* stats allocated: from the end of init to pre_exit (RCU) */
	bool			live;
	int			sysctl_threshold;	/* SYNs per second */
	int			sysctl_off_delay;	/* seconds */
	int			sysctl_syn_retries;
	int			sysctl_invalid_rst;
	struct ctl_table_header	*sysctl_hdr;
};

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
				server_ts_on:1,
				stale_reset:1;	/* an old incarnation reset */
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
DECLARE_PER_CPU(struct ip_vs_sc_conn *, ip_vs_sc_pending);

extern unsigned int ip_vs_sc_net_id;

static inline struct ip_vs_sc_net *ip_vs_sc_pernet(struct net *net)
{
	return net_generic(net, ip_vs_sc_net_id);
}

/*
 * One event, counted once: in the service if it has one (the netns's
 * totals add services), in the netns otherwise.  @what: enum
 * ipvs_syncookie_stats_attr.
 */
static inline void ip_vs_sc_stat(struct ip_vs_sc_net *cn, int what)
{
	ip_vs_ext_count(&cn->stats, what);
}

static inline void ip_vs_sc_conn_stat(const struct ip_vs_sc_conn *sc, int what)
{
	ip_vs_sc_stat(ip_vs_sc_pernet(sc->net), what);
}

static inline void ip_vs_sc_svc_count(struct ip_vs_sc_svc *cs, int what)
{
	this_cpu_inc(cs->pcpu->cnt[what]);
}

/* ip_vs_syncookie_relay.c */
extern struct ip_vs_app ip_vs_sc_app;
void ip_vs_sc_conn_put(struct ip_vs_sc_conn *sc);
u64 ip_vs_sc_flow_key(const struct net *net, int af,
		      const struct ip_vs_iphdr *iph, const struct tcphdr *th);
int ip_vs_sc_claim_flow(u64 key);
void ip_vs_sc_unclaim_flow(u64 key);
void ip_vs_sc_pending_drop(void);
void ip_vs_sc_reset_client(const struct ip_vs_sc_conn *sc);
void ip_vs_sc_timer(struct timer_list *t);
/* identifies our helper's incarnations (cp->app->init_conn) */
int ip_vs_sc_init_conn(struct ip_vs_app *app, struct ip_vs_conn *cp);
void ip_vs_sc_hold(struct ip_vs_sc_net *cn, struct ip_vs_sc_conn *sc,
		   const struct sk_buff *skb, unsigned int thoff);

/* ip_vs_syncookie_main.c */
int ip_vs_sc_hooks_register(struct net *net);
void ip_vs_sc_hooks_unregister(struct net *net);

/* ip_vs_syncookie_ctl.c */
extern struct ip_vs_ext_family ip_vs_sc_family;
extern struct pernet_operations ip_vs_sc_net_ops;
extern bool ip_vs_sc_unloading;

#endif /* _IP_VS_SYNCOOKIE_INT_H */
