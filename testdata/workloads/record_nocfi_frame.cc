// nocfi_middle for record_nocfi.cc: built with -fno-asynchronous-unwind-tables
// -fno-unwind-tables -fno-exceptions -fno-omit-frame-pointer, so .eh_frame
// has no FDE for it, only its frame pointer links it to its caller.
extern "C" void nocfi_leaf(double seconds) noexcept;

extern "C" __attribute__((noinline)) void nocfi_middle(double seconds) noexcept {
  nocfi_leaf(seconds);
  asm volatile("");
}
