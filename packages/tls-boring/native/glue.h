/* The BoringSSL-facing half of the addon, as a plain C API with opaque types. It is compiled
 * in its own static library with BoringSSL's headers only (node-gyp puts Node's OpenSSL 3
 * headers first on every other target's include path). */
#ifndef PROXY_BORING_GLUE_H
#define PROXY_BORING_GLUE_H
#include <stddef.h>
#include <stdint.h>

typedef struct bg_ctx bg_ctx;
typedef struct bg_conn bg_conn;
typedef struct bg_certkey bg_certkey;

/* Status bits returned by bg_conn_* calls. */
#define BG_HANDSHAKE_DONE 1
#define BG_PEER_CLOSED 2
#define BG_WANT_CERT 4
#define BG_ERROR 8
#define BG_NEW_SESSION 16
#define BG_KEYLOG 32

/* Error kinds (bg_error.kind). */
#define BG_ERR_PROTOCOL 1
#define BG_ERR_ALERT_RECEIVED 2
#define BG_ERR_VERIFY 3
#define BG_ERR_NO_PEER_CERT 4
#define BG_ERR_INTERNAL 5

typedef struct bg_error {
  int kind;
  int sent_alert;     /* -1 when none */
  int received_alert; /* -1 when none */
  long verify_result; /* X509_V_ERR_* or 0 */
  char message[256];
} bg_error;

const char *bg_library_version(void); /* OpenSSL_version(OPENSSL_VERSION) */
int bg_api_version(void);
/* Last error of this thread's queue as text (cleared). */
void bg_take_error_string(char *buf, size_t len);

bg_ctx *bg_ctx_new(int server);
void bg_ctx_free(bg_ctx *ctx);
int bg_ctx_set_versions(bg_ctx *ctx, int min, int max);
int bg_ctx_set_ciphers(bg_ctx *ctx, const char *list);
int bg_ctx_set_groups(bg_ctx *ctx, const char *list);
int bg_ctx_set_alpn(bg_ctx *ctx, const uint8_t *wire, size_t len);
int bg_ctx_set_certkey(bg_ctx *ctx, bg_certkey *ck);
/* Adds every certificate of a PEM bundle to the trust store; returns how many, -1 on error. */
int bg_ctx_add_trust_pem(bg_ctx *ctx, const char *pem, size_t len, int as_client_ca);
/* server: 0 none, 1 optional, 2 required. client: 0 none, 1 verify. */
void bg_ctx_set_verify(bg_ctx *ctx, int mode);
void bg_ctx_set_cert_hook(bg_ctx *ctx, int on);
void bg_ctx_set_tickets(bg_ctx *ctx, int on);
int bg_ctx_add_ticket_key(bg_ctx *ctx, const uint8_t *key, size_t len);
void bg_ctx_set_keylog(bg_ctx *ctx, int on);

bg_certkey *bg_certkey_new(const uint8_t *const *ders, const size_t *lens, size_t n, const char *key_pem, size_t key_len);
void bg_certkey_free(bg_certkey *ck);

/* Client: sni may be NULL; hosts are names to accept (set1_host + add1_host); ip checks an address. */
bg_conn *bg_conn_new(bg_ctx *ctx, const char *sni, const char *const *hosts, size_t nhosts, const char *ip, void *session);
void bg_conn_free(bg_conn *c);
int bg_conn_start(bg_conn *c);
int bg_conn_receive(bg_conn *c, const uint8_t *data, size_t len);
int bg_conn_send(bg_conn *c, const uint8_t *data, size_t len);
/* A batch of writes as one call: small ones are joined so they share records. */
int bg_conn_sendv(bg_conn *c, const uint8_t *const *data, const size_t *lens, size_t n);
int bg_conn_close(bg_conn *c);
/* ck NULL: the default certificate (or unrecognized_name when there is none). */
int bg_conn_select_cert(bg_conn *c, bg_certkey *ck);

/* Pending output / plaintext / keylog: pointers stay valid until the matching clear. */
void bg_conn_output(bg_conn *c, const uint8_t **p, size_t *len);
void bg_conn_output_clear(bg_conn *c);
void bg_conn_plaintext(bg_conn *c, const uint8_t **p, size_t *len);
void bg_conn_plaintext_clear(bg_conn *c);
void bg_conn_keylog(bg_conn *c, const char **p, size_t *len);
void bg_conn_keylog_clear(bg_conn *c);
const bg_error *bg_conn_error(bg_conn *c);
/* The session a client got (ownership passes to the caller), or NULL. */
void *bg_conn_take_session(bg_conn *c);
void bg_session_free(void *session);

const char *bg_conn_servername(bg_conn *c);
int bg_conn_version(bg_conn *c); /* 0x0303 / 0x0304 */
const char *bg_conn_cipher(bg_conn *c);
int bg_conn_group(bg_conn *c); /* IANA group id */
void bg_conn_alpn(bg_conn *c, const uint8_t **p, size_t *len);
int bg_conn_reused(bg_conn *c);
/* DER of the peer's leaf certificate; *out is malloc'd, free with bg_free. */
size_t bg_conn_peer_cert(bg_conn *c, uint8_t **out);
void bg_free(void *p);

#endif
