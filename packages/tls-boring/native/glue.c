/* The BoringSSL-facing half of @proxy/tls-boring: SSL_CTX and SSL over memory BIOs, driven
 * by the N-API half (addon.c) through the plain C API of glue.h. Compiled with BoringSSL's
 * headers only. */
#include "glue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/base.h>
#include <openssl/bio.h>
#include <openssl/bytestring.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/mem.h>
#include <openssl/pem.h>
#include <openssl/pool.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

/* A session ticket key in nginx's ssl_session_ticket_key format: a 16-byte name, then an HMAC
 * secret and an AES key of 16 bytes each (48-byte form: AES-128-CBC) or 32 (80-byte form:
 * AES-256-CBC); HMAC-SHA256 either way. */
typedef struct bg_ticket_key {
  uint8_t name[16];
  uint8_t hmac[32];
  uint8_t aes[32];
  size_t secret_len; /* 16 or 32: the HMAC secret's and the AES key's length */
} bg_ticket_key;

struct bg_ctx {
  SSL_CTX *ssl_ctx;
  int server;
  int refs;
  int cert_hook;
  int has_default_cert;
  int keylog;
  uint8_t *alpn; /* server: our protocols in preference order (wire format) */
  size_t alpn_len;
  /* Shared session ticket keys, the first encrypts (bg_ctx_add_ticket_key); none: BoringSSL's own. */
  bg_ticket_key *ticket_keys;
  size_t n_ticket_keys;
};

struct bg_certkey {
  CRYPTO_BUFFER **certs;
  size_t n;
  EVP_PKEY *key;
};

typedef struct bg_buf {
  uint8_t *p;
  size_t len, cap;
} bg_buf;

struct bg_conn {
  bg_ctx *ctx;
  SSL *ssl;
  /* Input of the current receive call, read in place; what BoringSSL leaves of it waits in pending. */
  const uint8_t *in_ptr;
  size_t in_len;
  bg_buf pending;
  size_t pending_off;
  int hs_done, peer_closed, want_cert, cert_selected, failed, closed;
  int sent_alert, received_alert;
  bg_buf keylog;
  SSL_SESSION *session;
  int new_session;
  bg_error error;
};

static int conn_index = -1;
static BIO_METHOD *conn_bio_method = NULL;

/* Output and plaintext of the current call. JS runs one call at a time and copies both out
 * before it returns, so one pair of buffers serves every connection (nothing per idle one). */
static bg_buf g_out, g_plain;

static int buf_reserve(bg_buf *b, size_t extra) {
  if (b->cap - b->len >= extra) return 1;
  size_t cap = b->cap ? b->cap : 16384;
  while (cap - b->len < extra) cap *= 2;
  uint8_t *p = realloc(b->p, cap);
  if (!p) return 0;
  b->p = p;
  b->cap = cap;
  return 1;
}

static void buf_free(bg_buf *b) {
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
}

static int buf_append(bg_buf *b, const void *p, size_t n) {
  if (!buf_reserve(b, n)) return 0;
  memcpy(b->p + b->len, p, n);
  b->len += n;
  return 1;
}

/* The connection's BIO: reads the caller's input in place, writes into g_out. */
static int conn_bio_read(BIO *bio, char *out, int n) {
  bg_conn *c = BIO_get_data(bio);
  BIO_clear_retry_flags(bio);
  if (n <= 0) return 0;
  size_t want = (size_t)n;
  if (c->pending.len > c->pending_off) {
    size_t avail = c->pending.len - c->pending_off;
    size_t k = avail < want ? avail : want;
    memcpy(out, c->pending.p + c->pending_off, k);
    c->pending_off += k;
    if (c->pending_off == c->pending.len) {
      c->pending.len = c->pending_off = 0;
      if (c->pending.cap > 16384) buf_free(&c->pending);
    }
    return (int)k;
  }
  if (c->in_len > 0) {
    size_t k = c->in_len < want ? c->in_len : want;
    memcpy(out, c->in_ptr, k);
    c->in_ptr += k;
    c->in_len -= k;
    return (int)k;
  }
  BIO_set_retry_read(bio);
  return -1;
}

static int conn_bio_write(BIO *bio, const char *in, int n) {
  BIO_clear_retry_flags(bio);
  if (n <= 0) return 0;
  if (!buf_append(&g_out, in, (size_t)n)) return -1;
  return n;
}

