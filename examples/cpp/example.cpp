// A taker's order book kept in step with three directory servers through nt::Tracker.
//
// Offers are dropped only when their maker is gone from every directory, so one flapping
// directory connection does not empty the order book. The leave callback is a lambda that
// updates the order book and aborts a CoinJoin whose counterparty left, by throwing.
#include <nick_tracker.hpp>

#include <cstdint>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
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

  nt::Tracker tracker([&](std::string_view nick) {
    if (auto offer = offers.find(nick); offer != offers.end()) {
      offers.erase(offer);
    }
    std::cout << "  " << nick << " left; offers remaining: " << offers.size() << '\n';
    if (nick == coinjoin_counterparty) {
      coinjoin_counterparty.clear();
      throw std::runtime_error("CoinJoin aborted: " + std::string(nick) + " left");
    }
  });

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

  std::cout << "connection to directory A lost\n";
  const std::size_t gone = tracker.remove_directory(kDirectoryA);
  std::cout << gone << " nicks left with directory A\n";

  std::cout << "a directory sends a malformed nick\n";
  try {
    tracker.mark_present(std::string_view("J5eve\0x", 7), kDirectoryB);
  } catch (const nt::Error& error) {
    std::cout << "  rejected with status " << error.status() << ": " << error.what() << '\n';
  }

  std::cout << "CoinJoin with J5dave starts; directory B sends a peerlist without him\n";
  coinjoin_counterparty = "J5dave";
  tracker.sync_peerlist(kDirectoryB, {"J5alice"});
  std::cout << "J5dave still active via directory C: " << tracker.is_active("J5dave") << '\n';

  std::cout << "directory C reports J5dave gone\n";
  try {
    tracker.mark_gone("J5dave", kDirectoryC);
  } catch (const std::runtime_error& error) {
    std::cout << "  " << error.what() << '\n';
  }
  print_active(tracker);
  return 0;
}
