#include <cstdlib>

#include "mfhrl/dist/comm.h"

namespace mfhrl::dist {

void SerialComm::abort(int code) const {
  std::exit(code);
}

}  // namespace mfhrl::dist
