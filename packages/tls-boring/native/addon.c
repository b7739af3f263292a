/* The N-API half of @proxy/tls-boring: JS values in and out, no TLS header (glue.h only).
 * One call per direction: receive/send/close return the new status together with all the
 * ciphertext and plaintext it produced, each copied once into a JS Buffer. */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdlib.h>
#include <string.h>

#include "glue.h"

#define CHECK(call) \
  do { \
    if ((call) != napi_ok) { \
      napi_throw_error(env, NULL, "N-API call failed: " #call); \
      return NULL; \
    } \
  } while (0)

typedef struct conn_holder {
  bg_conn *c;
} conn_holder;

static void ctx_finalize(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  bg_ctx_free((bg_ctx *)data);
}

static void certkey_finalize(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  bg_certkey_free((bg_certkey *)data);
}

static void conn_finalize(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  conn_holder *h = data;
  if (h->c) bg_conn_free(h->c);
  free(h);
}

static void session_finalize(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  bg_session_free(data);
}

static napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

static napi_value make_bool(napi_env env, int b) {
  napi_value v;
  napi_get_boolean(env, b != 0, &v);
  return v;
}

static napi_value make_int(napi_env env, int i) {
  napi_value v;
  napi_create_int32(env, i, &v);
  return v;
}

static void *get_external(napi_env env, napi_value v) {
  void *p = NULL;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external) return NULL;
  napi_get_value_external(env, v, &p);
  return p;
}

/* A JS string as a malloc'd C string (NULL for null/undefined). */
static char *get_string(napi_env env, napi_value v) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string) return NULL;
  size_t len = 0;
  napi_get_value_string_utf8(env, v, NULL, 0, &len);
  char *s = malloc(len + 1);
  if (!s) return NULL;
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  return s;
}

static int get_buffer(napi_env env, napi_value v, const uint8_t **p, size_t *len) {
  bool is_typed = false;
  napi_is_typedarray(env, v, &is_typed);
  if (is_typed) {
    napi_typedarray_type type;
    size_t n, offset;
    void *data;
    napi_value ab;
    if (napi_get_typedarray_info(env, v, &type, &n, &data, &ab, &offset) != napi_ok) return 0;
    *p = data;
    *len = n;
    return 1;
  }
  void *data;
  if (napi_get_buffer_info(env, v, &data, len) != napi_ok) return 0;
  *p = data;
  return 1;
}

static size_t get_args(napi_env env, napi_callback_info info, napi_value *argv, size_t max) {
  size_t argc = max;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  for (size_t i = argc; i < max; i++) argv[i] = undefined(env);
  return argc;
}

static napi_value copy_buffer(napi_env env, const void *p, size_t len) {
  napi_value v;
  void *out;
  if (napi_create_buffer_copy(env, len, p, &out, &v) != napi_ok) return undefined(env);
  return v;
}

/* Plaintext leaves in Buffers over blocks this addon recycles (ciphertext: the pool below): a
 * fresh allocation per batch of records costs page faults once the allocator hands the memory
 * back to the system, which in bulk transfers cost more than the encryption. */
#define BLOCK_SIZE (80u * 1024u)
#define MAX_FREE_BLOCKS 256
/* Per thread: each worker thread has its own env, whose finalizers run on that thread. */
static __thread void *free_blocks[MAX_FREE_BLOCKS];
static __thread int n_free_blocks;

static void block_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  if (hint != NULL && n_free_blocks < MAX_FREE_BLOCKS) free_blocks[n_free_blocks++] = data;
  else free(data);
}

static napi_value block_buffer(napi_env env, const void *p, size_t len) {
  /* Small ones come from the allocator's caches without faults; a finalizer would cost more. */
  if (len < 8192 || len > BLOCK_SIZE) return copy_buffer(env, p, len);
  void *block = n_free_blocks > 0 ? free_blocks[--n_free_blocks] : malloc(BLOCK_SIZE);
  if (!block) return copy_buffer(env, p, len);
  memcpy(block, p, len);
  napi_value v;
  if (napi_create_external_buffer(env, len, block, block_finalize, (void *)1, &v) != napi_ok) {
    if (n_free_blocks < MAX_FREE_BLOCKS) free_blocks[n_free_blocks++] = block;
    else free(block);
    return copy_buffer(env, p, len);
  }
  return v;
}

