//! The exported C functions, called exactly as a C program calls them, to measure what the
//! ABI layer (validation, locking, status codes) adds to the Rust core.

use std::ffi::{c_char, c_void};

unsafe extern "C" {
    fn nt_new(on_leave: *const c_void, user_data: *mut c_void, out: *mut *mut c_void) -> u32;
    fn nt_free(tracker: *mut c_void);
    fn nt_update(tracker: *mut c_void, nick: *const c_char, dir: u64, present: bool) -> u32;
    fn nt_sync_peerlist(
        tracker: *mut c_void,
        dir: u64,
        nicks: *const *const c_char,
        count: usize,
    ) -> u32;
    fn nt_sync_peerlist_packed(
        tracker: *mut c_void,
        dir: u64,
        nicks: *const c_char,
        len: usize,
    ) -> u32;
    fn nt_peerlist_begin(tracker: *mut c_void, dir: u64) -> u32;
    fn nt_peerlist_add(tracker: *mut c_void, dir: u64, nicks: *const c_char, len: usize) -> u32;
    fn nt_peerlist_commit(tracker: *mut c_void, dir: u64, gone: *mut usize) -> u32;
}

/// Owns an `nt_tracker` without callbacks.
pub struct CTracker(*mut c_void);

impl CTracker {
    pub fn new() -> Self {
        let mut handle = std::ptr::null_mut();
        // SAFETY: a valid out pointer; no callback.
        let status = unsafe { nt_new(std::ptr::null(), std::ptr::null_mut(), &mut handle) };
        assert_eq!(status, 0);
        CTracker(handle)
    }

    /// `nick` must be NUL-terminated.
    pub fn update(&self, nick: &[u8], directory: u64, present: bool) {
        debug_assert_eq!(nick.last(), Some(&0));
        // SAFETY: live handle and a NUL-terminated string.
        let status = unsafe { nt_update(self.0, nick.as_ptr().cast(), directory, present) };
        assert_eq!(status, 0);
    }

    /// `nicks` must point at live NUL-terminated strings.
    pub fn sync_peerlist(&self, directory: u64, nicks: &[*const c_char]) {
        // SAFETY: live handle; the pointers are valid per this function's contract.
        let status = unsafe { nt_sync_peerlist(self.0, directory, nicks.as_ptr(), nicks.len()) };
        assert_eq!(status, 0);
    }

    /// `packed` holds NUL-terminated nicks back to back.
    pub fn sync_peerlist_packed(&self, directory: u64, packed: &[u8]) {
        // SAFETY: live handle; `packed` is readable for its length.
        let status = unsafe {
            nt_sync_peerlist_packed(self.0, directory, packed.as_ptr().cast(), packed.len())
        };
        assert_eq!(status, 0);
    }
}

impl CTracker {
    /// The peerlist `chunks` (each packed) as one snapshot: begin, the chunks, commit.
    pub fn peerlist_in_chunks(&self, directory: u64, chunks: &[Vec<u8>]) {
        // SAFETY: live handle; each chunk is readable for its length; no count output.
        unsafe {
            assert_eq!(nt_peerlist_begin(self.0, directory), 0);
            for chunk in chunks {
                let status = nt_peerlist_add(self.0, directory, chunk.as_ptr().cast(), chunk.len());
                assert_eq!(status, 0);
            }
            assert_eq!(
                nt_peerlist_commit(self.0, directory, std::ptr::null_mut()),
                0
            );
        }
    }
}

impl Drop for CTracker {
    fn drop(&mut self) {
        // SAFETY: the handle came from nt_new and is freed once.
        unsafe { nt_free(self.0) };
    }
}
