// A tiny test harness: TEST(name) { ... } registers a test; the CHECK macros report a failure
// (file, line, expression, values) and let the test go on, so one run shows every failure.
// Failures are counted atomically, so worker threads may CHECK too.
#ifndef NICK_TRACKER_TESTS_CHECK_HPP
#define NICK_TRACKER_TESTS_CHECK_HPP

#include <nick_tracker.hpp>

#include <atomic>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace check {

struct TestCase {
  const char* name;
  void (*run)();
};

inline std::vector<TestCase>& registry() {
  static std::vector<TestCase> tests;
  return tests;
}

struct Registrar {
  Registrar(const char* name, void (*run)()) { registry().push_back({name, run}); }
};

inline std::atomic<int> failures{0};

inline void fail(const char* file, int line, const std::string& what) {
  ++failures;
  std::ostringstream message;  // one write, so lines from several threads do not interleave
  message << file << ':' << line << ": check failed: " << what << '\n';
  std::cerr << message.str();
}

template <typename T>
std::ostream& operator<<(std::ostream& out, const std::vector<T>& values) {
  out << '{';
  for (std::size_t i = 0; i < values.size(); ++i) {
    out << (i ? ", " : "") << values[i];
  }
  return out << '}';
}

template <typename Actual, typename Expected>
void check_eq(const char* file, int line, const char* expression, const Actual& actual,
              const Expected& expected) {
  if (!(actual == expected)) {
    std::ostringstream what;
    what << expression << ": got " << actual << ", expected " << expected;
    fail(file, line, what.str());
  }
}

/// Runs `body` and returns the Exception it throws, or nothing; other exceptions propagate.
template <typename Exception, typename Body>
std::optional<Exception> thrown(Body&& body) {
  try {
    body();
  } catch (const Exception& exception) {
    return exception;
  }
  return std::nullopt;
}

}  // namespace check

#define TEST(name)                                                 \
  static void name();                                              \
  static const ::check::Registrar name##_registrar(#name, &name); \
  static void name()

#define CHECK(condition)                                       \
  do {                                                         \
    if (!(condition)) ::check::fail(__FILE__, __LINE__, #condition); \
  } while (0)

#define CHECK_EQ(actual, expected) \
  ::check::check_eq(__FILE__, __LINE__, #actual " == " #expected, (actual), (expected))

/// Checks that `expression` throws nt::Error with the given status and what() message.
#define CHECK_NT_ERROR(expression, expected_status, expected_what)                         \
  do {                                                                                     \
    const auto error_ = ::check::thrown<::nt::Error>([&] { (void)(expression); });         \
    if (!error_) {                                                                         \
      ::check::fail(__FILE__, __LINE__, #expression " did not throw nt::Error");           \
    } else {                                                                               \
      CHECK_EQ(error_->status(), expected_status);                                         \
      CHECK_EQ(std::string(error_->what()), std::string(expected_what));                  \
    }                                                                                      \
  } while (0)

#endif  // NICK_TRACKER_TESTS_CHECK_HPP
