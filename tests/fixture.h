// Shared test helpers.
#pragma once

#include <gtest/gtest.h>

#include <string>

namespace mfhrl::testing {

extern int g_expected_logs;

// While alive, logged warnings and errors do not fail the test.
class ExpectLogged {
 public:
  ExpectLogged() { ++g_expected_logs; }
  ~ExpectLogged() { --g_expected_logs; }
  ExpectLogged(const ExpectLogged&) = delete;
  ExpectLogged& operator=(const ExpectLogged&) = delete;
};

// Runs f and expects it to throw E whose message contains every one of `parts`.
template <typename E, typename F>
void expect_throw_with(F&& f, std::initializer_list<std::string> parts) {
  try {
    f();
    ADD_FAILURE() << "expected an exception";
  } catch (const E& e) {
    const std::string what = e.what();
    for (const auto& p : parts) {
      EXPECT_NE(what.find(p), std::string::npos) << "message '" << what << "' lacks '" << p << "'";
    }
  }
}

}  // namespace mfhrl::testing
