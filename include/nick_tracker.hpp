/**
 * @file nick_tracker.hpp
 * @brief Header-only C++17 wrapper for nick_tracker.h: an RAII tracker, exceptions instead of
 *        status codes, and `std::string_view` nicks.
 *
 * The rules are those of the C API (see nick_tracker.h, the reference manual): a nick is active
 * while at least one directory reports it present, and leaves, once, when no directory does.
 *
 * @code
 *   #include <nick_tracker.hpp>
 *
 *   std::set<std::string> offers{"J5alice", "J5bob"};
 *   nt::Tracker tracker([&offers](std::string_view nick) { offers.erase(std::string(nick)); });
 *
 *   tracker.mark_present("J5alice", 1);       // directory 1 lists J5alice
 *   tracker.mark_present("J5alice", 2);       // so does directory 2
 *   tracker.mark_gone("J5alice", 1);          // still active through directory 2
 *   tracker.sync_peerlist(2, {"J5bob"});      // J5alice leaves: the lambda erases her offer
 *
 *   try {
 *     tracker.mark_present("", 1);            // bad input changes nothing...
 *   } catch (const nt::Error& e) {            // ...and throws: e.status() == NT_STATUS_NICK_EMPTY
 *     std::cerr << e.what() << '\n';          // "nick: nick is empty"
 *   }
 * @endcode
 *
 * Join events, log messages, limits and the routing choice need nt::Options:
 *
 * @code
 *   nt::Options options;
 *   options.on_event = [](const nt::Event& event) {    // nt::EventKind::join and ::leave
 *     std::cout << event.nick << (event.kind == nt::EventKind::join ? " joined" : " left") << '\n';
 *   };
 *   options.on_log = [](nt::LogLevel, std::string_view message) { std::clog << message << '\n'; };
 *   options.max_nicks = 100000;                        // refuse floods: NT_STATUS_NICK_LIMIT
 *   nt::Tracker tracker(std::move(options));
 *
 *   tracker.mark_present("J5alice", 1);                // prints "J5alice joined"
 *   if (std::optional<std::uint64_t> directory = tracker.pick_directory("J5alice")) {
 *     send_private_message("J5alice", *directory);     // a directory that still lists her
 *   }
 * @endcode
 *
 * @par Errors
 * Every failure throws nt::Error, carrying the C status and message. As in C, a call that
 * fails changes nothing: one bad entry fails the whole peerlist, and a change that would
 * exceed Options::max_nicks or Options::max_directories is refused as a whole
 * (NT_STATUS_NICK_LIMIT, NT_STATUS_DIRECTORY_LIMIT).
 *
 * @par Callbacks, their order, and exceptions
 * The leave callback, and the event and log callbacks of nt::Options, run inside the call that
 * caused them (update(), mark_present(), mark_gone(), remove_directory(),
 * set_directory_connected() or sync_peerlist()), on the calling thread, after the tracker's
 * lock is released: they may call any method of the same Tracker, but must not destroy, move
 * or assign to it.
 *
 * A call made from inside one of the tracker's callbacks (on the same thread) runs no callback
 * itself: its changes are made at once, and its events (and log lines) are queued behind the
 * events still to be delivered. The outermost call of the tracker on this thread delivers them
 * all before it returns. So on one thread, callbacks see a tracker's events in the order the
 * tracker made them, which Event::seq numbers (1, 2, 3...). for_each_active_nick()'s visitor
 * counts as a callback: the events of changes it makes come after its last visit.
 *
 * If a callback throws, the exception never crosses the C library: it is caught, the
 * **remaining callbacks are still delivered** (events and log messages alike), and the
 * outermost call of this tracker on this thread, the one that delivers them, then rethrows
 * the first exception (later ones are discarded). That is the call that caused the event, or,
 * for an event of a call made from inside a callback, the call that ran that callback. The
 * events are delivered anyway because the tracker has already changed: skipping a callback
 * would lose that nick's departure (or arrival) for good. The tracker's state reflects every
 * change made, and it stays usable.
 *
 * So a callback's exception always means the changes took effect. Conversely, a call that fails
 * throws its nt::Error even if the log callback threw while the library logged the refusal
 * (LogLevel::warn): nt::Error always means nothing changed.
 *
 * @par Threads
 * As in C, one Tracker may be used from several threads at once, through const and non-const
 * methods alike, except that destroying it, or assigning or moving from it, needs exclusive
 * access. The callbacks then run on whichever thread made the call, possibly on several
 * threads at once, so whatever they touch must be thread-safe. No call waits for a callback
 * running on another thread, so callbacks on different threads may see the tracker's events
 * out of order: keep, per nick, the Event::seq of the last event you applied and ignore older
 * ones, and your view agrees with the tracker once every call has returned.
 */
