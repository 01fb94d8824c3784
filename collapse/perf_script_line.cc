#include "collapse/perf_script_line.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace stackfire::collapse {
namespace {

using std::string_view;

#if defined(__SSE2__)
// Bytes of `v` in [lo, lo + n), as a mask (SSE2 has only signed compares:
// shift the wrapped difference into the signed range).
__m128i InRange(__m128i v, char lo, char n) {
  const __m128i bias = _mm_set1_epi8(static_cast<char>(0x80));
  __m128i t = _mm_xor_si128(_mm_sub_epi8(v, _mm_set1_epi8(lo)), bias);
  return _mm_cmplt_epi8(t, _mm_xor_si128(_mm_set1_epi8(n), bias));
}
#endif

// Perl's \s: ' ' and '\t' '\n' '\v' '\f' '\r' (9 to 13).
struct SpaceClass {
  static bool Is(char c) { return IsSpace(c); }
#if defined(__SSE2__)
  static __m128i Mask(__m128i v) {
    return _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')), InRange(v, '\t', 5));
  }
#endif
};

// Perl's \w: [0-9A-Za-z_].
struct WordClass {
  static bool Is(char c) { return IsWord(c); }
#if defined(__SSE2__)
  static __m128i Mask(__m128i v) {
    // OR 0x20 folds 'A'-'Z' onto 'a'-'z' (and nothing else onto them).
    __m128i alpha = InRange(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 26);
    return _mm_or_si128(_mm_or_si128(InRange(v, '0', 10), alpha),
                        _mm_cmpeq_epi8(v, _mm_set1_epi8('_')));
  }
#endif
};

// The end of the run of bytes of one class from `i`. Stack lines open with
// up to a dozen spaces and a 16-digit pc: 16 bytes at a time while 16 are
// left, instead of a table look-up and a branch per byte.
template <typename Class>
size_t SkipClass(string_view s, size_t i) {
#if defined(__SSE2__)
  while (i + 16 <= s.size()) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
    unsigned outside = ~static_cast<unsigned>(_mm_movemask_epi8(Class::Mask(v))) & 0xFFFFu;
    if (outside != 0) return i + static_cast<size_t>(__builtin_ctz(outside));
    i += 16;
  }
#endif
  while (i < s.size() && Class::Is(s[i])) ++i;
  return i;
}

size_t SkipSpaces(string_view s, size_t i) { return SkipClass<SpaceClass>(s, i); }
size_t SkipWord(string_view s, size_t i) { return SkipClass<WordClass>(s, i); }
size_t SkipDigits(string_view s, size_t i) {
  while (i < s.size() && IsDigit(s[i])) ++i;
  return i;
}
bool IsLowerHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f'); }
bool IsHex(char c) { return IsLowerHex(c) || (c >= 'A' && c <= 'F'); }

bool Contains(string_view s, string_view needle) { return s.find(needle) != string_view::npos; }

// s/\+0x[\da-f]+$//
string_view StripOffset(string_view f) {
  size_t k = f.size();
  while (k > 0 && IsLowerHex(f[k - 1])) --k;
  if (k < f.size() && k >= 3 && f.substr(k - 3, 3) == "+0x") return f.substr(0, k - 3);
  return f;
}

// $mod =~ m/(^\[|vmlinux$)/ && $mod !~ /unknown/
bool IsKernelModule(string_view mod) {
  bool kernel = (!mod.empty() && mod[0] == '[') ||
                (mod.size() >= 7 && mod.substr(mod.size() - 7) == "vmlinux");
  return kernel && !Contains(mod, "unknown");
}

// $mod =~ m:/tmp/perf-\d+\.map:
bool IsJitModule(string_view mod) {
  constexpr string_view kPrefix = "/tmp/perf-";
  for (size_t at = mod.find(kPrefix); at != string_view::npos; at = mod.find(kPrefix, at + 1)) {
    size_t d = at + kPrefix.size();
    size_t e = SkipDigits(mod, d);
    if (e > d && mod.substr(e, 4) == ".map") return true;
  }
  return false;
}

// $func =~ m/\.\(.*\)\./: looks like a Go method, "net/http.(*Client).Do".
bool IsGoMethod(string_view f) {
  // The first ".(", then a ")." at least two bytes on.
  const char* b = f.data();
  const char* e = b + f.size();
  const char* open = nullptr;
  for (const char* p = b + 1; p < e;) {
    const void* at = std::memchr(p, '(', e - p);
    if (at == nullptr) return false;
    p = static_cast<const char*>(at);
    if (p[-1] == '.') {
      open = p - 1;
      break;
    }
    ++p;
  }
  if (open == nullptr) return false;
  for (size_t n = f.size() - 1; n > 0;) {
    const void* at = memrchr(b, ')', n);
    if (at == nullptr) return false;
    const char* close = static_cast<const char*>(at);
    if (close[1] == '.') return close >= open + 2;
    n = static_cast<size_t>(close - b);
  }
  return false;
}

