/*
 * N-API addon over the s2n-tls that aws-crt's prebuilt binary exports. It includes no s2n
 * header and links only libdl: the prototypes below are declared from s2n.h's documented
 * signatures, and every function is found with dlsym in the already-loaded aws-crt binary
 * (dlopen RTLD_NOLOAD: we never load it ourselves).
 *
 * One connection = one conn_t: ciphertext in (kept across calls), ciphertext out, plaintext out.
 * JavaScript drives it through a handful of calls; each copies its data across once.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

/* ---- the s2n API we use, declared from the public s2n.h ---- */
struct s2n_config;
struct s2n_connection;
struct s2n_cert_chain_and_key;
struct s2n_cert;
struct s2n_client_hello;
typedef enum { S2N_SERVER, S2N_CLIENT } s2n_mode;
typedef enum { S2N_NOT_BLOCKED = 0, S2N_BLOCKED_ON_READ, S2N_BLOCKED_ON_WRITE, S2N_BLOCKED_ON_APPLICATION_INPUT, S2N_BLOCKED_ON_EARLY_DATA } s2n_blocked_status;
typedef enum { S2N_ERR_T_OK = 0, S2N_ERR_T_IO, S2N_ERR_T_CLOSED, S2N_ERR_T_BLOCKED, S2N_ERR_T_ALERT, S2N_ERR_T_PROTO, S2N_ERR_T_INTERNAL, S2N_ERR_T_USAGE } s2n_error_type;
typedef enum { S2N_BUILT_IN_BLINDING, S2N_SELF_SERVICE_BLINDING } s2n_blinding;
typedef enum { S2N_CERT_AUTH_NONE, S2N_CERT_AUTH_REQUIRED, S2N_CERT_AUTH_OPTIONAL } s2n_cert_auth_type;
typedef enum { S2N_CLIENT_HELLO_CB_BLOCKING, S2N_CLIENT_HELLO_CB_NONBLOCKING } s2n_client_hello_cb_mode;
#define S2N_EXTENSION_ALPN 16
#define S2N_EXTENSION_SUPPORTED_VERSIONS 43
typedef int s2n_recv_fn(void *io_context, uint8_t *buf, uint32_t len);
typedef int s2n_send_fn(void *io_context, const uint8_t *buf, uint32_t len);
typedef uint8_t (*s2n_verify_host_fn)(const char *host_name, size_t host_name_len, void *data);
typedef int (*s2n_key_log_fn)(void *ctx, struct s2n_connection *conn, uint8_t *logline, size_t len);
typedef int s2n_client_hello_fn(struct s2n_connection *conn, void *ctx);
typedef int (*s2n_clock_time_nanoseconds)(void *ctx, uint64_t *nanoseconds);
struct s2n_session_ticket;
typedef int (*s2n_session_ticket_fn)(struct s2n_connection *conn, void *ctx, struct s2n_session_ticket *ticket);

#define S2N_FUNCTIONS(X) \
  X(int, s2n_init, (void)) \
  X(int *, s2n_errno_location, (void)) \
  X(int, s2n_error_get_type, (int error)) \
  X(const char *, s2n_strerror_name, (int error)) \
  X(const char *, s2n_strerror, (int error, const char *lang)) \
  X(struct s2n_config *, s2n_config_new, (void)) \
  X(int, s2n_config_free, (struct s2n_config *config)) \
  X(int, s2n_config_set_cipher_preferences, (struct s2n_config *config, const char *version)) \
  X(int, s2n_config_add_cert_chain_and_key_to_store, (struct s2n_config *config, struct s2n_cert_chain_and_key *pair)) \
  X(struct s2n_cert_chain_and_key *, s2n_cert_chain_and_key_new, (void)) \
  X(int, s2n_cert_chain_and_key_load_pem_bytes, (struct s2n_cert_chain_and_key *ck, uint8_t *chain_pem, uint32_t chain_pem_len, uint8_t *key_pem, uint32_t key_pem_len)) \
  X(int, s2n_cert_chain_and_key_free, (struct s2n_cert_chain_and_key *ck)) \
  X(int, s2n_config_set_protocol_preferences, (struct s2n_config *config, const char *const *protocols, int protocol_count)) \
  X(int, s2n_config_set_client_auth_type, (struct s2n_config *config, s2n_cert_auth_type type)) \
  X(int, s2n_config_add_pem_to_trust_store, (struct s2n_config *config, const char *pem)) \
  X(int, s2n_config_wipe_trust_store, (struct s2n_config *config)) \
  X(int, s2n_config_set_verify_host_callback, (struct s2n_config *config, s2n_verify_host_fn fn, void *data)) \
  X(int, s2n_config_disable_x509_verification, (struct s2n_config *config)) \
  X(int, s2n_config_set_key_log_cb, (struct s2n_config *config, s2n_key_log_fn callback, void *ctx)) \
  X(int, s2n_config_set_session_tickets_onoff, (struct s2n_config *config, uint8_t enabled)) \
  X(int, s2n_config_add_ticket_crypto_key, (struct s2n_config *config, const uint8_t *name, uint32_t name_len, uint8_t *key, uint32_t key_len, uint64_t intro_time)) \
  X(int, s2n_config_set_ticket_encrypt_decrypt_key_lifetime, (struct s2n_config *config, uint64_t lifetime_in_secs)) \
  X(int, s2n_config_set_ticket_decrypt_key_lifetime, (struct s2n_config *config, uint64_t lifetime_in_secs)) \
  X(int, s2n_config_set_wall_clock, (struct s2n_config *config, s2n_clock_time_nanoseconds clock_fn, void *ctx)) \
  X(int, s2n_config_set_client_hello_cb, (struct s2n_config *config, s2n_client_hello_fn cb, void *ctx)) \
  X(int, s2n_config_set_client_hello_cb_mode, (struct s2n_config *config, s2n_client_hello_cb_mode mode)) \
  X(int, s2n_config_set_max_blinding_delay, (struct s2n_config *config, uint32_t seconds)) \
  X(int, s2n_client_hello_cb_done, (struct s2n_connection *conn)) \
  X(struct s2n_connection *, s2n_connection_new, (s2n_mode mode)) \
  X(int, s2n_connection_free, (struct s2n_connection *conn)) \
  X(int, s2n_connection_set_config, (struct s2n_connection *conn, struct s2n_config *config)) \
  X(int, s2n_connection_set_ctx, (struct s2n_connection *conn, void *ctx)) \
  X(void *, s2n_connection_get_ctx, (struct s2n_connection *conn)) \
  X(int, s2n_connection_set_send_cb, (struct s2n_connection *conn, s2n_send_fn *send)) \
  X(int, s2n_connection_set_recv_cb, (struct s2n_connection *conn, s2n_recv_fn *recv)) \
  X(int, s2n_connection_set_send_ctx, (struct s2n_connection *conn, void *ctx)) \
  X(int, s2n_connection_set_recv_ctx, (struct s2n_connection *conn, void *ctx)) \
  X(int, s2n_connection_set_blinding, (struct s2n_connection *conn, s2n_blinding blinding)) \
  X(uint64_t, s2n_connection_get_delay, (struct s2n_connection *conn)) \
  X(int, s2n_connection_set_verify_host_callback, (struct s2n_connection *conn, s2n_verify_host_fn fn, void *data)) \
  X(int, s2n_connection_prefer_throughput, (struct s2n_connection *conn)) \
  X(int, s2n_negotiate, (struct s2n_connection *conn, s2n_blocked_status *blocked)) \
  X(ssize_t, s2n_send, (struct s2n_connection *conn, const void *buf, ssize_t size, s2n_blocked_status *blocked)) \
  X(ssize_t, s2n_sendv_with_offset, (struct s2n_connection *conn, const struct iovec *bufs, ssize_t count, ssize_t offs, s2n_blocked_status *blocked)) \
  X(ssize_t, s2n_recv, (struct s2n_connection *conn, void *buf, ssize_t size, s2n_blocked_status *blocked)) \
  X(int, s2n_shutdown_send, (struct s2n_connection *conn, s2n_blocked_status *blocked)) \
  X(int, s2n_connection_get_actual_protocol_version, (struct s2n_connection *conn)) \
  X(int, s2n_connection_get_client_protocol_version, (struct s2n_connection *conn)) \
  X(int, s2n_connection_get_cipher_iana_value, (struct s2n_connection *conn, uint8_t *first, uint8_t *second)) \
  X(const char *, s2n_connection_get_curve, (struct s2n_connection *conn)) \
  X(int, s2n_connection_get_key_exchange_group, (struct s2n_connection *conn, const char **group_name)) \
  X(const char *, s2n_get_server_name, (struct s2n_connection *conn)) \
  X(int, s2n_set_server_name, (struct s2n_connection *conn, const char *server_name)) \
  X(const char *, s2n_get_application_protocol, (struct s2n_connection *conn)) \
  X(int, s2n_connection_is_session_resumed, (struct s2n_connection *conn)) \
  X(int, s2n_connection_get_peer_cert_chain, (const struct s2n_connection *conn, struct s2n_cert_chain_and_key *chain)) \
  X(int, s2n_cert_chain_get_length, (const struct s2n_cert_chain_and_key *ck, uint32_t *len)) \
  X(int, s2n_cert_chain_get_cert, (const struct s2n_cert_chain_and_key *ck, struct s2n_cert **out, const uint32_t idx)) \
  X(int, s2n_cert_get_der, (const struct s2n_cert *cert, const uint8_t **der, uint32_t *len)) \
  X(int, s2n_connection_get_alert, (struct s2n_connection *conn)) \
  X(struct s2n_client_hello *, s2n_connection_get_client_hello, (struct s2n_connection *conn)) \
  X(ssize_t, s2n_client_hello_get_extension_length, (struct s2n_client_hello *ch, int type)) \
  X(ssize_t, s2n_client_hello_get_extension_by_id, (struct s2n_client_hello *ch, int type, uint8_t *out, uint32_t max_length)) \
  X(int, s2n_client_hello_get_server_name_length, (struct s2n_client_hello *ch, uint16_t *length)) \
  X(int, s2n_client_hello_get_server_name, (struct s2n_client_hello *ch, uint8_t *name, uint16_t length, uint16_t *out_length)) \
  X(int, s2n_connection_server_name_extension_used, (struct s2n_connection *conn)) \
  X(int, s2n_client_hello_get_legacy_protocol_version, (struct s2n_client_hello *ch, uint8_t *out)) \
  X(int, s2n_error_get_alert, (int error, uint8_t *alert)) \
  X(int, s2n_connection_release_buffers, (struct s2n_connection *conn)) \
  X(int, s2n_connection_free_handshake, (struct s2n_connection *conn)) \
  X(int, s2n_config_set_session_ticket_cb, (struct s2n_config *config, s2n_session_ticket_fn callback, void *ctx)) \
  X(int, s2n_session_ticket_get_data_len, (struct s2n_session_ticket *ticket, size_t *data_len)) \
  X(int, s2n_session_ticket_get_data, (struct s2n_session_ticket *ticket, size_t max_data_len, uint8_t *data)) \
  X(int, s2n_connection_set_session, (struct s2n_connection *conn, const uint8_t *session, size_t length))

