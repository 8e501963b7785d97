/*
 * date.c - HTTP-date (RFC 9110 §5.6.7): format IMF-fixdate, parse all three.
 *
 * Parsing is strict about layout (fixed widths, exact separators), unlike
 * the cookie-date algorithm (cookie_date.c), because a date HTTP compares
 * (If-Modified-Since, If-Range) must mean one thing: a date weft cannot read
 * exactly is treated as absent, which is always safe there.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "weft/http.h"

static const char wdays[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
static const char *const long_wdays[7] = { "Sunday",   "Monday", "Tuesday", "Wednesday",
                                           "Thursday", "Friday", "Saturday" };

static void put2(char *p, int v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

int weft_http_date_format(time_t t, char *out)
{
    struct tm tm;
    if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999)
        return -EINVAL;
    int y = tm.tm_year + 1900;
    /* "Sun, 06 Nov 1994 08:49:37 GMT" */
    memcpy(out, wdays[tm.tm_wday], 3);
    memcpy(out + 3, ", ", 2);
    put2(out + 5, tm.tm_mday);
    out[7] = ' ';
    memcpy(out + 8, months[tm.tm_mon], 3);
    out[11] = ' ';
    put2(out + 12, y / 100);
    put2(out + 14, y % 100);
    out[16] = ' ';
    put2(out + 17, tm.tm_hour);
    out[19] = ':';
    put2(out + 20, tm.tm_min);
    out[22] = ':';
    put2(out + 23, tm.tm_sec);
    memcpy(out + 25, " GMT", 5); /* with the NUL */
    return WEFT_HTTP_DATE_LEN;
}

/* n digits at s, or -1. */
static int num(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int month_of(const char *s)
{
    for (int m = 0; m < 12; m++)
        if (memcmp(s, months[m], 3) == 0)
            return m;
    return -1;
}

static int wday_of(const char *s, size_t len)
{
    for (int d = 0; d < 7; d++)
        if (len == 3 ? memcmp(s, wdays[d], 3) == 0
                     : strlen(long_wdays[d]) == len && memcmp(s, long_wdays[d], len) == 0)
            return d;
    return -1;
}

/* "hh:mm:ss" at s into tm. */
static bool clock_of(const char *s, struct tm *tm)
{
    if (s[2] != ':' || s[5] != ':')
        return false;
    tm->tm_hour = num(s, 2);
    tm->tm_min = num(s + 3, 2);
    tm->tm_sec = num(s + 6, 2);
    return tm->tm_hour >= 0 && tm->tm_hour <= 23 && tm->tm_min >= 0 && tm->tm_min <= 59 &&
           tm->tm_sec >= 0 && tm->tm_sec <= 60;
}

/* The fields must name a real day, and the weekday must agree with it. */
static int finish(struct tm *tm, int wday, time_t *out)
{
    static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (tm->tm_mon < 0 || tm->tm_mday < 1 || tm->tm_mday > mdays[tm->tm_mon])
        return -EINVAL;
    int sec = tm->tm_sec == 60 ? 59 : tm->tm_sec; /* a leap second counts as :59 */
    tm->tm_sec = sec;
    struct tm check = *tm;
    time_t t = timegm(&check);
    if (check.tm_mday != tm->tm_mday || check.tm_wday != wday) /* Feb 29 of a common year */
        return -EINVAL;
    *out = t;
    return 0;
}

int weft_http_date_parse(const char *s, size_t len, time_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *comma = memchr(s, ',', len < 10 ? len : 10);
    if (comma && comma - s == 3 && len == 29) {
        /* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
        int wd = wday_of(s, 3);
        if (wd < 0 || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
            memcmp(s + 25, " GMT", 4) != 0 || !clock_of(s + 17, &tm))
            return -EINVAL;
        int y = num(s + 12, 4);
        tm.tm_mday = num(s + 5, 2);
        tm.tm_mon = month_of(s + 8);
        if (y < 0)
            return -EINVAL;
        tm.tm_year = y - 1900;
        return finish(&tm, wd, out);
    }
    if (comma) {
        /* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT" */
        size_t wl = (size_t)(comma - s);
        int wd = wday_of(s, wl);
        const char *p = comma + 1;
        if (wd < 0 || len != wl + 24 || p[0] != ' ' || p[3] != '-' || p[7] != '-' ||
            p[10] != ' ' || memcmp(p + 19, " GMT", 4) != 0 || !clock_of(p + 11, &tm))
            return -EINVAL;
        int yy = num(p + 8, 2);
        tm.tm_mday = num(p + 1, 2);
        tm.tm_mon = month_of(p + 4);
        if (yy < 0)
            return -EINVAL;
        /* A two-digit year more than 50 years in the future is in the past. */
        time_t now = time(NULL);
        struct tm nowtm;
        gmtime_r(&now, &nowtm);
        int year = (nowtm.tm_year + 1900) / 100 * 100 + yy;
        if (year > nowtm.tm_year + 1900 + 50)
            year -= 100;
        tm.tm_year = year - 1900;
        return finish(&tm, wd, out);
    }
    if (len == 24) {
        /* asctime: "Sun Nov  6 08:49:37 1994" (day padded with a space) */
        int wd = wday_of(s, 3);
        if (wd < 0 || s[3] != ' ' || s[7] != ' ' || s[10] != ' ' || s[19] != ' ' ||
            !clock_of(s + 11, &tm))
            return -EINVAL;
        tm.tm_mon = month_of(s + 4);
        tm.tm_mday = s[8] == ' ' ? num(s + 9, 1) : num(s + 8, 2);
        int y = num(s + 20, 4);
        if (y < 0)
            return -EINVAL;
        tm.tm_year = y - 1900;
        return finish(&tm, wd, out);
    }
    return -EINVAL;
}
