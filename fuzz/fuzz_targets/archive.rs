//! Archives and compressed files: the magic sniffing, every decoder (gzip, bzip2, xz, zstd),
//! tar and zip readers, nesting and the expansion budgets, then the pipeline on each member.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    keyrot::fuzz::archive(data);
});
