// SPDX-License-Identifier: GPL-2.0
/*
 * IPVS extensions: the core the feature modules share (ip_vs_ext.ko).
 * What each function does is said in include/ip_vs_ext.h.
 *
 * Authors:	the ipvs-ext developers
 */

#define KMSG_COMPONENT "IPVS"
#define pr_fmt(fmt) KMSG_COMPONENT ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <net/ip.h>
#include <net/netns/generic.h>
#include <net/ip6_checksum.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/route.h>
#include <net/tcp.h>

#include "include/ip_vs_ext.h"

/* ---- per-netns settings tables */

struct ip_vs_ext_svc *ip_vs_ext_svc_find(struct ip_vs_ext_svc_table *t,
					 const struct ip_vs_ext_svc_key *k)
{
	struct ip_vs_ext_svc *s;

	hash_for_each_possible_rcu(t->ht, s, node, ip_vs_ext_svc_hash(k),
				   lockdep_is_held(&t->lock))
		if (ip_vs_ext_svc_key_eq(&s->key, k))
			return s;
	return NULL;
}
EXPORT_SYMBOL_NS_GPL(ip_vs_ext_svc_find, IP_VS_EXT);

struct ip_vs_ext_svc *
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
EXPORT_SYMBOL_NS_GPL(ip_vs_ext_svc_find_pkt, IP_VS_EXT);

void ip_vs_ext_svc_insert(struct ip_vs_ext_svc_table *t,
			  struct ip_vs_ext_svc *s)
{
	hash_add_rcu(t->ht, &s->node, ip_vs_ext_svc_hash(&s->key));
	WRITE_ONCE(t->count, t->count + 1);
	t->gen++;
}
EXPORT_SYMBOL_NS_GPL(ip_vs_ext_svc_insert, IP_VS_EXT);

static void ip_vs_ext_svc_destroy_rcu(struct rcu_head *head)
{
	struct ip_vs_ext_svc *s = container_of(head, struct ip_vs_ext_svc, rcu);

	s->destroy(s);
}

