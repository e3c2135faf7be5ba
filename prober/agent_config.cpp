// The agent's configuration: read (file or URL), checked, split by shard, and applied to the
// scheduler, the result store and the sinks without disturbing unchanged monitors.
#include <unistd.h>

#include <algorithm>

#include "checks/url.h"
#include "prober/agent.h"
#include "prober/config_loader.h"
#include "prober/log.h"
#include "scheduler/offsets.h"

namespace prober::cli {

void Agent::reload_if_changed() {
  // The watcher sees every write and rename, including the one a SIGHUP already loaded: the same
  // text again is not rebuilt (SIGHUP and POST /-/reload always are: secret files may rotate).
  auto text = read_config_file(options_.config_path);
  if (text && config::digest_definition(*text) == loaded_digest_) return;
  load("file changed");
}

bool Agent::load(const std::string& why) {
  if (!remote_) {
    auto text = read_config_file(options_.config_path);
    if (!text) return accept(std::vector<config::ConfigError>{{"", "cannot read " + options_.config_path}}, why);
    if (!accept(load_config_text(*text, *env_), why)) return false;
    loaded_digest_ = config::digest_definition(*text);
    return true;
  }
  if (ready_) {  // SIGHUP or POST /-/reload with a URL: ask the URL now
    poll_remote();
    return true;
  }
  auto fetched = remote_->fetch_now();
  if (auto* error = std::get_if<std::string>(&fetched)) {
    return accept(std::vector<config::ConfigError>{{"", *error}}, why);
  }
  return accept_remote(std::get<RemoteConfig::Fetched>(fetched), why);
}

bool Agent::accept_remote(const RemoteConfig::Fetched& fetched, const std::string& why) {
  bool from_url = fetched.origin == remote_->options().url;
  if (!from_url)
    Log::warn("configuration URL unreachable: using the last good configuration", {{"from", fetched.origin}});
  if (!accept(load_config_text(fetched.text, *env_), why)) return false;
  std::string error;
  if (from_url && !remote_->save_good(fetched, error)) {
    Log::warn("cannot cache the configuration; a start while the URL is unreachable will fail", {{"error", error}});
  }
  return true;
}

void Agent::poll_remote() {
  remote_->poll(
      *http_, [this](const RemoteConfig::Fetched& f) { accept_remote(f, "URL changed"); },
      [this](const std::string& error) {
        registry_.add("prober_config_fetch_errors_total", {});
        Log::warn("cannot fetch the configuration; keeping the running one", {{"error", error}});
      });
}

bool Agent::accept(std::variant<LoadedConfig, std::vector<config::ConfigError>> loaded, const std::string& why) {
  auto fail = [&](const std::vector<config::ConfigError>& errors) {
    for (const auto& e : errors)
      Log::error("configuration rejected",
                 {{"file", checks::redacted_url(options_.config_path)}, {"error", to_string(e)}});
    registry_.set("prober_config_last_reload_successful", {}, 0);
    if (ready_)
      Log::warn("keeping the previous configuration", {{"monitors", std::to_string(config_.monitors.size())}});
    return false;
  };
  if (auto* errors = std::get_if<std::vector<config::ConfigError>>(&loaded)) return fail(*errors);
  // Named references, not a structured binding: clang 14 (clang-tidy) cannot capture those.
  config::Config& next = std::get<LoadedConfig>(loaded).config;
  auto& made = std::get<LoadedConfig>(loaded).checks;
  if (options_.shard.count > 1) {
    // Control checks test the vantage, so every replica runs them; the rest are split.
    std::erase_if(next.monitors, [&](const std::shared_ptr<config::MonitorConfig>& monitor) {
      const config::MonitorConfig& m = *monitor;
      bool control =
          std::find(next.vantage.control.begin(), next.vantage.control.end(), m.name) != next.vantage.control.end();
      if (control || scheduler::owns(options_.shard, m.name)) return false;
      made.erase(m.name);
      return true;
    });
  }
  if (options_.vantage_name) next.vantage.name = *options_.vantage_name;
  if (options_.vantage_region) next.vantage.region = *options_.vantage_region;
  if (options_.vantage_index) next.vantage.index = options_.vantage_index;
  if (options_.vantage_count) next.vantage.count = options_.vantage_count;
  if (next.vantage.index.has_value() != next.vantage.count.has_value() ||
      (next.vantage.index && (*next.vantage.index < 0 || *next.vantage.index >= *next.vantage.count))) {
    return fail({{"/vantage/index",
                  "vantage index and count (from the file, flags or PROBER_VANTAGE_INDEX/COUNT) "
                  "must both be set, with 0 <= index < count"}});
  }
  if (next.vantage.name.empty()) {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    next.vantage.name = host;
  }
  apply(std::move(next), std::move(made));
  registry_.set("prober_config_last_reload_successful", {}, 1);
  registry_.set("prober_monitors", {}, static_cast<double>(config_.monitors.size()));
  registry_.set("prober_config_last_reload_success_timestamp_seconds", {},
                static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count()));
  Log::info("configuration loaded", {{"reason", why}, {"monitors", std::to_string(config_.monitors.size())}});
  ready_ = true;
  return true;
}

