/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipvs-ext: definitions shared by the IPVS extension modules.
 *
 * IPVS exports no service lookup, so each module keeps its own per-netns
 * table of per-service settings keyed by the service identity IPVS uses:
 * (af, fwmark) for firewall-mark services, (af, protocol, address, port)
 * otherwise.  This header holds that key, the table, the netlink parsing of
 * the key and the per-netns sysctl registration; every module compiles in
 * its own copy so that each loads alone.
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
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/sysctl.h>
#include <net/genetlink.h>
#include <net/ip_vs.h>
#include <net/net_namespace.h>

#include "uapi/linux/ip_vs_ext.h"

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
static inline struct ip_vs_ext_svc *
ip_vs_ext_svc_find(struct ip_vs_ext_svc_table *t,
		   const struct ip_vs_ext_svc_key *k)
{
	struct ip_vs_ext_svc *s;

	hash_for_each_possible_rcu(t->ht, s, node, ip_vs_ext_svc_hash(k),
				   lockdep_is_held(&t->lock))
		if (ip_vs_ext_svc_key_eq(&s->key, k))
			return s;
	return NULL;
}

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
static inline struct ip_vs_ext_svc *
ip_vs_ext_svc_find_pkt(struct ip_vs_ext_svc_table *t, u16 af, u32 mark,
		       u16 protocol, const union nf_inet_addr *daddr,
		       __be16 dport)
{
	struct ip_vs_ext_svc_key k;
	struct ip_vs_ext_svc *s;

	if (!READ_ONCE(t->count))
		return NULL;
	if (mark) {
		ip_vs_ext_svc_key_fwmark(&k, af, mark);
		s = ip_vs_ext_svc_find(t, &k);
		if (s)
			return s;
	}
	ip_vs_ext_svc_key_addr(&k, af, protocol, daddr, dport);
	s = ip_vs_ext_svc_find(t, &k);
	if (s || !dport)
		return s;
	k.port = 0;
	return ip_vs_ext_svc_find(t, &k);
}

/* Caller holds t->lock; @s is fully initialised. */
static inline void ip_vs_ext_svc_insert(struct ip_vs_ext_svc_table *t,
					struct ip_vs_ext_svc *s)
{
	hash_add_rcu(t->ht, &s->node, ip_vs_ext_svc_hash(&s->key));
	WRITE_ONCE(t->count, t->count + 1);
	t->gen++;
}

static inline void ip_vs_ext_svc_destroy_rcu(struct rcu_head *head)
{
	struct ip_vs_ext_svc *s = container_of(head, struct ip_vs_ext_svc, rcu);

	s->destroy(s);
}

/*
 * Caller holds t->lock.  The entry must start with its struct ip_vs_ext_svc
 * so that kfree_rcu() of the member frees the whole entry.  A module whose
 * entries have a destroy callback waits for it with rcu_barrier() on exit.
 */
static inline void ip_vs_ext_svc_remove(struct ip_vs_ext_svc_table *t,
					struct ip_vs_ext_svc *s)
{
	hash_del_rcu(&s->node);
	WRITE_ONCE(t->count, t->count - 1);
	t->gen++;
	if (s->destroy)
		call_rcu(&s->rcu, ip_vs_ext_svc_destroy_rcu);
	else
		kfree_rcu(s, rcu);
}

static inline void ip_vs_ext_svc_flush(struct ip_vs_ext_svc_table *t)
{
	struct ip_vs_ext_svc *s;
	struct hlist_node *tmp;
	int bkt;

	mutex_lock(&t->lock);
	hash_for_each_safe(t->ht, bkt, tmp, s, node)
		ip_vs_ext_svc_remove(t, s);
	mutex_unlock(&t->lock);
}

/* Netlink: the nested service identity (IPVS_EXT_ATTR_SERVICE). */
static const struct nla_policy ip_vs_ext_svc_policy[IPVS_EXT_SVC_ATTR_MAX + 1] = {
	[IPVS_EXT_SVC_ATTR_AF]		= NLA_POLICY_RANGE(NLA_U16, AF_INET, AF_INET6),
	[IPVS_EXT_SVC_ATTR_PROTOCOL]	= { .type = NLA_U16 },
	[IPVS_EXT_SVC_ATTR_ADDR]	= NLA_POLICY_MIN_LEN(sizeof(struct in_addr)),
	[IPVS_EXT_SVC_ATTR_PORT]	= { .type = NLA_U16 },
	[IPVS_EXT_SVC_ATTR_FWMARK]	= NLA_POLICY_MIN(NLA_U32, 1),
};

static inline int ip_vs_ext_svc_key_parse(struct ip_vs_ext_svc_key *k,
					  const struct nlattr *nest,
					  struct netlink_ext_ack *extack)
{
	struct nlattr *a[IPVS_EXT_SVC_ATTR_MAX + 1];
	union nf_inet_addr addr = {};
	u16 af, proto;
	int err, len;

