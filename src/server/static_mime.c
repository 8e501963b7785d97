/*
 * static_mime.c - file extension -> Content-Type.
 *
 * The built-in table covers what a web folder holds and wins over the
 * system's file, so a page is served the same way on every machine (Debian's
 * /etc/mime.types calls .ts Qt Linguist, nginx and browsers call it MPEG-TS);
 * /etc/mime.types fills in the long tail. Everything lives in one
 * open-addressing hash table keyed by the lower-cased extension.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "server/static_int.h"
#include "weft/http.h"

#define DEFAULT_TYPE "application/octet-stream"
#define EXT_MAX 32u
#define FILE_MAX_BYTES (4u * 1024u * 1024u)
#define FILE_MAX_ENTRIES 100000u

#define U8 "; charset=utf-8"

static const struct builtin {
    const char *ext, *type;
} builtin[] = {
    { "7z", "application/x-7z-compressed" },
    { "aac", "audio/aac" },
    { "apng", "image/apng" },
    { "avi", "video/x-msvideo" },
    { "avif", "image/avif" },
    { "bmp", "image/bmp" },
    { "bz2", "application/x-bzip2" },
    { "c", "text/plain" U8 },
    { "cjs", "text/javascript" U8 },
    { "css", "text/css" U8 },
    { "csv", "text/csv" U8 },
    { "diff", "text/x-diff" U8 },
    { "doc", "application/msword" },
    { "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document" },
    { "eot", "application/vnd.ms-fontobject" },
    { "epub", "application/epub+zip" },
    { "flac", "audio/flac" },
    { "gif", "image/gif" },
    { "gz", "application/gzip" },
    { "h", "text/plain" U8 },
    { "htm", "text/html" U8 },
    { "html", "text/html" U8 },
    { "ico", "image/x-icon" },
    { "ics", "text/calendar" U8 },
    { "jar", "application/java-archive" },
    { "jpeg", "image/jpeg" },
    { "jpg", "image/jpeg" },
    { "js", "text/javascript" U8 },
    { "json", "application/json" U8 },
    { "jsonld", "application/ld+json" U8 },
    { "log", "text/plain" U8 },
    { "m4a", "audio/mp4" },
    { "m4v", "video/mp4" },
    { "map", "application/json" U8 },
    { "md", "text/markdown" U8 },
    { "mjs", "text/javascript" U8 },
    { "mkv", "video/x-matroska" },
    { "mov", "video/quicktime" },
    { "mp3", "audio/mpeg" },
    { "mp4", "video/mp4" },
    { "mpeg", "video/mpeg" },
    { "mpg", "video/mpeg" },
    { "oga", "audio/ogg" },
    { "ogg", "audio/ogg" },
    { "ogv", "video/ogg" },
    { "opus", "audio/opus" },
    { "otf", "font/otf" },
    { "patch", "text/x-diff" U8 },
    { "pdf", "application/pdf" },
    { "png", "image/png" },
    { "ppt", "application/vnd.ms-powerpoint" },
    { "pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation" },
    { "py", "text/x-python" U8 },
    { "rar", "application/vnd.rar" },
    { "rss", "application/rss+xml" U8 },
    { "rtf", "application/rtf" },
    { "svg", "image/svg+xml" },
    { "tar", "application/x-tar" },
    { "tgz", "application/gzip" },
    { "tif", "image/tiff" },
    { "tiff", "image/tiff" },
    { "toml", "application/toml" U8 },
    { "ts", "video/mp2t" },
    { "tsv", "text/tab-separated-values" U8 },
    { "ttf", "font/ttf" },
    { "txt", "text/plain" U8 },
    { "wasm", "application/wasm" },
    { "wav", "audio/wav" },
    { "weba", "audio/webm" },
    { "webm", "video/webm" },
    { "webmanifest", "application/manifest+json" U8 },
    { "webp", "image/webp" },
    { "woff", "font/woff" },
    { "woff2", "font/woff2" },
    { "xhtml", "application/xhtml+xml" U8 },
    { "xls", "application/vnd.ms-excel" },
    { "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
    { "xml", "application/xml" U8 },
    { "xz", "application/x-xz" },
    { "yaml", "application/yaml" U8 },
    { "yml", "application/yaml" U8 },
    { "zip", "application/zip" },
    { "zst", "application/zstd" },
};

struct slot {
    char *key;        /* lower-case extension, malloc'd; NULL: empty slot */
    const char *type; /* static (built-in) or owned (in mem) */
    char *mem;        /* owned type string, or NULL */
};

struct weft__static_mime {
    struct slot *s;
    size_t cap, n; /* cap a power of two, n <= cap / 2 */
};

static uint32_t hash(const char *k, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)k[i]) * 16777619u;
    return h;
}

static struct slot *find(const weft__static_mime *m, const char *k, size_t n)
{
    size_t mask = m->cap - 1;
    for (size_t i = hash(k, n) & mask;; i = (i + 1) & mask) {
        struct slot *s = &m->s[i];
        if (!s->key || (strlen(s->key) == n && memcmp(s->key, k, n) == 0))
            return s;
    }
}

static int grow(weft__static_mime *m)
{
    size_t cap = m->cap ? m->cap * 2 : 256;
    struct slot *ns = calloc(cap, sizeof *ns);
    if (!ns)
        return -ENOMEM;
    struct slot *old = m->s;
    size_t ocap = m->cap;
    m->s = ns;
    m->cap = cap;
    for (size_t i = 0; i < ocap; i++)
        if (old[i].key)
            *find(m, old[i].key, strlen(old[i].key)) = old[i];
    free(old);
    return 0;
}

