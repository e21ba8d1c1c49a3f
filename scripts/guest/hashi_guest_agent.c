/* hashi_guest_agent: what the test guest runs (built static by
 * scripts/build_guest.sh). It echoes UDP on port 7 (datagram for datagram,
 * so a client sees loss and order exactly), echoes TCP on port 5001 (any
 * number of connections), optionally dirties memory at a steady rate (to
 * make pre-copy work: -d MB_PER_SECOND over a -w MB working set), and writes
 * a heartbeat line with a counter to stdout every 200 ms, so a test can tell
 * a guest that froze from one that runs. One process, one poll loop. */
#include <errno.h>
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

static int listen_on(int type, int port) {
  int fd = socket(AF_INET, type, 0), one = 1;
  struct sockaddr_in a = {0};
  if (fd < 0) return -1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
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
  int nconn = 0;
  unsigned long beat = 0, udp_echoed = 0;
  double next_beat = now_s(), last_dirty = now_s();
  printf("hashi-guest-agent ready (dirty %ld MB/s over %ld MB)\n", dirty_mb_s, wss_mb);
  fflush(stdout);
  for (;;) {
    fds[0] = (struct pollfd){udp, POLLIN, 0};
    fds[1] = (struct pollfd){tcp, POLLIN, 0};
    for (int i = 0; i < nconn; ++i) fds[2 + i].events = POLLIN, fds[2 + i].revents = 0;
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
      if (c >= 0) fds[2 + nconn++].fd = c;
    }
    for (int i = 0; i < nconn; ++i) {
      if (!(fds[2 + i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[65536];
      ssize_t n = read(fds[2 + i].fd, buf, sizeof buf);
      if (n <= 0) {
        close(fds[2 + i].fd);
        fds[2 + i] = fds[2 + --nconn];
        --i;
        continue;
      }
      for (ssize_t off = 0; off < n;) {  /* blocking write: echo all of it */
        ssize_t w = write(fds[2 + i].fd, buf + off, (size_t)(n - off));
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        off += w;
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
      printf("beat %lu udp_echoed %lu\n", ++beat, udp_echoed);
      fflush(stdout);
      next_beat = t + 0.2;
    }
  }
}
