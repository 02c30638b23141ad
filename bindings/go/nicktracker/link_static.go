//go:build nicktracker_static

package nicktracker

// Linked against the static library: nick_tracker-static.pc names libnick_tracker.a by its
// path (with -lnick_tracker the linker would pick the shared library beside it), followed by
// the system libraries the Rust code needs, as rustc lists them. The program does not need
// libnick_tracker.so at run time.

// #cgo pkg-config: nick_tracker-static
import "C"
