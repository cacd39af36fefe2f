#include "common/tls/self_signed.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <stdexcept>

#include "common/crypto/random.hpp"
#include "common/crypto/sha256.hpp"

namespace logbot::tls {
namespace {

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<FILE, FileCloser>;

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("TLS certificate: " + what);
}

void add_extension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) fail(std::string("cannot build extension ") + value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

File open_private(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) fail("cannot create " + path.string());
  ::fchmod(fd, 0600);
  FILE* f = ::fdopen(fd, "w");
  if (f == nullptr) {
    ::close(fd);
    fail("cannot open " + path.string());
  }
  return File(f);
}

}  // namespace

CertificatePaths ensure_self_signed_certificate(const std::filesystem::path& directory) {
  CertificatePaths paths{directory / "cert.pem", directory / "key.pem"};
  if (std::filesystem::exists(paths.certificate) && std::filesystem::exists(paths.private_key)) return paths;
  std::filesystem::create_directories(directory);
  std::filesystem::permissions(directory, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace);

  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"),
                                                          &EVP_PKEY_free);
  if (!key) fail("key generation failed");
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), &X509_free);
  X509_set_version(cert.get(), 2);
  // 127-bit positive random serial (RFC 5280 allows up to 20 octets).
  std::string serial = crypto::random_bytes(16);
  serial[0] = static_cast<char>(serial[0] & 0x7f);
  BIGNUM* serial_bn = BN_bin2bn(reinterpret_cast<const unsigned char*>(serial.data()), 16, nullptr);
  BN_to_ASN1_INTEGER(serial_bn, X509_get_serialNumber(cert.get()));
  BN_free(serial_bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -300);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 825L * 24 * 3600);  // CA/B forum maximum
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("Logbot"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("logbot-cloud"), -1, -1,
                             0);
  X509_set_issuer_name(cert.get(), name);
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  std::string san = "DNS:localhost,IP:127.0.0.1,IP:::1";
  if (host[0] != '\0' && std::string(host) != "localhost") san += std::string(",DNS:") + host;
  add_extension(cert.get(), NID_subject_alt_name, san.c_str());
  add_extension(cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_extension(cert.get(), NID_key_usage, "critical,digitalSignature");
  add_extension(cert.get(), NID_ext_key_usage, "serverAuth");
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) fail("signing failed");

  {
    File out = open_private(paths.private_key);
    if (PEM_write_PrivateKey(out.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
      fail("cannot write " + paths.private_key.string());
  }
  {
    File out(std::fopen(paths.certificate.c_str(), "w"));
    if (!out || PEM_write_X509(out.get(), cert.get()) != 1) fail("cannot write " + paths.certificate.string());
  }
  return paths;
}

std::string certificate_sha256_fingerprint(const std::filesystem::path& certificate_pem) {
  File in(std::fopen(certificate_pem.c_str(), "r"));
  if (!in) fail("cannot read " + certificate_pem.string());
  std::unique_ptr<X509, decltype(&X509_free)> cert(PEM_read_X509(in.get(), nullptr, nullptr, nullptr), &X509_free);
  if (!cert) fail("no certificate in " + certificate_pem.string());
  unsigned char* der = nullptr;
  const int length = i2d_X509(cert.get(), &der);
  if (length <= 0) fail("cannot encode " + certificate_pem.string());
  std::string digest = crypto::sha256_hex(std::string_view(reinterpret_cast<char*>(der), length));
  OPENSSL_free(der);
  return digest;
}

}  // namespace logbot::tls
