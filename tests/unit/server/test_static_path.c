/* test_static_path.c - request paths made safe, and opening them beneath a
 * root: dot segments, escapes, NUL, encoded slashes, hidden files, symlinks
 * out of the root, with openat2 and with the realpath fallback. */
#include "weft_test.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/static_int.h"

static int clean(const char *p, enum weft__static_hidden h, char *out, bool *dir)
{
    return weft__static_path_clean(p, strlen(p), h, out, WEFT__STATIC_PATH_MAX + 1, dir);
}

static void check(const char *in, const char *want, bool want_dir)
{
    char out[WEFT__STATIC_PATH_MAX + 1];
    bool dir = !want_dir;
    int n = clean(in, WEFT__STATIC_HIDDEN_SHOW, out, &dir);
    if (n < 0)
        fail_msg("%s: %d", in, n);
    assert_int_equal(n, strlen(want));
    assert_string_equal(out, want);
    if (dir != want_dir)
        fail_msg("%s: dir %d", in, dir);
}

static void path_normalises(void **state)
{
    (void)state;
    check("/", "", true);
    check("/index.html", "index.html", false);
    check("/a/b/c.txt", "a/b/c.txt", false);
    check("//a///b//", "a/b", true);
    check("/a/./b", "a/b", false);
    check("/a/b/.", "a/b", true);
    check("/a/b/..", "a", true);
    check("/a/../b", "b", false);
    check("/a/b/../../c", "c", false);
    check("/a/%2e%2E/b", "b", false);      /* encoded dots are dots */
    check("/a/.%2e/b", "b", false);
    check("/%61%62c", "abc", false);
    check("/caf%C3%A9", "caf\xc3\xa9", false);
    check("/a%20b", "a b", false);
    check("/...", "...", false);           /* not a dot segment */
    check("/..a/b..", "..a/b..", false);
    check("/a+b", "a+b", false);           /* '+' is no space in a path */
}

static void expect_err(const char *in, enum weft__static_hidden h, int err)
{
    char out[WEFT__STATIC_PATH_MAX + 1];
    bool dir;
    int n = clean(in, h, out, &dir);
    if (n != err)
        fail_msg("%s: got %d, want %d", in, n, err);
}

static void path_refuses_escapes(void **state)
{
    (void)state;
    expect_err("/..", WEFT__STATIC_HIDDEN_SHOW, -EACCES);
    expect_err("/../etc/passwd", WEFT__STATIC_HIDDEN_SHOW, -EACCES);
    expect_err("/a/../../etc/passwd", WEFT__STATIC_HIDDEN_SHOW, -EACCES);
    expect_err("/%2e%2e/etc/passwd", WEFT__STATIC_HIDDEN_SHOW, -EACCES);
    expect_err("/%2E%2E%2Fetc%2Fpasswd", WEFT__STATIC_HIDDEN_SHOW, -ENOENT); /* %2F */
    expect_err("/a/./../..", WEFT__STATIC_HIDDEN_SHOW, -EACCES);
    expect_err("/a%2fb", WEFT__STATIC_HIDDEN_SHOW, -ENOENT);
    expect_err("/a%00.txt", WEFT__STATIC_HIDDEN_SHOW, -EINVAL);
    expect_err("/a%zz", WEFT__STATIC_HIDDEN_SHOW, -EINVAL);
    expect_err("/a%4", WEFT__STATIC_HIDDEN_SHOW, -EINVAL);
    expect_err("/a%", WEFT__STATIC_HIDDEN_SHOW, -EINVAL);
    expect_err("a/b", WEFT__STATIC_HIDDEN_SHOW, -EINVAL);
    expect_err("", WEFT__STATIC_HIDDEN_SHOW, -EINVAL);
    /* A raw NUL (the HTTP parser never lets one through, but still). */
    char out[64];
    bool dir;
    assert_int_equal(weft__static_path_clean("/a\0b", 4, WEFT__STATIC_HIDDEN_SHOW, out,
                                             sizeof out, &dir), -EINVAL);
}

