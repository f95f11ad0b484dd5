/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * ipvs-ext: generic netlink interface of the IPVS extension modules.
 *
 * Each extension module owns one generic netlink family, so that every
 * module loads, works and unloads alone; the kernel autoloads a module when
 * its family is first resolved (MODULE_ALIAS_GENL_FAMILY).
 *
 *   family              module               version
 *   "IPVS_PERSIST"      ip_vs_persist_ext    IPVS_EXT_GENL_VERSION
 *   "IPVS_SYNCOOKIE"    ip_vs_syncookie      IPVS_EXT_GENL_VERSION
 *   "IPVS_REAP"         ip_vs_dos_reap       IPVS_EXT_GENL_VERSION
 *
 * All families are per network namespace (the netns of the socket) and
 * every command needs CAP_NET_ADMIN in that namespace's user namespace
 * (GENL_ADMIN_PERM).  Every rejected request carries an extack message.
 *
 * Virtual services
 * ----------------
 * IPVS exports no service lookup, so settings are keyed exactly by the
 * service identity IPVS itself uses, given as the nested attribute
 * IPVS_EXT_ATTR_SERVICE (enum ipvs_ext_svc_attr):
 *
 *   IPVS_EXT_SVC_ATTR_AF: u16, AF_INET or AF_INET6            (required)
 *   and either
 *   IPVS_EXT_SVC_ATTR_FWMARK: u32, non-zero firewall mark
 *   or all three of
 *   IPVS_EXT_SVC_ATTR_PROTOCOL: u16, IPPROTO_TCP, IPPROTO_UDP or IPPROTO_SCTP
 *   IPVS_EXT_SVC_ATTR_ADDR: binary, 4 (AF_INET) or 16 (AF_INET6) bytes,
 *                           network order; 16 bytes with AF_INET means the
 *                           first 4 are used (as ipvsadm's union does)
 *   IPVS_EXT_SVC_ATTR_PORT: be16, 0 for a port-zero service
 *
 * The attribute types mirror IPVS's own IPVS_SVC_ATTR_*, so a tool can
 * copy them from the service it configures.  Settings live independently
 * of the IPVS service: the patched ipvsadm deletes them with the service
 * (-D) and flushes them with -C; a tool that does not should do the same.
 *
 * Commands common to the families (same numbers in each family)
 * -------------------------------------------------------------
 * IPVS_EXT_CMD_SET_SERVICE: create or update the settings of one service.
 *   Attributes: IPVS_EXT_ATTR_SERVICE plus the family's settings; a
 *   setting that is absent keeps its value (or its default on creation).
 * IPVS_EXT_CMD_GET_SERVICE: with IPVS_EXT_ATTR_SERVICE, reply with that
 *   service's settings and counters (-ENOENT if none); as a dump
 *   (NLM_F_DUMP), one message per service with settings.
 * IPVS_EXT_CMD_DEL_SERVICE: delete one service's settings (-ENOENT if none).
 * IPVS_EXT_CMD_FLUSH: delete the settings of every service of the netns.
 * IPVS_EXT_CMD_GET_INFO: reply with global state and counters of the netns
 *   (family-specific attributes, see below; "IPVS_SYNCOOKIE" has none: its
 *   global counters are in /proc/net/stat/ip_vs_syncookie).
 *
 * Family "IPVS_PERSIST" (persistence-extension modes)
 * ----------------------------------------------------
 * The service must use the persistence engine "persist_ext"
 * (ipvsadm --pe persist_ext, set by ipvsadm --persist-mode).
 * IPVS_PERSIST_ATTR_MODE: u8, enum ipvs_persist_mode.
 * IPVS_PERSIST_ATTR_CAP: u32, lifetime cap in seconds, 0 = none, at most
 *   IPVS_PERSIST_MAX_LIMIT; not allowed with IPVS_PERSIST_MODE_ABSOLUTE
 *   (an absolute affinity has no extension to cap).
 * IPVS_PERSIST_ATTR_STATS: nested enum ipvs_persist_stats_attr (u64 each),
 *   in GET_SERVICE replies.
 * GET_INFO replies with the defaults for services using the engine without
 *   settings (sysctls net.ipv4.vs.persist_mode and persist_max) as
 *   IPVS_PERSIST_ATTR_MODE and IPVS_PERSIST_ATTR_CAP, and the counters of
 *   the netns (every service using the engine) as IPVS_PERSIST_ATTR_STATS.
 *
 * Family "IPVS_SYNCOOKIE" (SYN-cookie proxy)
 * ------------------------------------------
 * IPVS_SYNCOOKIE_ATTR_MODE: u8, enum ipvs_syncookie_mode.  on and auto need
 *   an address:port TCP service (not fwmark, not port 0): the relay is an
 *   IPVS application helper, which IPVS binds by port.
 * IPVS_SYNCOOKIE_ATTR_STATS: nested enum ipvs_syncookie_stats_attr (u64),
 *   in GET_SERVICE replies (the service's, up to PROXIED) and GET_INFO
 *   replies (the netns's, every service included).
 * IPVS_SYNCOOKIE_ATTR_SECRET: binary, exactly IPVS_SYNCOOKIE_SECRET_LEN
 *   bytes; write-only, accepted by IPVS_SYNCOOKIE_CMD_SET_SECRET only.
 * IPVS_SYNCOOKIE_CMD_SET_SECRET: set the netns's cookie secret, so that
 *   several directors validate each other's cookies.
 *
 * Family "IPVS_REAP" (watermark-driven reaping)
 * ---------------------------------------------
 * Configured by sysctls (net.ipv4.vs.reap_*); GET_INFO replies with
 * IPVS_REAP_ATTR_UTIL (u32, utilisation in per mille: finer than the
 * watermarks), IPVS_REAP_ATTR_LOW/HIGH (u32, percent),
 * IPVS_REAP_ATTR_STATE (u8, enum ipvs_reap_state) and IPVS_REAP_ATTR_STATS
 * (nested enum ipvs_reap_stats_attr, u64; DIVERTED is the SYN-cookie
 * proxy's count).
 * Every family's netns counters are also in /proc/net/stat/<module>.
 *
 * Command numbers are shared; IPVS_SYNCOOKIE_CMD_SET_SECRET exists only in
 * "IPVS_SYNCOOKIE" (the others answer -EOPNOTSUPP).
 */
#ifndef _UAPI_LINUX_IP_VS_EXT_H
#define _UAPI_LINUX_IP_VS_EXT_H

#define IPVS_EXT_GENL_VERSION		1

#define IPVS_PERSIST_GENL_NAME		"IPVS_PERSIST"
#define IPVS_SYNCOOKIE_GENL_NAME	"IPVS_SYNCOOKIE"
#define IPVS_REAP_GENL_NAME		"IPVS_REAP"

/* Name of the persistence engine of ip_vs_persist_ext (ipvsadm --pe). */
#define IPVS_PERSIST_PE_NAME		"persist_ext"

enum ipvs_ext_cmd {
	IPVS_EXT_CMD_UNSPEC,
	IPVS_EXT_CMD_SET_SERVICE,
	IPVS_EXT_CMD_GET_SERVICE,
	IPVS_EXT_CMD_DEL_SERVICE,
	IPVS_EXT_CMD_FLUSH,
	IPVS_EXT_CMD_GET_INFO,
	IPVS_SYNCOOKIE_CMD_SET_SECRET,
	__IPVS_EXT_CMD_MAX,
};

#define IPVS_EXT_CMD_MAX (__IPVS_EXT_CMD_MAX - 1)

enum ipvs_ext_svc_attr {
	IPVS_EXT_SVC_ATTR_UNSPEC,
	IPVS_EXT_SVC_ATTR_AF,
	IPVS_EXT_SVC_ATTR_PROTOCOL,
	IPVS_EXT_SVC_ATTR_ADDR,
	IPVS_EXT_SVC_ATTR_PORT,
	IPVS_EXT_SVC_ATTR_FWMARK,
	__IPVS_EXT_SVC_ATTR_MAX,
};

#define IPVS_EXT_SVC_ATTR_MAX (__IPVS_EXT_SVC_ATTR_MAX - 1)

/*
 * Top-level attributes.  Numbers are shared by the families: the service
 * is always attribute 1; family-specific attributes start at 2 and may
 * reuse numbers across families.
 */
#define IPVS_EXT_ATTR_SERVICE		1

enum ipvs_persist_attr {
	IPVS_PERSIST_ATTR_UNSPEC,
	IPVS_PERSIST_ATTR_SERVICE = IPVS_EXT_ATTR_SERVICE,
	IPVS_PERSIST_ATTR_MODE,
	IPVS_PERSIST_ATTR_CAP,
	IPVS_PERSIST_ATTR_STATS,
	IPVS_PERSIST_ATTR_PAD,
	__IPVS_PERSIST_ATTR_MAX,
};

#define IPVS_PERSIST_ATTR_MAXNR (__IPVS_PERSIST_ATTR_MAX - 1)

enum ipvs_persist_mode {
	/* stock re-arm on each new connection, to the full timeout */
	IPVS_PERSIST_MODE_RENEW,
	/* affinity ends timeout seconds after the first connection */
	IPVS_PERSIST_MODE_ABSOLUTE,
	/* affinity ends timeout seconds after the client's last packet */
	IPVS_PERSIST_MODE_IDLE,
	__IPVS_PERSIST_MODE_MAX,
};

#define IPVS_PERSIST_MODE_MAX (__IPVS_PERSIST_MODE_MAX - 1)

/* Largest lifetime cap, in seconds: one year. */
#define IPVS_PERSIST_MAX_LIMIT		(365 * 24 * 3600)

enum ipvs_persist_stats_attr {
	IPVS_PERSIST_STATS_UNSPEC,
	IPVS_PERSIST_STATS_CREATED,	/* templates created */
	IPVS_PERSIST_STATS_REUSED,	/* new connections that found one */
	IPVS_PERSIST_STATS_EXTENDED,	/* idle re-arms from client packets */
	IPVS_PERSIST_STATS_EXPIRED,	/* found expired by the mode's rule */
	IPVS_PERSIST_STATS_CAPPED,	/* found past the lifetime cap */
	IPVS_PERSIST_STATS_PAD,
	__IPVS_PERSIST_STATS_MAX,
};

#define IPVS_PERSIST_STATS_MAX (__IPVS_PERSIST_STATS_MAX - 1)

enum ipvs_syncookie_attr {
	IPVS_SYNCOOKIE_ATTR_UNSPEC,
	IPVS_SYNCOOKIE_ATTR_SERVICE = IPVS_EXT_ATTR_SERVICE,
	IPVS_SYNCOOKIE_ATTR_MODE,
	IPVS_SYNCOOKIE_ATTR_STATS,
	IPVS_SYNCOOKIE_ATTR_SECRET,
	IPVS_SYNCOOKIE_ATTR_PAD,
	__IPVS_SYNCOOKIE_ATTR_MAX,
};

#define IPVS_SYNCOOKIE_ATTR_MAXNR (__IPVS_SYNCOOKIE_ATTR_MAX - 1)

#define IPVS_SYNCOOKIE_SECRET_LEN	16

enum ipvs_syncookie_mode {
	IPVS_SYNCOOKIE_MODE_OFF,
	IPVS_SYNCOOKIE_MODE_ON,
	IPVS_SYNCOOKIE_MODE_AUTO,
	__IPVS_SYNCOOKIE_MODE_MAX,
};

#define IPVS_SYNCOOKIE_MODE_MAX (__IPVS_SYNCOOKIE_MODE_MAX - 1)

enum ipvs_syncookie_stats_attr {
	IPVS_SYNCOOKIE_STATS_UNSPEC,
	IPVS_SYNCOOKIE_STATS_SYN,	/* SYNs seen without a connection */
	IPVS_SYNCOOKIE_STATS_SENT,	/* cookies sent */
	IPVS_SYNCOOKIE_STATS_VALID,	/* ACKs with a valid cookie */
	IPVS_SYNCOOKIE_STATS_INVALID,	/* ACKs with an invalid cookie */
	IPVS_SYNCOOKIE_STATS_PROXIED,	/* connections opened to a server */
	IPVS_SYNCOOKIE_STATS_PAD,
	/* the netns's only (GET_INFO), not per service: */
	IPVS_SYNCOOKIE_STATS_SYN_RETRIES, /* SYNs sent to a real server again */
	IPVS_SYNCOOKIE_STATS_RESETS,	/* clients reset: server refused or silent */
	IPVS_SYNCOOKIE_STATS_HELD,	/* client data held until the server answered */
	IPVS_SYNCOOKIE_STATS_ACK_DROPPED, /* client segments dropped before that */
	IPVS_SYNCOOKIE_STATS_NONAT,	/* validated, but IPVS chose a non-NAT server */
	IPVS_SYNCOOKIE_STATS_DIVERTED,	/* SYNs answered for the reaper */
	__IPVS_SYNCOOKIE_STATS_MAX,
};

#define IPVS_SYNCOOKIE_STATS_MAX (__IPVS_SYNCOOKIE_STATS_MAX - 1)

enum ipvs_reap_attr {
	IPVS_REAP_ATTR_UNSPEC,
	IPVS_REAP_ATTR_STATE = 2,	/* 1 is IPVS_EXT_ATTR_SERVICE, unused */
	IPVS_REAP_ATTR_UTIL,
	IPVS_REAP_ATTR_LOW,
	IPVS_REAP_ATTR_HIGH,
	IPVS_REAP_ATTR_STATS,
	IPVS_REAP_ATTR_PAD,
	__IPVS_REAP_ATTR_MAX,
};

#define IPVS_REAP_ATTR_MAXNR (__IPVS_REAP_ATTR_MAX - 1)

enum ipvs_reap_state {
	IPVS_REAP_STATE_NORMAL,
	IPVS_REAP_STATE_REAPING,
	IPVS_REAP_STATE_REFUSING,
	__IPVS_REAP_STATE_MAX,
};

#define IPVS_REAP_STATE_MAX (__IPVS_REAP_STATE_MAX - 1)

enum ipvs_reap_stats_attr {
	IPVS_REAP_STATS_UNSPEC,
	IPVS_REAP_STATS_REAPED,		/* embryonic connections expired */
	IPVS_REAP_STATS_REFUSED,	/* new connections refused */
	IPVS_REAP_STATS_DIVERTED,	/* new connections sent to cookies */
	IPVS_REAP_STATS_TRANSITIONS,	/* state changes */
	IPVS_REAP_STATS_PAD,
	IPVS_REAP_STATS_RESET,		/* of the refused, SYNs answered with RST */
	IPVS_REAP_STATS_SAMPLES,	/* utilisation samples taken */
	IPVS_REAP_STATS_KICKED,		/* of those, started by a packet at reap_high */
	__IPVS_REAP_STATS_MAX,
};

#define IPVS_REAP_STATS_MAX (__IPVS_REAP_STATS_MAX - 1)

#endif /* _UAPI_LINUX_IP_VS_EXT_H */