/* Text types, and the JSON / XML / JavaScript application types, are text a
 * browser must decode: say it is UTF-8 rather than let it guess. */
static bool wants_charset(const char *t)
{
    if (strncmp(t, "text/", 5) == 0)
        return true;
    if (strncmp(t, "application/", 12) != 0)
        return false;
    size_t n = strlen(t);
    static const char *const suffixes[] = { "json", "xml", "javascript" };
    for (size_t i = 0; i < 3; i++) {
        size_t sl = strlen(suffixes[i]);
        if (n >= 12 + sl && strcmp(t + n - sl, suffixes[i]) == 0 &&
            (t[n - sl - 1] == '/' || t[n - sl - 1] == '+'))
            return true;
    }
    return false;
}

/* Lower-case ext into key; false when it cannot be a key. */
static bool make_key(const char *ext, size_t n, char *key)
{
    if (n == 0 || n > EXT_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)ext[i];
        if (c <= ' ' || c == 0x7f || c == '/' || c == '.')
            return false;
        key[i] = weft__lower((char)c);
    }
    key[n] = '\0';
    return true;
}

/* Insert; replace says whether an existing entry gives way. type is copied
 * unless it is static (a built-in), when owned_type is NULL. */
static int put(weft__static_mime *m, const char *ext, size_t n, const char *type,
               const char *owned_type, bool replace)
{
    char key[EXT_MAX + 1];
    if (!make_key(ext, n, key))
        return -EINVAL;
    if ((m->n + 1) * 2 > m->cap) {
        int rc = grow(m);
        if (rc)
            return rc;
    }
    struct slot *s = find(m, key, n);
    if (s->key && !replace)
        return 0;
    char *mem = NULL;
    if (owned_type) {
        size_t tl = strlen(owned_type);
        bool cs = wants_charset(owned_type) && !strchr(owned_type, ';');
        mem = malloc(tl + (cs ? sizeof U8 : 1));
        if (!mem)
            return -ENOMEM;
        memcpy(mem, owned_type, tl + 1);
        if (cs)
            memcpy(mem + tl, U8, sizeof U8);
        type = mem;
    }
    if (!s->key) {
        s->key = strdup(key);
        if (!s->key) {
            free(mem);
            return -ENOMEM;
        }
        m->n++;
    }
    free(s->mem);
    s->mem = mem;
    s->type = type;
    return 0;
}

/* A type as mime.types writes it: type "/" subtype, both tokens. */
static bool type_valid(const char *t, size_t n)
{
    const char *slash = memchr(t, '/', n);
    if (!slash || n > WEFT__STATIC_MIME_MAX - (sizeof U8 - 1))
        return false;
    size_t a = (size_t)(slash - t);
    return weft_http_token_valid(t, a) && weft_http_token_valid(slash + 1, n - a - 1);
}

static int load_file(weft__static_mime *m, const char *path)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return 0; /* no system table: the built-in one is enough */
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && st.st_size > (off_t)FILE_MAX_BYTES) {
        fclose(f);
        return -E2BIG;
    }
    char line[4096];
    size_t entries = 0;
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        char *save = NULL;
        char *hash_at = strchr(line, '#');
        if (hash_at)
            *hash_at = '\0';
        char *type = strtok_r(line, " \t\r\n", &save);
        if (!type || !type_valid(type, strlen(type)))
            continue;
        for (char *ext; (ext = strtok_r(NULL, " \t\r\n", &save));) {
            if (++entries > FILE_MAX_ENTRIES) {
                rc = -E2BIG;
                break;
            }
            int r = put(m, ext, strlen(ext), NULL, type, false);
            if (r == -ENOMEM)
                rc = r;
        }
    }
    fclose(f);
    return rc;
}

void weft__static_mime_free(weft__static_mime *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->cap; i++) {
        free(m->s[i].key);
        free(m->s[i].mem);
    }
    free(m->s);
    free(m);
}

int weft__static_mime_new(const char *system, weft__static_mime **out)
{
    weft__static_mime *m = calloc(1, sizeof *m);
    if (!m)
        return -ENOMEM;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof builtin / sizeof *builtin; i++)
        rc = put(m, builtin[i].ext, strlen(builtin[i].ext), builtin[i].type, NULL, true);
    if (rc == 0 && system)
        rc = load_file(m, system);
    if (rc) {
        weft__static_mime_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

int weft__static_mime_add(weft__static_mime *m, const char *ext, const char *type)
{
    /* A caller's type may carry parameters ("text/plain; charset=latin1"). */
    if (!ext || !type || !strchr(type, '/') || strlen(type) > WEFT__STATIC_MIME_MAX ||
        !weft_http_value_valid(type, strlen(type)))
        return -EINVAL;
    if (*ext == '.')
        ext++;
    return put(m, ext, strlen(ext), NULL, type, true);
}

const char *weft__static_mime_lookup(const weft__static_mime *m, const char *name, size_t len)
{
    size_t i = len;
    while (i > 0 && name[i - 1] != '.' && name[i - 1] != '/')
        i--;
    /* No dot, or only a leading one (".bashrc" has no extension). */
    if (i <= 1 || name[i - 1] != '.' || name[i - 2] == '/')
        return DEFAULT_TYPE;
    char key[EXT_MAX + 1];
    size_t n = len - i;
    if (!make_key(name + i, n, key))
        return DEFAULT_TYPE;
    const struct slot *s = find(m, key, n);
    return s->key ? s->type : DEFAULT_TYPE;
}
