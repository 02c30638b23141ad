//go:build !nicktracker_static

package nicktracker

// Linked against the shared library that pkg-config names (libnick_tracker.so): the
// program needs it at run time. Build with -tags nicktracker_static to link the static
// library instead (link_static.go).

// #cgo pkg-config: nick_tracker
import "C"
