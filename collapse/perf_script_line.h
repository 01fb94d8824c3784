// The line grammar of `perf script` text, as stackcollapse-perf.pl reads it.
//
// stackcollapse-perf.pl classifies each line with three Perl regexes. The
// matchers below reproduce them exactly, backtracking included, by hand (no
// regex engine: this is the hot path of `stackfire collapse`):
//
//   event head  /^(\S.+?)\s+(\d+)\/*(\d+)*\s+/          MatchEventHead
//   event tail  /:\s*(\d+)*\s+(\S+):\s*$/               MatchEventTail
//   stack line  /^\s*(\w+)\s*(.+) \((.*)\)/             MatchStackLine
//
// plus the per-frame clean-up the script applies ("tidy"), in AppendFrames.
// Character classes have Perl's meaning for byte strings: \s is
// [ \t\n\r\f\v], \d is [0-9], \w is [A-Za-z0-9_], and '.' is any byte but
// '\n'. Lines given here never contain '\n'.
//
// MatchSingleLineTail is an extension: `perf script` without call graphs
// prints the only frame on the event line itself, which the Perl script
// cannot read (it prints nothing). Such samples are read as one-frame stacks,
// as inferno does.
#ifndef STACKFIRE_COLLAPSE_PERF_SCRIPT_LINE_H_
#define STACKFIRE_COLLAPSE_PERF_SCRIPT_LINE_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "collapse/reversed_stack.h"

namespace stackfire::collapse {

namespace internal {
enum : unsigned char { kSpaceBit = 1, kDigitBit = 2, kWordBit = 4 };
// Perl's \s, \d and \w on byte strings, as a table (this is the hot path).
struct CharClasses {
  unsigned char bits[256] = {};
  constexpr CharClasses() {
    for (unsigned char c : {' ', '\t', '\n', '\r', '\f', '\v'}) bits[c] |= kSpaceBit;
    for (int c = 0; c < 256; ++c) {
      bool digit = c >= '0' && c <= '9';
      bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      if (digit) bits[c] |= kDigitBit;
      if (digit || alpha || c == '_') bits[c] |= kWordBit;
    }
  }
};
inline constexpr CharClasses kCharClasses;
}  // namespace internal

inline bool IsSpace(char c) {
  return internal::kCharClasses.bits[static_cast<unsigned char>(c)] & internal::kSpaceBit;
}
inline bool IsDigit(char c) {
  return internal::kCharClasses.bits[static_cast<unsigned char>(c)] & internal::kDigitBit;
}
inline bool IsWord(char c) {
  return internal::kCharClasses.bits[static_cast<unsigned char>(c)] & internal::kWordBit;
}

// /^(\S.+?)\s+(\d+)\/*(\d+)*\s+/: "comm pid/tid ..." or "comm tid ...".
struct EventHead {
  std::string_view comm;
  std::string_view first_number;   // $2: the pid, or the tid when alone
  std::string_view second_number;  // $3: the tid after a '/'; empty if absent
  size_t end = 0;                  // offset just past the match
};
std::optional<EventHead> MatchEventHead(std::string_view line);

// /:\s*(\d+)*\s+(\S+):\s*$/: "...: PERIOD EVENT:" at the end of the line.
struct EventTail {
  std::string_view period;  // digits, empty if absent
  std::string_view event;
};
std::optional<EventTail> MatchEventTail(std::string_view line);

// /^\s*(\w+)\s*(.+) \((.*)\)/: "   PC FUNC (MODULE)".
struct StackLine {
  std::string_view pc;
  std::string_view rawfunc;
  std::string_view mod;
};
std::optional<StackLine> MatchStackLine(std::string_view line);

// For an event line whose head matched, `rest` being line.substr(head.end):
// "TIME: [PERIOD] EVENT:  PC FUNC (MODULE)", the single-frame form. The
// frame's PC must be hexadecimal, which keeps tracepoint arguments out.
struct SingleLineTail {
  std::string_view period;
  std::string_view event;
  StackLine frame;
};
std::optional<SingleLineTail> MatchSingleLineTail(std::string_view rest);

// What the script does with "PERIOD": empty or "0" counts 1; anything else
// is its numeric value (numbers past 2^64 become doubles, as in Perl).
double PeriodWeight(std::string_view period);

// Per-sample facts that the frame clean-up depends on.
struct FrameContext {
  bool java = false;             // the stack's process name starts with "java"
  bool annotate_kernel = false;  // --kernel: "_[k]" on kernel frames
  bool annotate_jit = false;     // --jit: "_[j]" on frames from /tmp/perf-PID.map
  bool include_addrs = false;    // --addrs: "[module <pc>]" for unknown symbols
};

// Applies the script's clean-up to one stack line and appends its frames,
// joined by ';', to `out` (inlined frames "a->b" give several). Returns false
// when the line yields no frame at all; nothing is appended then. `scratch`
// is reused storage, to keep the hot path free of allocations.
bool AppendFrames(const StackLine& line, const FrameContext& ctx, std::string* out,
                  std::string* scratch);

// The clean-up of AppendFrames for the common names that need one (an
// argument list to cut, "+0x1f" to strip, ';' to replace, a Java 'L'),
// written in front of `stack` as one part, without a copy in between. For a
// stack line of a process whose frames get no suffix (no --kernel, --jit).
// Returns false, having written nothing, for the rest (quotes, '-' as in
// "->", "[unknown]", process names): AppendFrames then.
bool PrependTidyName(std::string_view rawfunc, bool java, ReversedStack* stack);

}  // namespace stackfire::collapse

#endif  // STACKFIRE_COLLAPSE_PERF_SCRIPT_LINE_H_
