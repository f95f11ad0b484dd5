/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvs-ext: the core module (ip_vs_ext.ko) and what the feature modules
 * share through it, as ip_vs.ko serves ip_vs_pe_sip and nf_synproxy_core
 * its users.  Each feature module loads alone: modprobe brings the core
 * through the symbol dependency.  The core's symbols are in the namespace
 * IP_VS_EXT: a user says MODULE_IMPORT_NS(IP_VS_EXT).
 *
 * IPVS exports no service lookup, so each module keeps its own per-netns
 * table of per-service settings keyed by the service identity IPVS uses:
 * (af, fwmark) for firewall-mark services, (af, protocol, address, port)
 * otherwise.  The core holds that key, the table, the netlink parsing of
 * the key, the per-netns sysctl registration, the TCP segments the
 * director sends itself, and the hook priorities below.
 *
 * Locking: a table is changed under its mutex (netlink, netns exit) and read
 * under RCU (packet path); entries are freed after a grace period.
 */
#ifndef _IP_VS_EXT_H
#define _IP_VS_EXT_H

#include <linux/hashtable.h>
#include <linux/jhash.h>
#include <linux/mutex.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/sysctl.h>
#include <net/genetlink.h>
#include <net/ip_vs.h>
#include <net/net_namespace.h>

#include "uapi/linux/ip_vs_ext.h"

/*
 * The packet path, IPv4 and IPv6 alike (the NF_IP6_PRI_ values are the
 * same: NAT_SRC 100, LAST INT_MAX).
 * A client's packet to a virtual service meets, in LOCAL_IN:
 *
 *   95  ip_vs_syncookie  SYN to a cookie service: answered, consumed
 *   96  ip_vs_dos_reap   records SYNs; refuses new connections at high
 *   97  ip_vs_syncookie  ACK with a valid cookie: becomes the client's SYN
 *   97  ip_vs_persist_ext  idle mode: packet of a controlled connection
 *                          pushes its template (disjoint from the above)
 *   98  IPVS ip_vs_out_hook, 99 IPVS ip_vs_in_hook: schedule, NAT, send;
 *       IPVS calls the syncookie application helper (relay) and the
 *       persist_ext persistence engine from here
 *  100  ip_vs_dos_reap   a recorded SYN IPVS did not take: forgotten
 *
 * and in LOCAL_OUT, last: ip_vs_syncookie sees its SYN leave IPVS for a
 * real server that is not masqueraded, or IPVS's ICMP error about it.
 * The real server's replies reach the helper from IPVS's FORWARD hook.
 */
enum ip_vs_ext_hook_priorities {
	IP_VS_EXT_PRI_SC_SYN		= NF_IP_PRI_NAT_SRC - 5,
	IP_VS_EXT_PRI_REAP		= NF_IP_PRI_NAT_SRC - 4,
	IP_VS_EXT_PRI_SC_ACK		= NF_IP_PRI_NAT_SRC - 3,
	IP_VS_EXT_PRI_PERSIST		= NF_IP_PRI_NAT_SRC - 3,
	/* IPVS: NF_IP_PRI_NAT_SRC - 2 and - 1 */
	IP_VS_EXT_PRI_REAP_AFTER	= NF_IP_PRI_NAT_SRC,
	IP_VS_EXT_PRI_SC_OUT		= NF_IP_PRI_LAST - 1,
};

/*
 * One hook of ours, in IPv4 and IPv6 alike: nf_register_net_hook()
 * registers an NFPROTO_INET hook in both, and the hooks tell the two
 * apart by state->pf.
 */
#define IP_VS_EXT_HOOK(_hook, _hooknum, _prio)				\
	{								\
		.hook		= (_hook),				\
		.pf		= NFPROTO_INET,				\
		.hooknum	= (_hooknum),				\
		.priority	= (_prio),				\
	}

