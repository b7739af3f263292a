#!/usr/bin/env bash
# Builds BoringSSL statically (libcrypto.a + libssl.a) from Debian's source package
# android-platform-external-boringssl into <repo>/.cache/boringssl/<debian-version>/.
# No BoringSSL source is committed; apt gets a private configuration in the cache folder,
# the system's apt sources are left alone. Reruns with the archives present do nothing.
# Exit status is non-zero on failure; tools/setup.sh warns and continues then.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
pkg=android-platform-external-boringssl
version="${BORINGSSL_DEBIAN_VERSION:-13.0.0+r24-2}"
base="$root/.cache/boringssl"
out="$base/$version"
if [[ -f "$out/lib/libssl.a" && -f "$out/lib/libcrypto.a" && -d "$out/include/openssl" ]]; then
  echo "boringssl: $pkg $version already built in $out"
  exit 0
fi
for tool in apt-get tar cmake cc c++; do
  command -v "$tool" >/dev/null || { echo "boringssl: $tool is missing" >&2; exit 1; }
done
generator=(); command -v ninja >/dev/null && generator=(-G Ninja)

apt="$base/apt"
mkdir -p "$apt/sources.d" "$apt/lists/partial" "$apt/cache/archives/partial" "$base/src"
cat > "$apt/sources.d/debian-src.sources" <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
: > "$apt/sources.list"
aptopts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o "Dir::Etc::SourceParts=$apt/sources.d"
  -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o "Debug::NoLocking=1"
  -o "APT::Sandbox::User=root")
if ! ls "$base/src/${pkg}_"*".orig.tar.xz" >/dev/null 2>&1; then
  echo "boringssl: fetching Debian source $pkg=$version"
  apt-get "${aptopts[@]}" -qq update
  (cd "$base/src" && apt-get "${aptopts[@]}" -qq source --download-only "$pkg=$version")
fi
orig="$(ls "$base/src/${pkg}_"*".orig.tar.xz" | head -n1)"
work="$base/work-$version"
rm -rf "$work"; mkdir -p "$work"
tar -xJf "$orig" -C "$work"
tree="$(dirname "$(find "$work" -maxdepth 3 -name android-sources.cmake | head -n1)")"
[[ -f "$tree/android-sources.cmake" ]] || { echo "boringssl: android-sources.cmake not found" >&2; exit 1; }

# Our own small CMake project over the generated source list (upstream's needs Go).
cat > "$work/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.13)
project(boringssl_static C CXX)
set(BORINGSSL_ROOT "$tree/")
include("$tree/android-sources.cmake")
set(CMAKE_C_STANDARD 11)
set(CMAKE_CXX_STANDARD 14)
set(CMAKE_POSITION_INDEPENDENT_CODE ON)
add_compile_options(-fvisibility=hidden -O2 -w)
add_compile_definitions(BORINGSSL_IMPLEMENTATION)
set(CMAKE_CXX_FLAGS "\${CMAKE_CXX_FLAGS} -fno-exceptions -fno-rtti")
include_directories("$tree/src/include")
enable_language(ASM)
add_library(crypto STATIC \${crypto_sources} \${crypto_sources_linux_x86_64})
add_library(ssl STATIC \${ssl_sources})
CM
echo "boringssl: compiling (about 2 minutes on 2 cores)"
cmake -S "$work" -B "$work/build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/build" -j "${BORINGSSL_JOBS:-2}" >/dev/null
mkdir -p "$out.tmp/lib"
cp "$work/build/libcrypto.a" "$work/build/libssl.a" "$out.tmp/lib/"
cp -r "$tree/src/include" "$out.tmp/include"
echo "$pkg $version" > "$out.tmp/VERSION"
rm -rf "$out"; mv "$out.tmp" "$out"
rm -rf "$work"
echo "boringssl: built $out"
