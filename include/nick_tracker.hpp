/**
 * @file nick_tracker.hpp
 * @brief Header-only C++17 wrapper for nick_tracker.h: an RAII tracker, exceptions instead of
 *        status codes, `std::string_view` nicks and `std::chrono` times.
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
 * What JoinMarket directories send, and time (see README, "Using it with JoinMarket
 * directories"), on a clock you control:
 *
 * @code
 *   std::chrono::milliseconds now{0};
 *   nt::Options options;
 *   options.clock = [&now] { return now; };            // a fake clock: tests need no sleeps
 *   options.presence_ttl = std::chrono::minutes(30);   // unseen for 30 min: gone (at expire())
 *   options.pick_mode = nt::PickMode::sticky;          // keep a nick's directory while it lasts
 *   nt::Tracker tracker(std::move(options));
 *
 *   tracker.begin_peerlist(1);                         // a peerlist comes in ~20-entry messages
 *   tracker.add_peerlist_chunk(1, {"J5alice", "J5bob"});   // each chunk: present at once
 *   std::vector<std::string> left = tracker.commit_peerlist(1);  // complete: drop the unlisted
 *   tracker.update_many(1, {{"J5carol", true}, {"J5bob", false}});  // "nick;loc" / "nick;loc;D"
 *   now += std::chrono::minutes(31);
 *   left = tracker.expire();                           // {"J5alice", "J5carol"}: not seen since
 * @endcode
 *
 * @par Errors
 * Every failure throws nt::Error, carrying the C status and message. As in C, a call that
 * fails changes nothing: one bad entry fails the whole peerlist (or chunk, or batch), and a
 * change that would exceed Options::max_nicks or Options::max_directories is refused as a
 * whole (NT_STATUS_NICK_LIMIT, NT_STATUS_DIRECTORY_LIMIT). A nick, pair or directory the
 * tracker does not know is an ordinary outcome where peers come and go (pick_directory(),
 * last_seen(), directory_stats() return an empty std::optional), not an error.
 *
 * @par Time
 * Times are std::chrono::milliseconds since the origin of the tracker's clock
 * (Options::clock), and nothing expires except in expire(), so that a fake clock makes every
 * test deterministic. A clock that goes backwards, or throws, refuses the call that read it:
 * that call changes nothing and throws (nt::Error NT_STATUS_CLOCK_WENT_BACKWARDS, or the
 * clock's own exception), unlike a callback's exception, which comes after the changes.
 *
 * @par Callbacks, their order, and exceptions
 * The leave callback, and the event and log callbacks of nt::Options, run inside the call that
 * caused them (update(), mark_present(), mark_gone(), remove_directory(),
 * set_directory_connected(), sync_peerlist(), add_peerlist_chunk(), commit_peerlist(),
 * update_many() or expire()), on the calling thread, after the tracker's lock is released:
 * they may call any method of the same Tracker, but must not destroy, move or assign to it.
 *
 * A call made from inside one of the tracker's callbacks (on the same thread) runs no callback
 * itself: its changes are made at once, and its events (and log lines) are queued behind the
 * events still to be delivered. The outermost call of the tracker on this thread delivers them
 * all before it returns. So on one thread, callbacks see a tracker's events in the order the
 * tracker made them, which Event::seq numbers (1, 2, 3...). The visitors of
 * for_each_active_nick() and for_each_directory_nick() count as callbacks: the events of
 * changes they make come after their last visit.
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

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
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
  /**
   * The same directory for a nick while the nick stays active there, as a taker keeps the
   * directory of a private-message session (a peer must see the whole session on one
   * directory); when it does not, another of its active directories, chosen at random, from
   * then on.
   */
  sticky = NT_PICK_MODE_STICKY,
};

