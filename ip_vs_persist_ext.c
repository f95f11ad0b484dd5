// SPDX-License-Identifier: GPL-2.0-only
/*
 * ip_vs_persist_ext: persistence-extension modes for IPVS services.
 *
 * A persistent service that selects the persistence engine "persist_ext"
 * chooses how its client->real-server affinity (the template) is extended
 * in time: renew (stock re-arm, always to the full timeout), absolute
 * (ends timeout seconds after the first connection), idle (ends timeout
 * seconds after the client's last packet), each but absolute optionally
 * capped by a maximum lifetime.
 *
 * Mechanism: the engine's fill_param stamps the creation time into the
 * pe_data of each new template (pe_data travels to a backup director with
 * the template); ct_match, which IPVS calls before it reuses a template,
 * refuses one whose affinity has ended and sets the timeout IPVS re-arms
 * the template with.  For idle mode, a LOCAL_IN hook just before IPVS's
 * records client activity on controlled connections.
 */

#define KMSG_COMPONENT "IPVS"
#define pr_fmt(fmt) KMSG_COMPONENT ": " fmt

#include <linux/atomic.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/percpu.h>
#include <linux/timekeeping.h>
#include <net/genetlink.h>
#include <net/ip_vs.h>
#include <net/netns/generic.h>

#include "include/ip_vs_ext.h"
#include "include/ip_vs_persist_calc.h"

/*
 * A service's counters, per CPU: every new connection counts.  The
 * CREATED counter counts template lookups; reported are lookups minus
 * reuses.
 */
struct ip_vs_persist_svc_cpu {
	unsigned long	cnt[IPVS_PERSIST_STATS_PAD];
};

struct ip_vs_persist_svc {
	struct ip_vs_ext_svc	base;	/* must be first: freed through it */
	u8			mode;
	u32			max;	/* seconds, 0 = none */
	struct ip_vs_persist_svc_cpu __percpu *pcpu;
};

struct ip_vs_persist_net {
	struct ip_vs_ext_svc_table svcs;
	int			sysctl_mode;
	int			sysctl_max;
	/* services without settings count here, the others add theirs */
	struct ip_vs_ext_stats	stats;
	/* services set to idle mode: the packet hook runs only if any */
	unsigned int		idle_svcs;
	struct ctl_table_header	*sysctl_hdr;
};

/*
 * pe_data of a template: wall-clock ms in network order, so that a backup
 * that takes over after a sync applies the same expiry.  @last and @armed
 * are written locklessly by the packet hook; a stale value only shifts an
 * idle expiry by the re-arm period.
 */
struct ip_vs_persist_data {
	__be64	created;
	__be64	last;	/* last client packet (idle) or new connection */
	__be64	armed;	/* last timer re-arm from the packet hook */
};

static u64 ip_vs_persist_get(const __be64 *t)
{
	return be64_to_cpu(READ_ONCE(*t));
}

static void ip_vs_persist_set(__be64 *t, u64 ms)
{
	WRITE_ONCE(*t, cpu_to_be64(ms));
}

/* Timeouts beyond 49 days overflow jiffies_to_msecs(): convert in 64 bits. */
static u64 ip_vs_persist_j2ms(unsigned long j)
{
	return div_u64((u64)j * MSEC_PER_SEC, HZ);
}

static unsigned long ip_vs_persist_ms2j(u64 ms)
{
	u64 j = div_u64(ms * HZ + MSEC_PER_SEC - 1, MSEC_PER_SEC);

	return clamp_t(u64, j, 1, MAX_JIFFY_OFFSET);
}

static unsigned int ip_vs_persist_net_id __read_mostly;
static struct ip_vs_pe ip_vs_persist_pe;

static struct ip_vs_persist_net *ip_vs_persist_pernet(struct net *net)
{
	return net_generic(net, ip_vs_persist_net_id);
}

static u64 ip_vs_persist_now(void)
{
	return ktime_to_ms(ktime_get_real());
}

static void ip_vs_persist_count(struct ip_vs_persist_net *pn,
				struct ip_vs_persist_svc *ps, int what)
{
	if (ps)
		this_cpu_inc(ps->pcpu->cnt[what]);
	else
		ip_vs_ext_count(&pn->stats, what);
}

