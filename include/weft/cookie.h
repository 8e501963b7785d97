/*
 * weft/cookie.h - HTTP cookies: Set-Cookie parsing (RFC 6265 5.2), the cookie
 * date format (5.1.1), and a cookie jar (5.3 storage, 5.4 the Cookie header)
 * that loads and saves Netscape/curl cookie files.
 *
 * Time is always passed in by the caller ("now", seconds since the epoch), so
 * the code has no clock of its own and tests are deterministic. Nothing here
 * does I/O except weft_cookie_jar_load/save, which read and write a file
 * synchronously (run them on the executor from loop code).
 *
 * Limitation: weft carries no public suffix list. The jar rejects a Domain
 * attribute that is a single label ("com", "localhost" unless it is the host
 * itself) and any Domain on an IP address host other than the address itself,
 * but cannot tell that "co.uk" or "github.io" are public suffixes; a site on
 * such a domain can set cookies for its siblings. See docs/url-and-cookies.md.
 */
#ifndef WEFT_COOKIE_H
#define WEFT_COOKIE_H

#include <time.h>

#include "weft/common.h"
#include "weft/url.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_cookie weft_cookie;
typedef struct weft_cookie_jar weft_cookie_jar;

/* SameSite attribute. DEFAULT means absent or unrecognised; weft stores and
 * exposes it but, not being a browser, does not know the "site for cookies"
 * of a request, so it does not filter on it: callers that do can. */
enum weft_samesite {
    WEFT_SAMESITE_DEFAULT = 0,
    WEFT_SAMESITE_NONE = 1,
    WEFT_SAMESITE_LAX = 2,
    WEFT_SAMESITE_STRICT = 3,
};

/* Limits on one Set-Cookie value. A zero field takes the default. */
typedef struct weft_cookie_limits {
    size_t max_length;     /* whole Set-Cookie value; default 8192 */
    size_t max_size;       /* name + value bytes; default 4096 (RFC 6265 6.1) */
    size_t max_attrs;      /* attributes after the pair; default 32 */
    size_t max_attr_value; /* longer attribute values are ignored; default 1024 */
} weft_cookie_limits;

#define WEFT_COOKIE_MAX_LENGTH 8192
#define WEFT_COOKIE_MAX_SIZE 4096
#define WEFT_COOKIE_MAX_ATTRS 32
#define WEFT_COOKIE_MAX_ATTR_VALUE 1024

/* ------------------------------------------------------------ one cookie */

/* Parse a Set-Cookie header value s[0..len) per RFC 6265 5.2. now is used for
 * Max-Age (which wins over Expires). lim may be NULL. Returns 0 and a new
 * cookie in *out, or WEFT_ECOOKIE when the cookie must be ignored (no '=' in
 * the pair, empty name, control characters in name or value, over a limit),
 * or -ENOMEM. Unknown attributes and unparsable Expires/Max-Age values are
 * ignored, as the RFC says. */
int weft_cookie_parse(const char *s, size_t len, time_t now, const weft_cookie_limits *lim,
                      weft_cookie **out);
void weft_cookie_free(weft_cookie *c);

const char *weft_cookie_name(const weft_cookie *c);
const char *weft_cookie_value(const weft_cookie *c);
/* For a parsed cookie: the Domain attribute (lower-cased, leading '.'
 * removed) or NULL. For a cookie in a jar: the domain it is stored under. */
const char *weft_cookie_domain(const weft_cookie *c);
/* For a parsed cookie: the Path attribute or NULL. In a jar: its path. */
const char *weft_cookie_path(const weft_cookie *c);
/* True when the cookie has an expiry time (Max-Age or Expires); *expires
 * (if not NULL) gets it. False for a session cookie. */
bool weft_cookie_expires(const weft_cookie *c, time_t *expires);
bool weft_cookie_secure(const weft_cookie *c);
bool weft_cookie_http_only(const weft_cookie *c);
/* In a jar: true when the cookie goes only to the exact host that set it
 * (no Domain attribute). Always false for a parsed cookie. */
bool weft_cookie_host_only(const weft_cookie *c);
enum weft_samesite weft_cookie_samesite(const weft_cookie *c);
/* In a jar: when the cookie was first stored (kept across replacements). */
time_t weft_cookie_creation(const weft_cookie *c);

