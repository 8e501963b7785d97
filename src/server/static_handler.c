/*
 * static_handler.c - the static-file handler: from a request to the file,
 * folder redirect, index file or listing it names (static_send.c answers
 * for files).
 *
 * The handler reads the request-target itself rather than the server's
 * decoded path, because decoding must happen exactly once and before the
 * checks: the decoded path cannot tell "%2F" from '/', and decoding it again
 * would turn "%252e" into ".".
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/static_int.h"
#include "weft/http.h"
#include "weft/http_server.h"
#include "weft/http_static.h"

static const char *const default_index[] = { "index.html", "index.htm", NULL };

void weft_web_static_free(weft_web_static *st)
{
    if (!st)
        return;
    weft__static_root_close(&st->root);
    weft__static_mime_free(st->mime);
    if (st->index)
        for (char **p = st->index; *p; p++)
            free(*p);
    free(st->index);
    free(st->prefix);
    free(st->default_type);
    free(st->cache_control);
    free(st);
}

static int copy_value(const char *s, char **out)
{
    *out = NULL;
    if (!s)
        return 0;
    if (!weft_http_value_valid(s, strlen(s)))
        return -EINVAL;
    *out = strdup(s);
    return *out ? 0 : -ENOMEM;
}

static int copy_index(const char *const *names, char ***out)
{
    size_t n = 0;
    while (names[n])
        n++;
    char **v = calloc(n + 1, sizeof *v);
    if (!v)
        return -ENOMEM;
    *out = v;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(names[i]);
        if (l == 0 || l > NAME_MAX || memchr(names[i], '/', l))
            return -EINVAL;
        if (!(v[i] = strdup(names[i])))
            return -ENOMEM;
    }
    return 0;
}

static int clean_prefix(const char *prefix, char **out, size_t *len)
{
    char buf[WEFT__STATIC_PATH_MAX + 1];
    bool dir;
    int n = 0;
    if (prefix && *prefix) {
        if (prefix[0] != '/' || strstr(prefix, "/../") || strstr(prefix, "%"))
            return -EINVAL;
        n = weft__static_path_clean(prefix, strlen(prefix), WEFT__STATIC_HIDDEN_SHOW, buf,
                                    sizeof buf, &dir);
        if (n < 0)
            return -EINVAL;
    }
    buf[n] = '\0';
    *out = strdup(buf);
    *len = (size_t)n;
    return *out ? 0 : -ENOMEM;
}

int weft_web_static_new(const char *root, const weft_web_static_opts *opts,
                         weft_web_static **out)
{
    static const weft_web_static_opts none;
    if (!root || !out)
        return -EINVAL;
    if (!opts)
        opts = &none;
    if ((unsigned)opts->hidden > WEFT_WEB_STATIC_HIDDEN_SHOW)
        return -EINVAL;
    weft_web_static *st = calloc(1, sizeof *st);
    if (!st)
        return -ENOMEM;
    st->root.fd = -1;
    st->listing = opts->listing;
    st->no_symlinks = opts->no_symlinks;
    st->hidden = opts->hidden == WEFT_WEB_STATIC_HIDDEN_SHOW   ? WEFT__STATIC_HIDDEN_SHOW
                 : opts->hidden == WEFT_WEB_STATIC_HIDDEN_DENY ? WEFT__STATIC_HIDDEN_DENY
                                                                : WEFT__STATIC_HIDDEN_HIDE;
    st->max_ranges = opts->max_ranges ? opts->max_ranges : WEFT__STATIC_MAX_RANGES;
    st->max_listing = opts->max_listing ? opts->max_listing : WEFT__STATIC_LISTING_MAX;
    const char *mt = opts->mime_types ? opts->mime_types : "/etc/mime.types";
    int rc;
    if ((rc = copy_index(opts->index ? opts->index : default_index, &st->index)) < 0 ||
        (rc = clean_prefix(opts->prefix, &st->prefix, &st->prefix_len)) < 0 ||
        (rc = copy_value(opts->default_type, &st->default_type)) < 0 ||
        (rc = copy_value(opts->cache_control, &st->cache_control)) < 0 ||
        (rc = weft__static_mime_new(*mt ? mt : NULL, &st->mime)) < 0 ||
        (rc = weft__static_root_open(root, &st->root)) < 0) {
        weft_web_static_free(st);
        return rc;
    }
    *out = st;
    return 0;
}

const char *weft_web_static_root(const weft_web_static *st)
{
    return st->root.real;
}

/* The path of the request-target, still encoded: origin-form "/p?q", or
 * the path of an absolute-form "http://h/p?q" ("/" when it has none). */
