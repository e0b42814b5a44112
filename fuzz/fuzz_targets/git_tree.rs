//! Git tree objects as history scans decode them.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    keyrot::fuzz::git_tree(data);
});
