// XenBackend: libxl sampling, the xl migrate child, and XenTracker.
#include "migration/xen_backend.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "migration/xen_tracker.h"

#ifdef HASHI_HAVE_XEN
extern "C" {
#include <libxl.h>
#include <libxl_utils.h>
#include <xentoollog.h>
}
#endif

namespace hashi::mig {

#ifdef HASHI_HAVE_XEN
namespace {

// A libxl context (RAII) and the domain list it samples.
class Libxl {
 public:
  static Result<std::unique_ptr<Libxl>> Open() {
    std::unique_ptr<Libxl> l(new Libxl);
    l->log_ = reinterpret_cast<xentoollog_logger*>(xtl_createlogger_stdiostream(stderr, XTL_ERROR, 0));
    if (libxl_ctx_alloc(&l->ctx_, LIBXL_VERSION, 0, l->log_) != 0) {
      return Status::Error("libxl_ctx_alloc failed: is this a Xen dom0 with xenstored running?");
    }
    return l;
  }
  ~Libxl() {
    if (ctx_ != nullptr) libxl_ctx_free(ctx_);
    if (log_ != nullptr) xtl_logger_destroy(log_);
  }
  std::vector<XenDomain> Domains() {
    std::vector<XenDomain> out;
    int n = 0;
    libxl_dominfo* info = libxl_list_domain(ctx_, &n);
    for (int i = 0; info != nullptr && i < n; ++i) {
      XenDomain d;
      d.domid = info[i].domid;
      char* name = libxl_domid_to_name(ctx_, d.domid);
      d.name = name != nullptr ? name : "";
      free(name);
      d.running = !info[i].paused && !info[i].shutdown && !info[i].dying;
      d.suspended = info[i].shutdown && info[i].shutdown_reason == LIBXL_SHUTDOWN_REASON_SUSPEND;
      out.push_back(d);
    }
    if (info != nullptr) libxl_dominfo_list_free(info, n);
    return out;
  }
  libxl_ctx* ctx() { return ctx_; }

 private:
  Libxl() = default;
  libxl_ctx* ctx_ = nullptr;
  xentoollog_logger* log_ = nullptr;
};

class XenBackend : public Hypervisor {
 public:
  XenBackend(VmIdentity vm, bool incoming, std::string uri, std::unique_ptr<Libxl> xl)
      : vm_(std::move(vm)), uri_(std::move(uri)), xl_(std::move(xl)), tracker_(vm_.name, incoming) {}
  ~XenBackend() override {
    if (child_ > 0) {
      ::kill(child_, SIGTERM);
      ::waitpid(child_, nullptr, 0);
    }
  }
  std::string kind() const override { return "xen"; }

  Status CheckSource() override {
    for (const XenDomain& d : xl_->Domains()) {
      if (d.name == vm_.name) return d.running ? Status::Ok() : Status::Error("domain " + vm_.name + " is not running");
    }
    return Status::Error("no domain named " + vm_.name + " on this host");
  }

  Result<std::string> PrepareIncoming(const VmIdentity& vm) override {
    if (uri_.rfind("xl:", 0) != 0) return Status::Error("a Xen destination needs --migration-incoming xl:HOST");
    for (const XenDomain& d : xl_->Domains()) {
      if (d.name == vm.name || d.name == vm.name + "--incoming") return Status::Error("domain " + d.name + " already exists here");
    }
    return uri_;
  }

  Status Start(const std::string& uri, const MigrationLimits&) override {
    if (uri.rfind("xl:", 0) != 0) return Status::Error("cannot migrate a Xen domain to '" + uri + "'");
    int err[2];
    if (::pipe2(err, O_CLOEXEC) != 0) return Status::Error("pipe failed");
    child_ = ::fork();
    if (child_ < 0) return Status::Error("fork failed");
    if (child_ == 0) {
      ::dup2(err[1], STDERR_FILENO);
      ::dup2(err[1], STDOUT_FILENO);
      const std::string host = uri.substr(3);
      ::execlp("xl", "xl", "migrate", vm_.name.c_str(), host.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(err[1]);
    err_fd_ = err[0];
    ::fcntl(err_fd_, F_SETFL, O_NONBLOCK);
    tracker_.MigrateStarted();
    return Status::Ok();
  }

  Status Continue() override { return Status::Ok(); }  // xl goes on by itself

  Status Cancel() override {
    if (child_ > 0) ::kill(child_, SIGTERM);
    for (const XenDomain& d : xl_->Domains()) {
      if (d.name == vm_.name && d.suspended && libxl_domain_resume(xl_->ctx(), d.domid, 1, nullptr) != 0) {
        return Status::Error("libxl_domain_resume(" + vm_.name + ") failed");
      }
    }
    return Status::Ok();
  }

  void CancelIncoming() override {
    for (const XenDomain& d : xl_->Domains()) {
      if (d.name == vm_.name + "--incoming") (void)libxl_domain_destroy(xl_->ctx(), d.domid, nullptr);
    }
  }

  std::vector<HvEvent> Poll() override {
    ReadOutput();
    if (child_ > 0) {
      int status = 0;
      if (::waitpid(child_, &status, WNOHANG) == child_) {
        child_ = -1;
        tracker_.MigrateExited(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), last_line_);
      }
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - last_sample_ < std::chrono::milliseconds(20)) return {};
    last_sample_ = now;
    return tracker_.Sample(xl_->Domains());
  }

 private:
  void ReadOutput() {
    if (err_fd_ < 0) return;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(err_fd_, buf, sizeof buf)) > 0) {
      out_.append(buf, static_cast<size_t>(n));
      for (size_t nl = out_.find('\n'); nl != std::string::npos; nl = out_.find('\n')) {
        if (nl > 0) last_line_ = out_.substr(0, nl);
        out_.erase(0, nl + 1);
      }
    }
    if (n == 0) {
      ::close(err_fd_);
      err_fd_ = -1;
    }
  }

  VmIdentity vm_;
  std::string uri_;
  std::unique_ptr<Libxl> xl_;
  XenTracker tracker_;
  pid_t child_ = -1;
  int err_fd_ = -1;
  std::string out_, last_line_;
  std::chrono::steady_clock::time_point last_sample_{};
};

}  // namespace

Result<std::unique_ptr<Hypervisor>> MakeXenBackend(const VmIdentity& vm, bool incoming, const std::string& incoming_uri) {
  auto xl = Libxl::Open();
  if (!xl.ok()) return xl.status();
  return std::unique_ptr<Hypervisor>(new XenBackend(vm, incoming, incoming_uri, std::move(xl).value()));
}

#else

Result<std::unique_ptr<Hypervisor>> MakeXenBackend(const VmIdentity&, bool, const std::string&) {
  return Status::Error("this hashi was built without libxen-dev: no Xen backend");
}

#endif

}  // namespace hashi::mig
