#!/bin/sh
# Adds a MiniDebugInfo section to a copy of a binary, the way Fedora's
# find-debuginfo does for its packages (steps written for stackfire's tests):
#   1. the function symbols of the full binary that .dynsym does not list;
#   2. the binary's debug file (objcopy --only-keep-debug: section contents
#      gone), then stripped of everything but those symbols: a small ELF
#      whose .symtab is all that is worth anything;
#   3. that copy compressed with xz;
#   4. the binary stripped of everything, then the xz data added as the
#      section .gnu_debugdata.
# Usage: make_minidebuginfo.sh FULL_BINARY OUTPUT
set -eu
full=$1
out=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
nm --defined-only --format=posix "$full" | awk '$2 == "T" || $2 == "t" { print $1 }' |
  sort -u > "$work/functions"
nm --dynamic --defined-only --format=posix "$full" | awk '{ print $1 }' | sort -u > "$work/dynamic"
comm -23 "$work/functions" "$work/dynamic" > "$work/keep"
objcopy --only-keep-debug "$full" "$work/debug"
objcopy --strip-all --keep-symbols="$work/keep" --remove-section=.comment \
  --remove-section=.gnu_debuglink "$work/debug" "$work/mini"
xz --format=xz --check=crc64 -c "$work/mini" > "$work/mini.xz"
objcopy --strip-all "$full" "$work/stripped"
objcopy --add-section .gnu_debugdata="$work/mini.xz" "$work/stripped" "$out"
