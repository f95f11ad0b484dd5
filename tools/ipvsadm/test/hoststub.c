// SPDX-License-Identifier: GPL-2.0
/*
 * Host-test stub for ipvsadm: linked only into the test binaries of
 * build/hosttest/, never installed.
 *
 * ipvsadm opens IPVS (ipvs_init) before it parses a single option, so on a
 * host whose kernel lacks IPVS every invocation ends with "Can't initialize
 * ipvs".  Linked with -Wl,--wrap=ipvs_init,--wrap=genl_ctrl_resolve:
 *  - ipvs_init() succeeds and reports IPVS 1.2.1, so option processing runs;
 *  - no generic netlink family resolves, so a command that gets past option
 *    processing fails at its first kernel request instead of reaching the
 *    kernel (stock requests: "Invalid operation..."; extension requests: the
 *    "needs the ... kernel module" line).  Nothing is ever changed in, or
 *    autoloaded into, the running kernel.
 */
#include <netlink/errno.h>

struct nl_sock;

/* struct ip_vs_getinfo of libipvs/ip_vs.h */
struct ip_vs_getinfo {
	unsigned int version;
	unsigned int size;
	unsigned int num_services;
};

extern struct ip_vs_getinfo ipvs_info;

int __wrap_ipvs_init(void);
int __wrap_genl_ctrl_resolve(struct nl_sock *sk, const char *name);

int __wrap_ipvs_init(void)
{
	ipvs_info.version = 0x010201;
	ipvs_info.size = 4096;
	ipvs_info.num_services = 0;
	return 0;
}

int __wrap_genl_ctrl_resolve(struct nl_sock *sk, const char *name)
{
	(void)sk;
	(void)name;
	return -NLE_OBJ_NOTFOUND;
}
