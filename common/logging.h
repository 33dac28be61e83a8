// Logging set-up shared by the daemons and the CLI: spdlog to stderr, with
// the level taken from the command line or config ("debug", "info", ...).
#ifndef ZTGATE_COMMON_LOGGING_H_
#define ZTGATE_COMMON_LOGGING_H_

#include <string_view>

#include "absl/status/status.h"

namespace ztgate {

// Installs a stderr logger named after the program and sets its level.
absl::Status InitLogging(std::string_view program, std::string_view level);

}  // namespace ztgate

#endif  // ZTGATE_COMMON_LOGGING_H_
