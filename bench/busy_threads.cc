// N threads spinning for S seconds (bench/time_bench.sh's recording load).
//   busy_threads [THREADS [SECONDS]]    g++ -O2 -g -pthread
#include <chrono>
#include <cstdlib>
#include <thread>
#include <vector>

static volatile unsigned long sink;

__attribute__((noinline)) void spin(double seconds) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  unsigned long x = 1;
  while (std::chrono::steady_clock::now() < end) {
    for (int i = 0; i < 1000; ++i) x = x * 6364136223846793005ul + 1;
  }
  sink = x;
}

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 8;
  const double s = argc > 2 ? std::atof(argv[2]) : 10;
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) threads.emplace_back(spin, s);
  for (std::thread& t : threads) t.join();
}
