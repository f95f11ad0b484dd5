// SPDX-License-Identifier: GPL-2.0-only
/*
 * ip_vs_syncookie: SYN-cookie proxy for IPVS virtual services.
 *
 * This version holds the control plane only: per-service modes (off only;
 * on and auto are refused until the proxy lands), the shared cookie
 * secret, and the sysctls.  See the README's design section.
 */

#define KMSG_COMPONENT "IPVS"
#define pr_fmt(fmt) KMSG_COMPONENT ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/siphash.h>
#include <net/genetlink.h>
#include <net/ip_vs.h>
#include <net/netns/generic.h>

#include "include/ip_vs_ext.h"
#include "include/ip_vs_syncookie_calc.h"

struct ip_vs_syncookie_svc {
	struct ip_vs_ext_svc	base;	/* must be first: freed through it */
	u8			mode;
};

struct ip_vs_syncookie_net {
	struct ip_vs_ext_svc_table svcs;
	siphash_key_t		secret;	/* written under svcs.lock */
	int			sysctl_threshold;	/* SYNs per second */
	int			sysctl_off_delay;	/* seconds */
	int			sysctl_syn_retries;
	int			sysctl_invalid_rst;
	struct ctl_table_header	*sysctl_hdr;
};

static unsigned int ip_vs_syncookie_net_id __read_mostly;

static inline struct ip_vs_syncookie_net *ip_vs_syncookie_pernet(struct net *net)
{
	return net_generic(net, ip_vs_syncookie_net_id);
}

static int ip_vs_syncookie_threshold_max = 10000000;
static int ip_vs_syncookie_off_delay_max = 3600;
static int ip_vs_syncookie_syn_retries_max = 10;

static const struct ctl_table ip_vs_syncookie_sysctl_tmpl[] = {
	{
		.procname	= "syncookie_threshold",
		.data		= IP_VS_EXT_SYSCTL_DATA(struct ip_vs_syncookie_net,
							sysctl_threshold),
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ONE,
		.extra2		= &ip_vs_syncookie_threshold_max,
	},
	{
		.procname	= "syncookie_off_delay",
		.data		= IP_VS_EXT_SYSCTL_DATA(struct ip_vs_syncookie_net,
							sysctl_off_delay),
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ONE,
		.extra2		= &ip_vs_syncookie_off_delay_max,
	},
	{
		.procname	= "syncookie_syn_retries",
		.data		= IP_VS_EXT_SYSCTL_DATA(struct ip_vs_syncookie_net,
							sysctl_syn_retries),
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ZERO,
		.extra2		= &ip_vs_syncookie_syn_retries_max,
	},
	{
		.procname	= "syncookie_invalid_rst",
		.data		= IP_VS_EXT_SYSCTL_DATA(struct ip_vs_syncookie_net,
							sysctl_invalid_rst),
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ZERO,
		.extra2		= SYSCTL_ONE,
	},
	{ }
};

/* Generic netlink family "IPVS_SYNCOOKIE". */
static struct genl_family ip_vs_syncookie_genl;

static const struct nla_policy ip_vs_syncookie_policy[IPVS_SYNCOOKIE_ATTR_MAXNR + 1] = {
	[IPVS_SYNCOOKIE_ATTR_SERVICE]	= NLA_POLICY_NESTED(ip_vs_ext_svc_policy),
	[IPVS_SYNCOOKIE_ATTR_MODE]	= NLA_POLICY_MAX(NLA_U8, IPVS_SYNCOOKIE_MODE_MAX),
	[IPVS_SYNCOOKIE_ATTR_STATS]	= { .type = NLA_REJECT },
	[IPVS_SYNCOOKIE_ATTR_SECRET]	= NLA_POLICY_EXACT_LEN(IPVS_SYNCOOKIE_SECRET_LEN),
};

