#include "common/tls/tls_context.hpp"

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "common/crypto/sha256.hpp"
#include "common/tls/x509_util.hpp"

namespace logbot::tls {

namespace ssl = boost::asio::ssl;

namespace {

// Both ends: TLS 1.2 at least, ECDHE with AEAD only, no compression or renegotiation.
// (The library defaults offer CBC and static-RSA suites and old protocols.)
void apply_protocol_policy(ssl::context& context) {
  context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                      ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::no_compression |
                      ssl::context::single_dh_use);
  SSL_CTX* native = context.native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION);
  // No session tickets, so no resumption: no Logbot client keeps a session (each CLI call and
  // agent reconnect builds a fresh context), the device listener wants every certificate
  // presented anew, and TLS 1.3 sends tickets after the handshake, where they held the first
  // answer back by a delayed ACK (40 ms) whenever Nagle's algorithm was on. SSL_OP_NO_TICKET
  // stops TLS 1.2 tickets; TLS 1.3 still sends stateful ones unless their number is 0. A
  // browser pays a full handshake per new connection (about a millisecond of server time).
  SSL_CTX_set_options(native, SSL_OP_NO_TICKET);
  if (SSL_CTX_set_num_tickets(native, 0) != 1) throw std::runtime_error("TLS: cannot turn session tickets off");
  if (SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) throw std::runtime_error("TLS: cannot set the cipher list");
  if (SSL_CTX_set1_groups_list(native, "X25519:P-256:P-384") != 1)
    throw std::runtime_error("TLS: cannot set the key-exchange groups");
}

bool is_fingerprint(std::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

void free_pin(void*, void* pin, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<std::string*>(pin);
}

// The expected fingerprint lives in the SSL_CTX's ex_data, so it dies with the context
// (whoever ends up owning the moved ssl::context).
int pin_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, free_pin);
  return index;
}

// Replaces OpenSSL's whole chain verification: the leaf's digest against the pin, nothing else.
int verify_pin(X509_STORE_CTX* store, void* pin) {
  X509* leaf = X509_STORE_CTX_get0_cert(store);
  const auto* expected = static_cast<const std::string*>(pin);
  if (leaf != nullptr && expected != nullptr && der_sha256_fingerprint(leaf) == *expected) {
    X509_STORE_CTX_set_error(store, X509_V_OK);
    return 1;
  }
  X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
  return 0;
}

}  // namespace

ssl::context make_server_context(const std::filesystem::path& cert_chain_pem,
                                 const std::filesystem::path& private_key_pem) {
  ssl::context context(ssl::context::tls_server);
  apply_protocol_policy(context);
  SSL_CTX* native = context.native_handle();
  SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE);
  boost::system::error_code ec;
  context.use_certificate_chain_file(cert_chain_pem.string(), ec);
  if (ec) throw std::runtime_error("TLS: cannot load certificate " + cert_chain_pem.string() + ": " + ec.message());
  context.use_private_key_file(private_key_pem.string(), ssl::context::pem, ec);
  if (ec) throw std::runtime_error("TLS: cannot load private key " + private_key_pem.string() + ": " + ec.message());
  if (SSL_CTX_check_private_key(native) != 1)
    throw std::runtime_error("TLS: private key " + private_key_pem.string() + " does not match certificate " +
                             cert_chain_pem.string());
  return context;
}

ssl::context make_mutual_server_context(const std::filesystem::path& cert_chain_pem,
                                        const std::filesystem::path& private_key_pem, std::string_view client_ca_pem) {
  ssl::context context = make_server_context(cert_chain_pem, private_key_pem);
  boost::system::error_code ec;
  context.add_certificate_authority(boost::asio::buffer(client_ca_pem.data(), client_ca_pem.size()), ec);
  if (ec) throw std::runtime_error("TLS: cannot load the client certificate authority: " + ec.message());
  context.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  // Sessions are not resumed across this listener: every connection presents its certificate,
  // so a revoked one is seen at once.
  SSL_CTX_set_session_cache_mode(context.native_handle(), SSL_SESS_CACHE_OFF);
  return context;
}

ssl::context make_client_context(const std::filesystem::path& ca_file) {
  ssl::context context(ssl::context::tls_client);
  apply_protocol_policy(context);
  context.set_verify_mode(ssl::verify_peer);
  boost::system::error_code ec;
  if (ca_file.empty()) {
    context.set_default_verify_paths(ec);
    if (ec)
      throw std::runtime_error("cannot load the system's trusted certificates (" + ec.message() + "): use --ca-file");
    return context;
  }
  std::error_code file_ec;
  if (!std::filesystem::is_regular_file(ca_file, file_ec))
    throw std::runtime_error("the CA file " + ca_file.string() +
                             " does not exist or is not a file (give the server's PEM certificate)");
  context.load_verify_file(ca_file.string(), ec);
  if (ec)
    throw std::runtime_error("cannot read the CA file " + ca_file.string() + " as PEM certificates: " + ec.message());
  // The given file is the whole trust: a self-signed server certificate or an intermediate both anchor.
  X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(context.native_handle()), X509_V_FLAG_PARTIAL_CHAIN);
  return context;
}

ssl::context make_pinned_client_context(std::string_view fingerprint) {
  if (!is_fingerprint(fingerprint))
    throw std::invalid_argument("a certificate fingerprint must be 64 lower-case hex characters (SHA-256)");
  ssl::context context(ssl::context::tls_client);
  apply_protocol_policy(context);
  context.set_verify_mode(ssl::verify_peer);
  SSL_CTX* native = context.native_handle();
  auto pin = std::make_unique<std::string>(fingerprint);
  if (pin_index() < 0 || SSL_CTX_set_ex_data(native, pin_index(), pin.get()) != 1)
    throw std::runtime_error("TLS: cannot attach the certificate pin");
  SSL_CTX_set_cert_verify_callback(native, verify_pin, pin.release());
  return context;
}

ssl::context make_pinned_client_context(std::string_view fingerprint,
                                        const std::filesystem::path& client_certificate_pem,
                                        const std::filesystem::path& client_private_key_pem) {
  ssl::context context = make_pinned_client_context(fingerprint);
  boost::system::error_code ec;
  context.use_certificate_chain_file(client_certificate_pem.string(), ec);
  if (ec)
    throw std::runtime_error("cannot load the certificate " + client_certificate_pem.string() + ": " + ec.message());
  context.use_private_key_file(client_private_key_pem.string(), ssl::context::pem, ec);
  if (ec)
    throw std::runtime_error("cannot load the private key " + client_private_key_pem.string() + ": " + ec.message());
  if (SSL_CTX_check_private_key(context.native_handle()) != 1)
    throw std::runtime_error("the private key " + client_private_key_pem.string() +
                             " does not belong to the certificate " + client_certificate_pem.string());
  return context;
}

}  // namespace logbot::tls
