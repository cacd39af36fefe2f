// The one exception of configuration reading (start-up only, never on the data path): its
// text says what is wrong and, for a file, starts with FILE:LINE:COLUMN.
#pragma once
#include <stdexcept>

namespace logbot::config {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace logbot::config
