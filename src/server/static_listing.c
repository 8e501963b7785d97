/*
 * static_listing.c - the HTML page of a directory listing.
 *
 * A file name is whatever bytes the file system holds, so it is never put in
 * the page as is: shown, it is HTML-escaped (and bytes that are not UTF-8
 * become U+FFFD, so the page stays valid UTF-8); linked, it is
 * percent-encoded down to the unreserved characters, so "a:b" cannot read as
 * a URL scheme, nor "?" or "#" cut the link short. The page is one small
 * self-contained document (inline CSS, no script) that follows the browser's
 * light or dark scheme.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/common_int.h"
#include "server/static_int.h"
#include "weft/common.h"
#include "weft/url.h"

static int cmp_entry(const void *a, const void *b)
{
    const struct weft__static_entry *x = a, *y = b;
    if (x->is_dir != y->is_dir)
        return x->is_dir ? -1 : 1;
    int c = strcasecmp(x->name, y->name);
    return c ? c : strcmp(x->name, y->name);
}

void weft__static_entries_sort(struct weft__static_entry *e, size_t n)
{
    if (n > 1)
        qsort(e, n, sizeof *e, cmp_entry);
}

void weft__static_html_escape(weft__sb *sb, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t run = 0; /* start of bytes to copy as they are */
    for (size_t i = 0; i < len;) {
        const char *rep = NULL;
        size_t adv = 1;
        switch (u[i]) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default:
            if (u[i] < 0x20 || u[i] == 0x7f) {
                rep = "\xef\xbf\xbd"; /* a control byte would show as nothing */
            } else if (u[i] >= 0x80) {
                uint32_t cp;
                adv = weft__utf8_seq(u + i, len - i, &cp);
                if (adv == 0) { /* not UTF-8: shown as U+FFFD */
                    rep = "\xef\xbf\xbd";
                    adv = 1;
                }
            }
        }
        if (rep) {
            weft__sb_put(sb, s + run, i - run);
            weft__sb_puts(sb, rep);
            run = i + adv;
        }
        i += adv;
    }
    weft__sb_put(sb, s + run, len - run);
}

/* A link target: every byte but the unreserved ones percent-encoded. */
static void put_href(weft__sb *sb, const char *s, size_t len)
{
    weft__pct_put(sb, s, len, WEFT__C_UNRESERVED, false);
}

/* 1023 B, 1.0 KiB, 12.3 MiB, ... as ls -h and nginx's autoindex show. */
static void put_size(weft__sb *sb, uint64_t v)
{
    static const char units[][4] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    char buf[32];
    if (v < 1024) {
        snprintf(buf, sizeof buf, "%" PRIu64 " B", v);
    } else {
        double d = (double)v;
        int u = -1;
        while (d >= 1024 && u < 5) {
            d /= 1024;
            u++;
        }
        snprintf(buf, sizeof buf, d < 10 ? "%.1f %s" : "%.0f %s", d, units[u]);
    }
    weft__sb_puts(sb, buf);
}

static void put_date(weft__sb *sb, time_t t)
{
    struct tm tm;
    char buf[40], iso[40];
    if (!gmtime_r(&t, &tm) || strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm) == 0 ||
        strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return;
    weft__sb_puts(sb, "<time datetime=\"");
    weft__sb_puts(sb, iso);
    weft__sb_puts(sb, "\">");
    weft__sb_puts(sb, buf);
    weft__sb_puts(sb, "</time>");
}

static const char style[] =
    ":root{color-scheme:light dark}"
    "body{font:15px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;"
    "max-width:64rem;margin:2rem auto;padding:0 1rem}"
    "h1{font-size:1.35rem;font-weight:600;overflow-wrap:anywhere;margin:0 0 1rem}"
    "h1 a{color:inherit}"
    "table{width:100%;border-collapse:collapse}"
    "th{text-align:left;font-weight:600;padding:.45rem .6rem;border-bottom:2px solid #8885}"
    "td{padding:.3rem .6rem;border-bottom:1px solid #8882;vertical-align:top}"
    "tbody tr:hover td{background:#8881}"
    "td:first-child{overflow-wrap:anywhere}"
    ".s{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}"
    ".m{white-space:nowrap;font-variant-numeric:tabular-nums;width:1%}"
    "a{text-decoration:none}a:hover{text-decoration:underline}"
    "tr.d a{font-weight:600}tr.l a{font-style:italic}"
    "footer{margin-top:1rem;color:#888;font-size:.85rem}";

