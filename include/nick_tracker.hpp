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
 * @par Errors
 * Every failure throws nt::Error, carrying the C status and message. As in C, a call that
 * fails on its arguments changes nothing (a peerlist with one bad entry included).
 *
 * @par Leave callbacks and exceptions
 * The leave callback runs inside the call that made a nick leave (update(), mark_gone(),
 * remove_directory() or sync_peerlist()), on the calling thread, after the tracker's lock is
 * released: it may call any method of the same Tracker, but must not destroy, move or assign
 * to it. If the callback throws, the exception never crosses the C
 * library: it is caught, the **remaining callbacks of the same call are still delivered**, and
 * the mutating call then rethrows the first exception (later ones from that call are
 * discarded). The departures are delivered anyway because the tracker has already forgotten
 * those nicks: skipping a callback would lose that nick's departure for good. The tracker's
 * state reflects the whole call, and it stays usable.
 *
 * @par Threads
 * As in C, one Tracker may be used from several threads at once, through const and non-const
 * methods alike, except that destroying it, or assigning or moving from it, needs exclusive
 * access. The leave callback then runs on whichever thread made the call, possibly on several
 * threads at once, so whatever it touches must be thread-safe.
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
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace nt {

/**
 * A failed call: bad input, or a tracker the library can no longer trust.
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
 * C strings cannot carry a NUL, so passing such a nick on would silently truncate it; the
 * wrapper rejects it before calling in, ahead of every other check.
 */
[[noreturn]] inline void throw_contains_nul(const std::string& arg) {
  throw Error(NT_STATUS_NICK_CONTAINS_NUL,
              arg + ": " + nt_status_str(NT_STATUS_NICK_CONTAINS_NUL));
}

/**
 * A nick as the NUL-terminated string the C API takes, copied into a buffer on the stack:
 * nicks are short, and a heap allocation would cost more than the call it is made for.
 */
class CNick {
 public:
  /** Copies `nick`. @throws Error NT_STATUS_NICK_CONTAINS_NUL if it contains a NUL byte. */
  explicit CNick(std::string_view nick) {
    if (nick.find('\0') != std::string_view::npos) {
      throw_contains_nul("nick");
    }
    // The library reads at most NT_MAX_NICK_LEN + 1 bytes looking for the terminator, so a
    // longer nick cut to that length is still rejected as too long, as it should be.
    bytes_[nick.copy(bytes_, NT_MAX_NICK_LEN + 1)] = '\0';
  }

  /** The NUL-terminated copy, valid while this object lives. */
  const char* c_str() const noexcept { return bytes_; }

 private:
  char bytes_[NT_MAX_NICK_LEN + 2];
};

/**
 * A list of nicks as the array of C strings nt_sync_peerlist() takes. The nicks are packed
 * back to back in one buffer, so a peerlist of thousands of nicks costs one buffer and one
 * array of pointers rather than an allocation per nick.
 */
class CNickArray {
 public:
  /**
   * Copies every nick of `nicks`, a range of things convertible to std::string_view.
   * @throws Error NT_STATUS_NICK_CONTAINS_NUL naming the entry ("nicks[3]: ...").
   */
  template <typename Range>
  explicit CNickArray(const Range& nicks) {
    std::size_t index = 0;
    for (const auto& entry : nicks) {
      const std::string_view nick = entry;
      if (nick.find('\0') != std::string_view::npos) {
        throw_contains_nul("nicks[" + std::to_string(index) + "]");
      }
      packed_.append(nick).push_back('\0');
      ++index;
    }
    // Nicks contain no NUL, so each NUL in the buffer ends exactly one of them. Pointers are
    // taken only now that the buffer will not grow (and move) any more.
    pointers_.reserve(index);
    for (std::size_t start = 0; start < packed_.size(); start = packed_.find('\0', start) + 1) {
      pointers_.push_back(packed_.data() + start);
    }
  }

  /** The array of C strings; may be NULL when size() is 0, which the C API accepts. */
  const char* const* data() const noexcept { return pointers_.data(); }

  /** How many nicks there are. */
  std::size_t size() const noexcept { return pointers_.size(); }

 private:
  std::string packed_;
  std::vector<const char*> pointers_;
};

/** Enables a template for ranges whose elements convert to std::string_view. */
template <typename Range>
using if_nick_range = std::enable_if_t<std::is_convertible_v<
    decltype(*std::begin(std::declval<const Range&>())), std::string_view>>;

/**
 * One mutating call in progress on this thread: where an exception thrown by the leave
 * callback waits until the C call has returned and can be rethrown.
 *
 * The slot cannot live in the callback's user_data: that pointer is fixed by nt_new() and
 * shared by every thread and every nested call on the tracker. But the library runs a leave
 * callback on the thread that made the call, before that call returns, and any wrapper call
 * the callback makes itself starts and ends inside it. So the innermost LeaveCall on the
 * current thread is always the one whose callback is running. These objects live in the
 * wrapper's stack frames and are linked into a per-thread stack, which gives every call, on
 * every thread and at every depth of re-entrance, a slot of its own.
 */
class LeaveCall {
 public:
  LeaveCall() noexcept : outer_(innermost_) { innermost_ = this; }
  ~LeaveCall() { innermost_ = outer_; }
  LeaveCall(const LeaveCall&) = delete;
  LeaveCall& operator=(const LeaveCall&) = delete;

  /** From a catch block in a leave callback: keeps the exception if it is the call's first. */
  static void keep_current_exception() noexcept {
    if (!innermost_->pending_) {
      innermost_->pending_ = std::current_exception();
    }
  }

  /** Rethrows the exception kept for this call, if any. */
  void rethrow_pending() const {
    if (pending_) {
      std::rethrow_exception(pending_);
    }
  }

 private:
  static inline thread_local LeaveCall* innermost_ = nullptr;
  LeaveCall* outer_;
  std::exception_ptr pending_;
};

}  // namespace detail