/* Settings of the service that owns template @ct, under RCU. */
static struct ip_vs_persist_svc *
ip_vs_persist_svc_of(struct ip_vs_persist_net *pn, const struct ip_vs_conn *ct,
		     struct ip_vs_service **svcp)
{
	struct ip_vs_ext_svc_key key;
	struct ip_vs_service *svc;
	struct ip_vs_ext_svc *s;

	*svcp = NULL;
	if (!ct->dest)
		return NULL;
	svc = rcu_dereference(ct->dest->svc);
	if (!svc)
		return NULL;
	*svcp = svc;
	if (!READ_ONCE(pn->svcs.count))
		return NULL;
	ip_vs_ext_svc_key_of(&key, svc);
	s = ip_vs_ext_svc_find(&pn->svcs, &key);
	return s ? container_of(s, struct ip_vs_persist_svc, base) : NULL;
}

static void ip_vs_persist_settings(struct ip_vs_persist_net *pn,
				   const struct ip_vs_persist_svc *ps,
				   unsigned int *mode, u64 *max_ms)
{
	u32 max;

	if (ps) {
		*mode = READ_ONCE(ps->mode);
		max = READ_ONCE(ps->max);
	} else {
		*mode = READ_ONCE(pn->sysctl_mode);
		max = READ_ONCE(pn->sysctl_max);
	}
	/* The sysctl default cap does not apply where it cannot. */
	*max_ms = *mode == IPVS_PERSIST_MODE_ABSOLUTE ? 0 : (u64)max * MSEC_PER_SEC;
}

/*
 * Settings for the template being looked up: the template's service is not
 * known yet, so look the service up by the template's key.  IPVS keys FTP
 * templates with port 0; such a service is found by its own port at
 * ct_match time, only these counters may then land in the defaults.
 */
static struct ip_vs_persist_svc *
ip_vs_persist_svc_of_param(struct ip_vs_persist_net *pn,
			   const struct ip_vs_conn_param *p)
{
	struct ip_vs_ext_svc_key key;
	struct ip_vs_ext_svc *s;

	if (!READ_ONCE(pn->svcs.count))
		return NULL;
	if (p->protocol == IPPROTO_IP)
		ip_vs_ext_svc_key_fwmark(&key, p->af, ntohl(p->vaddr->ip));
	else
		ip_vs_ext_svc_key_addr(&key, p->af, p->protocol, p->vaddr,
				       p->vport);
	s = ip_vs_ext_svc_find(&pn->svcs, &key);
	return s ? container_of(s, struct ip_vs_persist_svc, base) : NULL;
}

/*
 * Called by ip_vs_sched_persist (under RCU) for every new connection of a
 * service using this engine.  The pe_data becomes the new template's if no
 * template matches; IPVS frees it otherwise.  The CREATED counter counts
 * these lookups; what is reported is lookups minus reuses.
 */
static int ip_vs_persist_fill_param(struct ip_vs_conn_param *p,
				    struct sk_buff *skb)
{
	struct ip_vs_persist_net *pn = ip_vs_persist_pernet(p->ipvs->net);
	struct ip_vs_persist_data *d;
	u64 now;

	d = kmalloc(sizeof(*d), GFP_ATOMIC);
	if (!d)
		return -ENOMEM;
	now = ip_vs_persist_now();
	ip_vs_persist_set(&d->created, now);
	ip_vs_persist_set(&d->last, now);
	ip_vs_persist_set(&d->armed, now);
	p->pe_data = (char *)d;
	p->pe_data_len = sizeof(*d);
	ip_vs_persist_count(pn, ip_vs_persist_svc_of_param(pn, p),
			    IPVS_PERSIST_STATS_CREATED);
	return 0;
}

static bool ip_vs_persist_ct_match(const struct ip_vs_conn_param *p,
				   struct ip_vs_conn *ct)
{
	struct ip_vs_persist_data *d = (struct ip_vs_persist_data *)ct->pe_data;
	struct ip_vs_persist_net *pn = ip_vs_persist_pernet(p->ipvs->net);
	enum ip_vs_persist_verdict v;
	struct ip_vs_persist_svc *ps;
	struct ip_vs_service *svc;
	u64 now, cap, remain;
	unsigned int mode;
	bool counting;