#define DECLARE(ret, name, args) typedef ret(*name##_t) args; static name##_t p_##name;
S2N_FUNCTIONS(DECLARE)

static const char *function_names[] = {
#define NAME(ret, name, args) #name,
  S2N_FUNCTIONS(NAME)
#undef NAME
};

static bool loaded = false;

/* ---- helpers ---- */
#define CHECK(call) do { if ((call) != napi_ok) return NULL; } while (0)

static napi_value throw_msg(napi_env env, const char *msg) {
  napi_throw_error(env, "S2N_ADDON", msg);
  return NULL;
}

static int s2n_err(void) { return *p_s2n_errno_location(); }

/* Throws an Error with the s2n error name as its code and message. */
static napi_value throw_s2n(napi_env env, const char *what) {
  int e = s2n_err();
  char msg[512];
  snprintf(msg, sizeof msg, "%s: %s (%s)", what, p_s2n_strerror(e, "EN"), p_s2n_strerror_name(e));
  napi_throw_error(env, p_s2n_strerror_name(e), msg);
  return NULL;
}

typedef struct { uint8_t *p; size_t len, cap, off; } buf_t;

static int buf_reserve(buf_t *b, size_t extra) {
  if (b->len + extra <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap < b->len + extra) cap *= 2;
  uint8_t *p = realloc(b->p, cap);
  if (!p) return -1;
  b->p = p;
  b->cap = cap;
  return 0;
}

static int buf_append(buf_t *b, const uint8_t *data, size_t n) {
  if (b->off > 0 && b->off == b->len) b->off = b->len = 0;
  if (b->off > 0 && b->len + n > b->cap) {
    memmove(b->p, b->p + b->off, b->len - b->off);
    b->len -= b->off;
    b->off = 0;
  }
  if (buf_reserve(b, n)) return -1;
  memcpy(b->p + b->len, data, n);
  b->len += n;
  return 0;
}

static void buf_free(buf_t *b) { free(b->p); b->p = NULL; b->len = b->cap = b->off = 0; }

/*
 * Records and plaintext leave in Buffers over blocks this addon recycles. s2n hands over one
 * record (16 KiB) per send callback; a Buffer (and an array slot) per record cost more than the
 * encryption, and a fresh allocation per call page-faults once malloc has given the memory back.
 * So during one call everything goes straight into a block (the only copy), and the call hands
 * over one Buffer per block: an external one over the block itself when it is large (its
 * finalizer, which Node runs on this thread, puts it back on the free list), a copy when small
 * (the block goes back at once; small mallocs come warm from the allocator's caches).
 * Per thread: worker threads each have their own list and their own finalizers.
 *
 * Measured (tools/bench/results/NOTES.md, 2026-12-04): one plain Buffer copied per call page-faults
 * (malloc trims the freed 64-80 KiB chunks back to the system: 129 MB/CPU-s in the bulk figure);
 * a list of 64 blocks ran dry between garbage collections; 256 (20 MiB at most) did not.
 */
#define BLOCK_SIZE (80u * 1024u)
#define SMALL_COPY 8192u
#define MAX_FREE_BLOCKS 256
static __thread void *free_blocks[MAX_FREE_BLOCKS];
static __thread int n_free_blocks;

static uint8_t *block_get(void) {
  return n_free_blocks > 0 ? free_blocks[--n_free_blocks] : malloc(BLOCK_SIZE);
}

static void block_put(void *block) {
  if (n_free_blocks < MAX_FREE_BLOCKS) free_blocks[n_free_blocks++] = block;
  else free(block);
}

static void block_finalize(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  block_put(data);
}

/* Hands over `len` bytes of `block` as a Buffer appended to `arr` at `*n`; the block is no longer ours. */
static int block_emit(napi_env env, uint8_t *block, size_t len, napi_value arr, uint32_t *n) {
  napi_value v;
  if (len == 0) {
    block_put(block);
    return 0;
  }
  if (len < SMALL_COPY || napi_create_external_buffer(env, len, block, block_finalize, NULL, &v) != napi_ok) {
    napi_status st = napi_create_buffer_copy(env, len, block, NULL, &v);
    block_put(block);
    if (st != napi_ok) return -1;
  }
  return napi_set_element(env, arr, (*n)++, v) == napi_ok ? 0 : -1;
}

/* The env of the call in progress (per thread: workers each have theirs): key-log lines reach JavaScript synchronously. */
static __thread napi_env current_env;

/* ---- configs ---- */
/* Room in the call's block `*blk` (`*len` bytes used): a full block is handed over to `arr` and
 * a fresh one started. 0, or -1 when memory or N-API fails. */
static int block_room(napi_env env, uint8_t **blk, size_t *len, napi_value arr, uint32_t *n) {
  if (*blk && *len == BLOCK_SIZE) {
    uint8_t *full = *blk;
    *blk = NULL;
    if (block_emit(env, full, BLOCK_SIZE, arr, n)) return -1;
  }
  if (!*blk) {
    *blk = block_get();
    *len = 0;
    if (!*blk) return -1;
  }
  return 0;
}

/* Hands over what the call collected in `*blk`, if anything. 0, or -1. */
static int block_flush(napi_env env, uint8_t **blk, size_t len, napi_value arr, uint32_t *n) {
  uint8_t *b = *blk;
  if (!b) return 0;
  *blk = NULL;
  return block_emit(env, b, len, arr, n);
}

