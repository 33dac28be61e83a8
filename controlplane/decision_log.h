// The decision log: one JSON object per line and per decision, appended to
// a file by a background thread so that query threads never wait on disk.
//
//   {"time":"2026-12-04T21:03:38.123456Z","client":"198.18.0.10",
//    "identity":"","group":"laptops","name":"www.corp.lab","qtype":1,
//    "verdict":"allowed","rcode":0,"addresses":["198.18.0.80"],
//    "installed_lifetime_ms":35000,"install_latency_us":180,
//    "cache_hit":false,"transport":"dot","detail":""}
//
// (shown wrapped; each record is one line). When the writer falls more than
// kMaxQueued records behind, new records are dropped and counted.
// NOTE: dnstap output is not written yet; tools that read dnstap cannot
// consume this log.
#ifndef ZTGATE_CONTROLPLANE_DECISION_LOG_H_
#define ZTGATE_CONTROLPLANE_DECISION_LOG_H_

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "controlplane/decision.h"

namespace ztgate::controlplane {

// Formats one record as a JSON object, without the newline.
std::string DecisionToJson(const DecisionRecord& record);

class DecisionLog {
 public:
  static constexpr size_t kMaxQueued = 65536;

  // Opens `path` for appending and starts the writer thread.
  static absl::StatusOr<std::unique_ptr<DecisionLog>> Open(const std::string& path);
  ~DecisionLog();

  void Append(const DecisionRecord& record);
  // Writes what is queued and flushes the file.
  void Flush();
  uint64_t dropped() const;

 private:
  DecisionLog(std::FILE* file, std::string path) : file_(file), path_(std::move(path)) {}
  void RunWriter();

  std::FILE* file_;
  const std::string path_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::string> queue_;
  uint64_t dropped_ = 0;
  uint64_t written_ = 0;
  uint64_t enqueued_ = 0;
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace ztgate::controlplane

#endif  // ZTGATE_CONTROLPLANE_DECISION_LOG_H_