struct ip_vs_ext_svc_key {
	union nf_inet_addr	addr;
	u32			fwmark;
	__be16			port;
	u16			af;
	u16			protocol;
	u16			pad;	/* always 0: keys are hashed and compared whole */
};

struct ip_vs_ext_svc {
	struct hlist_node	node;
	struct rcu_head		rcu;
	struct ip_vs_ext_svc_key key;
	/* frees an entry with memory of its own (per-CPU); NULL: kfree */
	void			(*destroy)(struct ip_vs_ext_svc *s);
};

#define IP_VS_EXT_SVC_BITS	8
/*
 * Services with settings per netns.  Entries are charged to the memory
 * cgroup of the writer; a netns owned by an unprivileged user namespace
 * gets a smaller table, so that nobody pins kernel memory at will.
 */
#define IP_VS_EXT_SVC_LIMIT		65536
#define IP_VS_EXT_SVC_LIMIT_USERNS	1024

struct ip_vs_ext_svc_table {
	struct mutex		lock;	/* serialises writers of ht, count, gen */
	unsigned int		count;
	unsigned int		gen;	/* bumped on every change, for dumps */
	DECLARE_HASHTABLE(ht, IP_VS_EXT_SVC_BITS);
};

static inline void ip_vs_ext_svc_table_init(struct ip_vs_ext_svc_table *t)
{
	mutex_init(&t->lock);
	t->count = 0;
	t->gen = 1;
	hash_init(t->ht);
}

static inline u32 ip_vs_ext_svc_hash(const struct ip_vs_ext_svc_key *k)
{
	return jhash2((const u32 *)k, sizeof(*k) / sizeof(u32), 0);
}

