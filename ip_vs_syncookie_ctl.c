// SPDX-License-Identifier: GPL-2.0-only
/*
 * ip_vs_syncookie: the control path: per-netns state, sysctls, the
 * counters and the generic netlink family "IPVS_SYNCOOKIE".
 */
#define KMSG_COMPONENT "IPVS"
#define pr_fmt(fmt) KMSG_COMPONENT ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/netfilter.h>
#include <linux/random.h>
#include <linux/siphash.h>
#include <net/genetlink.h>
#include <net/ip_vs.h>
#include "include/ip_vs_syncookie_int.h"

/* /proc/net/stat/ip_vs_syncookie, by attribute of the stats nest */
static const char * const ip_vs_sc_stat_names[] = {
	[IPVS_SYNCOOKIE_STATS_SYN]		= "syn_received",
	[IPVS_SYNCOOKIE_STATS_SENT]		= "cookies_sent",
	[IPVS_SYNCOOKIE_STATS_VALID]		= "cookies_valid",
	[IPVS_SYNCOOKIE_STATS_INVALID]		= "cookies_invalid",
	[IPVS_SYNCOOKIE_STATS_PROXIED]		= "proxied",
	[IPVS_SYNCOOKIE_STATS_SYN_RETRIES]	= "syn_retries",
	[IPVS_SYNCOOKIE_STATS_RESETS]		= "resets",
	[IPVS_SYNCOOKIE_STATS_HELD]		= "held",
	[IPVS_SYNCOOKIE_STATS_ACK_DROPPED]	= "ack_dropped",
	[IPVS_SYNCOOKIE_STATS_NONAT]		= "nonat",
	[IPVS_SYNCOOKIE_STATS_DIVERTED]		= "diverted",
};

/* Defaults of the sysctls in every netns, as docs/sysctl.md gives them. */
#define IP_VS_SC_DEF_THRESHOLD		1000	/* SYNs per second */
#define IP_VS_SC_DEF_OFF_DELAY		30	/* seconds */
#define IP_VS_SC_DEF_SYN_RETRIES	3

static int ip_vs_sc_threshold_max = 10000000;
static int ip_vs_sc_off_delay_max = 3600;
static int ip_vs_sc_syn_retries_max = 10;

static const struct ctl_table ip_vs_sc_sysctl_tmpl[] = {
	IP_VS_EXT_SYSCTL_INT("syncookie_threshold", struct ip_vs_sc_net,
			     sysctl_threshold, proc_dointvec_minmax, SYSCTL_ONE,
			     &ip_vs_sc_threshold_max),
	IP_VS_EXT_SYSCTL_INT("syncookie_off_delay", struct ip_vs_sc_net,
			     sysctl_off_delay, proc_dointvec_minmax, SYSCTL_ONE,
			     &ip_vs_sc_off_delay_max),
	IP_VS_EXT_SYSCTL_INT("syncookie_syn_retries",
			     struct ip_vs_sc_net, sysctl_syn_retries,
			     proc_dointvec_minmax, SYSCTL_ZERO,
			     &ip_vs_sc_syn_retries_max),
	IP_VS_EXT_SYSCTL_INT("syncookie_invalid_rst",
			     struct ip_vs_sc_net, sysctl_invalid_rst,
			     proc_dointvec_minmax, SYSCTL_ZERO, SYSCTL_ONE),
	{ }
};

/* Generic netlink family "IPVS_SYNCOOKIE". */

static const struct nla_policy ip_vs_sc_policy[IPVS_SYNCOOKIE_ATTR_MAXNR + 1] = {
	[IPVS_SYNCOOKIE_ATTR_SERVICE]	= NLA_POLICY_NESTED(ip_vs_ext_svc_policy),
	[IPVS_SYNCOOKIE_ATTR_MODE]	= NLA_POLICY_MAX(NLA_U8, IPVS_SYNCOOKIE_MODE_MAX),
	[IPVS_SYNCOOKIE_ATTR_STATS]	= { .type = NLA_REJECT },
	[IPVS_SYNCOOKIE_ATTR_SECRET]	= NLA_POLICY_EXACT_LEN(IPVS_SYNCOOKIE_SECRET_LEN),
};

static int ip_vs_sc_put_stats(struct sk_buff *skb,
			      const struct ip_vs_sc_svc *cs)
{
	u64 v[IPVS_SYNCOOKIE_STATS_PAD] = {};
	int i, cpu;

	for (i = IPVS_SYNCOOKIE_STATS_SYN; i < IPVS_SYNCOOKIE_STATS_PAD; i++)
		for_each_possible_cpu(cpu)
			v[i] += per_cpu_ptr(cs->pcpu, cpu)->cnt[i];
	return ip_vs_ext_nl_put_stats(skb, IPVS_SYNCOOKIE_ATTR_STATS, v,
				      ARRAY_SIZE(v), IPVS_SYNCOOKIE_STATS_PAD);
}

