/* test_static_listing.c - directory listings: reading a folder (hidden
 * files, limits, symlinks), sorting, and the HTML page (escaping of hostile
 * names, links, sizes, the parent link, breadcrumbs). */
#include "weft_test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/static_int.h"

static char *page(const char *url, struct weft__static_entry *e, size_t n, size_t total)
{
    weft__sb sb = { 0 };
    assert_int_equal(weft__static_listing_html(&sb, url, e, n, total), 0);
    return weft__sb_take(&sb, NULL);
}

static void escape_html(void **state)
{
    (void)state;
    weft__sb sb = { 0 };
    const char in[] = "<a href='x'>&\"\x01\xff" "caf\xc3\xa9" "\xed\xa0\x80" "\xf0\x9f\x98\x80" "\xe2\x82";
    weft__static_html_escape(&sb, in, sizeof in - 1);
    char *s = weft__sb_take(&sb, NULL);
    assert_string_equal(s, "&lt;a href=&#39;x&#39;&gt;&amp;&quot;\xef\xbf\xbd\xef\xbf\xbd"
                           "caf\xc3\xa9"
                           "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" /* a surrogate: 3 bad bytes */
                           "\xf0\x9f\x98\x80"
                           "\xef\xbf\xbd\xef\xbf\xbd"); /* truncated sequence */
    free(s);
}

static void sort_dirs_first(void **state)
{
    (void)state;
    struct weft__static_entry e[] = {
        { .name = "zeta.txt" }, { .name = "Beta", .is_dir = true }, { .name = "alpha.txt" },
        { .name = "Makefile" }, { .name = "apple", .is_dir = true }, { .name = "b.txt" },
    };
    weft__static_entries_sort(e, 6);
    const char *want[] = { "apple", "Beta", "alpha.txt", "b.txt", "Makefile", "zeta.txt" };
    for (int i = 0; i < 6; i++)
        assert_string_equal(e[i].name, want[i]);
}

static void listing_page(void **state)
{
    (void)state;
    struct weft__static_entry e[] = {
        { .name = "sub dir", .is_dir = true, .mtime = 0 },
        { .name = "<script>alert(1)</script>.html", .size = 1536, .mtime = 784111777 },
        { .name = "a:b?c#d&e.txt", .size = 10 },
        { .name = "\"quoted\"", .size = 3 * 1024 * 1024 + 1, .is_link = true },
    };
    char *p = page("/docs/caf\xc3\xa9 <x>/", e, 4, 4);
    /* Breadcrumbs and title. */
    assert_non_null(strstr(p, "<title>Index of /docs/caf\xc3\xa9 &lt;x&gt;/</title>"));
    assert_non_null(strstr(p, "<a href=\"/docs/\">docs/</a>"));
    assert_non_null(strstr(p, "<a href=\"/docs/caf%C3%A9%20%3Cx%3E/\">caf\xc3\xa9 &lt;x&gt;/</a>"));
    /* The parent link. */
    assert_non_null(strstr(p, "<a href=\"../\">../</a>"));
    /* A folder links with a slash. */
    assert_non_null(strstr(p, "<a href=\"sub%20dir/\">sub dir/</a>"));
    /* Hostile names never reach the page raw. */
    assert_null(strstr(p, "<script>"));
    assert_non_null(strstr(p, "<a href=\"%3Cscript%3Ealert%281%29%3C%2Fscript%3E.html\">"
                              "&lt;script&gt;alert(1)&lt;/script&gt;.html</a>"));
    assert_non_null(strstr(p, "href=\"a%3Ab%3Fc%23d%26e.txt\""));
    assert_non_null(strstr(p, "&quot;quoted&quot;"));
    assert_non_null(strstr(p, "<tr class=\"l\">"));
    /* Sizes, exact in the title; dates in UTC. */
    assert_non_null(strstr(p, "title=\"1536 bytes\">1.5 KiB<"));
    assert_non_null(strstr(p, ">10 B<"));
    assert_non_null(strstr(p, ">3.0 MiB<"));
    assert_non_null(strstr(p, "<time datetime=\"1994-11-06T08:49:37Z\">1994-11-06 08:49</time>"));
    assert_non_null(strstr(p, "4 entries"));
    assert_non_null(strstr(p, "<!DOCTYPE html>"));
    assert_non_null(strstr(p, "<meta charset=\"utf-8\">"));
    free(p);

    /* The root has no parent link; a truncated listing says so. */
    p = page("/", e, 1, 12345);
    assert_null(strstr(p, "href=\"../\""));
    assert_non_null(strstr(p, "1 of 12345 entries shown"));
    free(p);
}

static void put(const char *dir, const char *name, size_t size)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)size), 0);
    close(fd);
}

static void read_dir(void **state)
{
    (void)state;
    char root[] = "/tmp/weft-listing-XXXXXX";
    assert_non_null(mkdtemp(root));
    put(root, "b.txt", 100);
    put(root, "a.txt", 7);
    put(root, ".hidden", 1);
    char p[256];
    snprintf(p, sizeof p, "%s/dir", root);
    assert_int_equal(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/.well-known", root);
    assert_int_equal(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/link", root);
    assert_int_equal(symlink("b.txt", p), 0);
    snprintf(p, sizeof p, "%s/broken", root);
    assert_int_equal(symlink("nowhere", p), 0);

    int fds = weft_test_count_fds();
    int dfd = open(root, O_RDONLY | O_DIRECTORY);
    assert_true(dfd >= 0);
    struct weft__static_entry *e;
    size_t total;
    int n = weft__static_dir_read(dfd, false, 100, &e, &total);
    assert_int_equal(n, 6); /* .hidden left out, .well-known kept */
    assert_int_equal(total, 6);
    weft__static_entries_sort(e, (size_t)n);
    assert_string_equal(e[0].name, ".well-known");
    assert_true(e[0].is_dir);
    assert_string_equal(e[1].name, "dir");
    assert_string_equal(e[2].name, "a.txt");
    assert_int_equal(e[2].size, 7);
    assert_string_equal(e[3].name, "b.txt");
    assert_string_equal(e[4].name, "broken");
    assert_true(e[4].is_link);
    assert_string_equal(e[5].name, "link");
    assert_true(e[5].is_link);
    assert_int_equal(e[5].size, 100); /* what it points at */
    weft__static_entries_free(e, (size_t)n);

    n = weft__static_dir_read(dfd, true, 100, &e, &total);
    assert_int_equal(n, 7);
    weft__static_entries_free(e, (size_t)n);

    /* The limit keeps a few and counts all. */
    n = weft__static_dir_read(dfd, true, 3, &e, &total);
    assert_int_equal(n, 3);
    assert_int_equal(total, 7);
    weft__static_entries_free(e, (size_t)n);
    n = weft__static_dir_read(dfd, true, 0, &e, &total);
    assert_int_equal(n, 0);
    assert_int_equal(total, 7);
    weft__static_entries_free(e, 0);
    close(dfd);
    assert_int_equal(weft__static_dir_read(-1, true, 3, &e, &total), -EBADF);
    assert_int_equal(weft_test_count_fds(), fds);

    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(escape_html),
    cmocka_unit_test(sort_dirs_first),
    cmocka_unit_test(listing_page),
    cmocka_unit_test(read_dir),
};

WEFT_TEST_MAIN(tests)
