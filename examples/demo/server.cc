// stackfire's demo server: a small line-based TCP server on 127.0.0.1 whose
// request paths burn CPU in distinct, named functions, so that a flame graph
// of it has a recognisable shape. Built without frame pointers (see
// meson.build), so only DWARF unwinding sees its stacks.
//
//   demo_server [--port N] [--threads N] [--cheap-checksum]
//
// Protocol: the client sends one request per line ("search <word>",
// "sort <n>", "checksum <n>", "quit"); the server answers one line.
// --cheap-checksum switches checksum to a faster algorithm: the "after" side
// of the README's differential flame graph demo.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace demo {

bool g_cheap_checksum = false;

namespace text {

// A corpus of pseudo-words that search scans.
const std::vector<std::string>& Corpus() {
  static const std::vector<std::string> corpus = [] {
    std::vector<std::string> words;
    std::mt19937 rng(42);
    for (int i = 0; i < 20000; ++i) {
      std::string w;
      int len = 3 + rng() % 8;
      for (int j = 0; j < len; ++j) w.push_back(static_cast<char>('a' + rng() % 26));
      words.push_back(std::move(w));
    }
    return words;
  }();
  return corpus;
}

// Edit distance; the hot leaf of the search path.
__attribute__((noinline)) int EditDistance(std::string_view a, std::string_view b) {
  std::vector<int> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      int sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

__attribute__((noinline)) std::string FuzzySearch(std::string_view query) {
  const auto& corpus = Corpus();
  int best = 1 << 30;
  const std::string* best_word = nullptr;
  for (const std::string& w : corpus) {
    int d = EditDistance(query, w);
    if (d < best) {
      best = d;
      best_word = &w;
    }
  }
  return best_word ? *best_word : std::string();
}

}  // namespace text

namespace numeric {

template <typename T>
__attribute__((noinline)) void SortValues(std::vector<T>& values) {
  std::sort(values.begin(), values.end());
}

__attribute__((noinline)) uint64_t SortRequest(int n) {
  std::mt19937_64 rng(n);
  std::vector<double> values(static_cast<size_t>(n));
  for (double& v : values) v = static_cast<double>(rng() % 1000000) / 7.0;
  SortValues(values);
  return static_cast<uint64_t>(values[values.size() / 2]);
}

// The checksum: a bit-by-bit CRC-32, or with --cheap-checksum FNV-1a,
// several times faster. One function either way, as a configuration switch
// inside real code would be: a differential flame graph then shows the same
// frame getting cheaper (blue) instead of one frame vanishing and another
// appearing.
__attribute__((noinline)) uint32_t Checksum(const uint8_t* p, size_t n) {
  if (g_cheap_checksum) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 16777619u;
    return h;
  }
  uint32_t crc = 0xffffffffu;
  for (size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

__attribute__((noinline)) uint32_t ChecksumRequest(int n) {
  std::vector<uint8_t> buf(static_cast<size_t>(n));
  for (size_t i = 0; i < buf.size(); ++i) buf[i] = static_cast<uint8_t>(i * 131 + 7);
  return Checksum(buf.data(), buf.size());
}

}  // namespace numeric

std::string Handle(std::string_view line) {
  auto space = line.find(' ');
  std::string_view verb = line.substr(0, space);
  std::string_view arg = space == std::string_view::npos ? "" : line.substr(space + 1);
  if (verb == "search") return text::FuzzySearch(arg);
  int n = std::clamp(std::atoi(std::string(arg).c_str()), 1, 1 << 22);
  if (verb == "sort") return std::to_string(numeric::SortRequest(n));
  if (verb == "checksum") return std::to_string(numeric::ChecksumRequest(n));
  return "error: unknown request";
}

void Serve(int fd) {
  std::string buf;
  char chunk[4096];
  for (;;) {
    ssize_t r = read(fd, chunk, sizeof chunk);
    if (r <= 0) break;
    buf.append(chunk, static_cast<size_t>(r));
    size_t nl;
    while ((nl = buf.find('\n')) != std::string::npos) {
      std::string line = buf.substr(0, nl);
      buf.erase(0, nl + 1);
      if (line == "quit") {
        close(fd);
        return;
      }
      std::string reply = Handle(line) + "\n";
      if (write(fd, reply.data(), reply.size()) < 0) {
        close(fd);
        return;
      }
    }
  }
  close(fd);
}

}  // namespace demo

int main(int argc, char** argv) {
  int port = 7878;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--port" && i + 1 < argc) port = std::atoi(argv[++i]);
    else if (a == "--cheap-checksum") demo::g_cheap_checksum = true;
    else if (a == "--threads" && i + 1 < argc) ++i;  // one thread per connection
    else {
      std::fprintf(stderr, "usage: demo_server [--port N] [--cheap-checksum]\n");
      return 2;
    }
  }
  signal(SIGPIPE, SIG_IGN);
  demo::text::Corpus();
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(ls, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(ls, 64) != 0) {
    std::fprintf(stderr, "demo_server: cannot listen on 127.0.0.1:%d: %s\n", port,
                 std::strerror(errno));
    return 1;
  }
  std::fprintf(stderr, "demo_server: listening on 127.0.0.1:%d (pid %d)\n", port, getpid());
  for (;;) {
    int fd = accept(ls, nullptr, nullptr);
    if (fd < 0) continue;
    std::thread(demo::Serve, fd).detach();
  }
}