// Bytes that make a frame name need more than a copy: "->" (inlined
// frames), ';', '(' (argument lists), and the quotes the script deletes.
// Found in one pass, as a set of these bits:
constexpr unsigned kDash = 1, kSemicolon = 2, kParen = 4, kQuote = 8;
constexpr unsigned kAnyQuote = kQuote;
constexpr unsigned kAll = kDash | kSemicolon | kParen | kQuote;

unsigned SpecialsScalar(const char* p, size_t n) {
  unsigned set = 0;
  for (size_t i = 0; i < n; ++i) {
    switch (p[i]) {
      case '-': set |= kDash; break;
      case ';': set |= kSemicolon; break;
      case '(': set |= kParen; break;
      case '"': case '\'': set |= kQuote; break;
      default: break;
    }
  }
  return set;
}

unsigned Specials(string_view s) {
#if defined(__SSE2__)
  const char* p = s.data();
  const size_t n = s.size();
  if (n < 16) return SpecialsScalar(p, n);
  __m128i dash = _mm_setzero_si128(), semi = dash, paren = dash, quote = dash;
  auto block = [&](const char* at) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
    dash = _mm_or_si128(dash, _mm_cmpeq_epi8(v, _mm_set1_epi8('-')));
    semi = _mm_or_si128(semi, _mm_cmpeq_epi8(v, _mm_set1_epi8(';')));
    paren = _mm_or_si128(paren, _mm_cmpeq_epi8(v, _mm_set1_epi8('(')));
    quote = _mm_or_si128(quote, _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                             _mm_cmpeq_epi8(v, _mm_set1_epi8('\''))));
  };
  for (size_t i = 0; i + 16 <= n; i += 16) block(p + i);
  block(p + n - 16);
  return (_mm_movemask_epi8(dash) ? kDash : 0) | (_mm_movemask_epi8(semi) ? kSemicolon : 0) |
         (_mm_movemask_epi8(paren) ? kParen : 0) | (_mm_movemask_epi8(quote) ? kAnyQuote : 0);
#else
  return SpecialsScalar(s.data(), s.size());
#endif
}

struct ModuleFlags {
  bool kernel = false;
  bool jit = false;
};

// The annotations of the script: "_[i]" on every frame but the first of an
// inline chain, else "_[k]" / "_[j]" by module. `f` is the frame just
// appended to `out`, from offset `begin`.
void Annotate(size_t index, const ModuleFlags& m, size_t begin, std::string* out) {
  string_view f = string_view(*out).substr(begin);
  if (index > 0) {
    if (!Contains(f, "_[i]")) out->append("_[i]");
  } else if (m.kernel) {
    out->append("_[k]");
  } else if (m.jit) {
    if (!Contains(f, "_[j]")) out->append("_[j]");
  }
}

// The script's generic and Java clean-up of one name, appended to `out`:
// ';' becomes ':', an argument list is cut (unless the name is a Go method,
// or the '(' opens "(anonymous namespace)"), quotes go, and in Java
// processes a leading 'L' goes from class names.
// Where the argument list of `f` starts, given its first '(' (npos: none):
// the name is kept up to there.
size_t ArgumentsAt(string_view f, size_t first_paren, bool maybe_go = true) {
  if (first_paren == string_view::npos || (maybe_go && IsGoMethod(f))) return f.size();
  for (size_t p = first_paren; p != string_view::npos; p = f.find('(', p + 1)) {
    if (f.substr(p + 1, 20) != "anonymous namespace)") return p;
  }
  return f.size();
}

void AppendTidy(string_view f, unsigned specials, bool java, std::string* out) {
  const size_t cut =
      ArgumentsAt(f, specials & kParen ? f.find('(') : string_view::npos);
  const size_t begin = out->size();
  out->append(f.data(), cut);
  char* const first = out->data() + begin;
  char* const last = first + cut;
  if (specials & kSemicolon) {
    for (char* p = first; (p = static_cast<char*>(std::memchr(p, ';', last - p))) != nullptr;) {
      *p++ = ':';
    }
  }
  if (specials & kQuote) {
    char* w = first;
    for (char* r = first; r != last; ++r) {
      if (*r != '"' && *r != '\'') *w++ = *r;
    }
    out->resize(static_cast<size_t>(w - out->data()));
  }
  if (java && out->size() > begin && (*out)[begin] == 'L' &&
      std::memchr(out->data() + begin, '/', out->size() - begin) != nullptr) {
    out->erase(begin, 1);
  }
}

