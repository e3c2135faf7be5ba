#include "net/web_security.h"

#include <fstream>
#include <sstream>

#include "config/web_config.h"

namespace prober::net {

std::variant<std::unique_ptr<WebConfigFile>, std::string> WebConfigFile::open(
    const std::string& path, std::function<void(const std::string&)> on_error) {
  auto file =
      std::unique_ptr<WebConfigFile>(new WebConfigFile());  // NOLINT(modernize-make-unique): private constructor
  file->path_ = path;
  file->on_error_ = std::move(on_error);
  file->seen_ = file->states();
  auto loaded = file->load();
  if (auto* error = std::get_if<std::string>(&loaded)) return "web config file " + path + ": " + *error;
  file->current_ = std::get<std::shared_ptr<const EndpointSecurity>>(loaded);
  file->tls_at_start_ = file->current_->tls != nullptr;
  file->seen_ = file->states();  // now with the files it names
  return file;
}

std::vector<WebConfigFile::FileState> WebConfigFile::states() const {
  std::vector<FileState> out;
  auto add = [&out](const std::string& path) {
    FileState s{path};
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
      s.device = st.st_dev;
      s.inode = st.st_ino;
      s.size = st.st_size;
      s.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    }
    out.push_back(s);
  };
  add(path_);
  for (const auto& named : named_files_) add(named);
  return out;
}

std::variant<std::shared_ptr<const EndpointSecurity>, std::string> WebConfigFile::load() {
  std::ifstream in(path_, std::ios::binary);
  if (!in) return std::string("cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  auto slash = path_.rfind('/');
  auto parsed = config::parse_web_config(text.str(), slash == std::string::npos ? "." : path_.substr(0, slash));
  if (auto* error = std::get_if<std::string>(&parsed)) return *error;
  const auto& web = std::get<config::WebConfig>(parsed);
  named_files_.clear();
  for (const auto* f : {&web.tls.cert_file, &web.tls.key_file, &web.tls.client_ca_file}) {
    if (!f->empty()) named_files_.push_back(*f);
  }
  auto security = std::make_shared<EndpointSecurity>();
  if (web.tls.enabled()) {
    auto made = net::TlsServerContext::make(web.tls);
    if (auto* error = std::get_if<std::string>(&made)) return *error;
    security->tls = std::get<std::shared_ptr<const net::TlsServerContext>>(made);
  }
  security->users = web.users;
  security->headers = web.headers;
  security->rate_limit_burst = web.rate_limit_burst;
  security->rate_limit_interval = web.rate_limit_interval;
  return std::shared_ptr<const EndpointSecurity>(std::move(security));
}

std::shared_ptr<const EndpointSecurity> WebConfigFile::current() {
  auto now = states();
  if (now == seen_) return current_;
  auto loaded = load();
  seen_ = states();
  if (auto* error = std::get_if<std::string>(&loaded)) {
    auto failed = std::make_shared<EndpointSecurity>();
    failed->error = "web config file " + path_ + ": " + *error;
    failed->refuse_connections = tls_at_start_;
    if (on_error_) on_error_(failed->error);
    current_ = std::move(failed);
  } else {
    current_ = std::get<std::shared_ptr<const EndpointSecurity>>(loaded);
  }
  return current_;
}

}  // namespace prober::net
