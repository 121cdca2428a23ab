/*
 * The C netlink floor for the benchmarks: the same sock_diag dumps as the netlink source (see
 * src/sources/netlinkSocketSource.ts): a LISTEN-only SOCK_DIAG_BY_FAMILY dump per family, then one
 * TCPDIAG_GETSOCK dump of every other state of both families, with a 64 KiB receive buffer,
 * counting sockets per kernel state and formatting nothing: what the kernel costs for the walk
 * plus the least user space can do. With the argument "info" the non-LISTEN dump also asks for
 * INET_DIAG_INFO (struct tcp_info, include/uapi/linux/tcp.h) and sums tcpi_rtt. With
 * "per-family" the non-LISTEN states are dumped per family too (SOCK_DIAG_BY_FAMILY, as `ss`
 * does), which walks the kernel's established hash once per family.
 *   cc -O2 -o diagDump diagDump.c && ./diagDump [info] [per-family]
 *   prints "<sockets> <listeners> <rtt sum> <wall µs> <cpu µs>": the last two are the dumps' own
 *   time, from opening the socket to the last NLMSG_DONE (CLOCK_MONOTONIC, and getrusage(2) user +
 *   system), so a benchmark can set them against our collector's cycle without process start-up.
 */
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long sockets, per_state[16], rtt_sum;

/* Sends one dump request and reads its answer to NLMSG_DONE; 0 when done, -1 on failure. */
static int dump(int fd, const void *req, size_t len, int family, unsigned char ext) {
  if (send(fd, req, len, 0) < 0) return -1;
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
      int left = h->nlmsg_len - NLMSG_LENGTH(sizeof *m);
      for (struct rtattr *a = (struct rtattr *)(m + 1); RTA_OK(a, left); a = RTA_NEXT(a, left))
        if (a->rta_type == INET_DIAG_INFO && RTA_PAYLOAD(a) >= 72) rtt_sum += ((struct tcp_info *)RTA_DATA(a))->tcpi_rtt;
    }
  }
}

/* SOCK_DIAG_BY_FAMILY with struct inet_diag_req_v2 (include/uapi/linux/inet_diag.h): one family. */
static int dump_family(int fd, int family, unsigned states, unsigned char ext) {
  struct { struct nlmsghdr nlh; struct inet_diag_req_v2 req; } r;
  memset(&r, 0, sizeof r);
  r.nlh.nlmsg_len = sizeof r;
  r.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  r.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  r.req.sdiag_family = family;
  r.req.sdiag_protocol = IPPROTO_TCP;
  r.req.idiag_ext = ext;
  r.req.idiag_states = states;
  return dump(fd, &r, sizeof r, family, ext);
}

/* TCPDIAG_GETSOCK with struct inet_diag_req: TCP sockets of both families in one walk. */
static int dump_both(int fd, unsigned states, unsigned char ext) {
  struct { struct nlmsghdr nlh; struct inet_diag_req req; } r;
  memset(&r, 0, sizeof r);
  r.nlh.nlmsg_len = sizeof r;
  r.nlh.nlmsg_type = TCPDIAG_GETSOCK;
  r.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  r.req.idiag_family = AF_INET;
  r.req.idiag_ext = ext;
  r.req.idiag_states = states;
  return dump(fd, &r, sizeof r, AF_INET, ext);
}

static long wall_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000L + t.tv_nsec / 1000;
}

static long cpu_us(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1000000L + u.ru_utime.tv_usec + u.ru_stime.tv_usec;
}

int main(int argc, char **argv) {
  const long wall0 = wall_us(), cpu0 = cpu_us();
  int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return 1;
  const unsigned listen = 1u << 10, rest = 0xfffu & ~(1u << 10);
  unsigned char info = 0;
  int per_family = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "info") == 0) info = 1 << (INET_DIAG_INFO - 1);
    else if (strcmp(argv[i], "per-family") == 0) per_family = 1;
    else return 2;
  }
  if (dump_family(fd, AF_INET, listen, 0) || dump_family(fd, AF_INET6, listen, 0)) return 1;
  if (per_family ? dump_family(fd, AF_INET, rest, info) || dump_family(fd, AF_INET6, rest, info) : dump_both(fd, rest, info)) return 1;
  printf("%ld %ld %ld %ld %ld\n", sockets, per_state[10], rtt_sum, wall_us() - wall0, cpu_us() - cpu0);
  return 0;
}
