// Test main: any warning or error logged during a test fails it, unless the test expects it.
#include <gtest/gtest.h>

#include "fixture.h"
#include "mfhrl/core/log.h"

namespace mfhrl::testing {
int g_expected_logs = 0;
}

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  mfhrl::log::configure(0, mfhrl::log::Level::kError);  // quiet stdout in tests
  mfhrl::log::set_listener([](mfhrl::log::Level level, const std::string& msg) {
    if (level >= mfhrl::log::Level::kWarn && mfhrl::testing::g_expected_logs == 0) {
      ADD_FAILURE() << "unexpected log message: " << msg;
    }
  });
  return RUN_ALL_TESTS();
}
