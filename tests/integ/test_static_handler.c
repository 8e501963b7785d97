/* test_static_handler.c - weft_web_static_handler on a real server over
 * loopback, for what `weft serve` cannot reach from its command line: a
 * prefix mount behind a route, custom index files, default_type,
 * cache_control, max_ranges, max_listing, the hidden-file policies and
 * no_symlinks, and option errors. Requests are written raw and answers read
 * to EOF (Connection: close), so every byte the server sends is checked. */
#include "weft_test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "weft.h"

static char root[64];

static void put(const char *rel, const char *data)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(data, f);
    fclose(f);
}

static void make_root(void)
{
    strcpy(root, "/tmp/weft-static-h-XXXXXX");
    assert_non_null(mkdtemp(root));
    char p[256];
    snprintf(p, sizeof p, "%s/docs", root);
    assert_int_equal(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/many", root);
    assert_int_equal(mkdir(p, 0755), 0);
    put("a.txt", "alpha\n");
    put("README", "no extension\n");
    put("docs/home.htm", "<p>home</p>\n");
    put("docs/index.html", "<p>index</p>\n");
    put(".env", "SECRET=1\n");
    for (int i = 0; i < 30; i++) {
        char n[32];
        snprintf(n, sizeof n, "many/f%02d", i);
        put(n, "x");
    }
    snprintf(p, sizeof p, "%s/link.txt", root);
    assert_int_equal(symlink("a.txt", p), 0);
}

static void remove_root(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
}

/* ------------------------------------------------------------ a client */

struct answer {
    int status;
    char head[4096];
    char *body;
    size_t blen;
};

/* The value of header name in a.head ("" when absent), copied to out. */
static const char *header(const struct answer *a, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    out[0] = '\0';
    for (const char *p = strstr(a->head, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n")) {
        const char *line = p + 2;
        if (strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
            const char *v = line + nl + 1;
            while (*v == ' ')
                v++;
            size_t vl = strcspn(v, "\r");
            if (vl >= cap)
                vl = cap - 1;
            memcpy(out, v, vl);
            out[vl] = '\0';
            break;
        }
    }
    return out;
}

/* Send "METHOD target" with extra header lines, read the answer to EOF. */
static void ask(uint16_t port, const char *method, const char *target, const char *extra,
                struct answer *a)
{
    weft_stream *s;
    assert_int_equal(weft_stream_open_connection("127.0.0.1", port, NULL, &s), 0);
    char req[1024];
    int n = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: t\r\n%sConnection: close\r\n\r\n",
                     method, target, extra ? extra : "");
    assert_int_equal(weft_stream_write(s, req, (size_t)n), 0);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (len == cap)
            buf = realloc(buf, cap *= 2);
        int r = weft_stream_read(s, buf + len, cap - len);
        assert_true(r >= 0);
        if (r == 0)
            break;
        len += (size_t)r;
    }
    weft_stream_close(s);
    char *end = memmem(buf, len, "\r\n\r\n", 4);
    assert_non_null(end);
    size_t hl = (size_t)(end - buf) + 2;
    assert_true(hl < sizeof a->head);
    memcpy(a->head, buf, hl);
    a->head[hl] = '\0';
    assert_int_equal(sscanf(a->head, "HTTP/1.1 %d", &a->status), 1);
    a->blen = len - hl - 2;
    a->body = malloc(a->blen + 1);
    memcpy(a->body, end + 4, a->blen);
    a->body[a->blen] = '\0';
    free(buf);
}

/* ------------------------------------------------------------ the cases */

struct setup {
    weft_web_static_opts opts;
    const char *routes[3]; /* none: the app's default handler */
    int (*check)(uint16_t port);
    /* Freed after the loop ends: a freed server lets go of its app only
     * once its tasks have ended. */
    weft_web_static *st;
    weft_web_app *app;
};

