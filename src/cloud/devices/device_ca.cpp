#include "cloud/devices/device_ca.hpp"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "cloud/db/database.hpp"
#include "cloud/secrets/secret_box.hpp"
#include "common/tls/x509_util.hpp"

namespace logbot::cloud {
namespace {

constexpr std::string_view kSealingContext = "device-ca-key";
constexpr long kCaLifetimeSeconds = 10L * 365 * 24 * 3600;
constexpr std::size_t kMaximumCsrBytes = 16 * 1024;

struct RequestDeleter {
  void operator()(X509_REQ* r) const { X509_REQ_free(r); }
};
using RequestPtr = std::unique_ptr<X509_REQ, RequestDeleter>;

RequestPtr request_from_pem(std::string_view pem) {
  if (pem.size() > kMaximumCsrBytes) return nullptr;
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  RequestPtr request(PEM_read_bio_X509_REQ(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  return request;
}

bool is_p256(EVP_PKEY* key) {
  char group[64] = {};
  std::size_t length = 0;
  return EVP_PKEY_is_a(key, "EC") == 1 && EVP_PKEY_get_group_name(key, group, sizeof group, &length) == 1 &&
         std::string_view(group, length) == "prime256v1";
}

void add_name(X509_NAME* name, const char* field, const std::string& value) {
  X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1,
                             0);
}

}  // namespace

struct DeviceCa::Keys {
  tls::X509Ptr certificate;
  tls::KeyPtr key;
};

DeviceCa::DeviceCa(std::string certificate_pem, std::unique_ptr<Keys> keys, const Clock& clock)
    : certificate_pem_(std::move(certificate_pem)), keys_(std::move(keys)), clock_(clock) {}
DeviceCa::~DeviceCa() = default;

std::unique_ptr<DeviceCa> DeviceCa::load_or_create(Database& db, std::string_view secrets_key, const Clock& clock) {
  Transaction tx(db);
  std::string certificate_pem, key_sealed;
  db.query("SELECT certificate_pem, key_sealed FROM device_ca WHERE id = 1", {}, [&](const Row& row) {
    certificate_pem = row.text(0);
    key_sealed = row.text(1);
  });
  auto keys = std::make_unique<Keys>();
  if (certificate_pem.empty()) {
    keys->key = tls::generate_p256_key();
    keys->certificate.reset(X509_new());
    X509* cert = keys->certificate.get();
    X509_set_version(cert, 2);
    tls::set_random_serial(cert);
    X509_gmtime_adj(X509_getm_notBefore(cert), -300);
    X509_gmtime_adj(X509_getm_notAfter(cert), kCaLifetimeSeconds);
    X509_set_pubkey(cert, keys->key.get());
    X509_NAME* name = X509_get_subject_name(cert);
    add_name(name, "O", "Logbot");
    add_name(name, "CN", "Logbot device CA");
    X509_set_issuer_name(cert, name);
    for (const auto& [nid, value] :
         {std::pair{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
          std::pair{NID_key_usage, "critical,keyCertSign,cRLSign"}, std::pair{NID_subject_key_identifier, "hash"}})
      if (!tls::add_extension(cert, cert, nid, value)) throw DatabaseError("device CA: cannot build its extensions", 1);
    if (X509_sign(cert, keys->key.get(), EVP_sha256()) == 0) throw DatabaseError("device CA: signing failed", 1);
    certificate_pem = tls::to_pem(cert);
    db.execute("INSERT INTO device_ca (id, certificate_pem, key_sealed, created_ms) VALUES (1, ?, ?, ?)",
               {certificate_pem, seal_secret(secrets_key, tls::private_key_to_pem(keys->key.get()), kSealingContext),
                clock.now_ms()});
  } else {
    const auto key_pem = open_secret(secrets_key, key_sealed, kSealingContext);
    if (!key_pem)
      throw DatabaseError("the device CA key does not decrypt: the secrets key file does not match this database", 1);
    keys->key = tls::private_key_from_pem(*key_pem);
    keys->certificate = tls::certificate_from_pem(certificate_pem);
    if (!keys->key || !keys->certificate) throw DatabaseError("the stored device CA is damaged", 1);
  }
  tx.commit();
  return std::unique_ptr<DeviceCa>(new DeviceCa(certificate_pem, std::move(keys), clock));
}

devices::Result<std::string> inspect_csr(std::string_view csr_pem) {
  RequestPtr request = request_from_pem(csr_pem);
  if (!request) return fail(devices::ErrorCode::bad_csr, "the certificate request is not a PEM PKCS#10 request");
  EVP_PKEY* key = X509_REQ_get0_pubkey(request.get());
  if (key == nullptr || !is_p256(key))
    return fail(devices::ErrorCode::bad_csr, "the certificate request must carry an ECDSA P-256 key");
  if (X509_REQ_verify(request.get(), key) != 1)
    return fail(devices::ErrorCode::bad_csr, "the certificate request's signature does not verify");
  X509_NAME* subject = X509_REQ_get_subject_name(request.get());
  char common_name[128] = {};
  const int length = X509_NAME_get_text_by_NID(subject, NID_commonName, common_name, sizeof common_name);
  if (length <= 0 || static_cast<std::size_t>(length) >= sizeof common_name)
    return fail(devices::ErrorCode::bad_csr, "the certificate request names no device (CN)");
  return std::string(common_name, static_cast<std::size_t>(length));
}

devices::Result<IssuedCertificate> DeviceCa::issue(std::string_view csr_pem, const std::string& device_uuid,
                                                   const std::string& org_id, std::int64_t lifetime_seconds) const {
  auto inspected = inspect_csr(csr_pem);
  if (!inspected) return inspected.error();
  if (*inspected != device_uuid)
    return fail(devices::ErrorCode::uuid_mismatch, "the certificate request names another device than " + device_uuid);
  RequestPtr request = request_from_pem(csr_pem);
  tls::X509Ptr certificate(X509_new());
  X509* cert = certificate.get();
  X509_set_version(cert, 2);
  IssuedCertificate issued;
  issued.serial = tls::set_random_serial(cert);
  X509_gmtime_adj(X509_getm_notBefore(cert), -300);
  X509_gmtime_adj(X509_getm_notAfter(cert), static_cast<long>(lifetime_seconds));
  issued.not_after_ms = clock_.now_ms() + lifetime_seconds * 1000;
  X509_set_pubkey(cert, X509_REQ_get0_pubkey(request.get()));
  X509_NAME* name = X509_get_subject_name(cert);
  add_name(name, "O", org_id);
  add_name(name, "CN", device_uuid);
  X509_set_issuer_name(cert, X509_get_subject_name(keys_->certificate.get()));
  const std::string san = "URI:urn:uuid:" + device_uuid;
  for (const auto& [nid, value] :
       {std::pair{NID_basic_constraints, "critical,CA:FALSE"}, std::pair{NID_key_usage, "critical,digitalSignature"},
        std::pair{NID_ext_key_usage, "clientAuth"}, std::pair{NID_subject_alt_name, san.c_str()},
        std::pair{NID_authority_key_identifier, "keyid:always"}})
    if (!tls::add_extension(cert, keys_->certificate.get(), nid, value))
      return fail(devices::ErrorCode::bad_csr, "the certificate could not be built");
  if (X509_sign(cert, keys_->key.get(), EVP_sha256()) == 0)
    return fail(devices::ErrorCode::bad_csr, "the certificate could not be signed");
  issued.certificate_pem = tls::to_pem(cert);
  return issued;
}

}  // namespace logbot::cloud
