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
#include "weft/tls.h"

#endif
