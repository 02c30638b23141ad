// Tests of nt::Tracker on one thread: every method, errors, moves, callbacks and exceptions.
#include "check.hpp"

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

using Nicks = std::vector<std::string>;
using Directories = std::vector<std::uint64_t>;

static_assert(!std::is_copy_constructible_v<nt::Tracker>);
static_assert(!std::is_copy_assignable_v<nt::Tracker>);
static_assert(std::is_nothrow_move_constructible_v<nt::Tracker>);
static_assert(std::is_nothrow_move_assignable_v<nt::Tracker>);

namespace {

/// A tracker whose leave callback records each departing nick in `left`.
struct Recorded {
  Nicks left;
  nt::Tracker tracker{[this](std::string_view nick) { left.emplace_back(nick); }};
};

}  // namespace

TEST(version_matches_the_header_macros) {
  CHECK_EQ(std::string(nt::version()), std::to_string(NT_VERSION_MAJOR) + "." +
                                           std::to_string(NT_VERSION_MINOR) + "." +
                                           std::to_string(NT_VERSION_PATCH));
}

TEST(nick_stays_active_until_every_directory_reports_it_gone) {
  Recorded r;
  r.tracker.mark_present("J5alice", 1);
  r.tracker.update("J5alice", 2, true);
  CHECK(r.tracker.is_active("J5alice"));
  CHECK_EQ(r.tracker.active_nick_count(), 1u);

  r.tracker.mark_gone("J5alice", 1);
  CHECK(r.tracker.is_active("J5alice"));
  CHECK_EQ(r.tracker.active_directories("J5alice"), Directories{2});
  CHECK_EQ(r.left, Nicks{});

  r.tracker.update("J5alice", 2, false);
  CHECK(!r.tracker.is_active("J5alice"));
  CHECK_EQ(r.tracker.active_nick_count(), 0u);
  CHECK_EQ(r.left, Nicks{"J5alice"});

  // A nick may come back, and then leave again.
  r.tracker.mark_present("J5alice", 3);
  r.tracker.mark_gone("J5alice", 3);
  CHECK_EQ(r.left, (Nicks{"J5alice", "J5alice"}));
}

TEST(gone_report_from_a_directory_that_never_listed_the_nick_is_ignored) {
  Recorded r;
  r.tracker.mark_gone("J5ghost", 1);
  CHECK_EQ(r.tracker.active_nick_count(), 0u);
  r.tracker.mark_present("J5alice", 1);
  r.tracker.mark_gone("J5alice", 2);
  CHECK(r.tracker.is_active("J5alice"));
  CHECK_EQ(r.left, Nicks{});
}

TEST(remove_directory_counts_departures_and_reports_them_in_first_seen_order) {
  Recorded r;
  r.tracker.mark_present("J5carol", 1);
  r.tracker.mark_present("J5alice", 1);
  r.tracker.mark_present("J5bob", 1);
  r.tracker.mark_present("J5bob", 2);
  r.tracker.mark_present("J5dave", 2);

  CHECK_EQ(r.tracker.remove_directory(1), 2u);
  CHECK_EQ(r.left, (Nicks{"J5carol", "J5alice"}));
  CHECK_EQ(r.tracker.remove_directory(99), 0u);
  CHECK_EQ(r.tracker.remove_directory(2), 2u);
  CHECK_EQ(r.left, (Nicks{"J5carol", "J5alice", "J5bob", "J5dave"}));
}

TEST(sync_peerlist_accepts_any_range_of_strings) {
  Recorded r;
  r.tracker.sync_peerlist(1, std::vector<std::string>{"J5a", "J5b", "J5c"});
  r.tracker.sync_peerlist(2, std::vector<std::string_view>{"J5b", "J5d", "J5d"});
  CHECK_EQ(r.tracker.active_nicks(), (Nicks{"J5a", "J5b", "J5c", "J5d"}));

  r.tracker.sync_peerlist(1, std::array<const char*, 2>{"J5a", "J5b"});  // J5c unlisted
  CHECK_EQ(r.left, Nicks{"J5c"});
  r.tracker.sync_peerlist(2, {});  // J5d leaves; J5b stays through directory 1
  CHECK_EQ(r.left, (Nicks{"J5c", "J5d"}));
  r.tracker.sync_peerlist(1, {"J5b", "J5e"});  // J5a leaves
  CHECK_EQ(r.left, (Nicks{"J5c", "J5d", "J5a"}));
  CHECK_EQ(r.tracker.active_nicks(), (Nicks{"J5b", "J5e"}));
  CHECK_EQ(r.tracker.active_directories("J5b"), Directories{1});
}

TEST(active_directories_are_in_first_reported_order_however_many) {
  nt::Tracker tracker;
  Directories expected;
  for (std::uint64_t directory = 1000; directory > 900; directory -= 3) {
    tracker.mark_present("J5alice", directory);
    expected.push_back(directory);
  }
  tracker.mark_present("J5alice", 1000);  // already listed: keeps its place
  CHECK_EQ(tracker.active_directories("J5alice"), expected);
  CHECK_EQ(tracker.active_directories("J5nobody"), Directories{});
}