static bool raw_path(const char *target, const char **path, size_t *len)
{
    const char *p = target;
    if (*p != '/') {
        const char *s = strstr(p, "://");
        if (!s)
            return false;
        p = s + 3;
        p += strcspn(p, "/?#");
        if (*p != '/') {
            *path = "/";
            *len = 1;
            return true;
        }
    }
    *path = p;
    *len = strcspn(p, "?#");
    return true;
}

static int status_of(int err)
{
    switch (err) {
    case -EINVAL: return 400;
    case -EACCES:
    case -EPERM: return 403;
    case -ENOENT:
    case -ENOTDIR:
    case -ELOOP: return 404;
    case -ENAMETOOLONG: return 414;
    case -EMFILE:
    case -ENFILE:
    case -ENOMEM: return 503;
    default: return 500;
    }
}

/* "/" + clean, each byte outside a path's safe set percent-encoded, + "/":
 * never "//" at the start, so the browser cannot read it as another host. */
static void put_url_path(weft__sb *sb, const char *clean, size_t n)
{
    weft__sb_putc(sb, '/');
    weft__pct_put(sb, clean, n, WEFT__C_UNRESERVED | WEFT__C_SUBDELIM | WEFT__C_PCHAR_XTRA,
                  false);
    if (n)
        weft__sb_putc(sb, '/');
}

/* 301 to the folder's URL with its trailing slash, like nginx and
 * python -m http.server. */
static int redirect_to_dir(weft_web_request *req, weft_web_response *resp, const char *clean,
                           size_t n)
{
    weft__sb sb = { 0 };
    put_url_path(&sb, clean, n);
    const char *q = weft_web_request_query_string(req);
    if (q) {
        weft__sb_putc(&sb, '?');
        weft__sb_puts(&sb, q);
    }
    if (sb.err)
        return sb.err;
    int rc = weft_web_response_set_header(resp, "Location", sb.p);
    if (rc == 0)
        rc = weft_web_response_set_status(resp, 301);
    if (rc == 0) {
        weft__sb body = { 0 };
        weft__sb_puts(&body, "<!DOCTYPE html>\n<title>301 Moved Permanently</title>\n"
                             "<p>Moved to <a href=\"");
        weft__static_html_escape(&body, sb.p, sb.len);
        weft__sb_puts(&body, "\">here</a>.</p>\n");
        rc = body.err ? body.err
                      : weft_web_response_send_text(resp, "text/html; charset=utf-8", body.p);
        weft__sb_free(&body);
    }
    weft__sb_free(&sb);
    return rc;
}

static int send_listing(const weft_web_static *st, weft_web_response *resp, int dirfd,
                        const char *clean, size_t n)
{
    struct weft__static_entry *e;
    size_t total;
    int k = weft__static_dir_read(dirfd, st->hidden == WEFT__STATIC_HIDDEN_SHOW,
                                  st->max_listing, &e, &total);
    if (k < 0)
        return status_of(k);
    weft__static_entries_sort(e, (size_t)k);
    weft__sb url = { 0 }, page = { 0 };
    weft__sb_putc(&url, '/');
    weft__sb_put(&url, clean, n);
    if (n)
        weft__sb_putc(&url, '/');
    int rc = url.err;
    if (rc == 0)
        rc = weft__static_listing_html(&page, url.p, e, (size_t)k, total);
    weft__static_entries_free(e, (size_t)k);
    /* A listing changes whenever the folder does: never cache it blind. */
    if (rc == 0)
        rc = weft_web_response_set_header(resp, "Cache-Control", "no-cache");
    if (rc == 0)
        rc = weft_web_response_set_header(resp, "Content-Type", "text/html; charset=utf-8");
    if (rc == 0)
        rc = weft_web_response_send(resp, page.p, page.len);
    weft__sb_free(&url);
    weft__sb_free(&page);
    return rc;
}