	/* The default match of ip_vs_ct_in_get, which a PE replaces. */
	if (!(ct->flags & IP_VS_CONN_F_TEMPLATE) || ct->af != p->af ||
	    ct->protocol != p->protocol || ct->vport != p->vport ||
	    ct->cport != p->cport ||
	    !ip_vs_addr_equal(p->af, p->caddr, &ct->caddr) ||
	    !ip_vs_addr_equal(p->protocol == IPPROTO_IP ? AF_UNSPEC : p->af,
			      p->vaddr, &ct->vaddr))
		return false;
	if (!d || ct->pe_data_len != sizeof(*d))
		return true;

	ps = ip_vs_persist_svc_of(pn, ct, &svc);
	if (!svc)
		return true;
	/*
	 * The backup's sync thread (process context) looks templates up too:
	 * only the packet path (softirq) counts client events.
	 */
	counting = !in_task();
	ip_vs_persist_settings(pn, ps, &mode, &cap);
	now = ip_vs_persist_now();
	v = ip_vs_persist_check(mode, ip_vs_persist_j2ms(svc->timeout), cap,
				ip_vs_persist_get(&d->created),
				ip_vs_persist_get(&d->last),
				now, atomic_read(&ct->n_control), &remain);
	if (v != IP_VS_PERSIST_KEEP) {
		if (counting)
			ip_vs_persist_count(pn, ps, v == IP_VS_PERSIST_CAPPED ?
					    IPVS_PERSIST_STATS_CAPPED :
					    IPVS_PERSIST_STATS_EXPIRED);
		/*
		 * A template without connections is only waiting for its
		 * timer (perhaps the 60 s IPVS gives a template it kept):
		 * free it now.  Safe without a reference under RCU, as
		 * ip_vs_conn_expire_now does.
		 */
		if (!atomic_read(&ct->n_control))
			mod_timer_pending(&ct->timer, jiffies);
		return false;
	}
	/*
	 * IPVS re-arms the template with ct->timeout after this new
	 * connection is attached: that also undoes the 60 s timeout which
	 * ip_vs_conn_expire leaves on a template it had to keep.
	 */
	ct->timeout = ip_vs_persist_ms2j(remain);
	if (mode == IPVS_PERSIST_MODE_IDLE || mode == IPVS_PERSIST_MODE_RENEW) {
		ip_vs_persist_set(&d->last, now);
		ip_vs_persist_set(&d->armed, now);
	}
	/* Same service as fill_param counted the lookup for. */
	if (counting)
		ip_vs_persist_count(pn, ip_vs_persist_svc_of_param(pn, p),
				    IPVS_PERSIST_STATS_REUSED);
	return true;
}

static int ip_vs_persist_show_pe_data(const struct ip_vs_conn *cp, char *buf)
{
	const struct ip_vs_persist_data *d =
		(const struct ip_vs_persist_data *)cp->pe_data;
	u64 now = ip_vs_persist_now();

	if (!d || cp->pe_data_len != sizeof(*d))
		return 0;
	return scnprintf(buf, IP_VS_PEDATA_MAXLEN, "age=%llums idle=%llums",
			 now - min(now, ip_vs_persist_get(&d->created)),
			 now - min(now, ip_vs_persist_get(&d->last)));
}

static struct ip_vs_pe ip_vs_persist_pe = {
	.name =			IPVS_PERSIST_PE_NAME,
	.refcnt =		ATOMIC_INIT(0),
	.module =		THIS_MODULE,
	.n_list =		LIST_HEAD_INIT(ip_vs_persist_pe.n_list),
	.fill_param =		ip_vs_persist_fill_param,
	.ct_match =		ip_vs_persist_ct_match,
	.show_pe_data =		ip_vs_persist_show_pe_data,
};

/*
 * Idle mode: a client packet on a connection controlled by one of our
 * templates extends the affinity.  Runs before ip_vs_out_hook (98) and
 * ip_vs_in_hook (99) so that it sees the packet as the client sent it.
 */
