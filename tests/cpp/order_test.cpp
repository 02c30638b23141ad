// Tests of the order in which nt::Tracker delivers events (Event::seq), of exceptions thrown
// by events that calls made from inside callbacks caused, and of nicks passed as string_views
// without a terminator.
#include "check.hpp"

#include <chrono>
#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace {

using Lines = std::vector<std::string>;

struct CallbackError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <typename Body>
std::string callback_error_from(Body&& body) {
  const auto error = check::thrown<CallbackError>(std::forward<Body>(body));
  return error ? error->what() : "nothing thrown";
}

/// Events as they arrive ("+A#1", "-A#2"), from any thread, and what a consumer that keeps
/// per nick the seq of the last event it applied (ignoring older ones) concludes.
class Consumer {
 public:
  void apply(const nt::Event& event) {
    const std::lock_guard<std::mutex> lock(mutex_);
    const bool join = event.kind == nt::EventKind::join;
    arrivals_.push_back((join ? "+" : "-") + std::string(event.nick) + "#" +
                        std::to_string(event.seq));
    auto& latest = latest_[std::string(event.nick)];
    if (event.seq > latest.first) {
      latest = {event.seq, join};
    }
  }

  Lines arrivals() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return arrivals_;
  }

  /// Whether the consumer's view agrees with the tracker about every nick it heard of.
  bool agrees_with(const nt::Tracker& tracker) const {
    const std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [nick, latest] : latest_) {
      if (tracker.is_active(nick) != latest.second) {
        return false;
      }
    }
    return true;
  }

 private:
  mutable std::mutex mutex_;
  Lines arrivals_;
  std::map<std::string, std::pair<std::uint64_t, bool>> latest_;
};

constexpr auto kPatience = std::chrono::seconds(20);

}  // namespace

TEST(a_change_made_by_a_callback_is_delivered_after_the_events_still_due) {
  // ../shared/repro/reentrant_event_order.c: LEAVE A makes directory 1 report B gone.
  Consumer consumer;
  nt::Tracker* self = nullptr;
  nt::Options options;
  options.on_event = [&](const nt::Event& event) {
    consumer.apply(event);
    if (event.kind == nt::EventKind::leave && event.nick == "A") {
      self->mark_gone("B", 1);
      CHECK_EQ(consumer.arrivals().size(), 2u);  // delivered nothing itself
    }
  };
  nt::Tracker tracker(std::move(options));
  self = &tracker;
  tracker.mark_present("A", 1);
  tracker.sync_peerlist(1, {"B"});
  CHECK_EQ(consumer.arrivals(), (Lines{"+A#1", "-A#2", "+B#3", "-B#4"}));
  CHECK(consumer.agrees_with(tracker));
  const nt::Stats stats = tracker.stats();
  CHECK_EQ(stats.joins + stats.leaves, 4u);
}

TEST(a_visitors_changes_are_delivered_after_the_last_visit) {
  Consumer consumer;
  nt::Options options;
  options.on_event = [&](const nt::Event& event) {
    consumer.apply(event);
    if (event.kind == nt::EventKind::leave && event.nick == "J5b") {
      throw CallbackError("J5b left");
    }
  };
  nt::Tracker tracker(std::move(options));
  tracker.sync_peerlist(1, {"J5a", "J5b"});
  Lines seen_while_visiting;
  // The visitor's own changes run no callback while it visits; their events come after the
  // last visit, from for_each_active_nick(), which rethrows what their callbacks threw.
  CHECK_EQ(callback_error_from([&] {
             tracker.for_each_active_nick([&](std::string_view nick) {
               seen_while_visiting.push_back(std::to_string(consumer.arrivals().size()));
               tracker.mark_gone(nick, 1);
             });
           }),
           "J5b left");
  CHECK_EQ(seen_while_visiting, (Lines{"2", "2"}));
  CHECK_EQ(consumer.arrivals(), (Lines{"+J5a#1", "+J5b#2", "-J5a#3", "-J5b#4"}));
  CHECK(consumer.agrees_with(tracker));
}

