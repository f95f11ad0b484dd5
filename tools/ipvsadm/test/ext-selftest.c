// SPDX-License-Identifier: GPL-2.0
/*
 * Host self-test of ipvsadm's netlink client (ipvs_ext.c of the patched
 * tree), without the ipvs-ext modules:
 *
 *  - requests, dumps, acks and errors against a family every kernel has,
 *    "nlctrl" (the IPVS_PERSIST name is redirected to it), including the
 *    kernel's extended-ack message of a request that fails its policy;
 *  - an unknown family (IPVS_REAP redirected) gives -ENOPKG and the
 *    "needs the ... kernel module" line;
 *  - the listing cache: GET_SERVICE replies built here are taken apart,
 *    kept and found again by service, as ipvsadm -L does.
 *
 * Built by build.sh hosttest from build/ipvs_ext.c; run by test-cli.sh.
 * Prints "ok"/"FAIL" lines and exits non-zero on a failure.
 */
#include "ipvs_ext.h"

/* Redirect two families before ipvs_ext.c builds its table. */
#undef IPVS_PERSIST_GENL_NAME
#define IPVS_PERSIST_GENL_NAME	"nlctrl"
#undef IPVS_REAP_GENL_NAME
#define IPVS_REAP_GENL_NAME	"ipvs-ext-no-such-family"

#include "ipvs_ext.c"

#include <linux/genetlink.h>

static int failures;

static void check(int cond, const char *what)
{
	printf("%s: %s\n", cond ? "ok" : "FAIL", what);
	if (!cond)
		failures++;
}

struct count {
	int	msgs;
	int	nlctrl;
};

/* tb[] holds nlctrl's attributes (CTRL_ATTR_FAMILY_NAME is 2) */
static int count_parse(struct nlattr **tb, void *arg)
{
	struct count *c = arg;

	c->msgs++;
	if (tb[CTRL_ATTR_FAMILY_NAME] &&
	    !strcmp(nla_get_string(tb[CTRL_ATTR_FAMILY_NAME]), "nlctrl"))
		c->nlctrl++;
	return 0;
}

static int fill_name(struct nl_msg *msg, void *arg)
{
	NLA_PUT_STRING(msg, CTRL_ATTR_FAMILY_NAME, arg);
	return 0;

nla_put_failure:
	return -1;
}

/* a one-byte CTRL_ATTR_FAMILY_ID (u16): fails nlctrl's policy */
static int fill_short_id(struct nl_msg *msg, void *arg)
{
	unsigned char b = 1;

	(void)arg;
	NLA_PUT(msg, CTRL_ATTR_FAMILY_ID, 1, &b);
	return 0;

nla_put_failure:
	return -1;
}

static void test_requests(void)
{
	struct count c;
	int err, i;

	memset(&c, 0, sizeof(c));
	err = ipvs_ext_request(IPVS_EXT_PERSIST, CTRL_CMD_GETFAMILY, 1, NULL,
			       NULL, NULL, count_parse, &c);
	check(err == 0, "dump succeeds");
	check(c.msgs > 1 && c.nlctrl == 1, "dump delivers every message");

	/* a reply and its ack, twice on the same socket */
	for (i = 0; i < 2; i++) {
		memset(&c, 0, sizeof(c));
		err = ipvs_ext_request(IPVS_EXT_PERSIST, CTRL_CMD_GETFAMILY, 0,
				       NULL, fill_name, "nlctrl", count_parse,
				       &c);
		check(err == 0 && c.msgs == 1 && c.nlctrl == 1,
		      "get: one reply, ack consumed");
	}

	err = ipvs_ext_request(IPVS_EXT_PERSIST, CTRL_CMD_GETFAMILY, 0, NULL,
			       fill_name, "ipvs-ext-nosuch", NULL, NULL);
	check(err == -ENOENT, "kernel error is returned as -errno");

	err = ipvs_ext_request(IPVS_EXT_PERSIST, CTRL_CMD_GETFAMILY, 0, NULL,
			       fill_short_id, NULL, NULL, NULL);
	check(err < 0 && err != -EBADMSG, "policy violation is an error");
	check(ext_msg[0] != '\0', "extack message is kept");
	printf("   %s; printed as:\n   ", strerror(-err));
	fflush(stdout);
	dup2(1, 2);
	ipvs_ext_perror(IPVS_EXT_PERSIST, err);

	memset(&c, 0, sizeof(c));
	err = ipvs_ext_request(IPVS_EXT_PERSIST, CTRL_CMD_GETFAMILY, 0, NULL,
			       fill_name, "nlctrl", count_parse, &c);
	check(err == 0 && c.msgs == 1 && !ext_msg[0],
	      "socket usable after errors, message cleared");

	err = ipvs_ext_request(IPVS_EXT_REAP, IPVS_EXT_CMD_GET_INFO, 0, NULL,
			       NULL, NULL, NULL, NULL);
	check(err == -ENOPKG, "unknown family is -ENOPKG");
	printf("   printed as:\n   ");
	fflush(stdout);
	ipvs_ext_perror(IPVS_EXT_REAP, err);
}

