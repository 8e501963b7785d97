/* test_static_mime.c - Content-Type by extension: the built-in table, a
 * mime.types file filling the gaps, charset on text types, limits. */
#include "weft_test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/static_int.h"

static const char *type_of(const weft__static_mime *m, const char *name)
{
    return weft__static_mime_lookup(m, name, strlen(name));
}

static void mime_builtin(void **state)
{
    (void)state;
    weft__static_mime *m;
    assert_int_equal(weft__static_mime_new(NULL, &m), 0);
    assert_string_equal(type_of(m, "index.html"), "text/html; charset=utf-8");
    assert_string_equal(type_of(m, "INDEX.HTM"), "text/html; charset=utf-8");
    assert_string_equal(type_of(m, "a/b/app.min.js"), "text/javascript; charset=utf-8");
    assert_string_equal(type_of(m, "style.css"), "text/css; charset=utf-8");
    assert_string_equal(type_of(m, "data.json"), "application/json; charset=utf-8");
    assert_string_equal(type_of(m, "logo.svg"), "image/svg+xml");
    assert_string_equal(type_of(m, "photo.JPG"), "image/jpeg");
    assert_string_equal(type_of(m, "font.woff2"), "font/woff2");
    assert_string_equal(type_of(m, "x.wasm"), "application/wasm");
    assert_string_equal(type_of(m, "movie.mp4"), "video/mp4");
    assert_string_equal(type_of(m, "a.tar.gz"), "application/gzip");
    /* Unknown, none, hidden-file-only, trailing dot, a dot in a folder. */
    assert_string_equal(type_of(m, "x.unknownext"), "application/octet-stream");
    assert_string_equal(type_of(m, "Makefile"), "application/octet-stream");
    assert_string_equal(type_of(m, ".bashrc"), "application/octet-stream");
    assert_string_equal(type_of(m, "dir/.html"), "application/octet-stream");
    assert_string_equal(type_of(m, "file."), "application/octet-stream");
    assert_string_equal(type_of(m, "a.d/file"), "application/octet-stream");
    assert_string_equal(type_of(m, ""), "application/octet-stream");
    weft__static_mime_free(m);
}

static void mime_system_file(void **state)
{
    (void)state;
    char path[] = "/tmp/weft-mime-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("# comment line\n"
          "application/x-weft\t\tweft wft  # trailing comment\n"
          "text/x-weft-notes\tnotes\n"
          "text/vnd.trolltech.linguist ts\n"   /* the built-in wins */
          "application/ld+json jsonld\n"
          "application/x-thing+json thingjson\n"
          "bad type line\n"
          "noslash ext1\n"
          "\n"
          "image/x-none\n",
          f);
    fclose(f);
    weft__static_mime *m;
    assert_int_equal(weft__static_mime_new(path, &m), 0);
    assert_string_equal(type_of(m, "a.weft"), "application/x-weft");
    assert_string_equal(type_of(m, "a.WFT"), "application/x-weft");
    assert_string_equal(type_of(m, "a.notes"), "text/x-weft-notes; charset=utf-8");
    assert_string_equal(type_of(m, "a.thingjson"), "application/x-thing+json; charset=utf-8");
    assert_string_equal(type_of(m, "a.ts"), "video/mp2t");
    assert_string_equal(type_of(m, "a.ext1"), "application/octet-stream");
    assert_string_equal(type_of(m, "a.type"), "application/octet-stream");
    /* add() replaces, parameters are kept as given. */
    assert_int_equal(weft__static_mime_add(m, ".ts", "text/x-typescript"), 0);
    assert_string_equal(type_of(m, "a.ts"), "text/x-typescript; charset=utf-8");
    assert_int_equal(weft__static_mime_add(m, "txt", "text/plain; charset=latin1"), 0);
    assert_string_equal(type_of(m, "a.txt"), "text/plain; charset=latin1");
    assert_int_equal(weft__static_mime_add(m, "bad", "text/plain\r\nX: y"), -EINVAL);
    assert_int_equal(weft__static_mime_add(m, "bad", "noslash"), -EINVAL);
    assert_int_equal(weft__static_mime_add(m, "", "a/b"), -EINVAL);
    assert_int_equal(weft__static_mime_add(m, "a/b", "a/b"), -EINVAL);
    weft__static_mime_free(m);
    unlink(path);

    /* A missing file is no error; the system one loads (Debian has it). */
    assert_int_equal(weft__static_mime_new("/nonexistent/mime.types", &m), 0);
    assert_string_equal(type_of(m, "a.png"), "image/png");
    weft__static_mime_free(m);
    if (access("/etc/mime.types", R_OK) == 0) {
        assert_int_equal(weft__static_mime_new("/etc/mime.types", &m), 0);
        assert_string_equal(type_of(m, "a.html"), "text/html; charset=utf-8");
        assert_string_not_equal(type_of(m, "a.odt"), "application/octet-stream");
        weft__static_mime_free(m);
    }
}

static void mime_many_entries(void **state)
{
    (void)state;
    /* Enough extensions to make the table grow several times. */
    weft__static_mime *m;
    assert_int_equal(weft__static_mime_new(NULL, &m), 0);
    char ext[16], type[32], name[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(ext, sizeof ext, "e%d", i);
        snprintf(type, sizeof type, "application/x-%d", i);
        assert_int_equal(weft__static_mime_add(m, ext, type), 0);
    }
    for (int i = 0; i < 5000; i += 37) {
        snprintf(name, sizeof name, "f.E%d", i);
        snprintf(type, sizeof type, "application/x-%d", i);
        assert_string_equal(type_of(m, name), type);
    }
    assert_string_equal(type_of(m, "a.png"), "image/png");
    weft__static_mime_free(m);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(mime_builtin),
    cmocka_unit_test(mime_system_file),
    cmocka_unit_test(mime_many_entries),
};

WEFT_TEST_MAIN(tests)
