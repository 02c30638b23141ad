"""Turning the caller's arguments into what the C library takes: nicks, packed nick lists,
enum options, limits and durations. Each check here is one the library cannot make (it never
sees a Python object) or makes too late (a constructor option); the rest is left to the
library, so that there is one source of truth for what a valid nick is."""

import ctypes
import enum
import logging
import math
import operator
from typing import Callable, Iterable, NoReturn, Optional, Tuple, Type, TypeVar, Union

from ._errors import InvalidNickError, Status
from ._types import LogLevel

TEnum = TypeVar("TEnum", bound=enum.IntEnum)

LogFunction = Callable[[LogLevel, str], None]
LogTarget = Union[None, bool, logging.Logger, logging.LoggerAdapter, LogFunction]

# The logger `log=True` sends the library's messages to.
LOGGER_NAME = "nick_tracker"

_SIZE_MAX = 2 ** (8 * ctypes.sizeof(ctypes.c_size_t)) - 1
_U64_MAX = 2**64 - 1

_LOG_LEVELS = {level.value: level for level in LogLevel}

# str.encode unbound: raises TypeError for anything that is not a str (an object with an
# encode method of its own included), which a method lookup on the argument would not.
encode = str.encode


def nick_error(nick: object, arg: str) -> NoReturn:
    """Raises what is wrong with a nick whose encoding failed or holds a NUL byte, which
    would silently end the C string. Called only once the fast path has failed."""
    if not isinstance(nick, str):
        raise TypeError(f"{arg} must be str, not {type(nick).__name__}")
    try:
        nick.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InvalidNickError(
            Status.NICK_NOT_UTF8,
            f"{arg}: nick cannot be encoded as UTF-8 ({error.reason} at index {error.start})",
        ) from None
    raise InvalidNickError(
        Status.NICK_CONTAINS_NUL, f"{arg}: {Status.NICK_CONTAINS_NUL.describe()}"
    )


def encode_nick(nick: str, arg: str = "nick") -> bytes:
    """The nick in UTF-8, as a NUL-terminated C string (bytes always end with a hidden NUL).
    Emptiness and length are the library's to check."""
    try:
        encoded = encode(nick)
    except (TypeError, UnicodeEncodeError):
        nick_error(nick, arg)
    if 0 in encoded:  # a NUL byte; an int is found several times faster than b"\0"
        nick_error(nick, arg)
    return encoded


def pack_nicks(nicks: Iterable[str], arg: str = "nicks") -> Tuple[bytes, int]:
    """A list of nicks as the library's packed form: every nick in UTF-8 followed by a NUL
    byte, b"alice\\0bob\\0", built with one join and one encode however long the list is;
    and how many nicks it holds.

    Only what the packed form cannot express is checked here, and as cheaply as possible: a
    NUL inside a nick would split it in two, so the NULs are counted, and a non-str or a nick
    that does not encode makes the join or the encode fail. If any check fails, the nicks
    are encoded one by one to raise the same error, naming the same nicks[i], as a single
    nick would. Empty and too long nicks are left to the library, which names nicks[i] too
    (the positions agree because no nick holds a NUL). `arg` names the whole list.
    """
    if isinstance(nicks, (str, bytes)):
        # Iterating would give one-letter nicks: always a mistake.
        raise TypeError(f"{arg} must be a collection of str, not {type(nicks).__name__}")
    if not isinstance(nicks, (list, tuple)):
        nicks = list(nicks)
    if not nicks:
        return b"", 0
    try:
        text = "\0".join(nicks)
    except TypeError:  # an entry is not a str: the loop below names it
        pass
    else:
        # The last nick's NUL, added to the str: CPython resizes it in place, where adding
        # it to the bytes would copy the whole buffer.
        text += "\0"
        if text.count("\0") == len(nicks):
            try:
                return encode(text), len(nicks)
            except UnicodeEncodeError:  # a lone surrogate: the loop below names the nick
                pass
    packed = b"".join(encode_nick(nick, f"nicks[{i}]") + b"\0" for i, nick in enumerate(nicks))
    return packed, len(nicks)


def unpack_nicks(packed: Union[bytes, memoryview]) -> list:
    """The nicks of a packed list from the library (valid UTF-8, as it checked them)."""
    if not packed:
        return []
    return str(packed, "utf-8").split("\0")[:-1]


def enum_value(enum_type: Type[TEnum], value: Union[TEnum, str, int], arg: str) -> TEnum:
    """`value` as a member of `enum_type`: a member, its number or its name in any case
    ("round_robin" and "round-robin" for PickMode.ROUND_ROBIN)."""
    if isinstance(value, str):
        member = enum_type.__members__.get(value.upper().replace("-", "_"))
        if member is not None:
            return member
    elif isinstance(value, int) and not isinstance(value, bool):
        try:
            return enum_type(value)
        except ValueError:
            pass
    names = ", ".join(repr(name.lower()) for name in enum_type.__members__)
    raise ValueError(f"{arg} must be a {enum_type.__name__} or one of {names}, not {value!r}")


def limit(value: Optional[int], arg: str) -> int:
    """A max_* option as nt_options wants it: 0 for no limit."""
    if value is None:
        return 0
    if isinstance(value, bool):
        raise TypeError(f"{arg} must be an int or None, not bool")
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{arg} must be an int or None, not {type(value).__name__}") from None
    if value <= 0:
        # The library reads 0 as "no limit"; letting max_nicks=0 mean that would surprise
        # anyone who meant "none at all".
        raise ValueError(f"{arg} must be at least 1, or None for no limit, not {value}")
    # A limit above what size_t holds cannot be reached anyway.
    return min(value, _SIZE_MAX)


def duration_ms(value: Optional[float], arg: str) -> int:
    """A duration option in seconds (int or float) as milliseconds: 0 (the library's "off")
    for None or 0. Rounded up, so that a positive duration never becomes "off"."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{arg} must be a number of seconds or None, not {type(value).__name__}")
    if not value >= 0 or math.isinf(value):  # also NaN
        raise ValueError(f"{arg} must be a finite number of seconds >= 0, or None, not {value}")
    return min(math.ceil(value * 1000), _U64_MAX)


def log_function(log: LogTarget) -> Optional[LogFunction]:
    """What the `log` constructor argument asks for, as a function(level, message)."""
    if log is None or log is False:
        return None
    if log is True:
        log = logging.getLogger(LOGGER_NAME)
    if isinstance(log, (logging.Logger, logging.LoggerAdapter)):
        logger = log

        def to_logger(level: LogLevel, message: str) -> None:
            # No arguments, so a '%' in a nick is not taken for a format directive.
            logger.log(logging_level(level), message)

        return to_logger
    if callable(log):
        return log
    kind = type(log).__name__
    expected = "True, a logging.Logger or a callable(level, message)"
    raise TypeError(f"log must be {expected}, not {kind}")


def log_level(level: int) -> Union[LogLevel, int]:
    """The LogLevel of a number from the library; a level newer than this package stays an
    int."""
    return _LOG_LEVELS.get(level, level)


def logging_level(level: int) -> int:
    """The logging module's level for an nt_log_level, also one newer than this package."""
    known = _LOG_LEVELS.get(level)
    if known is not None:
        return known.logging_level
    return logging.ERROR if level < LogLevel.ERROR else logging.DEBUG
