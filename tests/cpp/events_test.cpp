// Tests of what nt::Options adds to nt::Tracker: join and leave events, directory connection
// state, pick_directory(), stats(), limits, the log callback, exceptions thrown by the event
// and log callbacks, and sync_peerlist()'s packed peerlist.
#include "check.hpp"

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

using Lines = std::vector<std::string>;
using Nicks = std::vector<std::string>;
using Directories = std::vector<std::uint64_t>;

static_assert(std::is_aggregate_v<nt::Options>);
static_assert(std::is_aggregate_v<nt::Stats>);
static_assert(!std::is_convertible_v<nt::Options, nt::Tracker>, "the constructor is explicit");

namespace nt {
// For CHECK_EQ's failure messages; found by argument-dependent lookup.
std::ostream& operator<<(std::ostream& out, const Stats& stats) {
  return out << "{nicks " << stats.nicks << ", active " << stats.active_nicks << ", directories "
             << stats.directories << ", connected " << stats.connected_directories << ", joins "
             << stats.joins << ", leaves " << stats.leaves << '}';
}
}  // namespace nt

namespace {

/// What a log or event callback throws in these tests, to tell it apart from library errors.
struct CallbackError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The message of the CallbackError `body` throws, or "nothing thrown".
template <typename Body>
std::string callback_error_from(Body&& body) {
  const auto error = check::thrown<CallbackError>(std::forward<Body>(body));
  return error ? error->what() : "nothing thrown";
}

const char* name(nt::LogLevel level) {
  switch (level) {
    case nt::LogLevel::error: return "error";
    case nt::LogLevel::warn: return "warn";
    case nt::LogLevel::info: return "info";
    case nt::LogLevel::debug: return "debug";
  }
  return "?";
}

/// "join J5alice 1", "leave J5alice 1".
std::string describe(const nt::Event& event) {
  const char* kind = event.kind == nt::EventKind::join    ? "join"
                     : event.kind == nt::EventKind::leave ? "leave"
                                                          : "?";
  return std::string(kind) + " " + std::string(event.nick) + " " +
         std::to_string(event.directory);
}

/// Options with the log level given (warn: only refusals) and the other defaults.
nt::Options options_with(nt::LogLevel log_level) {
  nt::Options options;
  options.log_level = log_level;
  return options;
}

/// A tracker whose event and log callbacks record what they get as lines: "join J5alice 1",
/// "debug: nick \"J5alice\" is active (directory 1)". Callbacks already set in the options
/// still run, after the recording, so a test can make them throw.
class Journal {
 public:
  explicit Journal(nt::Options options = options_with(nt::LogLevel::warn))
      : tracker(recording(std::move(options))) {}
  Journal(const Journal&) = delete;  // the callbacks hold `this`
  Journal& operator=(const Journal&) = delete;

  /// The lines recorded since the last take().
  Lines take() { return std::exchange(lines_, {}); }

 private:
  Lines lines_;  // declared before the tracker, whose callbacks write to it

 public:
  nt::Tracker tracker;

 private:
  nt::Options recording(nt::Options options) {
    options.on_event = [this, next = std::move(options.on_event)](const nt::Event& event) {
      // The tracker already reflects the event when it arrives: re-entering it is allowed.
      CHECK_EQ(tracker.is_active(event.nick), event.kind == nt::EventKind::join);
      lines_.push_back(describe(event));
      if (next) {
        next(event);
      }
    };
    options.on_log = [this, next = std::move(options.on_log)](nt::LogLevel level,
                                                               std::string_view message) {
      lines_.push_back(std::string(name(level)) + ": " + std::string(message));
      if (next) {
        next(level, message);
      }
    };
    return options;
  }
};

/// Everything a caller can observe of a tracker, to check that a refused call changed nothing.
struct Snapshot {
  nt::Stats stats;
  Nicks active;
  Directories directories_of_a;

  explicit Snapshot(const nt::Tracker& tracker)
      : stats(tracker.stats()),
        active(tracker.active_nicks()),
        directories_of_a(tracker.active_directories("J5a")) {}