/*
 * Ciphertext goes out in blocks that come back: a V8 ArrayBuffer per block, handed over as a
 * Uint8Array view and returned by the stream once the socket is done with it
 * (connReleaseOutput). A new Buffer per batch of records, external or not, counts as external
 * memory to V8, which answers bulk output with a mark-compact every few dozen milliseconds
 * (about 50 in one 3 s bulk run, against 1 for the OpenSSL backend). Reused blocks add nothing.
 * A block never returned is an ordinary ArrayBuffer once handed over (the pool keeps no
 * reference to it), left to the collector.
 */
typedef struct {
  napi_ref ref;
  void *data;
} out_block;

static const napi_type_tag OUT_BLOCK_TAG = { 0x2b9d47e1a6c3f058ull, 0xd15a0c83e7264b9full };
static __thread out_block out_pool[MAX_FREE_BLOCKS];
static __thread int n_out_pool;
static __thread bool out_pool_hooked;

/* The env of this thread goes away (a worker thread ends): its blocks go with it. */
static void out_pool_cleanup(void *arg) {
  napi_env env = arg;
  while (n_out_pool > 0) napi_delete_reference(env, out_pool[--n_out_pool].ref);
  out_pool_hooked = false;
}

/* `len` bytes at `p` (at most BLOCK_SIZE) in a view over a pooled block; NULL on failure. */
static napi_value out_block_view(napi_env env, const void *p, size_t len) {
  out_block b;
  napi_value ab, v;
  if (n_out_pool > 0) {
    b = out_pool[--n_out_pool];
    if (napi_get_reference_value(env, b.ref, &ab) != napi_ok) return NULL;
  } else {
    if (!out_pool_hooked && napi_add_env_cleanup_hook(env, out_pool_cleanup, env) == napi_ok) out_pool_hooked = true;
    if (napi_create_arraybuffer(env, BLOCK_SIZE, &b.data, &ab) != napi_ok) return NULL;
    if (napi_type_tag_object(env, ab, &OUT_BLOCK_TAG) != napi_ok) return NULL;
    b.ref = NULL;
  }
  memcpy(b.data, p, len);
  if (napi_create_typedarray(env, napi_uint8_array, len, ab, 0, &v) != napi_ok) {
    if (b.ref) out_pool[n_out_pool++] = b;
    return NULL;
  }
  if (b.ref) napi_delete_reference(env, b.ref);
  return v;
}

/* A batch of records: one view (or a Buffer when small), an array of views when it spans blocks. */
static napi_value output_value(napi_env env, const uint8_t *p, size_t len) {
  napi_value v;
  if (len < 8192) return copy_buffer(env, p, len);
  if (len <= BLOCK_SIZE) {
    v = out_block_view(env, p, len);
    return v ? v : copy_buffer(env, p, len);
  }
  napi_value arr;
  if (napi_create_array(env, &arr) != napi_ok) return copy_buffer(env, p, len);
  uint32_t i = 0;
  for (size_t off = 0; off < len; off += BLOCK_SIZE) {
    size_t n = len - off < BLOCK_SIZE ? len - off : BLOCK_SIZE;
    v = out_block_view(env, p + off, n);
    napi_set_element(env, arr, i++, v ? v : copy_buffer(env, p + off, n));
  }
  return arr;
}

/* connReleaseOutput(chunk): the socket is done with a chunk of output. Anything but one of our
 * block views is ignored; a block already back in the pool is not added twice. */
