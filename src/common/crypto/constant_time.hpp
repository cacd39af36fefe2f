// Comparison of secrets in time independent of where they differ (CSRF tokens, hashes).
#pragma once
#include <string_view>

namespace logbot::crypto {

bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace logbot::crypto
