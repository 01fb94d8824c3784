// ReversedStack: parts arrive leaf first and come out root first, joined by
// ';', across buffer growth; and PrependTidyName, the one-pass clean-up that
// writes into it, against the rules of stackcollapse-perf.pl.
#include "collapse/reversed_stack.h"

#include <string>

#include "collapse/perf_script_line.h"
#include "gtest/gtest.h"

namespace stackfire::collapse {
namespace {

TEST(ReversedStackTest, PartsComeOutRootFirst) {
  ReversedStack s;
  s.Prepend("leaf");
  s.Prepend("middle");
  s.Prepend("root");
  EXPECT_EQ(s.view(), "root;middle;leaf");
  EXPECT_EQ(s.parts(), 3u);
  s.Clear();
  EXPECT_EQ(s.view(), "");
  s.Prepend("again");
  EXPECT_EQ(s.view(), "again");
}

TEST(ReversedStackTest, EmptyPartsStillGetTheirSeparator) {
  ReversedStack s;
  s.Prepend("");
  s.Prepend("a");
  s.Prepend("");
  EXPECT_EQ(s.view(), ";a;");
}

TEST(ReversedStackTest, GrowsKeepingWhatIsThere) {
  ReversedStack s;
  std::string expected;
  for (int i = 0; i < 5000; ++i) {
    std::string part = std::string("f").append(std::to_string(i)).append(i % 7, 'x');
    s.Prepend(part);
    expected = i == 0 ? part : part + ";" + expected;
  }
  EXPECT_EQ(s.view(), expected);
  std::string big(1 << 20, 'q');
  s.Prepend(big);
  EXPECT_EQ(s.view(), big + ";" + expected);
}

std::string Tidy(std::string_view raw, bool java, bool* handled = nullptr) {
  ReversedStack s;
  s.Prepend("next");
  bool ok = PrependTidyName(raw, java, &s);
  if (handled != nullptr) *handled = ok;
  if (!ok) {
    EXPECT_EQ(s.view(), "next") << "nothing written when not handled";
    return "<general path>";
  }
  std::string_view v = s.view();
  EXPECT_EQ(v.substr(v.size() - 5), ";next");
  return std::string(v.substr(0, v.size() - 5));
}

TEST(PrependTidyNameTest, FollowsTheScriptsRules) {
  EXPECT_EQ(Tidy("JavaCalls::call_virtual(JavaValue*, Handle, Thread*)", false),
            "JavaCalls::call_virtual");
  EXPECT_EQ(Tidy("Lsun/nio/ch/SocketChannelImpl;.write", true), "sun/nio/ch/SocketChannelImpl:.write");
  EXPECT_EQ(Tidy("Lsun/nio/ch/SocketChannelImpl;.write", false), "Lsun/nio/ch/SocketChannelImpl:.write");
  EXPECT_EQ(Tidy("Lfoo;.bar(Ljava/lang/Object;)V", true), "Lfoo:.bar") << "'/' only after the cut";
  EXPECT_EQ(Tidy("cpu_startup_entry+0x800047c022ec", false), "cpu_startup_entry");
  EXPECT_EQ(Tidy("(anonymous namespace)::Run(int)", false), "<general path>");
  EXPECT_EQ(Tidy("ns::(anonymous namespace)::Run(int)", false), "ns::(anonymous namespace)::Run");
  EXPECT_EQ(Tidy("net/http.(*Client).Do", false), "net/http.(*Client).Do") << "Go methods keep parens";
  EXPECT_EQ(Tidy("a;b;c(int;x)", false), "a:b:c");
  EXPECT_EQ(Tidy("f(x)with a long tail past sixteen bytes", false), "f");
  EXPECT_EQ(Tidy("L(", true), "L");
}

TEST(PrependTidyNameTest, LeavesOtherNamesToTheGeneralPath) {
  for (const char* raw : {"a->b", "it's", "q\"x", "[unknown]", "(java)", "", "+0x1f",
                          "operator-(int) long enough to take the wide path"}) {
    bool handled = true;
    Tidy(raw, true, &handled);
    EXPECT_FALSE(handled) << raw;
  }
}

}  // namespace
}  // namespace stackfire::collapse
