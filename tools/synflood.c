// SPDX-License-Identifier: GPL-2.0
/*
 * synflood: a small spoofed-SYN generator for the lab benchmarks (bench/).
 *
 *   synflood -d DST -p PORT [-s NET/LEN] [-c COUNT] [-t SECONDS] [-b BATCH] [-r PPS] [-q]
 *
 * Sends TCP SYNs to DST:PORT from random source addresses inside NET/LEN
 * (default 192.0.2.128/25) and random source ports, as Linux would (MSS,
 * SACK-permitted, timestamps, window scale), through a raw socket in
 * batches of BATCH (default 64) with sendmmsg(2).  It stops after COUNT
 * SYNs (default 100000) or SECONDS (default 10), whichever comes first,
 * and prints "sent N in S s (R/s)".  -r paces to about PPS SYNs per second.
 *
 * Only the documentation prefixes of the lab are accepted as sources:
 * NET/LEN must lie inside 192.0.2.0/24 (TEST-NET-1) or 198.51.100.0/24
 * (TEST-NET-2).  Needs CAP_NET_RAW.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BATCH 256
#define OPT_LEN 20
#define PKT_LEN (sizeof(struct iphdr) + sizeof(struct tcphdr) + OPT_LEN)

static uint64_t rng_state;

static uint32_t rnd(void)
{
	/* xorshift64*: fast, good enough for addresses, ports and ISNs */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ULL) >> 32);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* byte-wise, in network order: no aliasing games with the packet buffer */