	if (!nest) {
		NL_SET_ERR_MSG(extack, "virtual service attribute is missing");
		return -EINVAL;
	}
	err = nla_parse_nested(a, IPVS_EXT_SVC_ATTR_MAX, nest,
			       ip_vs_ext_svc_policy, extack);
	if (err)
		return err;
	if (!a[IPVS_EXT_SVC_ATTR_AF]) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "address family is missing");
		return -EINVAL;
	}
	af = nla_get_u16(a[IPVS_EXT_SVC_ATTR_AF]);
	if (af != AF_INET && af != AF_INET6) {
		NL_SET_ERR_MSG_ATTR(extack, a[IPVS_EXT_SVC_ATTR_AF],
				    "address family must be AF_INET or AF_INET6");
		return -EAFNOSUPPORT;
	}
	if (a[IPVS_EXT_SVC_ATTR_FWMARK]) {
		if (a[IPVS_EXT_SVC_ATTR_PROTOCOL] || a[IPVS_EXT_SVC_ATTR_ADDR] ||
		    a[IPVS_EXT_SVC_ATTR_PORT]) {
			NL_SET_ERR_MSG_ATTR(extack, nest,
					    "a firewall-mark service has no protocol, address or port");
			return -EINVAL;
		}
		ip_vs_ext_svc_key_fwmark(k, af,
					 nla_get_u32(a[IPVS_EXT_SVC_ATTR_FWMARK]));
		return 0;
	}
	if (!a[IPVS_EXT_SVC_ATTR_PROTOCOL] || !a[IPVS_EXT_SVC_ATTR_ADDR] ||
	    !a[IPVS_EXT_SVC_ATTR_PORT]) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "service needs a firewall mark or protocol, address and port");
		return -EINVAL;
	}
	proto = nla_get_u16(a[IPVS_EXT_SVC_ATTR_PROTOCOL]);
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP &&
	    proto != IPPROTO_SCTP) {
		NL_SET_ERR_MSG_ATTR(extack, a[IPVS_EXT_SVC_ATTR_PROTOCOL],
				    "protocol must be TCP, UDP or SCTP");
		return -EPROTONOSUPPORT;
	}
	len = nla_len(a[IPVS_EXT_SVC_ATTR_ADDR]);
	if ((af == AF_INET && len != sizeof(struct in_addr) &&
	     len != sizeof(addr)) ||
	    (af == AF_INET6 && len != sizeof(struct in6_addr))) {
		NL_SET_ERR_MSG_ATTR(extack, a[IPVS_EXT_SVC_ATTR_ADDR],
				    "address length does not match the family");
		return -EINVAL;
	}
	nla_memcpy(&addr, a[IPVS_EXT_SVC_ATTR_ADDR], sizeof(addr));
	ip_vs_ext_svc_key_addr(k, af, proto, &addr,
			       nla_get_be16(a[IPVS_EXT_SVC_ATTR_PORT]));
	return 0;
}

static inline int ip_vs_ext_svc_key_put(struct sk_buff *skb,
					const struct ip_vs_ext_svc_key *k)
{
	struct nlattr *nest = nla_nest_start(skb, IPVS_EXT_ATTR_SERVICE);

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u16(skb, IPVS_EXT_SVC_ATTR_AF, k->af))
		goto err_cancel;
	if (k->fwmark) {
		if (nla_put_u32(skb, IPVS_EXT_SVC_ATTR_FWMARK, k->fwmark))
			goto err_cancel;
	} else if (nla_put_u16(skb, IPVS_EXT_SVC_ATTR_PROTOCOL, k->protocol) ||
		   nla_put(skb, IPVS_EXT_SVC_ATTR_ADDR,
			   k->af == AF_INET ? sizeof(struct in_addr) :
					      sizeof(struct in6_addr), &k->addr) ||
		   nla_put_be16(skb, IPVS_EXT_SVC_ATTR_PORT, k->port)) {
		goto err_cancel;
	}
	nla_nest_end(skb, nest);
	return 0;

err_cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

/*
 * Generic netlink handlers common to the families, for a table whose
 * entries start with struct ip_vs_ext_svc.  @fill writes one service's
 * message (GET_SERVICE) and is called with t->lock held.
 */
typedef int (*ip_vs_ext_fill_t)(struct sk_buff *skb, u32 portid, u32 seq,
				int flags, const struct ip_vs_ext_svc *s);

static inline int ip_vs_ext_nl_get(struct ip_vs_ext_svc_table *t,
				   struct genl_info *info, ip_vs_ext_fill_t fill)
{
	struct ip_vs_ext_svc_key key;
	struct ip_vs_ext_svc *s;
	struct sk_buff *msg;
	int err;

