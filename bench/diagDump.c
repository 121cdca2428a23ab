/*
 * The C netlink floor for bench/scale.ts: the same four sock_diag dumps as the netlink source
 * (LISTEN then the rest, IPv4 then IPv6; see src/sources/netlinkSocketSource.ts) with a 64 KiB
 * receive buffer, counting sockets per kernel state and formatting nothing: what the kernel costs
 * for the walk plus the least user space can do. With the argument "info" the non-LISTEN passes
 * also ask for INET_DIAG_INFO (struct tcp_info, include/uapi/linux/tcp.h) and sum tcpi_rtt.
 *   cc -O2 -o diagDump diagDump.c && ./diagDump [info]     prints "<sockets> <listeners> <rtt sum>"
 */
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static long sockets, per_state[16], rtt_sum;

/* One NLM_F_DUMP request of inet_diag_req_v2 (include/uapi/linux/inet_diag.h); 0 when done. */
static int dump(int fd, int family, unsigned states, unsigned char ext) {
  struct { struct nlmsghdr nlh; struct inet_diag_req_v2 req; } r;
  memset(&r, 0, sizeof r);
  r.nlh.nlmsg_len = sizeof r;
  r.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  r.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  r.req.sdiag_family = family;
  r.req.sdiag_protocol = IPPROTO_TCP;
  r.req.idiag_ext = ext;
  r.req.idiag_states = states;
  if (send(fd, &r, sizeof r, 0) < 0) return -1;
  static char buf[65536];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return -1;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type == NLMSG_DONE) return 0;
      /* No IPv6 in the kernel: an empty table, as the netlink source treats it. */
      if (h->nlmsg_type == NLMSG_ERROR) return family == AF_INET6 ? 0 : -1;
      struct inet_diag_msg *m = NLMSG_DATA(h);
      sockets++;
      per_state[m->idiag_state & 15]++;
      if (!ext) continue;
      int len = h->nlmsg_len - NLMSG_LENGTH(sizeof *m);
      for (struct rtattr *a = (struct rtattr *)(m + 1); RTA_OK(a, len); a = RTA_NEXT(a, len))
        if (a->rta_type == INET_DIAG_INFO && RTA_PAYLOAD(a) >= 72) rtt_sum += ((struct tcp_info *)RTA_DATA(a))->tcpi_rtt;
    }
  }
}

int main(int argc, char **argv) {
  int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return 1;
  const unsigned listen = 1u << 10, rest = 0xfffu & ~(1u << 10);
  unsigned char info = argc > 1 && strcmp(argv[1], "info") == 0 ? 1 << (INET_DIAG_INFO - 1) : 0;
  if (dump(fd, AF_INET, listen, 0) || dump(fd, AF_INET6, listen, 0) || dump(fd, AF_INET, rest, info) || dump(fd, AF_INET6, rest, info)) return 1;
  printf("%ld %ld %ld\n", sockets, per_state[10], rtt_sum);
  return 0;
}
