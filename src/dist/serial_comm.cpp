#include <cstdlib>

#include "mfhrl/dist/comm.h"

namespace mfhrl {

void SerialComm::abort(int code) const {
  std::exit(code);
}

}  // namespace mfhrl
