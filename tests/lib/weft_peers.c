/* Real servers for the HTTP client's tests (see weft_peers.h). */
#include "weft_peers.h"

#include "weft_test.h"
#include "weft_test_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Peers still running, stopped at exit too: a failed assertion leaves the
 * test function before its weft_peer_stop() (cmocka jumps out). */
#define MAX_LIVE 16
static struct weft_peer *live[MAX_LIVE];
static pid_t owner;

static void stop_all(void)
{
    if (getpid() != owner)
        return; /* a forked child exiting: not ours to clean */
    for (int i = 0; i < MAX_LIVE; i++)
        if (live[i])
            weft_peer_stop(live[i]);
}

static void track(struct weft_peer *p)
{
    if (!owner) {
        owner = getpid();
        atexit(stop_all);
    }
    for (int i = 0; i < MAX_LIVE; i++) {
        if (!live[i] || live[i] == p) {
            live[i] = p;
            return;
        }
    }
}

static void untrack(struct weft_peer *p)
{
    for (int i = 0; i < MAX_LIVE; i++)
        if (live[i] == p)
            live[i] = NULL;
}

bool weft_peer_have(const char *program)
{
    return access(program, X_OK) == 0;
}

int weft_peer_free_port(void)
{
    return weft_test_free_port(SOCK_STREAM);
}

static bool accepts(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&sin, sizeof sin) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

/* Wait until every port accepts (the child still running), up to 10 s. */
static int wait_ready(struct weft_peer *p, const int *ports, int n)
{
    for (int i = 0; i < 500; i++) {
        int ok = 0;
        for (int k = 0; k < n; k++)
            ok += accepts(ports[k]);
        if (ok == n)
            return 0;
        int status;
        if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
            p->pid = -1;
            return -1;
        }
        weft_test_nap_ms(20);
    }
    return -1;
}

pid_t weft_peer_spawn(const char *const *argv, const char *logpath)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int devnull = open("/dev/null", O_RDWR);
    int log = logpath ? open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0644) : devnull;
    if (devnull >= 0)
        dup2(devnull, 0);
    if (log >= 0) {
        dup2(log, 1);
        dup2(log, 2);
    }
    execv(argv[0], (char *const *)argv);
    _exit(127);
}

static int write_file(const char *path, const char *content, size_t len)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    size_t n = fwrite(content, 1, len, f);
    return fclose(f) == 0 && n == len ? 0 : -1;
}

static int make_dir(struct weft_peer *p, const char *what)
{
    memset(p, 0, sizeof *p);
    p->pid = -1;
    snprintf(p->dir, sizeof p->dir, "/tmp/weft-%s-XXXXXX", what);
    if (!mkdtemp(p->dir))
        return -1;
    track(p);
    return 0;
}

void weft_peer_dump_log(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f))
        fprintf(stderr, "  | %s", line);
    fclose(f);
}

/* ------------------------------------------------------------ nginx */

/* The body of /files/big.txt: numbered lines, easy to check and to gzip. */
static char *big_text(size_t *len)
{
    size_t n = 20000, cap = n * 24;
    char *b = malloc(cap);
    size_t at = 0;
    for (size_t i = 0; b && i < n; i++)
        at += (size_t)snprintf(b + at, cap - at, "line %06zu of the text\n", i);
    *len = at;
    return b;
}