/*
 * Records on their way to the socket go out in blocks that come back: a V8 ArrayBuffer per
 * block, handed over as a Uint8Array view and returned by the stream once the socket has
 * written it (connReleaseOutput). A fresh Buffer per block, external or not, counts as external
 * memory to V8, which answers 500 MB/s of them with a mark-compact every few dozen
 * milliseconds (about 50 in one 3 s bulk run, against 1 for the OpenSSL backend, whose records
 * never become JavaScript objects). Reused blocks add nothing.
 * A block that is never returned (a socket destroyed with it queued) is an ordinary
 * ArrayBuffer once handed over: the pool holds no reference to it, so the collector frees it.
 */
typedef struct {
  napi_ref ref;
  uint8_t *data;
} out_block_t;

static const napi_type_tag OUT_BLOCK_TAG = { 0x5f32e6a4c1d0b917ull, 0x8a4e2c7d913f6b05ull };
static __thread out_block_t out_pool[MAX_FREE_BLOCKS];
static __thread int n_out_pool;
static __thread bool out_pool_hooked;

/* The env of this thread goes away (a worker thread ends): let its blocks go with it. */
static void out_pool_cleanup(void *arg) {
  napi_env env = arg;
  while (n_out_pool > 0) napi_delete_reference(env, out_pool[--n_out_pool].ref);
  out_pool_hooked = false;
}

static int out_block_get(napi_env env, out_block_t *b) {
  if (n_out_pool > 0) {
    *b = out_pool[--n_out_pool];
    return 0;
  }
  if (!out_pool_hooked && napi_add_env_cleanup_hook(env, out_pool_cleanup, env) == napi_ok) out_pool_hooked = true;
  napi_value ab;
  void *data;
  if (napi_create_arraybuffer(env, BLOCK_SIZE, &data, &ab) != napi_ok) return -1;
  if (napi_type_tag_object(env, ab, &OUT_BLOCK_TAG) != napi_ok) return -1;
  if (napi_create_reference(env, ab, 1, &b->ref) != napi_ok) return -1;
  b->data = data;
  return 0;
}

static void out_block_put(napi_env env, out_block_t b) {
  if (n_out_pool < MAX_FREE_BLOCKS) out_pool[n_out_pool++] = b;
  else napi_delete_reference(env, b.ref);
}

/* Hands over `len` bytes of block `b` to `arr` at `*n`: a view over the block when large (the
 * pool lets go of it until it is returned), a copy when small (the block goes back at once). */
static int out_block_emit(napi_env env, out_block_t *b, size_t len, napi_value arr, uint32_t *n) {
  out_block_t blk = *b;
  b->data = NULL;
  napi_value v;
  if (len == 0) {
    out_block_put(env, blk);
    return 0;
  }
  if (len < SMALL_COPY) {
    napi_status st = napi_create_buffer_copy(env, len, blk.data, NULL, &v);
    out_block_put(env, blk);
    if (st != napi_ok) return -1;
  } else {
    napi_value ab;
    if (napi_get_reference_value(env, blk.ref, &ab) != napi_ok ||
        napi_create_typedarray(env, napi_uint8_array, len, ab, 0, &v) != napi_ok) {
      out_block_put(env, blk);
      return -1;
    }
    napi_delete_reference(env, blk.ref);
  }
  return napi_set_element(env, arr, (*n)++, v) == napi_ok ? 0 : -1;
}

/* out_block_emit of a full block and a fresh one started, as block_room. */
static int out_block_room(napi_env env, out_block_t *b, size_t *len, napi_value arr, uint32_t *n) {
  if (b->data && *len == BLOCK_SIZE && out_block_emit(env, b, BLOCK_SIZE, arr, n)) return -1;
  if (!b->data) {
    *len = 0;
    if (out_block_get(env, b)) {
      b->data = NULL;
      return -1;
    }
  }
  return 0;
}

/* connReleaseOutput(chunk): the socket has written a chunk that connFeed/connSend handed over.
 * Anything but one of our block views is ignored; a block already back is not added twice. */
static napi_value conn_release_output(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], ab;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return NULL;
  napi_typedarray_type type;
  size_t length, offset;
  void *data;
  bool is_typedarray = false, ours = false;
  if (napi_is_typedarray(env, argv[0], &is_typedarray) != napi_ok || !is_typedarray) return NULL;
  if (napi_get_typedarray_info(env, argv[0], &type, &length, &data, &ab, &offset) != napi_ok) return NULL;
  if (offset != 0 || napi_check_object_type_tag(env, ab, &OUT_BLOCK_TAG, &ours) != napi_ok || !ours) return NULL;
  for (int i = 0; i < n_out_pool; i++) if (out_pool[i].data == data) return NULL;
  if (n_out_pool >= MAX_FREE_BLOCKS) return NULL;
  out_block_t b = { NULL, data };
  if (napi_create_reference(env, ab, 1, &b.ref) != napi_ok) return NULL;
  out_pool[n_out_pool++] = b;
  return NULL;
}

/* Ten years: both of s2n's ticket key windows (see configNew), long enough to never end in a
 * config's life, short enough that s2n's nanosecond arithmetic (now + 2 windows) cannot overflow. */
#define TICKET_KEY_WINDOW_SECONDS (10ull * 365 * 24 * 3600)
typedef struct {
  struct s2n_config *cfg;
  napi_ref keylog;
  struct s2n_cert_chain_and_key *keys[4];
  int nkeys;
  bool hello_cb;
  /* configShiftClockForTests: nanoseconds added to s2n's wall clock for this config. */
  int64_t clock_shift_ns;
} cfg_t;

static int keylog_cb(void *ctx, struct s2n_connection *conn, uint8_t *line, size_t len) {
  (void)conn;
  cfg_t *c = ctx;
  napi_env env = current_env;
  if (!c->keylog || !env) return 0;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return 0;
  napi_value fn, str, undef, result;
  if (napi_get_reference_value(env, c->keylog, &fn) == napi_ok && fn &&
      napi_create_string_utf8(env, (const char *)line, len, &str) == napi_ok &&
      napi_get_undefined(env, &undef) == napi_ok) {
    if (napi_call_function(env, undef, fn, 1, &str, &result) != napi_ok) {
      /* An exception from the writer: swallow it, s2n must not see a failure for a log line. */
      napi_value ex;
      bool pending = false;
      napi_is_exception_pending(env, &pending);
      if (pending) napi_get_and_clear_last_exception(env, &ex);
    }
  }
  napi_close_handle_scope(env, scope);
  return 0;
}

static uint8_t accept_any_host(const char *name, size_t len, void *data) {
  (void)name; (void)len; (void)data;
  return 1;
}

static int client_hello_cb(struct s2n_connection *conn, void *ctx);
static int session_ticket_cb(struct s2n_connection *conn, void *ctx, struct s2n_session_ticket *ticket);

static void cfg_finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  cfg_t *c = data;
  if (c->cfg) p_s2n_config_free(c->cfg);
  for (int i = 0; i < c->nkeys; i++) p_s2n_cert_chain_and_key_free(c->keys[i]);
  if (c->keylog) napi_delete_reference(env, c->keylog);
  free(c);
}

static bool get_prop(napi_env env, napi_value obj, const char *name, napi_value *out, napi_valuetype *type) {
  bool has = false;
  if (napi_has_named_property(env, obj, name, &has) != napi_ok || !has) return false;
  if (napi_get_named_property(env, obj, name, out) != napi_ok) return false;
  napi_typeof(env, *out, type);
  return *type != napi_undefined && *type != napi_null;
}

static char *get_string(napi_env env, napi_value v, size_t *len_out) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *s = malloc(len + 1);
  if (!s) return NULL;
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  if (len_out) *len_out = len;
  return s;
}

/*
 * configNew({ server, policy, certs: [[chainPem, keyPem]], alpn: [..], clientAuth: 0|1|2, caPem,
 *   acceptAnyHost, disableVerify, keylog: fn, ticketKeys: [Buffer(48) (16 name + 32 key), ...] (the first
 *   encrypts), maxBlinding,
 *   helloCb }) → external
 */
