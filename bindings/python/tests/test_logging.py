"""The library's log messages: to the logging module ("nick_tracker" or the caller's logger)
or to a callable, with the library's levels mapped to logging's and a threshold."""

import logging
import re

import pytest

from nick_tracker import LOGGER_NAME, LogLevel, NickLimitError, NickTracker

# What one tracker logs for: alice joins, bob is refused by max_nicks, alice leaves when dir1
# is removed. The wording is the library's, so only its gist is checked (a pattern each
# message must match); directories are named by the caller's keys, as repr() shows them.
EXPECTED = [
    (LogLevel.DEBUG, r'^nick "?alice"? is active \(directory \'dir1\'\)$'),
    (LogLevel.WARN, r"^change refused: nick limit reached: .*\b1 nicks, the limit is 1$"),
    (LogLevel.INFO, r'^nick "?alice"? has left all directories \(last: directory \'dir1\'\)$'),
    (LogLevel.INFO, r"^directory 'dir1' removed: 1 nicks left$"),
]


def matches(seen, expected):
    """Whether the (level, message) pairs `seen` match the (level, pattern) pairs `expected`."""
    return len(seen) == len(expected) and all(
        level == expected_level and re.search(pattern, message)
        for (level, message), (expected_level, pattern) in zip(seen, expected)
    )


def as_pairs(records):
    """Log records as (LogLevel, message) pairs, mapping logging's levels back."""
    levels = {level.logging_level: level for level in LogLevel}
    return [(levels[record.levelno], record.getMessage()) for record in records]


def exercise(tracker):
    tracker.mark_nick_present("alice", "dir1")
    with pytest.raises(NickLimitError):
        tracker.mark_nick_present("bob", "dir1")
    tracker.remove_directory("dir1")


def expected_at(threshold):
    return [(level, message) for level, message in EXPECTED if level <= threshold]


@pytest.mark.parametrize("threshold", list(LogLevel))
def test_a_callable_gets_every_message_up_to_the_threshold(threshold):
    seen = []

    def log(*args):
        seen.append(args)

    with NickTracker(max_nicks=1, log=log, log_level=threshold) as tracker:
        exercise(tracker)
    assert matches(seen, expected_at(threshold)), seen
    assert all(type(level) is LogLevel for level, _ in seen)


def test_the_default_threshold_is_info():
    seen = []
    with NickTracker(max_nicks=1, log=lambda *args: seen.append(args)) as tracker:
        exercise(tracker)
    assert matches(seen, expected_at(LogLevel.INFO)), seen


def test_log_true_routes_to_the_nick_tracker_logger_with_mapped_levels(caplog):
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)
    with NickTracker(max_nicks=1, log=True, log_level="debug") as tracker:
        exercise(tracker)
    records = [r for r in caplog.records if r.name == LOGGER_NAME]
    assert [r.levelno for r in records] == [
        logging.DEBUG,
        logging.WARNING,
        logging.INFO,
        logging.INFO,
    ]
    assert matches(as_pairs(records), EXPECTED)


def test_the_loggers_own_level_still_filters(caplog):
    caplog.set_level(logging.WARNING, logger=LOGGER_NAME)
    with NickTracker(max_nicks=1, log=True, log_level=LogLevel.DEBUG) as tracker:
        exercise(tracker)
    records = [r for r in caplog.records if r.name == LOGGER_NAME]
    assert matches(as_pairs(records), [EXPECTED[1]])


def test_a_callers_logger_or_adapter_receives_the_messages(caplog):
    logger = logging.getLogger("my_app.directory")
    caplog.set_level(logging.INFO, logger="my_app.directory")
    adapter = logging.LoggerAdapter(logger, {"client": "maker"})
    for target in [logger, adapter]:
        caplog.clear()
        with NickTracker(max_nicks=1, log=target) as tracker:
            exercise(tracker)
        records = caplog.records
        assert {r.name for r in records} == {"my_app.directory"}
        assert matches(as_pairs(records), expected_at(LogLevel.INFO))
    assert records[0].client == "maker"


def test_a_percent_sign_in_a_nick_is_not_a_format_directive(caplog):
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)
    with NickTracker(log=True) as tracker:
        tracker.mark_nick_present("100%s%d", "dir1")
        tracker.mark_nick_gone("100%s%d", "dir1")
    assert re.match(r'^nick "?100%s%d"? has left', caplog.records[0].getMessage())


def test_without_log_nothing_is_logged(caplog):
    caplog.set_level(logging.DEBUG)
    with NickTracker(max_nicks=1) as tracker:
        exercise(tracker)
    with NickTracker() as tracker:
        tracker.mark_nick_present("alice", "dir1")
        tracker.remove_directory("dir1")
    assert caplog.records == []


def test_log_levels_match_the_logging_module():
    assert [level.logging_level for level in LogLevel] == [
        logging.ERROR,
        logging.WARNING,
        logging.INFO,
        logging.DEBUG,
    ]
    assert LogLevel.WARNING is LogLevel.WARN


@pytest.mark.parametrize("level", ["warning", "WARN", 2, LogLevel.WARN])
def test_log_level_accepts_the_enum_its_number_or_its_name(level):
    seen = []
    with NickTracker(max_nicks=1, log=lambda *args: seen.append(args), log_level=level) as tracker:
        exercise(tracker)
    assert matches(seen, expected_at(LogLevel.WARN)), seen


def test_bad_log_arguments_are_refused():
    with pytest.raises(ValueError, match="log_level needs log"):
        NickTracker(log_level="debug")
    with pytest.raises(ValueError, match="log_level must be a LogLevel or one of 'error'"):
        NickTracker(log=True, log_level=logging.DEBUG)
    with pytest.raises(TypeError, match="log must be True, a logging.Logger or a callable"):
        NickTracker(log="nick_tracker")