int weft_nginx_start(struct weft_peer *p, const char *certdir)
{
    if (make_dir(p, "nginx") != 0)
        return -1;
    char path[256], www[160];
    snprintf(www, sizeof www, "%s/www", p->dir);
    mkdir(www, 0755);
    snprintf(path, sizeof path, "%s/files", www);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/private", www);
    mkdir(path, 0755);
    size_t blen;
    char *big = big_text(&blen);
    snprintf(path, sizeof path, "%s/files/big.txt", www);
    if (!big || write_file(path, big, blen) != 0) {
        free(big);
        return -1;
    }
    free(big);
    snprintf(path, sizeof path, "%s/private/secret.txt", www);
    write_file(path, "the secret\n", 11);
    snprintf(path, sizeof path, "%s/htpasswd", p->dir);
    write_file(path, "user:{PLAIN}pass\n", 17);

    for (int attempt = 0; attempt < 5; attempt++) {
        p->port = weft_peer_free_port();
        p->tls_port = weft_peer_free_port();
        p->bad_tls_port = weft_peer_free_port();
        if (p->port == p->tls_port || p->tls_port == p->bad_tls_port || p->port == p->bad_tls_port)
            continue;
        char conf[6000];
        int n = snprintf(
            conf, sizeof conf,
            "daemon off;\nmaster_process off;\npid %1$s/nginx.pid;\n"
            "error_log %1$s/error.log warn;\n"
            "events { worker_connections 512; }\n"
            "http {\n"
            "  access_log off;\n"
            "  client_body_temp_path %1$s/t_body; proxy_temp_path %1$s/t_proxy;\n"
            "  fastcgi_temp_path %1$s/t_fcgi; uwsgi_temp_path %1$s/t_uwsgi;\n"
            "  scgi_temp_path %1$s/t_scgi;\n"
            "  types { text/plain txt; text/html html; }\n"
            "  default_type text/plain;\n"
            "  keepalive_timeout 30s; keepalive_requests 100000;\n"
            "  gzip on; gzip_types text/plain; gzip_min_length 20;\n"
            "  server {\n"
            "    listen 127.0.0.1:%2$d;\n"
            "    listen 127.0.0.1:%3$d ssl;\n"
            "    ssl_certificate %5$s/server-chain.pem; ssl_certificate_key %5$s/server.key;\n"
            "    root %1$s/www;\n"
            "    location = / { return 200 \"hello from nginx\\n\"; }\n"
            "    location = /r1 { return 301 /r2; }\n"
            "    location = /r2 { return 302 /r3; }\n"
            "    location = /r3 { return 200 \"done\\n\"; }\n"
            "    location = /loop { return 302 /loop; }\n"
            "    location = /see-other { return 303 /r3; }\n"
            "    location = /to-localhost { return 302 http://localhost:%2$d/private/secret.txt; }\n"
            "    location = /to-https { return 301 https://localhost:%3$d/r3; }\n"
            "    location /private/ { auth_basic \"weft\"; auth_basic_user_file %1$s/htpasswd; }\n"
            "    location /files/ { }\n"
            "  }\n"
            "  server {\n"
            "    listen 127.0.0.1:%4$d ssl;\n"
            "    ssl_certificate %5$s/wronghost.pem; ssl_certificate_key %5$s/wronghost.key;\n"
            "    location / { return 200 \"wrong\\n\"; }\n"
            "  }\n"
            "}\n",
            p->dir, p->port, p->tls_port, p->bad_tls_port, certdir);
        snprintf(path, sizeof path, "%s/nginx.conf", p->dir);
        if (n >= (int)sizeof conf || write_file(path, conf, (size_t)n) != 0)
            return -1;
        char elog[160];
        snprintf(elog, sizeof elog, "%s/error.log", p->dir);
        const char *argv[] = {WEFT_NGINX, "-p", p->dir, "-c", path, "-e", elog, NULL};
        p->pid = weft_peer_spawn(argv, NULL);
        if (p->pid < 0)
            return -1;
        int ports[] = {p->port, p->tls_port, p->bad_tls_port};
        if (wait_ready(p, ports, 3) == 0)
            return 0;
        fprintf(stderr, "nginx did not start (attempt %d):\n", attempt + 1);
        weft_peer_dump_log(elog);
        weft_peer_kill(&p->pid);
    }
    return -1;
}

/* ------------------------------------------------------------ python */

