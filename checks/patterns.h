#pragma once
// RE2 patterns from configuration, compiled once per distinct text and shared while anything
// holds them (or while they are among the last 256 handed out): 50 000 monitors with the same
// body_regex hold one compiled program, and a /probe run uses its module's patterns instead of
// compiling them again on every request.
#include <re2/re2.h>

#include <memory>
#include <string>
#include <variant>

namespace prober::checks {

using Pattern = std::shared_ptr<const re2::RE2>;

// The compiled pattern, or RE2's message when it rejects `text`. Thread-safe.
std::variant<Pattern, std::string> compile_pattern(const std::string& text);

}  // namespace prober::checks