static void path_hidden_policy(void **state)
{
    (void)state;
    check("/.git/config", ".git/config", false);
    expect_err("/.git/config", WEFT__STATIC_HIDDEN_HIDE, -ENOENT);
    expect_err("/.git/config", WEFT__STATIC_HIDDEN_DENY, -EACCES);
    expect_err("/a/.env", WEFT__STATIC_HIDDEN_HIDE, -ENOENT);
    expect_err("/a/%2eenv", WEFT__STATIC_HIDDEN_HIDE, -ENOENT);
    /* A hidden segment removed by ".." is not looked up, so it passes. */
    char out[64];
    bool dir;
    assert_int_equal(weft__static_path_clean("/.git/../a", 10, WEFT__STATIC_HIDDEN_DENY, out,
                                             sizeof out, &dir), 1);
    assert_int_equal(weft__static_path_clean("/.well-known/acme", 17,
                                             WEFT__STATIC_HIDDEN_DENY, out, sizeof out, &dir),
                     17 - 1);
    assert_true(weft__static_name_hidden(".x", 2));
    assert_false(weft__static_name_hidden(".well-known", 11));
    assert_false(weft__static_name_hidden("x.", 2));
}

static void path_limits(void **state)
{
    (void)state;
    char out[16];
    bool dir;
    assert_int_equal(weft__static_path_clean("/abcdefgh/ijklmnop", 18,
                                             WEFT__STATIC_HIDDEN_SHOW, out, sizeof out, &dir),
                     -ENAMETOOLONG);
    /* Decoding shrinks: "%61" x 5 is 15 raw bytes and 5 decoded. */
    assert_int_equal(weft__static_path_clean("/%61%61%61%61%61", 16, WEFT__STATIC_HIDDEN_SHOW,
                                             out, 6, &dir), 5);
    assert_string_equal(out, "aaaaa");
    /* A raw segment longer than the room and than NAME_MAX (found by
     * fuzz_static_path: the scratch buffer must hold it). */
    char seg[1 + 3 * NAME_MAX + 1];
    seg[0] = '/';
    memset(seg + 1, 'y', 3 * NAME_MAX - 10);
    seg[3 * NAME_MAX - 9] = '\0';
    char small[100];
    assert_int_equal(weft__static_path_clean(seg, strlen(seg), WEFT__STATIC_HIDDEN_SHOW, small,
                                             sizeof small, &dir), -ENAMETOOLONG);
    /* A segment over NAME_MAX. */
    char big[NAME_MAX + 3];
    big[0] = '/';
    memset(big + 1, 'x', NAME_MAX + 1);
    big[NAME_MAX + 2] = '\0';
    char huge[WEFT__STATIC_PATH_MAX + 1];
    assert_int_equal(weft__static_path_clean(big, strlen(big), WEFT__STATIC_HIDDEN_SHOW, huge,
                                             sizeof huge, &dir), -ENAMETOOLONG);
    /* A path over WEFT__STATIC_PATH_MAX even with a bigger buffer. */
    size_t len = 2 * WEFT__STATIC_PATH_MAX;
    char *p = malloc(len + 1), *o = malloc(len + 1);
    for (size_t i = 0; i < len; i += 2)
        memcpy(p + i, "/a", 2);
    p[len] = '\0';
    assert_int_equal(weft__static_path_clean(p, len, WEFT__STATIC_HIDDEN_SHOW, o, len + 1, &dir),
                     -ENAMETOOLONG);
    free(p);
    free(o);
}

/* ------------------------------------------------------------ opening */

struct tree {
    char root[64], outside[64];
};

static void put_file(const char *path, const char *data)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(data, f);
    fclose(f);
}

/* root/ a.txt, sub/b.txt, in -> sub (inside), out -> ../outside/secret,
 * abs -> /etc/passwd-like absolute path, fifo; outside/secret. */
static void make_tree(struct tree *t)
{
    char p[256];
    strcpy(t->root, "/tmp/weft-static-XXXXXX");
    assert_non_null(mkdtemp(t->root));
    strcpy(t->outside, "/tmp/weft-static-out-XXXXXX");
    assert_non_null(mkdtemp(t->outside));
    snprintf(p, sizeof p, "%s/a.txt", t->root);
    put_file(p, "hello");
    snprintf(p, sizeof p, "%s/sub", t->root);
    assert_int_equal(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/sub/b.txt", t->root);
    put_file(p, "bee");
    snprintf(p, sizeof p, "%s/secret", t->outside);
    put_file(p, "secret");
    snprintf(p, sizeof p, "%s/in", t->root);
    assert_int_equal(symlink("sub", p), 0);
    snprintf(p, sizeof p, "%s/sub/up", t->root);
    assert_int_equal(symlink("../a.txt", p), 0);
    char target[256];
    snprintf(target, sizeof target, "../%s/secret", strrchr(t->outside, '/') + 1);
    snprintf(p, sizeof p, "%s/out", t->root);
    assert_int_equal(symlink(target, p), 0);
    snprintf(target, sizeof target, "%s/secret", t->outside);
    snprintf(p, sizeof p, "%s/abs", t->root);
    assert_int_equal(symlink(target, p), 0);
    snprintf(p, sizeof p, "%s/outdir", t->root);
    assert_int_equal(symlink(t->outside, p), 0);
    snprintf(p, sizeof p, "%s/fifo", t->root);
    assert_int_equal(mkfifo(p, 0644), 0);
}

static void remove_tree(struct tree *t)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", t->root, t->outside);
    assert_int_equal(system(cmd), 0);
}

