// A CSR as an agent makes it (PEM PKCS#10 signed with its key, CN = its UUID), for the cloud's
// device tests.
#pragma once
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <string>

#include "common/tls/x509_util.hpp"

namespace logbot::cloud::testing {

inline std::string make_csr(const std::string& common_name, EVP_PKEY* key) {
  X509_REQ* request = X509_REQ_new();
  X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(request), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0);
  X509_REQ_set_pubkey(request, key);
  X509_REQ_sign(request, key, EVP_sha256());
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509_REQ(bio, request);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(length));
  BIO_free(bio);
  X509_REQ_free(request);
  return pem;
}

// The same with a fresh P-256 key (the agent makes one for every enrolment and renewal).
inline std::string make_csr(const std::string& common_name) {
  tls::KeyPtr key = tls::generate_p256_key();
  return make_csr(common_name, key.get());
}

}  // namespace logbot::cloud::testing
