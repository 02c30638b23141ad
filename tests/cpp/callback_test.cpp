// Tests of what nt::Tracker owns and calls back: moves, exceptions thrown by the leave
// callback, and callbacks that call back into the same tracker.
#include "check.hpp"

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using Nicks = std::vector<std::string>;

namespace {

/// What a leave callback throws in these tests, to tell it apart from library errors.
struct LeaveError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The message of the LeaveError `body` throws, or "nothing thrown".
template <typename Body>
std::string leave_error_from(Body&& body) {
  const auto error = check::thrown<LeaveError>(std::forward<Body>(body));
  return error ? error->what() : "nothing thrown";
}

}  // namespace

TEST(moved_from_tracker_is_empty_and_the_callback_moves_along) {
  Nicks left;
  nt::Tracker source([&left](std::string_view nick) { left.emplace_back(nick); });
  source.mark_present("J5alice", 1);

  nt::Tracker moved(std::move(source));
  CHECK(!source);
  CHECK(static_cast<bool>(moved));
  CHECK(moved.is_active("J5alice"));
  moved.mark_gone("J5alice", 1);
  CHECK_EQ(left, Nicks{"J5alice"});

  // Every method of the moved-from tracker reports it, none crashes.
  CHECK_NT_ERROR(source.mark_present("J5bob", 1), NT_STATUS_NULL_ARGUMENT, "tracker is NULL");
  CHECK_NT_ERROR(source.update("J5bob", 1, false), NT_STATUS_NULL_ARGUMENT, "tracker is NULL");
  CHECK_NT_ERROR(source.remove_directory(1), NT_STATUS_NULL_ARGUMENT, "tracker is NULL");
  CHECK_NT_ERROR(source.sync_peerlist(1, {}), NT_STATUS_NULL_ARGUMENT, "tracker is NULL");
  CHECK_NT_ERROR(source.is_active("J5bob"), NT_STATUS_NULL_ARGUMENT, "tracker is NULL");
  CHECK_NT_ERROR(source.active_directories("J5bob"), NT_STATUS_NULL_ARGUMENT, "tracker is NULL");
  CHECK_NT_ERROR(source.active_nick_count(), NT_STATUS_NULL_ARGUMENT, "tracker is NULL");
  CHECK_NT_ERROR(source.active_nicks(), NT_STATUS_NULL_ARGUMENT, "tracker is NULL");

  // A moved-from tracker can be assigned a new one.
  source = nt::Tracker();
  source.mark_present("J5bob", 1);
  CHECK(source.is_active("J5bob"));
}

TEST(move_assignment_replaces_the_tracker_and_its_callback) {
  Nicks left_first;
  Nicks left_second;
  nt::Tracker first([&left_first](std::string_view nick) { left_first.emplace_back(nick); });
  nt::Tracker second([&left_second](std::string_view nick) { left_second.emplace_back(nick); });
  first.mark_present("J5alice", 1);
  second.mark_present("J5bob", 1);

  first = std::move(second);  // frees the tracker holding J5alice, without callbacks
  CHECK(!second);
  CHECK(!first.is_active("J5alice"));
  CHECK_EQ(first.remove_directory(1), 1u);
  CHECK_EQ(left_first, Nicks{});
  CHECK_EQ(left_second, Nicks{"J5bob"});
}

TEST(self_move_assignment_keeps_the_tracker) {
  Nicks left;
  nt::Tracker tracker([&left](std::string_view nick) { left.emplace_back(nick); });
  tracker.mark_present("J5alice", 1);
  nt::Tracker& same = tracker;
  tracker = std::move(same);
  CHECK(static_cast<bool>(tracker));
  CHECK(tracker.is_active("J5alice"));
  tracker.mark_gone("J5alice", 1);
  CHECK_EQ(left, Nicks{"J5alice"});
}

TEST(callbacks_survive_trackers_moving_inside_a_growing_vector) {
  Nicks left;
  std::vector<nt::Tracker> trackers;
  for (int i = 0; i < 20; ++i) {  // enough growth to move the early trackers several times
    trackers.emplace_back([&left, i](std::string_view nick) {
      left.push_back(std::to_string(i) + ":" + std::string(nick));
    });
    trackers.back().mark_present("J5alice", 1);
  }
  for (nt::Tracker& tracker : trackers) {
    tracker.mark_gone("J5alice", 1);
  }
  CHECK_EQ(left.size(), 20u);
  CHECK_EQ(left.front(), "0:J5alice");
  CHECK_EQ(left.back(), "19:J5alice");
}

