// The JSON-lines decision log; see decision_log.h.
#include "controlplane/decision_log.h"

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "common/str_cat.h"

namespace ztgate::controlplane {
namespace {

// Appends `text` as a JSON string literal (RFC 8259 section 7).
void AppendJsonString(std::string& out, std::string_view text) {
  out += '"';
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void AppendField(std::string& out, std::string_view key, std::string_view value) {
  out += out.size() > 1 ? ",\"" : "\"";
  out += key;
  out += "\":";
  AppendJsonString(out, value);
}

void AppendNumber(std::string& out, std::string_view key, int64_t value) {
  out += StrCat(out.size() > 1 ? "," : "", "\"", key, "\":", value);
}

}  // namespace

std::string DecisionToJson(const DecisionRecord& record) {
  std::string out = "{";
  AppendField(out, "time",
              absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", record.time, absl::UTCTimeZone()));
  AppendField(out, "client", record.client.ToString());
  AppendField(out, "identity", record.identity);
  AppendField(out, "group", record.group);
  AppendField(out, "name", record.name);
  AppendNumber(out, "qtype", record.qtype);
  AppendField(out, "verdict", VerdictLabel(record.verdict));
  AppendNumber(out, "rcode", record.rcode);
  out += ",\"addresses\":[";
  for (size_t i = 0; i < record.addresses.size(); ++i) {
    if (i > 0) out += ',';
    AppendJsonString(out, record.addresses[i].ToString());
  }
  out += ']';
  AppendNumber(out, "installed_lifetime_ms", absl::ToInt64Milliseconds(record.installed_lifetime));
  AppendNumber(out, "install_latency_us", absl::ToInt64Microseconds(record.install_latency));
  out += StrCat(",\"cache_hit\":", record.cache_hit ? "true" : "false");
  AppendField(out, "transport", record.transport);
  AppendField(out, "detail", record.detail);
  out += '}';
  return out;
}

absl::StatusOr<std::unique_ptr<DecisionLog>> DecisionLog::Open(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "a");
  if (file == nullptr) {
    return absl::FailedPreconditionError(
        StrCat("cannot open decision log ", path, ": ", std::strerror(errno)));
  }
  std::unique_ptr<DecisionLog> log(new DecisionLog(file, path));
  log->writer_ = std::thread([raw = log.get()] { raw->RunWriter(); });
  return log;
}

DecisionLog::~DecisionLog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (writer_.joinable()) writer_.join();
  std::fclose(file_);
}

void DecisionLog::Append(const DecisionRecord& record) {
  std::string line = DecisionToJson(record);
  line += '\n';
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= kMaxQueued) {
      ++dropped_;
      return;
    }
    queue_.push_back(std::move(line));
    ++enqueued_;
  }
  changed_.notify_all();
}

void DecisionLog::Flush() {
  std::unique_lock lock(mutex_);
  const uint64_t target = enqueued_;
  changed_.wait(lock, [&] { return written_ >= target || stopping_; });
}

uint64_t DecisionLog::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

void DecisionLog::RunWriter() {
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    std::deque<std::string> batch;
    batch.swap(queue_);
    const bool stopping = stopping_;
    lock.unlock();
    bool failed = false;
    for (const std::string& line : batch) {
      failed |= std::fwrite(line.data(), 1, line.size(), file_) != line.size();
    }
    failed |= std::fflush(file_) != 0;
    if (failed) spdlog::error("writing the decision log {} failed: {}", path_, std::strerror(errno));
    lock.lock();
    written_ += batch.size();
    changed_.notify_all();
    if (stopping && queue_.empty()) return;
  }
}

}  // namespace ztgate::controlplane