/* The counters a service keeps, for the netns's totals. */
static void ip_vs_sc_svc_add(const struct ip_vs_ext_svc *s, int cpu,
			     unsigned long *row)
{
	const struct ip_vs_sc_svc *cs =
		container_of(s, struct ip_vs_sc_svc, base);
	const struct ip_vs_sc_svc_cpu *c = per_cpu_ptr(cs->pcpu, cpu);
	int i;

	for (i = IPVS_SYNCOOKIE_STATS_SYN; i < IPVS_SYNCOOKIE_STATS_PAD; i++)
		row[i] += READ_ONCE(c->cnt[i]);
}

static void ip_vs_sc_svc_unlink(void *pernet, struct ip_vs_ext_svc *s)
{
	struct ip_vs_sc_net *cn = pernet;

	ip_vs_ext_stats_fold(&cn->stats, s);
}

/* GET_INFO: the netns's counters, those of every service included. */
static int ip_vs_sc_info(struct sk_buff *msg, void *pernet)
{
	struct ip_vs_sc_net *cn = pernet;
	u64 v[IPVS_SYNCOOKIE_STATS_MAX + 1];

	BUILD_BUG_ON(ARRAY_SIZE(ip_vs_sc_stat_names) != ARRAY_SIZE(v));
	ip_vs_ext_stats_sum(&cn->stats, v);
	return ip_vs_ext_nl_put_stats(msg, IPVS_SYNCOOKIE_ATTR_STATS, v,
				      ARRAY_SIZE(v), IPVS_SYNCOOKIE_STATS_PAD);
}

static int ip_vs_sc_fill_svc(struct sk_buff *skb,
			     const struct ip_vs_ext_svc *s)
{
	const struct ip_vs_sc_svc *cs =
		container_of(s, struct ip_vs_sc_svc, base);

	if (nla_put_u8(skb, IPVS_SYNCOOKIE_ATTR_MODE, READ_ONCE(cs->mode)))
		return -EMSGSIZE;
	return ip_vs_sc_put_stats(skb, cs);
}

/*
 * Bind our helper to the service's port: IPVS then calls it for every
 * masquerading connection to that port.  IPVS exports no way to unbind one
 * port, and connections hold the helper, so a port stays bound until the
 * netns goes (connections of services without cookies pass untouched).
 * Called under cn->svcs.lock.
 */
static int ip_vs_sc_bind_port(struct ip_vs_sc_net *cn,
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
	struct ip_vs_sc_svc *cs =
		container_of(s, struct ip_vs_sc_svc, base);

	free_percpu(cs->pcpu);
	kfree(cs);
}

