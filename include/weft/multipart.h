/*
 * weft/multipart.h - build multipart/form-data request bodies (RFC 7578).
 *
 * Add text fields and file parts, then either take the whole body as one
 * buffer or as an iovec list for writev (no copy of the part data). Names and
 * filenames are escaped as the HTML standard's form encoder does: '"' becomes
 * %22, CR %0D, LF %0A; other bytes (UTF-8 included) pass unchanged.
 *
 * Part data is either copied (weft_multipart_add_field/_file) or borrowed
 * (weft_multipart_add_file_ref: the caller keeps it alive until the body is
 * sent). Parts are an internal tagged union, so a later streaming source
 * (a file descriptor read at send time) can join them without changing the
 * calls above; until then, large files should be mapped or read first.
 */
#ifndef WEFT_MULTIPART_H
#define WEFT_MULTIPART_H

#include <sys/uio.h>

#include "weft/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_multipart weft_multipart;

/* A builder with a fresh random boundary (24 bytes from getrandom(),
 * base64-like, prefixed "weft-"). Returns 0, -ENOMEM, or getrandom's -errno. */
int weft_multipart_new(weft_multipart **out);

/* A builder with a given boundary (tests, reproducible output): 1 to 70
 * characters of RFC 2046's bcharsnospace set. Returns 0, -EINVAL or -ENOMEM. */
int weft_multipart_new_with_boundary(const char *boundary, weft_multipart **out);

void weft_multipart_free(weft_multipart *m);

/* The boundary, and the Content-Type header value to send with the body:
 * "multipart/form-data; boundary=..." (owned by m). */
const char *weft_multipart_boundary(const weft_multipart *m);
const char *weft_multipart_content_type(const weft_multipart *m);

/* A text field: Content-Disposition: form-data; name="..." and the value.
 * value is copied. Returns 0, -EINVAL (value contains the boundary
 * delimiter), or -ENOMEM. */
int weft_multipart_add_field(weft_multipart *m, const char *name, const char *value,
                             size_t vlen);

/* A file part: name, filename (may be NULL: no filename parameter), content
 * type (NULL: application/octet-stream; must not contain CR or LF) and data,
 * which is copied. Returns 0, -EINVAL or -ENOMEM. */
int weft_multipart_add_file(weft_multipart *m, const char *name, const char *filename,
                            const char *content_type, const void *data, size_t len);

/* The same, but data is borrowed: it must stay valid and unchanged until the
 * body has been taken or sent and m freed. */
int weft_multipart_add_file_ref(weft_multipart *m, const char *name, const char *filename,
                                const char *content_type, const void *data, size_t len);

/* Total body length in bytes (the Content-Length), closing delimiter included. */
size_t weft_multipart_length(const weft_multipart *m);

/* The body as iovecs pointing into m (and borrowed data): fills at most max
 * entries and returns how many the whole body needs (call with max 0 to
 * size). Valid until m changes or is freed. */
int weft_multipart_iov(const weft_multipart *m, struct iovec *iov, int max);

/* The body as one malloc'd buffer (caller frees). Returns 0 and sets *out and
 * *len, or -ENOMEM. */
int weft_multipart_body(const weft_multipart *m, char **out, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