/**
 * Tracks which nicks are reachable through at least one directory; owns one nt_tracker.
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
   * no callback). See the file documentation for when it runs and what a throw does.
   * @throws Error if the library fails.
   */
  explicit Tracker(LeaveCallback on_leave) : state_(std::make_unique<State>(std::move(on_leave))) {
    const nt_nick_callback trampoline = state_->on_leave ? &Tracker::leave_trampoline : nullptr;
    detail::check(nt_new(trampoline, &state_->on_leave, &state_->handle));
  }

  /** Takes over `other`'s tracker and callback, leaving `other` empty. */
  Tracker(Tracker&& other) noexcept = default;
  /** Frees this tracker, then takes over `other`'s. Self-assignment keeps the tracker. */
  Tracker& operator=(Tracker&& other) noexcept = default;
  Tracker(const Tracker&) = delete;
  Tracker& operator=(const Tracker&) = delete;
  /** Frees the tracker. No leave callbacks run. */
  ~Tracker() = default;

  /** False once moved from. */
  explicit operator bool() const noexcept { return state_ != nullptr; }

  /**
   * Records that `directory` reports `nick` present (`present` true) or gone (false). If no
   * directory reports the nick present any more, the leave callback runs before this returns.
   * A "gone" report from a directory that never reported the nick present is ignored.
   * @throws Error on an invalid nick (nothing changes), or what the leave callback threw.
   */
  void update(std::string_view nick, std::uint64_t directory, bool present) {
    const detail::CNick c_nick(nick);
    mutate([&] { return nt_update(handle(), c_nick.c_str(), directory, present); });
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
   * Forgets everything `directory` reported, as when its connection is lost. Each nick no
   * other directory reports present leaves, in the order the tracker first saw them.
   * Removing an unknown directory is not an error.
   * @return How many nicks left.
   * @throws Error if the library fails, or what the leave callback threw (then the count is
   *         not returned, but every departure was still delivered to the callback).
   */
  std::size_t remove_directory(std::uint64_t directory) {
    std::size_t gone = 0;
    mutate([&] { return nt_remove_directory(handle(), directory, &gone); });
    return gone;
  }

  /**
   * Makes `directory`'s view match the peerlist it just sent: the listed nicks become present
   * on it, and the nicks it reported present but no longer lists become gone on it. Those that
   * leave get the callback in the order the tracker first saw them. Duplicates are harmless.
   *
   * `nicks` is any range of things convertible to std::string_view: a
   * std::vector<std::string>, a std::vector<std::string_view>, a std::array<const char*, N>...
   * All or nothing: if any entry is invalid, nothing changes and the error names the entry.
   * @throws Error on an invalid entry, or what the leave callback threw.
   */
  template <typename Range, typename = detail::if_nick_range<Range>>
  void sync_peerlist(std::uint64_t directory, const Range& nicks) {
    const detail::CNickArray c_nicks(nicks);
    mutate([&] {
      return nt_sync_peerlist(handle(), directory, c_nicks.data(), c_nicks.size());
    });
  }

  /** sync_peerlist() for a braced list: `tracker.sync_peerlist(1, {"J5alice", "J5bob"})`. */
  void sync_peerlist(std::uint64_t directory, std::initializer_list<std::string_view> nicks) {
    sync_peerlist<std::initializer_list<std::string_view>>(directory, nicks);
  }

  /** Whether at least one directory reports `nick` present. @throws Error on an invalid nick. */
  bool is_active(std::string_view nick) const {
    const detail::CNick c_nick(nick);
    bool active = false;
    detail::check(nt_is_active(handle(), c_nick.c_str(), &active));
    return active;
  }

  /**
   * The directories that report `nick` present, in the order they first reported it; empty
   * if the nick is not active. @throws Error on an invalid nick.
   */
  std::vector<std::uint64_t> active_directories(std::string_view nick) const {
    const detail::CNick c_nick(nick);
    std::vector<std::uint64_t> directories;
    for (;;) {
      std::size_t len = 0;
      const nt_status status = nt_active_directories(handle(), c_nick.c_str(), directories.data(),
                                                     directories.size(), &len);
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

  /** How many nicks are active. */
  std::size_t active_nick_count() const {
    std::size_t count = 0;
    detail::check(nt_active_nick_count(handle(), &count));
    return count;
  }

  /** The active nicks, in the order the tracker first saw them. */
  std::vector<std::string> active_nicks() const {
    std::vector<std::string> nicks;
    for_each_active_nick([&nicks](std::string_view nick) { nicks.emplace_back(nick); });
    return nicks;
  }

  /**
   * Calls `visit(std::string_view nick)` for each active nick, in the order the tracker first
   * saw them. The nicks are a snapshot taken before the first call and no lock is held while
   * `visit` runs, so it may change the tracker; changes show in the next snapshot.
   *
   * If `visit` throws, the rest of the snapshot is skipped and the exception is rethrown from
   * here (visiting changes nothing, so stopping early loses nothing).
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
    detail::check(nt_for_each_active_nick(handle(), trampoline, &context));
    if (context.pending) {
      std::rethrow_exception(context.pending);
    }
  }

 private:
  /**
   * What a Tracker owns. It sits on the heap so that moving a Tracker moves only a pointer:
   * the library keeps `&on_leave` as the callback's user_data, so that must never move.
   */
  struct State {
    explicit State(LeaveCallback callback) : on_leave(std::move(callback)) {}
    ~State() { nt_free(handle); }
    State(const State&) = delete;
    State& operator=(const State&) = delete;

    LeaveCallback on_leave;
    nt_tracker* handle = nullptr;
  };

  /** The handle, or NULL once moved from, which the C API reports as NULL_ARGUMENT. */
  nt_tracker* handle() const noexcept { return state_ ? state_->handle : nullptr; }

  /** Runs a C call that may make nicks leave, then rethrows what the leave callback threw. */
  template <typename CCall>
  void mutate(CCall c_call) {
    detail::LeaveCall call;
    detail::check(c_call());
    call.rethrow_pending();
  }

  /** The C leave callback: runs the user's, keeping any exception out of the C library. */
  static void leave_trampoline(void* on_leave, const char* nick) noexcept {
    try {
      (*static_cast<const LeaveCallback*>(on_leave))(std::string_view(nick));
    } catch (...) {
      detail::LeaveCall::keep_current_exception();
    }
  }

  std::unique_ptr<State> state_;
};

}  // namespace nt

#endif  // NICK_TRACKER_HPP