/* The RFC 6265 5.1.1 cookie-date algorithm, which reads every date format
 * servers actually send ("Wed, 09 Jun 2021 10:18:14 GMT",
 * "Wednesday, 09-Jun-21 10:18:14 GMT", "Wed Jun  9 10:18:14 2021"), always
 * as UTC. Returns 0 and sets *out, or WEFT_ECOOKIE. */
int weft_cookie_parse_date(const char *s, size_t len, time_t *out);

/* ------------------------------------------------------------ the jar */

typedef struct weft_cookie_jar_limits {
    size_t max_cookies;    /* in the whole jar; default 3000 */
    size_t max_per_domain; /* with the same stored domain; default 180 */
    weft_cookie_limits cookie;
} weft_cookie_jar_limits;

#define WEFT_COOKIE_JAR_MAX 3000
#define WEFT_COOKIE_JAR_MAX_PER_DOMAIN 180

/* A new empty jar (lim may be NULL). Returns 0 or -ENOMEM. */
int weft_cookie_jar_new(const weft_cookie_jar_limits *lim, weft_cookie_jar **out);
void weft_cookie_jar_free(weft_cookie_jar *jar);

/* Store the cookie of a Set-Cookie header value received in the response to
 * url (RFC 6265 5.3, with RFC 6265bis's rules that a Secure cookie needs a
 * secure url and that __Secure-/__Host- prefixes are enforced). A cookie with
 * the same name, domain and path is replaced (keeping its creation time); an
 * already expired one deletes it. When a limit is exceeded, expired cookies
 * go first, then the least recently used one (of that domain, then of the
 * jar). Returns 0 when stored or deleted, WEFT_ECOOKIE when rejected (parse
 * failure, domain mismatch, public suffix, insecure Secure), or -ENOMEM. */
int weft_cookie_jar_set(weft_cookie_jar *jar, const weft_url *url, const char *set_cookie,
                        size_t len, time_t now);

/* Same for a cookie already parsed (borrowed; the jar makes its own copy). */
int weft_cookie_jar_store(weft_cookie_jar *jar, const weft_url *url, const weft_cookie *c,
                          time_t now);

/* The Cookie header value for a request to url (RFC 6265 5.4): cookies whose
 * domain and path match, Secure ones only for https/wss, longer paths first,
 * then earlier creation first. Marks them used at now and drops expired
 * ones. Returns the length and a malloc'd string in *out (caller frees), or
 * 0 with *out = NULL when no cookie applies, or -ENOMEM. */
int weft_cookie_jar_header(weft_cookie_jar *jar, const weft_url *url, time_t now, char **out);

/* Number of cookies stored, and the i-th in storage order (owned by the jar,
 * valid until the jar next changes), or NULL past the end. */
size_t weft_cookie_jar_count(const weft_cookie_jar *jar);
const weft_cookie *weft_cookie_jar_at(const weft_cookie_jar *jar, size_t i);

/* Drop every cookie expired at now; returns how many went. */
int weft_cookie_jar_expire(weft_cookie_jar *jar, time_t now);
void weft_cookie_jar_clear(weft_cookie_jar *jar);

/* Netscape/curl cookie file ("# Netscape HTTP Cookie File"): lines of
 * domain, include-subdomains (TRUE/FALSE), path, secure (TRUE/FALSE), expiry
 * (seconds since the epoch, 0 = session cookie), name, value, separated by
 * tabs; "#HttpOnly_" before the domain marks HttpOnly; other '#' lines are
 * comments. SameSite is not part of the format and is lost on a round-trip.
 *
 * load_mem adds the cookies of data[0..len) to the jar, skipping malformed
 * and expired lines (as curl does). Returns the number added, or -ENOMEM.
 * load reads a file (-errno from open/read; -EFBIG past 64 MiB). */
int weft_cookie_jar_load_mem(weft_cookie_jar *jar, const char *data, size_t len, time_t now);
int weft_cookie_jar_load(weft_cookie_jar *jar, const char *path, time_t now);

/* Serialise the unexpired cookies (session ones included, expiry 0) in
 * storage order. dump returns the length and a malloc'd string in *out;
 * save writes path atomically (a temporary file renamed over it). */
int weft_cookie_jar_dump(const weft_cookie_jar *jar, time_t now, char **out);
int weft_cookie_jar_save(const weft_cookie_jar *jar, const char *path, time_t now);

#ifdef __cplusplus
}
#endif
#endif
