//! YAML: the reader (repairs, alias and depth budgets), then CloudFormation and Serverless.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        keyrot::fuzz::yaml(text);
    }
    keyrot::fuzz::pipeline("template.yaml", data);
    keyrot::fuzz::pipeline("serverless.yml", data);
});
