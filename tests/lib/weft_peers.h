/*
 * weft_peers.h - real servers for the HTTP client's tests, each started by
 * the test on 127.0.0.1 on a free port, in a private temporary folder, and
 * killed by PID at the end (and by the kernel if the test dies first:
 * PR_SET_PDEATHSIG):
 *
 *   nginx      configured by weft_nginx_start() (redirects, gzip, chunked,
 *              TLS with the test CA, Basic auth; see weft_peers.c)
 *   python     tests/lib/http_test_server.py on /usr/bin/python3 (cookies,
 *              Digest, delays, malformed responses, connection counting)
 *   tinyproxy  an HTTP proxy that also does CONNECT, optionally with Basic
 *              proxy authentication
 *
 * Each start function returns 0 once the server accepts connections, or -1
 * (the reason on stderr); tests skip when the program is missing.
 */
#ifndef WEFT_PEERS_H
#define WEFT_PEERS_H

#include <stdbool.h>
#include <sys/types.h>

struct weft_peer {
    pid_t pid;
    int port;         /* the main (plain HTTP) port */
    int tls_port;     /* nginx: TLS with the test CA's localhost certificate */
    int bad_tls_port; /* nginx: TLS with a certificate for wrong.test */
    char dir[64];     /* private temporary folder */
};

#define WEFT_NGINX "/usr/sbin/nginx"
#define WEFT_TINYPROXY "/usr/bin/tinyproxy"
#define WEFT_PYTHON "/usr/bin/python3"

bool weft_peer_have(const char *program);

/* A TCP port on 127.0.0.1 that was free a moment ago. */
int weft_peer_free_port(void);

/* nginx with the test's configuration; certdir holds mkcerts.sh's files
 * (server-chain.pem, server.key, wronghost.pem, wronghost.key), and the
 * files it serves are made in p->dir. */
int weft_nginx_start(struct weft_peer *p, const char *certdir);

/* The test HTTP server script (source_dir/tests/lib/http_test_server.py). */
int weft_pyserver_start(struct weft_peer *p, const char *source_dir);

/* tinyproxy; with auth "user:pass" it demands Basic proxy authentication. */
int weft_tinyproxy_start(struct weft_peer *p, const char *auth);

/* Kill it by PID, reap it, remove its folder. */
void weft_peer_stop(struct weft_peer *p);

/* What the start functions share, for the other peers (weft_dnsmasq.c). */

/* Run argv[0] (a path) with stdin from /dev/null and stdout and stderr
 * appended to logpath (NULL: /dev/null); the kernel kills it with SIGKILL
 * if the test process dies first. Returns its pid, or -1. */
pid_t weft_peer_spawn(const char *const *argv, const char *logpath);

/* SIGTERM, SIGKILL if it is still there after a second, reaped; *pid
 * becomes -1. Nothing happens when *pid <= 0. */
void weft_peer_kill(pid_t *pid);

/* Copy a log file to stderr, each line indented (after a failed start). */
void weft_peer_dump_log(const char *path);

/* Where the test sources are (the test binaries know it). */
#define weft_pyserver(p) weft_pyserver_start(p, WEFT_SOURCE_DIR)

#endif
