#include "src/symbolize/debuginfod_client.h"

#include <dlfcn.h>
#include <elfutils/debuginfod.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <type_traits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "src/proc/target_files.h"
#include "src/elf/elf_module.h"

namespace stackfire::symbolize {
namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string Megabytes(long bytes) {
  if (bytes < 1000000) return absl::StrFormat("%.0f KB", static_cast<double>(bytes) / 1e3);
  return absl::StrFormat("%.1f MB", static_cast<double>(bytes) / 1e6);
}

// The progress callback has no context argument of its own; queries run
// synchronously on the calling thread, so the client in charge is that
// thread's.
thread_local DebuginfodClient* tls_active = nullptr;

}  // namespace

// The entry points, looked up once by name in the dlopen'ed library.
struct DebuginfodClient::Library {
  void* handle = nullptr;
  decltype(&debuginfod_begin) begin = nullptr;
  decltype(&debuginfod_end) end = nullptr;
  decltype(&debuginfod_find_debuginfo) find_debuginfo = nullptr;
  decltype(&debuginfod_set_progressfn) set_progressfn = nullptr;
  decltype(&debuginfod_get_url) get_url = nullptr;
  debuginfod_client* client = nullptr;

  ~Library() {
    if (client != nullptr) end(client);
    // Not dlclose'd: libcurl keeps process-wide state (atexit handlers).
  }
};

struct DebuginfodClient::Transfer {
  std::string module;
  Clock::time_point start;
  Clock::time_point last_data;
  Clock::time_point last_print;
  bool committed = false;  // a server is sending the file
  std::string url;
  long bytes = 0;
  long total = 0;
  bool announced = false;
  std::string aborted;    // why the callback stopped it
  bool stop_run = false;  // and no more queries after it
};

std::unique_ptr<DebuginfodClient> DebuginfodClient::Create(DebuginfodOptions options) {
  const char* urls = std::getenv("DEBUGINFOD_URLS");
  if (urls == nullptr || urls[0] == '\0') return nullptr;
  if (const char* t = std::getenv("DEBUGINFOD_TIMEOUT")) {
    double seconds = 0;
    if (absl::SimpleAtod(t, &seconds) && seconds > 0) options.stall_seconds = seconds;
  }
  return std::unique_ptr<DebuginfodClient>(new DebuginfodClient(std::move(options)));
}

DebuginfodClient::DebuginfodClient(DebuginfodOptions options)
    : options_(std::move(options)), tty_(::isatty(STDERR_FILENO) != 0) {}

DebuginfodClient::~DebuginfodClient() = default;

