//! What one file's bytes are, and how they are read: plain text whole; UTF-16 decoded; binary
//! as its bytes (and its UTF-16 view when `source::utf16_hint` says so); archives and compressed files member by member (`source::archive`,
//! within one budget per outermost file); anything longer than a window in overlapping windows
//! of bounded memory, up to `--max-file-size` read, the rest noted. Nothing is skipped
//! silently: what is not read is a note, and the scan is then incomplete (exit 2).

use std::io::{self, Read};

use super::{Collector, Part};
use crate::finding::{Finding, Origin};
use crate::outcome::human_bytes;
use crate::source::archive::{self, Budget, Kind, Metered};
use crate::source::{self, Blob, Encoding};
use std::sync::atomic::Ordering;

use crate::source::WINDOW;
/// One window of a long file, as the reader hands it to a worker.
struct Window {
    /// The window's text (its bytes, or UTF-16 decoded), the part it owns first.
    bytes: Vec<u8>,
    owned_len: usize,
    /// A binary window's UTF-16 view, and the part of it the window owns.
    view: Option<(Vec<u8>, usize)>,
    /// Where it starts in the text scanned: bytes, and lines before it.
    text_at: usize,
    lines_before: usize,
    first: bool,
    last: bool,
}

/// The findings gathered so far. Detectors' panics are caught per blob, so the lock is never
/// poisoned by one; if it were, what was gathered is still kept, never dropped.
fn gathered(found: &std::sync::Mutex<Vec<Finding>>) -> std::sync::MutexGuard<'_, Vec<Finding>> {
    found.lock().unwrap_or_else(|e| e.into_inner())
}

/// Threads that scan a long file's windows: one per core (`--threads` bounds the walk, not
/// this: one long file is scanned while the walk's other threads wait on it or end).
fn window_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(crate::limits::DEFAULT.threads))
}

/// The windows a long file is read in.
const STREAM_WINDOW: usize = crate::limits::DEFAULT.stream_window;
/// How far consecutive windows overlap: far more than a key pair's reach, so a pair cut by a
/// window's edge is whole in the window that owns its start.
pub const OVERLAP: usize = crate::limits::DEFAULT.window_overlap;
/// A zip is read from memory (it is indexed from its end): larger ones are noted, not read.
pub const ZIP_IN_MEMORY: u64 = crate::limits::DEFAULT.zip_in_memory;