	err = ip_vs_ext_svc_key_parse(&key, info->attrs[IPVS_EXT_ATTR_SERVICE],
				      info->extack);
	if (err)
		return err;
	msg = nlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	mutex_lock(&t->lock);
	s = ip_vs_ext_svc_find(t, &key);
	if (!s) {
		NL_SET_ERR_MSG(info->extack, "service has no settings");
		err = -ENOENT;
	} else {
		err = fill(msg, info->snd_portid, info->snd_seq, 0, s);
	}
	mutex_unlock(&t->lock);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

static inline int ip_vs_ext_nl_dump(struct ip_vs_ext_svc_table *t,
				    struct sk_buff *skb,
				    struct netlink_callback *cb,
				    ip_vs_ext_fill_t fill)
{
	struct ip_vs_ext_svc *s;
	struct nlmsghdr *nlh;
	long idx = 0, start = cb->args[0];
	int bkt;

	mutex_lock(&t->lock);
	/* a change between two parts of the dump flags it NLM_F_DUMP_INTR */
	cb->seq = t->gen;
	hash_for_each(t->ht, bkt, s, node) {
		if (idx < start) {
			idx++;
			continue;
		}
		nlh = (struct nlmsghdr *)skb_tail_pointer(skb);
		if (fill(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			 NLM_F_MULTI, s))
			break;
		nl_dump_check_consistent(cb, nlh);
		idx++;
	}
	mutex_unlock(&t->lock);
	cb->args[0] = idx;
	return skb->len;
}

/*
 * Find the entry of the service in the request for a change; on success
 * the caller holds t->lock and must release it.  *@s is NULL if the service
 * has no settings yet.
 */
static inline int ip_vs_ext_nl_lock_svc(struct ip_vs_ext_svc_table *t,
					struct genl_info *info,
					struct ip_vs_ext_svc_key *key,
					struct ip_vs_ext_svc **s)
{
	int err;

	err = ip_vs_ext_svc_key_parse(key, info->attrs[IPVS_EXT_ATTR_SERVICE],
				      info->extack);
	if (err)
		return err;
	mutex_lock(&t->lock);
	*s = ip_vs_ext_svc_find(t, key);
	return 0;
}

static inline int ip_vs_ext_nl_check_room(struct ip_vs_ext_svc_table *t,
					  struct genl_info *info)
{
	unsigned int limit = genl_info_net(info)->user_ns == &init_user_ns ?
			     IP_VS_EXT_SVC_LIMIT : IP_VS_EXT_SVC_LIMIT_USERNS;

	if (t->count < limit)
		return 0;
	NL_SET_ERR_MSG(info->extack, "too many services with settings");
	return -ENOSPC;
}

/*
 * Per-netns sysctls under net/ipv4/vs.  The template's .data holds the
 * offset of the variable inside the module's per-netns struct; the table is
 * duplicated for every netns and the offsets turned into pointers.  As IPVS
 * does, non-init user namespaces see the knobs read-only.
 */
#define IP_VS_EXT_SYSCTL_DATA(type, member) \
	((void *)offsetof(type, member))

/*
 * Entries whose handler is @netns_handler get the per-netns struct as
 * extra1, set before the table is visible to writers.
 */
static inline struct ctl_table_header *
ip_vs_ext_sysctl_register(struct net *net, const struct ctl_table *tmpl,
			  size_t size, void *base, proc_handler *netns_handler)
{
	struct ctl_table_header *hdr;
	struct ctl_table *tbl;
	size_t i, n = size / sizeof(*tmpl);

	tbl = kmemdup(tmpl, size, GFP_KERNEL);
	if (!tbl)
		return NULL;
	for (i = 0; i < n && tbl[i].procname; i++) {
		tbl[i].data = base + (uintptr_t)tmpl[i].data;
		if (netns_handler && tbl[i].proc_handler == netns_handler)
			tbl[i].extra1 = base;
		if (net->user_ns != &init_user_ns)
			tbl[i].mode &= 0444;
	}
	hdr = register_net_sysctl(net, "net/ipv4/vs", tbl);
	if (!hdr)
		kfree(tbl);
	return hdr;
}

static inline void ip_vs_ext_sysctl_unregister(struct ctl_table_header *hdr)
{
	struct ctl_table *tbl;

	if (!hdr)
		return;
	tbl = hdr->ctl_table_arg;
	unregister_net_sysctl_table(hdr);
	kfree(tbl);
}

/*
 * Exported by ip_vs_syncookie, called by ip_vs_dos_reap through
 * symbol_get() (no load-order dependency): while on, auto services answer
 * SYNs with cookies.  Returns the SYNs answered because of it so far.
 */
u64 ip_vs_syncookie_reap_fallback(struct net *net, bool on);

#endif /* _IP_VS_EXT_H */