static long conn_bio_ctrl(BIO *bio, int cmd, long larg, void *parg) {
  (void)bio; (void)larg; (void)parg;
  return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int conn_bio_create(BIO *bio) {
  BIO_set_init(bio, 1);
  return 1;
}

/* Every entry point starts with empty call buffers. */
static void begin_call(void) {
  g_out.len = 0;
  g_plain.len = 0;
}

const char *bg_library_version(void) { return OpenSSL_version(OPENSSL_VERSION); }
int bg_api_version(void) { return BORINGSSL_API_VERSION; }

void bg_take_error_string(char *buf, size_t len) {
  uint32_t e = ERR_get_error();
  uint32_t next;
  while ((next = ERR_get_error()) != 0) e = next;
  if (e == 0) snprintf(buf, len, "unknown BoringSSL error");
  else ERR_error_string_n(e, buf, len);
}

static void info_cb(const SSL *ssl, int type, int value) {
  bg_conn *c = SSL_get_ex_data(ssl, conn_index);
  if (!c) return;
  if (type == SSL_CB_WRITE_ALERT && (value >> 8) == SSL3_AL_FATAL) {
    if (c->sent_alert < 0) c->sent_alert = value & 0xff;
  } else if (type == SSL_CB_READ_ALERT && (value >> 8) == SSL3_AL_FATAL) {
    if (c->received_alert < 0) c->received_alert = value & 0xff;
  }
}

static void keylog_cb(const SSL *ssl, const char *line) {
  bg_conn *c = SSL_get_ex_data(ssl, conn_index);
  if (!c) return;
  size_t n = strlen(line);
  if (!buf_reserve(&c->keylog, n + 1)) return;
  memcpy(c->keylog.p + c->keylog.len, line, n);
  c->keylog.p[c->keylog.len + n] = '\n';
  c->keylog.len += n + 1;
}

static int new_session_cb(SSL *ssl, SSL_SESSION *session) {
  bg_conn *c = SSL_get_ex_data(ssl, conn_index);
  if (!c) return 0;
  if (c->session) SSL_SESSION_free(c->session);
  c->session = session;
  c->new_session = 1;
  return 1;
}

/* Server ALPN: the first of our protocols (server preference) that the client offered. */
static int alpn_select_cb(SSL *ssl, const uint8_t **out, uint8_t *out_len, const uint8_t *in, unsigned in_len, void *arg) {
  bg_ctx *ctx = arg;
  (void)ssl;
  if (!ctx->alpn) return SSL_TLSEXT_ERR_NOACK;
  for (size_t i = 0; i < ctx->alpn_len;) {
    uint8_t l = ctx->alpn[i];
    const uint8_t *ours = ctx->alpn + i + 1;
    for (unsigned j = 0; j < in_len;) {
      uint8_t m = in[j];
      if (j + 1 + m > in_len) break;
      if (m == l && memcmp(in + j + 1, ours, l) == 0) {
        *out = in + j + 1;
        *out_len = m;
        return SSL_TLSEXT_ERR_OK;
      }
      j += 1 + m;
    }
    i += 1 + l;
  }
  return SSL_TLSEXT_ERR_ALERT_FATAL;
}

/* Server certificate hook: pause (SSL_ERROR_WANT_X509_LOOKUP) until bg_conn_select_cert. */
static int cert_cb(SSL *ssl, void *arg) {
  (void)arg;
  bg_conn *c = SSL_get_ex_data(ssl, conn_index);
  if (!c || !c->ctx->cert_hook || c->cert_selected) return 1;
  c->want_cert = 1;
  return -1;
}

bg_ctx *bg_ctx_new(int server) {
  if (conn_index < 0) conn_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
  if (!conn_bio_method) {
    conn_bio_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "proxy-tls-boring");
    if (!conn_bio_method) return NULL;
    BIO_meth_set_create(conn_bio_method, conn_bio_create);
    BIO_meth_set_read(conn_bio_method, conn_bio_read);
    BIO_meth_set_write(conn_bio_method, conn_bio_write);
    BIO_meth_set_ctrl(conn_bio_method, conn_bio_ctrl);
  }
  bg_ctx *ctx = calloc(1, sizeof *ctx);
  if (!ctx) return NULL;
  ctx->ssl_ctx = SSL_CTX_new(TLS_method());
  if (!ctx->ssl_ctx) {
    free(ctx);
    return NULL;
  }
  ctx->server = server;
  ctx->refs = 1;
  SSL_CTX *s = ctx->ssl_ctx;
  SSL_CTX_set_min_proto_version(s, TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(s, TLS1_3_VERSION);
  SSL_CTX_set_info_callback(s, info_cb);
  if (server) {
    static const uint8_t sid_ctx[] = "proxy-tls-boring";
    SSL_CTX_set_session_id_context(s, sid_ctx, sizeof sid_ctx - 1);
    /* No server-side session-ID cache (the contract's default; TlsSettings.setSessionIdCache is
       not offered by this backend). Stateless tickets resume without it. */
    SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(s, SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_alpn_select_cb(s, alpn_select_cb, ctx);
    SSL_CTX_set_cert_cb(s, cert_cb, ctx);
  } else {
    SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_CLIENT);
    SSL_CTX_sess_set_new_cb(s, new_session_cb);
  }
  return ctx;
}

static void ctx_unref(bg_ctx *ctx) {
  if (--ctx->refs > 0) return;
  SSL_CTX_free(ctx->ssl_ctx);
  free(ctx->alpn);
  if (ctx->ticket_keys) OPENSSL_cleanse(ctx->ticket_keys, ctx->n_ticket_keys * sizeof *ctx->ticket_keys);
  free(ctx->ticket_keys);
  free(ctx);
}

void bg_ctx_free(bg_ctx *ctx) {
  if (ctx) ctx_unref(ctx);
}

int bg_ctx_set_versions(bg_ctx *ctx, int min, int max) {
  return SSL_CTX_set_min_proto_version(ctx->ssl_ctx, (uint16_t)min) &&
         SSL_CTX_set_max_proto_version(ctx->ssl_ctx, (uint16_t)max);
}

int bg_ctx_set_ciphers(bg_ctx *ctx, const char *list) { return SSL_CTX_set_strict_cipher_list(ctx->ssl_ctx, list); }

int bg_ctx_set_groups(bg_ctx *ctx, const char *list) { return SSL_CTX_set1_curves_list(ctx->ssl_ctx, list); }

int bg_ctx_set_alpn(bg_ctx *ctx, const uint8_t *wire, size_t len) {
  if (!ctx->server) return SSL_CTX_set_alpn_protos(ctx->ssl_ctx, wire, len) == 0;
  free(ctx->alpn);
  ctx->alpn = malloc(len ? len : 1);
  if (!ctx->alpn) return 0;
  memcpy(ctx->alpn, wire, len);
  ctx->alpn_len = len;
  return 1;
}

int bg_ctx_set_certkey(bg_ctx *ctx, bg_certkey *ck) {
  if (!SSL_CTX_set_chain_and_key(ctx->ssl_ctx, ck->certs, ck->n, ck->key, NULL)) return 0;
  ctx->has_default_cert = 1;
  return 1;
}

int bg_ctx_add_trust_pem(bg_ctx *ctx, const char *pem, size_t len, int as_client_ca) {
  BIO *bio = BIO_new_mem_buf(pem, (int)len);
  if (!bio) return -1;
  X509_STORE *store = SSL_CTX_get_cert_store(ctx->ssl_ctx);
  int count = 0;
  X509 *x;
  while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
    X509_STORE_add_cert(store, x); /* a duplicate is not an error worth failing for */
    if (as_client_ca) SSL_CTX_add_client_CA(ctx->ssl_ctx, x);
    X509_free(x);
    count++;
  }
  ERR_clear_error(); /* the end of the bundle reads as an error */
  BIO_free(bio);
  return count;
}

