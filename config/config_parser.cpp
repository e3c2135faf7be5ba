#include "config/config_parser.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "config/json_reader.h"
#include "config/monitor_parser.h"
#include "config/sinks_parser.h"

namespace prober::config {
namespace {

void parse_vantage(JsonReader& r, VantageConfig& v) {
  if (auto name = r.string("name")) v.name = *name;
  if (auto region = r.string("region")) v.region = *region;
  if (auto labels = r.string_map("labels")) {
    // They become Prometheus labels of every series sent by remote write.
    static const std::set<std::string> reserved{"vantage", "region",  "monitor", "type",
                                                "target",  "address", "__name__"};
    for (const auto& [k, value] : *labels) {
      bool valid = !k.empty() && !std::isdigit(static_cast<unsigned char>(k[0])) && k.rfind("__", 0) != 0 &&
                   std::all_of(k.begin(), k.end(),
                               [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
      if (!valid)
        r.add({r.pointer("labels") + "/" + pointer_escape(k),
               "expected a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)"});
      else if (reserved.count(k))
        r.add({r.pointer("labels") + "/" + pointer_escape(k), "\"" + k + "\" is set by prober itself"});
    }
    v.labels = *labels;
  }
  if (auto control = r.strings("control")) v.control = *control;
  v.index = r.integer("index", 0, 1000);
  v.count = r.integer("count", 1, 1000);
  if (v.index.has_value() != v.count.has_value()) {
    r.error(v.index ? "count" : "index", "vantage.index and vantage.count go together");
  } else if (v.index && *v.index >= *v.count) {
    r.error("index", "must be less than count (" + std::to_string(*v.count) + "), got " + std::to_string(*v.index));
  }
  r.finish();
}

void parse_diagnostics(JsonReader& r, DiagnosticsConfig& d) {
  if (auto v = r.boolean("enabled")) d.enabled = *v;
  if (auto v = r.duration("timeout", std::chrono::minutes(2))) d.timeout = *v;
  if (auto v = r.duration("min_interval", std::chrono::hours(24 * 7))) d.min_interval = *v;
  if (auto v = r.integer("max_concurrent", 1, 64)) d.max_concurrent = *v;
  if (auto v = r.integer("max_hops", 1, 64)) d.max_hops = *v;
  r.finish();
}

}  // namespace

std::variant<Config, std::vector<ConfigError>> parse_config(std::string_view text) {
  std::vector<ConfigError> errors;
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::exception& e) {
    // Any of nlohmann's exceptions: a syntax error (parse_error), and also a number too large
    // for a double (out_of_range.406, found by fuzz/config_fuzz). The message names the byte
    // offset: "[json.exception.parse_error.101] parse error at line 3, column 5: ..."
    std::string message = e.what();
    auto at = message.find("] ");
    errors.push_back({"", "not valid JSON: " + (at == std::string::npos ? message : message.substr(at + 2))});
    return errors;
  }
  // The readers report wrong types as errors; a typed access they miss must still end as an
  // error, never as an exception out of parse_config.
  try {
    Config c;
    JsonReader root(doc, "", errors);
    if (!root.ok()) return errors;

    if (auto vantage = root.object("vantage")) parse_vantage(*vantage, c.vantage);
    MonitorDefaults defaults;
    if (auto d = root.object("defaults")) defaults = parse_defaults(*d);
    if (auto v = root.integer("max_in_flight", 1, 1000000)) c.max_in_flight = *v;
    if (auto d = root.object("diagnostics")) parse_diagnostics(*d, c.diagnostics);

    if (const auto* monitors = root.raw("monitors")) {
      if (!monitors->is_array()) {
        root.error("monitors", "expected an array of monitors, got " + json_type(*monitors));
      } else {
        std::map<std::string, std::size_t> seen;
        // Equal blocks become one (shared_block.h): most monitors have the same expectations,
        // TLS and request options, and each block is a few hundred bytes.
        SharedBlock<HttpExpect>::Pool expects;
        SharedBlock<TlsOptions>::Pool tls_options;
        SharedBlock<RequestOptions>::Pool requests;
        SharedBlock<DnsExpect>::Pool dns_expects;
        c.monitors.reserve(monitors->size());
        for (std::size_t i = 0; i < monitors->size(); ++i) {
          JsonReader m((*monitors)[i], "/monitors/" + std::to_string(i), errors);
          if (!m.ok()) continue;
          MonitorConfig monitor = parse_monitor(m, defaults, false);
          monitor.expect.intern(expects);
          monitor.tls.intern(tls_options);
          monitor.request.intern(requests);
          monitor.dns_expect.intern(dns_expects);
          monitor.definition =
              digest_definition(doc.value("defaults", nlohmann::json::object()).dump() + (*monitors)[i].dump());
          if (!monitor.name.empty()) {
            auto [it, fresh] = seen.emplace(monitor.name, i);
            if (!fresh) {
              errors.push_back(
                  {"/monitors/" + std::to_string(i) + "/name",
                   "duplicate name \"" + monitor.name + "\" (also /monitors/" + std::to_string(it->second) + ")"});
            }
          }
          c.monitors.push_back(std::make_shared<MonitorConfig>(std::move(monitor)));
        }
      }
    }
    if (auto modules = root.object("modules")) {
      for (const auto& [name, body] : doc.at("modules").items()) {
        JsonReader m(body, modules->pointer(name), errors);
        modules->raw(name);
        if (!m.ok()) continue;
        c.modules[name] = parse_monitor(m, defaults, true);
      }
      modules->finish();
    }
    if (auto sinks = root.object("sinks")) parse_sinks(*sinks, c, errors);
    if (auto spool = root.object("spool")) parse_spool(*spool, c);
    if (c.has_push_sink() && !c.spool) c.spool = SpoolConfig{};
    // From what was parsed, not from typed lookups into the document: a vantage name that is an
    // object threw nlohmann's type_error here (found by fuzz/config_fuzz).
    auto raw = [&doc](const char* key) { return doc.contains(key) ? doc.at(key).dump() : std::string("{}"); };
    c.sinks_definition = c.vantage.name + "/" + (c.vantage.index ? std::to_string(*c.vantage.index) : "null") + "/" +
                         (c.vantage.count ? std::to_string(*c.vantage.count) : "null") + raw("sinks") + raw("spool");
    for (std::size_t i = 0; i < c.vantage.control.size(); ++i) {
      const auto& name = c.vantage.control[i];
      bool known = std::any_of(c.monitors.begin(), c.monitors.end(), [&](const auto& m) { return m->name == name; });
      if (!known) errors.push_back({"/vantage/control/" + std::to_string(i), "no monitor is named \"" + name + "\""});
    }
    root.finish();
    if (!errors.empty()) return errors;
    return c;
  } catch (const nlohmann::json::exception& e) {
    errors.push_back({"", std::string("unexpected value: ") + e.what()});
    return errors;
  }
}

}  // namespace prober::config
