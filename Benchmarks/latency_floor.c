/* The physical floor of a Redis queue hand-off on this machine: one process LPUSHes a
 * timestamp every 5 ms, another waits in BLPOP and records now - timestamp. No client
 * library, no task queue: what is left is the kernel, the wake-ups and redis-server.
 *
 *   cc -O2 -o latency_floor Benchmarks/latency_floor.c
 *   ./latency_floor PORT N consume &  ./latency_floor PORT N produce
 */
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int connect_to(int port) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(0x7f000001);
    if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) != 0) { perror("connect"); exit(2); }
    int one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return s;
}

static void send_all(int s, const char *p, size_t n) {
    while (n > 0) {
        ssize_t k = write(s, p, n);
        if (k <= 0) { perror("write"); exit(2); }
        p += k; n -= (size_t)k;
    }
}

/* Reads until the buffer holds `lines` CRLF-terminated lines; returns the length. */
static size_t read_lines(int s, char *buf, size_t cap, int lines) {
    size_t len = 0;
    for (;;) {
        int seen = 0;
        for (size_t i = 0; i + 1 < len; i++) if (buf[i] == '\r' && buf[i + 1] == '\n') seen++;
        if (seen >= lines) return len;
        ssize_t k = read(s, buf + len, cap - 1 - len);
        if (k <= 0) { fprintf(stderr, "connection closed\n"); exit(2); }
        len += (size_t)k;
        buf[len] = 0;
    }
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: %s PORT N produce|consume\n", argv[0]); return 2; }
    int port = atoi(argv[1]), n = atoi(argv[2]);
    int s = connect_to(port);
    char buf[4096];
    const char *key = "latency_floor";
    if (strcmp(argv[3], "consume") == 0) {
        double *ms = malloc(sizeof(double) * (size_t)n);
        char cmd[128];
        int m = snprintf(cmd, sizeof cmd, "*3\r\n$5\r\nBLPOP\r\n$%zu\r\n%s\r\n$1\r\n0\r\n", strlen(key), key);
        for (int i = 0; i < n; i++) {
            send_all(s, cmd, (size_t)m);
            size_t len = read_lines(s, buf, sizeof buf, 5); /* *2, $len, key, $len, value */
            double t = now();
            buf[len - 2] = 0;
            char *v = strrchr(buf, '\n');
            ms[i] = (t - atof(v + 1)) * 1000;
        }
        qsort(ms, (size_t)n, sizeof(double), cmp);
        printf("LPUSH -> BLPOP (C, no client library): p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  (%d hand-offs)\n",
               ms[n / 2], ms[n * 9 / 10], ms[n * 99 / 100], n);
    } else {
        for (int i = 0; i < n; i++) {
            char val[64], cmd[256];
            snprintf(val, sizeof val, "%.6f", now());
            int m = snprintf(cmd, sizeof cmd, "*3\r\n$5\r\nLPUSH\r\n$%zu\r\n%s\r\n$%zu\r\n%s\r\n", strlen(key), key, strlen(val), val);
            send_all(s, cmd, (size_t)m);
            read_lines(s, buf, sizeof buf, 1);
            usleep(5000);
        }
    }
    return 0;
}
