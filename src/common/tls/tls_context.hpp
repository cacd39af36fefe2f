// The one place where Logbot builds a TLS context: TLS 1.2 minimum (1.3 preferred),
// ECDHE key exchange with AEAD ciphers only, server cipher preference, no session tickets.
#pragma once
#include <openssl/x509.h>

#include <boost/asio/ssl/context.hpp>
#include <filesystem>
#include <string>
#include <string_view>

namespace logbot::tls {

// Server context for the given PEM certificate chain and private key.
// Throws std::runtime_error naming the file on a bad certificate or key (start-up only).
boost::asio::ssl::context make_server_context(const std::filesystem::path& cert_chain_pem,
                                              const std::filesystem::path& private_key_pem);

// Client context under the same protocol policy, verifying the server: against exactly the
// certificates in `ca_file` when given (a pinned self-signed certificate anchors), else the
// system trust store. Host-name checks are per connection (the caller's). Throws
// std::runtime_error with a message for the user.
boost::asio::ssl::context make_client_context(const std::filesystem::path& ca_file);

// Client context under the same protocol policy that trusts exactly one server certificate:
// the one whose DER encoding has the SHA-256 `fingerprint` (64 lower-case hex characters).
// Certificate authorities, validity dates and host names are not consulted, the pin is the
// whole trust (an enrolment token carries it, so an agent trusts nothing on first use). A
// mismatch fails the handshake with X509_V_ERR_CERT_REJECTED before the client sends any
// application data. Throws std::invalid_argument on a malformed fingerprint.
boost::asio::ssl::context make_pinned_client_context(std::string_view fingerprint);

// The same pinned client context presenting a client certificate (mutual TLS: the agent's
// device certificate on the uplink). Throws std::runtime_error naming the file on an unreadable
// certificate or key, or a key that does not belong to the certificate.
boost::asio::ssl::context make_pinned_client_context(std::string_view fingerprint,
                                                     const std::filesystem::path& client_certificate_pem,
                                                     const std::filesystem::path& client_private_key_pem);

// Server context that also requires a client certificate issued by the CA in `client_ca_pem`
// (the device CA): no certificate, or one from anyone else, fails the handshake.
boost::asio::ssl::context make_mutual_server_context(const std::filesystem::path& cert_chain_pem,
                                                     const std::filesystem::path& private_key_pem,
                                                     std::string_view client_ca_pem);

// The TLS 1.2 cipher list; TLS 1.3 suites are all AEAD already.
inline constexpr const char* kTls12Ciphers = "ECDHE+AESGCM:ECDHE+CHACHA20";

}  // namespace logbot::tls
