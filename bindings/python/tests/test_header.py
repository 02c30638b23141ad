"""The package agrees with the C header it binds, include/nick_tracker.h in this repository."""

import ctypes
import dataclasses
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


def header_enum(name):
    """{NAME: value} of `enum name { NAME_PREFIX_X = n, ... }` in the header."""
    body = re.search(r"enum " + name + r"\b[^{]*\{(.*?)\};", HEADER, re.DOTALL).group(1)
    prefix = name.upper() + "_"
    return {key[len(prefix) :]: int(value) for key, value in re.findall(r"(NT_\w+) = (\d+)", body)}


def header_struct_fields(name):
    """The field names of `typedef struct { ... } name;` in the header, in order."""
    body = re.search(r"typedef struct \{((?:[^{}])*?)\} " + name + ";", HEADER, re.DOTALL).group(1)
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.DOTALL)
    return re.findall(r"(\w+);", body)


def test_enums_match_the_header():
    for name, enum_type in [
        ("nt_event_kind", nick_tracker.EventKind),
        ("nt_log_level", nick_tracker.LogLevel),
        ("nt_pick_mode", nick_tracker.PickMode),
    ]:
        assert header_enum(name) == {m.name: m.value for m in enum_type}, name


def test_structs_match_the_header():
    for name, struct in [
        ("nt_event", _lib.NtEvent),
        ("nt_options", _lib.NtOptions),
        ("nt_stats", _lib.NtStats),
        ("nt_directory_stats", _lib.NtDirectoryStats),
    ]:
        assert header_struct_fields(name) == [field for field, _ in struct._fields_], name
    assert [f.name for f in dataclasses.fields(nick_tracker.Stats)] == header_struct_fields(
        "nt_stats"
    )
    # DirectoryStats gives times in seconds, so its fields drop the "_ms".
    assert [f.name for f in dataclasses.fields(nick_tracker.DirectoryStats)] == [
        name.replace("_ms", "") for name in header_struct_fields("nt_directory_stats")
    ]
    defines = dict(re.findall(r"#define (NT_\w+) (\d+)", HEADER))
    assert int(defines["NT_OPTIONS_VERSION"]) == _lib.OPTIONS_VERSION


def test_functions_called_without_argtypes_get_the_types_of_their_prototype():
    # _lib.UNTYPED lists what the package passes to the functions it calls without argtypes;
    # each must be what the prototype (checked against the header above) declares.
    for name, passed in _lib.UNTYPED.items():
        declared = _lib._PROTOTYPES[name][1]
        assert len(passed) == len(declared), name
        for given, expected in zip(passed, declared):
            if given == "tracker":
                assert expected is ctypes.c_void_p, name
            elif given == "nick":
                assert expected is ctypes.c_char_p, name
            elif issubclass(given, ctypes.Array):  # passed as a pointer to its first element
                assert expected is ctypes.POINTER(given._type_), name
            else:
                assert expected is given, name
        assert _lib.untyped[name].argtypes is None and _lib.untyped[name].restype is ctypes.c_uint32


def test_options_init_fills_in_the_documented_defaults():
    options = _lib.NtOptions()
    assert _lib.lib.nt_options_init(ctypes.byref(options), _lib.OPTIONS_VERSION) == Status.OK
    assert options.version == _lib.OPTIONS_VERSION
    assert not options.on_event and not options.on_log
    assert options.log_level == nick_tracker.LogLevel.INFO
    assert (options.max_nicks, options.max_directories) == (0, 0)
    assert options.pick_mode == nick_tracker.PickMode.RANDOM
