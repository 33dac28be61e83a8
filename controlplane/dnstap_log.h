// The decision log in dnstap form (https://dnstap.info): one
// CLIENT_RESPONSE message per decision, with the client's query and the
// response ztgate released, written as a Frame Streams file with libfstrm
// so existing DNS tooling (kdig -G, dnstap-read) reads it. Writes happen
// on libfstrm's own I/O thread; a full queue drops records, counted by
// libfstrm, rather than blocking queries.
#ifndef ZTGATE_CONTROLPLANE_DNSTAP_LOG_H_
#define ZTGATE_CONTROLPLANE_DNSTAP_LOG_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "controlplane/decision.h"

struct fstrm_iothr;
struct fstrm_iothr_queue;

namespace ztgate::controlplane {

// Encodes one decision as a serialized dnstap.Dnstap message.
std::string DecisionToDnstap(const DecisionRecord& record, const std::string& identity);

class DnstapLog {
 public:
  // Opens (truncates) `path` and starts libfstrm's writer thread.
  static absl::StatusOr<std::unique_ptr<DnstapLog>> Open(const std::string& path,
                                                         std::string identity);
  // Flushes queued records and closes the file.
  ~DnstapLog();

  void Append(const DecisionRecord& record);
  uint64_t dropped() const { return dropped_; }

 private:
  DnstapLog(fstrm_iothr* thread, std::string identity);

  fstrm_iothr* thread_;
  fstrm_iothr_queue* queue_;
  std::string identity_;
  uint64_t dropped_ = 0;
};

}  // namespace ztgate::controlplane

#endif  // ZTGATE_CONTROLPLANE_DNSTAP_LOG_H_