// One frame of a stack line through every rule of the script.
void AppendFrame(string_view piece, unsigned specials, size_t index, const StackLine& line,
                 const FrameContext& ctx, const ModuleFlags& m, std::string* out,
                 std::string* scratch) {
  const size_t begin = out->size();
  if (piece == "[unknown]") {
    // The module's file name stands in for the symbol, when known.
    scratch->clear();
    scratch->push_back('[');
    if (line.mod != "[unknown]") {
      size_t slash = line.mod.rfind('/');
      scratch->append(slash == string_view::npos ? line.mod : line.mod.substr(slash + 1));
    } else {
      scratch->append("unknown");
    }
    if (ctx.include_addrs) {
      scratch->append(" <");
      scratch->append(line.pc);
      scratch->append(">");
    }
    scratch->append("]");
    AppendTidy(*scratch, kAll, ctx.java, out);
  } else {
    AppendTidy(piece, specials, ctx.java, out);
  }
  // Without options, only the inlined frames of a chain get a suffix.
  if (index > 0 || m.kernel || m.jit) Annotate(index, m, begin, out);
}

}  // namespace

std::optional<EventHead> MatchEventHead(string_view line) {
  const size_t n = line.size();
  if (n < 2 || IsSpace(line[0])) return std::nullopt;
  // (\S.+?) is lazy: the first place after two bytes where the rest fits.
  for (size_t c = 2; c < n; ++c) {
    if (!IsSpace(line[c])) continue;
    size_t d = SkipSpaces(line, c);
    if (d >= n || !IsDigit(line[d])) {
      c = d;  // every start inside this run of spaces fails the same way
      continue;
    }
    size_t e = SkipDigits(line, d);
    if (e < n && IsSpace(line[e])) {
      return EventHead{line.substr(0, c), line.substr(d, e - d), {}, SkipSpaces(line, e)};
    }
    if (e < n && line[e] == '/') {
      size_t f = e;
      while (f < n && line[f] == '/') ++f;
      size_t g = SkipDigits(line, f);
      if (g < n && IsSpace(line[g])) {
        return EventHead{line.substr(0, c), line.substr(d, e - d), line.substr(f, g - f),
                         SkipSpaces(line, g)};
      }
    }
    c = e - 1;
  }
  return std::nullopt;
}

std::optional<EventTail> MatchEventTail(string_view line) {
  size_t n = line.size();
  while (n > 0 && IsSpace(line[n - 1])) --n;
  if (n < 2 || line[n - 1] != ':') return std::nullopt;
  // (\S+) is the whole last word but its final ':'; \s+ precedes it.
  size_t t = n - 1;
  while (t > 0 && !IsSpace(line[t - 1])) --t;
  if (t == 0 || t >= n - 1) return std::nullopt;
  size_t p = t;
  while (p > 0 && IsSpace(line[p - 1])) --p;
  size_t q = p;
  while (q > 0 && IsDigit(line[q - 1])) --q;
  size_t r = q;
  while (r > 0 && IsSpace(line[r - 1])) --r;
  if (r == 0 || line[r - 1] != ':') return std::nullopt;
  return EventTail{line.substr(q, p - q), line.substr(t, n - 1 - t)};
}

std::optional<StackLine> MatchStackLine(string_view line) {
  const size_t n = line.size();
  size_t s = SkipSpaces(line, 0);
  if (s >= n || !IsWord(line[s])) return std::nullopt;
  size_t e = SkipWord(line, s);
  size_t w = SkipSpaces(line, e);
  const char* base = line.data();
  size_t close = n - 1;  // usually the last byte
  if (line[close] != ')') {
    const void* close_at = memrchr(base, ')', n);
    if (close_at == nullptr) return std::nullopt;
    close = static_cast<size_t>(static_cast<const char*>(close_at) - base);
  }
  // (.+) is greedy: the last " (" that still has a ')' after it.
  size_t open = close;
  while (true) {
    const void* at = open == 0 ? nullptr : memrchr(base, '(', open);
    if (at == nullptr) return std::nullopt;
    open = static_cast<size_t>(static_cast<const char*>(at) - base);
    if (open > 0 && line[open - 1] == ' ') break;
  }
  size_t i = open - 1;  // the ' ' of " ("
  if (i < s + 2) return std::nullopt;
  // (\w+)\s* give back what (.+) needs to be non-empty.
  size_t r = w < i - 1 ? w : i - 1;
  size_t pc_end = r < e ? r : e;
  return StackLine{line.substr(s, pc_end - s), line.substr(r, i - r),
                   line.substr(open + 1, close - open - 1)};
}

