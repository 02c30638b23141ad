//! Gives the shared library its versioned name for the dynamic linker and, in the developer/CI
//! mode only, regenerates include/nick_tracker.h from the FFI layer's doc comments and
//! signatures.
//!
//! The header is committed, so a plain `cargo build` (and the CMake build, which runs one) uses
//! it as it is and never builds cbindgen. After changing the C ABI in src/ffi/, regenerate it
//! and commit the result:
//!
//!     cargo build --features generate-header
//!
//! `cargo test --features generate-header` (run by scripts/test.sh) fails while the committed
//! header differs from what cbindgen generates (tests/header_is_current.rs).

use std::env;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    #[cfg(feature = "generate-header")]
    generate_header();

    // The name a program linked against the library records, and looks for at run time: it
    // changes with the major version only (ABI.md). CMake installs the library under its full
    // versioned name with the usual symlinks (cmake/NickTrackerInstall.cmake).
    let major = env::var("CARGO_PKG_VERSION_MAJOR").expect("set by cargo");
    match env::var("CARGO_CFG_TARGET_OS").as_deref() {
        Ok("linux" | "android" | "freebsd" | "netbsd" | "openbsd" | "dragonfly") => {
            println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libnick_tracker.so.{major}");
        }
        Ok("macos" | "ios") => {
            // Without this the install name is the absolute path cargo built the file at.
            // @rpath lets each program say where to look, as CMake-built libraries do.
            let version = env::var("CARGO_PKG_VERSION").expect("set by cargo");
            println!(
                "cargo:rustc-cdylib-link-arg=-Wl,-install_name,@rpath/libnick_tracker.{major}.dylib"
            );
            println!("cargo:rustc-cdylib-link-arg=-Wl,-current_version,{version}");
        }
        // Windows: nick_tracker.dll, unversioned like CMake-built DLLs; the import library
        // records that name.
        _ => {}
    }
}

/// Writes include/nick_tracker.h (only when its content changes, so a build that changes
/// nothing leaves the committed file and its timestamp alone) and a copy in OUT_DIR for
/// tests/header_is_current.rs.
#[cfg(feature = "generate-header")]
fn generate_header() {
    use std::path::PathBuf;

    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=Cargo.toml");
    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("cbindgen.toml is readable and valid");
    let header = cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen can generate the header from src/");
    header.write_to_file(crate_dir.join("include/nick_tracker.h"));
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("set by cargo"));
    header.write_to_file(out_dir.join("nick_tracker.h"));
}
