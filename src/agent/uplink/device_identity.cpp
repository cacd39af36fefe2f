#include "agent/uplink/device_identity.hpp"

#include <fcntl.h>
#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <optional>
#include <sstream>

#include "common/tls/x509_util.hpp"

namespace logbot::agent {
namespace {

std::string common_name(X509* certificate) {
  X509_NAME* subject = X509_get_subject_name(certificate);
  const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) return {};
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                     static_cast<std::size_t>(ASN1_STRING_length(data)));
}

std::optional<std::string> read_text(const std::filesystem::path& file) {
  std::ifstream stream(file, std::ios::binary);
  if (!stream) return std::nullopt;
  std::ostringstream content;
  content << stream.rdbuf();
  return content.str();
}

bool key_matches(std::string_view key_pem, std::string_view certificate_pem) {
  tls::KeyPtr key = tls::private_key_from_pem(key_pem);
  tls::X509Ptr certificate = tls::certificate_from_pem(certificate_pem);
  const bool matches = key && certificate && X509_check_private_key(certificate.get(), key.get()) == 1;
  ERR_clear_error();
  return matches;
}

net::Result<void> rename_and_sync(const AgentState& state, const std::filesystem::path& from,
                                  const std::filesystem::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0)
    return fail(net::ErrorCode::io_failed, "cannot replace " + to.string() + ": " + std::strerror(errno));
  const int directory = ::open(state.directory().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (directory >= 0) {
    ::fsync(directory);
    ::close(directory);
  }
  return {};
}

}  // namespace

net::Result<CertificateValidity> read_certificate_validity(std::string_view certificate_pem) {
  tls::X509Ptr certificate = tls::certificate_from_pem(certificate_pem);
  ERR_clear_error();
  if (!certificate) return fail(net::ErrorCode::bad_input, "the device certificate is not a readable PEM certificate");
  CertificateValidity validity;
  const auto not_before = tls::epoch_ms(X509_get0_notBefore(certificate.get()));
  const auto not_after = tls::epoch_ms(X509_get0_notAfter(certificate.get()));
  if (!not_before || !not_after || *not_after <= *not_before)
    return fail(net::ErrorCode::bad_input, "the device certificate has unreadable validity dates");
  validity.not_before_ms = *not_before;
  validity.not_after_ms = *not_after;
  validity.serial_hex = tls::serial_hex(certificate.get());
  return validity;
}

net::Result<void> check_renewed_certificate(std::string_view key_pem, std::string_view certificate_pem,
                                            std::string_view device_uuid) {
  tls::X509Ptr certificate = tls::certificate_from_pem(certificate_pem);
  ERR_clear_error();
  if (!certificate)
    return fail(net::ErrorCode::bad_response,
                "the renewed certificate from the cloud is not a readable PEM certificate");
  if (!key_matches(key_pem, certificate_pem))
    return fail(net::ErrorCode::bad_response,
                "the renewed certificate from the cloud is not for the key this agent sent");
  if (common_name(certificate.get()) != device_uuid)
    return fail(net::ErrorCode::bad_response, "the renewed certificate from the cloud names another device");
  return {};
}

net::Result<void> install_renewed_identity(const AgentState& state, std::string_view key_pem,
                                           std::string_view certificate_pem, std::string_view ca_chain_pem) {
  if (auto written = state.write_file(state.pending_key_file(), key_pem, 0600); !written) return written.error();
  if (!ca_chain_pem.empty())
    if (auto written = state.write_file(state.ca_file(), ca_chain_pem, 0644); !written) return written.error();
  if (auto written = state.write_file(state.certificate_file(), certificate_pem, 0644); !written)
    return written.error();
  return rename_and_sync(state, state.pending_key_file(), state.key_file());
}

net::Result<void> recover_interrupted_renewal(const AgentState& state) {
  std::error_code exists_error;
  if (!std::filesystem::exists(state.pending_key_file(), exists_error)) return {};
  const auto pending = read_text(state.pending_key_file());
  const auto certificate = read_text(state.certificate_file());
  if (pending && certificate && key_matches(*pending, *certificate))
    return rename_and_sync(state, state.pending_key_file(), state.key_file());
  // The certificate was never replaced: the old pair is intact, the new key is useless.
  std::filesystem::remove(state.pending_key_file(), exists_error);
  return {};
}

}  // namespace logbot::agent
