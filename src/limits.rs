//! Every bound keyrot puts on what its input can make it build or do, in one table: its
//! value, its unit and why. Modules take their bounds from `DEFAULT` (`limits::DEFAULT.x`),
//! so "every structure grown from input is bounded" can be reviewed here as one list, tested
//! as one list (`ALL`), and read in `docs/limits.md` (generated from it, checked fresh). A
//! bound the command line can change names its flag; the flag's default is this value.
//! A leaf: it imports nothing of keyrot's.

/// One row of the table.
#[derive(Clone, Copy, Debug)]
pub struct Bound {
    pub name: &'static str,
    pub value: u64,
    pub unit: &'static str,
    /// What it bounds and what happens at it.
    pub reason: &'static str,
}

macro_rules! limits {
    ($($(#[doc = $doc:literal])* $name:ident: $ty:ty = $value:expr, $unit:literal;)*) => {
        /// Every bound, with its default in `DEFAULT`.
        #[derive(Clone, Copy, Debug)]
        pub struct Limits {
            $($(#[doc = $doc])* pub $name: $ty,)*
        }

        /// The bounds keyrot runs with.
        pub const DEFAULT: Limits = Limits { $($name: $value,)* };

        /// The table, in order.
        pub const ALL: &[Bound] = &[$(Bound {
            name: stringify!($name),
            value: DEFAULT.$name as u64,
            unit: $unit,
            reason: concat!($($doc, "\n"),*),
        },)*];
    };
}

limits! {
    // Reading files and blobs.
    /// The most of one file that is read (`--max-file-size`): what is past it is noted and
    /// fails the scan closed; below it, content past `window` is read in overlapping windows.
    max_file_size: u64 = 4 << 30, "bytes";
    /// Content up to this size is read whole by every detector; longer content in windows
    /// (`stream_window`), secrets only, so memory does not grow with a file's size.
    window: usize = 32 << 20, "bytes";
    /// The windows content past `window` is read in: one per core is scanned at once, so a
    /// long file takes about (cores + 1) windows of memory.
    stream_window: usize = 8 << 20, "bytes";
    /// How far consecutive windows overlap: far more than a key pair's reach, so a pair cut
    /// by one window's edge is whole in the next.
    window_overlap: usize = 256 << 10, "bytes";
    /// How much of a file is probed to tell text from binary.
    binary_probe: usize = 8 << 10, "bytes";
    /// Scanning threads, at most (`--threads`): a larger number is a typo, capped with a note.
    threads: usize = 256, "threads";

    // Archives and compressed files.
    /// Archives inside archives (`--archive-depth`); a compressed tar counts once. Deeper
    /// members are named in a note and fail the scan closed.
    archive_depth: u8 = 3, "levels";
    /// Bytes one outermost file may expand to, whatever the ratio (`--max-archive-size`): a
    /// gzip bomb ends here with a note.
    archive_bytes: u64 = 1 << 30, "bytes";
    /// Expanded bytes per compressed byte read, past `archive_ratio_floor`.
    archive_ratio: u64 = 100, "ratio";
    /// Bytes an archive may expand to before the ratio applies.
    archive_ratio_floor: u64 = 64 << 20, "bytes";
    /// Members one outermost file may have.
    archive_members: u32 = 100_000, "members";
    /// The most memory an xz block's decoder may take (xz -9 takes 65 MiB).
    xz_memory_kib: u32 = 256 << 10, "KiB";
    /// The largest window a zstd frame may declare, allocated before it is decoded (zstd's own
    /// default limit when decompressing): a frame asking for more is named, not read, and
    /// fails the scan closed.
    zstd_window: u64 = 128 << 20, "bytes";
    /// A zip is indexed from its end, so it is read from memory: larger ones are noted, not read.
    zip_in_memory: u64 = 512 << 20, "bytes";

    // Git history.
    /// Trees nested deeper than this are not followed (a crafted repository can nest
    /// thousands); the cut is noted.
    tree_depth: usize = 256, "levels";
    /// Changes (commit, path, blob) one history scan records: every table then fits its
    /// 32-bit indexes; past it the scan stops with a note and fails closed.
    history_changes: usize = (u32::MAX / 2 - 1) as usize, "changes";
    /// What the tree-diffing workers' object caches hold in all (16 MiB diffs as fast as 64 on
    /// hashicorp/terraform's history, for 100 MiB peak instead of 129).
    object_cache_bytes: usize = 16 << 20, "bytes";
    /// Commits diffed by the workers at a time.
    commit_batch: usize = 4096, "commits";

    // Secrets.
    /// Credential findings per blob; past it, one note says how many more.
    findings_per_blob: usize = 1000, "findings";
    /// Hint offsets (credential words, escapes) recorded per blob.
    hints_per_blob: usize = 100_000, "offsets";
    /// Teddy's candidates per 64 KiB of a blob (`prefilter_window`) before its search hands
    /// the rest of the blob to the `regex` alternations, which find the same hits: text dense
    /// with the literals' starts (`aws_aws_aws_`) costs Teddy a check per candidate, the
    /// alternations' lazy DFA a step per byte.
    prefilter_candidates: usize = 2048, "candidates";
    /// The span of a blob over which `prefilter_candidates` is counted.
    prefilter_window: usize = 64 << 10, "bytes";
    /// Key-ID prefixes without a candidate a blob may have examined for rejected shapes.
    rejected_looks: usize = 1000, "prefixes";
    /// Bytes either side of a weak literal its required nearby word may be.
    weak_reach: usize = 2048, "bytes";
    /// Bytes either side of a key ID a pairing looks for its secret.
    pair_reach: usize = 4096, "bytes";
    /// Values augmenting-path pairing may visit in one blob.
    augment_budget: usize = 100_000, "values";
    /// How long one augmenting path may be.
    augment_depth: usize = 8, "steps";
    /// Decoding layers `--decode-depth` may ask for: each is a full pass over the view.
    decode_depth: usize = 4, "layers";
    /// Blobs larger than this are not decoded (their plain scan still runs).
    decode_bytes: usize = 8 << 20, "bytes";
    /// The longest base64 run decoded.
    base64_run: usize = 64 << 10, "bytes";
    /// Bytes either side of a trigger that are decoded.
    decode_window: usize = 4096, "bytes";
    /// Spans longer than this are never one secret (an excerpt looks back this far).
    secret_span: usize = 64 << 10, "bytes";
    /// Distinct secret values whose other spellings are masked in a blob.
    spelled_values: usize = 4096, "values";
    /// Places those spellings are masked at in a blob (past it, shape masking still runs).
    spelled_places: usize = 65_536, "places";

    // IaC.
    /// Nesting of the JSON reader; deeper documents are judged by what they may hide.
    json_depth: usize = 256, "levels";
    /// Nodes one YAML document may make, aliases counted at full size: an alias bomb stops
    /// here instead of exhausting memory.
    yaml_nodes: usize = 200_000, "nodes";
    /// Nesting of YAML collections.
    yaml_depth: usize = 128, "levels";
    /// Nesting of the fast HCL parser (blocks, expressions, collections, templates, chained
    /// operators); a file nested deeper is read by tree-sitter, whose parse is iterative.
    hcl_depth: usize = 200, "levels";
    /// Re-parses the YAML repair layer may make of one file.
    yaml_repairs: usize = 64, "parses";
    /// Other `.tf` files of a module read to resolve its references.
    module_files: usize = 256, "files";
    /// Bytes of one such file.
    module_file_bytes: u64 = 2 << 20, "bytes";
    /// Bytes of all of them, per module.
    module_bytes: u64 = 16 << 20, "bytes";
    /// Bytes of policy files held for judging across files, in all.
    held_bytes: u64 = 32 << 20, "bytes";

    // Live AWS.
    /// Items one paginated AWS listing may return: a hostile or broken endpoint that pages
    /// forever is an error, not memory without bound.
    aws_listed: usize = 1_000_000, "items";
    /// CloudTrail events read per key.
    trail_events: usize = 100_000, "events";
    /// Log objects read from a trail's bucket.
    trail_objects: usize = 50_000, "objects";
    /// Bytes of one log object.
    trail_object_bytes: u64 = 256 << 20, "bytes";
    /// Steps from a key's user to other principals followed (assume-role, access keys).
    blast_depth: usize = 3, "steps";
    /// Principals one key's search may judge (each costs a few calls).
    blast_principals: usize = 64, "principals";

    // Reports.
    /// A JSON report `keyrot report` reads.
    report_input: u64 = 1 << 30, "bytes";
    /// Results in one SARIF run: GitHub refuses a whole upload past it; the most severe are kept.
    sarif_results: usize = 25_000, "results";
    /// Bytes of the Markdown job summary, below GitHub's 1 MiB step-summary limit.
    markdown_bytes: usize = 1000 << 10, "bytes";
}

/// The table as Markdown: `docs/limits.md`.
pub fn markdown() -> String {
    let mut out = String::from(
        "# keyrot's bounds\n\nEvery bound keyrot puts on what its input can make it build or do, generated from\n`src/limits.rs` (`cargo run -- limits > docs/limits.md`). What happens at a bound is a note or a\nfinding, never a silent loss; bounds on what is read fail the scan closed (exit 2) unless\n`--allow-incomplete`.\n\n| bound | value | unit | what it bounds |\n|---|---:|---|---|\n",
    );
    for b in ALL {
        let reason = b.reason.split_whitespace().collect::<Vec<_>>().join(" ");
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            b.name, b.value, b.unit, reason
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_bound_is_positive_named_once_and_says_why() {
        let mut names = std::collections::HashSet::new();
        for b in super::ALL {
            assert!(b.value > 0, "{}", b.name);
            assert!(names.insert(b.name), "{} twice", b.name);
            assert!(b.reason.trim().len() > 20, "{} says too little", b.name);
        }
        assert!(super::ALL.len() >= 45, "{}", super::ALL.len());
    }
}