static napi_value config_new(napi_env env, napi_callback_info info) {
  if (!loaded) return throw_msg(env, "s2n is not loaded");
  size_t argc = 1;
  napi_value argv[1], v;
  napi_valuetype t;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_value o = argv[0];
  cfg_t *c = calloc(1, sizeof *c);
  if (!c) return throw_msg(env, "out of memory");
  c->cfg = p_s2n_config_new();
  napi_value result;
  if (!c->cfg) { free(c); return throw_s2n(env, "s2n_config_new"); }
  /* From here on the finalizer frees everything, whatever fails next. */
  if (napi_create_external(env, c, cfg_finalize, NULL, &result) != napi_ok) { cfg_finalize(env, c, NULL); return NULL; }
  bool server = false;
  if (get_prop(env, o, "server", &v, &t)) napi_get_value_bool(env, v, &server);

  if (get_prop(env, o, "policy", &v, &t)) {
    char *policy = get_string(env, v, NULL);
    int r = p_s2n_config_set_cipher_preferences(c->cfg, policy);
    free(policy);
    if (r < 0) return throw_s2n(env, "s2n_config_set_cipher_preferences");
  }
  if (get_prop(env, o, "certs", &v, &t)) {
    uint32_t n = 0;
    napi_get_array_length(env, v, &n);
    for (uint32_t i = 0; i < n && c->nkeys < 4; i++) {
      napi_value pair, chain, key;
      napi_get_element(env, v, i, &pair);
      napi_get_element(env, pair, 0, &chain);
      napi_get_element(env, pair, 1, &key);
      size_t clen = 0, klen = 0;
      char *cs = get_string(env, chain, &clen), *ks = get_string(env, key, &klen);
      struct s2n_cert_chain_and_key *ck = p_s2n_cert_chain_and_key_new();
      int r = ck ? p_s2n_cert_chain_and_key_load_pem_bytes(ck, (uint8_t *)cs, (uint32_t)clen, (uint8_t *)ks, (uint32_t)klen) : -1;
      if (ks) { memset(ks, 0, klen); free(ks); }
      free(cs);
      if (ck) c->keys[c->nkeys++] = ck;
      if (r < 0) return throw_s2n(env, "s2n_cert_chain_and_key_load_pem_bytes");
      if (p_s2n_config_add_cert_chain_and_key_to_store(c->cfg, ck) < 0) return throw_s2n(env, "s2n_config_add_cert_chain_and_key_to_store");
    }
  }
  if (get_prop(env, o, "alpn", &v, &t)) {
    uint32_t n = 0;
    napi_get_array_length(env, v, &n);
    char *protos[32];
    if (n > 32) n = 32;
    for (uint32_t i = 0; i < n; i++) {
      napi_value e;
      napi_get_element(env, v, i, &e);
      protos[i] = get_string(env, e, NULL);
    }
    int r = p_s2n_config_set_protocol_preferences(c->cfg, (const char *const *)protos, (int)n);
    for (uint32_t i = 0; i < n; i++) free(protos[i]);
    if (r < 0) return throw_s2n(env, "s2n_config_set_protocol_preferences");
  }
  if (get_prop(env, o, "caPem", &v, &t)) {
    if (p_s2n_config_wipe_trust_store(c->cfg) < 0) return throw_s2n(env, "s2n_config_wipe_trust_store");
    char *pem = get_string(env, v, NULL);
    int r = p_s2n_config_add_pem_to_trust_store(c->cfg, pem);
    free(pem);
    if (r < 0) return throw_s2n(env, "s2n_config_add_pem_to_trust_store");
  }
  if (get_prop(env, o, "clientAuth", &v, &t)) {
    int32_t mode = 0;
    napi_get_value_int32(env, v, &mode);
    if (p_s2n_config_set_client_auth_type(c->cfg, (s2n_cert_auth_type)mode) < 0) return throw_s2n(env, "s2n_config_set_client_auth_type");
  }
  bool flag = false;
  if (get_prop(env, o, "acceptAnyHost", &v, &t) && napi_get_value_bool(env, v, &flag) == napi_ok && flag) {
    if (p_s2n_config_set_verify_host_callback(c->cfg, accept_any_host, NULL) < 0) return throw_s2n(env, "s2n_config_set_verify_host_callback");
  }
  flag = false;
  if (get_prop(env, o, "disableVerify", &v, &t) && napi_get_value_bool(env, v, &flag) == napi_ok && flag) {
    if (p_s2n_config_disable_x509_verification(c->cfg) < 0) return throw_s2n(env, "s2n_config_disable_x509_verification");
  }
  if (get_prop(env, o, "keylog", &v, &t) && t == napi_function) {
    CHECK(napi_create_reference(env, v, 1, &c->keylog));
    if (p_s2n_config_set_key_log_cb(c->cfg, keylog_cb, c) < 0) return throw_s2n(env, "s2n_config_set_key_log_cb");
  }
  if (server) {
    bool tickets = false;
    if (get_prop(env, o, "ticketKeys", &v, &t)) {
      uint32_t n = 0;
      CHECK(napi_get_array_length(env, v, &n));
      if (n == 0) return throw_msg(env, "ticketKeys is empty");
      if (p_s2n_config_set_session_tickets_onoff(c->cfg, 1) < 0) return throw_s2n(env, "s2n_config_set_session_tickets_onoff");
      /*
       * s2n gives each key a window in which it encrypts and decrypts (from its introduction time,
       * 2 hours by default) and then one in which it only decrypts (13 hours), and picks among the
       * keys that may encrypt at random. Left so, a listener stops issuing tickets 2 hours after it
       * was compiled and stops resuming 13 hours later. Our keys live as long as the config (the
       * server recompiles on rotation), and "the first encrypts, the others only decrypt": so both
       * windows are TICKET_KEY_WINDOW_SECONDS, the first key starts its window now and the others
       * are introduced one window back, which leaves them decrypt-only for the config's life.
       */
      if (p_s2n_config_set_ticket_encrypt_decrypt_key_lifetime(c->cfg, TICKET_KEY_WINDOW_SECONDS) < 0 ||
          p_s2n_config_set_ticket_decrypt_key_lifetime(c->cfg, TICKET_KEY_WINDOW_SECONDS) < 0) {
        return throw_s2n(env, "s2n_config_set_ticket_*_key_lifetime");
      }
      uint64_t now = (uint64_t)time(NULL);
      for (uint32_t i = 0; i < n; i++) {
        napi_value k;
        uint8_t *data;
        size_t len;
        CHECK(napi_get_element(env, v, i, &k));
        if (napi_get_buffer_info(env, k, (void **)&data, &len) != napi_ok || len != 48) return throw_msg(env, "each ticket key must be a 48-byte Buffer");
        uint8_t key[32];
        memcpy(key, data + 16, 32);
        int r = p_s2n_config_add_ticket_crypto_key(c->cfg, data, 16, key, 32, i == 0 ? 0 : now - TICKET_KEY_WINDOW_SECONDS - 1);
        memset(key, 0, sizeof key);
        if (r < 0) return throw_s2n(env, "s2n_config_add_ticket_crypto_key");
      }
      tickets = true;
    }
    if (!tickets && p_s2n_config_set_session_tickets_onoff(c->cfg, 0) < 0) return throw_s2n(env, "s2n_config_set_session_tickets_onoff");
    if (p_s2n_config_set_client_hello_cb(c->cfg, client_hello_cb, NULL) < 0) return throw_s2n(env, "s2n_config_set_client_hello_cb");
    if (p_s2n_config_set_client_hello_cb_mode(c->cfg, S2N_CLIENT_HELLO_CB_NONBLOCKING) < 0) return throw_s2n(env, "s2n_config_set_client_hello_cb_mode");
    c->hello_cb = true;
  } else {
    /* sessionTickets: the client asks for tickets and hands each one it gets to the connection (connTakeSession). */
    bool tickets = false;
    if (get_prop(env, o, "sessionTickets", &v, &t)) napi_get_value_bool(env, v, &tickets);
    if (p_s2n_config_set_session_tickets_onoff(c->cfg, tickets ? 1 : 0) < 0) return throw_s2n(env, "s2n_config_set_session_tickets_onoff");
    if (tickets && p_s2n_config_set_session_ticket_cb(c->cfg, session_ticket_cb, NULL) < 0) return throw_s2n(env, "s2n_config_set_session_ticket_cb");
  }
  if (get_prop(env, o, "maxBlinding", &v, &t)) {
    uint32_t secs = 0;
    napi_get_value_uint32(env, v, &secs);
    if (p_s2n_config_set_max_blinding_delay(c->cfg, secs) < 0) return throw_s2n(env, "s2n_config_set_max_blinding_delay");
  }
  return result;
}

