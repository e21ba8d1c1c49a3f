// Status and Result<T>: how every cold-path function in hashi reports failure.
// A Status is ok or carries a message that names the failing call and its
// error, e.g. "rte_eth_dev_configure(port 1): -22". The fast path never uses
// these; it counts drop reasons instead (dataplane/drop_reasons.def).
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace hashi {

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(std::string message) {
    Status s;
    s.ok_ = false;
    s.message_ = std::move(message);
    return s;
  }

  bool ok() const { return ok_; }
  const std::string& message() const { return message_; }

 private:
  bool ok_ = true;
  std::string message_;
};

// A value or the Status explaining why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status error) : data_(std::move(error)) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(data_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(data_);
  }
  const std::string& error() const { return status().message(); }

  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace hashi

// Returns early from a function returning Status or Result<T> on error.
#define HASHI_RETURN_IF_ERROR(expr)              \
  do {                                           \
    ::hashi::Status hashi_status_ = (expr);      \
    if (!hashi_status_.ok()) return hashi_status_; \
  } while (0)
