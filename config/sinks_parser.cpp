#include "config/sinks_parser.h"

#include "config/units.h"

namespace prober::config {
namespace {

std::string http_url(JsonReader& r, const std::string& key, bool required) {
  auto url = r.string(key);
  if (!url) {
    if (required && !r.has(key)) r.error(key, "required: the sink's http:// or https:// URL");
    return "";
  }
  if (url->rfind("http://", 0) != 0 && url->rfind("https://", 0) != 0) {
    r.error(key, "expected an http:// or https:// URL, got \"" + *url + "\"");
  }
  return *url;
}

// "<name>_file" / "<name>_env": a credential from a file or an environment variable.
SecretSource secret(JsonReader& r, const std::string& name) {
  SecretSource s;
  if (auto file = r.string(name + "_file")) s.file = *file;
  if (auto env = r.string(name + "_env")) s.env = *env;
  if (!s.file.empty() && !s.env.empty()) r.error(name + "_env", "give " + name + "_file or " + name + "_env, not both");
  return s;
}

// A credential goes over https only, unless the sink says "insecure_credentials": true (a
// cluster-internal http:// receiver, say): plain http would show it to anyone on the path.
void refuse_plaintext_credential(JsonReader& r, const std::string& url, const SecretSource& credential,
                                 const std::string& name) {
  bool insecure = r.boolean("insecure_credentials").value_or(false);
  if (credential.empty() || url.rfind("http://", 0) != 0 || insecure) return;
  r.error(credential.file.empty() ? name + "_env" : name + "_file",
          "a credential over plain http:// (" + url +
              ") is refused: use https://, or set "
              "\"insecure_credentials\": true for a receiver on a trusted network");
}

void delivery(JsonReader& r, DeliveryConfig& d) {
  if (auto v = r.duration("timeout")) d.timeout = *v;
  if (auto v = r.duration("flush_interval")) d.flush_interval = *v;
  if (auto v = r.integer("batch_max", 1, 100000)) d.batch_max = *v;
  if (auto v = r.duration("min_backoff")) d.min_backoff = *v;
  if (auto v = r.duration("max_backoff")) d.max_backoff = *v;
  if (auto v = r.duration("max_age", std::chrono::hours(24 * 30))) d.max_age = *v;
  if (d.min_backoff > d.max_backoff) r.error("min_backoff", "must not exceed max_backoff");
}

RemoteWriteConfig remote_write(JsonReader& r) {
  RemoteWriteConfig c;
  c.url = http_url(r, "url", true);
  c.bearer_token = secret(r, "bearer_token");
  refuse_plaintext_credential(r, c.url, c.bearer_token, "bearer_token");
  if (auto v = r.duration("metrics_interval")) c.metrics_interval = *v;
  delivery(r, c.delivery);
  r.finish();
  return c;
}

AlertmanagerConfig alertmanager(JsonReader& r) {
  AlertmanagerConfig c;
  if (r.has("url")) c.urls.push_back(http_url(r, "url", true));
  if (auto urls = r.strings("urls")) {
    for (const auto& u : *urls) {
      if (u.rfind("http://", 0) != 0 && u.rfind("https://", 0) != 0)
        r.error("urls", "expected http:// or https:// URLs, got \"" + u + "\"");
      c.urls.push_back(u);
    }
  }
  if (c.urls.empty() && !r.has("url") && !r.has("urls"))
    r.error("url", "required: \"url\" or \"urls\" (every Alertmanager of the cluster)");
  if (auto v = r.duration("resend_interval")) c.resend_interval = *v;
  if (auto v = r.duration("resolved_resend")) c.resolved_resend = *v;
  if (auto v = r.duration("timeout")) c.timeout = *v;
  r.finish();
  return c;
}

MackerelConfig mackerel(JsonReader& r) {
  MackerelConfig c;
  c.metrics.flush_interval = std::chrono::milliseconds(60000);
  c.metrics.batch_max = 1000;
  c.reports.batch_max = 100;  // Mackerel takes at most 100 reports per request
  c.reports.max_backoff = c.metrics.max_backoff = std::chrono::milliseconds(30000);
  if (r.has("url")) c.url = http_url(r, "url", true);
  c.api_key = secret(r, "api_key");
  if (c.api_key.empty()) r.error("api_key_file", "required: api_key_file or api_key_env (Mackerel's X-Api-Key)");
  refuse_plaintext_credential(r, c.url, c.api_key, "api_key");
  if (auto s = r.string("service")) c.service = *s;
  if (auto s = r.string("host_name")) c.host_name = *s;
  c.notification_interval = r.integer("notification_interval", 10, 1000000);
  if (auto d = r.object("reports")) {
    delivery(*d, c.reports);
    if (c.reports.batch_max > 100) d->error("batch_max", "Mackerel takes at most 100 reports per request");
    d->finish();
  }
  if (auto d = r.object("metrics")) {
    delivery(*d, c.metrics);
    d->finish();
  }
  r.finish();
  return c;
}

WebhookConfig webhook(JsonReader& r) {
  WebhookConfig c;
  c.url = http_url(r, "url", true);
  c.bearer_token = secret(r, "bearer_token");
  refuse_plaintext_credential(r, c.url, c.bearer_token, "bearer_token");
  delivery(r, c.delivery);
  r.finish();
  return c;
}

}  // namespace

void parse_sinks(JsonReader& r, Config& c, std::vector<ConfigError>& errors) {
  if (auto prom = r.object("prometheus")) {
    EndpointConfig endpoint;
    if (auto listen = prom->string("listen")) {
      auto colon = listen->rfind(':');
      if (colon == std::string::npos || !parse_port(std::string_view(*listen).substr(colon + 1), 0)) {
        prom->error("listen", "expected host:port with a port from 0 to 65535, got \"" + *listen + "\"");
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
      if (auto n = probe->integer("max_concurrent", 1, 10000)) endpoint.probe.max_concurrent = *n;
      if (auto deny = probe->boolean("deny_private_addresses")) endpoint.probe.deny_private_addresses = *deny;
      probe->finish();
    }
    if (auto n = prom->integer("max_connections", 1, 100000)) endpoint.max_connections = *n;
    if (auto d = prom->duration("idle_timeout", std::chrono::hours(1))) endpoint.idle_timeout = *d;
    if (auto d = prom->duration("write_timeout", std::chrono::hours(1))) endpoint.write_timeout = *d;
    prom->finish();
    c.endpoint = endpoint;
  }
  if (auto jsonl = r.object("jsonl")) {
    if (auto path = jsonl->string("path")) c.jsonl.path = *path;
    jsonl->finish();
  }
  if (auto s = r.object("remote_write")) c.remote_write = remote_write(*s);
  if (auto s = r.object("alertmanager")) c.alertmanager = alertmanager(*s);
  if (auto s = r.object("mackerel")) c.mackerel = mackerel(*s);
  if (auto s = r.object("webhook")) c.webhook = webhook(*s);
  r.finish();
}

void parse_spool(JsonReader& r, Config& c) {
  SpoolConfig s;
  if (auto dir = r.string("dir")) {
    if (dir->empty()) r.error("dir", "must not be empty");
    s.dir = *dir;
  }
  if (auto max = r.size("max_bytes")) {
    if (*max < (64u << 10)) r.error("max_bytes", "must be at least 64KiB");
    s.max_bytes = *max;
  }
  if (auto max = r.size("max_memory_bytes")) {
    if (*max < (64u << 10)) r.error("max_memory_bytes", "must be at least 64KiB");
    s.max_memory_bytes = *max;
  }
  r.finish();
  c.spool = s;
}

}  // namespace prober::config
