/* hashi_guest_agent: what the test guest runs (built static by
 * scripts/build_guest.sh). It echoes UDP on port 7 (datagram for datagram,
 * so a client sees loss and order exactly), echoes TCP on port 5001 (any
 * number of connections), optionally dirties memory at a steady rate (to
 * make pre-copy work: -d MB_PER_SECOND over a -w MB working set), and writes
 * a heartbeat line with a counter to stdout every 200 ms, so a test can tell
 * a guest that froze from one that runs. One process, one poll loop that
 * never blocks: a TCP peer that stalls (its connection retransmitting
 * across a migration) must not stop the UDP echo, so each connection's
 * unsent echo waits in its own buffer, and the UDP socket has a large
 * receive buffer. Each heartbeat also reports the guest kernel's own UDP
 * drops (/proc/net/snmp RcvbufErrors, SndbufErrors), so a test can tell
 * loss inside the guest from loss in the network. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_TCP 16

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

/* The guest kernel's UDP receive and send buffer errors so far. */
static unsigned long udp_drops(void) {
  FILE* f = fopen("/proc/net/snmp", "r");
  char names[1024], values[1024];
  unsigned long drops = 0;
  if (f == NULL) return 0;
  while (fgets(names, sizeof names, f) && fgets(values, sizeof values, f)) {
    if (strncmp(names, "Udp:", 4) != 0) continue;
    char *np, *vp, *n = strtok_r(names, " \n", &np), *v = strtok_r(values, " \n", &vp);
    for (; n && v; n = strtok_r(NULL, " \n", &np), v = strtok_r(NULL, " \n", &vp)) {
      if (!strcmp(n, "RcvbufErrors") || !strcmp(n, "SndbufErrors")) drops += strtoul(v, NULL, 10);
    }
    break;
  }
  fclose(f);
  return drops;
}

static int listen_on(int type, int port) {
  int fd = socket(AF_INET, type, 0), one = 1, big = 8 << 20;
  struct sockaddr_in a = {0};
  if (fd < 0) return -1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (type == SOCK_DGRAM) {  /* root in the guest: past rmem_max */
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big);
  }
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  if (bind(fd, (struct sockaddr*)&a, sizeof a) < 0) return -1;
  if (type == SOCK_STREAM && listen(fd, 8) < 0) return -1;
  return fd;
}

int main(int argc, char** argv) {
  long dirty_mb_s = 0, wss_mb = 64;
  int opt;
  while ((opt = getopt(argc, argv, "d:w:")) != -1) {
    if (opt == 'd') dirty_mb_s = atol(optarg);
    if (opt == 'w') wss_mb = atol(optarg);
  }
  int udp = listen_on(SOCK_DGRAM, 7), tcp = listen_on(SOCK_STREAM, 5001);
  if (udp < 0 || tcp < 0) {
    perror("hashi_guest_agent: bind");
    return 1;
  }
  unsigned char* wss = NULL;
  size_t wss_len = (size_t)wss_mb << 20, cursor = 0;
  if (dirty_mb_s > 0) {
    wss = mmap(NULL, wss_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (wss == MAP_FAILED) return 1;
    memset(wss, 1, wss_len);
  }
  struct pollfd fds[2 + MAX_TCP];
  static char pending[MAX_TCP][65536];  /* each connection's echo not yet written */
  size_t pending_len[MAX_TCP] = {0}, pending_off[MAX_TCP] = {0};
  int nconn = 0;
  unsigned long beat = 0, udp_echoed = 0;
  double next_beat = now_s(), last_dirty = now_s();
  printf("hashi-guest-agent ready (dirty %ld MB/s over %ld MB)\n", dirty_mb_s, wss_mb);
  fflush(stdout);
  for (;;) {
    fds[0] = (struct pollfd){udp, POLLIN, 0};
    fds[1] = (struct pollfd){tcp, POLLIN, 0};
    for (int i = 0; i < nconn; ++i) {
      fds[2 + i].events = pending_len[i] > pending_off[i] ? POLLOUT : POLLIN;
      fds[2 + i].revents = 0;
    }
    poll(fds, 2 + nconn, 10);
    if (fds[0].revents & POLLIN) {
      unsigned char buf[2048];
      struct sockaddr_in from;
      socklen_t fl = sizeof from;
      ssize_t n;
      while ((n = recvfrom(udp, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr*)&from, &fl)) > 0) {
        sendto(udp, buf, (size_t)n, 0, (struct sockaddr*)&from, fl);
        ++udp_echoed;
        fl = sizeof from;
      }
    }
    if ((fds[1].revents & POLLIN) && nconn < MAX_TCP) {
      int c = accept(tcp, NULL, NULL);
      if (c >= 0) {
        fcntl(c, F_SETFL, fcntl(c, F_GETFL) | O_NONBLOCK);
        pending_len[nconn] = pending_off[nconn] = 0;
        fds[2 + nconn++].fd = c;
      }
    }
    for (int i = 0; i < nconn; ++i) {
      if (!(fds[2 + i].revents & (POLLIN | POLLOUT | POLLHUP | POLLERR))) continue;
      ssize_t n = 0;
      if (pending_len[i] == pending_off[i]) {  /* nothing waits: read more */
        n = read(fds[2 + i].fd, pending[i], sizeof pending[i]);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        pending_len[i] = n > 0 ? (size_t)n : 0;
        pending_off[i] = 0;
      }
      if (n >= 0 && pending_len[i] > pending_off[i]) {
        ssize_t w = write(fds[2 + i].fd, pending[i] + pending_off[i], pending_len[i] - pending_off[i]);
        if (w > 0) pending_off[i] += (size_t)w;
        if (w >= 0 || errno == EAGAIN || errno == EINTR) continue;
        n = -1;  /* broken: close it below */
      }
      if (n <= 0) {  /* closed or broken */
        close(fds[2 + i].fd);
        --nconn;
        fds[2 + i] = fds[2 + nconn];
        memcpy(pending[i], pending[nconn], pending_len[nconn]);
        pending_len[i] = pending_len[nconn];
        pending_off[i] = pending_off[nconn];
        --i;
      }
    }
    double t = now_s();
    if (wss != NULL) {  /* dirty pages at the asked rate, round the working set */
      size_t bytes = (size_t)((t - last_dirty) * dirty_mb_s * (1 << 20));
      for (size_t b = 0; b < bytes; b += 4096) {
        wss[cursor] ^= 1;
        cursor = (cursor + 4096) % wss_len;
      }
      last_dirty = t;
    }
    if (t >= next_beat) {
      printf("beat %lu udp_echoed %lu udp_guest_drops %lu\n", ++beat, udp_echoed, udp_drops());
      fflush(stdout);
      next_beat = t + 0.2;
    }
  }
}