static napi_value js_conn_release_output(napi_env env, napi_callback_info info) {
  napi_value argv[1], ab;
  get_args(env, info, argv, 1);
  napi_typedarray_type type;
  size_t length, offset;
  void *data;
  bool is_typedarray = false, ours = false;
  if (napi_is_typedarray(env, argv[0], &is_typedarray) != napi_ok || !is_typedarray) return undefined(env);
  if (napi_get_typedarray_info(env, argv[0], &type, &length, &data, &ab, &offset) != napi_ok) return undefined(env);
  if (offset != 0 || napi_check_object_type_tag(env, ab, &OUT_BLOCK_TAG, &ours) != napi_ok || !ours) return undefined(env);
  if (n_out_pool >= MAX_FREE_BLOCKS) return undefined(env);
  for (int i = 0; i < n_out_pool; i++) if (out_pool[i].data == data) return undefined(env);
  out_block b = { NULL, data };
  if (napi_create_reference(env, ab, 1, &b.ref) != napi_ok) return undefined(env);
  out_pool[n_out_pool++] = b;
  return undefined(env);
}

/* ---- library ---- */

static napi_value js_version(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value arr, s;
  CHECK(napi_create_array_with_length(env, 2, &arr));
  CHECK(napi_create_string_utf8(env, bg_library_version(), NAPI_AUTO_LENGTH, &s));
  napi_set_element(env, arr, 0, s);
  napi_set_element(env, arr, 1, make_int(env, bg_api_version()));
  return arr;
}

static napi_value js_last_error(napi_env env, napi_callback_info info) {
  (void)info;
  char buf[256];
  bg_take_error_string(buf, sizeof buf);
  napi_value s;
  CHECK(napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &s));
  return s;
}

/* ---- SSL_CTX ---- */

static napi_value js_ctx_new(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  get_args(env, info, argv, 1);
  bool server = false;
  napi_get_value_bool(env, argv[0], &server);
  bg_ctx *ctx = bg_ctx_new(server);
  if (!ctx) return undefined(env);
  napi_value v;
  CHECK(napi_create_external(env, ctx, ctx_finalize, NULL, &v));
  return v;
}

static napi_value js_ctx_set_versions(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  get_args(env, info, argv, 3);
  bg_ctx *ctx = get_external(env, argv[0]);
  int32_t min = 0, max = 0;
  napi_get_value_int32(env, argv[1], &min);
  napi_get_value_int32(env, argv[2], &max);
  return make_bool(env, ctx && bg_ctx_set_versions(ctx, min, max));
}

static napi_value js_ctx_set_string(napi_env env, napi_callback_info info, int (*fn)(bg_ctx *, const char *)) {
  napi_value argv[2];
  get_args(env, info, argv, 2);
  bg_ctx *ctx = get_external(env, argv[0]);
  char *s = get_string(env, argv[1]);
  int ok = ctx && s && fn(ctx, s);
  free(s);
  return make_bool(env, ok);
}

static napi_value js_ctx_set_ciphers(napi_env env, napi_callback_info info) {
  return js_ctx_set_string(env, info, bg_ctx_set_ciphers);
}

static napi_value js_ctx_set_groups(napi_env env, napi_callback_info info) {
  return js_ctx_set_string(env, info, bg_ctx_set_groups);
}

static napi_value js_ctx_set_alpn(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  get_args(env, info, argv, 2);
  bg_ctx *ctx = get_external(env, argv[0]);
  const uint8_t *p;
  size_t len;
  if (!ctx || !get_buffer(env, argv[1], &p, &len)) return make_bool(env, 0);
  return make_bool(env, bg_ctx_set_alpn(ctx, p, len));
}

static napi_value js_ctx_set_certkey(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  get_args(env, info, argv, 2);
  bg_ctx *ctx = get_external(env, argv[0]);
  bg_certkey *ck = get_external(env, argv[1]);
  return make_bool(env, ctx && ck && bg_ctx_set_certkey(ctx, ck));
}

static napi_value js_ctx_add_trust(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  get_args(env, info, argv, 3);
  bg_ctx *ctx = get_external(env, argv[0]);
  char *pem = get_string(env, argv[1]);
  bool client_ca = false;
  napi_get_value_bool(env, argv[2], &client_ca);
  int n = ctx && pem ? bg_ctx_add_trust_pem(ctx, pem, strlen(pem), client_ca) : -1;
  free(pem);
  return make_int(env, n);
}