void bg_ctx_set_verify(bg_ctx *ctx, int mode) {
  int m = SSL_VERIFY_NONE;
  if (mode >= 1) m = SSL_VERIFY_PEER;
  if (ctx->server && mode == 2) m |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  SSL_CTX_set_verify(ctx->ssl_ctx, m, NULL);
}

void bg_ctx_set_cert_hook(bg_ctx *ctx, int on) { ctx->cert_hook = on; }

void bg_ctx_set_tickets(bg_ctx *ctx, int on) {
  if (on) {
    SSL_CTX_clear_options(ctx->ssl_ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_num_tickets(ctx->ssl_ctx, 2);
  } else {
    SSL_CTX_set_options(ctx->ssl_ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_num_tickets(ctx->ssl_ctx, 0);
  }
}

/* Picks the key of a ticket (BoringSSL seals and opens it: RFC 5077 section 4's layout, key name,
 * IV, AES-CBC state, HMAC-SHA256, as OpenSSL and nginx build it). Sealing uses the first key;
 * opening looks the name up among all of them, so tickets sealed before a rotation still resume,
 * and asks for a fresh ticket (2) when the key that opened it no longer encrypts. 0: unknown
 * name, a full handshake. */
static int ticket_key_cb(SSL *ssl, uint8_t *key_name, uint8_t *iv, EVP_CIPHER_CTX *cipher, HMAC_CTX *hmac, int encrypt) {
  bg_conn *c = SSL_get_ex_data(ssl, conn_index);
  if (!c || c->ctx->n_ticket_keys == 0) return encrypt ? -1 : 0;
  const bg_ticket_key *keys = c->ctx->ticket_keys;
  if (encrypt) {
    const bg_ticket_key *k = &keys[0];
    const EVP_CIPHER *aes = k->secret_len == 32 ? EVP_aes_256_cbc() : EVP_aes_128_cbc();
    if (!RAND_bytes(iv, EVP_CIPHER_iv_length(aes))) return -1;
    memcpy(key_name, k->name, sizeof k->name);
    if (!EVP_EncryptInit_ex(cipher, aes, NULL, k->aes, iv) ||
        !HMAC_Init_ex(hmac, k->hmac, k->secret_len, EVP_sha256(), NULL)) return -1;
    return 1;
  }
  for (size_t i = 0; i < c->ctx->n_ticket_keys; i++) {
    const bg_ticket_key *k = &keys[i];
    if (CRYPTO_memcmp(key_name, k->name, sizeof k->name) != 0) continue;
    const EVP_CIPHER *aes = k->secret_len == 32 ? EVP_aes_256_cbc() : EVP_aes_128_cbc();
    if (!HMAC_Init_ex(hmac, k->hmac, k->secret_len, EVP_sha256(), NULL) ||
        !EVP_DecryptInit_ex(cipher, aes, NULL, k->aes, iv)) return -1;
    return i == 0 ? 1 : 2;
  }
  return 0;
}

/* Adds a session ticket key shared with other processes and hosts (nginx's 48- or 80-byte
 * form); the first added encrypts, the later ones only decrypt (rotation). BoringSSL's own
 * key and its rotation are then unused. Returns 1, or 0 when the key is not 48 or 80 bytes. */
int bg_ctx_add_ticket_key(bg_ctx *ctx, const uint8_t *key, size_t len) {
  if (len != 48 && len != 80) return 0;
  bg_ticket_key *keys = realloc(ctx->ticket_keys, (ctx->n_ticket_keys + 1) * sizeof *keys);
  if (!keys) return 0;
  ctx->ticket_keys = keys;
  bg_ticket_key *k = &keys[ctx->n_ticket_keys++];
  size_t n = (len - 16) / 2;
  memcpy(k->name, key, 16);
  memcpy(k->hmac, key + 16, n);
  memcpy(k->aes, key + 16 + n, n);
  k->secret_len = n;
  SSL_CTX_set_tlsext_ticket_key_cb(ctx->ssl_ctx, ticket_key_cb);
  return 1;
}

void bg_ctx_set_keylog(bg_ctx *ctx, int on) {
  ctx->keylog = on;
  SSL_CTX_set_keylog_callback(ctx->ssl_ctx, on ? keylog_cb : NULL);
}

bg_certkey *bg_certkey_new(const uint8_t *const *ders, const size_t *lens, size_t n, const char *key_pem, size_t key_len) {
  bg_certkey *ck = calloc(1, sizeof *ck);
  if (!ck) return NULL;
  ck->certs = calloc(n ? n : 1, sizeof *ck->certs);
  if (!ck->certs) goto fail;
  for (size_t i = 0; i < n; i++) {
    ck->certs[i] = CRYPTO_BUFFER_new(ders[i], lens[i], NULL);
    if (!ck->certs[i]) goto fail;
    ck->n = i + 1;
  }
  BIO *bio = BIO_new_mem_buf(key_pem, (int)key_len);
  if (!bio) goto fail;
  ck->key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
  BIO_free(bio);
  if (!ck->key) goto fail;
  return ck;
fail:
  bg_certkey_free(ck);
  return NULL;
}

void bg_certkey_free(bg_certkey *ck) {
  if (!ck) return;
  for (size_t i = 0; i < ck->n; i++) CRYPTO_BUFFER_free(ck->certs[i]);
  free(ck->certs);
  if (ck->key) EVP_PKEY_free(ck->key);
  free(ck);
}

bg_conn *bg_conn_new(bg_ctx *ctx, const char *sni, const char *const *hosts, size_t nhosts, const char *ip, void *session) {
  bg_conn *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->sent_alert = c->received_alert = -1;
  c->ssl = SSL_new(ctx->ssl_ctx);
  BIO *bio = BIO_new(conn_bio_method);
  if (!c->ssl || !bio) {
    if (c->ssl) SSL_free(c->ssl);
    if (bio) BIO_free(bio);
    free(c);
    return NULL;
  }
  BIO_set_data(bio, c);
  SSL_set_bio(c->ssl, bio, bio); /* one reference, owned by the SSL */
  SSL_set_ex_data(c->ssl, conn_index, c);
  c->ctx = ctx;
  ctx->refs++;
  if (ctx->server) {
    SSL_set_accept_state(c->ssl);
  } else {
    SSL_set_connect_state(c->ssl);
    if (sni && *sni && !SSL_set_tlsext_host_name(c->ssl, sni)) goto fail;
    X509_VERIFY_PARAM *param = SSL_get0_param(c->ssl);
    for (size_t i = 0; i < nhosts; i++) {
      /* The length matters: 0 poisons the param here (X509_V_ERR_INVALID_CALL). */
      int ok = i == 0 ? X509_VERIFY_PARAM_set1_host(param, hosts[i], strlen(hosts[i]))
                      : X509_VERIFY_PARAM_add1_host(param, hosts[i], strlen(hosts[i]));
      if (!ok) goto fail;
    }
    if (ip && *ip && !X509_VERIFY_PARAM_set1_ip_asc(param, ip)) goto fail;
    if (session) SSL_set_session(c->ssl, (SSL_SESSION *)session);
  }
  return c;
fail:
  bg_conn_free(c);
  return NULL;
}

void bg_conn_free(bg_conn *c) {
  if (!c) return;
  SSL_free(c->ssl); /* frees the BIO */
  if (c->session) SSL_SESSION_free(c->session);
  buf_free(&c->pending);
  buf_free(&c->keylog);
  if (c->ctx) ctx_unref(c->ctx);
  free(c);
}

static void record_failure(bg_conn *c, int ret) {
  c->failed = 1;
  bg_error *e = &c->error;
  int err = SSL_get_error(c->ssl, ret);
  uint32_t code = ERR_peek_error();
  uint32_t last = code, next;
  while ((next = ERR_get_error()) != 0) last = next;
  (void)last;
  int reason = code ? ERR_GET_REASON(code) : 0;
  e->sent_alert = c->sent_alert;
  e->received_alert = c->received_alert;
  e->verify_result = SSL_get_verify_result(c->ssl);
  if (code) ERR_error_string_n(code, e->message, sizeof e->message);
  else if (err == SSL_ERROR_SYSCALL) snprintf(e->message, sizeof e->message, "unexpected end of the TLS stream");
  else snprintf(e->message, sizeof e->message, "TLS error (SSL_get_error %d)", err);
  if (e->received_alert < 0 && reason >= SSL_AD_REASON_OFFSET && reason < SSL_AD_REASON_OFFSET + 256 &&
      ERR_GET_LIB(code) == ERR_LIB_SSL) {
    e->received_alert = reason - SSL_AD_REASON_OFFSET;
  }
  if (e->received_alert >= 0) e->kind = BG_ERR_ALERT_RECEIVED;
  else if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED && e->verify_result != X509_V_OK) e->kind = BG_ERR_VERIFY;
  else if (reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) e->kind = BG_ERR_NO_PEER_CERT;
  else e->kind = BG_ERR_PROTOCOL;
}

static int status(bg_conn *c) {
  int s = 0;
  if (c->hs_done) s |= BG_HANDSHAKE_DONE;
  if (c->peer_closed) s |= BG_PEER_CLOSED;
  if (c->want_cert) s |= BG_WANT_CERT;
  if (c->failed) s |= BG_ERROR;
  if (c->new_session) s |= BG_NEW_SESSION;
  if (c->keylog.len) s |= BG_KEYLOG;
  return s;
}

/* Advances the handshake, then decrypts whatever application data is buffered. */
static int drive(bg_conn *c) {
  if (c->failed) return status(c);
  if (!c->hs_done) {
    if (c->want_cert) return status(c);
    int r = SSL_do_handshake(c->ssl);
    if (r == 1) {
      c->hs_done = 1;
    } else {
      int err = SSL_get_error(c->ssl, r);
      if (err == SSL_ERROR_WANT_X509_LOOKUP) {
        c->want_cert = 1;
        ERR_clear_error();
        return status(c);
      }
      if (err == SSL_ERROR_WANT_READ) {
        ERR_clear_error();
        return status(c);
      }
      record_failure(c, r);
      return status(c);
    }
  }
  while (!c->peer_closed) {
    if (!buf_reserve(&g_plain, 16384)) {
      c->failed = 1;
      c->error.kind = BG_ERR_INTERNAL;
      snprintf(c->error.message, sizeof c->error.message, "out of memory");
      break;
    }
    int n = SSL_read(c->ssl, g_plain.p + g_plain.len, (int)(g_plain.cap - g_plain.len));
    if (n > 0) {
      g_plain.len += (size_t)n;
      continue;
    }
    int err = SSL_get_error(c->ssl, n);
    if (err == SSL_ERROR_WANT_READ) {
      ERR_clear_error();
      break;
    }
    if (err == SSL_ERROR_ZERO_RETURN) {
      c->peer_closed = 1;
      break;
    }
    record_failure(c, n);
    break;
  }
  return status(c);
}

int bg_conn_start(bg_conn *c) {
  begin_call();
  return drive(c);
}

int bg_conn_receive(bg_conn *c, const uint8_t *data, size_t len) {
  begin_call();
  if (c->failed) return status(c);
  c->in_ptr = data;
  c->in_len = len;
  int st = drive(c);
  /* Keep what BoringSSL did not read yet (a partial record, input held during a pause). */
  if (c->in_len > 0 && !c->failed) {
    if (c->pending_off > 0) {
      memmove(c->pending.p, c->pending.p + c->pending_off, c->pending.len - c->pending_off);
      c->pending.len -= c->pending_off;
      c->pending_off = 0;
    }
    if (!buf_append(&c->pending, c->in_ptr, c->in_len)) {
      c->failed = 1;
      c->error.kind = BG_ERR_INTERNAL;
      snprintf(c->error.message, sizeof c->error.message, "out of memory");
      st = status(c);
    }
  }
  c->in_ptr = NULL;
  c->in_len = 0;
  return st;
}

int bg_conn_send(bg_conn *c, const uint8_t *data, size_t len) {
  begin_call();
  if (c->failed) return status(c);
  if (len == 0) return status(c);
  int n = SSL_write(c->ssl, data, (int)len);
  if (n <= 0) record_failure(c, n);
  return status(c);
}

/* Writes of at least this size go to SSL_write as they are; smaller ones are joined first so
 * that they share records (one record per small write would cost a record's overhead each). */
#define SENDV_DIRECT 16384

int bg_conn_sendv(bg_conn *c, const uint8_t *const *data, const size_t *lens, size_t n) {
  static bg_buf joined;
  begin_call();
  joined.len = 0;
  for (size_t i = 0; i <= n && !c->failed; i++) {
    int last = i == n;
    if (!last && lens[i] == 0) continue;
    if (!last && lens[i] < SENDV_DIRECT) {
      if (!buf_append(&joined, data[i], lens[i])) {
        c->failed = 1;
        c->error.kind = BG_ERR_INTERNAL;
        snprintf(c->error.message, sizeof c->error.message, "out of memory");
      }
      continue;
    }
    if (joined.len > 0) {
      int w = SSL_write(c->ssl, joined.p, (int)joined.len);
      joined.len = 0;
      if (w <= 0) {
        record_failure(c, w);
        break;
      }
    }
    if (last) break;
    int w = SSL_write(c->ssl, data[i], (int)lens[i]);
    if (w <= 0) record_failure(c, w);
  }
  if (joined.cap > (1u << 20)) buf_free(&joined);
  return status(c);
}

int bg_conn_close(bg_conn *c) {
  begin_call();
  if (c->failed || c->closed) return status(c);
  c->closed = 1;
  if (c->hs_done) SSL_shutdown(c->ssl);
  ERR_clear_error();
  return status(c);
}

int bg_conn_select_cert(bg_conn *c, bg_certkey *ck) {
  begin_call();
  if (c->failed) return status(c);
  c->want_cert = 0;
  c->cert_selected = 1;
  if (ck) {
    if (!SSL_set_chain_and_key(c->ssl, ck->certs, ck->n, ck->key, NULL)) {
      record_failure(c, 0);
      c->error.kind = BG_ERR_INTERNAL;
      return status(c);
    }
  } else if (!c->ctx->has_default_cert) {
    /* No certificate for this name: unrecognized_name, as the OpenSSL backend answers. */
    SSL_send_fatal_alert(c->ssl, SSL_AD_UNRECOGNIZED_NAME);
    c->failed = 1;
    c->error.kind = BG_ERR_PROTOCOL;
    c->error.sent_alert = SSL_AD_UNRECOGNIZED_NAME;
    c->error.received_alert = -1;
    snprintf(c->error.message, sizeof c->error.message, "no certificate for the requested server name");
    ERR_clear_error();
    return status(c);
  }
  return drive(c);
}

void bg_conn_output(bg_conn *c, const uint8_t **p, size_t *len) {
  (void)c;
  *p = g_out.p;
  *len = g_out.len;
}

void bg_conn_output_clear(bg_conn *c) {
  (void)c;
  g_out.len = 0;
  if (g_out.cap > (4u << 20)) buf_free(&g_out);
}

void bg_conn_plaintext(bg_conn *c, const uint8_t **p, size_t *len) {
  (void)c;
  *p = g_plain.p;
  *len = g_plain.len;
}

void bg_conn_plaintext_clear(bg_conn *c) {
  (void)c;
  g_plain.len = 0;
  if (g_plain.cap > (4u << 20)) buf_free(&g_plain);
}

void bg_conn_keylog(bg_conn *c, const char **p, size_t *len) {
  *p = (const char *)c->keylog.p;
  *len = c->keylog.len;
}

void bg_conn_keylog_clear(bg_conn *c) { buf_free(&c->keylog); }

const bg_error *bg_conn_error(bg_conn *c) { return &c->error; }

void *bg_conn_take_session(bg_conn *c) {
  SSL_SESSION *s = c->session;
  c->session = NULL;
  c->new_session = 0;
  return s;
}

void bg_session_free(void *session) { SSL_SESSION_free((SSL_SESSION *)session); }

const char *bg_conn_servername(bg_conn *c) { return SSL_get_servername(c->ssl, TLSEXT_NAMETYPE_host_name); }

int bg_conn_version(bg_conn *c) { return SSL_version(c->ssl); }

const char *bg_conn_cipher(bg_conn *c) {
  const SSL_CIPHER *cipher = SSL_get_current_cipher(c->ssl);
  return cipher ? SSL_CIPHER_standard_name(cipher) : NULL;
}

int bg_conn_group(bg_conn *c) { return SSL_get_curve_id(c->ssl); }

void bg_conn_alpn(bg_conn *c, const uint8_t **p, size_t *len) {
  unsigned l = 0;
  SSL_get0_alpn_selected(c->ssl, p, &l);
  *len = l;
}

int bg_conn_reused(bg_conn *c) { return SSL_session_reused(c->ssl); }

size_t bg_conn_peer_cert(bg_conn *c, uint8_t **out) {
  *out = NULL;
  X509 *x = SSL_get_peer_certificate(c->ssl);
  if (!x) return 0;
  int n = i2d_X509(x, out);
  X509_free(x);
  return n > 0 ? (size_t)n : 0;
}

void bg_free(void *p) { OPENSSL_free(p); }
