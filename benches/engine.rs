//! Throughput of the detection engine on source-like text: a clean corpus (the common case,
//! where only the literal prefilter runs), one dense with candidates, and one minified line.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use keyrot::context::{BlobContext, Detector};
use keyrot::{Blob, Engine, Origin, RuleSet};

/// About `size` bytes of plausible code: identifiers, strings, hashes, base64, no credentials.
fn clean_corpus(size: usize) -> Vec<u8> {
    let lines = [
        "fn handle(req: &Request) -> Result<Response, Error> {\n",
        "    let digest = \"da39a3ee5e6b4b0d3255bfef95601890afd80709\"; // sha1 of nothing\n",
        "    const logo = \"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==\";\n",
        "    region = \"eu-west-1\"; bucket = \"assets-prod\"; secret_name = \"app/db\";\n",
        "    for (i, item) in items.iter().enumerate() { total += item.price * i as u64; }\n",
        "    user_id = \"AIDAY34FZKBOKMUTVV7A\" # an IAM unique ID, not a key\n",
        "}\n",
    ];
    let mut out = Vec::with_capacity(size + 200);
    let mut i = 0;
    while out.len() < size {
        out.extend_from_slice(lines[i % lines.len()].as_bytes());
        i += 1;
    }
    out
}

fn with_keys(mut corpus: Vec<u8>, every: usize) -> Vec<u8> {
    let pair = b"\naws_access_key_id = AKIAYGTTU3F4ZNIBPSU4\naws_secret_access_key = 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\n";
    let mut out = Vec::with_capacity(corpus.len() * 2);
    for chunk in corpus.chunks(every) {
        out.extend_from_slice(chunk);
        out.extend_from_slice(pair);
    }
    corpus.clear();
    out
}

/// A corpus where credentials hide in other spellings every 64 KiB: a base64-encoded
/// credentials line, an escaped key ID and a percent-encoded secret in a URL, so that the
/// decoding layers run.
fn with_encoded_keys(mut corpus: Vec<u8>, every: usize) -> Vec<u8> {
    let encoded = concat!(
        "\ndata:\n  creds: YXdzX2FjY2Vzc19rZXlfaWQgPSBBS0lBWUdUVFUzRjRaTklCUFNVNA==\n",
        "const id = \"\\u0041\\u004bIAV3ECFF5UQMMIXKKF\";\n",
        "url = s3a://AKIAS4NVSL4VLBOJ42F5:plOF96kc7rhxlAzouFw2NAw%2FMoiXeupmUQ8g%2FTuX@bucket\n",
    );
    let mut out = Vec::with_capacity(corpus.len() * 2);
    for chunk in corpus.chunks(every) {
        out.extend_from_slice(chunk);
        out.extend_from_slice(encoded.as_bytes());
    }
    corpus.clear();
    out
}

fn bench(c: &mut Criterion) {
    let engine = Engine::new(RuleSet::load(None).unwrap(), None).unwrap();
    // `--decode-depth 0`: what the decoding layer's trigger search costs on clean text.
    let plain = Engine::new(RuleSet::load(None).unwrap(), None)
        .unwrap()
        .with_decode_depth(0);
    let size = 8 << 20;
    let cases = [
        ("clean", clean_corpus(size)),
        ("clean, decoding off", clean_corpus(size)),
        ("key every 64 KiB", with_keys(clean_corpus(size), 64 << 10)),
        (
            "encoded keys every 64 KiB",
            with_encoded_keys(clean_corpus(size), 64 << 10),
        ),
        (
            "minified line",
            clean_corpus(size)
                .iter()
                .map(|&b| if b == b'\n' { b';' } else { b })
                .collect(),
        ),
    ];
    let mut group = c.benchmark_group("engine");
    group.sample_size(20);
    for (name, bytes) in cases {
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        let blob = Blob {
            origin: Origin::Stdin,
            bytes: bytes.into(),
        };
        let engine = if name.ends_with("decoding off") {
            &plain
        } else {
            &engine
        };
        group.bench_function(name, |b| {
            b.iter(|| {
                // A context per blob, as the pipeline builds one.
                let cx = BlobContext::new(black_box(&blob));
                let mut found = Vec::new();
                engine.scan(&cx, &mut found);
                black_box(found)
            })
        });
    }
    group.finish();
}

/// The Terraform parsers on real files: the `.tf` files under the folders of
/// `KEYROT_HCL_CORPUS` (separated by `:`), else under `fixtures/`. First says how many the fast
/// parser reads as tree-sitter does, refuses (tree-sitter then reads them) or reads
/// differently (a bug), then times each parser over all of them.
fn hcl(c: &mut Criterion) {
    let dirs = std::env::var("KEYROT_HCL_CORPUS")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures").to_string());
    let mut texts = Vec::new();
    let mut todo: Vec<std::path::PathBuf> = dirs.split(':').map(Into::into).collect();
    while let Some(dir) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() && !path.is_symlink() {
                todo.push(path);
            } else if path.extension().is_some_and(|e| e == "tf" || e == "tofu") {
                if let Ok(text) = std::fs::read_to_string(&path) {
                    texts.push(text);
                }
            }
        }
    }
    let (mut same, mut refused, mut differ) = (0, 0, 0);
    for text in &texts {
        match keyrot::fuzz::hcl_same(text) {
            Ok(true) => same += 1,
            Ok(false) => refused += 1,
            Err(_) => differ += 1,
        }
    }
    let bytes: usize = texts.iter().map(String::len).sum();
    eprintln!(
        "hcl: {} files, {bytes} bytes: {same} read as tree-sitter reads them, {refused} refused, {differ} read differently",
        texts.len()
    );
    let mut group = c.benchmark_group("hcl");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(10);
    group.bench_function("fast", |b| {
        b.iter(|| {
            texts
                .iter()
                .filter(|t| keyrot::fuzz::hcl_fast(black_box(t)))
                .count()
        })
    });
    group.bench_function("tree-sitter", |b| {
        b.iter(|| {
            texts
                .iter()
                .filter(|t| keyrot::fuzz::hcl_tree_sitter(black_box(t)))
                .count()
        })
    });
    group.finish();
}

criterion_group!(benches, bench, hcl);
criterion_main!(benches);
