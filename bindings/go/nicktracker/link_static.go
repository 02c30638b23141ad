//go:build nicktracker_static

package nicktracker

// Linked against the static library (libnick_tracker.a), with the system libraries it needs
// from `pkg-config --static --libs nick_tracker`: the program does not need
// libnick_tracker.so at run time. GNU ld and lld only.
//
// pkg-config's flags come after these and name the library as -lnick_tracker, which the
// linker would resolve to the shared library in the same directory; -l:libnick_tracker.a
// takes the archive first, and --as-needed keeps the shared library, which then resolves
// nothing, out of the program's needed libraries.

// #cgo pkg-config: --static nick_tracker
// #cgo LDFLAGS: -Wl,--as-needed -l:libnick_tracker.a
import "C"