/* ---- connections ---- */
enum {
  ST_HANDSHAKE_DONE = 1,
  ST_HELLO = 2,
  ST_PEER_CLOSED = 4,
  ST_ERROR = 8,
  ST_OUTPUT = 16,
  ST_PLAINTEXT = 32,
  ST_SESSION = 64,
};

typedef struct {
  struct s2n_connection *conn;
  napi_ref cfg_ref, cfg2_ref;
  buf_t in, out, plain;
  const uint8_t *cur;
  size_t cur_len;
  char **names;
  int nnames;
  bool server, hs_done, hs_freed, hello_pending, peer_closed, failed;
  int err;
  /* Client: the latest session (ticket) s2n handed over, until connTakeSession. */
  uint8_t *session;
  size_t session_len;
  uint64_t bytes_out;
  /*
   * During a call from JavaScript: the arrays that records and plaintext go to, one Buffer
   * each (the one copy across N-API). Outside a call, or without arrays, the buffers above.
   */
  napi_env sink_env;
  napi_value out_arr, plain_arr;
  uint32_t out_n, plain_n;
  /* The blocks that output and plaintext of the call in progress collect in (NULL: none yet). */
  out_block_t out_blk;
  uint8_t *plain_blk;
  size_t out_blk_len, plain_blk_len;
} conn_t;

static int io_recv(void *ctx, uint8_t *buf, uint32_t len) {
  conn_t *c = ctx;
  size_t avail = c->in.len - c->in.off;
  if (avail > 0) {
    size_t n = avail < len ? avail : len;
    memcpy(buf, c->in.p + c->in.off, n);
    c->in.off += n;
    if (c->in.off == c->in.len) c->in.off = c->in.len = 0;
    return (int)n;
  }
  if (c->cur_len > 0) {
    size_t n = c->cur_len < len ? c->cur_len : len;
    memcpy(buf, c->cur, n);
    c->cur += n;
    c->cur_len -= n;
    return (int)n;
  }
  errno = EAGAIN;
  return -1;
}

static int io_send(void *ctx, const uint8_t *buf, uint32_t len) {
  conn_t *c = ctx;
  c->bytes_out += len;
  if (c->out_arr) {
    /* Into the call's block; a full block is handed over and the next one started. */
    size_t left = len;
    while (left > 0) {
      if (out_block_room(c->sink_env, &c->out_blk, &c->out_blk_len, c->out_arr, &c->out_n)) {
        errno = ENOMEM;
        return -1;
      }
      size_t room = BLOCK_SIZE - c->out_blk_len;
      size_t n = left < room ? left : room;
      memcpy(c->out_blk.data + c->out_blk_len, buf, n);
      c->out_blk_len += n;
      buf += n;
      left -= n;
    }
    return (int)len;
  }
  if (buf_append(&c->out, buf, len)) {
    errno = ENOMEM;
    return -1;
  }
  return (int)len;
}

static int client_hello_cb(struct s2n_connection *conn, void *ctx) {
  (void)ctx;
  conn_t *c = p_s2n_connection_get_ctx(conn);
  if (c) c->hello_pending = true;
  return 0;
}

static int session_ticket_cb(struct s2n_connection *conn, void *ctx, struct s2n_session_ticket *ticket) {
  (void)ctx;
  conn_t *c = p_s2n_connection_get_ctx(conn);
  size_t len = 0;
  if (!c || p_s2n_session_ticket_get_data_len(ticket, &len) < 0 || len == 0) return 0;
  uint8_t *data = malloc(len);
  if (!data) return 0;
  if (p_s2n_session_ticket_get_data(ticket, len, data) < 0) { free(data); return 0; }
  free(c->session);
  c->session = data;
  c->session_len = len;
  return 0;
}

static bool name_matches(const char *pattern, size_t plen, const char *name) {
  size_t nlen = strlen(name);
  if (plen == nlen && strncasecmp(pattern, name, plen) == 0) return true;
  /* A wildcard only as the whole left-most label, matching exactly one non-empty label. */
  if (plen > 2 && pattern[0] == '*' && pattern[1] == '.') {
    const char *dot = strchr(name, '.');
    if (!dot || dot == name) return false;
    size_t rest = nlen - (size_t)(dot - name);
    /* the remainder must itself have at least two labels: "*.com" does not match */
    if (memchr(pattern + 2, '.', plen - 2) == NULL) return false;
    return rest == plen - 1 && strncasecmp(pattern + 1, dot, rest) == 0;
  }
  return false;
}

static uint8_t verify_names(const char *host, size_t len, void *data) {
  conn_t *c = data;
  for (int i = 0; i < c->nnames; i++) {
    if (name_matches(host, len, c->names[i])) return 1;
  }
  return 0;
}

static void conn_release(napi_env env, conn_t *c) {
  if (c->conn) {
    p_s2n_connection_free(c->conn);
    c->conn = NULL;
  }
  buf_free(&c->in);
  buf_free(&c->out);
  buf_free(&c->plain);
  if (c->out_blk.data) { out_block_put(env, c->out_blk); c->out_blk.data = NULL; }
  if (c->plain_blk) { block_put(c->plain_blk); c->plain_blk = NULL; }
  free(c->session);
  c->session = NULL;
  c->session_len = 0;
  for (int i = 0; i < c->nnames; i++) free(c->names[i]);
  free(c->names);
  c->names = NULL;
  c->nnames = 0;
  if (c->cfg_ref) { napi_delete_reference(env, c->cfg_ref); c->cfg_ref = NULL; }
  if (c->cfg2_ref) { napi_delete_reference(env, c->cfg2_ref); c->cfg2_ref = NULL; }
}

static void conn_finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  conn_t *c = data;
  conn_release(env, c);
  free(c);
}

static conn_t *get_conn(napi_env env, napi_value v) {
  conn_t *c = NULL;
  if (napi_get_value_external(env, v, (void **)&c) != napi_ok || !c || !c->conn) {
    napi_throw_error(env, "S2N_ADDON", "the s2n connection is closed");
    return NULL;
  }
  return c;
}

/* connNew(config, server, sni|null, names[]|null, session|null) */
static napi_value conn_new(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5], result;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  cfg_t *cfg;
  CHECK(napi_get_value_external(env, argv[0], (void **)&cfg));
  bool server;
  CHECK(napi_get_value_bool(env, argv[1], &server));
  conn_t *c = calloc(1, sizeof *c);
  if (!c) return throw_msg(env, "out of memory");
  c->server = server;
  c->conn = p_s2n_connection_new(server ? S2N_SERVER : S2N_CLIENT);
  if (!c->conn) { free(c); return throw_s2n(env, "s2n_connection_new"); }
  if (napi_create_external(env, c, conn_finalize, NULL, &result) != napi_ok) { conn_finalize(env, c, NULL); return NULL; }
  CHECK(napi_create_reference(env, argv[0], 1, &c->cfg_ref));
  if (p_s2n_connection_set_config(c->conn, cfg->cfg) < 0) return throw_s2n(env, "s2n_connection_set_config");
  p_s2n_connection_set_ctx(c->conn, c);
  p_s2n_connection_set_send_cb(c->conn, io_send);
  p_s2n_connection_set_recv_cb(c->conn, io_recv);
  p_s2n_connection_set_send_ctx(c->conn, c);
  p_s2n_connection_set_recv_ctx(c->conn, c);
  if (p_s2n_connection_set_blinding(c->conn, S2N_SELF_SERVICE_BLINDING) < 0) return throw_s2n(env, "s2n_connection_set_blinding");
  p_s2n_connection_prefer_throughput(c->conn);
  napi_valuetype t;
  napi_typeof(env, argv[2], &t);
  if (argc > 2 && t == napi_string) {
    char *sni = get_string(env, argv[2], NULL);
    int r = p_s2n_set_server_name(c->conn, sni);
    free(sni);
    if (r < 0) return throw_s2n(env, "s2n_set_server_name");
  }
  if (argc > 3) {
    napi_typeof(env, argv[3], &t);
    if (t == napi_object) {
      uint32_t n = 0;
      napi_get_array_length(env, argv[3], &n);
      c->names = calloc(n ? n : 1, sizeof(char *));
      for (uint32_t i = 0; i < n; i++) {
        napi_value e;
        napi_get_element(env, argv[3], i, &e);
        c->names[c->nnames++] = get_string(env, e, NULL);
      }
      if (p_s2n_connection_set_verify_host_callback(c->conn, verify_names, c) < 0) return throw_s2n(env, "s2n_connection_set_verify_host_callback");
    }
  }
  if (argc > 4 && !server) {
    bool is_buffer = false;
    if (napi_is_buffer(env, argv[4], &is_buffer) == napi_ok && is_buffer) {
      void *data;
      size_t len;
      /* A session s2n refuses (expired, another config) just means a full handshake. */
      if (napi_get_buffer_info(env, argv[4], &data, &len) == napi_ok && len > 0) p_s2n_connection_set_session(c->conn, data, len);
    }
  }
  return result;
}