static unsigned int ip_vs_persist_hook(void *priv, struct sk_buff *skb,
				       const struct nf_hook_state *state)
{
	int af = state->pf == NFPROTO_IPV6 ? AF_INET6 : AF_INET;
	u64 now, cap, remain, timeout;
	struct net *net = state->net;
	struct ip_vs_persist_net *pn;
	struct ip_vs_persist_data *d;
	struct ip_vs_persist_svc *ps;
	struct ip_vs_conn *cp, *ct;
	struct ip_vs_service *svc;
	struct netns_ipvs *ipvs;
	struct ip_vs_iphdr iph;
	unsigned int mode;

	ipvs = net_ipvs(net);
	if (unlikely(!ipvs || !ipvs->enable))
		return NF_ACCEPT;
	pn = ip_vs_persist_pernet(net);
	if (!READ_ONCE(pn->idle_svcs) &&
	    READ_ONCE(pn->sysctl_mode) != IPVS_PERSIST_MODE_IDLE)
		return NF_ACCEPT;
	if (!ip_vs_fill_iph_skb(af, skb, false, &iph))
		return NF_ACCEPT;
	if (iph.protocol != IPPROTO_TCP && iph.protocol != IPPROTO_UDP &&
	    iph.protocol != IPPROTO_SCTP)
		return NF_ACCEPT;
	/* non-first IPv6 fragments carry no ports (IPv4 arrives reassembled) */
	if ((af == AF_INET && ip_is_fragment(ip_hdr(skb))) || iph.fragoffs)
		return NF_ACCEPT;

	cp = ip_vs_conn_in_get_proto(ipvs, af, skb, &iph);
	if (!cp)
		return NF_ACCEPT;
	/* cp holds its control template: n_control keeps it allocated. */
	ct = cp->control;
	if (!ct || ct->pe != &ip_vs_persist_pe || !ct->pe_data ||
	    ct->pe_data_len != sizeof(*d))
		goto out;
	d = (struct ip_vs_persist_data *)ct->pe_data;
	ps = ip_vs_persist_svc_of(pn, ct, &svc);
	if (!svc)
		goto out;
	ip_vs_persist_settings(pn, ps, &mode, &cap);
	if (mode != IPVS_PERSIST_MODE_IDLE)
		goto out;
	now = ip_vs_persist_now();
	timeout = ip_vs_persist_j2ms(svc->timeout);
	if (!ip_vs_persist_should_rearm(ip_vs_persist_get(&d->armed), now,
					timeout))
		goto out;
	if (ip_vs_persist_check(mode, timeout, cap,
				ip_vs_persist_get(&d->created), now, now, 1,
				&remain) != IP_VS_PERSIST_KEEP)
		goto out;
	ip_vs_persist_set(&d->last, now);
	ip_vs_persist_set(&d->armed, now);
	ct->timeout = ip_vs_persist_ms2j(remain);
	mod_timer_pending(&ct->timer, jiffies + ct->timeout);
	ip_vs_persist_count(pn, ps, IPVS_PERSIST_STATS_EXTENDED);
out:
	__ip_vs_conn_put(cp);
	return NF_ACCEPT;
}

static const struct nf_hook_ops ip_vs_persist_ops[] = {
	IP_VS_EXT_HOOK(ip_vs_persist_hook, NF_INET_LOCAL_IN,
		       IP_VS_EXT_PRI_PERSIST),
};

/* Sysctls: the defaults for services that use the engine without settings. */
static int ip_vs_persist_mode_max = IPVS_PERSIST_MODE_MAX;
static int ip_vs_persist_max_limit = IPVS_PERSIST_MAX_LIMIT;

static const struct ctl_table ip_vs_persist_sysctl_tmpl[] = {
	IP_VS_EXT_SYSCTL_INT("persist_mode", struct ip_vs_persist_net,
			     sysctl_mode, proc_dointvec_minmax, SYSCTL_ZERO,
			     &ip_vs_persist_mode_max),
	IP_VS_EXT_SYSCTL_INT("persist_max", struct ip_vs_persist_net,
			     sysctl_max, proc_dointvec_minmax, SYSCTL_ZERO,
			     &ip_vs_persist_max_limit),
	{ }
};

/* Generic netlink family "IPVS_PERSIST". */
static struct netlink_range_validation ip_vs_persist_max_range = {
	.max = IPVS_PERSIST_MAX_LIMIT,
};

static const struct nla_policy ip_vs_persist_policy[IPVS_PERSIST_ATTR_MAXNR + 1] = {
	[IPVS_PERSIST_ATTR_SERVICE]	= NLA_POLICY_NESTED(ip_vs_ext_svc_policy),
	[IPVS_PERSIST_ATTR_MODE]	= NLA_POLICY_MAX(NLA_U8, IPVS_PERSIST_MODE_MAX),
	[IPVS_PERSIST_ATTR_CAP]		= NLA_POLICY_FULL_RANGE(NLA_U32, &ip_vs_persist_max_range),
	[IPVS_PERSIST_ATTR_STATS]	= { .type = NLA_REJECT },
};

