//! The secret engine and every detector over arbitrary bytes, as a plain text file.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    keyrot::fuzz::pipeline("fuzz.env", data);
});