static int status_of(conn_t *c) {
  int s = 0;
  /* The negotiated version (s2n's number) in bits 8-15, once known. */
  if (c->hs_done) s |= (p_s2n_connection_get_actual_protocol_version(c->conn) & 0xff) << 8;
  if (c->hs_done) s |= ST_HANDSHAKE_DONE;
  if (c->hello_pending) s |= ST_HELLO;
  if (c->peer_closed) s |= ST_PEER_CLOSED;
  if (c->failed) s |= ST_ERROR;
  if (c->out.len > c->out.off) s |= ST_OUTPUT;
  if (c->plain.len > c->plain.off) s |= ST_PLAINTEXT;
  if (c->session) s |= ST_SESSION;
  return s;
}

static void fail(conn_t *c) {
  c->failed = true;
  c->err = s2n_err();
}

/* Runs the handshake, then reads application data until s2n would block. */
static void drive(conn_t *c) {
  s2n_blocked_status blocked;
  if (c->failed) return;
  if (!c->hs_done) {
    if (c->hello_pending) return;
    if (p_s2n_negotiate(c->conn, &blocked) < 0) {
      if (p_s2n_error_get_type(s2n_err()) == S2N_ERR_T_BLOCKED) return;
      fail(c);
      return;
    }
    c->hs_done = true;
  }
  while (!c->peer_closed) {
    ssize_t n;
    if (c->plain_arr) {
      /* Decrypted straight into the call's block (one record at most per s2n_recv); a full
       * block is handed over and the next one started. */
      if (block_room(c->sink_env, &c->plain_blk, &c->plain_blk_len, c->plain_arr, &c->plain_n)) {
        c->failed = true;
        return;
      }
      n = p_s2n_recv(c->conn, c->plain_blk + c->plain_blk_len, (ssize_t)(BLOCK_SIZE - c->plain_blk_len), &blocked);
      if (n > 0) {
        c->plain_blk_len += (size_t)n;
        continue;
      }
    } else {
      if (buf_reserve(&c->plain, 16384)) { c->failed = true; return; }
      n = p_s2n_recv(c->conn, c->plain.p + c->plain.len, (ssize_t)(c->plain.cap - c->plain.len), &blocked);
      if (n > 0) {
        c->plain.len += (size_t)n;
        continue;
      }
    }
    if (n == 0) {
      c->peer_closed = true;
      break;
    }
    int type = p_s2n_error_get_type(s2n_err());
    if (type == S2N_ERR_T_BLOCKED) break;
    /* Closed for reading (TLS 1.2 after a close_notify either way): the peer is done. */
    if (type == S2N_ERR_T_CLOSED) {
      c->peer_closed = true;
      break;
    }
    fail(c);
    break;
  }
}

/* Keeps what s2n did not read of the caller's buffer for the next call. */
static int keep_rest(conn_t *c) {
  int r = 0;
  if (c->cur_len > 0) r = buf_append(&c->in, c->cur, c->cur_len);
  c->cur = NULL;
  c->cur_len = 0;
  return r;
}

/* Points the connection's output (and plaintext) at the caller's arrays for this call. */
static void sink_open(napi_env env, conn_t *c, napi_value out_arr, napi_value plain_arr) {
  c->sink_env = env;
  c->out_arr = out_arr;
  c->plain_arr = plain_arr;
  c->out_n = c->plain_n = 0;
  if (out_arr) napi_get_array_length(env, out_arr, &c->out_n);
  if (plain_arr) napi_get_array_length(env, plain_arr, &c->plain_n);
}

/* Hands over what the call collected (one Buffer per block) and detaches the arrays. */
static void sink_close(conn_t *c) {
  if (c->out_blk.data && out_block_emit(c->sink_env, &c->out_blk, c->out_blk_len, c->out_arr, &c->out_n)) c->failed = true;
  if (block_flush(c->sink_env, &c->plain_blk, c->plain_blk_len, c->plain_arr, &c->plain_n)) c->failed = true;
  c->sink_env = NULL;
  c->out_arr = c->plain_arr = NULL;
}

static napi_value array_arg(napi_env env, size_t argc, napi_value *argv, size_t i) {
  bool is_array = false;
  if (i < argc && napi_is_array(env, argv[i], &is_array) == napi_ok && is_array) return argv[i];
  return NULL;
}

static napi_value status_value(napi_env env, conn_t *c) {
  napi_value v;
  napi_create_int32(env, status_of(c), &v);
  return v;
}

/*
 * An idle connection (all input read, all plaintext handed over) keeps no I/O buffers: s2n's
 * record buffers (s2n_connection_release_buffers refuses while they hold data) and ours.
 * The first time, it also drops what only the handshake needed (the transcript hashes, the
 * initial crypto parameters, the handshake message buffer, the raw ClientHello): s2n keeps
 * them for the connection's life unless asked (s2n.h, s2n_connection_free_handshake): about
 * 6 KiB of RSS per idle connection in the bench. Nothing read after the handshake (digest,
 * session, NewSessionTicket; by s2n's source also KeyUpdate's secrets) lives there, and the
 * handshake buffer it shrinks stays growable.
 */
static void release_if_idle(conn_t *c) {
  if (!c->hs_done || c->failed || c->in.len > c->in.off) return;
  if (!c->hs_freed) {
    c->hs_freed = true;
    p_s2n_connection_free_handshake(c->conn);
  }
  p_s2n_connection_release_buffers(c->conn);
  if (c->in.cap > 0 && c->in.len == c->in.off) buf_free(&c->in);
}

/* connFeed(conn, data|null, outArray?, plaintextArray?) → status; records and plaintext are appended to the arrays */
static napi_value conn_feed(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  conn_t *c = get_conn(env, argv[0]);
  if (!c) return NULL;
  current_env = env;
  sink_open(env, c, array_arg(env, argc, argv, 2), array_arg(env, argc, argv, 3));
  napi_valuetype t = napi_undefined;
  if (argc > 1) napi_typeof(env, argv[1], &t);
  if (t == napi_object) {
    void *data;
    size_t len;
    if (napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok) data = NULL, len = 0;
    if (c->in.len > c->in.off) {
      if (buf_append(&c->in, data, len)) c->failed = true;
    } else {
      c->cur = data;
      c->cur_len = len;
    }
  }
  drive(c);
  if (keep_rest(c)) c->failed = true;
  release_if_idle(c);
  sink_close(c);
  current_env = NULL;
  return status_value(env, c);
}

/* Encrypts `count` buffers as one stream: records span the buffers' boundaries. */
static void send_iov(conn_t *c, struct iovec *iov, size_t count, size_t total) {
  size_t done = 0;
  while (done < total && !c->failed) {
    s2n_blocked_status blocked;
    ssize_t n = count == 1
      ? p_s2n_send(c->conn, (uint8_t *)iov[0].iov_base + done, (ssize_t)(total - done), &blocked)
      : p_s2n_sendv_with_offset(c->conn, iov, (ssize_t)count, (ssize_t)done, &blocked);
    if (n < 0) {
      fail(c);
      break;
    }
    done += (size_t)n;
  }
}

#define MAX_IOV 64

/*
 * connSend(conn, data | data[], outArray?) → status. An array (a batch of writes) is encrypted
 * as one stream, so small writes share records instead of each costing one.
 */
