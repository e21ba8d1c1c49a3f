// TlsContext: loading the switch's key, certificate and CA for OpenFlow
// over TLS, with peer verification required.
#include "control/openflow/tls.h"

#include <openssl/err.h>

namespace hashi::of {

std::string TlsError() {
  std::string s;
  unsigned long e;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!s.empty()) s += "; ";
    s += buf;
  }
  return s.empty() ? "unknown TLS error" : s;
}

Result<std::shared_ptr<TlsContext>> TlsContext::Create(const TlsFiles& files) {
  if (files.private_key.empty() || files.certificate.empty() || files.ca_cert.empty()) {
    return Status::Error("TLS needs --private-key, --certificate and --ca-cert");
  }
  SSL_CTX* ctx = SSL_CTX_new(TLS_method());
  if (ctx == nullptr) return Status::Error("SSL_CTX_new: " + TlsError());
  std::shared_ptr<TlsContext> owner(new TlsContext(ctx));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(ctx, files.certificate.c_str()) != 1) {
    return Status::Error("certificate " + files.certificate + ": " + TlsError());
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, files.private_key.c_str(), SSL_FILETYPE_PEM) != 1) {
    return Status::Error("private key " + files.private_key + ": " + TlsError());
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return Status::Error("private key " + files.private_key + " does not match " + files.certificate);
  }
  if (SSL_CTX_load_verify_locations(ctx, files.ca_cert.c_str(), nullptr) != 1) {
    return Status::Error("CA certificate " + files.ca_cert + ": " + TlsError());
  }
  // Mutual authentication: a peer without a certificate from our CA is refused.
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_ENABLE_PARTIAL_WRITE);
  return owner;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

}  // namespace hashi::of
