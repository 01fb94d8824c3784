// CheckSvg: libxml2 parses the document (no network, no entity expansion);
// on top of XML 1.0's own rules (which already forbid invalid UTF-8 and
// control bytes), the element tree may hold only the one <script> and one
// <style> the writer emits, and no event-handler attribute (on*) but the
// root's onload. A flame graph (one with a #zoom group) must also pass the
// test reader's frame-table check (tests/render/svg_frames.h): its JSON
// table parses and its paths draw exactly the table's frames.
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <cstring>
#include <string>
#include <string_view>

#include "fuzz/targets.h"
#include "tests/render/svg_frames.h"

namespace stackfire::fuzz {
namespace {

void SilentError(void*, const char*, ...) {}

struct Counts {
  int scripts = 0;
  int styles = 0;
  std::string problem;
};

void Walk(xmlNode* node, Counts* c) {
  for (xmlNode* n = node; n != nullptr; n = n->next) {
    if (n->type != XML_ELEMENT_NODE) continue;
    const char* name = reinterpret_cast<const char*>(n->name);
    if (std::strcmp(name, "script") == 0) ++c->scripts;
    if (std::strcmp(name, "style") == 0) ++c->styles;
    if (std::strcmp(name, "foreignObject") == 0 || std::strcmp(name, "iframe") == 0 ||
        std::strcmp(name, "a") == 0) {
      c->problem = std::string("unexpected element <") + name + ">";
    }
    for (xmlAttr* a = n->properties; a != nullptr; a = a->next) {
      const char* an = reinterpret_cast<const char*>(a->name);
      bool ours = std::strcmp(name, "svg") == 0 && std::strcmp(an, "onload") == 0 &&
                  n->parent != nullptr && n->parent->type == XML_DOCUMENT_NODE;
      if (!ours && (an[0] == 'o' || an[0] == 'O') && (an[1] == 'n' || an[1] == 'N')) {
        c->problem = std::string("event attribute ") + an + " on <" + name + ">";
      }
    }
    Walk(n->children, c);
  }
}

}  // namespace

std::string CheckSvg(std::string_view svg) {
  static const bool init = [] {
    xmlInitParser();
    xmlSetGenericErrorFunc(nullptr, SilentError);
    return true;
  }();
  (void)init;
  for (char ch : svg) {
    unsigned char u = static_cast<unsigned char>(ch);
    if (u < 0x20 && u != '\n' && u != '\t' && u != '\r') {
      return "control byte " + std::to_string(u);
    }
  }
  xmlDoc* doc = xmlReadMemory(svg.data(), static_cast<int>(svg.size()), "fuzz.svg", "UTF-8",
                              XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                                  XML_PARSE_HUGE);
  if (doc == nullptr) {
    const xmlError* e = xmlGetLastError();
    return std::string("not well-formed XML: ") + (e && e->message ? e->message : "?");
  }
  Counts c;
  Walk(xmlDocGetRootElement(doc), &c);
  xmlFreeDoc(doc);
  if (!c.problem.empty()) return c.problem;
  // The writer's own (none in the "no input" error picture).
  if (c.scripts > 1) return "expected at most 1 <script>, found " + std::to_string(c.scripts);
  if (c.styles > 1) return "expected at most 1 <style>, found " + std::to_string(c.styles);
  if (svg.find("<g id=\"zoom\"") != std::string_view::npos) {
    testing::SvgDoc frames = testing::ParseStackfireSvg(std::string(svg));
    if (!frames.error.empty()) return "frame table: " + frames.error;
    if (frames.frames.empty()) return "frame table: no frames";
  }
  return "";
}

}  // namespace stackfire::fuzz
