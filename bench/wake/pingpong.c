/*
 * What one TCP round trip on loopback costs when the answering side sleeps in epoll_wait
 * (as every proxy does when idle) versus when it polls without sleeping. On a VM the
 * difference is what waking an idle vCPU costs; bench/README.md ("Where the hop's time goes").
 *
 *   gcc -O2 -o /tmp/pingpong bench/wake/pingpong.c && /tmp/pingpong 0 && /tmp/pingpong 1
 *
 * Argument 0: the echo side blocks in epoll_wait; 1: it polls epoll_wait with a zero timeout.
 * Prints p50 and p99 of 20,000 one-byte round trips (TCP_NODELAY on both sides).
 */
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void echo(int listener, int poll) {
    int c = accept(listener, 0, 0), one = 1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN}, got;
    epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
    char buf[64];
    for (;;) {
        int n;
        do n = epoll_wait(ep, &got, 1, poll ? 0 : -1);
        while (n == 0);
        ssize_t r = read(c, buf, sizeof buf);
        if (r <= 0) exit(0);
        if (write(c, buf, (size_t)r) != r) exit(1);
    }
}

int main(int argc, char **argv) {
    int poll = argc > 1 && atoi(argv[1]);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    if (bind(listener, (void *)&a, sizeof a) || listen(listener, 1) ||
        getsockname(listener, (void *)&a, &len)) {
        perror("listen");
        return 1;
    }
    if (fork() == 0) echo(listener, poll);
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    if (connect(s, (void *)&a, sizeof a)) {
        perror("connect");
        return 1;
    }
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    enum { N = 20000 };
    static double rtt[N];
    char b = 'x';
    for (int i = 0; i < N; i++) {
        double t = now_us();
        if (write(s, &b, 1) != 1 || read(s, &b, 1) != 1) return 1;
        rtt[i] = now_us() - t;
    }
    qsort(rtt, N, sizeof rtt[0], by_value);
    printf("echo side %s: p50 %.1f us, p99 %.1f us\n", poll ? "polls" : "sleeps", rtt[N / 2],
           rtt[N * 99 / 100]);
    return 0;
}
