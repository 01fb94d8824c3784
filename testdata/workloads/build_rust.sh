#!/usr/bin/env bash
# Builds the Rust workload (record_rust.rs) once per compiler and mangling,
# for the Rust naming tests (tests/symbolize/rust_names_test.cc,
# tests/record/record_rust_test.cc):
#
#   rust163_legacy  Debian's rustc 1.63 (/usr/bin/rustc), legacy mangling
#   rust163_v0      the same with -C symbol-mangling-version=v0 (its std
#                   stays legacy-mangled: Debian ships it prebuilt)
#   rust_up_legacy  rustup's rustc ($RUSTUP_RUSTC, default
#   rust_up_v0      /root/.cargo/bin/rustc), when the machine has one; its
#                   std is v0-mangled
#
# each with: --edition 2021 --crate-name prog -C opt-level=2 -g
# -C force-frame-pointers=no. Writes MANIFEST with one line per variant,
# "LABEL PATH RUSTC VERSION", and "# skipped LABEL: why" for a compiler that
# is missing (the tests say so). Never fails for a missing compiler; a
# compiler that is there and fails fails the build.
#
#   build_rust.sh OUTDIR SOURCE MANIFEST
set -euo pipefail
outdir=$(realpath "$1") src=$(realpath "$2") manifest=$3
debian_rustc=${DEBIAN_RUSTC:-/usr/bin/rustc}
rustup_rustc=${RUSTUP_RUSTC:-/root/.cargo/bin/rustc}
flags=(--edition 2021 --crate-name prog -C opt-level=2 -g -C force-frame-pointers=no)

tmp=$(mktemp "$manifest.XXXXXX")
trap 'rm -f "$tmp"' EXIT
for compiler in debian rustup; do
  if [ "$compiler" = debian ]; then rustc=$debian_rustc prefix=rust163; else rustc=$rustup_rustc prefix=rust_up; fi
  if [ ! -x "$rustc" ]; then
    echo "# skipped ${prefix}_legacy ${prefix}_v0: $rustc not found" >>"$tmp"
    continue
  fi
  version=$("$rustc" --version | awk '{print $2}')
  for mangling in legacy v0; do
    extra=()
    [ "$mangling" = v0 ] && extra=(-C symbol-mangling-version=v0)
    out="$outdir/${prefix}_$mangling"
    (cd "$outdir" && "$rustc" "${flags[@]}" "${extra[@]}" "$src" -o "$out")
    echo "${prefix}_$mangling $out $rustc $version" >>"$tmp"
  done
done
mv "$tmp" "$manifest"
trap - EXIT