  bool operator==(const Snapshot& other) const {
    return stats == other.stats && active == other.active &&
           directories_of_a == other.directories_of_a;
  }
};

std::ostream& operator<<(std::ostream& out, const Snapshot& snapshot) {
  using check::operator<<;
  return out << snapshot.stats << " active " << snapshot.active << " J5a via "
             << snapshot.directories_of_a;
}

nt::Stats make_stats(std::size_t nicks, std::size_t active_nicks, std::size_t directories,
                     std::size_t connected_directories, std::uint64_t joins,
                     std::uint64_t leaves) {
  nt::Stats stats;
  stats.nicks = nicks;
  stats.active_nicks = active_nicks;
  stats.directories = directories;
  stats.connected_directories = connected_directories;
  stats.joins = joins;
  stats.leaves = leaves;
  return stats;
}

/// `count` picks for `nick`, 0 standing for "not active".
Directories picks(const nt::Tracker& tracker, std::string_view nick, int count) {
  Directories picked;
  for (int i = 0; i < count; ++i) {
    picked.push_back(tracker.pick_directory(nick).value_or(0));
  }
  return picked;
}

}  // namespace

// ---- Options -----------------------------------------------------------------------------

TEST(options_default_to_the_c_defaults) {
  nt_options c_options;
  CHECK_EQ(nt_options_init(&c_options, NT_OPTIONS_VERSION), NT_STATUS_OK);
  const nt::Options options;
  CHECK(!options.on_event);
  CHECK(!options.on_log);
  CHECK_EQ(static_cast<std::uint32_t>(options.log_level), c_options.log_level);
  CHECK_EQ(options.max_nicks, c_options.max_nicks);
  CHECK_EQ(options.max_directories, c_options.max_directories);
  CHECK_EQ(static_cast<std::uint32_t>(options.pick_mode), c_options.pick_mode);

  nt::Tracker tracker{nt::Options{}};  // no callbacks at all
  tracker.mark_present("J5alice", 1);
  tracker.remove_directory(1);
  CHECK_EQ(tracker.stats(), make_stats(0, 0, 0, 0, 1, 1));
}

TEST(options_with_unknown_enum_values_are_rejected) {
  nt::Options bad_level;
  bad_level.log_level = static_cast<nt::LogLevel>(0);
  CHECK_NT_ERROR(nt::Tracker(bad_level), NT_STATUS_INVALID_ARGUMENT,
                 "options.log_level: 0 is not an nt_log_level");
  nt::Options bad_mode;
  bad_mode.pick_mode = static_cast<nt::PickMode>(7);
  CHECK_NT_ERROR(nt::Tracker(bad_mode), NT_STATUS_INVALID_ARGUMENT,
                 "options.pick_mode: 7 is not an nt_pick_mode");
}

TEST(options_are_copied_so_one_set_can_configure_several_trackers) {
  Lines lines;
  nt::Options options;
  options.on_event = [&lines](const nt::Event& event) { lines.push_back(describe(event)); };
  nt::Tracker first(options);
  nt::Tracker second(options);
  first.mark_present("J5alice", 1);
  second.mark_present("J5bob", 2);
  CHECK_EQ(lines, (Lines{"join J5alice 1", "join J5bob 2"}));
}

TEST(event_and_log_callbacks_move_with_the_tracker) {
  Lines lines;
  nt::Options options = options_with(nt::LogLevel::info);
  options.on_event = [&lines](const nt::Event& event) { lines.push_back(describe(event)); };
  options.on_log = [&lines](nt::LogLevel, std::string_view message) {
    lines.emplace_back(message);
  };
  std::vector<nt::Tracker> trackers;
  for (int i = 0; i < 20; ++i) {  // enough growth to move the early trackers several times
    trackers.emplace_back(options);
  }
  trackers.front().mark_present("J5alice", 1);
  nt::Tracker moved = std::move(trackers.front());
  moved.mark_gone("J5alice", 1);
  CHECK_EQ(lines, (Lines{"join J5alice 1", "leave J5alice 1",
                         "nick \"J5alice\" has left all directories (last: directory 1)"}));
}

// ---- Events ------------------------------------------------------------------------------

