/*
 * addr.c - address formatting and name resolution.
 *
 * Literals, "localhost" and the wildcard are answered here, at once; names
 * go to the DNS layer (c-ares on the loop, TTL cache), which needs nothing
 * of net/ and so may be called from it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>

#include "coro/coro_int.h"
#include "net/net_int.h"
#include "weft/dns.h"

/* ------------------------------------------------------------ formatting */

static int fmt_ret(int n, size_t size)
{
    if (n < 0)
        return -EINVAL;
    return (size_t)n >= size && size ? (int)size - 1 : n;
}

int weft_addr_port(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)sa)->sin_port);
    if (sa->sa_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
    return -EAFNOSUPPORT;
}

static const char *unix_path(const struct sockaddr *sa, char *tmp, size_t tmpsize)
{
    const struct sockaddr_un *un = (const struct sockaddr_un *)sa;
    if (un->sun_path[0])
        return un->sun_path;
    if (!un->sun_path[1])
        return ""; /* unnamed (a client that did not bind): Python shows '' */
    /* Abstract: "@name" (the name is not NUL-terminated in general, but we
     * only ever make ones that are). */
    snprintf(tmp, tmpsize, "@%.*s", (int)sizeof un->sun_path - 1, un->sun_path + 1);
    return tmp;
}

int weft_addr_format(const struct sockaddr *sa, char *buf, size_t size)
{
    char host[INET6_ADDRSTRLEN];
    char tmp[sizeof(((struct sockaddr_un *)0)->sun_path) + 2];
    switch (sa->sa_family) {
    case AF_INET:
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, host, sizeof host);
        return fmt_ret(snprintf(buf, size, "%s:%d", host, weft_addr_port(sa)), size);
    case AF_INET6:
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, host, sizeof host);
        return fmt_ret(snprintf(buf, size, "[%s]:%d", host, weft_addr_port(sa)), size);
    case AF_UNIX:
        return fmt_ret(snprintf(buf, size, "%s", unix_path(sa, tmp, sizeof tmp)), size);
    default:
        if (size)
            buf[0] = 0;
        return -EAFNOSUPPORT;
    }
}

int weft_addr_format_py(const struct sockaddr *sa, char *buf, size_t size)
{
    char host[INET6_ADDRSTRLEN];
    char tmp[sizeof(((struct sockaddr_un *)0)->sun_path) + 2];
    switch (sa->sa_family) {
    case AF_INET:
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, host, sizeof host);
        return fmt_ret(snprintf(buf, size, "('%s', %d)", host, weft_addr_port(sa)), size);
    case AF_INET6: {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
        return fmt_ret(snprintf(buf, size, "('%s', %d, %u, %u)", host, weft_addr_port(sa),
                                (unsigned)ntohl(s6->sin6_flowinfo), (unsigned)s6->sin6_scope_id),
                       size);
    }
    case AF_UNIX:
        return fmt_ret(snprintf(buf, size, "'%s'", unix_path(sa, tmp, sizeof tmp)), size);
    default:
        if (size)
            buf[0] = 0;
        return -EAFNOSUPPORT;
    }
}

/* ------------------------------------------------------------ resolution */

static int map_eai(int e, int sys_errno)
{
    switch (e) {
    case 0: return 0;
    case EAI_NONAME: return WEFT_EDNS_NXDOMAIN;
#ifdef EAI_NODATA
    case EAI_NODATA: return WEFT_EDNS_NODATA;
#endif
#ifdef EAI_ADDRFAMILY
    case EAI_ADDRFAMILY: return WEFT_EDNS_NODATA;
#endif
    case EAI_AGAIN: return WEFT_EDNS_TIMEOUT;
    case EAI_FAIL: return WEFT_EDNS_SERVFAIL;
    case EAI_MEMORY: return -ENOMEM;
    case EAI_FAMILY: return -EAFNOSUPPORT;
    case EAI_SYSTEM: return sys_errno ? -sys_errno : WEFT_EDNS;
    default: return WEFT_EDNS;
    }
}

static int push(struct sockaddr_storage **out, size_t *n, size_t *cap, const void *sa,
                socklen_t len)
{
    for (size_t i = 0; i < *n; i++)
        if (memcmp(&(*out)[i], sa, len) == 0)
            return 0; /* getaddrinfo repeats addresses per socktype */
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 4;
        struct sockaddr_storage *a = realloc(*out, c * sizeof *a);
        if (!a)
            return -ENOMEM;
        *out = a;
        *cap = c;
    }
    memset(&(*out)[*n], 0, sizeof **out);
    memcpy(&(*out)[*n], sa, len);
    (*n)++;
    return 0;
}

