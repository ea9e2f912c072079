/* tls_ctx.h: the OpenSSL server context of the TLS syslog listener
 * (RFC 5425): certificate, key, and optionally the CA whose certificates
 * clients must present. */
#ifndef RESYNCD_TLS_CTX_H
#define RESYNCD_TLS_CTX_H

#include <openssl/ssl.h>
#include <stddef.h>

/* NULL on error, with the reason (file and OpenSSL's words) in err. */
SSL_CTX *tls_ctx_new(const char *cert, const char *key, const char *ca, char *err, size_t errlen);
/* The latest OpenSSL error of this thread as text (and the queue cleared). */
const char *tls_ctx_last_error(char *buf, size_t len);

#endif
