/* test_multipart.c - multipart/form-data bodies. */
#include "weft_test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weft/multipart.h"

static void fixed_body(void **state)
{
    (void)state;
    weft_multipart *m;
    assert_int_equal(weft_multipart_new_with_boundary("XyZ", &m), 0);
    assert_string_equal(weft_multipart_content_type(m), "multipart/form-data; boundary=XyZ");
    assert_int_equal(weft_multipart_add_field(m, "title", "hello world", 11), 0);
    assert_int_equal(weft_multipart_add_file(m, "up", "a.txt", "text/plain", "line1\r\nline2", 12), 0);
    assert_int_equal(weft_multipart_add_file(m, "raw", NULL, NULL, "", 0), 0);
    const char *want =
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"title\"\r\n"
        "\r\n"
        "hello world\r\n"
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"up\"; filename=\"a.txt\"\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        "line1\r\nline2\r\n"
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"raw\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "\r\n"
        "--XyZ--\r\n";
    char *b;
    size_t n;
    assert_int_equal(weft_multipart_body(m, &b, &n), 0);
    assert_string_equal(b, want);
    assert_int_equal(n, strlen(want));
    assert_int_equal(weft_multipart_length(m), n);
    free(b);
    weft_multipart_free(m);
}

static void escaping(void **state)
{
    (void)state;
    weft_multipart *m;
    assert_int_equal(weft_multipart_new_with_boundary("b", &m), 0);
    assert_int_equal(weft_multipart_add_file(m, "a\"b\r\nc", "x\"y\n.txt", "text/plain", "z", 1), 0);
    assert_int_equal(weft_multipart_add_field(m, "caf\xc3\xa9", "v", 1), 0);
    char *b;
    size_t n;
    assert_int_equal(weft_multipart_body(m, &b, &n), 0);
    assert_non_null(strstr(b, "name=\"a%22b%0D%0Ac\"; filename=\"x%22y%0A.txt\"\r\n"));
    assert_non_null(strstr(b, "name=\"caf\xc3\xa9\"\r\n")); /* UTF-8 passes as-is */
    free(b);
    /* header injection through the content type is refused */
    assert_int_equal(weft_multipart_add_file(m, "f", "f", "text/plain\r\nX-Evil: 1", "z", 1), -EINVAL);
    /* data holding the delimiter would end the body early */
    assert_int_equal(weft_multipart_add_field(m, "f", "x\r\n--b--\r\n", 10), -EINVAL);
    weft_multipart_free(m);
}

static void boundary_rules(void **state)
{
    (void)state;
    weft_multipart *m;
    assert_int_equal(weft_multipart_new_with_boundary("", &m), -EINVAL);
    assert_int_equal(weft_multipart_new_with_boundary("a b", &m), -EINVAL);
    assert_int_equal(weft_multipart_new_with_boundary("a\"b", &m), -EINVAL);
    char big[72];
    memset(big, 'a', 71);
    big[71] = '\0';
    assert_int_equal(weft_multipart_new_with_boundary(big, &m), -EINVAL);
    big[70] = '\0';
    assert_int_equal(weft_multipart_new_with_boundary(big, &m), 0);
    weft_multipart_free(m);
    /* tspecials force quoting in the header parameter */
    assert_int_equal(weft_multipart_new_with_boundary("a:b=c", &m), 0);
    assert_string_equal(weft_multipart_content_type(m), "multipart/form-data; boundary=\"a:b=c\"");
    weft_multipart_free(m);
}

static void random_boundary(void **state)
{
    (void)state;
    weft_multipart *a, *b;
    assert_int_equal(weft_multipart_new(&a), 0);
    assert_int_equal(weft_multipart_new(&b), 0);
    assert_string_not_equal(weft_multipart_boundary(a), weft_multipart_boundary(b));
    assert_int_equal(strlen(weft_multipart_boundary(a)), 29);
    assert_memory_equal(weft_multipart_boundary(a), "weft-", 5);
    char *body;
    size_t n;
    assert_int_equal(weft_multipart_body(a, &body, &n), 0); /* no parts: just the close */
    char want[64];
    snprintf(want, sizeof want, "--%s--\r\n", weft_multipart_boundary(a));
    assert_string_equal(body, want);
    free(body);
    weft_multipart_free(a);
    weft_multipart_free(b);
}

static void iov_matches_body(void **state)
{
    (void)state;
    weft_multipart *m;
    static const char big[] = "borrowed file contents";
    assert_int_equal(weft_multipart_new(&m), 0);
    assert_int_equal(weft_multipart_add_field(m, "a", "1", 1), 0);
    assert_int_equal(weft_multipart_add_file_ref(m, "f", "f.bin", NULL, big, sizeof big - 1), 0);
    int need = weft_multipart_iov(m, NULL, 0);
    assert_int_equal(need, 7); /* 2 x (head, data, CRLF) + close */
    struct iovec iov[8];
    assert_int_equal(weft_multipart_iov(m, iov, 8), need);
    assert_ptr_equal(iov[4].iov_base, big); /* no copy of borrowed data */
    char *b;
    size_t n, off = 0;
    assert_int_equal(weft_multipart_body(m, &b, &n), 0);
    for (int i = 0; i < need; i++) {
        assert_memory_equal(b + off, iov[i].iov_base, iov[i].iov_len);
        off += iov[i].iov_len;
    }
    assert_int_equal(off, n);
    assert_int_equal(weft_multipart_iov(m, iov, 2), need); /* truncated fill */
    free(b);
    weft_multipart_free(m);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(fixed_body),
    cmocka_unit_test(escaping),
    cmocka_unit_test(boundary_rules),
    cmocka_unit_test(random_boundary),
    cmocka_unit_test(iov_matches_body),
};

WEFT_TEST_MAIN(tests)