static int in_task(void *arg)
{
    struct setup *su = arg;
    int rc = weft_web_static_new(root, &su->opts, &su->st);
    assert_int_equal(rc, 0);
    weft_web_static *st = su->st;
    assert_int_equal(weft_web_app_new(&su->app), 0);
    weft_web_app *app = su->app;
    if (su->routes[0])
        for (int i = 0; i < 3 && su->routes[i]; i++)
            assert_int_equal(weft_web_app_get(app, su->routes[i], weft_web_static_handler, st),
                             0);
    else
        assert_int_equal(weft_web_app_set_handler(app, weft_web_static_handler, st), 0);
    weft_web_server *srv;
    assert_int_equal(weft_web_server_new(NULL, app, NULL, &srv), 0);
    assert_int_equal(weft_web_server_listen(srv, "127.0.0.1", 0, NULL), 0);
    int port = weft_web_server_port(srv);
    assert_true(port > 0);
    rc = su->check((uint16_t)port);
    weft_web_server_shutdown(srv, WEFT_SEC(2));
    weft_web_server_free(srv);
    return rc;
}

static void run(struct setup *su)
{
    make_root();
    int fds = weft_test_count_fds();
    assert_int_equal(weft_run(in_task, su), 0);
    weft_web_app_free(su->app);
    weft_web_static_free(su->st);
    assert_int_equal(weft_test_count_fds(), fds);
    remove_root();
}

static void drop(struct answer *a) { free(a->body); }

static int check_prefix(uint16_t port)
{
    struct answer a;
    char v[256];
    ask(port, "GET", "/static/a.txt", NULL, &a);
    assert_int_equal(a.status, 200);
    assert_string_equal(a.body, "alpha\n");
    drop(&a);
    ask(port, "GET", "/a.txt", NULL, &a); /* outside the mount: no route */
    assert_int_equal(a.status, 404);
    drop(&a);
    ask(port, "GET", "/static/../a.txt", NULL, &a); /* leaves the mount */
    assert_int_equal(a.status, 404);
    drop(&a);
    ask(port, "GET", "/static", NULL, &a); /* the mount's root wants its slash */
    assert_int_equal(a.status, 301);
    assert_string_equal(header(&a, "Location", v, sizeof v), "/static/");
    drop(&a);
    ask(port, "GET", "/static/docs", NULL, &a);
    assert_int_equal(a.status, 301);
    assert_string_equal(header(&a, "Location", v, sizeof v), "/static/docs/");
    drop(&a);
    /* Custom index list: home.htm first. */
    ask(port, "GET", "/static/docs/", NULL, &a);
    assert_int_equal(a.status, 200);
    assert_string_equal(a.body, "<p>home</p>\n");
    drop(&a);
    /* No index at the mount's root and listing off: 403. */
    ask(port, "GET", "/static/", NULL, &a);
    assert_int_equal(a.status, 403);
    drop(&a);
    /* default_type and cache_control. */
    ask(port, "GET", "/static/README", NULL, &a);
    assert_int_equal(a.status, 200);
    assert_string_equal(header(&a, "Content-Type", v, sizeof v), "text/plain; charset=utf-8");
    assert_string_equal(header(&a, "Cache-Control", v, sizeof v), "max-age=60");
    drop(&a);
    /* An absolute-form target names the same file. */
    ask(port, "GET", "http://t/static/a.txt", NULL, &a);
    assert_int_equal(a.status, 200);
    assert_string_equal(a.body, "alpha\n");
    drop(&a);
    return 0;
}

static void prefix_mount(void **state)
{
    (void)state;
    static const char *const index[] = { "home.htm", "index.html", NULL };
    struct setup su = {
        .opts = { .prefix = "/static/", .index = index,
                  .default_type = "text/plain; charset=utf-8", .cache_control = "max-age=60" },
        .routes = { "/static", "/static/{path:.*}" },
        .check = check_prefix,
    };
    run(&su);
}

