// Tests of one nt::Tracker shared by several threads. They assert outcomes that hold under
// every interleaving, never timings.
#include "check.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

constexpr std::uint64_t kThreads = 4;
constexpr int kNicks = 100;

/// Runs `body(thread_index)` on kThreads threads at once and waits for all of them.
template <typename Body>
void on_threads(Body body) {
  std::vector<std::thread> threads;
  for (std::uint64_t index = 0; index < kThreads; ++index) {
    threads.emplace_back(body, index);
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
}

std::string nick(int i) { return "J5nick" + std::to_string(i); }

/// Blocks each thread until `count` threads have arrived, round after round (std::barrier is
/// C++20).
class Barrier {
 public:
  explicit Barrier(std::size_t count) : count_(count) {}

  void arrive_and_wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    const std::size_t round = round_;
    if (++arrived_ == count_) {
      arrived_ = 0;
      ++round_;
      all_arrived_.notify_all();
    } else {
      all_arrived_.wait(lock, [&] { return round_ != round; });
    }
  }

 private:
  std::mutex mutex_;
  std::condition_variable all_arrived_;
  const std::size_t count_;
  std::size_t arrived_ = 0;
  std::size_t round_ = 0;
};

}  // namespace

TEST(threads_share_a_tracker_and_each_nick_leaves_exactly_once) {
  std::mutex mutex;
  std::vector<std::string> left;
  nt::Tracker tracker([&](std::string_view departed) {
    const std::lock_guard<std::mutex> lock(mutex);
    left.emplace_back(departed);
  });

  // Every thread is a directory listing every nick.
  on_threads([&](std::uint64_t directory) {
    for (int i = 0; i < kNicks; ++i) {
      tracker.mark_present(nick(i), directory);
      CHECK(tracker.is_active(nick(i)));
    }
  });
  CHECK_EQ(tracker.active_nick_count(), static_cast<std::size_t>(kNicks));
  for (int i = 0; i < kNicks; ++i) {
    std::vector<std::uint64_t> directories = tracker.active_directories(nick(i));
    std::sort(directories.begin(), directories.end());
    CHECK_EQ(directories, (std::vector<std::uint64_t>{0, 1, 2, 3}));
  }

  // Whichever directory goes last makes each nick leave, once.
  std::atomic<std::size_t> gone{0};
  on_threads([&](std::uint64_t directory) { gone += tracker.remove_directory(directory); });
  CHECK_EQ(gone.load(), static_cast<std::size_t>(kNicks));
  std::sort(left.begin(), left.end());
  std::vector<std::string> expected;
  for (int i = 0; i < kNicks; ++i) {
    expected.push_back(nick(i));
  }
  std::sort(expected.begin(), expected.end());
  CHECK_EQ(left, expected);
  CHECK_EQ(tracker.active_nick_count(), 0u);
}

TEST(each_thread_gets_the_exceptions_of_its_own_callbacks) {
  // Every round, each thread makes its own nick leave, and its callback waits until all the
  // others are inside their callbacks too before throwing: the calls overlap for certain, so
  // an exception parked anywhere but in its own call's slot would reach the wrong thread.
  Barrier all_in_callbacks(kThreads);
  nt::Tracker tracker([&](std::string_view departed) {
    all_in_callbacks.arrive_and_wait();
    throw std::runtime_error(std::string(departed));
  });
  on_threads([&](std::uint64_t directory) {
    for (int round = 0; round < 20; ++round) {
      const std::string own = std::to_string(directory) + "-" + nick(round);
      tracker.mark_present(own, directory);
      const auto error =
          check::thrown<std::runtime_error>([&] { tracker.mark_gone(own, directory); });
      CHECK_EQ(std::string(error ? error->what() : "nothing thrown"), own);
    }
  });
  CHECK_EQ(tracker.active_nick_count(), 0u);
}

TEST(threads_share_a_tracker_with_options_and_events_balance) {
  std::mutex mutex;
  std::size_t joins = 0;
  std::size_t leaves = 0;
  std::size_t log_lines = 0;
  nt::Options options;
  options.log_level = nt::LogLevel::debug;
  options.on_event = [&](const nt::Event& event) {
    const std::lock_guard<std::mutex> lock(mutex);
    ++(event.kind == nt::EventKind::join ? joins : leaves);
  };
  options.on_log = [&](nt::LogLevel, std::string_view) {
    const std::lock_guard<std::mutex> lock(mutex);
    ++log_lines;
  };
  nt::Tracker tracker(std::move(options));

  // Every thread is a directory listing every nick, then dropping and restoring its
  // connection, picking directories as it goes, then leaving.
  on_threads([&](std::uint64_t directory) {
    std::vector<std::string> peerlist;
    for (int i = 0; i < kNicks; ++i) {
      peerlist.push_back(nick(i));
    }
    tracker.sync_peerlist(directory, peerlist);
    for (int round = 0; round < 5; ++round) {
      tracker.set_directory_connected(directory, false);
      tracker.set_directory_connected(directory, true);
      CHECK(tracker.pick_directory(nick(round)).has_value());  // its own directory counts
    }
    tracker.remove_directory(directory);
  });
  const nt::Stats stats = tracker.stats();
  CHECK_EQ(stats.nicks, 0u);
  CHECK_EQ(stats.directories, 0u);
  CHECK_EQ(stats.joins, static_cast<std::uint64_t>(joins));
  CHECK_EQ(stats.leaves, static_cast<std::uint64_t>(leaves));
  CHECK_EQ(joins, leaves);
  CHECK(joins >= static_cast<std::size_t>(kNicks));
  // Each event is logged once, and each directory change once (4 threads x 11 changes).
  CHECK_EQ(log_lines, joins + leaves + kThreads * 11);
}

TEST(each_thread_gets_the_exceptions_of_its_own_event_callbacks) {
  // As for the leave callback above: overlapping calls each get their own exception.
  Barrier all_in_callbacks(kThreads);
  nt::Options options;
  options.on_event = [&](const nt::Event& event) {
    if (event.kind == nt::EventKind::leave) {
      all_in_callbacks.arrive_and_wait();
      throw std::runtime_error(std::string(event.nick));
    }
  };
  nt::Tracker tracker(std::move(options));
  on_threads([&](std::uint64_t directory) {
    for (int round = 0; round < 20; ++round) {
      const std::string own = std::to_string(directory) + "-" + nick(round);
      tracker.mark_present(own, directory);
      const auto error = check::thrown<std::runtime_error>(
          [&] { tracker.set_directory_connected(directory, false); });
      CHECK_EQ(std::string(error ? error->what() : "nothing thrown"), own);
      tracker.mark_gone(own, directory);  // recorded while down: forgets it, no event
      tracker.set_directory_connected(directory, true);
    }
  });
  CHECK_EQ(tracker.active_nick_count(), 0u);
  CHECK_EQ(tracker.stats().nicks, 0u);
}
