#include "common/tls/tls_context.hpp"

#include <openssl/ssl.h>

#include <stdexcept>
#include <string>

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
  if (SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) throw std::runtime_error("TLS: cannot set the cipher list");
  if (SSL_CTX_set1_groups_list(native, "X25519:P-256:P-384") != 1)
    throw std::runtime_error("TLS: cannot set the key-exchange groups");
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

}  // namespace logbot::tls
