/*
 * static_int.h - the pieces of the static-file handler, each in its own file
 * and, except static_open.c and static_dir.c, free of I/O so unit tests and
 * fuzzers drive them directly:
 *
 *   static_path.c     request path -> clean relative path (decode, dot
 *                     segments, encoded slashes, NUL, hidden files)
 *   static_open.c     open that path beneath the root (openat2
 *                     RESOLVE_BENEATH, or a realpath check without it)
 *   static_mime.c     file name -> Content-Type (built-in table and
 *                     /etc/mime.types)
 *   static_cond.c     ETag, If-Match / If-None-Match / If-Modified-Since /
 *                     If-Unmodified-Since / If-Range (RFC 9110 §13)
 *   static_range.c    the Range header (RFC 9110 §14) and multipart/byteranges
 *   static_listing.c  a directory's HTML page (sorting, escaping)
 *   static_dir.c      reading a directory for that page
 *
 * Errors follow the house rule (negative errno); each function says which
 * HTTP status the handler turns them into.
 */
#ifndef WEFT_SERVER_STATIC_INT_H
#define WEFT_SERVER_STATIC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "http/url_int.h" /* weft__sb */

/* ------------------------------------------------------------------ paths */

/* What happens to a path with a segment starting with '.' (".git",
 * ".env"); ".well-known" (RFC 8615) is always served. */
enum weft__static_hidden {
    WEFT__STATIC_HIDDEN_SHOW = 0, /* served and listed, like python -m http.server */
    WEFT__STATIC_HIDDEN_HIDE = 1, /* 404 and left out of listings */
    WEFT__STATIC_HIDDEN_DENY = 2, /* 403 and left out of listings */
};

/* Longest clean relative path accepted (bytes, without the NUL). */
#define WEFT__STATIC_PATH_MAX 4095u

/* Turn the path of an origin-form request target (no query: everything
 * before '?', still percent-encoded) into a clean path relative to the root,
 * written to out (cap bytes, NUL-terminated): "" for the root itself,
 * "a/b.txt" otherwise; never a leading or trailing '/', never an empty, "."
 * or ".." segment. Repeated slashes merge, "." segments go, ".." removes the
 * segment before it (RFC 3986 §5.2.4), after decoding, so "%2e%2e" is "..".
 * *dir is set when the path ended in a slash (or in a dot segment), which
 * asks for a directory.
 *
 * Returns the length, or
 *   -EINVAL        the path does not start with '/', a malformed escape
 *                  ("%zz", "%4"), or NUL decoded from "%00"          -> 400
 *   -EACCES        ".." above the root, or a hidden segment under DENY -> 403
 *   -ENOENT        an encoded slash "%2F" (Apache's default: a slash that
 *                  is not a separator names nothing here), or a hidden
 *                  segment under HIDE                                 -> 404
 *   -ENAMETOOLONG  longer than cap - 1 or WEFT__STATIC_PATH_MAX, or a segment
 *                  over NAME_MAX                                      -> 414 */
int weft__static_path_clean(const char *path, size_t len, enum weft__static_hidden hidden,
                            char *out, size_t cap, bool *dir);

/* True when a file name counts as hidden: it starts with '.' and is not
 * ".well-known". */
bool weft__static_name_hidden(const char *name, size_t len);

/* ------------------------------------------------------------------ open */

/* A root folder, opened once: its fd (O_PATH | O_DIRECTORY) and its real
 * path (for the check used where openat2 is missing). */
struct weft__static_root {
    int fd;
    char *real;      /* realpath() of the root, malloc'd */
    size_t real_len;
};

/* Open the root folder. Returns 0, or -errno (-ENOENT, -ENOTDIR, -EACCES). */
int weft__static_root_open(const char *dir, struct weft__static_root *r);
void weft__static_root_close(struct weft__static_root *r);

/* Open rel (from weft__static_path_clean; "" is the root) beneath the root
 * for reading, following symlinks only while they stay inside it (none at
 * all with no_symlinks: -EACCES), and fstat it into *st. Returns the fd (O_RDONLY | O_CLOEXEC | O_NONBLOCK, never a
 * controlling tty) or
 *   -ENOENT, -ENOTDIR  nothing there                                  -> 404
 *   -EACCES            a symlink out of the root, no permission, or not a
 *                      regular file or folder (fifo, device, socket)   -> 403
 *   -ELOOP, -ENAMETOOLONG, -EMFILE, -ENFILE, ...                       -> 404/500 */
