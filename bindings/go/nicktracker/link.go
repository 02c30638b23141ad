//go:build !nicktracker_static

package nicktracker

// Linked against the shared library that pkg-config names (libnick_tracker.so): the
// program needs it at run time.

// #cgo pkg-config: nick_tracker
import "C"