static struct ip_vs_sc_svc *
ip_vs_sc_svc_alloc(const struct ip_vs_ext_svc_key *key, u8 mode)
{
	struct ip_vs_sc_svc *cs;

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

static int ip_vs_sc_nl_set(struct sk_buff *skb, struct genl_info *info)
{
	struct ip_vs_sc_net *cn = ip_vs_sc_pernet(genl_info_net(info));
	struct nlattr *mode_attr = info->attrs[IPVS_SYNCOOKIE_ATTR_MODE];
	struct ip_vs_sc_svc *cs;
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
			err = ip_vs_sc_bind_port(cn, info, key.port);
		if (err)
			goto out;
	}
	if (s) {
		cs = container_of(s, struct ip_vs_sc_svc, base);
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

static int ip_vs_sc_nl_secret(struct sk_buff *skb, struct genl_info *info)
{
	struct ip_vs_sc_net *cn = ip_vs_sc_pernet(genl_info_net(info));
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

DEFINE_IP_VS_EXT_SVC_OPS(ip_vs_sc_genl_ops, ip_vs_sc_nl_set,
			 IP_VS_EXT_GENL_OP(IPVS_EXT_CMD_GET_INFO,
					   ip_vs_ext_nl_info_op),
			 IP_VS_EXT_GENL_OP(IPVS_SYNCOOKIE_CMD_SET_SECRET,
					   ip_vs_sc_nl_secret));

/*
 * ip_vs_dos_reap, while refusing with reap_cookie_fallback=1, has the SYNs
 * of every auto service answered with cookies instead of refused, through
 * the core, so that neither module needs the other.  Returns how many SYNs
 * were answered so far because of it.
 */
static u64 ip_vs_sc_reap_fallback(struct net *net, bool on)
{
	struct ip_vs_sc_net *cn = ip_vs_sc_pernet(net);
	u64 diverted = 0;
	int cpu;

	/*
	 * The reaper asks from its work and its netns exit, which may come
	 * before our init, after our exit, or after our init failed (no
	 * state at all): the counters exist while live (the caller's RCU
	 * read side spans the grace period after pre_exit).
	 */
	if (!cn)
		return 0;
	WRITE_ONCE(cn->reap_fallback, on);
	/* pairs with the release at the end of ip_vs_sc_net_init */
	if (!smp_load_acquire(&cn->live))
		return 0;
	for_each_possible_cpu(cpu)
		diverted += READ_ONCE(per_cpu_ptr(cn->stats.cnt, cpu)
				      [IPVS_SYNCOOKIE_STATS_DIVERTED]);
	return diverted;
}

struct ip_vs_ext_family ip_vs_sc_family __ro_after_init = {
	.genl = IP_VS_EXT_GENL_FAMILY(IPVS_SYNCOOKIE_GENL_NAME,
				      IPVS_SYNCOOKIE_ATTR_MAXNR,
				      ip_vs_sc_policy,
				      ip_vs_sc_genl_ops),
	.net_id	= &ip_vs_sc_net_id,
	.svcs	= offsetof(struct ip_vs_sc_net, svcs),
	.fill	= ip_vs_sc_fill_svc,
	.unlink	= ip_vs_sc_svc_unlink,
	.info	= ip_vs_sc_info,
	.none	= "service has no SYN-cookie settings",
	.cookie_fallback = ip_vs_sc_reap_fallback,
};

static int __net_init ip_vs_sc_net_init(struct net *net)
{
	struct ip_vs_sc_net *cn = ip_vs_sc_pernet(net);
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
	err = ip_vs_ext_stats_init(net, &cn->stats, "ip_vs_syncookie",
				   ip_vs_sc_stat_names,
				   ARRAY_SIZE(ip_vs_sc_stat_names), &cn->svcs,
				   ip_vs_sc_svc_add);
	if (err)
		goto err;
	err = -ENOMEM;
	cn->sysctl_hdr = ip_vs_ext_sysctl_register(net, ip_vs_sc_sysctl_tmpl,
						   sizeof(ip_vs_sc_sysctl_tmpl),
						   cn, NULL);
	if (!cn->sysctl_hdr)
		goto err_proc;
	err = ip_vs_sc_hooks_register(net);
	if (err)
		goto err_sysctl;
	/* pairs with the acquire in ip_vs_sc_reap_fallback: stats are set */
	smp_store_release(&cn->live, true);
	return 0;

err_sysctl:
	ip_vs_ext_sysctl_unregister(cn->sysctl_hdr);
err_proc:
	ip_vs_ext_stats_exit(net, &cn->stats, "ip_vs_syncookie");
err:
	return err;
}

/* Before the grace period that precedes ip_vs_sc_net_exit. */
static void __net_exit ip_vs_sc_net_pre_exit(struct net *net)
{
	WRITE_ONCE(ip_vs_sc_pernet(net)->live, false);
}

/* Set while the module goes: see ip_vs_sc_net_exit. */
bool ip_vs_sc_unloading;

static void __net_exit ip_vs_sc_net_exit(struct net *net)
{
	struct ip_vs_sc_net *cn = ip_vs_sc_pernet(net);

	ip_vs_sc_hooks_unregister(net);
	ip_vs_ext_sysctl_unregister(cn->sysctl_hdr);
	/*
	 * Connections bound to the helper pin this module, so on unload none
	 * is left and the helper goes with us.  When only the netns goes,
	 * IPVS flushes its connections after this and then unregisters every
	 * helper itself: doing it here would free what they still point to.
	 */
	if (cn->app && READ_ONCE(ip_vs_sc_unloading))
		unregister_ip_vs_app(net_ipvs(net), cn->app);
	bitmap_free(cn->app_ports);
	/* a SYN-retry timer that saw IPVS enabled may still count */
	if (cn->app)
		synchronize_rcu();
	ip_vs_ext_svc_flush(&cn->svcs);
	ip_vs_ext_stats_exit(net, &cn->stats, "ip_vs_syncookie");
	memzero_explicit(&cn->secret, sizeof(cn->secret));
}

unsigned int ip_vs_sc_net_id __read_mostly;

struct pernet_operations ip_vs_sc_net_ops = {
	.init	= ip_vs_sc_net_init,
	.pre_exit = ip_vs_sc_net_pre_exit,
	.exit	= ip_vs_sc_net_exit,
	.id	= &ip_vs_sc_net_id,
	.size	= sizeof(struct ip_vs_sc_net),
};