TEST(a_nick_joins_and_leaves_once_per_presence_period) {
  Journal j;
  j.tracker.mark_present("J5alice", 1);
  j.tracker.mark_present("J5alice", 2);
  j.tracker.mark_gone("J5alice", 1);
  CHECK_EQ(j.take(), Lines{"join J5alice 1"});
  j.tracker.update("J5alice", 2, false);
  j.tracker.mark_gone("J5alice", 2);  // already gone: nothing
  CHECK_EQ(j.take(), Lines{"leave J5alice 2"});
  j.tracker.update("J5alice", 3, true);
  CHECK_EQ(j.take(), Lines{"join J5alice 3"});
  CHECK_EQ(j.tracker.remove_directory(3), 1u);
  CHECK_EQ(j.take(), Lines{"leave J5alice 3"});
}

TEST(a_sync_reports_leaves_in_first_seen_order_then_joins_in_list_order) {
  Journal j;
  j.tracker.sync_peerlist(1, {"J5carol", "J5alice", "J5bob"});
  CHECK_EQ(j.take(), (Lines{"join J5carol 1", "join J5alice 1", "join J5bob 1"}));
  j.tracker.sync_peerlist(1, std::vector<std::string>{"J5erin", "J5alice", "J5dave", "J5erin"});
  CHECK_EQ(j.take(),
           (Lines{"leave J5carol 1", "leave J5bob 1", "join J5erin 1", "join J5dave 1"}));
  j.tracker.sync_peerlist(1, {});
  CHECK_EQ(j.take(), (Lines{"leave J5alice 1", "leave J5erin 1", "leave J5dave 1"}));
}

TEST(remove_directory_reports_each_leave_with_the_removed_directory) {
  Journal j;
  j.tracker.sync_peerlist(1, {"J5carol", "J5alice", "J5bob"});
  j.tracker.mark_present("J5alice", 2);
  j.take();
  CHECK_EQ(j.tracker.remove_directory(1), 2u);
  CHECK_EQ(j.take(), (Lines{"leave J5carol 1", "leave J5bob 1"}));
  CHECK_EQ(j.tracker.active_directories("J5alice"), Directories{2});
}

TEST(a_leave_only_tracker_still_counts_joins) {
  Nicks left;
  nt::Tracker tracker([&left](std::string_view nick) { left.emplace_back(nick); });
  tracker.mark_present("J5alice", 1);
  CHECK_EQ(left, Nicks{});
  tracker.mark_gone("J5alice", 1);
  CHECK_EQ(left, Nicks{"J5alice"});
  CHECK_EQ(tracker.stats(), make_stats(0, 0, 1, 1, 1, 1));
}

// ---- Directory connection state ------------------------------------------------------------

TEST(a_disconnected_directory_counts_as_absent_until_it_reconnects) {
  nt::Options options = options_with(nt::LogLevel::warn);
  options.pick_mode = nt::PickMode::round_robin;
  Journal j(std::move(options));
  j.tracker.sync_peerlist(1, {"J5alice", "J5bob", "J5carol"});
  j.tracker.mark_present("J5bob", 2);
  j.take();

  j.tracker.set_directory_connected(1, false);
  CHECK_EQ(j.take(), (Lines{"leave J5alice 1", "leave J5carol 1"}));
  CHECK_EQ(j.tracker.stats(), make_stats(3, 1, 2, 1, 3, 2));  // records kept for directory 1
  CHECK_EQ(j.tracker.active_nicks(), Nicks{"J5bob"});
  CHECK_EQ(j.tracker.active_directories("J5bob"), Directories{2});
  CHECK(!j.tracker.pick_directory("J5alice").has_value());
  j.tracker.set_directory_connected(1, false);  // no change, no events
  CHECK_EQ(j.take(), Lines{});

  j.tracker.set_directory_connected(1, true);
  CHECK_EQ(j.take(), (Lines{"join J5alice 1", "join J5carol 1"}));
  CHECK_EQ(j.tracker.stats(), make_stats(3, 3, 2, 2, 5, 2));
  CHECK_EQ(j.tracker.active_directories("J5bob"), (Directories{1, 2}));

  // Its next peerlist has the last word.
  j.tracker.sync_peerlist(1, {"J5bob", "J5carol"});
  CHECK_EQ(j.take(), Lines{"leave J5alice 1"});
  CHECK_EQ(j.tracker.stats(), make_stats(2, 2, 2, 2, 5, 3));
  CHECK_EQ(j.tracker.active_nicks(), (Nicks{"J5bob", "J5carol"}));
}

