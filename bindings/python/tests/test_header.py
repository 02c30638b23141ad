"""The package agrees with the C header it binds, include/nick_tracker.h in this repository."""

import re
from pathlib import Path

import nick_tracker
from nick_tracker import MAX_NICK_LEN, Status, _lib

HEADER = (Path(__file__).resolve().parents[3] / "include" / "nick_tracker.h").read_text()


def test_every_function_in_the_header_has_a_prototype():
    declared = set(re.findall(r"^\S.*?\b(nt_\w+)\(", HEADER, re.MULTILINE))
    assert declared == set(_lib._PROTOTYPES) | {"nt_version"}


def test_status_numbers_match_the_header():
    statuses = re.findall(r"NT_STATUS_(\w+) = (\d+),", HEADER)
    assert {name: int(value) for name, value in statuses} == {s.name: s.value for s in Status}


def test_constants_and_version_match_the_header():
    defines = dict(re.findall(r"#define (NT_\w+) (\d+)", HEADER))
    assert int(defines["NT_MAX_NICK_LEN"]) == MAX_NICK_LEN
    assert int(defines["NT_VERSION_MAJOR"]) == _lib.EXPECTED_MAJOR
    parts = [defines[f"NT_VERSION_{part}"] for part in ["MAJOR", "MINOR", "PATCH"]]
    assert nick_tracker.library_version == ".".join(parts)


def test_status_descriptions_come_from_the_library():
    assert Status.NICK_EMPTY.describe() == "nick is empty"
    assert Status.OK.describe() == "success"
