// ExportProfile to gzip-compressed profile.proto; see pprof.h.
#include "export/pprof.h"

#include <zlib.h>

#include <cmath>
#include <cstdint>
#include <ostream>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "export/profile.pb.h"

namespace stackfire::exporter {
namespace {

namespace pb = ::perftools::profiles;

// The string table: index 0 is "", each other string once.
class StringTable {
 public:
  explicit StringTable(pb::Profile* profile) : profile_(profile) { Index(""); }

  int64_t Index(const std::string& s) {
    auto [it, inserted] = index_.try_emplace(s, static_cast<int64_t>(index_.size()));
    if (inserted) profile_->add_string_table(s);
    return it->second;
  }

 private:
  pb::Profile* profile_;
  absl::flat_hash_map<std::string, int64_t> index_;
};

}  // namespace

absl::StatusOr<std::string> SerializePprof(const ExportProfile& profile,
                                           const PprofOptions& options) {
  if (profile.samples.empty()) {
    return absl::InvalidArgumentError("the profile has no sample to export");
  }
  pb::Profile out;
  StringTable strings(&out);

  pb::ValueType* type = out.add_sample_type();
  type->set_type(strings.Index(profile.sample_type));
  type->set_unit(strings.Index(profile.sample_unit));
  for (const ExportValueType& extra : profile.extra_types) {
    pb::ValueType* t = out.add_sample_type();
    t->set_type(strings.Index(extra.type));
    t->set_unit(strings.Index(extra.unit));
  }
  if (!profile.period_type.empty()) {
    out.mutable_period_type()->set_type(strings.Index(profile.period_type));
    out.mutable_period_type()->set_unit(strings.Index(profile.period_unit));
  }
  if (!profile.default_sample_type.empty()) {
    out.set_default_sample_type(strings.Index(profile.default_sample_type));
  }
  out.set_period(profile.period);
  out.set_time_nanos(profile.time_nanos);
  out.set_duration_nanos(profile.duration_nanos);
  if (!options.comment.empty()) out.add_comment(strings.Index(options.comment));

  for (size_t i = 0; i < profile.mappings.size(); ++i) {
    const ExportMapping& m = profile.mappings[i];
    pb::Mapping* mapping = out.add_mapping();
    mapping->set_id(i + 1);
    mapping->set_memory_start(m.start);
    mapping->set_memory_limit(m.limit);
    mapping->set_file_offset(m.file_offset);
    mapping->set_filename(strings.Index(m.file));
    mapping->set_build_id(strings.Index(m.build_id));
    mapping->set_has_functions(m.has_functions);
    mapping->set_has_filenames(m.has_filenames);
    mapping->set_has_line_numbers(m.has_line_numbers);
    mapping->set_has_inline_frames(m.has_inline_frames);
  }

  // Functions by (name, file): the same name in two files is two functions.
  absl::flat_hash_map<std::pair<std::string, std::string>, uint64_t> functions;
  for (size_t i = 0; i < profile.frames.size(); ++i) {
    const ExportFrame& f = profile.frames[i];
    pb::Location* location = out.add_location();
    location->set_id(i + 1);
    if (f.mapping >= 0) {
      if (static_cast<size_t>(f.mapping) >= profile.mappings.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("frame ", i, " names mapping ", f.mapping, " of ",
                         profile.mappings.size()));
      }
      location->set_mapping_id(static_cast<uint64_t>(f.mapping) + 1);
    }
    location->set_address(f.address);
    for (const ExportLine& l : f.lines) {
      auto [it, inserted] =
          functions.try_emplace(std::make_pair(l.function, l.file), functions.size() + 1);
      if (inserted) {
        pb::Function* function = out.add_function();
        function->set_id(it->second);
        function->set_name(strings.Index(l.function));
        function->set_system_name(function->name());
        function->set_filename(strings.Index(l.file));
      }
      pb::Line* line = location->add_line();
      line->set_function_id(it->second);
      line->set_line(l.line);
    }
  }

  for (const ExportSample& s : profile.samples) {
    pb::Sample* sample = out.add_sample();
    for (size_t i = s.frames.size(); i-- > 0;) {
      if (s.frames[i] >= profile.frames.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("a sample names frame ", s.frames[i], " of ", profile.frames.size()));
      }
      sample->add_location_id(static_cast<uint64_t>(s.frames[i]) + 1);
    }
    sample->add_value(static_cast<int64_t>(std::llround(s.weight)));
    if (s.extra.size() != profile.extra_types.size()) {
      return absl::InvalidArgumentError(absl::StrCat("a sample has ", s.extra.size(),
                                                     " extra values for ",
                                                     profile.extra_types.size(), " types"));
    }
    for (double v : s.extra) sample->add_value(static_cast<int64_t>(std::llround(v)));
  }

  std::string bytes;
  if (!out.SerializeToString(&bytes)) {
    return absl::InternalError("cannot serialize the pprof profile (over 2 GiB?)");
  }
  return bytes;
}

absl::StatusOr<std::string> GzipCompress(std::string_view data, int level) {
  z_stream z{};
  // 15 window bits + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return absl::InternalError("zlib: deflateInit2 failed");
  }
  std::string out;
  out.resize(deflateBound(&z, static_cast<uLong>(data.size())) + 32);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  size_t written = out.size() - z.avail_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return absl::InternalError(absl::StrCat("zlib: deflate failed (", rc, ")"));
  out.resize(written);
  return out;
}

absl::Status WritePprof(const ExportProfile& profile, const PprofOptions& options,
                        std::ostream& out) {
  absl::StatusOr<std::string> bytes = SerializePprof(profile, options);
  if (!bytes.ok()) return bytes.status();
  absl::StatusOr<std::string> gz = GzipCompress(*bytes, options.compression_level);
  if (!gz.ok()) return gz.status();
  out.write(gz->data(), static_cast<std::streamsize>(gz->size()));
  if (!out) return absl::InternalError("cannot write the pprof profile");
  return absl::OkStatus();
}

absl::Status WritePprof(const Profile& profile, const FoldedMeta& meta,
                        const PprofOptions& options, std::ostream& out) {
  return WritePprof(FromFolded(profile, meta), options, out);
}

}  // namespace stackfire::exporter
