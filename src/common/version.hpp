// The product version, set once by CMake (project VERSION).
#pragma once

namespace logbot {
inline constexpr const char* kVersion = LOGBOT_VERSION;
}  // namespace logbot
