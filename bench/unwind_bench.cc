// Unwinding and symbolization throughput, replayed from captured samples.
//
//   unwind_bench [--target PATH] [--phases N] [--samples N] [--seconds S] [-- CMD ARGS...]
//
// Captures real samples of the test workload with ptrace (the same harness
// as the tests: registers + 8 KiB stack copies, maps), then replays them
// through each unwinder on one thread for S seconds of thread CPU time and
// reports samples/s per core, ns per frame and peak RSS. Built by
// tests/unwind/meson.build; numbers go to bench/RESULTS-unwind.md.
#include <sys/resource.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "src/symbolize/symbolizers.h"
#include "src/unwind/libunwind_unwinder.h"
#include "src/unwind/table_unwinder.h"
#include "src/unwind/unwinders.h"
#include "tests/unwind/sample_capture.h"

namespace stackfire {
namespace {

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

long PeakRssKb() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

struct Result {
  double samples_per_s = 0;
  double ns_per_frame = 0;
  double frames_per_sample = 0;
  double complete_pct = 0;
};

Result Replay(Unwinder& unwinder, const testing::Capture& c, double seconds) {
  std::vector<uint64_t> pcs;
  pcs.reserve(1024);
  // Warm-up: fill the module caches and CFI tables once.
  for (const RawSample& s : c.samples) unwinder.Unwind(s, c.maps, &pcs);
  uint64_t samples = 0, frames = 0, complete = 0;
  const double start = ThreadCpuSeconds();
  double now = start;
  while (now - start < seconds) {
    for (const RawSample& s : c.samples) {
      complete += unwinder.Unwind(s, c.maps, &pcs) == UnwindOutcome::kComplete;
      frames += pcs.size();
    }
    samples += c.samples.size();
    now = ThreadCpuSeconds();
  }
  const double elapsed = now - start;
  Result r;
  r.samples_per_s = static_cast<double>(samples) / elapsed;
  r.ns_per_frame = elapsed * 1e9 / static_cast<double>(frames);
  r.frames_per_sample = static_cast<double>(frames) / static_cast<double>(samples);
  r.complete_pct = 100.0 * static_cast<double>(complete) / static_cast<double>(samples);
  return r;
}

void Print(const char* name, const Result& r) {
  std::printf("%-28s %12.0f samples/s  %7.1f ns/frame  %5.1f frames/sample  %5.1f%% complete  peak RSS %ld KB\n",
              name, r.samples_per_s, r.ns_per_frame, r.frames_per_sample, r.complete_pct,
              PeakRssKb());
}

void BenchSymbolize(const testing::Capture& c) {
  auto unwinder = unwind::CreateUnwinder(unwind::UnwinderKind::kTable);
  std::vector<std::vector<uint64_t>> stacks;
  absl::flat_hash_set<uint64_t> unique;
  for (const RawSample& s : c.samples) {
    std::vector<uint64_t> pcs;
    unwinder->Unwind(s, c.maps, &pcs);
    for (uint64_t pc : pcs) unique.insert(pc);
    stacks.push_back(std::move(pcs));
  }
  auto symbolizer = symbolize::CreateSymbolizer({});
  std::vector<Frame> frames;
  double t0 = ThreadCpuSeconds();
  for (const auto& pcs : stacks) {
    frames.clear();
    for (size_t i = 0; i < pcs.size(); ++i) symbolizer->SymbolizeUser(c.pid, c.maps, pcs[i], i > 0, &frames);
  }
  double cold = ThreadCpuSeconds() - t0;
  uint64_t n = 0;
  t0 = ThreadCpuSeconds();
  double now = t0;
  while (now - t0 < 1.0) {
    for (const auto& pcs : stacks) {
      frames.clear();
      for (size_t i = 0; i < pcs.size(); ++i) symbolizer->SymbolizeUser(c.pid, c.maps, pcs[i], i > 0, &frames);
    }
    n += stacks.size();
    now = ThreadCpuSeconds();
  }
  std::printf("symbolize: %zu unique pcs, first pass (load symbols, debug files, DWARF) %.1f ms, "
              "cached %.0f samples/s, peak RSS %ld KB\n",
              unique.size(), cold * 1e3, static_cast<double>(n) / (now - t0), PeakRssKb());
}

// The table unwinder (without its fallback) against libunwind, sample by
// sample: the correctness check behind the speed figures.
void Compare(const testing::Capture& c) {
  unwind::TableUnwinder table(/*allow_fallback=*/false);
  unwind::LibunwindUnwinder libunwind;
  std::vector<uint64_t> a, b;
  int same = 0, differ = 0, needs_fallback = 0, complete = 0, truncated = 0, failed = 0;
  for (const RawSample& s : c.samples) {
    const uint64_t unsupported = table.stats().unsupported;
    UnwindOutcome oa = table.Unwind(s, c.maps, &a);
    UnwindOutcome ob = libunwind.Unwind(s, c.maps, &b);
    complete += ob == UnwindOutcome::kComplete;
    truncated += ob == UnwindOutcome::kTruncated;
    failed += ob == UnwindOutcome::kFailed;
    if (ob == UnwindOutcome::kFailed && std::getenv("UNWIND_BENCH_VERBOSE") != nullptr) {
      auto sym = symbolize::CreateSymbolizer({});
      std::vector<Frame> f;
      sym->SymbolizeUser(c.pid, c.maps, b.back(), b.size() > 1, &f);
      const Mapping* m = c.maps.Find(b.back() - (b.size() > 1));
      std::printf("failed after %zu frames at %llx %s (%s)\n", b.size(),
                  static_cast<unsigned long long>(b.back()), f.back().name.c_str(),
                  m != nullptr ? m->path.c_str() : "unmapped");
    }
    if (table.stats().unsupported != unsupported && a.size() <= b.size() &&
        std::equal(a.begin(), a.end(), b.begin())) {
      ++needs_fallback;  // stopped at a row only libunwind can do
      continue;
    }
    if (a == b && oa == ob) {
      ++same;
    } else {
      ++differ;
      if (std::getenv("UNWIND_BENCH_VERBOSE") != nullptr) {
        auto sym = symbolize::CreateSymbolizer({});
        std::printf("differ: table %d libunwind %d rip %llx rsp %llx rbp %llx stack:", static_cast<int>(oa),
                    static_cast<int>(ob), (unsigned long long)s.regs[kRip], (unsigned long long)s.regs[kRsp],
                    (unsigned long long)s.regs[kRbp]);
        for (size_t k = 0; k + 8 <= s.stack.size() && k < 48; k += 8) {
          uint64_t w;
          std::memcpy(&w, s.stack.data() + k, 8);
          std::printf(" %llx", (unsigned long long)w);
        }
        std::printf("\n");
        const Mapping* m = c.maps.Find(s.regs[kRip]);
        const elf::ModuleRef* ref = m != nullptr ? table.modules().Lookup(*m) : nullptr;
        if (ref != nullptr && ref->module != nullptr) {
          unwind::CfiTable& cfi = table.cfi_tables().For(*ref).table;
          const unwind::CfiRow& row = cfi.Find(s.regs[kRip] - ref->bias);
          unwind::CfiRow fresh = cfi.Build(s.regs[kRip] - ref->bias);
          std::printf("  row kind %d [%llx,%llx) cfa %d+%d ra %d; fresh kind %d [%llx,%llx) cfa %d+%d\n", row.kind,
                      (unsigned long long)row.start, (unsigned long long)row.end, row.cfa_reg, row.cfa_offset,
                      row.ra_offset, fresh.kind, (unsigned long long)fresh.start, (unsigned long long)fresh.end,
                      fresh.cfa_reg, fresh.cfa_offset);
        }
        for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
          std::vector<Frame> fa, fb;
          if (i < a.size()) sym->SymbolizeUser(c.pid, c.maps, a[i], i > 0, &fa);
          if (i < b.size()) sym->SymbolizeUser(c.pid, c.maps, b[i], i > 0, &fb);
          std::printf("  %2zu %16llx %-40s %16llx %s\n", i,
                      static_cast<unsigned long long>(i < a.size() ? a[i] : 0),
                      fa.empty() ? "" : fa.back().name.c_str(),
                      static_cast<unsigned long long>(i < b.size() ? b[i] : 0),
                      fb.empty() ? "" : fb.back().name.c_str());
        }
      }
    }
  }
  std::printf("libunwind: %d complete, %d truncated, %d failed; pure table: %d identical, "
              "%d stop where the fallback takes over, %d differ\n",
              complete, truncated, failed, same, needs_fallback, differ);
}

int Main(int argc, char** argv) {
  std::string target = std::getenv("UNWIND_TARGET") ? std::getenv("UNWIND_TARGET") : "";
  std::string phases = "4";
  int samples = 2000;
  double seconds = 2.0;
  std::vector<std::string> command;
  for (int i = 1; i < argc; i += 2) {
    if (!std::strcmp(argv[i], "--")) {
      command.assign(argv + i + 1, argv + argc);
      break;
    }
    if (i + 1 >= argc) break;
    if (!std::strcmp(argv[i], "--target")) target = argv[i + 1];
    else if (!std::strcmp(argv[i], "--phases")) phases = argv[i + 1];
    else if (!std::strcmp(argv[i], "--samples")) samples = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--seconds")) seconds = std::atof(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: unwind_bench [--target PATH] [--phases N] [--samples N] [--seconds S]\n");
      return 2;
    }
  }
  if (command.empty()) command = {target, "60", phases};
  if (command[0].empty()) {
    std::fprintf(stderr, "unwind_bench: error: no --target (or UNWIND_TARGET)\n");
    return 2;
  }
  testing::CaptureOptions options;
  options.samples = samples;
  options.min_gap_us = 100;
  options.max_gap_us = 600;
  auto c = testing::CaptureSamples(command, options);
  if (!c.ok()) {
    std::fprintf(stderr, "unwind_bench: error: %s\n", c.status().ToString().c_str());
    return 1;
  }
  struct JitMapCleanup {
    const testing::Capture& c;
    ~JitMapCleanup() { testing::RemoveJitMap(c); }
  } cleanup{*c};
  std::string what;
  for (const std::string& a : command) what += " " + a;
  std::printf("%zu samples of%s, 8 KiB stack copies; peak RSS after capture %ld KB\n",
              c->samples.size(), what.c_str(), PeakRssKb());
  Compare(*c);
  {
    unwind::TableUnwinder table;
    Print("table (+libunwind fallback)", Replay(table, *c, seconds));
    std::printf("  fallbacks: %llu of %llu samples, signal frames %llu\n",
                static_cast<unsigned long long>(table.stats().fallbacks),
                static_cast<unsigned long long>(table.stats().samples),
                static_cast<unsigned long long>(table.stats().signal_frames));
  }
  {
    unwind::LibunwindUnwinder libunwind;
    Print("libunwind remote", Replay(libunwind, *c, seconds));
  }
  BenchSymbolize(*c);
  return 0;
}

}  // namespace
}  // namespace stackfire

int main(int argc, char** argv) { return stackfire::Main(argc, argv); }
