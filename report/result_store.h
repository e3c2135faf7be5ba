#pragma once
// The last results of every monitor for /results, and the last failure of each kept for an hour
// after it recovered. Results carry no request headers, so no secret can show here.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "checks/check_result.h"
#include "report/label_text.h"
#include "report/packed_text.h"

namespace prober::report {

// Results of each check type as the agent writes them: what a stored result is packed against.
std::string result_dictionary();

class ResultStore {
 public:
  ResultStore();
  // `results_json`: the run's results as one JSON array text (what the JSONL lines hold).
  void record(const std::string& monitor, std::string_view results_json, bool failed,
              std::chrono::system_clock::time_point now);
  // The last diagnosis of the monitor ({"class", "at", "diagnostics"}), shown until a newer one
  // replaces it or the monitor changes.
  void record_diagnosis(const std::string& monitor, std::string_view diagnosis_json);
  void forget(const std::string& monitor);
  // {"monitor": {"last": [...], "last_failure": [...] or null, "last_diagnosis": {...} or null}, ...}
  // as JSON text.
  std::string to_text(std::chrono::system_clock::time_point now) const;
  // The same text in steps, for an answer rendered between other loop work: appends up to `budget`
  // monitors after the cursor's to `out`; true once the text is whole. Monitors added or removed
  // between steps do not invalidate the cursor (it is a name, not an iterator).
  struct Cursor {
    bool opened = false;
    std::optional<std::string> after;  // the last monitor written
  };
  bool render_some(Cursor& c, std::string& out, std::size_t budget, std::chrono::system_clock::time_point now) const;
  static constexpr std::chrono::hours kKeepFailures{1};
  // How many distinct TLS facts the stored results share (each held once, however many results
  // have it), the unused ones among them included until the next sweep.
  std::size_t shared_tls_facts() const { return tls_facts_.size(); }
  // How many facts are known as one result's own (held in its text), the same way.
  std::size_t lone_tls_facts() const { return lone_facts_.size(); }

 private:
  // Serialised JSON, not nlohmann trees (a tree costs several times the text's size), and packed
  // (packed_text.h): per monitor, for as long as the agent runs, a result is ~150 bytes, not ~800.
  // When the last run failed it is also the last failure: held once (`last_failed`), not copied
  // into `last_failure` (a failing monitor's result text is its largest piece of memory).
  // A result text as held. Its first TLS facts ("tls":{...}: the certificate chain, names,
  // versions; half of an HTTPS result packed) are held apart, packed, once for every result that
  // has the same: the monitors of one site share them. Facts no other result has had stay in the
  // text (a site of its own costs less whole).
  struct Held {
    std::string packed;            // the text without shared facts
    LabelText tls;                 // the shared facts, packed; none when the text has none shared
    std::uint32_t tls_at = 0;      // where they go back in the text
    std::uint32_t lone_facts = 0;  // facts held in the text: their hash in lone_facts_ (0: none)
    bool empty() const { return packed.empty(); }
  };
  struct Entry;
  // `holder`: the entry the text is for (its own facts are no second holder's).
  Held hold(std::string_view text, const Entry& holder);
  void sweep_lone_facts();
  void paste(const Held& held, std::string& out) const;
  // What only a monitor that failed or was diagnosed has: most monitors never allocate it (and
  // their map node is 16 bytes smaller without the failure's time and flag).
  struct Earlier {
    Held last_failure;  // an earlier run's, when the last run did not fail
    std::string last_diagnosis;
    std::chrono::system_clock::time_point failed_at{};
    bool last_failed = false;
  };
  struct Entry {
    Held last;
    std::unique_ptr<Earlier> earlier;
    bool last_failed() const { return earlier && earlier->last_failed; }
  };
  static Earlier& earlier(Entry& e);
  TextPacker packer_;
  // Every TLS facts text a Held has, by its packed text. Those no result holds any more are
  // dropped when the set has grown to twice its size after the last sweep, plus 64: no count kept.
  std::set<LabelText, LabelTextLess> tls_facts_;
  std::size_t swept_size_ = 0;
  // Hashes of the facts held in their result's text, to tell a second holder (who shares them).
  // Hashes no result holds any more are dropped when the set has doubled since the last sweep,
  // plus 64. A collision only shares facts that one result has.
  std::unordered_set<std::uint32_t> lone_facts_;
  std::size_t lone_swept_size_ = 0;
  std::map<std::string, Entry> entries_;
};

}  // namespace prober::report
