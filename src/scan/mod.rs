//! The pipeline, from sources to findings: walks the roots (or reads standard input), builds
//! one `BlobContext` per blob, runs every detector over it in order (secrets, then policies),
//! applies inline suppression, and tallies what was scanned, skipped and dropped. `git` does
//! the same for a history or the index.

mod content;
pub mod git;

use std::collections::BTreeMap;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::PathFilter;
use crate::context::{BlobContext, Detector, Drop};
use crate::detect::Engine;
use crate::finding::{Finding, Origin};
use crate::outcome::{human_bytes, Dropped, ScanOutcome};
use crate::policy::Policies;
use crate::source::fs::{self, Skip, Visitor, WalkOptions};
use crate::source::Blob;

/// What to scan.
#[derive(Clone, Debug)]
pub struct ScanRequest {
    /// Paths to walk; `-` reads standard input.
    pub paths: Vec<PathBuf>,
    pub walk: WalkOptions,
    /// Show progress on stderr after a second (only on a terminal).
    pub progress: bool,
    /// Which paths are scanned (from the configuration).
    pub filter: PathFilter,
    pub policies: Policies,
}

const SAMPLES: usize = 3;

/// What part of its file a blob is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    Whole,
    /// A window of a file too long to be read whole: its first, or a later one.
    FirstWindow,
    Window,
    /// A commit's or tag's message: secrets only, counted apart from files.
    Message,
}

struct Collector<'a> {
    /// Run over every blob, in this order: secrets first, so that their spans are masked in
    /// the excerpts of every later detector.
    engine: &'a Engine,
    policies: Policies,
    filter: &'a PathFilter,
    excluded: AtomicU64,
    findings: Mutex<Vec<Finding>>,
    dropped: Mutex<BTreeMap<Drop, Dropped>>,
    problems: Mutex<Vec<String>>,
    notes: Mutex<Vec<String>>,
    files: AtomicU64,
    bytes: AtomicU64,
    binary: AtomicU64,
    unparsed: AtomicU64,
    nested: AtomicU64,
    /// A root that does not exist, or input that could not be read whole: the scan did not
    /// see what it was asked to, and must not pass.
    incomplete: AtomicBool,
    /// The most of one file read (`--max-file-size`): past it the rest is noted.
    max_file_size: u64,
    /// The budgets of every archive or compressed file.
    archive: crate::source::archive::Limits,
    /// Archives opened and members read in them.
    archives: AtomicU64,
    members: AtomicU64,
    /// Commit and tag messages scanned.
    messages: AtomicU64,
}