TEST(reports_and_peerlists_while_disconnected_count_once_reconnected) {
  Journal j;
  j.tracker.set_directory_connected(9, false);  // known before it reports anything
  CHECK_EQ(j.tracker.stats(), make_stats(0, 0, 1, 0, 0, 0));
  j.tracker.mark_present("J5alice", 9);
  j.tracker.sync_peerlist(8, {"J5bob"});
  j.tracker.set_directory_connected(8, false);
  j.tracker.sync_peerlist(8, {"J5carol"});  // recorded while down: J5bob gone on 8
  CHECK_EQ(j.take(), (Lines{"join J5bob 8", "leave J5bob 8"}));
  CHECK_EQ(j.tracker.active_nick_count(), 0u);
  CHECK_EQ(j.tracker.stats(), make_stats(2, 0, 2, 0, 1, 1));

  j.tracker.set_directory_connected(9, true);
  j.tracker.set_directory_connected(8, true);
  CHECK_EQ(j.take(), (Lines{"join J5alice 9", "join J5carol 8"}));
  CHECK_EQ(j.tracker.active_nicks(), (Nicks{"J5alice", "J5carol"}));
  CHECK_EQ(j.tracker.remove_directory(9), 1u);
  CHECK_EQ(j.take(), Lines{"leave J5alice 9"});
}

TEST(set_directory_connected_on_a_moved_from_tracker_throws) {
  nt::Tracker tracker{nt::Options{}};
  nt::Tracker other(std::move(tracker));
  CHECK_NT_ERROR(tracker.set_directory_connected(1, true), NT_STATUS_NULL_ARGUMENT,
                 "tracker is NULL");
  CHECK_NT_ERROR(tracker.pick_directory("J5alice"), NT_STATUS_NULL_ARGUMENT, "tracker is NULL");
  CHECK_NT_ERROR(tracker.stats(), NT_STATUS_NULL_ARGUMENT, "tracker is NULL");
}

// ---- Routing choice ------------------------------------------------------------------------

TEST(round_robin_picks_cycle_through_the_active_directories) {
  nt::Options options;
  options.pick_mode = nt::PickMode::round_robin;
  const nt::Tracker tracker = [&] {
    nt::Tracker t(std::move(options));
    for (const std::uint64_t directory : {30u, 10u, 20u}) {
      t.mark_present("J5alice", directory);
    }
    t.mark_present("J5bob", 5);
    return t;
  }();
  CHECK_EQ(picks(tracker, "J5alice", 5), (Directories{30, 10, 20, 30, 10}));
  CHECK_EQ(picks(tracker, "J5bob", 2), (Directories{5, 5}));  // each nick has its own turn
  CHECK(!tracker.pick_directory("J5nobody").has_value());
}

TEST(round_robin_picks_skip_directories_that_stopped_counting) {
  nt::Options options;
  options.pick_mode = nt::PickMode::round_robin;
  nt::Tracker tracker(std::move(options));
  for (const std::uint64_t directory : {1u, 2u, 3u, 4u}) {
    tracker.mark_present("J5alice", directory);
  }
  tracker.set_directory_connected(2, false);
  tracker.mark_gone("J5alice", 4);
  CHECK_EQ(tracker.active_directories("J5alice"), (Directories{1, 3}));
  CHECK_EQ(picks(tracker, "J5alice", 4), (Directories{1, 3, 1, 3}));
  tracker.mark_gone("J5alice", 1);
  tracker.mark_gone("J5alice", 3);
  CHECK_EQ(picks(tracker, "J5alice", 1), Directories{0});  // kept for directory 2 only
}

TEST(random_picks_cover_every_active_directory_and_nothing_else) {
  nt::Tracker tracker{nt::Options{}};  // PickMode::random is the default
  for (std::uint64_t directory = 1; directory <= 5; ++directory) {
    tracker.mark_present("J5alice", directory);
  }
  tracker.mark_gone("J5alice", 4);
  tracker.set_directory_connected(5, false);
  std::size_t counts[6] = {};
  for (int i = 0; i < 3000; ++i) {
    const std::uint64_t directory = tracker.pick_directory("J5alice").value_or(0);
    CHECK(directory >= 1 && directory <= 3);
    if (directory <= 5) {
      ++counts[directory];
    }
  }
  // 1000 expected each; 800 is over 7 standard deviations below.
  for (std::uint64_t directory = 1; directory <= 3; ++directory) {
    CHECK(counts[directory] > 800);
  }
}