/* /proc/net/stat/ip_vs_persist_ext, by attribute of the stats nest */
static const char * const ip_vs_persist_stat_names[] = {
	[IPVS_PERSIST_STATS_CREATED]	= "lookups",
	[IPVS_PERSIST_STATS_REUSED]	= "reused",
	[IPVS_PERSIST_STATS_EXTENDED]	= "extended",
	[IPVS_PERSIST_STATS_EXPIRED]	= "expired",
	[IPVS_PERSIST_STATS_CAPPED]	= "capped",
};

static void ip_vs_persist_svc_add(const struct ip_vs_ext_svc *s, int cpu,
				  unsigned long *row)
{
	const struct ip_vs_persist_svc *ps =
		container_of(s, struct ip_vs_persist_svc, base);
	const struct ip_vs_persist_svc_cpu *c = per_cpu_ptr(ps->pcpu, cpu);
	int i;

	for (i = IPVS_PERSIST_STATS_CREATED; i < IPVS_PERSIST_STATS_PAD; i++)
		row[i] += READ_ONCE(c->cnt[i]);
}

/* @v: IPVS_PERSIST_STATS_MAX + 1 counters, CREATED holding lookups. */
static int ip_vs_persist_put_stats(struct sk_buff *skb, u64 *v)
{
	/* counted are lookups: those not reused created a template */
	v[IPVS_PERSIST_STATS_CREATED] -= min(v[IPVS_PERSIST_STATS_CREATED],
					     v[IPVS_PERSIST_STATS_REUSED]);
	return ip_vs_ext_nl_put_stats(skb, IPVS_PERSIST_ATTR_STATS, v,
				      IPVS_PERSIST_STATS_MAX + 1,
				      IPVS_PERSIST_STATS_PAD);
}

static int ip_vs_persist_fill_svc(struct sk_buff *skb,
				  const struct ip_vs_ext_svc *s)
{
	const struct ip_vs_persist_svc *ps =
		container_of(s, struct ip_vs_persist_svc, base);
	u64 v[IPVS_PERSIST_STATS_MAX + 1] = {};
	int i, cpu;

	if (nla_put_u8(skb, IPVS_PERSIST_ATTR_MODE, ps->mode) ||
	    nla_put_u32(skb, IPVS_PERSIST_ATTR_CAP, ps->max))
		return -EMSGSIZE;
	for_each_possible_cpu(cpu)
		for (i = IPVS_PERSIST_STATS_CREATED; i < IPVS_PERSIST_STATS_PAD; i++)
			v[i] += per_cpu_ptr(ps->pcpu, cpu)->cnt[i];
	return ip_vs_persist_put_stats(skb, v);
}

/* Caller holds pn->svcs.lock. */
static void ip_vs_persist_idle_account(struct ip_vs_persist_net *pn,
				       unsigned int from, unsigned int to)
{
	if (from == to)
		return;
	if (to == IPVS_PERSIST_MODE_IDLE)
		WRITE_ONCE(pn->idle_svcs, pn->idle_svcs + 1);
	else if (from == IPVS_PERSIST_MODE_IDLE)
		WRITE_ONCE(pn->idle_svcs, pn->idle_svcs - 1);
}

/* After a grace period: no packet counts on it any more. */
static void ip_vs_persist_svc_destroy(struct ip_vs_ext_svc *s)
{
	struct ip_vs_persist_svc *ps =
		container_of(s, struct ip_vs_persist_svc, base);

	free_percpu(ps->pcpu);
	kfree(ps);
}

static struct ip_vs_persist_svc *ip_vs_persist_svc_alloc(void)
{
	struct ip_vs_persist_svc *ps;

	ps = kzalloc(sizeof(*ps), GFP_KERNEL_ACCOUNT);
	if (!ps)
		return NULL;
	ps->pcpu = alloc_percpu_gfp(struct ip_vs_persist_svc_cpu,
				    GFP_KERNEL_ACCOUNT);
	if (!ps->pcpu) {
		kfree(ps);
		return NULL;
	}
	ps->base.destroy = ip_vs_persist_svc_destroy;
	return ps;
}

