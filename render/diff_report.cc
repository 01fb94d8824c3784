#include "render/diff_report.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "render/report.h"
#include "export/json_escape.h"
#include "re2/re2.h"
#include "render/significant_diff.h"

namespace stackfire::render {
namespace {

constexpr char kReset[] = "\033[0m";
constexpr char kBold[] = "\033[1m";
constexpr char kRed[] = "\033[31m";
constexpr char kBlue[] = "\033[34m";

absl::StatusOr<std::unique_ptr<RE2>> Compile(const std::string& grep) {
  if (grep.empty()) return std::unique_ptr<RE2>();
  auto re = std::make_unique<RE2>(grep, RE2::Quiet);
  if (!re->ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--grep: '", grep, "' is not a valid regular expression (", re->error(), ")"));
  }
  return re;
}

double Size(const ItemChange& c) {
  return std::max(std::fabs(c.self.delta_pct), std::fabs(c.total.delta_pct));
}

bool AnySignificant(const ItemChange& c) { return c.self.significant() || c.total.significant(); }

std::string Pct(double v) { return absl::StrFormat("%.2f%%", v); }
std::string SignedPct(double v) {
  std::string s = absl::StrFormat("%+.2f%%", v);
  if (s == "-0.00%" || s == "+0.00%") return "0.00%";
  return s;
}

const char* Word(Verdict v) {
  return v == Verdict::kGrew ? "grew" : v == Verdict::kShrank ? "shrank" : "unchanged";
}

// "grew", "grew (self)", "shrank (total)", "-".
std::string VerdictText(const ItemChange& c) {
  const Verdict s = c.self.verdict, t = c.total.verdict;
  if (s != Verdict::kUnchanged && (t == s || t == Verdict::kUnchanged)) {
    return t == s ? Word(s) : absl::StrCat(Word(s), " (self)");
  }
  if (t != Verdict::kUnchanged && s == Verdict::kUnchanged) {
    return absl::StrCat(Word(t), " (total)");
  }
  if (s != Verdict::kUnchanged) return absl::StrCat("self ", Word(s), ", total ", Word(t));
  return "-";
}

std::string Pad(const std::string& s, size_t w) {
  return s.size() >= w ? s : std::string(w - s.size(), ' ') + s;
}

std::string QText(const ItemChange& c) {
  std::string q = FormatP("", std::min(c.self.q, c.total.q));
  // FormatP gives " = 0.012"; keep the number.
  size_t eq = q.find_first_not_of(" =<");
  return q[1] == '<' ? "<1e-300" : q.substr(eq);
}

void AppendChangeJson(const char* key, const Change& c, std::string* out) {
  absl::StrAppendFormat(out,
                        "\"%s\":{\"before\":%.17g,\"after\":%.17g,\"expected\":%.17g,"
                        "\"before_pct\":%.6f,\"after_pct\":%.6f,\"delta_pct\":%.6f,"
                        "\"p\":%.6g,\"q\":%.6g,\"tested\":%s,\"verdict\":\"%s\"}",
                        key, c.before, c.after, c.expected, c.before_pct, c.after_pct,
                        c.delta_pct, c.PValue(), c.q, c.tested ? "true" : "false",
                        Word(c.verdict));
}

void AppendRowJson(const FunctionChange& f, std::string* out) {
  *out += "{\"name\":";
  exporter::AppendJsonString(f.name, out);
  *out += ',';
  AppendChangeJson("self", f.change.self, out);
  *out += ',';
  AppendChangeJson("total", f.change.total, out);
  *out += '}';
}

}  // namespace

absl::StatusOr<DiffReport> BuildDiffReport(const DiffRuns& runs,
                                           std::vector<FunctionChange> functions,
                                           const DiffReportOptions& options) {
  absl::StatusOr<std::unique_ptr<RE2>> re = Compile(options.grep);
  if (!re.ok()) return re.status();
  DiffReport r;
  r.functions = functions.size();
  r.test = TestName(runs);
  r.before_runs = runs.files_before();
  r.after_runs = runs.files_after();
  r.pooled = runs.files_before() + runs.files_after() > runs.runs();
  for (size_t i = 0; i < runs.runs(); ++i) {
    (i < runs.before_runs() ? r.before_samples : r.after_samples) += runs.run_samples()[i];
  }
  r.per_unit = runs.per_unit();
  for (const FunctionChange& f : functions) r.significant += AnySignificant(f.change);
  if (*re != nullptr) {
    std::erase_if(functions,
                  [&](const FunctionChange& f) { return !RE2::PartialMatch(f.name, **re); });
  }
  r.matched = functions.size();
  std::sort(functions.begin(), functions.end(),
            [](const FunctionChange& a, const FunctionChange& b) {
              // Where the time went (self) first, then the callers whose
              // totals moved with it, then the rest.
              const int ra = a.change.self.significant() ? 2 : AnySignificant(a.change);
              const int rb = b.change.self.significant() ? 2 : AnySignificant(b.change);
              if (ra != rb) return ra > rb;
              const double da = Size(a.change), db = Size(b.change);
              if (da != db) return da > db;
              return a.name < b.name;
            });
  if (options.top > 0 && functions.size() > options.top) functions.resize(options.top);
  r.rows = std::move(functions);
  return r;
}

std::string FormatDiffReport(const DiffReport& r, const DiffReportOptions& o) {
  const bool c = o.color;
  std::string out;
  auto runs = [](size_t n) { return absl::StrCat(n, n == 1 ? " run" : " runs"); };
  absl::StrAppend(&out, c ? kBold : "", "Before: ", runs(r.before_runs), ", ",
                  FormatWeight(r.before_samples), " samples  After: ", runs(r.after_runs), ", ",
                  FormatWeight(r.after_samples), " samples  Normalised by: ",
                  r.per_unit ? "units of work" : "total samples", c ? kReset : "", "\n");
  absl::StrAppend(&out, "Test: ",
                  r.test != "binomial" ? "Welch t-test on per-run shares (spread between runs)"
                  : r.pooled           ? "exact binomial (runs pooled, --pool)"
                                       : "exact binomial (one run per side)",
                  ", false-discovery rate ", Pct(100 * o.alpha),
                  " (Benjamini-Hochberg over the ", r.functions, " self and, apart, the total tests)\n");
  absl::StrAppend(&out, "Significant: ", r.significant, " of ", r.functions, " functions; shown: ",
                  r.rows.size());
  if (!o.grep.empty()) {
    absl::StrAppend(&out, " of ", r.matched, " matching /", EscapeForTerminal(o.grep), "/");
  }
  out += "\n";
  // Self% before/after, delta; Total% before/after, delta; q; verdict; name.
  const char* head[] = {"Self%B", "Self%A", "SelfΔ", "Total%B", "Total%A", "TotalΔ", "q"};
  const size_t w[] = {7, 7, 8, 7, 7, 8, 7};
  size_t verdict_w = 7;  // "Verdict"
  for (const FunctionChange& f : r.rows) verdict_w = std::max(verdict_w, VerdictText(f.change).size());
  size_t prefix = verdict_w + 2;
  for (size_t x : w) prefix += x + 2;
  size_t name_w = 0;
  if (o.width > 0) name_w = std::max<size_t>(12, o.width > prefix ? o.width - prefix : 0);
  if (c) out += kBold;
  for (size_t i = 0; i < 7; ++i) {
    // "Δ" is two bytes, one column.
    std::string h = head[i];
    size_t cols = h.size() - (h.find("Δ") != std::string::npos ? 1 : 0);
    out += std::string(w[i] > cols ? w[i] - cols : 0, ' ') + h + "  ";
  }
  out += "Verdict" + std::string(verdict_w - 7, ' ') + "  Function";
  if (c) out += kReset;
  out += "\n";
  for (const FunctionChange& f : r.rows) {
    const ItemChange& ch = f.change;
    std::string name = EscapeForTerminal(f.name);
    if (name_w > 0) name = TruncateMiddle(name, name_w);
    std::string verdict = VerdictText(ch);
    const char* color = "";
    if (c && AnySignificant(ch)) {
      const Verdict v = ch.self.significant() ? ch.self.verdict : ch.total.verdict;
      color = v == Verdict::kGrew ? kRed : kBlue;
    }
    absl::StrAppend(&out, Pad(Pct(ch.self.before_pct), w[0]), "  ",
                    Pad(Pct(ch.self.after_pct), w[1]), "  ", Pad(SignedPct(ch.self.delta_pct), w[2]),
                    "  ", Pad(Pct(ch.total.before_pct), w[3]), "  ",
                    Pad(Pct(ch.total.after_pct), w[4]), "  ",
                    Pad(SignedPct(ch.total.delta_pct), w[5]), "  ", Pad(QText(ch), w[6]), "  ",
                    color, verdict, *color ? kReset : "",
                    std::string(verdict_w - verdict.size(), ' '), "  ", name, "\n");
  }
  if (r.rows.empty() && !o.grep.empty()) {
    absl::StrAppend(&out, "(no function name matches /", EscapeForTerminal(o.grep), "/)\n");
  }
  return out;
}

absl::StatusOr<std::vector<FunctionChange>> Regressions(
    const std::vector<FunctionChange>& functions, double pct, const std::string& grep) {
  absl::StatusOr<std::unique_ptr<RE2>> re = Compile(grep);
  if (!re.ok()) return re.status();
  std::vector<FunctionChange> out;
  for (const FunctionChange& f : functions) {
    if (*re != nullptr && !RE2::PartialMatch(f.name, **re)) continue;
    auto regressed = [pct](const Change& c) {
      return c.verdict == Verdict::kGrew && c.delta_pct > pct;
    };
    if (regressed(f.change.self) || regressed(f.change.total)) out.push_back(f);
  }
  std::sort(out.begin(), out.end(), [](const FunctionChange& a, const FunctionChange& b) {
    const double da = std::max(a.change.self.delta_pct, a.change.total.delta_pct);
    const double db = std::max(b.change.self.delta_pct, b.change.total.delta_pct);
    if (da != db) return da > db;
    return a.name < b.name;
  });
  return out;
}

std::string FormatRegressions(const std::vector<FunctionChange>& regressions, double pct) {
  std::string out;
  for (const FunctionChange& f : regressions) {
    absl::StrAppend(&out, "regressed: ", EscapeForTerminal(f.name), ":");
    bool first = true;
    for (const auto& [label, c] : {std::pair<const char*, const Change*>{"total", &f.change.total},
                                   std::pair<const char*, const Change*>{"self", &f.change.self}}) {
      if (!(c->verdict == Verdict::kGrew && c->delta_pct > pct)) continue;
      absl::StrAppend(&out, first ? " " : "; ", label, " ", Pct(c->before_pct), " -> ",
                      Pct(c->after_pct), " (", SignedPct(c->delta_pct), " of total, ",
                      FormatP("q", c->q), ")");
      first = false;
    }
    out += "\n";
  }
  return out;
}

std::string DiffReportJson(const DiffReport& r, const std::vector<FunctionChange>* regressions,
                           double pct) {
  std::string out = "{";
  absl::StrAppendFormat(&out,
                        "\"test\":\"%s\",\"pooled\":%s,\"normalised_by\":\"%s\",\"before\":{\"runs\":%d,"
                        "\"samples\":%.17g},\"after\":{\"runs\":%d,\"samples\":%.17g},"
                        "\"functions\":%d,\"significant\":%d,\"rows\":[",
                        r.test, r.pooled ? "true" : "false", r.per_unit ? "units" : "total",
                        r.before_runs, r.before_samples,
                        r.after_runs, r.after_samples, r.functions, r.significant);
  for (size_t i = 0; i < r.rows.size(); ++i) {
    if (i > 0) out += ',';
    out += '\n';
    AppendRowJson(r.rows[i], &out);
  }
  out += "]";
  if (regressions != nullptr) {
    absl::StrAppendFormat(&out, ",\n\"fail_if_regressed_pct\":%.6g,\"regressed\":[", pct);
    for (size_t i = 0; i < regressions->size(); ++i) {
      if (i > 0) out += ',';
      out += '\n';
      AppendRowJson((*regressions)[i], &out);
    }
    out += "]";
  }
  out += "}\n";
  return out;
}

}  // namespace stackfire::render