/**
 * The tracker's clock (Options::clock): the current time as a duration since an origin of
 * your choosing, never less than it returned before.
 *
 * A std::function returning std::chrono::milliseconds, the library's unit: a std::function
 * like the callbacks, so that Options and Tracker stay plain types (it costs one indirect call
 * per change); a duration, so that a fake clock in a test is a lambda over a variable, and a
 * real one is a line:
 *
 * @code
 *   options.clock = [] {
 *     return std::chrono::duration_cast<std::chrono::milliseconds>(
 *         std::chrono::steady_clock::now().time_since_epoch());
 *   };
 * @endcode
 *
 * A callable returning seconds converts implicitly; one returning a finer duration (such as
 * steady_clock's) does not compile until you cast it, since that would drop precision.
 *
 * The tracker reads it at most once per call that needs the time (changes and expire(), not
 * queries), on the calling thread, with the tracker's lock held: so never twice at once for
 * one tracker, but from every thread that uses it (and at once by several trackers made from
 * the same Options, which copy it), and it must not call the tracker (that would deadlock).
 *
 * A reading earlier than the one before, or before the origin (negative), refuses the call:
 * it throws nt::Error NT_STATUS_CLOCK_WENT_BACKWARDS and changes nothing. If the clock
 * throws, the exception never crosses the C library: the call that read it is refused the
 * same way, changes nothing, and rethrows the clock's exception.
 */
using Clock = std::function<std::chrono::milliseconds()>;

/**
 * How to configure a Tracker (nt_options). A default-constructed Options has the C defaults:
 * no callbacks, LogLevel::info, no limits, PickMode::random, the library's monotonic clock, no
 * expiry. Set the fields you need:
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
  /**
   * Where the tracker's time comes from (see nt::Clock); empty for the library's own
   * monotonic clock, which costs a few nanoseconds but whose origin the library chooses (on
   * Linux, the system's boot), so that its times are only worth comparing with each other. Set
   * one to make time deterministic in tests, or to compare last_seen() with your own "now".
   * The Tracker reads it once when it is created: the library accepts any first reading, so
   * that is the one reading whose failure could not refuse a call; it fails the constructor.
   */
  Clock clock;
  /**
   * A (nick, directory) pair not seen (by a present report or a listing) for this long counts
   * as gone on that directory, at the next Tracker::expire(): for directories that never send
   * peerlists, where age is the only sign a peer left. 0 (the default) is off.
   */
  std::chrono::milliseconds presence_ttl{0};
  /**
   * A single gone report (update(), mark_gone(), update_many()) takes effect only if no
   * present report for the same pair arrives within this long, at the next Tracker::expire()
   * after it: a directory reports a connection that a peer is replacing as gone moments
   * before the new one is up, and that is not a departure. Peerlists, commits and removals
   * act at once. 0 (the default) is off.
   */
  std::chrono::milliseconds gone_grace{0};
  /**
   * A directory disconnected (set_directory_connected()) for this long is removed, as by
   * remove_directory(), at the next Tracker::expire(): its nicks already count as absent, but
   * the tracker would otherwise keep them, and the directory, for ever. 0 (the default) is
   * off.
   */
  std::chrono::milliseconds disconnected_hold{0};
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

/**
 * One directory's view and health (nt_directory_stats), all taken at one instant: see
 * Tracker::directory_stats(). Times are of the tracker's clock (see Options::clock).
 */
struct DirectoryStats {
  /** Nicks the directory reports present, whether it is connected or not. */
  std::size_t nicks = 0;
  /** Whether its connection is up (set_directory_connected()). */
  bool connected = false;
  /** Whether a peerlist is being received in chunks (begin_peerlist(), not yet closed). */
  bool snapshot_open = false;
  /**
   * When its last complete peerlist arrived (sync_peerlist() or commit_peerlist()); empty if
   * none has. An optional rather than the C struct's 0, which would be a valid time of a
   * clock that starts at 0.
   */
  std::optional<std::chrono::milliseconds> last_peerlist;
  /** When its last single report (update(), update_many()...) arrived; empty if none has. */
  std::optional<std::chrono::milliseconds> last_report;
  /** Complete peerlists received since the directory became known. */
  std::uint64_t peerlists = 0;
  /** Single reports received since the directory became known (each of update_many()'s). */
  std::uint64_t reports = 0;

  friend bool operator==(const DirectoryStats& a, const DirectoryStats& b) noexcept {
    return a.nicks == b.nicks && a.connected == b.connected &&
           a.snapshot_open == b.snapshot_open && a.last_peerlist == b.last_peerlist &&
           a.last_report == b.last_report && a.peerlists == b.peerlists &&
           a.reports == b.reports;
  }
  friend bool operator!=(const DirectoryStats& a, const DirectoryStats& b) noexcept {
    return !(a == b);
  }
};

