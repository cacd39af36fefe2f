#include "agent/enrol/enrolment.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <boost/json/object.hpp>
#include <memory>

#include "common/enrolment/enrolment_token.hpp"
#include "common/net/https_client.hpp"

namespace logbot::agent {
namespace {

struct OpenSslFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
  void operator()(EVP_PKEY_CTX* context) const { EVP_PKEY_CTX_free(context); }
  void operator()(X509_REQ* request) const { X509_REQ_free(request); }
  void operator()(X509* certificate) const { X509_free(certificate); }
  void operator()(BIO* bio) const { BIO_free(bio); }
};
template <class T>
using Owned = std::unique_ptr<T, OpenSslFree>;

std::string openssl_reason() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  return length > 0 ? std::string(data, static_cast<std::size_t>(length)) : std::string();
}

Owned<EVP_PKEY> key_from_pem(std::string_view pem) {
  Owned<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return nullptr;
  return Owned<EVP_PKEY>(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

Owned<X509> certificate_from_pem(std::string_view pem) {
  Owned<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return nullptr;
  return Owned<X509>(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

std::string json_string(const boost::json::value& value, std::string_view name) {
  if (!value.is_object()) return {};
  const auto* member = value.as_object().if_contains(name);
  return member != nullptr && member->is_string() ? std::string(member->as_string()) : std::string();
}

}  // namespace

net::Result<std::string> generate_private_key_pem() {
  Owned<EVP_PKEY> key(EVP_EC_gen("P-256"));
  if (!key)
    return fail(net::ErrorCode::crypto_failed, "cannot generate the device key (EC P-256): " + openssl_reason());
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return fail(net::ErrorCode::crypto_failed, "cannot encode the device key: " + openssl_reason());
  return net::Result<std::string>(boost::system::in_place_value, bio_text(bio.get()));
}

net::Result<std::string> make_certificate_request_pem(std::string_view private_key_pem, std::string_view common_name) {
  Owned<EVP_PKEY> key = key_from_pem(private_key_pem);
  if (!key)
    return fail(net::ErrorCode::bad_input, "the device key is not a readable PEM private key: " + openssl_reason());
  if (!EVP_PKEY_is_a(key.get(), "EC")) return fail(net::ErrorCode::bad_input, "the device key is not an EC key");
  Owned<X509_REQ> request(X509_REQ_new());
  if (!request || X509_REQ_set_version(request.get(), 0) != 1)
    return fail(net::ErrorCode::crypto_failed, "cannot make a certificate request: " + openssl_reason());
  X509_NAME* subject = X509_REQ_get_subject_name(request.get());
  if (X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.data()),
                                 static_cast<int>(common_name.size()), -1, 0) != 1 ||
      X509_REQ_set_pubkey(request.get(), key.get()) != 1 || X509_REQ_sign(request.get(), key.get(), EVP_sha256()) <= 0)
    return fail(net::ErrorCode::crypto_failed, "cannot sign the certificate request: " + openssl_reason());
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509_REQ(bio.get(), request.get()) != 1)
    return fail(net::ErrorCode::crypto_failed, "cannot encode the certificate request: " + openssl_reason());
  return net::Result<std::string>(boost::system::in_place_value, bio_text(bio.get()));
}

