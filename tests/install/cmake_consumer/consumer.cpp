// The C++ wrapper from an installed nick_tracker: nick_tracker.hpp must be installed beside
// nick_tracker.h and work through the nick_tracker::nick_tracker target alone.
#include <iostream>
#include <string>
#include <vector>

#include <nick_tracker.hpp>

int main() {
  std::vector<std::string> departed;
  nt::Tracker tracker([&departed](std::string_view nick) { departed.emplace_back(nick); });
  tracker.mark_present("J5alice", 1);
  tracker.mark_present("J5alice", 2);
  tracker.mark_gone("J5alice", 1);
  bool ok = departed.empty() && tracker.remove_directory(2) == 1 &&
            departed == std::vector<std::string>{"J5alice"};
  std::cout << "nick_tracker " << nt::version() << " from C++: " << (ok ? "ok" : "FAILED") << '\n';
  return ok ? 0 : 1;
}
