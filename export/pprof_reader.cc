#include "export/pprof_reader.h"

#include <zlib.h>

#include <cinttypes>
#include <cstdio>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "export/profile.pb.h"
#include "stackfire/profile.h"

namespace stackfire::exporter {
namespace {

namespace pb = ::perftools::profiles;

// A sample names each location with a byte or two, so a small input could
// otherwise make stacks of terabytes.
constexpr size_t kMaxStackBytes = 4 << 20;

absl::string_view A(std::string_view s) { return absl::string_view(s.data(), s.size()); }

absl::Status Corrupt(absl::string_view source, absl::string_view what) {
  return absl::DataLossError(absl::StrCat(source, ": not a valid pprof profile: ", what));
}

}  // namespace

bool IsGzip(std::string_view b) {
  return b.size() >= 2 && static_cast<unsigned char>(b[0]) == 0x1f &&
         static_cast<unsigned char>(b[1]) == 0x8b;
}

bool LooksBinary(std::string_view b) {
  const size_t n = std::min<size_t>(b.size(), 256);
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(b[i]);
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return true;
  }
  return false;
}

absl::StatusOr<std::string> Inflate(std::string_view bytes, size_t max_bytes) {
  z_stream z{};
  // 15 window bits + 32: gzip or zlib, told apart by the header.
  if (inflateInit2(&z, 15 + 32) != Z_OK) return absl::InternalError("zlib: inflateInit2 failed");
  std::string out;
  size_t pos = 0;
  char buf[1 << 16];
  int rc = Z_OK;
  while (true) {
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data() + pos));
    z.avail_in = static_cast<uInt>(std::min<size_t>(bytes.size() - pos, 1u << 30));
    const size_t in_before = z.avail_in;
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    pos += in_before - z.avail_in;
    out.append(buf, sizeof buf - z.avail_out);
    if (out.size() > max_bytes) {
      inflateEnd(&z);
      return absl::ResourceExhaustedError(
          absl::StrCat("the gzip stream inflates to more than ", max_bytes, " bytes"));
    }
    if (rc == Z_STREAM_END) {
      // Concatenated members (`cat a.gz b.gz`) are read one after the other.
      if (pos < bytes.size() && IsGzip(bytes.substr(pos))) {
        inflateReset(&z);
        continue;
      }
      break;
    }
    if (rc != Z_OK && !(rc == Z_BUF_ERROR && z.avail_out == 0)) break;
    if (pos >= bytes.size() && z.avail_out != 0) {
      rc = Z_BUF_ERROR;  // ran out of input before the end of the stream
      break;
    }
  }
  inflateEnd(&z);
  if (rc != Z_STREAM_END) {
    return absl::DataLossError(rc == Z_BUF_ERROR ? "the gzip stream is truncated"
                                                 : "the gzip stream is corrupt");
  }
  return out;
}

