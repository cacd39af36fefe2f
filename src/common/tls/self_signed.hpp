// First-start server certificate: an ECDSA P-256 key and a self-signed certificate for
// localhost and the host name, written into the data directory (key file mode 0600).
#pragma once
#include <filesystem>
#include <string>

namespace logbot::tls {

struct CertificatePaths {
  std::filesystem::path certificate;
  std::filesystem::path private_key;
};

// Creates the pair in `directory` unless both files exist already; returns their paths.
// Throws std::runtime_error on I/O or OpenSSL failure (start-up only).
CertificatePaths ensure_self_signed_certificate(const std::filesystem::path& directory);

// SHA-256 fingerprint of the first certificate in a PEM file, as lower-case hex.
std::string certificate_sha256_fingerprint(const std::filesystem::path& certificate_pem);

}  // namespace logbot::tls
