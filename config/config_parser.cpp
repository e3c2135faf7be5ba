#include "config/config_parser.h"

#include <set>

#include "config/json_reader.h"
#include "config/monitor_parser.h"

namespace prober::config {
namespace {

// Sinks and keys of the design that this version does not implement yet: named, not ignored.
const std::set<std::string> kNotYetSinks{"remote_write", "alertmanager", "mackerel", "webhook"};

void parse_vantage(JsonReader& r, VantageConfig& v) {
  if (auto name = r.string("name")) v.name = *name;
  if (auto region = r.string("region")) v.region = *region;
  if (auto labels = r.string_map("labels")) v.labels = *labels;
  for (const auto& later : {"control", "index", "count"}) {
    if (r.raw(later)) r.error(later, "not supported by this version of prober yet");
  }
  r.finish();
}

void parse_sinks(JsonReader& r, Config& c, std::vector<ConfigError>& errors) {
  if (auto prom = r.object("prometheus")) {
    EndpointConfig endpoint;
    if (auto listen = prom->string("listen")) {
      auto colon = listen->rfind(':');
      if (colon == std::string::npos || colon + 1 == listen->size()) {
        prom->error("listen", "expected host:port, got \"" + *listen + "\"");
      }
      endpoint.listen = *listen;
    }
    if (auto probe = prom->object("probe")) {
      if (auto enabled = probe->boolean("enabled")) endpoint.probe.enabled = *enabled;
      if (auto allowed = probe->strings("allowed_targets")) {
        for (std::size_t i = 0; i < allowed->size(); ++i) {
          check_re2_pattern(probe->pointer("allowed_targets") + "/" + std::to_string(i), (*allowed)[i], errors);
        }
        endpoint.probe.allowed_targets = *allowed;
      }
      probe->finish();
    }
    prom->finish();
    c.endpoint = endpoint;
  }
  if (auto jsonl = r.object("jsonl")) {
    if (auto path = jsonl->string("path")) c.jsonl.path = *path;
    jsonl->finish();
  }
  for (const auto& sink : kNotYetSinks) {
    if (r.raw(sink)) r.error(sink, "the " + sink + " sink is not built in this version of prober yet");
  }
  r.finish();
}

}  // namespace

std::variant<Config, std::vector<ConfigError>> parse_config(std::string_view text) {
  std::vector<ConfigError> errors;
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    // nlohmann's message names the byte offset: "[json.exception.parse_error.101] parse error at line 3, column 5: ..."
    std::string message = e.what();
    auto at = message.find("] ");
    errors.push_back({"", "not valid JSON: " + (at == std::string::npos ? message : message.substr(at + 2))});
    return errors;
  }
  Config c;
  JsonReader root(doc, "", errors);
  if (!root.ok()) return errors;

  if (auto vantage = root.object("vantage")) parse_vantage(*vantage, c.vantage);
  MonitorDefaults defaults;
  if (auto d = root.object("defaults")) defaults = parse_defaults(*d);
  if (auto v = root.integer("max_in_flight", 1, 1000000)) c.max_in_flight = *v;

  if (const auto* monitors = root.raw("monitors")) {
    if (!monitors->is_array()) {
      root.error("monitors", "expected an array of monitors, got " + json_type(*monitors));
    } else {
      std::map<std::string, std::size_t> seen;
      for (std::size_t i = 0; i < monitors->size(); ++i) {
        JsonReader m((*monitors)[i], "/monitors/" + std::to_string(i), errors);
        if (!m.ok()) continue;
        MonitorConfig monitor = parse_monitor(m, defaults, false);
        monitor.definition = doc.value("defaults", nlohmann::json::object()).dump() + (*monitors)[i].dump();
        if (!monitor.name.empty()) {
          auto [it, fresh] = seen.emplace(monitor.name, i);
          if (!fresh) {
            errors.push_back({"/monitors/" + std::to_string(i) + "/name",
                              "duplicate name \"" + monitor.name + "\" (also /monitors/" + std::to_string(it->second) + ")"});
          }
        }
        c.monitors.push_back(std::move(monitor));
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
  if (root.raw("spool")) root.error("spool", "the spool is not built in this version of prober yet");
  root.finish();
  if (!errors.empty()) return errors;
  return c;
}

}  // namespace prober::config
