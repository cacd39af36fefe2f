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

#include "common/tls/x509_util.hpp"

namespace logbot::tls {
namespace {

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<FILE, FileCloser>;

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("TLS certificate: " + what);
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

  KeyPtr key = generate_p256_key();
  if (!key) fail("key generation failed");
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  set_random_serial(cert.get());
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
  for (const auto& [nid, value] :
       {std::pair{NID_subject_alt_name, san.c_str()}, std::pair{NID_basic_constraints, "critical,CA:FALSE"},
        std::pair{NID_key_usage, "critical,digitalSignature"}, std::pair{NID_ext_key_usage, "serverAuth"}})
    if (!add_extension(cert.get(), cert.get(), nid, value)) fail(std::string("cannot build extension ") + value);
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
  X509Ptr cert(PEM_read_X509(in.get(), nullptr, nullptr, nullptr));
  if (!cert) fail("no certificate in " + certificate_pem.string());
  return der_sha256_fingerprint(cert.get());
}

}  // namespace logbot::tls