/* The h1: "Index of /a/b/" with each folder on the way a link up to it. */
static void put_breadcrumbs(weft__sb *sb, const char *url_path)
{
    weft__sb_puts(sb, "<h1>Index of <a href=\"/\">/</a>");
    size_t n = strlen(url_path);
    for (size_t s = 1; s < n;) {
        size_t e = s;
        while (e < n && url_path[e] != '/')
            e++;
        if (e == s) {
            s++;
            continue;
        }
        weft__sb_puts(sb, "<a href=\"/");
        for (size_t p = 1; p < e;) {
            size_t q = p;
            while (q < e && url_path[q] != '/')
                q++;
            put_href(sb, url_path + p, q - p);
            weft__sb_putc(sb, '/');
            p = q + 1;
        }
        weft__sb_puts(sb, "\">");
        weft__static_html_escape(sb, url_path + s, e - s);
        weft__sb_puts(sb, "/</a>");
        s = e + 1;
    }
    weft__sb_puts(sb, "</h1>\n");
}

int weft__static_listing_html(weft__sb *sb, const char *url_path,
                              const struct weft__static_entry *e, size_t n, size_t total)
{
    size_t plen = strlen(url_path);
    weft__sb_puts(sb, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                      "<title>Index of ");
    weft__static_html_escape(sb, url_path, plen);
    weft__sb_puts(sb, "</title>\n<style>");
    weft__sb_puts(sb, style);
    weft__sb_puts(sb, "</style>\n</head>\n<body>\n");
    put_breadcrumbs(sb, url_path);
    weft__sb_puts(sb, "<table>\n<thead><tr><th>Name</th><th class=\"s\">Size</th>"
                      "<th class=\"m\">Modified (UTC)</th></tr></thead>\n<tbody>\n");
    if (!(plen == 1 && url_path[0] == '/'))
        weft__sb_puts(sb, "<tr class=\"d\"><td><a href=\"../\">../</a></td>"
                          "<td class=\"s\"></td><td class=\"m\"></td></tr>\n");
    for (size_t i = 0; i < n; i++) {
        const struct weft__static_entry *x = &e[i];
        size_t nl = strlen(x->name);
        weft__sb_puts(sb, x->is_dir ? (x->is_link ? "<tr class=\"d l\">" : "<tr class=\"d\">")
                                    : (x->is_link ? "<tr class=\"l\">" : "<tr>"));
        weft__sb_puts(sb, "<td><a href=\"");
        put_href(sb, x->name, nl);
        if (x->is_dir)
            weft__sb_putc(sb, '/');
        weft__sb_puts(sb, "\">");
        weft__static_html_escape(sb, x->name, nl);
        if (x->is_dir)
            weft__sb_putc(sb, '/');
        weft__sb_puts(sb, "</a></td><td class=\"s\"");
        if (!x->is_dir) {
            char exact[32];
            snprintf(exact, sizeof exact, " title=\"%" PRIu64 " bytes\">", x->size);
            weft__sb_puts(sb, exact);
            put_size(sb, x->size);
        } else {
            weft__sb_putc(sb, '>');
        }
        weft__sb_puts(sb, "</td><td class=\"m\">");
        put_date(sb, x->mtime);
        weft__sb_puts(sb, "</td></tr>\n");
    }
    weft__sb_puts(sb, "</tbody>\n</table>\n<footer>");
    char foot[128];
    if (total > n)
        snprintf(foot, sizeof foot, "%zu of %zu entries shown (the listing limit); ", n, total);
    else
        snprintf(foot, sizeof foot, "%zu %s; ", n, n == 1 ? "entry" : "entries");
    weft__sb_puts(sb, foot);
    weft__sb_puts(sb, "weft/" WEFT_VERSION_STRING "</footer>\n</body>\n</html>\n");
    return sb->err;
}
