#include "mfhrl/core/error.h"

namespace mfhrl::detail {

void check_failed(const char* expr, const char* file, int line, const std::string& msg) {
  std::ostringstream os;
  os << "internal check failed: " << expr << " at " << file << ":" << line;
  if (!msg.empty()) os << ": " << msg;
  throw InvariantError(os.str());
}

}  // namespace mfhrl::detail