static napi_value js_ctx_set_int(napi_env env, napi_callback_info info, void (*fn)(bg_ctx *, int)) {
  napi_value argv[2];
  get_args(env, info, argv, 2);
  bg_ctx *ctx = get_external(env, argv[0]);
  int32_t v = 0;
  napi_get_value_int32(env, argv[1], &v);
  if (ctx) fn(ctx, v);
  return undefined(env);
}

static napi_value js_ctx_set_verify(napi_env env, napi_callback_info info) { return js_ctx_set_int(env, info, bg_ctx_set_verify); }
static napi_value js_ctx_set_cert_hook(napi_env env, napi_callback_info info) { return js_ctx_set_int(env, info, bg_ctx_set_cert_hook); }
static napi_value js_ctx_set_tickets(napi_env env, napi_callback_info info) { return js_ctx_set_int(env, info, bg_ctx_set_tickets); }
static napi_value js_ctx_set_keylog(napi_env env, napi_callback_info info) { return js_ctx_set_int(env, info, bg_ctx_set_keylog); }

static napi_value js_ctx_add_ticket_key(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  get_args(env, info, argv, 2);
  bg_ctx *ctx = get_external(env, argv[0]);
  const uint8_t *key = NULL;
  size_t len = 0;
  bool ok = ctx && get_buffer(env, argv[1], &key, &len) && bg_ctx_add_ticket_key(ctx, key, len) == 1;
  napi_value r;
  napi_get_boolean(env, ok, &r);
  return r;
}

/* ---- certificate + key ---- */

static napi_value js_certkey_new(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  get_args(env, info, argv, 2);
  uint32_t n = 0;
  if (napi_get_array_length(env, argv[0], &n) != napi_ok || n == 0 || n > 64) return undefined(env);
  const uint8_t *ders[64];
  size_t lens[64];
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    napi_get_element(env, argv[0], i, &el);
    if (!get_buffer(env, el, &ders[i], &lens[i])) return undefined(env);
  }
  char *key = get_string(env, argv[1]);
  if (!key) return undefined(env);
  bg_certkey *ck = bg_certkey_new(ders, lens, n, key, strlen(key));
  memset(key, 0, strlen(key));
  free(key);
  if (!ck) return undefined(env);
  napi_value v;
  CHECK(napi_create_external(env, ck, certkey_finalize, NULL, &v));
  return v;
}

/* ---- connections ---- */

static bg_conn *get_conn(napi_env env, napi_value v) {
  conn_holder *h = get_external(env, v);
  return h ? h->c : NULL;
}

static napi_value js_conn_new(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  get_args(env, info, argv, 5);
  bg_ctx *ctx = get_external(env, argv[0]);
  if (!ctx) return undefined(env);
  char *sni = get_string(env, argv[1]);
  char *hosts[8];
  uint32_t nhosts = 0;
  bool is_array = false;
  napi_is_array(env, argv[2], &is_array);
  if (is_array) napi_get_array_length(env, argv[2], &nhosts);
  if (nhosts > 8) nhosts = 8;
  for (uint32_t i = 0; i < nhosts; i++) {
    napi_value el;
    napi_get_element(env, argv[2], i, &el);
    hosts[i] = get_string(env, el);
    if (!hosts[i]) hosts[i] = calloc(1, 1);
  }
  char *ip = get_string(env, argv[3]);
  void *session = get_external(env, argv[4]);
  bg_conn *c = bg_conn_new(ctx, sni, (const char *const *)hosts, nhosts, ip, session);
  free(sni);
  free(ip);
  for (uint32_t i = 0; i < nhosts; i++) free(hosts[i]);
  if (!c) return undefined(env);
  conn_holder *h = malloc(sizeof *h);
  if (!h) {
    bg_conn_free(c);
    return undefined(env);
  }
  h->c = c;
  napi_value v;
  CHECK(napi_create_external(env, h, conn_finalize, NULL, &v));
  return v;
}

