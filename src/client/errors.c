/*
 * errors.c - sorting any error of a request into the classes a tool
 * reports (curl's exit codes, aiohttp's exception tree).
 */
#include <errno.h>

#include "client/client_int.h"

int weft_http_error_class(int err)
{
    if (err >= 0)
        return WEFT_HTTP_ERR_NONE;
    switch (err) {
    case -ETIMEDOUT:
    case WEFT_EHTTP_CONNECT_TIMEOUT:
    case WEFT_EHTTP_READ_TIMEOUT:
    case WEFT_EHTTP_POOL_TIMEOUT:
    case WEFT_EDNS_TIMEOUT:
        return WEFT_HTTP_ERR_TIMEOUT;
    case -ECONNREFUSED:
    case -ECONNRESET:
    case -ECONNABORTED:
    case -ENETUNREACH:
    case -EHOSTUNREACH:
    case -ENETDOWN:
    case -EHOSTDOWN:
    case -EPIPE:
    case -EADDRNOTAVAIL:
    case WEFT_EHTTP_PROXY:
    case WEFT_EHTTP_DISCONNECTED:
        return WEFT_HTTP_ERR_CONNECT;
    case WEFT_EHTTP_STATUS:
        return WEFT_HTTP_ERR_STATUS;
    case WEFT_EHTTP_REWIND:
        return WEFT_HTTP_ERR_LOCAL;
    }
    if (err <= WEFT_EURL && err > WEFT_ECOOKIE)
        return WEFT_HTTP_ERR_URL;
    if (err <= WEFT_EDNS && err > WEFT_EHTTP_PARSE)
        return WEFT_HTTP_ERR_DNS;
    if (err <= WEFT_ETLS && err > WEFT_EDNS)
        return WEFT_HTTP_ERR_TLS;
    if (err <= WEFT_EHTTP_PARSE && err > WEFT_EURL)
        return WEFT_HTTP_ERR_PROTOCOL;
    if (err == WEFT_EPROTOCOL)
        return WEFT_HTTP_ERR_PROTOCOL;
    return WEFT_HTTP_ERR_LOCAL;
}
