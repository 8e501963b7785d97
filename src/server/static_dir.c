/*
 * static_dir.c - read a folder's entries for its listing page.
 *
 * Each entry is stat'ed through its symlink (a link shows what it points
 * at; following it is still checked by static_open.c when clicked), and a
 * broken link is listed as the link itself. At most max entries are kept
 * and the rest only counted, so memory stays bounded by the limit.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/static_int.h"

void weft__static_entries_free(struct weft__static_entry *e, size_t n)
{
    if (!e)
        return;
    for (size_t i = 0; i < n; i++)
        free(e[i].name);
    free(e);
}

int weft__static_dir_read(int dirfd, bool show_hidden, size_t max,
                          struct weft__static_entry **out, size_t *total)
{
    *out = NULL;
    *total = 0;
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    DIR *d = fdopendir(fd);
    if (!d) {
        int e = -errno;
        close(fd);
        return e;
    }
    struct weft__static_entry *v = NULL;
    size_t n = 0, cap = 0, seen = 0;
    int rc = 0;
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (!de) {
            rc = errno ? -errno : 0;
            break;
        }
        const char *name = de->d_name;
        size_t nl = strlen(name);
        if ((nl == 1 && name[0] == '.') || (nl == 2 && name[0] == '.' && name[1] == '.'))
            continue;
        if (!show_hidden && weft__static_name_hidden(name, nl))
            continue;
        seen++;
        if (n >= max)
            continue;
        struct stat st;
        bool link = de->d_type == DT_LNK;
        if (de->d_type == DT_UNKNOWN) {
            if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                continue; /* gone since readdir */
            link = S_ISLNK(st.st_mode);
        }
        if (fstatat(fd, name, &st, 0) < 0 && fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            if (nc > max)
                nc = max;
            struct weft__static_entry *nv = realloc(v, nc * sizeof *nv);
            if (!nv) {
                rc = -ENOMEM;
                break;
            }
            v = nv;
            cap = nc;
        }
        char *copy = strdup(name);
        if (!copy) {
            rc = -ENOMEM;
            break;
        }
        v[n++] = (struct weft__static_entry){
            .name = copy,
            .size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0,
            .mtime = st.st_mtim.tv_sec,
            .is_dir = S_ISDIR(st.st_mode),
            .is_link = link,
        };
    }
    closedir(d);
    if (rc < 0) {
        weft__static_entries_free(v, n);
        return rc;
    }
    *out = v;
    *total = seen;
    return (int)n;
}
