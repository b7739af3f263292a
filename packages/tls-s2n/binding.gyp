{
  "targets": [
    {
      "target_name": "proxy_s2n",
      "sources": ["native/s2n_addon.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-fvisibility=hidden"],
      "libraries": ["-ldl"]
    }
  ]
}