net::Result<EnrolmentOutcome> enrol(const AgentState& state, const EnrolmentRequest& request) {
  if (state.has_certificate() && !request.force) {
    std::string where;
    if (auto binding = state.read_cloud_binding(); binding && *binding)
      where = " in organisation " + (*binding)->org_id + " at " + (*binding)->url;
    return fail(net::ErrorCode::already_enrolled, "this agent is already enrolled" + where + " (" +
                                                      state.certificate_file().string() +
                                                      "): use --force to enrol again with a new key");
  }
  const auto token = enrolment::decode_enrolment_token(request.token_text);
  if (!token) return fail(net::ErrorCode::bad_input, token.error().message);

  // A key left by an interrupted enrolment is reused; --force always makes a new one.
  std::string key_pem;
  bool new_key = true;
  if (state.has_key() && !request.force) {
    auto stored = state.read_key_pem();
    if (!stored) return stored.error();
    key_pem = std::move(*stored);
    new_key = false;
  } else {
    auto generated = generate_private_key_pem();
    if (!generated) return generated.error();
    key_pem = std::move(*generated);
  }
  auto csr = make_certificate_request_pem(key_pem, state.device_uuid());
  if (!csr) return csr.error();

  net::ClientOptions options;
  options.url = token->url;
  options.pinned_fingerprint = token->fingerprint;
  options.product = "logbot-agent";
  options.client_marker = "agent";
  auto client = net::HttpsClient::create(options);
  if (!client)
    return fail(client.error().code, "the enrolment token's cloud address is unusable: " + client.error().message);
  // Only the public half travels: the CSR holds the public key and a signature made with the private one.
  const boost::json::value body =
      boost::json::object{{"token_secret", token->secret}, {"uuid", state.device_uuid()}, {"csr", *csr}};
  auto answer = client->post("/api/v1/enrol", &body);
  // A cloud older than the route's current name knows only /api/v1/enroll; a 404 used no token.
  if (answer && answer->status == 404) answer = client->post("/api/v1/enroll", &body);
  if (!answer) return answer.error();
  if (answer->status != 200) {
    const std::string code = answer->error_code();
    return fail(net::ErrorCode::http_error, "the cloud refused the enrolment: " + answer->error_message() +
                                                (code.empty() ? std::string() : " (" + code + ")"));
  }
  if (!answer->json)
    return fail(net::ErrorCode::bad_response, "the cloud's answer to the enrolment is not JSON (HTTP 200)");
  const std::string certificate_pem = json_string(*answer->json, "certificate");
  const std::string ca_pem = json_string(*answer->json, "ca_chain");
  EnrolmentOutcome outcome{state.device_uuid(), json_string(*answer->json, "device_id"),
                           json_string(*answer->json, "org_id"), json_string(*answer->json, "expires_at")};

  // Check what came back before keeping it: a certificate for our key, and a CA that parses.
  Owned<X509> certificate = certificate_from_pem(certificate_pem);
  Owned<X509> ca = certificate_from_pem(ca_pem);
  Owned<EVP_PKEY> key = key_from_pem(key_pem);
  if (!certificate || !ca)
    return fail(net::ErrorCode::bad_response, "the cloud's answer holds no readable certificate or CA chain");
  if (!key || X509_check_private_key(certificate.get(), key.get()) != 1) {
    ERR_clear_error();
    return fail(net::ErrorCode::bad_response,
                "the certificate the cloud issued is not for this device's key: nothing was stored");
  }
  if (outcome.org_id.empty() || outcome.device_id.empty())
    return fail(net::ErrorCode::bad_response, "the cloud's answer to the enrolment names no device or organisation");

  // Key first: a certificate on disk must always have its key beside it.
  if (new_key)
    if (auto written = state.write_file(state.key_file(), key_pem, 0600); !written) return written.error();
  if (auto written = state.write_file(state.certificate_file(), certificate_pem, 0644); !written)
    return written.error();
  if (auto written = state.write_file(state.ca_file(), ca_pem, 0644); !written) return written.error();
  CloudBinding binding{client->server().origin, token->fingerprint, outcome.device_id, outcome.org_id, {}};
  const auto* urls = answer->json->is_object() ? answer->json->as_object().if_contains("uplink_urls") : nullptr;
  if (urls != nullptr && urls->is_array())
    for (const auto& url : urls->as_array())
      if (url.is_string()) binding.uplink_urls.emplace_back(url.as_string());
  if (auto written = state.write_cloud_binding(binding); !written) return written.error();
  return outcome;
}

}  // namespace logbot::agent