bool DebuginfodClient::Load() {
  if (load_tried_) return lib_ != nullptr;
  load_tried_ = true;
  auto lib = std::make_unique<Library>();
  lib->handle = ::dlopen(options_.library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (lib->handle == nullptr) {
    const char* why = ::dlerror();
    disabled_ = true;
    warnings_.push_back(absl::StrCat("DEBUGINFOD_URLS is set, but ", options_.library,
                                     " cannot be loaded (", why != nullptr ? why : "?",
                                     "): no debug info was fetched; install libdebuginfod1"));
    return false;
  }
  auto sym = [&](auto* slot, const char* name) {
    *slot = reinterpret_cast<std::remove_pointer_t<decltype(slot)>>(::dlsym(lib->handle, name));
    return *slot != nullptr;
  };
  const bool all = sym(&lib->begin, "debuginfod_begin") && sym(&lib->end, "debuginfod_end") &&
                   sym(&lib->find_debuginfo, "debuginfod_find_debuginfo") &&
                   sym(&lib->set_progressfn, "debuginfod_set_progressfn") &&
                   sym(&lib->get_url, "debuginfod_get_url");
  if (!all || (lib->client = lib->begin()) == nullptr) {
    disabled_ = true;
    warnings_.push_back(absl::StrCat(options_.library,
                                     " is not a usable debuginfod client library: no debug "
                                     "info was fetched"));
    return false;
  }
  lib->set_progressfn(lib->client, [](debuginfod_client*, long a, long b) -> int {
    return tls_active != nullptr ? tls_active->Progress(a, b) : 0;
  });
  lib_ = std::move(lib);
  return true;
}

void DebuginfodClient::Print(const std::string& line, bool final) {
  if (!options_.progress) return;
  if (tty_) {
    std::fprintf(stderr, "\r\033[Kstackfire: debuginfod: %s%s", line.c_str(), final ? "\n" : "");
  } else {
    std::fprintf(stderr, "stackfire: debuginfod: %s\n", line.c_str());
  }
}

int DebuginfodClient::Progress(long bytes, long total) {
  Transfer* t = transfer_;
  if (t == nullptr) return 0;
  const Clock::time_point now = Clock::now();
  // Until a server starts sending the file, the library names no URL and
  // `bytes` counts its polling loops; from then on it is the bytes received
  // and `total` the file's length (0 when unknown).
  const char* url = lib_->get_url(lib_->client);
  if (url != nullptr && !t->committed) {
    t->committed = true;
    t->url = url;
    t->bytes = bytes;
    t->last_data = now;
  } else if (t->committed && bytes > t->bytes) {
    t->bytes = bytes;
    t->last_data = now;
  }
  if (t->committed && total > 0) t->total = total;
  auto abort = [&](std::string why, bool stop_run) {
    t->aborted = std::move(why);
    t->stop_run = stop_run;
    return 1;
  };
  if (options_.cancelled && options_.cancelled()) return abort("interrupted", true);
  const double elapsed = std::chrono::duration<double>(now - t->start).count();
  const double stalled = std::chrono::duration<double>(now - t->last_data).count();
  if (stalled > options_.stall_seconds) {
    return abort(t->committed ? absl::StrFormat("the server sent nothing for %.0f s", stalled)
                              : absl::StrFormat("no server answered within %.0f s", stalled),
                 true);
  }
  if (elapsed > options_.file_seconds) {
    return abort(absl::StrFormat("the download took more than %.0f s", options_.file_seconds),
                 false);
  }
  if (stats_.seconds + elapsed > options_.run_seconds) {
    return abort(
        absl::StrFormat("downloads in this run took more than %.0f s in all", options_.run_seconds),
        true);
  }
  if (t->committed && static_cast<uint64_t>(std::max(t->bytes, t->total)) > options_.max_bytes) {
    return abort(absl::StrCat("the file is larger than ", Megabytes(options_.max_bytes)), false);
  }
  // A query still running after half a second is worth a line; a quick
  // "not found" or a small file is not (a cache hit never calls back).
  if (!t->announced && elapsed > 0.5) {
    t->announced = true;
    t->last_print = now;
    Print(t->committed ? absl::StrCat("downloading the debug info of ", t->module, " from ", t->url)
                       : absl::StrCat("asking DEBUGINFOD_URLS for the debug info of ", t->module),
          !tty_);
  } else if (t->announced && tty_ && now - t->last_print > std::chrono::milliseconds(200)) {
    t->last_print = now;
    Print(absl::StrCat(t->module, ": ",
                       t->committed
                           ? absl::StrCat(Megabytes(t->bytes),
                                          t->total > 0 ? absl::StrCat(" of ", Megabytes(t->total))
                                                       : std::string())
                           : std::string("waiting for a server"),
                       absl::StrFormat(", %.0f s", elapsed)),
          false);
  }
  return 0;
}

std::string DebuginfodClient::FetchDebugInfo(const std::string& build_id,
                                             const std::string& module) {
  if (disabled_ || build_id.empty() || !Load()) return "";
  if (options_.cancelled && options_.cancelled()) return "";
  ++stats_.queries;
  const std::string hex = elf::BuildIdHex(build_id);
  Transfer t;
  t.module = module;
  t.start = t.last_data = Clock::now();
  transfer_ = &t;
  tls_active = this;
  char* path = nullptr;
  const int rc = lib_->find_debuginfo(
      lib_->client, reinterpret_cast<const unsigned char*>(hex.c_str()), 0, &path);
  tls_active = nullptr;
  transfer_ = nullptr;
  const double took = Since(t.start);
  stats_.seconds += took;
  std::string result = path != nullptr ? path : "";
  std::free(path);
  if (rc >= 0) ::close(rc);
  if (rc >= 0 && !result.empty()) {
    // The answer is the server's: a regular file of a sane size, or nothing.
    struct stat st;
    absl::StatusOr<ScopedFd> fd = proc::OpenTargetFile("", result, &st);
    if (!fd.ok() || static_cast<uint64_t>(st.st_size) > options_.max_bytes) {
      warnings_.push_back(absl::StrCat("debuginfod: ignored the answer for ", module, ": ",
                                       fd.ok() ? "too large" : fd.status().message()));
      return "";
    }
    ++stats_.found;
    if (t.committed) {
      ++stats_.downloads;
      Print(absl::StrFormat("%s: downloaded %s of debug info in %.1f s", module,
                            Megabytes(st.st_size), took),
            true);
    }
    return result;
  }
  if (t.announced && tty_) std::fprintf(stderr, "\r\033[K");
  if (!t.aborted.empty()) {
    ++stats_.abandoned;
    std::string line =
        absl::StrCat("gave up on the debug info of ", module, " (build-id ", hex, "): ", t.aborted);
    if (t.stop_run) {
      disabled_ = true;
      absl::StrAppend(&line, "; no more debuginfod queries in this run");
    }
    // The summary's warnings say it; the progress line only goes away.
    warnings_.push_back("debuginfod: " + line);
    return "";
  }
  // -ENOENT: no server has it (normal). Anything else says the servers
  // cannot be reached: stop asking.
  if (rc != -ENOENT && rc < 0) {
    disabled_ = true;
    warnings_.push_back(absl::StrCat("debuginfod: query for ", module, " failed (",
                                     std::strerror(-rc),
                                     "); no more debuginfod queries in this run"));
  }
  return "";
}

void DebuginfodClient::AppendWarnings(std::vector<std::string>* out) const {
  out->insert(out->end(), warnings_.begin(), warnings_.end());
}

}  // namespace stackfire::symbolize
