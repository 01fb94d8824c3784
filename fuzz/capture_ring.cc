// capture_ring: makes a seed for the perf_record fuzz target from a real perf
// ring buffer. It samples COMMAND with stackfire's own event attributes
// (perf::BuildAttr, counting from the exec so that the exec's COMM and MMAP2
// records are in), copies every byte the kernel writes into the ring, and
// writes the target's 32-byte header followed by the first whole records that
// fit in MAX_BYTES. Not part of stackfire; testdata/perf-records/README.md
// has the commands that made the checked-in seeds.
//
//   capture_ring OUT dwarf|fp STACK_BYTES MAX_BYTES DRAIN_MS DATA_PAGES TAIL -- COMMAND...
//
// A long DRAIN_MS with few DATA_PAGES fills the ring, so the kernel writes
// PERF_RECORD_LOST; TAIL is where the fuzz target starts reading its ring
// (pick one near 2^64 to make the first records wrap).
#include <linux/perf_event.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "src/perf/event_attr.h"

namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "capture_ring: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

void Drain(perf_event_mmap_page* meta, const uint8_t* data, size_t size,
           std::vector<uint8_t>* out) {
  const uint64_t head = std::atomic_ref<__u64>(meta->data_head).load(std::memory_order_acquire);
  const uint64_t tail = meta->data_tail;
  for (uint64_t pos = tail; pos < head; ++pos) out->push_back(data[pos & (size - 1)]);
  std::atomic_ref<__u64>(meta->data_tail).store(head, std::memory_order_release);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 10 || std::string(argv[8]) != "--") {
    std::fprintf(stderr,
                 "usage: capture_ring OUT dwarf|fp STACK_BYTES MAX_BYTES DRAIN_MS DATA_PAGES "
                 "TAIL -- COMMAND...\n");
    return 2;
  }
  const std::string out_path = argv[1];
  stackfire::perf::AttrOptions options;
  options.call_graph = std::string(argv[2]) == "fp" ? stackfire::perf::CallGraph::kFramePointer
                                                    : stackfire::perf::CallGraph::kDwarf;
  options.stack_bytes = static_cast<uint32_t>(std::strtoul(argv[3], nullptr, 10));
  const size_t max_bytes = std::strtoul(argv[4], nullptr, 10);
  const unsigned drain_ms = static_cast<unsigned>(std::strtoul(argv[5], nullptr, 10));
  const size_t pages = std::strtoul(argv[6], nullptr, 10);
  const uint64_t tail = std::strtoull(argv[7], nullptr, 0);
  options.frequency_hz = 999;
  options.enable_on_exec = true;
  perf_event_attr attr = stackfire::perf::BuildAttr(options);
  // One ring for the one task: the kernel refuses to mmap an inherited
  // per-task event (the sampler opens one per CPU instead), and the record
  // layout does not depend on it. COMMAND should not fork.
  attr.inherit = 0;

  int go[2];
  if (pipe(go) != 0) Die("pipe");
  const pid_t child = fork();
  if (child < 0) Die("fork");
  if (child == 0) {
    close(go[1]);
    char c;
    if (read(go[0], &c, 1) != 1) _exit(127);
    execvp(argv[9], argv + 9);
    _exit(127);
  }
  close(go[0]);
  const int fd = static_cast<int>(syscall(SYS_perf_event_open, &attr, child, -1, -1,
                                          PERF_FLAG_FD_CLOEXEC));
  if (fd < 0) Die("perf_event_open");
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  void* map = mmap(nullptr, (pages + 1) * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) Die("mmap");
  auto* meta = static_cast<perf_event_mmap_page*>(map);
  const uint8_t* data = static_cast<const uint8_t*>(map) + page;
  const size_t data_size = pages * page;

  std::vector<uint8_t> stream;
  if (write(go[1], "x", 1) != 1) Die("write");
  int status = 0;
  while (waitpid(child, &status, WNOHANG) == 0) {
    usleep(drain_ms * 1000);
    Drain(meta, data, data_size, &stream);
  }
  Drain(meta, data, data_size, &stream);

  // Whole records only, up to max_bytes.
  size_t keep = 0;
  while (keep + sizeof(perf_event_header) <= stream.size()) {
    perf_event_header h;
    std::memcpy(&h, stream.data() + keep, sizeof h);
    if (h.size == 0 || keep + h.size > stream.size() || keep + h.size > max_bytes) break;
    keep += h.size;
  }
  const uint64_t header[4] = {attr.sample_type, attr.sample_regs_user, tail, 0};
  FILE* f = std::fopen(out_path.c_str(), "wb");
  if (f == nullptr) Die("open " + out_path);
  std::fwrite(header, sizeof header, 1, f);
  std::fwrite(stream.data(), 1, keep, f);
  if (std::fclose(f) != 0) Die("write " + out_path);
  std::fprintf(stderr, "capture_ring: %zu of %zu bytes kept in %s\n", keep, stream.size(),
               out_path.c_str());
  return 0;
}
