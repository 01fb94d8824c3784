// The fast path of `stackfire collapse`: reads one stack line of the common
// form, "<blanks>PC FUNC (MODULE)\n", in a single pass over its bytes.
//
// The general path finds the line's end with memchr, then MatchStackLine
// walks it again (and backwards), then AppendFrames scans the name a third
// time for the bytes that need clean-up. ScanStackLine does all three at once:
// 16 bytes at a time, it stops only on the bytes that matter ('\n', ';',
// quotes, and '"' to '-', which holds '(' ')' '+' '-'), and it tracks the
// last " (" and the last ')' exactly as the greedy regex of the script picks
// them.
//
// Contract: when ScanStackLine returns a value, `line` is exactly what
// MatchStackLine gives for the same line (without its '\n' and one '\r'
// before it), and `plain` says that AppendFrames would copy line.rawfunc
// unchanged in a non-Java process without --kernel/--jit (no "+0x" offset,
// no "->", ';', '(' or quotes, not "[unknown]"). It returns nullopt whenever
// the line is not of that form, is not whole within [p, end), or is longer
// than `limit` bytes: the caller must then take the general path, which
// decides. It never reads outside [p, end).
#ifndef STACKFIRE_COLLAPSE_STACK_LINE_SCAN_H_
#define STACKFIRE_COLLAPSE_STACK_LINE_SCAN_H_

#include <cstddef>
#include <optional>

#include "collapse/perf_script_line.h"

namespace stackfire::collapse {

struct ScannedStackLine {
  StackLine line;
  bool plain = false;           // rawfunc is kept as it is (see above)
  size_t length = 0;            // the line's bytes before "\n" (with any '\r')
  const char* next = nullptr;   // just past the line's '\n'
};

// `p` is the start of a line, whose first byte is ' ' or '\t'.
std::optional<ScannedStackLine> ScanStackLine(const char* p, const char* end, size_t limit);

// Whether `s` holds a ':' followed by one of Perl's \s ("cycles:  "). A line
// outside a sample can be a one-frame sample only if its scanned name does
// (the event's colon, then the blanks before the frame): "a::b" does not.
bool HasColonThenSpace(std::string_view s);

}  // namespace stackfire::collapse

#endif  // STACKFIRE_COLLAPSE_STACK_LINE_SCAN_H_
