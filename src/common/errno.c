#include <string.h>

#include "weft/common.h"

const char *weft_strerror(int err)
{
    if (err >= 0)
        return "success";
    switch (err) {
    case WEFT_EINCOMPLETE: return "stream ended before the expected number of bytes";
    case WEFT_ELIMIT_OVERRUN: return "separator not found within the limit";
    case WEFT_ECLOSED: return "object closed while the call was pending";
    case WEFT_ESTACK: return "cannot allocate a coroutine stack";
    case WEFT_EPROTOCOL: return "protocol error";
    case WEFT_ETLS: return "TLS error";
    case WEFT_ETLS_HANDSHAKE: return "TLS handshake failed";
    case WEFT_ETLS_VERIFY: return "TLS certificate verification failed";
    case WEFT_ETLS_PROTOCOL: return "TLS protocol error";
    case WEFT_ETLS_NO_CLOSE_NOTIFY: return "TLS peer closed without close_notify";
    case WEFT_ETLS_CONFIG: return "TLS configuration error";
    case WEFT_EDNS: return "DNS error";
    case WEFT_EDNS_NXDOMAIN: return "DNS name does not exist";
    case WEFT_EDNS_NODATA: return "DNS name has no address of that family";
    case WEFT_EDNS_TIMEOUT: return "DNS query timed out";
    case WEFT_EDNS_SERVFAIL: return "DNS server failure";
    case WEFT_EDNS_BADNAME: return "invalid DNS name";
    case WEFT_EHTTP_PARSE: return "malformed HTTP message";
    case WEFT_EHTTP_URI_TOO_LONG: return "HTTP request line too long";
    case WEFT_EHTTP_HEADERS_TOO_LARGE: return "HTTP header block too large";
    case WEFT_EHTTP_BODY_TOO_LARGE: return "HTTP body too large";
    case WEFT_EHTTP_BAD_CHUNK: return "malformed HTTP chunked encoding";
    case WEFT_EHTTP_BAD_LENGTH: return "invalid HTTP Content-Length";
    case WEFT_EHTTP_BAD_TE: return "unsupported HTTP Transfer-Encoding";
    case WEFT_EHTTP_TRUNCATED: return "HTTP message truncated";
    case WEFT_EHTTP_BAD_STATUS: return "malformed HTTP status line";
    case WEFT_EHTTP_VERSION: return "unsupported HTTP version";
    case WEFT_EHTTP_TOO_MANY_REDIRECTS: return "too many HTTP redirects";
    case WEFT_EHTTP_STATUS: return "HTTP error status";
    case WEFT_EHTTP_BAD_METHOD: return "invalid HTTP method";
    case WEFT_EHTTP_BAD_FRAMING: return "ambiguous HTTP message framing";
    case WEFT_EHTTP_CODING_UNSUPPORTED: return "unsupported HTTP content coding";
    case WEFT_EHTTP_CODING_CORRUPT: return "corrupt compressed HTTP body";
    case WEFT_EHTTP_CODING_TRUNCATED: return "compressed HTTP body truncated";
    case WEFT_EHTTP_CODING_TOO_LARGE: return "decoded HTTP body too large";
    case WEFT_EHTTP_CODING_RATIO: return "HTTP body expands too much (decompression bomb)";
    case WEFT_EHTTP_CODING_TOO_MANY: return "too many stacked HTTP content codings";
    case WEFT_EHTTP_CODING_NOT_ACCEPTABLE: return "no acceptable HTTP content coding";
    case WEFT_EHTTP_CONNECT_TIMEOUT: return "HTTP connect timed out";
    case WEFT_EHTTP_READ_TIMEOUT: return "HTTP read timed out";
    case WEFT_EHTTP_POOL_TIMEOUT: return "timed out waiting for a pooled HTTP connection";
    case WEFT_EHTTP_PROXY: return "HTTP proxy refused the tunnel";
    case WEFT_EHTTP_REWIND: return "HTTP request body cannot be sent again";
    case WEFT_EHTTP_DISCONNECTED: return "server closed the connection without a response";
    case WEFT_EURL: return "malformed URL";
    case WEFT_EURL_SCHEME: return "unsupported URL scheme";
    case WEFT_EURL_HOST: return "invalid URL host";
    case WEFT_EURL_PORT: return "invalid URL port";
    case WEFT_EURL_TOO_LONG: return "URL too long";
    case WEFT_ECOOKIE: return "malformed or rejected cookie";
    case WEFT_EWS_PROTOCOL: return "WebSocket protocol error";
    case WEFT_EWS_TOO_BIG: return "WebSocket message too big";
    }
    if (err > -4096)
        return strerrordesc_np(-err) ? strerrordesc_np(-err) : "unknown error";
    return "unknown weft error";
}