/**
 * One report of a directory about a nick, for Tracker::update_many(): present, or gone. The
 * nick is a view: what it views must outlive the call (a JoinMarket message's entries, say).
 */
struct Report {
  std::string_view nick;
  bool present = true;
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
  /** No nicks yet: append() them. */
  PackedNicks() = default;

  /**
   * Copies every nick of `nicks`, a range of things convertible to std::string_view.
   * @throws Error NT_STATUS_NICK_CONTAINS_NUL naming the entry ("nicks[3]: ..."): in this
   *         format such a nick would read as two.
   */
  template <typename Range>
  explicit PackedNicks(const Range& nicks) {
    for (const auto& entry : nicks) {
      append(entry);
    }
  }

  /**
   * Copies one more nick, named in errors by its index among those appended.
   * @throws Error NT_STATUS_NICK_CONTAINS_NUL ("nicks[3]: ...").
   */
  void append(std::string_view nick) {
    if (nick.find('\0') != std::string_view::npos) {
      throw_contains_nul("nicks[" + std::to_string(count_) + "]");
    }
    bytes_.append(nick).push_back('\0');
    ++count_;
  }

  /** The packed nicks; never NULL. */
  const char* data() const noexcept { return bytes_.data(); }

  /** Their length in bytes, terminators included (0 for an empty list). */
  std::size_t size() const noexcept { return bytes_.size(); }

 private:
  std::string bytes_;
  std::size_t count_ = 0;
};

/** The nicks of a packed list as the C library hands them out ("alice\0bob\0"). */
inline std::vector<std::string> unpack(const std::string& packed) {
  std::vector<std::string> nicks;
  for (std::size_t at = 0; at < packed.size();) {
    const std::size_t end = packed.find('\0', at);
    nicks.emplace_back(packed, at, end - at);
    at = end + 1;
  }
  return nicks;
}

/**
 * A nick NUL-terminated for the few calls that have no `*_n` form (nt_last_seen(),
 * nt_last_seen_anywhere()), without allocating. The library reads at most NT_MAX_NICK_LEN + 1
 * bytes looking for the terminator and refuses the nick as too long if it finds none, so a
 * longer nick is cut there and refused all the same.
 */
class TerminatedNick {
 public:
  /** @throws Error NT_STATUS_NICK_CONTAINS_NUL: terminated, such a nick would be cut short. */
  explicit TerminatedNick(std::string_view nick) {
    if (nick.find('\0') != std::string_view::npos) {
      throw_contains_nul("nick");
    }
    const std::size_t len = nick.size() < sizeof bytes_ - 1 ? nick.size() : sizeof bytes_ - 1;
    if (len != 0) {
      std::memcpy(bytes_, nick.data(), len);
    }
    bytes_[len] = '\0';
  }

  const char* c_str() const noexcept { return bytes_; }

 private:
  char bytes_[NT_MAX_NICK_LEN + 2];
};

/** Enables a template for ranges whose elements convert to std::string_view. */
template <typename Range>
using if_nick_range = std::enable_if_t<std::is_convertible_v<
    decltype(*std::begin(std::declval<const Range&>())), std::string_view>>;

/** Enables a template for ranges whose elements convert to nt::Report. */
template <typename Range>
using if_report_range = std::enable_if_t<
    std::is_convertible_v<decltype(*std::begin(std::declval<const Range&>())), Report>>;

/**
 * What the clock of a Tracker threw, or why its reading was refused, for the call that read
 * it on this thread (see Tracker's clock_trampoline). Per thread, because the library reads
 * the clock on the calling thread, inside that call: the wrapper around the call takes it
 * right after the call returns, before anything else can read a clock on this thread.
 */
