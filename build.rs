//! Regenerates include/nick_tracker.h from the FFI layer's doc comments and signatures, and
//! gives the shared library a versioned SONAME.

use std::env;
use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=Cargo.toml");

    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("cbindgen.toml is readable and valid");
    let header = cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen can generate the header from src/");
    // write_to_file only rewrites the file when its content changes, so builds that change
    // nothing leave the committed header (and its timestamp) alone.
    header.write_to_file(crate_dir.join("include/nick_tracker.h"));
    // A second copy for tests/header_is_current.rs, which compares it with the committed one.
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("set by cargo"));
    header.write_to_file(out_dir.join("nick_tracker.h"));

    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        let major = env::var("CARGO_PKG_VERSION_MAJOR").expect("set by cargo");
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libnick_tracker.so.{major}");
    }
}