int weft_pyserver_start(struct weft_peer *p, const char *source_dir)
{
    if (make_dir(p, "pyhttp") != 0)
        return -1;
    char script[512], portfile[160], log[160];
    snprintf(script, sizeof script, "%s/tests/lib/http_test_server.py", source_dir);
    snprintf(portfile, sizeof portfile, "%s/port", p->dir);
    snprintf(log, sizeof log, "%s/log", p->dir);
    const char *argv[] = {WEFT_PYTHON, script, portfile, NULL};
    p->pid = weft_peer_spawn(argv, log);
    if (p->pid < 0)
        return -1;
    for (int i = 0; i < 500; i++) {
        FILE *f = fopen(portfile, "r");
        if (f) {
            /* Written once it listens: no probe connection, which the
             * server would count as a client. */
            int ok = fscanf(f, "%d", &p->port);
            fclose(f);
            if (ok == 1)
                return 0;
        }
        int status;
        if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
            p->pid = -1;
            break;
        }
        weft_test_nap_ms(20);
    }
    fprintf(stderr, "http_test_server.py did not start:\n");
    weft_peer_dump_log(log);
    weft_peer_stop(p);
    return -1;
}

/* ------------------------------------------------------------ tinyproxy */

int weft_tinyproxy_start(struct weft_peer *p, const char *auth)
{
    if (make_dir(p, "tinyproxy") != 0)
        return -1;
    for (int attempt = 0; attempt < 5; attempt++) {
        p->port = weft_peer_free_port();
        char conf[1024], path[160], log[160];
        snprintf(log, sizeof log, "%s/log", p->dir);
        char user[64] = "", pass[64] = "";
        if (auth)
            sscanf(auth, "%63[^:]:%63s", user, pass);
        int n = snprintf(conf, sizeof conf,
                         "Port %d\nListen 127.0.0.1\nTimeout 60\nMaxClients 200\n"
                         "LogLevel Info\nLogFile \"%s\"\nPidFile \"%s/pid\"\n"
                         "Allow 127.0.0.1\nDisableViaHeader Yes\n%s%s%s%s%s",
                         p->port, log, p->dir, geteuid() == 0 ? "User root\nGroup root\n" : "",
                         auth ? "BasicAuth " : "", user, auth ? " " : "",
                         auth ? pass : "");
        if (auth)
            n += snprintf(conf + n, sizeof conf - (size_t)n, "\n");
        snprintf(path, sizeof path, "%s/tinyproxy.conf", p->dir);
        if (write_file(path, conf, (size_t)n) != 0)
            return -1;
        const char *argv[] = {WEFT_TINYPROXY, "-d", "-c", path, NULL};
        char out[160];
        snprintf(out, sizeof out, "%s/out", p->dir);
        p->pid = weft_peer_spawn(argv, out);
        if (p->pid < 0)
            return -1;
        int ports[] = {p->port};
        if (wait_ready(p, ports, 1) == 0)
            return 0;
        fprintf(stderr, "tinyproxy did not start (attempt %d):\n", attempt + 1);
        weft_peer_dump_log(out);
        weft_peer_dump_log(log);
        weft_peer_kill(&p->pid);
    }
    return -1;
}

/* ------------------------------------------------------------ stopping */

void weft_peer_kill(pid_t *pid)
{
    if (*pid <= 0)
        return;
    kill(*pid, SIGTERM);
    for (int i = 0; i < 100; i++) {
        if (waitpid(*pid, NULL, WNOHANG) == *pid) {
            *pid = -1;
            return;
        }
        weft_test_nap_ms(10);
    }
    kill(*pid, SIGKILL);
    waitpid(*pid, NULL, 0);
    *pid = -1;
}

void weft_peer_stop(struct weft_peer *p)
{
    untrack(p);
    weft_peer_kill(&p->pid);
    if (p->dir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", p->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", p->dir);
        p->dir[0] = '\0';
    }
}
