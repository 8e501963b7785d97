/*
 * proxy.c - which proxy a request goes through: one for http:// (absolute-
 * form requests to it), one for https:// (a CONNECT tunnel through it), set
 * per session or read from the environment as curl does (http_proxy in
 * lower case only, since a CGI program gets HTTP_PROXY from any client's
 * "Proxy:" header; https_proxy / HTTPS_PROXY; all_proxy as the fallback;
 * no_proxy / NO_PROXY for the exceptions).
 *
 * no_proxy entries: "*" (everything), a host name matching itself and its
 * subdomains ("example.com" and ".example.com" both match a.example.com),
 * an IP address, an IPv4 or IPv6 network in CIDR form ("10.0.0.0/8",
 * "fd00::/8"), each optionally with ":port".
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"

void weft__hc_proxy_clear(struct weft__hc_proxy *px)
{
    weft_url_free(px->url);
    free(px->auth);
    px->url = NULL;
    px->auth = NULL;
}

int weft__hc_proxy_parse(struct weft__hc_proxy *px, const char *spec)
{
    px->url = NULL;
    px->auth = NULL;
    char *tmp = NULL;
    if (!strstr(spec, "://")) {
        size_t n = strlen(spec) + 8;
        if (!(tmp = malloc(n)))
            return -ENOMEM;
        snprintf(tmp, n, "http://%s", spec);
        spec = tmp;
    }
    weft_url *u;
    int err = weft_url_parse(spec, strlen(spec), &u);
    free(tmp);
    if (err)
        return err;
    if (strcmp(weft_url_scheme(u), "http") != 0) {
        weft_url_free(u); /* https and socks proxies are not spoken here */
        return WEFT_EURL_SCHEME;
    }
    const char *eu = weft_url_username(u);
    if (*eu) {
        const char *ep = weft_url_password(u);
        char *user = malloc(strlen(eu) + 1), *pass = malloc(strlen(ep) + 1);
        if (user && pass) {
            weft_percent_decode(eu, strlen(eu), false, false, user);
            weft_percent_decode(ep, strlen(ep), false, false, pass);
            px->auth = weft__hc_basic_value(user, pass);
        }
        free(user);
        free(pass);
        if (!px->auth) {
            weft_url_free(u);
            return -ENOMEM;
        }
    }
    px->url = u;
    return 0;
}

static void free_list(char **l)
{
    if (!l)
        return;
    for (char **p = l; *p; p++)
        free(*p);
    free(l);
}

