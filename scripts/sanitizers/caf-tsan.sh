#!/usr/bin/env bash
# caf-tsan.sh DIR: builds the CAF that Debian installed (libcaf-dev), from Debian's own source
# package, with ThreadSanitizer, and installs it into DIR (headers in DIR/include, libraries in
# DIR/lib). ThreadSanitizer sees only the synchronization of instrumented code: against
# Debian's uninstrumented libcaf_core every message between actors (handed over by CAF's
# lock-free mailboxes) looks like a data race. scripts/test.sh --thread links against this CAF.
set -euo pipefail
dir="$(realpath -m "${1:?usage: caf-tsan.sh DIR}")"
if [ -f "$dir/lib/libcaf_core.so" ]; then
  echo "caf-tsan: $dir has CAF built with ThreadSanitizer"
  exit 0
fi
source_name="$(dpkg-query -W -f='${source:Package}' libcaf-dev)"
version="$(dpkg-query -W -f='${source:Version}' libcaf-dev)"
upstream="${version%-*}"
pool="http://deb.debian.org/debian/pool/main/${source_name:0:1}/$source_name"
work="$dir.src"
rm -rf "$work"
mkdir -p "$work"
cd "$work"
dsc="${source_name}_${version}.dsc"
curl -fsS -o "$dsc" "$pool/$dsc"
# Every file the .dsc lists, checked against its SHA-256. The upstream tarball is required;
# Debian's patches (packaging and build fixes) are applied when the mirror serves them.
awk '/^Checksums-Sha256:/{on=1; next} /^[^ ]/{on=0} on && NF==3 {print $1, $3}' "$dsc" |
  while read -r sum file; do
    if ! curl -fsS -o "$file" "$pool/$file"; then
      case "$file" in
        *.orig.tar.*) echo "caf-tsan: cannot fetch $pool/$file" >&2; exit 1 ;;
        *) echo "caf-tsan: $file is not on the mirror; building without Debian's patches" >&2
           rm -f "$file"; continue ;;
      esac
    fi
    echo "$sum  $file" | sha256sum -c --quiet -
  done
tar xzf "${source_name}_${upstream}.orig.tar.gz"
src="$(find . -maxdepth 1 -type d -name 'actor-framework*' | head -1)"
# Debian's headers as installed (libcaf-dev) replace upstream's: they carry Debian's fixes
# (GCC 12 needs <limits> in receive_buffer.hpp) even when its patches cannot be fetched, and
# they are the very headers hogar compiles against everywhere else.
(cd /usr/include && find caf -name '*.hpp' ! -path 'caf/detail/build_config.hpp') |
  while read -r header; do
    for lib in "$src"/libcaf_*; do
      if [ -f "$lib/$header" ]; then cp "/usr/include/$header" "$lib/$header"; fi
    done
  done
if ls "${source_name}_${version}".debian.tar.* >/dev/null 2>&1; then
  tar xf "${source_name}_${version}".debian.tar.* -C "$src"
  if [ -f "$src/debian/patches/series" ]; then
    while read -r patch; do
      [ -z "$patch" ] || [ "${patch:0:1}" = "#" ] && continue
      patch -d "$src" -p1 --quiet < "$src/debian/patches/$patch"
    done < "$src/debian/patches/series"
  fi
fi
generator=()
if command -v ninja >/dev/null; then generator=(-G Ninja); fi
cmake -S "$src" -B "$work/build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_INSTALL_PREFIX="$dir" -DCMAKE_INSTALL_LIBDIR=lib \
  -DCMAKE_CXX_FLAGS="-fsanitize=thread -fno-omit-frame-pointer" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=thread" \
  -DCAF_NO_EXAMPLES=ON -DCAF_NO_UNIT_TESTS=ON -DCAF_NO_TOOLS=ON -DCAF_NO_PYTHON=ON \
  -DCAF_NO_OPENCL=ON -DCAF_NO_BENCHMARKS=ON
cmake --build "$work/build" -j "$(nproc)"
cmake --install "$work/build"
rm -rf "$work"
echo "caf-tsan: CAF $upstream with ThreadSanitizer in $dir"