static napi_value js_conn_free(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  get_args(env, info, argv, 1);
  conn_holder *h = get_external(env, argv[0]);
  if (h && h->c) {
    bg_conn_free(h->c);
    h->c = NULL;
  }
  return undefined(env);
}

/* [status, output?, plaintext?, keylog?, session?]: everything one call produced. */
static napi_value result(napi_env env, bg_conn *c, int st) {
  napi_value arr;
  CHECK(napi_create_array_with_length(env, 5, &arr));
  napi_set_element(env, arr, 0, make_int(env, st));
  const uint8_t *p;
  size_t len;
  bg_conn_output(c, &p, &len);
  if (len) {
    napi_set_element(env, arr, 1, output_value(env, p, len));
    bg_conn_output_clear(c);
  }
  bg_conn_plaintext(c, &p, &len);
  if (len) {
    napi_set_element(env, arr, 2, block_buffer(env, p, len));
    bg_conn_plaintext_clear(c);
  }
  if (st & BG_KEYLOG) {
    const char *k;
    bg_conn_keylog(c, &k, &len);
    napi_value s;
    if (napi_create_string_utf8(env, k, len, &s) == napi_ok) napi_set_element(env, arr, 3, s);
    bg_conn_keylog_clear(c);
  }
  if (st & BG_NEW_SESSION) {
    void *session = bg_conn_take_session(c);
    if (session) {
      napi_value s;
      if (napi_create_external(env, session, session_finalize, NULL, &s) == napi_ok) napi_set_element(env, arr, 4, s);
      else bg_session_free(session);
    }
  }
  return arr;
}

static napi_value js_conn_start(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  get_args(env, info, argv, 1);
  bg_conn *c = get_conn(env, argv[0]);
  if (!c) return undefined(env);
  return result(env, c, bg_conn_start(c));
}

static napi_value js_conn_receive(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  get_args(env, info, argv, 2);
  bg_conn *c = get_conn(env, argv[0]);
  const uint8_t *p;
  size_t len;
  if (!c || !get_buffer(env, argv[1], &p, &len)) return undefined(env);
  return result(env, c, bg_conn_receive(c, p, len));
}

static napi_value js_conn_send(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  get_args(env, info, argv, 2);
  bg_conn *c = get_conn(env, argv[0]);
  const uint8_t *p;
  size_t len;
  if (!c || !get_buffer(env, argv[1], &p, &len)) return undefined(env);
  return result(env, c, bg_conn_send(c, p, len));
}

/* connSendv(conn, chunks[]): one call for a batch of writes (the stream's writev). */
#define MAX_SENDV 64
static napi_value js_conn_sendv(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  get_args(env, info, argv, 2);
  bg_conn *c = get_conn(env, argv[0]);
  uint32_t n = 0;
  if (!c || napi_get_array_length(env, argv[1], &n) != napi_ok) return undefined(env);
  const uint8_t *ptrs[MAX_SENDV];
  size_t lens[MAX_SENDV];
  /* The engine splits a longer batch into several calls. */
  if (n > MAX_SENDV) {
    napi_throw_range_error(env, NULL, "connSendv takes at most 64 chunks");
    return NULL;
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    if (napi_get_element(env, argv[1], i, &el) != napi_ok || !get_buffer(env, el, &ptrs[i], &lens[i])) return undefined(env);
  }
  return result(env, c, bg_conn_sendv(c, ptrs, lens, n));
}

static napi_value js_conn_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  get_args(env, info, argv, 1);
  bg_conn *c = get_conn(env, argv[0]);
  if (!c) return undefined(env);
  return result(env, c, bg_conn_close(c));
}

static napi_value js_conn_select_cert(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  get_args(env, info, argv, 2);
  bg_conn *c = get_conn(env, argv[0]);
  if (!c) return undefined(env);
  return result(env, c, bg_conn_select_cert(c, get_external(env, argv[1])));
}

