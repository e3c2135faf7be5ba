#pragma once
// One follow-up an engineer would run after a failure (ask the authoritative DNS servers, trace
// the path, retry the handshake with other ClientHellos, retry with a browser's headers). The
// diagnosis starts every step that fits the failure at once and gives each the same deadline.
#include <functional>
#include <string>
#include <vector>

#include "checks/check_result.h"

namespace prober::diagnostics {

// The items one after the other, `separator` between them: how the follow-ups list what they saw.
inline std::string joined(const std::vector<std::string>& items, const char* separator = ", ") {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

class Step {
 public:
  using Done = std::function<void(checks::Diagnostic)>;
  virtual ~Step() = default;  // stops all I/O still in progress; `done` is never called after
  // Calls `done` once, from the loop (never from inside start()).
  virtual void start(Done done) = 0;
  // The deadline: stop all I/O and say what was seen so far. `done` is not called after this.
  virtual checks::Diagnostic cut_short() = 0;
};

}  // namespace prober::diagnostics
