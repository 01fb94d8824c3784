// dlopen/dlclose churn: loads library A, spins in it, unloads it, then the
// same with library B, for SECONDS. The loader tends to put B where A was,
// so the same addresses hold different code from one moment to the next:
// a profiler must apply each mapping change before the samples that follow.
// Usage: record_dlopen_churn LIB_A LIB_B SECONDS (of the process's CPU time,
// so that a loaded machine does not shrink the run; prints "ready" first,
// and "loads N" at the end).
#include <dlfcn.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>

namespace {

double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

using Work = void (*)(double);

bool RunOnce(const char* path, const char* symbol) {
  void* lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    std::fprintf(stderr, "%s\n", dlerror());
    return false;
  }
  auto work = reinterpret_cast<Work>(dlsym(lib, symbol));
  if (work == nullptr) return false;
  work(0.02);
  return dlclose(lib) == 0;
}

}  // namespace

// One caller per library, so a stack says which library it went through.
extern "C" __attribute__((noinline)) bool run_lib_a(const char* path) {
  bool ok = RunOnce(path, "churn_a_work");
  asm volatile("");
  return ok;
}
extern "C" __attribute__((noinline)) bool run_lib_b(const char* path) {
  bool ok = RunOnce(path, "churn_b_work");
  asm volatile("");
  return ok;
}

int main(int argc, char** argv) {
  if (argc < 4) return 2;
  std::printf("ready\n");
  std::fflush(stdout);
  const double end = CpuSeconds() + std::atof(argv[3]);
  long loads = 0;
  while (CpuSeconds() < end) {
    if (!run_lib_a(argv[1]) || !run_lib_b(argv[2])) return 1;
    loads += 2;
  }
  std::printf("loads %ld\n", loads);
  return 0;
}
