/*
 * http_sendfile.c - "Using sendfile for Efficient File Transfer" (seeds/004)
 * as an HTTP handler: index.html goes from the page cache to the socket
 * without passing through the program.
 *
 *     async def handle_request(reader, writer):
 *         with open('index.html', 'rb') as f:
 *             size = ...
 *             writer.write(f"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n"
 *                          "Content-Type: text/html\r\n\r\n".encode())
 *             await loop.sendfile(writer.transport, f)
 *
 * The server writes the status line and frames the body; the handler only
 * says what it is and hands over the file.
 *
 * Usage: http_sendfile [PORT [FILE]]   (defaults: 8080, index.html)
 * Port 0 picks a free one; the "Running on" line says which. Ctrl+C stops.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "weft.h"

static int handle_request(weft_web_request *req, weft_web_response *resp, void *ud)
{
    const char *path = ud;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 404;
    struct stat st;
    fstat(fd, &st);
    weft_web_response_set_header(resp, "Content-Type", "text/html; charset=utf-8");
    weft_web_response_set_content_length(resp, (uint64_t)st.st_size);
    int rc = weft_web_response_sendfile(resp, fd, 0, (size_t)st.st_size);
    close(fd);
    return rc;
}

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 8080;
    const char *file = argc > 2 ? argv[2] : "index.html";

    weft_web_app *app;
    weft_web_app_new(&app);
    weft_web_app_get(app, "/", handle_request, (void *)file);
    weft_web_run_opts opts = { .host = "localhost", .port = (uint16_t)port };
    int rc = weft_web_run_app(app, &opts);
    weft_web_app_free(app);
    if (rc < 0)
        fprintf(stderr, "http_sendfile: %s\n", weft_strerror(rc));
    return rc < 0;
}