static int ip_vs_syncookie_fill_svc(struct sk_buff *skb, u32 portid, u32 seq,
				    int flags, const struct ip_vs_ext_svc *s)
{
	const struct ip_vs_syncookie_svc *cs =
		container_of(s, struct ip_vs_syncookie_svc, base);
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &ip_vs_syncookie_genl, flags,
			  IPVS_EXT_CMD_GET_SERVICE);
	if (!hdr)
		return -EMSGSIZE;
	if (ip_vs_ext_svc_key_put(skb, &s->key) ||
	    nla_put_u8(skb, IPVS_SYNCOOKIE_ATTR_MODE, cs->mode)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int ip_vs_syncookie_nl_set(struct sk_buff *skb, struct genl_info *info)
{
	struct ip_vs_syncookie_net *cn = ip_vs_syncookie_pernet(genl_info_net(info));
	struct nlattr *mode_attr = info->attrs[IPVS_SYNCOOKIE_ATTR_MODE];
	struct ip_vs_syncookie_svc *cs;
	struct ip_vs_ext_svc_key key;
	struct ip_vs_ext_svc *s;
	u8 mode;
	int err;

	if (!mode_attr) {
		NL_SET_ERR_MSG(info->extack, "SYN-cookie mode is missing");
		return -EINVAL;
	}
	mode = nla_get_u8(mode_attr);
	if (mode != IPVS_SYNCOOKIE_MODE_OFF) {
		NL_SET_ERR_MSG_ATTR(info->extack, mode_attr,
				    "SYN-cookie proxying is not available in this version of ip_vs_syncookie");
		return -EOPNOTSUPP;
	}
	err = ip_vs_ext_nl_lock_svc(&cn->svcs, info, &key, &s);
	if (err)
		return err;
	if (key.protocol != IPPROTO_TCP && !key.fwmark) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[IPVS_EXT_ATTR_SERVICE],
				    "SYN cookies apply to TCP services only");
		err = -EINVAL;
		goto out;
	}
	if (s) {
		cs = container_of(s, struct ip_vs_syncookie_svc, base);
		WRITE_ONCE(cs->mode, mode);
		goto out;
	}
	err = ip_vs_ext_nl_check_room(&cn->svcs, info);
	if (err)
		goto out;
	cs = kzalloc(sizeof(*cs), GFP_KERNEL_ACCOUNT);
	if (!cs) {
		err = -ENOMEM;
		goto out;
	}
	cs->base.key = key;
	cs->mode = mode;
	ip_vs_ext_svc_insert(&cn->svcs, &cs->base);
out:
	mutex_unlock(&cn->svcs.lock);
	return err;
}

static int ip_vs_syncookie_nl_get(struct sk_buff *skb, struct genl_info *info)
{
	return ip_vs_ext_nl_get(&ip_vs_syncookie_pernet(genl_info_net(info))->svcs,
				info, ip_vs_syncookie_fill_svc);
}

static int ip_vs_syncookie_nl_dump(struct sk_buff *skb,
				   struct netlink_callback *cb)
{
	return ip_vs_ext_nl_dump(&ip_vs_syncookie_pernet(sock_net(skb->sk))->svcs,
				 skb, cb, ip_vs_syncookie_fill_svc);
}

static int ip_vs_syncookie_nl_del(struct sk_buff *skb, struct genl_info *info)
{
	struct ip_vs_syncookie_net *cn = ip_vs_syncookie_pernet(genl_info_net(info));
	struct ip_vs_ext_svc_key key;
	struct ip_vs_ext_svc *s;
	int err;

	err = ip_vs_ext_nl_lock_svc(&cn->svcs, info, &key, &s);
	if (err)
		return err;
	if (s) {
		ip_vs_ext_svc_remove(&cn->svcs, s);
	} else {
		NL_SET_ERR_MSG(info->extack, "service has no SYN-cookie settings");
		err = -ENOENT;
	}
	mutex_unlock(&cn->svcs.lock);
	return err;
}

static int ip_vs_syncookie_nl_flush(struct sk_buff *skb, struct genl_info *info)
{
	ip_vs_ext_svc_flush(&ip_vs_syncookie_pernet(genl_info_net(info))->svcs);
	return 0;
}

