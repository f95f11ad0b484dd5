// SPDX-License-Identifier: GPL-2.0
/*
 * Listing fixture of the patched ipvsadm: runs its real listing code
 * (list_all of ipvsadm.c) over services and extension settings made up
 * here, without IPVS or the ipvs-ext modules, and prints what -Ln, -Sn and
 * -Ln --stats would print.  test-cli.sh compares that with its expectation.
 *
 * ipvsadm.c and ipvs_ext.c of the patched tree are compiled into this file;
 * the IPVS calls are replaced at link time (-Wl,--wrap=ipvs_get_services,
 * --wrap=ipvs_get_dests,--wrap=genl_ctrl_resolve) and the settings are put
 * into ipvsadm's listing cache as the kernel's dump would.
 *
 * Usage: list-fixture ext|none   (none: no module loaded)
 *
 * Built with -DFIXTURE_STOCK from the unpatched ipvsadm.c, it prints what
 * stock ipvsadm prints for the same services.
 */
#define main ipvsadm_main
#include "ipvsadm.c"
#undef main
#ifndef FIXTURE_STOCK
#include "ipvs_ext.c"
#endif

struct fake_svc {
	ipvs_service_entry_t	se;
	unsigned int		fwd;	/* of its one real server, if dest */
	const char		*dest;
};

static struct fake_svc fake[4];
static int nfake;

static void add_svc(int af, int proto, const char *addr, int port,
		    int fwmark, const char *sched, int timeout, const char *pe,
		    unsigned int fwd, const char *dest)
{
	struct fake_svc *f = &fake[nfake++];
	ipvs_service_entry_t *se = &f->se;

	se->af = af;
	se->protocol = proto;
	if (addr)
		inet_pton(af, addr, &se->addr);
	se->port = htons(port);
	se->fwmark = fwmark;
	strcpy(se->sched_name, sched);
	if (timeout) {
		se->flags |= IP_VS_SVC_F_PERSISTENT;
		se->timeout = timeout;
	}
	se->netmask = af == AF_INET6 ? 128 : 0xffffffff;
	if (pe)
		strcpy(se->pe_name, pe);
	se->stats64.conns = 7;
	f->fwd = fwd;
	f->dest = dest;
}

struct ip_vs_get_services *__wrap_ipvs_get_services(void);
struct ip_vs_get_dests *__wrap_ipvs_get_dests(ipvs_service_entry_t *svc);

struct ip_vs_get_services *__wrap_ipvs_get_services(void)
{
	struct ip_vs_get_services *g;
	int i;

	g = calloc(1, sizeof(*g) + nfake * sizeof(g->entrytable[0]));
	g->num_services = nfake;
	for (i = 0; i < nfake; i++)
		g->entrytable[i] = fake[i].se;
	return g;
}

struct ip_vs_get_dests *__wrap_ipvs_get_dests(ipvs_service_entry_t *svc)
{
	struct ip_vs_get_dests *d;
	ipvs_dest_entry_t *e;
	int i;

	d = calloc(1, sizeof(*d) + sizeof(d->entrytable[0]));
	for (i = 0; i < nfake; i++) {
		if (fake[i].se.fwmark != svc->fwmark ||
		    fake[i].se.port != svc->port ||
		    fake[i].se.protocol != svc->protocol || !fake[i].dest)
			continue;
		e = &d->entrytable[0];
		d->num_dests = 1;
		e->af = AF_INET;
		inet_pton(AF_INET, fake[i].dest, &e->addr);
		e->port = svc->port;
		e->conn_flags = fake[i].fwd;
		e->weight = 1;
		e->stats64.conns = 3;
	}
	return d;
}

#ifndef FIXTURE_STOCK
int __wrap_genl_ctrl_resolve(struct nl_sock *sk, const char *name);

/* No family resolves: the modules are not there */
int __wrap_genl_ctrl_resolve(struct nl_sock *sk, const char *name)
{
	(void)sk;
	(void)name;
	return -NLE_OBJ_NOTFOUND;
}