impl Collector<'_> {
    /// Scans content read from `rest`, of which `head` (up to `WINDOW + 1` bytes) has already
    /// been read; `packed` is the size of the outermost file, for the expansion ratio.
    pub(super) fn scan_stream(
        &self,
        origin: Origin,
        head: &mut Vec<u8>,
        rest: &mut dyn Read,
        packed: impl FnOnce() -> u64,
    ) -> Vec<Finding> {
        let Some(kind) = archive::sniff(head) else {
            return self.scan_plain(origin, head, rest);
        };
        let budget = Budget::new(self.archive, packed());
        let mut found = Vec::new();
        self.archive_layer(origin, kind, head, rest, &budget, 0, &mut found);
        found
    }

    /// Scans bytes already in memory (a git blob, standard input).
    pub(super) fn scan_memory(&self, origin: Origin, raw: &[u8]) -> Vec<Finding> {
        if raw.len() <= WINDOW
            && raw.len() as u64 <= self.max_file_size
            && archive::sniff(raw).is_none()
        {
            return self.scan_whole(origin, raw);
        }
        let split = raw.len().min(WINDOW + 1);
        let mut head = raw[..split].to_vec();
        let mut rest = &raw[split..];
        self.scan_stream(origin, &mut head, &mut rest, || raw.len() as u64)
    }

    /// A commit's or tag's message (bounded by git's own object size budget).
    pub(super) fn scan_message(&self, origin: Origin, raw: &[u8]) -> Vec<Finding> {
        let cut = &raw[..raw.len().min(WINDOW)];
        if cut.len() < raw.len() {
            self.note_incomplete(format!(
                "{}: only the first {} of the message were read",
                origin.display(),
                human_bytes(WINDOW as u64)
            ));
        }
        let bytes = match source::classify(cut) {
            source::Content::Bytes(b) => std::borrow::Cow::Borrowed(b),
            source::Content::Decoded(d) => std::borrow::Cow::Owned(d),
            source::Content::Binary(b) => std::borrow::Cow::Borrowed(b),
        };
        self.scan_blob(&Blob { origin, bytes }, Part::Message)
    }

    /// Content that is no archive: whole, or in windows.
    fn scan_plain(&self, origin: Origin, head: &mut Vec<u8>, rest: &mut dyn Read) -> Vec<Finding> {
        if head.len() <= WINDOW && head.len() as u64 <= self.max_file_size {
            return self.scan_whole(origin, head);
        }
        self.scan_windows(origin, head, rest)
    }

    /// One blob, every detector.
    fn scan_whole(&self, origin: Origin, raw: &[u8]) -> Vec<Finding> {
        let bytes = match source::classify(raw) {
            source::Content::Bytes(b) => std::borrow::Cow::Borrowed(b),
            source::Content::Decoded(d) => std::borrow::Cow::Owned(d),
            source::Content::Binary(b) => {
                self.binary.fetch_add(1, Ordering::Relaxed);
                let mut found = self.scan_blob(
                    &Blob {
                        origin: origin.clone(),
                        bytes: std::borrow::Cow::Borrowed(b),
                    },
                    Part::Whole,
                );
                // UTF-16 strings inside: their view too (a window, not counted twice), for
                // what the bytes did not already show.
                if source::utf16_hint(b) {
                    let view = Blob {
                        origin,
                        bytes: std::borrow::Cow::Owned(source::binary_view(b)),
                    };
                    let more: Vec<Finding> = self
                        .scan_blob(&view, Part::Window)
                        .into_iter()
                        .filter(|f| !found.iter().any(|g| g.same_secret(f)))
                        .collect();
                    found.extend(more);
                }
                return found;
            }
        };
        self.scan_blob(&Blob { origin, bytes }, Part::Whole)
    }

    /// Content longer than a window: windows of `STREAM_WINDOW` bytes, each overlapping the
    /// next by `OVERLAP` (cut after a line end where there is one, so lines keep their
    /// columns); a finding belongs to the window holding its first byte, its positions moved to
    /// the file's. One thread reads the windows in order (where each starts, in bytes and
    /// lines, is known as it is read) and hands each to a worker: every core scans, and at
    /// most one window per worker plus the one being read is in memory.
    fn scan_windows(&self, origin: Origin, buf: &mut Vec<u8>, rest: &mut dyn Read) -> Vec<Finding> {
        let encoding = source::encoding(buf);
        if encoding == Encoding::Binary {
            self.binary.fetch_add(1, Ordering::Relaxed);
        }
        let bom = match encoding {
            Encoding::Text { bom } | Encoding::Utf16 { bom, .. } => bom,
            Encoding::Binary => 0,
        };
        buf.drain(..bom);
        let max = self.max_file_size;
        let found: std::sync::Mutex<Vec<Finding>> = std::sync::Mutex::new(Vec::new());
        let workers = window_workers();
        // A rendezvous: a window is handed over only to a worker ready for it.
        let (send, receive) = std::sync::mpsc::sync_channel::<Window>(0);
        let receive = std::sync::Mutex::new(receive);
        std::thread::scope(|scope| {
            let send = send;
            for _ in 0..workers {
                scope.spawn(|| loop {
                    let next = receive.lock().map(|r| r.recv());
                    let Ok(Ok(window)) = next else {
                        break;
                    };
                    let mut mine = self.scan_window(&origin, window);
                    gathered(&found).append(&mut mine);
                });
            }
            // Where `buf` starts: in raw bytes of the file, and in the text scanned (bytes, lines).
            let (mut raw_at, mut text_at, mut lines_before) = (bom as u64, 0usize, 0usize);
            let mut first = true;
            loop {
                let end_of_input = fill(buf, STREAM_WINDOW, rest).map_err(|err| {
                    // An archive's budget is noted by the archive, once.
                    if archive::budget_hit(&err).is_none() {
                        self.problem_incomplete(format!("{}: {err}", origin.display()));
                    }
                });
                let Ok(at_end) = end_of_input else {
                    break;
                };
                // The head read before (up to 32 MiB) is taken a window at a time too.
                let mut end = buf.len().min(STREAM_WINDOW);
                let over_budget = raw_at + end as u64 > max;
                if over_budget {
                    end = max.saturating_sub(raw_at) as usize;
                }
                let at_end = at_end && end == buf.len();
                let last = at_end || over_budget;
                let window = &buf[..end];
                let cut = if last {
                    end
                } else {
                    cut_point(window, encoding)
                };
                // A binary window holding UTF-16 strings: its view too. The view keeps every
                // line break, so lines are exact; its offsets are the view's.
                let view =
                    (encoding == Encoding::Binary && source::utf16_hint(window)).then(|| {
                        let (own, tail) = window.split_at(cut);
                        let mut view = source::binary_view(own);
                        let owned_len = view.len();
                        view.extend_from_slice(&source::binary_view(tail));
                        (view, owned_len)
                    });
                // Text and binary windows past the head are handed over as they were read, no
                // copy: the overlap after the cut starts the next buffer.
                let hand_over = !first && end == buf.len();
                let (bytes, owned_len) = match encoding {
                    Encoding::Utf16 { .. } => {
                        let (own, tail) = window.split_at(cut);
                        let mut text = source::decode_part(encoding, own).into_owned();
                        let owned_len = text.len();
                        text.extend_from_slice(&source::decode_part(encoding, tail));
                        (text, owned_len)
                    }
                    _ if hand_over => {
                        let mut next = Vec::with_capacity(STREAM_WINDOW + OVERLAP);
                        next.extend_from_slice(&buf[cut..]);
                        (std::mem::replace(buf, next), cut)
                    }
                    _ => (window.to_vec(), cut),
                };
                let hand_over = hand_over && !matches!(encoding, Encoding::Utf16 { .. });
                let lines = memchr::memchr_iter(b'\n', &bytes[..owned_len]).count();
                if first {
                    let blob = Blob {
                        origin: origin.clone(),
                        bytes: std::borrow::Cow::Borrowed(&bytes[..]),
                    };
                    self.policy_too_large(&blob, &mut gathered(&found));
                }
                let window = Window {
                    bytes,
                    owned_len,
                    view,
                    text_at,
                    lines_before,
                    first,
                    last,
                };
                if send.send(window).is_err() {
                    break; // every worker is gone (a panic): nothing more can be scanned
                }
                first = false;
                lines_before += lines;
                text_at += owned_len;
                raw_at += cut as u64;
                if !hand_over {
                    buf.drain(..cut);
                    // What the head needed is given back once it is read.
                    buf.shrink_to(STREAM_WINDOW + OVERLAP);
                }
                if over_budget {
                    self.note_incomplete(format!(
                        "{}: only the first {} were read (--max-file-size); the rest may hold anything",
                        origin.display(),
                        human_bytes(max)
                    ));
                    break;
                }
                if at_end {
                    break;
                }
            }
            drop(send);
        });
        let mut found = found.into_inner().unwrap_or_else(|e| e.into_inner());
        // A finding the window before also saw whole, at the same place, is one finding.
        found.sort_by(|a, b| {
            (a.location.start, std::cmp::Reverse(a.severity), &a.rule_id).cmp(&(
                b.location.start,
                std::cmp::Reverse(b.severity),
                &b.rule_id,
            ))
        });
        found.dedup_by(|a, b| {
            a.location.start == b.location.start && a.fingerprint == b.fingerprint
        });
        found
    }

    /// One window's findings, at the file's positions: those whose first byte is in the part
    /// the window owns (all of them in the last), the view's only where the bytes did not
    /// already show them.
    fn scan_window(&self, origin: &Origin, window: Window) -> Vec<Finding> {
        let part = if window.first {
            Part::FirstWindow
        } else {
            Part::Window
        };
        let blob = Blob {
            origin: origin.clone(),
            bytes: std::borrow::Cow::Owned(window.bytes),
        };
        let mut texts = vec![(self.scan_blob(&blob, part), window.owned_len)];
        drop(blob);
        if let Some((view, owned_len)) = window.view {
            let view = Blob {
                origin: origin.clone(),
                bytes: std::borrow::Cow::Owned(view),
            };
            texts.push((self.scan_blob(&view, Part::Window), owned_len));
        }
        let mut found: Vec<Finding> = Vec::new();
        for (findings, owned_len) in texts {
            for mut f in findings {
                let starts = std::iter::once(f.location.start)
                    .chain(f.related.iter().map(|r| r.location.start))
                    .min()
                    .unwrap_or(0);
                if starts >= owned_len && !window.last {
                    continue; // the next window owns it
                }
                for loc in std::iter::once(&mut f.location)
                    .chain(f.related.iter_mut().map(|r| &mut r.location))
                {
                    loc.start += window.text_at;
                    loc.end += window.text_at;
                    loc.line += window.lines_before;
                    loc.end_line += window.lines_before;
                }
                // What the bytes already showed, the view does not repeat.
                let seen = found
                    .iter()
                    .any(|g| g.same_secret(&f) && g.location.line == f.location.line);
                if !seen {
                    found.push(f);
                }
            }
        }
        found
    }

    /// A file too long to be read whole is read for secrets only: when it is IaC that may
    /// grant, that is a policy hidden behind a budget.
    fn policy_too_large(&self, first_window: &Blob, found: &mut Vec<Finding>) {
        let rel = first_window.origin.rel();
        if crate::policy::extract::may_be_iac(rel)
            && crate::policy::extract::format_of(rel, &first_window.bytes).is_some()
        {
            let cx = crate::context::BlobContext::new(first_window);
            found.push(crate::policy::hidden(
                &cx,
                0,
                &format!(
                    "over {} of IaC, too long to be analysed as policy (read for secrets only)",
                    human_bytes(WINDOW as u64)
                ),
            ));
        }
    }

    /// One layer of an archive: a compressed stream, a tar or a zip.
    #[allow(clippy::too_many_arguments)]
    fn archive_layer(
        &self,
        origin: Origin,
        kind: Kind,
        head: &mut Vec<u8>,
        rest: &mut dyn Read,
        budget: &Budget,
        depth: u8,
        found: &mut Vec<Finding>,
    ) {
        if depth >= budget.limits.depth {
            self.note_incomplete(format!(
                "{}: a {} archive nested deeper than --archive-depth {} was not opened",
                origin.display(),
                kind.name(),
                budget.limits.depth
            ));
            // Its bytes are still read as they are.
            found.extend(self.scan_plain(origin, head, rest));
            return;
        }
        self.archives.fetch_add(1, Ordering::Relaxed);
        let input = io::Cursor::new(std::mem::take(head)).chain(rest);
        let result = match kind {
            Kind::Zip => self.zip(&origin, input, budget, depth, found),
            Kind::Tar => self.tar(&origin, input, budget, depth, found),
            _ => self.compressed(&origin, kind, input, budget, depth, found),
        };
        if let Err(err) = result {
            match archive::budget_hit(&err) {
                // Said once, by the outermost layer, which the hit ends too.
                Some(_) if depth > 0 => {}
                Some("members") => self.note_incomplete(format!(
                    "{}: reading stopped at the archive budget of {} members: the rest may hold anything",
                    origin.display(),
                    budget.limits.members
                )),
                Some(why) => self.note_incomplete(format!(
                    "{}: reading stopped at the archive budget on {why} ({} expanded of {} read, {} allowed; --max-archive-size): the rest may hold anything",
                    origin.display(),
                    human_bytes(budget.expanded()),
                    human_bytes(budget.packed),
                    human_bytes(budget.allowed())
                )),
                None => self.problem_incomplete(format!(
                    "{}: {} archive unreadable: {err}",
                    origin.display(),
                    kind.name()
                )),
            }
        }
    }

    fn compressed(
        &self,
        origin: &Origin,
        kind: Kind,
        input: impl Read,
        budget: &Budget,
        depth: u8,
        found: &mut Vec<Finding>,
    ) -> io::Result<()> {
        let decoder = archive::decompress(kind, Box::new(input))?;
        let mut stream = Metered {
            inner: decoder,
            budget,
        };
        let mut head = Vec::new();
        fill(&mut head, WINDOW + 1, &mut stream)?;
        // A compressed tar is one archive: its members are the compressed file's members.
        if archive::sniff(&head) == Some(Kind::Tar) {
            let input = io::Cursor::new(head).chain(stream);
            return self.tar(origin, input, budget, depth, found);
        }
        budget.member().map_err(io::Error::other)?;
        let inner = origin.clone().member(&archive::inner_name(origin.rel()));
        self.member(inner, &mut head, &mut stream, budget, depth, found);
        stream_error(budget)
    }

    fn tar(
        &self,
        origin: &Origin,
        input: impl Read,
        budget: &Budget,
        depth: u8,
        found: &mut Vec<Finding>,
    ) -> io::Result<()> {
        let mut tar = tar::Archive::new(input);
        for entry in tar.entries()? {
            let mut entry = entry?;
            budget.member().map_err(io::Error::other)?;
            let kind = entry.header().entry_type();
            if !(kind.is_file() || kind.is_contiguous() || kind == tar::EntryType::Continuous) {
                continue;
            }
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let mut head = Vec::new();
            fill(&mut head, WINDOW + 1, &mut entry)?;
            self.member(
                origin.clone().member(&name),
                &mut head,
                &mut entry,
                budget,
                depth,
                found,
            );
            stream_error(budget)?;
        }
        Ok(())
    }

    fn zip(
        &self,
        origin: &Origin,
        input: impl Read,
        budget: &Budget,
        depth: u8,
        found: &mut Vec<Finding>,
    ) -> io::Result<()> {
        let mut bytes = Vec::new();
        input.take(ZIP_IN_MEMORY + 1).read_to_end(&mut bytes)?;
        if bytes.len() as u64 > ZIP_IN_MEMORY {
            self.note_incomplete(format!(
                "{}: a zip archive over {} was not opened",
                origin.display(),
                human_bytes(ZIP_IN_MEMORY)
            ));
            return Ok(());
        }
        let mut zip = zip::ZipArchive::new(io::Cursor::new(bytes)).map_err(io::Error::other)?;
        for i in 0..zip.len() {
            budget.member().map_err(io::Error::other)?;
            let listed = match zip.name_for_index(i) {
                Some(Ok(n)) => n.into_owned(),
                _ => format!("member {i}"),
            };
            let mut file = match zip.by_index(i) {
                Ok(file) => file,
                Err(err) => {
                    // One member that cannot be read (encrypted, an unknown method) costs that
                    // member only, noted.
                    let name = listed;
                    self.note_incomplete(format!(
                        "{}: not read: {err}",
                        origin.clone().member(&name).display()
                    ));
                    continue;
                }
            };
            if file.is_dir() {
                continue;
            }
            let name = listed;
            let mut stream = Metered {
                inner: &mut file,
                budget,
            };
            let mut head = Vec::new();
            if let Err(err) = fill(&mut head, WINDOW + 1, &mut stream) {
                if archive::budget_hit(&err).is_some() {
                    return Err(err);
                }
                self.problem_incomplete(format!(
                    "{}: unreadable: {err}",
                    origin.clone().member(&name).display()
                ));
                continue;
            }
            self.member(
                origin.clone().member(&name),
                &mut head,
                &mut stream,
                budget,
                depth,
                found,
            );
            stream_error(budget)?;
        }
        Ok(())
    }

    /// One member: an archive again (one level deeper), or content.
    fn member(
        &self,
        origin: Origin,
        head: &mut Vec<u8>,
        rest: &mut dyn Read,
        budget: &Budget,
        depth: u8,
        found: &mut Vec<Finding>,
    ) {
        self.members.fetch_add(1, Ordering::Relaxed);
        match archive::sniff(head) {
            Some(kind) => self.archive_layer(origin, kind, head, rest, budget, depth + 1, found),
            None => found.extend(self.scan_plain(origin, head, rest)),
        }
    }

    pub(super) fn note_incomplete(&self, message: String) {
        self.note(message);
        self.incomplete.store(true, Ordering::Relaxed);
    }

    pub(super) fn problem_incomplete(&self, message: String) {
        super::Visitor::problem(self, message, true);
    }
}

