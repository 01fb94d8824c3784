// A tiny JIT for the container test (tests/record record_names_test): it
// copies a spin loop into an executable anonymous page and writes the
// page's symbol to /tmp/perf-<getpid()>.map, as V8 and the JVM do. Run
// under `unshare --pid --fork --mount-proc` (and a private /tmp), getpid()
// is its pid in its own namespace and /tmp its own: stackfire must read the
// map through /proc/PID/root with the pid from NSpid.
// The JIT code keeps a frame pointer (push rbp; mov rbp, rsp), as JITs do:
// it has no CFI, and the unwinder crosses it through rbp.
// Usage: record_jit_ns SECONDS. Prints "ready" once the map is written.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace {

// void spin(unsigned long n): push rbp; mov rbp,rsp; 1: sub rdi,1; jne 1b;
// pop rbp; ret.
constexpr unsigned char kSpin[] = {0x55, 0x48, 0x89, 0xe5, 0x48, 0x83,
                                   0xef, 0x01, 0x75, 0xfa, 0x5d, 0xc3};

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 1.0;
  void* page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) return 1;
  std::memcpy(page, kSpin, sizeof kSpin);
  if (mprotect(page, 4096, PROT_READ | PROT_EXEC) != 0) return 1;
  char path[64];
  std::snprintf(path, sizeof path, "/tmp/perf-%d.map", static_cast<int>(getpid()));
  FILE* map = std::fopen(path, "w");
  if (map == nullptr) return 1;
  std::fprintf(map, "%lx %zx jit_spin_in_namespace\n", reinterpret_cast<unsigned long>(page),
               sizeof kSpin);
  std::fclose(map);
  std::printf("ready %s\n", path);
  std::fflush(stdout);
  auto spin = reinterpret_cast<void (*)(unsigned long)>(page);
  const std::clock_t end = std::clock() + static_cast<std::clock_t>(seconds * CLOCKS_PER_SEC);
  while (std::clock() < end) spin(2000000);
  std::remove(path);
  return 0;
}