impl<'e> Collector<'e> {
    fn new(
        engine: &'e Engine,
        policies: Policies,
        filter: &'e PathFilter,
        max_file_size: u64,
    ) -> Collector<'e> {
        Collector {
            engine,
            policies,
            filter,
            excluded: AtomicU64::new(0),
            findings: Mutex::default(),
            dropped: Mutex::default(),
            problems: Mutex::default(),
            notes: Mutex::default(),
            files: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            binary: AtomicU64::new(0),
            unparsed: AtomicU64::new(0),
            nested: AtomicU64::new(0),
            incomplete: AtomicBool::new(false),
            max_file_size,
            archive: crate::source::archive::Limits::default(),
            archives: AtomicU64::new(0),
            members: AtomicU64::new(0),
            messages: AtomicU64::new(0),
        }
    }

    /// Scans one blob, counting it and what was dropped, and returns its findings.
    fn scan_blob(&self, blob: &Blob, part: Part) -> Vec<Finding> {
        // A bug in a detector must cost one file, said out loud, never the whole scan: the
        // problem is listed and the run cannot pass (exit 2 without failing findings).
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.scan_blob_inner(blob, part)
        })) {
            Ok(findings) => findings,
            Err(panic) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic".into());
                lock(&self.problems).push(format!(
                    "{}: keyrot failed on this file ({what}); please report it",
                    blob.origin.display()
                ));
                self.incomplete.store(true, Ordering::Relaxed);
                Vec::new()
            }
        }
    }

    fn scan_blob_inner(&self, blob: &Blob, part: Part) -> Vec<Finding> {
        // Members are judged by the path of the archive holding them.
        if !self.filter.allows(blob.origin.base().0.rel()) {
            self.excluded.fetch_add(1, Ordering::Relaxed);
            return Vec::new();
        }
        match part {
            Part::Whole | Part::FirstWindow => self.files.fetch_add(1, Ordering::Relaxed),
            Part::Window => 0,
            Part::Message => self.messages.fetch_add(1, Ordering::Relaxed),
        };
        self.bytes
            .fetch_add(blob.bytes.len() as u64, Ordering::Relaxed);
        let cx = BlobContext::new(blob);
        let mut findings = Vec::new();
        let detectors: [&dyn Detector; 2] = [self.engine, &self.policies];
        // A window of a longer file is read for secrets only.
        let n = if part == Part::Whole { 2 } else { 1 };
        for detector in &detectors[..n] {
            detector.scan(&cx, &mut findings);
        }
        if !findings.is_empty() {
            crate::suppress::inline(&cx, &mut findings);
        }
        let notes = cx.into_notes();
        if !notes.dropped.is_empty() {
            let mut tally = lock(&self.dropped);
            for (why, value) in notes.dropped {
                let entry = tally.entry(why).or_default();
                entry.count += 1;
                // The smallest samples, not the first: the parallel workers' order is not the
                // report's, and two runs of one scan give one report.
                if let Err(at) = entry.samples.binary_search(&value) {
                    if at < SAMPLES {
                        entry.samples.insert(at, value);
                        entry.samples.truncate(SAMPLES);
                    }
                }
            }
        }
        if !notes.problems.is_empty() {
            lock(&self.problems).extend(notes.problems);
        }
        if !notes.notes.is_empty() {
            lock(&self.notes).extend(notes.notes);
        }
        if notes.nested > 0 {
            self.nested.fetch_add(notes.nested, Ordering::Relaxed);
        }
        if !notes.unparsed.is_empty() {
            self.unparsed.fetch_add(1, Ordering::Relaxed);
            lock(&self.notes).extend(notes.unparsed);
        }
        findings
    }

    fn note(&self, message: String) {
        lock(&self.notes).push(message);
    }

    /// Everything tallied, with `findings` (sorted here) as the outcome's findings.
    fn finish(self, mut findings: Vec<Finding>, started: Instant) -> ScanOutcome {
        findings.sort_by_cached_key(Finding::sort_key);
        let mut problems = into_inner(self.problems);
        problems.sort();
        let mut notes = into_inner(self.notes);
        notes.sort();
        ScanOutcome {
            findings,
            files: self.files.into_inner(),
            bytes: self.bytes.into_inner(),
            binary: self.binary.into_inner(),
            archives: self.archives.into_inner(),
            members: self.members.into_inner(),
            excluded: self.excluded.into_inner(),
            unparsed: self.unparsed.into_inner(),
            nested_policies: self.nested.into_inner(),
            incomplete: self.incomplete.into_inner(),
            problems,
            notes,
            dropped: into_inner(self.dropped),
            duration: started.elapsed(),
            scope: None,
            metrics: None,
            inventory: None,
            label: None,
        }
    }
}