inline std::exception_ptr& pending_clock_error() noexcept {
  thread_local std::exception_ptr error;
  return error;
}

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
   * A tracker configured by `options`, whose callbacks and clock it keeps until it is
   * destroyed. With a clock, it reads it once before returning (see Options::clock).
   * @throws Error NT_STATUS_INVALID_ARGUMENT if a LogLevel or PickMode is not one of the
   *         named values or a duration is negative, or if the library fails; what the clock
   *         threw, or Error NT_STATUS_CLOCK_WENT_BACKWARDS if it read a negative time.
   */
  explicit Tracker(Options options) : state_(std::make_unique<State>()) {
    state_->on_event = std::move(options.on_event);
    state_->on_log = std::move(options.on_log);
    state_->clock = std::move(options.clock);
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
    if (state_->clock) {
      c_options.clock = &Tracker::clock_trampoline;
      c_options.clock_user_data = state_.get();
      state_->clock_offset = 1;
    }
    c_options.log_level = static_cast<std::uint32_t>(options.log_level);
    c_options.max_nicks = options.max_nicks;
    c_options.max_directories = options.max_directories;
    c_options.pick_mode = static_cast<std::uint32_t>(options.pick_mode);
    c_options.presence_ttl_ms = to_c_duration(options.presence_ttl, "options.presence_ttl");
    c_options.gone_grace_ms = to_c_duration(options.gone_grace, "options.gone_grace");
    c_options.disconnected_hold_ms =
        to_c_duration(options.disconnected_hold, "options.disconnected_hold");
    detail::check(nt_new_with_options(&c_options, &state_->handle));
    if (state_->clock) {
      // The first reading: the library accepts any first reading (it has nothing to compare
      // it with), so a clock that fails now would not be refused. From here on every reading
      // the library accepts is at least 1, and clock_trampoline's 0 is always refused.
      const nt_status status = nt_expire(state_->handle, nullptr);
      if (std::exception_ptr error = std::exchange(detail::pending_clock_error(), nullptr)) {
        std::rethrow_exception(error);  // state_'s destructor frees the tracker
      }
      detail::check(status);
    }
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
   * Begins receiving `directory`'s peerlist in chunks. JoinMarket directories send theirs as
   * many messages of about 20 entries with no end marker, and a refresh can fail halfway:
   * fed to sync_peerlist() one at a time, each chunk would make the nicks of all the others
   * gone. So: add_peerlist_chunk() for each message, then commit_peerlist() once the list is
   * complete (after a few seconds of silence), or abort_peerlist() if it never will be.
   *
   * Until the commit nothing becomes gone, however long the list takes or if it is
   * abandoned. Beginning while a peerlist is open restarts it; sync_peerlist(), a
   * disconnection or a removal of the directory closes it. An unknown directory becomes known.
   *
   * There is no RAII object that aborts on destruction: the library knows one open peerlist
   * per directory, not per object, so such an object could abort a later peerlist of the same
   * directory (restarting by assigning a new one would abort the new one), and the chunks
   * of a real peerlist arrive over seconds in an event loop, outliving any one scope.
   * @throws Error NT_STATUS_DIRECTORY_LIMIT if an unknown directory would exceed the limit.
   */
  void begin_peerlist(std::uint64_t directory) {
    detail::check(call([&] { return nt_peerlist_begin(handle(), directory); }));
  }

  /**
   * Adds a chunk to `directory`'s open peerlist: each nick becomes present on `directory` at
   * once, and the joins are delivered (in list order) before this returns. `nicks` is a range
   * as for sync_peerlist(). All or nothing: an invalid entry (named by its index in the chunk,
   * e.g. "nicks[3]: nick is empty") or new nicks beyond Options::max_nicks refuse the whole
   * chunk, and the peerlist stays open.
   * @throws Error NT_STATUS_NO_SNAPSHOT if no peerlist is open on `directory`; on an invalid
   *         entry, a limit or the clock (nothing changes); or what a callback threw.
   */
  template <typename Range, typename = detail::if_nick_range<Range>>
  void add_peerlist_chunk(std::uint64_t directory, const Range& nicks) {
    const detail::PackedNicks packed(nicks);
    detail::check(call([&] {
      return nt_peerlist_add(handle(), directory, packed.data(), packed.size());
    }));
  }

  /** add_peerlist_chunk() for a braced list. */
  void add_peerlist_chunk(std::uint64_t directory,
                          std::initializer_list<std::string_view> nicks) {
    add_peerlist_chunk<std::initializer_list<std::string_view>>(directory, nicks);
  }

  /**
   * Completes `directory`'s open peerlist: every nick `directory` reported present that was
   * neither listed in a chunk nor reported present on it since the peerlist began becomes
   * gone on it. The leaves are delivered (in the order the tracker first saw the nicks)
   * before this returns.
   * @return The nicks that left, in that order: unlike remove_directory()'s count (0.2 API),
   *         the departures themselves, since a caller usually has their offers to drop.
   * @throws Error NT_STATUS_NO_SNAPSHOT if no peerlist is open on `directory`, on the clock
   *         (nothing changes), or what a callback threw (then the nicks are not returned, but
   *         every departure was still delivered).
   */
  std::vector<std::string> commit_peerlist(std::uint64_t directory) {
    detail::check(call([&] { return nt_peerlist_commit(handle(), directory, nullptr); }));
    return departed_nicks();
  }

  /**
   * Drops `directory`'s open peerlist, as when its refresh failed halfway: what its chunks
   * listed stays present, and nothing becomes gone.
   * @throws Error NT_STATUS_NO_SNAPSHOT if no peerlist is open on `directory`.
   */
  void abort_peerlist(std::uint64_t directory) {
    detail::check(call([&] { return nt_peerlist_abort(handle(), directory); }));
  }

  /**
   * Applies several reports from `directory` in one call, in order, each as update() would:
   * the shape of a JoinMarket PEERLIST message with ";D" entries ("nick;location" present,
   * "nick;location;D" gone). `reports` is any range of nt::Report (a std::vector, a
   * std::array, a braced list). The events (in the order they happen) are delivered before
   * this returns. One call into the library for all of them (nt_update_batch()): prefer it to
   * update() in a loop whenever reports come several at a time.
   *
   * All or nothing: an invalid nick (named by its index in `reports`, e.g. "nicks[3]: nick is
   * empty") or new nicks (those reported present, counted once) beyond Options::max_nicks
   * refuse the whole batch, as they would refuse the whole message.
   * @return The nicks that left, in the order they left.
   * @throws Error on an invalid nick, a limit or the clock (nothing changes), or what a
   *         callback threw (then the nicks are not returned, but every event was delivered).
   */
  template <typename Range, typename = detail::if_report_range<Range>>
  std::vector<std::string> update_many(std::uint64_t directory, const Range& reports) {
    detail::PackedNicks packed;
    std::vector<std::uint8_t> present;
    for (const auto& entry : reports) {
      const Report report = entry;
      packed.append(report.nick);
      present.push_back(report.present ? 1 : 0);
    }
    detail::check(call([&] {
      return nt_update_batch(handle(), directory, packed.data(), packed.size(), present.data(),
                             present.size());
    }));
    return departed_nicks();
  }

  /** update_many() for a braced list: `tracker.update_many(1, {{"J5a", true}, {"J5b", false}})`. */
  std::vector<std::string> update_many(std::uint64_t directory,
                                       std::initializer_list<Report> reports) {
    return update_many<std::initializer_list<Report>>(directory, reports);
  }

  /**
   * Acts on every deadline due now (Options::presence_ttl, gone_grace, disconnected_hold):
   * held-back gone reports whose grace passed take effect, pairs not seen within the TTL
   * become gone on their directory, directories disconnected for longer than the hold are
   * removed. The leaves are delivered before this returns.
   *
   * Nothing expires except in this call, so there is no thread and a fake clock makes expiry
   * deterministic: call it as often as expiry should be precise, say every second. It costs
   * what is due (each deadline waits in a queue in deadline order), not what the tracker holds.
   * @return The nicks that left, in the order the tracker first saw them.
   * @throws Error on the clock (nothing changes), or what a callback threw (then the nicks
   *         are not returned, but every departure was still delivered).
   */
  std::vector<std::string> expire() {
    detail::check(call([&] { return nt_expire(handle(), nullptr); }));
    return departed_nicks();
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
   * Options::pick_mode says (uniformly at random unless PickMode::round_robin or
   * PickMode::sticky was chosen).
   *
   * A nick that is not active is an ordinary outcome (peers come and go), so it gives an
   * empty optional rather than an exception. Round-robin and sticky picks keep per-nick state
   * inside the library (a position, the directory kept), which is why this const method does
   * not always return the same.
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
    std::vector<std::string> nicks;
    detail::check(packed_nicks(nicks, [&](char* out, std::size_t capacity, std::size_t* len) {
      return nt_active_nicks_packed(handle(), out, capacity, len);
    }));
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
    detail::check(visit_nicks(visit, [&](nt_nick_callback trampoline, void* context) {
      return nt_for_each_active_nick(handle(), trampoline, context);
    }));
  }

  /**
   * When `directory` last reported `nick` present or listed it, as a time of the tracker's
   * clock (see Options::clock). A gone report does not change it: it stays the last time the
   * nick was seen there, which is what an age-based policy ("drop an offer not seen for
   * 30 minutes") needs.
   *
   * A pair the tracker does not hold is an ordinary outcome (peers come and go, and the
   * tracker forgets a nick once no directory reports it), so, as for pick_directory(), it
   * gives an empty optional rather than an exception.
   * @return The time, or std::nullopt if `directory` has no report of `nick` (since the
   *         tracker last forgot the nick).
   * @throws Error on an invalid nick.
   */
  std::optional<std::chrono::milliseconds> last_seen(std::string_view nick,
                                                     std::uint64_t directory) const {
    const detail::TerminatedNick terminated(nick);
    return found_time([&](std::uint64_t* ms) {
      return nt_last_seen(handle(), terminated.c_str(), directory, ms);
    });
  }

  /**
   * The latest time any directory reported `nick` present or listed it: the latest
   * last_seen() over its directories. std::nullopt if the tracker does not hold `nick`.
   * @throws Error on an invalid nick.
   */
  std::optional<std::chrono::milliseconds> last_seen_anywhere(std::string_view nick) const {
    const detail::TerminatedNick terminated(nick);
    return found_time([&](std::uint64_t* ms) {
      return nt_last_seen_anywhere(handle(), terminated.c_str(), ms);
    });
  }

  /**
   * Every directory the tracker knows (reported by, synced, given a connection state, and not
   * removed), in no particular order.
   */
  std::vector<std::uint64_t> directories() const {
    std::vector<std::uint64_t> ids;
    for (;;) {
      std::size_t len = 0;
      const nt_status status =
          call([&] { return nt_directories(handle(), ids.data(), ids.size(), &len); });
      // As in active_directories(): another thread may add directories between the calls.
      if (status == NT_STATUS_BUFFER_TOO_SMALL) {
        ids.resize(len);
        continue;
      }
      detail::check(status);
      ids.resize(len);
      return ids;
    }
  }

  /**
   * `directory`'s view and health, all taken at one instant: for an orderbook watcher, which
   * trusts each directory for its own list.
   *
   * An unknown directory is an ordinary outcome (Options::disconnected_hold removes
   * directories by itself), so it gives an empty optional rather than an exception.
   * @return The stats, or std::nullopt if the tracker does not know `directory`.
   */
  std::optional<DirectoryStats> directory_stats(std::uint64_t directory) const {
    nt_directory_stats c_stats{};
    const nt_status status =
        call([&] { return nt_get_directory_stats(handle(), directory, &c_stats); });
    if (status == NT_STATUS_NOT_FOUND) {
      return std::nullopt;
    }
    detail::check(status);
    DirectoryStats result;
    result.nicks = c_stats.nicks;
    result.connected = c_stats.connected;
    result.snapshot_open = c_stats.snapshot_open;
    result.last_peerlist = time_or_never(c_stats.last_peerlist_ms);
    result.last_report = time_or_never(c_stats.last_report_ms);
    result.peerlists = c_stats.peerlists;
    result.reports = c_stats.reports;
    return result;
  }

  /**
   * The nicks `directory` reports present, whether it is connected or not (its own list, in
   * no particular order; one packed C call). Empty for a directory the tracker does not know:
   * it reports nothing (directory_stats() tells an unknown directory from an empty one).
   */
  std::vector<std::string> directory_nicks(std::uint64_t directory) const {
    std::vector<std::string> nicks;
    const nt_status status =
        packed_nicks(nicks, [&](char* out, std::size_t capacity, std::size_t* len) {
          return nt_directory_nicks_packed(handle(), directory, out, capacity, len);
        });
    if (status != NT_STATUS_NOT_FOUND) {
      detail::check(status);
    }
    return nicks;
  }

  /**
   * Calls `visit(std::string_view nick)` for each nick `directory` reports present (whether it
   * is connected or not), in no particular order; none for a directory the tracker does not
   * know, as for directory_nicks(). The same rules as for_each_active_nick(): a snapshot,
   * visited without the lock, so `visit` may change the tracker, and a throw skips the rest.
   */
  template <typename Visitor>
  void for_each_directory_nick(std::uint64_t directory, Visitor&& visit) const {
    const nt_status status =
        visit_nicks(visit, [&](nt_nick_callback trampoline, void* context) {
          return nt_for_each_directory_nick(handle(), directory, trampoline, context);
        });
    if (status != NT_STATUS_NOT_FOUND) {
      detail::check(status);
    }
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
    Clock clock;
    /**
     * What the library's milliseconds are ahead of the clock's: 1 with a Clock (see
     * clock_trampoline), 0 with the library's own.
     */
    std::uint64_t clock_offset = 0;
    /**
     * The clock's last accepted reading as the library got it, 0 before the first. Only
     * clock_trampoline touches it, and the library calls that with its lock held, never
     * twice at once.
     */
    std::uint64_t last_reading = 0;
    nt_tracker* handle = nullptr;
  };

  /** The handle, or NULL once moved from, which the C API reports as NULL_ARGUMENT. */
  nt_tracker* handle() const noexcept { return state_ ? state_->handle : nullptr; }

  /**
   * Makes a C call on the tracker and returns its status, but first rethrows what a callback
   * threw if the call delivered it and otherwise succeeded (NT_STATUS_CALLBACK_FAILED). After a
   * failed call its nt::Error is what counts (the caller throws it): the call changed nothing,
   * which a callback's exception would hide. Except when the clock failed: then what it threw
   * (or why its reading was refused) is that call's error, and the call changed nothing.
   */
  template <typename CCall>
  static nt_status call(CCall c_call) {
    const nt_status status = c_call();
    if (status != NT_STATUS_OK) {
      const auto error = detail::take_callback_error();
      // A clock that failed made the library refuse the call (NT_STATUS_CLOCK_WENT_BACKWARDS,
      // nothing changed): its own exception says why, better than the library's message about
      // the 0 that clock_trampoline returned.
      if (std::exception_ptr clock_error = std::exchange(detail::pending_clock_error(), nullptr)) {
        std::rethrow_exception(clock_error);
      }
      if (error && status == NT_STATUS_CALLBACK_FAILED) {
        std::rethrow_exception(*error);
      }
    }
    return status;
  }

  /**
   * Runs a C call that fills a packed list of nicks with the two-call pattern (`c_call(out,
   * capacity, &len)`), growing the buffer until it fits, and unpacks it into `nicks`. Returns
   * the final status (nicks stays empty unless it is OK).
   */
  template <typename CCall>
  static nt_status packed_nicks(std::vector<std::string>& nicks, CCall c_call) {
    std::string packed;
    for (;;) {
      std::size_t len = 0;
      const nt_status status = call([&] { return c_call(packed.data(), packed.size(), &len); });
      // As in active_directories(): another thread may add nicks between the two calls.
      if (status == NT_STATUS_BUFFER_TOO_SMALL) {
        packed.resize(len);
        continue;
      }
      if (status == NT_STATUS_OK) {
        packed.resize(len);
        nicks = detail::unpack(packed);
      }
      return status;
    }
  }

  /**
   * The nicks that left in the latest call on this thread that reports departures, which the
   * caller has just made and which succeeded (so the list is that call's: see
   * nt_departed_nicks()). Not call(): no callback runs here.
   */
  static std::vector<std::string> departed_nicks() {
    std::string packed;
    for (;;) {
      std::size_t len = 0;
      const nt_status status = nt_departed_nicks(packed.data(), packed.size(), &len);
      if (status == NT_STATUS_BUFFER_TOO_SMALL) {  // only the first time: the list stays
        packed.resize(len);
        continue;
      }
      detail::check(status);
      packed.resize(len);
      return detail::unpack(packed);
    }
  }

  /**
   * Runs a C call that visits nicks (`c_visit(trampoline, context)`) with `visit`, and
   * returns its status. If `visit` throws, the rest of the visits are skipped and its
   * exception is rethrown here, after the call has delivered what it must.
   */
  template <typename Visitor, typename CVisit>
  static nt_status visit_nicks(Visitor& visit, CVisit c_visit) {
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
    const nt_status status = c_visit(trampoline, &context);
    if (context.pending) {
      if (status != NT_STATUS_OK) {
        detail::take_callback_error();  // an event callback's, later: dropped
      }
      std::rethrow_exception(context.pending);
    }
    return call([status] { return status; });
  }

  /** A duration option in the library's milliseconds. @throws Error if it is negative. */
  static std::uint64_t to_c_duration(std::chrono::milliseconds duration, const char* name) {
    if (duration.count() < 0) {
      throw Error(NT_STATUS_INVALID_ARGUMENT,
                  std::string(name) + ": " + std::to_string(duration.count()) +
                      " ms is negative");
    }
    return static_cast<std::uint64_t>(duration.count());
  }

  /** A time of the library's clock as a time of the tracker's clock (see clock_offset). */
  std::chrono::milliseconds from_c_time(std::uint64_t ms) const noexcept {
    const std::uint64_t offset = state_ ? state_->clock_offset : 0;
    return std::chrono::milliseconds(
        static_cast<std::chrono::milliseconds::rep>(ms >= offset ? ms - offset : 0));
  }

  /** A time of nt_directory_stats, where 0 means never (and is never a reading of a Clock). */
  std::optional<std::chrono::milliseconds> time_or_never(std::uint64_t ms) const noexcept {
    if (ms == 0) {
      return std::nullopt;
    }
    return from_c_time(ms);
  }

  /** Runs a C call that writes a time (`c_call(&ms)`); std::nullopt on NT_STATUS_NOT_FOUND. */
  template <typename CCall>
  std::optional<std::chrono::milliseconds> found_time(CCall c_call) const {
    std::uint64_t ms = 0;
    const nt_status status = call([&] { return c_call(&ms); });
    if (status == NT_STATUS_NOT_FOUND) {
      return std::nullopt;
    }
    detail::check(status);
    return from_c_time(ms);
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

  /**
   * The C clock (nt_options, version 2): the user's clock's reading in milliseconds, plus one.
   *
   * An exception must not cross the C library, and nt_report_callback_error() is not for the
   * clock (it is read with the lock held, outside any delivery, and a clock's failure should
   * refuse the call rather than let it go on). So when the clock throws, or reads a time the
   * library must not accept (negative, or earlier than the last reading), this leaves the
   * reason in detail::pending_clock_error() and returns 0, which the library refuses as a
   * clock that went backwards, changing nothing: every reading it accepted is at least 1
   * (hence the plus one), and the constructor made the first. call() then rethrows the
   * reason from the call that read the clock.
   */
  static std::uint64_t clock_trampoline(void* state) noexcept {
    State& self = *static_cast<State*>(state);
    try {
      const std::chrono::milliseconds::rep now = self.clock().count();
      if (now < 0) {
        throw Error(NT_STATUS_CLOCK_WENT_BACKWARDS,
                    "the clock read " + std::to_string(now) + " ms, before its origin (0 ms)");
      }
      const std::uint64_t reading = static_cast<std::uint64_t>(now) + 1;
      if (reading < self.last_reading) {
        throw Error(NT_STATUS_CLOCK_WENT_BACKWARDS,
                    "the clock went backwards: it read " + std::to_string(now) +
                        " ms after reading " + std::to_string(self.last_reading - 1) + " ms");
      }
      self.last_reading = reading;
      return reading;
    } catch (...) {
      detail::pending_clock_error() = std::current_exception();
      return 0;
    }
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
