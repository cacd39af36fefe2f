// The one place where Logbot builds a TLS context: TLS 1.2 minimum (1.3 preferred),
// ECDHE key exchange with AEAD ciphers only, server cipher preference.
#pragma once
#include <boost/asio/ssl/context.hpp>
#include <filesystem>

namespace logbot::tls {

// Server context for the given PEM certificate chain and private key.
// Throws std::runtime_error naming the file on a bad certificate or key (start-up only).
boost::asio::ssl::context make_server_context(const std::filesystem::path& cert_chain_pem,
                                              const std::filesystem::path& private_key_pem);

// The TLS 1.2 cipher list; TLS 1.3 suites are all AEAD already.
inline constexpr const char* kTls12Ciphers = "ECDHE+AESGCM:ECDHE+CHACHA20";

}  // namespace logbot::tls
