#include "collapse/stack_line_scan.h"

#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace stackfire::collapse {
namespace {

// Lines are read 32 bytes at a time: most stack lines take three or four.
constexpr size_t kBlock = 32;

// Each mask has bit i set for byte i of the 32 at `p`.
struct Block {
  uint32_t blank;  // ' ' and '\t': the rest of Perl's \s sends a line to the general path
  uint32_t word;   // \w
};

#if defined(__SSE2__)
__m128i Load(const char* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
uint32_t Bits(__m128i lo, __m128i hi) {
  return static_cast<uint32_t>(_mm_movemask_epi8(lo)) |
         static_cast<uint32_t>(_mm_movemask_epi8(hi)) << 16;
}
__m128i Eq(__m128i v, char c) { return _mm_cmpeq_epi8(v, _mm_set1_epi8(c)); }
// Bytes in [lo, lo + n) (SSE2 compares signed: bias the difference).
__m128i InRange(__m128i v, char lo, char n) {
  const __m128i bias = _mm_set1_epi8(static_cast<char>(0x80));
  __m128i t = _mm_xor_si128(_mm_sub_epi8(v, _mm_set1_epi8(lo)), bias);
  return _mm_cmplt_epi8(t, _mm_xor_si128(_mm_set1_epi8(n), bias));
}
__m128i Blank(__m128i v) { return _mm_or_si128(Eq(v, ' '), Eq(v, '\t')); }
__m128i Word(__m128i v) {
  // OR 0x20 folds 'A'-'Z' onto 'a'-'z' (and nothing else onto them).
  const __m128i alpha = InRange(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 26);
  return _mm_or_si128(_mm_or_si128(InRange(v, '0', 10), alpha), Eq(v, '_'));
}
// The bytes a name may need cleaned up for: ';', and '"' to '-', which
// holds the quotes, '(' ("f(int)"), '+' ("f+0x1f"), '-' ("a->b") and also
// ')' '#' '$' '%' '&' '*' ',', which only cost a detour through the general
// clean-up.
__m128i Tidy(__m128i v) { return _mm_or_si128(InRange(v, '"', '-' - '"' + 1), Eq(v, ';')); }

Block Prefix(const char* p) {
  const __m128i lo = Load(p), hi = Load(p + 16);
  return Block{Bits(Blank(lo), Blank(hi)), Bits(Word(lo), Word(hi))};
}
// '\n' and the bytes of Tidy().
void LineBits(const char* p, uint32_t* newline, uint32_t* tidy) {
  const __m128i lo = Load(p), hi = Load(p + 16);
  *newline = Bits(Eq(lo, '\n'), Eq(hi, '\n'));
  *tidy = Bits(Tidy(lo), Tidy(hi));
}
uint32_t OpenBits(const char* p) { return Bits(Eq(Load(p), '('), Eq(Load(p + 16), '(')); }
#else
template <typename Pred>
uint32_t BitsOf(const char* p, Pred pred) {
  uint32_t bits = 0;
  for (size_t i = 0; i < kBlock; ++i) bits |= static_cast<uint32_t>(pred(p[i])) << i;
  return bits;
}
Block Prefix(const char* p) {
  return Block{BitsOf(p, [](char c) { return c == ' ' || c == '\t'; }), BitsOf(p, IsWord)};
}
void LineBits(const char* p, uint32_t* newline, uint32_t* tidy) {
  *newline = BitsOf(p, [](char c) { return c == '\n'; });
  *tidy = BitsOf(p, [](char c) { return c == ';' || (c >= '"' && c <= '-'); });
}
uint32_t OpenBits(const char* p) {
  return BitsOf(p, [](char c) { return c == '('; });
}
#endif

// Bits i and above.
uint32_t From(unsigned i) { return i >= 32 ? 0 : ~uint32_t{0} << i; }

}  // namespace

std::optional<ScannedStackLine> ScanStackLine(const char* p, const char* end, size_t limit) {
  if (end - p < static_cast<ptrdiff_t>(kBlock)) return std::nullopt;
  // ^\s*(\w+)\s*: blanks, the pc, blanks, within the first 32 bytes.
  const Block first = Prefix(p);
  uint32_t rest = ~first.blank;
  if (rest == 0) return std::nullopt;
  const unsigned s = __builtin_ctz(rest);
  rest = ~first.word & From(s);
  if (rest == 0) return std::nullopt;
  const unsigned e = __builtin_ctz(rest);
  rest = ~first.blank & From(e);
  if (e == s || rest == 0) return std::nullopt;
  const unsigned w = __builtin_ctz(rest);
  if (w == e || IsSpace(p[w])) return std::nullopt;

  // The line's end, and the first byte from the name on that may need
  // clean-up. A name without one is copied as it is.
  const char* nl = nullptr;
  const char* first_tidy = nullptr;
  const char* const stop = end - p > static_cast<ptrdiff_t>(limit) ? p + limit : end;
  for (const char* b = p + w;; b += kBlock) {
    if (end - b < static_cast<ptrdiff_t>(kBlock) || b >= stop) return std::nullopt;
    uint32_t newline, tidy;
    LineBits(b, &newline, &tidy);
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
  const char* const name = p + w;
  const char* close = nl - 1;
  if (*close == '\r') --close;
  if (*close != ')' || close <= name) return std::nullopt;
  const char* open = nullptr;
  for (const char* b = close; open == nullptr;) {
    if (b - name >= static_cast<ptrdiff_t>(kBlock)) {
      b -= kBlock;
      const uint32_t opens = OpenBits(b);
      if (opens != 0) open = b + 31 - __builtin_clz(opens);
    } else {
      while (b > name && *--b != '(') {
      }
      if (*b != '(') return std::nullopt;
      open = b;
    }
  }
  // The name must be what starts at w, and not be empty; other splits are
  // the regex backtracking into the pc, or another " (" further back (the
  // general path does those).
  if (open[-1] != ' ' || open - 1 <= name) return std::nullopt;
  ScannedStackLine out;
  out.line.pc = std::string_view(p + s, e - s);
  out.line.rawfunc = std::string_view(name, open - 1 - name);
  out.line.mod = std::string_view(open + 1, close - open - 1);
  // The '(' of " (" is the first byte to clean up when the name has none.
  out.plain = first_tidy == open && *name != '[';
  out.length = static_cast<size_t>(nl - p);
  out.next = nl + 1;
  return out;
}

bool HasColonThenSpace(std::string_view s) {
  for (size_t i = 0; i + 1 < s.size(); ++i) {
    if (s[i] == ':' && IsSpace(s[i + 1])) return true;
  }
  return false;
}

}  // namespace stackfire::collapse