static napi_value conn_send(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  conn_t *c = get_conn(env, argv[0]);
  if (!c) return NULL;
  struct iovec iov[MAX_IOV];
  size_t count = 0, total = 0;
  bool is_array = false;
  napi_is_array(env, argv[1], &is_array);
  uint32_t items = 1;
  if (is_array) CHECK(napi_get_array_length(env, argv[1], &items));
  current_env = env;
  sink_open(env, c, array_arg(env, argc, argv, 2), NULL);
  size_t all = 0;
  for (uint32_t i = 0; i < items && !c->failed; i++) {
    napi_value item = argv[1];
    void *data;
    size_t len;
    if (is_array && napi_get_element(env, argv[1], i, &item) != napi_ok) break;
    if (napi_get_buffer_info(env, item, &data, &len) != napi_ok) {
      sink_close(c);
      current_env = NULL;
      return throw_msg(env, "connSend takes a Buffer or an array of Buffers");
    }
    if (len == 0) continue;
    iov[count].iov_base = data;
    iov[count].iov_len = len;
    count++;
    total += len;
    all += len;
    if (count == MAX_IOV) {
      send_iov(c, iov, count, total);
      count = total = 0;
    }
  }
  if (count > 0) send_iov(c, iov, count, total);
  /* After a small write (a response head, a short reply) the connection may well go idle: keep
   * no buffers. Bulk writes keep s2n's, which it would otherwise free (and wipe) and allocate
   * again for every write. */
  if (!c->failed && all <= 4096) p_s2n_connection_release_buffers(c->conn);
  sink_close(c);
  current_env = NULL;
  return status_value(env, c);
}

/* connShutdown(conn, outArray?) → 0, or the s2n error number */
static napi_value conn_shutdown(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], v;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  conn_t *c = get_conn(env, argv[0]);
  if (!c) return NULL;
  s2n_blocked_status blocked;
  sink_open(env, c, array_arg(env, argc, argv, 1), NULL);
  int r = p_s2n_shutdown_send(c->conn, &blocked);
  sink_close(c);
  int e = 0;
  if (r < 0) {
    e = s2n_err();
    if (p_s2n_error_get_type(e) == S2N_ERR_T_BLOCKED) e = 0;
  }
  napi_create_int32(env, e, &v);
  return v;
}

/* connHelloDone(conn, config|null, outArray?, plaintextArray?) → status: resumes a handshake paused in the client-hello callback. */
static napi_value conn_hello_done(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  conn_t *c = get_conn(env, argv[0]);
  if (!c) return NULL;
  c->hello_pending = false;
  if (p_s2n_client_hello_cb_done(c->conn) < 0) {
    fail(c);
    return status_value(env, c);
  }
  napi_valuetype t = napi_undefined;
  if (argc > 1) napi_typeof(env, argv[1], &t);
  if (t == napi_external) {
    cfg_t *cfg;
    CHECK(napi_get_value_external(env, argv[1], (void **)&cfg));
    if (c->cfg2_ref) napi_delete_reference(env, c->cfg2_ref);
    CHECK(napi_create_reference(env, argv[1], 1, &c->cfg2_ref));
    p_s2n_connection_server_name_extension_used(c->conn);
    if (p_s2n_connection_set_config(c->conn, cfg->cfg) < 0) {
      fail(c);
      return status_value(env, c);
    }
  }
  current_env = env;
  sink_open(env, c, array_arg(env, argc, argv, 2), array_arg(env, argc, argv, 3));
  drive(c);
  if (keep_rest(c)) c->failed = true;
  sink_close(c);
  current_env = NULL;
  return status_value(env, c);
}

/* Hands over a buffer's unread bytes as a new Buffer (the one copy out), or null. */
static napi_value take(napi_env env, buf_t *b) {
  napi_value v;
  size_t n = b->len - b->off;
  if (n == 0) {
    napi_get_null(env, &v);
    return v;
  }
  CHECK(napi_create_buffer_copy(env, n, b->p + b->off, NULL, &v));
  b->off = b->len = 0;
  return v;
}

static napi_value conn_take_output(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  conn_t *c = NULL;
  CHECK(napi_get_value_external(env, argv[0], (void **)&c));
  napi_value v = take(env, &c->out);
  buf_free(&c->out);
  return v;
}

static napi_value conn_take_plaintext(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  conn_t *c = NULL;
  CHECK(napi_get_value_external(env, argv[0], (void **)&c));
  napi_value v = take(env, &c->plain);
  /* Not kept for an idle connection; malloc hands a bulk reader the same block back. */
  buf_free(&c->plain);
  return v;
}

/* connTakeSession(conn) → the latest session ticket s2n handed over (a Buffer), or null */
static napi_value conn_take_session(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], v;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  conn_t *c = get_conn(env, argv[0]);
  if (!c) return NULL;
  if (!c->session) {
    napi_get_null(env, &v);
    return v;
  }
  CHECK(napi_create_buffer_copy(env, c->session_len, c->session, NULL, &v));
  free(c->session);
  c->session = NULL;
  c->session_len = 0;
  return v;
}

static napi_value str_or_null(napi_env env, const char *s) {
  napi_value v;
  if (s) napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  else napi_get_null(env, &v);
  return v;
}

static napi_value int_value(napi_env env, int64_t i) {
  napi_value v;
  napi_create_int64(env, i, &v);
  return v;
}

/* connError(conn) → [name, message, type, receivedAlert, delayNs, alertForTheError|-1, bytesWrittenSoFar] */
static napi_value conn_error(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], arr;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  conn_t *c = get_conn(env, argv[0]);
  if (!c) return NULL;
  CHECK(napi_create_array_with_length(env, 7, &arr));
  napi_set_element(env, arr, 0, str_or_null(env, p_s2n_strerror_name(c->err)));
  napi_set_element(env, arr, 1, str_or_null(env, p_s2n_strerror(c->err, "EN")));
  napi_set_element(env, arr, 2, int_value(env, p_s2n_error_get_type(c->err)));
  napi_set_element(env, arr, 3, int_value(env, p_s2n_connection_get_alert(c->conn)));
  napi_set_element(env, arr, 4, int_value(env, (int64_t)p_s2n_connection_get_delay(c->conn)));
  uint8_t alert = 0;
  napi_set_element(env, arr, 5, int_value(env, p_s2n_error_get_alert(c->err, &alert) == 0 ? alert : -1));
  napi_set_element(env, arr, 6, int_value(env, (int64_t)c->bytes_out));
  return arr;
}

static napi_value conn_delay(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  conn_t *c = get_conn(env, argv[0]);
  if (!c) return NULL;
  return int_value(env, (int64_t)p_s2n_connection_get_delay(c->conn));
}

/* connHello(conn) → [serverName|null, alpnExtension|null, supportedVersionsExtension|null, legacyVersion] */
static napi_value conn_hello(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], arr, v;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  conn_t *c = get_conn(env, argv[0]);
  if (!c) return NULL;
  struct s2n_client_hello *ch = p_s2n_connection_get_client_hello(c->conn);
  CHECK(napi_create_array_with_length(env, 4, &arr));
  napi_get_null(env, &v);
  if (ch) {
    uint16_t len = 0;
    if (p_s2n_client_hello_get_server_name_length(ch, &len) == 0 && len > 0) {
      uint8_t name[256];
      uint16_t out = 0;
      if (len <= sizeof name && p_s2n_client_hello_get_server_name(ch, name, sizeof name, &out) == 0) {
        napi_create_string_latin1(env, (const char *)name, out, &v);
      }
    }
  }
  napi_set_element(env, arr, 0, v);
  napi_get_null(env, &v);
  if (ch) {
    ssize_t len = p_s2n_client_hello_get_extension_length(ch, S2N_EXTENSION_ALPN);
    if (len > 0) {
      void *data;
      if (napi_create_buffer(env, (size_t)len, &data, &v) == napi_ok) {
        ssize_t got = p_s2n_client_hello_get_extension_by_id(ch, S2N_EXTENSION_ALPN, data, (uint32_t)len);
        if (got != len) napi_get_null(env, &v);
      }
    }
  }
  napi_set_element(env, arr, 1, v);
  napi_get_null(env, &v);
  if (ch) {
    ssize_t len = p_s2n_client_hello_get_extension_length(ch, S2N_EXTENSION_SUPPORTED_VERSIONS);
    if (len > 0) {
      void *data;
      if (napi_create_buffer(env, (size_t)len, &data, &v) == napi_ok) {
        ssize_t got = p_s2n_client_hello_get_extension_by_id(ch, S2N_EXTENSION_SUPPORTED_VERSIONS, data, (uint32_t)len);
        if (got != len) napi_get_null(env, &v);
      }
    }
  }
  napi_set_element(env, arr, 2, v);
  uint8_t legacy = 0;
  if (ch) p_s2n_client_hello_get_legacy_protocol_version(ch, &legacy);
  napi_set_element(env, arr, 3, int_value(env, legacy));
  return arr;
}

