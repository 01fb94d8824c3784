#include "collapse/stack_line_scan.h"

#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace stackfire::perf_script {
namespace {

constexpr size_t kBlock = 16;

// Each mask has bit i set for byte i of the 16 at `p`.
#if defined(__SSE2__)
__m128i Load(const char* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
unsigned Bits(__m128i m) { return static_cast<unsigned>(_mm_movemask_epi8(m)); }
__m128i Eq(__m128i v, char c) { return _mm_cmpeq_epi8(v, _mm_set1_epi8(c)); }
// Bytes in [lo, lo + n) (SSE2 compares signed: bias the difference).
__m128i InRange(__m128i v, char lo, char n) {
  const __m128i bias = _mm_set1_epi8(static_cast<char>(0x80));
  __m128i t = _mm_xor_si128(_mm_sub_epi8(v, _mm_set1_epi8(lo)), bias);
  return _mm_cmplt_epi8(t, _mm_xor_si128(_mm_set1_epi8(n), bias));
}
// ' ' and '\t': the rest of Perl's \s sends a line to the general path.
unsigned BlankBits(const char* p) {
  const __m128i v = Load(p);
  return Bits(_mm_or_si128(Eq(v, ' '), Eq(v, '\t')));
}
unsigned WordBits(const char* p) {
  const __m128i v = Load(p);
  // OR 0x20 folds 'A'-'Z' onto 'a'-'z' (and nothing else onto them).
  const __m128i alpha = InRange(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 26);
  return Bits(_mm_or_si128(_mm_or_si128(InRange(v, '0', 10), alpha), Eq(v, '_')));
}
// '\n' in the low 16 bits; in the high 16, the bytes a name may need
// cleaned up for: ';', and '"' to '-', which holds the quotes, '(' ("f(int)"),
// '+' ("f+0x1f"), '-' ("a->b") and also ')' '#' '$' '%' '&' '*' ',', which
// only cost a detour through the general clean-up.
unsigned LineBits(const char* p) {
  const __m128i v = Load(p);
  const __m128i tidy = _mm_or_si128(InRange(v, '"', '-' - '"' + 1), Eq(v, ';'));
  return Bits(Eq(v, '\n')) | Bits(tidy) << 16;
}
unsigned OpenBits(const char* p) { return Bits(Eq(Load(p), '(')); }
#else
template <typename Pred>
unsigned BitsOf(const char* p, Pred pred) {
  unsigned bits = 0;
  for (size_t i = 0; i < kBlock; ++i) bits |= static_cast<unsigned>(pred(p[i])) << i;
  return bits;
}
unsigned BlankBits(const char* p) {
  return BitsOf(p, [](char c) { return c == ' ' || c == '\t'; });
}
unsigned WordBits(const char* p) { return BitsOf(p, IsWord); }
unsigned LineBits(const char* p) {
  return BitsOf(p, [](char c) { return c == '\n'; }) |
         BitsOf(p, [](char c) { return c == ';' || (c >= '"' && c <= '-'); }) << 16;
}
unsigned OpenBits(const char* p) {
  return BitsOf(p, [](char c) { return c == '('; });
}
#endif

// The end of the run of bytes whose bit is set, from `p`; nullptr when the
// run reaches the last whole block before `end`.
template <unsigned (*BitsOfBlock)(const char*)>
const char* SkipRun(const char* p, const char* end) {
  for (; end - p >= static_cast<ptrdiff_t>(kBlock); p += kBlock) {
    const unsigned outside = ~BitsOfBlock(p) & 0xFFFFu;
    if (outside != 0) return p + __builtin_ctz(outside);
  }
  return nullptr;
}

}  // namespace

std::optional<ScannedStackLine> ScanStackLine(const char* p, const char* end, size_t limit) {
  // ^\s*(\w+)\s*: blanks, the pc, blanks.
  const char* s = SkipRun<BlankBits>(p, end);
  if (s == nullptr || !IsWord(*s)) return std::nullopt;
  const char* e = SkipRun<WordBits>(s, end);
  if (e == nullptr || (*e != ' ' && *e != '\t')) return std::nullopt;
  const char* w = SkipRun<BlankBits>(e, end);
  if (w == nullptr || IsSpace(*w)) return std::nullopt;

  // The line's end, and the first byte from the name on that may need
  // clean-up. A name without one is copied as it is.
  const char* nl = nullptr;
  const char* first_tidy = nullptr;
  const char* const stop = end - p > static_cast<ptrdiff_t>(limit) ? p + limit : end;
  for (const char* b = w;; b += kBlock) {
    if (end - b < static_cast<ptrdiff_t>(kBlock) || b >= stop) return std::nullopt;
    const unsigned bits = LineBits(b);
    const unsigned newline = bits & 0xFFFFu;
    unsigned tidy = bits >> 16;
    if (newline != 0) tidy &= (newline & (~newline + 1)) - 1;  // before the '\n'
    if (tidy != 0 && first_tidy == nullptr) first_tidy = b + __builtin_ctz(tidy);
    if (newline != 0) {
      nl = b + __builtin_ctz(newline);
      break;
    }
  }
  if (nl - p > static_cast<ptrdiff_t>(limit)) return std::nullopt;

  // (.+) \((.*)\): the last ')' of the line, in the common form its last
  // byte (before a '\r'), and the last " (" before it, in the common form
  // the last '(' before it.
  const char* close = nl - 1;
  if (*close == '\r') --close;
  if (*close != ')' || close <= w) return std::nullopt;
  const char* open = nullptr;
  for (const char* b = close; open == nullptr;) {
    if (b - w >= static_cast<ptrdiff_t>(kBlock)) {
      b -= kBlock;
      const unsigned opens = OpenBits(b);
      if (opens != 0) open = b + 31 - __builtin_clz(opens);
    } else {
      while (b > w && *--b != '(') {
      }
      if (*b != '(') return std::nullopt;
      open = b;
    }
  }
  // The name must be what starts at w, and not be empty; other splits are
  // the regex backtracking into the pc, or another " (" further back (the
  // general path does those).
  if (open[-1] != ' ' || open - 1 <= w) return std::nullopt;
  ScannedStackLine out;
  out.line.pc = std::string_view(s, e - s);
  out.line.rawfunc = std::string_view(w, open - 1 - w);
  out.line.mod = std::string_view(open + 1, close - open - 1);
  // The '(' of " (" is the first byte to clean up when the name has none.
  out.plain = first_tidy == open && *w != '[';
  out.length = static_cast<size_t>(nl - p);
  out.next = nl + 1;
  return out;
}

}  // namespace stackfire::perf_script