static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (; len > 1; len -= 2, p += 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static void build(uint8_t *pkt, uint32_t saddr, uint32_t daddr, uint16_t dport)
{
	struct iphdr *ip = (struct iphdr *)pkt;
	struct tcphdr *th = (struct tcphdr *)(ip + 1);
	uint8_t *o = (uint8_t *)(th + 1);
	uint32_t sum, tsval = rnd();
	struct {
		uint32_t s, d;
		uint8_t zero, proto;
		uint16_t len;
	} ph;

	memset(pkt, 0, PKT_LEN);
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(PKT_LEN);
	ip->id = htons(rnd());
	ip->frag_off = htons(IP_DF);
	ip->ttl = 64;
	ip->protocol = IPPROTO_TCP;
	ip->saddr = saddr;
	ip->daddr = daddr;
	th->source = htons(1024 + rnd() % 64512);
	th->dest = dport;
	th->seq = rnd();
	th->doff = (sizeof(*th) + OPT_LEN) / 4;
	th->syn = 1;
	th->window = htons(64240);
	/* MSS 1460, SACK-permitted, timestamps, NOP, window scale 7 */
	o[0] = 2; o[1] = 4; o[2] = 1460 >> 8; o[3] = 1460 & 0xff;
	o[4] = 4; o[5] = 2;
	o[6] = 8; o[7] = 10; memcpy(o + 8, &tsval, 4); /* TSecr 0 */
	o[16] = 1; o[17] = 3; o[18] = 3; o[19] = 7;
	ph.s = saddr;
	ph.d = daddr;
	ph.zero = 0;
	ph.proto = IPPROTO_TCP;
	ph.len = htons(sizeof(*th) + OPT_LEN);
	sum = csum_add(0, &ph, sizeof(ph));
	sum = csum_add(sum, th, sizeof(*th) + OPT_LEN);
	th->check = htons(csum_fold(sum));
}

static int allowed(uint32_t net, int len)
{
	static const char *const ok[] = { "192.0.2.0", "198.51.100.0" };
	unsigned int i;

	if (len < 24 || len > 30)
		return 0;
	for (i = 0; i < 2; i++) {
		struct in_addr a;

		inet_pton(AF_INET, ok[i], &a);
		if ((ntohl(net) & 0xffffff00) == ntohl(a.s_addr))
			return 1;
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: synflood -d DST -p PORT [-s NET/LEN] [-c COUNT] [-t SECONDS] [-b BATCH] [-r PPS] [-q]\n"
		"  NET/LEN inside 192.0.2.0/24 or 198.51.100.0/24, LEN 24-30 (default 192.0.2.128/25)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static uint8_t pkts[MAX_BATCH][PKT_LEN];
	struct mmsghdr msgs[MAX_BATCH];
	struct iovec iov[MAX_BATCH];
	struct sockaddr_in dst = { .sin_family = AF_INET };
	char src[64] = "192.0.2.128/25", *slash;
	long count = 100000, sent = 0, pps = 0;
	double secs = 10, t0, t;
	int batch = 64, quiet = 0, len, fd, opt, i, have_dst = 0, have_port = 0;
	uint32_t net, hosts;
	struct in_addr a;

	while ((opt = getopt(argc, argv, "d:p:s:c:t:b:r:q")) != -1) {
		switch (opt) {
		case 'd':
			if (inet_pton(AF_INET, optarg, &dst.sin_addr) != 1)
				usage();
			have_dst = 1;
			break;
		case 'p':
			dst.sin_port = htons(atoi(optarg));
			have_port = 1;
			break;
		case 's':
			snprintf(src, sizeof(src), "%s", optarg);
			break;
		case 'c':
			count = atol(optarg);
			break;
		case 't':
			secs = atof(optarg);
			break;
		case 'b':
			batch = atoi(optarg);
			break;
		case 'r':
			pps = atol(optarg);
			break;
		case 'q':
			quiet = 1;
			break;
		default:
			usage();
		}
	}
	if (!have_dst || !have_port || count <= 0 || secs <= 0 || secs > 3600 ||
	    batch < 1 || batch > MAX_BATCH)
		usage();
	slash = strchr(src, '/');
	if (!slash)
		usage();
	*slash = 0;
	len = atoi(slash + 1);
	if (inet_pton(AF_INET, src, &a) != 1 || !allowed(a.s_addr, len)) {
		fprintf(stderr, "synflood: sources must be inside 192.0.2.0/24 or 198.51.100.0/24 (/24-/30)\n");
		return 2;
	}
	/* the lab's addresses only, as targets too */
	if (!allowed(dst.sin_addr.s_addr, 24)) {
		fprintf(stderr, "synflood: the target must be inside 192.0.2.0/24 or 198.51.100.0/24\n");
		return 2;
	}
	hosts = 1u << (32 - len);
	net = ntohl(a.s_addr) & ~(hosts - 1);

	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		perror("synflood: socket");
		return 1;
	}
	rng_state = ((uint64_t)getpid() << 32) ^ (uint64_t)(now() * 1e9) ^ 0x9e3779b97f4a7c15ULL;
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < batch; i++) {
		iov[i].iov_base = pkts[i];
		iov[i].iov_len = PKT_LEN;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &dst;
		msgs[i].msg_hdr.msg_namelen = sizeof(dst);
	}
	t0 = now();
	t = t0;
	while (sent < count && t - t0 < secs) {
		int n = batch, r;

		if (count - sent < n)
			n = count - sent;
		for (i = 0; i < n; i++) {
			/* a host address: neither the network nor the broadcast one */
			uint32_t h = 1 + rnd() % (hosts - 2);

			build(pkts[i], htonl(net + h), dst.sin_addr.s_addr, dst.sin_port);
		}
		r = sendmmsg(fd, msgs, n, 0);
		if (r < 0) {
			if (errno == ENOBUFS || errno == EAGAIN || errno == EPERM) {
				usleep(100);
				t = now();
				continue;
			}
			perror("synflood: sendmmsg");
			return 1;
		}
		sent += r;
		t = now();
		if (pps) {
			double ahead = sent / (double)pps - (t - t0);

			if (ahead > 0) {
				usleep(ahead * 1e6);
				t = now();
			}
		}
	}
	if (!quiet)
		printf("sent %ld in %.3f s (%.0f/s)\n", sent, t - t0, sent / (t - t0));
	return 0;
}