int weft__static_open(const struct weft__static_root *r, const char *rel, bool no_symlinks,
                      struct stat *st);

/* Tests: 1 forces the realpath fallback, as on kernels before 5.6. */
extern int weft__static_no_openat2;

/* ------------------------------------------------------------------ MIME */

typedef struct weft__static_mime weft__static_mime;

/* Longest MIME type kept, "; charset=utf-8" included. */
#define WEFT__STATIC_MIME_MAX 127u

/* A type table: the built-in one (the types of the web: html, css, js,
 * json, images, fonts, media, archives), plus the extensions of a
 * mime.types file (system, may be NULL; a missing file is fine) that the
 * built-in table does not know. Text types get "; charset=utf-8".
 * Returns 0, -ENOMEM, or -E2BIG (file over 4 MiB or 100,000 entries). */
int weft__static_mime_new(const char *system, weft__static_mime **out);
void weft__static_mime_free(weft__static_mime *m);

/* Add or replace the type of an extension (no dot, case-insensitive).
 * Returns 0, -EINVAL (empty, too long, or a type with CR/LF) or -ENOMEM. */
int weft__static_mime_add(weft__static_mime *m, const char *ext, const char *type);

/* The Content-Type for a file name: from its last extension, case-
 * insensitively; "application/octet-stream" when unknown. Owned by m. */
const char *weft__static_mime_lookup(const weft__static_mime *m, const char *name, size_t len);

/* ------------------------------------------------------------ conditionals */

/* Room for an ETag: quotes, three 16-digit hex numbers, two dashes, NUL. */
#define WEFT__STATIC_ETAG_MAX 56u

/* The strong ETag of a file, "\"ino-size-mtime\"" in hex with mtime in
 * nanoseconds, so any write (same size or not) changes it. Returns length. */
int weft__static_etag(const struct stat *st, char *out);

/* The request headers that make a request conditional; NULL when absent.
 * A repeated field is the values joined with ", " (RFC 9110 §5.3). */
struct weft__static_cond_req {
    const char *if_match;
    const char *if_none_match;
    const char *if_modified_since;
    const char *if_unmodified_since;
    bool get_or_head;
};

/* The validators of the selected file. */
struct weft__static_validators {
    const char *etag; /* strong, quoted */
    time_t mtime;     /* Last-Modified, seconds */
    time_t now;       /* the server's clock: future dates are ignored */
};

/* Evaluate the preconditions in RFC 9110 §13.2.2's order. Returns 0 (go
 * on), 304 (Not Modified: GET/HEAD whose If-None-Match matched or
 * If-Modified-Since holds) or 412 (Precondition Failed). */
int weft__static_cond_eval(const struct weft__static_cond_req *q,
                           const struct weft__static_validators *v);

/* If-Range (RFC 9110 §13.1.5): true when the Range header applies, i.e. the
 * value is the file's strong ETag, or an HTTP-date equal to Last-Modified
 * that is itself strong (at least a second older than now). */
bool weft__static_if_range(const char *value, const struct weft__static_validators *v);

/* True when an entity-tag list (If-Match / If-None-Match syntax) contains
 * etag: strong comparison when strong is set, weak otherwise. "*" matches. */
bool weft__static_etag_list_match(const char *list, const char *etag, bool strong);

/* ----------------------------------------------------------------- ranges */

/* An inclusive byte range of a file. */
struct weft__static_range {
    uint64_t first, last;
};

/* Default limit on range-specs in one Range header (Apache: 200; nginx has
 * none but coalesces like this). More is treated as no Range at all. */
#define WEFT__STATIC_MAX_RANGES 64u

/* Parse a Range header value against a file of size bytes, into out (room
 * for max_ranges entries). Returns
 *   n >= 1   the ranges to send: a single range is one 206 part; several
 *            a multipart/byteranges body, in the order asked unless some
 *            overlapped or touched, which are then coalesced, all in
 *            ascending order (RFC 9110 §15.3.7.2)
 *   0        ignore the header and send the whole file with 200: another
 *            unit, a syntax error, more than max_ranges specs, or ranges
 *            adding up to more than the file (the overlapping-ranges attack
 *            of CVE-2011-3192; nginx and Apache refuse the same way)
 *   -ERANGE  no range is satisfiable: 416 with Content-Range: bytes *\/size */
