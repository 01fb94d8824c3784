// Debug information by build-id from debuginfod servers (DEBUGINFOD_URLS),
// through elfutils' client library and its cache (DEBUGINFOD_CACHE_PATH,
// default ~/.cache/debuginfod_client): a file fetched once is read from disk
// on every later run, and so is a "not found" for a while.
//
// libdebuginfod.so.1 is loaded with dlopen on the first query, as elfutils'
// own libdwfl does, not linked: it pulls in libcurl and some thirty
// libraries, which every `stackfire collapse` would pay for at start; and a
// machine without the library (Debian's libdebuginfod1) still runs
// stackfire, with one warning when DEBUGINFOD_URLS asks for it.
//
// Bounded, so that a slow or dead server never stalls a recording: the
// library calls back about once a second while a transfer runs, and the
// callback aborts it when
//   - the server has sent nothing for `stall_seconds` (DEBUGINFOD_TIMEOUT
//     when set, else 5 s): a dead server, or one that accepts and never
//     answers;
//   - the file has taken `file_seconds` (20 s), or grown past `max_bytes`;
//   - the run has spent `run_seconds` (30 s) downloading in all;
//   - `cancelled()` says so (a stop signal).
// After a server that does not answer, or once the run's budget is spent,
// no further query is made in this run: a dead server costs one stall, not
// one per module. A refused connection fails at once, and also ends the
// queries. What was fetched stays in the cache for the next run.
//
// Progress goes to stderr while a file downloads: one line updated in place
// when stderr is a terminal, else one line when a download starts and one
// when it ends. A file found in the cache prints nothing.
//
// Not thread-safe: used from the symbolizing thread only.
#ifndef STACKFIRE_SRC_SYMBOLIZE_DEBUGINFOD_CLIENT_H_
#define STACKFIRE_SRC_SYMBOLIZE_DEBUGINFOD_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace stackfire::symbolize {

struct DebuginfodOptions {
  double stall_seconds = 5;
  double file_seconds = 20;
  double run_seconds = 30;
  uint64_t max_bytes = uint64_t{4} << 30;
  bool progress = true;  // print download progress on stderr
  // Polled during transfers; true aborts the current one and every later.
  std::function<bool()> cancelled;
  std::string library = "libdebuginfod.so.1";
};

class DebuginfodClient {
 public:
  // nullptr when DEBUGINFOD_URLS is unset or empty: no query is ever made.
  // Otherwise the library is loaded on the first Fetch. DEBUGINFOD_TIMEOUT,
  // when set to a positive number, replaces options.stall_seconds.
  static std::unique_ptr<DebuginfodClient> Create(DebuginfodOptions options);
  ~DebuginfodClient();
  DebuginfodClient(const DebuginfodClient&) = delete;
  DebuginfodClient& operator=(const DebuginfodClient&) = delete;

  // The path (in the client cache) of the debug file for a raw build-id, or
  // "" when there is none, the query failed or queries are off for this run.
  // `module` names the file in progress lines and warnings.
  std::string FetchDebugInfo(const std::string& build_id, const std::string& module);

  // Problems for the summary: the library missing, downloads abandoned (and
  // why), queries turned off for the rest of the run.
  void AppendWarnings(std::vector<std::string>* out) const;

  struct Stats {
    uint64_t queries = 0;
    uint64_t found = 0;      // from the cache or downloaded
    uint64_t downloads = 0;  // sent by a server (not cache hits)
    uint64_t abandoned = 0;  // aborted by a bound or a signal
    double seconds = 0;      // spent in queries
  };
  const Stats& stats() const { return stats_; }

 private:
  struct Library;
  struct Transfer;
  explicit DebuginfodClient(DebuginfodOptions options);
  bool Load();
  int Progress(long bytes, long total);
  void Print(const std::string& line, bool final);

  DebuginfodOptions options_;
  std::unique_ptr<Library> lib_;
  bool load_tried_ = false;
  bool disabled_ = false;
  std::string disabled_why_;
  Transfer* transfer_ = nullptr;  // during FetchDebugInfo
  bool tty_ = false;
  std::vector<std::string> warnings_;
  Stats stats_;
};

}  // namespace stackfire::symbolize

#endif  // STACKFIRE_SRC_SYMBOLIZE_DEBUGINFOD_CLIENT_H_
