// Load generator for the demo server: N connections on 127.0.0.1, each
// sending a fixed mix of requests back to back for a bounded time.
//
//   demo_load [--port N] [--connections N] [--seconds S]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

std::atomic<long> g_requests{0};

bool Roundtrip(int fd, const std::string& request) {
  if (write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    return false;
  }
  char c;
  for (;;) {
    if (read(fd, &c, 1) != 1) return false;
    if (c == '\n') return true;
  }
}

void Client(int port, std::chrono::steady_clock::time_point deadline) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int tries = 0; connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0; ++tries) {
    if (tries > 50) {
      std::fprintf(stderr, "demo_load: cannot connect to 127.0.0.1:%d\n", port);
      close(fd);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const std::vector<std::string> mix = {"search flamegraph\n", "sort 200000\n",
                                        "checksum 400000\n", "search profiler\n"};
  for (size_t i = 0; std::chrono::steady_clock::now() < deadline; ++i) {
    if (!Roundtrip(fd, mix[i % mix.size()])) break;
    ++g_requests;
  }
  (void)!write(fd, "quit\n", 5);
  close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  int port = 7878, connections = 2;
  double seconds = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view a = argv[i];
    if (a == "--port") port = std::atoi(argv[i + 1]);
    else if (a == "--connections") connections = std::atoi(argv[i + 1]);
    else if (a == "--seconds") seconds = std::atof(argv[i + 1]);
  }
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<long>(seconds * 1000));
  std::vector<std::thread> threads;
  for (int i = 0; i < connections; ++i) threads.emplace_back(Client, port, deadline);
  for (auto& t : threads) t.join();
  std::fprintf(stderr, "demo_load: %ld requests in %.1f s\n", g_requests.load(), seconds);
  return 0;
}