static int add_v4(struct sockaddr_storage **out, size_t *n, size_t *cap, uint32_t addr,
                  uint16_t port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(addr);
    return push(out, n, cap, &a, sizeof a);
}

static int add_v6(struct sockaddr_storage **out, size_t *n, size_t *cap,
                  const struct in6_addr *addr, uint16_t port)
{
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
    a.sin6_addr = *addr;
    return push(out, n, cap, &a, sizeof a);
}

static int from_addrinfo(struct addrinfo *res, struct sockaddr_storage **out, size_t *n)
{
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
            continue;
        int err = push(out, n, &cap, ai->ai_addr, ai->ai_addrlen);
        if (err) {
            free(*out);
            *out = NULL;
            *n = 0;
            return err;
        }
    }
    return *n ? 0 : WEFT_EDNS_NODATA;
}

/* 1: handled (result in *err), 0: a name that needs a real lookup. */
static int literal(const char *host, uint16_t port, int family, bool passive,
                   struct sockaddr_storage **out, size_t *n, int *err)
{
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    *err = 0;
    bool v4 = family == AF_UNSPEC || family == AF_INET;
    bool v6 = family == AF_UNSPEC || family == AF_INET6;
    if (!host || !*host) {
        if (!passive) {
            *err = -EINVAL;
            return 1;
        }
        if (v4)
            *err = add_v4(out, n, &cap, INADDR_ANY, port);
        if (!*err && v6)
            *err = add_v6(out, n, &cap, &in6addr_any, port);
        return 1;
    }
    if (strcasecmp(host, "localhost") == 0 || strcasecmp(host, "localhost.") == 0) {
        if (v4)
            *err = add_v4(out, n, &cap, INADDR_LOOPBACK, port);
        if (!*err && v6)
            *err = add_v6(out, n, &cap, &in6addr_loopback, port);
        return 1;
    }
    /* "[::1]" as in URLs. */
    char tmp[INET6_ADDRSTRLEN + 16];
    size_t len = strlen(host);
    if (host[0] == '[' && len > 2 && host[len - 1] == ']' && len - 2 < sizeof tmp) {
        memcpy(tmp, host + 1, len - 2);
        tmp[len - 2] = 0;
        host = tmp;
    }
    /* getaddrinfo only as a parser here: names go to the DNS layer. */
    struct addrinfo h = {.ai_family = family, .ai_socktype = SOCK_STREAM,
                         .ai_flags = (passive ? AI_PASSIVE : 0) | AI_NUMERICHOST | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    char serv[8];
    snprintf(serv, sizeof serv, "%u", port);
    int e = getaddrinfo(host, serv, &h, &res);
    if (e == EAI_NONAME)
        return 0; /* not a literal */
    if (e) {
        *err = map_eai(e, errno);
        return 1;
    }
    *err = from_addrinfo(res, out, n);
    freeaddrinfo(res);
    return 1;
}

int weft__resolve_literal(const char *host, uint16_t port, int family, bool passive,
                          struct sockaddr_storage **out, size_t *n)
{
    int err;
    if (!literal(host, port, family, passive, out, n, &err))
        return -EINVAL;
    if (!err && !*n)
        err = WEFT_EDNS_NODATA;
    return err;
}

/* A name: the loop's default resolver (c-ares on the loop, its cache,
 * /etc/hosts), the same one weft_tcp_connect uses. */
int weft__resolve(const char *host, uint16_t port, int family, bool passive,
                  struct sockaddr_storage **out, size_t *n)
{
    int err;
    if (literal(host, port, family, passive, out, n, &err)) {
        if (!err && !*n)
            err = WEFT_EDNS_NODATA;
        return err;
    }
    if (!weft__current_task)
        return -EPERM;
    char service[8];
    snprintf(service, sizeof service, "%u", port);
    weft_dns_hints hints = {.family = family, .socktype = SOCK_STREAM};
    weft_addrinfo *list;
    int count = weft_getaddrinfo(host, service, &hints, &list);
    if (count < 0)
        return count;
    size_t cap = 0;
    err = 0;
    for (weft_addrinfo *ai = list; ai && !err; ai = ai->next)
        err = push(out, n, &cap, &ai->addr, ai->addrlen);
    weft_addrinfo_free(list);
    if (err) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return err;
}