int weft__static_range_parse(const char *value, size_t len, uint64_t size, unsigned max_ranges,
                             struct weft__static_range *out);

/* A multipart/byteranges boundary: 24 hex digits from a per-process random
 * seed and a counter (no syscall per response). out has 25 bytes. */
void weft__static_boundary(char *out);

/* The head of part i of a multipart/byteranges body ("--B\r\nContent-Type:
 * T\r\nContent-Range: bytes a-b/size\r\n\r\n", preceded by "\r\n" except
 * for the first part), written to out (cap bytes; 256 + strlen(ctype) is
 * always enough). Returns its length, or -ENOSPC. */
int weft__static_part_head(char *out, size_t cap, const char *boundary, const char *ctype,
                           const struct weft__static_range *r, uint64_t size, bool first);
/* The closing "\r\n--B--\r\n". Returns its length or -ENOSPC. */
int weft__static_part_tail(char *out, size_t cap, const char *boundary);
/* The Content-Length of the whole multipart body. */
uint64_t weft__static_multipart_length(const char *boundary, const char *ctype,
                                       const struct weft__static_range *r, size_t n,
                                       uint64_t size);

/* ---------------------------------------------------------------- listing */

/* One directory entry for the listing page. */
struct weft__static_entry {
    char *name;     /* malloc'd, as the file system has it */
    uint64_t size;
    time_t mtime;
    bool is_dir;
    bool is_link;   /* a symlink (shown with an arrow after the name) */
};

/* Default limit on the entries shown in one listing (the rest are counted
 * in a line at the end), so a folder of a million files cannot make the
 * server build a 100 MB page. */
#define WEFT__STATIC_LISTING_MAX 10000u

/* Read the folder open as dirfd (it is duplicated; the caller keeps it):
 * every entry but "." and "..", hidden ones unless show_hidden, at most max
 * kept (*total counts them all). *out is malloc'd; free with
 * weft__static_entries_free. Returns the number kept or -errno. */
int weft__static_dir_read(int dirfd, bool show_hidden, size_t max,
                          struct weft__static_entry **out, size_t *total);
void weft__static_entries_free(struct weft__static_entry *e, size_t n);

/* Sort: folders first, then by name (byte order, case-folded first, so
 * "Makefile" sits among the m's as ls and nginx's autoindex show it). */
void weft__static_entries_sort(struct weft__static_entry *e, size_t n);

/* Append the HTML page for the folder at url_path (the decoded path as the
 * client sees it, starting and ending with '/') listing e[0..n) to sb; total
 * > n adds a line saying how many more were left out. Names are shown
 * HTML-escaped (invalid UTF-8 as U+FFFD) and linked percent-encoded. A parent
 * link unless url_path is "/". Returns 0 or sb's error (-ENOMEM). */
int weft__static_listing_html(weft__sb *sb, const char *url_path,
                              const struct weft__static_entry *e, size_t n, size_t total);

/* Append s HTML-escaped (& < > " ' ), with bytes that are not valid UTF-8
 * shown as U+FFFD. */
void weft__static_html_escape(weft__sb *sb, const char *s, size_t len);

/* ---------------------------------------------------------------- handler */

/* What weft_web_static_new made of its options (read-only afterwards, so
 * every worker thread can share it). */
struct weft_web_static {
    struct weft__static_root root;
    weft__static_mime *mime;
    char **index;             /* NULL-terminated, owned */
    char *prefix;             /* clean, no slashes around it: "" or "static/v1" */
    size_t prefix_len;
    char *default_type;       /* NULL: the MIME table's default */
    char *cache_control;      /* NULL: none */
    enum weft__static_hidden hidden;
    bool listing;
    bool no_symlinks;
    unsigned max_ranges;
    size_t max_listing;
};

struct weft_web_request;
struct weft_web_response;

/* Answer with the regular file fd (its stat: sb; name: its path relative
 * to the root, for its type): preconditions, Range, then the body. The
 * caller keeps and closes fd. Returns as a handler does (0, a status, or
 * an error). */
int weft__static_send_file(const struct weft_web_static *st, struct weft_web_request *req,
                           struct weft_web_response *resp, int fd, const struct stat *sb,
                           const char *name);

#endif
