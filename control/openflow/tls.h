// TlsContext: OpenSSL configuration for OpenFlow over TLS (ssl:/pssl:),
// with mutual authentication as Open vSwitch does it: the switch presents
// its certificate and key, and a peer must present a certificate signed by
// the CA given (both when hashi accepts and when it connects). TlsSession is
// one connection's SSL object. RAII owners of the OpenSSL objects.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "common/status.h"

namespace hashi::of {

struct TlsFiles {
  std::string private_key;
  std::string certificate;
  std::string ca_cert;
  bool configured() const { return !private_key.empty() || !certificate.empty() || !ca_cert.empty(); }
};

class TlsContext {
 public:
  static Result<std::shared_ptr<TlsContext>> Create(const TlsFiles& files);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;
  SSL_CTX* get() const { return ctx_; }

 private:
  explicit TlsContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;
};

// The last OpenSSL error as text (and the queue cleared).
std::string TlsError();

struct SslDeleter {
  void operator()(SSL* s) const { SSL_free(s); }
};
using SslPtr = std::unique_ptr<SSL, SslDeleter>;

}  // namespace hashi::of