static int ip_vs_persist_nl_set(struct sk_buff *skb, struct genl_info *info)
{
	struct ip_vs_persist_net *pn = ip_vs_persist_pernet(genl_info_net(info));
	struct ip_vs_persist_svc *ps, *old;
	u8 mode = IPVS_PERSIST_MODE_RENEW;
	struct nlattr **a = info->attrs;
	struct ip_vs_ext_svc_key key;
	struct ip_vs_ext_svc *s;
	u32 max = 0;
	int err;

	err = ip_vs_ext_nl_lock_svc(&pn->svcs, info, &key, &s);
	if (err)
		return err;
	old = s ? container_of(s, struct ip_vs_persist_svc, base) : NULL;
	if (old) {
		mode = old->mode;
		max = old->max;
	}
	if (a[IPVS_PERSIST_ATTR_MODE])
		mode = nla_get_u8(a[IPVS_PERSIST_ATTR_MODE]);
	if (a[IPVS_PERSIST_ATTR_CAP])
		max = nla_get_u32(a[IPVS_PERSIST_ATTR_CAP]);
	/* Switching an existing service to absolute drops its cap. */
	if (mode == IPVS_PERSIST_MODE_ABSOLUTE && !a[IPVS_PERSIST_ATTR_CAP])
		max = 0;
	if (!ip_vs_persist_max_valid(mode, max)) {
		NL_SET_ERR_MSG_ATTR(info->extack, a[IPVS_PERSIST_ATTR_CAP],
				    "a lifetime cap does not apply to absolute mode");
		err = -EINVAL;
		goto out;
	}
	if (old) {
		ip_vs_persist_idle_account(pn, old->mode, mode);
		/* Readers see either the old or the new value: both valid. */
		WRITE_ONCE(old->mode, mode);
		WRITE_ONCE(old->max, max);
		goto out;
	}
	err = ip_vs_ext_nl_check_room(&pn->svcs, info);
	if (err)
		goto out;
	ps = ip_vs_persist_svc_alloc();
	if (!ps) {
		err = -ENOMEM;
		goto out;
	}
	ps->base.key = key;
	ps->mode = mode;
	ps->max = max;
	ip_vs_persist_idle_account(pn, IPVS_PERSIST_MODE_RENEW, mode);
	ip_vs_ext_svc_insert(&pn->svcs, &ps->base);
out:
	mutex_unlock(&pn->svcs.lock);
	return err;
}

/*
 * A service's settings go (DEL, FLUSH): it no longer counts as idle, and
 * its counters stay in the netns's.
 */
static void ip_vs_persist_unlink(void *pernet, struct ip_vs_ext_svc *s)
{
	struct ip_vs_persist_net *pn = pernet;

	ip_vs_persist_idle_account(pn,
				   container_of(s, struct ip_vs_persist_svc, base)->mode,
				   IPVS_PERSIST_MODE_RENEW);
	ip_vs_ext_stats_fold(&pn->stats, s);
}

static void ip_vs_persist_flush(struct ip_vs_persist_net *pn)
{
	ip_vs_ext_svc_flush(&pn->svcs);
	WRITE_ONCE(pn->idle_svcs, 0);
}

/* GET_INFO: the defaults, and the netns's counters. */
static int ip_vs_persist_info(struct sk_buff *msg, void *pernet)
{
	struct ip_vs_persist_net *pn = pernet;
	u64 v[IPVS_PERSIST_STATS_MAX + 1] = {};

	BUILD_BUG_ON(ARRAY_SIZE(ip_vs_persist_stat_names) > ARRAY_SIZE(v));
	ip_vs_ext_stats_sum(&pn->stats, v);
	if (nla_put_u8(msg, IPVS_PERSIST_ATTR_MODE, READ_ONCE(pn->sysctl_mode)) ||
	    nla_put_u32(msg, IPVS_PERSIST_ATTR_CAP, READ_ONCE(pn->sysctl_max)))
		return -EMSGSIZE;
	return ip_vs_persist_put_stats(msg, v);
}

DEFINE_IP_VS_EXT_SVC_OPS(ip_vs_persist_genl_ops, ip_vs_persist_nl_set,
			 IP_VS_EXT_GENL_OP(IPVS_EXT_CMD_GET_INFO,
					   ip_vs_ext_nl_info_op));