static inline bool ip_vs_ext_svc_key_eq(const struct ip_vs_ext_svc_key *a,
					const struct ip_vs_ext_svc_key *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/* The key has no hidden padding, so memcmp/jhash2 are exact. */
static_assert(sizeof(struct ip_vs_ext_svc_key) ==
	      offsetofend(struct ip_vs_ext_svc_key, pad));

/* Caller holds rcu_read_lock() or t->lock. */
struct ip_vs_ext_svc *ip_vs_ext_svc_find(struct ip_vs_ext_svc_table *t,
					 const struct ip_vs_ext_svc_key *k);

static inline void ip_vs_ext_svc_key_fwmark(struct ip_vs_ext_svc_key *k,
					    u16 af, u32 fwmark)
{
	memset(k, 0, sizeof(*k));
	k->af = af;
	k->fwmark = fwmark;
}

static inline void ip_vs_ext_svc_key_addr(struct ip_vs_ext_svc_key *k, u16 af,
					  u16 protocol,
					  const union nf_inet_addr *addr,
					  __be16 port)
{
	memset(k, 0, sizeof(*k));
	k->af = af;
	k->protocol = protocol;
	if (af == AF_INET)
		k->addr.ip = addr->ip;
	else
		k->addr.in6 = addr->in6;
	k->port = port;
}

static inline void ip_vs_ext_svc_key_of(struct ip_vs_ext_svc_key *k,
					const struct ip_vs_service *svc)
{
	if (svc->fwmark)
		ip_vs_ext_svc_key_fwmark(k, svc->af, svc->fwmark);
	else
		ip_vs_ext_svc_key_addr(k, svc->af, svc->protocol, &svc->addr,
				       svc->port);
}

/*
 * Settings that apply to a packet to (daddr, dport), found in the order IPVS
 * finds the service (__ip_vs_service_find and ip_vs_service_find): fwmark,
 * exact address and port, then the port-zero service.  IPVS's FTP special
 * case only matters for persistence and is handled there.
 */
struct ip_vs_ext_svc *
ip_vs_ext_svc_find_pkt(struct ip_vs_ext_svc_table *t, u16 af, u32 mark,
		       u16 protocol, const union nf_inet_addr *daddr,
		       __be16 dport);

/* Caller holds t->lock; @s is fully initialised. */
void ip_vs_ext_svc_insert(struct ip_vs_ext_svc_table *t,
			  struct ip_vs_ext_svc *s);

/*
 * Caller holds t->lock.  The entry must start with its struct ip_vs_ext_svc
 * so that kfree_rcu() of the member frees the whole entry.  A module whose
 * entries have a destroy callback waits for it with rcu_barrier() on exit.
 */
void ip_vs_ext_svc_remove(struct ip_vs_ext_svc_table *t,
			  struct ip_vs_ext_svc *s);

void ip_vs_ext_svc_flush(struct ip_vs_ext_svc_table *t);

/* Netlink: the nested service identity (IPVS_EXT_ATTR_SERVICE). */
extern const struct nla_policy ip_vs_ext_svc_policy[IPVS_EXT_SVC_ATTR_MAX + 1];

int ip_vs_ext_svc_key_parse(struct ip_vs_ext_svc_key *k,
			    const struct nlattr *nest,
			    struct netlink_ext_ack *extack);

int ip_vs_ext_svc_key_put(struct sk_buff *skb,
			  const struct ip_vs_ext_svc_key *k);

/*
 * A feature's part of a service's GET_SERVICE message, after the key the
 * core puts; called with the table's lock held.
 */
typedef int (*ip_vs_ext_fill_t)(struct sk_buff *skb,
				const struct ip_vs_ext_svc *s);

/*
 * Find the entry of the service in the request for a change; on success
 * the caller holds t->lock and must release it.  *@s is NULL if the service
 * has no settings yet.
 */
int ip_vs_ext_nl_lock_svc(struct ip_vs_ext_svc_table *t,
			  struct genl_info *info,
			  struct ip_vs_ext_svc_key *key,
			  struct ip_vs_ext_svc **s);

int ip_vs_ext_nl_check_room(struct ip_vs_ext_svc_table *t,
			    struct genl_info *info);

/*
 * A feature's generic netlink family, with what the core's handlers of the
 * commands the families share need to know of its settings.  A feature's
 * ops point .doit/.dumpit of GET_SERVICE, DEL_SERVICE and FLUSH at the
 * ip_vs_ext_nl_*_op handlers below (DEFINE_IP_VS_EXT_SVC_OPS), which only
 * a family embedded here and registered with ip_vs_ext_register_feature()
 * may use.  A feature without a settings table (the reaper) leaves fill
 * at NULL.
 */
struct ip_vs_ext_family {
	struct genl_family	genl;
	unsigned int		*net_id;	/* the feature's net_generic id */
	size_t			svcs;		/* offset of its table in that struct */
	ip_vs_ext_fill_t	fill;		/* one service, for GET_SERVICE */
	/* a service's settings go (DEL, FLUSH); table locked; may be NULL */
	void			(*unlink)(void *pernet, struct ip_vs_ext_svc *s);
	const char		*none;		/* extack: service without settings */
	/* the attributes of its GET_INFO reply (ip_vs_ext_nl_info_op) */
	int			(*info)(struct sk_buff *msg, void *pernet);
	/*
	 * The SYN-cookie proxy's switch of the reaper's fallback in a netns:
	 * returns the SYNs answered because of it so far.  NULL elsewhere.
	 * Called under rcu_read_lock(): must not sleep.
	 */
	u64			(*cookie_fallback)(struct net *net, bool on);
};

/*
 * A feature module's init and exit: its per-netns state, then its family
 * (and the reverse), as ip_vs_pe_sip registers its engine in one line.
 */
int ip_vs_ext_register_feature(struct ip_vs_ext_family *f,
			       struct pernet_operations *pernet);
void ip_vs_ext_unregister_feature(struct ip_vs_ext_family *f,
				  struct pernet_operations *pernet);
int ip_vs_ext_nl_get_op(struct sk_buff *skb, struct genl_info *info);
int ip_vs_ext_nl_dump_op(struct sk_buff *skb, struct netlink_callback *cb);
int ip_vs_ext_nl_del_op(struct sk_buff *skb, struct genl_info *info);
int ip_vs_ext_nl_flush_op(struct sk_buff *skb, struct genl_info *info);
int ip_vs_ext_nl_info_op(struct sk_buff *skb, struct genl_info *info);
/*
 * A nest @attr of u64 counters: attribute i holds v[i], for 0 < i < @n
 * but the padding attribute @pad.
 */
int ip_vs_ext_nl_put_stats(struct sk_buff *skb, int attr, const u64 *v,
			   int n, int pad);

/* Every command of ours needs CAP_NET_ADMIN in the netns's user namespace. */
#define IP_VS_EXT_GENL_OP(_cmd, _doit)					\
	{ .cmd = (_cmd), .flags = GENL_ADMIN_PERM, .doit = (_doit) }

/*
 * The ops of a feature with a settings table: SET is @_set, GET, DEL and
 * FLUSH are the core's, then the feature's own commands.
 */
#define DEFINE_IP_VS_EXT_SVC_OPS(_name, _set, ...)			\
	static const struct genl_small_ops _name[] = {			\
		IP_VS_EXT_GENL_OP(IPVS_EXT_CMD_SET_SERVICE, _set),	\
		{ .cmd = IPVS_EXT_CMD_GET_SERVICE,			\
		  .flags = GENL_ADMIN_PERM,				\
		  .doit = ip_vs_ext_nl_get_op,				\
		  .dumpit = ip_vs_ext_nl_dump_op },			\
		IP_VS_EXT_GENL_OP(IPVS_EXT_CMD_DEL_SERVICE,		\
				  ip_vs_ext_nl_del_op),			\
		IP_VS_EXT_GENL_OP(IPVS_EXT_CMD_FLUSH,			\
				  ip_vs_ext_nl_flush_op),		\
		__VA_ARGS__						\
	}

/* The genl_family of a feature: our version, netns-aware, this module. */
#define IP_VS_EXT_GENL_FAMILY(_name, _maxattr, _policy, _ops)		\
	{								\
		.name		= (_name),				\
		.version	= IPVS_EXT_GENL_VERSION,		\
		.maxattr	= (_maxattr),				\
		.policy		= (_policy),				\
		.netnsok	= true,					\
		.module		= THIS_MODULE,				\
		.small_ops	= (_ops),				\
		.n_small_ops	= sizeof(_ops) / sizeof(struct genl_small_ops), \
	}

/*
 * A feature's counters in a netns, each event counted once, per CPU.  They
 * are shown in /proc/net/stat/<name> in that directory's convention (a
 * line of names, then one line of hex values per possible CPU, as
 * nf_conntrack and synproxy do: lnstat reads it) and summed for GET_INFO.
 *
 * The first column, "entries", is a gauge of the netns, the same on every
 * line (lnstat, as for nf_conntrack, takes it from one line and sums the
 * others): the services with settings, or what @entries points to.
 *
 * Counter i is attribute i of the feature's stats nest: names[i] is NULL
 * for numbers that are no counter (0, the padding attribute).  Counters
 * that a service with settings counts itself are added by @svc_add (a
 * service's counts on one CPU, added to a row), and a service that goes
 * leaves its counts in @gone (ip_vs_ext_stats_fold), so that the netns's
 * totals do not drop.
 */
#define IP_VS_EXT_STATS_MAX	16

struct ip_vs_ext_stats {
	unsigned long __percpu	*cnt;
	unsigned long __percpu	*gone;	/* written under svcs->lock */
	const char * const	*names;
	unsigned int		n;
	const unsigned int	*entries;
	struct ip_vs_ext_svc_table *svcs;
	void			(*svc_add)(const struct ip_vs_ext_svc *s,
					   int cpu, unsigned long *row);
};

/* @svcs and @svc_add: NULL for a feature without per-service counters. */
int ip_vs_ext_stats_init(struct net *net, struct ip_vs_ext_stats *st,
			 const char *name, const char * const *names,
			 unsigned int n, struct ip_vs_ext_svc_table *svcs,
			 void (*svc_add)(const struct ip_vs_ext_svc *s, int cpu,
					 unsigned long *row));
void ip_vs_ext_stats_exit(struct net *net, struct ip_vs_ext_stats *st,
			  const char *name);
/* Caller holds st->svcs->lock; @s is leaving the table. */
void ip_vs_ext_stats_fold(struct ip_vs_ext_stats *st,
			  const struct ip_vs_ext_svc *s);
/* The netns's totals: v has st->n entries. */
void ip_vs_ext_stats_sum(const struct ip_vs_ext_stats *st, u64 *v);

static inline void ip_vs_ext_count(struct ip_vs_ext_stats *st, unsigned int i)
{
	this_cpu_inc(st->cnt[i]);
}

/*
 * Per-netns sysctls under net/ipv4/vs.  The template's .data holds the
 * offset of the variable inside the module's per-netns struct; the table is
 * duplicated for every netns and the offsets turned into pointers.  As IPVS
 * does, non-init user namespaces see the knobs read-only.
 */
#define IP_VS_EXT_SYSCTL_DATA(type, member) \
	((void *)offsetof(type, member))

/* An int knob of @_type's field @_field, within [*_min, *_max]. */
#define IP_VS_EXT_SYSCTL_INT(_name, _type, _field, _handler, _min, _max) \
	{								\
		.procname	= (_name),				\
		.data		= IP_VS_EXT_SYSCTL_DATA(_type, _field),	\
		.maxlen		= sizeof(int),				\
		.mode		= 0644,					\
		.proc_handler	= (_handler),				\
		.extra1		= (_min),				\
		.extra2		= (_max),				\
	}

/*
 * Entries whose handler is @netns_handler get the per-netns struct as
 * extra1, set before the table is visible to writers.
 */
struct ctl_table_header *
ip_vs_ext_sysctl_register(struct net *net, const struct ctl_table *tmpl,
			  size_t size, void *base, proc_handler *netns_handler);

void ip_vs_ext_sysctl_unregister(struct ctl_table_header *hdr);

/*
 * TCP segments the director sends on its own (cookie SYN-ACKs, resets, the
 * proxy's SYN and ACK to a real server).  Not nf_send_reset(): it needs
 * nf_reject, which a kernel may lack, and sends resets only.
 *
 * A TCP segment the director originates, e.g. a SYN-ACK or a reset to a
 * client (from the VIP), or a SYN to a real server from the client's
 * address, as IPVS's masquerading would have sent it.
 */
struct sk_buff *
ip_vs_ext_tcp_build(struct net *net, int af, const union nf_inet_addr *saddr,
		    const union nf_inet_addr *daddr, __be16 sport, __be16 dport,
		    u32 seq, u32 ack, u8 flags, u16 win, const u8 *opts,
		    unsigned int optlen);

/* Route and send; a non-local source is the client's (see above). */
void ip_vs_ext_tcp_xmit(struct net *net, int af,
			struct sk_buff *skb,
			const union nf_inet_addr *saddr,
			const union nf_inet_addr *daddr);

void ip_vs_ext_tcp_send(struct net *net, int af,
			const union nf_inet_addr *saddr,
			const union nf_inet_addr *daddr,
			__be16 sport, __be16 dport, u32 seq,
			u32 ack, u8 flags, u16 win,
			const u8 *opts, unsigned int optlen);

/*
 * The reaper's cookie fallback: while the reaper refuses, the SYN-cookie
 * proxy (if loaded) answers the SYNs of its auto services with cookies
 * instead.  The proxy's family carries the switch (cookie_fallback), and
 * the reaper calls it through the core, so neither feature module needs
 * the other.
 */
/* Returns -ENOENT (and sets nothing) without a registered proxy. */
int ip_vs_ext_cookie_fallback(struct net *net, bool on, u64 *diverted);

#endif /* _IP_VS_EXT_H */
