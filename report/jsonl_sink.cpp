#include "report/jsonl_sink.h"

#include <cerrno>
#include <cstring>

namespace prober::report {

JsonlSink::JsonlSink(const std::string& path, std::string& error) {
  out_ = path == "-" ? stdout : std::fopen(path.c_str(), "a");
  if (!out_) {
    error = "cannot open " + path + ": " + std::strerror(errno) + "; writing to standard output";
    out_ = stdout;
  }
}

JsonlSink::~JsonlSink() {
  if (out_ != stdout)
    std::fclose(out_);
  else
    std::fflush(stdout);
}

void JsonlSink::on_run(const MonitorRun& run) {
  for (const auto& line : run.lines) {
    std::fwrite(line.data(), 1, line.size(), out_);
    std::fputc('\n', out_);
  }
  std::fflush(out_);
}

void JsonlSink::drain(std::function<void()> done) {
  std::fflush(out_);
  done();
}

}  // namespace prober::report
