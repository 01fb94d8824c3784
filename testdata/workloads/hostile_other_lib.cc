// The library that replaces libhot.so on disk (issue 15): other functions at
// the addresses where hot_spin and hot_spin_inner were. Names read from this
// file for the running target's samples would be wrong.
#define PAD(n)                                                                    \
  extern "C" __attribute__((noinline, used)) double padding_##n(double x) {     \
    for (int i = 0; i < n + 3; ++i) x = x * 1.5 + n;                              \
    return x;                                                                     \
  }
PAD(1) PAD(2) PAD(3) PAD(4) PAD(5) PAD(6) PAD(7) PAD(8) PAD(9) PAD(10) PAD(11) PAD(12)
PAD(13) PAD(14) PAD(15) PAD(16) PAD(17) PAD(18) PAD(19) PAD(20) PAD(21) PAD(22) PAD(23)
PAD(24) PAD(25) PAD(26) PAD(27) PAD(28) PAD(29) PAD(30) PAD(31) PAD(32)