static struct ip_vs_ext_family ip_vs_persist_family __ro_after_init = {
	.genl = IP_VS_EXT_GENL_FAMILY(IPVS_PERSIST_GENL_NAME,
				      IPVS_PERSIST_ATTR_MAXNR,
				      ip_vs_persist_policy,
				      ip_vs_persist_genl_ops),
	.net_id	= &ip_vs_persist_net_id,
	.svcs	= offsetof(struct ip_vs_persist_net, svcs),
	.fill	= ip_vs_persist_fill_svc,
	.unlink	= ip_vs_persist_unlink,
	.info	= ip_vs_persist_info,
	.none	= "service has no persistence settings",
};

static int __net_init ip_vs_persist_net_init(struct net *net)
{
	struct ip_vs_persist_net *pn = ip_vs_persist_pernet(net);
	int err;

	if (!net_ipvs(net))
		return -ENOENT;
	ip_vs_ext_svc_table_init(&pn->svcs);
	pn->sysctl_mode = IPVS_PERSIST_MODE_RENEW;
	pn->sysctl_max = 0;
	err = ip_vs_ext_stats_init(net, &pn->stats, "ip_vs_persist_ext",
				   ip_vs_persist_stat_names,
				   ARRAY_SIZE(ip_vs_persist_stat_names), &pn->svcs,
				   ip_vs_persist_svc_add);
	if (err)
		goto err;
	err = -ENOMEM;
	pn->sysctl_hdr = ip_vs_ext_sysctl_register(net, ip_vs_persist_sysctl_tmpl,
						   sizeof(ip_vs_persist_sysctl_tmpl),
						   pn, NULL);
	if (!pn->sysctl_hdr)
		goto err_stats;
	err = nf_register_net_hooks(net, ip_vs_persist_ops,
				    ARRAY_SIZE(ip_vs_persist_ops));
	if (err)
		goto err_sysctl;
	return 0;

err_sysctl:
	ip_vs_ext_sysctl_unregister(pn->sysctl_hdr);
err_stats:
	ip_vs_ext_stats_exit(net, &pn->stats, "ip_vs_persist_ext");
err:
	return err;
}

static void __net_exit ip_vs_persist_net_exit(struct net *net)
{
	struct ip_vs_persist_net *pn = ip_vs_persist_pernet(net);

	nf_unregister_net_hooks(net, ip_vs_persist_ops,
				ARRAY_SIZE(ip_vs_persist_ops));
	ip_vs_ext_sysctl_unregister(pn->sysctl_hdr);
	ip_vs_persist_flush(pn);
	ip_vs_ext_stats_exit(net, &pn->stats, "ip_vs_persist_ext");
}

static struct pernet_operations ip_vs_persist_net_ops = {
	.init	= ip_vs_persist_net_init,
	.exit	= ip_vs_persist_net_exit,
	.id	= &ip_vs_persist_net_id,
	.size	= sizeof(struct ip_vs_persist_net),
};

static int __init ip_vs_persist_init(void)
{
	int err;

	err = ip_vs_ext_register_feature(&ip_vs_persist_family,
					 &ip_vs_persist_net_ops);
	if (err)
		return err;
	err = register_ip_vs_pe(&ip_vs_persist_pe);
	if (err)
		goto err_feature;
	return 0;

err_feature:
	ip_vs_ext_unregister_feature(&ip_vs_persist_family,
				     &ip_vs_persist_net_ops);
	return err;
}

static void __exit ip_vs_persist_exit(void)
{
	/* Templates hold the module (ip_vs_pe_get): none is left here. */
	unregister_ip_vs_pe(&ip_vs_persist_pe);
	ip_vs_ext_unregister_feature(&ip_vs_persist_family,
				     &ip_vs_persist_net_ops);
	synchronize_rcu();
	/* Settings are freed after a grace period. */
	rcu_barrier();
}

module_init(ip_vs_persist_init);
module_exit(ip_vs_persist_exit);
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(IP_VS_EXT);
MODULE_DESCRIPTION("IPVS persistence-extension modes (renew, absolute, idle, max)");
MODULE_ALIAS("ip_vs_pe_" IPVS_PERSIST_PE_NAME);
MODULE_ALIAS_GENL_FAMILY(IPVS_PERSIST_GENL_NAME);