const config::MonitorConfig* Agent::monitor_named(const std::string& name) const {
  auto it = std::lower_bound(by_name_.begin(), by_name_.end(), name,
                             [](const config::MonitorConfig* m, const std::string& n) { return m->name < n; });
  return it != by_name_.end() && (*it)->name == name ? *it : nullptr;
}

void Agent::apply(config::Config next, std::map<std::string, std::unique_ptr<checks::Check>> checks) {
  if (!scheduler_)
    start_scheduler(next);
  else
    scheduler_->set_max_in_flight(checks_at_once(next));
  // The running definitions are those of config_ (by_name_), compared here before it is replaced:
  // no second copy of every monitor's definition is kept.
  std::map<std::string, const config::DefinitionDigest*> definitions;
  for (const auto& m : next.monitors) definitions[m->name] = &m->definition;
  std::vector<std::string> replaced;  // changed or removed: their series go, in one pass
  for (const config::MonitorConfig* old : by_name_) {
    const std::string& name = old->name;
    auto it = definitions.find(name);
    if (it != definitions.end() && *it->second == old->definition) continue;  // unchanged: keeps its schedule
    scheduler_->remove(name);
    replaced.push_back(name);
    store_.forget(name);
    alert_states_.erase(name);
    diagnoses_->forget(name);
    undelivered_diagnoses_.erase(name);
    if (it == definitions.end()) {
      for (auto& sink : sinks_) sink->on_monitor_removed(name);
    }
  }
  registry_.remove_with_label("monitor", replaced);
  for (const auto& shared : next.monitors) {
    const config::MonitorConfig& m = *shared;
    const config::MonitorConfig* old = monitor_named(m.name);
    if (old && old->definition == m.definition) continue;
    scheduler::MonitorSchedule schedule{m.interval, m.timeout, m.retry_interval, m.max_check_attempts, std::nullopt};
    if (next.vantage.index && next.vantage.count) {
      schedule.offset = scheduler::coordinated_offset(m.name, m.interval, *next.vantage.index, *next.vantage.count);
    }
    scheduler_->add(m.name, schedule, std::move(checks.at(m.name)));
  }
  if (!sinks_definition_.empty() && sinks_definition_ != next.sinks_definition) {
    Log::warn(
        "sinks, spool and vantage name changes take effect at the next start; the running sinks stay as they were");
  }
  bool control_changed = !ready_ || config_.vantage.control != next.vantage.control;
  if (sinks_definition_.empty())
    sinks_definition_ = next.sinks_definition;
  else
    next.vantage.name = config_.vantage.name;  // results keep one vantage name for the process' life
  config_ = std::move(next);
  probe_checks_.clear();  // made from the modules and /probe settings just replaced
  by_name_.clear();
  by_name_.reserve(config_.monitors.size());
  for (const auto& m : config_.monitors) by_name_.push_back(m.get());
  std::sort(by_name_.begin(), by_name_.end(), [](const auto* a, const auto* b) { return a->name < b->name; });
  if (control_changed) health_ = alerting::VantageHealth(config_.vantage.control);
  registry_.set("prober_vantage_healthy", {}, health_.healthy() ? 1 : 0);
  std::vector<const config::MonitorConfig*> monitors;
  monitors.reserve(config_.monitors.size());
  for (const auto& m : config_.monitors) monitors.push_back(m.get());
  for (auto& sink : sinks_) sink->on_monitors(monitors);
}

}  // namespace prober::cli
