/*
 * weft_dnsmasq.h - a real DNS server for tests: dnsmasq on 127.0.0.1, on a
 * free port, with its own records, a hosts file it re-reads on SIGHUP and a
 * query log. Killed by PID at the end (and by the kernel if the test dies:
 * PR_SET_PDEATHSIG).
 */
#ifndef WEFT_DNSMASQ_H
#define WEFT_DNSMASQ_H

#include <stdbool.h>
#include <sys/types.h>

struct weft_dnsmasq {
    pid_t pid;
    int port;
    char dir[64];     /* private temporary directory */
    char hosts[128];  /* dir/hosts: --addn-hosts, rewrite + weft_dnsmasq_reload() */
    char log[128];    /* dir/log: --log-queries output */
    char out[128];    /* dir/out: its stdout and stderr */
    char servers[32]; /* "127.0.0.1:PORT", for weft_resolver_opts.servers */
};

/* Is /usr/sbin/dnsmasq there? Tests skip without it. */
bool weft_dnsmasq_available(void);

/* Start dnsmasq answering for the zone "test" only (anything else in it is
 * NXDOMAIN): hosts_content goes to the hosts file; extra is a NULL-ended
 * list of further options (--host-record=..., --address=...). TTL of local
 * records: ttl seconds. Returns 0 once it answers queries, -1 on failure. */
int weft_dnsmasq_start(struct weft_dnsmasq *d, const char *hosts_content, int ttl,
                       const char *const *extra);

/* Replace the hosts file and make dnsmasq re-read it (returns once it has). */
int weft_dnsmasq_set_hosts(struct weft_dnsmasq *d, const char *hosts_content);

/* Number of log lines containing needle (e.g. "query[A] a.test "). */
int weft_dnsmasq_count(const struct weft_dnsmasq *d, const char *needle);

/* Kill it by PID, reap it and remove its files. */
void weft_dnsmasq_stop(struct weft_dnsmasq *d);

/* A UDP socket bound to 127.0.0.1 that never reads: a DNS server that never
 * answers. Returns the fd and writes "127.0.0.1:PORT" into servers. */
int weft_blackhole_udp(char servers[32]);

#endif
