#include "render/palette.h"

#include <cstdint>
#include <cstdio>
#include <vector>

#include "collapse/utf8.h"

namespace stackfire::render {
namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
bool Contains(std::string_view s, std::string_view what) {
  return s.find(what) != std::string_view::npos;
}

// m:^L?(java|javax|jdk|net|org|com|io|sun)/:
bool LooksLikeJava(std::string_view name) {
  if (!name.empty() && name[0] == 'L') {
    if (LooksLikeJava(name.substr(1))) return true;
  }
  for (std::string_view p : {"java/", "javax/", "jdk/", "net/", "org/", "com/", "io/", "sun/"}) {
    if (name.substr(0, p.size()) == p) return true;
  }
  return false;
}

Palette Resolve(Palette palette, std::string_view name) {
  switch (palette) {
    case Palette::kJava:
      if (EndsWith(name, "_[j]")) return Palette::kGreen;
      if (EndsWith(name, "_[i]")) return Palette::kAqua;
      if (LooksLikeJava(name)) return Palette::kGreen;
      if (Contains(name, ":::")) return Palette::kGreen;
      if (Contains(name, "::")) return Palette::kYellow;
      if (EndsWith(name, "_[k]")) return Palette::kOrange;
      return Palette::kRed;
    case Palette::kPerl:
      if (Contains(name, "::")) return Palette::kYellow;
      if (Contains(name, "Perl") || Contains(name, ".pl")) return Palette::kGreen;
      if (EndsWith(name, "_[k]")) return Palette::kOrange;
      return Palette::kRed;
    case Palette::kJs: {
      if (EndsWith(name, "_[j]")) return Contains(name, "/") ? Palette::kGreen : Palette::kAqua;
      if (Contains(name, "::")) return Palette::kYellow;
      size_t slash = name.find('/');
      if (slash != std::string_view::npos && Contains(name.substr(slash + 1), ".js")) {
        return Palette::kGreen;
      }
      if (Contains(name, ":")) return Palette::kAqua;
      if (name == " ") return Palette::kGreen;
      if (Contains(name, "_[k]")) return Palette::kOrange;
      return Palette::kRed;
    }
    case Palette::kWakeup:
      return Palette::kAqua;
    case Palette::kChain:
      return Contains(name, "_[w]") ? Palette::kAqua : Palette::kBlue;
    default:
      return palette;
  }
}

}  // namespace

absl::StatusOr<Palette> ParsePalette(std::string_view name) {
  static const std::pair<std::string_view, Palette> kNames[] = {
      {"hot", Palette::kHot},       {"mem", Palette::kMem},       {"io", Palette::kIo},
      {"wakeup", Palette::kWakeup}, {"chain", Palette::kChain},   {"java", Palette::kJava},
      {"js", Palette::kJs},         {"perl", Palette::kPerl},     {"red", Palette::kRed},
      {"green", Palette::kGreen},   {"blue", Palette::kBlue},     {"aqua", Palette::kAqua},
      {"yellow", Palette::kYellow}, {"purple", Palette::kPurple}, {"orange", Palette::kOrange},
      {"wall", Palette::kWall},
  };
  for (const auto& [n, p] : kNames) {
    if (n == name) return p;
  }
  return absl::InvalidArgumentError(
      "unknown palette \"" + std::string(name) +
      "\"; choose hot, mem, io, wakeup, chain, java, js, perl, red, green, blue, aqua, yellow, "
      "purple, orange or wall");
}

std::string Rgb::Hex() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "#000000";
  int parts[3] = {r & 0xff, g & 0xff, b & 0xff};
  for (int i = 0; i < 3; ++i) {
    out[1 + 2 * i] = kDigits[parts[i] >> 4];
    out[2 + 2 * i] = kDigits[parts[i] & 15];
  }
  return out;
}

std::string Rgb::Css() const {
  char buf[32];
  std::snprintf(buf, sizeof buf, "rgb(%d,%d,%d)", r, g, b);
  return buf;
}

double NameHash(std::string_view name) {
  std::vector<uint32_t> cps = collapse::DecodeUtf8(name);
  // s/.(.*?)`//: drop everything up to the first backtick after the first char.
  for (size_t i = 1; i < cps.size(); ++i) {
    if (cps[i] == '`') {
      cps.erase(cps.begin(), cps.begin() + static_cast<long>(i) + 1);
      break;
    }
  }
  double vector = 0, weight = 1, max = 1;
  int mod = 10;
  for (uint32_t c : cps) {
    int i = static_cast<int>(c % static_cast<uint32_t>(mod));
    vector += (static_cast<double>(i) / (mod++ - 1)) * weight;
    max += weight;
    weight *= 0.70;
    if (mod > 12) break;
  }
  return 1 - vector / max;
}