void ip_vs_ext_svc_remove(struct ip_vs_ext_svc_table *t,
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
EXPORT_SYMBOL_NS_GPL(ip_vs_ext_svc_remove, IP_VS_EXT);

void ip_vs_ext_svc_flush(struct ip_vs_ext_svc_table *t)
{
	struct ip_vs_ext_svc *s;
	struct hlist_node *tmp;
	int bkt;

	mutex_lock(&t->lock);
	hash_for_each_safe(t->ht, bkt, tmp, s, node)
		ip_vs_ext_svc_remove(t, s);
	mutex_unlock(&t->lock);
}
EXPORT_SYMBOL_NS_GPL(ip_vs_ext_svc_flush, IP_VS_EXT);

/* ---- generic netlink */

const struct nla_policy ip_vs_ext_svc_policy[IPVS_EXT_SVC_ATTR_MAX + 1] = {
	[IPVS_EXT_SVC_ATTR_AF]		= NLA_POLICY_RANGE(NLA_U16, AF_INET, AF_INET6),
	[IPVS_EXT_SVC_ATTR_PROTOCOL]	= { .type = NLA_U16 },
	[IPVS_EXT_SVC_ATTR_ADDR]	= NLA_POLICY_MIN_LEN(sizeof(struct in_addr)),
	[IPVS_EXT_SVC_ATTR_PORT]	= { .type = NLA_U16 },
	[IPVS_EXT_SVC_ATTR_FWMARK]	= NLA_POLICY_MIN(NLA_U32, 1),
};
EXPORT_SYMBOL_NS_GPL(ip_vs_ext_svc_policy, IP_VS_EXT);

int ip_vs_ext_svc_key_parse(struct ip_vs_ext_svc_key *k,
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
EXPORT_SYMBOL_NS_GPL(ip_vs_ext_svc_key_parse, IP_VS_EXT);

int ip_vs_ext_svc_key_put(struct sk_buff *skb,
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
EXPORT_SYMBOL_NS_GPL(ip_vs_ext_svc_key_put, IP_VS_EXT);

int ip_vs_ext_nl_lock_svc(struct ip_vs_ext_svc_table *t,
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
EXPORT_SYMBOL_NS_GPL(ip_vs_ext_nl_lock_svc, IP_VS_EXT);

int ip_vs_ext_nl_check_room(struct ip_vs_ext_svc_table *t,
			    struct genl_info *info)
{
	unsigned int limit = genl_info_net(info)->user_ns == &init_user_ns ?
			     IP_VS_EXT_SVC_LIMIT : IP_VS_EXT_SVC_LIMIT_USERNS;

	if (t->count < limit)
		return 0;
	NL_SET_ERR_MSG(info->extack, "too many services with settings");
	return -ENOSPC;
}
EXPORT_SYMBOL_NS_GPL(ip_vs_ext_nl_check_room, IP_VS_EXT);

/*
 * The registered families, found by the id of a request's message: a
 * genl_info of this kernel does not point to its family.  Few features,
 * so a small array; changed under the mutex, read under RCU.
 */
#define IP_VS_EXT_MAX_FAMILIES	8
static DEFINE_MUTEX(ip_vs_ext_families_lock);
static struct ip_vs_ext_family __rcu *ip_vs_ext_families[IP_VS_EXT_MAX_FAMILIES];

static int ip_vs_ext_register_family(struct ip_vs_ext_family *f)
{
	int i, err = -ENOSPC;

	mutex_lock(&ip_vs_ext_families_lock);
	for (i = 0; i < IP_VS_EXT_MAX_FAMILIES; i++) {
		if (rcu_access_pointer(ip_vs_ext_families[i]))
			continue;
		/* before the family exists: its first request finds it */
		rcu_assign_pointer(ip_vs_ext_families[i], f);
		err = genl_register_family(&f->genl);
		if (err) {
			RCU_INIT_POINTER(ip_vs_ext_families[i], NULL);
			mutex_unlock(&ip_vs_ext_families_lock);
			synchronize_rcu();
			return err;
		}
		break;
	}
	mutex_unlock(&ip_vs_ext_families_lock);
	if (err)
		pr_err("no room for the family %s\n", f->genl.name);
	return err;
}

static void ip_vs_ext_unregister_family(struct ip_vs_ext_family *f)
{
	int i;

	/* waits for the family's requests in progress */
	genl_unregister_family(&f->genl);
	mutex_lock(&ip_vs_ext_families_lock);
	for (i = 0; i < IP_VS_EXT_MAX_FAMILIES; i++)
		if (rcu_access_pointer(ip_vs_ext_families[i]) == f)
			RCU_INIT_POINTER(ip_vs_ext_families[i], NULL);
	mutex_unlock(&ip_vs_ext_families_lock);
	synchronize_rcu();
}

int ip_vs_ext_register_feature(struct ip_vs_ext_family *f,
			       struct pernet_operations *pernet)
{
	int err;

	err = register_pernet_subsys(pernet);
	if (err)
		return err;
	err = ip_vs_ext_register_family(f);
	if (err)
		goto err_pernet;
	return 0;

err_pernet:
	unregister_pernet_subsys(pernet);
	return err;
}
EXPORT_SYMBOL_NS_GPL(ip_vs_ext_register_feature, IP_VS_EXT);

void ip_vs_ext_unregister_feature(struct ip_vs_ext_family *f,
				  struct pernet_operations *pernet)
{
	ip_vs_ext_unregister_family(f);
	unregister_pernet_subsys(pernet);
}
EXPORT_SYMBOL_NS_GPL(ip_vs_ext_unregister_feature, IP_VS_EXT);

/* The family of a request; it stays registered while the request runs. */
static const struct ip_vs_ext_family *ip_vs_ext_family_of(struct genl_info *info)
{
	const struct ip_vs_ext_family *f, *found = NULL;
	int i;

	rcu_read_lock();
	for (i = 0; i < IP_VS_EXT_MAX_FAMILIES && !found; i++) {
		f = rcu_dereference(ip_vs_ext_families[i]);
		/* id is 0 until the family is registered: no match */
		if (f && READ_ONCE(f->genl.id) == info->nlhdr->nlmsg_type)
			found = f;
	}
	rcu_read_unlock();
	return found;
}

static void *ip_vs_ext_family_pernet(const struct ip_vs_ext_family *f,
				     struct net *net)
{
	return net_generic(net, *f->net_id);
}

static struct ip_vs_ext_svc_table *
ip_vs_ext_family_svcs(const struct ip_vs_ext_family *f, void *pernet)
{
	return pernet + f->svcs;
}

/* One service's GET_SERVICE message: its key, then the feature's part. */
static int ip_vs_ext_fill_svc(const struct ip_vs_ext_family *f,
			      struct sk_buff *skb, u32 portid, u32 seq,
			      int flags, const struct ip_vs_ext_svc *s)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &f->genl, flags,
			  IPVS_EXT_CMD_GET_SERVICE);
	if (!hdr)
		return -EMSGSIZE;
	if (ip_vs_ext_svc_key_put(skb, &s->key) || f->fill(skb, s)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int ip_vs_ext_nl_get(const struct ip_vs_ext_family *f,
			    struct ip_vs_ext_svc_table *t,
			    struct genl_info *info)
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
		err = ip_vs_ext_fill_svc(f, msg, info->snd_portid,
					 info->snd_seq, 0, s);
	}
	mutex_unlock(&t->lock);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

static int ip_vs_ext_nl_dump(const struct ip_vs_ext_family *f,
			     struct ip_vs_ext_svc_table *t,
			     struct sk_buff *skb, struct netlink_callback *cb)
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
		if (ip_vs_ext_fill_svc(f, skb, NETLINK_CB(cb->skb).portid,
				       cb->nlh->nlmsg_seq, NLM_F_MULTI, s))
			break;
		nl_dump_check_consistent(cb, nlh);
		idx++;
	}
	mutex_unlock(&t->lock);
	cb->args[0] = idx;
	return skb->len;
}

int ip_vs_ext_nl_get_op(struct sk_buff *skb, struct genl_info *info)
{
	const struct ip_vs_ext_family *f = ip_vs_ext_family_of(info);
	void *pernet;

	if (WARN_ON_ONCE(!f))
		return -EOPNOTSUPP;
	pernet = ip_vs_ext_family_pernet(f, genl_info_net(info));
	return ip_vs_ext_nl_get(f, ip_vs_ext_family_svcs(f, pernet), info);
}
EXPORT_SYMBOL_NS_GPL(ip_vs_ext_nl_get_op, IP_VS_EXT);

int ip_vs_ext_nl_dump_op(struct sk_buff *skb, struct netlink_callback *cb)
{
	const struct genl_family *family = genl_dumpit_info(cb)->family;
	const struct ip_vs_ext_family *f;
	void *pernet;

	f = container_of(family, const struct ip_vs_ext_family, genl);
	pernet = ip_vs_ext_family_pernet(f, sock_net(skb->sk));

	return ip_vs_ext_nl_dump(f, ip_vs_ext_family_svcs(f, pernet), skb, cb);
}
EXPORT_SYMBOL_NS_GPL(ip_vs_ext_nl_dump_op, IP_VS_EXT);

/* The family of a request, its feature's state in the netns and table. */
static struct ip_vs_ext_svc_table *
ip_vs_ext_nl_table(struct genl_info *info, const struct ip_vs_ext_family **f,
		   void **pernet)
{
	*f = ip_vs_ext_family_of(info);
	if (WARN_ON_ONCE(!*f))
		return NULL;
	*pernet = ip_vs_ext_family_pernet(*f, genl_info_net(info));
	return ip_vs_ext_family_svcs(*f, *pernet);
}

/* DEL_SERVICE (@all false) or FLUSH: the feature unlinks, then we free. */
static int ip_vs_ext_nl_remove(struct genl_info *info, bool all)
{
	const struct ip_vs_ext_family *f;
	struct ip_vs_ext_svc_table *t;
	struct ip_vs_ext_svc_key key;
	struct ip_vs_ext_svc *s;
	struct hlist_node *tmp;
	void *pernet;
	int bkt, err;

	t = ip_vs_ext_nl_table(info, &f, &pernet);
	if (!t)
		return -EOPNOTSUPP;
	if (all) {
		mutex_lock(&t->lock);
		hash_for_each_safe(t->ht, bkt, tmp, s, node) {
			if (f->unlink)
				f->unlink(pernet, s);
			ip_vs_ext_svc_remove(t, s);
		}
		mutex_unlock(&t->lock);
		return 0;
	}
	err = ip_vs_ext_nl_lock_svc(t, info, &key, &s);
	if (err)
		return err;
	if (s) {
		if (f->unlink)
			f->unlink(pernet, s);
		ip_vs_ext_svc_remove(t, s);
	} else {
		/*
		 * NL_SET_ERR_MSG with the feature's string, which stays
		 * loaded until the ack is sent (genl_unregister_family waits
		 * for cb_lock, held across the request and its ack).
		 */
		do_trace_netlink_extack(f->none);
		if (info->extack)
			info->extack->_msg = f->none;
		err = -ENOENT;
	}
	mutex_unlock(&t->lock);
	return err;
}

int ip_vs_ext_nl_del_op(struct sk_buff *skb, struct genl_info *info)
{
	return ip_vs_ext_nl_remove(info, false);
}
EXPORT_SYMBOL_NS_GPL(ip_vs_ext_nl_del_op, IP_VS_EXT);

int ip_vs_ext_nl_flush_op(struct sk_buff *skb, struct genl_info *info)
{
	return ip_vs_ext_nl_remove(info, true);
}
EXPORT_SYMBOL_NS_GPL(ip_vs_ext_nl_flush_op, IP_VS_EXT);

int ip_vs_ext_nl_put_stats(struct sk_buff *skb, int attr, const u64 *v,
			   int n, int pad)
{
	struct nlattr *nest = nla_nest_start(skb, attr);
	int i;

	if (!nest)
		return -EMSGSIZE;
	for (i = 1; i < n; i++) {
		if (i != pad && nla_put_u64_64bit(skb, i, v[i], pad)) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(skb, nest);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(ip_vs_ext_nl_put_stats, IP_VS_EXT);

int ip_vs_ext_nl_info_op(struct sk_buff *skb, struct genl_info *info)
{
	const struct ip_vs_ext_family *f = ip_vs_ext_family_of(info);
	struct sk_buff *msg;
	void *hdr;
	int err;

	if (!f || !f->info)
		return -EOPNOTSUPP;
	msg = nlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &f->genl, 0, IPVS_EXT_CMD_GET_INFO);
	err = -EMSGSIZE;
	if (!hdr)
		goto err_free;
	err = f->info(msg, ip_vs_ext_family_pernet(f, genl_info_net(info)));
	if (err)
		goto err_free;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_free:
	nlmsg_free(msg);
	return err;
}
EXPORT_SYMBOL_NS_GPL(ip_vs_ext_nl_info_op, IP_VS_EXT);

/* ---- counters */

/*
 * Counter i of one CPU: its own, and those of services, live or gone.
 * Under the table's lock, so that no service that goes is both in the
 * table and in gone (ip_vs_ext_stats_fold, then the removal, under it).
 */
static void ip_vs_ext_stats_row(const struct ip_vs_ext_stats *st, int cpu,
				unsigned long *row)
{
	const unsigned long *cnt = per_cpu_ptr(st->cnt, cpu);
	const unsigned long *gone = per_cpu_ptr(st->gone, cpu);
	struct ip_vs_ext_svc *s;
	unsigned int i;
	int bkt;

	for (i = 0; i < st->n; i++)
		row[i] = READ_ONCE(cnt[i]) + READ_ONCE(gone[i]);
	if (!st->svcs)
		return;
	lockdep_assert_held(&st->svcs->lock);
	hash_for_each(st->svcs->ht, bkt, s, node)
		st->svc_add(s, cpu, row);
}

/* A read walks every service on every CPU: yield between CPUs. */
static void ip_vs_ext_stats_lock(const struct ip_vs_ext_stats *st)
{
	if (st->svcs)
		mutex_lock(&st->svcs->lock);
}

static void ip_vs_ext_stats_unlock(const struct ip_vs_ext_stats *st)
{
	if (st->svcs)
		mutex_unlock(&st->svcs->lock);
}

static int ip_vs_ext_stats_show(struct seq_file *seq, void *v)
{
	const struct ip_vs_ext_stats *st = pde_data(file_inode(seq->file));
	unsigned long row[IP_VS_EXT_STATS_MAX];
	unsigned int i, entries;
	int cpu;

	seq_puts(seq, "entries");
	for (i = 0; i < st->n; i++)
		if (st->names[i])
			seq_printf(seq, " %s", st->names[i]);
	seq_putc(seq, '\n');
	entries = st->entries ? READ_ONCE(*st->entries) : 0;
	ip_vs_ext_stats_lock(st);
	for_each_possible_cpu(cpu) {
		ip_vs_ext_stats_row(st, cpu, row);
		seq_printf(seq, "%08x", entries);
		for (i = 0; i < st->n; i++)
			if (st->names[i])
				seq_printf(seq, " %08lx", row[i]);
		seq_putc(seq, '\n');
		cond_resched();
	}
	ip_vs_ext_stats_unlock(st);
	return 0;
}

int ip_vs_ext_stats_init(struct net *net, struct ip_vs_ext_stats *st,
			 const char *name, const char * const *names,
			 unsigned int n, struct ip_vs_ext_svc_table *svcs,
			 void (*svc_add)(const struct ip_vs_ext_svc *s, int cpu,
					 unsigned long *row))
{
	size_t size = n * sizeof(unsigned long);

	if (WARN_ON_ONCE(n > IP_VS_EXT_STATS_MAX))
		return -EINVAL;
	st->names = names;
	st->n = n;
	st->svcs = svcs;
	st->svc_add = svc_add;
	st->entries = svcs ? &svcs->count : NULL;
	st->cnt = __alloc_percpu(size, sizeof(unsigned long));
	if (!st->cnt)
		goto err_cnt;
	st->gone = __alloc_percpu(size, sizeof(unsigned long));
	if (!st->gone)
		goto err_gone;
	if (!proc_create_net_single(name, 0444, net->proc_net_stat,
				    ip_vs_ext_stats_show, st))
		goto err_proc;
	return 0;

err_proc:
	free_percpu(st->gone);
err_gone:
	free_percpu(st->cnt);
err_cnt:
	return -ENOMEM;
}
EXPORT_SYMBOL_NS_GPL(ip_vs_ext_stats_init, IP_VS_EXT);

void ip_vs_ext_stats_exit(struct net *net, struct ip_vs_ext_stats *st,
			  const char *name)
{
	remove_proc_entry(name, net->proc_net_stat);
	free_percpu(st->gone);
	free_percpu(st->cnt);
}
EXPORT_SYMBOL_NS_GPL(ip_vs_ext_stats_exit, IP_VS_EXT);

/*
 * A packet still in flight on the service (within its grace period) may
 * count after this: that count is lost, none is counted twice.
 */
void ip_vs_ext_stats_fold(struct ip_vs_ext_stats *st,
			  const struct ip_vs_ext_svc *s)
{
	unsigned long *row;
	int cpu;

	lockdep_assert_held(&st->svcs->lock);
	for_each_possible_cpu(cpu) {
		row = per_cpu_ptr(st->gone, cpu);
		st->svc_add(s, cpu, row);
	}
}
EXPORT_SYMBOL_NS_GPL(ip_vs_ext_stats_fold, IP_VS_EXT);

void ip_vs_ext_stats_sum(const struct ip_vs_ext_stats *st, u64 *v)
{
	unsigned long row[IP_VS_EXT_STATS_MAX];
	unsigned int i;
	int cpu;

	memset(v, 0, st->n * sizeof(*v));
	ip_vs_ext_stats_lock(st);
	for_each_possible_cpu(cpu) {
		ip_vs_ext_stats_row(st, cpu, row);
		for (i = 0; i < st->n; i++)
			v[i] += row[i];
		cond_resched();
	}
	ip_vs_ext_stats_unlock(st);
}
EXPORT_SYMBOL_NS_GPL(ip_vs_ext_stats_sum, IP_VS_EXT);

/* ---- per-netns sysctls */

struct ctl_table_header *
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
EXPORT_SYMBOL_NS_GPL(ip_vs_ext_sysctl_register, IP_VS_EXT);

void ip_vs_ext_sysctl_unregister(struct ctl_table_header *hdr)
{
	struct ctl_table *tbl;

	if (!hdr)
		return;
	tbl = hdr->ctl_table_arg;
	unregister_net_sysctl_table(hdr);
	kfree(tbl);
}
EXPORT_SYMBOL_NS_GPL(ip_vs_ext_sysctl_unregister, IP_VS_EXT);

/* ---- TCP segments of the director's own */

struct sk_buff *
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
EXPORT_SYMBOL_NS_GPL(ip_vs_ext_tcp_build, IP_VS_EXT);

void ip_vs_ext_tcp_xmit(struct net *net, int af,
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
EXPORT_SYMBOL_NS_GPL(ip_vs_ext_tcp_xmit, IP_VS_EXT);

void ip_vs_ext_tcp_send(struct net *net, int af,
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
EXPORT_SYMBOL_NS_GPL(ip_vs_ext_tcp_send, IP_VS_EXT);

/* ---- the reaper's cookie fallback */

int ip_vs_ext_cookie_fallback(struct net *net, bool on, u64 *diverted)
{
	const struct ip_vs_ext_family *f;
	int i, err = -ENOENT;

	rcu_read_lock();
	for (i = 0; i < IP_VS_EXT_MAX_FAMILIES && err; i++) {
		f = rcu_dereference(ip_vs_ext_families[i]);
		if (f && f->cookie_fallback) {
			*diverted = f->cookie_fallback(net, on);
			err = 0;
		}
	}
	rcu_read_unlock();
	return err;
}
EXPORT_SYMBOL_NS_GPL(ip_vs_ext_cookie_fallback, IP_VS_EXT);

/* No state of its own: the feature modules hold what they register. */
static int __init ip_vs_ext_init(void)
{
	return 0;
}

static void __exit ip_vs_ext_exit(void)
{
	/* entries of the tables are freed by callbacks in this module */
	rcu_barrier();
}

module_init(ip_vs_ext_init);
module_exit(ip_vs_ext_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("IPVS extensions: core shared by the feature modules");
