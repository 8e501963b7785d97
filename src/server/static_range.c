/*
 * static_range.c - the Range header (RFC 9110 §14) and multipart/byteranges.
 *
 * The parser makes one pass and keeps at most max_ranges ranges, so a long
 * header costs time linear in its length and no memory beyond the caller's
 * array. Against the overlapping-ranges attack (CVE-2011-3192: "bytes=0-,
 * 0-, 0-, ..." turns one small request into gigabytes of response), a set
 * whose ranges add up to more than the file is ignored and the file goes out
 * once with 200, as nginx does; overlapping or touching ranges are
 * coalesced, as the RFC allows.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "server/static_int.h"

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Digits at *p, saturating at UINT64_MAX (any such position is past every
 * file). False when there are none. */
static bool number(const char **p, const char *end, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    while (s < end && is_digit(*s)) {
        unsigned d = (unsigned)(*s - '0');
        v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
        s++;
    }
    if (s == *p)
        return false;
    *p = s;
    *out = v;
    return true;
}

static void skip_ows(const char **p, const char *end)
{
    while (*p < end && (**p == ' ' || **p == '\t'))
        (*p)++;
}

static int cmp_range(const void *a, const void *b)
{
    const struct weft__static_range *x = a, *y = b;
    return x->first < y->first ? -1 : x->first > y->first;
}

/* Coalesce overlapping or touching ranges. Keeps the order asked when
 * nothing merges; otherwise the merged set, ascending. Returns the count. */
static int coalesce(struct weft__static_range *r, size_t n)
{
    if (n < 2)
        return (int)n;
    struct weft__static_range *s = malloc(n * sizeof *s);
    if (!s)
        return 0; /* cannot check them: send the whole file instead */
    memcpy(s, r, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_range);
    size_t m = 0;
    for (size_t i = 1; i < n; i++) {
        if (s[i].first <= s[m].last + 1) {
            if (s[i].last > s[m].last)
                s[m].last = s[i].last;
        } else {
            s[++m] = s[i];
        }
    }
    m++;
    if (m < n)
        memcpy(r, s, m * sizeof *s);
    free(s);
    return (int)m;
}

int weft__static_range_parse(const char *value, size_t len, uint64_t size, unsigned max_ranges,
                             struct weft__static_range *out)
{
    const char *p = value, *end = value + len;
    skip_ows(&p, end);
    if (end - p < 6 || strncasecmp(p, "bytes=", 6) != 0)
        return 0; /* another unit (or none): RFC 9110 §14.2 says ignore it */
    p += 6;
    size_t n = 0, specs = 0;
    bool whole = false;     /* a suffix range of an empty file */
    uint64_t total = 0;     /* bytes asked for, before coalescing */
    for (;;) {
        skip_ows(&p, end);
        if (p < end && *p == ',') { /* empty list elements are allowed */
            p++;
            continue;
        }
        if (p == end)
            break;
        if (++specs > max_ranges)
            return 0;
        uint64_t a = 0, b = 0;
        bool have_a = number(&p, end, &a);
        if (p == end || *p != '-')
            return 0;
        p++;
        bool have_b = number(&p, end, &b);
        skip_ows(&p, end);
        if (p < end && *p != ',')
            return 0;
        if (!have_a && !have_b)
            return 0;
        if (have_a && have_b && b < a)
            return 0; /* invalid range-spec: the whole header is */
        struct weft__static_range r;
        if (have_a) {
            if (a >= size)
                continue; /* unsatisfiable: dropped */
            r.first = a;
            r.last = have_b && b < size - 1 ? b : size - 1;
        } else {
            if (b == 0)
                continue;
            if (size == 0) {
                whole = true;
                continue;
            }
            r.first = b >= size ? 0 : size - b;
            r.last = size - 1;
        }
        total += r.last - r.first + 1; /* no overflow: each <= size, n <= max */
        if (total > size && n > 0)
            return 0;
        out[n++] = r;
    }
    if (specs == 0)
        return 0; /* "bytes=": a range-set needs one range-spec */
    if (n == 0)
        return whole ? 0 : -ERANGE;
    return coalesce(out, n);
}

/* ------------------------------------------------------------ multipart */

static uint64_t boundary_seed;
static uint64_t boundary_counter;
static pthread_once_t boundary_once = PTHREAD_ONCE_INIT;

static void boundary_init(void)
{
    uint64_t s;
    if (getrandom(&s, sizeof s, GRND_NONBLOCK) != (ssize_t)sizeof s) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        s = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)getpid() << 40;
    }
    boundary_seed = s;
}

/* splitmix64: consecutive counters give unrelated-looking boundaries. */
static uint64_t mix(uint64_t z)
{
    z += 0x9e3779b97f4a7c15u;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

void weft__static_boundary(char *out)
{
    pthread_once(&boundary_once, boundary_init);
    uint64_t c = __atomic_fetch_add(&boundary_counter, 1, __ATOMIC_RELAXED);
    uint64_t a = mix(boundary_seed ^ c), b = mix(a);
    snprintf(out, 25, "%016" PRIx64 "%08" PRIx32, a, (uint32_t)b);
}

int weft__static_part_head(char *out, size_t cap, const char *boundary, const char *ctype,
                           const struct weft__static_range *r, uint64_t size, bool first)
{
    int n = snprintf(out, cap,
                     "%s--%s\r\nContent-Type: %s\r\nContent-Range: bytes %" PRIu64 "-%" PRIu64
                     "/%" PRIu64 "\r\n\r\n",
                     first ? "" : "\r\n", boundary, ctype, r->first, r->last, size);
    return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}

int weft__static_part_tail(char *out, size_t cap, const char *boundary)
{
    int n = snprintf(out, cap, "\r\n--%s--\r\n", boundary);
    return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}

static size_t digits(uint64_t v)
{
    size_t n = 1;
    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

uint64_t weft__static_multipart_length(const char *boundary, const char *ctype,
                                       const struct weft__static_range *r, size_t n,
                                       uint64_t size)
{
    /* What weft__static_part_head writes, counted: "--" B "\r\nContent-Type: "
     * T "\r\nContent-Range: bytes " a "-" b "/" size "\r\n\r\n". */
    size_t fixed = 2 + strlen(boundary) + 16 + strlen(ctype) + 23 + 2 + digits(size) + 4;
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += (i ? 2 : 0) + fixed + digits(r[i].first) + digits(r[i].last) +
                 (r[i].last - r[i].first + 1);
    return total + 2 + 2 + strlen(boundary) + 4; /* "\r\n--" B "--\r\n" */
}