static int ip_vs_syncookie_nl_secret(struct sk_buff *skb, struct genl_info *info)
{
	struct ip_vs_syncookie_net *cn = ip_vs_syncookie_pernet(genl_info_net(info));
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

static const struct genl_small_ops ip_vs_syncookie_genl_ops[] = {
	{
		.cmd	= IPVS_EXT_CMD_SET_SERVICE,
		.flags	= GENL_ADMIN_PERM,
		.doit	= ip_vs_syncookie_nl_set,
	},
	{
		.cmd	= IPVS_EXT_CMD_GET_SERVICE,
		.flags	= GENL_ADMIN_PERM,
		.doit	= ip_vs_syncookie_nl_get,
		.dumpit	= ip_vs_syncookie_nl_dump,
	},
	{
		.cmd	= IPVS_EXT_CMD_DEL_SERVICE,
		.flags	= GENL_ADMIN_PERM,
		.doit	= ip_vs_syncookie_nl_del,
	},
	{
		.cmd	= IPVS_EXT_CMD_FLUSH,
		.flags	= GENL_ADMIN_PERM,
		.doit	= ip_vs_syncookie_nl_flush,
	},
	{
		.cmd	= IPVS_SYNCOOKIE_CMD_SET_SECRET,
		.flags	= GENL_ADMIN_PERM,
		.doit	= ip_vs_syncookie_nl_secret,
	},
};

static struct genl_family ip_vs_syncookie_genl __ro_after_init = {
	.name		= IPVS_SYNCOOKIE_GENL_NAME,
	.version	= IPVS_EXT_GENL_VERSION,
	.maxattr	= IPVS_SYNCOOKIE_ATTR_MAXNR,
	.policy		= ip_vs_syncookie_policy,
	.netnsok	= true,
	.module		= THIS_MODULE,
	.small_ops	= ip_vs_syncookie_genl_ops,
	.n_small_ops	= ARRAY_SIZE(ip_vs_syncookie_genl_ops),
};

static int __net_init ip_vs_syncookie_net_init(struct net *net)
{
	struct ip_vs_syncookie_net *cn = ip_vs_syncookie_pernet(net);

	if (!net_ipvs(net))
		return -ENOENT;
	ip_vs_ext_svc_table_init(&cn->svcs);
	/* Random per boot unless an administrator shares one. */
	get_random_bytes(&cn->secret, sizeof(cn->secret));
	cn->sysctl_threshold = 1000;
	cn->sysctl_off_delay = 30;
	cn->sysctl_syn_retries = 3;
	cn->sysctl_invalid_rst = 0;
	cn->sysctl_hdr = ip_vs_ext_sysctl_register(net, ip_vs_syncookie_sysctl_tmpl,
						   sizeof(ip_vs_syncookie_sysctl_tmpl),
						   cn, NULL);
	if (!cn->sysctl_hdr)
		return -ENOMEM;
	return 0;
}

static void __net_exit ip_vs_syncookie_net_exit(struct net *net)
{
	struct ip_vs_syncookie_net *cn = ip_vs_syncookie_pernet(net);

	ip_vs_ext_sysctl_unregister(cn->sysctl_hdr);
	ip_vs_ext_svc_flush(&cn->svcs);
	memzero_explicit(&cn->secret, sizeof(cn->secret));
}

static struct pernet_operations ip_vs_syncookie_net_ops = {
	.init	= ip_vs_syncookie_net_init,
	.exit	= ip_vs_syncookie_net_exit,
	.id	= &ip_vs_syncookie_net_id,
	.size	= sizeof(struct ip_vs_syncookie_net),
};

static int __init ip_vs_syncookie_init(void)
{
	int err;

	err = register_pernet_subsys(&ip_vs_syncookie_net_ops);
	if (err)
		return err;
	err = genl_register_family(&ip_vs_syncookie_genl);
	if (err)
		goto err_pernet;
	return 0;

err_pernet:
	unregister_pernet_subsys(&ip_vs_syncookie_net_ops);
	return err;
}

static void __exit ip_vs_syncookie_exit(void)
{
	genl_unregister_family(&ip_vs_syncookie_genl);
	unregister_pernet_subsys(&ip_vs_syncookie_net_ops);
	/* Settings are freed with kfree_rcu. */
	rcu_barrier();
}

module_init(ip_vs_syncookie_init);
module_exit(ip_vs_syncookie_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("IPVS SYN-cookie proxy (control plane)");
MODULE_ALIAS_GENL_FAMILY(IPVS_SYNCOOKIE_GENL_NAME);
