// The one UTF-8 decoder (collapse/utf8.h), checked exhaustively: every code
// point encodes and decodes back, and every 1-, 2- and 3-byte sequence (and
// every 4-byte lead with its boundary continuations) is accepted exactly when
// it is the one encoding of a scalar value, as Unicode's Table 3-7 says.
#include "collapse/utf8.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace stackfire::collapse {
namespace {

// The reference: a sequence is well-formed iff it decodes to a scalar value
// whose (unique, shortest) encoding is exactly these bytes.
bool Reference(const std::string& bytes, uint32_t* cp) {
  const unsigned char c = static_cast<unsigned char>(bytes[0]);
  const size_t len = c < 0x80             ? 1
                     : (c & 0xE0) == 0xC0 ? 2
                     : (c & 0xF0) == 0xE0 ? 3
                     : (c & 0xF8) == 0xF0 ? 4
                                          : 0;
  if (len == 0 || bytes.size() < len) return false;
  uint32_t v = len == 1 ? c : c & (0x7F >> len);
  for (size_t k = 1; k < len; ++k) {
    const unsigned char d = static_cast<unsigned char>(bytes[k]);
    if ((d & 0xC0) != 0x80) return false;
    v = (v << 6) | (d & 0x3F);
  }
  if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return false;
  std::string again;
  AppendUtf8(v, &again);
  if (again != bytes.substr(0, len)) return false;  // overlong
  *cp = v;
  return true;
}

TEST(Utf8Test, EveryScalarValueRoundTrips) {
  for (uint32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    std::string s;
    AppendUtf8(cp, &s);
    uint32_t got = 0;
    ASSERT_EQ(DecodeUtf8At(s, 0, &got), s.size()) << cp;
    ASSERT_EQ(got, cp);
    size_t pos = 0;
    ASSERT_EQ(NextCodePoint(s, &pos), cp);
    ASSERT_EQ(pos, s.size());
  }
}

TEST(Utf8Test, EveryShortSequenceMatchesTheReference) {
  for (uint32_t n = 0; n < (1u << 24); ++n) {
    const std::string s{static_cast<char>(n >> 16), static_cast<char>(n >> 8),
                        static_cast<char>(n)};
    uint32_t want = 0, got = 0;
    const bool ok = Reference(s, &want);
    const size_t len = DecodeUtf8At(s, 0, &got);
    if (ok) {
      ASSERT_GT(len, 0u) << std::hex << n;
      ASSERT_EQ(got, want) << std::hex << n;
    } else {
      ASSERT_EQ(len, 0u) << std::hex << n;
    }
  }
}

TEST(Utf8Test, FourByteLeadsAtTheirBoundaries) {
  for (int lead = 0xF0; lead <= 0xFF; ++lead) {
    for (int second = 0x80; second <= 0xBF; ++second) {
      const std::string s{static_cast<char>(lead), static_cast<char>(second), '\x80', '\x80'};
      uint32_t want = 0, got = 0;
      const bool ok = Reference(s, &want);
      ASSERT_EQ(DecodeUtf8At(s, 0, &got), ok ? 4u : 0u) << std::hex << lead << " " << second;
      if (ok) {
        ASSERT_EQ(got, want);
      }
    }
  }
}

TEST(Utf8Test, InvalidBytesBecomeOneReplacementEach) {
  // An overlong '/', a surrogate, a cut sequence, a stray continuation.
  const std::string s =
      "\xC0\xAF"
      "a"
      "\xED\xA0\x80"
      "\xE2\x82"
      "b"
      "\x80";
  std::vector<uint32_t> cps = DecodeUtf8(s);
  constexpr uint32_t R = kReplacementChar;
  const std::vector<uint32_t> want = {R, R, 'a', R, R, R, R, R, 'b', R};
  EXPECT_EQ(cps, want);
  // The end of the text cuts a sequence that would be valid.
  uint32_t cp = 0;
  EXPECT_EQ(DecodeUtf8At(std::string_view("\xF0\x9F\x94\xA5", 3), 0, &cp), 0u);
  EXPECT_EQ(DecodeUtf8At("\xF0\x9F\x94\xA5", 0, &cp), 4u);
  EXPECT_EQ(cp, 0x1F525u);
}

}  // namespace
}  // namespace stackfire::collapse
