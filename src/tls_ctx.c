/* tls_ctx.c: OpenSSL server context for RFC 5425 syslog. TLS 1.2 at least
 * (RFC 5425 asks for 1.2 since RFC 9662); with a CA, a client without a
 * certificate it signed fails the handshake, so only devices holding one
 * can report commits. */
#include "tls_ctx.h"

#include <openssl/err.h>
#include <stdio.h>

const char *tls_ctx_last_error(char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();

	if (e == 0)
		snprintf(buf, len, "unknown error");
	else
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
	return buf;
}

SSL_CTX *tls_ctx_new(const char *cert, const char *key, const char *ca, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	char why[256];
	const char *what = "context";

	if (ctx == NULL)
		goto fail;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	what = cert;
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
		goto fail;
	what = key;
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(ctx) != 1)
		goto fail;
	if (ca && *ca) {
		what = ca;
		if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1)
			goto fail;
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	}
	return ctx;
fail:
	snprintf(err, errlen, "%s: %s", what, tls_ctx_last_error(why, sizeof(why)));
	SSL_CTX_free(ctx);
	return NULL;
}
