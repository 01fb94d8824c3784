// The bodies of the libFuzzer targets, shared by the fuzzers (fuzz/*_fuzzer.cc)
// and by the regression test that replays saved crash inputs in every normal
// and sanitizer test run (tests/fuzz/fuzz_regressions_test.cc).
//
// Contract: each function takes arbitrary bytes, must return without
// crashing, and aborts (via FUZZ_CHECK) when an output property is broken:
// the SVG writers must always produce well-formed XML (libxml2's parser)
// with valid UTF-8, no control bytes, and no markup taken from the input;
// the /proc/PID/maps parser and the perf ring-buffer reader and record parser
// must agree with a simple model of their input (see the two *_target.cc);
// the demangler keeps its cuts consistent (demangle_target.cc); the parsers
// of perf maps, MiniDebugInfo and stripped ELF files keep the properties
// names_target.cc lists.
#ifndef STACKFIRE_FUZZ_TARGETS_H_
#define STACKFIRE_FUZZ_TARGETS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace stackfire {
class ProcessMaps;
}  // namespace stackfire

namespace stackfire::fuzz {

// The names of the targets, as used for fuzz/<name>_fuzzer and
// testdata/fuzz-regressions/<name>/.
inline constexpr const char* kTargets[] = {"perf_script", "folded",      "render_svg", "diff_svg",
                                           "proc_maps",   "perf_record", "demangle",
                                           "pprof",       "names",       "proc_task"};

// Runs target `name` on `data`; false if `name` is unknown.
bool RunTarget(std::string_view name, const uint8_t* data, size_t size);

void FuzzPerfScript(const uint8_t* data, size_t size);
void FuzzFolded(const uint8_t* data, size_t size);
void FuzzRenderSvg(const uint8_t* data, size_t size);
void FuzzDiffSvg(const uint8_t* data, size_t size);
void FuzzProcMaps(const uint8_t* data, size_t size);   // proc_maps_target.cc
void FuzzPerfRecord(const uint8_t* data, size_t size);  // perf_record_target.cc
void FuzzDemangle(const uint8_t* data, size_t size);    // demangle_target.cc
void FuzzPprof(const uint8_t* data, size_t size);       // pprof_target.cc
void FuzzNames(const uint8_t* data, size_t size);       // names_target.cc
void FuzzProcTask(const uint8_t* data, size_t size);    // proc_task_target.cc

// Aborts unless the mappings are sorted, disjoint, non-empty and each is
// found by its own first and last address.
void CheckMapsInvariants(const ProcessMaps& maps);

// Empty if `svg` is a well-formed, inert SVG document; otherwise what is
// wrong with it.
std::string CheckSvg(std::string_view svg);

}  // namespace stackfire::fuzz

#endif  // STACKFIRE_FUZZ_TARGETS_H_