/* A GET_SERVICE reply of IPVS_PERSIST as the module builds it */
static struct nl_msg *persist_reply(const struct ipvs_ext_svc *key, int mode,
				    unsigned int max, unsigned long long base)
{
	struct nl_msg *msg = nlmsg_alloc();
	struct nlattr *nest;
	int i;

	genlmsg_put(msg, 0, 0, 99, 0, NLM_F_MULTI, IPVS_EXT_CMD_GET_SERVICE,
		    IPVS_EXT_GENL_VERSION);
	if (ext_put_svc(msg, key))
		return NULL;
	nla_put_u8(msg, IPVS_PERSIST_ATTR_MODE, mode);
	nla_put_u32(msg, IPVS_PERSIST_ATTR_CAP, max);
	nest = nla_nest_start(msg, IPVS_PERSIST_ATTR_STATS);
	for (i = 1; i < IPVS_PERSIST_STATS_PAD; i++)
		nla_put_u64(msg, i, base + i);
	nla_nest_end(msg, nest);
	return msg;
}

static void feed(struct nl_msg *msg, struct ext_dump *d)
{
	struct nlattr *tb[IPVS_EXT_TB_SIZE];

	check(genlmsg_parse(nlmsg_hdr(msg), 0, tb, IPVS_PERSIST_ATTR_MAXNR,
			    NULL) == 0 && ext_dump_parse(tb, d) == 0,
	      "reply taken apart and kept");
	nlmsg_free(msg);
}

static void test_cache(void)
{
	struct ext_dump d = { .fam = IPVS_EXT_PERSIST,
			      .c = &ext_cache[IPVS_EXT_PERSIST] };
	ipvs_service_entry_t se;
	struct ipvs_ext_svc k4, k6, kf;
	struct ipvs_ext_persist p;

	memset(&k4, 0, sizeof(k4));
	k4.af = AF_INET;
	k4.protocol = IPPROTO_TCP;
	inet_pton(AF_INET, "192.0.2.10", &k4.addr);
	k4.port = htons(80);
	memset(&k6, 0, sizeof(k6));
	k6.af = AF_INET6;
	k6.protocol = IPPROTO_UDP;
	inet_pton(AF_INET6, "2001:db8::10", &k6.addr);
	k6.port = htons(53);
	memset(&kf, 0, sizeof(kf));
	kf.af = AF_INET;
	kf.fwmark = 42;

	feed(persist_reply(&k4, IPVS_PERSIST_MODE_IDLE, 600, 100), &d);
	feed(persist_reply(&k6, IPVS_PERSIST_MODE_ABSOLUTE, 0, 200), &d);
	feed(persist_reply(&kf, IPVS_PERSIST_MODE_RENEW, 30, 300), &d);
	/* the module is not loaded here: the lookups must use the cache */
	ext_cache[IPVS_EXT_PERSIST].loaded = 1;

	memset(&se, 0, sizeof(se));
	se.af = AF_INET;
	se.protocol = IPPROTO_TCP;
	inet_pton(AF_INET, "192.0.2.10", &se.addr);
	se.port = htons(80);
	check(ipvs_ext_persist_get(&se, &p) == 1 &&
	      p.mode == IPVS_PERSIST_MODE_IDLE && p.max == 600 &&
	      p.has_stats && p.stats[IPVS_PERSIST_STATS_CREATED] == 101 &&
	      p.stats[IPVS_PERSIST_STATS_CAPPED] == 105,
	      "IPv4 service found with mode, max and counters");

	se.port = htons(81);
	check(ipvs_ext_persist_get(&se, &p) == 0 && p.mode == -1,
	      "other port: no settings");
	se.port = htons(80);
	se.protocol = IPPROTO_UDP;
	check(ipvs_ext_persist_get(&se, &p) == 0, "other protocol: none");

	memset(&se, 0, sizeof(se));
	se.af = AF_INET6;
	se.protocol = IPPROTO_UDP;
	inet_pton(AF_INET6, "2001:db8::10", &se.addr);
	se.port = htons(53);
	check(ipvs_ext_persist_get(&se, &p) == 1 &&
	      p.mode == IPVS_PERSIST_MODE_ABSOLUTE && p.max == 0 &&
	      p.stats[IPVS_PERSIST_STATS_REUSED] == 202,
	      "IPv6 service found");

	memset(&se, 0, sizeof(se));
	se.af = AF_INET;
	se.fwmark = 42;
	se.protocol = IPPROTO_TCP;	/* ignored for fwmark services */
	check(ipvs_ext_persist_get(&se, &p) == 1 && p.max == 30,
	      "fwmark service found");
	se.af = AF_INET6;
	check(ipvs_ext_persist_get(&se, &p) == 0, "fwmark of the other family: none");

	ipvs_ext_cache_free();
	check(ext_cache[IPVS_EXT_PERSIST].count == 0 &&
	      !ext_cache[IPVS_EXT_PERSIST].loaded, "cache freed");
}

int main(void)
{
	test_requests();
	test_cache();
	ipvs_ext_close();
	printf("ext-selftest: %d failed\n", failures);
	return failures ? 1 : 0;
}
