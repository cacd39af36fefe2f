// Small X.509 helpers over OpenSSL shared by the certificates Logbot makes: the cloud's
// first-start server certificate and the device certificates of the device CA.
#pragma once
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace logbot::tls {

struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyDeleter>;

// A fresh ECDSA P-256 key.
KeyPtr generate_p256_key();
// A positive 127-bit random serial; returns it as lower-case hex.
std::string set_random_serial(X509* certificate);
// The certificate's serial as lower-case hex, two digits per byte of its magnitude (the form
// set_random_serial returns, and the one the device registry stores).
std::string serial_hex(const X509* certificate);
// An ASN.1 time (a certificate's notBefore or notAfter) as Unix milliseconds; nullopt when unreadable.
std::optional<std::int64_t> epoch_ms(const ASN1_TIME* time);
// Adds an X.509v3 extension in OpenSSL's config syntax ("critical,CA:FALSE"); false on error.
bool add_extension(X509* certificate, X509* issuer, int nid, const char* value);
std::string to_pem(X509* certificate);
std::string private_key_to_pem(EVP_PKEY* key);
X509Ptr certificate_from_pem(std::string_view pem);
KeyPtr private_key_from_pem(std::string_view pem);
// Lower-case hex SHA-256 of the certificate's DER encoding (what agents pin).
std::string der_sha256_fingerprint(X509* certificate);

}  // namespace logbot::tls
