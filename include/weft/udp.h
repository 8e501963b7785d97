/*
 * weft/udp.h - UDP endpoints (asyncio's create_datagram_endpoint,
 * DatagramTransport / DatagramProtocol, and sock_recvfrom / sock_sendto).
 *
 * Two faces, one engine:
 *  - callbacks: open the endpoint with a protocol; datagrams arrive through
 *    datagram_received (read in batches with recvmmsg), and
 *    weft_udp_send_datagram() sends without ever suspending, queueing what
 *    the socket cannot take now (pause_writing / resume_writing around the
 *    queue's water marks, as for stream transports);
 *  - coroutines: open it with a NULL protocol and call weft_udp_recvfrom /
 *    weft_udp_sendto from tasks; each waits only while the socket has
 *    nothing to give or no room.
 *
 * Lifetime follows weft/net.h: after connection_made, connection_lost runs
 * exactly once, from the loop, and the endpoint is freed right after it
 * returns. weft_udp_close() starts the end: reading stops, queued datagrams
 * are still sent, then connection_lost(0). weft_udp_abort() drops the queue.
 * An endpoint without a protocol is freed by close/abort once the calls
 * waiting on it (which get WEFT_ECLOSED) have returned.
 *
 * UDP is unreliable by design: datagrams may be lost (also on loopback, when
 * a receive buffer is full), duplicated or reordered. Errors the kernel
 * reports later (an ICMP port unreachable turns into -ECONNREFUSED on a
 * connected endpoint, a queued datagram that failed) go to error_received
 * and the endpoint stays open, as in asyncio.
 *
 * Every object here belongs to its loop's thread.
 */
#ifndef WEFT_UDP_H
#define WEFT_UDP_H

#include <sys/socket.h>

#include "weft/common.h"
#include "weft/loop.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_udp weft_udp;

/* Callbacks of a datagram protocol; any may be NULL. The table must outlive
 * the endpoint (usually a static const). */
typedef struct weft_udp_protocol {
    /* The endpoint is ready; u is valid until connection_lost returns. */
    void (*connection_made)(weft_udp *u, void *ud);
    /* One datagram of len bytes (len may be 0) from addr. data and addr are
     * valid only during the call. */
    void (*datagram_received)(weft_udp *u, const void *data, size_t len,
                              const struct sockaddr *addr, socklen_t addrlen, void *ud);
    /* A send or receive failed (-ECONNREFUSED, -EMSGSIZE for a datagram
     * larger than max_datagram, which is dropped, ...); the endpoint stays
     * open. */
    void (*error_received)(weft_udp *u, int err, void *ud);
    /* The end, exactly once; err is 0 after close/abort. u is freed when
     * this returns. */
    void (*connection_lost)(weft_udp *u, int err, void *ud);
    /* The send queue went above its high water mark / drained to the low. */
    void (*pause_writing)(weft_udp *u, void *ud);
    void (*resume_writing)(weft_udp *u, void *ud);
} weft_udp_protocol;

typedef struct weft_udp_opts {
    /* Bind here: an IP literal, "localhost" or NULL/"" (every interface);
     * port 0 picks a free port (see weft_udp_port). With neither local nor
     * remote given the socket is bound on first send, as the kernel does. */
    const char *local_host;
    uint16_t local_port;
    /* Connect here (connected UDP): sends need no address, only datagrams
     * from this peer are received, and ICMP errors are reported. */
    const char *remote_host;
    uint16_t remote_port;
    int family;             /* AF_UNSPEC (from the addresses; else AF_INET), AF_INET, AF_INET6 */
    bool reuse_port;        /* SO_REUSEPORT: several endpoints share the port */
    bool allow_broadcast;   /* SO_BROADCAST: may send to broadcast addresses */
    /* Largest datagram delivered whole (default 65536, enough for any);
     * bigger ones are dropped with error_received(-EMSGSIZE). */
    size_t max_datagram;
} weft_udp_opts;

/* Make an endpoint (create_datagram_endpoint). Hosts must be IP literals or
 * "localhost" (nothing here blocks on DNS). proto NULL: the coroutine face.
 * Returns 0 and *out (connection_made is queued), or -errno (-EADDRINUSE,
 * -EINVAL for a host that is not a literal, -EAFNOSUPPORT). */
int weft_udp_open(weft_loop *loop, const weft_udp_opts *opts, const weft_udp_protocol *proto,
                  void *ud, weft_udp **out);

/* Wrap a datagram socket the caller made (asyncio's sock= argument). It is
 * made non-blocking and belongs to the endpoint from here on (closed with
 * it, and when this call fails). */
int weft_udp_open_fd(weft_loop *loop, int fd, const weft_udp_protocol *proto, void *ud,
                     weft_udp **out);

/* Send one datagram to addr (NULL on a connected endpoint; on a connected
 * one an addr must be the peer's). Never suspends: sent now if the socket
 * takes it, else copied to the send queue. Returns 0, or -errno now for
 * what the kernel refuses at once (-EMSGSIZE, -EDESTADDRREQ, -EISCONN,
 * -ENETUNREACH...), WEFT_ECLOSED once closing. (DatagramTransport.sendto.) */
int weft_udp_send_datagram(weft_udp *u, const void *data, size_t len,
                           const struct sockaddr *addr, socklen_t addrlen);

/* @suspends. Send one datagram, waiting while the socket has no room (and
 * behind queued ones). Returns len or -errno. */
int weft_udp_sendto(weft_udp *u, const void *data, size_t len, const struct sockaddr *addr,
                    socklen_t addrlen);

/* @suspends. Receive one datagram into buf (at most n bytes; the rest of a
 * longer one is lost) and its sender into *addr / *addrlen (either may be
 * NULL). Returns its length (maybe 0), -EBUSY on an endpoint with a protocol
 * (the protocol gets the datagrams) or while another task receives,
 * WEFT_ECLOSED when it is closed meanwhile, or an error the socket reported
 * (-ECONNREFUSED on a connected endpoint). */
int weft_udp_recvfrom(weft_udp *u, void *buf, size_t n, struct sockaddr_storage *addr,
                      socklen_t *addrlen);

/* Stop / restart delivering datagrams to the protocol (those arriving
 * meanwhile wait in the socket buffer, and past it are dropped). */
int weft_udp_pause_reading(weft_udp *u);
int weft_udp_resume_reading(weft_udp *u);

/* Send queue: bytes queued, and the water marks (high 0: 64 KiB, low = high/4). */
size_t weft_udp_get_write_buffer_size(const weft_udp *u);
int weft_udp_set_write_buffer_limits(weft_udp *u, size_t high, size_t low);

void weft_udp_close(weft_udp *u);
void weft_udp_abort(weft_udp *u);
bool weft_udp_is_closing(const weft_udp *u);

/* The bound address / port (after port 0 or the first send) and the peer of
 * a connected endpoint (-ENOTCONN otherwise). */
int weft_udp_sockname(const weft_udp *u, struct sockaddr_storage *ss, socklen_t *len);
int weft_udp_peername(const weft_udp *u, struct sockaddr_storage *ss, socklen_t *len);
int weft_udp_port(const weft_udp *u);
int weft_udp_fd(const weft_udp *u);
weft_loop *weft_udp_loop(const weft_udp *u);

/* Counters, for tests and tools. */
uint64_t weft_udp_datagrams_received(const weft_udp *u);
uint64_t weft_udp_datagrams_sent(const weft_udp *u);

#ifdef __cplusplus
}
#endif
#endif
