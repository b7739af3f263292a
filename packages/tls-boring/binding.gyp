{
  # BoringSSL is linked statically from the archives tools/setup.sh builds from Debian's
  # source package (.cache/boringssl/<debian-version>/); scripts/install.mjs runs this only
  # when they are there.
  "variables": {
    "boringssl_dir%": "<!(node scripts/boringssl-dir.mjs)",
    "boringssl_debian_version%": "<!(node scripts/boringssl-dir.mjs --version)"
  },
  "targets": [
    {
      # The BoringSSL-facing C, with BoringSSL's headers only: node-gyp puts Node's own
      # OpenSSL 3 headers first on every target's include path, and they must not be seen here.
      "target_name": "boring_glue",
      "type": "static_library",
      "sources": ["native/glue.c"],
      "include_dirs!": [
        "<(node_root_dir)/include/node",
        "<(node_root_dir)/src",
        "<(node_root_dir)/deps/openssl/config",
        "<(node_root_dir)/deps/openssl/openssl/include",
        "<(node_root_dir)/deps/uv/include",
        "<(node_root_dir)/deps/zlib",
        "<(node_root_dir)/deps/v8/include"
      ],
      "include_dirs": ["<(boringssl_dir)/include"],
      "defines!": ["OPENSSL_NO_PINSHARED", "OPENSSL_THREADS"],
      "cflags": ["-fPIC", "-fvisibility=hidden", "-O2"]
    },
    {
      "target_name": "tls_boring",
      "sources": ["native/addon.c"],
      "dependencies": ["boring_glue"],
      "defines": ["BORINGSSL_DEBIAN_VERSION=\"<(boringssl_debian_version)\""],
      "cflags": ["-fvisibility=hidden", "-O2"],
      "libraries": [
        "<(boringssl_dir)/lib/libssl.a",
        "<(boringssl_dir)/lib/libcrypto.a",
        "-lpthread"
      ],
      # BoringSSL stays private to the addon: no OpenSSL-named symbol is exported (Node's own
      # OpenSSL 3 lives in the same process).
      "ldflags": ["-Wl,--exclude-libs,ALL", "-Wl,-z,now"]
    }
  ]
}