impl Visitor for Collector<'_> {
    fn file(&self, origin: Origin, head: &mut Vec<u8>, rest: &mut std::fs::File) {
        // The size only of an archive (its expansion ratio): no `stat` for other files.
        let packed = match crate::source::archive::sniff(head) {
            Some(_) => rest.metadata().map_or(head.len() as u64, |m| m.len()),
            None => 0,
        };
        let findings = self.scan_stream(origin, head, rest, || packed);
        if !findings.is_empty() {
            lock(&self.findings).extend(findings);
        }
    }

    fn skipped(&self, path: &Path, why: Skip) {
        match why {
            Skip::Special(kind) => self.note(format!(
                "{}: not read: a {kind}, not a regular file",
                path.display()
            )),
        }
    }

    fn problem(&self, message: String, could_hold: bool) {
        lock(&self.problems).push(message);
        if could_hold {
            self.incomplete.store(true, Ordering::Relaxed);
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn into_inner<T>(m: Mutex<T>) -> T {
    m.into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Runs a scan. Unreadable input is reported in the outcome, never fatal.
pub fn run(engine: &Engine, request: &ScanRequest) -> ScanOutcome {
    let started = Instant::now();
    let mut collector = Collector::new(
        engine,
        request.policies.clone(),
        &request.filter,
        request.walk.max_file_size,
    );
    collector.archive = request.walk.archive;
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        if request.progress {
            scope.spawn(|| progress(&collector, &done));
        }
        let (stdin, paths): (Vec<&PathBuf>, Vec<&PathBuf>) =
            request.paths.iter().partition(|p| p.as_os_str() == "-");
        if !stdin.is_empty() {
            // Bounded like any file: up to --max-file-size, the rest noted, never all of it.
            let max = request.walk.max_file_size;
            let mut raw = Vec::new();
            let read = std::io::stdin()
                .lock()
                .take(max.saturating_add(1))
                .read_to_end(&mut raw);
            match read {
                Ok(_) => {
                    if raw.len() as u64 > max {
                        raw.truncate(max as usize);
                        collector.note(format!(
                            "<stdin>: only the first {} were scanned (--max-file-size)",
                            human_bytes(max)
                        ));
                        collector.incomplete.store(true, Ordering::Relaxed);
                    }
                    let findings = collector.scan_memory(Origin::Stdin, &raw);
                    lock(&collector.findings).extend(findings);
                }
                Err(err) => collector.problem(format!("<stdin>: {err}"), true),
            }
        }
        let mut existing = Vec::new();
        for path in paths {
            if std::fs::symlink_metadata(path).is_ok() {
                existing.push(path.clone());
            } else {
                collector.problem(
                    format!("{}: no such file or directory", path.display()),
                    true,
                );
            }
        }
        fs::walk(&existing, &request.walk, &collector);
        done.store(true, Ordering::Relaxed);
    });
    let findings = into_inner(std::mem::take(&mut collector.findings));
    collector.finish(findings, started)
}

/// Scans bytes already in memory as the file `rel` (archives opened, binaries and windows
/// read, as a tree scan reads a file), within `archive`'s budgets: the fuzz target of the
/// archive readers.
pub fn scan_bytes(
    engine: &Engine,
    rel: &str,
    bytes: &[u8],
    archive: crate::source::archive::Limits,
) -> ScanOutcome {
    let filter = PathFilter::default();
    let mut collector = Collector::new(engine, Policies::default(), &filter, u64::MAX);
    collector.archive = archive;
    let origin = Origin::File {
        path: rel.into(),
        rel: rel.to_string(),
    };
    let findings = collector.scan_memory(origin, bytes);
    collector.finish(findings, Instant::now())
}

/// After a second, a status line on stderr: files, bytes and rate. On a terminal one line
/// redrawn in place and cleared at the end; elsewhere (`--progress` in a CI log) a new line
/// every five seconds.
fn progress(collector: &Collector, done: &AtomicBool) {
    let started = Instant::now();
    let terminal = std::io::stderr().is_terminal();
    let mut shown = false;
    let mut last_line: Option<Instant> = None;
    while !done.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(250));
        if done.load(Ordering::Relaxed) || started.elapsed() < Duration::from_secs(1) {
            continue;
        }
        if !terminal && last_line.is_some_and(|t| t.elapsed() < Duration::from_secs(5)) {
            continue;
        }
        last_line = Some(Instant::now());
        shown = true;
        let bytes = collector.bytes.load(Ordering::Relaxed);
        let rate = bytes as f64 / started.elapsed().as_secs_f64().max(0.001);
        let line = format!(
            "scanning: {} files, {}, {}/s",
            collector.files.load(Ordering::Relaxed),
            human_bytes(bytes),
            human_bytes(rate as u64)
        );
        let mut err = std::io::stderr().lock();
        let _ = if terminal {
            write!(err, "\r\x1b[K{line}")
        } else {
            writeln!(err, "keyrot: {line}")
        };
        let _ = err.flush();
    }
    if !terminal {
        return;
    }
    if shown {
        let _ = write!(std::io::stderr(), "\r\x1b[K");
    }
}