TEST(pick_directory_rejects_invalid_nicks) {
  nt::Tracker tracker{nt::Options{}};
  CHECK_NT_ERROR(tracker.pick_directory(""), NT_STATUS_NICK_EMPTY, "nick: nick is empty");
  CHECK_NT_ERROR(tracker.pick_directory(std::string_view("J5\0x", 4)),
                 NT_STATUS_NICK_CONTAINS_NUL, "nick: nick contains a NUL byte");
  CHECK_NT_ERROR(tracker.pick_directory("J5\xff"), NT_STATUS_NICK_NOT_UTF8,
                 "nick: nick is not valid UTF-8");
}

// ---- Statistics ----------------------------------------------------------------------------

TEST(stats_count_nicks_directories_and_events) {
  nt::Tracker tracker;
  CHECK_EQ(tracker.stats(), nt::Stats{});
  tracker.sync_peerlist(1, {"J5a", "J5b", "J5c"});
  tracker.mark_present("J5a", 2);
  tracker.set_directory_connected(3, false);
  CHECK_EQ(tracker.stats(), make_stats(3, 3, 3, 2, 3, 0));
  CHECK_EQ(tracker.remove_directory(1), 2u);
  CHECK_EQ(tracker.stats(), make_stats(1, 1, 2, 1, 3, 2));
  CHECK(tracker.stats() != nt::Stats{});
  CHECK_EQ(tracker.stats().active_nicks, tracker.active_nick_count());
}

// ---- Limits --------------------------------------------------------------------------------

TEST(the_nick_limit_refuses_a_change_as_a_whole) {
  nt::Options options = options_with(nt::LogLevel::warn);
  options.max_nicks = 2;
  Journal j(std::move(options));
  j.tracker.sync_peerlist(1, {"J5a", "J5b"});
  j.take();
  const Snapshot before(j.tracker);
  const std::string refusal = "nick limit reached: the tracker holds 2 nicks, the limit is 2";

  CHECK_NT_ERROR(j.tracker.mark_present("J5c", 1), NT_STATUS_NICK_LIMIT, refusal);
  CHECK_NT_ERROR(j.tracker.update("J5c", 2, true), NT_STATUS_NICK_LIMIT, refusal);
  // Applied, this would hold three nicks (a peerlist that drops J5b for J5c would fit).
  CHECK_NT_ERROR(j.tracker.sync_peerlist(1, {"J5a", "J5b", "J5c", "J5c"}), NT_STATUS_NICK_LIMIT,
                 refusal);
  CHECK_NT_ERROR(j.tracker.sync_peerlist(2, std::vector<std::string>{"J5c", "J5d"}),
                 NT_STATUS_NICK_LIMIT, refusal);
  CHECK_EQ(Snapshot(j.tracker), before);
  CHECK_EQ(j.take(), Lines(4, "warn: change refused: " + refusal));

  // The error is an nt::Error, hence a std::runtime_error.
  CHECK(check::thrown<std::runtime_error>([&] { j.tracker.mark_present("J5c", 1); }));
  j.take();

  // Nicks already held may go anywhere; a nick forgotten makes room.
  j.tracker.mark_present("J5a", 2);
  j.tracker.mark_gone("J5b", 1);
  j.tracker.mark_present("J5c", 1);
  CHECK_EQ(j.take(), (Lines{"leave J5b 1", "join J5c 1"}));
  CHECK_EQ(j.tracker.stats(), make_stats(2, 2, 2, 2, 3, 1));
}

