//! JSON: the reader, then the policy and CloudFormation extraction and checks.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        keyrot::fuzz::json(text);
    }
    keyrot::fuzz::pipeline("policy.json", data);
    keyrot::fuzz::pipeline("stack.template.json", data);
});
