//! Terraform (HCL through tree-sitter) and plan JSON.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    keyrot::fuzz::pipeline("main.tf", data);
});