std::optional<SingleLineTail> MatchSingleLineTail(string_view rest) {
  size_t colon = rest.find(':');
  if (colon == string_view::npos) return std::nullopt;
  size_t i = SkipSpaces(rest, colon + 1);
  size_t digits_end = SkipDigits(rest, i);
  std::string_view period = rest.substr(i, digits_end - i);
  size_t t = SkipSpaces(rest, digits_end);
  // A space must separate the event from what precedes it.
  bool spaced = t > digits_end || (period.empty() && i > colon + 1);
  if (!spaced || t >= rest.size()) return std::nullopt;
  size_t te = t;
  while (te < rest.size() && !IsSpace(rest[te])) ++te;
  if (te - t < 2 || rest[te - 1] != ':') return std::nullopt;
  size_t f = SkipSpaces(rest, te);
  if (f == te || f >= rest.size()) return std::nullopt;
  std::optional<StackLine> frame = MatchStackLine(rest.substr(f));
  if (!frame) return std::nullopt;
  for (char c : frame->pc) {
    if (!IsHex(c)) return std::nullopt;
  }
  // The pc must be a whole word, followed by a space.
  size_t pc_end = static_cast<size_t>(frame->pc.data() - rest.data()) + frame->pc.size();
  if (pc_end >= rest.size() || !IsSpace(rest[pc_end])) return std::nullopt;
  return SingleLineTail{period, rest.substr(t, te - 1 - t), *frame};
}

std::optional<int64_t> ParseEventTime(string_view rest) {
  size_t pos = 0;
  for (int field = 0; field < 4; ++field) {
    while (pos < rest.size() && IsSpace(rest[pos])) ++pos;
    const size_t begin = pos;
    while (pos < rest.size() && !IsSpace(rest[pos])) ++pos;
    string_view f = rest.substr(begin, pos - begin);
    if (f.empty()) return std::nullopt;
    if (f.size() < 4 || f.back() != ':') continue;
    f.remove_suffix(1);
    const size_t dot = f.find('.');
    if (dot == string_view::npos || dot == 0 || dot + 1 == f.size() || dot > 11) continue;
    int64_t seconds = 0, nanos = 0;
    bool digits = true;
    for (size_t i = 0; i < dot && digits; ++i) {
      digits = IsDigit(f[i]);
      seconds = seconds * 10 + (f[i] - '0');
    }
    int64_t scale = 100000000;
    for (size_t i = dot + 1; i < f.size() && digits; ++i) {
      digits = IsDigit(f[i]);
      nanos += (f[i] - '0') * scale;  // digits past the ninth add 0
      scale /= 10;
    }
    // Seconds since boot, or since 1970 with perf record -k realtime; more
    // than int64 nanoseconds hold (292 years) is no time.
    if (digits && seconds <= INT64_MAX / 1000000000 - 1) return seconds * 1000000000 + nanos;
  }
  return std::nullopt;
}

double PeriodWeight(string_view period) {
  if (period.empty() || period == "0") return 1;
  uint64_t v = 0;
  for (char c : period) {
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return std::strtod(std::string(period).c_str(), nullptr);
    v = v * 10 + d;
  }
  return static_cast<double>(v);
}

