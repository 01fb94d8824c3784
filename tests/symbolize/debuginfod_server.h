// Test helpers around Debian's debuginfod server: a free or silent port on
// 127.0.0.1, and the real server indexing a folder, started and stopped by
// the test that owns it.
#ifndef STACKFIRE_TESTS_SYMBOLIZE_DEBUGINFOD_SERVER_H_
#define STACKFIRE_TESTS_SYMBOLIZE_DEBUGINFOD_SERVER_H_

#include <sys/types.h>

#include <string>

namespace stackfire::testing {

// A TCP socket on 127.0.0.1 bound to a free port. With listen true the
// kernel accepts connections on it, but nobody ever reads them: a server
// that never answers. Closed (or never listening): nothing there.
class Port {
 public:
  explicit Port(bool listen);
  ~Port();
  void Close();
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_;
  int port_ = 0;
};

// The status line of GET path on 127.0.0.1:port, or "" when no answer.
std::string HttpStatus(int port, const std::string& path);

// `debuginfod -F` indexing dir on a free port, its database and log at
// db_path (+ ".log"); stopped with SIGTERM on destruction.
class Server {
 public:
  Server(const std::string& binary, const std::string& dir, const std::string& db_path);
  ~Server();
  // Waits (at most 30 s) until the server answers 200 for path: it indexes
  // its folder a moment after it starts.
  bool WaitFor(const std::string& path);
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string log() const;

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_;
};

}  // namespace stackfire::testing

#endif  // STACKFIRE_TESTS_SYMBOLIZE_DEBUGINFOD_SERVER_H_
