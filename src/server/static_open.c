/*
 * static_open.c - open a clean relative path beneath the served root.
 *
 * openat2(RESOLVE_BENEATH) (Linux 5.6) makes the kernel refuse any step of
 * the walk that leaves the root: "..", an absolute symlink, a relative one
 * climbing out, a magic link in /proc. Without it (older kernels, seccomp
 * filters answering ENOSYS or EPERM) the file is opened normally and the
 * path it actually is, read back from /proc/self/fd (or realpath() when
 * /proc is missing), must start with the root's real path. That check runs
 * on the opened file, so a symlink swapped in between cannot slip past it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "server/static_int.h"

int weft__static_no_openat2;

/* Remembered once openat2 turns out to be missing, to skip the attempt. */
static int openat2_missing;

#define OPEN_FLAGS (O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)

int weft__static_root_open(const char *dir, struct weft__static_root *r)
{
    r->fd = -1;
    r->real = NULL;
    int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    char *real = realpath(dir, NULL);
    if (!real) {
        int e = -errno;
        close(fd);
        return e;
    }
    r->fd = fd;
    r->real = real;
    r->real_len = strlen(real);
    /* "/" as the root: every path is beneath it, and the prefix check
     * below must not demand "//". */
    if (r->real_len == 1)
        r->real_len = 0;
    return 0;
}

void weft__static_root_close(struct weft__static_root *r)
{
    if (r->fd >= 0)
        close(r->fd);
    free(r->real);
    r->fd = -1;
    r->real = NULL;
}

/* True when real (a canonical absolute path) is the root or beneath it. */
static bool beneath(const struct weft__static_root *r, const char *real, size_t len)
{
    if (len < r->real_len || memcmp(real, r->real, r->real_len) != 0)
        return false;
    return len == r->real_len || real[r->real_len] == '/' || r->real_len == 0;
}

/* True when real is exactly the root joined with rel: no symlink on the way. */
static bool same_path(const struct weft__static_root *r, const char *rel, const char *real,
                      size_t len)
{
    size_t rl = strlen(rel);
    if (rl == 0)
        return len == r->real_len || (r->real_len == 0 && len == 1);
    return len == r->real_len + 1 + rl && memcmp(real, r->real, r->real_len) == 0 &&
           real[r->real_len] == '/' && memcmp(real + r->real_len + 1, rel, rl) == 0;
}

static int open_checked(const struct weft__static_root *r, const char *rel, bool no_symlinks)
{
    int fd = openat(r->fd, *rel ? rel : ".", OPEN_FLAGS);
    if (fd < 0)
        return -errno;
    char link[64], real[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, real, sizeof real - 1);
    if (n < 0) {
        /* No /proc: canonicalise the name instead (racy only against a
         * swap inside the root, which can lead nowhere else). */
        size_t need = r->real_len + 1 + strlen(rel) + 1;
        char *joined = malloc(need);
        if (!joined) {
            close(fd);
            return -ENOMEM;
        }
        snprintf(joined, need, "%.*s/%s", (int)r->real_len, r->real, rel);
        char *rp = realpath(joined, NULL);
        free(joined);
        if (!rp) {
            int e = -errno;
            close(fd);
            return e;
        }
        size_t rpl = strlen(rp);
        bool ok = no_symlinks ? same_path(r, rel, rp, rpl) : beneath(r, rp, rpl);
        free(rp);
        if (!ok) {
            close(fd);
            return -EACCES;
        }
        return fd;
    }
    if (no_symlinks ? !same_path(r, rel, real, (size_t)n) : !beneath(r, real, (size_t)n)) {
        close(fd);
        return -EACCES;
    }
    return fd;
}

static int open_beneath(const struct weft__static_root *r, const char *rel, bool no_symlinks)
{
    if (!weft__static_no_openat2 && !__atomic_load_n(&openat2_missing, __ATOMIC_RELAXED)) {
        struct open_how how = {
            .flags = OPEN_FLAGS,
            .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS |
                       (no_symlinks ? RESOLVE_NO_SYMLINKS : 0),
        };
        long fd = syscall(SYS_openat2, r->fd, *rel ? rel : ".", &how, sizeof how);
        if (fd >= 0)
            return (int)fd;
        switch (errno) {
        case EXDEV:
            return -EACCES; /* the walk tried to leave the root */
        case ELOOP:
            /* With RESOLVE_NO_SYMLINKS, any symlink met; else a real loop. */
            return no_symlinks ? -EACCES : -ELOOP;
        case ENOSYS:
        case EPERM: /* a seccomp filter that does not know openat2 */
        case E2BIG:
            __atomic_store_n(&openat2_missing, 1, __ATOMIC_RELAXED);
            break;
        default:
            return -errno;
        }
    }
    return open_checked(r, rel, no_symlinks);
}

int weft__static_open(const struct weft__static_root *r, const char *rel, bool no_symlinks,
                      struct stat *st)
{
    int fd = open_beneath(r, rel, no_symlinks);
    if (fd < 0)
        return fd;
    if (fstat(fd, st) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode)) {
        close(fd);
        return -EACCES;
    }
    return fd;
}