absl::StatusOr<PprofStacks> ReadPprof(std::string_view bytes, std::string_view source_name,
                                      const PprofReadOptions& options) {
  const absl::string_view source = A(source_name);
  std::string inflated;
  if (IsGzip(bytes)) {
    absl::StatusOr<std::string> s = Inflate(bytes, options.max_bytes);
    if (!s.ok()) return Corrupt(source, s.status().message());
    inflated = std::move(*s);
    bytes = inflated;
  }
  if (bytes.size() > static_cast<size_t>(INT32_MAX)) {
    return Corrupt(source, "larger than 2 GiB");
  }
  pb::Profile p;
  if (!p.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Corrupt(source, "the protobuf message does not parse");
  }
  const auto& strings = p.string_table();
  auto str = [&](int64_t i, absl::string_view what) -> absl::StatusOr<absl::string_view> {
    if (i < 0 || i >= strings.size()) {
      return Corrupt(source, absl::StrCat(what, " names string ", i, " of ", strings.size()));
    }
    return absl::string_view(strings[static_cast<int>(i)]);
  };

  PprofStacks out;
  if (p.sample_type_size() == 0) return Corrupt(source, "it has no sample type");
  int chosen = -1, samples_index = -1, default_index = -1;
  std::string default_type;
  if (p.default_sample_type() != 0) {
    absl::StatusOr<absl::string_view> d = str(p.default_sample_type(), "default_sample_type");
    if (!d.ok()) return d.status();
    default_type = std::string(*d);
  }
  for (int i = 0; i < p.sample_type_size(); ++i) {
    absl::StatusOr<absl::string_view> type = str(p.sample_type(i).type(), "a sample type");
    if (!type.ok()) return type.status();
    absl::StatusOr<absl::string_view> unit = str(p.sample_type(i).unit(), "a sample unit");
    if (!unit.ok()) return unit.status();
    out.types.push_back(absl::StrCat(*type, "/", *unit));
    if (!options.sample_type.empty() && *type == options.sample_type && chosen < 0) chosen = i;
    if (*type == "samples" && samples_index < 0) samples_index = i;
    if (!default_type.empty() && *type == default_type && default_index < 0) default_index = i;
  }
  if (!options.sample_type.empty() && chosen < 0) {
    std::string list;
    for (const std::string& t : out.types) absl::StrAppend(&list, list.empty() ? "" : ", ", t);
    return absl::NotFoundError(absl::StrCat(source, " has no sample type '", options.sample_type,
                                            "' (it has ", list, ")"));
  }
  if (chosen < 0) chosen = samples_index >= 0 ? samples_index : default_index;
  if (chosen < 0) chosen = 0;
  out.type = std::string(*str(p.sample_type(chosen).type(), ""));
  out.unit = std::string(*str(p.sample_type(chosen).unit(), ""));

  // Function names, by id.
  absl::flat_hash_map<uint64_t, std::string> functions;
  for (const pb::Function& f : p.function()) {
    absl::StatusOr<absl::string_view> name = str(f.name(), "a function");
    if (!name.ok()) return name.status();
    std::string n(*name);
    if (n.empty()) {
      absl::StatusOr<absl::string_view> sys = str(f.system_name(), "a function");
      if (!sys.ok()) return sys.status();
      n = std::string(*sys);
    }
    if (n.empty()) n = "[unknown]";
    functions[f.id()] = SanitizeFrameName(n);
  }
  // Each location's frames, root first, joined by ';'.
  absl::flat_hash_map<uint64_t, std::string> locations;
  for (const pb::Location& l : p.location()) {
    std::string text;
    if (l.line_size() == 0) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "0x%" PRIx64, l.address());
      text = buf;
    }
    for (int i = l.line_size(); i-- > 0;) {
      auto it = functions.find(l.line(i).function_id());
      if (it == functions.end()) {
        return Corrupt(source, absl::StrCat("location ", l.id(), " names function ",
                                            l.line(i).function_id(), ", which is not defined"));
      }
      if (!text.empty()) text += ';';
      text += it->second;
      if (i + 1 < l.line_size()) text += "_[i]";  // inlined into the line after it
    }
    locations[l.id()] = std::move(text);
  }

  absl::flat_hash_map<std::string, double> stacks;
  std::vector<std::string> order;  // first-seen order
  size_t stack_bytes = 0;
  std::string stack;
  const int want_values = p.sample_type_size();
  for (const pb::Sample& s : p.sample()) {
    ++out.samples;
    if (s.value_size() != want_values) {
      return Corrupt(source, absl::StrCat("a sample has ", s.value_size(), " values for ",
                                          want_values, " sample types"));
    }
    const int64_t v = s.value(chosen);
    if (v < 0) {
      return Corrupt(source, "a sample has a negative value (a profile made with -diff_base? "
                             "give its two profiles to `stackfire diff` instead)");
    }
    if (v == 0) continue;
    stack.clear();
    for (int i = s.location_id_size(); i-- > 0;) {
      auto it = locations.find(s.location_id(i));
      if (it == locations.end()) {
        return Corrupt(source, absl::StrCat("a sample names location ", s.location_id(i),
                                            ", which is not defined"));
      }
      if (it->second.empty()) continue;
      if (!stack.empty()) stack += ';';
      stack += it->second;
      if (stack.size() > kMaxStackBytes) {
        return Corrupt(source, absl::StrCat("a sample's stack is longer than ", kMaxStackBytes,
                                            " bytes"));
      }
    }
    if (stack.empty()) stack = "[unknown]";
    auto [it, inserted] = stacks.try_emplace(stack, 0);
    if (inserted) {
      order.push_back(stack);
      stack_bytes += stack.size();
      if (stack_bytes > options.max_bytes) {
        return Corrupt(source, absl::StrCat("its stacks take more than ", options.max_bytes,
                                            " bytes"));
      }
    }
    it->second += static_cast<double>(v);
  }
  collapse::FoldedInput& f = out.folded;
  for (std::string& st : order) {
    const double w = stacks[st];
    const std::string& kept = f.storage.emplace_back(std::move(st));
    collapse::FoldedRecord r;
    r.stack = kept;
    r.count = w;
    f.records.push_back(r);
    ++f.lines;
  }
  return out;
}

}  // namespace stackfire::exporter