/* Serve a folder: its index file, else its listing, else 403. clean[0..n)
 * is the URL's clean path, rel its part beneath the root (a suffix of
 * clean, maybe empty); clean has room for "/" and a file name after it. */
static int serve_dir(const weft_web_static *st, weft_web_request *req,
                     weft_web_response *resp, int dirfd, char *clean, size_t n,
                     const char *rel)
{
    bool nested = *rel != '\0';
    for (char **ix = st->index; *ix; ix++) {
        size_t il = strlen(*ix);
        if (st->hidden != WEFT__STATIC_HIDDEN_SHOW && weft__static_name_hidden(*ix, il))
            continue;
        /* rel + "/" + name in place after clean, or the bare name at the
         * mount's root. */
        size_t at = n + 1;
        const char *ipath = clean + at;
        if (nested) {
            clean[n] = '/';
            ipath = rel;
        }
        memcpy(clean + at, *ix, il + 1);
        struct stat sb;
        int fd = weft__static_open(&st->root, ipath, st->no_symlinks, &sb);
        int rc = -ENOENT;
        if (fd >= 0 && S_ISREG(sb.st_mode))
            rc = weft__static_send_file(st, req, resp, fd, &sb, ipath);
        if (fd >= 0)
            close(fd);
        clean[n] = '\0';
        if (fd >= 0 && S_ISREG(sb.st_mode))
            return rc;
        /* Missing, or a folder of that name: try the next. Anything else
         * (a symlink out of the root, a fifo, an error) is the answer. */
        if (fd < 0 && fd != -ENOENT && fd != -ENOTDIR)
            return status_of(fd);
    }
    if (!st->listing)
        return 403;
    return send_listing(st, resp, dirfd, clean, n);
}

int weft_web_static_handler(weft_web_request *req, weft_web_response *resp, void *ud)
{
    const weft_web_static *st = ud;
    int m = weft_web_request_method_id(req);
    if (m != WEFT_H1_METHOD_GET && m != WEFT_H1_METHOD_HEAD) {
        int rc = weft_web_response_set_header(resp, "Allow", "GET, HEAD");
        return rc < 0 ? rc : 405;
    }
    const char *path;
    size_t plen;
    if (!raw_path(weft_web_request_target(req), &path, &plen))
        return 400;
    /* Room for the clean path and an index file name after it. */
    char clean[WEFT__STATIC_PATH_MAX + 2 + NAME_MAX];
    bool want_dir;
    int n = weft__static_path_clean(path, plen, st->hidden, clean, WEFT__STATIC_PATH_MAX + 1,
                                    &want_dir);
    if (n < 0)
        return status_of(n);
    /* Under the prefix, segment-wise: "/static" holds "/static/x", not
     * "/staticx". */
    const char *rel = clean;
    if (st->prefix_len) {
        if ((size_t)n < st->prefix_len || memcmp(clean, st->prefix, st->prefix_len) != 0 ||
            (clean[st->prefix_len] != '/' && clean[st->prefix_len] != '\0'))
            return 404;
        rel = clean + st->prefix_len + (clean[st->prefix_len] == '/');
    }
    struct stat sb;
    int fd = weft__static_open(&st->root, rel, st->no_symlinks, &sb);
    if (fd < 0)
        return status_of(fd);
    int rc;
    if (S_ISDIR(sb.st_mode)) {
        /* The root of the mount ("/static") asks for a slash as well. */
        if (!want_dir && n > 0)
            rc = redirect_to_dir(req, resp, clean, (size_t)n);
        else
            rc = serve_dir(st, req, resp, fd, clean, (size_t)n, rel);
    } else if (want_dir) {
        rc = 404; /* "/file.txt/": a file is no folder (ENOTDIR) */
    } else {
        rc = weft__static_send_file(st, req, resp, fd, &sb, rel);
    }
    close(fd);
    return rc;
}