/* connInfo(conn) → [version, cipherIana, group, sni, alpn, resumed, peerLeafDer|null] */
static napi_value conn_info(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], arr, v;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  conn_t *c = get_conn(env, argv[0]);
  if (!c) return NULL;
  CHECK(napi_create_array_with_length(env, 7, &arr));
  napi_set_element(env, arr, 0, int_value(env, p_s2n_connection_get_actual_protocol_version(c->conn)));
  uint8_t hi = 0, lo = 0;
  p_s2n_connection_get_cipher_iana_value(c->conn, &hi, &lo);
  napi_set_element(env, arr, 1, int_value(env, (hi << 8) | lo));
  const char *group = NULL;
  if (p_s2n_connection_get_key_exchange_group(c->conn, &group) < 0) group = NULL;
  if (!group || !*group || strcmp(group, "NONE") == 0) group = p_s2n_connection_get_curve(c->conn);
  napi_set_element(env, arr, 2, str_or_null(env, group));
  napi_set_element(env, arr, 3, str_or_null(env, p_s2n_get_server_name(c->conn)));
  napi_set_element(env, arr, 4, str_or_null(env, p_s2n_get_application_protocol(c->conn)));
  napi_get_boolean(env, p_s2n_connection_is_session_resumed(c->conn) == 1, &v);
  napi_set_element(env, arr, 5, v);
  napi_get_null(env, &v);
  struct s2n_cert_chain_and_key *chain = p_s2n_cert_chain_and_key_new();
  if (chain) {
    uint32_t n = 0;
    struct s2n_cert *cert = NULL;
    const uint8_t *der = NULL;
    uint32_t der_len = 0;
    if (p_s2n_connection_get_peer_cert_chain(c->conn, chain) == 0 && p_s2n_cert_chain_get_length(chain, &n) == 0 && n > 0 &&
        p_s2n_cert_chain_get_cert(chain, &cert, 0) == 0 && p_s2n_cert_get_der(cert, &der, &der_len) == 0) {
      napi_create_buffer_copy(env, der_len, der, NULL, &v);
    }
    p_s2n_cert_chain_and_key_free(chain);
  }
  napi_set_element(env, arr, 6, v);
  return arr;
}

static napi_value conn_free(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  conn_t *c = NULL;
  CHECK(napi_get_value_external(env, argv[0], (void **)&c));
  if (c) conn_release(env, c);
  return NULL;
}

/*
 * load(path) → null, or a message naming what failed. `path` is aws-crt's binary, which Node
 * must already have loaded (require('aws-crt/dist/native/binding')).
 */
static napi_value load(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], v;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char *path = get_string(env, argv[0], NULL);
  void *h = path ? dlopen(path, RTLD_NOW | RTLD_NOLOAD) : NULL;
  free(path);
  char msg[512];
  if (!h) {
    snprintf(msg, sizeof msg, "aws-crt's binary is not loaded in this process (%s)", dlerror());
    napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &v);
    return v;
  }
  /* The reference this dlopen took is kept: Node never unloads the binary anyway. */
  /* load(path, name): also require `name` (the test of the missing-function path). */
  napi_valuetype t = napi_undefined;
  if (argc > 1) napi_typeof(env, argv[1], &t);
  if (t == napi_string) {
    char *extra = get_string(env, argv[1], NULL);
    void *sym = extra ? dlsym(h, extra) : NULL;
    if (!sym) {
      snprintf(msg, sizeof msg, "function %s is missing", extra ? extra : "?");
      free(extra);
      napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &v);
      return v;
    }
    free(extra);
  }
  if (loaded) {
    napi_get_null(env, &v);
    return v;
  }
  void **slots[] = {
#define SLOT(ret, name, args) (void **)&p_##name,
    S2N_FUNCTIONS(SLOT)
#undef SLOT
  };
  for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++) {
    void *sym = dlsym(h, function_names[i]);
    if (!sym) {
      snprintf(msg, sizeof msg, "function %s is missing", function_names[i]);
      napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &v);
      return v;
    }
    *slots[i] = sym;
  }
  /* aws-crt has already initialised s2n; S2N_ERR_INITIALIZED here is expected. */
  p_s2n_init();
  loaded = true;
  napi_get_null(env, &v);
  return v;
}

/* functionNames() → the s2n functions this addon needs, for the test against the pinned binary. */
static napi_value function_list(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value arr, v;
  size_t n = sizeof function_names / sizeof function_names[0];
  CHECK(napi_create_array_with_length(env, n, &arr));
  for (size_t i = 0; i < n; i++) {
    napi_create_string_utf8(env, function_names[i], NAPI_AUTO_LENGTH, &v);
    napi_set_element(env, arr, (uint32_t)i, v);
  }
  return arr;
}

static int shifted_wall_clock(void *ctx, uint64_t *nanoseconds) {
  const cfg_t *c = ctx;
  struct timespec now;
  if (clock_gettime(CLOCK_REALTIME, &now) < 0) return -1;
  *nanoseconds = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec + (uint64_t)c->clock_shift_ns;
  return 0;
}

/* configShiftClockForTests(config, seconds): s2n sees this config's wall clock moved by
 * `seconds` (ticket key windows, ticket ages). Tests only: a config in service keeps the real clock. */
static napi_value config_shift_clock(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  cfg_t *c = NULL;
  double seconds = 0;
  if (argc < 2 || napi_get_value_external(env, argv[0], (void **)&c) != napi_ok || !c ||
      napi_get_value_double(env, argv[1], &seconds) != napi_ok) return throw_msg(env, "configShiftClockForTests(config, seconds)");
  c->clock_shift_ns = (int64_t)(seconds * 1e9);
  if (p_s2n_config_set_wall_clock(c->cfg, shifted_wall_clock, c) < 0) return throw_s2n(env, "s2n_config_set_wall_clock");
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "load", NULL, load, NULL, NULL, NULL, napi_default, NULL },
    { "functionNames", NULL, function_list, NULL, NULL, NULL, napi_default, NULL },
    { "configNew", NULL, config_new, NULL, NULL, NULL, napi_default, NULL },
    { "configShiftClockForTests", NULL, config_shift_clock, NULL, NULL, NULL, napi_default, NULL },
    { "connNew", NULL, conn_new, NULL, NULL, NULL, napi_default, NULL },
    { "connFeed", NULL, conn_feed, NULL, NULL, NULL, napi_default, NULL },
    { "connSend", NULL, conn_send, NULL, NULL, NULL, napi_default, NULL },
    { "connShutdown", NULL, conn_shutdown, NULL, NULL, NULL, napi_default, NULL },
    { "connHelloDone", NULL, conn_hello_done, NULL, NULL, NULL, napi_default, NULL },
    { "connTakeOutput", NULL, conn_take_output, NULL, NULL, NULL, napi_default, NULL },
    { "connTakePlaintext", NULL, conn_take_plaintext, NULL, NULL, NULL, napi_default, NULL },
    { "connError", NULL, conn_error, NULL, NULL, NULL, napi_default, NULL },
    { "connDelay", NULL, conn_delay, NULL, NULL, NULL, napi_default, NULL },
    { "connHello", NULL, conn_hello, NULL, NULL, NULL, napi_default, NULL },
    { "connInfo", NULL, conn_info, NULL, NULL, NULL, napi_default, NULL },
    { "connTakeSession", NULL, conn_take_session, NULL, NULL, NULL, napi_default, NULL },
    { "connFree", NULL, conn_free, NULL, NULL, NULL, napi_default, NULL },
    { "connReleaseOutput", NULL, conn_release_output, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