TEST(leave_callback_exception_propagates_and_the_tracker_stays_usable) {
  nt::Tracker tracker([](std::string_view nick) { throw LeaveError(std::string(nick)); });
  tracker.mark_present("J5alice", 1);
  tracker.mark_present("J5alice", 2);
  tracker.mark_gone("J5alice", 1);  // no departure, no exception

  CHECK_EQ(leave_error_from([&] { tracker.mark_gone("J5alice", 2); }), "J5alice");
  CHECK(!tracker.is_active("J5alice"));  // the departure happened all the same

  tracker.mark_present("J5bob", 1);
  CHECK_EQ(leave_error_from([&] { tracker.update("J5bob", 1, false); }), "J5bob");
  CHECK_EQ(leave_error_from([&] { tracker.mark_gone("J5bob", 1); }), "nothing thrown");
  CHECK_EQ(tracker.active_nick_count(), 0u);
}

TEST(after_a_callback_throws_the_rest_of_the_batch_is_still_delivered) {
  Nicks left;
  nt::Tracker tracker([&left](std::string_view nick) {
    left.emplace_back(nick);
    if (nick != "J5c") {
      throw LeaveError(std::string(nick));
    }
  });
  tracker.sync_peerlist(1, {"J5a", "J5b", "J5c"});
  CHECK_EQ(leave_error_from([&] { tracker.remove_directory(1); }), "J5a");  // the first
  CHECK_EQ(left, (Nicks{"J5a", "J5b", "J5c"}));

  tracker.sync_peerlist(2, {"J5a", "J5b", "J5c"});
  CHECK_EQ(leave_error_from([&] { tracker.sync_peerlist(2, {"J5c"}); }), "J5a");
  CHECK_EQ(left, (Nicks{"J5a", "J5b", "J5c", "J5a", "J5b"}));
  CHECK_EQ(tracker.active_nicks(), Nicks{"J5c"});
}

TEST(leave_callback_may_call_back_into_the_same_tracker) {
  Nicks events;
  nt::Tracker tracker([&](std::string_view nick) {
    events.push_back(std::string(nick) + (tracker.is_active(nick) ? " active" : " inactive"));
    if (nick == "J5alice") {
      tracker.mark_gone("J5bob", 2);  // changes the tracker now, delivers after this returns
    }
    events.push_back("end " + std::string(nick));
  });
  tracker.mark_present("J5alice", 1);
  tracker.mark_present("J5bob", 2);
  tracker.mark_gone("J5alice", 1);
  CHECK_EQ(events, (Nicks{"J5alice inactive", "end J5alice", "J5bob inactive", "end J5bob"}));
  CHECK_EQ(tracker.active_nick_count(), 0u);
}

TEST(an_exception_from_a_nested_calls_departure_is_rethrown_by_the_outermost_call) {
  std::string caught_inside;
  Nicks left;
  nt::Tracker tracker([&](std::string_view nick) {
    left.emplace_back(nick);
    if (nick == "J5alice") {  // its nested call delivers nothing, so throws nothing
      caught_inside = leave_error_from([&] { tracker.mark_gone("J5bob", 2); });
    } else if (nick == "J5carol") {
      tracker.mark_gone("J5dave", 2);
    } else {
      throw LeaveError(std::string(nick));
    }
  });
  tracker.sync_peerlist(1, {"J5alice", "J5carol"});
  tracker.sync_peerlist(2, {"J5bob", "J5dave"});

  // J5bob's departure is delivered by the call that ran J5alice's callback, which throws.
  CHECK_EQ(leave_error_from([&] { tracker.mark_gone("J5alice", 1); }), "J5bob");
  CHECK_EQ(caught_inside, "nothing thrown");
  CHECK_EQ(leave_error_from([&] { tracker.mark_gone("J5carol", 1); }), "J5dave");
  CHECK_EQ(left, (Nicks{"J5alice", "J5bob", "J5carol", "J5dave"}));
  CHECK_EQ(tracker.active_nick_count(), 0u);
  CHECK_EQ(leave_error_from([&] { tracker.sync_peerlist(1, {}); }), "nothing thrown");
}
