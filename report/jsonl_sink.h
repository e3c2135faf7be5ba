#pragma once
// CheckResult JSON, one line per result, to standard output or appended to a file. Local and
// synchronous: no spool.
#include <cstdio>
#include <string>

#include "report/sink.h"

namespace prober::report {

class JsonlSink final : public Sink {
 public:
  // Falls back to standard output (and says so in `error`) when the file cannot be opened.
  JsonlSink(const std::string& path, std::string& error);
  ~JsonlSink() override;
  JsonlSink(const JsonlSink&) = delete;
  JsonlSink& operator=(const JsonlSink&) = delete;
  void on_run(const MonitorRun& run) override;
  void drain(std::function<void()> done) override;

 private:
  std::FILE* out_;
};

}  // namespace prober::report
