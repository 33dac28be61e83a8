// Logging set-up; see logging.h.
#include "common/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "common/str_cat.h"

namespace ztgate {

absl::Status InitLogging(std::string_view program, std::string_view level) {
  const spdlog::level::level_enum parsed = spdlog::level::from_str(std::string(level));
  // from_str returns "off" for unknown text; accept "off" only when asked.
  if (parsed == spdlog::level::off && level != "off") {
    return absl::InvalidArgumentError(StrCat(
        "invalid log level \"", level, "\": expected trace, debug, info, warn, error or off"));
  }
  auto logger = spdlog::stderr_color_mt(std::string(program));
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %n[%t] %l: %v");
  logger->set_level(parsed);
  spdlog::set_default_logger(logger);
  return absl::OkStatus();
}

}  // namespace ztgate
