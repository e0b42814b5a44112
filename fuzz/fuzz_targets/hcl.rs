//! Terraform (HCL through tree-sitter) and plan JSON.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        keyrot::fuzz::hcl(text);
    }
    keyrot::fuzz::pipeline("main.tf", data);
});
