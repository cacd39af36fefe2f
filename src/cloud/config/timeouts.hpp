// The listeners' timeouts, one struct per listener, set from the configuration file
// ([http], [devices]; docs/OPERATIONS.md). Plain values: the listeners include only this.
#pragma once
#include <chrono>

namespace logbot::cloud {

// [http]: how long the HTTPS listener waits for each step of a connection, so that a slow or
// silent client cannot hold a connection (or, by many, the server) for ever.
struct HttpTimeouts {
  std::chrono::milliseconds handshake{10'000};  // the TLS handshake
  std::chrono::milliseconds idle{60'000};       // for the first byte of the next request
  std::chrono::milliseconds request{60'000};    // to read a request (header and body) once it began
  std::chrono::milliseconds write{30'000};      // to write one response
  std::chrono::milliseconds shutdown{5'000};    // for the TLS close at the end of a connection
};

// [devices]: the steps of a device's uplink connection (its idle limit is 3 heartbeats).
struct DeviceTimeouts {
  std::chrono::milliseconds handshake{10'000};  // TLS, the certificate check and the WebSocket upgrade
  std::chrono::milliseconds close{2'000};       // the WebSocket close at the end of a connection
  std::chrono::milliseconds write{10'000};      // one message to a device
};

}  // namespace logbot::cloud