static int parse_no_proxy(const char *s, char ***out)
{
    *out = NULL;
    if (!s || !*s)
        return 0;
    size_t n = 0, cap = 8;
    char **l = calloc(cap + 1, sizeof *l);
    if (!l)
        return -ENOMEM;
    const char *p = s;
    while (*p) {
        while (*p == ',' || isspace((unsigned char)*p))
            p++;
        size_t k = strcspn(p, ", \t\r\n");
        if (!k)
            break;
        if (n == cap) {
            char **nl = realloc(l, (2 * cap + 1) * sizeof *l);
            if (!nl)
                goto oom;
            l = nl;
            cap *= 2;
        }
        char *e = strndup(p, k);
        if (!e)
            goto oom;
        for (char *c = e; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        l[n++] = e;
        l[n] = NULL;
        p += k;
    }
    *out = l;
    return 0;
oom:
    free_list(l);
    return -ENOMEM;
}

void weft__hc_proxies_clear(struct weft__hc_proxies *p)
{
    weft__hc_proxy_clear(&p->http);
    weft__hc_proxy_clear(&p->https);
    free_list(p->no_proxy);
    p->no_proxy = NULL;
}

int weft__hc_proxies_set(struct weft__hc_proxies *p, const char *proxy, const char *no_proxy)
{
    struct weft__hc_proxies n = {0};
    int err = 0;
    if (proxy && *proxy) {
        if ((err = weft__hc_proxy_parse(&n.http, proxy)) == 0)
            err = weft__hc_proxy_parse(&n.https, proxy);
    }
    if (!err)
        err = parse_no_proxy(no_proxy, &n.no_proxy);
    if (err) {
        weft__hc_proxies_clear(&n);
        return err;
    }
    weft__hc_proxies_clear(p);
    *p = n;
    return 0;
}

static const char *env2(const char *lower, const char *upper)
{
    const char *v = getenv(lower);
    if ((!v || !*v) && upper)
        v = getenv(upper);
    return v && *v ? v : NULL;
}

int weft__hc_proxies_from_env(struct weft__hc_proxies *p)
{
    struct weft__hc_proxies n = {0};
    const char *all = env2("all_proxy", "ALL_PROXY");
    const char *http = env2("http_proxy", NULL);
    const char *https = env2("https_proxy", "HTTPS_PROXY");
    if (!http)
        http = all;
    if (!https)
        https = all;
    /* A proxy spelled in a scheme we cannot speak (socks5://) is skipped,
     * not an error: the environment is not ours to reject. */
    if (http && weft__hc_proxy_parse(&n.http, http) == -ENOMEM)
        goto oom;
    if (https && weft__hc_proxy_parse(&n.https, https) == -ENOMEM)
        goto oom;
    if (parse_no_proxy(env2("no_proxy", "NO_PROXY"), &n.no_proxy) < 0)
        goto oom;
    weft__hc_proxies_clear(p);
    *p = n;
    return 0;
oom:
    weft__hc_proxies_clear(&n);
    return -ENOMEM;
}

/* ------------------------------------------------------------ matching */

/* host an IP literal inside the network net/bits? */
static bool in_cidr(const char *host, const char *net, int bits)
{
    unsigned char a[16], b[16];
    int fam = strchr(host, ':') ? AF_INET6 : AF_INET;
    if (inet_pton(fam, host, a) != 1 || inet_pton(fam, net, b) != 1)
        return false;
    int max = fam == AF_INET ? 32 : 128;
    if (bits < 0 || bits > max)
        return false;
    for (int i = 0; i < bits; i++) {
        int byte = i / 8, bit = 7 - i % 8;
        if (((a[byte] >> bit) & 1) != ((b[byte] >> bit) & 1))
            return false;
    }
    return true;
}

static bool entry_match(const char *e, const char *host, int port)
{
    if (strcmp(e, "*") == 0)
        return true;
    char buf[300];
    snprintf(buf, sizeof buf, "%s", e);
    char *name = buf;
    int want_port = -1;
    /* "[::1]:8080", "[::1]", "host:8080"; a bare IPv6 address has colons
     * but no port. */
    if (name[0] == '[') {
        char *close = strchr(name, ']');
        if (!close)
            return false;
        *close = '\0';
        if (close[1] == ':')
            want_port = atoi(close + 2);
        name++;
    } else {
        char *colon = strchr(name, ':');
        if (colon && !strchr(colon + 1, ':')) {
            *colon = '\0';
            want_port = atoi(colon + 1);
        }
    }
    if (want_port >= 0 && want_port != port)
        return false;
    char *slash = strchr(name, '/');
    if (slash) {
        *slash = '\0';
        return in_cidr(host, name, atoi(slash + 1));
    }
    if (*name == '.')
        name++;
    size_t hl = strlen(host), nl = strlen(name);
    if (!nl || nl > hl)
        return false;
    if (strcasecmp(host + hl - nl, name) != 0)
        return false;
    return hl == nl || host[hl - nl - 1] == '.';
}

bool weft__hc_no_proxy_match(char *const *list, const char *host, int port)
{
    if (!list)
        return false;
    for (char *const *p = list; *p; p++)
        if (entry_match(*p, host, port))
            return true;
    return false;
}

const struct weft__hc_proxy *weft__hc_proxy_for(const struct weft__hc_proxies *p,
                                                const weft_url *url)
{
    const struct weft__hc_proxy *px = weft_url_is_secure(url) ? &p->https : &p->http;
    if (!px->url)
        return NULL;
    if (weft__hc_no_proxy_match(p->no_proxy, weft_url_hostname(url), weft_url_port(url)))
        return NULL;
    return px;
}