double SeededNameRandom(std::string_view name) {
  uint32_t sum = 0;
  size_t pos = 0;
  while (pos < name.size()) sum += collapse::NextCodePoint(name, &pos);
  // perl: srand(sum); rand(1) -- drand48 seeded as srand48 does.
  uint64_t state = (static_cast<uint64_t>(sum) << 16) | 0x330e;
  state = (state * 0x5DEECE66DULL + 0xB) & ((1ULL << 48) - 1);
  return static_cast<double>(state) / static_cast<double>(1ULL << 48);
}

Rgb FrameColor(Palette palette, std::string_view name, bool hash) {
  double v1, v2, v3;
  if (hash) {
    v1 = NameHash(name);
    std::vector<uint32_t> cps = collapse::DecodeUtf8(name);
    std::string reversed;
    for (size_t i = cps.size(); i-- > 0;) collapse::AppendUtf8(cps[i], &reversed);
    v2 = v3 = NameHash(reversed);
  } else {
    v1 = v2 = v3 = SeededNameRandom(name);
  }
  switch (palette) {
    case Palette::kHot:
    case Palette::kWall:
      return {205 + static_cast<int>(50 * v3), static_cast<int>(230 * v1),
              static_cast<int>(55 * v2)};
    case Palette::kMem:
      return {0, 190 + static_cast<int>(50 * v2), static_cast<int>(210 * v1)};
    case Palette::kIo: {
      int r = 80 + static_cast<int>(60 * v1);
      return {r, r, 190 + static_cast<int>(55 * v2)};
    }
    default:
      break;
  }
  switch (Resolve(palette, name)) {
    case Palette::kRed: {
      int x = 50 + static_cast<int>(80 * v1);
      return {200 + static_cast<int>(55 * v1), x, x};
    }
    case Palette::kGreen: {
      int x = 50 + static_cast<int>(60 * v1);
      return {x, 200 + static_cast<int>(55 * v1), x};
    }
    case Palette::kBlue: {
      int x = 80 + static_cast<int>(60 * v1);
      return {x, x, 205 + static_cast<int>(50 * v1)};
    }
    case Palette::kYellow: {
      int x = 175 + static_cast<int>(55 * v1);
      return {x, x, 50 + static_cast<int>(20 * v1)};
    }
    case Palette::kPurple: {
      int x = 190 + static_cast<int>(65 * v1);
      return {x, 80 + static_cast<int>(60 * v1), x};
    }
    case Palette::kAqua:
      return {50 + static_cast<int>(60 * v1), 165 + static_cast<int>(55 * v1),
              165 + static_cast<int>(55 * v1)};
    case Palette::kOrange:
      return {190 + static_cast<int>(65 * v1), 90 + static_cast<int>(65 * v1), 0};
    default:
      return {0, 0, 0};
  }
}

Rgb OffCpuColor(std::string_view name, bool hash) {
  const double v1 = hash ? NameHash(name) : SeededNameRandom(name);
  return {60 + static_cast<int>(60 * v1), 130 + static_cast<int>(70 * v1),
          210 + static_cast<int>(45 * v1)};
}

Rgb DiffColor(double delta, double max_delta, bool negate) {
  if (negate) delta = -delta;
  if (max_delta <= 0) max_delta = 1;
  if (delta > max_delta) delta = max_delta;
  if (delta < -max_delta) delta = -max_delta;
  Rgb c{255, 255, 255};
  if (delta > 0) {
    c.g = c.b = static_cast<int>(210 * (max_delta - delta) / max_delta);
  } else if (delta < 0) {
    c.r = c.g = static_cast<int>(210 * (max_delta + delta) / max_delta);
  }
  return c;
}

absl::StatusOr<Background> BackgroundFor(std::string_view bgcolors, std::string_view colors) {
  if (bgcolors.empty()) {
    if (colors == "mem") {
      bgcolors = "green";
    } else if (colors == "io" || colors == "wakeup" || colors == "chain") {
      bgcolors = "blue";
    } else if (colors == "red" || colors == "green" || colors == "blue" || colors == "aqua" ||
               colors == "yellow" || colors == "purple" || colors == "orange") {
      bgcolors = "grey";
    } else {
      bgcolors = "yellow";
    }
  }
  if (bgcolors == "yellow") return Background{"#eeeeee", "#eeeeb0"};
  if (bgcolors == "blue") return Background{"#eeeeee", "#e0e0ff"};
  if (bgcolors == "green") return Background{"#eef2ee", "#e0ffe0"};
  if (bgcolors == "grey") return Background{"#f8f8f8", "#e8e8e8"};
  if (bgcolors.size() == 7 && bgcolors[0] == '#') {
    bool hex = true;
    for (char c : bgcolors.substr(1)) hex &= std::isxdigit(static_cast<unsigned char>(c)) != 0;
    if (hex) return Background{std::string(bgcolors), std::string(bgcolors)};
  }
  return absl::InvalidArgumentError("unrecognized --bgcolors \"" + std::string(bgcolors) +
                                    "\"; use yellow, blue, green, grey or #rrggbb");
}

}  // namespace stackfire::render
