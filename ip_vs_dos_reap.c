// SPDX-License-Identifier: GPL-2.0-only
/*
 * ip_vs_dos_reap: watermark-driven adaptive reaping of IPVS connections.
 *
 * This version holds the control plane only: the per-netns sysctls
 * (range-checked, low < high enforced) and the utilisation report over
 * generic netlink.  The reaping itself lands with its issue.
 */

#define KMSG_COMPONENT "IPVS"
#define pr_fmt(fmt) KMSG_COMPONENT ": " fmt

#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/string.h>
#include <net/genetlink.h>
#include <net/ip_vs.h>
#include <net/netns/generic.h>

#include "include/ip_vs_ext.h"

enum ip_vs_reap_metric {
	IP_VS_REAP_METRIC_MEMORY,
	IP_VS_REAP_METRIC_CONNS,
};

static const char * const ip_vs_reap_metric_names[] = {
	[IP_VS_REAP_METRIC_MEMORY]	= "memory",
	[IP_VS_REAP_METRIC_CONNS]	= "conns",
};

struct ip_vs_reap_net {
	struct netns_ipvs	*ipvs;
	struct mutex		lock;	/* serialises watermark updates */
	int			metric;
	int			sysctl_low;		/* percent */
	int			sysctl_high;		/* percent */
	int			sysctl_interval;	/* ms */
	int			sysctl_floor;		/* seconds */
	int			sysctl_conn_budget;	/* connections */
	int			sysctl_cookie_fallback;
	int			sysctl_refuse_rst;
	struct ctl_table_header	*sysctl_hdr;
};

static unsigned int ip_vs_reap_net_id __read_mostly;

static inline struct ip_vs_reap_net *ip_vs_reap_pernet(struct net *net)
{
	return net_generic(net, ip_vs_reap_net_id);
}

/* Utilisation in per mille of the configured metric. */
static u32 ip_vs_reap_util(struct ip_vs_reap_net *rn)
{
	u64 used, total;

	if (READ_ONCE(rn->metric) == IP_VS_REAP_METRIC_CONNS) {
		used = atomic_read(&rn->ipvs->conn_count);
		total = READ_ONCE(rn->sysctl_conn_budget);
	} else {
		total = totalram_pages();
		used = total - min_t(u64, total, si_mem_available());
	}
	return total ? min_t(u64, div64_u64(used * 1000, total), 1000) : 0;
}

static int ip_vs_reap_metric_handler(struct ctl_table *table, int write,
				     void *buffer, size_t *lenp, loff_t *ppos)
{
	int *metric = table->data;
	char name[16];
	struct ctl_table tmp = {
		.data	= name,
		.maxlen	= sizeof(name),
	};
	int err, i;

	strscpy(name, ip_vs_reap_metric_names[READ_ONCE(*metric)], sizeof(name));
	err = proc_dostring(&tmp, write, buffer, lenp, ppos);
	if (err || !write)
		return err;
	i = match_string(ip_vs_reap_metric_names,
			 ARRAY_SIZE(ip_vs_reap_metric_names), strim(name));
	if (i < 0)
		return -EINVAL;
	WRITE_ONCE(*metric, i);
	return 0;
}

/* low and high are checked against each other: low < high, always. */
static int ip_vs_reap_mark_handler(struct ctl_table *table, int write,
				   void *buffer, size_t *lenp, loff_t *ppos)
{
	struct ip_vs_reap_net *rn = table->extra1;
	bool is_low = table->data == &rn->sysctl_low;
	int val = *(int *)table->data;
	struct ctl_table tmp = {
		.data	= &val,
		.maxlen	= sizeof(int),
		.extra1	= SYSCTL_ONE,
		.extra2	= SYSCTL_ONE_HUNDRED,
	};
	int err;

	err = proc_dointvec_minmax(&tmp, write, buffer, lenp, ppos);
	if (err || !write)
		return err;
	mutex_lock(&rn->lock);
	if (is_low ? val >= rn->sysctl_high : val <= rn->sysctl_low)
		err = -EINVAL;
	else
		WRITE_ONCE(*(int *)table->data, val);
	mutex_unlock(&rn->lock);
	return err;
}

static int ip_vs_reap_interval_min = 10;
static int ip_vs_reap_interval_max = 10000;
static int ip_vs_reap_floor_max = 3600;

static const struct ctl_table ip_vs_reap_sysctl_tmpl[] = {
	{
		.procname	= "reap_metric",
		.data		= IP_VS_EXT_SYSCTL_DATA(struct ip_vs_reap_net, metric),
		.maxlen		= 16,
		.mode		= 0644,
		.proc_handler	= ip_vs_reap_metric_handler,
	},
	{
		.procname	= "reap_low",
		.data		= IP_VS_EXT_SYSCTL_DATA(struct ip_vs_reap_net, sysctl_low),
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= ip_vs_reap_mark_handler,
	},
	{
		.procname	= "reap_high",
		.data		= IP_VS_EXT_SYSCTL_DATA(struct ip_vs_reap_net, sysctl_high),
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= ip_vs_reap_mark_handler,
	},
	{
		.procname	= "reap_interval_ms",
		.data		= IP_VS_EXT_SYSCTL_DATA(struct ip_vs_reap_net,
							sysctl_interval),
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &ip_vs_reap_interval_min,
		.extra2		= &ip_vs_reap_interval_max,
	},
	{
		.procname	= "reap_floor",
		.data		= IP_VS_EXT_SYSCTL_DATA(struct ip_vs_reap_net, sysctl_floor),
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ONE,
		.extra2		= &ip_vs_reap_floor_max,
	},
	{
		.procname	= "reap_conn_budget",
		.data		= IP_VS_EXT_SYSCTL_DATA(struct ip_vs_reap_net,
							sysctl_conn_budget),
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ONE,
		.extra2		= SYSCTL_INT_MAX,
	},
	{
		.procname	= "reap_cookie_fallback",
		.data		= IP_VS_EXT_SYSCTL_DATA(struct ip_vs_reap_net,
							sysctl_cookie_fallback),
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ZERO,
		.extra2		= SYSCTL_ONE,
	},
	{
		.procname	= "reap_refuse_rst",
		.data		= IP_VS_EXT_SYSCTL_DATA(struct ip_vs_reap_net,
							sysctl_refuse_rst),
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ZERO,
		.extra2		= SYSCTL_ONE,
	},
	{ }
};

