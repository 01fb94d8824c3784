// Load generator for the demo server: N connections on 127.0.0.1, each
// sending a fixed mix of requests back to back for a bounded time, or until
// it has sent --requests R of them. A fixed number of requests asks the same
// work of the server whatever its speed and the machine's load: the
// differential demo compares two runs of that same work.
//
//   demo_load [--port N] [--connections N] [--seconds S] [--requests R]
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

void Client(int port, std::chrono::steady_clock::time_point deadline, long requests) {
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
                                        "checksum 1500000\n", "search profiler\n"};
  for (size_t i = 0; std::chrono::steady_clock::now() < deadline; ++i) {
    if (requests > 0 && static_cast<long>(i) >= requests) break;
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
  long requests = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view a = argv[i];
    if (a == "--port") port = std::atoi(argv[i + 1]);
    else if (a == "--connections") connections = std::atoi(argv[i + 1]);
    else if (a == "--seconds") seconds = std::atof(argv[i + 1]);
    else if (a == "--requests") requests = std::atol(argv[i + 1]);
  }
  const auto start = std::chrono::steady_clock::now();
  auto deadline = start +
                  std::chrono::milliseconds(static_cast<long>(seconds * 1000));
  std::vector<std::thread> threads;
  for (int i = 0; i < connections; ++i) threads.emplace_back(Client, port, deadline, requests);
  for (auto& t : threads) t.join();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "demo_load: %ld requests in %.1f s\n", g_requests.load(), elapsed);
  return 0;
}
