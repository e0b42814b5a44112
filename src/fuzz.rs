//! Entry points for the fuzz targets (`fuzz/`) and the YAML conformance measurement
//! (`benches/yaml-suite.sh`): each takes arbitrary bytes and runs one parser or the whole
//! pipeline on them, as a scan would. Not an API: hidden from the docs, and nothing here is
//! for programs other than those two.

use std::borrow::Cow;
use std::sync::OnceLock;

use crate::context::{BlobContext, Detector};
use crate::detect::{Engine, RuleSet};
use crate::finding::{Finding, Origin};
use crate::source::Blob;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let rules = RuleSet::load(None).expect("the built-in rules load");
        Engine::new(rules, None).expect("the built-in rules compile")
    })
}

/// The same rules with the `regex` prefilter, whatever the CPU.
fn regex_engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let rules = RuleSet::load(None).expect("the built-in rules load");
        Engine::new(rules, None)
            .and_then(Engine::with_regex_prefilter)
            .expect("the built-in rules compile")
    })
}

/// Every detector and the inline suppressions over `bytes` as the file `rel`: what a tree scan
/// does with one file. Returns the findings. First, the prefilter's two searches (Teddy and
/// the `regex` alternations) must find the same hits.
pub fn pipeline(rel: &str, bytes: &[u8]) -> Vec<Finding> {
    assert_eq!(
        engine().prefilter_hits(bytes),
        regex_engine().prefilter_hits(bytes),
        "Teddy and the alternations differ"
    );
    let blob = Blob {
        origin: Origin::File {
            path: rel.into(),
            rel: rel.to_string(),
        },
        bytes: Cow::Borrowed(bytes),
    };
    let cx = BlobContext::new(&blob);
    let mut findings = Vec::new();
    let policies = crate::policy::Policies::default();
    let detectors: [&dyn Detector; 2] = [engine(), &policies];
    for detector in detectors {
        detector.scan(&cx, &mut findings);
    }
    crate::suppress::inline(&cx, &mut findings);
    // Render them as every format would: masking and escaping run on hostile text too.
    for f in &findings {
        let _ = crate::report::text::clean(&f.excerpt);
    }
    findings
}

/// keyrot's YAML reader (with its repairs and budgets): whether it accepts the text. What it
/// reads goes through the CloudFormation extraction too, whatever types it names (the scan
/// parses only templates naming a type keyrot reads).
pub fn yaml(text: &str) -> bool {
    as_template(crate::node::yaml(text))
}

/// keyrot's JSON reader: whether it accepts the text; then as `yaml`.
pub fn json(text: &str) -> bool {
    as_template(crate::node::json(text))
}

/// What a reader accepted, through the CloudFormation extraction; whether it accepted it.
fn as_template<E>(node: Result<crate::node::Node, E>) -> bool {
    node.map(|node| crate::policy::extract::cloudformation::extract(&node))
        .is_ok()
}

/// The Terraform reader on any text (the scan parses only files with an AWS resource or data
/// block): whether the parse and the extraction took it. Whatever the fast parser accepts
/// must read as tree-sitter reads it: a difference panics, and the fuzzer keeps the input.
pub fn hcl(text: &str) -> bool {
    if let Err(difference) = hcl_same(text) {
        panic!("the fast HCL parser differs from tree-sitter: {difference}");
    }
    crate::policy::extract::terraform::extract(text, &Default::default()).is_ok()
}

/// Whether the fast HCL parser reads the text as tree-sitter does (`Ok(false)`: it refused
/// it; `Err`: the first difference).
pub fn hcl_same(text: &str) -> Result<bool, String> {
    crate::policy::extract::terraform::syntax::same_as_tree_sitter(text)
}

/// The fast HCL parser alone: whether it read the text (benches/engine.rs times it).
pub fn hcl_fast(text: &str) -> bool {
    crate::policy::extract::terraform::syntax::fast(text).is_ok()
}

/// tree-sitter's HCL parse alone: whether it gave a tree.
pub fn hcl_tree_sitter(text: &str) -> bool {
    crate::policy::extract::terraform::syntax::tree_sitter(text)
}

/// `.keyrot.toml`: whether it is accepted.
pub fn config(text: &str) -> bool {
    crate::config::Config::parse(text, "fuzz.toml").is_ok()
}

/// A baseline file: whether it is accepted.
pub fn baseline(text: &str) -> bool {
    crate::suppress::parse_baseline(text, "fuzz.json").is_ok()
}

/// A git tree object's bytes as history scans read them: every entry decoded.
pub fn git_tree(bytes: &[u8]) -> usize {
    crate::source::git::tree_entries(bytes)
}

/// Bytes as a file the scan opens as an archive or compressed file when its magic says so
/// (gzip, bzip2, xz, zstd, tar, zip, nested): every reader and budget, with budgets small
/// enough that an input cannot spend more than a few MiB. Returns the findings' count.
pub fn archive(bytes: &[u8]) -> usize {
    let limits = crate::source::archive::Limits {
        depth: 3,
        bytes: 8 << 20,
        ratio: 100,
        ratio_floor: 1 << 20,
        members: 1000,
    };
    crate::scan::scan_bytes(engine(), "fuzz.bin", bytes, limits)
        .findings
        .len()
}
