// Error types by layer: bad user input, broken invariants, non-finite numbers.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace mfhrl {

// Bad user input (file, key, flag, value). The message names what was wrong and what was expected;
// the application turns it into one stderr line and a non-zero exit.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A non-finite number appeared in a computation; the message names where (round, policy, ...).
class NumericalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A broken internal invariant (a bug, not bad input).
class InvariantError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

namespace detail {
[[noreturn]] void check_failed(const char* expr, const char* file, int line,
                               const std::string& msg);
}  // namespace detail

}  // namespace mfhrl

// Stops with file and line when an invariant does not hold.
#define MFHRL_CHECK(cond, msg)                                                         \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      std::ostringstream mfhrl_check_os_;                                              \
      mfhrl_check_os_ << msg;                                                          \
      ::mfhrl::detail::check_failed(#cond, __FILE__, __LINE__, mfhrl_check_os_.str()); \
    }                                                                                  \
  } while (0)
