#include "weft_dnsmasq.h"

#include "weft_peers.h"
#include "weft_test.h"
#include "weft_test_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define DNSMASQ "/usr/sbin/dnsmasq"

bool weft_dnsmasq_available(void)
{
    return access(DNSMASQ, X_OK) == 0;
}

static int write_file(const char *path, const char *content)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(content ? content : "", f);
    return fclose(f) == 0 ? 0 : -1;
}

/* One A query for probe.test; true once dnsmasq answers anything. */
static bool probe(int port)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    static const unsigned char q[] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
                                      5,    'p',  'r',  'o',  'b', 'e', 4, 't', 'e', 's', 't',
                                      0,    0,    1,    0,    1};
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = false;
    if (sendto(fd, q, sizeof q, 0, (struct sockaddr *)&sin, sizeof sin) == (ssize_t)sizeof q) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        unsigned char buf[512];
        if (poll(&p, 1, 100) == 1 && recv(fd, buf, sizeof buf, 0) > 0)
            ok = true;
    }
    close(fd);
    return ok;
}

int weft_dnsmasq_start(struct weft_dnsmasq *d, const char *hosts_content, int ttl,
                       const char *const *extra)
{
    memset(d, 0, sizeof *d);
    d->pid = -1;
    snprintf(d->dir, sizeof d->dir, "/tmp/weft-dnsmasq-XXXXXX");
    if (!mkdtemp(d->dir))
        return -1;
    snprintf(d->hosts, sizeof d->hosts, "%s/hosts", d->dir);
    snprintf(d->log, sizeof d->log, "%s/log", d->dir);
    snprintf(d->out, sizeof d->out, "%s/out", d->dir);
    if (write_file(d->hosts, hosts_content) != 0 || write_file(d->log, "") != 0)
        return -1;

    for (int attempt = 0; attempt < 5; attempt++) {
        d->port = weft_test_free_port(SOCK_DGRAM);
        if (d->port <= 0)
            return -1;
        snprintf(d->servers, sizeof d->servers, "127.0.0.1:%d", d->port);
        write_file(d->out, ""); /* this attempt's output only */
        char a_port[32], a_hosts[160], a_log[160], a_ttl[32];
        snprintf(a_port, sizeof a_port, "--port=%d", d->port);
        snprintf(a_hosts, sizeof a_hosts, "--addn-hosts=%s", d->hosts);
        snprintf(a_log, sizeof a_log, "--log-facility=%s", d->log);
        snprintf(a_ttl, sizeof a_ttl, "--local-ttl=%d", ttl);
        const char *argv[64];
        int n = 0;
        argv[n++] = DNSMASQ;
        argv[n++] = "--keep-in-foreground";
        argv[n++] = "--conf-file=/dev/null";
        argv[n++] = "--no-resolv";
        argv[n++] = "--no-hosts";
        argv[n++] = "--pid-file";
        argv[n++] = "--listen-address=127.0.0.1";
        argv[n++] = "--bind-interfaces";
        argv[n++] = "--local=/test/";
        argv[n++] = "--log-queries";
        argv[n++] = a_port;
        argv[n++] = a_hosts;
        argv[n++] = a_log;
        argv[n++] = a_ttl;
        if (geteuid() == 0)
            argv[n++] = "--user=root"; /* dropping privileges would clear PDEATHSIG */
        for (int i = 0; extra && extra[i] && n < 62; i++)
            argv[n++] = extra[i];
        argv[n] = NULL;

        pid_t pid = weft_peer_spawn(argv, d->out);
        if (pid < 0)
            return -1;
        d->pid = pid;
        /* Ready once it answers; give up after 5 s or if it exits (port taken). */
        for (int i = 0; i < 100; i++) {
            if (probe(d->port))
                return 0;
            weft_test_nap_ms(20);
            int status;
            if (waitpid(pid, &status, WNOHANG) == pid) {
                d->pid = -1;
                break;
            }
        }
        fprintf(stderr, "dnsmasq did not start (attempt %d):\n", attempt + 1);
        weft_peer_dump_log(d->out);
        if (d->pid > 0) {
            weft_dnsmasq_stop(d);
            return -1;
        }
    }
    return -1;
}

int weft_dnsmasq_set_hosts(struct weft_dnsmasq *d, const char *hosts_content)
{
    int before = weft_dnsmasq_count(d, d->hosts);
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.new", d->hosts);
    if (write_file(tmp, hosts_content) != 0 || rename(tmp, d->hosts) != 0)
        return -1;
    if (kill(d->pid, SIGHUP) != 0)
        return -1;
    /* dnsmasq logs "read <file> - N names" each time it reads the file. */
    for (int i = 0; i < 500; i++) {
        if (weft_dnsmasq_count(d, d->hosts) > before)
            return 0;
        weft_test_nap_ms(10);
    }
    return -1;
}

int weft_dnsmasq_count(const struct weft_dnsmasq *d, const char *needle)
{
    FILE *f = fopen(d->log, "r");
    if (!f)
        return -1;
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof line, f))
        if (strstr(line, needle))
            n++;
    fclose(f);
    return n;
}

void weft_dnsmasq_stop(struct weft_dnsmasq *d)
{
    weft_peer_kill(&d->pid);
    if (d->dir[0]) {
        char p[200];
        snprintf(p, sizeof p, "%s.new", d->hosts);
        unlink(p);
        unlink(d->hosts);
        unlink(d->log);
        unlink(d->out);
        rmdir(d->dir);
        d->dir[0] = '\0';
    }
}

int weft_blackhole_udp(char servers[32])
{
    int port;
    int fd = weft_test_bind_loopback(SOCK_DGRAM, &port);
    if (fd < 0)
        return -1;
    snprintf(servers, 32, "127.0.0.1:%d", port);
    return fd;
}