static napi_value js_conn_servername(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  get_args(env, info, argv, 1);
  bg_conn *c = get_conn(env, argv[0]);
  const char *name = c ? bg_conn_servername(c) : NULL;
  if (!name) return undefined(env);
  napi_value s;
  CHECK(napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &s));
  return s;
}

/* [version, cipher, groupId, alpn?, reused, peerCertDer?] */
static napi_value js_conn_digest(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  get_args(env, info, argv, 1);
  bg_conn *c = get_conn(env, argv[0]);
  if (!c) return undefined(env);
  napi_value arr, s;
  CHECK(napi_create_array_with_length(env, 6, &arr));
  napi_set_element(env, arr, 0, make_int(env, bg_conn_version(c)));
  const char *cipher = bg_conn_cipher(c);
  if (cipher && napi_create_string_utf8(env, cipher, NAPI_AUTO_LENGTH, &s) == napi_ok) napi_set_element(env, arr, 1, s);
  napi_set_element(env, arr, 2, make_int(env, bg_conn_group(c)));
  const uint8_t *p;
  size_t len;
  bg_conn_alpn(c, &p, &len);
  if (len && napi_create_string_latin1(env, (const char *)p, len, &s) == napi_ok) napi_set_element(env, arr, 3, s);
  napi_set_element(env, arr, 4, make_bool(env, bg_conn_reused(c)));
  uint8_t *der = NULL;
  len = bg_conn_peer_cert(c, &der);
  if (len) napi_set_element(env, arr, 5, copy_buffer(env, der, len));
  if (der) bg_free(der);
  return arr;
}

/* [kind, sentAlert, receivedAlert, verifyResult, message] */
static napi_value js_conn_error(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  get_args(env, info, argv, 1);
  bg_conn *c = get_conn(env, argv[0]);
  if (!c) return undefined(env);
  const bg_error *e = bg_conn_error(c);
  napi_value arr, s;
  CHECK(napi_create_array_with_length(env, 5, &arr));
  napi_set_element(env, arr, 0, make_int(env, e->kind));
  napi_set_element(env, arr, 1, make_int(env, e->sent_alert));
  napi_set_element(env, arr, 2, make_int(env, e->received_alert));
  napi_set_element(env, arr, 3, make_int(env, (int)e->verify_result));
  CHECK(napi_create_string_utf8(env, e->message, NAPI_AUTO_LENGTH, &s));
  napi_set_element(env, arr, 4, s);
  return arr;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
#define FN(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_default, NULL}
    FN("version", js_version),
    FN("lastError", js_last_error),
    FN("ctxNew", js_ctx_new),
    FN("ctxSetVersions", js_ctx_set_versions),
    FN("ctxSetCiphers", js_ctx_set_ciphers),
    FN("ctxSetGroups", js_ctx_set_groups),
    FN("ctxSetAlpn", js_ctx_set_alpn),
    FN("ctxSetCertKey", js_ctx_set_certkey),
    FN("ctxAddTrust", js_ctx_add_trust),
    FN("ctxSetVerify", js_ctx_set_verify),
    FN("ctxSetCertHook", js_ctx_set_cert_hook),
    FN("ctxSetTickets", js_ctx_set_tickets),
    FN("ctxSetKeylog", js_ctx_set_keylog),
    FN("ctxAddTicketKey", js_ctx_add_ticket_key),
    FN("certKeyNew", js_certkey_new),
    FN("connNew", js_conn_new),
    FN("connFree", js_conn_free),
    FN("connStart", js_conn_start),
    FN("connReceive", js_conn_receive),
    FN("connSend", js_conn_send),
    FN("connSendv", js_conn_sendv),
    FN("connReleaseOutput", js_conn_release_output),
    FN("connClose", js_conn_close),
    FN("connSelectCert", js_conn_select_cert),
    FN("connServerName", js_conn_servername),
    FN("connDigest", js_conn_digest),
    FN("connError", js_conn_error),
#undef FN
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
