// ztgatectl's commands for the control plane's Policy API:
//
//   control stats                                 decisions, cache, dataplanes
//   policy show                                   the policy, readable
//   policy get                                    the policy, as protobuf text
//   policy replace FILE [--revoke]                replace it from protobuf text;
//                                                 FILE's version is the expected one
//   policy add|remove GROUP allow|deny PATTERN... [--revoke]
//   policy mode enforce|audit [GROUP] [--revoke]  global, or one group's mode
//   exceptions set PREFIX...                      on every dataplane
//   decisions watch [--count N]                   stream decisions as JSON lines
//   audit report [--client PREFIX]                would-be-denied names, unexplained
//                                                 drops and a proposed allow list
#ifndef ZTGATE_CONTROLPLANE_CTL_CONTROL_COMMANDS_H_
#define ZTGATE_CONTROLPLANE_CTL_CONTROL_COMMANDS_H_

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/time/time.h"

namespace ztgate::ctl {

// Usage lines of these commands, a string literal so that ztgatectl's
// usage text can include it.
#define ZTGATE_CTL_CONTROL_USAGE                                                            \
    "  control stats                               decisions, cache and dataplane links\n" \
    "  policy show                                 the control plane's policy, readable\n" \
    "  policy get                                  the policy as protobuf text, for replace\n" \
    "  policy replace FILE [--revoke]              replace the policy from protobuf text\n" \
    "  policy add|remove GROUP allow|deny PATTERN... [--revoke]\n" \
    "  policy mode enforce|audit [GROUP] [--revoke]\n" \
    "                                              global mode, or one group's\n" \
    "  exceptions set PREFIX...                    exception subnets on every dataplane\n" \
    "  decisions watch [--count N]                 stream decisions as JSON lines until N\n" \
    "                                              arrive or Ctrl-C (no deadline)\n" \
    "  audit report [--client PREFIX]              audit findings and a proposed allow list\n"

// True when `command` (its first word) belongs to the control plane.
bool IsControlCommand(const std::vector<std::string>& command);

// Runs a control-plane command; returns the process exit code (0 success,
// 1 failed call, 2 usage error).
int RunControlCommand(const std::shared_ptr<grpc::Channel>& channel, const std::string& target,
                      absl::Duration timeout, const std::vector<std::string>& command);

}  // namespace ztgate::ctl

#endif  // ZTGATE_CONTROLPLANE_CTL_CONTROL_COMMANDS_H_