/// The budget, once hit inside a member, ends the whole archive.
fn stream_error(budget: &Budget) -> io::Result<()> {
    match budget.hit() {
        Some(why) => Err(io::Error::other(archive::BudgetHit(why))),
        None => Ok(()),
    }
}

/// Reads from `rest` until `buf` holds `want` bytes or the input ends; `Ok(true)` at its end.
fn fill(buf: &mut Vec<u8>, want: usize, rest: &mut dyn Read) -> io::Result<bool> {
    if buf.len() >= want {
        return Ok(false);
    }
    let need = (want - buf.len()) as u64;
    let got = rest.take(need).read_to_end(buf)? as u64;
    Ok(got < need)
}

/// Where a window's own part ends: `OVERLAP` before its end, moved back to just after a line
/// end when one is near (UTF-16: on a whole code unit).
fn cut_point(buf: &[u8], encoding: Encoding) -> usize {
    let cut = buf.len().saturating_sub(OVERLAP).max(1);
    match encoding {
        Encoding::Text { .. } => {
            let from = cut.saturating_sub(OVERLAP);
            memchr::memrchr(b'\n', &buf[from..cut]).map_or(cut, |i| from + i + 1)
        }
        Encoding::Utf16 { .. } => cut & !1,
        Encoding::Binary => cut,
    }
}