TEST(active_nicks_and_for_each_active_nick_follow_first_seen_order) {
  nt::Tracker tracker;
  tracker.mark_present("J5bob", 1);
  tracker.mark_present("J5alice", 1);
  tracker.mark_present("J5carol", 2);
  tracker.mark_gone("J5alice", 1);
  tracker.mark_present("J5alice", 2);  // a new presence period: now the newest
  CHECK_EQ(tracker.active_nicks(), (Nicks{"J5bob", "J5carol", "J5alice"}));

  Nicks visited;
  tracker.for_each_active_nick([&visited](std::string_view nick) { visited.emplace_back(nick); });
  CHECK_EQ(visited, (Nicks{"J5bob", "J5carol", "J5alice"}));
  CHECK_EQ(nt::Tracker().active_nicks(), Nicks{});
}

TEST(visitor_may_change_the_tracker_while_visiting_a_snapshot) {
  Recorded r;
  r.tracker.sync_peerlist(1, {"J5a", "J5b", "J5c"});
  Nicks visited;
  r.tracker.for_each_active_nick([&](std::string_view nick) {
    visited.emplace_back(nick);
    r.tracker.mark_gone(nick, 1);
  });
  CHECK_EQ(visited, (Nicks{"J5a", "J5b", "J5c"}));
  CHECK_EQ(r.left, (Nicks{"J5a", "J5b", "J5c"}));
  CHECK_EQ(r.tracker.active_nick_count(), 0u);
}

TEST(visitor_exception_stops_the_iteration_and_propagates) {
  nt::Tracker tracker;
  tracker.sync_peerlist(1, {"J5a", "J5b", "J5c"});
  Nicks visited;
  const auto error = check::thrown<std::runtime_error>([&] {
    tracker.for_each_active_nick([&visited](std::string_view nick) {
      visited.emplace_back(nick);
      if (nick == "J5b") {
        throw std::runtime_error("stop at J5b");
      }
    });
  });
  CHECK(error.has_value());
  CHECK_EQ(std::string(error ? error->what() : ""), "stop at J5b");
  CHECK_EQ(visited, (Nicks{"J5a", "J5b"}));
  CHECK_EQ(tracker.active_nicks(), (Nicks{"J5a", "J5b", "J5c"}));
}

TEST(invalid_nicks_throw_their_status_and_change_nothing) {
  struct Case {
    std::string nick;
    nt_status status;
    std::string reason;
  };
  const std::string longest(NT_MAX_NICK_LEN, 'x');
  const std::vector<Case> cases{
      {"", NT_STATUS_NICK_EMPTY, "nick is empty"},
      {longest + "x", NT_STATUS_NICK_TOO_LONG, "nick is longer than 256 bytes"},
      {std::string(1000, 'x'), NT_STATUS_NICK_TOO_LONG, "nick is longer than 256 bytes"},
      {"J5\xff\xfe", NT_STATUS_NICK_NOT_UTF8, "nick is not valid UTF-8"},
      {std::string("J5\0evil", 7), NT_STATUS_NICK_CONTAINS_NUL, "nick contains a NUL byte"},
      {std::string(1, '\0'), NT_STATUS_NICK_CONTAINS_NUL, "nick contains a NUL byte"},
  };
  Recorded r;
  r.tracker.sync_peerlist(1, {"J5alice", "J5bob"});
  for (const Case& c : cases) {
    const std::string message = "nick: " + c.reason;
    CHECK_NT_ERROR(r.tracker.update(c.nick, 1, true), c.status, message);
    CHECK_NT_ERROR(r.tracker.mark_present(c.nick, 2), c.status, message);
    CHECK_NT_ERROR(r.tracker.mark_gone(c.nick, 1), c.status, message);
    CHECK_NT_ERROR(r.tracker.is_active(c.nick), c.status, message);
    CHECK_NT_ERROR(r.tracker.active_directories(c.nick), c.status, message);
    // Applied, this peerlist would make J5bob leave: all or nothing.
    CHECK_NT_ERROR(r.tracker.sync_peerlist(1, std::vector<std::string_view>{"J5alice", c.nick}),
                   c.status, "nicks[1]: " + c.reason);
  }
  CHECK_EQ(r.left, Nicks{});
  CHECK_EQ(r.tracker.active_nicks(), (Nicks{"J5alice", "J5bob"}));

  r.tracker.mark_present(longest, 1);  // the longest valid nick
  CHECK(r.tracker.is_active(longest));
}

TEST(error_is_a_runtime_error_with_the_library_message) {
  nt::Tracker tracker;
  const auto error = check::thrown<std::runtime_error>([&] { tracker.mark_present("", 1); });
  CHECK(error.has_value());
  CHECK_EQ(std::string(error ? error->what() : ""), std::string(nt_last_error_message()));
  CHECK_EQ(nt::Error(NT_STATUS_PANIC, "boom").status(), NT_STATUS_PANIC);
}

TEST(default_tracker_and_empty_callback_notify_no_one) {
  nt::Tracker trackers[] = {nt::Tracker(), nt::Tracker(nt::LeaveCallback{})};
  for (nt::Tracker& tracker : trackers) {
    tracker.mark_present("J5alice", 1);
    tracker.mark_gone("J5alice", 1);
    CHECK_EQ(tracker.active_nick_count(), 0u);
  }
}