TEST(a_nested_calls_exception_is_rethrown_by_the_outermost_call_after_everything) {
  Lines lines;
  nt::Tracker* self = nullptr;
  nt::Options options;
  options.log_level = nt::LogLevel::debug;
  options.on_event = [&](const nt::Event& event) {
    lines.push_back(std::string(event.nick) + " #" + std::to_string(event.seq));
    if (event.nick == "J5a") {
      // Its own events are queued: it returns normally, the throws come later.
      self->sync_peerlist(2, {"J5x", "J5y"});
    } else if (event.nick == "J5x" || event.nick == "J5y") {
      throw CallbackError(std::string(event.nick));
    }
  };
  options.on_log = [&](nt::LogLevel, std::string_view message) {
    lines.emplace_back(message);
  };
  nt::Tracker tracker(std::move(options));
  self = &tracker;
  CHECK_EQ(callback_error_from([&] { tracker.sync_peerlist(1, {"J5a", "J5b"}); }), "J5x");
  // Everything was delivered, the outer call's events and lines first, J5y's despite J5x's
  // exception; only the first exception was thrown.
  CHECK_EQ(lines, (Lines{"J5a #1", "J5b #2", "nick \"J5a\" is active (directory 1)",
                         "nick \"J5b\" is active (directory 1)", "J5x #3", "J5y #4",
                         "nick \"J5x\" is active (directory 2)",
                         "nick \"J5y\" is active (directory 2)"}));
  CHECK_EQ(tracker.active_nicks(), (std::vector<std::string>{"J5a", "J5b", "J5x", "J5y"}));
  CHECK_EQ(callback_error_from([&] { tracker.mark_gone("J5b", 1); }), "nothing thrown");
}

TEST(events_from_two_threads_put_in_order_by_seq_agree_with_the_tracker) {
  // ../shared/repro/threaded_event_order.c: the callback for JOIN W (thread 1) waits until
  // thread 2's mark_gone("X") has returned, so LEAVE X arrives before JOIN X. Thread 2 must
  // not wait for thread 1's callback (that would deadlock); its callback's exception is its.
  Consumer consumer;
  std::promise<void> w_joined;
  std::promise<void> x_gone;
  std::shared_future<void> x_gone_done = x_gone.get_future().share();
  bool waited = false;
  nt::Options options;
  options.on_event = [&](const nt::Event& event) {
    consumer.apply(event);
    if (event.kind == nt::EventKind::join && event.nick == "W") {
      w_joined.set_value();
      waited = x_gone_done.wait_for(kPatience) == std::future_status::ready;
    } else if (event.kind == nt::EventKind::leave && event.nick == "X") {
      throw CallbackError("X left");
    }
  };
  nt::Tracker tracker(std::move(options));
  std::string thrown_on_thread_2;
  std::thread second([&] {
    if (w_joined.get_future().wait_for(kPatience) == std::future_status::ready) {
      thrown_on_thread_2 = callback_error_from([&] { tracker.mark_gone("X", 1); });
    }
    x_gone.set_value();
  });
  const std::string thrown_on_thread_1 =
      callback_error_from([&] { tracker.sync_peerlist(1, {"W", "X"}); });
  second.join();
  CHECK(waited);
  CHECK_EQ(thrown_on_thread_1, "nothing thrown");
  CHECK_EQ(thrown_on_thread_2, "X left");
  CHECK_EQ(consumer.arrivals(), (Lines{"+W#1", "-X#3", "+X#2"}));
  CHECK(!tracker.is_active("X"));
  CHECK(consumer.agrees_with(tracker));
}

TEST(string_view_nicks_are_passed_with_their_length_and_no_terminator) {
  nt::Tracker tracker;
  // Exactly the nick's bytes on the heap: reading one more byte fails under ASan or valgrind.
  const auto bytes = std::make_unique<char[]>(7);
  std::string_view("J5alice").copy(bytes.get(), 7);
  const std::string_view alice(bytes.get(), 7);
  tracker.mark_present(alice, 1);
  tracker.update(alice, 2, true);
  CHECK(tracker.is_active(alice));
  CHECK(tracker.is_active("J5alice"));
  CHECK(!tracker.is_active(std::string_view("J5alice and more", 9)));
  CHECK_EQ(tracker.active_directories(alice), (std::vector<std::uint64_t>{1, 2}));
  CHECK(tracker.pick_directory(alice).has_value());
  CHECK_EQ(tracker.active_nicks(), std::vector<std::string>{"J5alice"});
  tracker.mark_gone(alice, 1);
  tracker.mark_gone(alice, 2);
  CHECK(!tracker.is_active(alice));
  // An empty view may have no data at all: still an empty nick, not a NULL argument.
  CHECK_NT_ERROR(tracker.mark_present(std::string_view(), 1), NT_STATUS_NICK_EMPTY,
                 "nick: nick is empty");
  CHECK_NT_ERROR(tracker.is_active(std::string_view()), NT_STATUS_NICK_EMPTY,
                 "nick: nick is empty");
}