#ifndef NICK_TRACKER_HPP
#define NICK_TRACKER_HPP

#include "nick_tracker.h"

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace nt {

/**
 * A failed call: bad input, a change refused by a limit, or a tracker the library can no
 * longer trust.
 *
 * what() is the library's message naming the argument at fault, e.g.
 * "nicks[2]: nick is not valid UTF-8".
 */
class Error : public std::runtime_error {
 public:
  /** Makes an error with the given status and message. */
  Error(nt_status status, const std::string& message)
      : std::runtime_error(message), status_(status) {}

  /** The C status that says what went wrong, e.g. NT_STATUS_NICK_EMPTY. */
  nt_status status() const noexcept { return status_; }

 private:
  nt_status status_;
};

/** The library's runtime version, "MAJOR.MINOR.PATCH" (compare with NT_VERSION_MAJOR etc.). */
inline std::string_view version() noexcept { return nt_version(); }

/**
 * What a Tracker calls with each nick that leaves. The view is valid only during the call:
 * copy it (e.g. into a std::string) to keep it.
 */
using LeaveCallback = std::function<void(std::string_view nick)>;

/**
 * What happened to a nick (nt_event_kind). A later library may add kinds: ignore those you
 * do not know (a `switch` without `default` does).
 */
enum class EventKind : std::uint32_t {
  /** The nick became active: a connected directory reports it and none did before. */
  join = NT_EVENT_KIND_JOIN,
  /** The nick left: no connected directory reports it present any more. */
  leave = NT_EVENT_KIND_LEAVE,
};

/** One event, as the event callback of nt::Options receives it. */
struct Event {
  EventKind kind;
  /** The nick, valid only during the callback: copy it (e.g. into a std::string) to keep it. */
  std::string_view nick;
  /** The directory whose report, peerlist, removal or connection change caused the event. */
  std::uint64_t directory;
  /**
   * The event's number: 1 for the tracker's first event, one more for each after it, in the
   * order the tracker made the changes. One thread sees them in this order; callbacks on
   * several threads may not (see the file documentation, Threads).
   */
  std::uint64_t seq;
};

/** What a Tracker calls with each join and leave event (see nt::Options::on_event). */
using EventCallback = std::function<void(const Event& event)>;

/** Severity of a log message (nt_log_level), from most to least severe. */
enum class LogLevel : std::uint32_t {
  /**
   * A misuse the library refused without a status to report it in: freeing the tracker from
   * inside its own callback (which the rules above forbid a Tracker anyway).
   */
  error = NT_LOG_LEVEL_ERROR,
  /** A change refused because a limit was reached. */
  warn = NT_LOG_LEVEL_WARN,
  /** A nick left all directories; a directory was removed, disconnected or reconnected. */
  info = NT_LOG_LEVEL_INFO,
  /** A nick became active. */
  debug = NT_LOG_LEVEL_DEBUG,
};

/**
 * What a Tracker calls with each log message: one line without a trailing newline, valid
 * only during the call, with nicks quoted and their control characters escaped.
 */
using LogCallback = std::function<void(LogLevel level, std::string_view message)>;

/** How Tracker::pick_directory() chooses among a nick's active directories (nt_pick_mode). */
enum class PickMode : std::uint32_t {
  /** Uniformly at random, so that no single directory carries all private messages. */
  random = NT_PICK_MODE_RANDOM,
  /** In turn, in the order of Tracker::active_directories(): deterministic, for tests. */
  round_robin = NT_PICK_MODE_ROUND_ROBIN,
};

/**
 * How to configure a Tracker (nt_options). A default-constructed Options has the C defaults:
 * no callbacks, LogLevel::info, no limits, PickMode::random. Set the fields you need:
 *
 * @code
 *   nt::Options options;
 *   options.pick_mode = nt::PickMode::round_robin;
 *   nt::Tracker tracker(std::move(options));
 * @endcode
 */
struct Options {
  /**
   * Called with every join and leave event; empty for none. On one thread the events come in
   * Event::seq order; within one call, the leaves come first, in the order the tracker first
   * saw the nicks, then the joins in the order they happened. See the file documentation for
   * when it runs, calls made from inside it, threads, and what a throw does.
   */
  EventCallback on_event;
  /** Called with the library's log messages at `log_level` or more severe; empty for none. */
  LogCallback on_log;
  /** The least severe level passed to `on_log`. */
  LogLevel log_level = LogLevel::info;
  /**
   * The most nicks held at once (active, or kept for a disconnected directory); a change that
   * would exceed it throws nt::Error NT_STATUS_NICK_LIMIT. 0 is unlimited.
   */
  std::size_t max_nicks = 0;
  /**
   * The most directories known at once; a change that would exceed it throws nt::Error
   * NT_STATUS_DIRECTORY_LIMIT. 0 is unlimited.
   */
  std::size_t max_directories = 0;
  /** How pick_directory() chooses. */
  PickMode pick_mode = PickMode::random;
};

/**
 * A tracker's counters (nt_stats), all taken at one instant: see Tracker::stats().
 */
struct Stats {
  /** Nicks held: the active ones plus those reported present only by disconnected directories. */
  std::size_t nicks = 0;
  /** Nicks active now (the same as Tracker::active_nick_count()). */
  std::size_t active_nicks = 0;
  /** Directories known: reported by, synced, or given a connection state, and not removed. */
  std::size_t directories = 0;
  /** Of those, how many are connected. */
  std::size_t connected_directories = 0;
  /** Join events since the tracker was created, delivered to a callback or not. */
  std::uint64_t joins = 0;
  /** Leave events since the tracker was created, delivered to a callback or not. */
  std::uint64_t leaves = 0;

  friend bool operator==(const Stats& a, const Stats& b) noexcept {
    return a.nicks == b.nicks && a.active_nicks == b.active_nicks &&
           a.directories == b.directories && a.connected_directories == b.connected_directories &&
           a.joins == b.joins && a.leaves == b.leaves;
  }
  friend bool operator!=(const Stats& a, const Stats& b) noexcept { return !(a == b); }
};

/** Implementation details; not part of the API. */
namespace detail {

/** Throws the status as an nt::Error with this thread's last C error message, unless OK. */
inline void check(nt_status status) {
  if (status != NT_STATUS_OK) {
    throw Error(status, nt_last_error_message());
  }
}

/**
 * Throws what the C library would report for a NUL inside the nick named `arg`, in its words.
 *
 * In a packed peerlist a NUL ends a nick, so such a nick would be split in two; the wrapper
 * rejects it before calling in, ahead of every other check. (Single nicks go to the `*_n`
 * calls with their length, and the library refuses a NUL in them itself.)
 */
[[noreturn]] inline void throw_contains_nul(const std::string& arg) {
  throw Error(NT_STATUS_NICK_CONTAINS_NUL,
              arg + ": " + nt_status_str(NT_STATUS_NICK_CONTAINS_NUL));
}

/**
 * A nick's bytes for the `*_n` calls, which take (pointer, length): no copy, no terminator.
 * An empty view may have no pointer at all, which the library would report as a NULL
 * argument; it gets an empty string's, so that it is refused as an empty nick.
 */
inline const char* nick_data(std::string_view nick) noexcept {
  return nick.data() != nullptr ? nick.data() : "";
}

/**
 * A list of nicks as the buffer nt_sync_peerlist_packed() takes: each nick followed by a NUL,
 * back to back ("alice\0bob\0"). A peerlist of thousands of nicks costs one buffer.
 */
class PackedNicks {
 public:
  /**
   * Copies every nick of `nicks`, a range of things convertible to std::string_view.
   * @throws Error NT_STATUS_NICK_CONTAINS_NUL naming the entry ("nicks[3]: ..."): in this
   *         format such a nick would read as two.
   */
  template <typename Range>
  explicit PackedNicks(const Range& nicks) {
    std::size_t index = 0;
    for (const auto& entry : nicks) {
      const std::string_view nick = entry;
      if (nick.find('\0') != std::string_view::npos) {
        throw_contains_nul("nicks[" + std::to_string(index) + "]");
      }
      bytes_.append(nick).push_back('\0');
      ++index;
    }
  }

  /** The packed nicks; never NULL. */
  const char* data() const noexcept { return bytes_.data(); }

  /** Their length in bytes, terminators included (0 for an empty list). */
  std::size_t size() const noexcept { return bytes_.size(); }

 private:
  std::string bytes_;
};

/** Enables a template for ranges whose elements convert to std::string_view. */
template <typename Range>
using if_nick_range = std::enable_if_t<std::is_convertible_v<
    decltype(*std::begin(std::declval<const Range&>())), std::string_view>>;

/**
 * From a catch block in a callback of `tracker`: hands the exception to the library, which
 * keeps the first one reported during the outermost call of `tracker` on this thread as an
 * opaque number (here the address of a std::exception_ptr on the heap) and gives it back
 * once that call has delivered everything (take_callback_error()). A later one is not kept:
 * it is dropped here.
 */
inline void report_current_exception(const nt_tracker* tracker) noexcept {
  auto* error = new (std::nothrow) std::exception_ptr(std::current_exception());
  if (error == nullptr) {
    std::terminate();  // no memory to carry it: what letting it reach C would do
  }
  const auto token = static_cast<std::size_t>(reinterpret_cast<std::uintptr_t>(error));
  if (nt_report_callback_error(tracker, token) != NT_STATUS_OK) {
    delete error;
  }
}

/** Runs a user callback of `tracker` for the C library: an exception is reported, not thrown. */
template <typename Body>
void run_callback(const nt_tracker* tracker, Body&& body) noexcept {
  try {
    std::forward<Body>(body)();
  } catch (...) {
    report_current_exception(tracker);
  }
}

/**
 * Takes back the exception a callback reported during the latest call on this thread that did
 * not return OK (report_current_exception()); empty if there was none. Called after every
 * such call, so that none is left for a later call to pick up.
 */
inline std::unique_ptr<std::exception_ptr> take_callback_error() noexcept {
  const std::size_t token = nt_take_callback_error();
  if (token == 0) {
    return nullptr;
  }
  return std::unique_ptr<std::exception_ptr>(
      reinterpret_cast<std::exception_ptr*>(static_cast<std::uintptr_t>(token)));
}

}  // namespace detail

/**
 * Tracks which nicks are reachable through at least one connected directory; owns one
 * nt_tracker.
 *
 * Move-only. A moved-from Tracker owns nothing: it may be destroyed or assigned to, and any
 * other method throws nt::Error with NT_STATUS_NULL_ARGUMENT.
 */
class Tracker {
 public:
  /** A tracker that tells no one when nicks leave. @throws Error if the library fails. */
  Tracker() : Tracker(LeaveCallback{}) {}

  /**
   * A tracker that calls `on_leave` once with each nick that leaves (an empty function means
   * no callback). See the file documentation for when it runs and what a throw does. For
   * join events, log messages, limits or the pick mode, use Tracker(Options).
   * @throws Error if the library fails.
   */
  explicit Tracker(LeaveCallback on_leave) : state_(std::make_unique<State>()) {
    state_->on_leave = std::move(on_leave);
    const nt_nick_callback trampoline = state_->on_leave ? &Tracker::leave_trampoline : nullptr;
    detail::check(nt_new(trampoline, state_.get(), &state_->handle));
  }

  /**
   * A tracker configured by `options`, whose callbacks it keeps until it is destroyed.
   * @throws Error NT_STATUS_INVALID_ARGUMENT if a LogLevel or PickMode is not one of the
   *         named values, or if the library fails.
   */
  explicit Tracker(Options options) : state_(std::make_unique<State>()) {
    state_->on_event = std::move(options.on_event);
    state_->on_log = std::move(options.on_log);
    nt_options c_options;
    detail::check(nt_options_init(&c_options, NT_OPTIONS_VERSION));  // defaults of later fields too
    if (state_->on_event) {
      c_options.on_event = &Tracker::event_trampoline;
      c_options.event_user_data = state_.get();
    }
    if (state_->on_log) {
      c_options.on_log = &Tracker::log_trampoline;
      c_options.log_user_data = state_.get();
    }
    c_options.log_level = static_cast<std::uint32_t>(options.log_level);
    c_options.max_nicks = options.max_nicks;
    c_options.max_directories = options.max_directories;
    c_options.pick_mode = static_cast<std::uint32_t>(options.pick_mode);
    detail::check(nt_new_with_options(&c_options, &state_->handle));
  }

  /** Takes over `other`'s tracker and callbacks, leaving `other` empty. */
  Tracker(Tracker&& other) noexcept = default;
  /** Frees this tracker, then takes over `other`'s. Self-assignment keeps the tracker. */
  Tracker& operator=(Tracker&& other) noexcept = default;
  Tracker(const Tracker&) = delete;
  Tracker& operator=(const Tracker&) = delete;
  /** Frees the tracker. No callbacks run. */
  ~Tracker() = default;

  /** False once moved from. */
  explicit operator bool() const noexcept { return state_ != nullptr; }

  /**
   * Records that `directory` reports `nick` present (`present` true) or gone (false). If the
   * nick was not active and `directory` is connected, it joins; if no connected directory
   * reports it present any more, it leaves. The callbacks run before this returns (called
   * from inside a callback, after that callback: see the file documentation). A "gone"
   * report from a directory that never reported the nick present is ignored; a report from
   * an unknown directory makes it known, and connected.
   * @throws Error on an invalid nick or when a new nick or directory would exceed a limit
   *         (nothing changes), or what a callback threw (the first exception of the callbacks
   *         this call delivered).
   */
  void update(std::string_view nick, std::uint64_t directory, bool present) {
    detail::check(call([&] {
      return nt_update_n(handle(), detail::nick_data(nick), nick.size(), directory, present);
    }));
  }

  /** update() with `present` true. */
  void mark_present(std::string_view nick, std::uint64_t directory) {
    update(nick, directory, true);
  }

  /** update() with `present` false. */
  void mark_gone(std::string_view nick, std::uint64_t directory) {
    update(nick, directory, false);
  }

  /**
   * Forgets everything `directory` reported, as when it is dropped for good. Each nick no
   * other connected directory reports present leaves, in the order the tracker first saw
   * them. Removing an unknown directory is not an error. (For a connection that may come
   * back, set_directory_connected() keeps what the directory reported.)
   * @return How many nicks left.
   * @throws Error if the library fails, or what a callback threw (then the count is not
   *         returned, but every departure was still delivered).
   */
  std::size_t remove_directory(std::uint64_t directory) {
    std::size_t gone = 0;
    detail::check(call([&] { return nt_remove_directory(handle(), directory, &gone); }));
    return gone;
  }

  /**
   * Marks `directory`'s connection as up (`connected` true) or down. While it is down, what
   * it reported is kept but does not count: nicks no other connected directory reports
   * present leave. When it is up again they count again and those nicks join, until its next
   * peerlist (sync_peerlist()) says otherwise. Reports and peerlists that arrive while it is
   * down are recorded the same way. An unknown directory becomes known in the given state;
   * setting the state it already has does nothing.
   * @throws Error NT_STATUS_DIRECTORY_LIMIT if an unknown directory would exceed the limit
   *         (nothing changes), or what a callback threw.
   */
  void set_directory_connected(std::uint64_t directory, bool connected) {
    detail::check(
        call([&] { return nt_set_directory_connected(handle(), directory, connected); }));
  }

  /**
   * Makes `directory`'s view match the peerlist it just sent: the listed nicks become present
   * on it, and the nicks it reported present but no longer lists become gone on it. Events:
   * the leaves in the order the tracker first saw the nicks, then the joins in list order.
   * Duplicates are harmless.
   *
   * `nicks` is any range of things convertible to std::string_view: a
   * std::vector<std::string>, a std::vector<std::string_view>, a std::array<const char*, N>...
   * All or nothing: if any entry is invalid (the error names it, e.g. "nicks[3]: nick is
   * empty") or the new nicks or directory would exceed a limit, nothing changes.
   * @throws Error on an invalid entry or a limit, or what a callback threw.
   */
  template <typename Range, typename = detail::if_nick_range<Range>>
  void sync_peerlist(std::uint64_t directory, const Range& nicks) {
    const detail::PackedNicks packed(nicks);
    detail::check(call([&] {
      return nt_sync_peerlist_packed(handle(), directory, packed.data(), packed.size());
    }));
  }

  /** sync_peerlist() for a braced list: `tracker.sync_peerlist(1, {"J5alice", "J5bob"})`. */
  void sync_peerlist(std::uint64_t directory, std::initializer_list<std::string_view> nicks) {
    sync_peerlist<std::initializer_list<std::string_view>>(directory, nicks);
  }

  /**
   * Whether at least one connected directory reports `nick` present.
   * @throws Error on an invalid nick.
   */
  bool is_active(std::string_view nick) const {
    bool active = false;
    detail::check(call(
        [&] { return nt_is_active_n(handle(), detail::nick_data(nick), nick.size(), &active); }));
    return active;
  }

  /**
   * The connected directories that report `nick` present, in the order they first reported
   * it; empty if the nick is not active. @throws Error on an invalid nick.
   */
  std::vector<std::uint64_t> active_directories(std::string_view nick) const {
    std::vector<std::uint64_t> directories;
    for (;;) {
      std::size_t len = 0;
      const nt_status status = call([&] {
        return nt_active_directories_n(handle(), detail::nick_data(nick), nick.size(),
                                       directories.data(), directories.size(), &len);
      });
      // Another thread may add directories between the sizing call and the next one: then
      // the buffer is too small again, and the loop grows it again.
      if (status == NT_STATUS_BUFFER_TOO_SMALL) {
        directories.resize(len);
        continue;
      }
      detail::check(status);
      directories.resize(len);
      return directories;
    }
  }

  /**
   * One of `nick`'s active directories to send it a private message through, chosen as
   * Options::pick_mode says (uniformly at random unless PickMode::round_robin was chosen).
   *
   * A nick that is not active is an ordinary outcome (peers come and go), so it gives an
   * empty optional rather than an exception. Round-robin picks advance a per-nick position
   * inside the library, which is why this const method does not always return the same.
   *
   * @return The directory, or std::nullopt if no connected directory reports `nick` present.
   * @throws Error on an invalid nick.
   */
  std::optional<std::uint64_t> pick_directory(std::string_view nick) const {
    std::uint64_t directory = 0;
    const nt_status status = call([&] {
      return nt_pick_directory_n(handle(), detail::nick_data(nick), nick.size(), &directory);
    });
    if (status == NT_STATUS_NICK_NOT_ACTIVE) {
      return std::nullopt;
    }
    detail::check(status);
    return directory;
  }

  /** How many nicks are active. */
  std::size_t active_nick_count() const {
    std::size_t count = 0;
    detail::check(call([&] { return nt_active_nick_count(handle(), &count); }));
    return count;
  }

  /** The tracker's counters, all taken at one instant. */
  Stats stats() const {
    nt_stats c_stats{};
    detail::check(call([&] { return nt_get_stats(handle(), &c_stats); }));
    Stats result;
    result.nicks = c_stats.nicks;
    result.active_nicks = c_stats.active_nicks;
    result.directories = c_stats.directories;
    result.connected_directories = c_stats.connected_directories;
    result.joins = c_stats.joins;
    result.leaves = c_stats.leaves;
    return result;
  }

  /** The active nicks, in the order the tracker first saw them (one packed C call). */
  std::vector<std::string> active_nicks() const {
    std::string packed;
    for (;;) {
      std::size_t len = 0;
      const nt_status status = call([&] {
        return nt_active_nicks_packed(handle(), packed.data(), packed.size(), &len);
      });
      // As in active_directories(): another thread may add nicks between the two calls.
      if (status == NT_STATUS_BUFFER_TOO_SMALL) {
        packed.resize(len);
        continue;
      }
      detail::check(status);
      packed.resize(len);
      break;
    }
    std::vector<std::string> nicks;
    for (std::size_t at = 0; at < packed.size();) {
      const std::size_t end = packed.find('\0', at);
      nicks.emplace_back(packed, at, end - at);
      at = end + 1;
    }
    return nicks;
  }

  /**
   * Calls `visit(std::string_view nick)` for each active nick, in the order the tracker first
   * saw them. The nicks are a snapshot taken before the first call and no lock is held while
   * `visit` runs, so it may change the tracker; changes show in the next snapshot. `visit`
   * counts as one of the tracker's callbacks: the events of the changes it makes are delivered
   * after the last visit, before this returns.
   *
   * If `visit` throws, the rest of the snapshot is skipped (visiting changes nothing, so
   * stopping early loses nothing), the events of changes it made are still delivered, and
   * its exception is rethrown from here. Otherwise a callback's exception from those events
   * is, as for any call.
   */
  template <typename Visitor>
  void for_each_active_nick(Visitor&& visit) const {
    static_assert(std::is_invocable_v<Visitor&, std::string_view>,
                  "the visitor must be callable with a std::string_view");
    // Per call, so concurrent and nested iterations each keep their own exception.
    struct Context {
      Visitor& visit;
      std::exception_ptr pending;
    } context{visit, nullptr};
    const auto trampoline = [](void* user_data, const char* nick) noexcept {
      Context& ctx = *static_cast<Context*>(user_data);
      if (ctx.pending) {
        return;
      }
      try {
        ctx.visit(std::string_view(nick));
      } catch (...) {
        ctx.pending = std::current_exception();
      }
    };
    const nt_status status = nt_for_each_active_nick(handle(), trampoline, &context);
    if (context.pending) {
      if (status != NT_STATUS_OK) {
        detail::take_callback_error();  // an event callback's, later: dropped
      }
      std::rethrow_exception(context.pending);
    }
    detail::check(call([status] { return status; }));
  }

 private:
  /**
   * What a Tracker owns. It sits on the heap so that moving a Tracker moves only a pointer:
   * the library keeps its address as the callbacks' user_data, so it must never move. The
   * trampolines find the callbacks there, and the handle to report an exception against.
   */
  struct State {
    State() = default;
    ~State() { nt_free(handle); }
    State(const State&) = delete;
    State& operator=(const State&) = delete;

    LeaveCallback on_leave;
    EventCallback on_event;
    LogCallback on_log;
    nt_tracker* handle = nullptr;
  };

  /** The handle, or NULL once moved from, which the C API reports as NULL_ARGUMENT. */
  nt_tracker* handle() const noexcept { return state_ ? state_->handle : nullptr; }

  /**
   * Makes a C call on the tracker and returns its status, but first rethrows what a callback
   * threw if the call delivered it and otherwise succeeded (NT_STATUS_CALLBACK_FAILED). After a
   * failed call its nt::Error is what counts (the caller throws it): the call changed nothing,
   * which a callback's exception would hide.
   */
  template <typename CCall>
  static nt_status call(CCall c_call) {
    const nt_status status = c_call();
    if (status != NT_STATUS_OK) {
      const auto error = detail::take_callback_error();
      if (error && status == NT_STATUS_CALLBACK_FAILED) {
        std::rethrow_exception(*error);
      }
    }
    return status;
  }

  /** The C leave callback (nt_new): runs the user's with the nick. */
  static void leave_trampoline(void* state, const char* nick) noexcept {
    const State& self = *static_cast<const State*>(state);
    detail::run_callback(self.handle, [&] { self.on_leave(std::string_view(nick)); });
  }

  /** The C event callback (nt_new_with_options): runs the user's with an nt::Event. */
  static void event_trampoline(void* state, const nt_event* event) noexcept {
    const State& self = *static_cast<const State*>(state);
    detail::run_callback(self.handle, [&] {
      const Event view{static_cast<EventKind>(event->kind), std::string_view(event->nick),
                       event->directory, event->seq};
      self.on_event(view);
    });
  }

  /** The C log callback (nt_new_with_options): runs the user's with the message. */
  static void log_trampoline(void* state, nt_log_level level, const char* message) noexcept {
    const State& self = *static_cast<const State*>(state);
    detail::run_callback(self.handle, [&] {
      self.on_log(static_cast<LogLevel>(level), std::string_view(message));
    });
  }

  std::unique_ptr<State> state_;
};

}  // namespace nt

#endif  // NICK_TRACKER_HPP
