/*
 * weft/http_static.h - serve a folder over HTTP (nginx's root + autoindex,
 * aiohttp's add_static, what `weft serve` runs).
 *
 *     weft_web_static *st;
 *     weft_web_static_opts o = { .listing = true };
 *     weft_web_static_new("public", &o, &st);
 *     weft_web_app_set_handler(app, weft_web_static_handler, st);
 *     ...
 *     weft_web_static_free(st);              // after every server using it
 *
 * What a request gets. GET and HEAD only (405 with Allow: GET, HEAD
 * otherwise). The path of the request-target, decoded once, with "." and
 * ".." segments resolved and repeated slashes merged, names a file beneath
 * the root; ".." above the root is 403, an encoded slash "%2F" or NUL "%00"
 * or a malformed escape is 404 / 400 / 400, and a symlink is followed only
 * while it stays inside the root (openat2 RESOLVE_BENEATH, or a check of the
 * opened file's real path on kernels without it): 403 otherwise. Fifos,
 * devices and sockets are 403. A folder URL without its trailing slash is
 * redirected (301) to the one with it, query kept; a folder serves its
 * index file (index.html, then index.htm) or, with listing on, an HTML
 * listing (folders first, names escaped, sizes, dates), else 403.
 *
 * A file goes out with Content-Type (by extension: a built-in table, then
 * /etc/mime.types; text types as UTF-8), Content-Length, Last-Modified, a
 * strong ETag (inode, size, mtime in ns), Accept-Ranges: bytes, and its
 * body through sendfile(2) (read/write under TLS), never read into memory.
 * Conditional requests follow RFC 9110 §13.2.2: If-Match and
 * If-Unmodified-Since (412), If-None-Match and If-Modified-Since (304 with
 * ETag and Last-Modified, no body). Range (GET only, RFC 9110 §14): one
 * range is a 206 with Content-Range; several a multipart/byteranges 206;
 * none satisfiable a 416 with Content-Range: bytes * /size; If-Range that
 * does not match the current ETag or Last-Modified sends the whole file.
 * A Range header with another unit, bad syntax, more than max_ranges
 * ranges, or ranges adding up to more than the file (the overlapping-ranges
 * attack) is ignored: 200 with the whole file, once.
 *
 * Threads. A weft_web_static is read-only once made: one can serve the
 * apps of every worker thread at once.
 */
#ifndef WEFT_WEB_STATIC_H
#define WEFT_WEB_STATIC_H

#include <stdbool.h>
#include <stddef.h>

#include "weft/common.h"
#include "weft/http_server.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_web_static weft_web_static;

/* What a path with a segment starting with '.' (".git/config", ".env")
 * gets. ".well-known" (RFC 8615: ACME challenges, security.txt) is always
 * served. */
enum weft_web_static_hidden {
    WEFT_WEB_STATIC_HIDDEN_HIDE = 0, /* default: 404, and left out of listings */
    WEFT_WEB_STATIC_HIDDEN_DENY = 1, /* 403, and left out of listings */
    WEFT_WEB_STATIC_HIDDEN_SHOW = 2, /* served and listed (python -m http.server) */
};

/* Options; every field left 0 takes its default. */
typedef struct weft_web_static_opts {
    /* Serve an HTML listing for a folder without an index file (nginx's
     * autoindex). Default off: such a folder is 403. */
    bool listing;
    /* Index files tried in a folder, in order, NULL-terminated; NULL:
     * {"index.html", "index.htm", NULL}; an empty list: none. Copied. */
    const char *const *index;
    enum weft_web_static_hidden hidden;
    /* Refuse (403) every symlink, even one that stays inside the root.
     * Default: follow those that stay inside. */
    bool no_symlinks;
    /* URL path the folder is mounted at ("/static": /static/a.css is
     * root/a.css; other paths are 404). NULL or "/": the whole site. */
    const char *prefix;
    /* A mime.types file adding extensions to the built-in table. NULL:
     * /etc/mime.types (missing is fine); "": the built-in table only. */
    const char *mime_types;
    /* Content-Type of files whose extension is unknown. NULL:
     * application/octet-stream. Copied. */
    const char *default_type;
    /* Cache-Control sent with files (and their 304s). NULL: none, so
     * browsers revalidate by heuristics, as with nginx's defaults. */
    const char *cache_control;
    /* Ranges in one Range header; more and the header is ignored.
     * Default 64. */
    unsigned max_ranges;
    /* Entries shown in one listing (the rest counted). Default 10,000. */
    size_t max_listing;
} weft_web_static_opts;

/* Serve the folder root with opts (may be NULL; copied). The root is opened
 * now and stays open (renaming it away does not change what is served).
 * Returns 0, -ENOENT / -ENOTDIR / -EACCES for the root, -EINVAL (a bad
 * option: a prefix not starting with '/' or with "..", a default_type or
 * cache_control with CR/LF), -E2BIG (a huge mime.types) or -ENOMEM. */
int weft_web_static_new(const char *root, const weft_web_static_opts *opts,
                         weft_web_static **out);

/* Free it. Every server using it must have stopped. NULL is a no-op. */
void weft_web_static_free(weft_web_static *st);

/* The request handler (ud: the weft_web_static). Use it as the app's
 * default handler (weft_web_app_set_handler) or as a route's handler
 * ("/static/{path:.*}" with prefix "/static"): it reads the request-target
 * itself, not route captures. */
int weft_web_static_handler(weft_web_request *req, weft_web_response *resp, void *ud);

/* The real path of the folder served (owned by st). */
const char *weft_web_static_root(const weft_web_static *st);

#ifdef __cplusplus
}
#endif
#endif
