/*
 * qotd.c - Twisted's Quote of the Day server (row 8 of EXAMPLES.md): a
 * protocol, a factory that holds the configuration, a reactor.
 *
 *     qotd [port [quote [interface]]]   (port 8007 on every interface by default;
 *                                        an empty quote is the default one)
 *
 * Every connection receives the quote and is closed. Runs until SIGINT or
 * SIGTERM.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weft.h"

/* class QOTDFactory(Factory): what every QOTD protocol it builds shares. */
struct qotd_factory {
    const char *quote;
    weft_server *port;
};

/* class QOTD(Protocol) */
static void connection_made(weft_transport *transport, void *ud)
{
    struct qotd_factory *factory = ud;
    weft_transport_write(transport, factory->quote, strlen(factory->quote));
    weft_transport_write(transport, "\r\n", 2);
    weft_transport_close(transport); /* self.transport.loseConnection() */
}

static const weft_protocol QOTD = {.connection_made = connection_made};

/* Factory.buildProtocol: every connection gets a QOTD that sees the factory. */
static const weft_protocol *build_protocol(weft_server *server, weft_transport *t, void *factory,
                                           void **proto_ud)
{
    *proto_ud = factory;
    return &QOTD;
}

static void stop(void *ud)
{
    struct qotd_factory *factory = ud;
    weft_server_close(factory->port); /* the reactor stops once nothing is left */
}

int main(int argc, char **argv)
{
    uint16_t port = (uint16_t)(argc > 1 ? atoi(argv[1]) : 8007);
    struct qotd_factory factory = {
        .quote = argc > 2 && *argv[2] ? argv[2] : "An apple a day keeps the doctor away"};
    const char *interface = argc > 3 ? argv[3] : NULL; /* NULL: every interface */

    weft_loop *reactor;
    if (weft_loop_new(&reactor) != 0)
        return 1;
    /* reactor.listenTCP(8007, QOTDFactory("configurable quote")) */
    int rc = weft_tcp_server_open(reactor, interface, port, NULL, build_protocol, &factory,
                                  &factory.port);
    if (rc < 0) {
        fprintf(stderr, "listenTCP: %s\n", weft_strerror(rc));
        weft_loop_close(reactor);
        return 1;
    }
    printf("QOTD on port %d\n", weft_server_port(factory.port));
    fflush(stdout);
    weft_loop_add_signal_handler(reactor, SIGINT, stop, &factory);
    weft_loop_add_signal_handler(reactor, SIGTERM, stop, &factory);

    rc = weft_loop_run(reactor); /* reactor.run() */
    weft_server_free(factory.port);
    return rc == 0 && weft_loop_close(reactor) == 0 ? 0 : 1;
}