TEST(the_directory_limit_refuses_new_directories_however_they_arrive) {
  nt::Options options = options_with(nt::LogLevel::warn);
  options.max_directories = 2;
  Journal j(std::move(options));
  j.tracker.mark_present("J5a", 1);
  j.tracker.mark_present("J5a", 2);
  j.take();
  const Snapshot before(j.tracker);
  const std::string refusal = "directory limit reached: the tracker knows 2 directories";

  CHECK_NT_ERROR(j.tracker.mark_present("J5a", 3), NT_STATUS_DIRECTORY_LIMIT, refusal);
  CHECK_NT_ERROR(j.tracker.mark_present("J5b", 3), NT_STATUS_DIRECTORY_LIMIT, refusal);
  CHECK_NT_ERROR(j.tracker.sync_peerlist(3, {}), NT_STATUS_DIRECTORY_LIMIT, refusal);
  CHECK_NT_ERROR(j.tracker.set_directory_connected(3, false), NT_STATUS_DIRECTORY_LIMIT,
                 refusal);
  CHECK_EQ(Snapshot(j.tracker), before);
  CHECK_EQ(j.take(), Lines(4, "warn: change refused: " + refusal));

  // Known directories are not affected, and removing one makes room.
  j.tracker.set_directory_connected(2, false);
  j.tracker.mark_gone("J5x", 3);  // a "gone" report for an unknown nick changes nothing
  CHECK_EQ(j.tracker.remove_directory(1), 1u);
  j.tracker.mark_present("J5a", 3);
  CHECK_EQ(j.take(), (Lines{"leave J5a 1", "join J5a 3"}));
  CHECK_EQ(j.tracker.stats(), make_stats(1, 1, 2, 1, 2, 1));
}

// ---- Log messages --------------------------------------------------------------------------

TEST(log_messages_follow_events_and_respect_the_level) {
  const auto run = [](nt::LogLevel level) {
    nt::Options options = options_with(level);
    options.max_nicks = 1;
    Journal j(std::move(options));
    j.tracker.mark_present("J5alice", 1);
    CHECK(check::thrown<nt::Error>([&] { j.tracker.mark_present("J5bob", 1); }));
    j.tracker.set_directory_connected(1, false);
    return j.take();
  };
  const std::string join = "join J5alice 1";
  const std::string leave = "leave J5alice 1";
  const std::string debug = "debug: nick \"J5alice\" is active (directory 1)";
  const std::string warn =
      "warn: change refused: nick limit reached: the tracker holds 1 nicks, the limit is 1";
  const std::string info_leave =
      "info: nick \"J5alice\" has left all directories (last: directory 1)";
  const std::string info_directory = "info: directory 1 disconnected: 1 nicks left";

  CHECK_EQ(run(nt::LogLevel::debug), (Lines{join, debug, warn, leave, info_leave, info_directory}));
  CHECK_EQ(run(nt::LogLevel::info), (Lines{join, warn, leave, info_leave, info_directory}));
  CHECK_EQ(run(nt::LogLevel::warn), (Lines{join, warn, leave}));
  CHECK_EQ(run(nt::LogLevel::error), (Lines{join, leave}));
}

TEST(log_messages_escape_nicks_that_events_give_verbatim) {
  Journal j(options_with(nt::LogLevel::info));
  const std::string forged = "J5evil\ninfo: fake line";
  j.tracker.mark_present(forged, 1);
  j.tracker.mark_gone(forged, 1);
  CHECK_EQ(j.take(),
           (Lines{"join " + forged + " 1", "leave " + forged + " 1",
                  "info: nick \"J5evil\\ninfo: fake line\" has left all directories (last: "
                  "directory 1)"}));
}

TEST(a_log_callback_works_without_an_event_callback) {
  Lines lines;
  nt::Options options = options_with(nt::LogLevel::debug);
  options.on_log = [&lines](nt::LogLevel level, std::string_view message) {
    lines.push_back(std::string(name(level)) + ": " + std::string(message));
  };
  nt::Tracker tracker(std::move(options));
  tracker.mark_present("J5alice", 1);
  CHECK_EQ(lines, Lines{"debug: nick \"J5alice\" is active (directory 1)"});
}

// ---- Exceptions from the event and log callbacks -------------------------------------------

