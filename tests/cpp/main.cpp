// Runs every registered test, or those named on the command line; fails if any check failed.
#include "check.hpp"

#include <cstring>
#include <exception>
#include <iostream>

int main(int argc, char** argv) {
  int run = 0;
  for (const check::TestCase& test : check::registry()) {
    bool selected = argc == 1;
    for (int i = 1; i < argc; ++i) {
      selected = selected || std::strcmp(argv[i], test.name) == 0;
    }
    if (!selected) {
      continue;
    }
    ++run;
    const int failures_before = check::failures;
    try {
      test.run();
    } catch (const std::exception& error) {
      check::fail(__FILE__, __LINE__, std::string(test.name) + " threw: " + error.what());
    } catch (...) {
      check::fail(__FILE__, __LINE__, std::string(test.name) + " threw a non-std exception");
    }
    std::cout << (check::failures == failures_before ? "ok     " : "FAILED ") << test.name << '\n';
  }
  if (run == 0) {
    std::cerr << "no test matched\n";
    return 1;
  }
  std::cout << run << " tests, " << check::failures << " failed checks\n";
  return check::failures == 0 ? 0 : 1;
}
