/*
 * cookie_date.c - RFC 6265 5.1.1: the cookie-date algorithm.
 *
 * Servers send dates in every format ever written down (RFC 1123, RFC 850
 * with two-digit years, asctime), so the RFC does not parse a grammar: it
 * splits the string on delimiters and classifies each token as time,
 * day-of-month, month or year, the first match of each kind winning.
 * The result is UTC seconds; no time zone or locale is ever consulted.
 */
#include "http/cookie_int.h"
#include "http/url_int.h"

/* delimiter = %x09 / %x20-2F / %x3B-40 / %x5B-60 / %x7B-7E */
static bool delim(unsigned char c)
{
    return c == 0x09 || (c >= 0x20 && c <= 0x2f) || (c >= 0x3b && c <= 0x40) ||
           (c >= 0x5b && c <= 0x60) || (c >= 0x7b && c <= 0x7e);
}

static bool digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* Read 1..max digits at t[*i]; at least min. Returns the value or -1. */
static int digits(const char *t, size_t n, size_t *i, size_t min, size_t max)
{
    size_t k = 0;
    int v = 0;
    while (*i < n && k < max && digit((unsigned char)t[*i])) {
        v = v * 10 + (t[*i] - '0');
        (*i)++;
        k++;
    }
    return k >= min ? v : -1;
}

/* After the digits a token may go on only with a non-digit. */
static bool end_ok(const char *t, size_t n, size_t i)
{
    return i == n || !digit((unsigned char)t[i]);
}

static bool parse_time(const char *t, size_t n, int *h, int *m, int *s)
{
    size_t i = 0;
    if ((*h = digits(t, n, &i, 1, 2)) < 0 || i >= n || t[i++] != ':')
        return false;
    if ((*m = digits(t, n, &i, 1, 2)) < 0 || i >= n || t[i++] != ':')
        return false;
    if ((*s = digits(t, n, &i, 1, 2)) < 0)
        return false;
    return end_ok(t, n, i);
}

static int parse_month(const char *t, size_t n)
{
    static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";
    if (n < 3)
        return -1;
    for (int m = 0; m < 12; m++)
        if (weft__lower(t[0]) == names[m * 3] && weft__lower(t[1]) == names[m * 3 + 1] &&
            weft__lower(t[2]) == names[m * 3 + 2])
            return m + 1;
    return -1;
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
    static const int d[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return m == 2 && leap(y) ? 29 : d[m - 1];
}

/* Days between 1970-01-01 and y-m-d (y >= 1601). */
static int64_t days_since_epoch(int y, int m, int d)
{
    static const int before[12] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };
    int64_t py = y - 1; /* leap days up to the end of the previous year */
    int64_t leaps = py / 4 - py / 100 + py / 400;
    int64_t leaps1969 = 1969 / 4 - 1969 / 100 + 1969 / 400;
    int64_t days = (int64_t)(y - 1970) * 365 + (leaps - leaps1969);
    days += before[m - 1] + (m > 2 && leap(y)) + (d - 1);
    return days;
}

int weft_cookie_parse_date(const char *s, size_t len, time_t *out)
{
    int hour = -1, min = 0, sec = 0, day = -1, month = -1, year = -1;
    size_t i = 0;
    while (i < len) {
        while (i < len && delim((unsigned char)s[i]))
            i++;
        size_t st = i;
        while (i < len && !delim((unsigned char)s[i]))
            i++;
        const char *t = s + st;
        size_t n = i - st;
        if (n == 0)
            break;
        int h, m, x;
        size_t k = 0;
        if (hour < 0 && parse_time(t, n, &h, &m, &x)) {
            hour = h;
            min = m;
            sec = x;
            continue;
        }
        if (day < 0 && (k = 0, (x = digits(t, n, &k, 1, 2)) >= 0) && end_ok(t, n, k)) {
            day = x;
            continue;
        }
        if (month < 0 && (x = parse_month(t, n)) > 0) {
            month = x;
            continue;
        }
        if (year < 0 && (k = 0, (x = digits(t, n, &k, 2, 4)) >= 0) && end_ok(t, n, k)) {
            year = x;
            continue;
        }
    }
    if (year >= 70 && year <= 99)
        year += 1900;
    else if (year >= 0 && year <= 69)
        year += 2000;
    if (hour < 0 || day < 0 || month < 0 || year < 0)
        return WEFT_ECOOKIE;
    if (year < 1601 || hour > 23 || min > 59 || sec > 59 || day < 1 ||
        day > month_days(year, month))
        return WEFT_ECOOKIE;
    int64_t t = days_since_epoch(year, month, day) * 86400 + hour * 3600 + min * 60 + sec;
    *out = (time_t)t;
    return 0;
}