TEST(after_an_event_callback_throws_the_rest_of_the_call_is_still_delivered) {
  nt::Options options = options_with(nt::LogLevel::info);
  options.on_event = [](const nt::Event& event) {
    if (event.nick != "J5c") {
      throw CallbackError(describe(event));
    }
  };
  Journal j(std::move(options));
  CHECK_EQ(callback_error_from([&] { j.tracker.sync_peerlist(1, {"J5a", "J5b", "J5c"}); }),
           "join J5a 1");  // the first
  CHECK_EQ(j.take(), (Lines{"join J5a 1", "join J5b 1", "join J5c 1"}));
  CHECK_EQ(j.tracker.active_nicks(), (Nicks{"J5a", "J5b", "J5c"}));  // the call took effect

  CHECK_EQ(callback_error_from([&] { j.tracker.sync_peerlist(1, {"J5c", "J5d"}); }),
           "leave J5a 1");
  CHECK_EQ(j.take(), (Lines{"leave J5a 1", "leave J5b 1", "join J5d 1",
                            "info: nick \"J5a\" has left all directories (last: directory 1)",
                            "info: nick \"J5b\" has left all directories (last: directory 1)"}));

  CHECK_EQ(callback_error_from([&] { j.tracker.set_directory_connected(1, false); }),
           "leave J5d 1");
  CHECK_EQ(j.take(), (Lines{"leave J5c 1", "leave J5d 1",
                            "info: nick \"J5c\" has left all directories (last: directory 1)",
                            "info: nick \"J5d\" has left all directories (last: directory 1)",
                            "info: directory 1 disconnected: 2 nicks left"}));
  CHECK_EQ(callback_error_from([&] { j.tracker.set_directory_connected(1, true); }),
           "join J5d 1");
  CHECK_EQ(callback_error_from([&] { j.tracker.remove_directory(1); }), "leave J5d 1");
  CHECK_EQ(j.tracker.stats(), make_stats(0, 0, 0, 0, 6, 6));
  CHECK_EQ(callback_error_from([&] { j.tracker.mark_present("J5c", 2); }), "nothing thrown");
}

TEST(after_a_log_callback_throws_the_rest_of_the_call_is_still_delivered) {
  nt::Options options = options_with(nt::LogLevel::info);
  int logged = 0;
  options.on_log = [&logged](nt::LogLevel, std::string_view message) {
    ++logged;
    throw CallbackError(std::string(message));
  };
  Journal j(std::move(options));
  j.tracker.sync_peerlist(1, {"J5a", "J5b"});  // joins are logged at debug: filtered out
  CHECK_EQ(j.take(), (Lines{"join J5a 1", "join J5b 1"}));
  CHECK_EQ(callback_error_from([&] { j.tracker.remove_directory(1); }),
           "nick \"J5a\" has left all directories (last: directory 1)");
  CHECK_EQ(logged, 3);
  CHECK_EQ(j.take(), (Lines{"leave J5a 1", "leave J5b 1",
                            "info: nick \"J5a\" has left all directories (last: directory 1)",
                            "info: nick \"J5b\" has left all directories (last: directory 1)",
                            "info: directory 1 removed: 2 nicks left"}));
  CHECK_EQ(j.tracker.active_nick_count(), 0u);
}

TEST(an_event_exception_comes_before_a_log_exception_of_the_same_call) {
  nt::Options options = options_with(nt::LogLevel::debug);
  options.on_event = [](const nt::Event& event) { throw CallbackError(describe(event)); };
  options.on_log = [](nt::LogLevel, std::string_view message) {
    throw CallbackError(std::string(message));
  };
  nt::Tracker tracker(std::move(options));
  CHECK_EQ(callback_error_from([&] { tracker.mark_present("J5a", 1); }), "join J5a 1");
  CHECK(tracker.is_active("J5a"));
}

TEST(a_refused_change_throws_its_error_even_if_the_log_callback_throws) {
  nt::Options options = options_with(nt::LogLevel::warn);
  options.max_nicks = 1;
  int refusals_logged = 0;
  options.on_log = [&refusals_logged](nt::LogLevel level, std::string_view message) {
    refusals_logged += level == nt::LogLevel::warn;
    throw CallbackError(std::string(message));
  };
  nt::Tracker tracker(std::move(options));
  tracker.mark_present("J5a", 1);
  const Snapshot before(tracker);
  CHECK_NT_ERROR(tracker.mark_present("J5b", 1), NT_STATUS_NICK_LIMIT,
                 "nick limit reached: the tracker holds 1 nicks, the limit is 1");
  CHECK_EQ(refusals_logged, 1);
  CHECK_EQ(Snapshot(tracker), before);
}

