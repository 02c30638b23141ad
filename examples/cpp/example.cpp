// A taker's order book kept in step with three directory servers through nt::Tracker.
//
// Offers are dropped only when their maker is gone from every directory, so one flapping
// directory connection does not empty the order book. The event callback is a lambda that
// reports makers joining, updates the order book when they leave, and aborts a CoinJoin whose
// counterparty left, by throwing. Private messages go through the directories in turn. A
// peerlist then arrives in two messages, and makers not seen for 30 minutes expire, on a
// clock the example moves by hand.
#include <nick_tracker.hpp>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

constexpr std::uint64_t kDirectoryA = 1;
constexpr std::uint64_t kDirectoryB = 2;
constexpr std::uint64_t kDirectoryC = 3;

void print_active(const nt::Tracker& tracker) {
  std::cout << "active nicks: " << tracker.active_nick_count() << '\n';
  tracker.for_each_active_nick([&tracker](std::string_view nick) {
    std::cout << "  " << nick << " via directories";
    for (std::uint64_t directory : tracker.active_directories(nick)) {
      std::cout << ' ' << directory;
    }
    std::cout << '\n';
  });
}

}  // namespace

int main() {
  std::map<std::string, std::uint64_t, std::less<>> offers;  // maker nick -> offer size (sats)
  std::string coinjoin_counterparty;                          // empty when no CoinJoin runs

  std::chrono::milliseconds now{0};  // a fake clock: the example decides when time passes

  nt::Options options;
  options.pick_mode = nt::PickMode::round_robin;  // the default, random, is for real use
  options.clock = [&now] { return now; };         // the default is the system's monotonic clock
  options.presence_ttl = std::chrono::minutes(30);  // makers not seen for 30 min expire
  options.on_event = [&](const nt::Event& event) {
    switch (event.kind) {
      case nt::EventKind::join:
        std::cout << "  " << event.nick << " joined via directory " << event.directory << '\n';
        break;
      case nt::EventKind::leave:
        if (auto offer = offers.find(event.nick); offer != offers.end()) {
          offers.erase(offer);
        }
        std::cout << "  " << event.nick << " left; offers remaining: " << offers.size() << '\n';
        if (event.nick == coinjoin_counterparty) {
          coinjoin_counterparty.clear();
          throw std::runtime_error("CoinJoin aborted: " + std::string(event.nick) + " left");
        }
        break;
    }
  };
  nt::Tracker tracker(std::move(options));

  std::cout << "directory A sends its peerlist\n";
  const std::vector<std::string> peerlist_a{"J5alice", "J5bob", "J5carol"};
  tracker.sync_peerlist(kDirectoryA, peerlist_a);
  for (const std::string& nick : peerlist_a) {
    offers[nick] = 100000;
  }

  std::cout << "directories B and C announce their peers\n";
  tracker.mark_present("J5alice", kDirectoryB);
  tracker.mark_present("J5dave", kDirectoryB);
  tracker.mark_present("J5dave", kDirectoryC);
  offers["J5dave"] = 250000;
  print_active(tracker);

  std::cout << "J5alice disconnects from directory A\n";
  tracker.mark_gone("J5alice", kDirectoryA);
  std::cout << "J5alice still active: " << std::boolalpha << tracker.is_active("J5alice") << '\n';

  std::cout << "directory A is dropped for good\n";
  const std::size_t gone = tracker.remove_directory(kDirectoryA);
  std::cout << gone << " nicks left with directory A\n";

  std::cout << "a directory sends a malformed nick\n";
  try {
    tracker.mark_present(std::string_view("J5eve\0x", 7), kDirectoryB);
  } catch (const nt::Error& error) {
    std::cout << "  rejected with status " << error.status() << ": " << error.what() << '\n';
  }

  std::cout << "CoinJoin with J5dave starts; messages to him take his directories in turn\n";
  coinjoin_counterparty = "J5dave";
  for (int message = 1; message <= 3; ++message) {
    std::cout << "  message " << message << " via directory "
              << tracker.pick_directory("J5dave").value() << '\n';
  }

  std::cout << "directory B sends a peerlist without him\n";
  tracker.sync_peerlist(kDirectoryB, {"J5alice"});
  std::cout << "  message 4 via directory " << tracker.pick_directory("J5dave").value() << '\n';

  std::cout << "directory C reports J5dave gone\n";
  try {
    tracker.mark_gone("J5dave", kDirectoryC);
  } catch (const std::runtime_error& error) {
    std::cout << "  " << error.what() << '\n';
  }
  if (!tracker.pick_directory("J5dave")) {
    std::cout << "no directory reaches J5dave any more\n";
  }
  print_active(tracker);

  std::cout << "directory B resends its peerlist, in two messages\n";
  tracker.begin_peerlist(kDirectoryB);
  tracker.add_peerlist_chunk(kDirectoryB, {"J5erin"});  // present at once: nothing dropped yet
  tracker.add_peerlist_chunk(kDirectoryB, {"J5frank"});
  for (const std::string& nick : tracker.commit_peerlist(kDirectoryB)) {  // the list is complete
    std::cout << "  the complete list dropped " << nick << '\n';
  }

  std::cout << "20 minutes later directory C reports J5erin\n";
  now += std::chrono::minutes(20);
  tracker.mark_present("J5erin", kDirectoryC);
  std::cout << "15 minutes later, expiry\n";
  now += std::chrono::minutes(15);
  const std::vector<std::string> expired = tracker.expire();  // J5frank: not seen for 35 min
  std::cout << "  " << expired.size() << " nick expired; J5erin was last seen at minute "
            << std::chrono::duration_cast<std::chrono::minutes>(
                   tracker.last_seen_anywhere("J5erin").value())
                   .count()
            << '\n';
  print_active(tracker);
  return 0;
}
