/*
 * weft.h - the whole public API. Include this, link -lweft.
 * See each header for the layer it documents.
 */
#ifndef WEFT_H
#define WEFT_H

#include "weft/common.h"
#include "weft/loop.h"
#include "weft/coro.h"
#include "weft/net.h"
#include "weft/stream.h"
#include "weft/sock.h"
#include "weft/udp.h"
#include "weft/process.h"
#include "weft/tls.h"
#include "weft/dns.h"
#include "weft/http1.h"
#include "weft/url.h"
#include "weft/form.h"
#include "weft/multipart.h"
#include "weft/cookie.h"
#include "weft/http.h"
#include "weft/http_codec.h"
#include "weft/http_client.h"
#include "weft/http_server.h"
#include "weft/http_static.h"

#endif