TEST(event_callbacks_may_call_back_into_the_same_tracker) {
  Lines lines;
  nt::Options options;
  std::string caught_inside;
  nt::Tracker* self = nullptr;
  options.on_event = [&](const nt::Event& event) {
    lines.push_back(describe(event) + " #" + std::to_string(event.seq));
    if (event.kind == nt::EventKind::join && event.nick == "J5alice") {
      self->mark_present("J5bob", 2);  // a nested join: made now, delivered after this event
      lines.push_back("bob via " + std::to_string(self->pick_directory("J5bob").value_or(0)));
    } else if (event.kind == nt::EventKind::leave && event.nick == "J5alice") {
      // The nested call delivers nothing, so it throws nothing: J5bob's exception is thrown
      // by the outer call, which delivers J5bob's departure.
      caught_inside = callback_error_from([&] { self->mark_gone("J5bob", 2); });
    } else if (event.kind == nt::EventKind::leave) {
      throw CallbackError(describe(event));
    }
    lines.push_back("end " + describe(event));
  };
  nt::Tracker tracker(std::move(options));
  self = &tracker;
  tracker.mark_present("J5alice", 1);
  CHECK_EQ(lines, (Lines{"join J5alice 1 #1", "bob via 2", "end join J5alice 1",
                         "join J5bob 2 #2", "end join J5bob 2"}));
  lines.clear();
  CHECK_EQ(callback_error_from([&] { tracker.mark_gone("J5alice", 1); }), "leave J5bob 2");
  CHECK_EQ(caught_inside, "nothing thrown");
  CHECK_EQ(lines, (Lines{"leave J5alice 1 #3", "end leave J5alice 1", "leave J5bob 2 #4"}));
  CHECK_EQ(tracker.active_nick_count(), 0u);
}

// ---- The packed peerlist -------------------------------------------------------------------

TEST(packed_peerlists_name_the_bad_entry_and_change_nothing) {
  Journal j;
  j.tracker.sync_peerlist(1, {"J5a", "J5b"});
  j.take();
  const Snapshot before(j.tracker);
  using List = std::vector<std::string>;
  const std::string nul_at_end("J5\0", 3);
  const std::string longest(NT_MAX_NICK_LEN, 'x');
  struct Case {
    List nicks;
    nt_status status;
    std::string what;
  };
  const std::vector<Case> cases{
      {{nul_at_end}, NT_STATUS_NICK_CONTAINS_NUL, "nicks[0]: nick contains a NUL byte"},
      {{"J5a", "J5b", std::string(1, '\0')}, NT_STATUS_NICK_CONTAINS_NUL,
       "nicks[2]: nick contains a NUL byte"},
      // The wrapper finds a NUL before the library checks anything else.
      {{"", std::string("J5c\0J5d", 7)}, NT_STATUS_NICK_CONTAINS_NUL,
       "nicks[1]: nick contains a NUL byte"},
      {{""}, NT_STATUS_NICK_EMPTY, "nicks[0]: nick is empty"},
      {{"", "J5a"}, NT_STATUS_NICK_EMPTY, "nicks[0]: nick is empty"},
      {{"J5a", ""}, NT_STATUS_NICK_EMPTY, "nicks[1]: nick is empty"},
      {{"J5a", longest + "x", "J5b"}, NT_STATUS_NICK_TOO_LONG,
       "nicks[1]: nick is longer than 256 bytes"},
      {{"J5a", "J5b", "J5\xc3"}, NT_STATUS_NICK_NOT_UTF8, "nicks[2]: nick is not valid UTF-8"},
  };
  for (const Case& c : cases) {
    CHECK_NT_ERROR(j.tracker.sync_peerlist(1, c.nicks), c.status, c.what);
  }
  CHECK_EQ(Snapshot(j.tracker), before);
  CHECK_EQ(j.take(), Lines{});

  j.tracker.sync_peerlist(1, {"J5a", longest});  // the longest valid nick, last in the buffer
  CHECK_EQ(j.take(), (Lines{"leave J5b 1", "join " + longest + " 1"}));
}