/* Generic netlink family "IPVS_REAP". */
static struct genl_family ip_vs_reap_genl;

static const struct nla_policy ip_vs_reap_policy[IPVS_REAP_ATTR_MAXNR + 1] = {
	[IPVS_REAP_ATTR_STATE]	= { .type = NLA_REJECT },
	[IPVS_REAP_ATTR_UTIL]	= { .type = NLA_REJECT },
	[IPVS_REAP_ATTR_LOW]	= { .type = NLA_REJECT },
	[IPVS_REAP_ATTR_HIGH]	= { .type = NLA_REJECT },
	[IPVS_REAP_ATTR_STATS]	= { .type = NLA_REJECT },
};

static int ip_vs_reap_nl_info(struct sk_buff *skb, struct genl_info *info)
{
	struct ip_vs_reap_net *rn = ip_vs_reap_pernet(genl_info_net(info));
	struct sk_buff *msg;
	void *hdr;

	msg = nlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &ip_vs_reap_genl, 0,
				IPVS_EXT_CMD_GET_INFO);
	if (!hdr ||
	    nla_put_u32(msg, IPVS_REAP_ATTR_UTIL, ip_vs_reap_util(rn)) ||
	    nla_put_u32(msg, IPVS_REAP_ATTR_LOW, READ_ONCE(rn->sysctl_low)) ||
	    nla_put_u32(msg, IPVS_REAP_ATTR_HIGH, READ_ONCE(rn->sysctl_high))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static const struct genl_small_ops ip_vs_reap_genl_ops[] = {
	{
		.cmd	= IPVS_EXT_CMD_GET_INFO,
		.flags	= GENL_ADMIN_PERM,
		.doit	= ip_vs_reap_nl_info,
	},
};

static struct genl_family ip_vs_reap_genl __ro_after_init = {
	.name		= IPVS_REAP_GENL_NAME,
	.version	= IPVS_EXT_GENL_VERSION,
	.maxattr	= IPVS_REAP_ATTR_MAXNR,
	.policy		= ip_vs_reap_policy,
	.netnsok	= true,
	.module		= THIS_MODULE,
	.small_ops	= ip_vs_reap_genl_ops,
	.n_small_ops	= ARRAY_SIZE(ip_vs_reap_genl_ops),
	.resv_start_op	= IPVS_EXT_CMD_GET_INFO + 1,
};

static int __net_init ip_vs_reap_net_init(struct net *net)
{
	struct ip_vs_reap_net *rn = ip_vs_reap_pernet(net);
	struct ctl_table *tbl;
	int i;

	rn->ipvs = net_ipvs(net);
	if (!rn->ipvs)
		return -ENOENT;
	mutex_init(&rn->lock);
	rn->metric = IP_VS_REAP_METRIC_MEMORY;
	rn->sysctl_low = 85;
	rn->sysctl_high = 95;
	rn->sysctl_interval = 100;
	rn->sysctl_floor = 2;
	rn->sysctl_conn_budget = 1 << 20;
	rn->sysctl_hdr = ip_vs_ext_sysctl_register(net, ip_vs_reap_sysctl_tmpl,
						   sizeof(ip_vs_reap_sysctl_tmpl),
						   rn);
	if (!rn->sysctl_hdr)
		return -ENOMEM;
	/* The watermark handler needs both marks: hand it the netns state. */
	tbl = rn->sysctl_hdr->ctl_table_arg;
	for (i = 0; tbl[i].procname; i++)
		if (tbl[i].proc_handler == ip_vs_reap_mark_handler)
			tbl[i].extra1 = rn;
	return 0;
}

static void __net_exit ip_vs_reap_net_exit(struct net *net)
{
	ip_vs_ext_sysctl_unregister(ip_vs_reap_pernet(net)->sysctl_hdr);
}

static struct pernet_operations ip_vs_reap_net_ops = {
	.init	= ip_vs_reap_net_init,
	.exit	= ip_vs_reap_net_exit,
	.id	= &ip_vs_reap_net_id,
	.size	= sizeof(struct ip_vs_reap_net),
};

static int __init ip_vs_reap_init(void)
{
	int err;

	err = register_pernet_subsys(&ip_vs_reap_net_ops);
	if (err)
		return err;
	err = genl_register_family(&ip_vs_reap_genl);
	if (err)
		goto err_pernet;
	return 0;

err_pernet:
	unregister_pernet_subsys(&ip_vs_reap_net_ops);
	return err;
}

static void __exit ip_vs_reap_exit(void)
{
	genl_unregister_family(&ip_vs_reap_genl);
	unregister_pernet_subsys(&ip_vs_reap_net_ops);
}

module_init(ip_vs_reap_init);
module_exit(ip_vs_reap_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("IPVS watermark-driven adaptive reaping (control plane)");
MODULE_ALIAS_GENL_FAMILY(IPVS_REAP_GENL_NAME);
