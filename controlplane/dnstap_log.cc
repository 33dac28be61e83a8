// The dnstap decision log; see dnstap_log.h.
#include "controlplane/dnstap_log.h"

#include <cstdlib>
#include <cstring>

#include <fstrm.h>
#include <spdlog/spdlog.h>

#include "common/str_cat.h"
#include "dnstap/dnstap.pb.h"

namespace ztgate::controlplane {
namespace {

// The Frame Streams content type of dnstap (dnstap.info).
constexpr char kContentType[] = "protobuf:dnstap.Dnstap";

void SetTime(absl::Time time, uint64_t* seconds, uint32_t* nanos) {
  const int64_t total = absl::ToUnixNanos(time);
  *seconds = static_cast<uint64_t>(total / 1'000'000'000);
  *nanos = static_cast<uint32_t>(total % 1'000'000'000);
}

}  // namespace

std::string DecisionToDnstap(const DecisionRecord& record, const std::string& identity) {
  dnstap::Dnstap frame;
  frame.set_type(dnstap::Dnstap::MESSAGE);
  frame.set_identity(identity);
  frame.set_version("ztgate");
  dnstap::Message* message = frame.mutable_message();
  message->set_type(dnstap::Message::CLIENT_RESPONSE);
  message->set_socket_family(record.client.is_v4() ? dnstap::INET : dnstap::INET6);
  message->set_socket_protocol(record.transport == "doh" ? dnstap::DOH : dnstap::DOT);
  message->set_query_address(record.client.ToBytes());
  message->set_query_port(record.client_port);
  uint64_t seconds = 0;
  uint32_t nanos = 0;
  SetTime(record.time, &seconds, &nanos);
  message->set_query_time_sec(seconds);
  message->set_query_time_nsec(nanos);
  SetTime(record.response_time, &seconds, &nanos);
  message->set_response_time_sec(seconds);
  message->set_response_time_nsec(nanos);
  if (!record.query_wire.empty()) message->set_query_message(record.query_wire);
  if (!record.response_wire.empty()) message->set_response_message(record.response_wire);
  return frame.SerializeAsString();
}

absl::StatusOr<std::unique_ptr<DnstapLog>> DnstapLog::Open(const std::string& path,
                                                           std::string identity) {
  fstrm_file_options* file_options = fstrm_file_options_init();
  fstrm_file_options_set_file_path(file_options, path.c_str());
  fstrm_writer_options* writer_options = fstrm_writer_options_init();
  fstrm_writer_options_add_content_type(writer_options, kContentType, std::strlen(kContentType));
  fstrm_writer* writer = fstrm_file_writer_init(file_options, writer_options);
  fstrm_file_options_destroy(&file_options);
  fstrm_writer_options_destroy(&writer_options);
  if (writer == nullptr) {
    return absl::FailedPreconditionError(StrCat("cannot open dnstap file ", path));
  }
  fstrm_iothr_options* thread_options = fstrm_iothr_options_init();
  fstrm_iothr_options_set_num_input_queues(thread_options, 1);
  fstrm_iothr_options_set_queue_model(thread_options, FSTRM_IOTHR_QUEUE_MODEL_MPSC);
  fstrm_iothr* thread = fstrm_iothr_init(thread_options, &writer);
  fstrm_iothr_options_destroy(&thread_options);
  if (thread == nullptr) {
    fstrm_writer_destroy(&writer);
    return absl::InternalError(StrCat("cannot start the dnstap writer for ", path));
  }
  return std::unique_ptr<DnstapLog>(new DnstapLog(thread, std::move(identity)));
}

DnstapLog::DnstapLog(fstrm_iothr* thread, std::string identity)
    : thread_(thread),
      queue_(fstrm_iothr_get_input_queue(thread)),
      identity_(std::move(identity)) {}

DnstapLog::~DnstapLog() { fstrm_iothr_destroy(&thread_); }

void DnstapLog::Append(const DecisionRecord& record) {
  const std::string frame = DecisionToDnstap(record, identity_);
  // libfstrm frees the buffer with free() once written.
  void* buffer = std::malloc(frame.size());
  if (buffer == nullptr) return;
  std::memcpy(buffer, frame.data(), frame.size());
  if (fstrm_iothr_submit(thread_, queue_, buffer, frame.size(), fstrm_free_wrapper, nullptr) !=
      fstrm_res_success) {
    std::free(buffer);
    ++dropped_;
  }
}

}  // namespace ztgate::controlplane