static void read_is(int fd, const char *want)
{
    char buf[64];
    ssize_t n = read(fd, buf, sizeof buf);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(buf, want, (size_t)n);
}

static void open_cases(void)
{
    struct tree t;
    make_tree(&t);
    int fds = weft_test_count_fds();
    struct weft__static_root r;
    assert_int_equal(weft__static_root_open(t.root, &r), 0);
    struct stat st;
    int fd = weft__static_open(&r, "a.txt", false, &st);
    assert_true(fd >= 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_size, 5);
    read_is(fd, "hello");
    close(fd);

    fd = weft__static_open(&r, "", false, &st);
    assert_true(fd >= 0);
    assert_true(S_ISDIR(st.st_mode));
    close(fd);

    /* Symlinks that stay inside work. */
    fd = weft__static_open(&r, "in/b.txt", false, &st);
    assert_true(fd >= 0);
    read_is(fd, "bee");
    close(fd);
    fd = weft__static_open(&r, "sub/up", false, &st);
    assert_true(fd >= 0);
    read_is(fd, "hello");
    close(fd);

    /* Symlinks out of the root are refused, relative or absolute. */
    assert_int_equal(weft__static_open(&r, "out", false, &st), -EACCES);
    assert_int_equal(weft__static_open(&r, "abs", false, &st), -EACCES);
    assert_int_equal(weft__static_open(&r, "outdir/secret", false, &st), -EACCES);
    assert_int_equal(weft__static_open(&r, "outdir", false, &st), -EACCES);
    /* A FIFO is neither file nor folder (and opening it must not block). */
    assert_int_equal(weft__static_open(&r, "fifo", false, &st), -EACCES);
    assert_int_equal(weft__static_open(&r, "nope", false, &st), -ENOENT);
    /* no_symlinks refuses even the ones that stay inside, not plain files. */
    assert_int_equal(weft__static_open(&r, "in/b.txt", true, &st), -EACCES);
    assert_int_equal(weft__static_open(&r, "sub/up", true, &st), -EACCES);
    assert_int_equal(weft__static_open(&r, "out", true, &st), -EACCES);
    fd = weft__static_open(&r, "sub/b.txt", true, &st);
    assert_true(fd >= 0);
    read_is(fd, "bee");
    close(fd);
    fd = weft__static_open(&r, "", true, &st);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(weft__static_open(&r, "a.txt/x", false, &st), -ENOTDIR);

    weft__static_root_close(&r);
    assert_int_equal(weft_test_count_fds(), fds);
    remove_tree(&t);
}

static void open_beneath_openat2(void **state)
{
    (void)state;
    weft__static_no_openat2 = 0;
    open_cases();
}

static void open_beneath_fallback(void **state)
{
    (void)state;
    weft__static_no_openat2 = 1;
    open_cases();
}

static void open_root_errors(void **state)
{
    (void)state;
    struct weft__static_root r;
    assert_int_equal(weft__static_root_open("/nonexistent-weft-dir", &r), -ENOENT);
    assert_int_equal(weft__static_root_open("/etc/hostname", &r), -ENOTDIR);
    /* "/" as the root: everything beneath it. */
    assert_int_equal(weft__static_root_open("/", &r), 0);
    struct stat st;
    int fd = weft__static_open(&r, "etc", false, &st);
    assert_true(fd >= 0);
    close(fd);
    weft__static_no_openat2 = 1;
    fd = weft__static_open(&r, "etc", false, &st);
    assert_true(fd >= 0);
    close(fd);
    weft__static_root_close(&r);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(path_normalises),
    cmocka_unit_test(path_refuses_escapes),
    cmocka_unit_test(path_hidden_policy),
    cmocka_unit_test(path_limits),
    cmocka_unit_test(open_beneath_openat2),
    cmocka_unit_test(open_beneath_fallback),
    cmocka_unit_test(open_root_errors),
};

WEFT_TEST_MAIN(tests)