namespace {

// What PrependTidyName needs to know about a name, from one pass over it.
struct NameFacts {
  size_t first_paren = string_view::npos;
  bool dot_paren = false;  // ".(", without which no name is a Go method
  bool semicolon = false;
  bool slash = false;
  bool other = false;  // a quote or '-' (maybe "->"): the general path
};

void ScalarFacts(const char* p, size_t n, size_t base, NameFacts* facts) {
  for (size_t i = 0; i < n; ++i) {
    switch (p[i]) {
      case '(':
        if (facts->first_paren == string_view::npos) facts->first_paren = base + i;
        if (i > 0 && p[i - 1] == '.') facts->dot_paren = true;
        break;
      case ';': facts->semicolon = true; break;
      case '/': facts->slash = true; break;
      case '"': case '\'': case '-': facts->other = true; break;
      default: break;
    }
  }
}

NameFacts FactsOf(string_view f) {
  NameFacts facts;
  const char* p = f.data();
  const size_t n = f.size();
#if defined(__SSE2__)
  if (n >= 16) {
    auto eq = [](__m128i v, char c) { return _mm_cmpeq_epi8(v, _mm_set1_epi8(c)); };
    __m128i semi = _mm_setzero_si128(), slash = semi, other = semi, dot_paren = semi;
    // Whole blocks, then one that overlaps the last so that no byte past the
    // name is read.
    for (size_t i = 0;; i += 16) {
      const size_t at = i + 16 <= n ? i : n - 16;
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + at));
      const __m128i open = eq(v, '(');
      const unsigned parens = static_cast<unsigned>(_mm_movemask_epi8(open));
      // The byte before each (none before the name's first).
      const __m128i before = at > 0 ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + at - 1))
                                    : _mm_slli_si128(v, 1);
      dot_paren = _mm_or_si128(dot_paren, _mm_and_si128(open, eq(before, '.')));
      if (parens != 0 && facts.first_paren == string_view::npos) {
        facts.first_paren = at + static_cast<size_t>(__builtin_ctz(parens));
      }
      semi = _mm_or_si128(semi, eq(v, ';'));
      slash = _mm_or_si128(slash, eq(v, '/'));
      other = _mm_or_si128(other, _mm_or_si128(_mm_or_si128(eq(v, '"'), eq(v, '\'')), eq(v, '-')));
      if (at + 16 >= n) break;
    }
    facts.semicolon = _mm_movemask_epi8(semi) != 0;
    facts.slash = _mm_movemask_epi8(slash) != 0;
    facts.other = _mm_movemask_epi8(other) != 0;
    facts.dot_paren = _mm_movemask_epi8(dot_paren) != 0;
    return facts;
  }
#endif
  ScalarFacts(p, n, 0, &facts);
  return facts;
}

}  // namespace

bool PrependTidyName(string_view rawfunc, bool java, ReversedStack* stack) {
  const string_view raw = StripOffset(rawfunc);
  if (raw.empty() || raw[0] == '(' || raw[0] == '[') return false;
  const NameFacts facts = FactsOf(raw);
  if (facts.other) return false;
  const size_t cut = ArgumentsAt(raw, facts.first_paren, facts.dot_paren);
  // Java: a class name loses its 'L' ("Ljava/lang/Thread;::run").
  size_t start = 0;
  if (java && raw[0] == 'L' && facts.slash &&
      (cut == raw.size() || std::memchr(raw.data(), '/', cut) != nullptr)) {
    start = 1;
  }
  const size_t size = cut > start ? cut - start : 0;
  char* out = stack->PrependSpace(size);
  std::memcpy(out, raw.data() + start, size);
  if (facts.semicolon) {
    for (char* p = out; (p = static_cast<char*>(std::memchr(p, ';', out + size - p))) != nullptr;) {
      *p++ = ':';
    }
  }
  return true;
}

bool AppendFrames(const StackLine& line, const FrameContext& ctx, std::string* out,
                  std::string* scratch) {
  string_view raw = StripOffset(line.rawfunc);
  if (!raw.empty() && raw[0] == '(') return false;  // a process name, not a frame
  // split /\->/ drops trailing empty fields.
  while (raw.size() >= 2 && raw.substr(raw.size() - 2) == "->") raw.remove_suffix(2);
  if (raw.empty()) return false;

  ModuleFlags m;
  if (ctx.annotate_kernel) m.kernel = IsKernelModule(line.mod);
  if (ctx.annotate_jit && !m.kernel) m.jit = IsJitModule(line.mod);

  const unsigned specials = Specials(raw);
  if (specials == 0 && raw != "[unknown]") {
    // The common case: the name is kept as it is.
    if (ctx.java && raw[0] == 'L' && raw.find('/') != string_view::npos) raw.remove_prefix(1);
    const size_t begin = out->size();
    out->append(raw);
    if (m.kernel || m.jit) Annotate(0, m, begin, out);
    return true;
  }

  size_t pos = 0;
  for (size_t index = 0;; ++index) {
    size_t sep = specials & kDash ? raw.find("->", pos) : string_view::npos;
    string_view piece = raw.substr(pos, sep == string_view::npos ? string_view::npos : sep - pos);
    if (index > 0) out->push_back(';');
    AppendFrame(piece, specials, index, line, ctx, m, out, scratch);
    if (sep == string_view::npos) break;
    pos = sep + 2;
  }
  return true;
}

}  // namespace stackfire::collapse
