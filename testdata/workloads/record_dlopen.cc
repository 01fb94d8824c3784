// Loads a library with dlopen after the profiler attached and spins in it.
// Usage: record_dlopen LIBRARY DELAY SECONDS (prints "ready" first).
#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const double delay = argc > 2 ? std::atof(argv[2]) : 1;
  const double seconds = argc > 3 ? std::atof(argv[3]) : 1;
  std::printf("ready\n");
  std::fflush(stdout);
  usleep(static_cast<useconds_t>(delay * 1e6));
  void* lib = dlopen(argv[1], RTLD_NOW);
  if (lib == nullptr) {
    std::fprintf(stderr, "%s\n", dlerror());
    return 1;
  }
  auto work = reinterpret_cast<void (*)(double)>(dlsym(lib, "plugin_work"));
  if (work == nullptr) return 1;
  work(seconds);
  return 0;
}
