// mfhrl_config_template: prints configs/halfcheetah.yaml as the key table generates it
// (scripts/gen-config.sh writes it there).
#include <iostream>

#include "keys.h"

int main() {
  std::cout << mfhrl::config::detail::config_template();
  return 0;
}