/* A GET_SERVICE reply as the module's dump sends it, into the cache */
static void dumped(int fam, const ipvs_service_entry_t *se, int mode, int max,
		   unsigned long long stats_base)
{
	struct ext_dump d = { .fam = fam, .c = &ext_cache[fam] };
	struct nlattr *tb[IPVS_EXT_TB_SIZE], *nest;
	struct ipvs_ext_svc key;
	struct nl_msg *msg = nlmsg_alloc();
	int i, nstats;

	ipvs_ext_svc_from_entry(&key, se);
	genlmsg_put(msg, 0, 0, 99, 0, NLM_F_MULTI, IPVS_EXT_CMD_GET_SERVICE,
		    IPVS_EXT_GENL_VERSION);
	ext_put_svc(msg, &key);
	if (fam == IPVS_EXT_PERSIST) {
		nla_put_u8(msg, IPVS_PERSIST_ATTR_MODE, mode);
		nla_put_u32(msg, IPVS_PERSIST_ATTR_CAP, max);
		nest = nla_nest_start(msg, IPVS_PERSIST_ATTR_STATS);
		nstats = IPVS_PERSIST_STATS_PAD;
	} else {
		nla_put_u8(msg, IPVS_SYNCOOKIE_ATTR_MODE, mode);
		nest = nla_nest_start(msg, IPVS_SYNCOOKIE_ATTR_STATS);
		nstats = IPVS_SYNCOOKIE_STATS_PAD;
	}
	if (stats_base) {
		for (i = 1; i < nstats; i++)
			nla_put_u64(msg, i, stats_base + i);
		nla_nest_end(msg, nest);
	} else {
		nla_nest_cancel(msg, nest);
	}
	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, ext_families[fam].maxattr,
			  NULL) || ext_dump_parse(tb, &d)) {
		fprintf(stderr, "list-fixture: cannot build a reply\n");
		exit(1);
	}
	nlmsg_free(msg);
	ext_cache[fam].loaded = 1;
}

static void settings(void)
{
	dumped(IPVS_EXT_PERSIST, &fake[0].se, IPVS_PERSIST_MODE_IDLE, 600, 100);
	dumped(IPVS_EXT_SYNCOOKIE, &fake[0].se, IPVS_SYNCOOKIE_MODE_ON, 0, 200);
	dumped(IPVS_EXT_PERSIST, &fake[2].se, IPVS_PERSIST_MODE_RENEW, 0, 0);
	dumped(IPVS_EXT_PERSIST, &fake[3].se, IPVS_PERSIST_MODE_ABSOLUTE, 0, 0);
	dumped(IPVS_EXT_SYNCOOKIE, &fake[3].se, IPVS_SYNCOOKIE_MODE_OFF, 0, 0);
}
#endif

int main(int argc, char **argv)
{
	int ext = argc > 1 && !strcmp(argv[1], "ext");
	unsigned int formats[] = {
		FMT_NUMERIC, FMT_NUMERIC | FMT_RULE, FMT_NUMERIC | FMT_STATS,
	};
	unsigned int i;

	ipvs_info.version = 0x010201;
	ipvs_info.size = 4096;
	add_svc(AF_INET, IPPROTO_TCP, "192.0.2.10", 80, 0, "rr", 300,
		"persist_ext", IP_VS_CONN_F_MASQ, "198.51.100.1");
	add_svc(AF_INET, IPPROTO_TCP, "192.0.2.10", 443, 0, "wlc", 0, NULL,
		IP_VS_CONN_F_DROUTE, "198.51.100.2");
	add_svc(AF_INET, IPPROTO_UDP, "192.0.2.10", 53, 0, "rr", 9, "sip",
		0, NULL);
	add_svc(AF_INET6, IPPROTO_TCP, NULL, 0, 42, "rr", 60, "persist_ext",
		0, NULL);

	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
#ifndef FIXTURE_STOCK
		if (ext)
			settings();
#endif
		list_all(formats[i]);
		printf("--\n");
	}
#ifndef FIXTURE_STOCK
	ipvs_ext_close();
#else
	(void)ext;
#endif
	return 0;
}