static int check_limits(uint16_t port)
{
    struct answer a;
    /* max_listing 10: ten shown of thirty. */
    ask(port, "GET", "/many/", NULL, &a);
    assert_int_equal(a.status, 200);
    assert_non_null(strstr(a.body, "10 of 30 entries shown"));
    drop(&a);
    /* max_ranges 2: three ranges are ignored (200), two are served. */
    ask(port, "GET", "/a.txt", "Range: bytes=0-0,2-2,4-4\r\n", &a);
    assert_int_equal(a.status, 200);
    assert_string_equal(a.body, "alpha\n");
    drop(&a);
    ask(port, "GET", "/a.txt", "Range: bytes=0-0,4-4\r\n", &a);
    assert_int_equal(a.status, 206);
    assert_non_null(strstr(a.body, "Content-Range: bytes 0-0/6"));
    assert_non_null(strstr(a.body, "Content-Range: bytes 4-4/6"));
    drop(&a);
    /* Hidden files: DENY answers 403 and the listing leaves them out. */
    ask(port, "GET", "/.env", NULL, &a);
    assert_int_equal(a.status, 403);
    drop(&a);
    ask(port, "GET", "/", NULL, &a);
    assert_null(strstr(a.body, ".env"));
    assert_non_null(strstr(a.body, "a.txt"));
    drop(&a);
    /* no_symlinks: even one inside the root is refused. */
    ask(port, "GET", "/link.txt", NULL, &a);
    assert_int_equal(a.status, 403);
    drop(&a);
    /* Methods. */
    char v[64];
    ask(port, "DELETE", "/a.txt", NULL, &a);
    assert_int_equal(a.status, 405);
    assert_string_equal(header(&a, "Allow", v, sizeof v), "GET, HEAD");
    drop(&a);
    ask(port, "HEAD", "/a.txt", NULL, &a);
    assert_int_equal(a.status, 200);
    assert_string_equal(header(&a, "Content-Length", v, sizeof v), "6");
    assert_int_equal(a.blen, 0);
    drop(&a);
    return 0;
}

static void limits_and_policies(void **state)
{
    (void)state;
    struct setup su = {
        .opts = { .listing = true, .max_listing = 10, .max_ranges = 2,
                  .hidden = WEFT_WEB_STATIC_HIDDEN_DENY, .no_symlinks = true },
        .check = check_limits,
    };
    run(&su);
}

static int check_show(uint16_t port)
{
    struct answer a;
    ask(port, "GET", "/.env", NULL, &a);
    assert_int_equal(a.status, 200);
    assert_string_equal(a.body, "SECRET=1\n");
    drop(&a);
    ask(port, "GET", "/", NULL, &a);
    assert_non_null(strstr(a.body, "href=\".env\""));
    drop(&a);
    ask(port, "GET", "/link.txt", NULL, &a);
    assert_int_equal(a.status, 200);
    drop(&a);
    return 0;
}

static void hidden_shown(void **state)
{
    (void)state;
    struct setup su = {
        .opts = { .listing = true, .hidden = WEFT_WEB_STATIC_HIDDEN_SHOW, .mime_types = "" },
        .check = check_show,
    };
    run(&su);
}

static void option_errors(void **state)
{
    (void)state;
    make_root();
    weft_web_static *st;
    weft_web_static_opts o = { .prefix = "static" };
    assert_int_equal(weft_web_static_new(root, &o, &st), -EINVAL);
    o = (weft_web_static_opts){ .prefix = "/a/../b" };
    assert_int_equal(weft_web_static_new(root, &o, &st), -EINVAL);
    o = (weft_web_static_opts){ .cache_control = "x\r\nSet-Cookie: a=b" };
    assert_int_equal(weft_web_static_new(root, &o, &st), -EINVAL);
    static const char *const bad_index[] = { "a/b.html", NULL };
    o = (weft_web_static_opts){ .index = bad_index };
    assert_int_equal(weft_web_static_new(root, &o, &st), -EINVAL);
    o = (weft_web_static_opts){ .hidden = 7 };
    assert_int_equal(weft_web_static_new(root, &o, &st), -EINVAL);
    assert_int_equal(weft_web_static_new("/nonexistent-weft", NULL, &st), -ENOENT);
    char file[128];
    snprintf(file, sizeof file, "%s/a.txt", root);
    assert_int_equal(weft_web_static_new(file, NULL, &st), -ENOTDIR);
    int fds = weft_test_count_fds();
    assert_int_equal(weft_web_static_new(root, NULL, &st), 0);
    assert_non_null(strstr(weft_web_static_root(st), "weft-static-h-"));
    weft_web_static_free(st);
    weft_web_static_free(NULL);
    assert_int_equal(weft_test_count_fds(), fds);
    remove_root();
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(prefix_mount),
    cmocka_unit_test(limits_and_policies),
    cmocka_unit_test(hidden_shown),
    cmocka_unit_test(option_errors),
};

WEFT_TEST_MAIN(tests)
