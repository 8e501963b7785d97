/*
 * url_host.c - canonical host names: IPv6 and IPv4 literals, lower-case
 * ASCII names, and IDNA (UTS #46 non-transitional, as browsers now use) for
 * non-ASCII names, so that "BÜCHER.example" and "xn--bcher-kva.example" are
 * the same host everywhere weft compares hosts (origins, cookies, pools).
 */
#include <arpa/inet.h>
#include <idn2.h>
#include <stdio.h>
#include <stdlib.h>

#include "weft/common.h"
#include "http/url_int.h"

/* Longest percent-decoded host we hand to IDNA: four UTF-8 bytes for each of
 * the 255 characters a DNS name may have is generous; longer is garbage. */
#define HOST_RAW_MAX 1024

static int canon_ipv6(const char *s, size_t n, char *out)
{
    char tmp[INET6_ADDRSTRLEN + 1];
    unsigned char addr[16];
    /* A zone id ("fe80::1%25eth0") names an interface of this machine; it
     * has no meaning to a server, browsers reject it, and so do we. IPvFuture
     * ("[v1.x]") has no deployed use. Both fail with WEFT_EURL_HOST. */
    if (n == 0 || n >= sizeof tmp || memchr(s, '%', n))
        return WEFT_EURL_HOST;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    if (inet_pton(AF_INET6, tmp, addr) != 1)
        return WEFT_EURL_HOST;
    out[0] = '[';
    if (!inet_ntop(AF_INET6, addr, out + 1, INET6_ADDRSTRLEN))
        return WEFT_EURL_HOST;
    size_t len = strlen(out);
    out[len++] = ']';
    out[len] = '\0';
    return (int)len;
}

/* One IPv4 part per WHATWG: 0x-prefixed hex, 0-prefixed octal, or decimal.
 * Returns false on anything else or on a value past 2^32. */
static bool ipv4_number(const char *s, size_t n, uint64_t *v)
{
    unsigned base = 10;
    if (n >= 2 && s[0] == '0' && (s[1] | 0x20) == 'x') {
        base = 16;
        s += 2;
        n -= 2;
    } else if (n >= 2 && s[0] == '0') {
        base = 8;
        s++;
        n--;
    }
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        int d = weft__hexval((unsigned char)s[i]);
        if (d < 0 || (unsigned)d >= base)
            return false;
        x = x * base + (unsigned)d;
        if (x > 0xffffffffu)
            return false;
    }
    if (n == 0 && base == 10)
        return false;
    *v = x;
    return true;
}

/* Does the name end in a number (WHATWG "ends in a number checker")? Then it
 * must be an IPv4 address: "127.1" and "0x7f000001" are 127.0.0.1, as in
 * every browser, so a policy check on the canonical host cannot be dodged. */
static bool ends_in_number(const char *s, size_t n)
{
    if (n && s[n - 1] == '.')
        n--;
    size_t start = n;
    while (start && s[start - 1] != '.')
        start--;
    const char *l = s + start;
    size_t ln = n - start;
    if (ln == 0)
        return false;
    size_t i = 0;
    for (; i < ln; i++)
        if (l[i] < '0' || l[i] > '9')
            break;
    if (i == ln)
        return true;
    if (ln >= 2 && l[0] == '0' && (l[1] | 0x20) == 'x') {
        for (i = 2; i < ln; i++)
            if (weft__hexval((unsigned char)l[i]) < 0)
                return false;
        return true;
    }
    return false;
}

static int canon_ipv4(const char *s, size_t n, char *out)
{
    uint64_t part[4];
    size_t np = 0;
    if (n && s[n - 1] == '.')
        n--; /* one trailing dot is allowed */
    size_t i = 0;
    while (i <= n) {
        size_t j = i;
        while (j < n && s[j] != '.')
            j++;
        if (np == 4 || !ipv4_number(s + i, j - i, &part[np]))
            return WEFT_EURL_HOST;
        np++;
        i = j + 1;
    }
    uint64_t addr = 0;
    for (size_t k = 0; k + 1 < np; k++) {
        if (part[k] > 255)
            return WEFT_EURL_HOST;
        addr = addr << 8 | part[k];
    }
    /* The last part fills the remaining bytes: "127.1" = 127.0.0.1. */
    unsigned rest = (unsigned)(5 - np) * 8;
    if (rest < 32 && part[np - 1] >> rest)
        return WEFT_EURL_HOST;
    addr = (addr << rest) | part[np - 1];
    if (rest == 32 && addr > 0xffffffffu)
        return WEFT_EURL_HOST;
    if (np == 1)
        addr = part[0];
    int len = snprintf(out, WEFT__HOST_MAX + 1, "%u.%u.%u.%u",
                       (unsigned)(addr >> 24) & 255, (unsigned)(addr >> 16) & 255,
                       (unsigned)(addr >> 8) & 255, (unsigned)addr & 255);
    return len;
}

