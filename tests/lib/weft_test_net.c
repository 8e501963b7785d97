#include "weft_test_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

int weft_test_bind_loopback(int type, int *port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    *port = ntohs(sa.sin_port);
    return fd;
}

int weft_test_free_port(int type)
{
    int port;
    int fd = weft_test_bind_loopback(type, &port);
    if (fd < 0)
        return fd;
    close(fd);
    return port;
}

int weft_test_blackhole_open(int fds[3])
{
    fds[0] = fds[1] = fds[2] = -1;
    int port;
    fds[0] = weft_test_bind_loopback(SOCK_STREAM, &port);
    if (fds[0] < 0 || listen(fds[0], 0) != 0) {
        int err = fds[0] < 0 ? fds[0] : -errno;
        weft_test_blackhole_close(fds);
        return err;
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    /* The first connect fills the queue (it completes); the second one may
     * already hang. Neither is ever accepted. */
    for (int i = 1; i < 3; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fds[i] < 0) {
            int err = -errno;
            weft_test_blackhole_close(fds);
            return err;
        }
        connect(fds[i], (struct sockaddr *)&sa, sizeof sa); /* EINPROGRESS */
    }
    return port;
}

void weft_test_blackhole_close(int fds[3])
{
    for (int i = 0; i < 3; i++) {
        if (fds[i] >= 0)
            close(fds[i]);
        fds[i] = -1;
    }
}