/* Lower-case, check the characters and the label structure of an ASCII name. */
static int check_name(char *s, size_t n)
{
    size_t label = 0;
    if (n == 0 || n > 253 + (s[n - 1] == '.'))
        return WEFT_EURL_HOST;
    for (size_t i = 0; i < n; i++) {
        char c = weft__lower(s[i]);
        s[i] = c;
        if (c == '.') {
            /* no empty labels, except that one trailing dot is a valid FQDN */
            if (label == 0)
                return WEFT_EURL_HOST;
            label = 0;
            continue;
        }
        /* letters, digits, hyphen and the underscore real DNS names carry */
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return WEFT_EURL_HOST;
        if (++label > 63)
            return WEFT_EURL_HOST;
    }
    return (int)n;
}

int weft__host_canon(const char *s, size_t n, char *out, int *kind)
{
    if (n >= 2 && s[0] == '[') {
        if (s[n - 1] != ']')
            return WEFT_EURL_HOST;
        *kind = WEFT__HOST_IPV6;
        return canon_ipv6(s + 1, n - 2, out);
    }
    if (n == 0 || n > HOST_RAW_MAX * 3)
        return WEFT_EURL_HOST;
    char raw[HOST_RAW_MAX * 3 + 1];
    size_t rn = weft__pct_decode(raw, s, n, false);
    if (rn > HOST_RAW_MAX)
        return WEFT_EURL_HOST;
    raw[rn] = '\0';
    bool ascii = true;
    for (size_t i = 0; i < rn; i++) {
        unsigned char c = (unsigned char)raw[i];
        if (c >= 0x80)
            ascii = false;
        else if (c <= 0x20 || c == 0x7f || c == '%' || c == '[' || c == ']' || c == '@' ||
                 c == ':' || c == '/' || c == '\\' || c == '?' || c == '#')
            return WEFT_EURL_HOST; /* forbidden even before IDNA */
    }
    int len;
    if (ascii) {
        if (rn > WEFT__HOST_MAX)
            return WEFT_EURL_HOST;
        memcpy(out, raw, rn + 1);
        len = (int)rn;
    } else {
        char *alabel = NULL;
        /* Non-transitional UTS #46 keeps "ß" and "ς" distinct (what browsers
         * and IDNA2008 do today); NFC_INPUT normalises composed forms first. */
        int rc = idn2_lookup_u8((const uint8_t *)raw, (uint8_t **)&alabel,
                                IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
        if (rc != IDN2_OK)
            return WEFT_EURL_HOST;
        size_t an = strlen(alabel);
        if (an > WEFT__HOST_MAX) {
            idn2_free(alabel);
            return WEFT_EURL_HOST;
        }
        memcpy(out, alabel, an + 1);
        idn2_free(alabel);
        len = (int)an;
    }
    for (int i = 0; i < len; i++)
        out[i] = weft__lower(out[i]);
    if (ends_in_number(out, (size_t)len)) {
        *kind = WEFT__HOST_IPV4;
        char tmp[WEFT__HOST_MAX + 1];
        memcpy(tmp, out, (size_t)len + 1);
        return canon_ipv4(tmp, (size_t)len, out);
    }
    *kind = WEFT__HOST_NAME;
    return check_name(out, (size_t)len);
}

bool weft__host_is_ip(const char *s)
{
    unsigned char addr[16];
    return inet_pton(AF_INET, s, addr) == 1 || inet_pton(AF_INET6, s, addr) == 1;
}
